import CHeedPrefetch
// The GEMM micro-kernel: an (MR x 2W) tile of C held in 2*MR vector registers, W = lanes of
// VF (8: ymm or NEON pairs; 16: zmm). MR is the variant's gemmMR (Width.swift): 6 with 16
// registers (12 accumulators + 2 B vectors + 1 broadcast = 15), 12 with AVX-512's 32 (27).
// The tile code below handles up to 12 rows; rows beyond `mr` fold away at each literal call site.
//
//   per k step:  b0, b1 = B panel row (2W floats, packed contiguously)
//                for r in 0..<MR: x = broadcast(A[r, k]); c[r,0] += x*b0; c[r,1] += x*b1
//
// A is read in place (row r at a + r*lda, contiguous along k); B comes packed as a
// (K x 2W) panel (see Packing.swift), zero-padded beyond N, so the loop never branches on N.
// The epilogue adds the bias and/or the old C and stores; a tile cut by N goes through `spill`.

/// Lanes of VF.
let W = VF.scalarCount
/// The columns of a packed B panel: the register tile is MR x `gemmNR` (two vectors).
let gemmNR = 2 * VF.scalarCount

@inline(__always)
func loadV(_ p: UnsafePointer<Float>) -> VF {
    UnsafeRawPointer(p).loadUnaligned(as: VF.self)
}

@inline(__always)
func loadV(_ p: UnsafeMutablePointer<Float>) -> VF {
    UnsafeRawPointer(p).loadUnaligned(as: VF.self)
}

@inline(__always)
func storeV(_ v: VF, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: VF.self)
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Arguments of one tile call that do not change along k.
struct TileEpilogue {
    /// Bias for the tile's gemmNR columns (read only for the `nr` valid ones), or nil.
    var bias: UnsafePointer<Float>?
    /// Add the result to C instead of overwriting it.
    var accumulate: Bool
    /// Valid columns of the tile (1...gemmNR); a narrower tile is stored through `spill`.
    var nr: Int
    /// gemmMR x gemmNR floats of per-thread scratch for tiles cut by N.
    var spill: UnsafeMutablePointer<Float>
    /// 0, or how many floats ahead of the B panel this tile prefetches as it streams it
    /// (`gemmPrefetchFloats`: the first tile over a panel of packed weights, which brings the
    /// panel from memory).
    var prefetch: Int = 0
}

/// How far ahead of a packed weight panel its first tile prefetches, in floats (4 KiB: the
/// hardware prefetchers stop at 4 KiB page boundaries, and a T = 16 pass streams 42 MB of
/// MiniLM weights from DRAM; measured on AVX-512, 1 thread: T = 16 forward 3.5 -> 2.4 ms, with
/// 2 KiB 2.7 ms, 8 KiB 2.4 ms; docs/performance.md).
let gemmPrefetchFloats = 1024

@inline(__always)
private func storeRow(_ v0: VF, _ v1: VF, _ dst: UnsafeMutablePointer<Float>, _ e: TileEpilogue) {
    var v0 = v0, v1 = v1
    if let bias = e.bias { v0 += loadV(bias); v1 += loadV(bias + W) }
    if e.accumulate { v0 += loadV(dst); v1 += loadV(dst + W) }
    storeV(v0, dst)
    storeV(v1, dst + W)
}

/// A tile whose valid columns are exactly the first vector (N = 16 in a 32-wide AVX-512
/// panel: attention scores at T = 16, say): the first vector is stored, the second dropped.
@inline(__always)
private func storeHalfRow(_ v0: VF, _ dst: UnsafeMutablePointer<Float>, _ e: TileEpilogue) {
    var v0 = v0
    if let bias = e.bias { v0 += loadV(bias) }
    if e.accumulate { v0 += loadV(dst) }
    storeV(v0, dst)
}

/// Copies the valid `rows x e.nr` corner of the spilled tile into C.
@inline(never)
private func storeNarrow(rows: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) {
    for r in 0..<rows {
        let src = e.spill + r * gemmNR, dst = c + r * ldc
        for j in 0..<e.nr {
            var s = src[j]
            if let bias = e.bias { s += bias[j] }
            if e.accumulate { s += dst[j] }
            dst[j] = s
        }
    }
}

