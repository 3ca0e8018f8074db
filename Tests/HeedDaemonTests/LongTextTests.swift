import Foundation
import HeedAnalysis
import HeedJSONRPC
import HeedModels
import HeedTokenizers
import XCTest

/// Issue 15, item 1: a highlight on a long text encodes only a region around the focus and gives
/// exactly what encoding the whole text gives; long texts and text working memory have limits
/// (protocol.md, sections 1 and 5).
final class LongTextTests: XCTestCase {
    private var model: String { TestModels.tiny }
    private static let block = "the cat sat on the mat. 🚀 it was tired, and [MASK] kitten with é 東 friend!\n   hi there  "

    /// Past `Pipeline.windowingThresholdUTF8Bytes`: windowed in the daemon.
    static let longText: String = {
        var s = ""
        var k = 0
        while s.utf8.count <= Pipeline.windowingThresholdUTF8Bytes + 5000 { s += block; if k % 7 == 0 { s += "dog is " }; k += 1 }
        return s
    }()

    func testWindowedHighlightEqualsTheWholeTextEncoding() throws {
        let text = Self.longText
        let loaded = try LoadedModel.load(id: model, directory: URL(fileURLWithPath: model))
        XCTAssertGreaterThan(loaded.tokenizer.encode(text).tokens.count, loaded.shape.maxTokens)
        XCTAssertEqual(loaded.tokenizer.cutScalars, [" ", "\n"], "the tiny tokenizer allows windowing")
        let daemon = InProcessDaemon()
        try daemon.initialize()
        let length = text.utf16.count
        let middle = (text.utf16.count / 2)
        // Cursors and spans: near the start, in the middle, inside a run of spaces, at the end.
        let spaces = text.utf16.distance(from: text.utf16.startIndex, to: text.range(of: "   hi")!.lowerBound.samePosition(in: text.utf16)!) + 1
        let cases: [(Range<Int>, String, Granularity, HighlightDirection)] = [
            (4..<4, "norm-summed", .token, .from), (middle..<middle, "attention", .token, .from),
            (middle..<(middle + 40), "norm", .word, .to), (spaces..<spaces, "attn-res", .token, .from),
            (length..<length, "rollout", .word, .received), ((length - 30)..<(length - 2), "norm-summed", .token, .from),
            (2000..<2000, "norm-summed", .token, .from),
        ]
        for (k, (focus, method, granularity, direction)) in cases.enumerated() {
            var focus = focus
            // On a character boundary in utf-16.
            let units = Array(text.utf16)
            func splits(_ k: Int) -> Bool { k > 0 && k < units.count && UTF16.isTrailSurrogate(units[k]) }
            while splits(focus.lowerBound) { focus = (focus.lowerBound + 1)..<max(focus.lowerBound + 1, focus.upperBound) }
            while splits(focus.upperBound) { focus = focus.lowerBound..<(focus.upperBound + 1) }
            let params = #"{"model":"\#(model)","text":\#(Self.quoted(text)),"focus":{"start":\#(focus.lowerBound),"end":\#(focus.upperBound)},"method":"\#(method)","granularity":"\#(granularity.rawValue)","direction":"\#(direction.rawValue)"}"#
            let got = try daemon.result(id: k + 1, sending: "heed/highlight", params: params)
            let request = HighlightRequest(text: text, focus: focus, method: AnalysisMethod(rawValue: method)!, direction: direction, granularity: granularity, encoding: .utf16)
            let want = try Pipeline.highlight(model: loaded, request: request)
            let window = try XCTUnwrap(want.window)
            XCTAssertEqual(got["window"]?["start"]?.intValue, window.lowerBound, "case \(k)")
            XCTAssertEqual(got["window"]?["end"]?.intValue, window.upperBound, "case \(k)")
            XCTAssertEqual(got["focus"]?["start"]?.intValue, want.focus.lowerBound, "case \(k)")
            XCTAssertEqual(got["focus"]?["end"]?.intValue, want.focus.upperBound, "case \(k)")
            let ranges = try XCTUnwrap(got["ranges"]?.arrayValue)
            XCTAssertEqual(ranges.count, want.ranges.count, "case \(k)")
            XCTAssertEqual(ranges.compactMap { $0["start"]?.intValue }, want.ranges.map(\.start), "case \(k)")
            XCTAssertEqual(ranges.compactMap { $0["end"]?.intValue }, want.ranges.map(\.end), "case \(k)")
            XCTAssertEqual(ranges.compactMap { $0["value"]?.doubleValue.map(Float.init) }, want.ranges.map(\.value), "case \(k)")
            XCTAssertEqual(ranges.compactMap { $0["score"]?.doubleValue.map(Float.init) }, want.ranges.map(\.score), "case \(k)")
        }
        _ = daemon.finish()
    }

