import HeedKernels
import HeedModels

// The norm-based decomposition of one attention site (docs/methods.md), computed from taps with
// the Gram identity: no T x T x C tensor is ever allocated.
//   f^h(x_j) = v^{g(h)}_j W_O^h                 F: (NH, T_k, C); g(h) = h / (NH / NKV) the K/V head
//   z_ij = sum_h alpha^h[i,j] f^h(x_j)          ||z_ij||^2 = a^T G_j a, a = alpha[:, i, j]
//   r_ij = z_ij + [i==j] x_i                    (residual on the diagonal only)
// With a norm after the block (post-norm), g_i maps the residual sum's parts through it:
//   LayerNorm: g_i(v) = (v - mean(v)) * gamma / s_i,  s_i = sqrt(Var(y_i) + eps)
//   RMSNorm:   g_i(v) = v * gamma / s_i,              s_i = sqrt(mean(y_i^2) + eps)
// Off the diagonal ||g_i(r_ij)||^2 = a^T Gw_j a / s_i^2 with Gw_j the Gram matrix of
// gamma * P f^h(x_j) (P: centring for LayerNorm, identity for RMSNorm); the diagonal vectors
// r_ii are formed explicitly. Everything reads the taps' geometry (NH, NKV, HS, T_q, T_k) and
// norm; the methods that sum over heads per (i, j) with the Gram kernels and those that use
// the diagonal (the residual) need T_q == T_k (self-attention).

/// Per-layer decomposition state: the transient NH x T x C vectors f and what derives from them.
/// Only f is computed up front; everything else (the value norms, the diagonal and the sums, the
/// norm's scales s_i, each Gram form) is computed the first time a method asks for it, so a
/// highlight of one method pays for that method alone.
public final class NormDecomposition {
    /// T: the keys T_k (== T_q for the square methods); C; NH; HS.
    let T: Int, C: Int, NH: Int, HS: Int
    /// T_q.
    let queries: Int
    /// alpha (NH, T_q, T_k)
    let alpha: [Float]
    /// f^h(x_j): (NH, T_k, C)
    let f: [Float]
    /// x_i (T_q, C): the residual.
    let residual: [Float]
    /// y_i = attention output + x_i (T_q, C): the residual sum (a post-block norm's input).
    let residualSum: [Float]
    let parameters: AttentionOutputParameters
    /// True when a norm follows the residual sum (g_i exists).
    let normAfterBlock: Bool
    /// That norm's kind.
    let normKind: NormKind
    /// Whether `norm-summed` should also compute the form through the norm (g_i) in the same pass
    /// over alpha (true when `attn-res-ln` will be asked for too).
    let pairNormMapForm: Bool

    /// The decomposition of `taps` (recorded with `TapLevel.full`), reading its geometry and
    /// norm: g_i exists when the norm sits after the block. `alsoAttnResLn`: compute
    /// `attn-res-ln`'s quadratic form in the same pass as `norm-summed`'s (pass false when only
    /// one is wanted).
    public convenience init(taps: LayerTaps, alsoAttnResLn: Bool = true) {
        guard let g = taps.geometry else { preconditionFailure("NormDecomposition(taps:) needs taps with a geometry") }
        self.init(taps: taps, geometry: g, normAfterBlock: taps.parameters.norm.isAfterBlock, alsoAttnResLn: alsoAttnResLn)
    }

    /// As `init(taps:alsoAttnResLn:)` with NH given and the norm after the block or not by
    /// `normAfterBlock` (taps without a geometry: NKV = NH, T_q = T_k, HS = C / NH).
    public convenience init(taps: LayerTaps, heads NH: Int, normAfterBlock: Bool, alsoAttnResLn: Bool = true) {
        guard let x = taps.input, let a = taps.attention else { preconditionFailure("NormDecomposition needs full taps") }
        let g = taps.geometry ?? AttentionGeometry(heads: NH, kvHeads: NH, headSize: x.shape[1] / NH,
                                                   queries: a.shape[1], keys: a.shape[2])
        self.init(taps: taps, geometry: g, normAfterBlock: normAfterBlock, alsoAttnResLn: alsoAttnResLn)
    }

    init(taps: LayerTaps, geometry g: AttentionGeometry, normAfterBlock: Bool, alsoAttnResLn: Bool) {
        guard let x = taps.input, let alphaT = taps.attention, let values = taps.values, let y = taps.residualSum else {
            preconditionFailure("NormDecomposition needs full taps")
        }
        let NH = g.heads, NKV = g.kvHeads, HS = g.headSize, T = g.keys, C = x.shape[1]
        self.T = T; self.C = C; self.NH = NH; self.HS = HS; self.queries = g.queries
        self.alpha = alphaT.data
        self.residual = x.data
        self.residualSum = y.data
        self.normAfterBlock = normAfterBlock
        self.normKind = taps.parameters.norm.kind
        self.pairNormMapForm = normAfterBlock && alsoAttnResLn
        let p = taps.parameters
        self.parameters = p

        // f^h = v^{g(h)} (T_k, HS) * (W_O[:, h*HS ..< (h+1)*HS])^T   -> (T_k, C); v is (T_k, NKV*HS),
        // W_O (C, NH*HS), read in place from the model's out-projection.
        let f = [Float](unsafeUninitializedCapacity: NH * T * C) { fp, n in
            values.data.withUnsafeBufferPointer { v in
                // One parallel region over the heads (each GEMM inline) rather than one per head.
                guard let V = v.baseAddress, let F = fp.baseAddress else { return }
                Parallel.forEach(NH) { h in
                    p.output(inputColumns: (h * HS)..<((h + 1) * HS), V + g.kvHead(of: h) * HS, rows: T, ldx: NKV * HS,
                             into: F + h * T * C, ldy: C)
                }
            }
            n = NH * T * C
        }
        self.f = f
    }

