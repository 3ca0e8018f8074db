// GGUF SentencePiece ("llama") tokenizers against llama.cpp's SPM tokenizer (fixtures written by
// Tests/Fixtures/sentencepiece/generate_gguf_spm_fixtures.py): the vocabulary is bpe.model's, as
// GGUF metadata; ids and UTF-8 offsets on every line of corpus.jsonl and fuzz.jsonl (where
// llama.cpp equals bpe_expected.jsonl, sentencepiece on the whole text, except the lines
// gguf_spm_expected.json lists: typed `<s>`, `</s>`, `<unk>`) and on its extra texts; BOS/EOS,
// special tokens typed in the text, display, decode, and errors for malformed metadata.

import Foundation
import XCTest
@testable import HeedTokenizers

enum GGUFSentencePieceFixtures {
    struct Row: Decodable {
        var corpus: String?
        var line: Int?
        var text: String
        var ids: [Int]
        /// Flattened (begin, end) UTF-8 byte pairs.
        var offsets: [Int]
    }

    struct Variant: Decodable {
        /// Token id (as a string) -> the token_type that replaces bpe.model's.
        var retype: [String: Int32]
        var rows: [Row]
    }

    struct Expected: Decodable {
        var bos_id: Int
        var eos_id: Int
        var differing: [Row]
        var extra: [Row]
        var variant: Variant
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: SentencePieceFixtures.url("gguf_spm_expected.json")))
    }

    /// bpe.model's pieces as the GGUF keys bpe-llama.gguf holds.
    static func metadata(addBOS: Bool? = true, addEOS: Bool? = false, addSpacePrefix: Bool? = true) throws -> GGMLTokenizerMetadata {
        let file = try SentencePieceModelFile(url: SentencePieceFixtures.url("bpe.model"))
        return GGMLTokenizerMetadata(
            model: "llama", tokens: file.pieces.map(\.piece), tokenTypes: file.pieces.map { Int32($0.type.rawValue) },
            scores: file.pieces.map(\.score), bosTokenID: 1, eosTokenID: 2, unknownTokenID: 0,
            addBOSToken: addBOS, addEOSToken: addEOS, addSpacePrefix: addSpacePrefix)
    }
}

final class GGUFSentencePieceTests: XCTestCase {
    /// Compares ids and UTF-8 offsets; returns a description of the first mismatch. The expected
    /// offsets are sentencepiece's, where a piece without surface (the dummy-prefix ▁, the leading
    /// bytes of a byte-fallback character) has begin == end; Heed gives such a piece the span of
    /// the next piece that has one (SentencePieceProcessor.tokens), and so does this comparison.
    private func mismatch(_ tokenizer: Tokenizer, _ text: String, ids: [Int], offsets raw: [Int]) -> String? {
        var offsets = raw
        var next: (Int, Int)? = nil
        for k in stride(from: offsets.count - 2, through: 0, by: -2) {
            if offsets[k] == offsets[k + 1] {
                if let next { offsets[k] = next.0; offsets[k + 1] = next.1 }
            } else {
                next = (offsets[k], offsets[k + 1])
            }
        }
        let encoding = tokenizer.encode(text, addSpecialTokens: false)
        let gotOffsets = encoding.tokens.flatMap { [$0.span.utf8.lowerBound, $0.span.utf8.upperBound] }
        if encoding.ids == ids && gotOffsets == offsets { return nil }
        return "\(visible(text)):\n  ids     \(encoding.ids)\n  llama   \(ids)\n  offsets \(gotOffsets)\n  expect  \(offsets)"
    }

