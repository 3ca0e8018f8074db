import HeedKernelsBase

// The two kernels of the Gram identity of the norm-based analysis (HeedAnalysis'
// GramQuadraticForm has the array interface and the plain references the tests compare with):
//   gram:     G[p][j] = <u_h[j], u_h'[j]> for head pairs p = (h <= h'), doubled off the diagonal
//   evaluate: out[i, j] = sqrt(max(0, sum_p G[p][j] alpha[h,i,j] alpha[h',i,j])) * rowScale[i]
// Columns j go in blocks of 16 (one or two vectors) so a block's Gram entries (pairs x 16
// floats) stay in L1 while every row i streams past; a last partial block is scalar.

enum Gram {
    /// Vectors per 16-column block.
    static let vpb = 16 / W

    /// u (NH, T, C) -> g (pairs, T), pairs = NH (NH + 1) / 2.
    static func gram(_ U: UnsafePointer<Float>, T: Int, C: Int, NH: Int, into G: UnsafeMutablePointer<Float>) {
        let chunks = min(T, Parallel.threadCount * 4)
        Parallel.forEach(chunks) { chunk in
            let lo = chunk * T / chunks, hi = (chunk + 1) * T / chunks
            for j in lo..<hi {
                var p = 0
                for h in 0..<NH {
                    let a = U + (h * T + j) * C
                    for h2 in h..<NH {
                        let b = U + (h2 * T + j) * C
                        G[p * T + j] = dot(a, b, C) * (h == h2 ? 1 : 2)
                        p += 1
                    }
                }
            }
        }
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = VF(), acc1 = VF()
        var c = 0
        while c + 2 * W <= n {
            acc0.addProduct(loadV(a + c), loadV(b + c))
            acc1.addProduct(loadV(a + c + W), loadV(b + c + W))
            c += 2 * W
        }
        var s = VectorMath.sum(acc0 + acc1)
        while c < n { s += a[c] * b[c]; c += 1 }
        return s
    }

    /// sqrt(max(acc, 0)) per lane (NaN stays NaN).
    @inline(__always)
    static func rootOfPositive(_ acc: VF) -> VF { VectorMath.lanewiseMax(acc, VF()).squareRoot() }

    /// alpha (NH, T, T), g (pairs, T) -> out (T, T); rowScale (T) or nil.
    static func evaluate(alpha A: UnsafePointer<Float>, gram G: UnsafePointer<Float>, T: Int, NH: Int,
                         rowScale: UnsafePointer<Float>?, into O: UnsafeMutablePointer<Float>) {
        let blocks = (T + 15) / 16
        let chunks = min(blocks, Parallel.threadCount * 4)
        Parallel.forEach(chunks) { chunk in
            let lo = chunk * blocks / chunks, hi = (chunk + 1) * blocks / chunks
            withUnsafeTemporaryAllocation(of: VF.self, capacity: vpb * NH) { a in
                for block in lo..<hi {
                    let j = block * 16
                    if j + 16 > T {
                        for i in 0..<T { for jj in j..<T { O[i * T + jj] = scalarForm(A, G, T: T, NH: NH, i: i, j: jj) * (rowScale?[i] ?? 1) } }
                        continue
                    }
                    for i in 0..<T {
                        for h in 0..<NH { for v in 0..<vpb { a[vpb * h + v] = loadV(A + (h * T + i) * T + j + v * W) } }
                        var acc0 = VF(), acc1 = VF()
                        var p = 0
                        for h in 0..<NH {
                            let ah0 = a[vpb * h], ah1 = vpb == 2 ? a[vpb * h + 1] : VF()
                            for h2 in h..<NH {
                                let g = G + p * T + j
                                acc0.addProduct(loadV(g), ah0 * a[vpb * h2])
                                if vpb == 2 { acc1.addProduct(loadV(g + W), ah1 * a[vpb * h2 + 1]) }
                                p += 1
                            }
                        }
                        let scale = VF(repeating: rowScale?[i] ?? 1)
                        let out = O + i * T + j
                        storeV(rootOfPositive(acc0) * scale, out)
                        if vpb == 2 { storeV(rootOfPositive(acc1) * scale, out + W) }
                    }
                }
            }
        }
    }

    /// Two quadratic forms over the same alpha in one pass (alpha read once, each pair's
    /// alpha product shared): outA = evaluate(gA), outB = evaluate(gB) * rowScaleB.
    static func evaluateTwo(alpha A: UnsafePointer<Float>, gramA GA: UnsafePointer<Float>, gramB GB: UnsafePointer<Float>,
                            T: Int, NH: Int, rowScaleB: UnsafePointer<Float>,
                            intoA OA: UnsafeMutablePointer<Float>, intoB OB: UnsafeMutablePointer<Float>) {
        let blocks = (T + 15) / 16
        let chunks = min(blocks, Parallel.threadCount * 4)
        Parallel.forEach(chunks) { chunk in
            let lo = chunk * blocks / chunks, hi = (chunk + 1) * blocks / chunks
            withUnsafeTemporaryAllocation(of: VF.self, capacity: vpb * NH) { a in
                for block in lo..<hi {
                    let j = block * 16
                    if j + 16 > T {
                        for i in 0..<T { for jj in j..<T {
                            OA[i * T + jj] = scalarForm(A, GA, T: T, NH: NH, i: i, j: jj)
                            OB[i * T + jj] = scalarForm(A, GB, T: T, NH: NH, i: i, j: jj) * rowScaleB[i]
                        } }
                        continue
                    }
                    for i in 0..<T {
                        for h in 0..<NH { for v in 0..<vpb { a[vpb * h + v] = loadV(A + (h * T + i) * T + j + v * W) } }
                        var a0 = VF(), a1 = VF(), b0 = VF(), b1 = VF()
                        var p = 0
                        for h in 0..<NH {
                            let ah0 = a[vpb * h], ah1 = vpb == 2 ? a[vpb * h + 1] : VF()
                            for h2 in h..<NH {
                                let w0 = ah0 * a[vpb * h2]
                                let ga = GA + p * T + j, gb = GB + p * T + j
                                a0.addProduct(loadV(ga), w0)
                                b0.addProduct(loadV(gb), w0)
                                if vpb == 2 {
                                    let w1 = ah1 * a[vpb * h2 + 1]
                                    a1.addProduct(loadV(ga + W), w1)
                                    b1.addProduct(loadV(gb + W), w1)
                                }
                                p += 1
                            }
                        }
                        let scale = VF(repeating: rowScaleB[i])
                        let oa = OA + i * T + j, ob = OB + i * T + j
                        storeV(rootOfPositive(a0), oa)
                        storeV(rootOfPositive(b0) * scale, ob)
                        if vpb == 2 {
                            storeV(rootOfPositive(a1), oa + W)
                            storeV(rootOfPositive(b1) * scale, ob + W)
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    static func scalarForm(_ A: UnsafePointer<Float>, _ G: UnsafePointer<Float>, T: Int, NH: Int, i: Int, j: Int) -> Float {
        var s: Float = 0, p = 0
        for h in 0..<NH {
            let ah = A[(h * T + i) * T + j]
            for h2 in h..<NH {
                s += G[p * T + j] * ah * A[(h2 * T + i) * T + j]
                p += 1
            }
        }
        return max(s, 0).squareRoot()
    }
}
