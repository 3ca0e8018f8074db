import Foundation
import HeedAnalysis
import HeedJSONRPC
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The real `heed serve` on MiniLM, driven over pipes: lifecycle, progress, every work method,
/// long inputs, cancellation, shutdown and the exit code.
final class DaemonProcessTests: XCTestCase {
    func testSessionFromInitializeToExit() throws {
        try Integration.requireEnabled()
        let model = try Integration.minilm.get()
        let heed = try DaemonProcess()
        let initialized = try heed.initialize(encodings: ["utf-16"])
        XCTAssertEqual(initialized["capabilities"]?["positionEncoding"]?.stringValue, "utf-16")
        heed.notify("initialized")

        // Load with a workDoneToken: $/progress begin ... end, then the response.
        heed.request(1, "heed/loadModel", #"{"model":"minilm","workDoneToken":"load-1"}"#)
        let info = try heed.result(id: 1)
        let messages = heed.messages
        let responseIndex = try XCTUnwrap(messages.firstIndex { DaemonProcess.id(of: $0) == .int(1) })
        let progress = messages.enumerated().filter { $0.element["method"]?.stringValue == "$/progress" }
        XCTAssertEqual(progress.first?.element["params"]?["value"]?["kind"]?.stringValue, "begin")
        XCTAssertEqual(progress.last?.element["params"]?["value"]?["kind"]?.stringValue, "end")
        XCTAssertEqual(progress.filter { $0.element["params"]?["value"]?["kind"]?.stringValue != "report" }.count, 2)
        for p in progress {
            XCTAssertLessThan(p.offset, responseIndex, "progress comes before the response")
            XCTAssertEqual(p.element["params"]?["token"]?.stringValue, "load-1")
        }
        XCTAssertEqual(info["id"]?.stringValue, "minilm")
        XCTAssertEqual(info["family"]?.stringValue, "bert")
        XCTAssertEqual(info["loaded"], .bool(true))
        XCTAssertEqual(info["layers"]?.intValue, 6)
        XCTAssertEqual(info["heads"]?.intValue, 12)
        XCTAssertEqual(info["hidden"]?.intValue, 384)
        XCTAssertEqual(info["maxTokens"]?.intValue, 512)
        XCTAssertEqual(info["methods"]?.arrayValue?.compactMap(\.stringValue),
                       ["norm-summed", "attention", "attn-res-ln", "attn-res", "norm", "rollout", "norm-rollout",
                        "alti", "alti-rollout", "globenc", "value-zeroing"])
        XCTAssertEqual(info["causal"], .bool(false))
        XCTAssertEqual(info["source"]?.stringValue, model.directory.path)

        // tokenize: the example of protocol.md 5.4.
        let tokens = try XCTUnwrap(try heed.result(id: 2, "heed/tokenize", #"{"model":"minilm","text":"Héllo!"}"#)["tokens"]?.arrayValue)
        XCTAssertEqual(tokens.compactMap { $0["id"]?.intValue }, [101, 7592, 999, 102])
        XCTAssertEqual(tokens.compactMap { $0["text"]?.stringValue }, ["[CLS]", "hello", "!", "[SEP]"])
        XCTAssertEqual(tokens.compactMap { $0["start"]?.intValue }, [0, 0, 5, 0])
        XCTAssertEqual(tokens.compactMap { $0["end"]?.intValue }, [0, 5, 6, 0])
        XCTAssertEqual(tokens.compactMap { $0["special"] }, [.bool(true), .bool(false), .bool(false), .bool(true)])
        XCTAssertEqual(tokens.compactMap { $0["word"]?.intValue }, [0, 1, 2, 3])

        // analyze: the numbers are the library's, exactly.
        let text = "The cat sat on the mat."
        let analysis = try heed.result(id: 3, "heed/analyze", #"{"model":"minilm","text":"\#(text)","methods":["attention","norm-summed"],"layers":[0,5]}"#)
        let ids = model.tokenizer.encode(text).ids
        let T = ids.count
        let forward = try model.network.forward(ids, taps: .attention, isCancelled: { false })
        let layers = try XCTUnwrap(analysis["layers"]?.arrayValue)
        XCTAssertEqual(layers.compactMap { $0["layer"]?.intValue }, [0, 5])
        for entry in layers {
            let l = try XCTUnwrap(entry["layer"]?.intValue)
            let alpha = try XCTUnwrap(forward.layers[l].attention)
            let attention = try XCTUnwrap(entry["attention"]?.arrayValue)
            XCTAssertEqual(attention.count, 12)
            for h in 0..<12 {
                let rows = try XCTUnwrap(attention[h].arrayValue)
                XCTAssertEqual(rows.count, T)
                for i in 0..<T {
                    let row = try XCTUnwrap(rows[i].arrayValue?.compactMap(\.doubleValue))
                    XCTAssertEqual(row.count, T)
                    for j in 0..<T where Float(row[j]) != alpha.data[(h * T + i) * T + j] {
                        XCTFail("attention[\(l)][\(h)][\(i)][\(j)] = \(row[j]), the library says \(alpha.data[(h * T + i) * T + j])")
                        return
                    }
                }
            }
            XCTAssertEqual(entry["norm-summed"]?.arrayValue?.count, T)
        }

        // highlight: the example of protocol.md 5.6 ("cat" is utf-16 4..<7).
        let h = try heed.result(id: 4, "heed/highlight", #"{"model":"minilm","text":"The cat sat.","focus":{"start":4,"end":4},"method":"norm-summed"}"#)
        XCTAssertEqual(h["focus"]?["start"]?.intValue, 4)
        XCTAssertEqual(h["focus"]?["end"]?.intValue, 7)
        XCTAssertEqual(h["layer"]?.intValue, 5)
        XCTAssertEqual(h["method"]?.stringValue, "norm-summed")
        let ranges = try XCTUnwrap(h["ranges"]?.arrayValue)
        XCTAssertEqual(ranges.compactMap { $0["start"]?.intValue }, [0, 8, 11])
        XCTAssertEqual(ranges.compactMap { $0["end"]?.intValue }, [3, 11, 12])
        XCTAssertEqual(ranges.compactMap { $0["score"]?.doubleValue }.max(), 1)
        // The same highlight again is answered from the cache with the same numbers.
        let again = try heed.result(id: 5, "heed/highlight", #"{"model":"minilm","text":"The cat sat.","focus":{"start":4,"end":4},"method":"norm-summed"}"#)
        XCTAssertEqual(again["ranges"], h["ranges"])

        let models = try XCTUnwrap(try heed.result(id: 6, "heed/models")["models"]?.arrayValue)
        XCTAssertEqual(models.first { $0["id"]?.stringValue == "minilm" }?["loaded"], .bool(true))

        XCTAssertEqual(try heed.call(7, "shutdown")["result"], .null)
        XCTAssertEqual(try heed.call(8, "heed/models").errorCode, JSONRPCErrorCode.invalidRequest.rawValue)
        heed.notify("exit")
        let (status, all) = heed.waitForExit()
        XCTAssertEqual(status, 0, heed.stderr)
        let answered = all.compactMap { DaemonProcess.id(of: $0) }
        XCTAssertEqual(answered.count, Set(answered).count, "one response per request")
    }

    func testExitWithoutShutdownIsOneAndEndOfInputExits() throws {
        try Integration.requireEnabled()
        let a = try DaemonProcess()
        try a.initialize()
        a.notify("exit")
        XCTAssertEqual(a.waitForExit().status, 1)

        let b = try DaemonProcess()
        try b.initialize()
        _ = try b.call(1, "shutdown")
        XCTAssertEqual(b.finish().status, 0, "end of input after shutdown")

        let c = try DaemonProcess()
        c.sendRaw("garbage\r\n\r\nContent-Length: 2\r\n\r\n[]")
        XCTAssertEqual(c.finish().status, 1, "end of input without shutdown")
        XCTAssertEqual(c.messages.first?.errorCode, JSONRPCErrorCode.invalidRequest.rawValue)
    }

    /// Text beyond 512 tokens: highlight analyses the window around the focus; analyze refuses.
    /// A utf-16 focus between the halves of a surrogate pair is refused.
    func testLongTextAndBadFocus() throws {
        try Integration.requireEnabled()
        let heed = try DaemonProcess()
        try heed.initialize(encodings: ["utf-16"])
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 70)
        let tokens = try XCTUnwrap(try heed.result(id: 1, "heed/tokenize", #"{"model":"minilm","text":"\#(text)"}"#)["tokens"]?.arrayValue)
        XCTAssertEqual(tokens.count, 702, "never truncated")

        let analyze = try heed.call(2, "heed/analyze", #"{"model":"minilm","text":"\#(text)","methods":["attention"]}"#)
        XCTAssertEqual(analyze.errorCode, JSONRPCErrorCode.inputTooLong.rawValue, DaemonProcess.text(analyze))
        XCTAssertEqual(analyze["error"]?["data"]?["limit"]?.intValue, 512)
        XCTAssertEqual(analyze["error"]?["data"]?["tokens"]?.intValue, 702)

        // Focus "fox" of sentence 35.
        let sentence = "The quick brown fox jumps over the lazy dog. ".utf16.count
        let focus = 35 * sentence + 16
        let h = try heed.result(id: 3, "heed/highlight", #"{"model":"minilm","text":"\#(text)","focus":{"start":\#(focus),"end":\#(focus + 3)},"method":"norm-summed"}"#)
        let window = try XCTUnwrap(h["window"], DaemonProcess.text(h))
        let ws = try XCTUnwrap(window["start"]?.intValue), we = try XCTUnwrap(window["end"]?.intValue)
        XCTAssertLessThanOrEqual(ws, focus)
        XCTAssertGreaterThanOrEqual(we, focus + 3)
        let inside = tokens.filter { t in
            guard t["special"] == .bool(false), let s = t["start"]?.intValue, let e = t["end"]?.intValue else { return false }
            return s >= ws && e <= we
        }
        XCTAssertEqual(inside.count, 510, "the window holds 512 positions less [CLS] and [SEP]")
        XCTAssertEqual(h["ranges"]?.arrayValue?.count, 509, "every token of the window but the focus")
        // Centred on the focus: about as many tokens on either side.
        let before = inside.filter { ($0["end"]?.intValue ?? 0) <= focus }.count
        XCTAssertLessThanOrEqual(abs(before - (509 - before)), 2)

        // "a 🚀 b": the rocket is utf-16 2..<4; 3 is inside it.
        for (id, range) in [(4, (3, 3)), (5, (3, 4)), (6, (0, 3))] {
            let r = try heed.call(id, "heed/highlight", #"{"model":"minilm","text":"a 🚀 b","focus":{"start":\#(range.0),"end":\#(range.1)},"method":"attention"}"#)
            XCTAssertEqual(r.errorCode, JSONRPCErrorCode.invalidParams.rawValue, DaemonProcess.text(r))
            XCTAssertTrue(r.errorMessage.contains("focus"), r.errorMessage)
        }
        let ok = try heed.result(id: 7, "heed/highlight", #"{"model":"minilm","text":"a 🚀 b","focus":{"start":2,"end":4},"method":"attention"}"#)
        XCTAssertEqual(ok["focus"]?["start"]?.intValue, 2)
        XCTAssertEqual(ok["focus"]?["end"]?.intValue, 4)
        _ = heed.finish()
    }

    /// Four long analyses back to back on two workers, the last three cancelled at once: the
    /// queued ones cannot have started, the running one stops between layers (or finished first).
    func testCancellingLongRequests() throws {
        try Integration.requireEnabled()
        let heed = try DaemonProcess()
        try heed.initialize()
        _ = try heed.result(id: 1, "heed/loadModel", #"{"model":"minilm"}"#)
        // Every method but those that re-run layers (value zeroing would dominate the time).
        let methods = AnalysisMethod.allCases.filter { !$0.needsRerun }.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
        var burst: [UInt8] = []
        for id in 10...13 {
            // Distinct texts of about 500 tokens, so that no forward pass comes from the cache.
            let text = (0..<60).map { "Sentence \($0) of request \(id) is long." }.joined(separator: " ")
            burst += DaemonProcess.frame(#"{"jsonrpc":"2.0","id":\#(id),"method":"heed/analyze","params":{"model":"minilm","text":"\#(text)","methods":[\#(methods)],"layers":[5],"heads":"mean","format":"base64"}}"#)
        }
        for id in 11...13 { burst += DaemonProcess.frame(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":\#(id)}}"#) }
        heed.sendRaw(burst)

        let first = try heed.response(id: .int(10), timeout: 120)
        let tokenCount = first["result"]?["tokens"]?.arrayValue?.count ?? 0
        XCTAssertGreaterThan(tokenCount, 400, String(DaemonProcess.text(first).prefix(300)))
        XCTAssertLessThanOrEqual(tokenCount, 512)
        var cancelled = 0
        for id in 11...13 {
            let r = try heed.response(id: .int(id), timeout: 120)
            if r.errorCode == JSONRPCErrorCode.requestCancelled.rawValue { cancelled += 1 } else {
                XCTAssertNotNil(r["result"], "cancelled or finished, nothing else: \(DaemonProcess.text(r).prefix(300))")
            }
        }
        print("cancellation: \(cancelled) of 3 cancelled; request 10 had \(tokenCount) tokens")
        XCTAssertGreaterThan(cancelled, 0, "at least the queued requests are cancelled")
        // The server goes on, and every request was answered exactly once.
        XCTAssertNotNil(try heed.result(id: 14, "heed/tokenize", #"{"model":"minilm","text":"still here"}"#)["tokens"])
        _ = try heed.call(15, "shutdown")
        heed.notify("exit")
        let (status, all) = heed.waitForExit()
        XCTAssertEqual(status, 0)
        let answered = all.compactMap { DaemonProcess.id(of: $0) }
        XCTAssertEqual(answered.sorted { "\($0)" < "\($1)" }, [0, 1, 10, 11, 12, 13, 14, 15].map { JSONRPCID.int($0) }.sorted { "\($0)" < "\($1)" })
    }
}

// MARK: - The executable over pipes

/// `heed serve` in a child process. The test writes frames to its stdin; a reader thread decodes
/// every frame of its stdout with the daemon's own FrameReader and JSONParser (anything else on
/// stdout is a failure: stdout carries protocol bytes only).
final class DaemonProcess: @unchecked Sendable {
    let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private let condition = NSCondition()
    private var received: [JSONValue] = []
    private var problems: [String] = []
    private var outputEnded = false
    private var errorText = Data()
    private var inputClosed = false

    init(arguments: [String] = ["serve"]) throws {
        signal(SIGPIPE, SIG_IGN)
        process.executableURL = Integration.executable
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        Thread { [self] in readOutput() }.start()
        Thread { [self] in
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            condition.lock(); errorText = data; condition.unlock()
        }.start()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    private func readOutput() {
        let fd = output.fileHandleForReading.fileDescriptor
        var frames = FrameReader()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            let events = n > 0 ? frames.feed(buffer[0..<n]) : frames.finish()
            condition.lock()
            for event in events {
                if case let .frame(body) = event {
                    do { received.append(try JSONParser.parse(body)) } catch { problems.append("not JSON: \(error)") }
                } else {
                    problems.append("stdout is not clean: \(event)")
                }
            }
            if n <= 0 { outputEnded = true }
            condition.broadcast()
            condition.unlock()
            if n <= 0 { return }
        }
    }

    /// What the server logged.
    var stderr: String { condition.lock(); defer { condition.unlock() }; return String(decoding: errorText, as: UTF8.self) }
    var messages: [JSONValue] { condition.lock(); defer { condition.unlock() }; return received }

    static func frame(_ body: String) -> [UInt8] {
        let b = Array(body.utf8)
        return Array("Content-Length: \(b.count)\r\n\r\n".utf8) + b
    }

    func sendRaw(_ bytes: [UInt8]) { try? input.fileHandleForWriting.write(contentsOf: Data(bytes)) }
    func sendRaw(_ text: String) { sendRaw(Array(text.utf8)) }
    func send(_ body: String) { sendRaw(Self.frame(body)) }

    func request(_ id: Int, _ method: String, _ params: String? = nil) {
        send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)""# + (params.map { #","params":\#($0)"# } ?? "") + "}")
    }

    func notify(_ method: String, _ params: String? = nil) {
        send(#"{"jsonrpc":"2.0","method":"\#(method)""# + (params.map { #","params":\#($0)"# } ?? "") + "}")
    }

    @discardableResult
    func initialize(encodings: [String]? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        let offered = encodings.map { #"{"capabilities":{"general":{"positionEncodings":[\#($0.map { "\"\($0)\"" }.joined(separator: ","))]}}}"# }
        request(0, "initialize", offered ?? "{}")
        return try result(id: 0, file: file, line: line)
    }

    func call(_ id: Int, _ method: String, _ params: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        request(id, method, params)
        return try response(id: .int(id), file: file, line: line)
    }

    /// Sends a request and returns its result (fails on an error response).
    func result(id: Int, _ method: String, _ params: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        request(id, method, params)
        return try result(id: id, file: file, line: line)
    }

    func result(id: Int, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        let r = try response(id: .int(id), file: file, line: line)
        guard let result = r["result"] else {
            XCTFail("id \(id) answered with an error: \(Self.text(r))", file: file, line: line)
            throw DaemonProcessError.unexpected(Self.text(r))
        }
        return result
    }

    func response(id: JSONRPCID, timeout: TimeInterval = 60, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock(); defer { condition.unlock() }
        while true {
            if let m = received.first(where: { $0["method"] == nil && Self.id(of: $0) == id }) { return m }
            if outputEnded || !condition.wait(until: deadline) {
                XCTFail("no response to id \(id) (\(outputEnded ? "stdout ended" : "timed out")); stderr: \(String(decoding: errorText, as: UTF8.self))", file: file, line: line)
                throw DaemonProcessError.missing(id)
            }
        }
    }

    static func id(of message: JSONValue) -> JSONRPCID? {
        if let i = message["id"]?.intValue, message["id"]?.numberValue?.isIntegerLiteral == true { return .int(i) }
        if let s = message["id"]?.stringValue { return .string(s) }
        return nil
    }

    /// Closes stdin (end of input) and waits for the process to exit.
    func finish(timeout: TimeInterval = 60, file: StaticString = #filePath, line: UInt = #line) -> (status: Int32?, messages: [JSONValue]) {
        if !inputClosed { try? input.fileHandleForWriting.close(); inputClosed = true }
        return waitForExit(timeout: timeout, file: file, line: line)
    }

    /// Waits for the process to exit on its own and for its stdout to end.
    func waitForExit(timeout: TimeInterval = 60, file: StaticString = #filePath, line: UInt = #line) -> (status: Int32?, messages: [JSONValue]) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            XCTFail("heed serve did not exit within \(timeout) s", file: file, line: line)
            process.terminate()
            return (nil, messages)
        }
        condition.lock()
        while !outputEnded && condition.wait(until: deadline) {}
        let (all, bad) = (received, problems)
        condition.unlock()
        XCTAssertEqual(bad, [], file: file, line: line)
        return (process.terminationStatus, all)
    }

    static func text(_ value: JSONValue) -> String {
        var w = JSONWriter()
        w.value(value)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

enum DaemonProcessError: Error {
    case missing(JSONRPCID)
    case unexpected(String)
}

extension JSONValue {
    var errorCode: Int? { self["error"]?["code"]?.intValue }
    var errorMessage: String { self["error"]?["message"]?.stringValue ?? "" }
}