    func testCorpusAndFuzzMatchLlamaCpp() throws {
        let tokenizer = try Tokenizer(ggml: GGUFSentencePieceFixtures.metadata())
        let corpus = try TokenizerFixtures.corpus()
        let fuzz = try TokenizerFixtures.readLines("fuzz.jsonl", as: String.self)
        var expected = try SentencePieceFixtures.lines("bpe_expected.jsonl", as: SentencePieceFixtures.Expected.self)
        XCTAssertEqual(expected.count, corpus.count + fuzz.count)
        let fixture = try GGUFSentencePieceFixtures.expected()
        XCTAssertGreaterThan(fixture.differing.count, 0)
        for row in fixture.differing {
            let index = (row.corpus == "fuzz" ? corpus.count : 0) + (row.line ?? -1)
            XCTAssertEqual((corpus + fuzz)[index], row.text)
            expected[index] = SentencePieceFixtures.Expected(ids: row.ids, offsets: row.offsets)
        }
        var failures: [String] = []
        for (text, row) in zip(corpus + fuzz, expected) {
            if let m = mismatch(tokenizer, text, ids: row.ids, offsets: row.offsets) { failures.append(m) }
        }
        XCTAssertEqual(failures.count, 0, "first mismatches:\n" + failures.prefix(5).joined(separator: "\n"))
    }

    /// Odd whitespace, leading spaces, emoji, characters without a piece (bytes), typed special tokens.
    func testExtraTextsMatchLlamaCpp() throws {
        let tokenizer = try Tokenizer(ggml: GGUFSentencePieceFixtures.metadata())
        let rows = try GGUFSentencePieceFixtures.expected().extra
        XCTAssertGreaterThan(rows.count, 30)
        let failures = rows.compactMap { mismatch(tokenizer, $0.text, ids: $0.ids, offsets: $0.offsets) }
        XCTAssertEqual(failures.count, 0, "first mismatches:\n" + failures.prefix(5).joined(separator: "\n"))
    }

    /// A vocabulary with user-defined tokens (type 4: taken whole before anything else, plain
    /// tokens, the text after one gets the space prefix) and unused ones (type 5: merge results
    /// as in llama.cpp, not split back as sentencepiece does).
    func testUserDefinedAndUnusedTokensMatchLlamaCpp() throws {
        let variant = try GGUFSentencePieceFixtures.expected().variant
        var metadata = try GGUFSentencePieceFixtures.metadata()
        XCTAssertEqual(Set(variant.retype.values), [4, 5])
        for (id, type) in variant.retype { metadata.tokenTypes![Int(id)!] = type }
        let tokenizer = try Tokenizer(ggml: metadata)
        XCTAssertGreaterThan(variant.rows.count, 100)
        let failures = variant.rows.compactMap { mismatch(tokenizer, $0.text, ids: $0.ids, offsets: $0.offsets) }
        XCTAssertEqual(failures.count, 0, "first mismatches:\n" + failures.prefix(5).joined(separator: "\n"))

        let ing = try XCTUnwrap(tokenizer.id(forToken: "ing"))
        XCTAssertEqual(metadata.tokenTypes![ing], 4)
        let encoding = tokenizer.encode("testing it", addSpecialTokens: false)
        let token = try XCTUnwrap(encoding.tokens.first { $0.id == ing })
        XCTAssertFalse(token.special)
        XCTAssertEqual(token.span.utf8, 4..<7)
        XCTAssertEqual(encoding.tokens.last?.text, "▁it")
        XCTAssertEqual(encoding.tokens[encoding.tokens.count - 2].text, "▁")  // the prefix after "ing", then " it"
        XCTAssertFalse(tokenizer.specialTokenIDs.contains(ing))
    }

