import HeedAnalysis
import HeedJSONRPC
import XCTest

/// Seeded random damage fed into a running server: byte flips, insertions, deletions,
/// truncations, lying lengths, random JSON. Nothing crashes, every frame the server writes is a
/// well-formed JSON-RPC message with a code from the table, and a valid request sent afterwards is
/// answered correctly with its own id.
final class DaemonFuzzTests: XCTestCase {
    private static let maxFrame = 4096
    private static let rounds = 10_000

    /// Valid messages to damage; `ID` is replaced by a fresh id per frame (so that few requests
    /// are duplicates of one in flight). None can shut the server down or touch the network (no
    /// catalog model ids; `exit`/`shutdown` are absent and no damage turns another method into them).
    private static var templates: [String] {
        let tiny = TestModels.tiny
        return [
            #"{"jsonrpc":"2.0","id":ID,"method":"heed/models"}"#,
            #"{"jsonrpc":"2.0","id":ID,"method":"initialize","params":{"capabilities":{"general":{"positionEncodings":["utf-8"]}}}}"#,
            #"{"jsonrpc":"2.0","id":"t-ID","method":"heed/tokenize","params":{"model":"\#(tiny)","text":"Zoë 🚀 the cat"}}"#,
            #"{"jsonrpc":"2.0","id":ID,"method":"heed/analyze","params":{"model":"\#(tiny)","text":"the cat sat","methods":["attention","norm-summed"],"layers":[1],"heads":"mean"}}"#,
            #"{"jsonrpc":"2.0","id":ID,"method":"heed/highlight","params":{"model":"\#(tiny)","text":"a \"cat\" \u00e9\ud83d\ude80","focus":{"start":2,"end":5},"method":"attn-res-ln","topK":2}}"#,
            #"{"jsonrpc":"2.0","id":ID,"method":"heed/tokenize","params":{"model":"no-such-model","text":"x"}}"#,
            #"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":ID}}"#,
            #"[{"jsonrpc":"2.0","id":ID,"method":"heed/models"},{"jsonrpc":"2.0","method":"initialized"}]"#,
            #"{"jsonrpc":"2.0","id":ID,"method":"heed/loadModel","params":{"model":"\#(TestModels.truncatedWeights)","workDoneToken":"w"}}"#,
        ]
    }

    private static let fragments: [String] = [
        "\r\n", "\r\n\r\n", "Content-Length: ", "content-length:", "Content-Length: 99999999999999999999", "Content-Length: 100000",
        "Content-Length: -1", ":", "\u{0}", "\"", "\\u", "\\ud800", "{", "}", "[", "]", ",", "null", "1e999", "-0", "\"id\":",
    ]

