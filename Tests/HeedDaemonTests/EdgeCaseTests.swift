import HeedJSONRPC
import XCTest

/// Inputs at the edges (empty text, a focus covering everything, extreme numbers, deep nesting):
/// each gets exactly one well-formed answer and the server keeps serving.
final class EdgeCaseTests: XCTestCase {
    private var daemon: InProcessDaemon!
    private var model: String { TestModels.tiny }

    override func setUpWithError() throws {
        daemon = InProcessDaemon()
        try daemon.initialize()
    }

    override func tearDown() {
        daemon = nil
    }

    /// Sends a request and returns its response, which must be a result or an error with one of `codes`.
    private func answer(_ id: Int, _ method: String, _ params: String, allowing codes: [JSONRPCErrorCode] = [],
                        file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        let r = try daemon.call(id, method, params, file: file, line: line)
        if let code = r.errorCode {
            XCTAssertTrue(codes.map(\.rawValue).contains(code), "unexpected error: \(InProcessDaemon.text(r))", file: file, line: line)
        } else {
            XCTAssertNotNil(r["result"], InProcessDaemon.text(r), file: file, line: line)
        }
        return r
    }

    func testEmptyAndBlankText() throws {
        for (k, text) in ["", " ", "\\n\\t", "\\u0000", "\\u200b"].enumerated() {
            let base = 10 * k
            let tokens = try answer(base + 1, "heed/tokenize", #"{"model":"\#(model)","text":"\#(text)"}"#)
            XCTAssertEqual(tokens["result"]?["tokens"]?.arrayValue?.compactMap { $0["text"]?.stringValue }.first, "[CLS]")
            _ = try answer(base + 2, "heed/analyze", #"{"model":"\#(model)","text":"\#(text)","methods":["attention","norm-rollout","mixing-ratio"],"granularity":"word"}"#)
            for method in ["norm", "rollout"] {
                let h = try answer(base + 3, "heed/highlight", #"{"model":"\#(model)","text":"\#(text)","focus":{"start":0,"end":0},"method":"\#(method)"}"#, allowing: [.invalidParams])
                if let ranges = h["result"]?["ranges"]?.arrayValue { XCTAssertEqual(ranges.count, 0, "no tokens to score") }
                _ = try answer(base + 4, "heed/highlight", #"{"model":"\#(model)","text":"\#(text)","focus":{"start":0,"end":0},"method":"\#(method)","direction":"received","granularity":"word"}"#, allowing: [.invalidParams])
            }
        }
        XCTAssertNotNil(try daemon.result(id: 999, sending: "heed/models")["models"])
    }

    func testFocusCoveringEveryToken() throws {
        let h = try answer(1, "heed/highlight", #"{"model":"\#(model)","text":"cat","focus":{"start":0,"end":3},"method":"attn-res","direction":"to"}"#)
        XCTAssertEqual(h["result"]?["ranges"]?.arrayValue?.count, 0)
        let h2 = try answer(2, "heed/highlight", #"{"model":"\#(model)","text":"the cat","focus":{"start":0,"end":7},"method":"norm","topK":0}"#)
        XCTAssertEqual(h2["result"]?["ranges"]?.arrayValue?.count, 0)
        // A cursor at the very end selects the last token.
        let h3 = try answer(3, "heed/highlight", #"{"model":"\#(model)","text":"the cat","focus":{"start":7,"end":7},"method":"norm"}"#)
        XCTAssertEqual(h3["result"]?["focus"]?["start"]?.intValue, 4)
        XCTAssertEqual(h3["result"]?["focus"]?["end"]?.intValue, 7)
        // A cursor in trailing whitespace: the nearest token before.
        let h4 = try answer(4, "heed/highlight", #"{"model":"\#(model)","text":"cat   ","focus":{"start":5,"end":5},"method":"norm"}"#)
        XCTAssertEqual(h4["result"]?["focus"]?["end"]?.intValue, 3)
    }

    func testExtremeNumbers() throws {
        let big = "9223372036854775807"
        _ = try answer(1, "heed/highlight", #"{"model":"\#(model)","text":"the cat","focus":{"start":\#(big),"end":\#(big)},"method":"norm"}"#, allowing: [.invalidParams])
        _ = try answer(2, "heed/highlight", #"{"model":"\#(model)","text":"the cat","focus":{"start":-\#(big),"end":0},"method":"norm"}"#, allowing: [.invalidParams])
        _ = try answer(3, "heed/highlight", #"{"model":"\#(model)","text":"the cat","focus":{"start":0,"end":1e300},"method":"norm"}"#, allowing: [.invalidParams])
        _ = try answer(4, "heed/highlight", #"{"model":"\#(model)","text":"the cat","focus":{"start":0,"end":1},"method":"norm","topK":\#(big)}"#)
        _ = try answer(5, "heed/highlight", #"{"model":"\#(model)","text":"the cat","focus":{"start":0,"end":1},"method":"norm","layer":-1}"#, allowing: [.invalidParams])
        _ = try answer(6, "heed/highlight", #"{"model":"\#(model)","text":"the cat","focus":{"start":0,"end":1},"method":"norm","layer":\#(big)}"#, allowing: [.invalidParams])
        _ = try answer(7, "heed/analyze", #"{"model":"\#(model)","text":"the cat","methods":["norm"],"layers":[\#(big)]}"#, allowing: [.invalidParams])
        _ = try answer(8, "heed/analyze", #"{"model":"\#(model)","text":"the cat","methods":["norm"],"layers":[]}"#, allowing: [.invalidParams])
        _ = try answer(9, "heed/analyze", #"{"model":"\#(model)","text":"the cat","methods":["norm","norm"],"layers":[1,1,0]}"#, allowing: [.invalidParams])
        // A huge integer id is echoed exactly; one beyond Int is not an id.
        daemon.send(#"{"jsonrpc":"2.0","id":\#(big),"method":"heed/models"}"#)
        XCTAssertNotNil(try daemon.response(id: .int(Int.max))["result"])
        daemon.send(#"{"jsonrpc":"2.0","id":92233720368547758070,"method":"heed/models"}"#)
        XCTAssertError(try daemon.response(id: nil), .invalidRequest, id: nil)
    }

    func testDeepNestingIsAParseErrorNotACrash() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        daemon.send(deep)
        XCTAssertError(try daemon.response(id: nil), .parseError, id: nil)
        // Deep but within the parser's limit, inside params.
        let nested = String(repeating: #"{"a":"#, count: 400) + "1" + String(repeating: "}", count: 400)
        let r = try daemon.call(1, "heed/tokenize", #"{"model":"\#(model)","text":"cat","extra":\#(nested)}"#)
        XCTAssertNotNil(r["result"], "unknown params are ignored")
        XCTAssertNotNil(try daemon.result(id: 2, sending: "heed/models")["models"])
    }
}