    func testBOSAndEOS() throws {
        let fixture = try GGUFSentencePieceFixtures.expected()
        let text = "Hello world"
        let plain = try Tokenizer(ggml: GGUFSentencePieceFixtures.metadata()).encode(text, addSpecialTokens: false)
        XCTAssertFalse(plain.ids.isEmpty)

        // add_bos_token true (and absent: llama.cpp's default), add_eos_token false.
        for metadata in [try GGUFSentencePieceFixtures.metadata(), try GGUFSentencePieceFixtures.metadata(addBOS: nil, addEOS: nil)] {
            let encoding = try Tokenizer(ggml: metadata).encode(text)
            XCTAssertEqual(encoding.ids, [fixture.bos_id] + plain.ids)
            XCTAssertEqual(encoding.tokens[0].text, "<s>")
            XCTAssertTrue(encoding.tokens[0].special)
            XCTAssertNil(encoding.tokens[0].word)
            XCTAssertEqual(encoding.tokens[0].span, .empty)
        }
        let both = try Tokenizer(ggml: GGUFSentencePieceFixtures.metadata(addBOS: true, addEOS: true))
        XCTAssertEqual(both.encode(text).ids, [fixture.bos_id] + plain.ids + [fixture.eos_id])
        XCTAssertEqual(both.encode(text, addSpecialTokens: false).ids, plain.ids)
        XCTAssertEqual(both.encode("").ids, [fixture.bos_id, fixture.eos_id])
        let none = try Tokenizer(ggml: GGUFSentencePieceFixtures.metadata(addBOS: false))
        XCTAssertEqual(none.encode(text).ids, plain.ids)
        XCTAssertEqual(none.encode("").ids, [])
    }

    /// A typed control token is one special token with its span, and the text after it gets
    /// the space prefix again (llama.cpp); without add_space_prefix no text gets one.
    func testTypedSpecialTokensAndSpacePrefix() throws {
        let tokenizer = try Tokenizer(ggml: GGUFSentencePieceFixtures.metadata())
        let encoding = tokenizer.encode("a<s>b", addSpecialTokens: false)
        let pieces = encoding.tokens.map(\.text)
        XCTAssertEqual(pieces, ["▁a", "<s>", "▁b"])
        XCTAssertEqual(encoding.tokens.map(\.special), [false, true, false])
        XCTAssertEqual(encoding.tokens.map(\.word), [0, 1, 2])
        XCTAssertEqual(encoding.tokens[1].span.utf8, 1..<4)
        XCTAssertEqual(encoding.tokens[2].span.utf8, 4..<5)

        let bare = try Tokenizer(ggml: GGUFSentencePieceFixtures.metadata(addSpacePrefix: false))
        XCTAssertEqual(bare.encode("a<s>b", addSpecialTokens: false).tokens.map(\.text), ["a", "<s>", "b"])
        XCTAssertEqual(bare.encode(" a", addSpecialTokens: false).tokens.map(\.text),
                       tokenizer.encode("a", addSpecialTokens: false).tokens.map(\.text))
    }

    func testLookupsDisplayAndDecode() throws {
        let tokenizer = try Tokenizer(ggml: GGUFSentencePieceFixtures.metadata())
        XCTAssertEqual(tokenizer.vocabSize, 1000)
        XCTAssertEqual(tokenizer.token(forID: 1), "<s>")
        XCTAssertEqual(tokenizer.id(forToken: "</s>"), 2)
        XCTAssertEqual(tokenizer.id(forToken: "<0x41>"), 3 + 0x41)
        XCTAssertNil(tokenizer.token(forID: 1000))
        XCTAssertTrue(tokenizer.specialTokenIDs.isSuperset(of: [0, 1, 2]))
        let word = try XCTUnwrap((3..<1000).first { tokenizer.token(forID: $0)!.hasPrefix("▁") && tokenizer.token(forID: $0)!.count > 2 })
        XCTAssertEqual(tokenizer.display(forID: word), " " + tokenizer.token(forID: word)!.dropFirst())
        XCTAssertEqual(tokenizer.display(forID: tokenizer.id(forToken: "<0x41>")!), "A")
        XCTAssertEqual(tokenizer.display(forID: 1), "<s>")

        for text in ["Hello world", "  two leading spaces", "emoji 👍🏽 and \u{2603}", "tabs\tand\nnewlines"] {
            let ids = tokenizer.encode(text).ids
            XCTAssertEqual(tokenizer.decode(ids, skipSpecialTokens: true), text)
        }
    }

