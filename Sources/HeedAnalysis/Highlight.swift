import HeedKernels

/// Highlight directions for a focus span S (METHODS.md, Aggregation).
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

/// A unit a highlight can colour: a token or a word, with its span and whether it is special.
public struct HighlightUnit: Equatable, Sendable {
    public let start: Int
    public let end: Int
    public let special: Bool

    public init(start: Int, end: Int, special: Bool) { self.start = start; self.end = end; self.special = special }
}

public enum Highlighter {
    /// The units a focus selects (DESIGN.md): those whose spans overlap it; an empty focus (a cursor)
    /// at k selects the unit whose span contains k, else the one ending at k, else the nearest
    /// after k, else the nearest before. Special units are never selected. Empty only when there
    /// is no non-special unit at all.
    public static func focusUnits(_ units: [HighlightUnit], focus: Range<Int>) -> [Int] {
        let candidates = units.indices.filter { !units[$0].special && units[$0].end > units[$0].start }
        if !focus.isEmpty {
            let overlapping = candidates.filter { units[$0].start < focus.upperBound && focus.lowerBound < units[$0].end }
            if !overlapping.isEmpty { return overlapping }
        }
        let k = focus.lowerBound
        if let c = candidates.first(where: { units[$0].start <= k && k < units[$0].end }) { return [c] }
        if let c = candidates.first(where: { units[$0].end == k }) { return [c] }
        if let c = candidates.first(where: { units[$0].start >= k }) { return [c] }
        if let c = candidates.last { return [c] }
        return []
    }

    /// Scores every unit except special ones and the focus, from a (T, T) matrix (row i attends
    /// to column j) in `direction`; `topK` keeps the K highest, in text order.
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
        var shown = (0..<T).filter { !units[$0].special && !focusSet.contains($0) }
        if let topK, topK >= 0, shown.count > topK {
            shown = Array(shown.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(topK)).sorted()
        }
        let top = shown.map { values[$0] }.max() ?? 0
        return shown.map { u in
            HighlightRange(start: units[u].start, end: units[u].end, score: top > 0 ? values[u] / top : 0, value: values[u])
        }
    }
}
