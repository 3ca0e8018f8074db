import XCTest
@testable import HeedJSONRPC
import HeedJSONTestSupport

final class EnvelopeTests: XCTestCase {
    /// The numbers come from the specs, not from the table: JSON-RPC 2.0 section 5.1, LSP 3.17
    /// (ServerNotInitialized, RequestCancelled), and DESIGN.md for Heed's own (-32014: protocol.md, section 9).
    func testErrorCodesMatchTheSpecs() {
        let spec: [JSONRPCErrorCode: Int] = [
            .parseError: -32700, .invalidRequest: -32600, .methodNotFound: -32601, .invalidParams: -32602,
            .internalError: -32603, .serverNotInitialized: -32002, .requestCancelled: -32800,
            .unknownModel: -32010, .modelLoadFailed: -32011, .methodNotSupported: -32012, .inputTooLong: -32013,
            .modelInconsistent: -32014, .requestTooLarge: -32015,
        ]
        XCTAssertEqual(JSONRPCErrorCode.allCases.count, spec.count, "a code was added without pinning it here")
        for code in JSONRPCErrorCode.allCases {
            XCTAssertEqual(code.rawValue, spec[code], "\(code)")
            XCTAssertLessThan(code.rawValue, 0)
        }
        XCTAssertEqual(Set(JSONRPCErrorCode.allCases.map(\.rawValue)).count, spec.count, "duplicate numbers")
    }

    private func single(_ text: String) -> JSONRPCMessage? {
        if case .single(let m) = JSONRPCEnvelope.classify(body: Array(text.utf8)) { return m }
        return nil
    }

    private func errorCode(_ m: JSONRPCMessage?) -> (Int, JSONRPCID?)? {
        if case .invalid(let e, let id)? = m { return (e.code.rawValue, id) }
        return nil
    }

