// What protocol.md section 5.9 serves for an encoder-decoder pair, from a teacher-forced pass
// (`MarianModel.forwardSeq2Seq`): the cross-attention methods per decoder layer (analyze), the
// source shaded from a focus in the target (highlight), and word alignments with their spans in
// both texts (align). Rows of every cross-attention matrix are the decoder steps: step t reads
// target token t - 1 (step 0 the start token) and outputs target token t, so the rows are indexed
// like the target's tokens (`</s>` last); a target token is read at row t + 1 (`.input`) or t
// (`.output`) (Kobayashi et al. 2020, section 5; WordAlignment.swift).

import Foundation
import HeedKernels
import HeedModels
import HeedTokenizers

/// The methods defined for cross-attention (CrossAttention.swift).
public enum CrossAttentionMethods {
    /// `heed/highlight`'s methods with `focusIn: "target"`, in the order an editor cycles through
    /// them (ModelInfo `crossMethods`).
    public static let highlightable: [AnalysisMethod] = [.normSummed, .attention, .norm]
    /// What `heed/analyze` reports under `cross`.
    public static let analyzable: Set<AnalysisMethod> = [.attention, .norm, .valueNorm, .normSummed]

    /// The per-layer methods of `methods` that a decoder's self-attention gives without re-running
    /// the model (no products over layers, no `globenc`, no `value-zeroing`): `heed/analyze`'s
    /// `decoder` object.
    public static func decoderSelfAttention(_ methods: [AnalysisMethod]) -> [AnalysisMethod] {
        methods.filter { !$0.isAcrossLayers && !$0.needsRerun }
    }

    /// `heed/analyze`'s `cross` entry of one decoder layer: the requested cross methods in request
    /// order, `attention` / `norm` NH x T_tgt x T_src (1 x ... with `meanOverHeads`), `value-norm`
    /// NH x T_src, `norm-summed` T_tgt x T_src; with words, rows averaged over `targetWords`'
    /// tokens and columns summed over `sourceWords`' (`value-norm` averaged per source word).
    /// Throws `CrossAttentionError.incompleteTaps` for taps not recorded at `TapLevel.full`.
    public static func layerResult(_ taps: LayerTaps, methods: [AnalysisMethod], meanOverHeads: Bool,
                                   targetWords: [WordRow]?, sourceWords: [WordRow]?) throws -> LayerResult {
        let analysis = try CrossAttentionAnalysis(taps: taps)
        var values: [(method: AnalysisMethod, value: MethodValue)] = []
        func shaped(_ t: Tensor) -> Tensor {
            var t = t
            if meanOverHeads, t.rank == 3 { t = Aggregation.meanOverHeads(t) }
            if let targetWords, let sourceWords { t = Aggregation.toWords(t, rowWords: targetWords, columnWords: sourceWords) }
            return t
        }
        for method in methods where analyzable.contains(method) {
            switch method {
            case .attention: values.append((method, .tensor(shaped(analysis.attention))))
            case .norm: values.append((method, .tensor(shaped(analysis.norm()))))
            case .normSummed: values.append((method, .tensor(shaped(analysis.normSummed()))))
            default: values.append((method, .tensor(Analyzer.vectorShape(analysis.valueNorm, headsMean: meanOverHeads, words: sourceWords))))
            }
        }
        return LayerResult(layer: taps.layer, values: values)
    }

    /// The token-level T_tgt x T_src matrix a highlight method reads: `attention` or `norm`
    /// averaged over heads, or `norm-summed`. nil for a method not in `highlightable`.
    public static func matrix(_ analysis: CrossAttentionAnalysis, method: AnalysisMethod) -> Tensor? {
        func squeezed(_ t: Tensor) -> Tensor { Tensor(shape: [analysis.queries, analysis.keys], data: Aggregation.meanOverHeads(t).data) }
        switch method {
        case .attention: return analysis.meanAttention()
        case .norm: return squeezed(analysis.norm())
        case .normSummed: return analysis.normSummed()
        default: return nil
        }
    }
}

