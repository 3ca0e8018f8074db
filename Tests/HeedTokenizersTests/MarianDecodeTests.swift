// MarianTokenizer.decode against transformers 5.23.0 (Tests/Fixtures/models/tiny-marian/greedy.json,
// generate_marian_greedy_fixtures.py): `tok.decode(ids, skip_special_tokens=True)` (the source
// SentencePiece model: the vocabulary is shared), with `use_source_tokenizer=False` (the target
// model: byte pieces become bytes) and with `skip_special_tokens=False`, on the fixture's target
// sentences, the greedy outputs and hand-picked lists (leading U+2581, byte pieces forming é,
// invalid UTF-8, special tokens inside, bare U+2581 pieces, nothing but specials, nothing); a
// language code, which transformers keeps.

import Foundation
import HeedTokenizers
import XCTest

final class MarianDecodeTests: XCTestCase {
    private struct Greedy: Decodable {
        struct Decode: Decodable {
            let ids: [Int]
            let text: String
            let target_spm: String
            let keep_special: String
        }
        let decode: [Decode]
    }

    private static let directory = TokenizerFixtures.directory.deletingLastPathComponent().appendingPathComponent("models/tiny-marian")

    func testDecodeMatchesTransformers() throws {
        let tokenizer = try MarianTokenizer(directory: Self.directory)
        XCTAssertFalse(tokenizer.separateVocabs)
        let fixture = try JSONDecoder().decode(Greedy.self, from: Data(contentsOf: Self.directory.appendingPathComponent("greedy.json")))
        XCTAssertGreaterThanOrEqual(fixture.decode.count, 10)
        var differingModels = 0
        for c in fixture.decode {
            // Unicode scalars compared, not canonical equivalents.
            XCTAssertEqual(Array(tokenizer.decode(c.ids).unicodeScalars), Array(c.text.unicodeScalars), "\(c.ids)")
            XCTAssertEqual(Array(tokenizer.decode(c.ids, side: .target, useSourceSentencePiece: false).unicodeScalars),
                           Array(c.target_spm.unicodeScalars), "target spm \(c.ids)")
            XCTAssertEqual(Array(tokenizer.decode(c.ids, skipSpecialTokens: false).unicodeScalars),
                           Array(c.keep_special.unicodeScalars), "keep special \(c.ids)")
            if c.text != c.target_spm { differingModels += 1 }
        }
        // The fixture has lists on which the two SentencePiece models disagree (byte pieces).
        XCTAssertGreaterThan(differingModels, 2)
    }

    func testDecodeInvertsEncodeOnPlainText() throws {
        let tokenizer = try MarianTokenizer(directory: Self.directory)
        for text in ["Der schnelle braune Fuchs springt.", "Hallo", "Es war die beste der Zeiten."] {
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(text, side: .target).ids, useSourceSentencePiece: false), text)
        }
        // An id outside the vocabulary and the SentencePiece model is `<unk>`, a special token
        // (transformers raises: "piece id is out of range"; Heed does not fail on bad ids).
        XCTAssertEqual(tokenizer.decode([26, 99_999], skipSpecialTokens: false), "the<unk>")
    }

    func testSentencePieceDecodeRules() throws {
        let bpe = try MarianTokenizer(directory: Self.directory).target
        // Byte pieces: é from two bytes, a lone lead byte and 0xFF each U+FFFD.
        XCTAssertEqual(bpe.decode(pieces: ["<0xC3>", "<0xA9>", "▁a"]), "é a")
        XCTAssertEqual(bpe.decode(pieces: ["<0xC3>", "▁a", "<0xFF>"]), "\u{FFFD} a\u{FFFD}")
        // A string that is not a piece stays as it is (U+2581 included); the unknown piece gives
        // the unk surface; control pieces give nothing. (Each expected value is sentencepiece
        // 0.2.3's `decode_pieces` on target.spm.)
        XCTAssertEqual(bpe.decode(pieces: ["▁nonexistentpiece", "▁a"]), "▁nonexistentpiece a")
        XCTAssertEqual(bpe.decode(pieces: ["<unk>"]), bpe.file.unknownSurface)
        XCTAssertEqual(bpe.file.unknownSurface, " \u{2047} ")
        XCTAssertEqual(bpe.decode(pieces: ["</s>", "▁a"]), "a")
        XCTAssertEqual(bpe.decode(pieces: []), "")
    }

    /// A language code is no special token in transformers: `decode` keeps it (transformers
    /// 5.23.0 gives ">>de<< the a" for these ids with ">>de<<" added to vocab.json as 1132).
    func testLanguageCodeIsKept() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("heed-marian-code-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["source.spm", "target.spm"] {
            try FileManager.default.copyItem(at: Self.directory.appendingPathComponent(name).resolvingSymlinksInPath(),
                                             to: dir.appendingPathComponent(name))
        }
        var vocab = try String(contentsOf: Self.directory.appendingPathComponent("vocab.json").resolvingSymlinksInPath(), encoding: .utf8)
        let close = try XCTUnwrap(vocab.range(of: "}", options: .backwards))
        vocab.replaceSubrange(close, with: ", \">>de<<\": 1132}")
        try Data(vocab.utf8).write(to: dir.appendingPathComponent("vocab.json"))
        let tokenizer = try MarianTokenizer(directory: dir)
        XCTAssertEqual(tokenizer.encode(">>de<< Hallo").ids.first, 1132)
        XCTAssertEqual(tokenizer.decode([1132, 26, 44, 0]), ">>de<< the a")
    }
}
