// WordPiece (tokenizers/src/models/wordpiece/mod.rs): greedy longest-match-first over each word.

/// BERT's WordPiece model.
final class WordPieceModel: TokenizerModel {
    /// All vocabulary entries; continuation pieces are found by walking `prefixNode` first.
    private let vocabulary: ScalarTrie
    private let tokensByID: [Int: String]
    /// The node reached by the continuing-subword prefix (nil: no entry starts with it).
    private let prefixNode: Int32?
    let unknownToken: String
    let unknownID: Int
    let continuingSubwordPrefix: String
    /// Words longer than this (in scalars) become one unknown token.
    let maxInputCharsPerWord: Int

    init(_ fields: JSONFields) throws {
        unknownToken = try fields.optionalString("unk_token") ?? "[UNK]"
        continuingSubwordPrefix = try fields.optionalString("continuing_subword_prefix") ?? "##"
        maxInputCharsPerWord = try fields.int("max_input_chars_per_word", default: 100)
        var trie = ScalarTrie()
        var tokensByID: [Int: String] = [:]
        for (token, id) in try readVocabulary(fields) {
            trie.insert(token.unicodeScalars, value: id)
            tokensByID[id] = token
        }
        vocabulary = trie
        self.tokensByID = tokensByID
        guard let unknownID = trie.value(for: unknownToken.unicodeScalars) else {
            throw TokenizerError.invalid("\(fields.path).unk_token \"\(unknownToken)\" is not in the vocabulary")
        }
        self.unknownID = unknownID
        prefixNode = trie.walk(continuingSubwordPrefix.unicodeScalars)
    }

    var vocabularySize: Int { vocabulary.keyCount }

    func id(forToken token: String) -> Int? { vocabulary.value(for: token.unicodeScalars) }

    func token(forID id: Int) -> String? { tokensByID[id] }

    func tokenize(_ scalars: [Unicode.Scalar]) -> [ModelToken] {
        let whole = [ModelToken(id: unknownID, value: unknownToken, range: 0..<scalars.count)]
        if scalars.count > maxInputCharsPerWord { return whole }
        var tokens: [ModelToken] = []
        var start = 0
        while start < scalars.count {
            let node: Int32
            if start == 0 {
                node = ScalarTrie.root
            } else if let prefixNode {
                node = prefixNode
            } else {
                return whole
            }
            guard let match = vocabulary.longestMatch(scalars, from: start, to: scalars.count, node: node) else {
                return whole
            }
            let end = start + match.length
            tokens.append(ModelToken(id: match.value, value: tokensByID[match.value] ?? "", range: start..<end))
            start = end
        }
        return tokens
    }
}
