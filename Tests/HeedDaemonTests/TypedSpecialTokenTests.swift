import HeedJSONRPC
import XCTest

/// Special tokens typed in the text (protocol.md, sections 5.4-5.6) on the hermetic tiny model:
/// a `[MASK]` from the text keeps `special: true` and its source span in every encoding, can be
/// the focus and appears in `ranges`; the inserted [CLS] and [SEP] have the empty span and never
/// do; a focus that overlaps no token, or a text without any, is -32602, never another word.
final class TypedSpecialTokenTests: XCTestCase {
    static var model: String { TestModels.tiny }

    private func daemon(_ encoding: String) throws -> InProcessDaemon {
        let d = InProcessDaemon()
        let result = try d.initialize(encodings: [encoding])
        XCTAssertEqual(result["capabilities"]?["positionEncoding"]?.stringValue, encoding)
        return d
    }

    private func highlight(_ d: InProcessDaemon, _ id: Int, text: String, focus: Range<Int>, extra: String = "") throws -> JSONValue {
        try d.result(id: id, sending: "heed/highlight",
                     params: #"{"model":"\#(Self.model)","text":"\#(text)","focus":{"start":\#(focus.lowerBound),"end":\#(focus.upperBound)},"method":"norm-summed"\#(extra)}"#)
    }

    private static func spans(_ result: JSONValue) -> [Range<Int>] {
        (result["ranges"]?.arrayValue ?? []).map { ($0["start"]?.intValue ?? -1)..<($0["end"]?.intValue ?? -1) }
    }

    private static func focus(_ result: JSONValue) -> Range<Int> {
        (result["focus"]?["start"]?.intValue ?? -1)..<(result["focus"]?["end"]?.intValue ?? -1)
    }

    /// heed/tokenize: the typed [MASK] after an emoji keeps its span in utf-8, utf-16 and utf-32.
    func testTokenizeKeepsTheSpanOfATypedMaskInEveryEncoding() throws {
        let text = "🚀 The [MASK] sat."
        // [CLS] [UNK]=🚀 the [MASK] sat . [SEP]
        let expected: [String: [Range<Int>]] = [
            "utf-32": [0..<0, 0..<1, 2..<5, 6..<12, 13..<16, 16..<17, 0..<0],
            "utf-16": [0..<0, 0..<2, 3..<6, 7..<13, 14..<17, 17..<18, 0..<0],
            "utf-8": [0..<0, 0..<4, 5..<8, 9..<15, 16..<19, 19..<20, 0..<0],
        ]
        for encoding in ["utf-8", "utf-16", "utf-32"] {
            let d = try daemon(encoding)
            let tokens = try XCTUnwrap(try d.result(id: 1, sending: "heed/tokenize", params: #"{"model":"\#(Self.model)","text":"\#(text)"}"#)["tokens"]?.arrayValue)
            XCTAssertEqual(tokens.map { $0["text"]?.stringValue ?? "" }, ["[CLS]", "[UNK]", "the", "[MASK]", "sat", ".", "[SEP]"])
            XCTAssertEqual(tokens.map { ($0["start"]?.intValue ?? -1)..<($0["end"]?.intValue ?? -1) }, expected[encoding], encoding)
            XCTAssertEqual(tokens.map { $0["special"] }, [.bool(true), .bool(false), .bool(false), .bool(true), .bool(false), .bool(false), .bool(true)])
            XCTAssertEqual(tokens.map { $0["word"]?.intValue ?? -1 }, [0, 1, 2, 3, 4, 5, 6])
            _ = d.finish()
        }
    }

    /// The typed [MASK] as the focus, by span and by cursor; every other token with a span is a range.
    func testHighlightWithATypedMaskAsTheFocus() throws {
        let d = try daemon("utf-16")
        let text = "The [MASK] sat on the mat."
        let others = [0..<3, 11..<14, 15..<17, 18..<21, 22..<25, 25..<26]
        let bySpan = try highlight(d, 1, text: text, focus: 4..<10)
        XCTAssertEqual(Self.focus(bySpan), 4..<10)
        XCTAssertEqual(Self.spans(bySpan), others)
        let byCursor = try highlight(d, 2, text: text, focus: 6..<6)
        XCTAssertEqual(Self.focus(byCursor), 4..<10)
        XCTAssertEqual(Self.spans(byCursor), others)
        let partly = try highlight(d, 3, text: text, focus: 8..<12)   // "SK] s": [MASK] and sat
        XCTAssertEqual(Self.focus(partly), 4..<14)
        XCTAssertEqual(Self.spans(partly), [0..<3, 15..<17, 18..<21, 22..<25, 25..<26])
        _ = d.finish()
    }

    /// Another token as the focus: the typed [MASK] is scored like any token, in every direction;
    /// the inserted [CLS] and [SEP] never appear.
    func testTypedMaskAppearsInRangesWhenAnotherTokenIsTheFocus() throws {
        let d = try daemon("utf-16")
        let text = "The [MASK] sat on the mat."
        for (k, direction) in ["from", "to", "received"].enumerated() {
            let r = try highlight(d, k + 1, text: text, focus: 11..<14, extra: #","direction":"\#(direction)""#)
            XCTAssertEqual(Self.focus(r), 11..<14)
            XCTAssertEqual(Self.spans(r), [0..<3, 4..<10, 15..<17, 18..<21, 22..<25, 25..<26], direction)
        }
        let top = try highlight(d, 4, text: "[MASK]", focus: 0..<0)
        XCTAssertEqual(Self.focus(top), 0..<6, "the only token with a span")
        XCTAssertEqual(Self.spans(top), [], "the inserted [CLS] and [SEP] are never ranges")
        _ = d.finish()
    }

    /// Word granularity: the typed [MASK] is a word of its own with its span (analyze's `words`),
    /// can be the focus and is scored.
    func testWordGranularityWithATypedMask() throws {
        let d = try daemon("utf-16")
        let text = "The [MASK] cats sat."
        let analysis = try d.result(id: 1, sending: "heed/analyze", params: #"{"model":"\#(Self.model)","text":"\#(text)","methods":["norm-summed"],"layers":[0],"granularity":"word"}"#)
        let words = try XCTUnwrap(analysis["words"]?.arrayValue)
        XCTAssertEqual(words.map { $0["text"]?.stringValue ?? "?" }, ["", "The", "[MASK]", "cats", "sat", ".", ""])
        XCTAssertEqual(words.map { ($0["start"]?.intValue ?? -1)..<($0["end"]?.intValue ?? -1) }, [0..<0, 0..<3, 4..<10, 11..<15, 16..<19, 19..<20, 0..<0])
        XCTAssertEqual(words.map { $0["special"] }, [.bool(true), .bool(false), .bool(true), .bool(false), .bool(false), .bool(false), .bool(true)])
        XCTAssertEqual(words[2]["tokens"]?.arrayValue?.compactMap(\.intValue), [2])

        let onMask = try highlight(d, 2, text: text, focus: 4..<10, extra: #","granularity":"word""#)
        XCTAssertEqual(Self.focus(onMask), 4..<10)
        XCTAssertEqual(Self.spans(onMask), [0..<3, 11..<15, 16..<19, 19..<20])
        let onCats = try highlight(d, 3, text: text, focus: 12..<12, extra: #","granularity":"word""#)
        XCTAssertEqual(Self.focus(onCats), 11..<15)
        XCTAssertEqual(Self.spans(onCats), [0..<3, 4..<10, 16..<19, 19..<20])
        _ = d.finish()
    }

    /// utf-16 offsets with an emoji (two code units) before the typed [MASK].
    func testUTF16FocusOnATypedMaskAfterAnEmoji() throws {
        let d = try daemon("utf-16")
        let text = "🚀 The [MASK] sat."
        let r = try highlight(d, 1, text: text, focus: 7..<13)
        XCTAssertEqual(Self.focus(r), 7..<13)
        XCTAssertEqual(Self.spans(r), [0..<2, 3..<6, 14..<17, 17..<18])
        let cursor = try highlight(d, 2, text: text, focus: 13..<13, extra: #","granularity":"word""#)
        XCTAssertEqual(Self.focus(cursor), 7..<13, "the word ending at the cursor")
        _ = d.finish()
    }

    /// Beyond the limit (702 tokens, limit 600) the window is centred on a typed [MASK] focus, at
    /// either granularity: tokens 52..<650 between the inserted [CLS] and [SEP].
    func testWindowBeyondTheLimitCentredOnATypedMask() throws {
        let d = try daemon("utf-16")
        let text = (Array(repeating: "cat", count: 350) + ["[MASK]"] + Array(repeating: "cat", count: 349)).joined(separator: " ")
        for (k, granularity) in ["token", "word"].enumerated() {
            let r = try highlight(d, k + 1, text: text, focus: 1400..<1406, extra: #","granularity":"\#(granularity)""#)
            XCTAssertEqual(Self.focus(r), 1400..<1406, granularity)
            XCTAssertEqual((r["window"]?["start"]?.intValue ?? -1)..<(r["window"]?["end"]?.intValue ?? -1), 204..<2598, granularity)
            let spans = Self.spans(r)
            XCTAssertEqual(spans.count, 597, "the window's 598 tokens but the focus (\(granularity))")
            XCTAssertEqual(spans.first, 204..<207)
            XCTAssertEqual(spans.last, 2595..<2598)
        }
        _ = d.finish()
    }

    /// A non-empty focus over whitespace only is refused with the reason, at either granularity;
    /// it never moves to a neighbouring word.
    func testFocusOverlappingNoTokenIsInvalidParams() throws {
        let d = try daemon("utf-16")
        let text = "The cat  sat."   // offsets 7..<9 are the two spaces
        let token = try d.call(1, "heed/highlight", #"{"model":"\#(Self.model)","text":"\#(text)","focus":{"start":7,"end":9},"method":"norm-summed"}"#)
        XCTAssertError(token, .invalidParams, id: .int(1))
        XCTAssertEqual(token.errorMessage, "Invalid params: focus 7..<9 overlaps no token of the text (it covers only whitespace or characters the tokenizer drops); give a span that overlaps one, or an empty focus (a cursor) for the nearest")
        let word = try d.call(2, "heed/highlight", #"{"model":"\#(Self.model)","text":"\#(text)","focus":{"start":7,"end":8},"method":"rollout","granularity":"word"}"#)
        XCTAssertError(word, .invalidParams, id: .int(2))
        XCTAssertEqual(word.errorMessage, "Invalid params: focus 7..<8 overlaps no word of the text (it covers only whitespace or characters the tokenizer drops); give a span that overlaps one, or an empty focus (a cursor) for the nearest")
        // The cursor rule still holds for an empty focus there: the token ending at 7.
        XCTAssertEqual(Self.focus(try highlight(d, 3, text: text, focus: 7..<7)), 4..<7)
        _ = d.finish()
    }

    /// A text without any token that has a span: nothing to focus on, whatever the focus.
    func testTextWithoutTokensIsInvalidParams() throws {
        let d = try daemon("utf-16")
        let empty = try d.call(1, "heed/highlight", #"{"model":"\#(Self.model)","text":"","focus":{"start":0,"end":0},"method":"norm-summed"}"#)
        XCTAssertError(empty, .invalidParams, id: .int(1))
        XCTAssertEqual(empty.errorMessage, "Invalid params: the text has no token to focus on: it is empty or holds only whitespace or characters the tokenizer drops (the special tokens the tokenizer inserts have no span)")
        let blank = try d.call(2, "heed/highlight", #"{"model":"\#(Self.model)","text":" \t ","focus":{"start":1,"end":1},"method":"attention","granularity":"word"}"#)
        XCTAssertError(blank, .invalidParams, id: .int(2))
        XCTAssertEqual(blank.errorMessage, "Invalid params: the text has no word to focus on: it is empty or holds only whitespace or characters the tokenizer drops (the special tokens the tokenizer inserts have no span)")
        _ = d.finish()
    }
}
