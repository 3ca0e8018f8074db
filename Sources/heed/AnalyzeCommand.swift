import Foundation
import HeedAnalysis
import HeedDaemon
import HeedJSONRPC
import HeedModels

/// `heed analyze`. Without a focus: per layer, each token shaded by what it receives (mean over
/// heads and attending tokens), by weight and by norm; `--json` prints the heed/analyze result.
/// With `--focus TEXT` or `--focus-range A:B` (Unicode scalars): the text shaded by what the focus
/// attends to (or `--direction to|received`); `--json` prints the heed/highlight result.
/// `--svg FILE` writes a weight-vs-norm heatmap of one layer.
enum AnalyzeCommand {
    static let valued: Set<String> = ["model", "layer", "heads", "granularity", "method", "focus", "focus-range", "direction", "topk", "svg"]

    static func run(model: LoadedModel, text: String, args: Arguments) throws {
        let net = model.network
        var methods: [AnalysisMethod] = []
        for name in args.all("method") {
            guard let m = AnalysisMethod(rawValue: name) else {
                fail("unknown method \(name) (one of: \(AnalysisMethod.allCases.map(\.rawValue).joined(separator: ", ")))", code: 2)
            }
            methods.append(m)
        }
        var layer: LayerChoice? = nil
        if let l = args.value("layer") {
            if l == "last" { layer = .last } else if let n = Int(l) { layer = .index(n) } else { fail("--layer takes a 0-based index or \"last\"", code: 2) }
        }
        guard let granularity = Granularity(rawValue: args.value("granularity") ?? "token") else { fail("--granularity is \"token\" or \"word\"", code: 2) }

        if let focus = try focusRange(text: text, args: args) {
            guard methods.count <= 1 else { fail("with a focus, give exactly one --method", code: 2) }
            guard let direction = HighlightDirection(rawValue: args.value("direction") ?? "from") else { fail("--direction is from, to or received", code: 2) }
            let topK = args.value("topk").map { Int($0) ?? -1 }
            if let k = topK, k < 0 { fail("--topk takes a non-negative integer", code: 2) }
            let request = HighlightRequest(text: text, focus: focus, method: methods.first ?? .normSummed, layer: layer ?? .last,
                                           direction: direction, granularity: granularity, topK: topK, encoding: .utf32)
            let result = try Pipeline.highlight(model: model, request: request)
            if args.has("json") { return try emit(ResultJSON.highlight(result)) }
            printHighlight(result, text: text, model: model)
            return
        }

        let layers: [Int]? = layer.map { if case let .index(n) = $0 { return [n] } else { return [net.layerCount - 1] } }
        let heads = args.value("heads") ?? "all"
        guard heads == "all" || heads == "mean" else { fail("--heads is \"all\" or \"mean\"", code: 2) }
        if let svg = args.value("svg") {
            try writeSVG(model: model, text: text, layer: layers?.first ?? net.layerCount - 1, path: svg)
            if !args.has("json") { return }
        }
        if args.has("json") {
            let options = AnalyzeOptions(methods: methods.isEmpty ? [.attention] : methods, layers: layers,
                                         meanOverHeads: heads == "mean", granularity: granularity)
            return try emit(ResultJSON.analyze(Pipeline.analyze(model: model, text: text, options: options, encoding: .utf32)))
        }
        let options = AnalyzeOptions(methods: methods.isEmpty ? [.attention, .normSummed] : methods, layers: layers,
                                     meanOverHeads: true, granularity: granularity)
        printReceived(try Pipeline.analyze(model: model, text: text, options: options, encoding: .utf32), text: text)
    }

    static func emit(_ w: JSONWriter) throws {
        if w.nonFinite { fail("internal error: a result contains NaN or infinity") }
        writeStdout(w.bytes)
    }

    /// --focus TEXT (first occurrence) or --focus-range A:B, in Unicode scalars.
    static func focusRange(text: String, args: Arguments) throws -> Range<Int>? {
        if let f = args.value("focus") {
            let scalars = Array(text.unicodeScalars), needle = Array(f.unicodeScalars)
            guard !needle.isEmpty, needle.count <= scalars.count,
                  let start = (0...(scalars.count - needle.count)).first(where: { Array(scalars[$0..<($0 + needle.count)]) == needle }) else {
                fail("--focus \"\(f)\" does not occur in the text", code: 2)
            }
            return start..<(start + needle.count)
        }
        if let r = args.value("focus-range") {
            let parts = r.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, a <= b else {
                fail("--focus-range takes A:B with 0 <= A <= B (Unicode scalar offsets)", code: 2)
            }
            return a..<b
        }
        return nil
    }

