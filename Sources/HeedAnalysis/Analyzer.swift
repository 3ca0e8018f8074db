import HeedKernels
import HeedModels
import HeedTokenizers

/// The analysis methods of docs/methods.md, by their protocol names.
public enum AnalysisMethod: String, CaseIterable, Sendable {
    case attention
    case valueNorm = "value-norm"
    case norm
    case normSummed = "norm-summed"
    case attnRes = "attn-res"
    case attnResLn = "attn-res-ln"
    case mixingRatio = "mixing-ratio"
    case rollout
    case normRollout = "norm-rollout"
    /// ALTI (Ferrando et al. 2022), per layer: L1 proximity of each token's term to the block output.
    case alti
    /// ALTI rolled out over all layers.
    case altiRollout = "alti-rollout"
    /// GlobEnc (Modarressi et al. 2022): N-Enc norms through both LayerNorms, rolled out; post-LN encoders only.
    case globenc
    /// Value zeroing (Mohebbi et al. 2023), per layer: cosine distance of each token's layer output
    /// when one token's value vectors are zeroed.
    case valueZeroing = "value-zeroing"

    /// Methods computed across all layers, reported at the result's top level.
    public var isAcrossLayers: Bool { self == .rollout || self == .normRollout || self == .altiRollout || self == .globenc }

    /// Methods that need a norm after the attention block: `attn-res-ln`, and `globenc` (the
    /// LayerNorm after the feed-forward block too).
    public var needsNormAfterBlock: Bool { self == .attnResLn || self == .globenc }

    /// Methods that re-run part of a layer (the model must be `LayerRerunning`).
    public var needsRerun: Bool { self == .globenc || self == .valueZeroing }

    /// What a model supports: `attn-res-ln` and `globenc` need a norm after the attention block
    /// (`normAfterBlock`: there is one, as `NormSpec.isAfterBlock` says).
    public static func supported(normAfterBlock: Bool) -> [AnalysisMethod] {
        normAfterBlock ? allCases : allCases.filter { !$0.needsNormAfterBlock }
    }

    /// What a model whose attention blocks have `attentionNorm` supports (`globenc` only with a
    /// LayerNorm after the block, GlobEnc's centring).
    public static func supported(attentionNorm: NormSpec) -> [AnalysisMethod] {
        let all = supported(normAfterBlock: attentionNorm.isAfterBlock)
        return attentionNorm.kind == .layerNorm ? all : all.filter { $0 != .globenc }
    }

    /// The highlight methods `network` supports: by its attention norm, and `globenc` and
    /// `value-zeroing` only when it can re-run a layer (`LayerRerunning`).
    public static func highlightable(network: TransformerModel) -> [AnalysisMethod] {
        let methods = highlightable(attentionNorm: network.attentionNorm)
        return network is LayerRerunning ? methods : methods.filter { !$0.needsRerun }
    }

    /// The highlight methods a model whose attention blocks have `attentionNorm` supports.
    public static func highlightable(attentionNorm: NormSpec) -> [AnalysisMethod] {
        let supported = supported(attentionNorm: attentionNorm)
        return highlightOrder.filter(supported.contains)
    }

    /// The methods `heed/highlight` takes, in the order an editor cycles through them (the
    /// paper's norm first, then its weight, then the residual-aware variants and the rollouts).
    /// The methods of the follow-up papers come last: ALTI, its rollout, GlobEnc, value zeroing.
    public static let highlightOrder: [AnalysisMethod] = [.normSummed, .attention, .attnResLn, .attnRes, .norm, .rollout, .normRollout,
                                                          .alti, .altiRollout, .globenc, .valueZeroing]

    /// The highlight methods a model supports, in `highlightOrder` (ModelInfo's `methods`).
    public static func highlightable(normAfterBlock: Bool) -> [AnalysisMethod] {
        let supported = supported(normAfterBlock: normAfterBlock)
        return highlightOrder.filter(supported.contains)
    }
}

public enum Granularity: String, Sendable { case token, word }

/// What to compute for one text.
public struct AnalyzeOptions: Sendable {
    public var methods: [AnalysisMethod]
    /// 0-based layer indices; nil means all.
    public var layers: [Int]?
    /// Average `attention`, `norm` and `value-norm` over heads (leading dimension 1).
    public var meanOverHeads: Bool
    public var granularity: Granularity

    public init(methods: [AnalysisMethod], layers: [Int]? = nil, meanOverHeads: Bool = false, granularity: Granularity = .token) {
        self.methods = methods; self.layers = layers; self.meanOverHeads = meanOverHeads; self.granularity = granularity
    }

