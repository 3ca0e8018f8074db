@testable import HeedAnalysis
import HeedKernels
import HeedTestSupport
import HeedTokenizers
import XCTest

/// Token and word tables from MiniLM's tokenizer (hermetic copy in Tests/Fixtures/tokenizer).
final class TokenTableTests: XCTestCase {
    static let tokenizer = try! Tokenizer(url: Fixtures.url("tokenizer/minilm-tokenizer.json"))

    func testWordsGroupSubwordsAndSpecialTokensStandAlone() {
        let text = "Unbelievably, 東京 rocks"
        let table = TokenTable(text: text, encoded: Self.tokenizer.encode(text), encoding: .utf32)
        XCTAssertEqual(table.words.map(\.text), ["", "Unbelievably", ",", "東", "京", "rocks", ""])
        XCTAssertEqual(table.words.first?.special, true)
        XCTAssertEqual(table.words.last?.special, true)
        // Every token points at the word that lists it.
        for t in table.tokens { XCTAssertTrue(table.words[t.word].tokens.contains(t.index)) }
        let unbelievably = table.words[1]
        XCTAssertGreaterThan(unbelievably.tokens.count, 1, "a word of several subwords")
        XCTAssertEqual(unbelievably.start, 0)
        XCTAssertEqual(unbelievably.end, 12)
        XCTAssertEqual(table.tokens.first?.start, table.tokens.first?.end, "special tokens have empty spans")
    }

    func testOffsetsInEveryEncoding() {
        let text = "Zoë 🚀 café"
        let encoded = Self.tokenizer.encode(text)
        for encoding in PositionEncoding.allCases {
            let table = TokenTable(text: text, encoded: encoded, encoding: encoding)
            let cafe = table.words.first { $0.text == "café" }!
            switch encoding {
            case .utf8: XCTAssertEqual(cafe.start..<cafe.end, 10..<15)
            case .utf16: XCTAssertEqual(cafe.start..<cafe.end, 7..<11)
            case .utf32: XCTAssertEqual(cafe.start..<cafe.end, 6..<10)
            }
        }
    }

    /// Word granularity: rows (attending) averaged, columns (attended) summed.
    func testWordAggregation() {
        let text = "Unbelievably ok"
        let table = TokenTable(text: text, encoded: Self.tokenizer.encode(text), encoding: .utf32)
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
