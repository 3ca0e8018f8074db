// Packing B into the micro-kernel's panel layout.
//
// Panel p holds columns j0 = NR p ..< NR p + NR of the logical (K x N) operand as K rows of NR
// contiguous floats (NR = gemmNR: 16, or 32 for AVX-512): panel[q * NR + jj] = B(q, j0 + jj),
// zero for j0 + jj >= N. Panels follow each other: panel p starts at p * K * NR. Both GEMM forms share this layout and the
// micro-kernel; they differ only in where B(q, j) is read from:
//   gemmABt: b is (N, K) row-major, B(q, j) = b[j * ldb + q]   (a transpose while packing)
//   gemmAB:  b is (K, N) row-major, B(q, j) = b[q * ldb + j]   (a copy of 16-float rows)

/// Floats needed for `panels` packed panels of depth `k`.
@inline(__always)
func packedPanelFloats(panels: Int, k: Int) -> Int { panels * k * gemmNR }

/// Packs panels [p0, p1) of B = b^T, b (N, K) row-major, into dst (panel p0 at dst).
func packPanelsTransposed(b: UnsafePointer<Float>, ldb: Int, n: Int, k: Int, panels: Range<Int>,
                          into dst: UnsafeMutablePointer<Float>) {
    var out = dst
    for p in panels {
        let j0 = p * gemmNR
        let nr = min(gemmNR, n - j0)
        if nr == gemmNR {
            // 8 x 8 blocks: read 8 rows of b along k, write 8 panel rows of 8 columns.
            var q = 0
            while q + 8 <= k {
                for half in 0..<(gemmNR / 8) {
                    let src = b + (j0 + 8 * half) * ldb + q
                    transpose8x8(src, ldb, out + q * gemmNR + 8 * half, gemmNR)
                }
                q += 8
            }
            while q < k {
                for jj in 0..<gemmNR { out[q * gemmNR + jj] = b[(j0 + jj) * ldb + q] }
                q += 1
            }
        } else {
            // A last, partial panel: whole groups of 8 columns through the 8 x 8 transpose,
            // the remaining columns one by one, zeros beyond N.
            let groups = nr / 8
            var q = 0
            while q + 8 <= k {
                for g in 0..<groups { transpose8x8(b + (j0 + 8 * g) * ldb + q, ldb, out + q * gemmNR + 8 * g, gemmNR) }
                q += 8
            }
            while q < k {
                for jj in 0..<(8 * groups) { out[q * gemmNR + jj] = b[(j0 + jj) * ldb + q] }
                q += 1
            }
            for q in 0..<k {
                let row = out + q * gemmNR
                for jj in (8 * groups)..<nr { row[jj] = b[(j0 + jj) * ldb + q] }
                for jj in nr..<gemmNR { row[jj] = 0 }
            }
        }
        out += k * gemmNR
    }
}

/// Packs panels [p0, p1) of B = b, b (K, N) row-major, into dst (panel p0 at dst).
func packPanels(b: UnsafePointer<Float>, ldb: Int, n: Int, k: Int, panels: Range<Int>,
                into dst: UnsafeMutablePointer<Float>) {
    var out = dst
    for p in panels {
        let j0 = p * gemmNR
        let nr = min(gemmNR, n - j0)
        if nr == gemmNR {
            for q in 0..<k {
                let src = b + q * ldb + j0, row = out + q * gemmNR
                storeV(loadV(src), row)
                storeV(loadV(src + W), row + W)
            }
        } else {
            for q in 0..<k {
                let src = b + q * ldb + j0, row = out + q * gemmNR
                for jj in 0..<nr { row[jj] = src[jj] }
                for jj in nr..<gemmNR { row[jj] = 0 }
            }
        }
        out += k * gemmNR
    }
}

/// dst (8 x 8, row stride ldd) = src^T (8 x 8, row stride lds), through registers: the
/// classic unpack / shuffle / 128-bit permute network. Each step is written as a two-source
/// lane selection, which LLVM turns into one vunpck*ps / vshufps / vperm2f128.
@inline(__always)
private func transpose8x8(_ src: UnsafePointer<Float>, _ lds: Int, _ dst: UnsafeMutablePointer<Float>, _ ldd: Int) {
    typealias V = SIMD8<Float>   // 8 x 8 blocks in every variant (ymm, xmm pairs or NEON pairs)
    @inline(__always) func unpackLo(_ a: V, _ b: V) -> V { V(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5]) }
    @inline(__always) func unpackHi(_ a: V, _ b: V) -> V { V(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7]) }
    @inline(__always) func pairsLo(_ a: V, _ b: V) -> V { V(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5]) }
    @inline(__always) func pairsHi(_ a: V, _ b: V) -> V { V(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7]) }
    @inline(__always) func halvesLo(_ a: V, _ b: V) -> V { V(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]) }
    @inline(__always) func halvesHi(_ a: V, _ b: V) -> V { V(a[4], a[5], a[6], a[7], b[4], b[5], b[6], b[7]) }
    let r0 = load8(src), r1 = load8(src + lds), r2 = load8(src + 2 * lds), r3 = load8(src + 3 * lds)
    let r4 = load8(src + 4 * lds), r5 = load8(src + 5 * lds), r6 = load8(src + 6 * lds), r7 = load8(src + 7 * lds)
    let t0 = unpackLo(r0, r1), t1 = unpackHi(r0, r1), t2 = unpackLo(r2, r3), t3 = unpackHi(r2, r3)
    let t4 = unpackLo(r4, r5), t5 = unpackHi(r4, r5), t6 = unpackLo(r6, r7), t7 = unpackHi(r6, r7)
    let u0 = pairsLo(t0, t2), u1 = pairsHi(t0, t2), u2 = pairsLo(t1, t3), u3 = pairsHi(t1, t3)
    let u4 = pairsLo(t4, t6), u5 = pairsHi(t4, t6), u6 = pairsLo(t5, t7), u7 = pairsHi(t5, t7)
    store8(halvesLo(u0, u4), dst)
    store8(halvesLo(u1, u5), dst + ldd)
    store8(halvesLo(u2, u6), dst + 2 * ldd)
    store8(halvesLo(u3, u7), dst + 3 * ldd)
    store8(halvesHi(u0, u4), dst + 4 * ldd)
    store8(halvesHi(u1, u5), dst + 5 * ldd)
    store8(halvesHi(u2, u6), dst + 6 * ldd)
    store8(halvesHi(u3, u7), dst + 7 * ldd)
}
