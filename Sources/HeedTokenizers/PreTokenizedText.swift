// PreTokenizedText mirrors Rust's PreTokenizedString (tokenizers/src/tokenizer/pre_tokenizer.rs):
// the input as a list of splits, each a NormalizedText, some already tokenized (added tokens).
// Splitting helpers mirror `NormalizedString::split` and the char-predicate `Pattern`.

/// A token produced by a model or the added vocabulary, before offsets are mapped back.
struct ModelToken {
    var id: Int
    /// The token's text as the Rust library reports it (`Token.value`).
    var value: String
    /// Normalized scalar range within its split.
    var range: Range<Int>
    /// Produced by a special added token.
    var special: Bool = false
}

/// One split: a piece of normalized text, and its tokens once tokenized.
struct Split {
    var text: NormalizedText
    var tokens: [ModelToken]?
}

/// How a split treats the delimiters it finds (Rust `SplitDelimiterBehavior`).
enum SplitBehavior: String {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    static func parse(_ name: String, path: String) throws -> SplitBehavior {
        guard let behavior = SplitBehavior(rawValue: name) else {
            throw TokenizerError.invalid("\(path) has an unknown split behavior \"\(name)\"")
        }
        return behavior
    }
}

/// The text being pre-tokenized: an ordered list of splits.
struct PreTokenizedText {
    var splits: [Split]

    /// Replaces every split that has no tokens yet by the splits `body` makes of it; empty
    /// splits are dropped (Rust `PreTokenizedString::split`).
    mutating func split(_ body: (NormalizedText) -> [Split]) {
        var result: [Split] = []
        result.reserveCapacity(splits.count)
        for split in splits {
            if split.tokens != nil {
                result.append(split)
                continue
            }
            for piece in body(split.text) where !piece.text.isEmpty {
                result.append(piece)
            }
        }
        splits = result
    }

    /// Splits every untokenized piece with `pieces` (a plain list of normalized pieces).
    mutating func splitPieces(_ pieces: (NormalizedText) -> [NormalizedText]) {
        split { text in pieces(text).map { Split(text: $0, tokens: nil) } }
    }
}

extension NormalizedText {
    /// Rust's `Pattern::find_matches` for a char predicate: runs of non-matching scalars and
    /// single matching scalars, covering the whole text in order.
    func matches(where isMatch: (Unicode.Scalar) -> Bool) -> [(range: Range<Int>, isMatch: Bool)] {
        if isEmpty { return [(0..<0, false)] }
        var result: [(range: Range<Int>, isMatch: Bool)] = []
        var lastOffset = 0
        for (i, scalar) in scalars.enumerated() where isMatch(scalar) {
            if lastOffset < i { result.append((lastOffset..<i, false)) }
            result.append((i..<(i + 1), true))
            lastOffset = i + 1
        }
        if lastOffset < count { result.append((lastOffset..<count, false)) }
        return result
    }

    /// Splits on `matches` with `behavior` (Rust `NormalizedString::split`).
    func split(matches: [(range: Range<Int>, isMatch: Bool)], behavior: SplitBehavior) -> [NormalizedText] {
        var kept: [Range<Int>] = []
        kept.reserveCapacity(matches.count)
        switch behavior {
        case .isolated:
            kept = matches.map(\.range)
        case .removed:
            kept = matches.filter { !$0.isMatch }.map(\.range)
        case .contiguous:
            var previousMatch = false
            for match in matches {
                if match.isMatch == previousMatch, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<match.range.upperBound
                } else {
                    kept.append(match.range)
                }
                previousMatch = match.isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for match in matches {
                if match.isMatch && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<match.range.upperBound
                } else {
                    kept.append(match.range)
                }
                previousMatch = match.isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for match in matches.reversed() {
                if match.isMatch && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = match.range.lowerBound..<last.upperBound
                } else {
                    kept.append(match.range)
                }
                previousMatch = match.isMatch
            }
            kept.reverse()
        }
        return kept.map { slice($0) }
    }

    /// Splits where `isDelimiter` holds (a char-predicate pattern).
    func split(where isDelimiter: (Unicode.Scalar) -> Bool, behavior: SplitBehavior) -> [NormalizedText] {
        // Fast path: no delimiter at all leaves the piece whole for every behavior.
        if !scalars.contains(where: isDelimiter) { return [slice(0..<count)] }
        return split(matches: matches(where: isDelimiter), behavior: behavior)
    }
}
