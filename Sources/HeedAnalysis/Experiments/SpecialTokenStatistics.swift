import HeedModels

// The paper's section 4 re-examination (the authors' emnlp2020/exp1_bert/re-examine.py and
// relation_between_alpha_fx.py). Per sentence, layer l, head h and token class c:
//   weight = mean_i sum_{j in c} alpha^h[i,j]
//   norm   = mean_i sum_{j in c} ||alpha^h[i,j] f^h(x_j)||
//   fnorm  = mean_{j in c} ||f^h(x_j)||       (only sentences that contain class c)
// averaged over sentences, then over heads. A sentence without class c adds 0 to its weight
// and norm (an empty column sum), as in the authors' code. Spearman's rho pairs alpha^h[i,j]
// with ||f^h(x_j)|| over every (i, j in c, h) and every sentence.

/// Accumulates the special-token statistics one forward pass at a time.
public struct SpecialTokenStatistics {
    public let layerCount: Int
    public let headCount: Int
    /// Pairs kept per (layer, class) for Spearman's rho; beyond this, a uniform reservoir sample.
    public let maxPairsPerLayerAndClass: Int

    static let K = TokenClass.allCases.count
    /// Sums over sentences, (L, NH, K).
    var weightSum: [Double]
    var normSum: [Double]
    var valueNormSum: [Double]
    var sentences = 0
    /// Sentences containing each class (K).
    var classSentences = [Int](repeating: 0, count: K)
    /// (alpha, ||f||) pairs per (layer, class), index l * K + c.
    var alphaPairs: [[Float]]
    var valueNormPairs: [[Float]]
    /// Pairs seen per (layer, class), kept or not.
    var pairsSeen: [Int]
    var reservoirRNG = SplitMix64(seed: 0x5EED)

    public init(layers: Int, heads: Int, maxPairsPerLayerAndClass: Int = 2_000_000) {
        layerCount = layers
        headCount = heads
        self.maxPairsPerLayerAndClass = max(1, maxPairsPerLayerAndClass)
        let n = layers * heads * Self.K
        weightSum = [Double](repeating: 0, count: n)
        normSum = weightSum
        valueNormSum = weightSum
        alphaPairs = [[Float]](repeating: [], count: layers * Self.K)
        valueNormPairs = alphaPairs
        pairsSeen = [Int](repeating: 0, count: layers * Self.K)
    }

    /// Adds one sentence: `classes` has one entry per token, `forward` was run with `TapLevel.full`.
    public mutating func add(classes: [TokenClass], forward: ForwardResult) {
        let T = forward.tokenCount, K = Self.K, NH = headCount
        precondition(classes.count == T, "one class per token")
        precondition(forward.layers.count == layerCount, "layer count differs")
        var members = [[Int]](repeating: [], count: K)
        for (j, c) in classes.enumerated() { members[c.rawValue].append(j) }
        sentences += 1
        for c in 0..<K where !members[c].isEmpty { classSentences[c] += 1 }

        for taps in forward.layers {
            let l = taps.layer
            // Only the value norms are read here, so the norm after the block is irrelevant.
            let decomposition = NormDecomposition(taps: taps, heads: NH, normAfterBlock: false)
            let valueNorms = decomposition.valueNorms            // (NH, T)
            let norm = decomposition.norm().data                 // (NH, T, T)
            guard let alpha = taps.attention?.data else { preconditionFailure("special-token statistics need full taps") }
            for h in 0..<NH {
                // column sums over the attending tokens i
                var alphaColumns = [Double](repeating: 0, count: T), normColumns = alphaColumns
                for i in 0..<T {
                    let row = (h * T + i) * T
                    for j in 0..<T {
                        alphaColumns[j] += Double(alpha[row + j])
                        normColumns[j] += Double(norm[row + j])
                    }
                }
                for c in 0..<K where !members[c].isEmpty {
                    let cell = (l * NH + h) * K + c
                    var w: Double = 0, n: Double = 0, f: Double = 0
                    for j in members[c] { w += alphaColumns[j]; n += normColumns[j]; f += Double(valueNorms[h * T + j]) }
                    weightSum[cell] += w / Double(T)
                    normSum[cell] += n / Double(T)
                    valueNormSum[cell] += f / Double(members[c].count)
                }
            }
            for c in 0..<K where !members[c].isEmpty {
                for h in 0..<NH {
                    for i in 0..<T {
                        for j in members[c] {
                            addPair(alpha: alpha[(h * T + i) * T + j], valueNorm: valueNorms[h * T + j], slot: l * K + c)
                        }
                    }
                }
            }
        }
    }

