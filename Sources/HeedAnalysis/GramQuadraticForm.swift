import HeedKernels

/// The two kernels of the Gram identity, with plain references beside them (tests compare).
///   gram:     G[p][j] = <u_h[j], u_h'[j]> for head pairs p = (h <= h'), doubled off the diagonal
///   evaluate: out[i, j] = sqrt(max(0, sum_p G[p][j] alpha[h,i,j] alpha[h',i,j])) * rowScale[i]
enum GramQuadraticForm {
    static func pairCount(_ NH: Int) -> Int { NH * (NH + 1) / 2 }

    /// u: (NH, T, C) -> (pairs, T).
    static func gram(_ u: [Float], T: Int, C: Int, NH: Int) -> [Float] {
        let P = pairCount(NH)
        var g = [Float](repeating: 0, count: P * T)
        u.withUnsafeBufferPointer { up in g.withUnsafeMutableBufferPointer { gp in
            let U = up.baseAddress!, G = gp.baseAddress!
            Parallel.forEach(min(T, Parallel.threadCount * 4)) { chunk in
                let chunks = min(T, Parallel.threadCount * 4)
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
        } }
        return g
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var c = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while c + 16 <= n {
            acc0.addProduct(ra.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self))
            acc1.addProduct(ra.loadUnaligned(fromByteOffset: (c + 8) * 4, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: (c + 8) * 4, as: SIMD8<Float>.self))
            c += 16
        }
        var s = (acc0 + acc1).sum()
        while c < n { s += a[c] * b[c]; c += 1 }
        return s
    }

