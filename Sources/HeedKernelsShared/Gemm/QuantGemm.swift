import HeedKernelsBase

// The quantized GEMM: c (M, N) (+)= a (M, K) * W^T + bias with W (N, K) stored as raw ggml
// blocks (each row of W a whole number of blocks, rows `rowBytes` apart). W stays quantized:
// each task dequantises the (kc x gemmNR) panels it needs for one k block into per-thread
// scratch (k blocks aligned to the quant block: 32 or 256 elements), then the f32 micro-kernel
// (MicroKernel.swift) sweeps every row of A over them, so a panel is dequantised once per call
// (once per row chunk when M is split), not once per row.
//
// Per panel and k block: the panel's gemmNR rows of W are dequantised along k into a (nr x kc)
// row-major buffer (SIMD over a block's elements), then transposed into the micro-kernel's
// (kc x gemmNR) panel layout by the f32 packer (packPanelsTransposed, 8 x 8 register transposes).
//
// Block layouts and the dequantisation formulas follow ggml (ggml-common.h block_*,
// ggml-quants.c dequantize_row_*), operation for operation (no fused multiply-add), so the
// dequantised values equal the reference's bit for bit.

/// A ggml block format the quantized GEMM reads; raw values are ggml's type ids (GGMLType).
enum QuantKind: Int {
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 8
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14

    /// Elements per block.
    var blockSize: Int {
        switch self {
        case .q4_0, .q4_1, .q8_0: return 32
        case .q4_K, .q5_K, .q6_K: return 256
        }
    }

    /// Bytes per block.
    var bytesPerBlock: Int {
        switch self {
        case .q4_0: return 18    // f16 d, 16 bytes of nibbles
        case .q4_1: return 20    // f16 d, f16 m, 16 bytes of nibbles
        case .q8_0: return 34    // f16 d, 32 int8
        case .q4_K: return 144   // f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles
        case .q5_K: return 176   // as q4_K, then 32 bytes of high bits before the nibbles
        case .q6_K: return 210   // 128 bytes low nibbles, 64 bytes high 2-bit pairs, 16 int8 scales, f16 d
        }
    }
}

/// IEEE half (binary16) bits -> Float, exact (subnormals, infinities and NaNs included).
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1f
    let mantissa = UInt32(h & 0x3ff)
    if exponent == 0 {
        // Zero or subnormal: mantissa * 2^-24, exact in Float.
        let magnitude = Float(mantissa) * (1.0 / 16_777_216.0)
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

@inline(__always)
private func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    halfToFloat(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
}

@inline(__always)
private func bytes16(_ p: UnsafeRawPointer, _ offset: Int) -> SIMD16<UInt8> {
    p.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self)
}

/// Unsigned bytes -> floats (exact).
@inline(__always)
private func floats(_ v: SIMD16<UInt8>) -> SIMD16<Float> {
    SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: v))
}

/// Signed bytes -> floats (exact).
@inline(__always)
private func floats(_ v: SIMD16<Int8>) -> SIMD16<Float> {
    SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: v))
}

@inline(__always)
private func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// The 6-bit scale and min j (0..<8) of a q4_K / q5_K super-block (ggml's get_scale_min_k4).
@inline(__always)
private func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (scale: Float, min: Float) {
    @inline(__always) func b(_ i: Int) -> UInt8 { q.load(fromByteOffset: i, as: UInt8.self) }
    if j < 4 { return (Float(b(j) & 63), Float(b(j + 4) & 63)) }
    let d = (b(j + 4) & 0xF) | ((b(j - 4) >> 6) << 4)
    let m = (b(j + 4) >> 4) | ((b(j) >> 6) << 4)
    return (Float(d), Float(m))
}

