import Foundation
import HeedAnalysis
import HeedCheckpoints
import HeedJSONRPC
import HeedModels
import HeedTokenizers

/// `heed experiment alignment`: word alignments from a Marian model's cross-attention, by weights
/// and by norms, in the paper's two settings (Kobayashi et al. 2020, section 5; METHODS.md).
enum AlignmentCommand {
    static let usage = """
    usage: heed experiment alignment --model M --source FILE --target FILE [--gold FILE] [--gold-one-based]
                                     [--output DIR] [--json]

      Word alignments from the cross-attention of a Marian encoder-decoder (a directory with
      config.json, model.safetensors, source.spm, target.spm, vocab.json), per decoder layer, by
      attention weights (averaged over heads) and by norms (||sum_h alpha f(x)||), aligning each
      target word at the decoder step that outputs it ("output") and at the step that reads it
      ("input"). Subwords: rows (target) averaged, columns (source) summed; </s> left out.
      FILEs: UTF-8, one whitespace-tokenized sentence per line, the same number of lines.
      --output DIR   writes DIR/{output,input}-{weight,norm}-layer{L}.txt, Pharaoh `i-j` lines
                     (source word i, target word j, 0-based); default: ./alignments
      --gold FILE    sure links i-j, possible i?j or ipj (or triples i p j / i s j); prints AER
                     per layer and method: 1 - (|A&S| + |A&P|) / (|A| + |S|)
      --gold-one-based  the gold indices start at 1
      --json         prints {experiment, model, sentences, decoderLayers, output, aer?} instead, aer
                     as {output|input: {weight|norm: [AER per layer, 0..1, null without links]}}
    """

    static func run(_ argv: [String]) throws {
        let args = try Arguments(argv, valued: ["model", "source", "target", "gold", "output"], boolean: ["gold-one-based", "json"])
        try ExperimentCommand.noPositional(args)
        guard let id = args.value("model"), let sourcePath = args.value("source"), let targetPath = args.value("target") else {
            throw ExperimentCommand.UsageError(description: "alignment needs --model, --source and --target\n\n\(usage)")
        }
        func lines(_ path: String, _ what: String) throws -> [String] {
            let text = try InputText.decode(Files.read(path, what: what), source: "\(what) \(path)")
            var result = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
            if result.last == "" { result.removeLast() }
            return result
        }
        let sources = try lines(sourcePath, "the source"), targets = try lines(targetPath, "the target")
        var gold: [GoldAlignment]?
        if let goldPath = args.value("gold") {
            gold = try lines(goldPath, "the gold alignment").enumerated().map {
                try GoldAlignment.parse($0.element, oneBased: args.has("gold-one-based"), lineNumber: $0.offset + 1)
            }
        }
        guard sources.count == targets.count, gold == nil || gold!.count == sources.count else {
            fail(AlignmentError.lineCounts(source: sources.count, target: targets.count, gold: gold?.count).description, code: 2)
        }
        for (n, g) in (gold ?? []).enumerated() {
            try g.check(sourceWords: WordAlignment.words(sources[n]).count, targetWords: WordAlignment.words(targets[n]).count,
                        line: n + 1, oneBased: args.has("gold-one-based"))
        }
        let (_, model, tokenizer) = MarianModels.load(id, for: "experiment alignment")
        let result = try AlignmentExperiment.run(model: model, tokenizer: tokenizer, pairs: Array(zip(sources, targets)),
                                                 progress: ExperimentCommand.progress("alignment"))
        let output = URL(fileURLWithPath: args.value("output") ?? "alignments", isDirectory: true)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: output.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            fail("--output \(output.path) is a file, not a directory", code: 2)
        }
        do { try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true) } catch {
            fail("cannot create the --output directory \(output.path) (is its parent directory there and writable?)")
        }
        for setting in AlignmentSetting.allCases {
            for method in AlignmentResult.methods {
                for l in 0..<result.layers {
                    let text = result.links[setting]![method]![l].map { $0.map(\.pharaoh).joined(separator: " ") + "\n" }.joined()
                    try Data(text.utf8).write(to: output.appendingPathComponent("\(setting.rawValue)-\(method)-layer\(l).txt"))
                }
            }
        }
        let aer = gold.map { result.aer(gold: $0) }
        if args.has("json") {
            var w = JSONWriter()
            w.beginObject()
            w.key("experiment"); w.string("alignment")
            w.key("model"); w.string(id)
            w.key("sentences"); w.int(sources.count)
            w.key("decoderLayers"); w.int(result.layers)
            w.key("output"); w.string(output.path)
            if let aer {
                w.key("aer"); w.beginObject()
                for setting in AlignmentSetting.allCases {
                    w.key(setting.rawValue); w.beginObject()
                    for method in AlignmentResult.methods {
                        w.key(method); w.beginArray()
                        for c in aer[setting]![method]! { if let v = c.aer { w.double(v) } else { w.null() } }
                        w.endArray()
                    }
                    w.endObject()
                }
                w.endObject()
            }
            w.endObject()
            ExperimentCommand.writeJSON(w)
            return
        }
        print("heed experiment alignment: model \(id), \(sources.count) sentence pairs, \(result.layers) decoder layers; Pharaoh files in \(output.path)")
        guard let aer else { return }
        print("AER in percent (lower is better; Kobayashi et al. 2020, section 5)")
        print("layer\toutput/weight\toutput/norm\tinput/weight\tinput/norm")
        func cell(_ c: AERCounts) -> String { c.aer.map { String(format: "%.1f", 100 * $0) } ?? "-" }
        for l in 0..<result.layers {
            print("\(l)\t" + [(AlignmentSetting.output, "weight"), (.output, "norm"), (.input, "weight"), (.input, "norm")]
                .map { cell(aer[$0.0]![$0.1]![l]) }.joined(separator: "\t"))
        }
        for setting in AlignmentSetting.allCases {
            let best = AlignmentResult.methods.map { method -> String in
                let values = aer[setting]![method]!.enumerated().compactMap { e in e.element.aer.map { (e.offset, $0) } }
                guard let m = values.min(by: { $0.1 < $1.1 }) else { return "\(method) -" }
                return "\(method) \(String(format: "%.1f", 100 * m.1)) (layer \(m.0))"
            }
            print("best, \(setting.rawValue) step: " + best.joined(separator: ", "))
        }
    }
}
