import Foundation
import HeedDaemon
import HeedJSONRPC
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A `Server` running in this process on a background thread, wired to two pipes: the test writes
/// frames into the server's input and a reader thread decodes every frame the server writes
/// (with the daemon's own FrameReader, as a client's reader: binary attachments are read, and
/// JSONParser), keeping every byte it wrote and the attachments. Closing the input ends the server, as the
/// end of stdin does; `finish()` then returns its exit code and everything it wrote.
final class InProcessDaemon: @unchecked Sendable {
    let server: Server
    private let inputWrite: Int32
    private let inputRead: Int32
    private let outputRead: Int32
    private let outputWrite: Int32
    private let condition = NSCondition()
    /// Every frame the server wrote, decoded, in order (guarded by `condition`).
    private var received: [JSONValue] = []
    /// Frames whose body was not JSON: always a bug (guarded by `condition`).
    private var undecodable: [String] = []
    /// The binary attachment of `received[k]`, by k (guarded by `condition`).
    private var attachments: [Int: [UInt8]] = [:]
    /// Every byte the server wrote (guarded by `condition`).
    private var output: [UInt8] = []
    private var outputEnded = false
    private var exitCode: Int32? = nil
    private var inputClosed = false

    /// Options for tests: quiet logs, a small frame limit where a test needs one.
    static func options(maxFrameBytes: Int = FrameReader.defaultMaxFrameBytes, workers: Int = 2) -> ServerOptions {
        var o = ServerOptions()
        o.logLevel = .error
        o.maxFrameBytes = maxFrameBytes
        o.workers = workers
        o.maxMemoryBytes = 256 << 20
        return o
    }

    init(options: ServerOptions = InProcessDaemon.options()) {
        // A write after the server stopped reading must fail with EPIPE, not kill the test run.
        signal(SIGPIPE, SIG_IGN)
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        // (Not inside a precondition: release test builds use -Ounchecked, which drops them.)
        let madeInput = pipe(&input), madeOutput = pipe(&output)
        if madeInput != 0 || madeOutput != 0 { fatalError("pipe() failed: \(String(cString: strerror(errno)))") }
        (inputRead, inputWrite, outputRead, outputWrite) = (input[0], input[1], output[0], output[1])
        server = Server(options: options, outputFD: outputWrite)

        let runner = Thread { [self] in
            let code = server.run(input: inputRead)
            close(inputRead)
            close(outputWrite)  // the reader sees the end of output once everything is written
            condition.lock(); exitCode = code; condition.broadcast(); condition.unlock()
        }
        runner.name = "InProcessDaemon.run"
        runner.start()

        let reader = Thread { [self] in readOutput() }
        reader.name = "InProcessDaemon.output"
        reader.start()
    }

    deinit {
        if !inputClosed { close(inputWrite) }
        close(outputRead)
    }

    private func readOutput() {
        var frames = FrameReader(readsBinaryAttachments: true)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(outputRead, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            let events = n > 0 ? frames.feed(buffer[0..<n]) : frames.finish()
            condition.lock()
            if n > 0 { output += buffer[0..<n] }
            for event in events {
                switch event {
                case let .frame(body):
                    if let value = try? JSONParser.parse(body) { received.append(value) } else { undecodable.append(String(decoding: body, as: UTF8.self)) }
                case let .attachedFrame(body, attachment):
                    if let value = try? JSONParser.parse(body) {
                        attachments[received.count] = attachment
                        received.append(value)
                    } else { undecodable.append(String(decoding: body, as: UTF8.self)) }
                default:
                    undecodable.append("framing: \(event)")
                }
            }
            if n <= 0 { outputEnded = true }
            condition.broadcast()
            condition.unlock()
            if n <= 0 { return }
        }
    }

    // MARK: Sending

    /// Writes raw bytes to the server's input (a write to a stopped server is ignored).
    func sendRaw(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(inputWrite, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    func sendRaw(_ text: String) { sendRaw(Array(text.utf8)) }

    /// One well-formed frame around `body`.
    func send(_ body: String) { sendRaw(Self.frame(body)) }

    static func frame(_ body: String) -> [UInt8] {
        let b = Array(body.utf8)
        return Array("Content-Length: \(b.count)\r\n\r\n".utf8) + b
    }

    /// A request body; `params` is JSON text (nil: no params member).
    static func request(_ id: Int, _ method: String, _ params: String? = nil) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)""# + (params.map { #","params":\#($0)"# } ?? "") + "}"
    }

    static func notification(_ method: String, _ params: String? = nil) -> String {
        #"{"jsonrpc":"2.0","method":"\#(method)""# + (params.map { #","params":\#($0)"# } ?? "") + "}"
    }

    func request(_ id: Int, _ method: String, _ params: String? = nil) { send(Self.request(id, method, params)) }
    func notify(_ method: String, _ params: String? = nil) { send(Self.notification(method, params)) }

