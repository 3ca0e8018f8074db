// Word alignment from cross-attention (the paper's second finding, Kobayashi et al. 2020,
// section 5; METHODS.md, "Aggregation" and finding 2). Per decoder layer, a T_tgt x T_src matrix
// (weights: `attention` averaged over heads; norms: `norm-summed`) becomes a word matrix (rows,
// the attending target side, averaged over a word's subwords; columns, the attended source side,
// summed), and each target word is linked to the source word with the largest value (ties: the
// first). Two settings: with teacher forcing, decoder row t reads target token t - 1 (row 0 the
// start token) and predicts target token t:
// - `output`: target token t takes row t (the step that outputs it);
// - `input`: target token t takes row t + 1 (the step that reads it as its input).
// Tokens outside every word (`</s>`, the inserted end-of-sentence token) are left out on both
// sides. Links are Pharaoh pairs `i-j` (source word i, target word j, 0-based).

import Foundation
import HeedKernels
import HeedModels
import HeedTokenizers

/// A link between source word `source` and target word `target` (0-based).
public struct AlignmentLink: Hashable, Comparable, Sendable {
    public var source: Int
    public var target: Int

    public init(source: Int, target: Int) { self.source = source; self.target = target }

    public static func < (a: AlignmentLink, b: AlignmentLink) -> Bool { (a.source, a.target) < (b.source, b.target) }

    /// Pharaoh format: `i-j`.
    public var pharaoh: String { "\(source)-\(target)" }
}

/// Which decoder step aligns a target word (see the file's comment).
public enum AlignmentSetting: String, CaseIterable, Sendable {
    case output, input
}

/// One sentence's gold links: sure S and possible P (P includes S).
public struct GoldAlignment: Equatable, Sendable {
    public var sure: Set<AlignmentLink>
    public var possible: Set<AlignmentLink>

    public init(sure: Set<AlignmentLink>, possible: Set<AlignmentLink>) {
        self.sure = sure; self.possible = possible.union(sure)
    }

    /// Throws `AlignmentError.linkOutside` for the first link (sure or possible) naming a word
    /// beyond `sourceWords` / `targetWords` (the sentence pair's whitespace-separated words).
    public func check(sourceWords: Int, targetWords: Int, line: Int, oneBased: Bool) throws {
        if let bad = possible.sorted().first(where: { $0.source >= sourceWords || $0.target >= targetWords }) {
            throw AlignmentError.linkOutside(line: line, link: bad, sourceWords: sourceWords, targetWords: targetWords, oneBased: oneBased)
        }
    }

    /// Reads one line: sure links `i-j`, possible links `i?j` or `ipj`, or the triples `i p j` /
    /// `i s j` (whitespace-separated; `s`/`S` sure, `p`/`P` possible). `oneBased` subtracts 1
    /// from every index. Throws `AlignmentError.badGold` naming the token.
    public static func parse(_ line: String, oneBased: Bool = false, lineNumber: Int = 0) throws -> GoldAlignment {
        var sure = Set<AlignmentLink>(), possible = Set<AlignmentLink>()
        let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let shift = oneBased ? 1 : 0
        func link(_ a: String, _ b: String) throws -> AlignmentLink {
            guard let i = Int(a), let j = Int(b), i - shift >= 0, j - shift >= 0 else {
                throw AlignmentError.badGold(line: lineNumber, token: "\(a) \(b)")
            }
            return AlignmentLink(source: i - shift, target: j - shift)
        }
        var k = 0
        while k < tokens.count {
            let t = tokens[k]
            if k + 2 < tokens.count, Int(t) != nil, ["p", "P", "s", "S"].contains(tokens[k + 1]), Int(tokens[k + 2]) != nil {
                let l = try link(t, tokens[k + 2])
                if tokens[k + 1].lowercased() == "s" { sure.insert(l) } else { possible.insert(l) }
                k += 3
                continue
            }
            if let dash = t.firstIndex(where: { $0 == "-" }) {
                sure.insert(try link(String(t[..<dash]), String(t[t.index(after: dash)...])))
            } else if let mark = t.firstIndex(where: { $0 == "?" || $0 == "p" || $0 == "P" }) {
                possible.insert(try link(String(t[..<mark]), String(t[t.index(after: mark)...])))
            } else {
                throw AlignmentError.badGold(line: lineNumber, token: t)
            }
            k += 1
        }
        return GoldAlignment(sure: sure, possible: possible)
    }
}