/// C (mr x 2W) (+)= A (mr x kc, row stride lda) * Bpanel (kc x 2W). `mr` must be a literal
/// at each call site so the unused rows fold away.
@inline(__always)
private func tile(_ mr: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) {
    var c00 = VF(), c01 = VF()
    var c10 = VF(), c11 = VF()
    var c20 = VF(), c21 = VF()
    var c30 = VF(), c31 = VF()
    var c40 = VF(), c41 = VF()
    var c50 = VF(), c51 = VF()
    var c60 = VF(), c61 = VF()
    var c70 = VF(), c71 = VF()
    var c80 = VF(), c81 = VF()
    var c90 = VF(), c91 = VF()
    var c100 = VF(), c101 = VF()
    var c110 = VF(), c111 = VF()
    let a0 = a
    let a1 = a + (mr > 1 ? 1 * lda : 0)
    let a2 = a + (mr > 2 ? 2 * lda : 0)
    let a3 = a + (mr > 3 ? 3 * lda : 0)
    let a4 = a + (mr > 4 ? 4 * lda : 0)
    let a5 = a + (mr > 5 ? 5 * lda : 0)
    let a6 = a + (mr > 6 ? 6 * lda : 0)
    let a7 = a + (mr > 7 ? 7 * lda : 0)
    let a8 = a + (mr > 8 ? 8 * lda : 0)
    let a9 = a + (mr > 9 ? 9 * lda : 0)
    let a10 = a + (mr > 10 ? 10 * lda : 0)
    let a11 = a + (mr > 11 ? 11 * lda : 0)
    var bp = b
    var p = 0
    while p < kc {
        if e.prefetch > 0 {
            heed_prefetch(bp + e.prefetch)
            if gemmNR > 16 { heed_prefetch(bp + e.prefetch + 16) }
        }
        let b0 = loadV(bp), b1 = loadV(bp + W)
        var x = VF(repeating: a0[p])
        c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
        if mr > 1 { x = VF(repeating: a1[p]); c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1) }
        if mr > 2 { x = VF(repeating: a2[p]); c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1) }
        if mr > 3 { x = VF(repeating: a3[p]); c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1) }
        if mr > 4 { x = VF(repeating: a4[p]); c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1) }
        if mr > 5 { x = VF(repeating: a5[p]); c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1) }
        if mr > 6 { x = VF(repeating: a6[p]); c60 = c60.addingProduct(x, b0); c61 = c61.addingProduct(x, b1) }
        if mr > 7 { x = VF(repeating: a7[p]); c70 = c70.addingProduct(x, b0); c71 = c71.addingProduct(x, b1) }
        if mr > 8 { x = VF(repeating: a8[p]); c80 = c80.addingProduct(x, b0); c81 = c81.addingProduct(x, b1) }
        if mr > 9 { x = VF(repeating: a9[p]); c90 = c90.addingProduct(x, b0); c91 = c91.addingProduct(x, b1) }
        if mr > 10 { x = VF(repeating: a10[p]); c100 = c100.addingProduct(x, b0); c101 = c101.addingProduct(x, b1) }
        if mr > 11 { x = VF(repeating: a11[p]); c110 = c110.addingProduct(x, b0); c111 = c111.addingProduct(x, b1) }
        bp += gemmNR
        p += 1
    }
    if e.nr == gemmNR {
        storeRow(c00, c01, c, e)
        if mr > 1 { storeRow(c10, c11, c + 1 * ldc, e) }
        if mr > 2 { storeRow(c20, c21, c + 2 * ldc, e) }
        if mr > 3 { storeRow(c30, c31, c + 3 * ldc, e) }
        if mr > 4 { storeRow(c40, c41, c + 4 * ldc, e) }
        if mr > 5 { storeRow(c50, c51, c + 5 * ldc, e) }
        if mr > 6 { storeRow(c60, c61, c + 6 * ldc, e) }
        if mr > 7 { storeRow(c70, c71, c + 7 * ldc, e) }
        if mr > 8 { storeRow(c80, c81, c + 8 * ldc, e) }
        if mr > 9 { storeRow(c90, c91, c + 9 * ldc, e) }
        if mr > 10 { storeRow(c100, c101, c + 10 * ldc, e) }
        if mr > 11 { storeRow(c110, c111, c + 11 * ldc, e) }
    } else if gemmNR > 16 && e.nr == W {
        storeHalfRow(c00, c, e)
        if mr > 1 { storeHalfRow(c10, c + 1 * ldc, e) }
        if mr > 2 { storeHalfRow(c20, c + 2 * ldc, e) }
        if mr > 3 { storeHalfRow(c30, c + 3 * ldc, e) }
        if mr > 4 { storeHalfRow(c40, c + 4 * ldc, e) }
        if mr > 5 { storeHalfRow(c50, c + 5 * ldc, e) }
        if mr > 6 { storeHalfRow(c60, c + 6 * ldc, e) }
        if mr > 7 { storeHalfRow(c70, c + 7 * ldc, e) }
        if mr > 8 { storeHalfRow(c80, c + 8 * ldc, e) }
        if mr > 9 { storeHalfRow(c90, c + 9 * ldc, e) }
        if mr > 10 { storeHalfRow(c100, c + 10 * ldc, e) }
        if mr > 11 { storeHalfRow(c110, c + 11 * ldc, e) }
    } else {
        let s = e.spill
        storeV(c00, s); storeV(c01, s + W)
        if mr > 1 { storeV(c10, s + 2 * W); storeV(c11, s + 3 * W) }
        if mr > 2 { storeV(c20, s + 4 * W); storeV(c21, s + 5 * W) }
        if mr > 3 { storeV(c30, s + 6 * W); storeV(c31, s + 7 * W) }
        if mr > 4 { storeV(c40, s + 8 * W); storeV(c41, s + 9 * W) }
        if mr > 5 { storeV(c50, s + 10 * W); storeV(c51, s + 11 * W) }
        if mr > 6 { storeV(c60, s + 12 * W); storeV(c61, s + 13 * W) }
        if mr > 7 { storeV(c70, s + 14 * W); storeV(c71, s + 15 * W) }
        if mr > 8 { storeV(c80, s + 16 * W); storeV(c81, s + 17 * W) }
        if mr > 9 { storeV(c90, s + 18 * W); storeV(c91, s + 19 * W) }
        if mr > 10 { storeV(c100, s + 20 * W); storeV(c101, s + 21 * W) }
        if mr > 11 { storeV(c110, s + 22 * W); storeV(c111, s + 23 * W) }
        storeNarrow(rows: mr, c, ldc, e)
    }
}

