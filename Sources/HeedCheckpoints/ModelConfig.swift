// config.json of BERT-like encoders. Key names and defaults mirror transformers 5.23:
//   models/bert/configuration_bert.py, models/distilbert/configuration_distilbert.py,
//   models/electra/configuration_electra.py, models/roberta/configuration_roberta.py,
//   models/xlm_roberta/configuration_xlm_roberta.py
// A key absent from config.json takes the default of the family's config class.

import Foundation
import HeedJSON

/// The architecture hyper-parameters of an encoder checkpoint.
public struct ModelConfig: Equatable, Sendable {
    public enum Family: String, CaseIterable, Sendable {
        case bert, distilbert, electra, roberta, xlmRoberta = "xlm-roberta"
    }

    public var family: Family
    public var vocabSize: Int
    /// C.
    public var hiddenSize: Int
    public var numLayers: Int
    /// NH.
    public var numHeads: Int
    public var intermediateSize: Int
    public var maxPositionEmbeddings: Int
    /// Rows of the token-type embedding; 0 for DistilBERT, which has none.
    public var typeVocabSize: Int
    /// ELECTRA's `embedding_size` (embeddings are projected to `hiddenSize`); `hiddenSize` otherwise.
    public var embeddingSize: Int
    /// DistilBERT: 1e-12, fixed in transformers' modeling code.
    public var layerNormEps: Float
    /// `hidden_act` (DistilBERT: `activation`) verbatim, e.g. "gelu", "gelu_new", "relu".
    public var hiddenAct: String
    public var padTokenId: Int
    /// First position id: `padTokenId + 1` for RoBERTa and XLM-R, 0 otherwise.
    public var positionOffset: Int

    /// Usable positions, the model's token limit (e.g. 514 - 2 = 512 for RoBERTa).
    public var maxTokens: Int { maxPositionEmbeddings - positionOffset }
    /// HS.
    public var headSize: Int { hiddenSize / numHeads }