    /// Sends `initialize` (offering `encodings` when given) and returns its result.
    @discardableResult
    func initialize(id: Int = 0, encodings: [String]? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        let offered = encodings.map { list in #"{"capabilities":{"general":{"positionEncodings":[\#(list.map { "\"\($0)\"" }.joined(separator: ","))]}}}"# }
        request(id, "initialize", offered ?? "{}")
        return try result(id: id, file: file, line: line)
    }

    /// Writes `body`'s request and waits for its response.
    func call(_ id: Int, _ method: String, _ params: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        request(id, method, params)
        return try response(id: .int(id), file: file, line: line)
    }

    // MARK: Receiving

    /// Everything received so far.
    var messages: [JSONValue] { condition.lock(); defer { condition.unlock() }; return received }

    /// Every byte the server wrote so far.
    var rawOutput: [UInt8] { condition.lock(); defer { condition.unlock() }; return output }

    /// The binary attachment of the (single) response with id `id` received so far, nil when it
    /// came without one (or has not come).
    func attachment(id: JSONRPCID) -> [UInt8]? {
        condition.lock(); defer { condition.unlock() }
        guard let k = received.firstIndex(where: { $0["method"] == nil && Self.id(of: $0) == id }) else { return nil }
        return attachments[k]
    }

    /// How many frames came with an attachment.
    var attachmentCount: Int { condition.lock(); defer { condition.unlock() }; return attachments.count }

    /// Waits until `find` returns something for the messages received so far.
    func wait<T>(timeout: TimeInterval = 20, for what: String, file: StaticString = #filePath, line: UInt = #line,
                 _ find: ([JSONValue]) -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock(); defer { condition.unlock() }
        while true {
            if let found = find(received) { return found }
            if outputEnded {
                XCTFail("the server's output ended before \(what); received \(received.count) messages", file: file, line: line)
                throw DaemonTestError.missing(what)
            }
            if !condition.wait(until: deadline) {
                XCTFail("timed out waiting for \(what)", file: file, line: line)
                throw DaemonTestError.missing(what)
            }
        }
    }

    /// Waits for the first message satisfying `match`.
    func first(for what: String, file: StaticString = #filePath, line: UInt = #line, _ match: @escaping (JSONValue) -> Bool) throws -> JSONValue {
        try wait(for: what, file: file, line: line) { $0.first(where: match) }
    }

    /// The (single) response with id `id`.
    func response(id: JSONRPCID?, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        try first(for: "the response to id \(id.map(String.init(describing:)) ?? "null")", file: file, line: line) { m in
            guard case .object = m, m["method"] == nil else { return false }
            return Self.id(of: m) == id && (id != nil || m["id"]?.isNull == true)
        }
    }

    /// Waits until `count` responses with id `id` arrived; returns them in order.
    func responses(id: JSONRPCID, count: Int, file: StaticString = #filePath, line: UInt = #line) throws -> [JSONValue] {
        try wait(for: "\(count) responses to id \(id)", file: file, line: line) { all in
            let matching = all.filter { $0["method"] == nil && Self.id(of: $0) == id }
            return matching.count >= count ? matching : nil
        }
    }

    /// The result of the response to `id` (fails the test on an error response).
    func result(id: Int, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        let r = try response(id: .int(id), file: file, line: line)
        guard let result = r["result"] else {
            XCTFail("id \(id) answered with an error: \(Self.text(r))", file: file, line: line)
            throw DaemonTestError.unexpected(Self.text(r))
        }
        return result
    }

    /// The id of a response (nil for null or absent).
    static func id(of message: JSONValue) -> JSONRPCID? {
        if let i = message["id"]?.intValue, message["id"]?.numberValue?.isIntegerLiteral == true { return .int(i) }
        if let s = message["id"]?.stringValue { return .string(s) }
        return nil
    }

    /// Closes the input (end of stdin), waits for `run` to return and the output to end.
    /// Returns the exit code and every message the server wrote.
    func finish(timeout: TimeInterval = 30, file: StaticString = #filePath, line: UInt = #line) -> (exitCode: Int32?, messages: [JSONValue]) {
        closeInput()
        return waitForExit(timeout: timeout, file: file, line: line)
    }

    /// Waits for `run` to return on its own (after `exit`) and for the output to end.
    func waitForExit(timeout: TimeInterval = 30, file: StaticString = #filePath, line: UInt = #line) -> (exitCode: Int32?, messages: [JSONValue]) {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock(); defer { condition.unlock() }
        while exitCode == nil || !outputEnded {
            if !condition.wait(until: deadline) {
                XCTFail("the server did not stop within \(timeout) s", file: file, line: line)
                break
            }
        }
        XCTAssertEqual(undecodable, [], "the server wrote frames that are not JSON", file: file, line: line)
        return (exitCode, received)
    }

    func closeInput() {
        condition.lock(); defer { condition.unlock() }
        if !inputClosed { close(inputWrite); inputClosed = true }
    }

    /// Compact JSON text of `value`, for messages.
    static func text(_ value: JSONValue) -> String {
        var w = JSONWriter()
        w.value(value)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

enum DaemonTestError: Error {
    case missing(String)
    case unexpected(String)
}

extension JSONValue {
    /// The error code of a response, if it is an error.
    var errorCode: Int? { self["error"]?["code"]?.intValue }
    var errorMessage: String { self["error"]?["message"]?.stringValue ?? "" }
}

/// Assertions on single responses.
func XCTAssertError(_ response: JSONValue, _ code: JSONRPCErrorCode, id: JSONRPCID?, mentioning words: [String] = [],
                    file: StaticString = #filePath, line: UInt = #line) {
    let text = InProcessDaemon.text(response)
    XCTAssertEqual(response.errorCode, code.rawValue, "expected \(code.rawValue): \(text)", file: file, line: line)
    XCTAssertEqual(InProcessDaemon.id(of: response), id, text, file: file, line: line)
    if id == nil { XCTAssertEqual(response["id"], .null, "id must be null: \(text)", file: file, line: line) }
    XCTAssertEqual(response["jsonrpc"]?.stringValue, "2.0", text, file: file, line: line)
    XCTAssertNil(response["result"], text, file: file, line: line)
    for word in words {
        XCTAssertTrue(response.errorMessage.contains(word), "message should mention \(word): \(text)", file: file, line: line)
    }
}
