import HeedTestSupport
import XCTest
@testable import HeedKernels

/// The GELUs against Reference (double precision) over a dense range, element by element in
/// ulp, plus buffer lengths that leave scalar tails and cross the parallel grain.
final class ActivationTests: XCTestCase {
    func denseRange(_ lo: Float, _ hi: Float, count: Int) -> [Float] {
        (0..<count).map { lo + (hi - lo) * Float($0) / Float(count - 1) }
    }

    /// Worst ulp error; results below 1e-36 are held to 16 denormal ulps instead (the erfc
    /// factor is denormal there and carries absolute, not relative, precision).
    func maxUlp(_ fast: [Float], _ ref: [Float]) -> (Double, Float) {
        var worst = 0.0, at: Float = 0
        for i in fast.indices {
            var e = ulpError(fast[i], Double(ref[i]))
            if abs(ref[i]) < 1e-36 && abs(fast[i] - ref[i]) <= 16 * Float.leastNonzeroMagnitude { e = 0 }
            if e > worst { worst = e; at = Float(i) }
        }
        return (worst, at)
    }

    func testGeluMatchesReference() {
        forEachVariant { isa in
            let x = denseRange(-14, 14, count: 40_001) + [0, -0.0, 1e-30, -1e-30, Float.leastNormalMagnitude / 100, 30, -30, 1e10, -1e10, 1e30]
            var fast = x, ref = x
            Kernels.gelu(&fast, count: fast.count)
            Reference.gelu(&ref, count: ref.count)
            let (worst, at) = maxUlp(fast, ref)
            print("accuracy: gelu worst \(worst) ulp at \(x[Int(at)])")
            XCTAssertLessThanOrEqual(worst, 4, "gelu worst \(worst) ulp at x = \(x[Int(at)])")

        }
    }

    func testGeluTanhMatchesReference() {
        forEachVariant { isa in
            let x = denseRange(-12, 12, count: 40_001) + [0, -0.0, 1e-30, -1e-30, 30, -30, 1e10, -1e10, 1e30]
            var fast = x, ref = x
            Kernels.geluTanh(&fast, count: fast.count)
            Reference.geluTanh(&ref, count: ref.count)
            let (worst, at) = maxUlp(fast, ref)
            print("accuracy: geluTanh worst \(worst) ulp at \(x[Int(at)])")
            XCTAssertLessThanOrEqual(worst, 4, "geluTanh worst \(worst) ulp at x = \(x[Int(at)])")

        }
    }

    /// SwiGLU's silu(gate) * up against the double reference: a dense range of gates (up = 1:
    /// silu itself, in ulp), then random gate and up on lengths with scalar tails and across
    /// the parallel grain.
    func testSiluMulMatchesReference() {
        forEachVariant { isa in
            // Results stay normal floats down to x = -80 (silu(-80) = -1.4e-33): ulp there.
            let x = denseRange(-80, 30, count: 40_001) + [0, -0.0, 1e-30, -1e-30, 88, 1e10]
            let one = [Float](repeating: 1, count: x.count)
            var fast = x, ref = x
            Kernels.siluMul(&fast, one, count: x.count)
            Reference.siluMul(&ref, one, count: x.count)
            let (worst, at) = maxUlp(fast, ref)
            XCTAssertLessThanOrEqual(worst, 3, "silu worst \(worst) ulp at x = \(x[Int(at)]) (\(isa))")
            // Deeper, e^x underflows into subnormals: absolutely tiny, never NaN or a wrong sign.
            let tail: [Float] = denseRange(-120, -80, count: 4_001) + [-1e10, -Float.greatestFiniteMagnitude]
            var fastTail = tail, refTail = tail
            Kernels.siluMul(&fastTail, [Float](repeating: 1, count: tail.count), count: tail.count)
            Reference.siluMul(&refTail, [Float](repeating: 1, count: tail.count), count: tail.count)
            for i in tail.indices {
                XCTAssertLessThanOrEqual(abs(fastTail[i] - refTail[i]), 1e-36, "silu(\(tail[i])) (\(isa))")
                XCTAssertFalse(fastTail[i] > 0 || fastTail[i].isNaN, "silu(\(tail[i])) = \(fastTail[i]) (\(isa))")
            }
            for count in [1, 7, 15, 17, 33, 40_003] {
                let g = randomFloats(count, seed: UInt64(count), scale: 12), u = randomFloats(count, seed: UInt64(count + 99), scale: 3)
                var a = g, b = g
                Kernels.siluMul(&a, u, count: count); Reference.siluMul(&b, u, count: count)
                XCTAssertLessThanOrEqual(maxUlp(a, b).0, 4, "siluMul count \(count) (\(isa))")
            }
        }
    }

    func testTailsAndThreadedLengths() {
        forEachVariant { isa in
            for count in [1, 7, 8, 9, 23, 40_000, 40_003] {
                let x = randomFloats(count, seed: UInt64(count), scale: 10)
                var a = x, b = x, c = x, d = x
                Kernels.gelu(&a, count: count); Reference.gelu(&b, count: count)
                Kernels.geluTanh(&c, count: count); Reference.geluTanh(&d, count: count)
                XCTAssertLessThanOrEqual(maxUlp(a, b).0, 4, "gelu count \(count)")
                XCTAssertLessThanOrEqual(maxUlp(c, d).0, 4, "geluTanh count \(count)")
            }

        }
    }
}