    /// Reads `config.json` at `url`. Throws `CheckpointError` naming the file.
    public static func load(from url: URL) throws -> ModelConfig {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CheckpointError(file: url.path, problem: "cannot read (\((error as NSError).localizedDescription))")
        }
        return try ModelConfig(json: data, file: url.path)
    }

    /// Parses config.json bytes; `file` names the source in errors.
    public init(json: Data, file: String) throws {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: file, problem: problem) }
        // Python's json module (transformers) keeps the last of duplicate keys; so does this.
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(json, options: .configuration)
        } catch let error as JSONParseError {
            throw fail("not valid JSON: \(error.message) at byte \(error.byteOffset)")
        }
        guard let object = parsed.objectValue else { throw fail("not a JSON object") }
        let keys = ConfigKeys(object: object, fail: fail)

        let supported = Family.allCases.map(\.rawValue).joined(separator: ", ")
        guard let modelType = try keys.string("model_type", default: nil) else {
            throw fail("no model_type (supported: \(supported))")
        }
        guard let family = Family(rawValue: modelType) else {
            throw fail("model_type '\(modelType)' is not supported (supported: \(supported))")
        }
        self.family = family

        if try keys.bool("is_decoder", default: false) {
            throw fail("is_decoder is true: Heed runs encoders with bidirectional attention only")
        }
        if try keys.bool("add_cross_attention", default: false) {
            throw fail("add_cross_attention is true: cross-attention is not supported")
        }
        if let positionType = try keys.string("position_embedding_type", default: "absolute"), positionType != "absolute" {
            throw fail("position_embedding_type '\(positionType)' is not supported (only 'absolute')")
        }

        let defaultPad: Int
        switch family {
        case .distilbert:
            // DistilBertConfig names: dim, n_layers, n_heads, hidden_dim, activation
            // (hidden_size, num_hidden_layers, num_attention_heads through its attribute_map).
            vocabSize = try keys.int("vocab_size", default: 30522)
            hiddenSize = try keys.int("dim", alias: "hidden_size", default: 768)
            numLayers = try keys.int("n_layers", alias: "num_hidden_layers", default: 6)
            numHeads = try keys.int("n_heads", alias: "num_attention_heads", default: 12)
            intermediateSize = try keys.int("hidden_dim", default: 4 * 768)
            hiddenAct = try keys.string("activation", default: "gelu")!
            maxPositionEmbeddings = try keys.int("max_position_embeddings", default: 512)
            typeVocabSize = 0
            embeddingSize = hiddenSize
            layerNormEps = 1e-12
            defaultPad = 0
        case .bert, .electra, .roberta, .xlmRoberta:
            let defaults: (vocab: Int, hidden: Int, heads: Int, intermediate: Int, pad: Int)
            switch family {
            case .electra: defaults = (30522, 256, 4, 1024, 0)
            case .roberta: defaults = (50265, 768, 12, 3072, 1)
            case .xlmRoberta: defaults = (30522, 768, 12, 3072, 1)
            default: defaults = (30522, 768, 12, 3072, 0)
            }
            vocabSize = try keys.int("vocab_size", default: defaults.vocab)
            hiddenSize = try keys.int("hidden_size", default: defaults.hidden)
            numLayers = try keys.int("num_hidden_layers", default: 12)
            numHeads = try keys.int("num_attention_heads", default: defaults.heads)
            intermediateSize = try keys.int("intermediate_size", default: defaults.intermediate)
            hiddenAct = try keys.string("hidden_act", default: "gelu")!
            maxPositionEmbeddings = try keys.int("max_position_embeddings", default: 512)
            typeVocabSize = try keys.int("type_vocab_size", default: 2)
            embeddingSize = family == .electra ? try keys.int("embedding_size", default: 128) : hiddenSize
            layerNormEps = Float(try keys.number("layer_norm_eps", default: 1e-12))
            defaultPad = defaults.pad
        }

        let usesPaddingPositions = family == .roberta || family == .xlmRoberta
        if let pad = try keys.optionalInt("pad_token_id", default: defaultPad) {
            padTokenId = pad
        } else if usesPaddingPositions {
            throw fail("pad_token_id is null, but \(family.rawValue) numbers positions from pad_token_id + 1")
        } else {
            padTokenId = 0
        }
        positionOffset = usesPaddingPositions ? padTokenId + 1 : 0

        for (key, value) in [("vocab_size", vocabSize), ("hidden size", hiddenSize), ("layer count", numLayers),
                             ("head count", numHeads), ("intermediate size", intermediateSize),
                             ("max_position_embeddings", maxPositionEmbeddings), ("embedding_size", embeddingSize)]
            where value <= 0 {
            throw fail("\(key) is \(value); it must be positive")
        }
        if typeVocabSize < 0 { throw fail("type_vocab_size is \(typeVocabSize); it must not be negative") }
        if hiddenSize % numHeads != 0 {
            throw fail("hidden size \(hiddenSize) is not a multiple of the number of attention heads \(numHeads)")
        }
        if !(layerNormEps > 0) || !layerNormEps.isFinite {
            throw fail("layer_norm_eps is \(layerNormEps); it must be a positive number")
        }
        if padTokenId < 0 || padTokenId >= vocabSize {
            throw fail("pad_token_id \(padTokenId) is outside the vocabulary of \(vocabSize)")
        }
        if maxTokens <= 0 {
            throw fail("max_position_embeddings \(maxPositionEmbeddings) leaves no usable position after the offset \(positionOffset)")
        }
    }
}

/// Typed access to config.json keys with transformers' defaults for absent keys.
struct ConfigKeys {
    let object: JSONObject
    let fail: (String) -> CheckpointError

    func int(_ key: String, alias: String? = nil, default fallback: Int) throws -> Int {
        guard let n = try optionalInt(key, alias: alias, default: fallback) else {
            throw fail("\(key) is null; expected an integer")
        }
        return n
    }

    /// Nil only for an explicit JSON null.
    func optionalInt(_ key: String, alias: String? = nil, default fallback: Int) throws -> Int? {
        guard let (name, value) = lookup(key, alias: alias) else { return fallback }
        if value.isNull { return nil }
        // An integer literal only: 384.0 and 3.84e2 are not integers here.
        guard let n = value.numberValue?.int else {
            throw fail("\(name) is \(value.shortDescription); expected an integer")
        }
        return n
    }

    func number(_ key: String, default fallback: Double) throws -> Double {
        guard let (name, value) = lookup(key, alias: nil) else { return fallback }
        guard let x = value.doubleValue else {
            throw fail("\(name) is \(value.shortDescription); expected a number")
        }
        return x
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let (name, value) = lookup(key, alias: nil) else { return fallback }
        if value.isNull { return fallback }
        guard let b = value.boolValue else {
            throw fail("\(name) is \(value.shortDescription); expected true or false")
        }
        return b
    }

    func string(_ key: String, default fallback: String?) throws -> String? {
        guard let (name, value) = lookup(key, alias: nil) else { return fallback }
        if value.isNull { return fallback }
        guard let s = value.stringValue else {
            throw fail("\(name) is \(value.shortDescription); expected a string")
        }
        return s
    }

    private func lookup(_ key: String, alias: String?) -> (String, JSONValue)? {
        if let value = object[key] { return (key, value) }
        if let alias, let value = object[alias] { return (alias, value) }
        return nil
    }
}
