import CHeedPrefetch
import HeedKernelsBase

// The quantized GEMM: c (M, N) (+)= a (M, K) * W^T + bias with W (N, K) stored as raw ggml
// blocks (each row of W a whole number of blocks, rows `rowBytes` apart). W stays quantized;
// two paths, by M:
//
// - Panel path (M > quantRowsPathMaxM): each task dequantises the (kc x gemmNR) panels it needs
//   for one k block into per-thread scratch (k blocks aligned to the quant block: 32 or 256
//   elements), then the f32 micro-kernel (MicroKernel.swift) sweeps every row of A over them,
//   so a panel is dequantised once per call (once per row chunk when M is split), not once per
//   row. Per panel and k block: the panel's gemmNR rows of W are dequantised along k into an
//   (nr x kc) row-major buffer (SIMD over a block's elements), then transposed into the
//   micro-kernel's (kc x gemmNR) layout by the f32 packer (packPanelsTransposed, 8 x 8 register
//   transposes).
// - Row path (M <= quantRowsPathMaxM, token-by-token and short inputs): rows of W are
//   dequantised four at a time into an L1 buffer and dotted with every row of A; no transpose,
//   which at small M costs more than the products (measured: docs/performance.md). At M = 1
//   with 32-element blocks, each block is decoded into registers as its integers and scaled
//   after its dot product with x (d (q . x) + m sum(x), as ggml's vec_dot factors the scales).
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
/// Branch-free: the exponent and mantissa bits shifted into a Float's place give the value
/// times 2^-112 (subnormal halves become subnormal floats, still exact), so one multiply by
/// 2^112 rebiases; exponent 31 (infinity, NaN) is patched with a select. Written this way
/// rather than through Float16/F16C: LLVM loads the half with vpinsrw into the register of
/// the previous block's last product, a false dependency that chains every block's scale
/// conversion to the one before (2x slower on Q8_0).
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let bits = UInt32(h)
    let sign = (bits & 0x8000) << 16
    let magnitude = bits & 0x7fff
    let finite = Float(bitPattern: magnitude << 13) * 0x1p112
    let special = Float(bitPattern: 0x7f80_0000 | ((magnitude & 0x3ff) << 13))
    let value = magnitude >= 0x7c00 ? special : finite
    return Float(bitPattern: value.bitPattern | sign)
}

@inline(__always)
private func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    halfToFloat(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
}

/// Two adjacent halves at p + offset (Q4_1's d and m, the k-quants' d and dmin) -> Floats.
/// With F16C: one 4-byte load (vmovd, a full register write) and vcvtph2ps.
@inline(__always)
private func halfPair(_ p: UnsafeRawPointer, _ offset: Int) -> (Float, Float) {
    #if !(os(macOS) && arch(x86_64))
    if hasF16C {
        let v = p.loadUnaligned(fromByteOffset: offset, as: SIMD2<Float16>.self)
        return (Float(v[0]), Float(v[1]))
    }
    #endif
    return (half(p, offset), half(p, offset + 2))
}

@inline(__always)
private func bytes16(_ p: UnsafeRawPointer, _ offset: Int) -> SIMD16<UInt8> {
    p.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self)
}

// Lane loops rather than the standard library's SIMD conversions: those are generic functions
// the optimiser leaves out of line (SIMD16 passed in four xmm registers, a vzeroupper per call),
// while these loops become one vpmovzxbd/vpmovsxbd + vcvtdq2ps (AVX-512; two with AVX2).

/// Unsigned bytes -> floats (exact).
@inline(__always)
private func floats(_ v: SIMD16<UInt8>) -> SIMD16<Float> {
    var r = SIMD16<Float>()
    for i in 0..<16 { r[i] = Float(v[i]) }
    return r
}

/// Signed bytes -> floats (exact).
@inline(__always)
private func floats(_ v: SIMD16<Int8>) -> SIMD16<Float> {
    var r = SIMD16<Float>()
    for i in 0..<16 { r[i] = Float(v[i]) }
    return r
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

/// One Q8_0 block -> its 32 values (two vectors), as `dequantizeBlocks`.
@inline(__always)
private func decodeQ8_0(_ s: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
    let d = SIMD16<Float>(repeating: half(s, 0))
    return (floats(s.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)) * d,
            floats(s.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)) * d)
}

