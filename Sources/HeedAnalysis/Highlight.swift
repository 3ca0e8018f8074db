import HeedKernels

/// Highlight directions for a focus span S (docs/methods.md, Aggregation).
public enum HighlightDirection: String, CaseIterable, Sendable {
    /// What S attends to: the rows of S, averaged.
    case from
    /// Who attends to S: the columns of S, summed.
    case to
    /// What every token receives: column sums over all rows.
    case received
}

/// One highlighted token or word, in the result's position encoding.
public struct HighlightRange: Equatable, Sendable {
    public let start: Int
    public let end: Int
    /// value / the largest value among the ranges (0 when that is 0): the strongest is 1.
    public let score: Float
    /// The raw number.
    public let value: Float
}

/// A unit a highlight can colour: a token or a word, with its span in the request's position
/// encoding. Only units with a non-empty span take part (special tokens typed in the text
/// included); the tokens the post-processor inserts, whose span is empty, never do.
public struct HighlightUnit: Equatable, Sendable {
    /// Start of the unit's source text, in the request's position encoding units.
    public let start: Int
    /// End (exclusive) of the unit's source text; `start == end` for an inserted token.
    public let end: Int

    /// A unit spanning `start..<end` in the request's position encoding.
    public init(start: Int, end: Int) { self.start = start; self.end = end }

    /// True when the unit covers some text: it can be the focus and appear in the ranges.
    public var hasSpan: Bool { end > start }
}

public enum Highlighter {
    /// The units a focus selects (protocol.md, section 5.6), among the units with a non-empty
    /// span: those whose spans overlap a non-empty focus; for an empty focus (a cursor) at k, the
    /// unit whose span contains k, else the one ending at k, else the nearest after k, else the
    /// nearest before. For a `causal` model (a decoder: "what the model looks at when it predicts
    /// the next token"), an empty focus at k selects the last unit that starts before k (the
    /// unit containing k, else the last one ending at or before k), else the first unit.
    /// Never empty: no other unit is ever substituted for a focus that selects none.
    /// `granularity` only names the units in the errors.
    /// - Throws: `PipelineError.textHasNoUnit` when no unit has a non-empty span (an empty text,
    ///   or one of whitespace and characters the tokenizer drops);
    ///   `PipelineError.focusOverlapsNoUnit` when a non-empty focus overlaps none of them.
    public static func focusUnits(_ units: [HighlightUnit], focus: Range<Int>, granularity: Granularity = .token,
                                  causal: Bool = false) throws -> [Int] {
        let candidates = units.indices.filter { units[$0].hasSpan }
        guard !candidates.isEmpty else { throw PipelineError.textHasNoUnit(granularity: granularity) }
        if !focus.isEmpty {
            let overlapping = candidates.filter { units[$0].start < focus.upperBound && focus.lowerBound < units[$0].end }
            guard !overlapping.isEmpty else { throw PipelineError.focusOverlapsNoUnit(focus: focus, granularity: granularity) }
            return overlapping
        }
        let k = focus.lowerBound
        if causal { return [candidates.last(where: { units[$0].start < k }) ?? candidates[0]] }
        if let c = candidates.first(where: { units[$0].start <= k && k < units[$0].end }) { return [c] }
        if let c = candidates.first(where: { units[$0].end == k }) { return [c] }
        if let c = candidates.first(where: { units[$0].start >= k }) { return [c] }
        return [candidates.last!]
    }

    /// Scores every unit with a non-empty span except the focus, from a (T, T) matrix (row i
    /// attends to column j, T = units.count) in `direction`; `topK` keeps the K highest, in text order.
    public static func ranges(matrix: [Float], units: [HighlightUnit], focus: [Int], direction: HighlightDirection,
                              topK: Int? = nil) -> [HighlightRange] {
        let T = units.count
        precondition(matrix.count == T * T)
        var values = [Float](repeating: 0, count: T)
        switch direction {
        case .from:
            for i in focus { for j in 0..<T { values[j] += matrix[i * T + j] } }
            if !focus.isEmpty { for j in 0..<T { values[j] /= Float(focus.count) } }
        case .to:
            for i in 0..<T { for j in focus { values[i] += matrix[i * T + j] } }
        case .received:
            for i in 0..<T { for j in 0..<T { values[j] += matrix[i * T + j] } }
        }
        let focusSet = Set(focus)
        var shown = (0..<T).filter { units[$0].hasSpan && !focusSet.contains($0) }
        if let topK, topK >= 0, shown.count > topK {
            shown = Array(shown.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(topK)).sorted()
        }
        let top = shown.map { values[$0] }.max() ?? 0
        return shown.map { u in
            HighlightRange(start: units[u].start, end: units[u].end, score: top > 0 ? values[u] / top : 0, value: values[u])
        }
    }
}
