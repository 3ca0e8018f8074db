// The Llama family in the registry: Llama, Mistral and Qwen2 decoders (`LlamaDecoder`) from a
// transformers directory (config.json + safetensors, modeling_llama.py's names) or a GGUF file
// (llama.cpp's LLM_ARCH_LLAMA / LLM_ARCH_QWEN2: `general.architecture` "llama" or "qwen2", the
// `{arch}.*` keys and tensor names `token_embd.weight`, `blk.N.attn_q.weight`, ..., as
// convert_hf_to_gguf.py writes them; Mistral converts to "llama").

import Foundation
import HeedCheckpoints
import HeedKernels

/// The tensor names of one Llama-family file format.
struct DecoderWeightNames {
    enum Role {
        case embedTokens, inputLayerNorm, q, k, v, o, postAttentionLayerNorm, gate, up, down, finalNorm, lmHead
    }
    /// transformers' names (modeling_llama.py) or llama.cpp's (llama-arch.cpp).
    let gguf: Bool

    /// The name of `role`'s weight in layer `layer`; `bias: true` for its bias.
    func name(_ role: Role, layer l: Int = 0, bias: Bool = false) -> String {
        let suffix = bias ? "bias" : "weight"
        if gguf {
            switch role {
            case .embedTokens: return "token_embd.\(suffix)"
            case .finalNorm: return "output_norm.\(suffix)"
            case .lmHead: return "output.\(suffix)"
            case .inputLayerNorm: return "blk.\(l).attn_norm.\(suffix)"
            case .q: return "blk.\(l).attn_q.\(suffix)"
            case .k: return "blk.\(l).attn_k.\(suffix)"
            case .v: return "blk.\(l).attn_v.\(suffix)"
            case .o: return "blk.\(l).attn_output.\(suffix)"
            case .postAttentionLayerNorm: return "blk.\(l).ffn_norm.\(suffix)"
            case .gate: return "blk.\(l).ffn_gate.\(suffix)"
            case .up: return "blk.\(l).ffn_up.\(suffix)"
            case .down: return "blk.\(l).ffn_down.\(suffix)"
            }
        }
        switch role {
        case .embedTokens: return "model.embed_tokens.\(suffix)"
        case .finalNorm: return "model.norm.\(suffix)"
        case .lmHead: return "lm_head.\(suffix)"
        case .inputLayerNorm: return "model.layers.\(l).input_layernorm.\(suffix)"
        case .q: return "model.layers.\(l).self_attn.q_proj.\(suffix)"
        case .k: return "model.layers.\(l).self_attn.k_proj.\(suffix)"
        case .v: return "model.layers.\(l).self_attn.v_proj.\(suffix)"
        case .o: return "model.layers.\(l).self_attn.o_proj.\(suffix)"
        case .postAttentionLayerNorm: return "model.layers.\(l).post_attention_layernorm.\(suffix)"
        case .gate: return "model.layers.\(l).mlp.gate_proj.\(suffix)"
        case .up: return "model.layers.\(l).mlp.up_proj.\(suffix)"
        case .down: return "model.layers.\(l).mlp.down_proj.\(suffix)"
        }
    }
}

/// Pre-norm decoders of the Llama family (`LlamaDecoder`).
public enum LlamaFamily: ModelFamily {
    public static let architectures = DecoderConfig.modelTypes

    public static func load(architecture: String, from source: ModelSource) throws -> TransformerModel {
        switch source {
        case let .transformers(_, configURL, weights):
            let config: DecoderConfig
            do { config = try DecoderConfig.load(from: configURL) } catch let e as CheckpointError {
                throw ModelLoadError(file: e.file, problem: e.problem)
            }
            return try build(config: config, weights: weights, names: DecoderWeightNames(gguf: false), pairing: .halves)
        case let .gguf(file, architecture, weights):
            let config = try ggufConfig(file, architecture: architecture, weights: weights)
            // llama.cpp's converter permutes q/k rows for `llama` (rotary pairs adjacent); `qwen2`
            // keeps transformers' order (NEOX rotary).
            return try build(config: config, weights: weights, names: DecoderWeightNames(gguf: true),
                             pairing: architecture == "llama" ? .adjacent : .halves)
        }
    }

