import Foundation
import HeedAnalysis
import HeedJSONRPC
import HeedModels

/// `heed experiment special-tokens|mixing|compare-methods|alignment`: the paper-reproduction experiments
/// (docs/experiments.md; docs/methods.md, "The paper's findings that Heed lets a user reproduce").
enum ExperimentCommand {
    static let usage = """
    usage: heed experiment special-tokens [--model M] [--corpus FILE] [--json]
           heed experiment mixing [--model M] [--corpus FILE] [--mask-rate R] [--seed N] [--no-mask] [--json]
           heed experiment compare-methods [--model M] [--corpus FILE] [--methods a,b,...] [--svg FILE] [--json]
           heed experiment alignment --model M --source FILE --target FILE [--gold FILE] [--output DIR]

      special-tokens  attention weight vs. norm received by [CLS], [SEP], "." / "," and other tokens
                      per layer (Kobayashi et al. 2020, section 4), and Spearman's rho between
                      alpha and ||f(x)|| per class
      mixing          mean / max / min mixing ratio of Attn-W, Attn-N, AttnRes-W, AttnRes-N and
                      AttnResLn-N (Kobayashi et al. 2021, Table 1); by default both with the
                      authors' masking (12% of non-special tokens -> [MASK], seed 0) and without;
                      --mask-rate R masks only, --no-mask does not mask
      compare-methods for every pair of methods, the mean Spearman correlation of their per-token
                      rankings (row i of each T x T matrix, over the keys i sees), per layer; the
                      products over layers (rollouts, globenc) once; --svg FILE draws one
                      method x method panel per layer. Default methods: every T x T method the
                      model supports (value-zeroing included: it re-runs each layer per token)
      alignment       word alignments from a Marian model's cross-attention by weights and by norms,
                      AER against a gold file (Kobayashi et al. 2020, section 5); see
                      `heed experiment alignment --help`
    FILE is UTF-8, one sentence per line (empty lines skipped); default: Heed's built-in corpus.
    docs/experiments.md has the MiniLM tables and what they show.

    example:
      heed experiment special-tokens
      heed experiment mixing --no-mask --json
      heed experiment compare-methods --methods attention,norm-summed,alti,alti-rollout,rollout --svg methods.svg
    """

    struct UsageError: Error, CustomStringConvertible { let description: String }

