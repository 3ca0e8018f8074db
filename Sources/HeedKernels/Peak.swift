import Dispatch
import Foundation
import HeedKernelsAVX2
import HeedKernelsAVX512
import HeedKernelsPortable

/// The machine's floating-point peak as a kernel variant sees it: an FMA-bound loop on the
/// variant's vectors (12 independent accumulator chains, enough to cover FMA latency on both
/// FMA pipes).
/// Benchmarks print achieved GFLOP/s against it.
public enum Peak {
    /// GFLOP/s of `threads` threads running the FMA loop concurrently for about `seconds` in
    /// all: the best of three runs, so a core briefly taken by another process does not count.
    public static func measureGFLOPS(threads: Int, seconds: Double = 0.2, isa: ISA = ISA.active) -> Double {
        let threads = max(1, threads)
        // Calibrate on one thread: iterations for about a tenth of the target time.
        var iterations = 100_000
        while true {
            let t = timeSeconds { sink(fmaLoop(iterations, seed: 1, isa: isa)) }
            if t > 0.02 || iterations > 1 << 30 {
                iterations = max(1, Int(Double(iterations) * seconds / t))
                break
            }
            iterations *= 4
        }
        let total = max(1, iterations / 3)
        var best = 0.0
        for _ in 0..<3 {
            let elapsed = timeSeconds {
                DispatchQueue.concurrentPerform(iterations: threads) { i in
                    sink(fmaLoop(total, seed: Float(i + 1), isa: isa))
                }
            }
            best = max(best, Double(total) * Double(threads) * Double(flopsPerIteration(isa)) / elapsed / 1e9)
        }
        return best
    }

    /// Floating-point operations of one iteration of the variant's loop (12 accumulators x
    /// lanes x 2).
    static func flopsPerIteration(_ isa: ISA) -> Int {
        switch isa {
        case .avx512: return HeedKernelsAVX512.VariantKernels.peakFlopsPerIteration
        case .avx2: return HeedKernelsAVX2.VariantKernels.peakFlopsPerIteration
        case .portable: return HeedKernelsPortable.VariantKernels.peakFlopsPerIteration
        }
    }

    static func fmaLoop(_ iterations: Int, seed: Float, isa: ISA) -> Float {
        switch isa {
        case .avx512: return HeedKernelsAVX512.VariantKernels.peakLoop(iterations, seed: seed)
        case .avx2: return HeedKernelsAVX2.VariantKernels.peakLoop(iterations, seed: seed)
        case .portable: return HeedKernelsPortable.VariantKernels.peakLoop(iterations, seed: seed)
        }
    }

    @inline(never)
    static func sink(_ x: Float) {
        if x == 12_345.678 { print("", terminator: "") }
    }

    static func timeSeconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
