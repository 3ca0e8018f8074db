import HeedKernels
import HeedModels
import HeedTokenizers

/// The analysis methods of METHODS.md, by their protocol names.
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

    /// Methods Heed computes today.
    public static let implemented: [AnalysisMethod] = [.attention]
}

public enum Granularity: String, Sendable { case token, word }

/// What to compute for one text.
public struct AnalyzeOptions: Sendable {
    public var methods: [AnalysisMethod]
    /// 0-based layer indices; nil means all.
    public var layers: [Int]?
    /// Average `attention` over heads (shape 1 x T x T) instead of one matrix per head.
    public var meanOverHeads: Bool
    public var granularity: Granularity

    public init(methods: [AnalysisMethod], layers: [Int]? = nil, meanOverHeads: Bool = false, granularity: Granularity = .token) {
        self.methods = methods; self.layers = layers; self.meanOverHeads = meanOverHeads; self.granularity = granularity
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

/// One layer's requested matrices, in request order.
public struct LayerResult: Sendable {
    public let layer: Int
    public var values: [(method: AnalysisMethod, tensor: Tensor)]
}

/// The result of `heed/analyze` (DESIGN.md, Protocol contract), before serialisation.
public struct AnalyzeResult: Sendable {
    public let modelID: String
    public let table: TokenTable
    public let granularity: Granularity
    public let layers: [LayerResult]
}

/// Computes analysis results from a forward pass's taps.
public enum Analyzer {
    /// Checks `options` against what `model` supports, before any work.
    public static func validate(_ options: AnalyzeOptions, layerCount: Int) throws {
        guard !options.methods.isEmpty else { throw AnalysisError.noMethods }
        for m in options.methods where !AnalysisMethod.implemented.contains(m) {
            throw AnalysisError.unsupportedMethod(m, supported: AnalysisMethod.implemented)
        }
        for l in options.layers ?? [] where l < 0 || l >= layerCount { throw AnalysisError.layerOutOfRange(l, layers: layerCount) }
    }

    public static func analyze(modelID: String, forward: ForwardResult, table: TokenTable, options: AnalyzeOptions) throws -> AnalyzeResult {
        try validate(options, layerCount: forward.layers.count)
        let layerIndices = options.layers ?? Array(0..<forward.layers.count)
        var layers: [LayerResult] = []
        for l in layerIndices {
            var result = LayerResult(layer: l, values: [])
            for m in options.methods {
                switch m {
                case .attention:
                    guard var alpha = forward.layers[l].attention else { preconditionFailure("forward pass ran without attention taps") }
                    if options.meanOverHeads { alpha = Aggregation.meanOverHeads(alpha) }
                    if options.granularity == .word { alpha = Aggregation.toWords(alpha, words: table.words) }
                    result.values.append((m, alpha))
                default:
                    throw AnalysisError.unsupportedMethod(m, supported: AnalysisMethod.implemented)
                }
            }
            layers.append(result)
        }
        return AnalyzeResult(modelID: modelID, table: table, granularity: options.granularity, layers: layers)
    }
}
