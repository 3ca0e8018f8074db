import Foundation
import HeedCheckpoints
import HeedTokenizers

/// What every model family offers the layers above: its shape, and a forward pass that
/// records taps per attention site (Taps.swift). Families register in `ModelFamilies`.
public protocol TransformerModel: AnyObject, Sendable {
    /// The architecture ("bert", "roberta", "llama").
    var family: String { get }
    /// L.
    var layerCount: Int { get }
    /// NH (query heads).
    var headCount: Int { get }
    /// C.
    var hiddenSize: Int { get }
    /// I: the feed-forward block's inner width (for working-set estimates and FLOP counts).
    var intermediateSize: Int { get }
    /// What the attention blocks' norm is and where it sits.
    var attentionNorm: NormSpec { get }
    /// True for a decoder: each token attends only to itself and earlier tokens.
    var causal: Bool { get }
    /// Usable positions: max_position_embeddings minus the family's position offset.
    var maxTokens: Int { get }
    /// Rows of the word-embedding matrix: the token ids the network can run are 0..<embeddingRows.
    var embeddingRows: Int { get }
    /// What loading did that a person may want to know (`--log-level info`): weights kept
    /// quantised, tensors converted or dequantised to f32.
    var loadNotes: [String] { get }
    /// Approximate bytes the weights hold in memory: embeddings, linears, plain W_O copies
    /// the analysis reads, norm parameters.
    var weightBytes: Int { get }
    /// Runs the network on one unpadded sequence, recording what `taps` asks for.
    /// `finalHiddenState: false` may skip what comes after the last layer's attention block
    /// (its feed-forward block): every tap is still recorded, `hiddenStates` then has L entries.
    /// `isCancelled` is checked between layers. Throws `ForwardError`, or what the taps'
    /// consumer throws.
    func forward(_ ids: [Int], taps: TapRequest, finalHiddenState: Bool, isCancelled: () -> Bool) throws -> ForwardResult
    /// True for a model with a language-modelling head (decoders): `nextTokenLogits` works.
    var hasLanguageModelHead: Bool { get }
    /// The next-token logits (V, the output embedding's rows) after the last token of `result`,
    /// a pass run with `finalHiddenState: true`: the final norm and the LM head (lm_head, or
    /// the tied input embedding) applied to the last hidden state, as transformers'
    /// `*ForCausalLM.forward(...).logits[0, -1]`. Throws `PredictionUnavailable` for a model
    /// without a language-modelling head.
    func nextTokenLogits(_ result: ForwardResult) throws -> [Float]
}

/// Asking an encoder (no language-modelling head) for next-token logits.
public struct PredictionUnavailable: Error, Equatable, CustomStringConvertible {
    /// The architecture ("bert").
    public let family: String
    /// True for an encoder-decoder, whose decoder predicts from a source text, not on its own.
    public let encoderDecoder: Bool

    public init(family: String, encoderDecoder: Bool = false) { self.family = family; self.encoderDecoder = encoderDecoder }

    public var description: String {
        encoderDecoder
            ? "a \(family) model is an encoder-decoder: its decoder predicts from a source text (heed translate), not after a text alone; next-token prediction needs a decoder-only model (such as smollm2)"
            : "a \(family) model has no language-modelling head: next-token prediction needs a decoder (such as smollm2)"
    }
}

extension TransformerModel {
    /// Why this model gives no next-token logits (for a model whose `hasLanguageModelHead` is false).
    public var predictionUnavailable: PredictionUnavailable {
        PredictionUnavailable(family: family, encoderDecoder: self is MarianModel)
    }

    /// Every layer recorded at `taps`, kept in the result.
    public func forward(_ ids: [Int], taps: TapLevel = .attention, finalHiddenState: Bool = true,
                        isCancelled: () -> Bool = { false }) throws -> ForwardResult {
        try forward(ids, taps: TapRequest(taps), finalHiddenState: finalHiddenState, isCancelled: isCancelled)
    }
}