    static func quoted(_ s: String) -> String {
        var w = JSONWriter()
        w.string(s)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// `heed/analyze` of a text past the limit: -32013 with the exact number of tokens, counted
    /// region by region.
    func testAnalyzeOfALongTextCountsItsTokens() throws {
        let text = Self.longText
        let loaded = try LoadedModel.load(id: model, directory: URL(fileURLWithPath: model))
        let tokens = loaded.tokenizer.encode(text).tokens.count
        let daemon = InProcessDaemon()
        try daemon.initialize()
        let r = try daemon.call(1, "heed/analyze", #"{"model":"\#(model)","text":\#(Self.quoted(text)),"methods":["attention"]}"#)
        XCTAssertError(r, .inputTooLong, id: .int(1))
        XCTAssertEqual(r["error"]?["data"], .object(JSONObject([("limit", .number(JSONNumber(600))), ("tokens", .number(JSONNumber(tokens)))])))
        _ = daemon.finish()
    }

    /// InProcessDaemon runs with --max-memory 256M and 2 workers: one request may use
    /// 256M / 4 / 2 = 32 MiB of text working memory.
    func testWorkingMemoryBeyondTheRequestShareIsRefused() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        let budget = (256 << 20) / 4 / 2
        // heed/tokenize: 400 bytes per UTF-8 byte of text.
        let text = String(repeating: "the cat ", count: 12_000)  // 96,000 bytes
        let r = try daemon.call(1, "heed/tokenize", #"{"model":"\#(model)","text":"\#(text)"}"#)
        XCTAssertError(r, .requestTooLarge, id: .int(1))
        XCTAssertEqual(InProcessDaemon.text(r["error"] ?? .null),
                       #"{"code":-32015,"message":"request too large: tokenizing 96000 bytes of text needs about 38400000 bytes of working memory; one request may use \#(budget) (a share of --max-memory)","data":{"neededBytes":38400000,"budgetBytes":\#(budget)}}"#)
        // Just within: answered.
        let small = String(repeating: "the cat ", count: 10_000)  // 80,000 bytes: 32,000,000
        XCTAssertEqual(try daemon.result(id: 2, sending: "heed/tokenize", params: #"{"model":"\#(model)","text":"\#(small)"}"#)["tokens"]?.arrayValue?.count, 20_002)
        // A highlight whose text has no space to cut at: the region is the whole text.
        let solid = String(repeating: "a", count: 300_000)
        let h = try daemon.call(3, "heed/highlight", #"{"model":"\#(model)","text":"\#(solid)","focus":{"start":5,"end":5},"method":"norm"}"#)
        XCTAssertError(h, .requestTooLarge, id: .int(3))
        XCTAssertEqual(h["error"]?["data"], .object(JSONObject([("neededBytes", .number(JSONNumber(48_000_000))), ("budgetBytes", .number(JSONNumber(budget)))])))
        XCTAssertNotNil(try daemon.result(id: 4, sending: "heed/models", params: "{}")["models"])
        _ = daemon.finish()
    }
}
