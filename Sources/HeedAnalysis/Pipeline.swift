import HeedKernels
import HeedModels
import HeedTokenizers

/// Which layer a highlight reads.
public enum LayerChoice: Equatable, Sendable {
    case index(Int)
    case last
}

/// `heed/highlight` parameters, offsets in `encoding` units of `text`.
public struct HighlightRequest: Sendable {
    public var text: String
    public var focus: Range<Int>
    public var method: AnalysisMethod
    public var layer: LayerChoice
    public var direction: HighlightDirection
    public var granularity: Granularity
    public var topK: Int?
    public var encoding: PositionEncoding

    public init(text: String, focus: Range<Int>, method: AnalysisMethod, layer: LayerChoice = .last,
                direction: HighlightDirection = .from, granularity: Granularity = .token, topK: Int? = nil,
                encoding: PositionEncoding) {
        self.text = text; self.focus = focus; self.method = method; self.layer = layer; self.direction = direction
        self.granularity = granularity; self.topK = topK; self.encoding = encoding
    }
}

/// A highlight's matrix and units, before a focus is applied.
public struct HighlightBasis: Sendable {
    /// (T, T) over the units: row i attends to column j.
    public let matrix: [Float]
    public let units: [HighlightUnit]
    public let method: AnalysisMethod
    public let layer: Int?
    public let window: Range<Int>?
    /// The index (in the analysed encoding) of each unit's last token: a prediction at the
    /// focus follows the focus's last unit's last token.
    public let unitLastTokens: [Int]
    /// The model is causal: an empty focus selects the last unit before the cursor.
    public let causal: Bool
    /// Bytes held, for cache accounting.
    public var byteCount: Int { matrix.count * 4 + units.count * 32 + 64 }
}

/// The `heed/highlight` result.
public struct HighlightResult: Sendable {
    public let encoding: PositionEncoding
    public let ranges: [HighlightRange]
    /// The span of the focus units actually used.
    public let focus: Range<Int>
    public let method: AnalysisMethod
    /// nil for rollouts (all layers).
    public let layer: Int?
    /// The analysed slice when the text exceeds the model's limit.
    public let window: Range<Int>?
    /// The index, in the analysed encoding, of the focus's last token: where a prediction at
    /// the focus is read (`heed/highlight`'s `predict`).
    public let focusLastToken: Int
}

public enum PipelineError: Error, Equatable, CustomStringConvertible {
    case inputTooLong(tokens: Int, limit: Int)
    case focusOutOfRange(focus: Range<Int>, length: Int)
    case methodNotHighlightable(AnalysisMethod)
    /// A non-empty focus (offsets in the request's encoding) that overlaps no unit with a span.
    case focusOverlapsNoUnit(focus: Range<Int>, granularity: Granularity)
    /// A text none of whose units has a span (empty, or only whitespace and dropped characters):
    /// there is nothing to focus on.
    case textHasNoUnit(granularity: Granularity)

    public var description: String {
        switch self {
        case let .inputTooLong(tokens, limit): return "the text has \(tokens) tokens; the model allows at most \(limit)"
        case let .focusOutOfRange(focus, length): return "focus \(focus.lowerBound)..<\(focus.upperBound) is outside the text (length \(length))"
        case let .focusOverlapsNoUnit(focus, granularity):
            return "focus \(focus.lowerBound)..<\(focus.upperBound) overlaps no \(granularity.rawValue) of the text (it covers only whitespace or characters the tokenizer drops); give a span that overlaps one, or an empty focus (a cursor) for the nearest"
        case let .textHasNoUnit(granularity):
            return "the text has no \(granularity.rawValue) to focus on: it is empty or holds only whitespace or characters the tokenizer drops (the special tokens the tokenizer inserts have no span)"
        case let .methodNotHighlightable(m): return "method \"\(m.rawValue)\" cannot be highlighted (use attention, norm, norm-summed, attn-res, attn-res-ln, rollout, norm-rollout, alti, alti-rollout, globenc or value-zeroing)"
        }
    }
}

