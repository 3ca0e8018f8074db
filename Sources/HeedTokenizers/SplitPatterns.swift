// The pre-tokenization regexes real tokenizer.json files use, as hand-written scanners instead
// of a regex engine. Each scanner reproduces what Oniguruma (the engine behind the Rust library's
// `Regex`, tokenizers/src/utils/onig.rs) finds with `find_iter`: leftmost-first matches, trying
// the alternatives in order with backtracking, on the character classes Oniguruma uses (\p{L},
// \p{N} from UnicodeTables.swift; its \s is the same set as Rust's `char::is_whitespace`).
//
// Every scalar of any text belongs to some alternative of these three patterns, so their matches
// tile the text: there are never gaps between them.

/// A Split regex Heed recognizes and runs with a hand-written scanner.
enum KnownSplitPattern: Equatable, Sendable {
    /// GPT-2 / RoBERTa; also ByteLevel's built-in regex (tokenizers/src/pre_tokenizers/byte_level.rs):
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// Llama 3 (tiktoken cl100k style, digits in groups of up to three).
    case llama3
    /// Qwen2: Llama 3's pattern with single digits (`\p{N}` for `\p{N}{1,3}`).
    case qwen2

    /// The pattern strings exactly as tokenizer.json files (and transformers' converters) spell them.
    static let gpt2Regex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The pattern whose regex is exactly `regex` (the decoded JSON string of a Split
    /// `pattern.Regex`), or nil: a regex that differs in any character is not recognized.
    static func recognize(_ regex: String) -> KnownSplitPattern? {
        switch regex {
        case gpt2Regex: return .gpt2
        case llama3Regex: return .llama3
        case qwen2Regex: return .qwen2
        default: return nil
        }
    }

    /// The regex string of this pattern.
    var regex: String {
        switch self {
        case .gpt2: return Self.gpt2Regex
        case .llama3: return Self.llama3Regex
        case .qwen2: return Self.qwen2Regex
        }
    }

    /// The regex's matches in `scalars`, in order, as Rust's `find_iter` gives them: scalar
    /// ranges relative to the slice start (`scalars.startIndex` is index 0). One pass; the only
    /// allocation is the result.
    func matches(_ scalars: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        if scalars.isEmpty { return result }
        result.reserveCapacity(scalars.count / 4 + 4)
        UnicodeProperties.shared.flags.withUnsafeBufferPointer { flags in
            scalars.withUnsafeBufferPointer { text in
                let scanner = SplitScanner(text: text, flags: flags)
                var start = 0
                while start < text.count {
                    let end: Int
                    switch self {
                    case .gpt2: end = scanner.gpt2Match(at: start)
                    case .llama3: end = scanner.llama3Match(at: start, maxDigits: 3)
                    case .qwen2: end = scanner.llama3Match(at: start, maxDigits: 1)
                    }
                    result.append(start..<end)
                    start = end
                }
            }
        }
        return result
    }
}

/// The scanners: each `…Match(at:)` returns the end of the match that starts at `i` (always
/// greater than `i`, as every scalar starts a match for these patterns).
private struct SplitScanner {
    let text: UnsafeBufferPointer<Unicode.Scalar>
    let flags: UnsafeBufferPointer<UInt16>

    /// The classes the patterns distinguish. Oniguruma's \s, \p{L} and \p{N} are disjoint.
    enum Kind: Equatable {
        case other, letter, number, space
    }

    private static let letterBit = UnicodeProperties.Flags.letter.rawValue
    private static let numberBit = UnicodeProperties.Flags.number.rawValue
    private static let spaceBit = UnicodeProperties.Flags.whitespace.rawValue

    private static let apostrophe: UInt32 = 0x27
    private static let space: UInt32 = 0x20
    private static let lineFeed: UInt32 = 0x0A
    private static let carriageReturn: UInt32 = 0x0D

    @inline(__always)
    func kind(_ i: Int) -> Kind {
        let bits = flags[Int(text[i].value)]
        if bits & Self.letterBit != 0 { return .letter }
        if bits & Self.numberBit != 0 { return .number }
        if bits & Self.spaceBit != 0 { return .space }
        return .other
    }

