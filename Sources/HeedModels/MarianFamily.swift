// The Marian family in the registry: transformers' `marian` encoder-decoder translation models
// (MarianMTModel, models/marian/modeling_marian.py; the Helsinki-NLP opus-mt checkpoints) from a
// transformers directory: config.json + safetensors with modeling_marian.py's tensor names. No
// GGUF (llama.cpp has no Marian architecture).

import Foundation
import HeedCheckpoints
import HeedJSON
import HeedKernels
import HeedTokenizers

/// config.json of a `marian` model (MarianConfig, transformers 5.23.0), the fields Heed runs.
public struct MarianConfig: Equatable, Sendable {
    /// V (source side and shared embeddings); `decoder_vocab_size` (the target side, the logits).
    public var vocabSize: Int, decoderVocabSize: Int
    /// C.
    public var dModel: Int
    public var encoderLayers: Int, decoderLayers: Int
    public var encoderHeads: Int, decoderHeads: Int
    /// The feed-forward widths.
    public var encoderFFN: Int, decoderFFN: Int
    /// `activation_function`: "swish"/"silu", "gelu", "relu", "gelu_new".
    public var activation: String
    /// Positions of the sinusoidal table (the longest source or decoder input).
    public var maxPositionEmbeddings: Int
    /// Embeddings multiplied by sqrt(C).
    public var scaleEmbedding: Bool
    /// `share_encoder_decoder_embeddings` (then `model.shared.weight` serves both sides).
    public var shareEmbeddings: Bool
    public var padTokenID: Int, decoderStartTokenID: Int, eosTokenID: Int

    /// Reads config.json. Throws `ModelLoadError` naming the file and the field (missing,
    /// ill-typed or not positive; `d_model` not a multiple of either side's heads; an
    /// activation Heed does not run; `normalize_before` or `add_final_layer_norm` true, which
    /// modeling_marian.py ignores but which would mean another network).
    public static func load(from url: URL) throws -> MarianConfig {
        let path = url.path
        guard let data = try? Data(contentsOf: url),
              let object = (try? JSONParser.parse(data, options: .configuration))?.objectValue else {
            throw ModelLoadError(file: path, problem: "not a readable JSON object")
        }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            if let raw = object[key], !raw.isNull {
                guard let n = raw.intValue else { throw ModelLoadError(file: path, problem: "\(key) must be an integer") }
                return n
            }
            guard let value else { throw ModelLoadError(file: path, problem: "no \(key)") }
            return value
        }
        func positive(_ key: String, default value: Int? = nil) throws -> Int {
            let n = try int(key, default: value)
            guard n > 0 else { throw ModelLoadError(file: path, problem: "\(key) must be positive, found \(n)") }
            return n
        }
        func bool(_ key: String, default value: Bool) throws -> Bool {
            guard let raw = object[key], !raw.isNull else { return value }
            guard let b = raw.boolValue else { throw ModelLoadError(file: path, problem: "\(key) must be true or false") }
            return b
        }
        // MarianConfig's defaults (configuration_marian.py).
        let vocab = try positive("vocab_size", default: 58101)
        var c = MarianConfig(
            vocabSize: vocab, decoderVocabSize: try positive("decoder_vocab_size", default: vocab),
            dModel: try positive("d_model", default: 1024),
            encoderLayers: try positive("encoder_layers", default: 12), decoderLayers: try positive("decoder_layers", default: 12),
            encoderHeads: try positive("encoder_attention_heads", default: 16), decoderHeads: try positive("decoder_attention_heads", default: 16),
            encoderFFN: try positive("encoder_ffn_dim", default: 4096), decoderFFN: try positive("decoder_ffn_dim", default: 4096),
            activation: object["activation_function"]?.stringValue ?? "gelu",
            maxPositionEmbeddings: try positive("max_position_embeddings", default: 1024),
            scaleEmbedding: try bool("scale_embedding", default: false),
            shareEmbeddings: try bool("share_encoder_decoder_embeddings", default: true),
            padTokenID: try int("pad_token_id", default: 58100), decoderStartTokenID: 0, eosTokenID: try int("eos_token_id", default: 0))
        c.decoderStartTokenID = try int("decoder_start_token_id", default: c.padTokenID)
        for (heads, key) in [(c.encoderHeads, "encoder_attention_heads"), (c.decoderHeads, "decoder_attention_heads")] where c.dModel % heads != 0 {
            throw ModelLoadError(file: path, problem: "d_model \(c.dModel) is not a multiple of \(key) \(heads)")
        }
        guard MarianActivation(c.activation) != nil else {
            throw ModelLoadError(file: path, problem: "unsupported activation_function \"\(c.activation)\" (supported: swish, silu, gelu, gelu_new, relu)")
        }
        for key in ["normalize_before", "add_final_layer_norm", "normalize_embedding"] where try bool(key, default: false) {
            throw ModelLoadError(file: path, problem: "\(key) is true: Heed runs Marian's post-LN network only (modeling_marian.py)")
        }
        guard (0..<c.decoderVocabSize).contains(c.decoderStartTokenID) else {
            throw ModelLoadError(file: path, problem: "decoder_start_token_id \(c.decoderStartTokenID) is outside the target vocabulary (\(c.decoderVocabSize))")
        }
        return c
    }
}

