// Normalizers that SentencePiece conversions use besides `Precompiled`:
// - `Prepend` (tokenizers/src/normalizers/prepend.rs), e.g. "▁" before Llama 2 text;
// - `Replace` with a `Regex` pattern (tokenizers/src/normalizers/replace.rs). Rust compiles the
//   pattern with Oniguruma; Heed has no regex engine, so only the shapes transformers writes are
//   recognised: one literal character repeated, `X{n,}` or `X+` (XLM-R and the other Unigram
//   converters write `" {2,}"`). Any other pattern is unsupported.

extension NormalizedText {
    /// Puts `prefix` before the text (Rust `NormalizedString::prepend`): the prefix and the
    /// first scalar all take the first scalar's alignment. An empty text stays empty.
    mutating func prepend(_ prefix: [Unicode.Scalar]) {
        guard let first = scalars.first, !prefix.isEmpty else { return }
        var edits: [Edit] = prefix.enumerated().map { Edit(scalar: $0.element, change: $0.offset == 0 ? 0 : 1) }
        edits.append(Edit(scalar: first, change: 1))
        transform(range: 0..<1, edits, initialOffset: 0)
    }
}

/// Puts a fixed string before every non-empty piece.
struct PrependNormalizer: Normalizer {
    var prefix: [Unicode.Scalar]

    func normalize(_ text: inout NormalizedText) { text.prepend(prefix) }
}

/// A regular expression Heed can match without a regex engine: one literal scalar repeated at
/// least `minimumCount` times, greedily (leftmost-first, as Oniguruma's `find_iter` gives).
struct RepeatedScalarPattern: Equatable {
    var scalar: Unicode.Scalar
    var minimumCount: Int

    /// Recognises `X+` and `X{n,}` where X is a character that is not a regex metacharacter
    /// (or one escaped with a backslash). Nil for anything else.
    init?(regex: String) {
        var scalars = Array(regex.unicodeScalars)
        guard !scalars.isEmpty else { return nil }
        let literal: Unicode.Scalar
        if scalars[0] == "\\" {
            guard scalars.count >= 2, "\\.^$|?*+()[]{}/-".unicodeScalars.contains(scalars[1]) else { return nil }
            literal = scalars[1]
            scalars.removeFirst(2)
        } else {
            guard !"\\.^$|?*+()[]{}".unicodeScalars.contains(scalars[0]) else { return nil }
            literal = scalars[0]
            scalars.removeFirst()
        }
        let quantifier = String(String.UnicodeScalarView(scalars))
        if quantifier == "+" {
            minimumCount = 1
        } else if quantifier.hasPrefix("{"), quantifier.hasSuffix(",}"),
                  let count = Int(quantifier.dropFirst().dropLast(2)), count >= 1, count <= 1000,
                  quantifier.dropFirst().dropLast(2).allSatisfy({ $0.isASCII && $0.isNumber }) {
            minimumCount = count
        } else {
            return nil
        }
        scalar = literal
    }

    /// The maximal runs of `scalar` at least `minimumCount` long.
    func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var i = 0
        while i < scalars.count {
            guard scalars[i] == scalar else { i += 1; continue }
            var j = i + 1
            while j < scalars.count && scalars[j] == scalar { j += 1 }
            if j - i >= minimumCount { result.append(i..<j) }
            i = j
        }
        return result
    }
}

/// `Replace` with a regex pattern of the recognised shape.
struct RegexReplaceNormalizer: Normalizer {
    var pattern: RepeatedScalarPattern
    var content: [Unicode.Scalar]

    func normalize(_ text: inout NormalizedText) {
        text.replace(matches: pattern.matches(in: text.scalars), with: content)
    }
}
