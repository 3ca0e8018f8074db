import HeedKernels

// Re-running the part of one layer that follows its attention block, on residual sums the
// caller supplies: what the analysis methods that look past the attention block need
// (GlobEnc: the second LayerNorm's input; value zeroing: the layer's output with one token's
// values zeroed, i.e. with the residual sum y_i replaced by y_i - z_ij). Nothing here runs
// attention or changes a forward pass.

/// A model that can apply the rest of a layer (after the attention block's residual sum) to
/// rows the caller gives.
public protocol LayerRerunning: AnyObject {
    /// Applies what follows layer `layer`'s attention residual sum to `rows` rows of y
    /// (rows, C) (attention output incl. b_O, plus the block input):
    /// - post-LN encoders (modeling_bert.py BertSelfOutput.LayerNorm, BertIntermediate,
    ///   BertOutput): h1 = LN1(y); p = FFN(h1) + h1 written to `secondNormInput` (rows, C)
    ///   when given; the layer output LN2(p) to `output` (rows, C);
    /// - pre-norm decoders (modeling_llama.py LlamaDecoderLayer): output = y +
    ///   MLP(post_attention_layernorm(y)); `secondNormInput` is left untouched.
    /// `layer` must be in 0..<L (a precondition).
    func afterAttention(layer: Int, residualSum y: UnsafePointer<Float>, rows: Int,
                        secondNormInput: UnsafeMutablePointer<Float>?, output: UnsafeMutablePointer<Float>)
    /// gamma2 (C) and eps2 of the LayerNorm after layer `layer`'s feed-forward block (post-LN
    /// encoders); nil for a model without one.
    func feedForwardNorm(layer: Int) -> (weight: [Float], eps: Float)?
}

extension BertEncoder: LayerRerunning {
    public func afterAttention(layer l: Int, residualSum y: UnsafePointer<Float>, rows: Int,
                               secondNormInput: UnsafeMutablePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        precondition(l >= 0 && l < layers.count, "layer \(l) outside 0..<\(layers.count)")
        let layer = layers[l], C = config.hiddenSize, I = config.intermediateSize, eps = config.layerNormEps
        guard rows > 0 else { return }
        let h1 = UnsafeMutablePointer<Float>.allocate(capacity: rows * C)
        let inter = UnsafeMutablePointer<Float>.allocate(capacity: rows * I)
        let p = secondNormInput ?? UnsafeMutablePointer<Float>.allocate(capacity: rows * C)
        defer {
            h1.deallocate(); inter.deallocate()
            if secondNormInput == nil { p.deallocate() }
        }
        Self.norm(y, rows: rows, cols: C, gamma: layer.selfOutputLayerNormWeight, beta: layer.selfOutputLayerNormBias, eps: eps, out: h1)
        layer.intermediateDense.forward(h1, rows: rows, into: inter)
        activation.apply(inter, count: rows * I)
        layer.outputDense.forward(inter, rows: rows, into: p)
        for k in 0..<(rows * C) { p[k] += h1[k] }
        Self.norm(p, rows: rows, cols: C, gamma: layer.outputLayerNormWeight, beta: layer.outputLayerNormBias, eps: eps, out: output)
    }

    public func feedForwardNorm(layer l: Int) -> (weight: [Float], eps: Float)? {
        (layers[l].outputLayerNormWeight, config.layerNormEps)
    }

    private static func norm(_ x: UnsafePointer<Float>, rows: Int, cols: Int, gamma: [Float], beta: [Float]?, eps: Float,
                             out: UnsafeMutablePointer<Float>) {
        gamma.withUnsafeBufferPointer { g in
            if let beta {
                beta.withUnsafeBufferPointer { b in
                    Kernels.layerNorm(x, rows: rows, cols: cols, gamma: g.baseAddress!, beta: b.baseAddress!, eps: eps, out: out)
                }
            } else {
                Kernels.layerNorm(x, rows: rows, cols: cols, gamma: g.baseAddress!, beta: nil, eps: eps, out: out)
            }
        }
    }
}