/// Text in, results out: tokenize, window, forward, analyse. Shared by the CLI and the daemon;
/// `forward` lets the daemon put its cache around the forward pass.
public enum Pipeline {
    /// Runs the model on `ids`, recording what the request asks for (a caller may serve a
    /// request without a consumer from a cache).
    public typealias Forward = (_ ids: [Int], _ taps: TapRequest) throws -> ForwardResult

    public static func directForward(_ model: LoadedModel, isCancelled: @escaping () -> Bool = { false }) -> Forward {
        // The analysis reads taps, never the last layer's output: skip its feed-forward block.
        { ids, taps in try model.network.forward(ids, taps: taps, finalHiddenState: taps.level == .none, isCancelled: isCancelled) }
    }

    /// Taps of every layer at `.full` are kept (and cached by the daemon, so that method and
    /// layer toggles never re-run the model) up to this many bytes; beyond, the forward pass is
    /// streamed into the analysis layer by layer and only the results are kept (a long text on a
    /// deep model: SmolLM2's taps at T = 2048 would be 4.9 GB).
    public static let keptTapsLimitBytes = 256 << 20

    /// Bytes of every layer's taps at `.full` for T tokens: alpha (NH, T, T) and four (T, C) per layer.
    public static func fullTapBytes(layers L: Int, heads NH: Int, hidden C: Int, tokens T: Int) -> Int {
        4 * L * (NH * T * T + 4 * T * C)
    }

    /// True when an analysis of T tokens on `network` keeps all layers' taps (see `keptTapsLimitBytes`).
    public static func keepsTaps(_ network: TransformerModel, tokens T: Int) -> Bool {
        fullTapBytes(layers: network.layerCount, heads: network.headCount, hidden: network.hiddenSize, tokens: T) <= keptTapsLimitBytes
    }

    /// The analysis of `ids` (whose token table is `table`): one forward pass whose taps are
    /// kept whole when they are small (`keepsTaps`), else streamed layer by layer into an
    /// `AnalysisSession` (only the requested layers recorded; nothing of the taps kept).
    /// `streamed` overrides the choice (tests).
    public static func run(model: LoadedModel, ids: [Int], table: TokenTable, options: AnalyzeOptions, forward: Forward,
                           streamed: Bool? = nil, progress: ((Double) -> Void)? = nil,
                           isCancelled: @escaping () -> Bool = { false }) throws -> AnalyzeResult {
        let net = try model.network
        // globenc and value-zeroing re-run part of a layer: they need the model itself.
        let rerun = net as? LayerRerunning
        try Analyzer.checkRerun(options, rerun: rerun, normAfterBlock: net.attentionNorm.isAfterBlock)
        if !(streamed ?? !keepsTaps(net, tokens: ids.count)) {
            let result = try forward(ids, TapRequest(options.tapLevel))
            return try Analyzer.analyze(modelID: model.id, forward: result, table: table, options: options,
                                        rerun: rerun, progress: progress, isCancelled: isCancelled)
        }
        let session = AnalysisSession(modelID: model.id, table: table, options: options, layerCount: net.layerCount,
                                      rerun: rerun, progress: progress)
        var request = session.tapRequest
        request.consumer = { try session.consume($0, isCancelled: isCancelled) }
        _ = try forward(ids, request)
        return session.finish()
    }

