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

    /// alpha (NH, T, T), gram (pairs, T) -> (T, T).
    static func evaluate(alpha: [Float], gram: [Float], T: Int, NH: Int, rowScale: [Float]?) -> [Float] {
        var out = [Float](repeating: 0, count: T * T)
        alpha.withUnsafeBufferPointer { ap in gram.withUnsafeBufferPointer { gp in out.withUnsafeMutableBufferPointer { op in
            let A = ap.baseAddress!, G = gp.baseAddress!, O = op.baseAddress!
            let chunks = min(T, Parallel.threadCount * 4)
            Parallel.forEach(chunks) { chunk in
                let lo = chunk * T / chunks, hi = (chunk + 1) * T / chunks
                withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: NH) { a in
                    for i in lo..<hi {
                        let scale = rowScale?[i] ?? 1
                        var j = 0
                        while j + 8 <= T {
                            for h in 0..<NH {
                                a[h] = UnsafeRawPointer(A + (h * T + i) * T + j).loadUnaligned(as: SIMD8<Float>.self)
                            }
                            var acc = SIMD8<Float>()
                            var p = 0
                            for h in 0..<NH {
                                let ah = a[h]
                                for h2 in h..<NH {
                                    let g = UnsafeRawPointer(G + p * T + j).loadUnaligned(as: SIMD8<Float>.self)
                                    acc.addProduct(g, ah * a[h2])
                                    p += 1
                                }
                            }
                            let r = (acc.replacing(with: 0, where: acc .< 0)).squareRoot() * scale
                            UnsafeMutableRawPointer(O + i * T + j).storeBytes(of: r, as: SIMD8<Float>.self)
                            j += 8
                        }
                        while j < T {
                            O[i * T + j] = scalarForm(A: A, G: G, T: T, NH: NH, i: i, j: j) * scale
                            j += 1
                        }
                    }
                }
            }
        } } }
        return out
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
