// A tokenizer whose vocabulary is larger than its checkpoint's word embeddings (a
// tokenizer.json from another revision, added tokens without resize_token_embeddings) loads
// and works for most texts; a text that produces one of the extra ids cannot be run. That is a
// fault of the model's files, not of the request, so it gets an error of its own, checked per
// request on the ids about to be run.

import HeedTokenizers

/// A token id the tokenizer produced that has no row in the checkpoint's word embeddings:
/// the checkpoint and its tokenizer disagree.
public struct TokenBeyondEmbeddings: Error, Equatable, CustomStringConvertible {
    /// The tokenizer's id for the token (>= `embeddingRows`).
    public let tokenID: Int
    /// The token's text ("##ing", "[NEW]"), when known.
    public let tokenText: String?
    /// Rows of the checkpoint's word-embedding matrix: the ids it can embed are 0..<embeddingRows.
    public let embeddingRows: Int

    /// The fault for the token `tokenID` (text `tokenText`, if known) and a matrix of `embeddingRows` rows.
    public init(tokenID: Int, tokenText: String?, embeddingRows: Int) {
        self.tokenID = tokenID
        self.tokenText = tokenText
        self.embeddingRows = embeddingRows
    }

    /// One sentence a person can act on: the token, its id, the rows, and what to do.
    public var description: String {
        let token = tokenText.map { "\"\($0)\" (id \(tokenID))" } ?? "id \(tokenID)"
        return "the model's checkpoint and tokenizer disagree: the tokenizer gives the token \(token), but the checkpoint's "
            + "word embeddings have \(embeddingRows) rows (ids 0 to \(embeddingRows - 1)). Texts without this token still work; "
            + "to fix the model, use the tokenizer.json that belongs to these weights"
    }
}

extension LoadedModel {
    /// Throws `TokenBeyondEmbeddings` for the first token of `encoding` whose id has no row in
    /// the network's word embeddings; returns normally when every id fits, and for a model
    /// Heed can tokenize but not run (it has no embeddings to check against).
    public func checkEmbeddable(_ encoding: Encoding) throws {
        guard let rows = (try? network)?.embeddingRows else { return }
        if let bad = encoding.tokens.first(where: { $0.id < 0 || $0.id >= rows }) {
            throw TokenBeyondEmbeddings(tokenID: bad.id, tokenText: bad.text, embeddingRows: rows)
        }
    }
}

extension BertEncoder {
    /// Rows of the word-embedding matrix (config.json's vocab_size, checked against the tensor).
    public var embeddingRows: Int { config.vocabSize }
}