    static func slice(_ scalars: [Unicode.Scalar], _ r: Range<Int>) -> String {
        var s = String.UnicodeScalarView(); s.append(contentsOf: scalars[r]); return String(s)
    }

    /// A token's label: its source text, or its vocabulary string when it has no span (the
    /// tokens the post-processor inserts). Offsets in Unicode scalars.
    static func label(_ t: TokenRow, _ scalars: [Unicode.Scalar]) -> String {
        t.start == t.end ? t.text : slice(scalars, t.start..<t.end)
    }

    /// The text with each highlighted range shaded by its score and the focus in bold.
    static func printHighlight(_ r: HighlightResult, text: String, model: LoadedModel) {
        let scalars = Array(text.unicodeScalars)
        let what = r.layer.map { "layer \($0)" } ?? "all layers"
        print("\(r.method.rawValue), \(what), focus \"\(slice(scalars, r.focus))\"; \(model.id)")
        if let w = r.window { print("(text beyond the model's limit: analysed \(w.lowerBound)..<\(w.upperBound))") }
        if Terminal.isTTY {
            print(Terminal.legend())
            var out = "", pos = 0
            for range in r.ranges.sorted(by: { $0.start < $1.start }) where range.start >= pos {
                out += decorate(slice(scalars, pos..<range.start), focus: r.focus, offset: pos)
                out += Terminal.shade(slice(scalars, range.start..<range.end), score: range.score)
                pos = range.end
            }
            out += decorate(slice(scalars, pos..<scalars.count), focus: r.focus, offset: pos)
            print(out)
        } else {
            print("token\tvalue\tscore")
            for range in r.ranges {
                print(String(format: "%@\t%.4f\t%.3f", slice(scalars, range.start..<range.end), range.value, range.score))
            }
        }
    }

    /// Bold for the part of `s` (starting at `offset`) inside the focus.
    static func decorate(_ s: String, focus: Range<Int>, offset: Int) -> String {
        var out = ""
        for (k, ch) in s.unicodeScalars.enumerated() {
            let inFocus = focus.contains(offset + k)
            out += inFocus ? "\u{1B}[1;4m\(ch)\u{1B}[0m" : String(ch)
        }
        return out
    }

    /// Per layer and method: each token shaded by the mean it receives.
    static func printReceived(_ result: AnalyzeResult, text: String) {
        let scalars = Array(text.unicodeScalars)
        let labels: [String] = result.granularity == .word
            ? result.table.words.map { $0.start == $0.end ? result.table.tokens[$0.tokens[0]].text : $0.text }
            : result.table.tokens.map { label($0, scalars) }
        print("what each token receives (mean over heads and attending tokens), by weight and by norm; \(result.modelID)")
        if Terminal.isTTY { print(Terminal.legend()) }
        for layer in result.layers {
            for case let (method, .tensor(tensor)) in layer.values where tensor.rank >= 2 {
                let T = tensor.shape[tensor.rank - 1], blocks = tensor.count / (T * T)
                var received = [Float](repeating: 0, count: T)
                for k in 0..<(blocks * T * T) { received[k % T] += tensor.data[k] }
                let top = received.max() ?? 0
                let cells = zip(labels, received).map { label, v -> String in
                    Terminal.isTTY ? Terminal.shade(label, score: top > 0 ? v / top : 0) : "\(label)(\(String(format: "%.3f", v / Float(blocks * T))))"
                }
                print("layer \(layer.layer) \(method.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) " + cells.joined(separator: " "))
            }
        }
    }

    /// Weight vs norm for one layer, side by side, tokens on both axes.
    static func writeSVG(model: LoadedModel, text: String, layer: Int, path: String) throws {
        let options = AnalyzeOptions(methods: [.attention, .normSummed], layers: [layer], meanOverHeads: true)
        let result = try Pipeline.analyze(model: model, text: text, options: options, encoding: .utf32)
        let scalars = Array(text.unicodeScalars)
        let labels = result.table.tokens.map { label($0, scalars) }
        var panels: [HeatmapPanel] = []
        for case let (method, .tensor(t)) in result.layers[0].values {
            panels.append(HeatmapPanel(title: method == .attention ? "Attention weight α (mean over heads)" : "Norm ‖Σₕ α f(x)‖",
                                       matrix: t.data))
        }
        let svg = SVGHeatmap.render(title: "Weight vs norm, layer \(layer)", subtitle: "\(model.id), \(result.table.tokens.count) tokens",
                                    labels: labels, panels: panels)
        try Data(svg.utf8).write(to: URL(fileURLWithPath: path))
        Terminal.printProgress("heed: wrote \(path)")
    }
}
