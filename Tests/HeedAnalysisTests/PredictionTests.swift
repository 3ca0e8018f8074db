import Foundation
@testable import HeedAnalysis
import HeedModels
import HeedTestSupport
import HeedTokenizers
import XCTest

/// Next-token prediction (top K, softmax, decoding), the decoder focus rule and the window that
/// ends at the focus.
final class PredictionTests: XCTestCase {
    static let tokenizer = try! Tokenizer(json: Data(TinyTokenizer.json(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "##s", "sat"], leadingOnly: true).utf8))

    func testTopKRanksByLogitThenIdWithAStableSoftmax() throws {
        // Huge logits: a naive exp would overflow; with the max subtracted, exact.
        let logits: [Float] = [1000, 1002, 1001, 1002, 999, 900, 1000, 1000, 998]
        let top = try NextTokenPrediction.top(logits, k: 4, tokenizer: Self.tokenizer)
        XCTAssertEqual(top.map(\.id), [1, 3, 2, 0], "ties: the lower id first")
        XCTAssertEqual(top.map(\.logit), [1002, 1002, 1001, 1000])
        let z = logits.reduce(0.0) { $0 + exp(Double($1) - 1002) }
        for t in top { XCTAssertEqual(Double(t.probability), exp(Double(t.logit) - 1002) / z, accuracy: 1e-7) }
        XCTAssertEqual(top.map(\.text), ["[UNK]", "[SEP]", "[CLS]", "[PAD]"])
        // k clamps to 1...V; all V probabilities sum to 1.
        let all = try NextTokenPrediction.top(logits, k: 100, tokenizer: Self.tokenizer)
        XCTAssertEqual(all.count, logits.count)
        XCTAssertEqual(all.map(\.id), [1, 3, 2, 0, 6, 7, 4, 8, 5])
        XCTAssertEqual(all.reduce(0) { $0 + Double($1.probability) }, 1, accuracy: 1e-6)
        XCTAssertEqual(try NextTokenPrediction.top(logits, k: 0, tokenizer: Self.tokenizer).map(\.id), [1])
        XCTAssertEqual(try NextTokenPrediction.top([], k: 3, tokenizer: Self.tokenizer).count, 0)
    }

    func testTopKOfALargeVocabularyMatchesASort() throws {
        var rng = SystemRandomNumberGenerator()
        let logits = (0..<5000).map { _ in Float(Int.random(in: -50...50, using: &rng)) / 4 }  // many ties
        let expected = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        for k in [1, 7, 64, 5000] {
            let tokenizer = try Tokenizer(json: Data(TinyTokenizer.json(vocabulary: TinyTokenizer.specials).utf8))
            XCTAssertEqual(try NextTokenPrediction.top(logits, k: k, tokenizer: tokenizer).map(\.id), Array(expected.prefix(k)), "k = \(k)")
        }
    }

    func testDecodedTextIsTheTokenDecodedAlone() throws {
        let top = try NextTokenPrediction.top([0, 0, 0, 0, 0, 0, 0, 9, 8], k: 2, tokenizer: Self.tokenizer)
        // "##s" decoded alone keeps its prefix (transformers' decode([id]) of a WordPiece
        // continuation), "sat" is "sat".
        XCTAssertEqual(top.map(\.text), [Self.tokenizer.decode([7]), "sat"])
    }

    func testNonFiniteLogitsAreRefused() {
        for bad: Float in [.nan, .infinity, -.infinity] {
            XCTAssertThrowsError(try NextTokenPrediction.top([0, 1, bad, 2], k: 2, tokenizer: Self.tokenizer)) { e in
                XCTAssertEqual(e as? NonFiniteLogits, NonFiniteLogits(tokenID: 2))
            }
        }
    }

    /// A decoder's prediction inside the pass equals the pass on the prefix.
    func testLogitsAfterAPositionEqualThePrefixPass() throws {
        let net = FakeDecoder(vocabulary: 50)
        let ids = [2, 17, 5, 33, 8]
        let whole = try net.forward(ids, taps: .full, finalHiddenState: true, isCancelled: { false })
        for p in ids.indices {
            let prefix = try net.forward(Array(ids[...p]), taps: .none, finalHiddenState: true, isCancelled: { false })
            XCTAssertEqual(try net.nextTokenLogits(whole, after: p), try net.nextTokenLogits(prefix), "position \(p)")
            XCTAssertEqual(try net.nextTokenLogits(whole, after: p).firstIndex(of: 0), (ids[p] + 1) % 50)
        }
    }

    func testCausalFocusIsTheLastUnitBeforeTheCursor() throws {
        // [CLS] "ab" 0..<2, "cd" 3..<5, "ef" 5..<7
        let units = [HighlightUnit(start: 0, end: 0), HighlightUnit(start: 0, end: 2),
                     HighlightUnit(start: 3, end: 5), HighlightUnit(start: 5, end: 7)]
        func causal(_ k: Int) throws -> [Int] { try Highlighter.focusUnits(units, focus: k..<k, causal: true) }
        func encoder(_ k: Int) throws -> [Int] { try Highlighter.focusUnits(units, focus: k..<k) }
        XCTAssertEqual(try causal(0), [1], "nothing before: the first unit")
        XCTAssertEqual(try causal(1), [1], "inside ab")
        XCTAssertEqual(try causal(2), [1], "at the end of ab")
        XCTAssertEqual(try causal(3), [1], "at the start of cd: ab precedes the cursor")
        XCTAssertEqual(try encoder(3), [2], "an encoder takes the unit at the cursor")
        XCTAssertEqual(try causal(5), [2], "between cd and ef")
        XCTAssertEqual(try encoder(5), [3])
        XCTAssertEqual(try causal(7), [3])
        // Non-empty focus: unchanged.
        XCTAssertEqual(try Highlighter.focusUnits(units, focus: 1..<4, causal: true), [1, 2])
        XCTAssertThrowsError(try Highlighter.focusUnits([HighlightUnit(start: 0, end: 0)], focus: 0..<0, causal: true))
    }

    func testCausalWindowEndsAtTheFocus() {
        func tok(_ id: Int, special: Bool = false) -> EncodedToken {
            EncodedToken(id: id, text: "\(id)", special: special, word: special ? nil : id, span: special ? .empty : TextSpan(scalars: id..<(id + 1), utf16: id..<(id + 1), utf8: id..<(id + 1)), typeID: 0)
        }
        // BOS only (a decoder's post-processor): [BOS] 0 ... 19; limit 7 -> 6 body tokens.
        let enc = Encoding(tokens: [tok(101, special: true)] + (0..<20).map { tok($0) })
        XCTAssertEqual(Pipeline.centredWindow(enc, around: [13], limit: 7, causal: true).ids, [101, 7, 8, 9, 10, 11, 12],
                       "token index 13 is the token 12")
        XCTAssertEqual(Pipeline.centredWindow(enc, around: [20], limit: 7, causal: true).ids, [101, 14, 15, 16, 17, 18, 19])
        XCTAssertEqual(Pipeline.centredWindow(enc, around: [2], limit: 7, causal: true).ids, [101, 0, 1, 2, 3, 4, 5],
                       "near the start: the first tokens, running past the focus")
        XCTAssertEqual(Pipeline.centredWindow(enc, around: [], limit: 7, causal: true).ids, [101, 14, 15, 16, 17, 18, 19],
                       "no focus: the end")
        // The encoder's window is centred.
        XCTAssertEqual(Pipeline.centredWindow(enc, around: [12], limit: 7).ids, [101, 8, 9, 10, 11, 12, 13])
    }
}
