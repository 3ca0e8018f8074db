// Pre-tokenizers (tokenizers/src/pre_tokenizers/*.rs): they cut normalized text into words.

/// A pre-tokenization stage of the pipeline.
protocol PreTokenizer {
    func preTokenize(_ text: inout PreTokenizedText)
}

/// Reads the `pre_tokenizer` block of tokenizer.json.
func makePreTokenizer(_ json: JSONValue, path: String) throws -> any PreTokenizer {
    let fields = try JSONFields(json, path: path)
    let type = try fields.string("type")
    switch type {
    case "BertPreTokenizer":
        return BertPreTokenizer()
    case "Whitespace":
        return WhitespacePreTokenizer()
    case "WhitespaceSplit":
        return WhitespaceSplitPreTokenizer()
    case "Punctuation":
        let behavior = try fields.optionalString("behavior").map {
            try SplitBehavior.parse($0, path: "\(path).behavior")
        }
        return PunctuationPreTokenizer(behavior: behavior ?? .isolated)
    case "ByteLevel":
        return try ByteLevelPreTokenizer(fields)
    case "Split":
        return try SplitPreTokenizer(fields, path: path)
    case "Digits":
        return DigitsPreTokenizer(individualDigits: try fields.bool("individual_digits"))
    case "Sequence":
        let stages = try fields.array("pretokenizers").enumerated().map {
            try makePreTokenizer($0.element, path: "\(path).pretokenizers[\($0.offset)]")
        }
        return SequencePreTokenizer(stages: stages)
    case "Metaspace":
        return try MetaspacePreTokenizer(fields)
    default:
        throw TokenizerError.unsupported("pre_tokenizer", type: type)
    }
}

/// Splits on whitespace (dropped), then isolates every punctuation character.
struct BertPreTokenizer: PreTokenizer {
    func preTokenize(_ text: inout PreTokenizedText) {
        let properties = UnicodeProperties.shared
        text.splitPieces { $0.split(where: properties.isWhitespace, behavior: .removed) }
        text.splitPieces { $0.split(where: { properties.has($0, .punctuation) }, behavior: .isolated) }
    }
}

/// Splits on whitespace only (dropped).
struct WhitespaceSplitPreTokenizer: PreTokenizer {
    func preTokenize(_ text: inout PreTokenizedText) {
        let properties = UnicodeProperties.shared
        text.splitPieces { $0.split(where: properties.isWhitespace, behavior: .removed) }
    }
}

/// Rust's `\w+|[^\w\s]+`: runs of word characters and runs of other non-space characters.
struct WhitespacePreTokenizer: PreTokenizer {
    func preTokenize(_ text: inout PreTokenizedText) {
        let properties = UnicodeProperties.shared
        text.splitPieces { piece in
            // Class per scalar: 0 space, 1 word, 2 other; keep maximal runs of classes 1 and 2.
            func kind(_ scalar: Unicode.Scalar) -> Int {
                properties.isWord(scalar) ? 1 : (properties.isWhitespace(scalar) ? 0 : 2)
            }
            var pieces: [NormalizedText] = []
            let scalars = piece.scalars
            var i = 0
            while i < scalars.count {
                let k = kind(scalars[i])
                var j = i + 1
                while j < scalars.count && kind(scalars[j]) == k { j += 1 }
                if k != 0 { pieces.append(piece.slice(i..<j)) }
                i = j
            }
            return pieces
        }
    }
}

/// Splits on punctuation characters with a configurable behavior.
struct PunctuationPreTokenizer: PreTokenizer {
    var behavior: SplitBehavior

    func preTokenize(_ text: inout PreTokenizedText) {
        let properties = UnicodeProperties.shared
        text.splitPieces { $0.split(where: { properties.has($0, .punctuation) }, behavior: behavior) }
    }
}

/// Runs its stages in order.
struct SequencePreTokenizer: PreTokenizer {
    var stages: [any PreTokenizer]

    func preTokenize(_ text: inout PreTokenizedText) {
        for stage in stages { stage.preTokenize(&text) }
    }
}
