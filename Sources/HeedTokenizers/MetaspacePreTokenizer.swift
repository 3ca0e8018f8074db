// The Metaspace pre-tokenizer (tokenizers/src/pre_tokenizers/metaspace.rs): SentencePiece's
// spaces. In each piece every " " becomes the replacement character ("▁"), the replacement is
// put in front as `prepend_scheme` says, and the piece is cut before each replacement character
// (`split`, behaviour MergedWithNext).

/// Replaces spaces by a visible character, prepends it, splits before it.
struct MetaspacePreTokenizer: PreTokenizer {
    /// Rust `PrependScheme`.
    enum PrependScheme: String {
        /// Every piece that does not start with the replacement gets one.
        case always
        /// Only a piece that starts the original text (original offset 0).
        case first
        case never
    }

    var replacement: Unicode.Scalar
    var prependScheme: PrependScheme
    var split: Bool

    /// Reads the block as Rust's deserializer does: `replacement` (one character) is required;
    /// `prepend_scheme` defaults to "always", `split` to true; the legacy `add_prefix_space`
    /// may only be false together with `prepend_scheme: "never"` (Rust rejects it otherwise, even
    /// when `prepend_scheme` is absent), and true is ignored. Throws
    /// `TokenizerError.invalidConfiguration` naming the field.
    init(_ fields: JSONFields) throws {
        let path = fields.path
        let text = try fields.string("replacement")
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 1 else {
            throw TokenizerError.invalid("\(path).replacement must be one character, found \"\(text)\"")
        }
        replacement = scalars[0]
        if let name = try fields.optionalString("prepend_scheme") {
            guard let scheme = PrependScheme(rawValue: name) else {
                throw TokenizerError.invalid("\(path).prepend_scheme \"\(name)\" is not \"always\", \"first\" or \"never\"")
            }
            prependScheme = scheme
        } else {
            prependScheme = .always
        }
        if try fields.optionalBool("add_prefix_space") == false {
            guard prependScheme == .never else {
                throw TokenizerError.invalid("\(path).add_prefix_space is false but prepend_scheme is \"\(prependScheme.rawValue)\"")
            }
        }
        split = try fields.bool("split", default: true)
    }

    func preTokenize(_ text: inout PreTokenizedText) {
        let replacement = self.replacement
        text.splitPieces { piece in
            var piece = piece
            piece.replace([" "], with: [replacement])
            switch prependScheme {
            case .always:
                if piece.scalars.first != replacement { piece.prepend([replacement]) }
            case .first:
                if piece.scalars.first != replacement && piece.originalStart == 0 { piece.prepend([replacement]) }
            case .never:
                break
            }
            return split ? piece.split(where: { $0 == replacement }, behavior: .mergedWithNext) : [piece]
        }
    }
}