    /// alpha (NH, T, T), gram (pairs, T) -> (T, T). Columns are processed in blocks of 16 so a
    /// block's Gram entries (pairs x 16 floats) stay in L1 while every row i streams past.
    static func evaluate(alpha: [Float], gram: [Float], T: Int, NH: Int, rowScale: [Float]?) -> [Float] {
        let blocks = (T + 15) / 16
        return [Float](unsafeUninitializedCapacity: T * T) { op, initialized in
            alpha.withUnsafeBufferPointer { ap in gram.withUnsafeBufferPointer { gp in
                let A = ap.baseAddress!, G = gp.baseAddress!, O = op.baseAddress!
                let chunks = min(blocks, Parallel.threadCount * 4)
                Parallel.forEach(chunks) { chunk in
                    let lo = chunk * blocks / chunks, hi = (chunk + 1) * blocks / chunks
                    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 2 * NH) { a in
                        for block in lo..<hi {
                            let j = block * 16
                            if j + 16 > T {
                                for i in 0..<T { for jj in j..<T { O[i * T + jj] = scalarForm(A: A, G: G, T: T, NH: NH, i: i, j: jj) * (rowScale?[i] ?? 1) } }
                                continue
                            }
                            for i in 0..<T {
                                for h in 0..<NH {
                                    let row = UnsafeRawPointer(A + (h * T + i) * T + j)
                                    a[2 * h] = row.loadUnaligned(as: SIMD8<Float>.self)
                                    a[2 * h + 1] = row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                                }
                                var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
                                var p = 0
                                for h in 0..<NH {
                                    let ah0 = a[2 * h], ah1 = a[2 * h + 1]
                                    for h2 in h..<NH {
                                        let g = UnsafeRawPointer(G + p * T + j)
                                        acc0.addProduct(g.loadUnaligned(as: SIMD8<Float>.self), ah0 * a[2 * h2])
                                        acc1.addProduct(g.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), ah1 * a[2 * h2 + 1])
                                        p += 1
                                    }
                                }
                                let scale = SIMD8<Float>(repeating: rowScale?[i] ?? 1)
                                let out = UnsafeMutableRawPointer(O + i * T + j)
                                out.storeBytes(of: acc0.replacing(with: 0, where: acc0 .< 0).squareRoot() * scale, as: SIMD8<Float>.self)
                                out.storeBytes(of: acc1.replacing(with: 0, where: acc1 .< 0).squareRoot() * scale, toByteOffset: 32, as: SIMD8<Float>.self)
                            }
                        }
                    }
                }
            } }
            initialized = T * T
        }
    }

    /// Two quadratic forms over the same alpha in one pass (alpha read once, each pair's
    /// alpha product shared): `norm-summed` and `attn-res-ln` together.
    static func evaluateTwo(alpha: [Float], gramA: [Float], gramB: [Float], T: Int, NH: Int,
                            rowScaleB: [Float]) -> ([Float], [Float]) {
        let blocks = (T + 15) / 16
        var outB = [Float](repeating: 0, count: 0)
        let outA = [Float](unsafeUninitializedCapacity: T * T) { oa, na in
            outB = [Float](unsafeUninitializedCapacity: T * T) { ob, nb in
                alpha.withUnsafeBufferPointer { ap in gramA.withUnsafeBufferPointer { gap in gramB.withUnsafeBufferPointer { gbp in
                    let A = ap.baseAddress!, GA = gap.baseAddress!, GB = gbp.baseAddress!
                    let OA = oa.baseAddress!, OB = ob.baseAddress!
                    let chunks = min(blocks, Parallel.threadCount * 4)
                    Parallel.forEach(chunks) { chunk in
                        let lo = chunk * blocks / chunks, hi = (chunk + 1) * blocks / chunks
                        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 2 * NH) { a in
                            for block in lo..<hi {
                                let j = block * 16
                                if j + 16 > T {
                                    for i in 0..<T { for jj in j..<T {
                                        OA[i * T + jj] = scalarForm(A: A, G: GA, T: T, NH: NH, i: i, j: jj)
                                        OB[i * T + jj] = scalarForm(A: A, G: GB, T: T, NH: NH, i: i, j: jj) * rowScaleB[i]
                                    } }
                                    continue
                                }
                                for i in 0..<T {
                                    for h in 0..<NH {
                                        let row = UnsafeRawPointer(A + (h * T + i) * T + j)
                                        a[2 * h] = row.loadUnaligned(as: SIMD8<Float>.self)
                                        a[2 * h + 1] = row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                                    }
                                    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b0 = SIMD8<Float>(), b1 = SIMD8<Float>()
                                    var p = 0
                                    for h in 0..<NH {
                                        let ah0 = a[2 * h], ah1 = a[2 * h + 1]
                                        for h2 in h..<NH {
                                            let w0 = ah0 * a[2 * h2], w1 = ah1 * a[2 * h2 + 1]
                                            let ga = UnsafeRawPointer(GA + p * T + j), gb = UnsafeRawPointer(GB + p * T + j)
                                            a0.addProduct(ga.loadUnaligned(as: SIMD8<Float>.self), w0)
                                            a1.addProduct(ga.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), w1)
                                            b0.addProduct(gb.loadUnaligned(as: SIMD8<Float>.self), w0)
                                            b1.addProduct(gb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), w1)
                                            p += 1
                                        }
                                    }
                                    let scale = SIMD8<Float>(repeating: rowScaleB[i])
                                    let oa = UnsafeMutableRawPointer(OA + i * T + j), ob = UnsafeMutableRawPointer(OB + i * T + j)
                                    oa.storeBytes(of: a0.replacing(with: 0, where: a0 .< 0).squareRoot(), as: SIMD8<Float>.self)
                                    oa.storeBytes(of: a1.replacing(with: 0, where: a1 .< 0).squareRoot(), toByteOffset: 32, as: SIMD8<Float>.self)
                                    ob.storeBytes(of: b0.replacing(with: 0, where: b0 .< 0).squareRoot() * scale, as: SIMD8<Float>.self)
                                    ob.storeBytes(of: b1.replacing(with: 0, where: b1 .< 0).squareRoot() * scale, toByteOffset: 32, as: SIMD8<Float>.self)
                                }
                            }
                        }
                    }
                } } }
                nb = T * T
            }
            na = T * T
        }
        return (outA, outB)
    }

    @inline(__always)
    static func scalarForm(A: UnsafePointer<Float>, G: UnsafePointer<Float>, T: Int, NH: Int, i: Int, j: Int) -> Float {
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

    /// Plain reference of `evaluate` (full NH x NH sum in Double).
    static func evaluateReference(alpha: [Float], gram: [Float], T: Int, NH: Int, rowScale: [Float]?) -> [Float] {
        var out = [Float](repeating: 0, count: T * T)
        for i in 0..<T { for j in 0..<T {
            var s: Double = 0, p = 0
            for h in 0..<NH { for h2 in h..<NH {
                s += Double(gram[p * T + j]) * Double(alpha[(h * T + i) * T + j]) * Double(alpha[(h2 * T + i) * T + j])
                p += 1
            } }
            out[i * T + j] = Float(max(s, 0).squareRoot()) * (rowScale?[i] ?? 1)
        } }
        return out
    }

    /// Plain reference of `gram`.
    static func gramReference(_ u: [Float], T: Int, C: Int, NH: Int) -> [Float] {
        var g = [Float](repeating: 0, count: pairCount(NH) * T)
        for j in 0..<T {
            var p = 0
            for h in 0..<NH { for h2 in h..<NH {
                var s: Double = 0
                for c in 0..<C { s += Double(u[(h * T + j) * C + c]) * Double(u[(h2 * T + j) * C + c]) }
                g[p * T + j] = Float(s) * (h == h2 ? 1 : 2)
                p += 1
            } }
        }
        return g
    }
}
