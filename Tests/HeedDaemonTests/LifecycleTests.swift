import HeedAnalysis
import HeedDaemon
import HeedJSONRPC
import XCTest

/// protocol.md section 2: initialize, position-encoding negotiation, shutdown, exit codes.
final class LifecycleTests: XCTestCase {
    func testRequestsBeforeInitializeAreNotInitialized() throws {
        let daemon = InProcessDaemon()
        for (id, method) in [(1, "heed/models"), (2, "shutdown"), (3, "heed/nothing"), (4, "heed/tokenize")] {
            XCTAssertError(try daemon.call(id, method, #"{"text":5}"#), .serverNotInitialized, id: .int(id))
        }
        // Notifications before initialize are dropped without an answer.
        daemon.notify("initialized")
        daemon.notify("$/cancelRequest", #"{"id":1}"#)
        let result = try daemon.initialize(id: 5)
        XCTAssertEqual(result["capabilities"]?["positionEncoding"]?.stringValue, "utf-16")
        XCTAssertNotNil(try daemon.result(id: 6, sending: "heed/models")["models"])
        let (code, messages) = daemon.finish()
        XCTAssertEqual(code, 1)
        XCTAssertEqual(messages.count, 6)
    }

    func testInitializeResult() throws {
        let daemon = InProcessDaemon()
        let result = try daemon.initialize()
        XCTAssertEqual(result["serverInfo"]?["name"]?.stringValue, ServerInfo.name)
        XCTAssertEqual(result["serverInfo"]?["version"]?.stringValue, ServerInfo.version)
        let caps = try XCTUnwrap(result["capabilities"])
        XCTAssertEqual(caps["methods"]?.arrayValue?.compactMap(\.stringValue),
                       ["heed/models", "heed/loadModel", "heed/unloadModel", "heed/tokenize", "heed/analyze", "heed/highlight", "heed/predict", "heed/align"])
        XCTAssertEqual(caps["analysisMethods"]?.arrayValue?.compactMap(\.stringValue), AnalysisMethod.allCases.map(\.rawValue))
        XCTAssertEqual(caps["analysisMethods"]?.arrayValue?.count, 13)
        _ = daemon.finish()
    }

    /// The first offered encoding the server supports wins; otherwise utf-16.
    func testPositionEncodingNegotiation() throws {
        let cases: [([String]?, String)] = [
            (["utf-8", "utf-16"], "utf-8"),
            (["utf-32", "utf-8"], "utf-32"),
            (["utf-16", "utf-8"], "utf-16"),
            (["latin-1", "UTF-8", "utf-32", "utf-8"], "utf-32"),
            (["latin-1", "ucs-2"], "utf-16"),
            ([], "utf-16"),
            (nil, "utf-16"),
        ]
        for (offered, expected) in cases {
            let daemon = InProcessDaemon()
            let result = try daemon.initialize(encodings: offered)
            XCTAssertEqual(result["capabilities"]?["positionEncoding"]?.stringValue, expected, "offered \(String(describing: offered))")
            _ = daemon.finish()
        }
    }

    /// Odd capabilities never fail initialize; they read as "nothing offered".
    func testMalformedCapabilitiesFallBackToUTF16() throws {
        for params in [#"{"capabilities":5}"#, #"{"capabilities":{"general":{"positionEncodings":"utf-8"}}}"#,
                       #"{"capabilities":{"general":{"positionEncodings":[8,"utf-8"]}}}"#, "null"] {
            let daemon = InProcessDaemon()
            daemon.request(1, "initialize", params)
            let result = try daemon.result(id: 1)
            XCTAssertEqual(result["capabilities"]?["positionEncoding"]?.stringValue, "utf-16", params)
            _ = daemon.finish()
        }
    }

    func testSecondInitializeIsInvalidRequestAndKeepsTheEncoding() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize(id: 1, encodings: ["utf-8"])
        daemon.request(2, "initialize", #"{"capabilities":{"general":{"positionEncodings":["utf-32"]}}}"#)
        XCTAssertError(try daemon.response(id: .int(2)), .invalidRequest, id: .int(2), mentioning: ["initialize"])
        // Still utf-8: "é" is two bytes (the tokenizer need not load for this: the offset check comes first).
        let r = try daemon.call(3, "heed/highlight", #"{"model":"no-such-model","text":"é","focus":{"start":1,"end":1},"method":"norm"}"#)
        XCTAssertError(r, .invalidParams, id: .int(3), mentioning: ["splits"])
        _ = daemon.finish()
    }

    func testShutdownThenRequestsAreInvalidAndExitIsZero() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        XCTAssertEqual(try daemon.call(1, "shutdown"), .object(JSONObject([("jsonrpc", "2.0"), ("id", 1), ("result", .null)])))
        XCTAssertError(try daemon.call(2, "heed/models"), .invalidRequest, id: .int(2))
        XCTAssertError(try daemon.call(3, "shutdown"), .invalidRequest, id: .int(3))
        XCTAssertError(try daemon.call(4, "initialize"), .invalidRequest, id: .int(4))
        XCTAssertError(try daemon.call(5, "heed/nothing"), .invalidRequest, id: .int(5))
        daemon.notify("exit")
        // `exit` ends the server without the input being closed.
        let (code, messages) = daemon.waitForExit()
        XCTAssertEqual(code, 0)
        XCTAssertEqual(messages.count, 6)
    }

    func testExitWithoutShutdownIsOne() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        daemon.notify("exit")
        XCTAssertEqual(daemon.waitForExit().exitCode, 1)
    }

    func testExitBeforeInitializeIsOne() throws {
        let daemon = InProcessDaemon()
        daemon.notify("exit")
        XCTAssertEqual(daemon.waitForExit().exitCode, 1)
    }

    func testEndOfInputExits() throws {
        let withShutdown = InProcessDaemon()
        try withShutdown.initialize()
        _ = try withShutdown.call(1, "shutdown")
        XCTAssertEqual(withShutdown.finish().exitCode, 0)

        let without = InProcessDaemon()
        try without.initialize()
        XCTAssertEqual(without.finish().exitCode, 1)

        let silent = InProcessDaemon()
        XCTAssertEqual(silent.finish().exitCode, 1)
    }

    /// Frames after `exit` in the same write are not processed.
    func testNothingIsAnsweredAfterExit() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        daemon.sendRaw(InProcessDaemon.frame(InProcessDaemon.notification("exit")) + InProcessDaemon.frame(InProcessDaemon.request(1, "heed/models")))
        let (code, messages) = daemon.waitForExit()
        XCTAssertEqual(code, 1)
        XCTAssertEqual(messages.count, 1)
    }

    /// `exit` inside a batch ends the server too (its elements are handled as if sent one by one).
    func testExitInsideABatch() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        _ = try daemon.call(1, "shutdown")
        daemon.send("[" + InProcessDaemon.notification("exit") + "]")
        XCTAssertEqual(daemon.waitForExit().exitCode, 0)
    }
}

extension InProcessDaemon {
    /// Sends a params-less request and returns its result.
    func result(id: Int, sending method: String, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        request(id, method)
        return try result(id: id, file: file, line: line)
    }
}
