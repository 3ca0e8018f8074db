import Foundation
import XCTest
@testable import HeedKernels

/// Opt-in throughput report (never a timed unit test): run with HEED_KERNEL_BENCH=1, in
/// release: `HEED_KERNEL_BENCH=1 HEED_THREADS=1 swift test -c release -Xswiftc -enable-testing
/// --filter KernelBenchTests`.
final class KernelBenchTests: XCTestCase {
    func testReport() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["HEED_KERNEL_BENCH"] == "1", "set HEED_KERNEL_BENCH=1")
        print(KernelBench.report())
    }
}
