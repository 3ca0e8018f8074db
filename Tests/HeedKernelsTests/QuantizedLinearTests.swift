import HeedTestSupport
import XCTest
@testable import HeedKernels

/// QuantizedLinear against (Reference.dequantize -> Reference.gemmABt) for every block format it
/// reads, on awkward sizes, for every kernel variant the CPU has.
/// Tolerances: the dequantised W must equal the reference bit for bit (same ggml operations,
/// no FMA); the GEMM output within 1e-5 x (|x| |W|^T + |b|) per element (float accumulation
/// against the double reference; the same bound as PackedLinear's test).
final class QuantizedLinearTests: XCTestCase {
    static let formats: [QuantFormat] = [.q8_0, .q4_0, .q4_1, .q4_K, .q5_K, .q6_K]

    /// Byte offsets of a block's f16 fields (scales and mins), per ggml-common.h.
    static func halfOffsets(_ f: QuantFormat) -> [Int] {
        switch f {
        case .q8_0, .q4_0: return [0]
        case .q4_1, .q4_K, .q5_K: return [0, 2]
        case .q6_K: return [208]
        default: return []
        }
    }

    /// Random blocks for (rows, cols): random bytes, with every f16 field a finite normal half of
    /// magnitude 2^-8 ... 2^-2 and random sign.
    static func randomBlocks(_ f: QuantFormat, rows: Int, cols: Int, seed: UInt64) -> [UInt8] {
        let blocks = rows * cols / f.blockSize
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        var bytes = (0..<(blocks * f.bytesPerBlock)).map { _ in UInt8(truncatingIfNeeded: next() >> 24) }
        for b in 0..<blocks {
            for o in halfOffsets(f) {
                let r = next()
                let bits = UInt16(r & 1) << 15 | UInt16(7 + (r >> 1) % 7) << 10 | UInt16((r >> 8) & 0x3ff)
                bytes[b * f.bytesPerBlock + o] = UInt8(bits & 0xff)
                bytes[b * f.bytesPerBlock + o + 1] = UInt8(bits >> 8)
            }
        }
        return bytes
    }

    static func referenceW(_ f: QuantFormat, _ bytes: [UInt8], rows: Int, cols: Int) -> [Float] {
        var w = [Float](repeating: 0, count: rows * cols)
        bytes.withUnsafeBytes { raw in
            w.withUnsafeMutableBufferPointer { out in
                if let base = raw.baseAddress, rows * cols > 0 {
                    Reference.dequantize(f, blocks: base, count: rows * cols, into: out.baseAddress!)
                }
            }
        }
        return w
    }

