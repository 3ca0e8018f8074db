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
    let wantRollout: Bool, wantNormRollout: Bool, wantAltiRollout: Bool, wantGlobenc: Bool
    let words: [WordRow]?
    let layerIndices: Set<Int>
    /// The model, for the methods that re-run part of a layer (globenc, value-zeroing).
    let rerun: LayerRerunning?
    /// Value zeroing's progress (0...1 over every requested layer).
    let progress: ((Double) -> Void)?
    private var zeroingLayersDone = 0
    private var layers: [LayerResult] = []
    private var rollout: Tensor?, normRollout: Tensor?, altiRollout: Tensor?, globenc: Tensor?

    /// An analysis of `options` on a model of `layerCount` layers (options validated by the
    /// caller; `rerun` given when they hold `globenc` or `value-zeroing`).
    public init(modelID: String, table: TokenTable, options: AnalyzeOptions, layerCount: Int,
                heads: Int? = nil, normAfterBlock: Bool? = nil, rerun: LayerRerunning? = nil, progress: ((Double) -> Void)? = nil) {
        self.modelID = modelID; self.table = table; self.options = options; self.heads = heads; self.normAfterBlock = normAfterBlock
        self.rerun = rerun; self.progress = progress
        // A repeated method counts once (first occurrence), as a repeated layer does.
        var seen = Set<AnalysisMethod>()
        perLayer = options.methods.filter { !$0.isAcrossLayers && seen.insert($0).inserted }
        wantRollout = options.methods.contains(.rollout)
        wantNormRollout = options.methods.contains(.normRollout)
        wantAltiRollout = options.methods.contains(.altiRollout)
        wantGlobenc = options.methods.contains(.globenc)
        words = options.granularity == .word ? table.words : nil
        layerIndices = Set(options.layers ?? Array(0..<layerCount))
    }

    /// What the forward pass must record for this analysis: every layer for a rollout, else the
    /// requested layers, at `options.tapLevel`.
    public var tapRequest: TapRequest {
        TapRequest(options.tapLevel, layers: wantRollout || everyLayer ? nil : layerIndices)
    }

    /// True when a product over layers needs every layer's decomposition.
    var everyLayer: Bool { wantNormRollout || wantAltiRollout || wantGlobenc
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
        guard wanted || everyLayer else { return }
        if isCancelled() { throw ForwardError.cancelled }
        let normAfter = normAfterBlock ?? taps.parameters.norm.isAfterBlock
        let needsDecomposition = everyLayer || (wanted && perLayer.contains { $0 != .attention })
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
        var alti: Tensor? = nil
        if wantAltiRollout {
            alti = d!.alti(mask: taps.mask)
            altiRollout = altiRollout.map { Rollout.multiply(alti!, onto: $0) } ?? alti
        }
        if wantGlobenc {
            guard let rerun else { throw AnalysisError.unsupportedMethod(.globenc, supported: AnalysisMethod.supported(normAfterBlock: normAfter)) }
            // The authors' unnormalised product, each step scaled by its largest entry (one
            // positive constant overall; `Rollout.scaledProduct`).
            let step = Rollout.scaledByMaximum(try Analyzer.normEncoder(d!, taps: taps, layer: l, rerun: rerun))
            globenc = Rollout.scaledByMaximum(globenc.map { Rollout.multiply(step, onto: $0) } ?? step)
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
            case .alti: value = .tensor(Analyzer.shape(alti ?? d!.alti(mask: taps.mask), headsMean: false, words: words))
            case .valueZeroing:
                guard let rerun else {
                    throw AnalysisError.unsupportedMethod(.valueZeroing, supported: AnalysisMethod.supported(normAfterBlock: normAfter))
                }
                let done = zeroingLayersDone, total = max(1, layerIndices.count)
                let m = try d!.valueZeroing(taps: taps, layer: l, rerun: rerun, isCancelled: isCancelled,
                                            progress: progress.map { p in { p((Double(done) + $0) / Double(total)) } })
                zeroingLayersDone += 1
                value = .tensor(Analyzer.shape(m, headsMean: false, words: words))
            case .mixingRatio:
                value = .vectors(d!.mixingRatios().map { entry in
                    (entry.key, words.map { Aggregation.vectorToWords(entry.values, words: $0) } ?? entry.values)
                })
            case .rollout, .normRollout, .altiRollout, .globenc: continue
            }
            result.values.append((m, value))
        }
        layers.append(result)
    }

    /// The results of every layer consumed.
    public func finish() -> AnalyzeResult {
        func aggregated(_ t: Tensor?) -> Tensor? { t.map { r in words.map { Aggregation.toWords(r, words: $0) } ?? r } }
        return AnalyzeResult(modelID: modelID, table: table, granularity: options.granularity, layers: layers,
                             rollout: aggregated(rollout), normRollout: aggregated(normRollout),
                             altiRollout: aggregated(altiRollout), globenc: aggregated(globenc))
    }
}
