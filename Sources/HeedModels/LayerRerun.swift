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