    public static func checkConfig(architecture: String, configURL: URL) throws {
        do { _ = try DecoderConfig.load(from: configURL) } catch let e as CheckpointError {
            throw ModelLoadError(file: e.file, problem: e.problem)
        }
    }

    public static func describe(architecture: String, configURL: URL) -> (shape: ModelShape, attentionNorm: NormSpec)? {
        guard let c = try? DecoderConfig.load(from: configURL) else { return nil }
        return (ModelShape(family: c.modelType, layers: c.numLayers, heads: c.numHeads, hidden: c.hiddenSize,
                           maxTokens: c.maxPositionEmbeddings, causal: true), .preRMSNorm)
    }

    public static func describe(gguf file: GGUFFile, architecture: String) -> (shape: ModelShape, attentionNorm: NormSpec)? {
        guard let c = try? ggufConfig(file, architecture: architecture, weights: GGUFWeights(file: file)) else { return nil }
        return (ModelShape(family: c.modelType, layers: c.numLayers, heads: c.numHeads, hidden: c.hiddenSize,
                           maxTokens: c.maxPositionEmbeddings, causal: true), .preRMSNorm)
    }

    /// The config a GGUF decoder stands for, from llama.cpp's keys (`{arch}.block_count`,
    /// `.context_length`, `.embedding_length`, `.feed_forward_length`, `.attention.head_count`,
    /// `.attention.head_count_kv`, `.attention.key_length`, `.attention.layer_norm_rms_epsilon`,
    /// `.rope.freq_base`, `.rope.scaling.type` / `.factor`, the `rope_freqs.weight` tensor) and
    /// the embedding's rows; tied when there is no `output.weight`. Throws `GGUFError` for a
    /// missing key, `ModelLoadError` for values Heed cannot run.
    static func ggufConfig(_ file: GGUFFile, architecture a: String, weights: GGUFWeights) throws -> DecoderConfig {
        let path = file.url.path
        func key(_ name: String) throws -> Int {
            guard let n = try file.int("\(a).\(name)"), n > 0 else {
                throw GGUFError(file: path, rule: .missingKey, problem: "no positive \(a).\(name) key")
            }
            return n
        }
        guard let embedShape = weights.shape(of: "token_embd.weight"), embedShape.count == 2 else {
            throw GGUFError(file: path, rule: .missingKey, problem: "no 2-dimensional tensor named 'token_embd.weight'")
        }
        let C = try key("embedding_length"), NH = try key("attention.head_count"), L = try key("block_count")
        let NKV = try file.int("\(a).attention.head_count_kv") ?? NH
        let HS = try file.int("\(a).attention.key_length") ?? C / NH
        guard NKV > 0, NH % NKV == 0, HS > 0, HS % 2 == 0 else {
            throw ModelLoadError(file: path, problem: "\(a).attention.head_count \(NH), head_count_kv \(NKV) and key_length \(HS) do not describe grouped-query attention with an even head size")
        }
        if let dims = try file.int("\(a).rope.dimension_count"), dims != HS {
            throw ModelLoadError(file: path, problem: "\(a).rope.dimension_count is \(dims), the head size \(HS): partial rotary embeddings are not supported")
        }
        var scaling: RopeScaling = .none
        if weights.has("rope_freqs.weight") {
            let f = try weights.tensor("rope_freqs.weight")
            guard f.count == HS / 2 else {
                throw ModelLoadError(file: path, problem: "rope_freqs.weight has \(f.count) values; expected head size / 2 = \(HS / 2)")
            }
            scaling = .factors(f.data)
        } else if let type = try file.string("\(a).rope.scaling.type"), type != "none" {
            guard type == "linear", let factor = try file.float("\(a).rope.scaling.factor") else {
                throw ModelLoadError(file: path, problem: "\(a).rope.scaling.type '\(type)' is not supported (supported: none, linear, llama3 as rope_freqs.weight)")
            }
            scaling = .linear(factor: Double(factor))
        }
        let window = try file.int("\(a).attention.sliding_window")
        return DecoderConfig(modelType: a, vocabSize: embedShape[0], hiddenSize: C, numLayers: L, numHeads: NH, numKeyValueHeads: NKV,
                             headSize: HS, intermediateSize: try key("feed_forward_length"), maxPositionEmbeddings: try key("context_length"),
                             rmsNormEps: try file.float("\(a).attention.layer_norm_rms_epsilon") ?? 1e-5,
                             ropeTheta: Double(try file.float("\(a).rope.freq_base") ?? 10000), ropeScaling: scaling,
                             tieWordEmbeddings: !weights.has("output.weight"),
                             slidingWindows: [Int?](repeating: window, count: L))
    }

