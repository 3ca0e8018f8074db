import Foundation
import HeedAnalysis
import HeedJSONRPC
import HeedModels
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
            let analysis = try answer(base + 2, "heed/analyze", #"{"model":"\#(model)","text":"\#(text)","methods":["attention","norm-rollout","mixing-ratio"],"granularity":"word"}"#)
            try assertAnalysisOfBlankText(try XCTUnwrap(analysis["result"]), text: text)
            // No unit to focus on (protocol.md 5.6): -32602 naming the reason, for every method and granularity.
            let noUnit = "Invalid params: the text has no token to focus on: it is empty or holds only whitespace or characters the tokenizer drops (the special tokens the tokenizer inserts have no span)"
            for method in ["norm", "rollout"] {
                for (n, extra) in ["", #","direction":"received","granularity":"word""#].enumerated() {
                    let id = base + 3 + n
                    let h = try daemon.call(id, "heed/highlight", #"{"model":"\#(model)","text":"\#(text)","focus":{"start":0,"end":0},"method":"\#(method)"\#(extra)}"#)
                    XCTAssertError(h, .invalidParams, id: .int(id))
                    XCTAssertEqual(h.errorMessage, noUnit.replacingOccurrences(of: "no token", with: n == 0 ? "no token" : "no word"), "\(text) \(method) \(extra)")
                }
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

    /// The blank texts all tokenize to [CLS] [SEP]: the analysis has two words, and its numbers are
    /// exactly those of Pipeline.analyze on the same model (JSON floats read back to the same float32).
    private func assertAnalysisOfBlankText(_ result: JSONValue, text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let loaded = try LoadedModel.load(id: model, directory: URL(fileURLWithPath: model))
        let expected = try Pipeline.analyze(model: loaded, text: "", options: AnalyzeOptions(methods: [.attention, .normRollout, .mixingRatio], granularity: .word),
                                            encoding: .utf16)
        // Two words, the inserted [CLS] and [SEP]: special, with empty spans (so empty texts).
        XCTAssertEqual(result["words"]?.arrayValue?.compactMap { $0["special"]?.boolValue }, [true, true], text, file: file, line: line)
        XCTAssertEqual(result["words"]?.arrayValue?.compactMap { $0["text"]?.stringValue }, ["", ""], text, file: file, line: line)
        let layers = try XCTUnwrap(result["layers"]?.arrayValue)
        XCTAssertEqual(layers.compactMap { $0["layer"]?.intValue }, [0, 1], text, file: file, line: line)
        for (l, layer) in layers.enumerated() {
            guard case let .tensor(alpha) = expected.layers[l].values[0].value, case let .vectors(mixing) = expected.layers[l].values[1].value else {
                return XCTFail("unexpected analysis layout", file: file, line: line)
            }
            XCTAssertEqual(alpha.shape, [4, 2, 2])
            XCTAssertEqual(Self.floats(layer["attention"]), alpha.data, "\(text) layer \(l) attention", file: file, line: line)
            XCTAssertEqual(mixing.map(\.key), ["attn-w", "attn-n", "attnres-w", "attnres-n", "attnresln-n"])
            for (key, values) in mixing {
                XCTAssertEqual(Self.floats(layer["mixing-ratio"]?[key]), values, "\(text) layer \(l) \(key)", file: file, line: line)
            }
        }
        XCTAssertEqual(Self.floats(result["norm-rollout"]), try XCTUnwrap(expected.normRollout).data, "\(text) norm-rollout", file: file, line: line)
        // Rows of the norm rollout (products of row-normalised matrices) sum to 1.
        let rollout = Self.floats(result["norm-rollout"])
        XCTAssertEqual(rollout.count, 4)
        for i in 0..<2 { XCTAssertEqual(rollout[2 * i] + rollout[2 * i + 1], 1, accuracy: 1e-6, file: file, line: line) }
    }

    /// Every number of a nested JSON array, in row-major order, as Float.
    static func floats(_ value: JSONValue?) -> [Float] {
        switch value {
        case let .array(items)?: return items.flatMap { floats($0) }
        case let .number(n)?: return [Float(n.double)]
        default: return []
        }
    }

    /// The error object of `response`, which must be exactly `expected` (JSON text).
    private func assertError(_ response: JSONValue, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let want = try JSONParser.parse(Array(expected.utf8))
        XCTAssertNil(response["result"], InProcessDaemon.text(response), file: file, line: line)
        XCTAssertEqual(response["error"], want, "got \(InProcessDaemon.text(response))", file: file, line: line)
    }

    /// The contract of protocol.md 5.6: `layer` is 0...L-1 or "last"; anything else is -32602
    /// naming the valid range in the message and in `data`.
    func testHighlightLayerOutsideTheModelIsInvalidParams() throws {
        let big = "9223372036854775807"
        let params = #"{"model":"\#(model)","text":"the cat","focus":{"start":0,"end":1},"method":"norm","layer":"#
        try assertError(try daemon.call(1, "heed/highlight", params + "-1}"),
                        #"{"code":-32602,"message":"Invalid params: `layer` is -1: the model has layers 0...1 or \"last\"","data":{"field":"layer","min":0,"max":1}}"#)
        try assertError(try daemon.call(2, "heed/highlight", params + "2}"),
                        #"{"code":-32602,"message":"Invalid params: `layer` is 2: the model has layers 0...1 or \"last\"","data":{"field":"layer","min":0,"max":1}}"#)
        try assertError(try daemon.call(3, "heed/highlight", params + big + "}"),
                        #"{"code":-32602,"message":"Invalid params: `layer` is \#(big): the model has layers 0...1 or \"last\"","data":{"field":"layer","min":0,"max":1}}"#)
        // Rollouts ignore the layer, but it must still be a layer of the model.
        try assertError(try daemon.call(4, "heed/highlight", params.replacingOccurrences(of: "\"norm\"", with: "\"rollout\"") + "-1}"),
                        #"{"code":-32602,"message":"Invalid params: `layer` is -1: the model has layers 0...1 or \"last\"","data":{"field":"layer","min":0,"max":1}}"#)
        // The bounds themselves are valid.
        XCTAssertEqual(try daemon.call(5, "heed/highlight", params + "0}")["result"]?["layer"]?.intValue, 0)
        XCTAssertEqual(try daemon.call(6, "heed/highlight", params + "1}")["result"]?["layer"]?.intValue, 1)
        XCTAssertEqual(try daemon.call(7, "heed/highlight", params + #""last"}"#)["result"]?["layer"]?.intValue, 1)
    }

    /// protocol.md 5.5: every `layers` entry is 0...L-1 (the error names the entry); repeated
    /// layers and methods count once, layers in ascending order; [] reports no layer.
    func testAnalyzeLayersOutsideTheModelAreInvalidParams() throws {
        let big = "9223372036854775807"
        let params = #"{"model":"\#(model)","text":"the cat","methods":["norm"],"layers":"#
        try assertError(try daemon.call(1, "heed/analyze", params + "[\(big)]}"),
                        #"{"code":-32602,"message":"Invalid params: `layers[0]` is \#(big): the model has layers 0...1","data":{"field":"layers[0]","min":0,"max":1}}"#)
        try assertError(try daemon.call(2, "heed/analyze", params + "[0,1,-1]}"),
                        #"{"code":-32602,"message":"Invalid params: `layers[2]` is -1: the model has layers 0...1","data":{"field":"layers[2]","min":0,"max":1}}"#)
        try assertError(try daemon.call(3, "heed/analyze", params + "[1,2]}"),
                        #"{"code":-32602,"message":"Invalid params: `layers[1]` is 2: the model has layers 0...1","data":{"field":"layers[1]","min":0,"max":1}}"#)

        let none = try daemon.result(id: 4, sending: "heed/analyze", params: params + "[]}")
        XCTAssertEqual(none["layers"], .array([]))
        XCTAssertEqual(none["tokens"]?.arrayValue?.count, 4)

        let plain = try daemon.result(id: 5, sending: "heed/analyze", params: params + "[0,1]}")
        let repeated = try daemon.result(id: 6, sending: "heed/analyze",
                                         params: #"{"model":"\#(model)","text":"the cat","methods":["norm","norm"],"layers":[1,1,0]}"#)
        let layers = try XCTUnwrap(repeated["layers"]?.arrayValue)
        XCTAssertEqual(layers.compactMap { $0["layer"]?.intValue }, [0, 1])
        XCTAssertEqual(layers.compactMap { $0.objectValue?.keys }, [["layer", "norm"], ["layer", "norm"]])
        XCTAssertEqual(repeated["layers"], plain["layers"])
    }

    /// protocol.md 3: a focus outside the text (negative, beyond its length in the negotiated
    /// encoding), reversed, or splitting a character is -32602 naming `focus`, with the text's
    /// length and the encoding in `data`.
    func testFocusOutsideTheTextIsInvalidParams() throws {
        let big = "9223372036854775807"
        func highlight(_ id: Int, _ focus: String, text: String = "the cat", on d: InProcessDaemon? = nil) throws -> JSONValue {
            try (d ?? daemon).call(id, "heed/highlight", #"{"model":"\#(model)","text":"\#(text)","focus":\#(focus),"method":"norm"}"#)
        }
        try assertError(try highlight(1, #"{"start":\#(big),"end":\#(big)}"#),
                        #"{"code":-32602,"message":"Invalid params: `focus` \#(big)..<\#(big) is outside the text (7 utf-16 units)","data":{"field":"focus","length":7,"encoding":"utf-16"}}"#)
        try assertError(try highlight(2, #"{"start":-\#(big),"end":0}"#),
                        #"{"code":-32602,"message":"Invalid params: `focus` -\#(big)..<0 is outside the text (7 utf-16 units)","data":{"field":"focus","length":7,"encoding":"utf-16"}}"#)
        try assertError(try highlight(3, #"{"start":7,"end":8}"#),
                        #"{"code":-32602,"message":"Invalid params: `focus` 7..<8 is outside the text (7 utf-16 units)","data":{"field":"focus","length":7,"encoding":"utf-16"}}"#)
        try assertError(try highlight(4, #"{"start":3,"end":2}"#),
                        #"{"code":-32602,"message":"Invalid params: `focus.end` must not be before focus.start"}"#)
        try assertError(try highlight(5, #"{"start":0,"end":1e300}"#),
                        #"{"code":-32602,"message":"Invalid params: `focus.end` must be an integer, not a number (1e+300)"}"#)
        // Between the two halves of a surrogate pair (utf-16): "a😀b" has 😀 at 1..<3.
        try assertError(try highlight(6, #"{"start":2,"end":3}"#, text: "a😀b"),
                        #"{"code":-32602,"message":"Invalid params: `focus` offset 2 splits a character in utf-16 units","data":{"field":"focus","length":4,"encoding":"utf-16"}}"#)
        // The end of the text is a valid cursor.
        XCTAssertEqual(try highlight(7, #"{"start":7,"end":7}"#)["result"]?["focus"]?["end"]?.intValue, 7)

        // In utf-8, "é" is 2 bytes: offset 2 is inside it, and the text is 4 bytes long.
        let d8 = InProcessDaemon()
        try d8.initialize(encodings: ["utf-8"])
        try assertError(try highlight(8, #"{"start":2,"end":4}"#, text: "aéb", on: d8),
                        #"{"code":-32602,"message":"Invalid params: `focus` offset 2 splits a character in utf-8 units","data":{"field":"focus","length":4,"encoding":"utf-8"}}"#)
        try assertError(try highlight(9, #"{"start":0,"end":5}"#, text: "aéb", on: d8),
                        #"{"code":-32602,"message":"Invalid params: `focus` 0..<5 is outside the text (4 utf-8 units)","data":{"field":"focus","length":4,"encoding":"utf-8"}}"#)
        _ = d8.finish()
    }

    func testExtremeNumbers() throws {
        let big = "9223372036854775807"
        // topK beyond the number of ranges keeps them all: "the" is the focus, "cat" the one range.
        let h = try daemon.result(id: 4, sending: "heed/highlight",
                                  params: #"{"model":"\#(model)","text":"the cat","focus":{"start":0,"end":1},"method":"norm","topK":\#(big)}"#)
        let ranges = try XCTUnwrap(h["ranges"]?.arrayValue)
        XCTAssertEqual(ranges.count, 1)
        XCTAssertEqual(ranges.first?["start"]?.intValue, 4)
        XCTAssertEqual(ranges.first?["end"]?.intValue, 7)
        XCTAssertEqual(ranges.first?["score"]?.doubleValue, 1)
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
