import Foundation
import HeedAnalysis
import HeedDaemon
import HeedJSONRPC
import HeedKernels
import HeedModels
import HeedTokenizers

/// `heed analyze --target T SOURCE` for an encoder-decoder model (protocol.md section 5.9): with a
/// focus in the target, the source shaded by what the focus reads through one decoder layer's
/// cross-attention, then what it sends to the source's `</s>` by weight and by norm (the sink
/// of the paper's finding); without one, the word alignment of every target word by weight and
/// by norm (Kobayashi et al. 2020, section 5). `--json` prints heed/highlight's (focusIn
/// "target") or heed/analyze's (with `target`) result.
enum PairView {
    static func run(model: LoadedModel, source: String, target: String, focus: Range<Int>?, options: AnalyzeCLIOptions) throws {
        guard let parts = model.encoderDecoder else {
            throw Arguments.Error(description: "--target needs an encoder-decoder model (a Marian directory); \(model.id) is a \(model.shape.family) model")
        }
        let L = parts.model.config.decoderLayers
        let sourceEncoded = model.tokenizer.encode(source), targetEncoded = parts.targetTokenizer.encode(target)
        let limit = parts.model.config.maxPositionEmbeddings
        for (side, encoded) in [("the text", sourceEncoded), ("the target", targetEncoded)] where encoded.tokens.count > limit {
            throw Arguments.Error(description: "\(side) has \(encoded.tokens.count) tokens; \(model.id) reads at most \(limit)")
        }
        let pass = try PairAnalysis.forward(parts.model, source: sourceEncoded, target: targetEncoded)
        let layer = options.layer?.index(among: L) ?? (L - 1)
        guard (0..<L).contains(layer) else {
            throw Arguments.Error(description: "--layer \(layer) is beyond \(model.id)'s decoder layers 0...\(L - 1)")
        }
        let analysis = try PairAnalysis.cross(pass, layer: layer)
        let sourceTable = TokenTable(text: source, encoded: sourceEncoded, encoding: .utf32, tokenizer: model.tokenizer)
        let targetTable = TokenTable(text: target, encoded: targetEncoded, encoding: .utf32, tokenizer: parts.targetTokenizer)
        let step = options.setting == .input ? "input step" : "output step"

        guard let focus else {
            if options.json {
                let analyzeOptions = AnalyzeOptions(methods: options.effectiveMethods, layers: nil, meanOverHeads: options.heads == "mean",
                                                    granularity: options.granularity)
                let result = try PairAnalysis.analyze(model: model, source: (source, sourceEncoded), target: (target, targetEncoded), pass: pass,
                                                      options: analyzeOptions, decoderLayers: options.layer == nil ? Array(0..<L) : [layer],
                                                      encoding: .utf32)
                var w = JSONWriter(), unused = BinaryAttachment()
                ResultJSON.writePairAnalyze(result, format: .nested, attachment: &unused, into: &w)
                return AnalyzeCommand.emit(w)
            }
            // The word alignment by weight and by norm.
            let byWeight = PairAlignment(matrix: analysis.meanAttention(), setting: options.setting, source: (source, sourceEncoded),
                                         target: (target, targetEncoded), encoding: .utf32)
            let byNorm = PairAlignment(matrix: analysis.normSummed(), setting: options.setting, source: (source, sourceEncoded),
                                       target: (target, targetEncoded), encoding: .utf32)
            print("word alignment, decoder layer \(layer), \(step) (Kobayashi et al. 2020, section 5); \(model.id)")
            print("target word\tby weight (attention)\tby norm (norm-summed)")
            for (w, n) in zip(byWeight.links, byNorm.links) {
                print("\(byWeight.targetWords[w.link.target].text)\t\(byWeight.sourceWords[w.link.source].text) (\(String(format: "%.3f", w.score)))"
                      + "\t\(byNorm.sourceWords[n.link.source].text) (\(String(format: "%.3f", n.score)))")
            }
            print("Pharaoh (source-target, 0-based): weight " + byWeight.links.map(\.link.pharaoh).joined(separator: " ")
                  + "; norm " + byNorm.links.map(\.link.pharaoh).joined(separator: " "))
            return
        }

        let method = options.effectiveMethods[0]
        let (ranges, focusSpan) = try CrossHighlight.ranges(matrix: CrossAttentionMethods.matrix(analysis, method: method)!, source: sourceTable,
                                                            target: targetTable, focus: focus, setting: options.setting,
                                                            granularity: options.granularity, topK: options.topK)
        guard ranges.allSatisfy({ $0.value.isFinite && $0.score.isFinite }) else { AnalyzeCommand.failNonFinite() }
        if options.json {
            var w = JSONWriter()
            ResultJSON.writeCrossHighlight(ranges: ranges, focus: focusSpan, method: method, layer: layer, encoding: .utf32, into: &w)
            return AnalyzeCommand.emit(w)
        }
        let labels = TokenLabels(table: sourceTable, text: source)
        let targetScalars = Array(target.unicodeScalars)
        let focusText = String(String.UnicodeScalarView(targetScalars[focusSpan]))
        print("cross-attention \(method.rawValue), decoder layer \(layer), \(step), target focus \"\(focusText)\"; \(model.id)")
        if Terminal.isTTY {
            print(Terminal.legend())
            print(HighlightView.shaded(ranges, count: labels.scalars.count, slice: { labels.slice($0..<$1) },
                                       marked: { labels.slice($0.start..<$0.end) }))
        } else {
            print("token\tvalue\tscore")
            for range in ranges { print(String(format: "%@\t%.4f\t%.3f", labels.slice(range.start..<range.end), range.value, range.score)) }
        }
        if let top = ranges.first(where: { $0.score == 1 }) { print("aligned to: \"\(labels.slice(top.start..<top.end))\"") }
        // What the focus rows send to the source's </s>, by weight and by norm (share of each row's total).
        let eos = sourceEncoded.tokens.count - 1
        let focusRows = try CrossHighlight.rows(target: targetTable, focus: focus, setting: options.setting, granularity: options.granularity,
                                                decoderSteps: analysis.queries).rows
        func share(_ m: Tensor) -> (Float, Float) {
            var v: Float = 0, total: Float = 0
            for r in focusRows {
                v += m.data[r * analysis.keys + eos]
                for j in 0..<analysis.keys { total += m.data[r * analysis.keys + j] }
            }
            return (v / Float(max(1, focusRows.count)), total > 0 ? v / total : 0)
        }
        let (w, ws) = share(analysis.meanAttention()), (n, ns) = share(analysis.normSummed())
        print(String(format: "sent to the source's </s> (decoder layer %d: attention vs norm-summed; share of the focus's row total): weight %.3f (%.1f%%), norm %.3f (%.1f%%)",
                     layer, w, 100 * ws, n, 100 * ns))
    }
}
