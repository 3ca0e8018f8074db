import HeedJSONRPC
import XCTest

/// JSON-RPC 2.0 envelopes (protocol.md 1.2): what is answered, with which code and id, and what
/// is never answered. After each, the server still answers a valid request.
final class MessageHandlingTests: XCTestCase {
    private var daemon: InProcessDaemon!

    override func setUpWithError() throws {
        daemon = InProcessDaemon()
        try daemon.initialize()
    }

    override func tearDown() {
        daemon = nil
    }

    /// Sends `body` (one frame), then a probe request; returns the messages written in between
    /// (the server answers frames in order on its reader thread, so an answer to `body` comes
    /// before the probe's).
    private func answers(to body: String, file: StaticString = #filePath, line: UInt = #line) throws -> [JSONValue] {
        try answers(toRaw: InProcessDaemon.frame(body), file: file, line: line)
    }

    private func answers(toRaw frame: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> [JSONValue] {
        let before = daemon.messages.count
        daemon.sendRaw(frame)
        probe += 1
        daemon.request(probe, "heed/models")
        _ = try daemon.result(id: probe, file: file, line: line)
        let all = daemon.messages
        return Array(all[before...]).filter { InProcessDaemon.id(of: $0) != .int(probe) }
    }

    private var probe = 1_000_000

    /// Sends one request and returns its response (answers from worker threads come in any order).
    private func answer(_ id: Int, _ method: String, _ params: String?, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        daemon.request(id, method, params)
        return try daemon.response(id: .int(id), file: file, line: line)
    }

    private func answer(_ body: String, id: JSONRPCID, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        daemon.send(body)
        return try daemon.response(id: id, file: file, line: line)
    }

    private func single(_ messages: [JSONValue], file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
        XCTAssertEqual(messages.count, 1, messages.map(InProcessDaemon.text).joined(separator: "\n"), file: file, line: line)
        return messages.first ?? .null
    }

    // MARK: Parse errors

    func testInvalidJSONIsAnsweredParseErrorWithIdNull() throws {
        for body in [#"{"jsonrpc":"2.0","id":1,"#, "not json", #"{"jsonrpc":"2.0","id":2,"method":"heed/models"}}"#,
                     "[1,2", "", #"{"id":3 "method":"x"}"#, #"{"jsonrpc":"2.0","id":4,"method":"heed/models","params":{"a":01}}"#] {
            XCTAssertError(single(try answers(to: body)), .parseError, id: nil, mentioning: [])
        }
    }

    func testInvalidUTF8IsAParseError() throws {
        var frame = Array("Content-Length: 8\r\n\r\n".utf8)
        frame += [0x22, 0xFF, 0xFE, 0x22, 0x20, 0x20, 0x20, 0x20]
        XCTAssertError(single(try answers(toRaw: frame)), .parseError, id: nil)
    }

    // MARK: Not a request

    func testJSONThatIsNotARequestIsInvalidRequest() throws {
        for body in ["5", #""hello""#, "null", "true", "{}", #"{"jsonrpc":"2.0"}"#, #"{"jsonrpc":"2.0","id":[1],"method":"heed/models"}"#,
                     #"{"jsonrpc":"2.0","id":1.5,"method":"heed/models"}"#, #"{"jsonrpc":"2.0","id":{"a":1},"method":"heed/models"}"#] {
            XCTAssertError(single(try answers(to: body)), .invalidRequest, id: nil)
        }
    }

    func testInvalidRequestEchoesAReadableId() throws {
        let cases: [(String, JSONRPCID)] = [
            (#"{"jsonrpc":"2.0","id":7}"#, .int(7)),                                      // no method
            (#"{"jsonrpc":"2.0","id":"s-8","params":{}}"#, .string("s-8")),
            (#"{"jsonrpc":"1.0","id":9,"method":"heed/models"}"#, .int(9)),               // wrong version
            (#"{"id":10,"method":"heed/models"}"#, .int(10)),                               // no jsonrpc
            (#"{"jsonrpc":"2.0","id":11,"method":5}"#, .int(11)),                          // method not a string
            (#"{"jsonrpc":"2.0","id":12,"method":"heed/models","params":"x"}"#, .int(12)), // params a string
        ]
        for (body, id) in cases { XCTAssertError(single(try answers(to: body)), .invalidRequest, id: id) }
    }

    /// A response object from the client is not a request: nothing to answer.
    func testResponsesFromTheClientAreIgnored() throws {
        XCTAssertEqual(try answers(to: #"{"jsonrpc":"2.0","id":3,"result":null}"#).count, 0)
        XCTAssertEqual(try answers(to: #"{"jsonrpc":"2.0","id":4,"error":{"code":1,"message":"m"}}"#).count, 0)
    }

    // MARK: Batches

    func testBatchIsAnsweredWithAnArray() throws {
        let body = "[" + [InProcessDaemon.request(1, "heed/models"), InProcessDaemon.notification("initialized"),
                          InProcessDaemon.request(2, "heed/nothing"), "5", InProcessDaemon.request(3, "heed/tokenize", #"{"text":1}"#),
                          InProcessDaemon.notification("heed/unknownNotification")].joined(separator: ",") + "]"
        daemon.send(body)
        let batch = try daemon.first(for: "the batch response") { $0.arrayValue != nil }
        let items = try XCTUnwrap(batch.arrayValue)
        XCTAssertEqual(items.count, 4, InProcessDaemon.text(batch))
        let byID = Dictionary(grouping: items, by: { InProcessDaemon.id(of: $0).map(String.init(describing:)) ?? "null" })
        XCTAssertNotNil(byID["1"]?.first?["result"]?["models"])
        if let r = byID["2"]?.first { XCTAssertError(r, .methodNotFound, id: .int(2)) } else { XCTFail("no answer to id 2") }
        if let r = byID["3"]?.first { XCTAssertError(r, .invalidParams, id: .int(3), mentioning: ["text"]) } else { XCTFail("no answer to id 3") }
        if let r = byID["null"]?.first { XCTAssertError(r, .invalidRequest, id: nil) } else { XCTFail("no answer to 5") }
        // And the server goes on.
        XCTAssertNotNil(try daemon.call(4, "heed/models")["result"])
        let (_, messages) = daemon.finish()
        XCTAssertEqual(messages.count, 3, "initialize, the batch, id 4")
    }

    func testEmptyBatchIsInvalidRequest() throws {
        let r = single(try answers(to: "[]"))
        XCTAssertNil(r.arrayValue, "an empty batch gets a single response, not an array")
        XCTAssertError(r, .invalidRequest, id: nil)
    }

    func testBatchOfNotificationsGetsNoResponse() throws {
        daemon.send("[" + [InProcessDaemon.notification("initialized"), InProcessDaemon.notification("$/cancelRequest", #"{"id":99}"#),
                           InProcessDaemon.notification("heed/whatever", "[1,2]")].joined(separator: ",") + "]")
        XCTAssertNotNil(try daemon.call(1, "heed/models")["result"])
        // Everything accepted is written before the output ends.
        let (_, messages) = daemon.finish()
        XCTAssertEqual(messages.count, 2, messages.map(InProcessDaemon.text).joined(separator: "\n"))
    }

    func testBatchOfOneRequestIsStillAnArray() throws {
        daemon.send("[" + InProcessDaemon.request(1, "heed/nothing") + "]")
        let batch = try daemon.first(for: "the batch response") { $0.arrayValue != nil }
        XCTAssertEqual(batch.arrayValue?.count, 1)
        if let r = batch.arrayValue?.first { XCTAssertError(r, .methodNotFound, id: .int(1)) }
    }

    // MARK: Methods and notifications

    func testUnknownMethodsAreMethodNotFound() throws {
        for (k, method) in ["heed/nothing", "textDocument/hover", "", "HEED/MODELS", "initialized", "$/cancelRequest", "exit", "$/progress"].enumerated() {
            XCTAssertError(single(try answers(to: InProcessDaemon.request(k + 1, method))), .methodNotFound, id: .int(k + 1))
        }
    }

    func testNotificationsAreNeverAnswered() throws {
        for body in [InProcessDaemon.notification("initialized"), InProcessDaemon.notification("heed/unknown"),
                     InProcessDaemon.notification("$/setTrace", #"{"value":"off"}"#), InProcessDaemon.notification("heed/models"),
                     InProcessDaemon.notification("heed/tokenize", #"{"text":5}"#), InProcessDaemon.notification("$/cancelRequest"),
                     InProcessDaemon.notification("$/cancelRequest", #"{"id":{"x":1}}"#), InProcessDaemon.notification("initialize"),
                     InProcessDaemon.notification("shutdown"),
                     InProcessDaemon.notification("heed/unknown", #"{"text":"\ud800"}"#)] {
            XCTAssertEqual(try answers(to: body).count, 0, body)
        }
        // `shutdown` sent as a notification did not shut the server down.
        XCTAssertNotNil(try daemon.call(1, "heed/models")["result"])
        XCTAssertEqual(daemon.finish().exitCode, 1)
    }

    // MARK: Params

    func testWrongParamTypesNameTheField() throws {
        // The model is resolved after the params are checked, so an unknown one is fine here.
        let cases: [(String, String, String)] = [
            ("heed/tokenize", #"{"model":"no-such-model","text":5}"#, "`text`"),
            ("heed/tokenize", #"{"text":"hi"}"#, "`model`"),
            ("heed/tokenize", #"{"model":7,"text":"hi"}"#, "`model`"),
            ("heed/tokenize", "[1,2]", "params"),
            ("heed/analyze", #"{"model":"no-such-model","text":"hi","methods":"x"}"#, "`methods`"),
            ("heed/analyze", #"{"model":"no-such-model","text":"hi","methods":["attention",3]}"#, "`methods[1]`"),
            ("heed/analyze", #"{"model":"no-such-model","text":"hi","methods":["attention","nonsense"]}"#, "`methods`"),
            ("heed/analyze", #"{"model":"no-such-model","text":"hi","methods":[]}"#, "`methods`"),
            ("heed/analyze", #"{"model":"no-such-model","text":"hi","methods":["norm"],"layers":[0,"1"]}"#, "`layers[1]`"),
            ("heed/analyze", #"{"model":"no-such-model","text":"hi","methods":["norm"],"layers":1}"#, "`layers`"),
            ("heed/analyze", #"{"model":"no-such-model","text":"hi","methods":["norm"],"heads":"some"}"#, "`heads`"),
            ("heed/analyze", #"{"model":"no-such-model","text":"hi","methods":["norm"],"granularity":"char"}"#, "`granularity`"),
            ("heed/analyze", #"{"model":"no-such-model","text":"hi","methods":["norm"],"format":"xml"}"#, "`format`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":[],"method":"norm"}"#, "`focus`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","method":"norm"}"#, "`focus`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":"0","end":1},"method":"norm"}"#, "`focus.start`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":0},"method":"norm"}"#, "`focus.end`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":0,"end":1.5},"method":"norm"}"#, "`focus.end`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":2,"end":1},"method":"norm"}"#, "`focus.end`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":0,"end":3},"method":"norm"}"#, "`focus`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":-1,"end":1},"method":"norm"}"#, "`focus`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":0,"end":1},"method":["norm"]}"#, "`method`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":0,"end":1},"method":"value-norm-x"}"#, "`method`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":0,"end":1},"method":"norm","layer":"first"}"#, "`layer`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":0,"end":1},"method":"norm","direction":"up"}"#, "`direction`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":0,"end":1},"method":"norm","topK":-1}"#, "`topK`"),
            ("heed/highlight", #"{"model":"no-such-model","text":"hi","focus":{"start":0,"end":1},"method":"norm","topK":"3"}"#, "`topK`"),
            ("heed/loadModel", #"{"model":["minilm"]}"#, "`model`"),
            ("heed/loadModel", #"{"model":"no-such-model","workDoneToken":{"a":1}}"#, "`workDoneToken`"),
            ("heed/unloadModel", "{}", "`model`"),
        ]
        for (k, (method, params, field)) in cases.enumerated() {
            let r = try answer(k + 1, method, params)
            XCTAssertError(r, .invalidParams, id: .int(k + 1), mentioning: [field])
        }
    }

    func testLoneSurrogateIsInvalidParamsWithTheRequestsId() throws {
        let r1 = try answer(#"{"jsonrpc":"2.0","id":41,"method":"heed/tokenize","params":{"model":"no-such-model","text":"a\ud800b"}}"#, id: .int(41))
        XCTAssertError(r1, .invalidParams, id: .int(41), mentioning: ["text"])
        let r2 = try answer(#"{"jsonrpc":"2.0","id":"s42","method":"heed/highlight","params":{"model":"x","text":"\udc00","focus":{"start":0,"end":0},"method":"norm"}}"#, id: .string("s42"))
        XCTAssertError(r2, .invalidParams, id: .string("s42"), mentioning: ["text"])
        // A reversed pair is two lone surrogates; a proper pair is fine (and decoded).
        let r3 = try answer(#"{"jsonrpc":"2.0","id":43,"method":"heed/tokenize","params":{"model":"no-such-model","text":"\ude80\ud83d"}}"#, id: .int(43))
        XCTAssertError(r3, .invalidParams, id: .int(43))
        let r4 = try answer(#"{"jsonrpc":"2.0","id":44,"method":"heed/tokenize","params":{"model":"no-such-model","text":"\ud83d\ude80"}}"#, id: .int(44))
        XCTAssertError(r4, .unknownModel, id: .int(44))
        // In a nested field, and in an id (which then cannot be echoed).
        let r5 = try answer(#"{"jsonrpc":"2.0","id":45,"method":"heed/analyze","params":{"model":"m","text":"t","methods":["\ud800"]}}"#, id: .int(45))
        XCTAssertError(r5, .invalidParams, id: .int(45), mentioning: ["methods"])
        let r6 = single(try answers(to: #"{"jsonrpc":"2.0","id":"\ud800","method":"heed/models"}"#))
        XCTAssertError(r6, .invalidRequest, id: nil)
    }
}
