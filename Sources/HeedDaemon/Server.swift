import Dispatch
import Foundation
import HeedKernels
import HeedAnalysis
import HeedJSONRPC
#if canImport(Glibc)
import Glibc
#endif

/// Options of `heed serve`.
public struct ServerOptions: Sendable {
    public var maxMemoryBytes: Int = 2 << 30
    public var maxFrameBytes: Int = FrameReader.defaultMaxFrameBytes
    public var logLevel: LogLevel = .warn
    /// Requests computed at the same time (kernels are parallel inside each).
    public var workers: Int = 2
    public init() {}
}

public enum LogLevel: Int, Comparable, Sendable {
    case error, warn, info, debug
    public init?(name: String) {
        switch name { case "error": self = .error; case "warn": self = .warn; case "info": self = .info; case "debug": self = .debug; default: return nil }
    }
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// `heed serve`: JSON-RPC 2.0 over stdio with LSP framing (protocol.md). The reader never
/// blocks on computation: requests run on worker threads, responses go through one serial writer.
public final class Server: @unchecked Sendable {
    let options: ServerOptions
    let output: FrameWriter
    let registry: ModelRegistry
    let cache: ResultCache
    /// Cached results and the working sets of the requests being computed: what the weights
    /// leave of `--max-memory` (protocol.md, section 1).
    let workingSets: WorkingSetPool
    /// Bytes of text working memory one request may use (tokenizing, token tables, a
    /// `heed/tokenize` response): a quarter of `--max-memory` shared by the workers.
    let requestWorkingBudget: Int
    private let state = NSLock()
    private var initialized = false
    private var shutdownRequested = false
    /// Requests in flight: id -> cancelled flag.
    private var inFlight: [JSONRPCID: Bool] = [:]
    private(set) var positionEncoding: PositionEncoding = .utf16
    private let work: OperationQueue
    private let pending = DispatchGroup()

    /// Takes over stdout: protocol bytes go to a duplicate of fd 1, and fd 1 itself is pointed
    /// at stderr so that a stray print can never corrupt the stream.
    public static func takeOverStdout() -> Int32 {
        let protocolFD = dup(STDOUT_FILENO)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        signal(SIGPIPE, SIG_IGN)
        return protocolFD
    }

    public init(options: ServerOptions, outputFD: Int32) {
        self.options = options
        self.output = FrameWriter(fileDescriptor: outputFD)
        // At most half the budget for loaded models' weights; what they leave shared by cached
        // results (at most a quarter) and the working sets of the requests computed at once; a
        // request's text working memory is checked against an eighth (protocol.md, section 1).
        self.registry = ModelRegistry(budget: options.maxMemoryBytes / 2)
        self.cache = ResultCache(budget: options.maxMemoryBytes / 4)
        let registry = self.registry
        self.workingSets = WorkingSetPool(budget: options.maxMemoryBytes, cacheLimit: options.maxMemoryBytes / 4,
                                          cache: cache, weights: { registry.weightBytes })
        self.requestWorkingBudget = options.maxMemoryBytes / 4 / max(1, options.workers)
        self.work = OperationQueue()
        work.maxConcurrentOperationCount = options.workers
        registry.onUnload = { [cache] id in cache.removeAll(prefix: Handlers.cachePrefix(model: id)) }
        registry.onLoad = { [weak self] model in for note in model.loadNotes { self?.log(.info, "\(model.id): \(note)") } }
    }

    func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        guard level <= options.logLevel else { return }
        FileHandle.standardError.write(Data("heed serve [\(level)]: \(message())\n".utf8))
    }

