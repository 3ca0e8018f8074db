import Foundation
import HeedCheckpoints
import HeedKernels

// Post-LN encoders of the BERT family: BERT, DistilBERT, ELECTRA, RoBERTa, XLM-RoBERTa.
// Mirrors transformers/models/bert/modeling_bert.py (BertEmbeddings, BertSelfAttention with
// eager attention, BertSelfOutput, BertIntermediate, BertOutput); the family differences are
// the weight names (EncoderWeightNames: one table per family and file format), RoBERTa's
// position ids, ELECTRA's embedding projection and DistilBERT's missing token types. The weights
// come from any `WeightSource` (safetensors or GGUF); `BertFamily` registers the architectures.
// A single unpadded sequence per call.

/// One BertLayer's weights, named as modeling_bert.py names its modules. Q, K and V are fused
/// into one (3C, C) projection. A bias the checkpoint does not have is nil (the Linear or
/// LayerNorm was built with `bias=False`).
struct BertLayerWeights {
    /// BertSelfAttention.query / .key / .value fused: (3C, C), rows [W_Q; W_K; W_V].
    let selfQKV: Linear
    /// BertSelfOutput.dense: (C, C): W_O, which the analysis reads per head from this Linear
    /// (no plain copy is kept).
    let selfOutputDense: Linear
    /// BertSelfOutput.LayerNorm: gamma (C), beta (C) or nil.
    let selfOutputLayerNormWeight: [Float], selfOutputLayerNormBias: [Float]?
    /// BertIntermediate.dense: (I, C).
    let intermediateDense: Linear
    /// BertOutput.dense: (C, I).
    let outputDense: Linear
    /// BertOutput.LayerNorm: gamma (C), beta (C) or nil.
    let outputLayerNormWeight: [Float], outputLayerNormBias: [Float]?
}

/// Activation of the feed-forward block, from config.json's hidden_act.
enum Activation {
    case geluErf, geluTanh, relu

    init(_ name: String) throws {
        switch name {
        case "gelu": self = .geluErf
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        case "relu": self = .relu
        default: throw ModelLoadError(file: "config.json", problem: "unsupported hidden_act \"\(name)\" (supported: gelu, gelu_new, gelu_pytorch_tanh, relu)")
        }
    }

    func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .geluErf: Kernels.gelu(x, count: count)
        case .geluTanh: Kernels.geluTanh(x, count: count)
        case .relu: for i in 0..<count where x[i] < 0 { x[i] = 0 }
        }
    }
}

/// A model that failed to load: the file and the reason.
public struct ModelLoadError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String
    public init(file: String, problem: String) { self.file = file; self.problem = problem }
    public var description: String { "\(file): \(problem)" }
}

/// A BERT-family encoder with its weights in memory, ready for forward passes.
public final class BertEncoder: @unchecked Sendable {
    public let config: ModelConfig
    let activation: Activation
    // Embeddings: word (V, E), position (P, E), token type row 0 (E) or nil, LayerNorm (E).
    /// word_embeddings (V, E): f32, or kept quantised from GGUF (rows dequantised when looked up).
    let wordEmbeddings: EmbeddingTable
    let positionEmbeddings: [Float]
    let tokenTypeRow: [Float]?
    let embLNWeight: [Float], embLNBias: [Float]?
    let embeddingsProject: Linear?      // ELECTRA: (C, E)
    let layers: [BertLayerWeights]
    /// What loading did with tensors not stored as F32: "kept 12 Q8_0 tensors quantised",
    /// "dequantised 3 F16 tensors to f32 at load".
    public let loadNotes: [String]

    /// Loads the weights of `config`'s family from `checkpoint` by transformers' names (see
    /// `init(config:weights:)`).
    public convenience init(config: ModelConfig, checkpoint: Checkpoint) throws {
        try self.init(config: config, weights: checkpoint, names: EncoderWeightNames(family: config.family))
    }