@inline(never) func gemmTile12(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(12, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile11(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(11, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile10(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(10, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile9(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(9, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile8(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(8, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile7(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(7, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile6(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(6, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile5(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(5, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile4(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(4, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile3(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(3, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile2(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(2, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile1(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(1, kc, a, lda, b, c, ldc, e) }

/// One register tile of `mr` (1...gemmMR) rows.
@inline(__always)
func gemmTile(mr: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
              _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) {
    switch mr {
    case 12: gemmTile12(kc, a, lda, b, c, ldc, e)
    case 11: gemmTile11(kc, a, lda, b, c, ldc, e)
    case 10: gemmTile10(kc, a, lda, b, c, ldc, e)
    case 9: gemmTile9(kc, a, lda, b, c, ldc, e)
    case 8: gemmTile8(kc, a, lda, b, c, ldc, e)
    case 7: gemmTile7(kc, a, lda, b, c, ldc, e)
    case 6: gemmTile6(kc, a, lda, b, c, ldc, e)
    case 5: gemmTile5(kc, a, lda, b, c, ldc, e)
    case 4: gemmTile4(kc, a, lda, b, c, ldc, e)
    case 3: gemmTile3(kc, a, lda, b, c, ldc, e)
    case 2: gemmTile2(kc, a, lda, b, c, ldc, e)
    default: gemmTile1(kc, a, lda, b, c, ldc, e)
    }
}
