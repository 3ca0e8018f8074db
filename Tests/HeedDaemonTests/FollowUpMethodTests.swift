import HeedJSONRPC
import HeedTestSupport
import XCTest

/// ALTI, alti-rollout, GlobEnc and value zeroing through the protocol (protocol.md sections
/// 4, 5.5, 5.6, 6, 7): shapes, -32012 for GlobEnc on a decoder, the methods in ModelInfo, and
/// `$/progress` for `heed/analyze` with a `workDoneToken`.
final class FollowUpMethodTests: XCTestCase {
    static let llama = Fixtures.url("models/tiny-llama").path
    static let text = "the cat sat on the mat because it was tired"

    static func matrix(_ v: JSONValue?) -> [[Double]] {
        (v?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap(\.doubleValue) }
    }

    func testDecoderAnalysisHasTheFollowUpsButNotGlobEnc() throws {
        let d = InProcessDaemon()
        try d.initialize()
        let info = try d.result(id: 1, sending: "heed/loadModel", params: #"{"model":"\#(Self.llama)"}"#)
        XCTAssertEqual(info["methods"]?.arrayValue?.compactMap(\.stringValue),
                       ["norm-summed", "attention", "attn-res", "norm", "rollout", "norm-rollout", "alti", "alti-rollout", "value-zeroing"])
        let params = #"{"model":"\#(Self.llama)","text":"\#(Self.text)","methods":["alti","value-zeroing","alti-rollout"],"layers":[1],"workDoneToken":"vz"}"#
        let result = try d.result(id: 2, sending: "heed/analyze", params: params)
        let T = try XCTUnwrap(result["tokens"]?.arrayValue?.count)
        XCTAssertGreaterThan(T, 5)
        let layer = try XCTUnwrap(result["layers"]?.arrayValue?.first)
        XCTAssertEqual(layer["layer"]?.intValue, 1)
        for key in ["alti", "value-zeroing"] {
            let m = Self.matrix(layer[key])
            XCTAssertEqual(m.count, T, key)
            for (i, row) in m.enumerated() {
                XCTAssertEqual(row.count, T, key)
                XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4, "\(key) row \(i) sums to 1")
                XCTAssertTrue(row.dropFirst(i + 1).allSatisfy { $0 == 0 }, "\(key) row \(i): nothing from later tokens")
            }
        }
        XCTAssertEqual(Self.matrix(result["alti-rollout"]).count, T)
        XCTAssertNil(result["globenc"])

        // GlobEnc: -32012 naming it, with the supported methods.
        let refused = try d.call(3, "heed/analyze", #"{"model":"\#(Self.llama)","text":"hi","methods":["alti","globenc"]}"#)
        XCTAssertError(refused, .methodNotSupported, id: .int(3), mentioning: ["globenc"])
        let supported = refused["error"]?["data"]?["supported"]?.arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertTrue(supported.contains("alti") && supported.contains("value-zeroing"), "\(supported)")
        XCTAssertFalse(supported.contains("globenc") || supported.contains("attn-res-ln"), "\(supported)")
        let highlight = try d.call(4, "heed/highlight", #"{"model":"\#(Self.llama)","text":"hi there","focus":{"start":0,"end":0},"method":"globenc"}"#)
        XCTAssertError(highlight, .methodNotSupported, id: .int(4), mentioning: ["globenc"])

        let (_, messages) = d.finish()
        // $/progress for the request with the token: begin, reports up to 100, end, then the response.
        let responseIndex = try XCTUnwrap(messages.firstIndex { $0["method"] == nil && InProcessDaemon.id(of: $0) == .int(2) })
        let progress = messages.enumerated().filter { $0.element["method"]?.stringValue == "$/progress" }
        XCTAssertTrue(progress.allSatisfy { $0.element["params"]?["token"]?.stringValue == "vz" }, "no progress without a token")
        XCTAssertTrue(progress.allSatisfy { $0.offset < responseIndex }, "every notification before the response")
        let kinds = progress.compactMap { $0.element["params"]?["value"]?["kind"]?.stringValue }
        XCTAssertEqual(kinds.first, "begin")
        XCTAssertEqual(kinds.last, "end")
        XCTAssertEqual(kinds.filter { $0 != "report" }, ["begin", "end"])
        let percentages = progress.filter { $0.element["params"]?["value"]?["kind"]?.stringValue == "report" }
            .compactMap { $0.element["params"]?["value"]?["percentage"]?.intValue }
        XCTAssertFalse(percentages.isEmpty)
        XCTAssertEqual(percentages, percentages.sorted())
        XCTAssertEqual(percentages.last, 100)
    }

    func testEncoderHighlightsWithEveryFollowUp() throws {
        let d = InProcessDaemon()
        try d.initialize()
        let info = try d.result(id: 1, sending: "heed/loadModel", params: #"{"model":"\#(TestModels.tiny)"}"#)
        XCTAssertTrue(info["methods"]?.arrayValue?.compactMap(\.stringValue).contains("globenc") == true)
        for (k, method) in ["alti", "alti-rollout", "globenc", "value-zeroing"].enumerated() {
            let r = try d.result(id: 10 + k, sending: "heed/highlight",
                                 params: #"{"model":"\#(TestModels.tiny)","text":"the cat sat on the mat","focus":{"start":4,"end":4},"method":"\#(method)"}"#)
            XCTAssertEqual(r["method"]?.stringValue, method)
            let ranges = try XCTUnwrap(r["ranges"]?.arrayValue)
            XCTAssertFalse(ranges.isEmpty, method)
            XCTAssertEqual(ranges.compactMap { $0["score"]?.doubleValue }.max(), 1, method)
            XCTAssertEqual(r["layer"]?.isNull, method.hasSuffix("rollout") || method == "globenc", method)
        }
        let a = try d.result(id: 20, sending: "heed/analyze",
                             params: #"{"model":"\#(TestModels.tiny)","text":"the cat sat","methods":["globenc"],"format":"base64"}"#)
        XCTAssertEqual(a["globenc"]?["shape"]?.arrayValue?.compactMap(\.intValue).count, 2)
        _ = d.finish()
    }
}
