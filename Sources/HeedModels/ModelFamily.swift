// The registry of model families, keyed by architecture: transformers' `model_type`
// (config.json) or GGUF's `general.architecture`. A family is one file that declares the
// architectures it runs, its tensor-name table(s) and how to build its network from a
// `ModelSource`; adding a family is that file plus one line in `ModelFamilies.all`.

import Foundation
import HeedCheckpoints

/// Where a network's hyper-parameters and weights come from.
public enum ModelSource {
    /// A transformers model directory: config.json (its `model_type` is the architecture) and
    /// the safetensors `Checkpoint`.
    case transformers(directory: URL, configURL: URL, weights: Checkpoint)
    /// One GGUF file: its `general.architecture`, its metadata and its tensors.
    case gguf(file: GGUFFile, architecture: String, weights: GGUFWeights)

    /// The weights, by the file's own tensor names.
    public var weights: WeightSource {
        switch self {
        case let .transformers(_, _, weights): return weights
        case let .gguf(_, _, weights): return weights
        }
    }
}

/// A family of networks Heed runs.
public protocol ModelFamily {
    /// The architectures this family runs: `model_type` values of config.json and/or GGUF
    /// `general.architecture` values ("bert", "xlm-roberta").
    static var architectures: [String] { get }
    /// Builds the network of `architecture` from `source`. Throws `ModelLoadError` naming the
    /// file and the problem (a missing tensor, a wrong shape, an unsupported setting), or the
    /// file format's own error (`CheckpointError`, `GGUFError`).
    static func load(architecture: String, from source: ModelSource) throws -> TransformerModel
    /// Checks config.json before any weight is opened; throws `ModelLoadError` naming the file.
    static func checkConfig(architecture: String, configURL: URL) throws
    /// What the network will be, from config.json alone (no weights read): its shape and the
    /// norm of its attention blocks, for listing models that are not loaded. nil when the
    /// file cannot be read.
    static func describe(architecture: String, configURL: URL) -> (shape: ModelShape, attentionNorm: NormSpec)?
    /// The same from a GGUF file's metadata and tensor infos (no tensor data read but small
    /// rope tables); nil when they do not describe a network of this family.
    static func describe(gguf file: GGUFFile, architecture: String) -> (shape: ModelShape, attentionNorm: NormSpec)?
}

/// Every family Heed runs, by architecture.
public enum ModelFamilies {
    /// The registered families: one line per family.
    public static let all: [ModelFamily.Type] = [
        BertFamily.self,
        LlamaFamily.self,
        MarianFamily.self,
    ]

    /// The family that runs `architecture`, or nil.
    public static func family(for architecture: String) -> ModelFamily.Type? {
        all.first { $0.architectures.contains(architecture) }
    }

    /// What the transformers directory whose config.json is `configURL` holds, by the family
    /// registered for its `model_type` (nothing else is read); nil when no family runs it or the
    /// file cannot be read.
    public static func describe(configURL: URL) -> (shape: ModelShape, attentionNorm: NormSpec)? {
        guard let architecture = ModelConfig.modelType(configAt: configURL) else { return nil }
        return family(for: architecture)?.describe(architecture: architecture, configURL: configURL)
    }

    /// What the GGUF file at `url` holds, from its metadata: by the family registered for its
    /// `general.architecture`, with the norm of its attention blocks; for an architecture no
    /// family runs, the shape from `{arch}.block_count`, `.attention.head_count`,
    /// `.embedding_length` and `.context_length` and a nil norm (a tokenizer-only model). nil
    /// when the file cannot be read or lacks those keys.
    public static func describe(gguf url: URL) -> (shape: ModelShape, attentionNorm: NormSpec?)? {
        guard let file = try? GGUFFile(url: url), let a = try? file.string("general.architecture") else { return nil }
        if let family = family(for: a) {
            return family.describe(gguf: file, architecture: a).map { ($0.shape, $0.attentionNorm) }
        }
        guard let layers = try? file.int("\(a).block_count"), let heads = try? file.int("\(a).attention.head_count"),
              let hidden = try? file.int("\(a).embedding_length"), let context = try? file.int("\(a).context_length") else { return nil }
        return (ModelShape(family: a, layers: layers, heads: heads, hidden: hidden, maxTokens: context, causal: true), nil)
    }

    /// Every architecture some family runs, sorted.
    public static var architectures: [String] { all.flatMap { family in family.architectures }.sorted() }
}
