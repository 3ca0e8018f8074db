// Byte-level BPE's pre-tokenizer and post-processor (tokenizers/src/pre_tokenizers/byte_level.rs):
// every UTF-8 byte of the text becomes one printable "byte-char" (GPT-2's bytes_to_unicode:
// space -> "Ġ", line feed -> "Ċ"), so the model never sees a byte it lacks.

/// GPT-2's byte <-> byte-char table (Rust `bytes_char`).
enum ByteLevelAlphabet {
    /// The byte-char of each byte value.
    static let charForByte: [Unicode.Scalar] = {
        var chars = [Unicode.Scalar?](repeating: nil, count: 256)
        for byte in 0..<256 where (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
            chars[byte] = Unicode.Scalar(UInt8(byte))
        }
        var next: UInt32 = 256
        for byte in 0..<256 where chars[byte] == nil {
            chars[byte] = Unicode.Scalar(next)!
            next += 1
        }
        return chars.map { $0! }
    }()

    /// The byte of each byte-char, indexed by scalar value (0...323); -1 for other scalars.
    static let byteForChar: [Int16] = {
        var bytes = [Int16](repeating: -1, count: 324)
        for (byte, char) in charForByte.enumerated() { bytes[Int(char.value)] = Int16(byte) }
        return bytes
    }()

    /// The byte a byte-char stands for, nil for any other scalar.
    @inline(__always)
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < byteForChar.count else { return nil }
        let byte = byteForChar[value]
        return byte < 0 ? nil : UInt8(byte)
    }

    /// The byte-char spelling of a string's UTF-8 bytes.
    static func spell<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var view = String.UnicodeScalarView()
        for byte in bytes { view.append(charForByte[Int(byte)]) }
        return String(view)
    }

    /// "Ġ", the byte-char of a space.
    static let space: Unicode.Scalar = "\u{120}"
}

/// The `ByteLevel` pre-tokenizer: optionally a leading space, optionally GPT-2's split regex,
/// then every scalar becomes the byte-chars of its UTF-8 bytes, each aligned with the scalar.
struct ByteLevelPreTokenizer: PreTokenizer {
    var addPrefixSpace: Bool
    var useRegex: Bool

    init(addPrefixSpace: Bool, useRegex: Bool) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    /// Reads `add_prefix_space` (default true), `use_regex` (default true); `trim_offsets` is a
    /// post-processing setting and unused here.
    init(_ fields: JSONFields) throws {
        addPrefixSpace = try fields.bool("add_prefix_space", default: true)
        useRegex = try fields.bool("use_regex", default: true)
        _ = try fields.bool("trim_offsets", default: true)
    }

    func preTokenize(_ text: inout PreTokenizedText) {
        if addPrefixSpace || useRegex {
            text.split { piece in
                var piece = piece
                if addPrefixSpace && piece.scalars.first != " " { piece.prependForByteLevel(" ") }
                guard useRegex else { return [Split(text: piece, tokens: nil)] }
                let matches = KnownSplitPattern.gpt2.matches(piece.scalars[...])
                return piece.split(matches: NormalizedText.coveringMatches(matches, count: piece.count), behavior: .isolated)
                    .map { Split(text: $0, tokens: nil) }
            }
        }
        for i in text.splits.indices where text.splits[i].tokens == nil {
            text.splits[i].text.spellBytes()
        }
    }
}

extension NormalizedText {
    /// Rust `NormalizedString::prepend`: `prefix` goes before the first scalar, sharing its
    /// alignment; nothing happens to an empty text.
    mutating func prependForByteLevel(_ prefix: String) {
        guard let first = scalars.first else { return }
        var edits: [Edit] = prefix.unicodeScalars.enumerated().map { Edit(scalar: $0.element, change: $0.offset == 0 ? 0 : 1) }
        edits.append(Edit(scalar: first, change: 1))
        transform(range: 0..<1, edits, initialOffset: 0)
    }

    /// Replaces every scalar by the byte-chars of its UTF-8 bytes: the first replaces the scalar,
    /// the others are inserted after it (Rust's `(char, 1)` changes), so all share its alignment.
    mutating func spellBytes() {
        let chars = ByteLevelAlphabet.charForByte
        if scalars.allSatisfy({ $0.value < 0x80 }) {
            map { chars[Int($0.value)] }
            return
        }
        expand { scalar, edits in
            var change = 0
            for byte in String(scalar).utf8 {
                edits.append(Edit(scalar: chars[Int(byte)], change: change))
                change = 1
            }
        }
    }

    /// Rust's `Pattern::find_matches` for a regex: `matches` (in order, not overlapping) with the
    /// gaps between them as non-matches, covering `0..<count`.
    static func coveringMatches(_ matches: [Range<Int>], count: Int) -> [(range: Range<Int>, isMatch: Bool)] {
        if count == 0 { return [(0..<0, false)] }
        var result: [(range: Range<Int>, isMatch: Bool)] = []
        result.reserveCapacity(matches.count + 2)
        var previous = 0
        for match in matches {
            if previous != match.lowerBound { result.append((previous..<match.lowerBound, false)) }
            result.append((match, true))
            previous = match.upperBound
        }
        if previous != count { result.append((previous..<count, false)) }
        return result
    }
}

// MARK: - Post-processing: trimming offsets

/// Rust `process_offsets` (byte_level.rs): a token's leading and trailing "Ġ" and whitespace are
/// left out of its offsets; with `addPrefixSpace`, the first token keeps one leading space (the
/// one the pre-tokenizer added). Offsets are scalars, as Rust's are chars at this stage.
func trimByteLevelOffsets(_ tokens: inout [EncodedToken], addPrefixSpace: Bool, offsets: OffsetConverter) {
    let properties = UnicodeProperties.shared
    func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == ByteLevelAlphabet.space || properties.isWhitespace(scalar) }
    for i in tokens.indices {
        let text = tokens[i].text.unicodeScalars
        var leading = text.prefix(while: isSpace).count
        let trailing = leading == text.count ? leading : text.reversed().prefix(while: isSpace).count
        guard leading > 0 || trailing > 0 else { continue }
        var start = tokens[i].span.scalars.lowerBound
        var end = tokens[i].span.scalars.upperBound
        if leading > 0 {
            let isFirst = i == 0 || start == 0
            if isFirst && addPrefixSpace && leading == 1 { leading = 0 }
            start = min(start + leading, end)
        }
        if trailing > 0 && end >= trailing {
            end = max(end - trailing, start)
        }
        tokens[i].span = offsets.span(start, end)
    }
}

/// The `ByteLevel` post-processor: trims offsets (when `trim_offsets`), adds no tokens.
struct ByteLevelPostProcessor: PostProcessor {
    var trimOffsets: Bool
    var addPrefixSpace: Bool

    init(_ fields: JSONFields) throws {
        trimOffsets = try fields.bool("trim_offsets", default: true)
        addPrefixSpace = try fields.bool("add_prefix_space", default: true)
        _ = try fields.bool("use_regex", default: true)
    }

    var specialTokenIDs: [Int] { [] }

    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool, offsets: OffsetConverter?) -> [EncodedToken] {
        guard trimOffsets, let offsets else { return tokens }
        var tokens = tokens
        trimByteLevelOffsets(&tokens, addPrefixSpace: addPrefixSpace, offsets: offsets)
        return tokens
    }
}
