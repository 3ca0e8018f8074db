// Llama-family decoders: Llama, Mistral, Qwen2. Mirrors transformers/models/llama/modeling_llama.py
// (LlamaRMSNorm, LlamaRotaryEmbedding, LlamaAttention with eager_attention_forward and
// repeat_kv, LlamaMLP, LlamaDecoderLayer, LlamaModel, LlamaForCausalLM); Mistral adds a sliding
// window to the causal mask (modeling_mistral.py), Qwen2 biases on q/k/v (modeling_qwen2.py).
// Pre-norm blocks: h + attention(RMSNorm(h)), then + MLP(RMSNorm(.)). The weights come from any
// `WeightSource` by the names of `DecoderWeightNames` (transformers' or llama.cpp's);
// `LlamaFamily` registers the architectures. A single unpadded sequence per call, positions
// 0 ..< T.

import Foundation
import HeedCheckpoints
import HeedKernels

/// One LlamaDecoderLayer's weights, named as modeling_llama.py names its modules.
struct DecoderLayerWeights {
    /// input_layernorm (RMSNorm) weight (C).
    let inputLayerNorm: [Float]
    /// self_attn.q_proj (NH*HS, C), k_proj (NKV*HS, C), v_proj (NKV*HS, C), o_proj (C, NH*HS).
    let qProj: Linear, kProj: Linear, vProj: Linear, oProj: Linear
    /// post_attention_layernorm (RMSNorm) weight (C).
    let postAttentionLayerNorm: [Float]
    /// mlp.gate_proj (I, C), mlp.up_proj (I, C), mlp.down_proj (C, I).
    let gateProj: Linear, upProj: Linear, downProj: Linear
    /// Keys a query sees: the last `slidingWindow` positions, or all earlier ones (nil).
    let slidingWindow: Int?
}

/// The LM head: lm_head (V, C) as a Linear, or the input embedding it is tied to, read in
/// place (no second copy): the plain f32 rows, or a quantised Linear over the embedding's own
/// mapped blocks.
enum LanguageModelHead {
    case linear(Linear)
    case tiedPlain([Float])
    case tiedQuantized(Linear)
}

/// A Llama-family decoder with its weights in memory, ready for forward passes.
public final class LlamaDecoder: @unchecked Sendable {
    public let config: DecoderConfig
    /// embed_tokens (V, C).
    let embedTokens: EmbeddingTable
    let layers: [DecoderLayerWeights]
    /// model.norm (RMSNorm) weight (C).
    let finalNorm: [Float]
    let lmHead: LanguageModelHead
    let rotary: RotaryEmbedding
    public let loadNotes: [String]

    init(config: DecoderConfig, embedTokens: EmbeddingTable, layers: [DecoderLayerWeights], finalNorm: [Float],
         lmHead: LanguageModelHead, rotary: RotaryEmbedding, loadNotes: [String]) {
        self.config = config; self.embedTokens = embedTokens; self.layers = layers; self.finalNorm = finalNorm
        self.lmHead = lmHead; self.rotary = rotary; self.loadNotes = loadNotes
    }

