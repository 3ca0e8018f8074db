import HeedTestSupport
import XCTest
@testable import HeedKernels

/// Fast GEMMs against Reference, for every kernel variant the CPU supports, on shapes whose tiles
/// do not divide (MR = 6 or 12, NR = 16 or 32, KC = 384 or 256),
/// with padded strides, bias, accumulate, and the threaded paths (split over N and over M).
final class GemmTests: XCTestCase {
    enum Form { case abt, ab }

    struct Case {
        var m: Int, n: Int, k: Int
        var padA = 0, padB = 0, padC = 0
        var bias = false, accumulate = false
    }

    /// Runs one case for one form and compares to Reference: tolerance 1e-5 relative to the
    /// magnitude sum_k |a||b| + |bias| + |c_old| of each output.
    func check(_ form: Form, _ t: Case, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let lda = t.k + t.padA
        let ldb = (form == .abt ? t.k : t.n) + t.padB
        let ldc = t.n + t.padC
        let bRows = form == .abt ? t.n : t.k
        let a = randomFloats(max(1, t.m * lda), seed: seed)
        let b = randomFloats(max(1, bRows * ldb), seed: seed + 1)
        let bias = randomFloats(max(1, t.n), seed: seed + 2)
        let c0 = randomFloats(max(1, t.m * ldc), seed: seed + 3)
        var fast = c0, ref = c0, mag = [Float](repeating: 0, count: c0.count)
        let absA = a.map(abs), absB = b.map(abs), absBias = bias.map(abs)
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in
            let bi = t.bias ? biasp.baseAddress : nil
            fast.withUnsafeMutableBufferPointer { cp in
                switch form {
                case .abt: Kernels.gemmABt(m: t.m, n: t.n, k: t.k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                           c: cp.baseAddress!, ldc: ldc, bias: bi, accumulate: t.accumulate)
                case .ab: Kernels.gemmAB(m: t.m, n: t.n, k: t.k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                         c: cp.baseAddress!, ldc: ldc, bias: bi, accumulate: t.accumulate)
                }
            }
            ref.withUnsafeMutableBufferPointer { cp in
                switch form {
                case .abt: Reference.gemmABt(m: t.m, n: t.n, k: t.k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                             c: cp.baseAddress!, ldc: ldc, bias: bi, accumulate: t.accumulate)
                case .ab: Reference.gemmAB(m: t.m, n: t.n, k: t.k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                           c: cp.baseAddress!, ldc: ldc, bias: bi, accumulate: t.accumulate)
                }
            }
        } } }
        absA.withUnsafeBufferPointer { ap in absB.withUnsafeBufferPointer { bp in absBias.withUnsafeBufferPointer { biasp in
            mag.withUnsafeMutableBufferPointer { mp in
                switch form {
                case .abt: Reference.gemmABt(m: t.m, n: t.n, k: t.k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                             c: mp.baseAddress!, ldc: ldc, bias: t.bias ? biasp.baseAddress : nil)
                case .ab: Reference.gemmAB(m: t.m, n: t.n, k: t.k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                           c: mp.baseAddress!, ldc: ldc, bias: t.bias ? biasp.baseAddress : nil)
                }
            }
        } } }
        // Padding between rows of C must be left alone: expected = c0 there.
        var tolerance = [Float](repeating: 0, count: c0.count)
        for i in 0..<t.m {
            for j in 0..<t.n {
                let idx = i * ldc + j
                tolerance[idx] = 1e-5 * (mag[idx] + (t.accumulate ? abs(c0[idx]) : 0)) + 1e-30
            }
        }
        assertClose(actual: fast, expected: ref, tolerances: tolerance, "\(form) \(t)", file: file, line: line)
    }

    func testAwkwardShapesAllCombinations() {
        forEachVariant { isa in
            // Every (M, N, K) from {1, 7, 33, 129}: tiles that do not divide, M = 1, K = 1 below.
            let sizes = [1, 7, 33, 129]
            var seed: UInt64 = 1
            for m in sizes { for n in sizes { for k in sizes {
                for form in [Form.abt, .ab] {
                    check(form, Case(m: m, n: n, k: k, bias: seed % 2 == 0, accumulate: seed % 3 == 0), seed: seed)
                    seed += 1
                }
            } } }

        }
    }

    func testShapesWith513() {
        forEachVariant { isa in
            // 513 along k: two or three k blocks (KC 384 or 256); along n 32 or 16 panels + 1
            // column; along m 85 tiles of 6 + 3 rows or 42 of 12 + 9.
            let kc = Kernels.tileShape(isa: isa).depth
            XCTAssertGreaterThanOrEqual((513 + kc - 1) / kc, 2, "k = 513 spans several k blocks")
            var cases = [Case(m: 513, n: 7, k: 33), Case(m: 7, n: 513, k: 33, bias: true), Case(m: 33, n: 7, k: 513),
                         Case(m: 1, n: 513, k: 129, bias: true), Case(m: 129, n: 1, k: 513, accumulate: true),
                         Case(m: 513, n: 33, k: 1, bias: true, accumulate: true)]
            if isOptimizedBuild {
                cases += [Case(m: 513, n: 513, k: 33), Case(m: 129, n: 513, k: 513, bias: true),
                          Case(m: 513, n: 129, k: 513, accumulate: true), Case(m: 513, n: 513, k: 513, bias: true)]
            }
            for (i, t) in cases.enumerated() {
                check(.abt, t, seed: 100 + UInt64(i))
                check(.ab, t, seed: 200 + UInt64(i))
            }

        }
    }

    func testStridesBiasAccumulate() {
        forEachVariant { isa in
            // Row strides wider than the rows (as for heads inside a fused (T, 3C) QKV buffer).
            let base = [Case(m: 7, n: 33, k: 33), Case(m: 33, n: 17, k: 40), Case(m: 16, n: 32, k: 32), Case(m: 6, n: 16, k: 8)]
            var seed: UInt64 = 300
            for var t in base {
                for (padA, padB, padC) in [(0, 0, 0), (5, 0, 0), (0, 3, 0), (0, 0, 9), (64, 32, 16)] {
                    for (bias, accumulate) in [(false, false), (true, false), (false, true), (true, true)] {
                        t.padA = padA; t.padB = padB; t.padC = padC; t.bias = bias; t.accumulate = accumulate
                        check(.abt, t, seed: seed)
                        check(.ab, t, seed: seed + 1)
                        seed += 2
                    }
                }
            }

        }
    }

    func testThreadedPathsSplitOverRowsAndColumns() {
        forEachVariant { isa in
            // Enough flops to run on all threads: few panels (split over M) and many (split over N).
            let cases = [Case(m: 300, n: 7, k: 300, bias: true), Case(m: 300, n: 20, k: 200),
                         Case(m: 16, n: 384, k: 384, bias: true), Case(m: 10, n: 1000, k: 100, accumulate: true)]
            for (i, t) in cases.enumerated() {
                check(.abt, t, seed: 400 + UInt64(i))
                check(.ab, t, seed: 500 + UInt64(i))
            }

        }
    }

    func testInsideParallelRegionMatchesOutside() {
        forEachVariant { isa in
            // Attention-style: one GEMM per head inside Parallel.forEach (nested calls run inline).
            let T = 37, HS = 8, NH = 4, C = NH * HS
            let qkv = randomFloats(T * 3 * C, seed: 600)
            var nested = [Float](repeating: 0, count: NH * T * T), plain = nested
            qkv.withUnsafeBufferPointer { q in
                let qp = q.baseAddress!
                nested.withUnsafeMutableBufferPointer { s in
                    let sp = s.baseAddress!
                    Parallel.forEach(NH) { h in
                        XCTAssertTrue(Parallel.threadCount == 1 || Parallel.isInsideParallelRegion)
                        Kernels.gemmABt(m: T, n: T, k: HS, a: qp + h * HS, lda: 3 * C, b: qp + C + h * HS, ldb: 3 * C, c: sp + h * T * T, ldc: T)
                    }
                }
                plain.withUnsafeMutableBufferPointer { s in
                    for h in 0..<NH {
                        Reference.gemmABt(m: T, n: T, k: HS, a: qp + h * HS, lda: 3 * C, b: qp + C + h * HS, ldb: 3 * C, c: s.baseAddress! + h * T * T, ldc: T)
                    }
                }
            }
            assertClose(actual: nested, expected: plain, tolerances: plain.map { 1e-5 * (abs($0) + 1) }, "nested heads")
            XCTAssertFalse(Parallel.isInsideParallelRegion)

        }
    }

    func testZeroSizedDimensions() {
        forEachVariant { isa in
            var c: [Float] = [1, 2, 3, 4]
            let a: [Float] = [1, 1], b: [Float] = [1, 1], bias: [Float] = [10, 20]
            // K = 0: c = bias (or c + bias with accumulate); M = 0 or N = 0: c untouched.
            Kernels.gemmABt(m: 2, n: 2, k: 0, a: a, lda: 0, b: b, ldb: 0, c: &c, ldc: 2, bias: bias)
            XCTAssertEqual(c, [10, 20, 10, 20])
            Kernels.gemmAB(m: 2, n: 2, k: 0, a: a, lda: 0, b: b, ldb: 2, c: &c, ldc: 2, accumulate: true)
            XCTAssertEqual(c, [10, 20, 10, 20])
            Kernels.gemmABt(m: 0, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: &c, ldc: 2)
            Kernels.gemmAB(m: 2, n: 0, k: 2, a: a, lda: 2, b: b, ldb: 0, c: &c, ldc: 2)
            XCTAssertEqual(c, [10, 20, 10, 20])

        }
    }
}
