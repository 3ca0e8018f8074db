import HeedKernels
@testable import HeedModels
import HeedTestSupport
import XCTest

/// `Linear.stacked` (Q, K and V kept as their own blocks) against the one fused Linear of the
/// same rows: forward, bias (zeros for a part without one), plain W, byteCount and the per-head
/// `forward(inputColumns:)`; one part quantised (Q8_0), to run both kinds side by side.
final class StackedLinearTests: XCTestCase {
    /// Deterministic values in [-0.5, 0.5).
    func values(_ count: Int, seed: UInt64) -> [Float] {
        var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in s ^= s << 13; s ^= s >> 7; s ^= s << 17; return Float(s >> 40) / Float(1 << 24) - 0.5 }
    }

    /// W (rows, 64) as Q8_0 blocks of d = 1/64 and q = round(64 w) (exact in both forms).
    func q8_0(_ w: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        for start in stride(from: 0, to: w.count, by: 32) {
            let d = Float16(1.0 / 64).bitPattern
            out += [UInt8(d & 0xff), UInt8(d >> 8)]
            for x in w[start..<(start + 32)] { out.append(UInt8(bitPattern: Int8((x * 64).rounded()))) }
        }
        return out
    }

    func testStackedEqualsFused() throws {
        let C = 64, T = 5
        // Part 1 is quantised: its W is made of exact Q8_0 values so both forms hold the same W.
        let w0 = values(20 * C, seed: 1), w1 = values(24 * C, seed: 2).map { ($0 * 64).rounded() / 64 }, w2 = values(7 * C, seed: 3)
        let b0 = values(20, seed: 4), b2 = values(7, seed: 5)
        let part1 = Linear.quantized(try QuantizedLinear(blocks: q8_0(w1), format: .q8_0, outFeatures: 24, inFeatures: C, bias: nil))
        let stacked = Linear.stacked([.dense(weight: w0, bias: b0, outFeatures: 20, inFeatures: C), part1,
                                      .dense(weight: w2, bias: b2, outFeatures: 7, inFeatures: C)])
        let fusedBias = b0 + [Float](repeating: 0, count: 24) + b2
        let fused = Linear.dense(weight: w0 + w1 + w2, bias: fusedBias, outFeatures: 51, inFeatures: C)
        XCTAssertEqual(stacked.outFeatures, 51)
        XCTAssertEqual(stacked.inFeatures, C)
        XCTAssertEqual(stacked.bias, fusedBias)
        XCTAssertEqual(stacked.plainWeight(), w0 + w1 + w2)
        XCTAssertEqual(stacked.byteCount, Linear.dense(weight: w0, bias: b0, outFeatures: 20, inFeatures: C).byteCount + part1.byteCount
                       + Linear.dense(weight: w2, bias: b2, outFeatures: 7, inFeatures: C).byteCount)
        let x = values(T * C, seed: 6)
        var ys = [Float](repeating: .nan, count: T * 51), yf = ys
        x.withUnsafeBufferPointer { xp in
            ys.withUnsafeMutableBufferPointer { stacked.forward(xp.baseAddress!, rows: T, into: $0.baseAddress!) }
            yf.withUnsafeMutableBufferPointer { fused.forward(xp.baseAddress!, rows: T, into: $0.baseAddress!) }
        }
        assertClose(actual: ys, expected: yf, tolerance: 1e-5, "stacked forward against fused")
        // Input columns 32..<64 (one Q8_0 block: read in place) and 5..<40 (blocks dequantised).
        for columns in [32..<64, 5..<40] {
            var cs = [Float](repeating: .nan, count: T * 51), cf = cs
            x.withUnsafeBufferPointer { xp in
                cs.withUnsafeMutableBufferPointer { stacked.forward(inputColumns: columns, xp.baseAddress!, rows: T, ldx: C, into: $0.baseAddress!, ldy: 51) }
                cf.withUnsafeMutableBufferPointer { fused.forward(inputColumns: columns, xp.baseAddress!, rows: T, ldx: C, into: $0.baseAddress!, ldy: 51) }
            }
            assertClose(actual: cs, expected: cf, tolerance: 1e-5, "stacked columns \(columns) against fused")
        }
        XCTAssertNil(Linear.stacked([.dense(weight: w0, bias: nil, outFeatures: 20, inFeatures: C)]).bias)
    }
}