    /// Runs the decoder on T token ids (one unpadded sequence; LlamaModel.forward, eager
    /// attention, positions 0 ..< T), recording the taps `request` asks for (per layer: alpha
    /// (NH, T, T), and at `.full` h (T, C), v (T, NKV*HS), y (T, C)). `hiddenStates` are the
    /// residual stream, L + 1 tensors (T, C) (L without the last MLP when `finalHiddenState` is
    /// false): the embeddings, then each layer's output, the last one before model.norm (unlike
    /// transformers' output_hidden_states, which normalises its last entry). `isCancelled` is
    /// checked between layers. Throws `ForwardError` for an empty, too long or out-of-vocabulary
    /// input or when cancelled, and what the taps' consumer throws.
    public func forward(_ ids: [Int], taps request: TapRequest, finalHiddenState: Bool = true,
                        isCancelled: () -> Bool = { false }) throws -> ForwardResult {
        let T = ids.count, C = config.hiddenSize, NH = config.numHeads, NKV = config.numKeyValueHeads, HS = config.headSize
        let I = config.intermediateSize, QD = NH * HS, KVD = NKV * HS
        try ForwardError.check(ids, limit: config.maxPositionEmbeddings, vocabSize: config.vocabSize)
        Parallel.prewake()

        var h = embeddings(ids)
        var hidden = [Tensor(shape: [T, C], data: h)]
        var recorded: [LayerTaps] = []
        let (cos, sin) = rotary.tables(positions: T)
        var x = [Float](repeating: 0, count: T * C)
        var q = [Float](repeating: 0, count: T * QD), k = [Float](repeating: 0, count: T * KVD)
        var context = [Float](repeating: 0, count: T * QD)
        var gate = [Float](repeating: 0, count: T * I), up = [Float](repeating: 0, count: T * I)
        // Scratch for v in layers that do not record it (allocated on first use).
        var scratchValues: [Float] = []
        let geometry = AttentionGeometry(heads: NH, kvHeads: NKV, headSize: HS, queries: T, keys: T)

        for (l, layer) in layers.enumerated() {
            if isCancelled() { throw ForwardError.cancelled }
            let taps = request.level(for: l)
            // LlamaDecoderLayer: hidden_states = residual + self_attn(input_layernorm(hidden_states))
            Self.rmsNorm(h, rows: T, cols: C, weight: layer.inputLayerNorm, eps: config.rmsNormEps, into: &x)
            x.withUnsafeBufferPointer { xp in
                q.withUnsafeMutableBufferPointer { layer.qProj.forward(xp.baseAddress!, rows: T, into: $0.baseAddress!) }
                k.withUnsafeMutableBufferPointer { layer.kProj.forward(xp.baseAddress!, rows: T, into: $0.baseAddress!) }
            }
            // v is kept by the taps at .full: a fresh array each layer then.
            var v = Self.reuse(&scratchValues, if: taps != .full, count: T * KVD)
            x.withUnsafeBufferPointer { xp in v.withUnsafeMutableBufferPointer { layer.vProj.forward(xp.baseAddress!, rows: T, into: $0.baseAddress!) } }
            q.withUnsafeMutableBufferPointer { rotary.apply($0.baseAddress!, rows: T, heads: NH, rowStride: QD, cos: cos, sin: sin) }
            k.withUnsafeMutableBufferPointer { rotary.apply($0.baseAddress!, rows: T, heads: NKV, rowStride: KVD, cos: cos, sin: sin) }
            // alpha (NH, T, T) only for a layer that records it.
            var probs = taps == .none ? [] : uninitializedFloats(NH * T * T) { _ in }
            if taps == .none {
                attention(q: q, k: k, v: v, window: layer.slidingWindow, T: T, probs: nil, context: &context)
            } else {
                probs.withUnsafeMutableBufferPointer { attention(q: q, k: k, v: v, window: layer.slidingWindow, T: T, probs: $0.baseAddress!, context: &context) }
            }
            // y = h + o_proj(attn_output): the residual stream after the attention block.
            let y = uninitializedFloats(T * C) { y in
                context.withUnsafeBufferPointer { layer.oProj.forward($0.baseAddress!, rows: T, into: y) }
                h.withUnsafeBufferPointer { hp in for i in 0..<(T * C) { y[i] += hp[i] } }
            }
            if taps != .none {
                let mask: AttentionMask = layer.slidingWindow.map { w in .rows((0..<T).map { max(0, $0 - w + 1)..<($0 + 1) }) } ?? .causal
                var tap = LayerTaps(site: AttentionSite(layer: l), geometry: geometry, mask: mask,
                                    parameters: AttentionOutputParameters(output: layer.oProj, norm: .preRMSNorm, normWeight: layer.inputLayerNorm,
                                                                          normBias: nil, normEps: config.rmsNormEps))
                tap.attention = Tensor(shape: [NH, T, T], data: probs)
                if taps == .full {
                    tap.input = Tensor(shape: [T, C], data: h)
                    tap.values = Tensor(shape: [T, KVD], data: v)
                    tap.residualSum = Tensor(shape: [T, C], data: y)
                }
                try request.deliver(tap, to: &recorded)
            }
            if taps != .full { scratchValues = v }
            if l == layers.count - 1 && !finalHiddenState { break }
            // hidden_states = residual + mlp(post_attention_layernorm(hidden_states))
            Self.rmsNorm(y, rows: T, cols: C, weight: layer.postAttentionLayerNorm, eps: config.rmsNormEps, into: &x)
            x.withUnsafeBufferPointer { xp in
                gate.withUnsafeMutableBufferPointer { layer.gateProj.forward(xp.baseAddress!, rows: T, into: $0.baseAddress!) }
                up.withUnsafeMutableBufferPointer { layer.upProj.forward(xp.baseAddress!, rows: T, into: $0.baseAddress!) }
            }
            gate.withUnsafeMutableBufferPointer { g in up.withUnsafeBufferPointer { Kernels.siluMul(g.baseAddress!, $0.baseAddress!, count: T * I) } }
            h = uninitializedFloats(T * C) { out in
                gate.withUnsafeBufferPointer { layer.downProj.forward($0.baseAddress!, rows: T, into: out) }
                y.withUnsafeBufferPointer { yp in for i in 0..<(T * C) { out[i] += yp[i] } }
            }
            hidden.append(Tensor(shape: [T, C], data: h))
        }
        return ForwardResult(tokenIDs: ids, hiddenStates: hidden, layers: recorded)
    }

