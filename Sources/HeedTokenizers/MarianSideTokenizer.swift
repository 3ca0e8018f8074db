// One side of a Marian tokenizer (MarianTokenizer.swift) as a `Tokenizer`, so that every layer
// that takes a model's `Tokenizer` (token tables, word granularity, the daemon's tokenize and
// analyze) serves an encoder-decoder model's source text, and its target text, unchanged. The
// encoding is MarianTokenizer's (SentencePiece, vocab.json, `</s>`); id and token lookups are
// vocab.json's; a token's display is its piece with `▁` read as a space, as SentencePiece's
// decoding shows it mid-text.

import Foundation

/// vocab.json as a `TokenizerModel` (lookups only: the side's encoding is MarianTokenizer's).
struct MarianVocabularyModel: TokenizerModel {
    let tokens: [Int: String]
    let ids: [String: Int]

    func tokenize(_ scalars: [Unicode.Scalar]) -> [ModelToken] { [] }
    func id(forToken token: String) -> Int? { ids[token] }
    func token(forID id: Int) -> String? { tokens[id] }
    var vocabularySize: Int { tokens.count }
}

extension Tokenizer {
    /// The `side` of `marian` (source: `tok(text)`; target: `tok(text_target=text)`) as a
    /// Tokenizer: `encode` gives MarianTokenizer's ids, spans (scalars, converted like every
    /// Encoding) and words, `</s>` appended with `addSpecialTokens`; `</s>`, `<unk>` and `<pad>`
    /// are its special ids; no cut scalars (a long text is encoded whole).
    public convenience init(marian: MarianTokenizer, side: MarianTokenizer.Side) {
        let tokens = marian.tokens(side: side)
        let ids = Dictionary(tokens.map { ($0.value, $0.key) }, uniquingKeysWith: min)
        let special = Set([marian.eosID, marian.unknownID] + (marian.padID.map { [$0] } ?? []))
        self.init(normalizer: nil, preTokenizer: nil, model: MarianVocabularyModel(tokens: tokens, ids: ids), postProcessor: nil,
                  decoder: MetaspaceDecoder(replacement: "\u{2581}", prependScheme: .always), addedTokens: [],
                  specialTokenIDs: special, externalEncode: { text, add in marian.encode(text, side: side, addSpecialTokens: add) })
    }
}
