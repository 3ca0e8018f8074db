import Foundation
import XCTest
@testable import HeedJSONRPC
import HeedJSONTestSupport

/// Framing throughput, run only on request (a benchmark, not a unit test):
///
///     HEED_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter FramingBenchmarkTests
///
/// It checks its output before printing the time. The JSON reader and writer benchmarks are in
/// HeedJSONTests' JSONBenchmarkTests.
final class FramingBenchmarkTests: XCTestCase {
    override func setUpWithError() throws {
        guard Benchmark.requested else { throw XCTSkip(Benchmark.skipMessage) }
    }

    private func best(of runs: Int, _ body: () -> Void) -> Double { Benchmark.best(of: runs, body) }

    /// Framing throughput: 64 KiB reads of a stream of 1 MB frames.
    func testFramingThroughput() {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let stream = (0..<16).flatMap { _ in FrameWriter.encodeFrame(body: body) }
        var frames = 0
        let ms = best(of: 3) {
            var reader = FrameReader()
            frames = 0
            var k = 0
            while k < stream.count {
                let n = min(1 << 16, stream.count - k)
                for case .frame(_) in reader.feed(stream[k..<(k + n)]) { frames += 1 }
                k += n
            }
        }
        XCTAssertEqual(frames, 16)
        print(String(format: "framing: 16 MB in 64 KiB chunks %.2f ms", ms))
    }
}