    func referenceGemm(_ x: [Float], rows: Int, _ w: [Float], _ b: [Float]?, out: Int, in inF: Int) -> [Float] {
        var y = [Float](repeating: 0, count: rows * out)
        x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in
            if let b {
                b.withUnsafeBufferPointer { bp in
                    Reference.gemmABt(m: rows, n: out, k: inF, a: xp.baseAddress!, lda: inF, b: wp.baseAddress!, ldb: inF, c: &y, ldc: out,
                                      bias: bp.baseAddress)
                }
            } else {
                Reference.gemmABt(m: rows, n: out, k: inF, a: xp.baseAddress!, lda: inF, b: wp.baseAddress!, ldb: inF, c: &y, ldc: out)
            }
        } }
        return y
    }

    static func widths(_ f: QuantFormat) -> [Int] {
        f.blockSize == 32 ? (isOptimizedBuild ? [64, 288, 576] : [64, 288]) : [256, 512]
    }

    func testDequantizedEqualsReferenceBitForBit() throws {
        try forEachVariant { isa in
            var seed: UInt64 = 100
            for f in Self.formats {
                for cols in Self.widths(f) {
                    let rows = 7
                    let bytes = Self.randomBlocks(f, rows: rows, cols: cols, seed: seed)
                    let want = Self.referenceW(f, bytes, rows: rows, cols: cols)
                    let linear = try QuantizedLinear(blocks: bytes, format: f, outFeatures: rows, inFeatures: cols, bias: nil)
                    XCTAssertEqual(linear.isa, isa)
                    let got = linear.dequantized()
                    XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), "\(f) C=\(cols) dequantized()")
                    XCTAssertEqual(linear.dequantizedRow(3), Array(want[(3 * cols)..<(4 * cols)]), "\(f) C=\(cols) row 3")
                    XCTAssertEqual(linear.byteCount, bytes.count)
                    seed += 1
                }
            }
        }
    }

    func testForwardMatchesReference() throws {
        let tokens = isOptimizedBuild ? [1, 7, 16, 24, 33, 129] : [1, 7, 33]
        let outs = isOptimizedBuild ? [1, 7, 33, 129] : [1, 7, 33]
        try forEachVariant { isa in
            var seed: UInt64 = 1
            for f in Self.formats {
                for cols in Self.widths(f) {
                    for out in outs {
                        let bytes = Self.randomBlocks(f, rows: out, cols: cols, seed: seed)
                        let w = Self.referenceW(f, bytes, rows: out, cols: cols)
                        let wAbs = w.map(abs)
                        let withBias = seed % 2 == 0
                        let b = withBias ? randomFloats(out, seed: seed + 1) : nil
                        let linear = try QuantizedLinear(blocks: bytes, format: f, outFeatures: out, inFeatures: cols, bias: b)
                        for rows in tokens {
                            let x = randomFloats(rows * cols, seed: seed + 2)
                            var y = [Float](repeating: .nan, count: rows * out)
                            linear.forward(x, rows: rows, into: &y)
                            let want = referenceGemm(x, rows: rows, w, b, out: out, in: cols)
                            let mag = referenceGemm(x.map(abs), rows: rows, wAbs, b?.map(abs), out: out, in: cols)
                            assertClose(actual: y, expected: want, tolerances: mag.map { 1e-5 * $0 + 1e-30 },
                                        "\(isa) \(f) OC=\(out) C=\(cols) T=\(rows) bias \(withBias)")
                        }
                        seed += 3
                    }
                }
            }
        }
    }

    func testForwardWithStridesAccumulatesAndMappedBlocks() throws {
        try forEachVariant { isa in
            for f in Self.formats {
                // y = y + x W^T + b into a wider buffer, x read with a wider stride, blocks read in place
                // at an odd address (blocks need no alignment).
                let out = 20, inF = f.blockSize == 32 ? 96 : 256, rows = 9, ldx = inF + 5, ldy = 23
                let bytes = Self.randomBlocks(f, rows: out, cols: inF, seed: 70)
                let w = Self.referenceW(f, bytes, rows: out, cols: inF)
                let b = randomFloats(out, seed: 71)
                let storage = UnsafeMutableRawPointer.allocate(byteCount: bytes.count + 1, alignment: 64)
                defer { storage.deallocate() }
                bytes.withUnsafeBytes { (storage + 1).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                let linear = try QuantizedLinear(mapped: storage + 1, byteCount: bytes.count, owner: nil, format: f,
                                                 outFeatures: out, inFeatures: inF, bias: b)
                XCTAssertEqual(linear.byteCount, 4 * out)
                let xWide = randomFloats(rows * ldx, seed: 72)
                let y0 = randomFloats(rows * ldy, seed: 73)
                var y = y0
                linear.forward(xWide, rows: rows, ldx: ldx, into: &y, ldy: ldy, accumulate: true)
                var x = [Float](); for r in 0..<rows { x += xWide[(r * ldx)..<(r * ldx + inF)] }
                let plain = referenceGemm(x, rows: rows, w, b, out: out, in: inF)
                let mag = referenceGemm(x.map(abs), rows: rows, w.map(abs), b.map(abs), out: out, in: inF)
                var want = y0, tol = [Float](repeating: 1e-6, count: y0.count)
                for r in 0..<rows { for j in 0..<out { want[r * ldy + j] += plain[r * out + j]; tol[r * ldy + j] += 1e-5 * mag[r * out + j] } }
                assertClose(actual: y, expected: want, tolerances: tol, "\(isa) \(f) strided accumulate")
            }
        }
    }

    func testInvalidInputThrows() {
        let q8 = Self.randomBlocks(.q8_0, rows: 2, cols: 64, seed: 9)
        XCTAssertThrowsError(try QuantizedLinear(blocks: q8, format: .q5_0, outFeatures: 2, inFeatures: 64, bias: nil)) {
            XCTAssertEqual($0 as? QuantizedLinear.Error, .unsupportedFormat("Q5_0"))
        }
        XCTAssertThrowsError(try QuantizedLinear(blocks: q8, format: .q8_0, outFeatures: 2, inFeatures: 48, bias: nil)) {
            XCTAssertEqual($0 as? QuantizedLinear.Error, .rowNotWholeBlocks(inFeatures: 48, blockSize: 32))
        }
        XCTAssertThrowsError(try QuantizedLinear(blocks: q8, format: .q8_0, outFeatures: 3, inFeatures: 64, bias: nil)) {
            XCTAssertEqual($0 as? QuantizedLinear.Error, .byteCount(expected: 204, actual: 136))
        }
        XCTAssertThrowsError(try QuantizedLinear(blocks: q8, format: .q8_0, outFeatures: 2, inFeatures: 64, bias: [1])) {
            XCTAssertEqual($0 as? QuantizedLinear.Error, .biasCount(expected: 2, actual: 1))
        }
        XCTAssertThrowsError(try QuantizedLinear(blocks: q8, format: .q8_0, outFeatures: -1, inFeatures: 64, bias: nil)) {
            XCTAssertEqual($0 as? QuantizedLinear.Error, .negativeShape(outFeatures: -1, inFeatures: 64))
        }
        XCTAssertThrowsError(try QuantizedLinear(blocks: q8, format: .q8_0, outFeatures: Int.max / 2, inFeatures: 64, bias: nil)) {
            XCTAssertEqual($0 as? QuantizedLinear.Error, .byteCount(expected: Int.max, actual: 136))
        }
        // Empty shapes are fine: C = 0 gives y = b.
        let empty = try? QuantizedLinear(blocks: [], format: .q4_K, outFeatures: 3, inFeatures: 0, bias: [1, 2, 3])
        var y = [Float](repeating: .nan, count: 6)
        empty?.forward([], rows: 2, into: &y)
        XCTAssertEqual(y, [1, 2, 3, 1, 2, 3])
    }
}

