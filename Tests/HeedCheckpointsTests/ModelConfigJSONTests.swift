// How config.json is read (HeedJSON with Python's json choices for duplicates, strict on lone
// surrogates as Foundation was).

import XCTest
@testable import HeedCheckpoints

final class ModelConfigJSONTests: XCTestCase {
    /// transformers reads config.json with Python's json module: of a repeated key the last wins.
    func testDuplicateKeyLastWins() throws {
        let config = try ModelConfig(json: Data(#"{"model_type": "bert", "hidden_size": 8, "num_attention_heads": 2, "hidden_size": 16}"#.utf8),
                                     file: "config.json")
        XCTAssertEqual(config.hiddenSize, 16)
        XCTAssertEqual(config.headSize, 8)
    }

    func testLoneSurrogateIsInvalidJSON() {
        XCTAssertThrowsError(try ModelConfig(json: Data(#"{"model_type": "bert", "hidden_act": "\uDEAD"}"#.utf8), file: "config.json")) { error in
            XCTAssertEqual(error as? CheckpointError, CheckpointError(
                file: "config.json", problem: "not valid JSON: lone surrogate escape \\uDEAD (not part of a surrogate pair) at byte 38"))
        }
    }

    func testNumbersKeepTheirLiteralKind() {
        XCTAssertThrowsError(try ModelConfig(json: Data(#"{"model_type": "bert", "hidden_size": 3.84e2}"#.utf8), file: "config.json")) { error in
            XCTAssertEqual(error as? CheckpointError, CheckpointError(
                file: "config.json", problem: "hidden_size is 384.0; expected an integer"))
        }
    }
}