/// The source shaded from a focus in the target (`heed/highlight` with `focusIn: "target"`).
public enum CrossHighlight {
    /// Ranges over the source's units (tokens or words with a span, offsets in `source.encoding`
    /// units of the source text) valued by `matrix` (T_tgt x T_src, token level): value_j = the
    /// mean over the focus's rows of the sum over unit j's tokens, a focus token t reading row
    /// t + 1 (`.input`) or t (`.output`); `topK` keeps the K highest (text order); score = value /
    /// the largest value. Returns them with the span of the focus units (in target offsets).
    /// - Throws: `PipelineError.textHasNoUnit` / `.focusOverlapsNoUnit` for the target's focus.
    public static func ranges(matrix: Tensor, source: TokenTable, target: TokenTable, focus: Range<Int>,
                              setting: AlignmentSetting, granularity: Granularity, topK: Int?) throws -> (ranges: [HighlightRange], focus: Range<Int>) {
        let cols = matrix.shape[1]
        let (focusRows, focusSpan) = try rows(target: target, focus: focus, setting: setting, granularity: granularity,
                                              decoderSteps: matrix.shape[0])
        let sourceUnits = units(source, granularity)
        let shown = sourceUnits.indices.filter { sourceUnits[$0].unit.hasSpan }
        guard !shown.isEmpty else { throw PipelineError.textHasNoUnit(granularity: granularity) }
        var values = [Float](repeating: 0, count: sourceUnits.count)
        for u in shown {
            var s: Float = 0
            for r in focusRows { for k in sourceUnits[u].tokens where k < cols { s += matrix.data[r * cols + k] } }
            values[u] = focusRows.isEmpty ? 0 : s / Float(focusRows.count)
        }
        var kept = shown
        if let topK, kept.count > topK {
            kept = Array(kept.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(topK)).sorted()
        }
        let top = kept.map { values[$0] }.max() ?? 0
        let ranges = kept.map { u in
            HighlightRange(start: sourceUnits[u].unit.start, end: sourceUnits[u].unit.end, score: top > 0 ? values[u] / top : 0, value: values[u])
        }
        return (ranges, focusSpan)
    }

    /// The decoder steps (rows, < `decoderSteps`) that read the tokens of the target units the
    /// focus selects (Highlighter.focusUnits), in `setting`, and the span of those units.
    /// - Throws: `PipelineError.textHasNoUnit` / `.focusOverlapsNoUnit`.
    public static func rows(target: TokenTable, focus: Range<Int>, setting: AlignmentSetting, granularity: Granularity,
                            decoderSteps: Int) throws -> (rows: [Int], focus: Range<Int>) {
        let targetUnits = units(target, granularity)
        let focusUnits = try Highlighter.focusUnits(targetUnits.map(\.unit), focus: focus, granularity: granularity)
        let rows = focusUnits.flatMap { targetUnits[$0].tokens }.map { setting == .output ? $0 : $0 + 1 }.filter { $0 < decoderSteps }
        let spans = focusUnits.map { targetUnits[$0].unit }
        return (rows, spans.map(\.start).min()!..<spans.map(\.end).max()!)
    }

    /// A table's units (tokens or words) with their token indices.
    static func units(_ table: TokenTable, _ granularity: Granularity) -> [(unit: HighlightUnit, tokens: [Int])] {
        granularity == .word
            ? table.words.map { (HighlightUnit(start: $0.start, end: $0.end), $0.tokens) }
            : table.tokens.map { (HighlightUnit(start: $0.start, end: $0.end), [$0.index]) }
    }
}

/// A whitespace-separated word of one side of an aligned pair (`heed/align`).
public struct AlignWord: Equatable, Sendable {
    public let index: Int
    public let text: String
    /// Offsets in the text, in the request's position encoding.
    public let start: Int, end: Int
    /// The indices of the side's tokens that belong to the word (WordAlignment.wordOfTokens).
    public let tokens: [Int]
}

/// Word alignments of one pair with spans (`heed/align`).
public struct PairAlignment: Sendable {
    public let sourceWords: [AlignWord]
    public let targetWords: [AlignWord]
    /// One per target word that has a token: the source word with the largest value, and it.
    public let links: [(link: AlignmentLink, score: Float)]

    /// Links from `matrix` (T_tgt x T_src) as `WordAlignment.scoredLinks` makes them, with the
    /// words of both texts (`WordAlignment.words`) in `encoding` units.
    public init(matrix: Tensor, setting: AlignmentSetting, source: (text: String, encoded: Encoding),
                target: (text: String, encoded: Encoding), encoding: PositionEncoding) {
        func words(_ text: String, _ encoded: Encoding) -> (words: [AlignWord], wordOfToken: [Int?]) {
            let ranges = WordAlignment.words(text)
            let wordOf = WordAlignment.wordOfTokens(encoded.tokens, text: text, words: ranges)
            let scalars = Array(text.unicodeScalars)
            // Offsets of every scalar boundary in the encoding's units.
            var offsets = [0]
            offsets.reserveCapacity(scalars.count + 1)
            for s in scalars {
                let width: Int
                switch encoding {
                case .utf8: width = UTF8.width(s)
                case .utf16: width = UTF16.width(s)
                case .utf32: width = 1
                }
                offsets.append(offsets.last! + width)
            }
            let result = ranges.enumerated().map { w, r in
                AlignWord(index: w, text: String(String.UnicodeScalarView(scalars[r])), start: offsets[r.lowerBound], end: offsets[r.upperBound],
                          tokens: wordOf.indices.filter { wordOf[$0] == w })
            }
            return (result, wordOf)
        }
        let s = words(source.text, source.encoded), t = words(target.text, target.encoded)
        sourceWords = s.words
        targetWords = t.words
        links = WordAlignment.scoredLinks(matrix: matrix, setting: setting, targetWords: t.wordOfToken, sourceWords: s.wordOfToken)
    }
}

