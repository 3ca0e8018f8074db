// SentencePiece model files read by Heed against the `sentencepiece` package 0.2.3 (fixtures
// written by Tests/Fixtures/sentencepiece/generate_sentencepiece_fixtures.py): ids and UTF-8
// offsets on every line of corpus.jsonl and fuzz.jsonl for a Unigram model (nmt_nfkc charsmap,
// extra whitespace removed) and a BPE model (identity, byte fallback, whitespace kept); Marian's
// tokenizer (source.spm + target.spm + vocab.json) against transformers' MarianTokenizer.

import Foundation
import XCTest
@testable import HeedTokenizers

enum SentencePieceFixtures {
    static let directory = TokenizerFixtures.directory.deletingLastPathComponent().appendingPathComponent("sentencepiece")
    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    struct Expected: Decodable {
        var ids: [Int]
        /// Flattened (begin, end) UTF-8 byte pairs.
        var offsets: [Int]
    }

    struct MarianExpected: Decodable {
        var source: [Int]
        var target: [Int]
    }

    static func lines<T: Decodable>(_ name: String, as type: T.Type) throws -> [T] {
        let data = try Data(contentsOf: url(name))
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(T.self, from: Data($0)) }
    }

    /// A Marian tokenizer directory in a temporary folder: unigram.model as source.spm, bpe.model
    /// as target.spm, marian-vocab.json as vocab.json.
    static func marianDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("heed-marian-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: url("unigram.model"), to: directory.appendingPathComponent("source.spm"))
        try FileManager.default.copyItem(at: url("bpe.model"), to: directory.appendingPathComponent("target.spm"))
        try FileManager.default.copyItem(at: url("marian-vocab.json"), to: directory.appendingPathComponent("vocab.json"))
        return directory
    }
}

final class SentencePieceModelTests: XCTestCase {
    func testReadsTheModelFiles() throws {
        let unigram = try SentencePieceModelFile(url: SentencePieceFixtures.url("unigram.model"))
        XCTAssertEqual(unigram.modelType, .unigram)
        XCTAssertEqual(unigram.pieces.count, 600)
        XCTAssertEqual(unigram.pieces[0], .init(piece: "<unk>", score: 0, type: .unknown))
        XCTAssertEqual(unigram.pieces[1].type, .control)
        XCTAssertEqual(unigram.normalizer.name, "nmt_nfkc")
        XCTAssertEqual(unigram.normalizer.precompiledCharsmap.count, 240007)
        XCTAssertTrue(unigram.normalizer.addDummyPrefix && unigram.normalizer.removeExtraWhitespaces && unigram.normalizer.escapeWhitespaces)
        XCTAssertFalse(unigram.byteFallback)
        XCTAssertTrue(unigram.pieces[3...].allSatisfy { $0.score < 0 || $0.piece == "▁" })

        let bpe = try SentencePieceModelFile(url: SentencePieceFixtures.url("bpe.model"))
        XCTAssertEqual(bpe.modelType, .bpe)
        XCTAssertEqual(bpe.pieces.count, 1000)
        XCTAssertEqual(bpe.normalizer.name, "identity")
        XCTAssertTrue(bpe.normalizer.precompiledCharsmap.isEmpty)
        XCTAssertFalse(bpe.normalizer.removeExtraWhitespaces)
        XCTAssertTrue(bpe.byteFallback)
        XCTAssertEqual(bpe.pieces.filter { $0.type == .byte }.count, 256)
    }

    func testMalformedFilesThrow() {
        for bytes: [UInt8] in [[], [0x0A], [0x0A, 0x05, 0x0A], [0x0B], [0x0A, 0x02, 0x18, 0x09]] {
            XCTAssertThrowsError(try SentencePieceModelFile(bytes: bytes), "\(bytes)") { error in
                XCTAssertEqual((error as? TokenizerError)?.kind, .invalidConfiguration)
            }
        }
        // A model without an UNKNOWN piece.
        var file = try! SentencePieceModelFile(url: SentencePieceFixtures.url("bpe.model"))
        file.pieces[0].type = .control
        XCTAssertThrowsError(try SentencePieceProcessor(file: file))
        file.modelType = .word
        XCTAssertThrowsError(try SentencePieceProcessor(file: file)) { error in
            XCTAssertEqual((error as? TokenizerError)?.kind, .unsupportedComponent)
        }
    }

