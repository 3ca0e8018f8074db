import HeedKernels
import HeedModels

// ALTI (Ferrando, Gállego, Costa-jussà, "Measuring the Mixing of Contextual Information in the
// Transformer", EMNLP 2022; the authors' code: mt-upc/transformer-contributions,
// src/contributions.py `get_contributions` and src/utils_contributions.py
// `normalize_contributions(scaling='min_sum')`), on the decomposition of docs/methods.md:
//
//   T_i(x_j) = the decomposed block output's term from token j:
//     post-LN (a norm after the block): g_i(r_ij) = P(r_ij) * gamma / s_i    (`attn-res-ln` vectors)
//     pre-norm:                         r_ij = z_ij + [i==j] h_i              (`attn-res` vectors)
//   y_i = sum_j T_i(x_j)   (post-LN: LN(y) without beta and g_i(b_O); pre-norm: h_i + o_i)
//   c_ij = max(0, ||y_i||_1 - ||y_i - T_i(x_j)||_1),   then each row divided by its sum.
//
// L1 has no Gram shortcut: the vectors T_i(x_j) are formed, one (i, j) at a time, blocked over
// i (B rows share each token j's NH x C vectors while they sit in cache), and never stored:
// memory beyond the (T, T) output is the NH x T x C vectors the decomposition already holds plus
// O(T x C). Post-LN, every T_i(x_j) of row i carries the factor 1 / s_i, which row
// normalisation cancels: the rows are computed from P(.) * gamma alone.

extension NormDecomposition {
    /// `alti`: c_ij row-normalised (rows summing to 0 stay 0), (T, T); self-attention
    /// (T_q == T_k). Entries outside a row's visible keys (the causal mask) are 0.
    /// `mask` gives the visible keys of each row (a causal mask skips j > i; masked keys have
    /// alpha = 0 and give exactly 0).
    public func alti(mask: AttentionMask = .none) -> Tensor {
        precondition(queries == T, "alti needs T_q == T_k")
        let T = T, C = C, NH = NH
        // Q: the linear part of the map each term goes through, without the row's 1 / s_i:
        // post-LN LayerNorm: centre then * gamma; post-LN RMSNorm: * gamma; pre-norm: identity.
        let mapped: (UnsafeMutablePointer<Float>) -> Void
        if normAfterBlock, let gamma {
            let centred = normKind == .layerNorm
            mapped = { v in
                var mean: Float = 0
                if centred {
                    for c in 0..<C { mean += v[c] }
                    mean /= Float(C)
                }
                for c in 0..<C { v[c] = (v[c] - mean) * gamma[c] }
            }
        } else {
            mapped = { _ in }
        }
        // Q f^h(x_j) laid out (T, NH, C): token j's NH vectors are contiguous.
        var fq = [Float](repeating: 0, count: T * NH * C)
        // Q x_i (the residual term on the diagonal) and Q y_i, y_i = o_i + x_i (T, C).
        var xq = residual
        var yq = [Float](repeating: 0, count: T * C)
        let o = attentionSum
        fq.withUnsafeMutableBufferPointer { fp in xq.withUnsafeMutableBufferPointer { xp in yq.withUnsafeMutableBufferPointer { yp in
            f.withUnsafeBufferPointer { src in o.withUnsafeBufferPointer { op in
                let F = fp.baseAddress!, X = xp.baseAddress!, Y = yp.baseAddress!, S = src.baseAddress!, O = op.baseAddress!
                Parallel.forEach(T) { j in
                    for h in 0..<NH {
                        let dst = F + (j * NH + h) * C
                        dst.update(from: S + (h * T + j) * C, count: C)
                        mapped(dst)
                    }
                    for c in 0..<C { Y[j * C + c] = O[j * C + c] + X[j * C + c] }
                    mapped(Y + j * C)
                    mapped(X + j * C)
                }
            } }
        } } }

        // The L1 kernel (HeedKernels; rows blocked, heads summed and distances taken in one
        // pass): causal models skip j > i, which stay 0.
        var causal = false
        if case .causal = mask { causal = true }
        let out = [Float](unsafeUninitializedCapacity: T * T) { op, n in
            op.baseAddress!.initialize(repeating: 0, count: T * T)
            fq.withUnsafeBufferPointer { fp in xq.withUnsafeBufferPointer { xp in yq.withUnsafeBufferPointer { yp in
                alpha.withUnsafeBufferPointer { ap in
                    Kernels.altiContributions(f: fp.baseAddress!, alpha: ap.baseAddress!, x: xp.baseAddress!, y: yp.baseAddress!,
                                              T: T, NH: NH, C: C, causal: causal, into: op.baseAddress!)
                }
            } } }
            n = T * T
        }
        return Rollout.rowNormalised(Tensor(shape: [T, T], data: out))
    }
}

