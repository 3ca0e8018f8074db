// The Split and Digits pre-tokenizers (tokenizers/src/pre_tokenizers/split.rs and digits.rs).
// Split's regexes run through the hand-written scanners of SplitPatterns.swift; a regex that is
// not one of the known patterns is refused when the file is read.

/// Rust `Split`: cuts each piece where `pattern` matches, treating the matches as `behavior` says;
/// `invert` swaps matches and the text between them (Rust `Invert`).
struct SplitPreTokenizer: PreTokenizer {
    /// What Split looks for.
    enum Pattern: Equatable {
        /// `{"Regex": ...}` with a pattern Heed knows.
        case regex(KnownSplitPattern)
        /// `{"String": ...}`: the literal text, scalar for scalar (Rust escapes it into a regex).
        case literal([Unicode.Scalar])
    }

    var pattern: Pattern
    var behavior: SplitBehavior
    var invert: Bool

    /// Reads `{"type": "Split", "pattern": {"Regex" | "String": ...}, "behavior": ..., "invert": ...}`;
    /// all three fields are required, as in Rust. Throws `TokenizerError.unsupportedComponent`
    /// (componentType "Split (Regex pattern)", the pattern quoted in the message) for a regex that
    /// is not a known pattern, `.invalidConfiguration` for a malformed block.
    init(_ fields: JSONFields, path: String) throws {
        let members = try fields.object("pattern")
        guard members.count == 1, let member = members.first else {
            throw TokenizerError.invalid("\(path).pattern must have exactly one member, \"String\" or \"Regex\"")
        }
        let text = try JSONFields.string(member.value, path: "\(path).pattern.\(member.key)")
        switch member.key {
        case "String":
            pattern = .literal(Array(text.unicodeScalars))
        case "Regex":
            guard let known = KnownSplitPattern.recognize(text) else {
                throw TokenizerError(
                    kind: .unsupportedComponent,
                    message: "unsupported Split regex at \(path).pattern.Regex: \"\(text)\" (Heed runs only the "
                        + "GPT-2, Llama 3 and Qwen2 split patterns, exactly as tokenizer.json files spell them)",
                    component: "pre_tokenizer", componentType: "Split (Regex pattern)")
            }
            pattern = .regex(known)
        default:
            throw TokenizerError.invalid("\(path).pattern has an unknown member \"\(member.key)\" (expected \"String\" or \"Regex\")")
        }
        behavior = try SplitBehavior.parse(try fields.string("behavior"), path: "\(path).behavior")
        invert = try fields.bool("invert")
    }

    init(pattern: Pattern, behavior: SplitBehavior, invert: Bool) {
        self.pattern = pattern
        self.behavior = behavior
        self.invert = invert
    }

    func preTokenize(_ text: inout PreTokenizedText) {
        text.splitPieces { piece in
            var found = matches(in: piece.scalars)
            if invert {
                for index in found.indices { found[index].isMatch.toggle() }
            }
            return piece.split(matches: found, behavior: behavior)
        }
    }

    /// Rust `find_matches` for a regex (tokenizers/src/tokenizer/pattern.rs): the matches, and
    /// the text between them as non-matches, covering `scalars` in order; `[(0..<0, false)]` for
    /// empty text.
    func matches(in scalars: [Unicode.Scalar]) -> [(range: Range<Int>, isMatch: Bool)] {
        if scalars.isEmpty { return [(0..<0, false)] }
        let found: [Range<Int>]
        switch pattern {
        case .regex(let known):
            found = known.matches(scalars[...])
        case .literal(let literal):
            found = Self.occurrences(of: literal, in: scalars)
        }
        var result: [(range: Range<Int>, isMatch: Bool)] = []
        result.reserveCapacity(found.count * 2 + 1)
        var previous = 0
        for match in found {
            if previous != match.lowerBound { result.append((previous..<match.lowerBound, false)) }
            result.append((match, true))
            previous = match.upperBound
        }
        if previous != scalars.count { result.append((previous..<scalars.count, false)) }
        return result
    }

    /// Leftmost non-overlapping occurrences of `literal`, as Oniguruma finds the escaped literal.
    /// The empty literal matches (emptily) before every scalar.
    static func occurrences(of literal: [Unicode.Scalar], in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        guard let first = literal.first else { return (0..<scalars.count).map { $0..<$0 } }
        var result: [Range<Int>] = []
        var i = 0
        let last = scalars.count - literal.count
        while i <= last {
            if scalars[i] == first && scalars[i..<(i + literal.count)].elementsEqual(literal) {
                result.append(i..<(i + literal.count))
                i += literal.count
            } else {
                i += 1
            }
        }
        return result
    }
}

/// Rust `Digits`: isolates numeric scalars (`char::is_numeric`, Unicode N*): each one alone when
/// `individualDigits`, else runs of them (Contiguous).
struct DigitsPreTokenizer: PreTokenizer {
    var individualDigits: Bool

    func preTokenize(_ text: inout PreTokenizedText) {
        let properties = UnicodeProperties.shared
        let behavior: SplitBehavior = individualDigits ? .isolated : .contiguous
        text.splitPieces { $0.split(where: { properties.has($0, .numeric) }, behavior: behavior) }
    }
}