    /// `heed/analyze`: the whole text, never truncated (too long: PipelineError.inputTooLong).
    /// `tokenize` and `forward` let the daemon put its caches around those steps.
    public static func analyze(model: LoadedModel, text: String, options: AnalyzeOptions, encoding: PositionEncoding,
                               tokenize: ((String) -> Encoding)? = nil, forward: Forward? = nil,
                               progress: ((Double) -> Void)? = nil,
                               isCancelled: @escaping () -> Bool = { false }) throws -> AnalyzeResult {
        let net = try model.network
        try Analyzer.validate(options, layerCount: net.layerCount, attentionNorm: net.attentionNorm)
        let encoded = tokenize?(text) ?? model.tokenizer.encode(text)
        guard encoded.tokens.count <= net.maxTokens else { throw PipelineError.inputTooLong(tokens: encoded.tokens.count, limit: net.maxTokens) }
        try model.checkEmbeddable(encoded)
        let table = TokenTable(text: text, encoded: encoded, encoding: encoding, tokenizer: model.tokenizer)
        return try run(model: model, ids: encoded.ids, table: table, options: options,
                       forward: forward ?? directForward(model, isCancelled: isCancelled), progress: progress, isCancelled: isCancelled)
    }

    /// Length of `text` in `encoding` units.
    public static func length(of text: String, in encoding: PositionEncoding) -> Int {
        switch encoding {
        case .utf8: return text.utf8.count
        case .utf16: return text.utf16.count
        case .utf32: return text.unicodeScalars.count
        }
    }

    /// `heed/highlight`: one method, one layer, head-averaged, from the focus in `direction`.
    public static func highlight(model: LoadedModel, request r: HighlightRequest, forward: Forward? = nil,
                                 isCancelled: @escaping () -> Bool = { false }) throws -> HighlightResult {
        try validate(model: model, request: r)
        let (windowed, window) = try highlightWindow(model: model, encoded: model.tokenizer.encode(r.text), request: r)
        let basis = try highlightBasis(model: model, request: r, windowed: windowed, window: window,
                                       forward: forward ?? directForward(model, isCancelled: isCancelled), isCancelled: isCancelled)
        return try finishHighlight(basis, request: r)
    }

    /// Checks a highlight request before any work: method, layer and focus bounds.
    public static func validate(model: LoadedModel, request r: HighlightRequest) throws {
        let net = try model.network
        guard r.method != .valueNorm, r.method != .mixingRatio else { throw PipelineError.methodNotHighlightable(r.method) }
        let length = length(of: r.text, in: r.encoding)
        guard r.focus.lowerBound >= 0, r.focus.upperBound <= length else { throw PipelineError.focusOutOfRange(focus: r.focus, length: length) }
        try Analyzer.validate(options(model: model, request: r), layerCount: net.layerCount, attentionNorm: net.attentionNorm)
    }

    static func layerIndex(model: LoadedModel, request r: HighlightRequest) -> Int {
        switch r.layer {
        case .last: return model.shape.layers - 1
        case let .index(n): return n
        }
    }

    static func options(model: LoadedModel, request r: HighlightRequest) -> AnalyzeOptions {
        AnalyzeOptions(methods: [r.method], layers: r.method.isAcrossLayers ? nil : [layerIndex(model: model, request: r)],
                       meanOverHeads: true, granularity: r.granularity)
    }

    /// The units of a table at a granularity: its tokens or its words, with their spans.
    static func highlightUnits(_ table: TokenTable, granularity: Granularity) -> [HighlightUnit] {
        granularity == .word
            ? table.words.map { HighlightUnit(start: $0.start, end: $0.end) }
            : table.tokens.map { HighlightUnit(start: $0.start, end: $0.end) }
    }

    /// The encoding a highlight analyses: all of it, or, beyond the model's limit, the window of
    /// the limit centred on the focus (for a causal model: ending at the focus, `windowBounds`), with the span (in the request's encoding) of its first to
    /// last token that has one. Resolves the focus first, before any model work.
    /// - Throws: `PipelineError.focusOverlapsNoUnit` or `.textHasNoUnit` (see `Highlighter.focusUnits`).
    public static func highlightWindow(model: LoadedModel, encoded: Encoding, request r: HighlightRequest) throws -> (Encoding, Range<Int>?) {
        let limit = model.shape.maxTokens
        let full = TokenTable(text: r.text, encoded: encoded, encoding: r.encoding, tokenizer: model.tokenizer)
        let focus = try Highlighter.focusUnits(highlightUnits(full, granularity: r.granularity), focus: r.focus,
                                               granularity: r.granularity, causal: model.shape.causal)
        guard encoded.tokens.count > limit else { return (encoded, nil) }
        let focusTokens = r.granularity == .word ? focus.flatMap { full.words[$0].tokens } : focus
        let windowed = centredWindow(encoded, around: focusTokens, limit: limit, causal: model.shape.causal)
        let body = windowed.tokens.filter { !$0.span.scalars.isEmpty }
        guard let first = body.first, let last = body.last else { return (windowed, nil) }
        return (windowed, r.encoding.range(of: first.span).lowerBound..<r.encoding.range(of: last.span).upperBound)
    }