    /// Reservoir sampling (Algorithm R) once a slot holds `maxPairsPerLayerAndClass` pairs.
    mutating func addPair(alpha: Float, valueNorm: Float, slot: Int) {
        let seen = pairsSeen[slot]
        pairsSeen[slot] = seen + 1
        if alphaPairs[slot].count < maxPairsPerLayerAndClass {
            alphaPairs[slot].append(alpha)
            valueNormPairs[slot].append(valueNorm)
        } else {
            let r = reservoirRNG.uniform(below: seen + 1)
            if r < maxPairsPerLayerAndClass {
                alphaPairs[slot][r] = alpha
                valueNormPairs[slot][r] = valueNorm
            }
        }
    }

    /// The averages, shares and correlations over everything added so far.
    public func result() -> SpecialTokenResult {
        let K = Self.K, NH = headCount
        var layers: [SpecialTokenResult.Layer] = []
        for l in 0..<layerCount {
            var heads: [[SpecialTokenResult.Values]] = []
            for h in 0..<NH {
                heads.append((0..<K).map { c in
                    let cell = (l * NH + h) * K + c
                    return SpecialTokenResult.Values(
                        weight: sentences > 0 ? weightSum[cell] / Double(sentences) : 0,
                        norm: sentences > 0 ? normSum[cell] / Double(sentences) : 0,
                        valueNorm: classSentences[c] > 0 ? valueNormSum[cell] / Double(classSentences[c]) : nil)
                })
            }
            let mean: [SpecialTokenResult.Values] = (0..<K).map { c in
                SpecialTokenResult.Values(
                    weight: heads.map { $0[c].weight }.reduce(0, +) / Double(NH),
                    norm: heads.map { $0[c].norm }.reduce(0, +) / Double(NH),
                    valueNorm: classSentences[c] > 0 ? heads.map { $0[c].valueNorm ?? 0 }.reduce(0, +) / Double(NH) : nil)
            }
            let rho = (0..<K).map { c in Spearman.rho(alphaPairs[l * K + c], valueNormPairs[l * K + c]) }
            layers.append(SpecialTokenResult.Layer(layer: l, classes: mean, heads: heads, rho: rho))
        }
        let pooledRho: [Double?] = (0..<K).map { c in
            Spearman.rho((0..<layerCount).flatMap { alphaPairs[$0 * K + c] },
                         (0..<layerCount).flatMap { valueNormPairs[$0 * K + c] })
        }
        let pairs = (0..<K).map { c in (0..<layerCount).reduce(0) { $0 + pairsSeen[$1 * K + c] } }
        let sampled = pairsSeen.contains { $0 > maxPairsPerLayerAndClass }
        return SpecialTokenResult(sentences: sentences, classSentences: classSentences, layers: layers,
                                  rho: pooledRho, pairs: pairs, sampled: sampled, maxPairsPerLayerAndClass: maxPairsPerLayerAndClass)
    }
}

/// What `SpecialTokenStatistics` reports. Arrays over classes are indexed by `TokenClass.rawValue`.
public struct SpecialTokenResult {
    /// One class in one layer (and head, or the mean over heads).
    public struct Values {
        /// mean_i sum_{j in c} alpha[i,j], averaged over sentences.
        public let weight: Double
        /// mean_i sum_{j in c} ||alpha[i,j] f(x_j)||, averaged over sentences.
        public let norm: Double
        /// mean_{j in c} ||f(x_j)||, averaged over the sentences that contain the class (nil if none).
        public let valueNorm: Double?
    }

    public struct Layer {
        public let layer: Int
        /// Mean over heads, one entry per class.
        public let classes: [Values]
        /// (NH) x (classes).
        public let heads: [[Values]]
        /// Spearman's rho between alpha^h[i,j] and ||f^h(x_j)|| over this layer's pairs, per class.
        public let rho: [Double?]

        /// Each class's share of the row total of the weights (the weights of one row sum to 1).
        public var weightShares: [Double] { Self.shares(classes.map(\.weight)) }
        /// Each class's share of the sum of the four classes' norms.
        public var normShares: [Double] { Self.shares(classes.map(\.norm)) }

        static func shares(_ v: [Double]) -> [Double] {
            let total = v.reduce(0, +)
            return v.map { total > 0 ? $0 / total : 0 }
        }
    }

    public let sentences: Int
    /// Sentences that contain each class.
    public let classSentences: [Int]
    public let layers: [Layer]
    /// Spearman's rho pooled over all layers, per class.
    public let rho: [Double?]
    /// (alpha, ||f||) pairs seen per class over all layers.
    public let pairs: [Int]
    /// True when some layer and class had more pairs than were kept, so its rho is computed on
    /// a uniform random sample of them.
    public let sampled: Bool
    /// The sample size per (layer, class) when `sampled`.
    public let maxPairsPerLayerAndClass: Int
}
