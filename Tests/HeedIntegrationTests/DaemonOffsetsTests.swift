import Foundation
import HeedAnalysis
import HeedJSONRPC
import XCTest

/// Offsets over the wire in all three position encodings on non-ASCII text, checked against
/// Swift's own utf8 / utf16 / unicodeScalars counts of the same substrings.
final class DaemonOffsetsTests: XCTestCase {
    static let text = "Zoë 🚀 naïve 東京 café."

    struct Session {
        var tokens: [Range<Int>?] = []  // nil for special tokens
        var tokenIDs: [Int] = []
        var ranges: [Range<Int>] = []
        var values: [Double] = []
        var focus: Range<Int>? = nil
        var analyzeTokens: [Range<Int>?] = []
    }

    /// The units of `scalars` (a range of Unicode scalars of `text`) in `encoding`.
    static func units(_ scalars: Range<Int>, _ encoding: String) -> Range<Int> {
        let all = Array(text.unicodeScalars)
        func count(_ upTo: Int) -> Int {
            all[..<upTo].reduce(0) { n, s in
                switch encoding {
                case "utf-8": return n + String(s).utf8.count
                case "utf-16": return n + String(s).utf16.count
                default: return n + 1
                }
            }
        }
        return count(scalars.lowerBound)..<count(scalars.upperBound)
    }

    private func session(_ encoding: String, focusScalars: Range<Int>) throws -> Session {
        let heed = try DaemonProcess()
        let caps = try heed.initialize(encodings: [encoding])
        XCTAssertEqual(caps["capabilities"]?["positionEncoding"]?.stringValue, encoding)
        var s = Session()
        func span(_ t: JSONValue) -> Range<Int>? {
            guard let a = t["start"]?.intValue, let b = t["end"]?.intValue, a < b else { return nil }   // inserted: empty span
            return a..<b
        }
        let tokens = try XCTUnwrap(try heed.result(id: 1, "heed/tokenize", #"{"model":"minilm","text":"\#(Self.text)"}"#)["tokens"]?.arrayValue)
        s.tokens = tokens.map(span)
        s.tokenIDs = tokens.compactMap { $0["id"]?.intValue }
        for t in [tokens.first, tokens.last].compactMap({ $0 }) {
            XCTAssertEqual(t["special"], .bool(true))
            XCTAssertEqual(t["start"]?.intValue, t["end"]?.intValue, "the inserted [CLS] and [SEP] have an empty span")
        }

        let focus = Self.units(focusScalars, encoding)
        let h = try heed.result(id: 2, "heed/highlight", #"{"model":"minilm","text":"\#(Self.text)","focus":{"start":\#(focus.lowerBound),"end":\#(focus.upperBound)},"method":"attn-res-ln","direction":"to"}"#)
        XCTAssertEqual(h["positionEncoding"]?.stringValue, encoding)
        s.ranges = (h["ranges"]?.arrayValue ?? []).compactMap { r in r["start"]?.intValue.flatMap { a in r["end"]?.intValue.map { a..<$0 } } }
        s.values = (h["ranges"]?.arrayValue ?? []).compactMap { $0["value"]?.doubleValue }
        if let a = h["focus"]?["start"]?.intValue, let b = h["focus"]?["end"]?.intValue { s.focus = a..<b }

        let a = try heed.result(id: 3, "heed/analyze", #"{"model":"minilm","text":"\#(Self.text)","methods":["norm-summed"],"layers":[5]}"#)
        XCTAssertEqual(a["positionEncoding"]?.stringValue, encoding)
        s.analyzeTokens = (a["tokens"]?.arrayValue ?? []).map(span)
        _ = try heed.call(4, "shutdown")
        heed.notify("exit")
        XCTAssertEqual(heed.waitForExit().status, 0)
        return s
    }

    func testOffsetsInAllThreeEncodings() throws {
        try Integration.requireEnabled()
        let model = try Integration.minilm.get()
        let naive = 6..<11  // "naïve" in Unicode scalars
        XCTAssertEqual(String(String.UnicodeScalarView(Array(Self.text.unicodeScalars)[naive])), "naïve")

        let utf32 = try session("utf-32", focusScalars: naive)
        // The utf-32 session against the library's own token table.
        let table = TokenTable(text: Self.text, encoded: model.tokenizer.encode(Self.text), encoding: .utf32, tokenizer: model.tokenizer)
        XCTAssertEqual(utf32.tokenIDs, table.tokens.map(\.id))
        XCTAssertEqual(utf32.tokens, table.tokens.map { $0.special ? nil : $0.start..<$0.end })
        let spans = utf32.tokens.compactMap { $0 }
        let pieces = spans.map { String(String.UnicodeScalarView(Array(Self.text.unicodeScalars)[$0])) }
        for piece in ["🚀", "東", "京", "."] { XCTAssertTrue(pieces.contains(piece), "\(piece) is a token of its own: \(pieces)") }
        XCTAssertEqual(utf32.focus, naive)

        for encoding in ["utf-8", "utf-16"] {
            let s = try session(encoding, focusScalars: naive)
            XCTAssertEqual(s.tokenIDs, utf32.tokenIDs, encoding)
            // Each token's offsets are Swift's counts of the same substring in this encoding.
            XCTAssertEqual(s.tokens, utf32.tokens.map { $0.map { Self.units($0, encoding) } }, encoding)
            XCTAssertEqual(s.analyzeTokens, s.tokens, encoding)
            XCTAssertEqual(s.focus, Self.units(naive, encoding), encoding)
            XCTAssertEqual(s.ranges, utf32.ranges.map { Self.units($0, encoding) }, encoding)
            XCTAssertEqual(s.values, utf32.values, "the same analysis whatever the units (\(encoding))")
        }
        // Spot checks with hand-counted units: "東" starts after "Zoë 🚀 naïve ".
        let prefix = "Zoë 🚀 naïve "
        let tokyo = try XCTUnwrap(spans.first { String(String.UnicodeScalarView(Array(Self.text.unicodeScalars)[$0])) == "東" })
        XCTAssertEqual(tokyo.lowerBound, prefix.unicodeScalars.count)
        XCTAssertEqual(Self.units(tokyo, "utf-8").lowerBound, prefix.utf8.count)
        XCTAssertEqual(Self.units(tokyo, "utf-16").lowerBound, prefix.utf16.count)
        XCTAssertEqual(prefix.utf8.count, 17)
        XCTAssertEqual(prefix.utf16.count, 13)
        XCTAssertEqual(prefix.unicodeScalars.count, 12)
    }
}