    func testMatchesSentencePiece() throws {
        let texts = try TokenizerFixtures.corpus() + TokenizerFixtures.readLines("fuzz.jsonl", as: String.self)
        for name in ["unigram", "bpe"] {
            let processor = try SentencePieceProcessor(url: SentencePieceFixtures.url("\(name).model"))
            let expected = try SentencePieceFixtures.lines("\(name)_expected.jsonl", as: SentencePieceFixtures.Expected.self)
            XCTAssertEqual(expected.count, texts.count)
            var failures = 0
            for (line, (text, want)) in zip(texts, expected).enumerated() {
                let pieces = processor.encode(text)
                let offsets = pieces.flatMap { [$0.utf8.lowerBound, $0.utf8.upperBound] }
                if pieces.map(\.id) != want.ids || offsets != want.offsets {
                    failures += 1
                    if failures <= 5 {
                        XCTFail("\(name) line \(line) \(visible(text)):\n ids \(pieces.map(\.id))\n want \(want.ids)\n offsets \(offsets)\n want \(want.offsets)")
                    }
                }
            }
            XCTAssertEqual(failures, 0, "\(name): \(failures) of \(texts.count) lines differ")
        }
    }

    /// A Unigram model with user-defined symbols (matched whole, longest first, in the normalizer
    /// and the lattice with their bonus) and a control symbol (typed, never matched).
    func testUserDefinedSymbolsMatchSentencePiece() throws {
        let processor = try SentencePieceProcessor(url: SentencePieceFixtures.url("user.model"))
        XCTAssertEqual(processor.file.pieces.filter { $0.type == .userDefined }.map(\.piece), ["<sep>", "@@", "http", "ht"])
        let texts = ["a<sep>b", "<sep>", " <sep> x ", "http://x.org ht htt", "@@@ x@@y", "<ctl> text<ctl>", "hthttp",
                     "  leading and trailing  ", "\tTab\u{3000}ideographic space", "naïve café", ""]
            + Array(try TokenizerFixtures.corpus().prefix(200))
        let expected = try SentencePieceFixtures.lines("user_expected.jsonl", as: SentencePieceFixtures.Expected.self)
        XCTAssertEqual(expected.count, texts.count)
        var differing: [Int] = []
        for (line, (text, want)) in zip(texts, expected).enumerated() {
            let pieces = processor.encode(text)
            if pieces.map(\.id) != want.ids || pieces.flatMap({ [$0.utf8.lowerBound, $0.utf8.upperBound] }) != want.offsets {
                differing.append(line)
            }
        }
        XCTAssertEqual(differing, [])
        // User-defined pieces score 0.1 * (bytes - 1) in 0.2.3: "@" + "@@" beats "@@" + "@" by float rounding.
        XCTAssertEqual(processor.encode("@@@").map(\.piece), ["▁", "@", "@@"])
        XCTAssertEqual(processor.encode("a<sep>b").map(\.piece), ["▁a", "<sep>", "b"])
        XCTAssertEqual(processor.encode("hthttp").map(\.piece), ["▁", "ht", "http"])
    }

