import Foundation
import HeedJSONRPC

/// `heed bench daemon`: replays an editor session against `heed serve` over stdio and prints
/// p50/p95 latencies (first highlight on a new ~128-token text, a new focus on the same text,
/// analyze of 512 tokens) and the daemon's resident memory before and after 10,000 requests.
enum BenchDaemon {
    final class Client {
        let process = Process()
        let input = Pipe(), output = Pipe(), errors = Pipe()
        /// A client's reader: `format: "binary"` results come with an attachment (read, not kept).
        var reader = FrameReader(readsBinaryAttachments: true)
        /// The daemon's `--log-level debug` lines per request id: "queue 0.01, params 0.02, ...".
        private var stageLines: [Int: String] = [:]
        private let stageLock = NSLock()
        var frames: [[UInt8]] = []
        var nextID = 1

        init(model: String) throws {
            #if os(Linux)
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            #else
            process.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
            #endif
            process.arguments = ["serve", "--log-level", "debug"]
            process.standardInput = input
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            // Debug lines are kept per request id; anything else the daemon writes is passed on.
            // Plain read(2), retried on EINTR: FileHandle.availableData traps on an interrupted
            // read (the daemon's exit delivers SIGCHLD while this thread waits).
            let fd = errors.fileHandleForReading.fileDescriptor
            Thread.detachNewThread { [self] in
                var pending = Data()
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    pending.append(contentsOf: buffer[0..<n])
                    while let nl = pending.firstIndex(of: 10) {
                        let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                        pending.removeSubrange(pending.startIndex...nl)
                        if line.contains("[debug]: "), let idr = line.range(of: " id "), let colon = line.range(of: ": ", range: idr.upperBound..<line.endIndex),
                           let id = Int(line[idr.upperBound..<colon.lowerBound]) {
                            stageLock.lock(); stageLines[id] = String(line[colon.upperBound...]); stageLock.unlock()
                        } else if !line.contains("[debug]") && !line.contains("[info]") {
                            FileHandle.standardError.write(Data((line + "\n").utf8))
                        }
                    }
                }
            }
            _ = try request("initialize", ["capabilities": ["general": ["positionEncodings": ["utf-16"]]]])
            _ = try request("heed/loadModel", ["model": .string(model)])
        }

        /// Sends a request and waits for its response (skipping notifications); returns (ms, response).
        func request(_ method: String, _ params: JSONValue) throws -> (Double, JSONValue) {
            let id = nextID; nextID += 1
            var w = JSONWriter()
            w.beginObject()
            w.key("jsonrpc"); w.string("2.0")
            w.key("id"); w.int(id)
            w.key("method"); w.string(method)
            w.key("params"); w.value(params)
            w.endObject()
            let body = w.bytes
            let t0 = DispatchTime.now().uptimeNanoseconds
            input.fileHandleForWriting.write(Data(FrameWriter.encodeFrame(body: Array(body))))
            let prefix = Array("{\"jsonrpc\":\"2.0\",\"id\":\(id),".utf8)
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            let fd = output.fileHandleForReading.fileDescriptor
            while true {
                while frames.isEmpty {
                    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { throw Arguments.Error(description: "heed serve ended unexpectedly") }
                    for event in reader.feed(chunk[0..<n]) {
                        switch event {
                        case let .frame(f), let .attachedFrame(f, _): frames.append(f)
                        default: break
                        }
                    }
                }
                let f = frames.removeFirst()
                guard f.starts(with: prefix) else { continue }   // a notification or another response
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                // Analysis results are timed, not parsed (they are large); everything else is decoded.
                let obj = method != "heed/analyze" || f.count < 1 << 16 ? try JSONParser.parse(f) : [:]
                if obj["error"] != nil { throw Arguments.Error(description: "\(method) failed: \(String(decoding: f, as: UTF8.self))") }
                return (ms, obj)
            }
        }

        /// The stages (name, ms) the daemon logged for request `id` (waits briefly for the line).
        func stages(id: Int) -> [(String, Double)] {
            for _ in 0..<200 {
                stageLock.lock(); let line = stageLines.removeValue(forKey: id); stageLock.unlock()
                if let line {
                    let body = line.split(separator: ";")[0]
                    return body.split(separator: ",").compactMap { part in
                        let words = part.split(separator: " ")
                        guard words.count == 2, let v = Double(words[1]) else { return nil }
                        return (String(words[0]), v)
                    }
                }
                usleep(1000)
            }
            return []
        }

        func rssMB() -> Double { Double(BenchAnalysis.procStatus("VmRSS", pid: String(process.processIdentifier))) / 1024 }

