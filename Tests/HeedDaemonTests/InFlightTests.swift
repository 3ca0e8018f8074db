import HeedJSONRPC
import XCTest

/// Requests in flight: duplicate ids, `$/cancelRequest`, and `shutdown` waiting for accepted work.
/// A model whose weights file is a named pipe holds a request in flight deterministically until
/// the test releases it (see `TestModels.blocking`).
final class InFlightTests: XCTestCase {
    private func blockingLoad(_ daemon: InProcessDaemon, id: String, _ model: BlockingModel) {
        daemon.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"heed/loadModel","params":{"model":"\#(model.id)"}}"#)
    }

    private func expectLoadFailure(_ response: JSONValue, id: JSONRPCID, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertError(response, .modelLoadFailed, id: id, mentioning: ["model.safetensors"], file: file, line: line)
    }

    func testDuplicateIdInFlightIsInvalidRequest() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        let model = TestModels.blocking("duplicate")
        defer { model.releaseIfNeeded() }
        blockingLoad(daemon, id: "1", model)
        daemon.request(1, "heed/models")
        let duplicate = try daemon.response(id: .int(1))
        XCTAssertError(duplicate, .invalidRequest, id: .int(1), mentioning: ["in flight"])
        // A string id "1" is a different id.
        daemon.send(#"{"jsonrpc":"2.0","id":"1","method":"heed/models"}"#)
        XCTAssertNotNil(try daemon.response(id: .string("1"))["result"])
        // The original continues and gets its own answer.
        XCTAssertTrue(model.release(), "the load never opened the weights")
        let answers = try daemon.responses(id: .int(1), count: 2)
        expectLoadFailure(answers[1], id: .int(1))
        // Once answered, the id can be used again.
        daemon.request(1, "heed/nothing")
        XCTAssertError(try daemon.responses(id: .int(1), count: 3)[2], .methodNotFound, id: .int(1))
        XCTAssertEqual(daemon.finish().exitCode, 1)
    }

    func testDuplicateIdInsideABatch() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        let model = TestModels.blocking("batch")
        defer { model.releaseIfNeeded() }
        daemon.send("[" + #"{"jsonrpc":"2.0","id":5,"method":"heed/loadModel","params":{"model":"\#(model.id)"}}"# + ","
                    + InProcessDaemon.request(5, "heed/models") + "]")
        XCTAssertTrue(model.release())
        let batch = try daemon.first(for: "the batch response") { $0.arrayValue != nil }
        let items = try XCTUnwrap(batch.arrayValue)
        XCTAssertEqual(items.count, 2)
        XCTAssertEqual(Set(items.compactMap(\.errorCode)), [JSONRPCErrorCode.modelLoadFailed.rawValue, JSONRPCErrorCode.invalidRequest.rawValue])
        _ = daemon.finish()
    }

    /// One worker: the blocked load holds it, so the analyze request is still queued when cancelled.
    func testCancelledQueuedRequestAnswersRequestCancelled() throws {
        let daemon = InProcessDaemon(options: InProcessDaemon.options(workers: 1))
        try daemon.initialize()
        let model = TestModels.blocking("queued")
        defer { model.releaseIfNeeded() }
        blockingLoad(daemon, id: "1", model)
        daemon.request(2, "heed/analyze", #"{"model":"\#(TestModels.tiny)","text":"the cat sat","methods":["norm"]}"#)
        daemon.send(#"{"jsonrpc":"2.0","id":"job-3","method":"heed/tokenize","params":{"model":"\#(TestModels.tiny)","text":"the cat"}}"#)
        daemon.request(4, "heed/tokenize", #"{"model":"\#(TestModels.tiny)","text":"the cat"}"#)
        daemon.notify("$/cancelRequest", #"{"id":2}"#)
        daemon.notify("$/cancelRequest", #"{"id":"job-3"}"#)
        XCTAssertTrue(model.release())
        expectLoadFailure(try daemon.response(id: .int(1)), id: .int(1))
        XCTAssertError(try daemon.response(id: .int(2)), .requestCancelled, id: .int(2))
        XCTAssertError(try daemon.response(id: .string("job-3")), .requestCancelled, id: .string("job-3"))
        XCTAssertNotNil(try daemon.result(id: 4)["tokens"], "a request that was not cancelled is answered")
        // A cancelled id is free again once answered.
        daemon.request(2, "heed/tokenize", #"{"model":"\#(TestModels.tiny)","text":"cat"}"#)
        XCTAssertNotNil(try daemon.responses(id: .int(2), count: 2)[1]["result"]?["tokens"])
        let (_, messages) = daemon.finish()
        XCTAssertEqual(messages.count, 6, "exactly one response per request")
    }

    func testCancelOfUnknownOrFinishedIdsIsIgnored() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        XCTAssertNotNil(try daemon.result(id: 1, sending: "heed/models")["models"])
        for params in [#"{"id":1}"#, #"{"id":12345}"#, #"{"id":"nope"}"#, #"{"id":null}"#, "{}", #"{"id":[1]}"#, "[1]"] {
            daemon.notify("$/cancelRequest", params)
        }
        // The finished id 1 is usable again and not cancelled.
        XCTAssertNotNil(try daemon.result(id: 1, sending: "heed/models")["models"])
        XCTAssertNotNil(try daemon.result(id: 12345, sending: "heed/models")["models"])
        let (_, messages) = daemon.finish()
        XCTAssertEqual(messages.count, 4)
    }

    /// `shutdown` is answered once the work already accepted is done.
    func testShutdownWaitsForWorkInFlight() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        let model = TestModels.blocking("shutdown")
        defer { model.releaseIfNeeded() }
        blockingLoad(daemon, id: "1", model)
        daemon.request(2, "shutdown")
        XCTAssertTrue(model.release())
        XCTAssertEqual(try daemon.response(id: .int(2))["result"], .null)
        let ids = daemon.messages.compactMap { InProcessDaemon.id(of: $0) }
        XCTAssertEqual(ids, [.int(0), .int(1), .int(2)], "the load's answer comes before shutdown's")
        daemon.notify("exit")
        XCTAssertEqual(daemon.waitForExit().exitCode, 0)
    }
}
