// Normalizers (tokenizers/src/normalizers/*.rs). Each edits a NormalizedText in place, keeping
// alignments to the original text.

/// A normalization stage of the pipeline.
protocol Normalizer {
    func normalize(_ text: inout NormalizedText)
}

/// Reads the `normalizer` block of tokenizer.json.
func makeNormalizer(_ json: JSONValue, path: String) throws -> any Normalizer {
    let fields = try JSONFields(json, path: path)
    let type = try fields.string("type")
    switch type {
    case "BertNormalizer":
        return BertNormalizer(
            cleanText: try fields.bool("clean_text", default: true),
            handleChineseChars: try fields.bool("handle_chinese_chars", default: true),
            stripAccents: try fields.optionalBool("strip_accents"),
            lowercase: try fields.bool("lowercase", default: true))
    case "Sequence":
        let stages = try fields.array("normalizers").enumerated().map {
            try makeNormalizer($0.element, path: "\(path).normalizers[\($0.offset)]")
        }
        return SequenceNormalizer(stages: stages)
    case "Lowercase":
        return LowercaseNormalizer()
    case "NFD":
        return UnicodeNormalization(form: .nfd)
    case "NFKD":
        return UnicodeNormalization(form: .nfkd)
    case "NFC":
        return UnicodeNormalization(form: .nfc)
    case "NFKC":
        return UnicodeNormalization(form: .nfkc)
    case "StripAccents":
        return StripAccentsNormalizer()
    case "Strip":
        return StripNormalizer(
            left: try fields.bool("strip_left", default: true),
            right: try fields.bool("strip_right", default: true))
    case "Replace":
        let patternFields = try JSONFields(fields.raw("pattern") ?? .null, path: "\(path).pattern")
        guard let pattern = try patternFields.optionalString("String") else {
            if let regex = try patternFields.optionalString("Regex") {
                guard let repeated = RepeatedScalarPattern(regex: regex) else {
                    throw TokenizerError.unsupported("normalizer", type: "Replace (Regex pattern)")
                }
                return RegexReplaceNormalizer(pattern: repeated, content: Array(try fields.string("content").unicodeScalars))
            }
            throw TokenizerError.invalid("\(path).pattern must have a \"String\" or \"Regex\" member")
        }
        return ReplaceNormalizer(
            pattern: Array(pattern.unicodeScalars),
            content: Array(try fields.string("content").unicodeScalars))
    case "Precompiled":
        return PrecompiledNormalizer(charsmap: try PrecompiledCharsmap(
            base64: try fields.string("precompiled_charsmap"), path: "\(path).precompiled_charsmap"))
    case "Prepend":
        return PrependNormalizer(prefix: Array(try fields.string("prepend").unicodeScalars))
    default:
        throw TokenizerError.unsupported("normalizer", type: type)
    }
}

/// BERT's normalizer: clean control characters and whitespace, pad CJK ideographs with spaces,
/// strip accents (by default exactly when lowercasing), lowercase.
struct BertNormalizer: Normalizer {
    var cleanText: Bool
    var handleChineseChars: Bool
    /// nil: follow `lowercase`.
    var stripAccents: Bool?
    var lowercase: Bool

    func normalize(_ text: inout NormalizedText) {
        let properties = UnicodeProperties.shared
        if cleanText {
            text.filter { !properties.has($0, .cleanTextRemoved) }
            if text.scalars.contains(where: { properties.has($0, .cleanTextSpace) }) {
                text.map { properties.has($0, .cleanTextSpace) ? " " : $0 }
            }
        }
        if handleChineseChars, text.scalars.contains(where: UnicodeProperties.isChineseCharacter) {
            text.expand { scalar, edits in
                if UnicodeProperties.isChineseCharacter(scalar) {
                    edits.append(Edit(scalar: " ", change: 0))
                    edits.append(Edit(scalar: scalar, change: 1))
                    edits.append(Edit(scalar: " ", change: 1))
                } else {
                    edits.append(Edit(scalar: scalar, change: 0))
                }
            }
        }
        if stripAccents ?? lowercase {
            text.decompose(compatibility: false)
            text.filter { !properties.has($0, .nonspacingMark) }
        }
        if lowercase {
            text.lowercase()
        }
    }
}

/// Runs its stages in order.
struct SequenceNormalizer: Normalizer {
    var stages: [any Normalizer]

    func normalize(_ text: inout NormalizedText) {
        for stage in stages { stage.normalize(&text) }
    }
}

/// Rust `char::to_lowercase` on every character.
struct LowercaseNormalizer: Normalizer {
    func normalize(_ text: inout NormalizedText) { text.lowercase() }
}

/// One of the four Unicode normalization forms.
struct UnicodeNormalization: Normalizer {
    enum Form { case nfd, nfkd, nfc, nfkc }
    var form: Form

    func normalize(_ text: inout NormalizedText) {
        switch form {
        case .nfd: text.decompose(compatibility: false)
        case .nfkd: text.decompose(compatibility: true)
        case .nfc: text.compose(compatibility: false)
        case .nfkc: text.compose(compatibility: true)
        }
    }
}

/// Removes combining marks (Mn, Mc, Me) without decomposing first.
struct StripAccentsNormalizer: Normalizer {
    func normalize(_ text: inout NormalizedText) {
        let properties = UnicodeProperties.shared
        text.filter { !properties.has($0, .combiningMark) }
    }
}

/// Removes leading and/or trailing whitespace.
struct StripNormalizer: Normalizer {
    var left: Bool
    var right: Bool

    func normalize(_ text: inout NormalizedText) {
        // Rust calls strip() for both sides at once, else lstrip then rstrip.
        if left && right {
            text.strip(left: true, right: true)
        } else {
            if left { text.strip(left: true, right: false) }
            if right { text.strip(left: false, right: true) }
        }
    }
}

/// Replaces a literal string.
struct ReplaceNormalizer: Normalizer {
    var pattern: [Unicode.Scalar]
    var content: [Unicode.Scalar]

    func normalize(_ text: inout NormalizedText) { text.replace(pattern, with: content) }
}