    /// ||f^h(x_j)||: (NH, T)
    public private(set) lazy var valueNorms: [Float] = {
        var norms = [Float](repeating: 0, count: NH * T)
        for r in 0..<(NH * T) { norms[r] = Self.norm(f, offset: r * C, count: C) }
        return norms
    }()

    /// o_i = sum_j z_ij = y_i - x_i - b_O (T, C): the attention output without b_O.
    private(set) lazy var attentionSum: [Float] = {
        let T = queries, C = C, x = residual, y = residualSum
        // o_i = y_i - x_i - b_O (b_O = 0 when the out-projection has none)
        var o = [Float](repeating: 0, count: T * C)
        for i in 0..<T {
            for c in 0..<C { o[i * C + c] = y[i * C + c] - x[i * C + c] }
            if let bO = parameters.outputBias { for c in 0..<C { o[i * C + c] -= bO[c] } }
        }
        return o
    }()

    /// z_ii = sum_h alpha[h,i,i] f^h(x_i)   (T, C); self-attention (T_q == T_k).
    private(set) lazy var diagonal: [Float] = {
        precondition(queries == T, "the diagonal needs T_q == T_k")
        let T = T, C = C, NH = NH
        var zd = [Float](repeating: 0, count: T * C)
        for i in 0..<T {
            for h in 0..<NH {
                let a = alpha[(h * T + i) * T + i]
                let fo = (h * T + i) * C
                for c in 0..<C { zd[i * C + c] += a * f[fo + c] }
            }
        }
        return zd
    }()

    /// s_i (T) of the norm after the block; nil without one.
    private(set) lazy var normScale: [Float]? = {
        guard normAfterBlock else { return nil }
        let T = queries, C = C, y = residualSum
        var s = [Float](repeating: 0, count: T)
        let centred = normKind == .layerNorm
        for i in 0..<T {
            var mean: Double = 0
            if centred {
                for c in 0..<C { mean += Double(y[i * C + c]) }
                mean /= Double(C)
            }
            var v: Double = 0
            for c in 0..<C { let d = Double(y[i * C + c]) - mean; v += d * d }
            s[i] = Float((v / Double(C) + Double(parameters.normEps)).squareRoot())
        }
        return s
    }()

    /// gamma (C) of the norm after the block; nil without one.
    var gamma: [Float]? { normAfterBlock ? parameters.normWeight : nil }

    static func norm(_ v: [Float], offset: Int, count: Int) -> Float {
        var s: Double = 0
        for c in 0..<count { let e = Double(v[offset + c]); s += e * e }
        return Float(s.squareRoot())
    }

    /// g_i(v): centre (LayerNorm only), times gamma / s_i.
    func normMap(_ v: [Float], row i: Int) -> [Float] {
        let mean = normKind == .layerNorm ? v.reduce(0, +) / Float(C) : 0
        let inv = 1 / normScale![i]
        return (0..<C).map { (v[$0] - mean) * gamma![$0] * inv }
    }

    // MARK: methods

    /// `norm`: ||alpha^h[i,j] f^h(x_j)|| = alpha^h[i,j] ||f^h(x_j)||   (NH, T_q, T_k)
    public func norm() -> Tensor {
        let T = T, NH = NH, TQ = queries
        let out = [Float](unsafeUninitializedCapacity: NH * TQ * T) { o, n in
            alpha.withUnsafeBufferPointer { a in valueNorms.withUnsafeBufferPointer { vn in
                let O = o.baseAddress!, A = a.baseAddress!, V = vn.baseAddress!
                Parallel.forEach(NH) { h in
                    for i in 0..<TQ {
                        let row = (h * TQ + i) * T
                        for j in 0..<T { O[row + j] = A[row + j] * V[h * T + j] }
                    }
                }
            } }
            n = NH * TQ * T
        }
        return Tensor(shape: [NH, TQ, T], data: out)
    }

    /// `value-norm`: ||f^h(x_j)||   (NH, T)
    public func valueNorm() -> Tensor { Tensor(shape: [NH, T], data: valueNorms) }

    /// `norm-summed` (Attn-N): ||z_ij||   (T, T); self-attention (T_q == T_k).
    public func normSummed() -> Tensor {
        precondition(queries == T, "norm-summed needs T_q == T_k")
        computeQuadraticForms()
        return Tensor(shape: [T, T], data: normSummedForm!)
    }

