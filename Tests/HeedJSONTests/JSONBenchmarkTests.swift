import Foundation
import XCTest
@testable import HeedJSON
import HeedJSONTestSupport

/// Timings of the hot paths, run only on request (they are benchmarks, not unit tests):
///
///     HEED_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter JSONBenchmarkTests
///
/// (Framing throughput is in HeedJSONRPCTests' FramingBenchmarkTests.)
///
/// Each checks its output before printing the time.
final class JSONBenchmarkTests: XCTestCase {
    override func setUpWithError() throws {
        guard Benchmark.requested else { throw XCTSkip(Benchmark.skipMessage) }
    }

    private func best(of runs: Int, _ body: () -> Void) -> Double { Benchmark.best(of: runs, body) }

    /// 12 x 512 x 512 attention-like values (NH x T x T), nested and base64.
    func testMatrixSerialisation() throws {
        var rng = SplitMix64(seed: 1)
        let count = 12 * 512 * 512
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = Float.random(in: 0..<1, using: &rng) * (i % 5 == 0 ? 0.001 : 1) }
        var bytes = 0
        let nested = best(of: 3) {
            var w = JSONWriter(reservingCapacity: 1 << 20)
            w.tensor(values, shape: [12, 512, 512])
            bytes = w.bytes.count
        }
        var base64Bytes = 0
        let base64 = best(of: 3) {
            var w = JSONWriter(reservingCapacity: 1 << 20)
            w.tensorBase64(values, shape: [12, 512, 512])
            base64Bytes = w.bytes.count
        }
        let foundation = best(of: 1) {
            _ = try? JSONSerialization.data(withJSONObject: values.map { Double($0) })
        }
        // The output reads back exactly (checked on one row, the rest is the same code path).
        var w = JSONWriter()
        w.tensor(Array(values[0..<512]), shape: [512])
        XCTAssertEqual(try JSONParser.parse(w.bytes).arrayValue?.map { Float($0.doubleValue!) }, Array(values[0..<512]))
        print(String(format: "12x512x512 floats: nested %.1f ms (%.1f MB), base64 %.1f ms (%.1f MB); Foundation on a flat [Double] %.0f ms",
                     nested, Double(bytes) / 1e6, base64, Double(base64Bytes) / 1e6, foundation))
    }

    /// A 1 MB request body: mostly one long text with some escapes and non-ASCII.
    func testParseOneMegabyteBody() throws {
        var text = ""
        while text.utf8.count < 1_000_000 { text += "The quick brown fox jumps over the lazy dog; naïve café — \\\"quoted\\\" 🌍\\n " }
        let body = Array(#"{"jsonrpc":"2.0","id":1,"method":"heed/analyze","params":{"model":"minilm","text":""#.utf8)
            + Array(text.utf8) + Array(#"","methods":["attention","norm"]}}"#.utf8)
        var parsed: JSONValue = .null
        let ms = best(of: 5) { parsed = (try? JSONParser.parse(body)) ?? .null }
        XCTAssertGreaterThan(parsed["params"]?["text"]?.stringValue?.utf8.count ?? 0, 900_000)
        let plain = Array(#"{"text":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 1_000_000) + Array(#""}"#.utf8)
        let plainMs = best(of: 5) { parsed = (try? JSONParser.parse(plain)) ?? .null }
        XCTAssertEqual(parsed["text"]?.stringValue?.utf8.count, 1_000_000)
        var numbers = JSONWriter()
        numbers.numbers((0..<100_000).map { Float($0) * 0.37 })
        let numbersMs = best(of: 5) { parsed = (try? JSONParser.parse(numbers.bytes)) ?? .null }
        XCTAssertEqual(parsed.arrayValue?.count, 100_000)
        print(String(format: "parse: %.2f MB body with escapes %.2f ms; 1 MB plain ASCII string %.2f ms; %.2f MB of 100k numbers %.2f ms",
                     Double(body.count) / 1e6, ms, plainMs, Double(numbers.bytes.count) / 1e6, numbersMs))
    }
}
