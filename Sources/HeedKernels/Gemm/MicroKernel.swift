// The GEMM micro-kernel: a (MR x 16) tile of C held in 2*MR ymm registers (MR <= 6, so at
// most 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 ymm registers).
//
//   per k step:  b0, b1 = B panel row (16 floats, packed contiguously)
//                for r in 0..<MR: x = broadcast(A[r, k]); c[r,0] += x*b0; c[r,1] += x*b1
//
// A is read in place (row r at a + r*lda, contiguous along k); B comes packed as a
// (K x 16) panel (see Packing.swift), zero-padded beyond N, so the loop never branches on N.
// The epilogue adds the bias and/or the old C and stores; a tile cut by N goes through `spill`.

/// The 16 columns of a packed B panel: the register tile is MR x `gemmNR`.
let gemmNR = 16
/// Rows of the full register tile.
let gemmMR = 6

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Arguments of one tile call that do not change along k.
struct TileEpilogue {
    /// Bias for the tile's 16 columns (read only for the `nr` valid ones), or nil.
    var bias: UnsafePointer<Float>?
    /// Add the result to C instead of overwriting it.
    var accumulate: Bool
    /// Valid columns of the tile (1...16); a narrower tile is stored through `spill`.
    var nr: Int
    /// 6 x 16 floats of per-thread scratch for tiles cut by N.
    var spill: UnsafeMutablePointer<Float>
}

@inline(__always)
private func storeRow(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ dst: UnsafeMutablePointer<Float>,
                      _ e: TileEpilogue) {
    var v0 = v0, v1 = v1
    if let bias = e.bias { v0 += load8(bias); v1 += load8(bias + 8) }
    if e.accumulate { v0 += load8(dst); v1 += load8(dst + 8) }
    store8(v0, dst)
    store8(v1, dst + 8)
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

/// C (mr x 16) (+)= A (mr x kc, row stride lda) * Bpanel (kc x 16). `mr` must be a literal
/// at each call site so the unused rows fold away.
@inline(__always)
private func tile(_ mr: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
    var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
    var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
    var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
    let a0 = a
    let a1 = a + (mr > 1 ? lda : 0)
    let a2 = a + (mr > 2 ? 2 * lda : 0)
    let a3 = a + (mr > 3 ? 3 * lda : 0)
    let a4 = a + (mr > 4 ? 4 * lda : 0)
    let a5 = a + (mr > 5 ? 5 * lda : 0)
    var bp = b
    var p = 0
    while p < kc {
        let b0 = load8(bp), b1 = load8(bp + 8)
        var x = SIMD8<Float>(repeating: a0[p])
        c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
        if mr > 1 { x = SIMD8(repeating: a1[p]); c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1) }
        if mr > 2 { x = SIMD8(repeating: a2[p]); c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1) }
        if mr > 3 { x = SIMD8(repeating: a3[p]); c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1) }
        if mr > 4 { x = SIMD8(repeating: a4[p]); c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1) }
        if mr > 5 { x = SIMD8(repeating: a5[p]); c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1) }
        bp += gemmNR
        p += 1
    }
    if e.nr == gemmNR {
        storeRow(c00, c01, c, e)
        if mr > 1 { storeRow(c10, c11, c + ldc, e) }
        if mr > 2 { storeRow(c20, c21, c + 2 * ldc, e) }
        if mr > 3 { storeRow(c30, c31, c + 3 * ldc, e) }
        if mr > 4 { storeRow(c40, c41, c + 4 * ldc, e) }
        if mr > 5 { storeRow(c50, c51, c + 5 * ldc, e) }
    } else {
        let s = e.spill
        store8(c00, s); store8(c01, s + 8)
        if mr > 1 { store8(c10, s + 16); store8(c11, s + 24) }
        if mr > 2 { store8(c20, s + 32); store8(c21, s + 40) }
        if mr > 3 { store8(c30, s + 48); store8(c31, s + 56) }
        if mr > 4 { store8(c40, s + 64); store8(c41, s + 72) }
        if mr > 5 { store8(c50, s + 80); store8(c51, s + 88) }
        storeNarrow(rows: mr, c, ldc, e)
    }
}

@inline(never) func gemmTile6(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(6, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile5(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(5, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile4(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(4, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile3(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(3, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile2(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(2, kc, a, lda, b, c, ldc, e) }
@inline(never) func gemmTile1(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) { tile(1, kc, a, lda, b, c, ldc, e) }

/// One register tile of `mr` (1...6) rows.
@inline(__always)
func gemmTile(mr: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
              _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ e: TileEpilogue) {
    switch mr {
    case 6: gemmTile6(kc, a, lda, b, c, ldc, e)
    case 5: gemmTile5(kc, a, lda, b, c, ldc, e)
    case 4: gemmTile4(kc, a, lda, b, c, ldc, e)
    case 3: gemmTile3(kc, a, lda, b, c, ldc, e)
    case 2: gemmTile2(kc, a, lda, b, c, ldc, e)
    default: gemmTile1(kc, a, lda, b, c, ldc, e)
    }
}