    /// Loads the weights of `config`'s family from `weights` by transformers' names. Every
    /// weight is required; biases (of the Linears and LayerNorms) are optional, but a bias role
    /// is present in every layer or in none: a checkpoint that has it for some layers only is
    /// incomplete. Throws `ModelLoadError` naming the tensor (missing weight, wrong shape,
    /// partial bias), or the source's error for a tensor it cannot read.
    public convenience init(config: ModelConfig, weights: WeightSource) throws {
        try self.init(config: config, weights: weights, names: EncoderWeightNames(family: config.family))
    }

    /// As `init(config:weights:)`, with the tensor names of `names`.
    init(config: ModelConfig, weights checkpoint: WeightSource, names: EncoderWeightNames) throws {
        self.config = config
        self.activation = try Activation(config.hiddenAct)
        let prefix = names.prefixes.first { checkpoint.has($0 + names.name(.wordEmbeddings)) }
        guard let prefix else {
            throw ModelLoadError(file: checkpoint.sourceFileName, problem: "no tensor named \(names.name(.wordEmbeddings)) (with or without a base-model prefix): not a \(config.family.rawValue) checkpoint")
        }
        let C = config.hiddenSize, E = config.embeddingSize, I = config.intermediateSize, L = config.numLayers
        let loader = WeightLoader(checkpoint, shapesFrom: "config.json")
        func load(_ role: EncoderTensor, layer: Int = 0, _ shape: [Int]) throws -> [Float] {
            try loader.plain(prefix + names.name(role, layer: layer), shape)
        }
        func blocks(_ role: EncoderTensor, layer: Int, _ shape: [Int]) throws -> GGUFTensorData? {
            try loader.blocks(prefix + names.name(role, layer: layer), shape)
        }
        /// A Linear of weight `role` (OC, C) and bias: kept quantised when it can be, else packed f32.
        func linear(_ role: EncoderTensor, layer: Int, _ shape: [Int], bias b: [Float]?) throws -> Linear {
            try loader.linear(prefix + names.name(role, layer: layer), shape, bias: b)
        }
        /// A bias: nil when the checkpoint has no tensor of that name.
        func bias(_ role: EncoderTensor, layer: Int = 0, _ count: Int) throws -> [Float]? {
            checkpoint.has(prefix + names.name(role, layer: layer)) ? try load(role, layer: layer, [count]) : nil
        }
        for role in EncoderTensor.layerBiases {
            let present = (0..<L).map { checkpoint.has(prefix + names.name(role, layer: $0)) }
            if present.contains(true), let missing = present.firstIndex(of: false) {
                throw ModelLoadError(file: checkpoint.sourceFileName, problem: "no tensor named \(prefix + names.name(role, layer: missing)), while layer \(present.firstIndex(of: true)!) has one: a bias is in every layer or in none")
            }
        }
        wordEmbeddings = try loader.embedding(prefix + names.name(.wordEmbeddings), [config.vocabSize, E])
        positionEmbeddings = try load(.positionEmbeddings, [config.maxPositionEmbeddings, E])
        if config.family == .distilbert || config.typeVocabSize == 0 {
            tokenTypeRow = nil
        } else {
            tokenTypeRow = Array(try load(.tokenTypeEmbeddings, [config.typeVocabSize, E])[0..<E])
        }
        embLNWeight = try load(.embeddingsLNWeight, [E])
        embLNBias = try bias(.embeddingsLNBias, E)
        if E != C {
            embeddingsProject = Linear.dense(weight: try load(.embeddingsProjectWeight, [C, E]),
                                             bias: try bias(.embeddingsProjectBias, C), outFeatures: C, inFeatures: E)
        } else {
            embeddingsProject = nil
        }
        var layers: [BertLayerWeights] = []
        for l in 0..<L {
            // Q, K and V may each lack a bias (some families drop only K's): the fused bias has
            // zeros there, and is nil when none of the three has one.
            let qkvBiases = try [EncoderTensor.queryBias, .keyBias, .valueBias].map { try bias($0, layer: l, C) }
            let qkvBias: [Float]? = qkvBiases.allSatisfy { $0 == nil } ? nil
                : qkvBiases.flatMap { $0 ?? [Float](repeating: 0, count: C) }
            // One (3C, C) projection: Q, K and V kept quantised are stacked, each read in place
            // from the file's blocks (no fused copy); otherwise fused as f32.
            let qkvBlocks = try [EncoderTensor.queryWeight, .keyWeight, .valueWeight].map { try blocks($0, layer: l, [C, C]) }
            let selfQKV: Linear
            if let q = qkvBlocks[0], let k = qkvBlocks[1], let v = qkvBlocks[2] {
                selfQKV = .stacked(try zip([q, k, v], qkvBiases).map { b, bias in
                    try loader.quantized(b, bias: bias, outFeatures: C, inFeatures: C)
                })
            } else {
                let qkvWeight = try load(.queryWeight, layer: l, [C, C]) + load(.keyWeight, layer: l, [C, C]) + load(.valueWeight, layer: l, [C, C])
                selfQKV = .dense(weight: qkvWeight, bias: qkvBias, outFeatures: 3 * C, inFeatures: C)
            }
            let attnOutBias = try bias(.attnOutBias, layer: l, C)
            layers.append(BertLayerWeights(
                selfQKV: selfQKV,
                selfOutputDense: try linear(.attnOutWeight, layer: l, [C, C], bias: attnOutBias),
                selfOutputLayerNormWeight: try load(.attnLNWeight, layer: l, [C]), selfOutputLayerNormBias: try bias(.attnLNBias, layer: l, C),
                intermediateDense: try linear(.ffnInWeight, layer: l, [I, C], bias: try bias(.ffnInBias, layer: l, I)),
                outputDense: try linear(.ffnOutWeight, layer: l, [C, I], bias: try bias(.ffnOutBias, layer: l, C)),
                outputLayerNormWeight: try load(.outLNWeight, layer: l, [C]), outputLayerNormBias: try bias(.outLNBias, layer: l, C)))
        }
        self.layers = layers
        self.loadNotes = loader.notes
    }