/// One Q4_0 block -> its 32 values, as `dequantizeBlocks`.
@inline(__always)
private func decodeQ4_0(_ s: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
    let d = SIMD16<Float>(repeating: half(s, 0)), eight = SIMD16<Float>(repeating: 8)
    let q = bytes16(s, 2)
    return ((floats(q & 0xF) - eight) * d, (floats(q &>> 4) - eight) * d)
}

/// One Q4_1 block -> its 32 values, as `dequantizeBlocks`.
@inline(__always)
private func decodeQ4_1(_ s: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
    let (dh, mh) = halfPair(s, 0)
    let d = SIMD16<Float>(repeating: dh), m = SIMD16<Float>(repeating: mh)
    let q = bytes16(s, 4)
    return (floats(q & 0xF) * d + m, floats(q &>> 4) * d + m)
}

/// One block of 32 as W = d * q + m with q its integers exactly as floats (Q8_0: the int8 values,
/// m = 0; Q4_0: nibble - 8, m = 0; Q4_1: the nibbles, m the block's min): what the T = 1 path
/// multiplies before scaling, as ggml's vec_dot_q*_q8_* factor d (and Q4_1's m) out of a block.
typealias IntegerBlock = (d: Float, m: Float, q0: SIMD16<Float>, q1: SIMD16<Float>)

@inline(__always)
private func integersQ8_0(_ s: UnsafeRawPointer) -> IntegerBlock {
    (half(s, 0), 0, floats(s.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)),
     floats(s.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)))
}

@inline(__always)
private func integersQ4_0(_ s: UnsafeRawPointer) -> IntegerBlock {
    let eight = SIMD16<Float>(repeating: 8), q = bytes16(s, 2)
    return (half(s, 0), 0, floats(q & 0xF) - eight, floats(q &>> 4) - eight)
}

@inline(__always)
private func integersQ4_1(_ s: UnsafeRawPointer) -> IntegerBlock {
    let (d, m) = halfPair(s, 0), q = bytes16(s, 4)
    return (d, m, floats(q & 0xF), floats(q &>> 4))
}

/// Dequantises `blocks` consecutive blocks at `src` into `blocks * blockSize` floats at `dst`.
@inline(never)
func dequantizeBlocks(_ kind: QuantKind, _ src: UnsafeRawPointer, blocks: Int, into dst: UnsafeMutablePointer<Float>) {
    var s = src, y = dst
    switch kind {
    case .q8_0:
        for _ in 0..<blocks { let (v0, v1) = decodeQ8_0(s); store16(v0, y); store16(v1, y + 16); s += 34; y += 32 }
    case .q4_0:
        for _ in 0..<blocks { let (v0, v1) = decodeQ4_0(s); store16(v0, y); store16(v1, y + 16); s += 18; y += 32 }
    case .q4_1:
        for _ in 0..<blocks { let (v0, v1) = decodeQ4_1(s); store16(v0, y); store16(v1, y + 16); s += 20; y += 32 }
    case .q4_K, .q5_K:
        let five = kind == .q5_K
        for _ in 0..<blocks {
            let (d, dmin) = halfPair(s, 0)
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
        // ggml: d * sc * (q - 32), the difference an int; exact in float too.
        let thirtyTwo = SIMD16<Float>(repeating: 32)
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
                    let q1 = floats((l0 & 0xF) | ((h & 3) &<< 4)) - thirtyTwo
                    let q2 = floats((l32 & 0xF) | (((h &>> 2) & 3) &<< 4)) - thirtyTwo
                    let q3 = floats((l0 &>> 4) | (((h &>> 4) & 3) &<< 4)) - thirtyTwo
                    let q4 = floats((l32 &>> 4) | (((h &>> 6) & 3) &<< 4)) - thirtyTwo
                    store16(scale(0) * q1, y + 16 * c)
                    store16(scale(2) * q2, y + 32 + 16 * c)
                    store16(scale(4) * q3, y + 64 + 16 * c)
                    store16(scale(6) * q4, y + 96 + 16 * c)
                }
                y += 128; ql += 64; qh += 32; sc += 8
            }
            s += 210
        }
    }
}

