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

    /// Methods computed across all layers, reported at the result's top level.
    public var isAcrossLayers: Bool { self == .rollout || self == .normRollout }

    /// What a model supports: `attn-res-ln` needs a norm after the attention block
    /// (`normAfterBlock`: there is one, as `NormSpec.isAfterBlock` says).
    public static func supported(normAfterBlock: Bool) -> [AnalysisMethod] {
        normAfterBlock ? allCases : allCases.filter { $0 != .attnResLn }
    }

    /// What a model whose attention blocks have `attentionNorm` supports.
    public static func supported(attentionNorm: NormSpec) -> [AnalysisMethod] {
        supported(normAfterBlock: attentionNorm.isAfterBlock)
    }

    /// The highlight methods a model whose attention blocks have `attentionNorm` supports.
    public static func highlightable(attentionNorm: NormSpec) -> [AnalysisMethod] {
        highlightable(normAfterBlock: attentionNorm.isAfterBlock)
    }

    /// The methods `heed/highlight` takes, in the order an editor cycles through them (the
    /// paper's norm first, then its weight, then the residual-aware variants and the rollouts).
    public static let highlightOrder: [AnalysisMethod] = [.normSummed, .attention, .attnResLn, .attnRes, .norm, .rollout, .normRollout]

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
}

/// The result of `heed/analyze` (DESIGN.md, Protocol contract), before serialisation.
public struct AnalyzeResult: Sendable {
    public let modelID: String
    public let table: TokenTable
    public let granularity: Granularity
    public let layers: [LayerResult]
    public let rollout: Tensor?
    public let normRollout: Tensor?
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
    }

    /// Analyses `forward`'s taps, reading NH, NKV, HS, T_q, T_k and the norm from the taps
    /// themselves (the forward pass recorded them). `isCancelled` is checked between layers
    /// (throws ForwardError.cancelled).
    public static func analyze(modelID: String, forward: ForwardResult, table: TokenTable, options: AnalyzeOptions,
                               isCancelled: () -> Bool = { false }) throws -> AnalyzeResult {
        let normAfterBlock = forward.layers.first?.parameters.norm.isAfterBlock ?? false
        return try analyze(modelID: modelID, forward: forward, table: table, options: options, heads: nil,
                           normAfterBlock: normAfterBlock, isCancelled: isCancelled)
    }

    /// As `analyze(modelID:forward:table:options:isCancelled:)` with NH given (nil: read from
    /// the taps) and a norm after the block or not by `normAfterBlock`, for taps built without a
    /// geometry (NKV = NH, T_q = T_k). Throws `AnalysisError` for options the model does not
    /// support, ForwardError.cancelled.
    public static func analyze(modelID: String, forward: ForwardResult, table: TokenTable, options: AnalyzeOptions,
                               heads NH: Int?, normAfterBlock: Bool, isCancelled: () -> Bool = { false }) throws -> AnalyzeResult {
        let L = forward.layers.count
        try validate(options, layerCount: L, normAfterBlock: normAfterBlock)
        let session = AnalysisSession(modelID: modelID, table: table, options: options, layerCount: L, heads: NH, normAfterBlock: normAfterBlock)
        for taps in forward.layers { try session.consume(taps, isCancelled: isCancelled) }
        return session.finish()
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
