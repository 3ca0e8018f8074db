// A Marian encoder-decoder (transformers models/marian/modeling_marian.py, MarianMTModel): BART's
// network with static sinusoidal positions (MarianSinusoidalPositionalEmbedding: sin of
// pos / 10000^(2k/C) in columns k < C/2, cos in the second half, computed in double and stored as
// float), embeddings times sqrt(C) with `scale_embedding`, no embedding LayerNorm and no final
// LayerNorm, post-LN layers (x = LN(x + Attn(x)); x = LN(x + fc2(act(fc1(x))))), the decoder's
// self-attention causal and its cross-attention (`encoder_attn`) reading the encoder output, then
// logits = lm_head(decoder output) + final_logits_bias. Every attention projection has a bias.
// One unpadded sentence pair per call; teacher forcing: the decoder reads `decoder_input_ids`
// (`shift_tokens_right`: decoder_start_token_id, then the target without its last token) and
// row t of the logits scores target token t.

import Foundation
import HeedCheckpoints
import HeedKernels

/// One attention block's weights: q/k/v/out projections (C, C) with biases and the LayerNorm
/// after the residual sum.
struct MarianAttentionWeights {
    let q: Linear, k: Linear, v: Linear, out: Linear
    let lnWeight: [Float], lnBias: [Float]?
}

struct MarianLayerWeights {
    let selfAttention: MarianAttentionWeights
    /// The decoder's `encoder_attn` (nil in encoder layers).
    let crossAttention: MarianAttentionWeights?
    let fc1: Linear, fc2: Linear
    let finalLNWeight: [Float], finalLNBias: [Float]?
}

/// The outcome of one teacher-forced pass (`MarianModel.forwardSeq2Seq`).
public struct Seq2SeqResult {
    /// The encoder's pass over the source: L_enc + 1 hidden states (S, C), its self-attention taps.
    public let encoder: ForwardResult
    /// The decoder's pass over the decoder input ids: L_dec + 1 hidden states (T, C), and per
    /// decoder layer its self-attention taps (T x T, causal) then its cross-attention taps
    /// (`AttentionSite(layer:kind: .crossAttention)`, T x S: queries from the decoder stream,
    /// keys and values from the encoder output).
    public let decoder: ForwardResult
    /// (T, V_dec) logits, row t scoring the token after decoder input t (target token t); empty
    /// when not asked for.
    public let logits: [Float]
}

/// A Marian encoder-decoder with its weights in memory. As a `TransformerModel` it is its encoder
/// (the source side: `forward` runs the encoder alone); `forwardSeq2Seq` runs both sides.
public final class MarianModel: @unchecked Sendable {
    public let config: MarianConfig
    let activation: MarianActivation
    /// Embedding matrices (V, C) of the source and target side (the same array when shared).
    let encoderEmbedding: [Float], decoderEmbedding: [Float]
    /// The sinusoidal table (max_position_embeddings, C).
    let positions: [Float]
    let encoderLayers: [MarianLayerWeights], decoderLayers: [MarianLayerWeights]
    /// lm_head (V_dec, C) with final_logits_bias (zeros when the file has none).
    let lmHead: Linear
    public let loadNotes: [String]
    static let layerNormEps: Float = 1e-5  // nn.LayerNorm's default; MarianConfig has no eps