/// AER counts summed over sentences: AER = 1 - (|A & S| + |A & P|) / (|A| + |S|) (Och & Ney 2003).
public struct AERCounts: Equatable, Sendable {
    public var hypothesis = 0, sure = 0, hypothesisAndSure = 0, hypothesisAndPossible = 0

    public init() {}

    public mutating func add(_ links: Set<AlignmentLink>, gold: GoldAlignment) {
        hypothesis += links.count
        sure += gold.sure.count
        hypothesisAndSure += links.intersection(gold.sure).count
        hypothesisAndPossible += links.intersection(gold.possible).count
    }

    /// The alignment error rate in [0, 1]; nil when there are no links at all.
    public var aer: Double? {
        let d = hypothesis + sure
        guard d > 0 else { return nil }
        return 1 - Double(hypothesisAndSure + hypothesisAndPossible) / Double(d)
    }
}

public enum AlignmentError: Error, Equatable, CustomStringConvertible {
    case badGold(line: Int, token: String)
    case lineCounts(source: Int, target: Int, gold: Int?)
    /// A gold link naming a word the sentence pair does not have (0-based indices as read).
    case linkOutside(line: Int, link: AlignmentLink, sourceWords: Int, targetWords: Int, oneBased: Bool)

    public var description: String {
        switch self {
        case let .badGold(line, token): return "gold line \(line): \"\(token)\" is not a link (i-j sure, i?j or ipj possible, or i p j / i s j)"
        case let .lineCounts(s, t, g): return "the source has \(s) lines, the target \(t)\(g.map { ", the gold \($0)" } ?? ""): they must be equal"
        case let .linkOutside(line, link, sw, tw, oneBased):
            let shift = oneBased ? 1 : 0
            return "gold line \(line): link \(link.source + shift)-\(link.target + shift) is outside the sentence pair (\(sw) source words, \(tw) target words, counted from \(shift))"
                + (oneBased ? "" : "; if the file counts words from 1, pass --gold-one-based")
        }
    }
}

/// Words and subword-to-word maps.
public enum WordAlignment {
    /// The whitespace-separated words of `text`, as scalar ranges.
    public static func words(_ text: String) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start: Int?
        for (i, s) in text.unicodeScalars.enumerated() {
            if s.properties.isWhitespace {
                if let b = start { result.append(b..<i); start = nil }
            } else if start == nil {
                start = i
            }
        }
        if let b = start { result.append(b..<text.unicodeScalars.count) }
        return result
    }

    /// The word of each token: the word holding the token's first non-space scalar; a token
    /// of spaces only or with an empty span (SentencePiece's "▁") joins the next word (the last
    /// word at the end); inserted tokens (`</s>`: no word, empty span) get nil.
    public static func wordOfTokens(_ tokens: [EncodedToken], text: String, words: [Range<Int>]) -> [Int?] {
        let scalars = Array(text.unicodeScalars)
        return tokens.map { token in
            guard !token.isInserted, !words.isEmpty else { return nil }
            let span = token.span.scalars
            var position = span.lowerBound
            while position < span.upperBound, scalars[position].properties.isWhitespace { position += 1 }
            if let w = words.firstIndex(where: { $0.contains(position) }) { return w }
            return words.firstIndex(where: { $0.lowerBound >= position }) ?? words.count - 1
        }
    }

    /// The target words' links from a token matrix (T_dec rows, T_src columns): target token t
    /// (of `targetWords`, the target encoding's words) reads row t (`.output`) or t + 1
    /// (`.input`); rows averaged over a word's subwords, columns summed over a source word's
    /// subwords; each target word's largest source word (ties: the first).
    public static func links(matrix: Tensor, setting: AlignmentSetting, targetWords: [Int?], sourceWords: [Int?]) -> [AlignmentLink] {
        scoredLinks(matrix: matrix, setting: setting, targetWords: targetWords, sourceWords: sourceWords).map(\.link)
    }

    /// `links` with each link's value in the word matrix (the target word's rows averaged, the
    /// source word's columns summed).
    public static func scoredLinks(matrix: Tensor, setting: AlignmentSetting, targetWords: [Int?],
                                   sourceWords: [Int?]) -> [(link: AlignmentLink, score: Float)] {
        let rows = matrix.shape[0], cols = matrix.shape[1]
        let targetCount = (targetWords.compactMap { $0 }.max() ?? -1) + 1
        let sourceCount = (sourceWords.compactMap { $0 }.max() ?? -1) + 1
        guard targetCount > 0, sourceCount > 0 else { return [] }
        var sums = [Double](repeating: 0, count: targetCount * sourceCount)
        var counts = [Int](repeating: 0, count: targetCount)
        for (t, word) in targetWords.enumerated() {
            guard let word else { continue }
            let r = setting == .output ? t : t + 1
            guard r < rows else { continue }
            counts[word] += 1
            for (k, sw) in sourceWords.enumerated() where k < cols {
                guard let sw else { continue }
                sums[word * sourceCount + sw] += Double(matrix.data[r * cols + k])
            }
        }
        var result: [(link: AlignmentLink, score: Float)] = []
        for w in 0..<targetCount where counts[w] > 0 {
            var best = 0
            for s in 1..<sourceCount where sums[w * sourceCount + s] / Double(counts[w]) > sums[w * sourceCount + best] / Double(counts[w]) {
                best = s
            }
            result.append((AlignmentLink(source: best, target: w), Float(sums[w * sourceCount + best] / Double(counts[w]))))
        }
        return result
    }
}

