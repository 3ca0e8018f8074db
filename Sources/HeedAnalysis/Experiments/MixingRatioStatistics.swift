import HeedModels

// EMNLP 2021, Table 1 (the authors' emnlp2021/src/mixing_ratio_stats_bert.py): mean, max and
// min of the mixing ratio over every token of every layer and sequence, [CLS] and [SEP]
// included, for the five decompositions of NormDecomposition.mixingRatios().

/// Accumulates mixing-ratio statistics one forward pass at a time.
public struct MixingRatioStatistics {
    /// The five rows in the paper's order: (key in NormDecomposition.mixingRatios(), label).
    public static let rows: [(key: String, label: String)] = [
        ("attn-w", "Attn-W"), ("attn-n", "Attn-N"), ("attnres-w", "AttnRes-W"),
        ("attnres-n", "AttnRes-N"), ("attnresln-n", "AttnResLn-N"),
    ]

    public let layerCount: Int
    public let headCount: Int
    /// True when a norm follows the attention block (the AttnResLn-N row exists).
    public let normAfterBlock: Bool
    /// Per (layer, row): sum, min, max, count.
    var sum: [Double], minimum: [Float], maximum: [Float], count: [Int]
    var sentences = 0
    var maskedTokens = 0

    public init(layers: Int, heads: Int, normAfterBlock: Bool) {
        layerCount = layers
        headCount = heads
        self.normAfterBlock = normAfterBlock
        let n = layers * Self.rows.count
        sum = [Double](repeating: 0, count: n)
        minimum = [Float](repeating: .infinity, count: n)
        maximum = [Float](repeating: -.infinity, count: n)
        count = [Int](repeating: 0, count: n)
    }

    /// Adds one sequence (forward run with `TapLevel.full`); `maskedTokens` is only counted.
    public mutating func add(forward: ForwardResult, maskedTokens: Int = 0) {
        precondition(forward.layers.count == layerCount, "layer count differs")
        sentences += 1
        self.maskedTokens += maskedTokens
        for taps in forward.layers {
            let ratios = NormDecomposition(taps: taps, heads: headCount, normAfterBlock: normAfterBlock).mixingRatios()
            for (key, values) in ratios {
                guard let r = Self.rows.firstIndex(where: { $0.key == key }) else { continue }
                let cell = taps.layer * Self.rows.count + r
                for v in values {
                    sum[cell] += Double(v)
                    minimum[cell] = min(minimum[cell], v)
                    maximum[cell] = max(maximum[cell], v)
                }
                count[cell] += values.count
            }
        }
    }

    /// Statistics over all layers, and per layer.
    public func result() -> MixingRatioResult {
        let R = Self.rows.count
        func summary(_ cells: [Int], row r: Int) -> MixingRatioResult.Summary? {
            let n = cells.reduce(0) { $0 + count[$1] }
            guard n > 0 else { return nil }
            return MixingRatioResult.Summary(
                key: Self.rows[r].key, label: Self.rows[r].label,
                mean: cells.reduce(0) { $0 + sum[$1] } / Double(n),
                max: cells.map { maximum[$0] }.max()!, min: cells.map { minimum[$0] }.min()!, count: n)
        }
        let overall = (0..<R).compactMap { r in summary((0..<layerCount).map { $0 * R + r }, row: r) }
        let perLayer = (0..<layerCount).map { l in (0..<R).compactMap { r in summary([l * R + r], row: r) } }
        return MixingRatioResult(sentences: sentences, maskedTokens: maskedTokens, rows: overall, layers: perLayer)
    }
}

/// What `MixingRatioStatistics` reports (ratios in [0, 1]).
public struct MixingRatioResult {
    public struct Summary {
        public let key: String
        public let label: String
        public let mean: Double
        public let max: Float
        public let min: Float
        /// Tokens counted (tokens x layers for the overall rows).
        public let count: Int
    }

    public let sentences: Int
    public let maskedTokens: Int
    /// Over all tokens of all layers and sequences; rows a model cannot support are absent.
    public let rows: [Summary]
    /// Per layer, the same rows.
    public let layers: [[Summary]]
}