    func testMalformedMetadataErrorsNameTheKey() throws {
        let good = try GGUFSentencePieceFixtures.metadata()
        XCTAssertNoThrow(try Tokenizer(ggml: good))
        func changed(_ change: (inout GGMLTokenizerMetadata) -> Void) -> GGMLTokenizerMetadata {
            var metadata = good
            change(&metadata)
            return metadata
        }
        let cases: [(GGMLTokenizerMetadata, String)] = [
            (changed { $0.tokens = []; $0.tokenTypes = []; $0.scores = [] }, "tokenizer.ggml.tokens"),
            (changed { $0.tokenTypes = Array($0.tokenTypes!.dropLast()) }, "tokenizer.ggml.token_type"),
            (changed { $0.scores = Array($0.scores!.dropLast()) }, "tokenizer.ggml.scores"),
            (changed { $0.tokenTypes![10] = 7 }, "tokenizer.ggml.token_type[10]"),
            (changed { $0.tokenTypes![10] = 0 }, "tokenizer.ggml.token_type[10]"),
            (changed { $0.bosTokenID = 1000 }, "tokenizer.ggml.bos_token_id"),
            (changed { $0.eosTokenID = -1 }, "tokenizer.ggml.eos_token_id"),
            (changed { $0.unknownTokenID = 5000 }, "tokenizer.ggml.unknown_token_id"),
            (changed { $0.paddingTokenID = 1000 }, "tokenizer.ggml.padding_token_id"),
            (changed { $0.tokens[500] = "" }, "tokenizer.ggml.tokens[500]"),
            (changed { $0.tokens[500] = $0.tokens[499] }, "tokenizer.ggml.tokens[500]"),
            (changed { $0.tokenTypes![0] = 1; $0.unknownTokenID = 1 }, "tokenizer.ggml.unknown_token_id"),
            (changed { $0.tokenTypes![700] = 2 }, "tokenizer.ggml.token_type"),
            (changed { $0.tokenTypes![3] = 1 }, "tokenizer.ggml.token_type"),
            (changed { $0.tokenTypes![700] = 6 }, "tokenizer.ggml.tokens[700]"),
            (changed { $0.addEOSToken = true; $0.eosTokenID = nil; $0.tokens = Array($0.tokens.prefix(2)); $0.tokenTypes = [2, 3]; $0.scores = [0, 0]; $0.bosTokenID = 1 },
             "tokenizer.ggml.add_eos_token"),
        ]
        for (metadata, key) in cases {
            do {
                _ = try Tokenizer(ggml: metadata)
                XCTFail("expected an error naming \(key)")
            } catch let error as TokenizerError {
                XCTAssertEqual(error.kind, .invalidConfiguration, key)
                XCTAssertTrue(error.message.contains(key), "\(error) should name \(key)")
                XCTAssertTrue(error.description.hasPrefix("GGUF tokenizer metadata: "), "\(error)")
            }
        }
    }

    /// Missing optional arrays take llama.cpp's defaults (type normal, score 0; unknown id 0):
    /// every merge then ties, and the leftmost pair merges first ("ab" and "ba" give these ids
    /// in llama.cpp, llama-cpp-python 0.3.36; "c", no token and no byte tokens, aborts it).
    func testMissingTypesAndScoresTakeLlamaCppDefaults() throws {
        let metadata = GGMLTokenizerMetadata(model: "llama", tokens: ["<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "▁ab"])
        let tokenizer = try Tokenizer(ggml: metadata)
        XCTAssertEqual(tokenizer.encode("ab").ids, [1, 8])
        XCTAssertEqual(tokenizer.encode("ba", addSpecialTokens: false).ids, [3, 5, 4])
        XCTAssertEqual(tokenizer.encode("c", addSpecialTokens: false).ids, [3, 0])
    }
}