    /// The position index of each token: 0, 1, ... ; RoBERTa / XLM-R count non-padding tokens
    /// from padding_idx + 1 and give padding tokens padding_idx
    /// (create_position_ids_from_input_ids in modeling_roberta.py).
    func positionIDs(_ ids: [Int]) -> [Int] {
        guard config.positionOffset > 0 else { return Array(0..<ids.count) }
        let pad = config.padTokenId
        var count = 0
        return ids.map { id in
            if id == pad { return pad }
            count += 1
            return count + pad
        }
    }

    /// Runs the encoder on one unpadded sequence (BertModel.forward without pooler).
    /// `isCancelled` is checked between layers. `finalHiddenState: false` stops after the last
    /// layer's attention block (every tap is recorded, the last feed-forward block is skipped):
    /// no analysis reads the last layer's output.
    public func forward(_ ids: [Int], taps request: TapRequest, finalHiddenState: Bool = true,
                        isCancelled: () -> Bool = { false }) throws -> ForwardResult {
        let T = ids.count, C = config.hiddenSize, NH = config.numHeads, HS = config.headSize, I = config.intermediateSize
        try ForwardError.check(ids, limit: config.maxTokens, vocabSize: config.vocabSize)
        // Wake the worker threads now: their wake-up overlaps the embeddings (serial code).
        Parallel.prewake()

        var x = embeddings(ids)
        var hidden = [Tensor(shape: [T, C], data: x)]
        var recorded: [LayerTaps] = []
        // Scratch reused by every layer; what a tap keeps (alpha, y, LayerNorm(y), the layer
        // output) is a fresh buffer per layer, written whole before it is read (no zero fill),
        // and moved into the tap, never copied.
        var qkv = [Float](repeating: 0, count: T * 3 * C)
        var context = [Float](repeating: 0, count: T * C)
        var intermediate = [Float](repeating: 0, count: T * I)

        // BertEncoder.forward: for layer_module in self.layer
        for (l, layer) in layers.enumerated() {
            if isCancelled() { throw ForwardError.cancelled }
            // BertAttention: self_outputs = self.self(hidden_states); attention_output = self.output(self_outputs[0], hidden_states)
            let probs = selfAttention(layer, x, T: T, qkv: &qkv, context: &context)
            let (y, attentionOutput) = selfOutput(layer, context, input: x, T: T)
            let level = request.level(for: l)
            if level != .none {
                try request.deliver(Self.taps(layer: l, level: level, weights: layer, geometry: AttentionGeometry(heads: NH, kvHeads: NH, headSize: HS, queries: T, keys: T),
                                      eps: config.layerNormEps, input: x, probs: probs, qkv: qkv, y: y, h1: attentionOutput), to: &recorded)
            }
            if l == layers.count - 1 && !finalHiddenState { break }
            // BertLayer.feed_forward_chunk: layer_output = self.output(self.intermediate(attention_output), attention_output)
            self.intermediate(layer, attentionOutput, T: T, into: &intermediate)
            x = output(layer, intermediate, input: attentionOutput, T: T)
            hidden.append(Tensor(shape: [T, C], data: x))
        }
        return ForwardResult(tokenIDs: ids, hiddenStates: hidden, layers: recorded)
    }