    /// `argv`: the arguments after the word `experiment`.
    static func run(_ argv: [String]) throws {
        guard let sub = argv.first else { throw UsageError(description: usage) }
        let rest = Array(argv.dropFirst())
        if sub == "alignment" {
            if rest.contains("--help") || rest.contains("-h") { print(AlignmentCommand.usage); return }
            try AlignmentCommand.run(rest)
            return
        }
        if rest.contains("--help") || rest.contains("-h") { print(usage); return }
        switch sub {
        case "special-tokens":
            let args = try Arguments(rest, valued: ["model", "corpus"], boolean: ["json"])
            try noPositional(args)
            let (model, inputs) = try prepare(args)
            let result = try ExperimentRunner.specialTokens(inputs, network: model.network, progress: progress("special-tokens"))
            if args.has("json") {
                writeJSON(specialTokensJSON(result, model: model))
            } else {
                print("heed experiment special-tokens: model \(model.id), \(result.sentences) sentences")
                print("(per layer: mean over sentences, then over heads; Kobayashi et al. 2020, section 4)\n")
                print(ExperimentTables.specialTokens(result))
            }
        case "mixing":
            let args = try Arguments(rest, valued: ["model", "corpus", "mask-rate", "seed"], boolean: ["json", "no-mask"])
            try noPositional(args)
            var rate: Double? = 0.12
            var runUnmasked = true
            if let r = args.value("mask-rate") {
                guard let v = Double(r), v >= 0, v <= 1 else { throw UsageError(description: "--mask-rate takes a number in [0, 1]") }
                guard !args.has("no-mask") else { throw UsageError(description: "--mask-rate and --no-mask exclude each other") }
                rate = v; runUnmasked = false
            }
            if args.has("no-mask") {
                guard args.value("seed") == nil else { throw UsageError(description: "--seed seeds the masking; --no-mask runs without it: give one of them") }
                rate = nil
            }
            var seed: UInt64 = 0
            if let s = args.value("seed") {
                guard let v = UInt64(s) else { throw UsageError(description: "--seed takes a non-negative integer") }
                seed = v
            }
            let (model, inputs) = try prepare(args)
            var runs: [(masking: MaskingOptions?, result: MixingRatioResult)] = []
            if let rate {
                guard let maskID = ExperimentRunner.maskID(model.tokenizer) else {
                    fail("the tokenizer of \(model.id) has no [MASK] or <mask> token; use --no-mask")
                }
                let masking = MaskingOptions(rate: rate, seed: seed, maskID: maskID)
                runs.append((masking, try ExperimentRunner.mixing(inputs, network: model.network, masking: masking, progress: progress("mixing, masked"))))
            }
            if runUnmasked {
                runs.append((nil, try ExperimentRunner.mixing(inputs, network: model.network, masking: nil, progress: progress("mixing, unmasked"))))
            }
            if args.has("json") {
                writeJSON(mixingJSON(runs, model: model, tokens: inputs.reduce(0) { $0 + $1.ids.count }))
            } else {
                print("heed experiment mixing: model \(model.id), \(inputs.count) sentences, \(inputs.reduce(0) { $0 + $1.ids.count }) tokens, \(model.shape.layers) layers")
                print("mixing ratio in percent over all tokens ([CLS] and [SEP] included) of all layers (Kobayashi et al. 2021, Table 1)")
                for run in runs {
                    print("")
                    if let m = run.masking {
                        print("masked: max(1, int(\(m.rate) * n)) of the n non-special tokens -> [MASK] (id \(m.maskID)), SplitMix64 seed \(m.seed); \(run.result.maskedTokens) tokens masked")
                    } else {
                        print("unmasked")
                    }
                    print(ExperimentTables.mixing(run.result))
                }
            }
        case "compare-methods":
            let args = try Arguments(rest, valued: ["model", "corpus", "methods", "svg"], boolean: ["json"])
            try noPositional(args)
            var methods: [AnalysisMethod]? = nil
            if let list = args.value("methods") {
                methods = try list.split(separator: ",", omittingEmptySubsequences: false).map { name in
                    guard let m = AnalysisMethod(rawValue: String(name)), m != .valueNorm, m != .mixingRatio else {
                        throw UsageError(description: "--methods takes T x T methods separated by commas (attention, norm, norm-summed, attn-res, attn-res-ln, alti, value-zeroing, rollout, norm-rollout, alti-rollout, globenc), not \"\(name)\"")
                    }
                    return m
                }
                guard Set(methods!).count == methods!.count, methods!.count >= 2 else {
                    throw UsageError(description: "--methods needs at least two different methods")
                }
            }
            if let svg = args.value("svg"), svg.isEmpty { throw UsageError(description: "--svg needs a file name") }
            let (model, inputs) = try prepare(args)
            let network = try model.network
            let chosen = methods ?? ExperimentRunner.defaultComparedMethods(network: network)
            let supported = AnalysisMethod.supported(attentionNorm: network.attentionNorm)
            if let m = chosen.first(where: { !supported.contains($0) }) {
                fail("\(model.id) does not support \(m.rawValue) (it supports \(supported.map(\.rawValue).joined(separator: ", ")))")
            }
            let result = try ExperimentRunner.compareMethods(inputs, network: network, methods: chosen, progress: progress("compare-methods"))
            if let svg = args.value("svg") { try writeComparisonSVG(result, model: model, to: svg) }
            if args.has("json") {
                writeJSON(comparisonJSON(result, model: model))
            } else {
                print("heed experiment compare-methods: model \(model.id), \(result.sentences) sentences, \(model.shape.layers) layers")
                print("mean Spearman rho of the per-token rankings (row i of each matrix over the keys i sees), per layer\n")
                print(ExperimentTables.methodComparison(result))
            }
        case "help", "--help", "-h":
            print(usage)
        default:
            var message = "unknown experiment \(sub)"
            if let near = Suggest.nearest(to: sub, among: ["special-tokens", "mixing", "compare-methods", "alignment"]) { message += "; did you mean \(near)?" }
            throw UsageError(description: message + "\n\n\(usage)")
        }
    }