extension LlamaDecoder: LayerRerunning {
    public func afterAttention(layer l: Int, residualSum y: UnsafePointer<Float>, rows: Int,
                               secondNormInput: UnsafeMutablePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        precondition(l >= 0 && l < layers.count, "layer \(l) outside 0..<\(layers.count)")
        let layer = layers[l], C = config.hiddenSize, I = config.intermediateSize
        guard rows > 0 else { return }
        let ys = [Float](UnsafeBufferPointer(start: y, count: rows * C))
        var x = [Float](repeating: 0, count: rows * C)
        Self.rmsNorm(ys, rows: rows, cols: C, weight: layer.postAttentionLayerNorm, eps: config.rmsNormEps, into: &x)
        var gate = [Float](repeating: 0, count: rows * I), up = gate
        x.withUnsafeBufferPointer { xp in
            gate.withUnsafeMutableBufferPointer { layer.gateProj.forward(xp.baseAddress!, rows: rows, into: $0.baseAddress!) }
            up.withUnsafeMutableBufferPointer { layer.upProj.forward(xp.baseAddress!, rows: rows, into: $0.baseAddress!) }
        }
        gate.withUnsafeMutableBufferPointer { g in up.withUnsafeBufferPointer { Kernels.siluMul(g.baseAddress!, $0.baseAddress!, count: rows * I) } }
        gate.withUnsafeBufferPointer { layer.downProj.forward($0.baseAddress!, rows: rows, into: output) }
        for k in 0..<(rows * C) { output[k] += y[k] }
    }

    public func feedForwardNorm(layer: Int) -> (weight: [Float], eps: Float)? { nil }
}

// MARK: - Value zeroing's re-runs, the first feed-forward product factored

/// One layer's value-zeroing re-runs (Mohebbi et al. 2023): for pairs (j, i), the layer output
/// for the residual sum y_i - z_ij, z_ij = sum_h alpha[h,i,j] f[h,j] (token j's values zeroed).
/// The first feed-forward product is linear in y_i - z_ij up to the norm's per-row scale, so it
/// is assembled from products computed once per layer (W_1 diag(gamma) P y_i for every i and
/// W_1 diag(gamma) P f^h_j for every head and j: (NH + 1) T rows instead of T^2): only the
/// second product runs per pair. Same numbers as `afterAttention` on the rows y_i - z_ij, up
/// to float rounding.
public protocol LayerZeroing: AnyObject {
    /// Outputs (pairs.count, C) for the pairs (j, i); alpha (NH, T, T).
    func outputs(alpha: UnsafePointer<Float>, pairs: [(j: Int, i: Int)], into output: UnsafeMutablePointer<Float>)
}

/// A model whose layers can be re-run for value zeroing with the factored first product.
public protocol ValueZeroingRerunning: LayerRerunning {
    /// The re-runs of layer `layer` for its residual sums y (T, C) and head vectors f
    /// (NH, T, C): f^h(x_j) = v_j^{kv(h)} W_O^h, b_V included.
    func zeroing(layer: Int, residualSum y: [Float], tokens T: Int, headVectors f: [Float], heads NH: Int) -> LayerZeroing
}

/// Shared pieces: rows of y_i - z_ij, and the (NH + 1) T products of a first linear.
public enum ZeroingMath {
    /// z-removed rows: out[r] = y[i] - sum_h alpha[h,i,j] f[h,j] for pairs[r] = (j, i): y (T, C),
    /// f (NH, T, C), alpha (NH, T, T), out (pairs, C).
    public static func zeroedRows(y: UnsafePointer<Float>, f: UnsafePointer<Float>, alpha: UnsafePointer<Float>, T: Int, NH: Int, C: Int,
                           pairs: [(j: Int, i: Int)], into out: UnsafeMutablePointer<Float>) {
        Parallel.forEach(pairs.count) { r in
            let (j, i) = pairs[r]
            let row = out + r * C
            row.update(from: y + i * C, count: C)
            for h in 0..<NH {
                let a = alpha[(h * T + i) * T + j]
                if a == 0 { continue }
                let fh = f + (h * T + j) * C
                for c in 0..<C { row[c] -= a * fh[c] }
            }
        }
    }

