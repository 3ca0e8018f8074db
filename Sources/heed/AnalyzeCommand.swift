import Foundation
import HeedAnalysis
import HeedDaemon
import HeedJSONRPC
import HeedKernels
import HeedModels

/// `heed analyze` (`heed analyze --help`; Help.analyze). Without a focus: per layer, what each
/// token receives by weight and by norm; `--json` prints the heed/analyze result of the same
/// methods. With `--focus TEXT` or `--focus-range A:B` (Unicode scalars): the text shaded by what
/// the focus attends to; `--json` prints the heed/highlight result. `--svg FILE` also writes a
/// heatmap of the requested methods.
enum AnalyzeCommand {
    static func run(_ argv: [String]) throws {
        let args = try Arguments(argv, valued: AnalyzeCLIOptions.valued, boolean: AnalyzeCLIOptions.boolean,
                                 repeatable: AnalyzeCLIOptions.repeatable)
        if args.wantsHelp { print(Help.analyze); return }
        let options = try AnalyzeCLIOptions(args)
        let text = try InputText.read(args, command: "analyze")
        var focus: Range<Int>? = nil
        switch options.focus {
        case let .text(needle, occurrence):
            let match = try FocusSearch.find(needle, in: options.target ?? text, occurrence: occurrence)
            if let note = match.note { Terminal.printError("note: " + note) }
            focus = match.range
        case let .range(r): focus = r
        case nil: break
        }
        if let svg = options.svg { try Files.checkWritable(svg, what: "the SVG") }
        let model = ModelNames.load(args)
        if let target = options.target {
            return try PairView.run(model: model, source: text, target: target, focus: focus, options: options)
        }
        let labels = TokenLabels(table: TokenTable(text: text, encoded: model.tokenizer.encode(text), encoding: .utf32, tokenizer: model.tokenizer), text: text)

        var usedFocus: Range<Int>? = nil
        if let focus {
            usedFocus = try highlight(model: model, text: text, focus: focus, options: options, labels: labels)
        } else {
            try received(model: model, text: text, options: options, labels: labels)
        }
        // After the work succeeded: a model fault (a token beyond the embeddings) fails first, alone.
        labels.noteUnknown(modelID: model.id)
        if let svg = options.svg {
            try AnalyzeSVG.write(model: model, text: text, options: options, focus: usedFocus, path: svg)
        }
    }

    static func emit(_ w: JSONWriter) {
        if w.nonFinite { failNonFinite() }
        writeStdout(w.bytes)
    }

    static func failNonFinite() -> Never {
        fail("internal error: the analysis produced NaN or infinity (a bug, or weights that hold NaN); nothing was printed")
    }

    /// Without a focus: the plain view, or the heed/analyze result with --json.
    static func received(model: LoadedModel, text: String, options: AnalyzeCLIOptions, labels: TokenLabels) throws {
        let L = model.shape.layers
        let layers = options.layer.flatMap { $0.index(among: L) }.map { [$0] }
        let analyzeOptions = AnalyzeOptions(methods: options.effectiveMethods, layers: layers,
                                            meanOverHeads: options.json ? options.heads == "mean" : true, granularity: options.granularity)
        let result = try Pipeline.analyze(model: model, text: text, options: analyzeOptions, encoding: .utf32)
        guard ReceivedView.allFinite(result) else { failNonFinite() }
        if options.json { return emit(ResultJSON.analyze(result)) }
        ReceivedView.print(result, labels: labels.labels(options.granularity))
    }

    /// With a focus: the shaded text and the sink line, or the heed/highlight result with --json.
    /// Returns the span of the focus units used.
    static func highlight(model: LoadedModel, text: String, focus: Range<Int>, options: AnalyzeCLIOptions, labels: TokenLabels) throws -> Range<Int> {
        let net = try model.network
        let layer: LayerChoice
        switch options.layer {
        case let .index(n)?: layer = .index(n)
        case .middle?: layer = .index(net.layerCount / 2)
        default: layer = .last
        }
        let request = HighlightRequest(text: text, focus: focus, method: options.effectiveMethods[0], layer: layer,
                                       direction: options.direction ?? .from, granularity: options.granularity,
                                       topK: options.topK, encoding: .utf32)
        // One forward pass with full taps serves the highlight and the sink line (a streamed
        // pass, for taps too large to keep, is run for each).
        var cached: ForwardResult? = nil
        let forward: Pipeline.Forward = { ids, taps in
            if taps.consumer != nil { return try net.forward(ids, taps: taps, finalHiddenState: false, isCancelled: { false }) }
            if let c = cached { return c }
            let r = try net.forward(ids, taps: .full, finalHiddenState: false, isCancelled: { false })
            cached = r
            return r
        }
        let result = try Pipeline.highlight(model: model, request: request, forward: forward)
        guard result.ranges.allSatisfy({ $0.value.isFinite && $0.score.isFinite }) else { failNonFinite() }
        if options.json {
            emit(ResultJSON.highlight(result))
            return result.focus
        }

        // The sink line: the same window, the focus's rows of a weight and a norm matrix.
        let (windowed, _) = try Pipeline.highlightWindow(model: model, encoded: model.tokenizer.encode(text), request: request)
        let table = TokenTable(text: text, encoded: windowed, encoding: .utf32, tokenizer: model.tokenizer)
        let across = request.method.isAcrossLayers
        let pair: [AnalysisMethod] = across ? [.rollout, .normRollout] : [.attention, .normSummed]
        let analysis = try Pipeline.run(model: model, ids: windowed.ids, table: table,
                                        options: AnalyzeOptions(methods: pair, layers: across ? [] : [result.layer!],
                                                                meanOverHeads: true, granularity: options.granularity),
                                        forward: forward)
        let weight: [Float], norm: [Float]
        if across {
            weight = analysis.rollout!.data; norm = analysis.normRollout!.data
        } else {
            guard case let .tensor(w) = analysis.layers[0].values[0].value, case let .tensor(n) = analysis.layers[0].values[1].value else {
                preconditionFailure("analysis returned no matrix")
            }
            weight = w.data; norm = n.data
        }
        let units: [HighlightUnit] = options.granularity == .word
            ? table.words.map { HighlightUnit(start: $0.start, end: $0.end) }
            : table.tokens.map { HighlightUnit(start: $0.start, end: $0.end) }
        let focusUnits = try Highlighter.focusUnits(units, focus: focus, granularity: options.granularity)
        let sinks = HighlightView.sinks(weight: weight, norm: norm, table: table, granularity: options.granularity, focusUnits: focusUnits)
        guard sinks.allSatisfy({ $0.weight.isFinite && $0.norm.isFinite }) else { failNonFinite() }
        let unknown: [(range: Range<Int>, unknown: Bool)] = options.granularity == .word
            ? table.words.map { w in (w.start..<w.end, w.tokens.contains { TokenLabels.isUnknown(table.tokens[$0]) }) }
            : table.tokens.map { ($0.start..<$0.end, TokenLabels.isUnknown($0)) }
        HighlightView.print(result, text: text, labels: labels, units: unknown, sinks: sinks, sinkLayer: result.layer, model: model)
        return result.focus
    }
}