    /// Reads `input` until end of input or `exit`; returns the process exit code.
    public func run(input: Int32 = STDIN_FILENO) -> Int32 {
        var reader = FrameReader(maxFrameBytes: options.maxFrameBytes)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                for event in reader.finish() { handle(event) }
                break
            }
            for event in reader.feed(buffer[0..<n]) {
                if handle(event) != nil {
                    // `exit`: the responses already accepted are still written, then the process ends.
                    pending.wait()
                    return exitCode
                }
            }
        }
        // End of input: finish the work already accepted, then exit as `exit` would.
        pending.wait()
        return exitCode
    }

    var exitCode: Int32 { state.lock(); defer { state.unlock() }; return shutdownRequested ? 0 : 1 }

    /// Returns an exit code when the server must stop (`exit`).
    @discardableResult
    func handle(_ event: FrameEvent) -> Int32? {
        switch event {
        case let .frame(body):
            return handleBody(body)
        case let .attachedFrame(body, _):
            // Never produced: the server's reader does not read attachments (clients send none).
            return handleBody(body)
        case let .malformedHeader(reason):
            log(.warn, "skipped malformed header data: \(reason)")
        case let .oversizedFrame(declared, _):
            log(.warn, "discarded a frame of \(declared) bytes (over --max-frame)")
            send(JSONRPCResponse.error(id: nil, JSONRPCError(.invalidRequest, "Invalid Request: frame of \(declared) bytes exceeds the limit of \(options.maxFrameBytes)")))
        case let .truncatedFrame(reason):
            log(.warn, "end of input inside a frame: \(reason)")
        }
        return nil
    }

    func send(_ body: [UInt8], attachment: BinaryAttachment? = nil) {
        do {
            try output.write(body: body, attachment: attachment)
        } catch let e as FrameWriteError where e.errorNumber == EPIPE {
            clientGone()
        } catch {
            log(.error, "\(error)")
        }
    }

    /// Called once when the client has closed its end of stdout (a write failed with EPIPE:
    /// SIGPIPE is ignored, see `takeOverStdout`), after the work in flight was cancelled and
    /// the one log line written. Ends the process with code 1 by default (`_exit`: no response
    /// can be delivered any more, and the queued work is abandoned); tests replace it.
    public var onClientGone: () -> Void = { _exit(1) }
    private var clientHasGone = false

    /// The client is gone (protocol.md, section 1): cancel every request in flight, log once,
    /// then `onClientGone`. Later failed writes are silent.
    func clientGone() {
        state.lock()
        let first = !clientHasGone
        clientHasGone = true
        for id in inFlight.keys { inFlight[id] = true }
        state.unlock()
        guard first else { return }
        log(.error, "the client closed its end of stdout (broken pipe): cancelling the work in flight and exiting with code 1")
        onClientGone()
    }

    func handleBody(_ body: [UInt8]) -> Int32? {
        switch JSONRPCEnvelope.classify(body: body) {
        case let .single(message):
            return handleMessage(message, inBatch: false) { [self] response in if let response { send(response.body, attachment: response.attachment) } }
        case let .batch(messages):
            // Answered with one array once every element is done (JSON-RPC 2.0).
            let group = DispatchGroup()
            let lock = NSLock()
            var responses: [Int: [UInt8]] = [:]
            var exit: Int32? = nil
            for (k, m) in messages.enumerated() {
                group.enter()
                if let code = handleMessage(m, inBatch: true, reply: { r in
                    // Never with an attachment: `format: "binary"` is refused in a batch (-32602).
                    if let r { lock.lock(); responses[k] = r.body; lock.unlock() }
                    group.leave()
                }) { exit = code }
            }
            pending.enter()
            group.notify(queue: .global()) { [self] in
                if let array = JSONRPCResponse.batch(responses.keys.sorted().map { responses[$0]! }) { send(array) }
                pending.leave()
            }
            return exit
        }
    }

    /// Handles one message; `reply` is called exactly once (nil: no response). `inBatch`: the
    /// message is an element of a batch (whose answer is one JSON array, without attachments).
    func handleMessage(_ message: JSONRPCMessage, inBatch: Bool, reply: @escaping (OutgoingFrame?) -> Void) -> Int32? {
        switch message {
        case let .invalid(error, id):
            reply(.json(JSONRPCResponse.error(id: id, error)))
        case .response:
            log(.info, "ignored a response from the client")
            reply(nil)
        case let .invalidNotification(error, method):
            log(.warn, "ignored notification \(method): \(error.message)")
            reply(nil)
        case let .notification(n):
            reply(nil)
            return handleNotification(n)
        case let .request(r):
            handleRequest(r, inBatch: inBatch, reply: reply)
        }
        return nil
    }

    func handleNotification(_ n: JSONRPCNotification) -> Int32? {
        switch ClientMethod(rawValue: n.method) {
        case .exit?:
            return exitCode
        case .initialized?:
            return nil
        case .cancelRequest?:
            guard let params = try? RequestParams(n.params), let raw = params.value("id") else { return nil }
            let id: JSONRPCID? = raw.intValue.map { .int($0) } ?? raw.stringValue.map { .string($0) }
            if let id { cancel(id) }
            return nil
        default:
            log(.info, "ignored notification \(n.method)")
            return nil
        }
    }

    func cancel(_ id: JSONRPCID) {
        state.lock(); defer { state.unlock() }
        if inFlight[id] != nil { inFlight[id] = true }
    }

    func isCancelled(_ id: JSONRPCID) -> Bool {
        state.lock(); defer { state.unlock() }
        return clientHasGone || (inFlight[id] ?? false)
    }

    func handleRequest(_ r: JSONRPCRequest, inBatch: Bool, reply: @escaping (OutgoingFrame?) -> Void) {
        let method = ClientMethod(rawValue: r.method)
        // Lifecycle requests are answered in order, on the reader thread.
        state.lock()
        let isInitialized = initialized, isShutdown = shutdownRequested
        state.unlock()
        if method == .initialize {
            if isInitialized { return reply(.json(JSONRPCResponse.error(id: r.id, JSONRPCError(.invalidRequest, "Invalid Request: initialize was already received")))) }
            return reply(.json(initialize(r)))
        }
        guard isInitialized else {
            return reply(.json(JSONRPCResponse.error(id: r.id, JSONRPCError(.serverNotInitialized, "server not initialized: send initialize first"))))
        }
        if isShutdown {
            return reply(.json(JSONRPCResponse.error(id: r.id, JSONRPCError(.invalidRequest, "Invalid Request: the server is shutting down"))))
        }
        guard let method, !method.isNotification else {
            return reply(.json(JSONRPCResponse.error(id: r.id, JSONRPCError(.methodNotFound, "Method not found: \(r.method)"))))
        }
        if method == .shutdown {
            state.lock(); shutdownRequested = true; state.unlock()
            pending.enter()
            // Answered once the work already accepted is done.
            DispatchQueue.global().async { [self] in
                work.waitUntilAllOperationsAreFinished()
                reply(.json(JSONRPCResponse.result(id: r.id, .null)))
                pending.leave()
            }
            return
        }
        if let path = r.params?.loneSurrogatePath(root: "params") {
            return reply(.json(JSONRPCResponse.error(id: r.id, JSONRPCError(.invalidParams, "Invalid params: `\(path)` contains a lone surrogate"))))
        }
        state.lock()
        if inFlight[r.id] != nil {
            state.unlock()
            return reply(.json(JSONRPCResponse.error(id: r.id, JSONRPCError(.invalidRequest, "Invalid Request: id \(r.id) is already in flight"))))
        }
        inFlight[r.id] = false
        let encoding = positionEncoding
        state.unlock()

        let clock = StageClock()
        pending.enter()
        work.addOperation { [self] in
            clock.lap("queue")
            let response: OutgoingFrame
            let context = RequestContext(server: self, id: r.id, encoding: encoding, clock: clock, inBatch: inBatch)
            if isCancelled(r.id) {
                response = .json(JSONRPCResponse.error(id: r.id, JSONRPCError(.requestCancelled, "request cancelled")))
            } else {
                do {
                    let handled = try Handlers.handle(method, params: RequestParams(r.params), context: context)
                    // An error is a plain frame: no attachment, even for a binary request.
                    response = handled.nonFinite ? .json(JSONRPCResponse.error(id: r.id, JSONRPCError(.internalError, "internal error: a result contained NaN or infinity")))
                        : OutgoingFrame(body: handled.bytes, attachment: handled.attachment)
                } catch {
                    let e = ErrorMapping.rpcError(error)
                    if e.code == .internalError { log(.error, "\(r.method): \(error)") }
                    response = .json(JSONRPCResponse.error(id: r.id, e))
                }
            }
            state.lock(); inFlight[r.id] = nil; state.unlock()
            reply(response)
            // The response is written (or part of a batch): its working set is given back.
            let held = context.reservation.take()
            if held > 0 {
                workingSets.release(held)
                MemoryTrim.afterRequest(budget: options.maxMemoryBytes, idle: workingSets.reservedBytes == 0, log: { self.log(.debug, $0) })
            }
            clock.lap("write")
            log(.debug, "\(r.method) id \(r.id): \(clock.summary)")
            pending.leave()
        }
    }

    func initialize(_ r: JSONRPCRequest) -> [UInt8] {
        var chosen = PositionEncoding.utf16
        if let params = try? RequestParams(r.params),
           let caps = try? params.optionalObject("capabilities"),
           let general = try? caps.optionalObject("general"),
           let offered = try? general.optionalStringArray("positionEncodings"),
           let first = offered.compactMap({ PositionEncoding(rawValue: $0) }).first {
            chosen = first
        }
        state.lock(); initialized = true; positionEncoding = chosen; state.unlock()
        let result: JSONValue = .object(JSONObject([
            ("serverInfo", .object(JSONObject([("name", .string(ServerInfo.name)), ("version", .string(ServerInfo.version)),
                                               ("isa", .string(ISA.current.rawValue))]))),
            ("capabilities", .object(JSONObject([
                ("positionEncoding", .string(chosen.rawValue)),
                ("methods", .array(ClientMethod.workMethods.map { .string($0.rawValue) })),
                ("analysisMethods", .array(AnalysisMethod.allCases.map { .string($0.rawValue) })),
                ("tensorFormats", .array(ServerInfo.tensorFormats.map { .string($0.rawValue) })),
            ]))),
        ]))
        return JSONRPCResponse.result(id: r.id, result)
    }

    /// Sends `$/progress`.
    func progress(token: JSONValue, _ value: [(String, JSONValue)]) {
        send(JSONRPCResponse.notification(method: ServerNotification.progress.rawValue,
                                          params: .object(JSONObject([("token", token), ("value", .object(JSONObject(value)))]))))
    }
}