    /// W (O, C) with column c scaled by gamma[c].
    static func scaledColumns(_ w: [Float], outFeatures O: Int, C: Int, gamma: [Float]) -> [Float] {
        var m = w
        for o in 0..<O { for c in 0..<C { m[o * C + c] *= gamma[c] } }
        return m
    }

    /// rows (R, C) times m^T (O, C) -> (R, O).
    static func times(_ rows: [Float], count R: Int, C: Int, _ m: [Float], outFeatures O: Int) -> [Float] {
        var out = [Float](repeating: 0, count: R * O)
        guard R > 0 else { return out }
        rows.withUnsafeBufferPointer { a in m.withUnsafeBufferPointer { b in out.withUnsafeMutableBufferPointer { o in
            Kernels.gemmABt(m: R, n: O, k: C, a: a.baseAddress!, lda: C, b: b.baseAddress!, ldb: C, c: o.baseAddress!, ldc: O)
        } } }
        return out
    }

    /// Centres each row of `v` (rows, C) in place (LayerNorm's P).
    static func centre(_ v: inout [Float], C: Int) {
        let rows = v.count / C
        for r in 0..<rows {
            var mean: Double = 0
            for c in 0..<C { mean += Double(v[r * C + c]) }
            let m = Float(mean / Double(C))
            for c in 0..<C { v[r * C + c] -= m }
        }
    }

    /// pre[r] = (A[i] - sum_h alpha[h,i,j] B[h,j]) * scale[r] + shift   (R, O).
    static func assemble(A: UnsafePointer<Float>, B: UnsafePointer<Float>, alpha: UnsafePointer<Float>, T: Int, NH: Int, O: Int,
                         pairs: [(j: Int, i: Int)], scale: UnsafePointer<Float>, shift: UnsafePointer<Float>?,
                         into pre: UnsafeMutablePointer<Float>) {
        Parallel.forEach(pairs.count) { r in
            let (j, i) = pairs[r]
            let row = pre + r * O
            row.update(from: A + i * O, count: O)
            for h in 0..<NH {
                let a = alpha[(h * T + i) * T + j]
                if a == 0 { continue }
                let bh = B + (h * T + j) * O
                for o in 0..<O { row[o] -= a * bh[o] }
            }
            let s = scale[r]
            if let shift { for o in 0..<O { row[o] = row[o] * s + shift[o] } } else { for o in 0..<O { row[o] *= s } }
        }
    }
}

/// BERT: h1 = LN1(y') = gamma1 P(y') / s' + beta1; pre = W_1 h1 + b_1 = (W_1 gamma1 P y_i -
/// sum_h alpha W_1 gamma1 P f^h_j) / s' + (W_1 beta1 + b_1); out = LN2(W_2 act(pre) + b_2 + h1).
final class BertLayerZeroing: LayerZeroing {
    let encoder: BertEncoder, layer: Int, T: Int, NH: Int, C: Int, I: Int
    let y: [Float], f: [Float]
    /// W_1 gamma1 P y_i (T, I); W_1 gamma1 P f^h_j (NH*T, I); W_1 beta1 + b_1 (I).
    let A: [Float], B: [Float], shift: [Float]

    init(encoder: BertEncoder, layer l: Int, y: [Float], T: Int, f: [Float], NH: Int) {
        self.encoder = encoder; self.layer = l; self.T = T; self.NH = NH
        let w = encoder.layers[l], C = encoder.config.hiddenSize, I = encoder.config.intermediateSize
        self.C = C; self.I = I; self.y = y; self.f = f
        let m = ZeroingMath.scaledColumns(w.intermediateDense.plainWeight(), outFeatures: I, C: C, gamma: w.selfOutputLayerNormWeight)
        var py = y, pf = f
        ZeroingMath.centre(&py, C: C); ZeroingMath.centre(&pf, C: C)
        A = ZeroingMath.times(py, count: T, C: C, m, outFeatures: I)
        B = ZeroingMath.times(pf, count: NH * T, C: C, m, outFeatures: I)
        var shift = w.intermediateDense.bias ?? [Float](repeating: 0, count: I)
        if let beta = w.selfOutputLayerNormBias {
            let plain = w.intermediateDense.plainWeight()
            for o in 0..<I { var s: Float = 0; for c in 0..<C { s += plain[o * C + c] * beta[c] }; shift[o] += s }
        }
        self.shift = shift
    }

