// Decoders (tokenizers/src/decoders/*.rs, plus the decoder halves of pre_tokenizers/byte_level.rs,
// pre_tokenizers/metaspace.rs and normalizers/replace.rs): they turn token strings back into
// text. Each works on a list of strings (Rust `decode_chain`); the tokenizer joins the last list.
// Strings are compared and cut scalar by scalar, as Rust compares chars.

/// A decoding stage (Rust `Decoder::decode_chain`).
protocol TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String]
}

/// Reads the `decoder` block of tokenizer.json.
/// - Throws: `TokenizerError.unsupported("decoder", ...)` for a type Heed does not implement
///   (e.g. "CTC", or "Replace (Regex pattern)"); `.invalid` for ill-typed fields.
func makeDecoder(_ json: JSONValue, path: String) throws -> any TokenDecoder {
    let fields = try JSONFields(json, path: path)
    let type = try fields.string("type")
    switch type {
    case "ByteLevel":
        return ByteLevelDecoder()
    case "Metaspace":
        return try MetaspaceDecoder(fields)
    case "ByteFallback":
        return ByteFallbackDecoder()
    case "Fuse":
        return FuseDecoder()
    case "Strip":
        return try StripDecoder(fields)
    case "Replace":
        return try ReplaceDecoder(fields)
    case "WordPiece":
        return WordPieceDecoder(prefix: try fields.optionalString("prefix") ?? "##",
                                cleanup: try fields.bool("cleanup", default: true))
    case "BPEDecoder":
        return BPEDecoder(suffix: try fields.optionalString("suffix") ?? "</w>")
    case "Sequence":
        return SequenceDecoder(stages: try fields.array("decoders").enumerated().map {
            try makeDecoder($0.element, path: "\(path).decoders[\($0.offset)]")
        })
    default:
        throw TokenizerError.unsupported("decoder", type: type)
    }
}

/// Byte-chars back to bytes; all tokens become one string, decoded from UTF-8 lossily (a token
/// with any scalar outside the byte alphabet contributes its own UTF-8 bytes instead).
struct ByteLevelDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens {
            let start = bytes.count
            for scalar in token.unicodeScalars {
                guard let byte = ByteLevelAlphabet.byte(for: scalar) else {
                    bytes.removeSubrange(start...)
                    bytes.append(contentsOf: token.utf8)
                    break
                }
                bytes.append(byte)
            }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}

/// The metaspace (`▁`) back to spaces; on the first token it is dropped unless the scheme is "never".
struct MetaspaceDecoder: TokenDecoder {
    enum PrependScheme: String { case first, never, always }
    var replacement: Unicode.Scalar
    var prependScheme: PrependScheme

    init(replacement: Unicode.Scalar, prependScheme: PrependScheme) {
        self.replacement = replacement
        self.prependScheme = prependScheme
    }

    /// Reads `replacement` (one scalar), `prepend_scheme` (default "always") and the legacy
    /// `add_prefix_space` (false means "never"; with another declared scheme it is an error, as in Rust).
    init(_ fields: JSONFields) throws {
        let text = try fields.string("replacement")
        guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
            throw TokenizerError.invalid("\(fields.path).replacement must be one character, found \"\(text)\"")
        }
        replacement = scalar
        let declared = try fields.optionalString("prepend_scheme").map { name -> PrependScheme in
            guard let scheme = PrependScheme(rawValue: name) else {
                throw TokenizerError.invalid("\(fields.path).prepend_scheme has an unknown value \"\(name)\"")
            }
            return scheme
        }
        if try fields.optionalBool("add_prefix_space") == false {
            if let declared, declared != .never {
                throw TokenizerError.invalid("\(fields.path).add_prefix_space is false but prepend_scheme is \"\(declared.rawValue)\"")
            }
            prependScheme = .never
        } else {
            prependScheme = declared ?? .always
        }
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var view = String.UnicodeScalarView()
            for scalar in token.unicodeScalars {
                if scalar == replacement {
                    if i == 0 && prependScheme != .never { continue }
                    view.append(" ")
                } else {
                    view.append(scalar)
                }
            }
            return String(view)
        }
    }
}

/// Runs of `<0xNN>` tokens back to the bytes they name, decoded as UTF-8; a run that is not
/// valid UTF-8 becomes one U+FFFD per byte.
struct ByteFallbackDecoder: TokenDecoder {
    /// The byte of a `<0xNN>` token (Rust: six bytes, `<0x`, two digits read by
    /// `u8::from_str_radix(_, 16)` (which accepts a leading "+"), `>`).
    static func byte(of token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, utf8[0] == UInt8(ascii: "<"), utf8[1] == UInt8(ascii: "0"),
              utf8[2] == UInt8(ascii: "x"), utf8[5] == UInt8(ascii: ">") else { return nil }
        func digit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        if utf8[3] == UInt8(ascii: "+") { return digit(utf8[4]) }
        guard let high = digit(utf8[3]), let low = digit(utf8[4]) else { return nil }
        return high << 4 | low
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        var result: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if isValidUTF8(pending) {
                result.append(String(decoding: pending, as: UTF8.self))
            } else {
                result.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            if let byte = ByteFallbackDecoder.byte(of: token) {
                pending.append(byte)
            } else {
                flush()
                result.append(token)
            }
        }
        flush()
        return result
    }
}