    /// ||z_ij|| and, with a norm after the block, ||g_i(z_ij)|| (off-diagonal attn-res-ln) in one pass over alpha.
    private var normSummedForm: [Float]?
    private var normMapForm: [Float]?
    private func computeQuadraticForms() {
        guard normSummedForm == nil else { return }
        if pairNormMapForm, let s = normScale {
            let (a, b) = GramQuadraticForm.evaluateTwo(alpha: alpha, gramA: gram(weighted: false), gramB: gram(weighted: true),
                                                       T: T, NH: NH, rowScaleB: s.map { 1 / $0 })
            normSummedForm = a; normMapForm = b
        } else {
            normSummedForm = GramQuadraticForm.evaluate(alpha: alpha, gram: gram(weighted: false), T: T, NH: NH, rowScale: nil)
        }
    }

    /// ||g_i(z_ij)|| alone, when it was not paired with `norm-summed` (same kernel as evaluateTwo's B).
    private func computeNormMapForm() {
        if normMapForm != nil { return }
        if pairNormMapForm { computeQuadraticForms(); return }
        normMapForm = GramQuadraticForm.evaluate(alpha: alpha, gram: gram(weighted: true), T: T, NH: NH,
                                                 rowScale: normScale!.map { 1 / $0 })
    }

    /// `attn-res` (AttnRes-N): ||r_ij||; equals norm-summed off the diagonal   (T, T)
    public func attnRes() -> Tensor {
        var out = normSummed()
        for i in 0..<T {
            var v = [Float](repeating: 0, count: C)
            for c in 0..<C { v[c] = diagonal[i * C + c] + residual[i * C + c] }
            out.data[i * T + i] = Self.norm(v, offset: 0, count: C)
        }
        return out
    }

    /// `attn-res-ln` (AttnResLn-N): ||g_i(r_ij)||   (T, T); models with a norm after the block only.
    public func attnResLn() -> Tensor {
        precondition(normScale != nil, "attn-res-ln needs a norm after the attention block")
        precondition(queries == T, "attn-res-ln needs T_q == T_k")
        computeNormMapForm()
        var out = normMapForm!
        for i in 0..<T {
            var v = [Float](repeating: 0, count: C)
            for c in 0..<C { v[c] = diagonal[i * C + c] + residual[i * C + c] }
            out[i * T + i] = Self.norm(normMap(v, row: i), offset: 0, count: C)
        }
        return Tensor(shape: [T, T], data: out)
    }

    /// Mixing ratios (EMNLP 2021): "attn-w", "attnres-w", "attn-n", "attnres-n", "attnresln-n" (when
    /// a norm follows the block), each of length T. sum_{j!=i} z_ij = o_i - z_ii, and likewise for r and g_i(r).
    public func mixingRatios() -> [(key: String, values: [Float])] {
        precondition(queries == T, "mixing ratios need T_q == T_k")
        var attnW = [Float](repeating: 0, count: T)
        for i in 0..<T {
            var s: Float = 0
            for h in 0..<NH { s += alpha[(h * T + i) * T + i] }
            attnW[i] = 1 - s / Float(NH)
        }
        var attnN = [Float](repeating: 0, count: T), resN = attnN, lnN = attnN
        for i in 0..<T {
            var others = [Float](repeating: 0, count: C), self_ = others, selfRes = others
            for c in 0..<C {
                others[c] = attentionSum[i * C + c] - diagonal[i * C + c]
                self_[c] = diagonal[i * C + c]
                selfRes[c] = diagonal[i * C + c] + residual[i * C + c]
            }
            let no = Self.norm(others, offset: 0, count: C)
            attnN[i] = Self.ratio(no, Self.norm(self_, offset: 0, count: C))
            resN[i] = Self.ratio(no, Self.norm(selfRes, offset: 0, count: C))
            if normScale != nil {
                lnN[i] = Self.ratio(Self.norm(normMap(others, row: i), offset: 0, count: C),
                                    Self.norm(normMap(selfRes, row: i), offset: 0, count: C))
            }
        }
        var out: [(String, [Float])] = [("attn-w", attnW), ("attn-n", attnN), ("attnres-w", attnW.map { $0 / 2 }), ("attnres-n", resN)]
        if normScale != nil { out.append(("attnresln-n", lnN)) }
        return out
    }

    static func ratio(_ others: Float, _ own: Float) -> Float { others + own > 0 ? others / (others + own) : 0 }

    /// Gram matrices of f^h(x_j) (or of gamma * P f^h(x_j)) over head pairs h <= h', laid out
    /// (pairs, T) so the quadratic forms read them contiguously along j; off-diagonal pairs
    /// are doubled so that a^T G a = sum over pairs.
    func gram(weighted: Bool) -> [Float] {
        var u = f
        if weighted {
            let g = gamma!
            let centred = normKind == .layerNorm
            for r in 0..<(NH * T) {
                var mean: Float = 0
                if centred {
                    for c in 0..<C { mean += u[r * C + c] }
                    mean /= Float(C)
                }
                for c in 0..<C { u[r * C + c] = (u[r * C + c] - mean) * g[c] }
            }
        }
        return GramQuadraticForm.gram(u, T: T, C: C, NH: NH)
    }
}
