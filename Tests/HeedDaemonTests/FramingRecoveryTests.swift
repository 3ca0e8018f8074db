import HeedJSONRPC
import XCTest

/// Bad bytes on the wire (protocol.md 1.1): each case is skipped or answered as specified, and the
/// server still answers the next valid request correctly.
final class FramingRecoveryTests: XCTestCase {
    /// Sends `bad`, then a valid `heed/models` request; checks that one is answered with a model
    /// list, and returns every message the server wrote.
    private func expectRecovery(after bad: [UInt8], maxFrameBytes: Int = FrameReader.defaultMaxFrameBytes,
                                file: StaticString = #filePath, line: UInt = #line) throws -> [JSONValue] {
        let daemon = InProcessDaemon(options: InProcessDaemon.options(maxFrameBytes: maxFrameBytes))
        try daemon.initialize(file: file, line: line)
        daemon.sendRaw(bad)
        daemon.request(77, "heed/models")
        let models = try daemon.result(id: 77, file: file, line: line)
        XCTAssertNotNil(models["models"]?.arrayValue, InProcessDaemon.text(models), file: file, line: line)
        let (code, messages) = daemon.finish(file: file, line: line)
        XCTAssertEqual(code, 1, "end of input without shutdown exits 1", file: file, line: line)
        return Array(messages.dropFirst())  // without the initialize response
    }

    /// Messages other than the response to the probe request (id 77).
    private func others(_ messages: [JSONValue]) -> [JSONValue] {
        messages.filter { InProcessDaemon.id(of: $0) != .int(77) }
    }