    /// Texts whose Unigram path scores pass -100000 (12,000 unknown characters at about -20
    /// each): sentencepiece 0.2.3 re-bases the scores there; ids and offsets still match. (The
    /// re-basing only changes float rounding: these texts give the same pieces without it.)
    func testLongTextsMatchSentencePiece() throws {
        let text = String(repeating: "\u{2603}", count: 6000) + String(repeating: " the quick brown fox jumps over the lazy dog", count: 5)
            + " " + String(repeating: "\u{2603}", count: 6000) + String(repeating: " @@@ http ht x@@y", count: 5)
            + String(repeating: " \u{2603}\u{2603} abc", count: 20)
        let expected = try SentencePieceFixtures.lines("long_expected.jsonl", as: [SentencePieceFixtures.Expected].self)
        for (name, want) in zip(["unigram", "user"], expected) {
            let pieces = try SentencePieceProcessor(url: SentencePieceFixtures.url("\(name).model")).encode(text)
            XCTAssertEqual(pieces.map(\.id), want[0].ids, name)
            XCTAssertEqual(pieces.flatMap { [$0.utf8.lowerBound, $0.utf8.upperBound] }, want[0].offsets, name)
        }
    }

    func testEncodingSpansAndWords() throws {
        let processor = try SentencePieceProcessor(url: SentencePieceFixtures.url("unigram.model"))
        let text = "  Héllo  wörld ☃☃x "
        let encoding = processor.encoding(text)
        // sentencepiece: ▁ (2,2) H é l l o ▁(8,10) w ö r l d ▁ ☃☃(unknown, 17..23 bytes) x; the
        // dummy-prefix ▁ (no surface) takes the span of the H after it.
        XCTAssertEqual(encoding.tokens.first?.text, "\u{2581}")
        XCTAssertEqual(encoding.tokens.first?.span.scalars, 2..<3)
        XCTAssertEqual(encoding.tokens[1].span.scalars, 2..<3)
        let snowmen = try XCTUnwrap(encoding.tokens.first { $0.id == processor.unknownID })
        XCTAssertEqual(snowmen.text, "☃☃")
        XCTAssertEqual(snowmen.span.scalars, 15..<17)
        XCTAssertEqual(snowmen.span.utf8, 17..<23)
        XCTAssertEqual(encoding.tokens.map(\.word), [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2])
        // Byte fallback (sentencepiece: ▁(0,0) <0xE7>(0,0) <0x8C>(0,0) <0xAB>(0,3) が(3,6)): every byte
        // piece of 猫 and the ▁ before it have 猫's span; no token but inserted ones has an empty span.
        let bpe = try SentencePieceProcessor(url: SentencePieceFixtures.url("bpe.model")).encoding("猫が")
        XCTAssertEqual(bpe.tokens.map(\.text), ["\u{2581}", "<0xE7>", "<0x8C>", "<0xAB>", "が"])
        XCTAssertEqual(bpe.tokens.map(\.span.scalars), [0..<1, 0..<1, 0..<1, 0..<1, 1..<2])
        XCTAssertEqual(bpe.tokens.map(\.span.utf8), [0..<3, 0..<3, 0..<3, 0..<3, 3..<6])
    }

    func testMarianTokenizerMatchesTransformers() throws {
        let directory = try SentencePieceFixtures.marianDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenizer = try MarianTokenizer(directory: directory)
        let texts = try TokenizerFixtures.corpus()
        let expected = try SentencePieceFixtures.lines("marian_expected.jsonl", as: SentencePieceFixtures.MarianExpected.self)
        XCTAssertEqual(expected.count, 300)
        for (line, want) in expected.enumerated() {
            XCTAssertEqual(tokenizer.encode(texts[line]).ids, want.source, "source line \(line)")
            XCTAssertEqual(tokenizer.encode(texts[line], side: .target).ids, want.target, "target line \(line)")
        }
        let encoding = tokenizer.encode(">>de<< Hello")
        XCTAssertEqual(encoding.tokens.first?.id, tokenizer.unknownID)  // no >>de<< in this vocabulary
        XCTAssertEqual(encoding.tokens.first?.span.scalars, 0..<6)
        XCTAssertEqual(encoding.tokens.last?.id, tokenizer.eosID)
        XCTAssertEqual(tokenizer.eosID, 0)
        XCTAssertEqual(tokenizer.padID, tokenizer.vocabSize - 1)
    }
}