    /// The taps the forward pass must record for these methods.
    public var tapLevel: TapLevel {
        methods.allSatisfy { $0 == .attention || $0 == .rollout } ? .attention : .full
    }
}

public enum AnalysisError: Error, Equatable, CustomStringConvertible {
    case unsupportedMethod(AnalysisMethod, supported: [AnalysisMethod])
    case layerOutOfRange(Int, layers: Int)
    case noMethods

    public var description: String {
        switch self {
        case let .unsupportedMethod(m, supported):
            return "method \"\(m.rawValue)\" is not supported for this model (supported: \(supported.map(\.rawValue).joined(separator: ", ")))"
        case let .layerOutOfRange(l, n): return "layer \(l) is out of range: the model has layers 0...\(n - 1)"
        case .noMethods: return "no analysis method requested"
        }
    }
}

/// One method's value in one layer: a matrix or vector, or the named mixing-ratio vectors.
public enum MethodValue: Sendable {
    case tensor(Tensor)
    case vectors([(key: String, values: [Float])])
}

/// One layer's requested results, in request order.
public struct LayerResult: Sendable {
    public let layer: Int
    public var values: [(method: AnalysisMethod, value: MethodValue)]

    public init(layer: Int, values: [(method: AnalysisMethod, value: MethodValue)]) { self.layer = layer; self.values = values }
}

/// The result of `heed/analyze` (DESIGN.md, Protocol contract), before serialisation.
public struct AnalyzeResult: Sendable {
    public let modelID: String
    public let table: TokenTable
    public let granularity: Granularity
    public let layers: [LayerResult]
    public let rollout: Tensor?
    public let normRollout: Tensor?
    /// `alti-rollout` (T, T), when requested.
    public let altiRollout: Tensor?
    /// `globenc` (T, T), when requested.
    public let globenc: Tensor?

    public init(modelID: String, table: TokenTable, granularity: Granularity, layers: [LayerResult], rollout: Tensor?,
                normRollout: Tensor?, altiRollout: Tensor? = nil, globenc: Tensor? = nil) {
        self.modelID = modelID; self.table = table; self.granularity = granularity; self.layers = layers
        self.rollout = rollout; self.normRollout = normRollout; self.altiRollout = altiRollout; self.globenc = globenc
    }

    /// The across-layer result of `method` (`rollout`, `norm-rollout`, `alti-rollout`,
    /// `globenc`), nil when it was not requested or the method is per layer.
    public func acrossLayers(_ method: AnalysisMethod) -> Tensor? {
        switch method {
        case .rollout: return rollout
        case .normRollout: return normRollout
        case .altiRollout: return altiRollout
        case .globenc: return globenc
        default: return nil
        }
    }
}

/// Computes analysis results from a forward pass's taps (never from model internals).
public enum Analyzer {
    /// Checks `options` against what the model supports, before any work: L layers, and a norm
    /// after the attention block or not (`normAfterBlock`, for `attn-res-ln`).
    public static func validate(_ options: AnalyzeOptions, layerCount: Int, normAfterBlock: Bool) throws {
        guard !options.methods.isEmpty else { throw AnalysisError.noMethods }
        let supported = AnalysisMethod.supported(normAfterBlock: normAfterBlock)
        for m in options.methods where !supported.contains(m) {
            throw AnalysisError.unsupportedMethod(m, supported: supported)
        }
        for l in options.layers ?? [] where l < 0 || l >= layerCount { throw AnalysisError.layerOutOfRange(l, layers: layerCount) }
    }

    /// Checks `options` against a model whose attention blocks have `attentionNorm`.
    public static func validate(_ options: AnalyzeOptions, layerCount: Int, attentionNorm: NormSpec) throws {
        try validate(options, layerCount: layerCount, normAfterBlock: attentionNorm.isAfterBlock)
        let supported = AnalysisMethod.supported(attentionNorm: attentionNorm)
        if let m = options.methods.first(where: { !supported.contains($0) }) { throw AnalysisError.unsupportedMethod(m, supported: supported) }
    }

