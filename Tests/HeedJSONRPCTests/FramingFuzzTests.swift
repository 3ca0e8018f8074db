import Foundation
import XCTest
@testable import HeedJSONRPC
import HeedJSONTestSupport

/// Seeded random damage to frames: byte flips, insertions, deletions, truncations. Whatever the
/// damage, nothing crashes, memory stays bounded, and a valid request sent afterwards is decoded
/// exactly (after at most the bytes a lying in-limit Content-Length may claim).
final class FramingFuzzTests: XCTestCase {
    private static let templates: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{"general":{"positionEncodings":["utf-16"]}}}}"#,
        #"{"jsonrpc":"2.0","id":"a-1","method":"heed/analyze","params":{"model":"minilm","text":"Hello, wörld 🌍","methods":["attention","norm"],"layers":[0,5]}}"#,
        #"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#,
        #"[{"jsonrpc":"2.0","id":2,"method":"heed/models"},{"jsonrpc":"2.0","method":"initialized","params":{}}]"#,
        #"{"jsonrpc":"2.0","id":3,"method":"heed/highlight","params":{"model":"minilm","text":"a\"b\\c\u00e9\ud83c\udf0d","focus":{"start":0,"end":1},"topK":-1e2}}"#,
    ]
    private static let tokens: [String] = ["\r\n", "\r\n\r\n", "Content-Length: ", "content-length:", "Content-Length: 99999999999999999999",
                                           "Content-Length: 100000", ":", "-", "\u{0}", "\"", "\\u", "\\uD800", "{", "]", ","]

    private func frame(_ body: String) -> [UInt8] {
        let b = Array(body.utf8)
        return Array("Content-Length: \(b.count)\r\n\r\n".utf8) + b
    }

    private func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case 3: bytes.insert(contentsOf: Array(Self.tokens.randomElement(using: &rng)!.utf8), at: at)
            case 4: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...10, using: &rng)))
            default: bytes.removeSubrange(at...)  // truncation
            }
        }
        return bytes
    }

    /// Feeds `bytes` in random chunks.
    private func feedChunked(_ reader: inout FrameReader, _ bytes: [UInt8], _ rng: inout SplitMix64) -> [FrameEvent] {
        var events: [FrameEvent] = []
        var k = 0
        while k < bytes.count {
            let n = min(bytes.count - k, Int.random(in: 1...64, using: &rng))
            events += reader.feed(bytes[k..<(k + n)])
            k += n
        }
        return events
    }

    func testMutatedFramesNeverCostAValidRequestForLong() throws {
        var rng = SplitMix64(seed: 0x4845_4544)
        let maxFrame = 4096
        var reader = FrameReader(maxFrameBytes: maxFrame)
        let sentinelBody = #"{"jsonrpc":"2.0","id":424242,"method":"heed/tokenize","params":{"model":"minilm","text":"sentinel \u00e9"}}"#
        let sentinel = frame(sentinelBody)
        // A lying in-limit length can swallow up to maxFrame bytes of what follows, no more.
        let maxSentinels = maxFrame / sentinel.count + 2
        var counts = (rounds: 0, bodies: 0, parsed: 0, parseErrors: 0, reports: 0, firstSentinel: 0, maxSentinels: 0)
        let start = Date()
        for _ in 0..<3000 {
            counts.rounds += 1
            let damaged = mutate(frame(Self.templates.randomElement(using: &rng)!), &rng)
            for event in feedChunked(&reader, damaged, &rng) {
                switch event {
                case .frame(let body):
                    counts.bodies += 1
                    // Classification of whatever arrives never crashes.
                    if case .single(.invalid(let e, _)) = JSONRPCEnvelope.classify(body: body), e.code == .parseError {
                        counts.parseErrors += 1
                    } else {
                        counts.parsed += 1
                    }
                default:
                    counts.reports += 1
                }
            }
            XCTAssertLessThanOrEqual(reader.heldByteCount, maxFrame + FrameReader.maxHeaderBytes + 64)

            // Then valid requests until one comes through; it must decode exactly.
            var sent = 0
            var decoded: JSONRPCRequest? = nil
            while decoded == nil && sent < maxSentinels {
                sent += 1
                for case .frame(let body) in feedChunked(&reader, sentinel, &rng) where body == Array(sentinelBody.utf8) {
                    guard case .single(.request(let r)) = JSONRPCEnvelope.classify(body: body) else { continue }
                    decoded = r
                }
            }
            guard let r = decoded else {
                XCTFail("no valid request decoded after \(sent) sentinels following \(String(decoding: damaged, as: UTF8.self).debugDescription)")
                return
            }
            XCTAssertEqual(r.id, .int(424242))
            XCTAssertEqual(r.method, "heed/tokenize")
            XCTAssertEqual(try RequestParams(r.params).string("text"), "sentinel é")
            if sent == 1 { counts.firstSentinel += 1 }
            counts.maxSentinels = max(counts.maxSentinels, sent)
        }
        XCTAssertEqual(reader.finish(), [])
        XCTAssertGreaterThan(counts.firstSentinel, counts.rounds / 2)
        print("framing fuzz: \(counts.rounds) damaged frames, \(counts.bodies) bodies (\(counts.parsed) JSON, \(counts.parseErrors) parse errors), "
              + "\(counts.reports) reports; next request decoded by the first sentinel in \(counts.firstSentinel) rounds, "
              + "at worst after \(counts.maxSentinels); \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
    }

    /// Random bytes straight into the parser: it answers or throws, never crashes.
    func testParserSurvivesMutatedDocuments() {
        var rng = SplitMix64(seed: 99)
        var accepted = 0, rejected = 0
        for _ in 0..<5000 {
            let doc = mutate(Array(Self.templates.randomElement(using: &rng)!.utf8), &rng)
            if (try? JSONParser.parse(doc)) != nil { accepted += 1 } else { rejected += 1 }
        }
        XCTAssertEqual(accepted + rejected, 5000)
        XCTAssertGreaterThan(rejected, 0)
        print("parser fuzz: 5000 damaged documents, \(accepted) still JSON, \(rejected) rejected")
    }
}