    /// BertEmbeddings.forward: LayerNorm(word + token_type + position)   (T, E); then ELECTRA's
    /// embeddings_project to (T, C).
    func embeddings(_ ids: [Int]) -> [Float] {
        let T = ids.count, E = config.embeddingSize, C = config.hiddenSize
        var emb = [Float](repeating: 0, count: T * E)
        let positions = positionIDs(ids)
        emb.withUnsafeMutableBufferPointer { e in
            for t in 0..<T {
                let p = positions[t] * E, o = t * E
                wordEmbeddings.withRow(ids[t]) { word in
                    for c in 0..<E { e[o + c] = word[c] + (tokenTypeRow?[c] ?? 0) + positionEmbeddings[p + c] }
                }
            }
        }
        emb.withUnsafeMutableBufferPointer { e in
            Self.layerNorm(e.baseAddress!, rows: T, cols: E, gamma: embLNWeight, beta: embLNBias, eps: config.layerNormEps, out: e.baseAddress!)
        }
        guard let embeddingsProject else { return emb }
        var x = [Float](repeating: 0, count: T * C)
        x.withUnsafeMutableBufferPointer { xp in embeddingsProject.forward(emb, rows: T, into: xp.baseAddress!) }
        return x
    }

    /// BertSelfAttention.forward with eager_attention_forward: q, k, v = query(x), key(x),
    /// value(x) into `qkv` (T, 3C); per head attn_weights = softmax(q_h k_h^T * scaling) (T, T),
    /// returned as alpha (NH, T, T); attn_output = attn_weights @ v_h into `context` (T, C).
    func selfAttention(_ layer: BertLayerWeights, _ x: [Float], T: Int, qkv: inout [Float], context: inout [Float]) -> [Float] {
        let C = config.hiddenSize, NH = config.numHeads, HS = config.headSize
        let scale = 1 / Float(HS).squareRoot()
        x.withUnsafeBufferPointer { xp in qkv.withUnsafeMutableBufferPointer { layer.selfQKV.forward(xp.baseAddress!, rows: T, into: $0.baseAddress!) } }
        return uninitializedFloats(NH * T * T) { pr in
            qkv.withUnsafeBufferPointer { qkvp in
                context.withUnsafeMutableBufferPointer { cp in
                    let q = qkvp.baseAddress!, ctx = cp.baseAddress!
                    Parallel.forEach(NH) { h in
                        let scores = pr + h * T * T
                        Kernels.gemmABt(m: T, n: T, k: HS, a: q + h * HS, lda: 3 * C, b: q + C + h * HS, ldb: 3 * C, c: scores, ldc: T)
                        Kernels.softmaxRows(scores, rows: T, cols: T, scale: scale)
                        // columns h*HS ..< (h+1)*HS of context
                        Kernels.gemmAB(m: T, n: HS, k: T, a: scores, lda: T, b: q + 2 * C + h * HS, ldb: 3 * C, c: ctx + h * HS, ldc: C)
                    }
                }
            }
        }
    }

