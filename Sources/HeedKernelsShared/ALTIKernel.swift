import HeedKernelsBase

// The L1 kernel of ALTI (HeedAnalysis/ALTI.swift has the method and its conventions):
//   out[i, j] = max(0, ||y_i||_1 - ||y_i - sum_h alpha[h,i,j] f[j,h] - [i==j] x_i||_1)
// for every row i and every key j it computes (j <= i when `causal`; rows of a causal model
// leave j > i untouched). Rows go in blocks of `rowsPerBlock` so that token j's NH x C vectors
// are read from L1 by every row of the block; the vector sum over heads and the L1 distance are
// fused, one W-wide chunk of C at a time, so no T x T x C (or even C) buffer is written.
// ||y_i||_1 is computed by the same loop with every coefficient 0, so a key whose coefficients
// are all 0 (masked) gives exactly 0.

enum ALTIKernel {
    static let rowsPerBlock = 8

    /// f (T, NH, C), alpha (NH, T, T), x (T, C), y (T, C) -> out (T, T).
    static func contributions(f F: UnsafePointer<Float>, alpha A: UnsafePointer<Float>, x X: UnsafePointer<Float>,
                              y Y: UnsafePointer<Float>, T: Int, NH: Int, C: Int, causal: Bool, into O: UnsafeMutablePointer<Float>) {
        let B = rowsPerBlock
        let blocks = (T + B - 1) / B
        Parallel.forEach(blocks) { b in
            let lo = b * B, hi = Swift.min(T, lo + B)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: NH * B + B) { scratch in
                let coefficients = scratch.baseAddress!, y1 = coefficients + NH * B
                for i in lo..<hi {
                    for h in 0..<NH { coefficients[h] = 0 }
                    y1[i - lo] = distance(F, coefficients, nil, Y + i * C, NH: NH, C: C)
                }
                let keys = causal ? hi : T
                for j in 0..<keys {
                    let Fj = F + j * NH * C
                    for i in lo..<hi {
                        let a = coefficients + (i - lo) * NH
                        for h in 0..<NH { a[h] = A[(h * T + i) * T + j] }
                    }
                    // Groups of 4 rows (4 independent chains over the heads, each f chunk loaded
                    // once for the 4); the rest, and rows that must skip j, one at a time.
                    var i = lo
                    while i + 4 <= hi && (!causal || j <= i) {
                        let r = i - lo
                        let d = distance4(Fj, coefficients + r * NH, NH: NH, C: C, Y + i * C,
                                          x: (j >= i && j < i + 4) ? (j - i, X + j * C) : nil)
                        for k in 0..<4 { O[(i + k) * T + j] = Swift.max(0, y1[r + k] - d[k]) }
                        i += 4
                    }
                    while i < hi {
                        if !causal || j <= i {
                            let d = distance(Fj, coefficients + (i - lo) * NH, i == j ? X + i * C : nil, Y + i * C, NH: NH, C: C)
                            O[i * T + j] = Swift.max(0, y1[i - lo] - d)
                        }
                        i += 1
                    }
                }
            }
        }
    }

    /// `distance` for 4 consecutive rows: a (4, NH) coefficients, y (4, C) rows, the residual
    /// x added to row `x.row` (0..<4) only. Two chunks of C per step: 8 independent chains over
    /// the heads, each f chunk loaded once for the 4 rows. Each row's result is bit-identical to
    /// `distance`'s (the same operations in the same order).
    @inline(__always)
    static func distance4(_ f: UnsafePointer<Float>, _ a: UnsafePointer<Float>, NH: Int, C: Int,
                          _ y: UnsafePointer<Float>, x: (row: Int, values: UnsafePointer<Float>)?) -> SIMD4<Float> {
        var e0 = VF(), e1 = VF(), e2 = VF(), e3 = VF()   // even chunks
        var o0 = VF(), o1 = VF(), o2 = VF(), o3 = VF()   // odd chunks
        var c = 0
        while c + 2 * W <= C {
            var v0 = VF(), v1 = VF(), v2 = VF(), v3 = VF(), w0 = VF(), w1 = VF(), w2 = VF(), w3 = VF()
            for h in 0..<NH {
                let fh = loadV(f + h * C + c), gh = loadV(f + h * C + c + W)
                let a0 = VF(repeating: a[h]), a1 = VF(repeating: a[NH + h]), a2 = VF(repeating: a[2 * NH + h]), a3 = VF(repeating: a[3 * NH + h])
                v0.addProduct(a0, fh); w0.addProduct(a0, gh)
                v1.addProduct(a1, fh); w1.addProduct(a1, gh)
                v2.addProduct(a2, fh); w2.addProduct(a2, gh)
                v3.addProduct(a3, fh); w3.addProduct(a3, gh)
            }
            if let x {
                let xv = loadV(x.values + c), xw = loadV(x.values + c + W)
                switch x.row {
                case 0: v0 += xv; w0 += xw
                case 1: v1 += xv; w1 += xw
                case 2: v2 += xv; w2 += xw
                default: v3 += xv; w3 += xw
                }
            }
            e0 += VectorMath.absolute(loadV(y + c) - v0); o0 += VectorMath.absolute(loadV(y + c + W) - w0)
            e1 += VectorMath.absolute(loadV(y + C + c) - v1); o1 += VectorMath.absolute(loadV(y + C + c + W) - w1)
            e2 += VectorMath.absolute(loadV(y + 2 * C + c) - v2); o2 += VectorMath.absolute(loadV(y + 2 * C + c + W) - w2)
            e3 += VectorMath.absolute(loadV(y + 3 * C + c) - v3); o3 += VectorMath.absolute(loadV(y + 3 * C + c + W) - w3)
            c += 2 * W
        }
        if c + W <= C {
            var v0 = VF(), v1 = VF(), v2 = VF(), v3 = VF()
            for h in 0..<NH {
                let fh = loadV(f + h * C + c)
                v0.addProduct(VF(repeating: a[h]), fh)
                v1.addProduct(VF(repeating: a[NH + h]), fh)
                v2.addProduct(VF(repeating: a[2 * NH + h]), fh)
                v3.addProduct(VF(repeating: a[3 * NH + h]), fh)
            }
            if let x {
                let xv = loadV(x.values + c)
                switch x.row {
                case 0: v0 += xv
                case 1: v1 += xv
                case 2: v2 += xv
                default: v3 += xv
                }
            }
            e0 += VectorMath.absolute(loadV(y + c) - v0)
            e1 += VectorMath.absolute(loadV(y + C + c) - v1)
            e2 += VectorMath.absolute(loadV(y + 2 * C + c) - v2)
            e3 += VectorMath.absolute(loadV(y + 3 * C + c) - v3)
            c += W
        }
        var s = SIMD4<Float>(VectorMath.sum(e0 + o0), VectorMath.sum(e1 + o1), VectorMath.sum(e2 + o2), VectorMath.sum(e3 + o3))
        while c < C {
            for k in 0..<4 {
                var v: Float = 0
                for h in 0..<NH { v += a[k * NH + h] * f[h * C + c] }
                if let x, x.row == k { v += x.values[c] }
                s[k] += Swift.abs(y[k * C + c] - v)
            }
            c += 1
        }
        return s
    }

    /// ||y - sum_h a[h] f[h] - x||_1 (x optional), f (NH, C); chunks as `distance4`.
    @inline(__always)
    static func distance(_ f: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>?,
                         _ y: UnsafePointer<Float>, NH: Int, C: Int) -> Float {
        var e = VF(), o = VF()
        var c = 0
        while c + 2 * W <= C {
            var v = VF(), w = VF()
            for h in 0..<NH {
                let ah = VF(repeating: a[h])
                v.addProduct(ah, loadV(f + h * C + c)); w.addProduct(ah, loadV(f + h * C + c + W))
            }
            if let x { v += loadV(x + c); w += loadV(x + c + W) }
            e += VectorMath.absolute(loadV(y + c) - v); o += VectorMath.absolute(loadV(y + c + W) - w)
            c += 2 * W
        }
        if c + W <= C {
            var v = VF()
            for h in 0..<NH { v.addProduct(VF(repeating: a[h]), loadV(f + h * C + c)) }
            if let x { v += loadV(x + c) }
            e += VectorMath.absolute(loadV(y + c) - v)
            c += W
        }
        var s = VectorMath.sum(e + o)
        while c < C {
            var v: Float = 0
            for h in 0..<NH { v += a[h] * f[h * C + c] }
            if let x { v += x[c] }
            s += Swift.abs(y[c] - v)
            c += 1
        }
        return s
    }
}
