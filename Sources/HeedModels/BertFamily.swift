// The BERT family in the registry: BERT, DistilBERT, ELECTRA, RoBERTa and XLM-RoBERTa from a
// transformers directory (config.json + safetensors, the names of modeling_bert.py and its
// siblings), and BERT from a GGUF file (llama.cpp's LLM_ARCH_BERT: `general.architecture`
// "bert", its `bert.*` keys and its tensor names `token_embd.weight`, `blk.N.attn_q.weight`, ...,
// as convert_hf_to_gguf.py writes them).

import Foundation
import HeedCheckpoints

/// Post-LN encoders of the BERT family (`BertEncoder`).
public enum BertFamily: ModelFamily {
    public static let architectures = ModelConfig.Family.allCases.map { $0.rawValue }

    public static func load(architecture: String, from source: ModelSource) throws -> TransformerModel {
        switch source {
        case let .transformers(_, configURL, weights):
            let config: ModelConfig
            do { config = try ModelConfig.load(from: configURL) } catch let e as CheckpointError {
                throw ModelLoadError(file: e.file, problem: e.problem)
            }
            return try BertEncoder(config: config, weights: weights, names: EncoderWeightNames(family: config.family))
        case let .gguf(file, _, weights):
            let config = try ggufConfig(file, weights: weights)
            return try BertEncoder(config: config, weights: weights, names: EncoderWeightNames(ggufFamily: config.family))
        }
    }

    public static func checkConfig(architecture: String, configURL: URL) throws {
        do { _ = try ModelConfig.load(from: configURL) } catch let e as CheckpointError {
            throw ModelLoadError(file: e.file, problem: e.problem)
        }
    }

    public static func describe(architecture: String, configURL: URL) -> (shape: ModelShape, attentionNorm: NormSpec)? {
        guard let config = try? ModelConfig.load(from: configURL) else { return nil }
        return (ModelShape(family: config.family.rawValue, layers: config.numLayers, heads: config.numHeads,
                           hidden: config.hiddenSize, maxTokens: config.maxTokens, causal: false), .postLayerNorm)
    }

    public static func describe(gguf file: GGUFFile, architecture: String) -> (shape: ModelShape, attentionNorm: NormSpec)? {
        guard let c = try? ggufConfig(file, weights: GGUFWeights(file: file)) else { return nil }
        return (ModelShape(family: c.family.rawValue, layers: c.numLayers, heads: c.numHeads, hidden: c.hiddenSize,
                           maxTokens: c.maxTokens, causal: false), .postLayerNorm)
    }

    /// The config.json a GGUF BERT stands for, from llama.cpp's keys (`bert.block_count`,
    /// `bert.embedding_length`, `bert.feed_forward_length`, `bert.attention.head_count`,
    /// `bert.attention.layer_norm_epsilon`, `tokenizer.ggml.padding_token_id`) and the embedding
    /// tensors' rows (vocabulary, positions, token types). GGUF does not record the activation:
    /// BERT's "gelu" (erf) is assumed, as transformers' BertConfig defaults it.
    /// Throws `GGUFError` for a missing key or tensor, `ModelLoadError` for values config.json
    /// would refuse.
    static func ggufConfig(_ file: GGUFFile, weights: GGUFWeights) throws -> ModelConfig {
        let path = file.url.path
        func key(_ name: String) throws -> Int {
            guard let n = try file.int("bert.\(name)") else {
                throw GGUFError(file: path, rule: .missingKey, problem: "no bert.\(name) key")
            }
            return n
        }
        func rows(_ tensor: String) throws -> Int {
            guard let shape = weights.shape(of: tensor), shape.count == 2 else {
                throw GGUFError(file: path, rule: .missingKey, problem: "no 2-dimensional tensor named '\(tensor)'")
            }
            return shape[0]
        }
        let eps = try file.float("bert.attention.layer_norm_epsilon") ?? 1e-12
        let typeVocab = weights.has("token_types.weight") ? try rows("token_types.weight") : 0
        let pad = try file.int("tokenizer.ggml.padding_token_id") ?? 0
        let json = """
        {"model_type": "bert", "vocab_size": \(try rows("token_embd.weight")), "hidden_size": \(try key("embedding_length")),
         "num_hidden_layers": \(try key("block_count")), "num_attention_heads": \(try key("attention.head_count")),
         "intermediate_size": \(try key("feed_forward_length")), "max_position_embeddings": \(try rows("position_embd.weight")),
         "type_vocab_size": \(typeVocab), "layer_norm_eps": \(Double(eps)), "hidden_act": "gelu", "pad_token_id": \(pad)}
        """
        do { return try ModelConfig(json: Data(json.utf8), file: path) } catch let e as CheckpointError {
            throw ModelLoadError(file: path, problem: "the bert.* keys describe a model Heed cannot build: \(e.problem)")
        }
    }
}