extension BertEncoder: TransformerModel {
    public var hasLanguageModelHead: Bool { false }
    public func nextTokenLogits(_ result: ForwardResult) throws -> [Float] { throw predictionUnavailable }
    public var family: String { config.family.rawValue }
    public var layerCount: Int { config.numLayers }
    public var headCount: Int { config.numHeads }
    public var hiddenSize: Int { config.hiddenSize }
    public var maxTokens: Int { config.maxTokens }
    public var intermediateSize: Int { config.intermediateSize }
    public var attentionNorm: NormSpec { .postLayerNorm }
    public var causal: Bool { false }
    public var weightBytes: Int {
        let embeddings = wordEmbeddings.byteCount + 4 * (positionEmbeddings.count + (tokenTypeRow?.count ?? 0)
                              + embLNWeight.count + (embLNBias?.count ?? 0)) + (embeddingsProject?.byteCount ?? 0)
        return layers.reduce(embeddings) { n, l in
            let norms = l.selfOutputLayerNormWeight.count + (l.selfOutputLayerNormBias?.count ?? 0)
                + l.outputLayerNormWeight.count + (l.outputLayerNormBias?.count ?? 0)
            return n + l.selfQKV.byteCount + l.selfOutputDense.byteCount + l.intermediateDense.byteCount + l.outputDense.byteCount
                + 4 * norms
        }
    }
}

/// What a model is, read from its files whether or not Heed can run it: ModelInfo's fields
/// (protocol.md section 4).
public struct ModelShape: Equatable, Sendable {
    /// transformers' `model_type` ("bert") or GGUF's `general.architecture` ("llama").
    public var family: String
    /// L, NH, C.
    public var layers: Int
    public var heads: Int
    public var hidden: Int
    /// Usable positions (tokens).
    public var maxTokens: Int
    /// True for a decoder: each token attends only to itself and earlier tokens.
    public var causal: Bool

    public init(family: String, layers: Int, heads: Int, hidden: Int, maxTokens: Int, causal: Bool) {
        self.family = family
        self.layers = layers
        self.heads = heads
        self.hidden = hidden
        self.maxTokens = maxTokens
        self.causal = causal
    }
}

/// Asking for the network of a model that Heed can tokenize but not run (a family without a
/// network in Heed yet, such as a GGUF `llama` model): every analysis of it fails with this.
public struct NetworkUnavailable: Error, Equatable, CustomStringConvertible {
    public let modelID: String
    public let family: String

    public init(modelID: String, family: String) {
        self.modelID = modelID
        self.family = family
    }

    public var description: String {
        "\(modelID) is a \(family) model: Heed reads its tokenizer (tokenize works) but cannot run \(family) networks yet"
    }
}

/// A model ready to use: its tokenizer and, for the families Heed runs, its network.
public final class LoadedModel: @unchecked Sendable {
    /// The id the user gave (catalog name, directory, GGUF file or Hugging Face repo id).
    public let id: String
    /// Where the model was loaded from: its directory, or its `.gguf` file.
    public let directory: URL
    public let tokenizer: Tokenizer
    public let shape: ModelShape
    /// nil for a model Heed can tokenize but not run.
    private let runnableNetwork: TransformerModel?
    /// What loading did that a person may want to know (`--log-level info`): tensors converted
    /// or dequantised to f32, where the tokenizer came from.
    public private(set) var loadNotes: [String] = []
    /// An encoder-decoder model's whole network (its `network` is the encoder) and its target
    /// side's tokenizer (`tokenizer` is the source side's); nil for every other model.
    public private(set) var encoderDecoder: (model: MarianModel, targetTokenizer: Tokenizer)? = nil

    /// A model Heed runs: its shape comes from `network`.
    public init(id: String, directory: URL, network: TransformerModel, tokenizer: Tokenizer, loadNotes: [String] = []) {
        self.id = id
        self.directory = directory
        self.runnableNetwork = network
        self.tokenizer = tokenizer
        self.shape = ModelShape(family: network.family, layers: network.layerCount, heads: network.headCount,
                                hidden: network.hiddenSize, maxTokens: network.maxTokens, causal: network.causal)
        self.loadNotes = loadNotes
    }

    /// An encoder-decoder model: `network` is its encoder, `tokenizer` the source side's.
    public convenience init(id: String, directory: URL, encoderDecoder model: MarianModel, tokenizer: MarianTokenizer) {
        self.init(id: id, directory: directory, network: model, tokenizer: Tokenizer(marian: tokenizer, side: .source),
                  loadNotes: model.loadNotes)
        encoderDecoder = (model, Tokenizer(marian: tokenizer, side: .target))
    }