    /// `scratch`'s buffer (moved out, so writing it copies nothing) when `reusable` and it has
    /// one, else a fresh array of `count` floats; the caller writes every element.
    static func reuse(_ scratch: inout [Float], if reusable: Bool, count: Int) -> [Float] {
        if reusable && scratch.count == count {
            defer { scratch = [] }
            return scratch
        }
        return uninitializedFloats(count) { _ in }
    }

    /// embed_tokens(input_ids): (T, C).
    func embeddings(_ ids: [Int]) -> [Float] {
        let C = config.hiddenSize
        return uninitializedFloats(ids.count * C) { e in
            for (t, id) in ids.enumerated() { embedTokens.withRow(id) { (e + t * C).update(from: $0, count: C) } }
        }
    }

    /// Query rows per block of `attention`: the scores of a block are (rows x visible keys).
    static let attentionRowBlock = 64

    /// eager_attention_forward with repeat_kv: per query head h (K/V head h / (NH / NKV)),
    /// alpha = softmax(q_h k^T * HS^-0.5 + causal (and sliding-window) mask), context[:, h] =
    /// alpha v (T, NH*HS). Computed in blocks of query rows against only the keys they may see
    /// (about half the work of the full T x T for a causal mask). `probs` (NH, T, T) receives
    /// alpha, zero where masked; nil: alpha is not kept, each head uses a block-sized scratch.
    func attention(q: [Float], k: [Float], v: [Float], window: Int?, T: Int, probs: UnsafeMutablePointer<Float>?,
                   context: inout [Float]) {
        let NH = config.numHeads, NKV = config.numKeyValueHeads, HS = config.headSize, QD = NH * HS, KVD = NKV * HS
        let group = NH / NKV, B = Self.attentionRowBlock
        let scale = 1 / Float(HS).squareRoot()
        q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            context.withUnsafeMutableBufferPointer { cp in
                let ctx = cp.baseAddress!
                Parallel.forEach(NH) { h in
                    let g = h / group
                    let scratch = probs == nil ? UnsafeMutablePointer<Float>.allocate(capacity: B * T) : nil
                    defer { scratch?.deallocate() }
                    for i0 in stride(from: 0, to: T, by: B) {
                        let i1 = min(T, i0 + B), rows = i1 - i0
                        let lo = window.map { max(0, i0 - $0 + 1) } ?? 0, hi = i1
                        // scores (rows, hi - lo): in place in alpha (row stride T), or in the scratch.
                        let (scores, ld) = probs.map { ($0 + (h * T + i0) * T + lo, T) } ?? (scratch!, hi - lo)
                        Kernels.gemmABt(m: rows, n: hi - lo, k: HS, a: qp.baseAddress! + i0 * QD + h * HS, lda: QD,
                                        b: kp.baseAddress! + lo * KVD + g * HS, ldb: KVD, c: scores, ldc: ld)
                        for r in 0..<rows {
                            let i = i0 + r, row = scores + r * ld
                            let first = window.map { max(0, i - $0 + 1) } ?? 0   // visible keys first...i
                            Kernels.softmaxRows(row + (first - lo), rows: 1, cols: i + 1 - first, scale: scale)
                            if first > lo { row.update(repeating: 0, count: first - lo) }
                            if i + 1 < hi { (row + (i + 1 - lo)).update(repeating: 0, count: hi - i - 1) }
                            if let probs {
                                let full = probs + (h * T + i) * T
                                if lo > 0 { full.update(repeating: 0, count: lo) }
                                if hi < T { (full + hi).update(repeating: 0, count: T - hi) }
                            }
                        }
                        Kernels.gemmAB(m: rows, n: HS, k: hi - lo, a: scores, lda: ld, b: vp.baseAddress! + lo * KVD + g * HS, ldb: KVD,
                                       c: ctx + i0 * QD + h * HS, ldc: QD)
                    }
                }
            }
        } } }
    }

    /// LlamaRMSNorm: out = weight * x / sqrt(mean(x^2) + eps) per row of `cols` (mean in double).
    static func rmsNorm(_ x: [Float], rows: Int, cols: Int, weight: [Float], eps: Float, into out: inout [Float]) {
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in weight.withUnsafeBufferPointer { wp in
            for r in 0..<rows {
                let p = xp.baseAddress! + r * cols, o = op.baseAddress! + r * cols
                var sum = 0.0
                for c in 0..<cols { sum += Double(p[c]) * Double(p[c]) }
                let inv = Float(1 / (sum / Double(cols) + Double(eps)).squareRoot())
                for c in 0..<cols { o[c] = wp[c] * (p[c] * inv) }
            }
        } } }
    }
}

