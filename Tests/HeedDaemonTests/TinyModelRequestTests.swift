import HeedJSONRPC
import XCTest

/// The work methods end to end on the hermetic tiny model (tiny-bert weights, a small tokenizer):
/// offsets in every position encoding, result shapes, limits and offset errors.
final class TinyModelRequestTests: XCTestCase {
    static let text = "Zoë 🚀 naïve 東京 café."
    /// The source text of each non-special token (the tiny vocabulary has no emoji or CJK: [UNK]).
    static let expectedSpans = ["Zoë", "🚀", "naïve", "東", "京", "café", "."]

    private func daemon(_ encoding: String) throws -> InProcessDaemon {
        let d = InProcessDaemon()
        let result = try d.initialize(encodings: [encoding])
        XCTAssertEqual(result["capabilities"]?["positionEncoding"]?.stringValue, encoding)
        return d
    }

    static var model: String { TestModels.tiny }

    func testTokenOffsetsInEveryEncoding() throws {
        var scalarSpans: [String: [Range<Int>]] = [:]
        for encoding in ["utf-8", "utf-16", "utf-32"] {
            let d = try daemon(encoding)
            let tokens = try XCTUnwrap(try d.result(id: 1, sending: "heed/tokenize", params: #"{"model":"\#(Self.model)","text":"\#(Self.text)"}"#)["tokens"]?.arrayValue)
            XCTAssertEqual(tokens.first?["text"]?.stringValue, "[CLS]")
            XCTAssertEqual(tokens.last?["text"]?.stringValue, "[SEP]")
            var spans: [Range<Int>] = []
            for (k, t) in tokens.enumerated() {
                XCTAssertEqual(t["index"]?.intValue, k)
                let start = try XCTUnwrap(t["start"]?.intValue), end = try XCTUnwrap(t["end"]?.intValue)
                if k == 0 || k == tokens.count - 1 {
                    XCTAssertEqual(t["special"], .bool(true))
                    XCTAssertEqual(start..<end, 0..<0, "the inserted [CLS] and [SEP] have an empty span")
                    continue
                }
                let scalars = try XCTUnwrap(TextUnits.scalarRange(start..<end, in: Self.text, encoding: encoding), "\(encoding) \(start)..<\(end) is not on scalar boundaries")
                spans.append(scalars)
            }
            XCTAssertEqual(spans.map { TextUnits.substring(Self.text, scalars: $0) }, Self.expectedSpans, encoding)
            scalarSpans[encoding] = spans
            _ = d.finish()
        }
        XCTAssertEqual(scalarSpans["utf-8"], scalarSpans["utf-32"])
        XCTAssertEqual(scalarSpans["utf-16"], scalarSpans["utf-32"])
        // Spot check with Swift's own counts: "東" starts after "Zoë 🚀 naïve ".
        let prefix = "Zoë 🚀 naïve "
        XCTAssertEqual(scalarSpans["utf-32"]?[3].lowerBound, prefix.unicodeScalars.count)
    }

    func testHighlightRangesInEveryEncoding() throws {
        for encoding in ["utf-8", "utf-16", "utf-32"] {
            let d = try daemon(encoding)
            // The focus is "naïve", in this encoding's units.
            let focus = try XCTUnwrap(TextUnits.units(of: "naïve", in: Self.text, encoding: encoding))
            let params = #"{"model":"\#(Self.model)","text":"\#(Self.text)","focus":{"start":\#(focus.lowerBound),"end":\#(focus.upperBound)},"method":"norm-summed"}"#
            let result = try d.result(id: 1, sending: "heed/highlight", params: params)
            XCTAssertEqual(result["positionEncoding"]?.stringValue, encoding)
            XCTAssertEqual(result["focus"]?["start"]?.intValue, focus.lowerBound)
            XCTAssertEqual(result["focus"]?["end"]?.intValue, focus.upperBound)
            XCTAssertEqual(result["method"]?.stringValue, "norm-summed")
            XCTAssertEqual(result["layer"]?.intValue, 1, "the last of 2 layers")
            XCTAssertNil(result["window"])
            let ranges = try XCTUnwrap(result["ranges"]?.arrayValue)
            let texts = try ranges.map { r -> String in
                let s = try XCTUnwrap(r["start"]?.intValue), e = try XCTUnwrap(r["end"]?.intValue)
                let scalars = try XCTUnwrap(TextUnits.scalarRange(s..<e, in: Self.text, encoding: encoding))
                return TextUnits.substring(Self.text, scalars: scalars)
            }
            XCTAssertEqual(texts, Self.expectedSpans.filter { $0 != "naïve" }, "every token but the focus, in text order (\(encoding))")
            let scores = ranges.compactMap { $0["score"]?.doubleValue }, values = ranges.compactMap { $0["value"]?.doubleValue }
            XCTAssertEqual(scores.max(), 1)
            let maxValue = try XCTUnwrap(values.max())
            for (s, v) in zip(scores, values) { XCTAssertEqual(s, v / maxValue, accuracy: 1e-6) }

            // A cursor inside "東" selects that token; rollouts report layer null.
            let cursor = try XCTUnwrap(TextUnits.units(of: "東", in: Self.text, encoding: encoding))
            let r2 = try d.result(id: 2, sending: "heed/highlight", params: #"{"model":"\#(Self.model)","text":"\#(Self.text)","focus":{"start":\#(cursor.lowerBound),"end":\#(cursor.lowerBound)},"method":"rollout","topK":2}"#)
            XCTAssertEqual(r2["focus"]?["start"]?.intValue, cursor.lowerBound)
            XCTAssertEqual(r2["focus"]?["end"]?.intValue, cursor.upperBound)
            XCTAssertEqual(r2["layer"], .null)
            XCTAssertEqual(r2["ranges"]?.arrayValue?.count, 2)
            _ = d.finish()
        }
    }

    func testFocusSplittingACharacterIsInvalidParams() throws {
        let rocket = Self.text.utf16.count - "🚀 naïve 東京 café.".utf16.count  // utf-16 offset of the rocket
        let d16 = try daemon("utf-16")
        let r = try d16.call(1, "heed/highlight", #"{"model":"\#(Self.model)","text":"\#(Self.text)","focus":{"start":\#(rocket + 1),"end":\#(rocket + 2)},"method":"norm"}"#)
        XCTAssertError(r, .invalidParams, id: .int(1), mentioning: ["focus", "splits"])
        let ok = try d16.call(2, "heed/highlight", #"{"model":"\#(Self.model)","text":"\#(Self.text)","focus":{"start":\#(rocket),"end":\#(rocket + 2)},"method":"norm"}"#)
        XCTAssertNotNil(ok["result"], InProcessDaemon.text(ok))
        _ = d16.finish()

        let d8 = try daemon("utf-8")
        // "ë" is bytes 2..<4 of the text.
        XCTAssertError(try d8.call(1, "heed/highlight", #"{"model":"\#(Self.model)","text":"\#(Self.text)","focus":{"start":3,"end":3},"method":"norm"}"#),
                       .invalidParams, id: .int(1), mentioning: ["focus"])
        let outside = Self.text.utf8.count + 1
        XCTAssertError(try d8.call(2, "heed/highlight", #"{"model":"\#(Self.model)","text":"\#(Self.text)","focus":{"start":0,"end":\#(outside)},"method":"norm"}"#),
                       .invalidParams, id: .int(2), mentioning: ["focus", "outside"])
        _ = d8.finish()
    }

    func testAnalyzeShapes() throws {
        let d = try daemon("utf-16")
        let params = #"{"model":"\#(Self.model)","text":"the cat sat","methods":["attention","norm-summed","value-norm","mixing-ratio","rollout"],"layers":[1]}"#
        let result = try d.result(id: 1, sending: "heed/analyze", params: params)
        let T = 5
        XCTAssertEqual(result["tokens"]?.arrayValue?.count, T)
        XCTAssertEqual(result["positionEncoding"]?.stringValue, "utf-16")
        let layers = try XCTUnwrap(result["layers"]?.arrayValue)
        XCTAssertEqual(layers.count, 1)
        XCTAssertEqual(layers[0]["layer"]?.intValue, 1)
        let attention = try XCTUnwrap(layers[0]["attention"]?.arrayValue)
        XCTAssertEqual(attention.count, 4, "NH x T x T")
        for head in attention {
            let rows = try XCTUnwrap(head.arrayValue)
            XCTAssertEqual(rows.count, T)
            for row in rows {
                let values = try XCTUnwrap(row.arrayValue?.compactMap(\.doubleValue))
                XCTAssertEqual(values.count, T)
                XCTAssertEqual(values.reduce(0, +), 1, accuracy: 1e-4, "attention rows sum to 1")
            }
        }
        XCTAssertEqual(layers[0]["norm-summed"]?.arrayValue?.count, T)
        XCTAssertEqual(layers[0]["value-norm"]?.arrayValue?.count, 4)
        XCTAssertEqual(layers[0]["value-norm"]?.arrayValue?.first?.arrayValue?.count, T)
        XCTAssertEqual(layers[0]["mixing-ratio"]?["attn-w"]?.arrayValue?.count, T)
        XCTAssertEqual(result["rollout"]?.arrayValue?.count, T)

        // base64 and word granularity.
        let b64 = try d.result(id: 2, sending: "heed/analyze", params: #"{"model":"\#(Self.model)","text":"the cat sat","methods":["norm-summed"],"layers":[0],"format":"base64","granularity":"word"}"#)
        let tensor = try XCTUnwrap(b64["layers"]?.arrayValue?.first?["norm-summed"])
        XCTAssertEqual(tensor["dtype"]?.stringValue, "f32")
        XCTAssertEqual(tensor["shape"]?.arrayValue?.compactMap(\.intValue), [5, 5])
        XCTAssertEqual(Data(base64Encoded: tensor["data"]?.stringValue ?? "")?.count, 5 * 5 * 4)
        XCTAssertEqual(b64["words"]?.arrayValue?.count, 5)

        // Bad method names and layers are -32602.
        XCTAssertError(try d.call(3, "heed/analyze", #"{"model":"\#(Self.model)","text":"hi","methods":["norm"],"layers":[2]}"#), .invalidParams, id: .int(3))
        XCTAssertError(try d.call(4, "heed/analyze", #"{"model":"\#(Self.model)","text":"hi","methods":["norm"],"layers":[-1]}"#), .invalidParams, id: .int(4))
        XCTAssertError(try d.call(5, "heed/highlight", #"{"model":"\#(Self.model)","text":"hi","focus":{"start":0,"end":0},"method":"norm","layer":7}"#), .invalidParams, id: .int(5))
        _ = d.finish()
    }

    /// 700 words = 702 tokens against a limit of 600: analyze refuses, highlight windows.
    func testTextBeyondTheLimit() throws {
        let d = try daemon("utf-16")
        let text = Array(repeating: "cat", count: 700).joined(separator: " ")
        let r = try d.call(1, "heed/analyze", #"{"model":"\#(Self.model)","text":"\#(text)","methods":["norm"]}"#)
        XCTAssertError(r, .inputTooLong, id: .int(1))
        XCTAssertEqual(r["error"]?["data"]?["limit"]?.intValue, 600)
        XCTAssertEqual(r["error"]?["data"]?["tokens"]?.intValue, 702)

        // Tokenize is never truncated.
        XCTAssertEqual(try d.result(id: 2, sending: "heed/tokenize", params: #"{"model":"\#(Self.model)","text":"\#(text)"}"#)["tokens"]?.arrayValue?.count, 702)

        let middle = 350 * 4  // start of word 350
        let h = try d.result(id: 3, sending: "heed/highlight", params: #"{"model":"\#(Self.model)","text":"\#(text)","focus":{"start":\#(middle),"end":\#(middle + 3)},"method":"attention"}"#)
        let window = try XCTUnwrap(h["window"], "a highlight beyond the limit reports its window")
        let ws = try XCTUnwrap(window["start"]?.intValue), we = try XCTUnwrap(window["end"]?.intValue)
        XCTAssertLessThanOrEqual(ws, middle)
        XCTAssertGreaterThanOrEqual(we, middle + 3)
        let words = text[text.index(text.startIndex, offsetBy: ws)..<text.index(text.startIndex, offsetBy: we)].split(separator: " ")
        XCTAssertEqual(words.count, 598, "600 positions less [CLS] and [SEP]")
        XCTAssertEqual(h["ranges"]?.arrayValue?.count, 597)
        _ = d.finish()
    }
}

/// Offsets in the three position encodings, computed with Swift's own string views.
enum TextUnits {
    /// The width of `scalar` in `encoding`'s units.
    static func width(_ scalar: Unicode.Scalar, _ encoding: String) -> Int {
        switch encoding {
        case "utf-8": return scalar.utf8.count
        case "utf-16": return scalar.utf16.count
        default: return 1
        }
    }

    /// The scalar index at unit offset `k`; nil when `k` falls inside a scalar or past the end.
    static func scalarIndex(_ k: Int, in text: String, encoding: String) -> Int? {
        var units = 0
        for (i, s) in text.unicodeScalars.enumerated() {
            if units == k { return i }
            if units > k { return nil }
            units += width(s, encoding)
        }
        return units == k ? text.unicodeScalars.count : nil
    }

    static func scalarRange(_ r: Range<Int>, in text: String, encoding: String) -> Range<Int>? {
        guard let a = scalarIndex(r.lowerBound, in: text, encoding: encoding),
              let b = scalarIndex(r.upperBound, in: text, encoding: encoding) else { return nil }
        return a..<b
    }

    static func substring(_ text: String, scalars r: Range<Int>) -> String {
        let s = Array(text.unicodeScalars)[r]
        var out = ""
        out.unicodeScalars.append(contentsOf: s)
        return out
    }

    /// The units of the first occurrence of `needle` in `text`.
    static func units(of needle: String, in text: String, encoding: String) -> Range<Int>? {
        guard let r = text.range(of: needle) else { return nil }
        switch encoding {
        case "utf-8": return text.utf8.distance(from: text.startIndex, to: r.lowerBound)..<text.utf8.distance(from: text.startIndex, to: r.upperBound)
        case "utf-16": return text.utf16.distance(from: text.startIndex, to: r.lowerBound)..<text.utf16.distance(from: text.startIndex, to: r.upperBound)
        default: return text.unicodeScalars.distance(from: text.startIndex, to: r.lowerBound)..<text.unicodeScalars.distance(from: text.startIndex, to: r.upperBound)
        }
    }
}
