import Foundation
import HeedCheckpoints
import HeedTokenizers

/// What every model family offers the layers above: its shape, and a forward pass that
/// records named taps. (BERT-like encoders now; decoder families later.)
public protocol TransformerModel: AnyObject, Sendable {
    var family: String { get }
    var layerCount: Int { get }
    var headCount: Int { get }
    var hiddenSize: Int { get }
    /// Usable positions: max_position_embeddings minus the family's position offset.
    var maxTokens: Int { get }
    /// Rows of the word-embedding matrix: the token ids the network can run are 0..<embeddingRows.
    var embeddingRows: Int { get }
    /// True for post-LN encoders, where a LayerNorm follows attention + residual.
    var hasPostAttentionLayerNorm: Bool { get }
    /// Approximate bytes the weights hold in memory: embeddings, packed linears, the plain W_O
    /// copies the analysis reads, LayerNorm parameters.
    var weightBytes: Int { get }
    /// `finalHiddenState: false` may skip what comes after the last layer's attention block
    /// (its feed-forward block): every tap is still recorded, `hiddenStates` then has L entries.
    func forward(_ ids: [Int], taps: TapLevel, finalHiddenState: Bool, isCancelled: () -> Bool) throws -> ForwardResult
}

extension TransformerModel {
    /// The whole pass, the last layer's output included.
    public func forward(_ ids: [Int], taps: TapLevel, isCancelled: () -> Bool) throws -> ForwardResult {
        try forward(ids, taps: taps, finalHiddenState: true, isCancelled: isCancelled)
    }
}

extension BertEncoder: TransformerModel {
    public var family: String { config.family.rawValue }
    public var layerCount: Int { config.numLayers }
    public var headCount: Int { config.numHeads }
    public var hiddenSize: Int { config.hiddenSize }
    public var maxTokens: Int { config.maxTokens }
    public var hasPostAttentionLayerNorm: Bool { true }
    public var weightBytes: Int {
        let embeddings = 4 * (wordEmbeddings.count + positionEmbeddings.count + (tokenTypeRow?.count ?? 0)
                              + embLNWeight.count + (embLNBias?.count ?? 0)) + (embeddingsProject?.byteCount ?? 0)
        return layers.reduce(embeddings) { n, l in
            let norms = l.attnLNWeight.count + (l.attnLNBias?.count ?? 0) + l.outLNWeight.count + (l.outLNBias?.count ?? 0)
            return n + l.qkv.byteCount + l.attnOut.byteCount + l.ffnIn.byteCount + l.ffnOut.byteCount + 4 * (l.attnOutWeight.count + norms)
        }
    }
}

/// A model ready to use: its network and its tokenizer, loaded from one directory.
public final class LoadedModel: @unchecked Sendable {
    /// The id the user gave (catalog name, directory or Hugging Face repo id).
    public let id: String
    public let directory: URL
    public let network: TransformerModel
    public let tokenizer: Tokenizer

    public init(id: String, directory: URL, network: TransformerModel, tokenizer: Tokenizer) {
        self.id = id
        self.directory = directory
        self.network = network
        self.tokenizer = tokenizer
    }

    /// Loads config.json, the weights (`Checkpoint`: model.safetensors, the shards of
    /// model.safetensors.index.json, or the only *.safetensors) and tokenizer.json from
    /// `directory`. Errors name the file and the problem (ModelLoadError), including a Git LFS
    /// pointer in place of any of these files. A GGUF file (what `ModelStore.resolve` returns for
    /// a GGUF model) is read and refused: see `refuseGGUF`.
    public static func load(id: String, directory: URL) throws -> LoadedModel {
        if ModelStore.isGGUFFile(directory) { try refuseGGUF(directory) }
        let configURL = directory.appendingPathComponent("config.json")
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        do {
            try GitLFSPointer.check(fileAt: configURL, standsFor: "the model's config.json")
            try GitLFSPointer.check(fileAt: tokenizerURL, standsFor: "the model's tokenizer.json")
        } catch let e as CheckpointError {
            throw ModelLoadError(file: e.file, problem: e.problem)
        }
        let config: ModelConfig
        let checkpoint: Checkpoint
        let tokenizer: Tokenizer
        do { config = try ModelConfig.load(from: configURL) } catch let e as CheckpointError {
            throw ModelLoadError(file: e.file, problem: e.problem)
        }
        do { checkpoint = try Checkpoint(directory: directory) } catch let e as CheckpointError {
            throw ModelLoadError(file: e.file, problem: e.problem)
        }
        do { tokenizer = try Tokenizer(url: tokenizerURL) } catch { throw ModelLoadError(file: tokenizerURL.path, problem: "\(error)") }
        let network: BertEncoder
        do { network = try BertEncoder(config: config, checkpoint: checkpoint) } catch let e as ModelLoadError {
            throw ModelLoadError(file: directory.appendingPathComponent(e.file).path, problem: e.problem)
        }
        return LoadedModel(id: id, directory: directory, network: network, tokenizer: tokenizer)
    }

    /// Resolves `id` (catalog name, fetched on first use; directory; HF cache repo id) and loads it.
    public static func resolve(_ id: String, progress: (String) -> Void) throws -> LoadedModel {
        let directory = try ModelStore.resolve(id, progress: progress)
        return try load(id: id, directory: directory)
    }
}