    /// What every focus on the same text, method, layer and granularity shares: the matrix and
    /// the units. The daemon caches it, so a new focus costs only `finishHighlight`.
    public static func highlightBasis(model: LoadedModel, request r: HighlightRequest, windowed: Encoding, window: Range<Int>?,
                                      forward: Forward, isCancelled: @escaping () -> Bool = { false }) throws -> HighlightBasis {
        let options = options(model: model, request: r)
        let table = TokenTable(text: r.text, encoded: windowed, encoding: r.encoding, tokenizer: model.tokenizer)
        try model.checkEmbeddable(windowed)
        let analysis = try run(model: model, ids: windowed.ids, table: table, options: options, forward: forward, isCancelled: isCancelled)
        let matrix: Tensor
        switch r.method {
        case .rollout, .normRollout, .altiRollout, .globenc: matrix = analysis.acrossLayers(r.method)!
        default:
            guard case let .tensor(t)? = analysis.layers.first?.values.first?.value else { preconditionFailure("analysis returned no matrix") }
            matrix = t
        }
        let units = highlightUnits(table, granularity: r.granularity)
        let lastTokens = r.granularity == .word ? table.words.map { $0.tokens.last ?? 0 } : Array(table.tokens.indices)
        return HighlightBasis(matrix: matrix.data, units: units, method: r.method,
                              layer: r.method.isAcrossLayers ? nil : layerIndex(model: model, request: r), window: window,
                              unitLastTokens: lastTokens, causal: model.shape.causal)
    }

    /// Focus, direction and topK applied to a basis: O(T^2) at most, no model work.
    /// - Throws: `PipelineError.focusOverlapsNoUnit` or `.textHasNoUnit` (see `Highlighter.focusUnits`).
    public static func finishHighlight(_ basis: HighlightBasis, request r: HighlightRequest) throws -> HighlightResult {
        let focusUnits = try Highlighter.focusUnits(basis.units, focus: r.focus, granularity: r.granularity, causal: basis.causal)
        let ranges = Highlighter.ranges(matrix: basis.matrix, units: basis.units, focus: focusUnits, direction: r.direction, topK: r.topK)
        let usedFocus = focusUnits.map { basis.units[$0].start }.min()!..<focusUnits.map { basis.units[$0].end }.max()!
        return HighlightResult(encoding: r.encoding, ranges: ranges, focus: usedFocus, method: basis.method,
                               layer: basis.layer, window: basis.window,
                               focusLastToken: focusUnits.map { basis.unitLastTokens[$0] }.max()!)
    }

    /// The limit's worth of tokens centred on the focus (token indices), or for a `causal`
    /// model ending at it (`windowBounds`): the tokens the post-processor inserted at either end
    /// of the full encoding, around a slice of the body (the tokens from the text, special
    /// tokens typed in it included).
    static func centredWindow(_ encoded: Encoding, around focus: [Int], limit: Int, causal: Bool = false) -> Encoding {
        let tokens = encoded.tokens
        let (body, start, end) = windowBounds(encoded, around: focus, limit: limit, causal: causal)
        return Encoding(tokens: Array(tokens[..<body.lowerBound]) + Array(tokens[start..<end]) + Array(tokens[body.upperBound...]))
    }
}