    /// One method x method panel of mean rho per layer (rho below 0 is drawn as 0).
    static func writeComparisonSVG(_ r: MethodComparisonResult, model: LoadedModel, to path: String) throws {
        let ms = r.perLayerMethods.isEmpty ? r.acrossLayerMethods : r.perLayerMethods
        func panel(_ title: String, _ cells: [MethodComparisonResult.Cell]) -> HeatmapPanel {
            HeatmapPanel(title: title, matrix: ms.flatMap { a in ms.map { b in Float(MethodComparisonResult.value(cells, a, b) ?? .nan) } })
        }
        let panels = r.perLayerMethods.isEmpty ? [panel("all layers", r.acrossLayers)]
            : r.layers.enumerated().map { panel("layer \($0.offset)", $0.element) }
        let figure = HeatmapFigure(title: "Mean Spearman rho between methods, \(model.id)",
                                   subtitle: "\(r.sentences) sentences; per-token rankings (rows); colour 0 (or below) to 1",
                                   labels: ms.map(\.rawValue), rows: [HeatmapRow(title: nil, panels: panels)])
        let svg = Array(SVGHeatmap.render(figure).utf8)
        try Files.write(svg, to: path, what: "the SVG")
        Terminal.printProgress("heed: wrote \(path)")
    }

    static func comparisonJSON(_ r: MethodComparisonResult, model: LoadedModel) -> JSONWriter {
        var w = JSONWriter()
        func cells(_ cs: [MethodComparisonResult.Cell]) {
            w.beginArray()
            for c in cs {
                w.beginObject()
                w.key("a"); w.string(c.a.rawValue); w.key("b"); w.string(c.b.rawValue)
                w.key("rho"); number(c.mean, &w); w.key("rows"); w.int(c.rows)
                w.endObject()
            }
            w.endArray()
        }
        w.beginObject()
        w.key("experiment"); w.string("compare-methods")
        w.key("model"); w.string(model.id)
        w.key("sentences"); w.int(r.sentences)
        w.key("methods"); w.beginArray(); for m in r.perLayerMethods + r.acrossLayerMethods { w.string(m.rawValue) }; w.endArray()
        w.key("layers"); w.beginArray()
        for (l, layer) in r.layers.enumerated() { w.beginObject(); w.key("layer"); w.int(l); w.key("pairs"); cells(layer); w.endObject() }
        w.endArray()
        w.key("allLayers"); cells(r.acrossLayers)
        w.endObject()
        return w
    }

    static func noPositional(_ args: Arguments) throws {
        guard args.positional.isEmpty else {
            throw UsageError(description: "unexpected argument \(args.positional[0])\n\n\(usage)")
        }
    }

    /// Loads the model and the corpus, encodes it, and drops (with a note) sentences over the limit.
    static func prepare(_ args: Arguments) throws -> (LoadedModel, [ExperimentInput]) {
        let lines: [Corpus.Line]
        if let path = args.value("corpus") {
            let bytes = try Files.read(path, what: "the corpus")
            lines = try Corpus.parse(InputText.decode(bytes, source: "the corpus \(path)"))
        } else {
            lines = Corpus.defaultLines
        }
        let model = ModelNames.load(args)
        let encoded = lines.map { ExperimentInput(line: $0, tokenizer: model.tokenizer) }
        let (kept, skipped) = ExperimentRunner.fitting(encoded, maxTokens: model.shape.maxTokens)
        for s in skipped {
            Terminal.printError("note: line \(s.line) has \(s.ids.count) tokens; \(model.id) takes at most \(model.shape.maxTokens): skipped")
        }
        guard !kept.isEmpty else { fail("the corpus has no sentence to analyse") }
        return (model, kept)
    }

    static let stderrIsTTY = isatty(STDERR_FILENO) == 1