extension LlamaDecoder: TransformerModel {
    public var family: String { config.modelType }
    public var layerCount: Int { config.numLayers }
    public var headCount: Int { config.numHeads }
    public var hiddenSize: Int { config.hiddenSize }
    public var intermediateSize: Int { config.intermediateSize }
    public var attentionNorm: NormSpec { .preRMSNorm }
    public var causal: Bool { true }
    public var maxTokens: Int { config.maxPositionEmbeddings }
    public var embeddingRows: Int { config.vocabSize }
    public var hasLanguageModelHead: Bool { true }

    public var weightBytes: Int {
        let head: Int
        switch lmHead {
        case let .linear(l): head = l.byteCount
        case .tiedPlain, .tiedQuantized: head = 0   // the embedding's own array or blocks
        }
        return layers.reduce(embedTokens.byteCount + head + 4 * finalNorm.count) { n, l in
            n + l.qProj.byteCount + l.kProj.byteCount + l.vProj.byteCount + l.oProj.byteCount + l.gateProj.byteCount
                + l.upProj.byteCount + l.downProj.byteCount + 4 * (l.inputLayerNorm.count + l.postAttentionLayerNorm.count)
        }
    }

    /// LlamaForCausalLM: lm_head(model.norm(h_T)) for the last position (V logits). A pass that
    /// stopped before the last layer's MLP is completed by running the ids again.
    public func nextTokenLogits(_ result: ForwardResult) throws -> [Float] {
        var states = result.hiddenStates
        if states.count != layers.count + 1 {
            states = try forward(result.tokenIDs, taps: .none, finalHiddenState: true, isCancelled: { false }).hiddenStates
        }
        let C = config.hiddenSize, V = config.vocabSize
        let last = Array(states[layers.count].data[(result.tokenCount - 1) * C ..< result.tokenCount * C])
        var normed = [Float](repeating: 0, count: C)
        Self.rmsNorm(last, rows: 1, cols: C, weight: finalNorm, eps: config.rmsNormEps, into: &normed)
        var logits = [Float](repeating: 0, count: V)
        normed.withUnsafeBufferPointer { np in logits.withUnsafeMutableBufferPointer { lp in
            switch lmHead {
            case let .linear(l), let .tiedQuantized(l): l.forward(np.baseAddress!, rows: 1, into: lp.baseAddress!)
            case let .tiedPlain(e):
                e.withUnsafeBufferPointer { Kernels.gemmABt(m: 1, n: V, k: C, a: np.baseAddress!, lda: C, b: $0.baseAddress!, ldb: C, c: lp.baseAddress!, ldc: V) }
            }
        } }
        return logits
    }
}