/// Marian encoder-decoders (`MarianModel`).
public enum MarianFamily: ModelFamily {
    public static let architectures = ["marian"]

    public static func load(architecture: String, from source: ModelSource) throws -> TransformerModel {
        switch source {
        case let .transformers(_, configURL, weights):
            return try MarianModel(config: MarianConfig.load(from: configURL), weights: weights)
        case let .gguf(file, _, _):
            throw ModelLoadError(file: file.url.path, problem: "Marian models load from a transformers directory (config.json + safetensors), not GGUF")
        }
    }

    public static func checkConfig(architecture: String, configURL: URL) throws {
        _ = try MarianConfig.load(from: configURL)
    }

    /// Marian has no GGUF form (llama.cpp has no such architecture).
    public static func describe(gguf file: GGUFFile, architecture: String) -> (shape: ModelShape, attentionNorm: NormSpec)? { nil }

    public static func describe(architecture: String, configURL: URL) -> (shape: ModelShape, attentionNorm: NormSpec)? {
        guard let c = try? MarianConfig.load(from: configURL) else { return nil }
        return (ModelShape(family: "marian", layers: c.encoderLayers, heads: c.encoderHeads, hidden: c.dModel,
                           maxTokens: c.maxPositionEmbeddings, causal: false), .postLayerNorm)
    }
}

/// Marian's `activation_function`.
enum MarianActivation {
    case silu, gelu, geluTanh, relu

    init?(_ name: String) {
        switch name {
        case "swish", "silu": self = .silu
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh": self = .geluTanh
        case "relu": self = .relu
        default: return nil
        }
    }

    func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .silu: for i in 0..<count { x[i] = x[i] / (1 + Foundation.exp(-x[i])) }
        case .gelu: Kernels.gelu(x, count: count)
        case .geluTanh: Kernels.geluTanh(x, count: count)
        case .relu: for i in 0..<count where x[i] < 0 { x[i] = 0 }
        }
    }
}

extension MarianModel {
    /// A Marian directory's network and tokenizer (config.json, safetensors, source.spm,
    /// target.spm, vocab.json). Throws `ModelLoadError` naming the file.
    public static func load(directory: URL) throws -> (model: MarianModel, tokenizer: MarianTokenizer) {
        let configURL = directory.appendingPathComponent("config.json")
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(directory: directory) } catch let e as CheckpointError {
            throw ModelLoadError(file: e.file, problem: e.problem)
        }
        let model = try MarianModel(config: MarianConfig.load(from: configURL), weights: checkpoint)
        let tokenizer: MarianTokenizer
        do { tokenizer = try MarianTokenizer(directory: directory) } catch {
            throw ModelLoadError(file: directory.path, problem: "the Marian tokenizer: \(error)")
        }
        return (model, tokenizer)
    }
}
