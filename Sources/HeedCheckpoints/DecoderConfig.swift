// config.json of Llama-family decoders (llama, mistral, qwen2). Key names and defaults mirror
// transformers 5.23: models/llama/configuration_llama.py, models/mistral/configuration_mistral.py,
// models/qwen2/configuration_qwen2.py, and modeling_rope_utils.py for the rotary parameters
// (`rope_parameters`, or the older `rope_theta` + `rope_scaling`). A key absent from config.json
// takes the default of the family's config class. GGUF files build the same struct from their
// metadata (HeedModels' LlamaFamily).

import Foundation
import HeedJSON

/// How rotary frequencies are scaled (modeling_rope_utils.py's `rope_type`).
public enum RopeScaling: Equatable, Sendable {
    /// inv_freq[i] = theta^(-2i / d).
    case none
    /// "linear": inv_freq / factor.
    case linear(factor: Double)
    /// "llama3": low frequencies divided by `factor`, high ones kept, a smooth blend between
    /// (`_compute_llama3_parameters`).
    case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContext: Int)
    /// Per-frequency divisors (d / 2 of them), as a GGUF's `rope_freqs.weight` holds them
    /// (convert_hf_to_gguf.py writes llama3 scaling so): inv_freq[i] / factors[i].
    case factors([Float])
}

/// The hyper-parameters of a Llama-family decoder.
public struct DecoderConfig: Equatable, Sendable {
    /// "llama", "mistral", "qwen2".
    public var modelType: String
    /// V.
    public var vocabSize: Int
    /// C.
    public var hiddenSize: Int
    /// L.
    public var numLayers: Int
    /// NH.
    public var numHeads: Int
    /// NKV.
    public var numKeyValueHeads: Int
    /// HS (`head_dim`, default C / NH).
    public var headSize: Int
    /// I: the MLP's inner width.
    public var intermediateSize: Int
    /// Usable positions (`max_position_embeddings`; GGUF: `context_length`).
    public var maxPositionEmbeddings: Int
    /// `rms_norm_eps`.
    public var rmsNormEps: Float
    /// `rope_theta`.
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling
    /// `hidden_act`: only "silu" is supported.
    public var hiddenAct: String
    /// True when the LM head is the input embedding (`tie_word_embeddings`).
    public var tieWordEmbeddings: Bool
    /// Keys visible to a query: the last `slidingWindow` positions (itself included), per layer;
    /// nil for full causal attention. Mistral's `sliding_window`; Qwen2's when
    /// `use_sliding_window` and the layer's `layer_types` entry is "sliding_attention".
    public var slidingWindows: [Int?]

    public init(modelType: String, vocabSize: Int, hiddenSize: Int, numLayers: Int, numHeads: Int, numKeyValueHeads: Int,
                headSize: Int, intermediateSize: Int, maxPositionEmbeddings: Int, rmsNormEps: Float, ropeTheta: Double,
                ropeScaling: RopeScaling, hiddenAct: String = "silu", tieWordEmbeddings: Bool, slidingWindows: [Int?]) {
        self.modelType = modelType; self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.numLayers = numLayers
        self.numHeads = numHeads; self.numKeyValueHeads = numKeyValueHeads; self.headSize = headSize
        self.intermediateSize = intermediateSize; self.maxPositionEmbeddings = maxPositionEmbeddings; self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta; self.ropeScaling = ropeScaling; self.hiddenAct = hiddenAct
        self.tieWordEmbeddings = tieWordEmbeddings; self.slidingWindows = slidingWindows
    }

    /// The architectures this config describes.
    public static let modelTypes = ["llama", "mistral", "qwen2"]

