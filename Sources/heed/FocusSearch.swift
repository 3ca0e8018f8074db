/// `--focus TEXT`: where TEXT occurs in the text, whole words first. "it" in "The kitten sat
/// with it." is the word "it", not the "it" inside "kitten"; only when TEXT never occurs as a
/// whole word are occurrences inside words used.
enum FocusSearch {
    /// The chosen occurrence and, when there was a choice or a fallback, a note for stderr.
    struct Match: Equatable {
        /// Unicode scalar offsets of the occurrence.
        let range: Range<Int>
        let note: String?
    }

    /// Occurrence `occurrence` (1-based, default 1) of `needle` in `text`, in Unicode scalars.
    static func find(_ needle: String, in text: String, occurrence: Int?) throws -> Match {
        let scalars = Array(text.unicodeScalars), pattern = Array(needle.unicodeScalars)
        var all: [Int] = []
        if pattern.count <= scalars.count {
            for start in 0...(scalars.count - pattern.count) where scalars[start..<(start + pattern.count)].elementsEqual(pattern) {
                all.append(start)
            }
        }
        guard !all.isEmpty else { throw Arguments.Error(description: "--focus \"\(needle)\" does not occur in the text") }
        let words = all.filter { isWholeWord(at: $0, length: pattern.count, in: scalars) }
        let candidates = words.isEmpty ? all : words
        let kind = words.isEmpty ? "inside a word" : "as a whole word"
        let n = occurrence ?? 1
        guard n <= candidates.count else {
            throw Arguments.Error(description: "--focus-occurrence \(n): \"\(needle)\" occurs \(times(candidates.count)) \(kind)")
        }
        let start = candidates[n - 1]
        let range = start..<(start + pattern.count)
        var note: String? = nil
        if words.isEmpty {
            let word = enclosingWord(range, in: scalars)
            note = "\"\(needle)\" is not a whole word of the text; focusing on it inside \"\(word)\" (occurrence \(n) of \(candidates.count), scalars \(range.lowerBound)..<\(range.upperBound))"
        } else if candidates.count > 1 {
            note = "\"\(needle)\" occurs \(times(candidates.count)) as a whole word; focusing on occurrence \(n) (scalars \(range.lowerBound)..<\(range.upperBound)); --focus-occurrence N picks another"
        }
        return Match(range: range, note: note)
    }

    static func times(_ n: Int) -> String { n == 1 ? "once" : n == 2 ? "twice" : "\(n) times" }

    /// Letters, marks and digits make words (as a regular expression's \w, without "_").
    static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        s.properties.isAlphabetic || s.properties.numericType != nil || s.properties.generalCategory == .nonspacingMark
    }

    /// True when the match at `start` has a word boundary at both ends (as \b: a word
    /// character on one side and none on the other, or the text's end).
    static func isWholeWord(at start: Int, length: Int, in scalars: [Unicode.Scalar]) -> Bool {
        let end = start + length
        let leftOK = start == 0 || !isWordScalar(scalars[start - 1]) || !isWordScalar(scalars[start])
        let rightOK = end == scalars.count || !isWordScalar(scalars[end]) || !isWordScalar(scalars[end - 1])
        return leftOK && rightOK
    }

    /// The run of word characters around `range`.
    static func enclosingWord(_ range: Range<Int>, in scalars: [Unicode.Scalar]) -> String {
        var a = range.lowerBound, b = range.upperBound
        while a > 0, isWordScalar(scalars[a - 1]) { a -= 1 }
        while b < scalars.count, isWordScalar(scalars[b]) { b += 1 }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[a..<b])
        return String(s)
    }
}
