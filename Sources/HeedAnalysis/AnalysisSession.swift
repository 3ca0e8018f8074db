import HeedKernels
import HeedModels

/// One analysis of one forward pass, fed a layer's taps at a time, in layer order, so that a
/// long text never needs every layer's taps at once (`TapRequest.consumer`): per-layer results
/// are computed as each layer arrives, rollouts are multiplied up as they go (R = A^(l) R), and
/// the taps are dropped. `Analyzer.analyze` runs one over a whole `ForwardResult`; `Pipeline`
/// streams a forward pass into one when its taps would be too large to keep.
public final class AnalysisSession {
    let modelID: String
    let table: TokenTable
    let options: AnalyzeOptions
    /// NH for taps recorded without a geometry; nil: read from the taps.
    let heads: Int?
    /// Whether a norm follows the block, for taps without a geometry; nil: read from the taps.
    let normAfterBlock: Bool?
    let perLayer: [AnalysisMethod]
    let wantRollout: Bool, wantNormRollout: Bool
    let words: [WordRow]?
    let layerIndices: Set<Int>
    private var layers: [LayerResult] = []
    private var rollout: Tensor?, normRollout: Tensor?

    /// An analysis of `options` on a model of `layerCount` layers (options validated by the caller).
    public init(modelID: String, table: TokenTable, options: AnalyzeOptions, layerCount: Int,
                heads: Int? = nil, normAfterBlock: Bool? = nil) {
        self.modelID = modelID; self.table = table; self.options = options; self.heads = heads; self.normAfterBlock = normAfterBlock
        // A repeated method counts once (first occurrence), as a repeated layer does.
        var seen = Set<AnalysisMethod>()
        perLayer = options.methods.filter { !$0.isAcrossLayers && seen.insert($0).inserted }
        wantRollout = options.methods.contains(.rollout)
        wantNormRollout = options.methods.contains(.normRollout)
        words = options.granularity == .word ? table.words : nil
        layerIndices = Set(options.layers ?? Array(0..<layerCount))
    }

    /// What the forward pass must record for this analysis: every layer for a rollout, else the
    /// requested layers, at `options.tapLevel`.
    public var tapRequest: TapRequest {
        TapRequest(options.tapLevel, layers: wantRollout || wantNormRollout ? nil : layerIndices)
    }

    /// Analyses one layer's taps (layers in increasing order; layers no method reads are
    /// ignored). Throws ForwardError.cancelled when `isCancelled`.
    public func consume(_ taps: LayerTaps, isCancelled: () -> Bool = { false }) throws {
        let l = taps.layer
        let wanted = layerIndices.contains(l) && !perLayer.isEmpty
        if wantRollout {
            let step = Rollout.attentionStep(taps.attention!)
            rollout = rollout.map { Rollout.multiply(step, onto: $0) } ?? step
        }
        guard wanted || wantNormRollout else { return }
        if isCancelled() { throw ForwardError.cancelled }
        let normAfter = normAfterBlock ?? taps.parameters.norm.isAfterBlock
        let needsDecomposition = wantNormRollout || (wanted && perLayer.contains { $0 != .attention })
        // norm-summed and attn-res-ln share one pass over alpha only when both are wanted here.
        let bothForms = wantNormRollout || (wanted && perLayer.contains(.attnResLn))
        let d: NormDecomposition?
        if !needsDecomposition {
            d = nil
        } else if let heads {
            d = NormDecomposition(taps: taps, heads: heads, normAfterBlock: normAfter, alsoAttnResLn: bothForms)
        } else {
            d = NormDecomposition(taps: taps, alsoAttnResLn: bothForms)
        }
        var attnResLn: Tensor? = nil
        if wantNormRollout {
            let m = normAfter ? d!.attnResLn() : d!.attnRes()
            if normAfter { attnResLn = m }
            let step = Rollout.rowNormalised(m)
            normRollout = normRollout.map { Rollout.multiply(step, onto: $0) } ?? step
        }
        guard wanted else { return }
        var result = LayerResult(layer: l, values: [])
        for m in perLayer {
            let value: MethodValue
            switch m {
            case .attention: value = .tensor(Analyzer.shape(taps.attention!, headsMean: options.meanOverHeads, words: words))
            case .norm: value = .tensor(Analyzer.shape(d!.norm(), headsMean: options.meanOverHeads, words: words))
            case .valueNorm: value = .tensor(Analyzer.vectorShape(d!.valueNorm(), headsMean: options.meanOverHeads, words: words))
            case .normSummed: value = .tensor(Analyzer.shape(d!.normSummed(), headsMean: false, words: words))
            case .attnRes: value = .tensor(Analyzer.shape(d!.attnRes(), headsMean: false, words: words))
            case .attnResLn: value = .tensor(Analyzer.shape(attnResLn ?? d!.attnResLn(), headsMean: false, words: words))
            case .mixingRatio:
                value = .vectors(d!.mixingRatios().map { entry in
                    (entry.key, words.map { Aggregation.vectorToWords(entry.values, words: $0) } ?? entry.values)
                })
            case .rollout, .normRollout: continue
            }
            result.values.append((m, value))
        }
        layers.append(result)
    }

    /// The results of every layer consumed.
    public func finish() -> AnalyzeResult {
        AnalyzeResult(modelID: modelID, table: table, granularity: options.granularity, layers: layers,
                      rollout: rollout.map { r in words.map { Aggregation.toWords(r, words: $0) } ?? r },
                      normRollout: normRollout.map { r in words.map { Aggregation.toWords(r, words: $0) } ?? r })
    }
}