// GlobEnc (Modarressi, Fayyaz, Yaghoobzadeh, Pilehvar, "GlobEnc: Quantifying Global Token
// Attribution by Incorporating the Whole Encoder Layer in Transformers", NAACL 2022; the
// authors' code: mohsenfayyaz/GlobEnc, src/modeling/modeling_bert.py `BertNormOutput` and
// `BertLayer.forward` (N-Enc, `post_ln2_norm`) and `BertEncoder.forward` (`output_globenc`)):
// the attn-res-ln vectors g1_i(r_ij) carried through the second residual's LayerNorm, the
// feed-forward block left out:
//   N-Enc_ij = ||g2_i(g1_i(r_ij))||,  g2_i(u) = (u - mean(u)) * gamma2 / s2_i,
//   s2_i = sqrt(Var(p_i) + eps2), p_i = FFN(LN1(y_i)) + LN1(y_i) the second LayerNorm's input.
// Both maps are linear: off the diagonal N-Enc_ij^2 = a^T G2_j a / (s1_i s2_i)^2 with G2_j the
// Gram matrix of Q2 f^h(x_j), Q2(v) = P(P(v) * gamma1) * gamma2 (the Gram route of
// docs/methods.md); the diagonal vectors r_ii are formed explicitly.

extension NormDecomposition {
    /// GlobEnc's per-layer N-Enc matrix ||g2_i(g1_i(r_ij))||, (T, T); post-LN LayerNorm
    /// encoders only. `secondNorm`: gamma2 (C) and eps2 of the LayerNorm after the
    /// feed-forward block; `secondNormInput`: p (T, C), its input.
    public func normEncoder(secondNormWeight gamma2: [Float], secondNormEps eps2: Float, secondNormInput p: [Float]) -> Tensor {
        precondition(normAfterBlock && normKind == .layerNorm, "GlobEnc needs LayerNorms after the block")
        precondition(queries == T, "globenc needs T_q == T_k")
        let T = T, C = C, NH = NH
        let gamma1 = gamma!
        func q2(_ v: UnsafeMutablePointer<Float>) {
            var mean: Float = 0
            for c in 0..<C { mean += v[c] }
            mean /= Float(C)
            var mean2: Float = 0
            for c in 0..<C { v[c] = (v[c] - mean) * gamma1[c]; mean2 += v[c] }
            mean2 /= Float(C)
            for c in 0..<C { v[c] = (v[c] - mean2) * gamma2[c] }
        }
        // s2_i: biased variance of p_i, plus eps2.
        var scale = [Float](repeating: 0, count: T)
        let s1 = normScale!
        for i in 0..<T {
            var mean: Double = 0
            for c in 0..<C { mean += Double(p[i * C + c]) }
            mean /= Double(C)
            var v: Double = 0
            for c in 0..<C { let d = Double(p[i * C + c]) - mean; v += d * d }
            let s2 = (v / Double(C) + Double(eps2)).squareRoot()
            scale[i] = Float(1 / (Double(s1[i]) * s2))
        }
        var u = f
        u.withUnsafeMutableBufferPointer { up in
            let U = up.baseAddress!
            Parallel.forEach(NH * T) { r in q2(U + r * C) }
        }
        let g = GramQuadraticForm.gram(u, T: T, C: C, NH: NH)
        var out = GramQuadraticForm.evaluate(alpha: alpha, gram: g, T: T, NH: NH, rowScale: scale)
        var v = [Float](repeating: 0, count: C)
        v.withUnsafeMutableBufferPointer { vp in
            let V = vp.baseAddress!
            for i in 0..<T {
                for c in 0..<C { V[c] = diagonal[i * C + c] + residual[i * C + c] }
                q2(V)
                var s: Double = 0
                for c in 0..<C { s += Double(V[c]) * Double(V[c]) }
                out[i * T + i] = Float(s.squareRoot()) * scale[i]
            }
        }
        return Tensor(shape: [T, T], data: out)
    }
}