/// Dequantises `blocks` consecutive blocks at `src` into `blocks * blockSize` floats at `dst`.
@inline(never)
func dequantizeBlocks(_ kind: QuantKind, _ src: UnsafeRawPointer, blocks: Int, into dst: UnsafeMutablePointer<Float>) {
    var s = src, y = dst
    switch kind {
    case .q8_0:
        for _ in 0..<blocks {
            let d = SIMD16<Float>(repeating: half(s, 0))
            let q0 = s.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)
            let q1 = s.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)
            store16(floats(q0) * d, y)
            store16(floats(q1) * d, y + 16)
            s += 34; y += 32
        }
    case .q4_0:
        let eight = SIMD16<Int32>(repeating: 8)
        for _ in 0..<blocks {
            let d = SIMD16<Float>(repeating: half(s, 0))
            let q = bytes16(s, 2)
            let lo = SIMD16<Int32>(truncatingIfNeeded: q & 0xF) &- eight
            let hi = SIMD16<Int32>(truncatingIfNeeded: q &>> 4) &- eight
            store16(SIMD16<Float>(lo) * d, y)
            store16(SIMD16<Float>(hi) * d, y + 16)
            s += 18; y += 32
        }
    case .q4_1:
        for _ in 0..<blocks {
            let d = SIMD16<Float>(repeating: half(s, 0)), m = SIMD16<Float>(repeating: half(s, 2))
            let q = bytes16(s, 4)
            store16(floats(q & 0xF) * d + m, y)
            store16(floats(q &>> 4) * d + m, y + 16)
            s += 20; y += 32
        }
    case .q4_K, .q5_K:
        let five = kind == .q5_K
        for _ in 0..<blocks {
            let d = half(s, 0), dmin = half(s, 2)
            let scales = s + 4
            let qh = s + 16            // q5_K only
            var ql = s + (five ? 48 : 16)
            for j in 0..<4 {
                let (sc1, mn1) = scaleMinK4(2 * j, scales), (sc2, mn2) = scaleMinK4(2 * j + 1, scales)
                let d1 = SIMD16<Float>(repeating: d * sc1), m1 = SIMD16<Float>(repeating: dmin * mn1)
                let d2 = SIMD16<Float>(repeating: d * sc2), m2 = SIMD16<Float>(repeating: dmin * mn2)
                for half16 in 0..<2 {
                    let q = bytes16(ql, 16 * half16)
                    var lo = q & 0xF, hi = q &>> 4
                    if five {
                        let h = bytes16(qh, 16 * half16)
                        lo |= ((h &>> UInt8(2 * j)) & 1) &<< 4
                        hi |= ((h &>> UInt8(2 * j + 1)) & 1) &<< 4
                    }
                    store16(d1 * floats(lo) - m1, y + 16 * half16)
                    store16(d2 * floats(hi) - m2, y + 32 + 16 * half16)
                }
                ql += 32; y += 64
            }
            s += five ? 176 : 144
        }
    case .q6_K:
        let thirtyTwo = SIMD16<Int32>(repeating: 32)
        for _ in 0..<blocks {
            let d = half(s, 208)
            var ql = s, qh = s + 128
            var sc = s + 192
            for _ in 0..<2 {
                for c in 0..<2 {   // l in 16c..<16c+16: scale index is = c
                    @inline(__always) func scale(_ i: Int) -> SIMD16<Float> {
                        SIMD16<Float>(repeating: d * Float(sc.load(fromByteOffset: c + i, as: Int8.self)))
                    }
                    let l0 = bytes16(ql, 16 * c), l32 = bytes16(ql, 32 + 16 * c), h = bytes16(qh, 16 * c)
                    let q1 = SIMD16<Int32>(truncatingIfNeeded: (l0 & 0xF) | ((h & 3) &<< 4)) &- thirtyTwo
                    let q2 = SIMD16<Int32>(truncatingIfNeeded: (l32 & 0xF) | (((h &>> 2) & 3) &<< 4)) &- thirtyTwo
                    let q3 = SIMD16<Int32>(truncatingIfNeeded: (l0 &>> 4) | (((h &>> 4) & 3) &<< 4)) &- thirtyTwo
                    let q4 = SIMD16<Int32>(truncatingIfNeeded: (l32 &>> 4) | (((h &>> 6) & 3) &<< 4)) &- thirtyTwo
                    store16(scale(0) * SIMD16<Float>(q1), y + 16 * c)
                    store16(scale(2) * SIMD16<Float>(q2), y + 32 + 16 * c)
                    store16(scale(4) * SIMD16<Float>(q3), y + 64 + 16 * c)
                    store16(scale(6) * SIMD16<Float>(q4), y + 96 + 16 * c)
                }
                y += 128; ql += 64; qh += 32; sc += 8
            }
            s += 210
        }
    }
}

