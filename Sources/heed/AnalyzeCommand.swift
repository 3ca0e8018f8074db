import Foundation
import HeedAnalysis
import HeedDaemon
import HeedJSONRPC
import HeedModels

/// `heed analyze`: with --json the heed/analyze result; otherwise, per layer, the text with each
/// token shaded by the attention it receives (mean over heads and over attending tokens).
enum AnalyzeCommand {
    static func run(model: LoadedModel, text: String, args: Arguments) throws {
        let network = model.network
        let methodNames = args.all("method").isEmpty ? ["attention"] : args.all("method")
        var methods: [AnalysisMethod] = []
        for name in methodNames {
            guard let m = AnalysisMethod(rawValue: name) else {
                fail("unknown method \(name) (one of: \(AnalysisMethod.allCases.map(\.rawValue).joined(separator: ", ")))", code: 2)
            }
            methods.append(m)
        }
        var layers: [Int]? = nil
        if let l = args.value("layer") {
            if l == "last" { layers = [network.layerCount - 1] }
            else if let n = Int(l) { layers = [n] }
            else { fail("--layer takes a 0-based index or \"last\"", code: 2) }
        }
        let heads = args.value("heads") ?? "all"
        guard heads == "all" || heads == "mean" else { fail("--heads is \"all\" or \"mean\"", code: 2) }
        guard let granularity = Granularity(rawValue: args.value("granularity") ?? "token") else {
            fail("--granularity is \"token\" or \"word\"", code: 2)
        }
        let options = AnalyzeOptions(methods: methods, layers: layers, meanOverHeads: heads == "mean", granularity: granularity)
        try Analyzer.validate(options, layerCount: network.layerCount, postLayerNorm: network.hasPostAttentionLayerNorm)

        let encoded = model.tokenizer.encode(text)
        let table = TokenTable(text: text, encoded: encoded, encoding: .utf32)
        let forward: ForwardResult
        do {
            forward = try network.forward(encoded.ids, taps: options.tapLevel, isCancelled: { false })
        } catch let e as ForwardError {
            fail("\(e)")
        }
        let result = try Analyzer.analyze(modelID: model.id, forward: forward, table: table, options: options,
                                          heads: network.headCount, postLayerNorm: network.hasPostAttentionLayerNorm)
        if args.has("json") {
            let w = ResultJSON.analyze(result)
            if w.nonFinite { fail("internal error: a result contains NaN or infinity") }
            writeStdout(w.bytes)
            return
        }
        printShaded(result, text: text)
    }

    /// One line per layer and method: each token (or word) shaded by the mean weight it receives.
    static func printShaded(_ result: AnalyzeResult, text: String) {
        let scalars = Array(text.unicodeScalars)
        let labels: [String]
        if result.granularity == .word {
            labels = result.table.words.map { $0.special ? result.table.tokens[$0.tokens[0]].text : $0.text }
        } else {
            labels = result.table.tokens.map { t in
                if t.special { return t.text }
                var s = String.UnicodeScalarView(); s.append(contentsOf: scalars[t.start..<t.end]); return String(s)
            }
        }
        print("attention received (mean over heads and attending tokens), shaded per line; \(result.modelID)")
        if Terminal.isTTY { print(Terminal.legend()) }
        for layer in result.layers {
            for case let (method, .tensor(tensor)) in layer.values where tensor.rank == 3 {
                let NH = tensor.shape[0], T = tensor.shape[1]
                var received = [Float](repeating: 0, count: T)
                for h in 0..<NH { for i in 0..<T { for j in 0..<T { received[j] += tensor.data[(h * T + i) * T + j] } } }
                for j in 0..<T { received[j] /= Float(NH * T) }
                let top = received.max() ?? 1
                let cells = zip(labels, received).map { label, v -> String in
                    Terminal.isTTY ? Terminal.shade(label, score: top > 0 ? v / top : 0) : "\(label)(\(String(format: "%.3f", v)))"
                }
                print("layer \(layer.layer) \(method.rawValue): " + cells.joined(separator: " "))
            }
        }
    }
}