    func outputs(alpha: UnsafePointer<Float>, pairs: [(j: Int, i: Int)], into output: UnsafeMutablePointer<Float>) {
        let R = pairs.count, C = C, I = I, w = encoder.layers[layer], eps = encoder.config.layerNormEps
        guard R > 0 else { return }
        var rows = [Float](repeating: 0, count: R * C), inverse = [Float](repeating: 0, count: R)
        rows.withUnsafeMutableBufferPointer { rp in y.withUnsafeBufferPointer { yp in f.withUnsafeBufferPointer { fp in
            ZeroingMath.zeroedRows(y: yp.baseAddress!, f: fp.baseAddress!, alpha: alpha, T: T, NH: NH, C: C, pairs: pairs, into: rp.baseAddress!)
        } } }
        // h1 = LN1(y') in place; 1 / s' per row.
        let gamma = w.selfOutputLayerNormWeight, beta = w.selfOutputLayerNormBias
        rows.withUnsafeMutableBufferPointer { rp in inverse.withUnsafeMutableBufferPointer { ip in
            let Rp = rp.baseAddress!, Ip = ip.baseAddress!
            Parallel.forEach(R) { r in
                let row = Rp + r * C
                var mean: Double = 0
                for c in 0..<C { mean += Double(row[c]) }
                let m = Float(mean / Double(C))
                var v: Double = 0
                for c in 0..<C { let d = Double(row[c] - m); v += d * d }
                let inv = Float(1 / (v / Double(C) + Double(eps)).squareRoot())
                Ip[r] = inv
                for c in 0..<C { row[c] = (row[c] - m) * inv * gamma[c] + (beta?[c] ?? 0) }
            }
        } }
        var inter = [Float](repeating: 0, count: R * I)
        A.withUnsafeBufferPointer { ap in B.withUnsafeBufferPointer { bp in inverse.withUnsafeBufferPointer { ip in
            shift.withUnsafeBufferPointer { sp in inter.withUnsafeMutableBufferPointer { op in
                ZeroingMath.assemble(A: ap.baseAddress!, B: bp.baseAddress!, alpha: alpha, T: T, NH: NH, O: I, pairs: pairs,
                                     scale: ip.baseAddress!, shift: sp.baseAddress!, into: op.baseAddress!)
            } }
        } } }
        inter.withUnsafeMutableBufferPointer { encoder.activation.apply($0.baseAddress!, count: R * I) }
        var p = [Float](repeating: 0, count: R * C)
        inter.withUnsafeBufferPointer { ip in p.withUnsafeMutableBufferPointer { w.outputDense.forward(ip.baseAddress!, rows: R, into: $0.baseAddress!) } }
        for k in 0..<(R * C) { p[k] += rows[k] }
        p.withUnsafeBufferPointer { pp in
            w.outputLayerNormWeight.withUnsafeBufferPointer { g in
                if let b2 = w.outputLayerNormBias {
                    b2.withUnsafeBufferPointer { Kernels.layerNorm(pp.baseAddress!, rows: R, cols: C, gamma: g.baseAddress!, beta: $0.baseAddress!, eps: eps, out: output) }
                } else {
                    Kernels.layerNorm(pp.baseAddress!, rows: R, cols: C, gamma: g.baseAddress!, beta: nil, eps: eps, out: output)
                }
            }
        }
    }
}

/// Llama: x = gamma y' / r'; gate = W_g x = (W_g gamma y_i - sum_h alpha W_g gamma f^h_j) / r',
/// likewise up; out = y' + W_down(silu(gate) * up).
final class LlamaLayerZeroing: LayerZeroing {
    let decoder: LlamaDecoder, layer: Int, T: Int, NH: Int, C: Int, I: Int
    let y: [Float], f: [Float]
    let Ag: [Float], Bg: [Float], Au: [Float], Bu: [Float]