    /// Reads every weight of `config` from `weights` by `names`: linears kept quantised where
    /// the quantised GEMM reads their format, else f32; biases where the file has them (q/k/v
    /// in Qwen2; every linear with attention_bias / mlp_bias). Throws `ModelLoadError` naming
    /// the tensor (missing, wrong shape).
    static func build(config: DecoderConfig, weights: WeightSource, names: DecoderWeightNames,
                      pairing: RotaryEmbedding.Pairing) throws -> LlamaDecoder {
        let C = config.hiddenSize, I = config.intermediateSize, V = config.vocabSize
        let QD = config.numHeads * config.headSize, KVD = config.numKeyValueHeads * config.headSize
        let loader = WeightLoader(weights, shapesFrom: "the model's configuration")
        func requirePresent(_ name: String) throws {
            guard weights.has(name) else {
                throw ModelLoadError(file: weights.sourceFileName, problem: "no tensor named \(name): not a complete \(config.modelType) checkpoint")
            }
        }
        func plain(_ name: String, _ shape: [Int]) throws -> [Float] {
            try requirePresent(name)
            return try loader.plain(name, shape)
        }
        func linear(_ role: DecoderWeightNames.Role, _ l: Int, _ shape: [Int]) throws -> Linear {
            let biasName = names.name(role, layer: l, bias: true)
            try requirePresent(names.name(role, layer: l))
            return try loader.linear(names.name(role, layer: l), shape, bias: weights.has(biasName) ? try plain(biasName, [shape[0]]) : nil)
        }
        // embed_tokens: kept as blocks when quantised (rows dequantised as looked up).
        let embedName = names.name(.embedTokens)
        try requirePresent(embedName)
        let embedTokens = try loader.embedding(embedName, [V, C])
        var layers: [DecoderLayerWeights] = []
        for l in 0..<config.numLayers {
            layers.append(DecoderLayerWeights(
                inputLayerNorm: try plain(names.name(.inputLayerNorm, layer: l), [C]),
                qProj: try linear(.q, l, [QD, C]), kProj: try linear(.k, l, [KVD, C]), vProj: try linear(.v, l, [KVD, C]),
                oProj: try linear(.o, l, [C, QD]),
                postAttentionLayerNorm: try plain(names.name(.postAttentionLayerNorm, layer: l), [C]),
                gateProj: try linear(.gate, l, [I, C]), upProj: try linear(.up, l, [I, C]), downProj: try linear(.down, l, [C, I]),
                slidingWindow: config.slidingWindows[l]))
        }
        let finalNorm = try plain(names.name(.finalNorm), [C])
        // lm_head: its own tensor, or the input embedding (tie_word_embeddings; GGUF: no output.weight).
        let lmHead: LanguageModelHead
        if !config.tieWordEmbeddings {
            lmHead = .linear(try linear(.lmHead, 0, [V, C]))
        } else {
            switch embedTokens {
            case let .plain(e, _): lmHead = .tiedPlain(e)
            case let .quantized(q) where Linear.keepsQuantized(q):
                lmHead = .tiedQuantized(try loader.quantized(q, bias: nil, outFeatures: V, inFeatures: C))
            case let .quantized(q):
                lmHead = .linear(.dense(weight: try weights.tensor(q.info.name).data, bias: nil, outFeatures: V, inFeatures: C))
                loader.noteConverted(q.format.name)
            }
        }
        let notes = loader.notes
        return LlamaDecoder(config: config, embedTokens: embedTokens, layers: layers, finalNorm: finalNorm, lmHead: lmHead,
                            rotary: RotaryEmbedding(headSize: config.headSize, theta: config.ropeTheta, scaling: config.ropeScaling, pairing: pairing),
                            loadNotes: notes)
    }
}