    func testRequestsAndNotifications() throws {
        guard case .request(let r)? = single(#"{"jsonrpc":"2.0","id":3,"method":"heed/tokenize","params":{"model":"minilm","text":"hi"}}"#) else {
            return XCTFail("not a request")
        }
        XCTAssertEqual(r.id, .int(3))
        XCTAssertEqual(r.method, "heed/tokenize")
        XCTAssertEqual(r.params?["text"], "hi")

        guard case .request(let s)? = single(#"{"id":"abc","method":"shutdown","jsonrpc":"2.0","params":null}"#) else {
            return XCTFail("not a request")
        }
        XCTAssertEqual(s.id, .string("abc"))
        XCTAssertNil(s.params)

        guard case .notification(let n)? = single(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":3}}"#) else {
            return XCTFail("not a notification")
        }
        XCTAssertEqual(n.method, "$/cancelRequest")
        XCTAssertEqual(n.params?["id"]?.intValue, 3)

        guard case .response(let id)? = single(#"{"jsonrpc":"2.0","id":9,"result":null}"#) else { return XCTFail("not a response") }
        XCTAssertEqual(id, .int(9))
    }

    func testInvalidMessages() {
        let cases: [(String, Int, JSONRPCID?)] = [
            ("{", -32700, nil),
            ("", -32700, nil),
            ("[]", -32600, nil),
            ("1", -32600, nil),
            (#""x""#, -32600, nil),
            (#"{"jsonrpc":"2.0","id":1}"#, -32600, .int(1)),
            (#"{"jsonrpc":"1.0","id":1,"method":"x"}"#, -32600, .int(1)),
            (#"{"id":1,"method":"x"}"#, -32600, .int(1)),
            (#"{"jsonrpc":"2.0","id":1,"method":5}"#, -32600, .int(1)),
            (#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#, -32600, nil),
            (#"{"jsonrpc":"2.0","id":null,"method":"x"}"#, -32600, nil),
            (#"{"jsonrpc":"2.0","id":[1],"method":"x"}"#, -32600, nil),
            (#"{"jsonrpc":"2.0","id":99999999999999999999,"method":"x"}"#, -32600, nil),
            (#"{"jsonrpc":"2.0","id":"a","method":"x","params":3}"#, -32600, .string("a")),
            (#"{"jsonrpc":"2.0","id":"\uD800","method":"x"}"#, -32600, nil),
            (#"{"jsonrpc":"2.0","id":4,"method":"heed/tokenize","params":{"text":"a\uDC00b"}}"#, -32602, .int(4)),
            (#"{"jsonrpc":"2.0","id":5,"method":"x\uD800"}"#, -32602, .int(5)),
        ]
        for (text, code, id) in cases {
            let got = errorCode(single(text))
            XCTAssertEqual(got?.0, code, text)
            XCTAssertEqual(got?.1, id, text)
        }
        guard case .invalidNotification(let e, let method)? = single(#"{"jsonrpc":"2.0","method":"n","params":{"t":"\uD800"}}"#) else {
            return XCTFail("a notification with a lone surrogate is never answered")
        }
        XCTAssertEqual(e.code, .invalidParams)
        XCTAssertEqual(method, "n")
        XCTAssertTrue(e.message.contains("params.t"), e.message)
    }

    func testBatches() {
        let body = #"[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"n"},1,[],{"jsonrpc":"2.0","id":2,"method":"b","params":{"s":"\uD800"}}]"#
        guard case .batch(let items) = JSONRPCEnvelope.classify(body: Array(body.utf8)) else { return XCTFail("not a batch") }
        XCTAssertEqual(items.count, 5)
        guard case .request(let r) = items[0], case .notification(let n) = items[1] else { return XCTFail("\(items)") }
        XCTAssertEqual(r.id, .int(1))
        XCTAssertEqual(n.method, "n")
        XCTAssertEqual(errorCode(items[2])?.0, -32600)
        XCTAssertEqual(errorCode(items[3])?.0, -32600)
        XCTAssertEqual(errorCode(items[4])?.0, -32602)
        XCTAssertEqual(errorCode(items[4])?.1, .int(2))
        // An invalid batch body is one parse error, not a batch.
        XCTAssertEqual(errorCode(single(#"[{"jsonrpc":"2.0","method":"a"},"#))?.0, -32700)
    }

    /// The conformance sample sent as frame bodies, all in one stream: `n_` answers -32700 with id
    /// null, `y_` never does (a JSON value that is not a request is -32600), and the stream goes on.
    func testConformanceSampleAsFrameBodies() {
        let stream = ConformanceSample.cases.flatMap { FrameWriter.encodeFrame(body: $0.bytes) }
        var reader = FrameReader()
        let events = reader.feed(stream) + reader.finish()
        XCTAssertEqual(events.count, ConformanceSample.cases.count)
        for (c, event) in zip(ConformanceSample.cases, events) {
            guard case .frame(let body) = event, body == c.bytes else { XCTFail("\(c.name): \(event)"); continue }
            let parseError: Bool
            switch JSONRPCEnvelope.classify(body: body) {
            case .single(.invalid(let e, let id)):
                parseError = e.code == .parseError
                XCTAssertNil(id, c.name)
                if !parseError { XCTAssertEqual(e.code, .invalidRequest, c.name) }
            case .batch(let items):
                parseError = false
                XCTAssertTrue(items.allSatisfy { if case .invalid(let e, nil) = $0 { return e.code == .invalidRequest } else { return false } }, c.name)
            default:
                parseError = false
                XCTFail("\(c.name) classified as a valid message")
            }
            if c.name.hasPrefix("n_") { XCTAssertTrue(parseError, c.name) }
            if c.name.hasPrefix("y_") { XCTAssertFalse(parseError, c.name) }
        }
    }

    func testResponseBytes() throws {
        XCTAssertEqual(String(decoding: JSONRPCResponse.result(id: .int(1), json: Array("[1,2]".utf8)), as: UTF8.self),
                       #"{"jsonrpc":"2.0","id":1,"result":[1,2]}"#)
        XCTAssertEqual(String(decoding: JSONRPCResponse.result(id: .string("q\""), .null), as: UTF8.self),
                       #"{"jsonrpc":"2.0","id":"q\"","result":null}"#)
        let streamed = JSONRPCResponse.result(id: .int(2)) { w in w.tensor([0.5, 1], shape: [2]) }
        XCTAssertEqual(String(decoding: streamed.bytes, as: UTF8.self), #"{"jsonrpc":"2.0","id":2,"result":[0.5,1]}"#)
        XCTAssertFalse(streamed.nonFinite)
        XCTAssertTrue(JSONRPCResponse.result(id: .int(2)) { w in w.number(.nan) }.nonFinite)

        let error = JSONRPCError(.inputTooLong, "Input too long: 600 tokens, the limit is 512", data: ["limit": 512])
        XCTAssertEqual(String(decoding: JSONRPCResponse.error(id: .int(3), error), as: UTF8.self),
                       #"{"jsonrpc":"2.0","id":3,"error":{"code":-32013,"message":"Input too long: 600 tokens, the limit is 512","data":{"limit":512}}}"#)
        XCTAssertEqual(String(decoding: JSONRPCResponse.error(id: nil, JSONRPCError(.parseError)), as: UTF8.self),
                       #"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#)
        XCTAssertEqual(String(decoding: JSONRPCResponse.notification(method: "$/progress", params: ["token": "t", "value": ["kind": "end"]]), as: UTF8.self),
                       #"{"jsonrpc":"2.0","method":"$/progress","params":{"token":"t","value":{"kind":"end"}}}"#)
        XCTAssertNil(JSONRPCResponse.batch([]))
        XCTAssertEqual(JSONRPCResponse.batch([Array("1".utf8), Array("2".utf8)]).map { String(decoding: $0, as: UTF8.self) }, "[1,2]")
        // Responses are valid JSON-RPC: the classifier reads them back as responses.
        guard case .single(.response(let id)) = JSONRPCEnvelope.classify(body: JSONRPCResponse.error(id: .int(3), error)) else {
            return XCTFail("not read back")
        }
        XCTAssertEqual(id, .int(3))
    }
}
