import HeedTestSupport
import XCTest
@testable import HeedKernels

/// `forward(inputColumns:)` of PackedLinear and QuantizedLinear (the analysis's per-head W_O
/// read in place) against Reference.gemmABt on the plain W's columns, for every kernel variant,
/// on awkward sizes: partial last panels, column ranges inside one panel's depth, across k
/// blocks, not aligned to 8; quantised ranges on block boundaries (read in place) and off them
/// (the covering blocks dequantised). x and y strided; y outside its OC columns untouched.
final class InputColumnsTests: XCTestCase {
    /// y (rows, out) = x (rows, K) * W[:, columns]^T, x rows `ldx` apart, in double-checked floats.
    func reference(_ x: [Float], rows: Int, ldx: Int, _ w: [Float], out: Int, in inF: Int, columns: Range<Int>) -> [Float] {
        var y = [Float](repeating: 0, count: rows * out)
        x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in
            Reference.gemmABt(m: rows, n: out, k: columns.count, a: xp.baseAddress!, lda: ldx, b: wp.baseAddress! + columns.lowerBound,
                              ldb: inF, c: &y, ldc: out)
        } }
        return y
    }

    /// Runs `forward` into a (rows, out + 3) buffer of sentinels and checks it against the reference.
    func check(_ what: String, w: [Float], out: Int, in inF: Int, columns: Range<Int>, rows: Int, seed: UInt64,
               forward: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, Int) -> Void) {
        let ldx = columns.count + 5, ldy = out + 3
        let x = randomFloats(rows * ldx, seed: seed)
        var y = [Float](repeating: 1234.5, count: rows * ldy)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in forward(xp.baseAddress!, ldx, yp.baseAddress!, ldy) } }
        let want = reference(x, rows: rows, ldx: ldx, w, out: out, in: inF, columns: columns)
        let mag = reference(x.map(abs), rows: rows, ldx: ldx, w.map(abs), out: out, in: inF, columns: columns)
        var expected = [Float](repeating: 1234.5, count: rows * ldy), tol = [Float](repeating: 0, count: rows * ldy)
        for r in 0..<rows { for j in 0..<out { expected[r * ldy + j] = want[r * out + j]; tol[r * ldy + j] = 1e-5 * mag[r * out + j] + 1e-30 } }
        assertClose(actual: y, expected: expected, tolerances: tol, what)
    }

    func testPackedInputColumnsMatchReference() {
        forEachVariant { isa in
            var seed: UInt64 = 300
            // (OC, C, column ranges): heads of MiniLM's W_O (12 x 32 of 384), odd sizes, a range
            // deeper than one k block (gemmKC is 256 or 384).
            let cases: [(Int, Int, [Range<Int>])] = [
                (1, 1, [0..<1]), (7, 33, [0..<33, 5..<6, 9..<30]), (37, 45, [0..<16, 16..<45, 3..<40]),
                (384, 384, [0..<32, 352..<384, 100..<133]), (33, 800, [0..<800, 17..<790]),
            ]
            for (out, inF, ranges) in cases {
                let w = randomFloats(out * inF, seed: seed)
                let linear = PackedLinear(weight: w, bias: randomFloats(out, seed: seed + 1), outFeatures: out, inFeatures: inF)
                for columns in ranges {
                    for rows in [1, 7, 13] {
                        check("\(isa) packed \(out)x\(inF) columns \(columns) rows \(rows)", w: w, out: out, in: inF, columns: columns,
                              rows: rows, seed: seed + 2) { x, ldx, y, ldy in
                            linear.forward(inputColumns: columns, x, rows: rows, ldx: ldx, into: y, ldy: ldy)
                        }
                        seed += 3
                    }
                }
            }
        }
    }

    func testQuantizedInputColumnsMatchReference() throws {
        try forEachVariant { isa in
            var seed: UInt64 = 400
            for f in QuantizedLinearTests.formats {
                let bs = f.blockSize, out = 21, inF = 3 * bs
                let bytes = QuantizedLinearTests.randomBlocks(f, rows: out, cols: inF, seed: seed)
                let w = QuantizedLinearTests.referenceW(f, bytes, rows: out, cols: inF)
                let linear = try QuantizedLinear(blocks: bytes, format: f, outFeatures: out, inFeatures: inF, bias: randomFloats(out, seed: seed + 1))
                // On block boundaries (read in place), and off them (a head of 64 inside a 256 block; a range over two blocks).
                for columns in [bs..<(2 * bs), 0..<inF, (bs + 3)..<(bs + 35), (bs - 5)..<(2 * bs + 1)] {
                    for rows in [1, 2, 9, 40] {
                        check("\(isa) \(f) \(out)x\(inF) columns \(columns) rows \(rows)", w: w, out: out, in: inF, columns: columns,
                              rows: rows, seed: seed + 2) { x, ldx, y, ldy in
                            linear.forward(inputColumns: columns, x, rows: rows, ldx: ldx, into: y, ldy: ldy)
                        }
                        seed += 3
                    }
                }
            }
        }
    }
}