/// Up to this many rows of A, the quantized GEMM takes the row path (`QuantGemm.runRows`):
/// with few rows, transposing dequantised W into panels costs more than the products.
let quantRowsPathMaxM = 24

/// Rows of W dequantised together on the row path (they share each load of A).
private let quantRowsGroup = 4

/// The lane sums of four vectors, [sum a, sum b, sum c, sum d], by halving adds and shuffles
/// (one horizontal reduction for four dot products).
@inline(__always)
private func sum4(_ a: VF, _ b: VF, _ c: VF, _ d: VF) -> SIMD4<Float> {
    @inline(__always) func fold(_ v: VF) -> SIMD8<Float> {
        var s = SIMD8<Float>()
        for i in 0..<8 { s[i] = v[i] }
        if VF.scalarCount == 16 { for i in 0..<8 { s[i] += v[i + 8] } }
        return s
    }
    let a8 = fold(a), b8 = fold(b), c8 = fold(c), d8 = fold(d)
    let ab = SIMD8(lowHalf: a8.lowHalf + a8.highHalf, highHalf: b8.lowHalf + b8.highHalf)
    let cd = SIMD8(lowHalf: c8.lowHalf + c8.highHalf, highHalf: d8.lowHalf + d8.highHalf)
    let pairs = SIMD8(lowHalf: ab.evenHalf + ab.oddHalf, highHalf: cd.evenHalf + cd.oddHalf)
    return pairs.evenHalf + pairs.oddHalf
}

/// The last levels of the 4 x 4 tile reduction (AVX-512 row path): the `2 * count` vectors at
/// src (count a power of two) -> `count` vectors right after them, vector i = [adjacent lanes of
/// src[2i] added | those of src[2i + 1]]; then the same on those, down to one vector (the last
/// written: vector 4 * count - 2 from src). Out of line, and a loop, on purpose: when LLVM sees
/// several levels at once it rebuilds them lane by lane (about 80 shuffles and inserts per
/// four sums, the cost that kept T = 16 at 1.5x); one level alone is two vpermi2ps and an add.
@inline(never)
private func pairSums(_ src: UnsafeMutablePointer<Float>, count: Int) {
    var src = src, count = count
    while count > 0 {
        let dst = src + 32 * count
        for i in 0..<count {
            let v0 = UnsafeRawPointer(src + 32 * i).load(as: SIMD16<Float>.self)
            let v1 = UnsafeRawPointer(src + 32 * i + 16).load(as: SIMD16<Float>.self)
            let s = SIMD16(lowHalf: v0.evenHalf, highHalf: v1.evenHalf) + SIMD16(lowHalf: v0.oddHalf, highHalf: v1.oddHalf)
            UnsafeMutableRawPointer(dst + 16 * i).storeBytes(of: s, as: SIMD16<Float>.self)
        }
        src = dst; count >>= 1
    }
}

