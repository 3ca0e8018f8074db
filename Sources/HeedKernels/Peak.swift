import Dispatch
import Foundation

/// The machine's floating-point peak as this build sees it: an FMA-bound loop on SIMD8<Float>
/// (12 independent accumulator chains, enough to cover FMA latency on both FMA pipes).
/// Benchmarks print achieved GFLOP/s against it.
public enum Peak {
    /// GFLOP/s of `threads` threads running the FMA loop concurrently for about `seconds` in
    /// all: the best of three runs, so a core briefly taken by another process does not count.
    public static func measureGFLOPS(threads: Int, seconds: Double = 0.2) -> Double {
        let threads = max(1, threads)
        // Calibrate on one thread: iterations for about a tenth of the target time.
        var iterations = 100_000
        while true {
            let t = timeSeconds { sink(fmaLoop(iterations, seed: 1)) }
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
                    sink(fmaLoop(total, seed: Float(i + 1)))
                }
            }
            best = max(best, Double(total) * Double(threads) * Double(flopsPerIteration) / elapsed / 1e9)
        }
        return best
    }

    /// 12 accumulators x 8 lanes x 2 flops.
    static let flopsPerIteration = 12 * 8 * 2

    @inline(never)
    static func fmaLoop(_ iterations: Int, seed: Float) -> Float {
        typealias V = SIMD8<Float>
        let a = V(repeating: 0.999_999), b = V(repeating: 1e-7)
        var c0 = V(repeating: seed), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4, c5 = c0 + 5
        var c6 = c0 + 6, c7 = c0 + 7, c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11
        for _ in 0..<iterations {
            c0 = b.addingProduct(c0, a); c1 = b.addingProduct(c1, a); c2 = b.addingProduct(c2, a)
            c3 = b.addingProduct(c3, a); c4 = b.addingProduct(c4, a); c5 = b.addingProduct(c5, a)
            c6 = b.addingProduct(c6, a); c7 = b.addingProduct(c7, a); c8 = b.addingProduct(c8, a)
            c9 = b.addingProduct(c9, a); c10 = b.addingProduct(c10, a); c11 = b.addingProduct(c11, a)
        }
        let s = (c0 + c1 + c2 + c3) + (c4 + c5 + c6 + c7) + (c8 + c9 + c10 + c11)
        return s.sum()
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
