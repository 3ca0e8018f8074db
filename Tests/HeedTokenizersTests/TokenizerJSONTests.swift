// How tokenizer.json is read (HeedJSON with serde_json's choices): the last of duplicate names
// wins, a lone surrogate escape is malformed JSON, and names are compared byte for byte.

import Foundation
import XCTest
import HeedTokenizers

final class TokenizerJSONTests: XCTestCase {
    /// serde_json fills the vocabulary map in file order, so of a repeated token the last id
    /// wins and the earlier id has no token (Rust: `token_to_id("a") == 2`, `id_to_token(1) == None`).
    func testDuplicateVocabularyKeyLastWins() throws {
        let json = #"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1, "a": 2}}}"#
        let tokenizer = try Tokenizer(json: Data(json.utf8))
        XCTAssertEqual(tokenizer.id(forToken: "a"), 2)
        XCTAssertEqual(tokenizer.token(forID: 2), "a")
        XCTAssertNil(tokenizer.token(forID: 1))
        XCTAssertEqual(tokenizer.vocabSize, 2)
    }

    func testLoneSurrogateIsMalformedJSON() {
        let json = #"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "\uD800": 1}}}"#
        XCTAssertThrowsError(try Tokenizer(json: Data(json.utf8))) { error in
            XCTAssertEqual((error as? TokenizerError)?.kind, .malformedJSON)
            XCTAssertEqual((error as? TokenizerError)?.message,
                           "malformed JSON at byte 77: lone surrogate escape \\uD800 (not part of a surrogate pair)")
        }
    }
}