/// The alignment experiment's result: links per sentence for every (setting, method, layer).
public struct AlignmentResult {
    /// "weight" (attention averaged over heads) and "norm" (`norm-summed`).
    public static let methods = ["weight", "norm"]
    public let layers: Int
    /// links[setting][method][layer][sentence].
    public var links: [AlignmentSetting: [String: [[[AlignmentLink]]]]]

    /// AER per (setting, method, layer) against `gold` (one entry per sentence).
    public func aer(gold: [GoldAlignment]) -> [AlignmentSetting: [String: [AERCounts]]] {
        links.mapValues { byMethod in
            byMethod.mapValues { byLayer in
                byLayer.map { sentences in
                    var counts = AERCounts()
                    for (s, l) in sentences.enumerated() where s < gold.count { counts.add(Set(l), gold: gold[s]) }
                    return counts
                }
            }
        }
    }
}

/// Runs the alignment experiment on sentence pairs.
public enum AlignmentExperiment {
    /// For each pair: tokenize (source side / target side), teacher-force the target, take the
    /// cross-attention of every decoder layer (full taps), and extract links in both settings by
    /// weights and by norms. A pair too long for the model throws `ForwardError.tooLong`.
    public static func run(model: MarianModel, tokenizer: MarianTokenizer, pairs: [(source: String, target: String)],
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> AlignmentResult {
        let L = model.config.decoderLayers
        var links: [AlignmentSetting: [String: [[[AlignmentLink]]]]] = [:]
        for setting in AlignmentSetting.allCases {
            links[setting] = Dictionary(uniqueKeysWithValues: AlignmentResult.methods.map { ($0, [[[AlignmentLink]]](repeating: [], count: L)) })
        }
        for (n, pair) in pairs.enumerated() {
            let source = tokenizer.encode(pair.source, side: .source)
            let target = tokenizer.encode(pair.target, side: .target)
            let sourceWords = WordAlignment.wordOfTokens(source.tokens, text: pair.source, words: WordAlignment.words(pair.source))
            let targetWords = WordAlignment.wordOfTokens(target.tokens, text: pair.target, words: WordAlignment.words(pair.target))
            let r = try model.forwardSeq2Seq(source: source.ids, decoderInput: model.decoderInput(forTarget: target.ids),
                                             encoderTaps: TapRequest(.none), decoderTaps: TapRequest(.full), logits: false)
            for l in 0..<L {
                guard let taps = r.decoder.taps(at: AttentionSite(layer: l, kind: .crossAttention)) else { continue }
                let analysis = try CrossAttentionAnalysis(taps: taps)
                let matrices = ["weight": analysis.meanAttention(), "norm": analysis.normSummed()]
                for setting in AlignmentSetting.allCases {
                    for (method, m) in matrices {
                        links[setting]![method]![l].append(
                            WordAlignment.links(matrix: m, setting: setting, targetWords: targetWords, sourceWords: sourceWords).sorted())
                    }
                }
            }
            progress(n + 1, pairs.count)
        }
        return AlignmentResult(layers: L, links: links)
    }
}