    /// BertSelfOutput.forward: LayerNorm(dense(hidden_states) + input_tensor). Returns the sum
    /// y (T, C) (the taps' residual sum) and its LayerNorm (T, C).
    func selfOutput(_ layer: BertLayerWeights, _ context: [Float], input x: [Float], T: Int) -> (y: [Float], output: [Float]) {
        let C = config.hiddenSize
        let y = uninitializedFloats(T * C) { y in
            context.withUnsafeBufferPointer { layer.selfOutputDense.forward($0.baseAddress!, rows: T, into: y) }
            x.withUnsafeBufferPointer { xp in for i in 0..<(T * C) { y[i] += xp[i] } }
        }
        let h = uninitializedFloats(T * C) { h in
            y.withUnsafeBufferPointer { yp in
                Self.layerNorm(yp.baseAddress!, rows: T, cols: C, gamma: layer.selfOutputLayerNormWeight, beta: layer.selfOutputLayerNormBias,
                               eps: config.layerNormEps, out: h)
            }
        }
        return (y, h)
    }

    /// BertIntermediate.forward: intermediate_act_fn(dense(hidden_states))   (T, I).
    func intermediate(_ layer: BertLayerWeights, _ h: [Float], T: Int, into inter: inout [Float]) {
        let I = config.intermediateSize
        h.withUnsafeBufferPointer { hp in inter.withUnsafeMutableBufferPointer { ip in
            layer.intermediateDense.forward(hp.baseAddress!, rows: T, into: ip.baseAddress!)
            activation.apply(ip.baseAddress!, count: T * I)
        } }
    }

    /// BertOutput.forward: LayerNorm(dense(hidden_states) + input_tensor)   (T, C).
    func output(_ layer: BertLayerWeights, _ inter: [Float], input h: [Float], T: Int) -> [Float] {
        let C = config.hiddenSize
        return uninitializedFloats(T * C) { op in
            inter.withUnsafeBufferPointer { layer.outputDense.forward($0.baseAddress!, rows: T, into: op) }
            h.withUnsafeBufferPointer { hp in for i in 0..<(T * C) { op[i] += hp[i] } }
            Self.layerNorm(op, rows: T, cols: C, gamma: layer.outputLayerNormWeight, beta: layer.outputLayerNormBias, eps: config.layerNormEps, out: op)
        }
    }

    /// The taps of one layer at `level`: alpha from `.attention` on; x, v (columns 2C..<3C of
    /// qkv), y and LayerNorm(y) at `.full`. Post-LN, no mask, NKV = NH, square.
    static func taps(layer l: Int, level: TapLevel, weights layer: BertLayerWeights, geometry: AttentionGeometry, eps: Float,
                     input x: [Float], probs: [Float], qkv: [Float], y: [Float], h1: [Float]) -> LayerTaps {
        let T = geometry.queries, NH = geometry.heads, C = NH * geometry.headSize
        let parameters = AttentionOutputParameters(output: layer.selfOutputDense, norm: .postLayerNorm, normWeight: layer.selfOutputLayerNormWeight,
                                                   normBias: layer.selfOutputLayerNormBias, normEps: eps)
        var tap = LayerTaps(site: AttentionSite(layer: l), geometry: geometry, mask: .none, parameters: parameters)
        if level != .none { tap.attention = Tensor(shape: [NH, T, T], data: probs) }
        if level == .full {
            tap.input = Tensor(shape: [T, C], data: x)
            let v = uninitializedFloats(T * C) { v in
                qkv.withUnsafeBufferPointer { q in
                    for t in 0..<T { (v + t * C).update(from: q.baseAddress! + t * 3 * C + 2 * C, count: C) }
                }
            }
            tap.values = Tensor(shape: [T, C], data: v)
            tap.residualSum = Tensor(shape: [T, C], data: y)
            tap.normalizedSum = Tensor(shape: [T, C], data: h1)
        }
        return tap
    }

    /// Kernels.layerNorm with gamma (cols) and an optional beta (cols; nil: no bias).
    private static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, cols: Int, gamma: [Float], beta: [Float]?, eps: Float,
                                  out: UnsafeMutablePointer<Float>) {
        if let beta {
            Kernels.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: eps, out: out)
        } else {
            Kernels.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: nil, eps: eps, out: out)
        }
    }
}
