@testable import HeedAnalysis
import HeedTokenizers
import XCTest

final class HighlightTests: XCTestCase {
    // [CLS] "ab" " " "cd" "ef" [SEP]   (spans in some encoding; the inserted [CLS] and [SEP] have none)
    let units = [HighlightUnit(start: 0, end: 0), HighlightUnit(start: 0, end: 2),
                 HighlightUnit(start: 3, end: 5), HighlightUnit(start: 5, end: 7),
                 HighlightUnit(start: 0, end: 0)]

    func testFocusRules() throws {
        XCTAssertEqual(try Highlighter.focusUnits(units, focus: 1..<4), [1, 2])     // overlap
        XCTAssertEqual(try Highlighter.focusUnits(units, focus: 4..<4), [2])        // cursor inside
        XCTAssertEqual(try Highlighter.focusUnits(units, focus: 5..<5), [3])        // contains wins over ends-at
        XCTAssertEqual(try Highlighter.focusUnits(units, focus: 2..<2), [1])        // ends at k
        XCTAssertEqual(try Highlighter.focusUnits(units, focus: 7..<7), [3])        // ends at k (end of text)
        XCTAssertEqual(try Highlighter.focusUnits(units, focus: 0..<0), [1])        // never the inserted [CLS] at 0..<0
        let gap = [HighlightUnit(start: 0, end: 1), HighlightUnit(start: 5, end: 6)]
        XCTAssertEqual(try Highlighter.focusUnits(gap, focus: 3..<3), [1])          // nearest after
        XCTAssertEqual(try Highlighter.focusUnits([gap[0]], focus: 3..<3), [0])     // else before
    }

    /// A non-empty focus over whitespace only is refused, never moved to a neighbour; so is any
    /// focus on a text without a unit that has a span.
    func testFocusOverlappingNoUnitIsAnError() {
        XCTAssertThrowsError(try Highlighter.focusUnits(units, focus: 2..<3)) {
            XCTAssertEqual($0 as? PipelineError, .focusOverlapsNoUnit(focus: 2..<3, granularity: .token))
        }
        XCTAssertThrowsError(try Highlighter.focusUnits(units, focus: 2..<3, granularity: .word)) {
            XCTAssertEqual("\($0)", "focus 2..<3 overlaps no word of the text (it covers only whitespace or characters the tokenizer drops); give a span that overlaps one, or an empty focus (a cursor) for the nearest")
        }
        let inserted = [HighlightUnit(start: 0, end: 0), HighlightUnit(start: 0, end: 0)]   // "" -> [CLS] [SEP]
        XCTAssertThrowsError(try Highlighter.focusUnits(inserted, focus: 0..<0)) {
            XCTAssertEqual($0 as? PipelineError, .textHasNoUnit(granularity: .token))
        }
    }

    /// A special token typed in the text ("a [MASK] b": spans 0..<1, 2..<8, 9..<10) is a unit
    /// like any other: it can be the focus and it is scored; the inserted ones never are.
    func testTypedSpecialTokenIsAUnit() throws {
        let typed = [HighlightUnit(start: 0, end: 0), HighlightUnit(start: 0, end: 1), HighlightUnit(start: 2, end: 8),
                     HighlightUnit(start: 9, end: 10), HighlightUnit(start: 0, end: 0)]
        XCTAssertEqual(try Highlighter.focusUnits(typed, focus: 2..<8), [2])
        XCTAssertEqual(try Highlighter.focusUnits(typed, focus: 4..<4), [2])
        let m = (0..<25).map { Float($0) }
        let ranges = Highlighter.ranges(matrix: m, units: typed, focus: [1], direction: .from)
        XCTAssertEqual(ranges.map { $0.start..<$0.end }, [2..<8, 9..<10])
        XCTAssertEqual(ranges.map(\.value), [7, 8])
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

    /// Special tokens typed in the text are part of the body: a window may leave them out, and
    /// only the inserted [CLS] and [SEP] are always kept.
    func testCentredWindowSlicesTypedSpecialTokens() {
        func tok(_ id: Int, at k: Int, special: Bool = false) -> EncodedToken {
            EncodedToken(id: id, text: "\(id)", special: special, word: k, span: TextSpan(scalars: k..<(k + 1), utf16: k..<(k + 1), utf8: k..<(k + 1)), typeID: 0)
        }
        let cls = EncodedToken(id: 101, text: "[CLS]", special: true, word: nil, span: .empty, typeID: 0)
        let sep = EncodedToken(id: 102, text: "[SEP]", special: true, word: nil, span: .empty, typeID: 0)
        // [CLS] [MASK] 1 2 ... 18 [SEP](typed) [SEP]
        let body = [tok(103, at: 0, special: true)] + (1...18).map { tok($0, at: $0) } + [tok(102, at: 19, special: true)]
        let enc = Encoding(tokens: [cls] + body + [sep])
        XCTAssertEqual(Pipeline.centredWindow(enc, around: [11], limit: 7).ids, [101, 8, 9, 10, 11, 12, 102])
        XCTAssertEqual(Pipeline.centredWindow(enc, around: [1], limit: 7).ids, [101, 103, 1, 2, 3, 4, 102])
        XCTAssertEqual(Pipeline.centredWindow(enc, around: [20], limit: 7).ids, [101, 15, 16, 17, 18, 102, 102])
    }
}