enum QuantGemm {
    /// c (M, N) (+)= a (M, K) * W^T + bias; W (N, K) as `kind` blocks, row j at w + j * rowBytes.
    /// K must be a multiple of the block size. c must not overlap a.
    static func run(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                    w: UnsafeRawPointer, rowBytes: Int, kind: QuantKind,
                    c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, accumulate: Bool) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 {
            for i in 0..<m {
                for j in 0..<n {
                    let s: Float = bias?[j] ?? 0
                    c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s
                }
            }
            return
        }
        let panels = (n + gemmNR - 1) / gemmNR
        let rowBlocks = (m + gemmMR - 1) / gemmMR
        // Dequantising costs a few operations per weight whatever M is: count it with the flops.
        let work = 2.0 * Double(m) * Double(n) * Double(k) + 8.0 * Double(n) * Double(k)
        let threads = Parallel.availableThreads
        var panelChunks = 1, rowChunks = 1
        if threads > 1 && work >= gemmParallelMinFlops {
            // As GemmDriver: split N first; split M (each row chunk dequantises its panels
            // again) only when the panels are too few to go round.
            let tasks = threads * 4
            panelChunks = min(tasks, panels)
            if panels < 2 * threads { rowChunks = min(rowBlocks, (tasks + panelChunks - 1) / panelChunks) }
        }
        Parallel.forEach(panelChunks * rowChunks) { t in
            let pc = t % panelChunks, rc = t / panelChunks
            let panelRange = (pc * panels / panelChunks)..<((pc + 1) * panels / panelChunks)
            let r0 = (rc * rowBlocks / rowChunks) * gemmMR
            let r1 = min(m, ((rc + 1) * rowBlocks / rowChunks) * gemmMR)
            runTask(n: n, k: k, a: a, lda: lda, w: w, rowBytes: rowBytes, kind: kind, c: c, ldc: ldc, bias: bias,
                    accumulate: accumulate, panels: panelRange, rows: r0..<r1)
        }
    }

    /// Depth of the k blocks: near-equal blocks of whole quant blocks, at most about gemmKC
    /// (at least one quant block).
    static func kBlockDepth(k: Int, blockSize: Int) -> Int {
        let quantBlocks = k / blockSize
        let perKBlock = max(1, gemmKC / blockSize)
        let kBlocks = (quantBlocks + perKBlock - 1) / perKBlock
        return (quantBlocks + kBlocks - 1) / kBlocks * blockSize
    }

    private static func runTask(n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                w: UnsafeRawPointer, rowBytes: Int, kind: QuantKind,
                                c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
                                panels: Range<Int>, rows: Range<Int>) {
        if panels.isEmpty || rows.isEmpty { return }
        let bs = kind.blockSize, bytesPerBlock = kind.bytesPerBlock
        let kcMax = kBlockDepth(k: k, blockSize: bs)
        // Panels dequantised per round: one when every row fits one A block (each panel is then
        // used by all rows while in L1); otherwise enough for ~256 KiB, so an A block read from
        // L2 serves several panels.
        let m = rows.count
        let chunkPanels = m <= gemmMC ? 1 : max(1, min(panels.count, 65_536 / (kcMax * gemmNR)))
        let spillFloats = gemmMR * gemmNR
        let rowFloats = gemmNR * kcMax
        let scratch = ThreadScratch.floats(spillFloats + rowFloats + chunkPanels * kcMax * gemmNR)
        let spill = scratch, rowBuffer = scratch + spillFloats, panelBuffer = rowBuffer + rowFloats
        var k0 = 0
        while k0 < k {
            let kc = min(kcMax, k - k0)
            let firstBlock = k0 == 0
            let blockOffset = (k0 / bs) * bytesPerBlock
            var p0 = panels.lowerBound
            while p0 < panels.upperBound {
                let p1 = min(panels.upperBound, p0 + chunkPanels)
                // Dequantise and pack panels [p0, p1) for k in [k0, k0 + kc).
                for p in p0..<p1 {
                    let j0 = p * gemmNR, nr = min(gemmNR, n - j0)
                    for jj in 0..<nr {
                        dequantizeBlocks(kind, w + (j0 + jj) * rowBytes + blockOffset, blocks: kc / bs, into: rowBuffer + jj * kc)
                    }
                    packPanelsTransposed(b: rowBuffer, ldb: kc, n: nr, k: kc, panels: 0..<1,
                                         into: panelBuffer + (p - p0) * kc * gemmNR)
                }
                var i0 = rows.lowerBound
                while i0 < rows.upperBound {
                    let i1 = min(rows.upperBound, i0 + gemmMC)
                    for p in p0..<p1 {
                        let j0 = p * gemmNR
                        let bp = UnsafePointer(panelBuffer + (p - p0) * kc * gemmNR)
                        let e = TileEpilogue(bias: firstBlock ? bias.map { $0 + j0 } : nil,
                                             accumulate: firstBlock ? accumulate : true,
                                             nr: min(gemmNR, n - j0), spill: spill)
                        var i = i0
                        while i < i1 {
                            let left = i1 - i
                            let mr = left > gemmMR && left < 2 * gemmMR ? (left + 1) / 2 : min(gemmMR, left)
                            gemmTile(mr: mr, kc, a + i * lda + k0, lda, bp, c + i * ldc + j0, ldc, e)
                            i += mr
                        }
                    }
                    i0 = i1
                }
                p0 = p1
            }
            k0 += kc
        }
    }
}