/// Prefetches `bytes` from `p` on, a cache line at a time: the rows of W a few rows ahead of
/// the ones being computed (W streams from memory once per pass; the hardware prefetchers stop
/// at 4 KiB pages). Measured on SmolLM2 (Q4_1, AVX-512, 2 threads, alone): T = 2 5.2-6.6 ->
/// 4.3-5.7 ms, T = 16 14.4-16.3 -> 12.6-14.8 ms (docs/performance.md). A prefetch never faults,
/// so rows beyond W's end are harmless.
@inline(__always)
private func prefetchRows(_ p: UnsafeRawPointer, bytes: Int) {
    var o = 0
    while o < bytes { heed_prefetch(p + o); o += 64 }
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
        if m <= quantRowsPathMaxM {
            runRows(m: m, n: n, k: k, a: a, lda: lda, w: w, rowBytes: rowBytes, kind: kind, c: c, ldc: ldc, bias: bias,
                    accumulate: accumulate)
            return
        }
        // Dequantising costs a few operations per weight whatever M is: count it with the flops.
        // Split as GemmDriver does: N first; M (each row chunk dequantises its panels again)
        // only when the panels are too few to go round.
        let work = 2.0 * Double(m) * Double(n) * Double(k) + 8.0 * Double(n) * Double(k)
        GemmDriver.forEachTask(m: m, n: n, work: work) { panels, rows in
            runTask(n: n, k: k, a: a, lda: lda, w: w, rowBytes: rowBytes, kind: kind, c: c, ldc: ldc, bias: bias,
                    accumulate: accumulate, panels: panels, rows: rows)
        }
    }

    /// The row path for small M: rows of W are dequantised along k, four at a time, into a
    /// row-major L1 buffer (no transpose), then each row of A is dotted with the four of them
    /// (AVX-512: A rows four at a time, 16 accumulators, 8 loads per 16 FMAs; then, and on the
    /// 8-lane variants, three at a time: 12 accumulators, 7 loads per 12 FMAs; then 2 or 1).
    /// Parallel over groups of rows of W.
    static func runRows(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                        w: UnsafeRawPointer, rowBytes: Int, kind: QuantKind,
                        c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, accumulate: Bool) {
        let groups = (n + quantRowsGroup - 1) / quantRowsGroup
        let work = 2.0 * Double(m) * Double(n) * Double(k) + 8.0 * Double(n) * Double(k)
        let threads = Parallel.availableThreads
        let tasks = threads > 1 && work >= gemmParallelMinFlops ? min(groups, threads * 4) : 1
        Parallel.forEach(tasks) { t in
            let g0 = t * groups / tasks, g1 = (t + 1) * groups / tasks
            rowsTask(m: m, n: n, k: k, a: a, lda: lda, w: w, rowBytes: rowBytes, kind: kind, c: c, ldc: ldc, bias: bias,
                     accumulate: accumulate, rows: (g0 * quantRowsGroup)..<min(n, g1 * quantRowsGroup))
        }
    }

    private static func rowsTask(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                 w: UnsafeRawPointer, rowBytes: Int, kind: QuantKind,
                                 c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
                                 rows: Range<Int>) {
        if rows.isEmpty { return }
        if m == 1 {
            switch kind {
            case .q8_0: return vectorTask(k: k, x: a, blockSums: nil, w: w, rowBytes: rowBytes, y: c, bias: bias, accumulate: accumulate,
                                          rows: rows, bytesPerBlock: 34, decode: integersQ8_0)
            case .q4_0: return vectorTask(k: k, x: a, blockSums: nil, w: w, rowBytes: rowBytes, y: c, bias: bias, accumulate: accumulate,
                                          rows: rows, bytesPerBlock: 18, decode: integersQ4_0)
            case .q4_1:
                // sum(x) over each block, for the min term m * sum(x) (k / 32 floats, on the stack).
                return withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, k / 32)) { sums in
                    let sx = sums.baseAddress!
                    for b in 0..<(k / 32) {
                        let v = UnsafeRawPointer(a + 32 * b).loadUnaligned(as: SIMD16<Float>.self)
                            + UnsafeRawPointer(a + 32 * b + 16).loadUnaligned(as: SIMD16<Float>.self)
                        let h = v.lowHalf + v.highHalf
                        sx[b] = ((h[0] + h[4]) + (h[2] + h[6])) + ((h[1] + h[5]) + (h[3] + h[7]))
                    }
                    vectorTask(k: k, x: a, blockSums: UnsafePointer(sx), w: w, rowBytes: rowBytes, y: c, bias: bias,
                               accumulate: accumulate, rows: rows, bytesPerBlock: 20, decode: integersQ4_1)
                }
            default: break
            }
        }
        let bs = kind.blockSize, bytesPerBlock = kind.bytesPerBlock
        // k chunks of whole blocks, at most ~2048 elements: four rows of them stay in L1 (32 KiB).
        // (Chunks of 768 and 512 were no faster at T = 16 on 576 x 1536, AVX-512.)
        let kcMax = max(bs, 2048 / bs * bs)
        let buffer = ThreadScratch.floats(quantRowsGroup * kcMax + 15 * 16)
        let reduce = buffer + quantRowsGroup * kcMax
        var j0 = rows.lowerBound
        while j0 < rows.upperBound {
            let nr = min(quantRowsGroup, rows.upperBound - j0)
            var k0 = 0
            while k0 < k {
                let kc = min(kcMax, k - k0)
                let blockOffset = (k0 / bs) * bytesPerBlock
                if k0 == 0 { prefetchRows(w + (j0 + 2 * quantRowsGroup) * rowBytes, bytes: quantRowsGroup * rowBytes) }
                for r in 0..<quantRowsGroup {
                    // Missing rows of the last group repeat the group's first row (results dropped).
                    let src = w + (j0 + (r < nr ? r : 0)) * rowBytes + blockOffset
                    dequantizeBlocks(kind, src, blocks: kc / bs, into: buffer + r * kc)
                }
                let firstChunk = k0 == 0
                @inline(__always) func put(_ t: Int, _ r: Int, _ v: Float) {
                    if r >= nr { return }
                    let p = c + t * ldc + j0 + r
                    if firstChunk {
                        var s = v
                        if let bias { s += bias[j0 + r] }
                        p.pointee = accumulate ? p.pointee + s : s
                    } else {
                        p.pointee += v
                    }
                }
                @inline(__always) func put4(_ t: Int, _ v: SIMD4<Float>) {
                    if nr < 4 { for r in 0..<nr { put(t, r, v[r]) }; return }
                    let p = c + t * ldc + j0
                    var s = v
                    if firstChunk {
                        if let bias { s += UnsafeRawPointer(bias + j0).loadUnaligned(as: SIMD4<Float>.self) }
                        if accumulate { s += UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self) }
                    } else {
                        s += UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
                    }
                    UnsafeMutableRawPointer(p).storeBytes(of: s, as: SIMD4<Float>.self)
                }
                let w0 = UnsafePointer(buffer), w1 = w0 + kc, w2 = w1 + kc, w3 = w2 + kc
                var t = 0
                if VF.scalarCount == 16 {
                    // 4 rows of A x 4 rows of W: 16 accumulators, 8 loads per 16 FMAs. The 16 sums:
                    // one level of adjacent-lane sums in registers (8 vectors into `reduce`), three
                    // more in pairSums (vectors 8..<12, 12..<14, 14), lanes 4r..<4r + 4 of the last
                    // one row t + r of A against the four rows of W.
                    while t + 4 <= m {
                        let x0 = a + t * lda + k0, x1 = x0 + lda, x2 = x1 + lda, x3 = x2 + lda
                        var a00 = VF(), a01 = VF(), a02 = VF(), a03 = VF()
                        var a10 = VF(), a11 = VF(), a12 = VF(), a13 = VF()
                        var a20 = VF(), a21 = VF(), a22 = VF(), a23 = VF()
                        var a30 = VF(), a31 = VF(), a32 = VF(), a33 = VF()
                        var q = 0
                        while q < kc {
                            let v0 = loadV(x0 + q), v1 = loadV(x1 + q), v2 = loadV(x2 + q), v3 = loadV(x3 + q)
                            let b0 = loadV(w0 + q)
                            a00 = a00.addingProduct(v0, b0); a10 = a10.addingProduct(v1, b0)
                            a20 = a20.addingProduct(v2, b0); a30 = a30.addingProduct(v3, b0)
                            let b1 = loadV(w1 + q)
                            a01 = a01.addingProduct(v0, b1); a11 = a11.addingProduct(v1, b1)
                            a21 = a21.addingProduct(v2, b1); a31 = a31.addingProduct(v3, b1)
                            let b2 = loadV(w2 + q)
                            a02 = a02.addingProduct(v0, b2); a12 = a12.addingProduct(v1, b2)
                            a22 = a22.addingProduct(v2, b2); a32 = a32.addingProduct(v3, b2)
                            let b3 = loadV(w3 + q)
                            a03 = a03.addingProduct(v0, b3); a13 = a13.addingProduct(v1, b3)
                            a23 = a23.addingProduct(v2, b3); a33 = a33.addingProduct(v3, b3)
                            q += W
                        }
                        @inline(__always) func st(_ i: Int, _ x: VF, _ y: VF) {
                            let v0 = unsafeBitCast(x, to: SIMD16<Float>.self), v1 = unsafeBitCast(y, to: SIMD16<Float>.self)
                            let s = SIMD16(lowHalf: v0.evenHalf, highHalf: v1.evenHalf) + SIMD16(lowHalf: v0.oddHalf, highHalf: v1.oddHalf)
                            UnsafeMutableRawPointer(reduce + 16 * i).storeBytes(of: s, as: SIMD16<Float>.self)
                        }
                        st(0, a00, a01); st(1, a02, a03); st(2, a10, a11); st(3, a12, a13)
                        st(4, a20, a21); st(5, a22, a23); st(6, a30, a31); st(7, a32, a33)
                        pairSums(reduce, count: 4)
                        for r in 0..<4 { put4(t + r, UnsafeRawPointer(reduce + 14 * 16 + 4 * r).load(as: SIMD4<Float>.self)) }
                        t += 4
                    }
                }
                while t + 3 <= m {
                    // 3 rows of A x 4 rows of W: 12 accumulators, 7 loads per 12 FMAs (FMA-bound).
                    let x0 = a + t * lda + k0, x1 = x0 + lda, x2 = x1 + lda
                    var a00 = VF(), a01 = VF(), a02 = VF(), a03 = VF()
                    var a10 = VF(), a11 = VF(), a12 = VF(), a13 = VF()
                    var a20 = VF(), a21 = VF(), a22 = VF(), a23 = VF()
                    var q = 0
                    while q < kc {
                        let v0 = loadV(x0 + q), v1 = loadV(x1 + q), v2 = loadV(x2 + q)
                        let b0 = loadV(w0 + q)
                        a00 = a00.addingProduct(v0, b0); a10 = a10.addingProduct(v1, b0); a20 = a20.addingProduct(v2, b0)
                        let b1 = loadV(w1 + q)
                        a01 = a01.addingProduct(v0, b1); a11 = a11.addingProduct(v1, b1); a21 = a21.addingProduct(v2, b1)
                        let b2 = loadV(w2 + q)
                        a02 = a02.addingProduct(v0, b2); a12 = a12.addingProduct(v1, b2); a22 = a22.addingProduct(v2, b2)
                        let b3 = loadV(w3 + q)
                        a03 = a03.addingProduct(v0, b3); a13 = a13.addingProduct(v1, b3); a23 = a23.addingProduct(v2, b3)
                        q += W
                    }
                    put4(t, sum4(a00, a01, a02, a03))
                    put4(t + 1, sum4(a10, a11, a12, a13))
                    put4(t + 2, sum4(a20, a21, a22, a23))
                    t += 3
                }
                while t + 2 <= m {
                    let x0 = a + t * lda + k0, x1 = x0 + lda
                    var a00 = VF(), a01 = VF(), a02 = VF(), a03 = VF()
                    var a10 = VF(), a11 = VF(), a12 = VF(), a13 = VF()
                    var q = 0
                    while q < kc {
                        let v0 = loadV(x0 + q), v1 = loadV(x1 + q)
                        let b0 = loadV(w0 + q), b1 = loadV(w1 + q), b2 = loadV(w2 + q), b3 = loadV(w3 + q)
                        a00 = a00.addingProduct(v0, b0); a01 = a01.addingProduct(v0, b1)
                        a02 = a02.addingProduct(v0, b2); a03 = a03.addingProduct(v0, b3)
                        a10 = a10.addingProduct(v1, b0); a11 = a11.addingProduct(v1, b1)
                        a12 = a12.addingProduct(v1, b2); a13 = a13.addingProduct(v1, b3)
                        q += W
                    }
                    put4(t, sum4(a00, a01, a02, a03))
                    put4(t + 1, sum4(a10, a11, a12, a13))
                    t += 2
                }
                if t < m {
                    let x0 = a + t * lda + k0
                    // Two accumulators per row of W: the FMA latency, not the loads, bounds one row of A.
                    var a00 = VF(), a01 = VF(), a02 = VF(), a03 = VF()
                    var b00 = VF(), b01 = VF(), b02 = VF(), b03 = VF()
                    var q = 0
                    while q + 2 * W <= kc {
                        let v0 = loadV(x0 + q), v1 = loadV(x0 + q + W)
                        a00 = a00.addingProduct(v0, loadV(w0 + q)); a01 = a01.addingProduct(v0, loadV(w1 + q))
                        a02 = a02.addingProduct(v0, loadV(w2 + q)); a03 = a03.addingProduct(v0, loadV(w3 + q))
                        b00 = b00.addingProduct(v1, loadV(w0 + q + W)); b01 = b01.addingProduct(v1, loadV(w1 + q + W))
                        b02 = b02.addingProduct(v1, loadV(w2 + q + W)); b03 = b03.addingProduct(v1, loadV(w3 + q + W))
                        q += 2 * W
                    }
                    while q < kc {
                        let v0 = loadV(x0 + q)
                        a00 = a00.addingProduct(v0, loadV(w0 + q)); a01 = a01.addingProduct(v0, loadV(w1 + q))
                        a02 = a02.addingProduct(v0, loadV(w2 + q)); a03 = a03.addingProduct(v0, loadV(w3 + q))
                        q += W
                    }
                    put4(t, sum4(a00 + b00, a01 + b01, a02 + b02, a03 + b03))
                }
                k0 += kc
            }
            j0 += nr
        }
    }

    /// M = 1 with 32-element blocks: each block of W is decoded into registers as d, m and its
    /// integers q (`IntegerBlock`), and y_j = sum over blocks of d (q . x_b) + m sum(x_b), as
    /// ggml's vec_dot_q4_1_q8_1 / vec_dot_q8_0_q8_0 factor the scales out of a block (x stays
    /// f32 here). Against dequantise-then-dot this saves a multiply (and Q4_1's add) per 16
    /// values; the result differs only by float rounding (the scale applied to the block's sum
    /// instead of each product; `blockSums` (k / 32 sums of x) rounded once). `blockSums` nil:
    /// no min term (m = 0). One row of W at a time; y (1, OC) row `rows`.
    @inline(__always)
    private static func vectorTask(k: Int, x: UnsafePointer<Float>, blockSums: UnsafePointer<Float>?, w: UnsafeRawPointer, rowBytes: Int,
                                   y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, accumulate: Bool,
                                   rows: Range<Int>, bytesPerBlock: Int,
                                   decode: (UnsafeRawPointer) -> IntegerBlock) {
        let blocks = k / 32
        @inline(__always) func x16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
            UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        }
        let hasMin = blockSums != nil, sx = blockSums ?? x
        // One row of W at a time (a single sequential stream through memory: four interleaved
        // rows ran 3x slower on the 30 MB vocab projection), two blocks per step.
        for j in rows {
            let row = w + j * rowBytes
            prefetchRows(row + 4 * rowBytes, bytes: rowBytes)
            var a0 = SIMD16<Float>(), b0 = SIMD16<Float>()
            var ma: Float = 0, mb: Float = 0
            var xp = x, off = 0, blk = 0
            while blk + 2 <= blocks {
                let p = decode(row + off), q = decode(row + off + bytesPerBlock)
                let u = (p.q0 * x16(xp)).addingProduct(p.q1, x16(xp + 16))
                let v = (q.q0 * x16(xp + 32)).addingProduct(q.q1, x16(xp + 48))
                a0 = a0.addingProduct(u, SIMD16(repeating: p.d)); b0 = b0.addingProduct(v, SIMD16(repeating: q.d))
                if hasMin { ma = ma.addingProduct(p.m, sx[blk]); mb = mb.addingProduct(q.m, sx[blk + 1]) }
                xp += 64; off += 2 * bytesPerBlock; blk += 2
            }
            if blk < blocks {
                let p = decode(row + off)
                let u = (p.q0 * x16(xp)).addingProduct(p.q1, x16(xp + 16))
                a0 = a0.addingProduct(u, SIMD16(repeating: p.d))
                if hasMin { ma = ma.addingProduct(p.m, sx[blk]) }
            }
            let t = a0 + b0
            let h = t.lowHalf + t.highHalf
            var v = ((h[0] + h[4]) + (h[2] + h[6])) + ((h[1] + h[5]) + (h[3] + h[7]))
            if hasMin { v += ma + mb }
            if let bias { v += bias[j] }
            y[j] = accumulate ? y[j] + v : v
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
                GemmDriver.sweepKBlock(rows: rows, panels: p0..<p1, panel: { UnsafePointer(panelBuffer + ($0 - p0) * kc * gemmNR) },
                                       k0: k0, kc: kc, n: n, a: a, lda: lda, c: c, ldc: ldc, bias: bias, accumulate: accumulate,
                                       spill: spill)
                p0 = p1
            }
            k0 += kc
        }
    }
}

