import Foundation
import HeedAnalysis
import HeedModels

/// `heed analyze --svg FILE`: the requested methods side by side (weight vs norm by default), at
/// the requested granularity, for one layer (default the last; `middle`; N) or every layer
/// (`--layer all`: one row of panels per layer), the focus rows outlined.
enum AnalyzeSVG {
    static let panelTitles: [AnalysisMethod: String] = [
        .attention: "Attention weight α (mean over heads)",
        .norm: "‖α f(x)‖ (mean over heads)",
        .normSummed: "Norm ‖Σₕ α f(x)‖",
        .attnRes: "AttnRes-N ‖Σₕ α f(x) + residual‖",
        .attnResLn: "AttnResLn-N (through the LayerNorm)",
        .rollout: "Attention rollout (all layers)",
        .normRollout: "Norm rollout (Heed's, all layers)",
        .alti: "ALTI (L1 proximity to the block output)",
        .altiRollout: "ALTI rollout (all layers)",
        .globenc: "GlobEnc (all layers)",
        .valueZeroing: "Value zeroing (cosine distance)",
    ]

    static func write(model: LoadedModel, text: String, options: AnalyzeCLIOptions, focus: Range<Int>?, path: String) throws {
        let L = model.shape.layers
        let methods = options.svgMethods
        let perLayer = methods.filter { !$0.isAcrossLayers }
        let layerIndices = options.layer == .all ? Array(0..<L) : [options.layer?.index(among: L) ?? L - 1]
        let analyzeOptions = AnalyzeOptions(methods: methods, layers: perLayer.isEmpty ? [] : layerIndices,
                                            meanOverHeads: true, granularity: options.granularity)
        let result = try Pipeline.analyze(model: model, text: text, options: analyzeOptions, encoding: .utf32)
        guard ReceivedView.allFinite(result) else { AnalyzeCommand.failNonFinite() }
        let labels = TokenLabels(table: result.table, text: text).labels(options.granularity)

        func panels(_ layer: LayerResult?) -> [HeatmapPanel] {
            methods.map { m -> HeatmapPanel in
                let title = panelTitles[m] ?? m.rawValue
                switch m {
                case .rollout, .normRollout, .altiRollout, .globenc: return HeatmapPanel(title: title, matrix: result.acrossLayers(m)!.data)
                default:
                    guard case let .tensor(t)? = layer?.values.first(where: { $0.method == m })?.value else { preconditionFailure("no matrix for \(m)") }
                    return HeatmapPanel(title: title, matrix: t.data)
                }
            }
        }
        let rows: [HeatmapRow] = perLayer.isEmpty
            ? [HeatmapRow(title: nil, panels: panels(nil))]
            : result.layers.map { HeatmapRow(title: layerIndices.count > 1 ? "layer \($0.layer)" : nil, panels: panels($0)) }

        let what = methods == [.attention, .normSummed] ? "Weight vs norm" : methods.map(\.rawValue).joined(separator: " vs ")
        let scope = perLayer.isEmpty ? "all layers" : layerIndices.count > 1 ? "layers 0-\(L - 1)" : "layer \(layerIndices[0])"
        var subtitle = "\(model.id), \(labels.count) \(options.granularity == .word ? "words" : "tokens"), row i attends to column j"
        var highlighted: [Int] = []
        if let focus {
            let spans: [Range<Int>] = options.granularity == .word
                ? result.table.words.map { $0.start..<$0.end } : result.table.tokens.map { $0.start..<$0.end }
            highlighted = spans.indices.filter { !spans[$0].isEmpty && spans[$0].overlaps(focus) }
            subtitle += "; focus \"\(TokenLabels(table: result.table, text: text).slice(focus))\" outlined"
        }
        let figure = HeatmapFigure(title: "\(what), \(scope)", subtitle: subtitle, labels: labels, rows: rows, highlightedRows: highlighted)
        let svg = Array(SVGHeatmap.render(figure).utf8)
        try Files.write(svg, to: path, what: "the SVG")
        Terminal.printProgress("heed: wrote \(path) (\(svg.count >= 1_000_000 ? String(format: "%.1f MB", Double(svg.count) / 1e6) : "\((svg.count + 999) / 1000) KB"))")
    }
}