extension QuantizedLinearTests {
    /// Scales that are zero, subnormal, the largest half, infinite or NaN dequantise as the
    /// reference does (the GEMM's own half conversion: branch-free, or F16C).
    func testSpecialScalesMatchReference() throws {
        let scales: [UInt16] = [0x0000, 0x8000, 0x0001, 0x83ff, 0x0400, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0x3c00]
        try forEachVariant { isa in
            for f in [QuantFormat.q8_0, .q4_1, .q6_K] {
                let cols = f.blockSize
                var bytes = Self.randomBlocks(f, rows: scales.count, cols: cols, seed: 5)
                for (r, h) in scales.enumerated() {
                    // d of row r's block (and Q4_1's m: a finite 1.0, so inf/NaN come from d alone).
                    let o = r * f.bytesPerBlock + (f == .q6_K ? 208 : 0)
                    bytes[o] = UInt8(h & 0xff); bytes[o + 1] = UInt8(h >> 8)
                    if f == .q4_1 { bytes[o + 2] = 0x00; bytes[o + 3] = 0x3c }
                }
                let want = Self.referenceW(f, bytes, rows: scales.count, cols: cols)
                let got = try QuantizedLinear(blocks: bytes, format: f, outFeatures: scales.count, inFeatures: cols, bias: nil).dequantized()
                for i in 0..<want.count where !(want[i].isNaN && got[i].isNaN) {
                    XCTAssertEqual(got[i].bitPattern, want[i].bitPattern, "\(isa) \(f) scale \(String(scales[i / cols], radix: 16)) element \(i % cols)")
                }
                XCTAssertEqual(got.map(\.isNaN), want.map(\.isNaN), "\(isa) \(f) NaNs")
            }
        }
    }
}

extension QuantizedLinearTests {
    /// Rows longer than the row path's k chunk (2048) and several panel-path k blocks.
    func testLongRows() throws {
        try forEachVariant { isa in
            for (f, cols) in [(QuantFormat.q8_0, 2112), (.q4_1, 2080), (.q5_K, 2304)] {
                let out = 5
                let bytes = Self.randomBlocks(f, rows: out, cols: cols, seed: 31)
                let w = Self.referenceW(f, bytes, rows: out, cols: cols)
                let b = randomFloats(out, seed: 32)
                let linear = try QuantizedLinear(blocks: bytes, format: f, outFeatures: out, inFeatures: cols, bias: b)
                for rows in [1, 3, 40] {
                    let x = randomFloats(rows * cols, seed: 33)
                    var y = [Float](repeating: .nan, count: rows * out)
                    linear.forward(x, rows: rows, into: &y)
                    let want = referenceGemm(x, rows: rows, w, b, out: out, in: cols)
                    let mag = referenceGemm(x.map(abs), rows: rows, w.map(abs), b.map(abs), out: out, in: cols)
                    assertClose(actual: y, expected: want, tolerances: mag.map { 1e-5 * $0 + 1e-30 }, "\(isa) \(f) C=\(cols) T=\(rows)")
                }
            }
        }
    }
}
