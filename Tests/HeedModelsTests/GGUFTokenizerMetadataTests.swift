// GGUF -> GGMLTokenizerMetadata: every tokenizer key read into its field, absent optional keys
// as nil, and one test per inconsistency (missing model or tokens, empty vocabulary, token_type
// or scores of the wrong length, special-token ids outside the vocabulary, wrong value types).

import Foundation
import HeedCheckpoints
import HeedModels
import HeedTestSupport
import HeedTokenizers
import XCTest

final class GGUFTokenizerMetadataTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("heed-gguf-tok-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    private let tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "a", "b", "ab", "Ġ", "Ġab"]

    /// A GGUF file with SmolLM2-like tokenizer keys; `change` edits the key/value list first.
    private func file(_ change: (inout [(String, GGUFWriter.Value)]) -> Void = { _ in }) throws -> URL {
        var entries: [(String, GGUFWriter.Value)] = [
            ("general.architecture", .string("llama")),
            ("tokenizer.ggml.add_space_prefix", .bool(false)),
            ("tokenizer.ggml.add_bos_token", .bool(false)),
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .strings(tokens)),
            ("tokenizer.ggml.token_type", .int32s([3, 3, 3, 1, 1, 1, 1, 1])),
            ("tokenizer.ggml.merges", .strings(["a b", "Ġ ab"])),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)),
            ("tokenizer.ggml.padding_token_id", .uint32(2)),
        ]
        change(&entries)
        var writer = GGUFWriter()
        for (key, value) in entries { writer.add(key, value) }
        let url = directory.appendingPathComponent("model-\(UUID().uuidString).gguf")
        try writer.write(to: url)
        return url
    }

    private func assertRejected(_ rule: GGUFError.Rule, _ fragments: [String], line: UInt = #line,
                                _ change: (inout [(String, GGUFWriter.Value)]) -> Void) throws {
        let url = try file(change)
        XCTAssertThrowsError(try GGMLTokenizerMetadata(ggufAt: url), line: line) { error in
            guard let e = error as? GGUFError else { return XCTFail("expected a GGUFError, got \(error)", line: line) }
            XCTAssertEqual(e.rule, rule, e.problem, line: line)
            XCTAssertEqual(e.file, url.path, line: line)
            for fragment in fragments { XCTAssertTrue(e.problem.contains(fragment), "'\(e.problem)' lacks '\(fragment)'", line: line) }
        }
    }

    func testReadsEveryKey() throws {
        let metadata = try GGMLTokenizerMetadata(ggufAt: try file { entries in
            entries.append(("tokenizer.ggml.scores", .float32s([0, -1, -2, -3, -4, -5, -6, -7])))
            entries.append(("tokenizer.ggml.add_eos_token", .bool(true)))
        })
        XCTAssertEqual(metadata, GGMLTokenizerMetadata(
            model: "gpt2", pre: "smollm", tokens: tokens, tokenTypes: [3, 3, 3, 1, 1, 1, 1, 1],
            scores: [0, -1, -2, -3, -4, -5, -6, -7], merges: ["a b", "Ġ ab"], bosTokenID: 1, eosTokenID: 2,
            unknownTokenID: 0, paddingTokenID: 2, addBOSToken: false, addEOSToken: true, addSpacePrefix: false))
    }

    /// The committed SentencePiece GGUF (Tests/Fixtures/sentencepiece/bpe-llama.gguf, written by
    /// generate_gguf_spm_fixtures.py from bpe.model with the `gguf` package) reads back as
    /// bpe.model's pieces, scores and types; as a model file it loads tokenizer-only (no tensors)
    /// and encodes as llama.cpp does (BOS, then the pieces).
    func testSentencePieceGGUFFixture() throws {
        let url = Fixtures.url("sentencepiece/bpe-llama.gguf")
        let metadata = try GGMLTokenizerMetadata(ggufAt: url)
        let spm = try SentencePieceModelFile(url: Fixtures.url("sentencepiece/bpe.model"))
        XCTAssertEqual(metadata, GGMLTokenizerMetadata(
            model: "llama", tokens: spm.pieces.map(\.piece), tokenTypes: spm.pieces.map { Int32($0.type.rawValue) },
            scores: spm.pieces.map(\.score), bosTokenID: 1, eosTokenID: 2, unknownTokenID: 0,
            addBOSToken: true, addEOSToken: false, addSpacePrefix: true))
        let model = try LoadedModel.load(id: "bpe-llama", directory: url)
        XCTAssertFalse(model.canRun)
        XCTAssertEqual(model.shape.family, "llama")
        let encoding = model.tokenizer.encode("Hello world")
        XCTAssertEqual(encoding.ids.first, 1)
        XCTAssertEqual(encoding.tokens.dropFirst().map(\.text).joined(), "▁Hello▁world")
        XCTAssertEqual(encoding.tokens.last?.span.utf8.upperBound, 11)
    }

    func testOptionalKeysMayBeAbsent() throws {
        let metadata = try GGMLTokenizerMetadata(ggufAt: try file { entries in
            entries.removeAll { $0.0 != "tokenizer.ggml.model" && $0.0 != "tokenizer.ggml.tokens" }
        })
        XCTAssertEqual(metadata, GGMLTokenizerMetadata(model: "gpt2", tokens: tokens))
    }

    func testSpecialIDsOfAnyIntegerType() throws {
        let metadata = try GGMLTokenizerMetadata(ggufAt: try file { entries in
            entries.removeAll { $0.0.hasSuffix("_token_id") }
            entries.append(("tokenizer.ggml.bos_token_id", .int32(7)))
            entries.append(("tokenizer.ggml.eos_token_id", .uint64(6)))
        })
        XCTAssertEqual(metadata.bosTokenID, 7)
        XCTAssertEqual(metadata.eosTokenID, 6)
        XCTAssertNil(metadata.unknownTokenID)
    }

    func testMissingModel() throws {
        try assertRejected(.missingKey, ["'tokenizer.ggml.model' is absent"]) { $0.removeAll { $0.0 == "tokenizer.ggml.model" } }
    }

    func testMissingTokens() throws {
        try assertRejected(.missingKey, ["'tokenizer.ggml.tokens' is absent"]) { $0.removeAll { $0.0 == "tokenizer.ggml.tokens" } }
    }

    func testEmptyVocabulary() throws {
        try assertRejected(.inconsistentMetadata, ["'tokenizer.ggml.tokens' is an empty array"]) { entries in
            entries.removeAll { $0.0 == "tokenizer.ggml.tokens" || $0.0 == "tokenizer.ggml.token_type" || $0.0.hasSuffix("_token_id") }
            entries.append(("tokenizer.ggml.tokens", .strings([])))
        }
    }

    func testTokenTypeCountDiffers() throws {
        try assertRejected(.inconsistentMetadata, ["'tokenizer.ggml.token_type' has 7 entries", "'tokenizer.ggml.tokens' has 8"]) { entries in
            entries.removeAll { $0.0 == "tokenizer.ggml.token_type" }
            entries.append(("tokenizer.ggml.token_type", .int32s([3, 3, 3, 1, 1, 1, 1])))
        }
    }

    func testScoresCountDiffers() throws {
        try assertRejected(.inconsistentMetadata, ["'tokenizer.ggml.scores' has 9 entries", "'tokenizer.ggml.tokens' has 8"]) { entries in
            entries.append(("tokenizer.ggml.scores", .float32s(Array(repeating: 0, count: 9))))
        }
    }

    func testSpecialIDOutOfRange() throws {
        for key in ["bos_token_id", "eos_token_id", "unknown_token_id", "padding_token_id"] {
            try assertRejected(.inconsistentMetadata, ["'tokenizer.ggml.\(key)' is 8", "vocabulary of 8 tokens (ids 0...7)"]) { entries in
                entries.removeAll { $0.0 == "tokenizer.ggml.\(key)" }
                entries.append(("tokenizer.ggml.\(key)", .uint32(8)))
            }
        }
        try assertRejected(.inconsistentMetadata, ["'tokenizer.ggml.bos_token_id' is -1"]) { entries in
            entries.removeAll { $0.0 == "tokenizer.ggml.bos_token_id" }
            entries.append(("tokenizer.ggml.bos_token_id", .int32(-1)))
        }
    }

    func testWrongValueTypes() throws {
        let cases: [(String, GGUFWriter.Value, String)] = [
            ("tokenizer.ggml.model", .uint32(2), "not a string"),
            ("tokenizer.ggml.pre", .strings(["smollm"]), "not a string"),
            ("tokenizer.ggml.tokens", .string("a"), "not an array of string"),
            ("tokenizer.ggml.token_type", .array(.uint8, Array(repeating: .uint8(1), count: 8)), "not an array of int32"),
            ("tokenizer.ggml.scores", .array(.float64, Array(repeating: .float64(0), count: 8)), "not an array of float32"),
            ("tokenizer.ggml.merges", .int32s([1]), "not an array of string"),
            ("tokenizer.ggml.bos_token_id", .float32(1), "not an integer"),
            ("tokenizer.ggml.add_bos_token", .uint8(0), "not a bool"),
        ]
        for (key, value, wanted) in cases {
            try assertRejected(.wrongValueType, ["'\(key)'", wanted]) { entries in
                entries.removeAll { $0.0 == key }
                entries.append((key, value))
            }
        }
    }
}