    /// Reads every tensor by modeling_marian.py's names: `model.shared.weight` (or
    /// `model.encoder.embed_tokens.weight` / `model.decoder.embed_tokens.weight`),
    /// `model.{encoder,decoder}.layers.N.{self_attn,encoder_attn}.{q,k,v,out}_proj.{weight,bias}`,
    /// `..._layer_norm.{weight,bias}`, `fc1`, `fc2`, `final_layer_norm`, `lm_head.weight` (else the
    /// decoder embedding, tied), `final_logits_bias` (1, V_dec). Throws `ModelLoadError` naming the
    /// tensor (missing, wrong shape).
    public init(config: MarianConfig, weights: WeightSource) throws {
        let C = config.dModel, V = config.vocabSize, VD = config.decoderVocabSize
        let source = weights.sourceFileName
        var converted: [String: Int] = [:]
        func plain(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard weights.has(name) else { throw ModelLoadError(file: source, problem: "no tensor named \(name): not a complete marian checkpoint") }
            let t = try weights.tensor(name)
            guard t.shape == shape else {
                throw ModelLoadError(file: weights.fileName(holding: name) ?? source, problem: "tensor \(name) has shape \(t.shape), expected \(shape) from the model's configuration")
            }
            if let type = weights.storedType(of: name), type != "F32" { converted[type, default: 0] += 1 }
            return t.data
        }
        func linear(_ prefix: String, _ out: Int, _ inp: Int) throws -> Linear {
            let bias = weights.has(prefix + ".bias") ? try plain(prefix + ".bias", [out]) : nil
            return .dense(weight: try plain(prefix + ".weight", [out, inp]), bias: bias, outFeatures: out, inFeatures: inp)
        }
        func attention(_ prefix: String, ln: String) throws -> MarianAttentionWeights {
            MarianAttentionWeights(q: try linear(prefix + ".q_proj", C, C), k: try linear(prefix + ".k_proj", C, C),
                                   v: try linear(prefix + ".v_proj", C, C), out: try linear(prefix + ".out_proj", C, C),
                                   lnWeight: try plain(ln + ".weight", [C]), lnBias: weights.has(ln + ".bias") ? try plain(ln + ".bias", [C]) : nil)
        }
        func layer(_ prefix: String, ffn: Int, cross: Bool) throws -> MarianLayerWeights {
            MarianLayerWeights(
                selfAttention: try attention(prefix + ".self_attn", ln: prefix + ".self_attn_layer_norm"),
                crossAttention: cross ? try attention(prefix + ".encoder_attn", ln: prefix + ".encoder_attn_layer_norm") : nil,
                fc1: try linear(prefix + ".fc1", ffn, C), fc2: try linear(prefix + ".fc2", C, ffn),
                finalLNWeight: try plain(prefix + ".final_layer_norm.weight", [C]),
                finalLNBias: weights.has(prefix + ".final_layer_norm.bias") ? try plain(prefix + ".final_layer_norm.bias", [C]) : nil)
        }
        guard let activation = MarianActivation(config.activation) else {
            throw ModelLoadError(file: "config.json", problem: "unsupported activation_function \"\(config.activation)\"")
        }
        self.config = config
        self.activation = activation
        if config.shareEmbeddings && weights.has("model.shared.weight") {
            encoderEmbedding = try plain("model.shared.weight", [V, C])
            decoderEmbedding = VD == V ? encoderEmbedding : try plain("model.decoder.embed_tokens.weight", [VD, C])
        } else {
            encoderEmbedding = try plain(weights.has("model.encoder.embed_tokens.weight") ? "model.encoder.embed_tokens.weight" : "model.shared.weight", [V, C])
            decoderEmbedding = try plain(weights.has("model.decoder.embed_tokens.weight") ? "model.decoder.embed_tokens.weight" : "model.shared.weight", [VD, C])
        }
        encoderLayers = try (0..<config.encoderLayers).map { try layer("model.encoder.layers.\($0)", ffn: config.encoderFFN, cross: false) }
        decoderLayers = try (0..<config.decoderLayers).map { try layer("model.decoder.layers.\($0)", ffn: config.decoderFFN, cross: true) }
        let head = weights.has("lm_head.weight") ? try plain("lm_head.weight", [VD, C]) : decoderEmbedding
        let bias = weights.has("final_logits_bias") ? try plain("final_logits_bias", [1, VD]) : [Float](repeating: 0, count: VD)
        lmHead = .dense(weight: head, bias: bias, outFeatures: VD, inFeatures: C)
        positions = Self.sinusoidalPositions(count: config.maxPositionEmbeddings, dimension: C)
        loadNotes = converted.sorted { $0.key < $1.key }.map { "\(source): converted \($0.value) \($0.key) tensor\($0.value == 1 ? "" : "s") to f32 at load" }
    }

    /// MarianSinusoidalPositionalEmbedding.create_weight: (count, dimension); column k of the
    /// first ceil(C/2) is sin(pos / 10000^(2k/C)), column k of the rest cos(pos / 10000^(2k/C)).
    static func sinusoidalPositions(count: Int, dimension C: Int) -> [Float] {
        let sentinel = (C + 1) / 2
        var table = [Float](repeating: 0, count: count * C)
        for pos in 0..<count {
            for j in 0..<C {
                // position_enc[pos, j] = pos / 10000^(2 * (j // 2) / C); sin of even j, cos of odd j.
                let angle = Double(pos) / Foundation.pow(10000.0, Double(2 * (j / 2)) / Double(C))
                if j % 2 == 0 { table[pos * C + j / 2] = Float(Foundation.sin(angle)) }
                else { table[pos * C + sentinel + j / 2] = Float(Foundation.cos(angle)) }
            }
        }
        return table
    }