/// `heed/analyze` with a `target` (protocol.md section 5.9): the encoder's analysis over the
/// source, the target's tokens, the decoder's self-attention and the cross-attention per decoder layer.
public struct PairAnalyzeResult: Sendable {
    public let encoder: AnalyzeResult
    public let targetTable: TokenTable
    /// The requested decoder layers, each with the decoder self-attention methods of `options`
    /// (CrossAttentionMethods.decoderSelfAttention; none: `values` empty).
    public let decoder: [LayerResult]
    /// The requested decoder layers, each with the cross-attention methods of `options`.
    public let cross: [LayerResult]
}

/// One encoder-decoder pair, teacher-forced (Kobayashi et al. 2020, section 5).
public enum PairAnalysis {
    /// The pass of `source` and `target` (their encodings, `</s>` included) with every tap
    /// recorded. Throws `ForwardError` (empty, too long, an id outside a side's vocabulary, cancelled).
    public static func forward(_ model: MarianModel, source: Encoding, target: Encoding,
                               isCancelled: () -> Bool = { false }) throws -> Seq2SeqResult {
        try model.forwardSeq2Seq(source: source.ids, decoderInput: model.decoderInput(forTarget: target.ids),
                                 encoderTaps: TapRequest(.full), decoderTaps: TapRequest(.full), logits: false, isCancelled: isCancelled)
    }

    /// The analysis of a pass (`forward`) of `model` (an encoder-decoder: `LoadedModel.encoderDecoder`)
    /// on `source` / `target` with `options` (validated against the encoder, as any analysis), the
    /// decoder and cross-attention results for `decoderLayers` (0...L_dec-1, ascending). Offsets
    /// in `encoding` units of each text. Throws `AnalysisError`, `ForwardError.cancelled`.
    public static func analyze(model: LoadedModel, source: (text: String, encoded: Encoding), target: (text: String, encoded: Encoding),
                               pass: Seq2SeqResult, options: AnalyzeOptions, decoderLayers: [Int], encoding: PositionEncoding,
                               isCancelled: @escaping () -> Bool = { false }) throws -> PairAnalyzeResult {
        guard let parts = model.encoderDecoder else { throw AnalysisError.unsupportedMethod(options.methods[0], supported: []) }
        let sourceTable = TokenTable(text: source.text, encoded: source.encoded, encoding: encoding, tokenizer: model.tokenizer)
        let targetTable = TokenTable(text: target.text, encoded: target.encoded, encoding: encoding, tokenizer: parts.targetTokenizer)
        let encoder = try Pipeline.run(model: model, ids: source.encoded.ids, table: sourceTable, options: options,
                                       forward: { _, _ in pass.encoder }, streamed: false, isCancelled: isCancelled)
        // The decoder's self-attention: the per-layer methods it gives, its requested layers.
        let selfSites = pass.decoder.layers.filter { $0.site.kind == .selfAttention }
        let decoderMethods = CrossAttentionMethods.decoderSelfAttention(options.methods)
        var decoder: [LayerResult] = decoderLayers.map { LayerResult(layer: $0, values: []) }
        if !decoderMethods.isEmpty {
            var decoderOptions = options
            decoderOptions.methods = decoderMethods
            decoderOptions.layers = decoderLayers
            decoder = try Analyzer.analyze(modelID: model.id, forward: ForwardResult(tokenIDs: pass.decoder.tokenIDs, hiddenStates: [], layers: selfSites),
                                           table: targetTable, options: decoderOptions, isCancelled: isCancelled).layers
        }
        let words = options.granularity == .word
        let cross = try decoderLayers.map { l -> LayerResult in
            if isCancelled() { throw ForwardError.cancelled }
            return try CrossAttentionMethods.layerResult(pass.decoder.taps(at: AttentionSite(layer: l, kind: .crossAttention))!, methods: options.methods,
                                                        meanOverHeads: options.meanOverHeads,
                                                        targetWords: words ? targetTable.words : nil, sourceWords: words ? sourceTable.words : nil)
        }
        return PairAnalyzeResult(encoder: encoder, targetTable: targetTable, decoder: decoder, cross: cross)
    }

    /// The cross-attention analysis of decoder layer `layer` of a pass recorded with every tap.
    public static func cross(_ pass: Seq2SeqResult, layer: Int) throws -> CrossAttentionAnalysis {
        guard let taps = pass.decoder.taps(at: AttentionSite(layer: layer, kind: .crossAttention)) else {
            throw CrossAttentionError.incompleteTaps(AttentionSite(layer: layer, kind: .crossAttention))
        }
        return try CrossAttentionAnalysis(taps: taps)
    }
}
