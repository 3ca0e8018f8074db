import HeedTestSupport
import XCTest
@testable import HeedKernels

final class PackedLinearTests: XCTestCase {
    func reference(_ x: [Float], rows: Int, _ w: [Float], _ b: [Float]?, out: Int, in inF: Int) -> [Float] {
        var y = [Float](repeating: 0, count: rows * out)
        x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in
            if let b {
                b.withUnsafeBufferPointer { bp in
                    Reference.gemmABt(m: rows, n: out, k: inF, a: xp.baseAddress!, lda: inF, b: wp.baseAddress!, ldb: inF, c: &y, ldc: out, bias: bp.baseAddress)
                }
            } else {
                Reference.gemmABt(m: rows, n: out, k: inF, a: xp.baseAddress!, lda: inF, b: wp.baseAddress!, ldb: inF, c: &y, ldc: out)
            }
        } }
        return y
    }

    func testForwardMatchesReference() {
        forEachVariant { isa in
            var shapes = [(1, 1), (7, 33), (33, 7), (16, 16), (129, 65)]
            var rowCounts = [1, 7, 16, 33]
            if isOptimizedBuild { shapes += [(384, 384), (1152, 384), (384, 1536)]; rowCounts += [128, 129] }
            var seed: UInt64 = 1
            for (out, inF) in shapes {
                for withBias in [false, true] {
                    let w = randomFloats(out * inF, seed: seed), b = withBias ? randomFloats(out, seed: seed + 1) : nil
                    let linear = PackedLinear(weight: w, bias: b, outFeatures: out, inFeatures: inF)
                    for rows in rowCounts {
                        let x = randomFloats(rows * inF, seed: seed + 2)
                        var y = [Float](repeating: .nan, count: rows * out)
                        linear.forward(x, rows: rows, into: &y)
                        let want = reference(x, rows: rows, w, b, out: out, in: inF)
                        let mag = reference(x.map(abs), rows: rows, w.map(abs), b?.map(abs), out: out, in: inF)
                        assertClose(actual: y, expected: want, tolerances: mag.map { 1e-5 * $0 + 1e-30 }, "linear \(out)x\(inF) rows \(rows) bias \(withBias)")
                        seed += 3
                    }
                }
            }

        }
    }

    func testForwardWithStridesAccumulates() {
        forEachVariant { isa in
            // y = y + x W^T + b into a wider buffer (fused residual), x read with a wider stride.
            let out = 20, inF = 35, rows = 9, ldx = 40, ldy = 23
            let w = randomFloats(out * inF, seed: 50), b = randomFloats(out, seed: 51)
            let linear = PackedLinear(weight: w, bias: b, outFeatures: out, inFeatures: inF)
            let xWide = randomFloats(rows * ldx, seed: 52)
            let y0 = randomFloats(rows * ldy, seed: 53)
            var y = y0
            linear.forward(xWide, rows: rows, ldx: ldx, into: &y, ldy: ldy, accumulate: true)
            var x = [Float](); for r in 0..<rows { x += xWide[(r * ldx)..<(r * ldx + inF)] }
            let plain = reference(x, rows: rows, w, b, out: out, in: inF)
            var want = y0
            for r in 0..<rows { for j in 0..<out { want[r * ldy + j] += plain[r * out + j] } }
            assertClose(actual: y, expected: want, tolerances: want.map { 1e-5 * (abs($0) + 10) }, "strided accumulate")

        }
    }
}