    /// The decoder input that teacher-forces `target` (its ids, `</s>` included):
    /// shift_tokens_right, decoder_start_token_id followed by every target id but the last.
    public func decoderInput(forTarget target: [Int]) -> [Int] {
        [config.decoderStartTokenID] + target.dropLast()
    }

    private func check(_ ids: [Int], vocab: Int) throws {
        guard !ids.isEmpty else { throw ForwardError.emptyInput }
        guard ids.count <= config.maxPositionEmbeddings else { throw ForwardError.tooLong(tokens: ids.count, limit: config.maxPositionEmbeddings) }
        for id in ids where id < 0 || id >= vocab { throw ForwardError.tokenOutOfRange(id: id, vocabSize: vocab) }
    }

    /// embed_tokens(ids) * embed_scale + positions   (T, C).
    private func embed(_ ids: [Int], table: [Float]) -> [Float] {
        let C = config.dModel
        let scale: Float = config.scaleEmbedding ? Float(Double(C).squareRoot()) : 1
        var x = [Float](repeating: 0, count: ids.count * C)
        for (t, id) in ids.enumerated() {
            for c in 0..<C { x[t * C + c] = table[id * C + c] * scale + positions[t * C + c] }
        }
        return x
    }

    /// MarianAttention + residual + LayerNorm (post-LN): queries from `x` (Tq, C), keys and values
    /// from `kv` (Tk, C); `causal` masks key j > i. Returns alpha (NH, Tq, Tk), v (Tk, C), the
    /// residual sum y = x + out_proj(context) (Tq, C) and LN(y) (Tq, C).
    private func attentionBlock(_ w: MarianAttentionWeights, x: [Float], kv: [Float], Tq: Int, Tk: Int, heads NH: Int, causal: Bool)
        -> (alpha: [Float], v: [Float], y: [Float], out: [Float]) {
        let C = config.dModel, HS = C / NH
        var q = [Float](repeating: 0, count: Tq * C), k = [Float](repeating: 0, count: Tk * C), v = [Float](repeating: 0, count: Tk * C)
        x.withUnsafeBufferPointer { xp in q.withUnsafeMutableBufferPointer { w.q.forward(xp.baseAddress!, rows: Tq, into: $0.baseAddress!) } }
        kv.withUnsafeBufferPointer { kp in
            k.withUnsafeMutableBufferPointer { w.k.forward(kp.baseAddress!, rows: Tk, into: $0.baseAddress!) }
            v.withUnsafeMutableBufferPointer { w.v.forward(kp.baseAddress!, rows: Tk, into: $0.baseAddress!) }
        }
        let scale = 1 / Float(HS).squareRoot()
        var alpha = [Float](repeating: 0, count: NH * Tq * Tk)
        var context = [Float](repeating: 0, count: Tq * C)
        q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            alpha.withUnsafeMutableBufferPointer { ap in context.withUnsafeMutableBufferPointer { cp in
                for h in 0..<NH {
                    let scores = ap.baseAddress! + h * Tq * Tk
                    Kernels.gemmABt(m: Tq, n: Tk, k: HS, a: qp.baseAddress! + h * HS, lda: C, b: kp.baseAddress! + h * HS, ldb: C, c: scores, ldc: Tk)
                    if causal {
                        for i in 0..<Tq {
                            let visible = min(i + 1, Tk)
                            Kernels.softmaxRows(scores + i * Tk, rows: 1, cols: visible, scale: scale)
                            for j in visible..<Tk { scores[i * Tk + j] = 0 }
                        }
                    } else {
                        Kernels.softmaxRows(scores, rows: Tq, cols: Tk, scale: scale)
                    }
                    Kernels.gemmAB(m: Tq, n: HS, k: Tk, a: scores, lda: Tk, b: vp.baseAddress! + h * HS, ldb: C, c: cp.baseAddress! + h * HS, ldc: C)
                }
            } }
        } } }
        var y = [Float](repeating: 0, count: Tq * C)
        context.withUnsafeBufferPointer { cp in y.withUnsafeMutableBufferPointer { w.out.forward(cp.baseAddress!, rows: Tq, into: $0.baseAddress!) } }
        for i in 0..<(Tq * C) { y[i] += x[i] }
        let out = layerNorm(y, rows: Tq, gamma: w.lnWeight, beta: w.lnBias)
        return (alpha, v, y, out)
    }

    func layerNorm(_ x: [Float], rows: Int, gamma: [Float], beta: [Float]?) -> [Float] {
        let C = config.dModel
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
            if let beta {
                Kernels.layerNorm(xp.baseAddress!, rows: rows, cols: C, gamma: gamma, beta: beta, eps: Self.layerNormEps, out: op.baseAddress!)
            } else {
                Kernels.layerNorm(xp.baseAddress!, rows: rows, cols: C, gamma: gamma, beta: nil, eps: Self.layerNormEps, out: op.baseAddress!)
            }
        } }
        return out
    }

    /// fc2(act(fc1(x))) + x, then final_layer_norm   (T, C).
    func feedForward(_ w: MarianLayerWeights, _ x: [Float], rows T: Int) -> [Float] {
        let C = config.dModel, F = w.fc1.outFeatures
        var inner = [Float](repeating: 0, count: T * F)
        x.withUnsafeBufferPointer { xp in inner.withUnsafeMutableBufferPointer { ip in
            w.fc1.forward(xp.baseAddress!, rows: T, into: ip.baseAddress!)
            activation.apply(ip.baseAddress!, count: T * F)
        } }
        var y = [Float](repeating: 0, count: T * C)
        inner.withUnsafeBufferPointer { ip in y.withUnsafeMutableBufferPointer { w.fc2.forward(ip.baseAddress!, rows: T, into: $0.baseAddress!) } }
        for i in 0..<(T * C) { y[i] += x[i] }
        return layerNorm(y, rows: T, gamma: w.finalLNWeight, beta: w.finalLNBias)
    }

    /// One site's taps at `level`: alpha from `.attention`, x, v, y and LN(y) at `.full`.
    private func taps(_ site: AttentionSite, _ w: MarianAttentionWeights, level: TapLevel, heads NH: Int, Tq: Int, Tk: Int, causal: Bool,
                      x: [Float], block: (alpha: [Float], v: [Float], y: [Float], out: [Float])) -> LayerTaps {
        let C = config.dModel
        let parameters = AttentionOutputParameters(output: w.out, norm: .postLayerNorm, normWeight: w.lnWeight, normBias: w.lnBias,
                                                   normEps: Self.layerNormEps)
        var tap = LayerTaps(site: site, geometry: AttentionGeometry(heads: NH, kvHeads: NH, headSize: C / NH, queries: Tq, keys: Tk),
                            mask: causal ? .causal : .none, parameters: parameters)
        tap.attention = Tensor(shape: [NH, Tq, Tk], data: block.alpha)
        if level == .full {
            tap.input = Tensor(shape: [Tq, C], data: x)
            tap.values = Tensor(shape: [Tk, C], data: block.v)
            tap.residualSum = Tensor(shape: [Tq, C], data: block.y)
            tap.normalizedSum = Tensor(shape: [Tq, C], data: block.out)
        }
        return tap
    }

    /// MarianEncoder.forward on the source ids (their `</s>` included). Throws `ForwardError`.
    public func encode(_ ids: [Int], taps request: TapRequest, isCancelled: () -> Bool = { false }) throws -> ForwardResult {
        try check(ids, vocab: config.vocabSize)
        let S = ids.count, C = config.dModel, NH = config.encoderHeads
        var x = embed(ids, table: encoderEmbedding)
        var hidden = [Tensor(shape: [S, C], data: x)]
        var recorded: [LayerTaps] = []
        for (l, layer) in encoderLayers.enumerated() {
            if isCancelled() { throw ForwardError.cancelled }
            let block = attentionBlock(layer.selfAttention, x: x, kv: x, Tq: S, Tk: S, heads: NH, causal: false)
            let level = request.level(for: l)
            if level != .none {
                try request.deliver(taps(AttentionSite(layer: l), layer.selfAttention, level: level, heads: NH, Tq: S, Tk: S, causal: false,
                                         x: x, block: block), to: &recorded)
            }
            x = feedForward(layer, block.out, rows: S)
            hidden.append(Tensor(shape: [S, C], data: x))
        }
        return ForwardResult(tokenIDs: ids, hiddenStates: hidden, layers: recorded)
    }

    /// The teacher-forced pass: the encoder over `source`, then the decoder over `decoderInput`
    /// (see `decoderInput(forTarget:)`) with cross-attention over the encoder's last hidden
    /// state, and with `logits` the (T, V_dec) logits. `encoderTaps` / `decoderTaps` say which
    /// layers record what (a decoder layer records both its sites at its level). Throws
    /// `ForwardError` (empty, too long, an id outside its side's vocabulary, cancelled).
    public func forwardSeq2Seq(source: [Int], decoderInput: [Int], encoderTaps: TapRequest = TapRequest(.attention),
                               decoderTaps: TapRequest = TapRequest(.attention), logits wantLogits: Bool = true,
                               isCancelled: () -> Bool = { false }) throws -> Seq2SeqResult {
        try check(decoderInput, vocab: config.decoderVocabSize)
        let encoder = try encode(source, taps: encoderTaps, isCancelled: isCancelled)
        let memory = encoder.hiddenStates.last!.data
        let S = source.count, T = decoderInput.count, C = config.dModel, NH = config.decoderHeads
        var x = embed(decoderInput, table: decoderEmbedding)
        var hidden = [Tensor(shape: [T, C], data: x)]
        var recorded: [LayerTaps] = []
        for (l, layer) in decoderLayers.enumerated() {
            if isCancelled() { throw ForwardError.cancelled }
            let level = decoderTaps.level(for: l)
            let selfBlock = attentionBlock(layer.selfAttention, x: x, kv: x, Tq: T, Tk: T, heads: NH, causal: true)
            if level != .none {
                try decoderTaps.deliver(taps(AttentionSite(layer: l), layer.selfAttention, level: level, heads: NH, Tq: T, Tk: T, causal: true,
                                             x: x, block: selfBlock), to: &recorded)
            }
            let cross = layer.crossAttention!
            let crossBlock = attentionBlock(cross, x: selfBlock.out, kv: memory, Tq: T, Tk: S, heads: NH, causal: false)
            if level != .none {
                try decoderTaps.deliver(taps(AttentionSite(layer: l, kind: .crossAttention), cross, level: level, heads: NH, Tq: T, Tk: S,
                                             causal: false, x: selfBlock.out, block: crossBlock), to: &recorded)
            }
            x = feedForward(layer, crossBlock.out, rows: T)
            hidden.append(Tensor(shape: [T, C], data: x))
        }
        var logits: [Float] = []
        if wantLogits {
            logits = [Float](repeating: 0, count: T * config.decoderVocabSize)
            x.withUnsafeBufferPointer { xp in logits.withUnsafeMutableBufferPointer { lmHead.forward(xp.baseAddress!, rows: T, into: $0.baseAddress!) } }
        }
        return Seq2SeqResult(encoder: encoder, decoder: ForwardResult(tokenIDs: decoderInput, hiddenStates: hidden, layers: recorded), logits: logits)
    }
}

