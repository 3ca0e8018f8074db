@testable import HeedAnalysis
import HeedTokenizers
import XCTest

final class HighlightTests: XCTestCase {
    // [CLS] "ab" " " "cd" "ef" [SEP]   (spans in some encoding)
    let units = [HighlightUnit(start: 0, end: 0, special: true), HighlightUnit(start: 0, end: 2, special: false),
                 HighlightUnit(start: 3, end: 5, special: false), HighlightUnit(start: 5, end: 7, special: false),
                 HighlightUnit(start: 0, end: 0, special: true)]

    func testFocusRules() {
        XCTAssertEqual(Highlighter.focusUnits(units, focus: 1..<4), [1, 2])     // overlap
        XCTAssertEqual(Highlighter.focusUnits(units, focus: 4..<4), [2])        // cursor inside
        XCTAssertEqual(Highlighter.focusUnits(units, focus: 5..<5), [3])        // contains wins over ends-at
        XCTAssertEqual(Highlighter.focusUnits(units, focus: 2..<2), [1])        // ends at k
        XCTAssertEqual(Highlighter.focusUnits(units, focus: 7..<7), [3])        // ends at k (end of text)
        XCTAssertEqual(Highlighter.focusUnits(units, focus: 2..<3), [1])        // only whitespace: the cursor rule at 2
        let gap = [HighlightUnit(start: 0, end: 1, special: false), HighlightUnit(start: 5, end: 6, special: false)]
        XCTAssertEqual(Highlighter.focusUnits(gap, focus: 3..<3), [1])          // nearest after
        XCTAssertEqual(Highlighter.focusUnits([gap[0]], focus: 3..<3), [0])     // else before
    }

    func testDirectionsScoresAndTopK() {
        let T = 5
        var m = [Float](repeating: 0, count: T * T)
        func set(_ i: Int, _ j: Int, _ v: Float) { m[i * T + j] = v }
        set(1, 0, 0.5); set(1, 2, 0.2); set(1, 3, 0.3)   // token 1 attends
        set(2, 1, 0.4); set(3, 1, 0.8); set(4, 2, 1.0)
        let from = Highlighter.ranges(matrix: m, units: units, focus: [1], direction: .from)
        XCTAssertEqual(from.map(\.start), [3, 5])                 // specials and the focus are excluded
        XCTAssertEqual(from.map(\.value), [0.2, 0.3])
        XCTAssertEqual(from.map(\.score), [0.2 / 0.3, 1])
        let to = Highlighter.ranges(matrix: m, units: units, focus: [1], direction: .to)
        XCTAssertEqual(to.map(\.value), [0.4, 0.8])
        let received = Highlighter.ranges(matrix: m, units: units, focus: [1], direction: .received)
        XCTAssertEqual(received.map(\.value), [1.2, 0.3])
        let top1 = Highlighter.ranges(matrix: m, units: units, focus: [1], direction: .to, topK: 1)
        XCTAssertEqual(top1.map(\.start), [5])
        let zero = Highlighter.ranges(matrix: [Float](repeating: 0, count: T * T), units: units, focus: [1], direction: .from)
        XCTAssertEqual(zero.map(\.score), [0, 0])
    }

    func testCentredWindowKeepsSpecialTokens() {
        func tok(_ id: Int, special: Bool = false) -> EncodedToken {
            EncodedToken(id: id, text: "\(id)", special: special, word: special ? nil : id, span: special ? .empty : TextSpan(scalars: id..<(id + 1), utf16: id..<(id + 1), utf8: id..<(id + 1)), typeID: 0)
        }
        let enc = Encoding(tokens: [tok(101, special: true)] + (0..<20).map { tok($0) } + [tok(102, special: true)])
        let w = Pipeline.centredWindow(enc, around: [11], limit: 7)
        XCTAssertEqual(w.ids, [101, 8, 9, 10, 11, 12, 102])
        let atEnd = Pipeline.centredWindow(enc, around: [20], limit: 7)
        XCTAssertEqual(atEnd.ids, [101, 15, 16, 17, 18, 19, 102])
        let atStart = Pipeline.centredWindow(enc, around: [1], limit: 7)
        XCTAssertEqual(atStart.ids, [101, 0, 1, 2, 3, 4, 102])
    }
}
