import Foundation
import XCTest
@testable import HeedKernels

final class ParallelTests: XCTestCase {
    func testForEachRunsEveryIndexOnce() {
        let n = 1000
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: n)
        counts.initialize(repeating: 0, count: n)
        defer { counts.deallocate() }
        Parallel.forEach(n) { counts[$0] += 1 }   // each index touched by one iteration only
        XCTAssertEqual((0..<n).map { counts[$0] }, [Int](repeating: 1, count: n))
    }

    func testNestedRegionsRunInline() {
        XCTAssertFalse(Parallel.isInsideParallelRegion)
        XCTAssertEqual(Parallel.availableThreads, Parallel.threadCount)
        let flags = UnsafeMutablePointer<Bool>.allocate(capacity: 8)
        flags.initialize(repeating: false, count: 8)
        defer { flags.deallocate() }
        Parallel.forEach(8) { i in
            // Nested: inline on this thread, and kernels see one available thread.
            var inner = 0
            Parallel.forEach(5) { _ in inner += 1 }
            flags[i] = inner == 5 && (Parallel.threadCount == 1 || Parallel.availableThreads == 1)
        }
        XCTAssertEqual((0..<8).map { flags[$0] }, [Bool](repeating: true, count: 8))
        XCTAssertFalse(Parallel.isInsideParallelRegion)
    }

    func testForRangesCoversEverything() {
        for (count, grain) in [(0, 1), (1, 1), (10, 100), (1001, 10), (7, 1)] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(1, count))
            hits.initialize(repeating: 0, count: max(1, count))
            Parallel.forRanges(count, grain: grain) { r in for i in r { hits[i] += 1 } }
            XCTAssertEqual((0..<count).map { hits[$0] }, [Int](repeating: 1, count: count), "count \(count)")
            hits.deallocate()
        }
    }

    func testBackToBackRegionsAndGaps() {
        // Many short regions in a row (workers polling) and after pauses (workers asleep).
        let n = 16
        let sums = UnsafeMutablePointer<Int>.allocate(capacity: n)
        defer { sums.deallocate() }
        for round in 0..<300 {
            if round % 60 == 59 { usleep(2_000) }
            sums.initialize(repeating: 0, count: n)
            Parallel.forEach(n) { i in
                var s = 0
                for k in 0..<(100 * (i + 1)) { s &+= k }
                sums[i] = s
            }
            for i in 0..<n { XCTAssertEqual(sums[i], (100 * (i + 1)) * (100 * (i + 1) - 1) / 2) }
        }
    }

    func testConcurrentCallersBothComplete() {
        // Two threads start regions at once: one gets the workers, the other runs inline.
        let n = 64
        let a = UnsafeMutablePointer<Int>.allocate(capacity: n), b = UnsafeMutablePointer<Int>.allocate(capacity: n)
        a.initialize(repeating: 0, count: n); b.initialize(repeating: 0, count: n)
        defer { a.deallocate(); b.deallocate() }
        let group = DispatchGroup()
        for target in [a, b] {
            DispatchQueue.global().async(group: group) {
                for _ in 0..<50 { Parallel.forEach(n) { i in target[i] += 1 } }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        XCTAssertEqual((0..<n).map { a[$0] }, [Int](repeating: 50, count: n))
        XCTAssertEqual((0..<n).map { b[$0] }, [Int](repeating: 50, count: n))
    }

    /// The property parallelism must keep: kernels split over threads give exactly (bit for bit)
    /// what one thread gives, because the split never changes any element's order of summation.
    /// The serial run is a region body, where kernels see one available thread.
    func testParallelKernelsEqualSerialOnesExactly() throws {
        try XCTSkipIf(Parallel.threadCount == 1, "one kernel thread (HEED_THREADS=1): nothing runs in parallel")
        XCTAssertEqual(Parallel.availableThreads, Parallel.threadCount)
        func serial<T>(_ body: () -> T) -> T {
            var out: T? = nil, threads = 0
            Parallel.forEach(2) { i in
                if i == 0 { threads = Parallel.availableThreads; out = body() }
            }
            XCTAssertEqual(threads, 1, "kernels inside a region run on one thread")
            return out!
        }
        // (T, OC, C) of MiniLM's linears at 129 tokens (above the parallel threshold), and odd sizes.
        for (T, OC, C) in [(129, 1152, 384), (129, 384, 1536), (37, 100, 70)] {
            let w = randomFloats(OC * C, seed: UInt64(OC + C)), b = randomFloats(OC, seed: 7), x = randomFloats(T * C, seed: 9)
            let linear = PackedLinear(weight: w, bias: b, outFeatures: OC, inFeatures: C)
            func run() -> [Float] {
                var y = [Float](repeating: .nan, count: T * OC)
                linear.forward(x, rows: T, into: &y)
                return y
            }
            XCTAssertEqual(run(), serial(run), "PackedLinear \(T)x\(OC)x\(C)")
            // gemmAB (attention's p v) and gemmABt (q k^T) on the same operands.
            func gemms() -> [Float] {
                var c1 = [Float](repeating: .nan, count: T * T), c2 = [Float](repeating: .nan, count: T * C)
                Kernels.gemmABt(m: T, n: T, k: C, a: x, lda: C, b: x, ldb: C, c: &c1, ldc: T)
                Kernels.gemmAB(m: T, n: C, k: T, a: c1, lda: T, b: x, ldb: C, c: &c2, ldc: C)
                return c1 + c2
            }
            XCTAssertEqual(gemms(), serial(gemms), "gemm \(T)x\(C)")
            // Row kernels split into row ranges.
            func rows() -> [Float] {
                var out = [Float](repeating: .nan, count: T * C), s = x
                Kernels.layerNorm(x, rows: T, cols: C, gamma: randomFloats(C, seed: 3), beta: nil, eps: 1e-12, out: &out)
                Kernels.softmaxRows(&s, rows: T, cols: C, scale: 0.5)
                return out + s
            }
            XCTAssertEqual(rows(), serial(rows), "row kernels \(T)x\(C)")
        }
    }
}