        func close() {
            _ = try? request("shutdown", [:])
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    static let words = ["attention", "weights", "alone", "can", "mislead", "because", "the", "vectors", "they", "scale",
                        "differ", "in", "norm", "so", "a", "token", "that", "receives", "much", "weight", "may", "contribute",
                        "little", "to", "the", "output", "of", "its", "layer", "while", "small", "weights", "on", "large", "vectors", "matter"]

    /// A deterministic text of about `n` words, varied by `seed`.
    static func text(words n: Int, seed: Int) -> String {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        var out: [String] = []
        for k in 0..<n {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            out.append(words[Int(state >> 33) % words.count] + (k % 13 == 12 ? "." : ""))
        }
        return out.joined(separator: " ")
    }

    static func percentile(_ xs: [Double], _ p: Double) -> Double {
        let s = xs.sorted(); return s[min(s.count - 1, Int(Double(s.count - 1) * p + 0.5))]
    }

    static func run(args: Arguments) throws {
        let model = args.value("model") ?? "minilm"
        let texts = Int(args.value("texts") ?? "") ?? 20
        let soak = Int(args.value("requests") ?? "") ?? 10_000
        let client = try Client(model: model)
        setvbuf(stdout, nil, _IOLBF, 0)
        print("heed bench daemon: model \(model), \(texts) texts; latencies in ms over stdio (client included)")
        print(BenchHost.header)
        var firstStages: [(String, [Double])] = []
        var first: [Double] = [], refocus: [Double] = [], analyze: [Double] = [], analyzeBase64: [Double] = [], analyzeBinary: [Double] = []
        for t in 0..<texts {
            let s = text(words: 110, seed: t)   // about 128 tokens with [CLS]/[SEP]
            let u = Array(s.utf16)
            first.append(try client.request("heed/highlight", ["model": .string(model), "text": .string(s), "focus": ["start": 10, "end": 10], "method": "norm-summed"]).0)
            for (name, ms) in client.stages(id: client.nextID - 1) {
                if !firstStages.contains(where: { $0.0 == name }) { firstStages.append((name, [])) }
                firstStages[firstStages.firstIndex { $0.0 == name }!].1.append(ms)
            }
            for k in 1...20 {
                let cursor = (k * 37) % u.count
                refocus.append(try client.request("heed/highlight", ["model": .string(model), "text": .string(s), "focus": ["start": .number(JSONNumber(cursor)), "end": .number(JSONNumber(cursor))], "method": "norm-summed"]).0)
            }
        }
        for t in 0..<max(3, texts / 4) {
            let s = text(words: 600, seed: 1000 + t)
            // Trim to 512 tokens: the daemon answers -32013 beyond the limit.
            let (_, tok) = try client.request("heed/tokenize", ["model": .string(model), "text": .string(s)])
            let tokens = tok["result"]!["tokens"]!.arrayValue!
            let cut = tokens[min(510, tokens.count - 2)]["end"]!.intValue!
            let text512 = String(String.UnicodeScalarView(s.unicodeScalars.prefix(cut)))   // utf-16 == scalars here (ASCII)
            let params = JSONObject([("model", .string(model)), ("text", .string(text512)), ("heads", "mean"),
                                     ("methods", ["attention", "norm-summed", "attn-res-ln"])])
            analyze.append(try client.request("heed/analyze", .object(params)).0)
            // The same request on a new text with format base64 (the forward pass of the first is cached).
            var b64 = params
            b64["text"] = .string(text512 + " ")
            b64["format"] = "base64"
            analyzeBase64.append(try client.request("heed/analyze", .object(b64)).0)
            // And with format binary (the tensors raw after the JSON body).
            var binary = params
            binary["text"] = .string(text512 + "  ")
            binary["format"] = "binary"
            analyzeBinary.append(try client.request("heed/analyze", .object(binary)).0)
        }
        print("first highlight per stage (the daemon's --log-level debug lines), ms: stage\tp50\tmin\tmax")
        for (name, xs) in firstStages {
            print(String(format: "  %@\t%.2f\t%.2f\t%.2f", name, percentile(xs, 0.5), xs.min()!, xs.max()!))
        }
        print("request\tn\tp50\tp95")
        for (name, xs) in [("first highlight, new 128-token text", first), ("new focus, same text", refocus), ("analyze, 512 tokens (attention, norm-summed, attn-res-ln; heads mean; all layers)", analyze),
                          ("  the same, format base64", analyzeBase64), ("  the same, format binary", analyzeBinary)] {
            print(String(format: "%@\t%d\t%.2f\t%.2f", name, xs.count, percentile(xs, 0.5), percentile(xs, 0.95)))
        }
        let before = client.rssMB()
        var soakTimes: [Double] = []
        for k in 0..<soak {
            let s = text(words: 40, seed: 5000 + k % 200)
            let cursor: JSONValue = .number(JSONNumber((k * 7) % 100))
            soakTimes.append(try client.request("heed/highlight", ["model": .string(model), "text": .string(s), "focus": ["start": cursor, "end": cursor],
                                                                   "method": k % 2 == 0 ? "attention" : "attn-res-ln"]).0)
            if k == soak / 2 { print(String(format: "resident memory after %d soak requests: %.0f MB", k, client.rssMB())) }
        }
        let after = client.rssMB()
        print(String(format: "soak: %d highlight requests over 200 texts, p50 %.2f ms, p95 %.2f ms", soak, percentile(soakTimes, 0.5), percentile(soakTimes, 0.95)))
        print(String(format: "daemon resident memory: %.0f MB before the soak, %.0f MB after", before, after))
        client.close()
    }
}