/// All tokens joined into one string.
struct FuseDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}

/// Removes up to `start` leading and `stop` trailing occurrences of `content` from each token.
struct StripDecoder: TokenDecoder {
    var content: Unicode.Scalar
    var start: Int
    var stop: Int

    init(_ fields: JSONFields) throws {
        let text = try fields.string("content")
        guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
            throw TokenizerError.invalid("\(fields.path).content must be one character, found \"\(text)\"")
        }
        content = scalar
        start = try fields.int("start")
        stop = try fields.int("stop")
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var startCut = 0
            for scalar in scalars.prefix(start) {
                guard scalar == content else { break }
                startCut += 1
            }
            var stopCut = scalars.count
            for _ in 0..<stop {
                // Rust indexes out of bounds when every scalar is stripped; stop there instead.
                guard stopCut > 0, scalars[stopCut - 1] == content else { break }
                stopCut -= 1
            }
            guard startCut < stopCut else { return "" }
            return String(String.UnicodeScalarView(scalars[startCut..<stopCut]))
        }
    }
}

/// Replaces every occurrence of a literal pattern in each token (a `Regex` pattern is unsupported).
struct ReplaceDecoder: TokenDecoder {
    var pattern: [Unicode.Scalar]
    var content: [Unicode.Scalar]

    init(_ fields: JSONFields) throws {
        let patternFields = try JSONFields(fields.raw("pattern") ?? .null, path: "\(fields.path).pattern")
        guard let pattern = try patternFields.optionalString("String") else {
            if patternFields.has("Regex") { throw TokenizerError.unsupported("decoder", type: "Replace (Regex pattern)") }
            throw TokenizerError.invalid("\(fields.path).pattern must have a \"String\" or \"Regex\" member")
        }
        self.pattern = Array(pattern.unicodeScalars)
        content = Array(try fields.string("content").unicodeScalars)
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { replacingAll(in: $0, pattern, with: content) }
    }
}

/// WordPiece: a token after the first loses `prefix` if it has it, else gets a leading space;
/// with `cleanup`, Rust's `cleanup` replacements on each token.
struct WordPieceDecoder: TokenDecoder {
    var prefix: String
    var cleanup: Bool

    /// Rust `wordpiece::cleanup`, in order.
    static let cleanupRules: [([Unicode.Scalar], [Unicode.Scalar])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (Array($0.0.unicodeScalars), Array($0.1.unicodeScalars)) }

    func decodeChain(_ tokens: [String]) -> [String] {
        let prefixScalars = Array(prefix.unicodeScalars)
        return tokens.enumerated().map { i, token in
            var text = token
            if i != 0 {
                let scalars = Array(token.unicodeScalars)
                if scalars.starts(with: prefixScalars) {
                    text = String(String.UnicodeScalarView(scalars[prefixScalars.count...]))
                } else {
                    text = " " + token
                }
            }
            if cleanup {
                for (pattern, replacement) in WordPieceDecoder.cleanupRules {
                    text = replacingAll(in: text, pattern, with: replacement)
                }
            }
            return text
        }
    }
}

/// Original BPE's end-of-word suffix back to a space (nothing after the last token).
struct BPEDecoder: TokenDecoder {
    var suffix: String

    func decodeChain(_ tokens: [String]) -> [String] {
        let pattern = Array(suffix.unicodeScalars)
        return tokens.enumerated().map { i, token in
            replacingAll(in: token, pattern, with: i == tokens.count - 1 ? [] : [" "])
        }
    }
}

/// Runs its decoders in order.
struct SequenceDecoder: TokenDecoder {
    var stages: [any TokenDecoder]

    func decodeChain(_ tokens: [String]) -> [String] {
        stages.reduce(tokens) { $1.decodeChain($0) }
    }
}

/// Every non-overlapping occurrence of `pattern` (leftmost first) replaced by `content`, scalar by
/// scalar; an empty pattern changes nothing.
func replacingAll(in text: String, _ pattern: [Unicode.Scalar], with content: [Unicode.Scalar]) -> String {
    guard let first = pattern.first else { return text }
    let scalars = Array(text.unicodeScalars)
    guard scalars.count >= pattern.count, scalars.contains(first) else { return text }
    var view = String.UnicodeScalarView()
    var i = 0
    var changed = false
    while i < scalars.count {
        if scalars[i] == first, i + pattern.count <= scalars.count, scalars[i..<(i + pattern.count)].elementsEqual(pattern) {
            view.append(contentsOf: content)
            i += pattern.count
            changed = true
        } else {
            view.append(scalars[i])
            i += 1
        }
    }
    return changed ? String(view) : text
}

/// True when `bytes` are well-formed UTF-8.
func isValidUTF8(_ bytes: [UInt8]) -> Bool {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue: continue
        case .emptyInput: return true
        case .error: return false
        }
    }
}