extension MarianModel: TransformerModel {
    public var family: String { "marian" }
    public var layerCount: Int { config.encoderLayers }
    public var headCount: Int { config.encoderHeads }
    public var hiddenSize: Int { config.dModel }
    public var intermediateSize: Int { config.encoderFFN }
    public var attentionNorm: NormSpec { .postLayerNorm }
    public var causal: Bool { false }
    public var maxTokens: Int { config.maxPositionEmbeddings }
    public var embeddingRows: Int { config.vocabSize }
    public var weightBytes: Int {
        let layers = (encoderLayers + decoderLayers).reduce(0) { n, l in
            let blocks = [l.selfAttention] + (l.crossAttention.map { [$0] } ?? [])
            return n + blocks.reduce(0) { $0 + $1.q.byteCount + $1.k.byteCount + $1.v.byteCount + $1.out.byteCount + 8 * $1.lnWeight.count }
                + l.fc1.byteCount + l.fc2.byteCount + 8 * l.finalLNWeight.count
        }
        let shared = encoderEmbedding.count + (config.shareEmbeddings && config.vocabSize == config.decoderVocabSize ? 0 : decoderEmbedding.count)
        return layers + 4 * (shared + positions.count) + lmHead.byteCount
    }
    /// The encoder's pass (the source side); `finalHiddenState` is ignored (the encoder has no
    /// block after its last attention to skip cheaply). Next-token logits need the decoder and a
    /// source: `forwardSeq2Seq`.
    public func forward(_ ids: [Int], taps: TapRequest, finalHiddenState: Bool, isCancelled: () -> Bool) throws -> ForwardResult {
        try encode(ids, taps: taps, isCancelled: isCancelled)
    }
    public var hasLanguageModelHead: Bool { false }
    public func nextTokenLogits(_ result: ForwardResult) throws -> [Float] { throw predictionUnavailable }
}