    @inline(__always)
    func value(_ i: Int) -> UInt32 { text[i].value }

    @inline(__always)
    func isNewline(_ i: Int) -> Bool {
        let v = text[i].value
        return v == Self.lineFeed || v == Self.carriageReturn
    }

    /// The end of the run of `kind` scalars starting at `i`.
    @inline(__always)
    func runEnd(_ kind: Kind, from i: Int) -> Int {
        var j = i
        while j < text.count && self.kind(j) == kind { j += 1 }
        return j
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `i` (case-sensitive, ASCII), or nil.
    @inline(__always)
    func contraction(at i: Int, caseInsensitive: Bool) -> Int? {
        guard value(i) == Self.apostrophe, i + 1 < text.count else { return nil }
        func folded(_ v: UInt32) -> UInt32 {
            guard caseInsensitive else { return v }
            if v >= 0x41 && v <= 0x5A { return v + 0x20 }  // A-Z
            if v == 0x17F { return 0x73 }  // U+017F LATIN SMALL LETTER LONG S: Oniguruma (?i) folds it to s
            return v
        }
        switch folded(value(i + 1)) {
        case 0x73, 0x74, 0x6D, 0x64:  // s t m d
            return i + 2
        case 0x72, 0x76:  // r v: 're 've
            if i + 2 < text.count && folded(value(i + 2)) == 0x65 { return i + 3 }
        case 0x6C:  // l: 'll
            if i + 2 < text.count && folded(value(i + 2)) == 0x6C { return i + 3 }
        default:
            break
        }
        return nil
    }

    /// `\s+(?!\S)|\s+` at whitespace `i` whose run ends at `runEnd`: the whole run at the end of
    /// the text or when it is one scalar long; otherwise all but its last scalar (the lookahead
    /// gives that one back to the word that follows).
    @inline(__always)
    func spaceMatch(at i: Int, runEnd j: Int) -> Int {
        (j == text.count || j - i == 1) ? j : j - 1
    }

    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    func gpt2Match(at i: Int) -> Int {
        if let end = contraction(at: i, caseInsensitive: false) { return end }
        var kind = self.kind(i)
        var start = i
        // ` ?X+`: a U+0020 joins the run of letters, numbers or others right after it.
        if value(i) == Self.space && i + 1 < text.count {
            let next = self.kind(i + 1)
            if next != .space {
                kind = next
                start = i + 1
            }
        }
        if kind != .space { return runEnd(kind, from: start + 1) }
        return spaceMatch(at: i, runEnd: runEnd(.space, from: i + 1))
    }

    /// Llama 3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|`
    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    func llama3Match(at i: Int, maxDigits: Int) -> Int {
        if let end = contraction(at: i, caseInsensitive: true) { return end }
        let kind = self.kind(i)
        switch kind {
        case .letter:
            return runEnd(.letter, from: i + 1)
        case .number:
            var j = i + 1
            while j < text.count && j - i < maxDigits && self.kind(j) == .number { j += 1 }
            return j
        case .other, .space:
            break
        }
        // `[^\r\n\p{L}\p{N}]?\p{L}+`: one other or non-newline space scalar leads a letter run.
        if !isNewline(i) && i + 1 < text.count && self.kind(i + 1) == .letter {
            return runEnd(.letter, from: i + 2)
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var start = -1
        if kind == .other {
            start = i
        } else if value(i) == Self.space && i + 1 < text.count && self.kind(i + 1) == .other {
            start = i + 1
        }
        if start >= 0 {
            var j = runEnd(.other, from: start + 1)
            while j < text.count && isNewline(j) { j += 1 }
            return j
        }
        // `\s*[\r\n]+`: the whitespace run up to and including its last CR or LF.
        var lastNewline = isNewline(i) ? i : -1
        var j = i + 1
        while j < text.count && self.kind(j) == .space {
            if isNewline(j) { lastNewline = j }
            j += 1
        }
        if lastNewline >= 0 { return lastNewline + 1 }
        return spaceMatch(at: i, runEnd: j)
    }
}