/// One frame to write: a JSON body and, for a `format: "binary"` result, its attachment.
struct OutgoingFrame {
    var body: [UInt8]
    var attachment: BinaryAttachment? = nil

    static func json(_ body: [UInt8]) -> OutgoingFrame { OutgoingFrame(body: body) }
}

/// What a handler knows of its request.
struct RequestContext {
    let server: Server
    let id: JSONRPCID
    let encoding: PositionEncoding
    /// The request is an element of a batch (answered in one JSON array: no attachment).
    let inBatch: Bool
    /// The working set this request reserved, given back after its response.
    let reservation = Reservation()
    /// Per-stage wall times, logged at `--log-level debug`.
    let clock: StageClock
    var isCancelled: () -> Bool { { [server, id] in server.isCancelled(id) } }

    init(server: Server, id: JSONRPCID, encoding: PositionEncoding, clock: StageClock, inBatch: Bool = false) {
        self.server = server; self.id = id; self.encoding = encoding; self.clock = clock; self.inBatch = inBatch
    }

    /// Reserves `ws` before the request allocates it (protocol.md, section 1): cached results
    /// are evicted to make room, the request waits for other requests' working sets to be given
    /// back, and one that cannot fit even alone is `WorkingSetTooLarge` (-32015).
    func reserve(_ ws: RequestWorkingSet, what: String) throws {
        server.log(.debug, "\(what): working set \(ws)")
        try server.workingSets.reserve(ws.total, what: what, isCancelled: isCancelled)
        reservation.add(ws.total)
    }
}