    func testGarbageBytesAreSkipped() throws {
        var garbage: [UInt8] = Array("hello there\r\n\r\nnot a header at all\u{0}\u{1}\u{7F}".utf8)
        garbage += (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        garbage += Array("\r\n\r\n".utf8)
        XCTAssertEqual(others(try expectRecovery(after: garbage)).count, 0)
    }

    func testMissingContentLengthIsSkipped() throws {
        let body = InProcessDaemon.request(1, "heed/models")
        let bad = Array("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n\(body)".utf8)
        let messages = try expectRecovery(after: bad)
        XCTAssertEqual(others(messages).count, 0, "a frame without Content-Length cannot be answered")
    }

    func testNonNumericContentLengthIsSkipped() throws {
        let body = InProcessDaemon.request(1, "heed/models")
        XCTAssertEqual(others(try expectRecovery(after: Array("Content-Length: fifty\r\n\r\n\(body)".utf8))).count, 0)
        XCTAssertEqual(others(try expectRecovery(after: Array("Content-Length: 12abc\r\n\r\n\(body)".utf8))).count, 0)
        XCTAssertEqual(others(try expectRecovery(after: Array("Content-Length: \r\n\r\n\(body)".utf8))).count, 0)
    }

    func testNegativeContentLengthIsSkipped() throws {
        let body = InProcessDaemon.request(1, "heed/models")
        XCTAssertEqual(others(try expectRecovery(after: Array("Content-Length: -5\r\n\r\n\(body)".utf8))).count, 0)
    }

    func testContentLengthOverflowingIntIsSkipped() throws {
        let body = InProcessDaemon.request(1, "heed/models")
        let bad = Array("Content-Length: 99999999999999999999999999\r\n\r\n\(body)".utf8)
        XCTAssertEqual(others(try expectRecovery(after: bad)).count, 0)
    }

    /// A header claiming 10 GB followed by a valid frame: the claim is never allocated; the
    /// discard ends at the next `Content-Length:`, and the oversized frame is answered -32600, id null.
    func testEnormousContentLengthIsNeverAllocated() throws {
        let bad = Array("Content-Length: 10000000000\r\n\r\n".utf8)
        let messages = others(try expectRecovery(after: bad))
        XCTAssertEqual(messages.count, 1, messages.map(InProcessDaemon.text).joined(separator: "\n"))
        if let m = messages.first { XCTAssertError(m, .invalidRequest, id: nil, mentioning: ["10000000000"]) }
    }

    func testFrameAboveMaxFrameIsAnsweredWithIdNull() throws {
        // A 5000-byte request with id 1 against a 1000-byte limit: its id is never read.
        let big = InProcessDaemon.request(1, "heed/tokenize", #"{"model":"x","text":"\#(String(repeating: "a", count: 5000))"}"#)
        let messages = others(try expectRecovery(after: InProcessDaemon.frame(big), maxFrameBytes: 1000))
        XCTAssertEqual(messages.count, 1, messages.map(InProcessDaemon.text).joined(separator: "\n"))
        if let m = messages.first { XCTAssertError(m, .invalidRequest, id: nil) }
    }

    func testFrameAtMaxFrameIsAccepted() throws {
        let daemon = InProcessDaemon(options: InProcessDaemon.options(maxFrameBytes: 200))
        try daemon.initialize()
        var body = InProcessDaemon.request(5, "heed/models")
        body += String(repeating: " ", count: 200 - body.utf8.count)  // whitespace after the JSON value
        XCTAssertEqual(body.utf8.count, 200)
        daemon.send(body)
        XCTAssertNotNil(try daemon.result(id: 5)["models"])
        _ = daemon.finish()
    }

    func testHeaderBlockOver8KiBIsSkipped() throws {
        let padding = "X-Padding: " + String(repeating: "p", count: 9000) + "\r\n"
        let bad = Array("Content-Length: 5\r\n\(padding)\r\n{...}".utf8)
        XCTAssertEqual(others(try expectRecovery(after: bad)).count, 0)
    }

    /// A Content-Length shorter than the body: the body is cut (not JSON: -32700, id null) and the
    /// rest of it is garbage that is skipped.
    func testShortContentLengthCostsOnlyThatFrame() throws {
        let body = InProcessDaemon.request(1, "heed/models")
        let bad = Array("Content-Length: 10\r\n\r\n\(body)".utf8)
        let messages = others(try expectRecovery(after: bad))
        XCTAssertEqual(messages.count, 1, messages.map(InProcessDaemon.text).joined(separator: "\n"))
        if let m = messages.first { XCTAssertError(m, .parseError, id: nil) }
    }

    func testFrameCutOffByEndOfInput() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        XCTAssertNotNil(try daemon.call(1, "heed/models")["result"])
        daemon.sendRaw("Content-Length: 100\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":2,")
        let (code, messages) = daemon.finish()
        XCTAssertEqual(code, 1)
        XCTAssertEqual(messages.count, 2, "the cut-off request is not answered: \(messages.map(InProcessDaemon.text))")
    }

    func testHeaderCutOffByEndOfInput() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        daemon.sendRaw("Content-Len")
        let (code, messages) = daemon.finish()
        XCTAssertEqual(code, 1)
        XCTAssertEqual(messages.count, 1)
    }

    /// Headers in any order and case, with unknown ones, and several frames in one write.
    func testHeadersInAnyOrderAndCase() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        let a = Array(InProcessDaemon.request(1, "heed/models").utf8)
        let b = Array(InProcessDaemon.request(2, "heed/models").utf8)
        let c = Array(InProcessDaemon.request(3, "heed/models").utf8)
        var bytes: [UInt8] = []
        bytes += Array("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: \(a.count)\r\n\r\n".utf8) + a
        bytes += Array("X-Custom:  1\r\nCONTENT-LENGTH:\(b.count)  \r\nX-Other: two\r\n\r\n".utf8) + b
        bytes += Array("\r\ncOnTeNt-LeNgTh: \t\(c.count)\r\n\r\n".utf8) + c
        daemon.sendRaw(bytes)
        for id in 1...3 { XCTAssertNotNil(try daemon.result(id: id)["models"], "request \(id)") }
        let (_, messages) = daemon.finish()
        XCTAssertEqual(messages.count, 4)
    }

    /// A frame split at every byte boundary still arrives whole.
    func testFrameWrittenByteByByte() throws {
        let daemon = InProcessDaemon()
        try daemon.initialize()
        for byte in InProcessDaemon.frame(InProcessDaemon.request(9, "heed/models")) { daemon.sendRaw([byte]) }
        XCTAssertNotNil(try daemon.result(id: 9)["models"])
        _ = daemon.finish()
    }
}