    /// Progress on stderr, only when stderr is a terminal.
    static func progress(_ what: String) -> (Int, Int) -> Void {
        guard stderrIsTTY else { return { _, _ in } }
        return { done, total in
            guard done == total || done % 10 == 0 else { return }
            FileHandle.standardError.write(Data("\r\(what): \(done)/\(total)\(done == total ? "\n" : "")".utf8))
        }
    }

    static func writeJSON(_ w: JSONWriter) {
        if w.nonFinite { fail("internal error: a result contains NaN or infinity") }
        writeStdout(w.bytes)
    }

    static func number(_ v: Double?, _ w: inout JSONWriter) {
        if let v { w.double(v) } else { w.null() }
    }

    /// {cls: v, sep: v, punctuation: v, other: v}
    static func perClass(_ values: [Double?], _ w: inout JSONWriter) {
        w.beginObject()
        for c in TokenClass.allCases { w.key(c.key); number(values[c.rawValue], &w) }
        w.endObject()
    }

    static func specialTokensJSON(_ r: SpecialTokenResult, model: LoadedModel) -> JSONWriter {
        var w = JSONWriter()
        w.beginObject()
        w.key("experiment"); w.string("special-tokens")
        w.key("model"); w.string(model.id)
        w.key("sentences"); w.int(r.sentences)
        w.key("classSentences"); perClass(r.classSentences.map(Double.init), &w)
        w.key("layers"); w.beginArray()
        for layer in r.layers {
            w.beginObject()
            w.key("layer"); w.int(layer.layer)
            w.key("weight"); perClass(layer.classes.map(\.weight), &w)
            w.key("norm"); perClass(layer.classes.map(\.norm), &w)
            w.key("valueNorm"); perClass(layer.classes.map(\.valueNorm), &w)
            w.key("weightShare"); perClass(layer.weightShares, &w)
            w.key("normShare"); perClass(layer.normShares, &w)
            w.key("rho"); perClass(layer.rho, &w)
            w.key("heads"); w.beginArray()
            for head in layer.heads {
                w.beginObject()
                w.key("weight"); perClass(head.map(\.weight), &w)
                w.key("norm"); perClass(head.map(\.norm), &w)
                w.key("valueNorm"); perClass(head.map(\.valueNorm), &w)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.key("rho"); perClass(r.rho, &w)
        w.key("pairs"); perClass(r.pairs.map(Double.init), &w)
        w.key("sampled"); w.bool(r.sampled)
        w.key("sampleSize"); w.int(r.maxPairsPerLayerAndClass)
        w.endObject()
        return w
    }

    static func mixingJSON(_ runs: [(masking: MaskingOptions?, result: MixingRatioResult)], model: LoadedModel, tokens: Int) -> JSONWriter {
        var w = JSONWriter()
        w.beginObject()
        w.key("experiment"); w.string("mixing")
        w.key("model"); w.string(model.id)
        w.key("sentences"); w.int(runs.first?.result.sentences ?? 0)
        w.key("tokens"); w.int(tokens)
        w.key("runs"); w.beginArray()
        for run in runs {
            w.beginObject()
            w.key("masking")
            if let m = run.masking {
                w.beginObject()
                w.key("rate"); w.double(m.rate)
                w.key("seed")
                if m.seed <= UInt64(Int.max) { w.int(Int(m.seed)) } else { w.string(String(m.seed)) }
                w.key("maskID"); w.int(m.maskID)
                w.key("maskedTokens"); w.int(run.result.maskedTokens)
                w.endObject()
            } else {
                w.null()
            }
            w.key("rows"); summaries(run.result.rows, &w)
            w.key("layers"); w.beginArray()
            for (l, layer) in run.result.layers.enumerated() {
                w.beginObject(); w.key("layer"); w.int(l); w.key("rows"); summaries(layer, &w); w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w
    }

    static func summaries(_ rows: [MixingRatioResult.Summary], _ w: inout JSONWriter) {
        w.beginArray()
        for s in rows {
            w.beginObject()
            w.key("key"); w.string(s.key)
            w.key("label"); w.string(s.label)
            w.key("mean"); w.double(s.mean)
            w.key("max"); w.number(s.max)
            w.key("min"); w.number(s.min)
            w.key("count"); w.int(s.count)
            w.endObject()
        }
        w.endArray()
    }
}