    /// Analyses `forward`'s taps, reading NH, NKV, HS, T_q, T_k and the norm from the taps
    /// themselves (the forward pass recorded them). `isCancelled` is checked between layers
    /// (and between the batches of value zeroing; throws ForwardError.cancelled). `rerun` (the
    /// model) is needed by `globenc` and `value-zeroing`, which re-run the part of a layer after
    /// its attention block (without it they throw `AnalysisError.unsupportedMethod`);
    /// `progress` receives the fraction of value zeroing's work done (0...1).
    public static func analyze(modelID: String, forward: ForwardResult, table: TokenTable, options: AnalyzeOptions,
                               rerun: LayerRerunning? = nil, progress: ((Double) -> Void)? = nil,
                               isCancelled: () -> Bool = { false }) throws -> AnalyzeResult {
        let normAfterBlock = forward.layers.first?.parameters.norm.isAfterBlock ?? false
        return try analyze(modelID: modelID, forward: forward, table: table, options: options, heads: nil,
                           normAfterBlock: normAfterBlock, rerun: rerun, progress: progress, isCancelled: isCancelled)
    }

    /// As `analyze(modelID:forward:table:options:isCancelled:)` with NH given (nil: read from
    /// the taps) and a norm after the block or not by `normAfterBlock`, for taps built without a
    /// geometry (NKV = NH, T_q = T_k). Throws `AnalysisError` for options the model does not
    /// support, ForwardError.cancelled.
    public static func analyze(modelID: String, forward: ForwardResult, table: TokenTable, options: AnalyzeOptions,
                               heads NH: Int?, normAfterBlock: Bool, rerun: LayerRerunning? = nil, progress: ((Double) -> Void)? = nil,
                               isCancelled: () -> Bool = { false }) throws -> AnalyzeResult {
        let L = forward.layers.count
        try validate(options, layerCount: L, normAfterBlock: normAfterBlock)
        try checkRerun(options, rerun: rerun, normAfterBlock: normAfterBlock)
        let session = AnalysisSession(modelID: modelID, table: table, options: options, layerCount: L, heads: NH, normAfterBlock: normAfterBlock,
                                      rerun: rerun, progress: progress)
        for taps in forward.layers { try session.consume(taps, isCancelled: isCancelled) }
        return session.finish()
    }

    /// `globenc` and `value-zeroing` need the model (`rerun`): without it they are refused.
    static func checkRerun(_ options: AnalyzeOptions, rerun: LayerRerunning?, normAfterBlock: Bool) throws {
        if rerun == nil, let m = options.methods.first(where: \.needsRerun) {
            throw AnalysisError.unsupportedMethod(m, supported: AnalysisMethod.supported(normAfterBlock: normAfterBlock).filter { !$0.needsRerun })
        }
    }

    /// GlobEnc's N-Enc matrix of layer `l`: the second LayerNorm's input p = FFN(LN1(y)) + LN1(y)
    /// is recomputed from the taps' residual sum y by `rerun`.
    static func normEncoder(_ d: NormDecomposition, taps: LayerTaps, layer l: Int, rerun: LayerRerunning) throws -> Tensor {
        guard let second = rerun.feedForwardNorm(layer: l), let y = taps.residualSum, taps.parameters.norm == .postLayerNorm else {
            throw AnalysisError.unsupportedMethod(.globenc, supported: AnalysisMethod.supported(attentionNorm: taps.parameters.norm))
        }
        let T = y.shape[0], C = y.shape[1]
        var p = [Float](repeating: 0, count: T * C)
        var output = [Float](repeating: 0, count: T * C)
        y.data.withUnsafeBufferPointer { yp in p.withUnsafeMutableBufferPointer { pp in output.withUnsafeMutableBufferPointer { op in
            rerun.afterAttention(layer: l, residualSum: yp.baseAddress!, rows: T, secondNormInput: pp.baseAddress!, output: op.baseAddress!)
        } } }
        return d.normEncoder(secondNormWeight: second.weight, secondNormEps: second.eps, secondNormInput: p)
    }

    static func shape(_ t: Tensor, headsMean: Bool, words: [WordRow]?) -> Tensor {
        var t = t
        if headsMean, t.rank == 3 { t = Aggregation.meanOverHeads(t) }
        if let words { t = Aggregation.toWords(t, words: words) }
        return t
    }

    /// (NH, T) per-token vectors: mean over heads, then averaged per word.
    static func vectorShape(_ t: Tensor, headsMean: Bool, words: [WordRow]?) -> Tensor {
        var t = t
        if headsMean { t = Aggregation.meanOverHeads(t) }
        guard let words else { return t }
        let rows = t.shape[0], T = t.shape[1]
        var out: [Float] = []
        for r in 0..<rows { out += Aggregation.vectorToWords(Array(t.data[(r * T)..<((r + 1) * T)]), words: words) }
        return Tensor(shape: [rows, words.count], data: out)
    }
}
