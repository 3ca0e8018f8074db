import HeedKernels

/// The two kernels of the Gram identity (array interface; the loops are HeedKernels' per-variant
/// `Kernels.gram*`), with plain references beside them (tests compare, for every variant).
///   gram:     G[p][j] = <u_h[j], u_h'[j]> for head pairs p = (h <= h'), doubled off the diagonal
///   evaluate: out[i, j] = sqrt(max(0, sum_p G[p][j] alpha[h,i,j] alpha[h',i,j])) * rowScale[i]
enum GramQuadraticForm {
    static func pairCount(_ NH: Int) -> Int { NH * (NH + 1) / 2 }

    /// u: (NH, T, C) -> (pairs, T). The loops are HeedKernels' (`Kernels.gram`, per variant).
    static func gram(_ u: [Float], T: Int, C: Int, NH: Int, isa: ISA = ISA.active) -> [Float] {
        let P = pairCount(NH)
        return [Float](unsafeUninitializedCapacity: P * T) { gp, initialized in
            u.withUnsafeBufferPointer { up in
                if P * T > 0 { Kernels.gram(up.baseAddress!, T: T, C: C, NH: NH, into: gp.baseAddress!, isa: isa) }
            }
            initialized = P * T
        }
    }

    /// alpha (NH, T, T), gram (pairs, T) -> (T, T) (`Kernels.gramEvaluate`).
    static func evaluate(alpha: [Float], gram: [Float], T: Int, NH: Int, rowScale: [Float]?, isa: ISA = ISA.active) -> [Float] {
        [Float](unsafeUninitializedCapacity: T * T) { op, initialized in
            alpha.withUnsafeBufferPointer { ap in gram.withUnsafeBufferPointer { gp in
                if T > 0 {
                    if let rowScale {
                        rowScale.withUnsafeBufferPointer { sp in
                            Kernels.gramEvaluate(alpha: ap.baseAddress!, gram: gp.baseAddress!, T: T, NH: NH,
                                                 rowScale: sp.baseAddress!, into: op.baseAddress!, isa: isa)
                        }
                    } else {
                        Kernels.gramEvaluate(alpha: ap.baseAddress!, gram: gp.baseAddress!, T: T, NH: NH,
                                             rowScale: nil, into: op.baseAddress!, isa: isa)
                    }
                }
            } }
            initialized = T * T
        }
    }

    /// Two quadratic forms over the same alpha in one pass (alpha read once, each pair's
    /// alpha product shared): `norm-summed` and `attn-res-ln` together (`Kernels.gramEvaluateTwo`).
    static func evaluateTwo(alpha: [Float], gramA: [Float], gramB: [Float], T: Int, NH: Int,
                            rowScaleB: [Float], isa: ISA = ISA.active) -> ([Float], [Float]) {
        var outB = [Float](repeating: 0, count: 0)
        let outA = [Float](unsafeUninitializedCapacity: T * T) { oa, na in
            outB = [Float](unsafeUninitializedCapacity: T * T) { ob, nb in
                alpha.withUnsafeBufferPointer { ap in gramA.withUnsafeBufferPointer { gap in gramB.withUnsafeBufferPointer { gbp in
                    rowScaleB.withUnsafeBufferPointer { sp in
                        if T > 0 {
                            Kernels.gramEvaluateTwo(alpha: ap.baseAddress!, gramA: gap.baseAddress!, gramB: gbp.baseAddress!, T: T, NH: NH,
                                                    rowScaleB: sp.baseAddress!, intoA: oa.baseAddress!, intoB: ob.baseAddress!, isa: isa)
                        }
                    }
                } } }
                nb = T * T
            }
            na = T * T
        }
        return (outA, outB)
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
