// The model stage (tokenizers/src/models): turns one pre-tokenized word into tokens.

/// A tokenization model: WordPiece, BPE.
protocol TokenizerModel {
    /// Tokens of one split's normalized text; ranges are scalar offsets within `scalars`.
    func tokenize(_ scalars: [Unicode.Scalar]) -> [ModelToken]
    /// Byte-exact vocabulary lookup.
    func id(forToken token: String) -> Int?
    func token(forID id: Int) -> String?
    /// Number of distinct vocabulary entries (Rust `get_vocab_size`).
    var vocabularySize: Int { get }
}

/// Reads the `model` block of tokenizer.json.
func makeModel(_ json: JSONValue, path: String) throws -> any TokenizerModel {
    let fields = try JSONFields(json, path: path)
    guard let type = try fields.optionalString("type") else {
        throw TokenizerError.invalid("\(path) has no \"type\"")
    }
    switch type {
    case "WordPiece":
        return try WordPieceModel(fields)
    case "BPE":
        return try BPEModel(fields)
    case "Unigram":
        return try UnigramModel(fields)
    default:
        throw TokenizerError.unsupported("model", type: type)
    }
}

/// Reads a `vocab` object of token -> id.
func readVocabulary(_ fields: JSONFields) throws -> [(token: String, id: Int)] {
    try fields.object("vocab").map { member in
        let id = try JSONFields.integer(member.value, path: "\(fields.path).vocab[\"\(member.key)\"]")
        guard id <= Int(Int32.max) else {
            throw TokenizerError.invalid("\(fields.path).vocab[\"\(member.key)\"] id \(id) is too large")
        }
        return (member.key, id)
    }
}