    private func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case 3: bytes.insert(contentsOf: Array(Self.fragments.randomElement(using: &rng)!.utf8), at: at)
            case 4: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...10, using: &rng)))
            default: bytes.removeSubrange(at...)
            }
        }
        return bytes
    }

    /// A random JSON value (valid JSON, rarely a valid request).
    private func randomJSON(_ rng: inout SplitMix64, depth: Int = 0) -> String {
        let pick = depth > 3 ? Int.random(in: 0..<4, using: &rng) : Int.random(in: 0..<7, using: &rng)
        switch pick {
        case 0: return ["null", "true", "false"].randomElement(using: &rng)!
        case 1: return ["0", "-1", "1.5", "1e400", "-0.0", "123456789012345678901234567890", "2"].randomElement(using: &rng)!
        case 2: return ["\"\"", "\"2.0\"", "\"heed/models\"", "\"\\ud800\"", "\"id\"", "\"é\""].randomElement(using: &rng)!
        case 3: return ["\"method\"", "\"jsonrpc\"", "\"params\"", "\"initialize\""].randomElement(using: &rng)!
        case 4: return "[" + (0..<Int.random(in: 0...3, using: &rng)).map { _ in randomJSON(&rng, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            let keys = ["jsonrpc", "id", "method", "params", "result", "error", "text", "model"]
            let members = (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                "\"\(keys.randomElement(using: &rng)!)\":" + randomJSON(&rng, depth: depth + 1)
            }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    private func frame(_ body: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        // Mostly the true length; sometimes a lie (the reader must not trust it with memory).
        var length = body.count
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: length = max(0, body.count + Int.random(in: -20...20, using: &rng))
        case 1: length = Int.random(in: 0...(2 * Self.maxFrame), using: &rng)
        default: break
        }
        return Array("Content-Length: \(length)\r\n\r\n".utf8) + body
    }

    func testMutatedFramesNeverStopTheServer() throws {
        let daemon = InProcessDaemon(options: InProcessDaemon.options(maxFrameBytes: Self.maxFrame))
        try daemon.initialize(id: 0)
        var rng = SplitMix64(seed: 0x4845_4544_4641_5A5A)
        let templates = Self.templates
        var nextID = 100
        func template() -> [UInt8] {
            nextID += 1
            let t = templates.randomElement(using: &rng)!
            // `$/cancelRequest` names a recent id, which may still be in flight.
            let id = t.contains("cancelRequest") ? nextID - Int.random(in: 1...4, using: &rng) : nextID
            return Array(t.replacingOccurrences(of: "ID", with: String(id)).utf8)
        }
        var stream: [UInt8] = []
        for round in 0..<Self.rounds {
            var bytes: [UInt8]
            switch Int.random(in: 0..<10, using: &rng) {
            case 0...5: bytes = frame(mutate(template(), &rng), &rng)
            case 6: bytes = mutate(frame(template(), &rng), &rng)
            case 7: bytes = frame(Array(randomJSON(&rng).utf8), &rng)
            case 8: bytes = frame(template(), &rng)
            default: bytes = (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            stream += bytes
            // Written in bursts, split at random points.
            if stream.count > 16 << 10 || round == Self.rounds - 1 {
                var k = 0
                while k < stream.count {
                    let n = min(stream.count - k, Int.random(in: 1...8192, using: &rng))
                    daemon.sendRaw(Array(stream[k..<(k + n)]))
                    k += n
                }
                stream.removeAll(keepingCapacity: true)
            }
        }
        // Two paddings, each longer than any in-limit lie and ending in a blank line: the first
        // completes whatever damaged header is pending (which may then claim up to maxFrame bytes
        // of a body), the second outlasts that body; a claim over the limit ends its discard at
        // the next `Content-Length:`, the probe's. Either way the probe arrives whole.
        let padding = Array(repeating: UInt8(ascii: " "), count: Self.maxFrame + 16) + Array("\r\n\r\n".utf8)
        daemon.sendRaw(padding + padding)
        let probe = #"{"jsonrpc":"2.0","id":"final-probe","method":"heed/tokenize","params":{"model":"\#(TestModels.tiny)","text":"the cat sat"}}"#
        daemon.send(probe)
        let r = try daemon.response(id: .string("final-probe"), file: #filePath, line: #line)
        let tokens = try XCTUnwrap(r["result"]?["tokens"]?.arrayValue, InProcessDaemon.text(r))
        XCTAssertEqual(tokens.compactMap { $0["text"]?.stringValue }, ["[CLS]", "the", "cat", "sat", "[SEP]"])

        let (code, messages) = daemon.finish(timeout: 60)
        XCTAssertNotNil(code, "the server stopped at the end of input")
        let codes = Set(JSONRPCErrorCode.allCases.map(\.rawValue))
        var counts: [Int: Int] = [:]
        var results = 0
        for m in messages {
            for item in m.arrayValue ?? [m] {
                XCTAssertEqual(item["jsonrpc"]?.stringValue, "2.0", InProcessDaemon.text(item))
                if item["method"]?.stringValue == "$/progress" { continue }
                XCTAssertNotNil(item["id"], "a response always has an id member: \(InProcessDaemon.text(item))")
                if let c = item.errorCode {
                    XCTAssertTrue(codes.contains(c), "unknown code \(c)")
                    XCTAssertNil(item["result"])
                    counts[c, default: 0] += 1
                } else {
                    XCTAssertNotNil(item["result"], InProcessDaemon.text(item))
                    results += 1
                }
            }
        }
        print("fuzz: \(messages.count) messages, \(results) results, errors by code \(counts)")
        XCTAssertGreaterThan(results, 200, "some damaged frames are still valid requests")
        XCTAssertGreaterThan(counts[JSONRPCErrorCode.parseError.rawValue] ?? 0, 1000)
        XCTAssertGreaterThan(counts[JSONRPCErrorCode.invalidRequest.rawValue] ?? 0, 100)
        XCTAssertEqual(counts[JSONRPCErrorCode.internalError.rawValue] ?? 0, 0, "no -32603: that would be a bug")
    }
}
