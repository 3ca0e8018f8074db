import Foundation
import XCTest
@testable import HeedKernels

/// Opt-in throughput report (never a timed unit test): run with HEED_KERNEL_BENCH=1 (or
/// `gemm` / `rows` for one part), in
/// release: `HEED_KERNEL_BENCH=1 HEED_THREADS=1 swift test -c release -Xswiftc -enable-testing
/// --filter KernelBenchTests`.
final class KernelBenchTests: XCTestCase {
    func testReport() throws {
        let mode = ProcessInfo.processInfo.environment["HEED_KERNEL_BENCH"]
        try XCTSkipUnless(mode != nil, "set HEED_KERNEL_BENCH=1 (or gemm, rows)")
        switch mode {
        case "gemm": KernelBench.gemmResults().forEach { print($0) }
        case "rows": KernelBench.rowResults().forEach { print($0) }
        default: print(KernelBench.report())
        }
    }
}
