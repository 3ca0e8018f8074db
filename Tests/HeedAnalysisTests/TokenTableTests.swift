@testable import HeedAnalysis
import Foundation
import HeedKernels
import HeedTestSupport
import HeedTokenizers
import XCTest

/// Token and word tables from MiniLM's tokenizer (hermetic copy in Tests/Fixtures/tokenizer).
final class TokenTableTests: XCTestCase {
    static let tokenizer = try! Tokenizer(url: Fixtures.url("tokenizer/minilm-tokenizer.json"))

    func testWordsGroupSubwordsAndSpecialTokensStandAlone() {
        let text = "Unbelievably, 東京 rocks"
        let table = TokenTable(text: text, encoded: Self.tokenizer.encode(text), encoding: .utf32, tokenizer: Self.tokenizer)
        XCTAssertEqual(table.words.map(\.text), ["", "Unbelievably", ",", "東", "京", "rocks", ""])
        XCTAssertEqual(table.words.first?.special, true)
        XCTAssertEqual(table.words.last?.special, true)
        // Every token points at the word that lists it.
        for t in table.tokens { XCTAssertTrue(table.words[t.word].tokens.contains(t.index)) }
        let unbelievably = table.words[1]
        XCTAssertGreaterThan(unbelievably.tokens.count, 1, "a word of several subwords")
        XCTAssertEqual(unbelievably.start, 0)
        XCTAssertEqual(unbelievably.end, 12)
        XCTAssertEqual(table.tokens.first?.start, table.tokens.first?.end, "the inserted [CLS] has an empty span")
    }

    func testOffsetsInEveryEncoding() {
        let text = "Zoë 🚀 café"
        let encoded = Self.tokenizer.encode(text)
        for encoding in PositionEncoding.allCases {
            let table = TokenTable(text: text, encoded: encoded, encoding: encoding, tokenizer: Self.tokenizer)
            let cafe = table.words.first { $0.text == "café" }!
            switch encoding {
            case .utf8: XCTAssertEqual(cafe.start..<cafe.end, 10..<15)
            case .utf16: XCTAssertEqual(cafe.start..<cafe.end, 7..<11)
            case .utf32: XCTAssertEqual(cafe.start..<cafe.end, 6..<10)
            }
        }
    }

    /// A special token typed in the text keeps its span in every encoding, as a token and as a
    /// word of its own; only the inserted [CLS] and [SEP] have the empty span.
    func testTypedSpecialTokenKeepsItsSpanInEveryEncoding() {
        let text = "Zoë 🚀 [MASK] sat."
        let encoded = Self.tokenizer.encode(text)
        // transformers: [CLS] zoe [UNK] [MASK] sat . [SEP], offsets (0,0) (0,3) (4,5) (6,12) (13,16) (16,17) (0,0)
        let expected: [PositionEncoding: [Range<Int>]] = [
            .utf32: [0..<0, 0..<3, 4..<5, 6..<12, 13..<16, 16..<17, 0..<0],
            .utf16: [0..<0, 0..<3, 4..<6, 7..<13, 14..<17, 17..<18, 0..<0],
            .utf8: [0..<0, 0..<4, 5..<9, 10..<16, 17..<20, 20..<21, 0..<0],
        ]
        for encoding in PositionEncoding.allCases {
            let table = TokenTable(text: text, encoded: encoded, encoding: encoding, tokenizer: Self.tokenizer)
            XCTAssertEqual(table.tokens.map(\.text), ["[CLS]", "zoe", "[UNK]", "[MASK]", "sat", ".", "[SEP]"])
            XCTAssertEqual(table.tokens.map { $0.start..<$0.end }, expected[encoding], encoding.rawValue)
            XCTAssertEqual(table.tokens.map(\.special), [true, false, false, true, false, false, true])
            XCTAssertEqual(table.tokens.map(\.word), [0, 1, 2, 3, 4, 5, 6])
            XCTAssertEqual(table.words.map(\.text), ["", "Zoë", "🚀", "[MASK]", "sat", ".", ""])
            XCTAssertEqual(table.words.map { $0.start..<$0.end }, expected[encoding], encoding.rawValue)
            XCTAssertEqual(table.words.map(\.special), [true, false, false, true, false, false, true])
        }
    }