    /// A model Heed can tokenize but not run.
    public init(id: String, directory: URL, tokenizer: Tokenizer, shape: ModelShape) {
        self.id = id
        self.directory = directory
        self.runnableNetwork = nil
        self.tokenizer = tokenizer
        self.shape = shape
    }

    /// The network; throws `NetworkUnavailable` for a model Heed can tokenize but not run.
    public var network: TransformerModel {
        get throws {
            guard let runnableNetwork else { throw NetworkUnavailable(modelID: id, family: shape.family) }
            return runnableNetwork
        }
    }

    /// False for a model Heed can tokenize but not run.
    public var canRun: Bool { runnableNetwork != nil }

    /// Bytes of the network's weights in memory (0 for a tokenizer-only model).
    public var weightBytes: Int { runnableNetwork?.weightBytes ?? 0 }

    /// Loads config.json, the weights (`Checkpoint`: model.safetensors, the shards of
    /// model.safetensors.index.json, or the only *.safetensors) and tokenizer.json from
    /// `directory`; the network is built by the family registered for config.json's
    /// `model_type` (`ModelFamilies`). Errors name the file and the problem (ModelLoadError),
    /// including a Git LFS pointer in place of any of these files and a `model_type` no family
    /// runs. A `marian` config.json loads an encoder-decoder (`MarianModel.load(directory:)`:
    /// source.spm, target.spm and vocab.json instead of tokenizer.json). A GGUF file (what `ModelStore.resolve` returns for a GGUF model): see `loadGGUF`.
    public static func load(id: String, directory: URL) throws -> LoadedModel {
        if ModelStore.isGGUFFile(directory) { return try loadGGUF(id: id, file: directory) }
        let configURL = directory.appendingPathComponent("config.json")
        if MarianFamily.architectures.contains(ModelConfig.modelType(configAt: configURL) ?? "") {
            let (model, tokenizer) = try MarianModel.load(directory: directory)
            return LoadedModel(id: id, directory: directory, encoderDecoder: model, tokenizer: tokenizer)
        }
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        do {
            try GitLFSPointer.check(fileAt: configURL, standsFor: "the model's config.json")
            try GitLFSPointer.check(fileAt: tokenizerURL, standsFor: "the model's tokenizer.json")
        } catch let e as CheckpointError {
            throw ModelLoadError(file: e.file, problem: e.problem)
        }
        let checkpoint: Checkpoint
        let tokenizer: Tokenizer
        // The family, by model_type; a config.json without a readable one gets ModelConfig's
        // own error (as before the registry), an unknown one the registry's list. config.json
        // is checked before the weights are opened.
        let family: ModelFamily.Type
        let architecture: String
        if let modelType = ModelConfig.modelType(configAt: configURL) {
            guard let f = ModelFamilies.family(for: modelType) else {
                throw ModelLoadError(file: configURL.path, problem: "model_type '\(modelType)' is not supported (supported: \(ModelFamilies.architectures.joined(separator: ", ")))")
            }
            family = f; architecture = modelType
        } else {
            family = BertFamily.self; architecture = "bert"
        }
        try family.checkConfig(architecture: architecture, configURL: configURL)
        do { checkpoint = try Checkpoint(directory: directory) } catch let e as CheckpointError {
            throw ModelLoadError(file: e.file, problem: e.problem)
        }
        do { tokenizer = try Tokenizer(url: tokenizerURL) } catch { throw ModelLoadError(file: tokenizerURL.path, problem: "\(error)") }
        let network: TransformerModel
        do {
            network = try family.load(architecture: architecture, from: .transformers(directory: directory, configURL: configURL, weights: checkpoint))
        } catch let e as ModelLoadError {
            throw ModelLoadError(file: e.file.hasPrefix("/") ? e.file : directory.appendingPathComponent(e.file).path, problem: e.problem)
        }
        return LoadedModel(id: id, directory: directory, network: network, tokenizer: tokenizer, loadNotes: network.loadNotes)
    }

    /// Resolves `id` (catalog name, fetched on first use; directory; HF cache repo id) and loads it.
    public static func resolve(_ id: String, progress: (String) -> Void) throws -> LoadedModel {
        let directory = try ModelStore.resolve(id, progress: progress)
        return try load(id: id, directory: directory)
    }
}