    init(decoder: LlamaDecoder, layer l: Int, y: [Float], T: Int, f: [Float], NH: Int) {
        self.decoder = decoder; self.layer = l; self.T = T; self.NH = NH
        let w = decoder.layers[l], C = decoder.config.hiddenSize, I = decoder.config.intermediateSize
        self.C = C; self.I = I; self.y = y; self.f = f
        let g = ZeroingMath.scaledColumns(w.gateProj.plainWeight(), outFeatures: I, C: C, gamma: w.postAttentionLayerNorm)
        let u = ZeroingMath.scaledColumns(w.upProj.plainWeight(), outFeatures: I, C: C, gamma: w.postAttentionLayerNorm)
        Ag = ZeroingMath.times(y, count: T, C: C, g, outFeatures: I)
        Bg = ZeroingMath.times(f, count: NH * T, C: C, g, outFeatures: I)
        Au = ZeroingMath.times(y, count: T, C: C, u, outFeatures: I)
        Bu = ZeroingMath.times(f, count: NH * T, C: C, u, outFeatures: I)
    }

    func outputs(alpha: UnsafePointer<Float>, pairs: [(j: Int, i: Int)], into output: UnsafeMutablePointer<Float>) {
        let R = pairs.count, C = C, I = I, w = decoder.layers[layer], eps = decoder.config.rmsNormEps
        guard R > 0 else { return }
        var rows = [Float](repeating: 0, count: R * C), inverse = [Float](repeating: 0, count: R)
        rows.withUnsafeMutableBufferPointer { rp in y.withUnsafeBufferPointer { yp in f.withUnsafeBufferPointer { fp in
            ZeroingMath.zeroedRows(y: yp.baseAddress!, f: fp.baseAddress!, alpha: alpha, T: T, NH: NH, C: C, pairs: pairs, into: rp.baseAddress!)
        } } }
        for r in 0..<R {
            var sum = 0.0
            for c in 0..<C { sum += Double(rows[r * C + c]) * Double(rows[r * C + c]) }
            inverse[r] = Float(1 / (sum / Double(C) + Double(eps)).squareRoot())
        }
        var gate = [Float](repeating: 0, count: R * I), up = gate
        inverse.withUnsafeBufferPointer { ip in
            Ag.withUnsafeBufferPointer { a in Bg.withUnsafeBufferPointer { b in gate.withUnsafeMutableBufferPointer { o in
                ZeroingMath.assemble(A: a.baseAddress!, B: b.baseAddress!, alpha: alpha, T: T, NH: NH, O: I, pairs: pairs,
                                     scale: ip.baseAddress!, shift: nil, into: o.baseAddress!)
            } } }
            Au.withUnsafeBufferPointer { a in Bu.withUnsafeBufferPointer { b in up.withUnsafeMutableBufferPointer { o in
                ZeroingMath.assemble(A: a.baseAddress!, B: b.baseAddress!, alpha: alpha, T: T, NH: NH, O: I, pairs: pairs,
                                     scale: ip.baseAddress!, shift: nil, into: o.baseAddress!)
            } } }
        }
        gate.withUnsafeMutableBufferPointer { g in up.withUnsafeBufferPointer { Kernels.siluMul(g.baseAddress!, $0.baseAddress!, count: R * I) } }
        gate.withUnsafeBufferPointer { w.downProj.forward($0.baseAddress!, rows: R, into: output) }
        for k in 0..<(R * C) { output[k] += rows[k] }
    }
}

extension BertEncoder: ValueZeroingRerunning {
    public func zeroing(layer: Int, residualSum y: [Float], tokens T: Int, headVectors f: [Float], heads NH: Int) -> LayerZeroing {
        BertLayerZeroing(encoder: self, layer: layer, y: y, T: T, f: f, NH: NH)
    }
}

extension LlamaDecoder: ValueZeroingRerunning {
    public func zeroing(layer: Int, residualSum y: [Float], tokens T: Int, headVectors f: [Float], heads NH: Int) -> LayerZeroing {
        LlamaLayerZeroing(decoder: self, layer: layer, y: y, T: T, f: f, NH: NH)
    }
}
