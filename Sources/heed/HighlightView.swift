import Foundation
import HeedAnalysis
import HeedKernels
import HeedModels
import HeedTokenizers

/// The focus view of `heed analyze`: the text shaded by what the focus attends to (a table
/// when stdout is not a terminal), then a line with what the focus sends to the tokens the
/// tokenizer inserted ([CLS], [SEP]) by weight and by norm: the sink the shading hides.
enum HighlightView {
    /// What the focus rows send to one inserted token, by weight and by norm, raw and as a
    /// share of the row total.
    struct Sink: Equatable {
        let token: String
        let weight: Float, weightShare: Float
        let norm: Float, normShare: Float
    }

    static func print(_ r: HighlightResult, text: String, labels: TokenLabels, units: [(range: Range<Int>, unknown: Bool)],
                      sinks: [Sink], sinkLayer: Int?, model: LoadedModel) {
        let scalars = labels.scalars
        func slice(_ a: Int, _ b: Int) -> String { labels.slice(a..<b) }
        func marked(_ range: HighlightRange) -> String {
            let s = slice(range.start, range.end)
            return units.contains { $0.range == range.start..<range.end && $0.unknown } ? s + "[UNK]" : s
        }
        let what = r.layer.map { "layer \($0)" } ?? "all layers"
        Swift.print("\(r.method.rawValue), \(what), focus \"\(slice(r.focus.lowerBound, r.focus.upperBound))\"; \(model.id)")
        if let w = r.window { Swift.print("(text beyond the model's limit: analysed \(w.lowerBound)..<\(w.upperBound))") }
        if Terminal.isTTY {
            Swift.print(Terminal.legend())
            Swift.print(shaded(r.ranges, count: scalars.count, slice: slice, marked: marked) { decorate($0, focus: r.focus, offset: $1) })
        } else {
            Swift.print("token\tvalue\tscore")
            for range in r.ranges {
                Swift.print(String(format: "%@\t%.4f\t%.3f", marked(range), range.value, range.score))
            }
        }
        Swift.print(sinkLine(sinks, layer: sinkLayer))
    }

    /// The text of `count` scalars with each range shaded by its score (`marked` gives a range's
    /// text), the text between ranges through `plain(text, offset)`.
    static func shaded(_ ranges: [HighlightRange], count: Int, slice: (Int, Int) -> String, marked: (HighlightRange) -> String,
                       plain: (String, Int) -> String = { s, _ in s }) -> String {
        var out = "", pos = 0
        for range in ranges.sorted(by: { $0.start < $1.start }) where range.start >= pos {
            out += plain(slice(pos, range.start), pos) + Terminal.shade(marked(range), score: range.score)
            pos = range.end
        }
        return out + plain(slice(pos, count), pos)
    }

    /// "sent to the inserted tokens (layer 5, the focus's rows; share of the row total):
    /// [CLS] weight 0.412 (41.2%), norm 0.210 (6.3%); [SEP] ..."
    static func sinkLine(_ sinks: [Sink], layer: Int?) -> String {
        let scope = layer.map { "layer \($0): attention vs norm-summed" } ?? "all layers: rollout vs norm-rollout"
        guard !sinks.isEmpty else { return "sent to the inserted special tokens: none in this model's encoding" }
        let parts = sinks.map { s in
            String(format: "%@ weight %.3f (%.1f%%), norm %.3f (%.1f%%)", s.token, s.weight, 100 * s.weightShare, s.norm, 100 * s.normShare)
        }
        return "sent to the inserted special tokens (\(scope); share of the focus's row total): " + parts.joined(separator: "; ")
    }

    /// Bold underline for the part of `s` (starting at `offset`) inside the focus.
    static func decorate(_ s: String, focus: Range<Int>, offset: Int) -> String {
        var out = ""
        for (k, ch) in s.unicodeScalars.enumerated() {
            out += focus.contains(offset + k) ? "\u{1B}[1;4m\(ch)\u{1B}[0m" : String(ch)
        }
        return out
    }

    /// The sink figures from a weight and a norm matrix (T x T over the units of `table` at
    /// `granularity`): the rows of the focus units averaged, at the columns of the inserted
    /// tokens, each with its share of the averaged row's total.
    static func sinks(weight: [Float], norm: [Float], table: TokenTable, granularity: Granularity, focusUnits: [Int]) -> [Sink] {
        let inserted: [(Int, String)] = granularity == .word
            ? table.words.filter { $0.start == $0.end }.map { ($0.index, table.tokens[$0.tokens[0]].text) }
            : table.tokens.filter { $0.start == $0.end }.map { ($0.index, $0.text) }
        let T = granularity == .word ? table.words.count : table.tokens.count
        func row(_ m: [Float]) -> [Float] {
            var r = [Float](repeating: 0, count: T)
            for i in focusUnits { for j in 0..<T { r[j] += m[i * T + j] / Float(focusUnits.count) } }
            return r
        }
        let w = row(weight), n = row(norm)
        let wTotal = w.reduce(0, +), nTotal = n.reduce(0, +)
        return inserted.map { (j, token) in
            Sink(token: token, weight: w[j], weightShare: wTotal > 0 ? w[j] / wTotal : 0, norm: n[j], normShare: nTotal > 0 ? n[j] / nTotal : 0)
        }
    }
}
