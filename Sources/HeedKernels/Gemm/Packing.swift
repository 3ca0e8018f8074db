// Packing B into the micro-kernel's panel layout.
//
// Panel p holds columns j0 = 16p ..< 16p + 16 of the logical (K x N) operand as K rows of 16
// contiguous floats: panel[q * 16 + jj] = B(q, j0 + jj), zero for j0 + jj >= N. Panels follow
// each other: panel p starts at p * K * 16. Both GEMM forms share this layout and the
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
                for half in 0..<2 {
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
            for q in 0..<k {
                let row = out + q * gemmNR
                for jj in 0..<nr { row[jj] = b[(j0 + jj) * ldb + q] }
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
                store8(load8(src), row)
                store8(load8(src + 8), row + 8)
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

/// dst (8 x 8, row stride ldd) = src^T (8 x 8, row stride lds), through registers.
@inline(__always)
private func transpose8x8(_ src: UnsafePointer<Float>, _ lds: Int, _ dst: UnsafeMutablePointer<Float>, _ ldd: Int) {
    let r0 = load8(src), r1 = load8(src + lds), r2 = load8(src + 2 * lds), r3 = load8(src + 3 * lds)
    let r4 = load8(src + 4 * lds), r5 = load8(src + 5 * lds), r6 = load8(src + 6 * lds), r7 = load8(src + 7 * lds)
    for i in 0..<8 {
        store8(SIMD8(r0[i], r1[i], r2[i], r3[i], r4[i], r5[i], r6[i], r7[i]), dst + i * ldd)
    }
}
