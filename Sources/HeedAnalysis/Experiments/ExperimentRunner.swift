import HeedModels
import HeedTokenizers

/// One corpus sentence ready for the experiments: ids, which tokens are special, token classes.
public struct ExperimentInput: Sendable {
    /// The 1-based line of the corpus it came from.
    public let line: Int
    public let ids: [Int]
    public let special: [Bool]
    public let classes: [TokenClass]

    public init(line: Int, ids: [Int], special: [Bool], classes: [TokenClass]) {
        precondition(ids.count == special.count && ids.count == classes.count, "one entry per token")
        self.line = line; self.ids = ids; self.special = special; self.classes = classes
    }

    /// Encodes one line with the model's special tokens.
    public init(line: Corpus.Line, tokenizer: Tokenizer) {
        let encoded = tokenizer.encode(line.text)
        self.init(line: line.number, ids: encoded.ids, special: encoded.tokens.map(\.special),
                  classes: TokenClass.classify(encoded.tokens))
    }
}

/// Masking settings of the mixing-ratio experiment.
public struct MaskingOptions: Sendable {
    public let rate: Double
    public let seed: UInt64
    public let maskID: Int
    public init(rate: Double, seed: UInt64, maskID: Int) { self.rate = rate; self.seed = seed; self.maskID = maskID }
}

/// Runs the experiments over a corpus, one forward pass per sentence.
public enum ExperimentRunner {
    /// Splits `inputs` into those the model can take and those longer than `maxTokens`.
    public static func fitting(_ inputs: [ExperimentInput], maxTokens: Int) -> (kept: [ExperimentInput], skipped: [ExperimentInput]) {
        (inputs.filter { $0.ids.count <= maxTokens }, inputs.filter { $0.ids.count > maxTokens })
    }

    /// The tokenizer's mask token id ("[MASK]", or "<mask>" for RoBERTa-style vocabularies).
    public static func maskID(_ tokenizer: Tokenizer) -> Int? {
        tokenizer.id(forToken: "[MASK]") ?? tokenizer.id(forToken: "<mask>")
    }

    /// The paper's special-token statistics. `progress(done, total)` is called after each sentence.
    public static func specialTokens(_ inputs: [ExperimentInput], network: TransformerModel,
                                     progress: (Int, Int) -> Void = { _, _ in }) throws -> SpecialTokenResult {
        var stats = SpecialTokenStatistics(layers: network.layerCount, heads: network.headCount)
        for (n, input) in inputs.enumerated() {
            let forward = try network.forward(input.ids, taps: .full, isCancelled: { false })
            stats.add(classes: input.classes, forward: forward)
            progress(n + 1, inputs.count)
        }
        return stats.result()
    }

    /// Mixing-ratio statistics, with the authors' masking when `masking` is given. The random
    /// choices follow the sentences in order from one SplitMix64 stream seeded with `masking.seed`.
    public static func mixing(_ inputs: [ExperimentInput], network: TransformerModel, masking: MaskingOptions?,
                              progress: (Int, Int) -> Void = { _, _ in }) throws -> MixingRatioResult {
        var stats = MixingRatioStatistics(layers: network.layerCount, heads: network.headCount,
                                          normAfterBlock: network.attentionNorm.isAfterBlock)
        var rng = SplitMix64(seed: masking?.seed ?? 0)
        for (n, input) in inputs.enumerated() {
            var ids = input.ids, masked = 0
            if let masking {
                let m = Masking.mask(input.ids, special: input.special, rate: masking.rate, maskID: masking.maskID, rng: &rng)
                ids = m.ids
                masked = m.positions.count
            }
            let forward = try network.forward(ids, taps: .full, isCancelled: { false })
            stats.add(forward: forward, maskedTokens: masked)
            progress(n + 1, inputs.count)
        }
        return stats.result()
    }
}