    /// The protocol's token rows (utf-32) carry exactly transformers' offsets, special tokens
    /// typed in the text included, for every tokenizer configuration of the fixtures, on the
    /// corpus and on the typed-special corpus; utf-16 and utf-8 rows cover the same text.
    func testTokenRowsHaveTransformersOffsets() throws {
        struct Expected: Decodable { var offsets: [Int] }
        func lines<T: Decodable>(_ name: String, _ type: T.Type) throws -> [T] {
            let data = try Data(contentsOf: Fixtures.url("tokenizer/\(name)"))
            return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(T.self, from: Data($0)) }
        }
        for configuration in ["minilm", "cased", "mixed", "composed"] {
            let tokenizer = try Tokenizer(url: Fixtures.url("tokenizer/\(configuration)-tokenizer.json"))
            for corpus in ["", "typed_special"] {
                let texts = try lines(corpus.isEmpty ? "corpus.jsonl" : "\(corpus)_corpus.jsonl", String.self)
                let expected = try lines("\(configuration)\(corpus.isEmpty ? "" : "_" + corpus)_expected.jsonl", Expected.self)
                XCTAssertEqual(texts.count, expected.count)
                var failures = 0
                for (n, (text, want)) in zip(texts, expected).enumerated() {
                    let encoded = tokenizer.encode(text)
                    let rows = TokenTable(text: text, encoded: encoded, encoding: .utf32, tokenizer: tokenizer).tokens
                    let got = rows.flatMap { [$0.start, $0.end] }
                    if got != want.offsets {
                        failures += 1
                        if failures <= 3 {
                            XCTFail("\(configuration) \(corpus.isEmpty ? "corpus" : corpus) line \(n + 1) \(text.debugDescription): offsets \(got), transformers \(want.offsets)")
                        }
                    }
                    let scalars = Array(text.unicodeScalars), utf16 = Array(text.utf16), utf8 = Array(text.utf8)
                    let rows16 = TokenTable(text: text, encoded: encoded, encoding: .utf16, tokenizer: tokenizer).tokens
                    let rows8 = TokenTable(text: text, encoded: encoded, encoding: .utf8, tokenizer: tokenizer).tokens
                    for (k, row) in rows.enumerated() {
                        var piece = String.UnicodeScalarView()
                        piece.append(contentsOf: scalars[row.start..<row.end])
                        XCTAssertEqual(Array(String(piece).utf16), Array(utf16[rows16[k].start..<rows16[k].end]), text.debugDescription)
                        XCTAssertEqual(Array(String(piece).utf8), Array(utf8[rows8[k].start..<rows8[k].end]), text.debugDescription)
                    }
                }
                XCTAssertEqual(failures, 0, "\(configuration) \(corpus.isEmpty ? "corpus" : corpus): lines whose offsets differ from transformers'")
            }
        }
    }

    /// Word granularity: rows (attending) averaged, columns (attended) summed.
    func testWordAggregation() {
        let text = "Unbelievably ok"
        let table = TokenTable(text: text, encoded: Self.tokenizer.encode(text), encoding: .utf32, tokenizer: Self.tokenizer)
        let T = table.tokens.count, W = table.words.count
        var m = [Float](repeating: 0, count: T * T)
        for i in 0..<T { for j in 0..<T { m[i * T + j] = Float(i * 10 + j) } }
        let words = Aggregation.toWords(Tensor(shape: [1, T, T], data: m), words: table.words)
        XCTAssertEqual(words.shape, [1, W, W])
        for (wi, rw) in table.words.enumerated() {
            for (wj, cw) in table.words.enumerated() {
                var s: Float = 0
                for i in rw.tokens { for j in cw.tokens { s += m[i * T + j] } }
                XCTAssertEqual(words.data[wi * W + wj], s / Float(rw.tokens.count), accuracy: 1e-4)
            }
        }
        XCTAssertEqual(Aggregation.vectorToWords((0..<T).map(Float.init), words: table.words).count, W)
    }
}