    /// Reads `config.json` at `url`. Throws `CheckpointError` naming the file.
    public static func load(from url: URL) throws -> DecoderConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError(file: url.path, problem: "cannot read (\((error as NSError).localizedDescription))")
        }
        return try DecoderConfig(json: data, file: url.path)
    }

    /// Parses config.json bytes; `file` names the source in errors (CheckpointError).
    public init(json: Data, file: String) throws {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: file, problem: problem) }
        let parsed: JSONValue
        do { parsed = try JSONParser.parse(json, options: .configuration) } catch let error as JSONParseError {
            throw fail("not valid JSON: \(error.message) at byte \(error.byteOffset)")
        }
        guard let object = parsed.objectValue else { throw fail("not a JSON object") }
        let keys = ConfigKeys(object: object, fail: fail)
        guard let modelType = try keys.string("model_type", default: nil), Self.modelTypes.contains(modelType) else {
            throw fail("model_type is not one of \(Self.modelTypes.joined(separator: ", "))")
        }
        // Defaults: LlamaConfig, MistralConfig, Qwen2Config.
        let d: (vocab: Int, hidden: Int, inter: Int, layers: Int, heads: Int, positions: Int, eps: Double, theta: Double)
        switch modelType {
        case "mistral": d = (32000, 4096, 14336, 32, 32, 4096 * 32, 1e-6, 10000)
        case "qwen2": d = (151936, 4096, 22016, 32, 32, 32768, 1e-6, 10000)
        default: d = (32000, 4096, 11008, 32, 32, 2048, 1e-6, 10000)
        }
        let hidden = try keys.int("hidden_size", default: d.hidden)
        let heads = try keys.int("num_attention_heads", default: d.heads)
        let layers = try keys.int("num_hidden_layers", default: d.layers)
        let kvDefault = modelType == "mistral" ? 8 : heads
        let kv = try keys.optionalInt("num_key_value_heads", default: kvDefault) ?? heads
        for (key, value) in [("hidden_size", hidden), ("num_attention_heads", heads), ("num_hidden_layers", layers), ("num_key_value_heads", kv)]
            where value <= 0 {
            throw fail("\(key) is \(value); it must be positive")
        }
        let headSize = try keys.optionalInt("head_dim", default: hidden / heads) ?? hidden / heads
        if heads % kv != 0 { throw fail("num_attention_heads \(heads) is not a multiple of num_key_value_heads \(kv)") }
        if headSize <= 0 || headSize % 2 != 0 { throw fail("head_dim \(headSize) must be a positive even number (rotary pairs)") }
        let act = try keys.string("hidden_act", default: "silu") ?? "silu"
        if act != "silu" { throw fail("hidden_act \"\(act)\" is not supported (Llama-family MLPs use silu)") }
        if let p = object["partial_rotary_factor"]?.doubleValue, p != 1 {
            throw fail("partial_rotary_factor \(p) is not supported (only 1)")
        }

        // Rotary parameters: transformers 5 writes `rope_parameters`; older files `rope_theta` and `rope_scaling`.
        var theta = try keys.number("rope_theta", default: d.theta)
        var scaling: RopeScaling = .none
        var ropeObject = object["rope_scaling"]?.objectValue
        if let p = object["rope_parameters"]?.objectValue {
            ropeObject = p
            if let t = p["rope_theta"]?.doubleValue { theta = t }
        }
        if let r = ropeObject {
            let rk = ConfigKeys(object: r, fail: { fail("rope_parameters: " + $0) })
            let type = try rk.string("rope_type", default: nil) ?? rk.string("type", default: "default") ?? "default"
            switch type {
            case "default": scaling = .none
            case "linear": scaling = .linear(factor: try rk.number("factor", default: 1))
            case "llama3":
                scaling = .llama3(factor: try rk.number("factor", default: 8), lowFrequencyFactor: try rk.number("low_freq_factor", default: 1),
                                  highFrequencyFactor: try rk.number("high_freq_factor", default: 4),
                                  originalContext: try rk.int("original_max_position_embeddings", default: 8192))
            default: throw fail("rope type \"\(type)\" is not supported (supported: default, linear, llama3)")
            }
        }
        var windows = [Int?](repeating: nil, count: layers)
        switch modelType {
        case "mistral":
            if let w = try keys.optionalInt("sliding_window", default: 4096) { windows = [Int?](repeating: w, count: layers) }
        case "qwen2":
            if try keys.bool("use_sliding_window", default: false), let w = try keys.optionalInt("sliding_window", default: 4096) {
                let maxWindowLayers = try keys.int("max_window_layers", default: 28)
                let types = object["layer_types"]?.arrayValue?.compactMap(\.stringValue)
                windows = (0..<layers).map { l in
                    let sliding = types.map { l < $0.count && $0[l] == "sliding_attention" } ?? (l >= maxWindowLayers)
                    return sliding ? w : nil
                }
            }
        default: break
        }
        if windows.contains(where: { ($0 ?? 1) <= 0 }) { throw fail("sliding_window must be positive") }
        self.init(modelType: modelType, vocabSize: try keys.int("vocab_size", default: d.vocab), hiddenSize: hidden, numLayers: layers,
                  numHeads: heads, numKeyValueHeads: kv, headSize: headSize,
                  intermediateSize: try keys.int("intermediate_size", default: d.inter),
                  maxPositionEmbeddings: try keys.int("max_position_embeddings", default: d.positions),
                  rmsNormEps: Float(try keys.number("rms_norm_eps", default: d.eps)), ropeTheta: theta, ropeScaling: scaling,
                  hiddenAct: act, tieWordEmbeddings: try keys.bool("tie_word_embeddings", default: false), slidingWindows: windows)
        for (key, value) in [("vocab_size", vocabSize), ("intermediate_size", intermediateSize), ("max_position_embeddings", maxPositionEmbeddings)]
            where value <= 0 {
            throw fail("\(key) is \(value); it must be positive")
        }
    }
}
