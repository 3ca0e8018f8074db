// Tokenizer: reads a Hugging Face tokenizer.json and encodes text as the Rust `tokenizers`
// library (0.23.3) does through transformers' fast tokenizers: same ids, tokens, word ids and
// offsets (tokenizers/src/tokenizer/mod.rs, `encode_char_offsets` for one sequence).
//
// Pipeline: added tokens in the raw text -> normalizer (per remaining piece) -> added tokens in
// the normalized text -> pre-tokenizer -> model (per word) -> post-processor. The `decoder` block
// serves `decode` and `display(forID:)` (TokenizerDecoding.swift). The `truncation` and
// `padding` blocks are ignored: Heed never truncates.

import Foundation

/// A tokenizer loaded from tokenizer.json. Immutable after loading; safe to share across threads.
public final class Tokenizer: @unchecked Sendable {
    let normalizer: (any Normalizer)?
    let preTokenizer: (any PreTokenizer)?
    let model: any TokenizerModel
    let postProcessor: (any PostProcessor)?
    let decoder: (any TokenDecoder)?
    let addedVocabulary: AddedVocabulary
    /// Contents of special added tokens (Rust `special_tokens_set`, for `decode`).
    let specialAddedContents: Set<[UInt8]>
    /// `display(forID:)` per id, computed once (every token table asks for every token's).
    let displayMemo = DisplayMemo()
    /// A tokenizer whose encoding is not the tokenizer.json pipeline (one side of a Marian
    /// tokenizer, MarianSideTokenizer.swift): `encode` calls it instead.
    let externalEncode: ((String, Bool) -> Encoding)?

    /// Reads a tokenizer.json file.
    public convenience init(url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError(kind: .unreadableFile, message: "cannot read \(url.path): \(error.localizedDescription)")
        }
        try self.init(json: data)
    }

    /// Reads tokenizer.json contents.
    public convenience init(json: Data) throws {
        let root = try JSONValue.parse([UInt8](json))
        let fields = try JSONFields(root, path: "tokenizer")
        if let version = try fields.optionalString("version"), version != "1.0" {
            throw TokenizerError.invalid("unknown tokenizer version \"\(version)\"")
        }
        guard fields.has("model") else { throw TokenizerError.invalid("tokenizer has no \"model\"") }
        let model = try makeModel(fields.raw("model")!, path: "model")
        let normalizer = try fields.raw("normalizer").flatMap {
            $0.isNull ? nil : try makeNormalizer($0, path: "normalizer")
        }
        let preTokenizer = try fields.raw("pre_tokenizer").flatMap {
            $0.isNull ? nil : try makePreTokenizer($0, path: "pre_tokenizer")
        }
        let postProcessor = try fields.raw("post_processor").flatMap {
            $0.isNull ? nil : try makePostProcessor($0, path: "post_processor")
        }
        let decoder = try fields.raw("decoder").flatMap {
            $0.isNull ? nil : try makeDecoder($0, path: "decoder")
        }
        var addedTokens: [AddedToken] = []
        if fields.has("added_tokens") {
            addedTokens = try fields.array("added_tokens").enumerated().map {
                try AddedToken($0.element, path: "added_tokens[\($0.offset)]")
            }
        }
        self.init(normalizer: normalizer, preTokenizer: preTokenizer, model: model, postProcessor: postProcessor,
                  decoder: decoder, addedTokens: addedTokens)
    }

    /// A tokenizer from its stages (tokenizer.json or GGUF metadata).
    init(normalizer: (any Normalizer)?, preTokenizer: (any PreTokenizer)?, model: any TokenizerModel,
         postProcessor: (any PostProcessor)?, decoder: (any TokenDecoder)?, addedTokens: [AddedToken],
         specialTokenIDs extraSpecialIDs: Set<Int> = [], externalEncode: ((String, Bool) -> Encoding)? = nil) {
        self.externalEncode = externalEncode
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        addedVocabulary = AddedVocabulary(tokens: addedTokens, model: model, normalizer: normalizer)
        specialAddedContents = Set(addedTokens.filter(\.special).map { Array($0.content.utf8) })
        specialIDs = Set(addedVocabulary.specialIDs).union(postProcessor?.specialTokenIDs ?? []).union(extraSpecialIDs)
        cutScalars = externalEncode != nil ? nil : WindowCuts.cutScalars(normalizer: normalizer, preTokenizer: preTokenizer,
                                           model: model, addedTokens: addedTokens)
        let addedVocabulary = self.addedVocabulary
        vocabSize = model.vocabularySize + addedVocabulary.idByContent.keys.filter {
            model.id(forToken: String(decoding: $0, as: UTF8.self)) == nil
        }.count
    }

    /// Encodes one text. With `addSpecialTokens` the post-processor adds the model's special
    /// tokens (e.g. `[CLS] … [SEP]`). Never truncates; never fails.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> Encoding {
        if let externalEncode { return externalEncode(text, addSpecialTokens) }
        let scalars = Array(text.unicodeScalars)
        var pieces = PreTokenizedText(splits: [Split(text: NormalizedText(original: scalars, originalStart: 0), tokens: nil)])

        // 1. Added tokens matched in the raw text; 2. normalize the rest, then match the
        // normalized added tokens in it.
        pieces.split { addedVocabulary.split($0, normalizedPass: false) }
        pieces.split { piece in
            var piece = piece
            normalizer?.normalize(&piece)
            return addedVocabulary.split(piece, normalizedPass: true)
        }
        preTokenizer?.preTokenize(&pieces)

        let converter = OffsetConverter(scalars)
        var tokens: [EncodedToken] = []
        tokens.reserveCapacity(scalars.count / 3 + 4)
        for (word, split) in pieces.splits.enumerated() {
            let modelTokens = split.tokens ?? model.tokenize(split.text.scalars)
            for token in modelTokens {
                let span: TextSpan
                if let original = split.text.originalRange(of: token.range) {
                    span = converter.span(original.start, original.end)
                } else {
                    // Rust keeps an empty range as is, relative to the split's start.
                    let start = split.text.originalStart + token.range.lowerBound
                    span = converter.span(start, start)
                }
                tokens.append(EncodedToken(
                    id: token.id, text: token.value, special: token.special, word: word, span: span, typeID: 0))
            }
        }
        if let postProcessor {
            tokens = postProcessor.process(tokens, addSpecialTokens: addSpecialTokens, offsets: converter)
        }
        return Encoding(tokens: tokens)
    }

    /// The id of a token string (added tokens first, then the model's vocabulary); the string
    /// must match exactly, scalar for scalar.
    public func id(forToken token: String) -> Int? {
        addedVocabulary.id(forToken: token) ?? model.id(forToken: token)
    }

    /// The token string of an id (added tokens first, then the model's vocabulary).
    public func token(forID id: Int) -> String? {
        addedVocabulary.token(forID: id) ?? model.token(forID: id)
    }

    /// The scalars (a subset of space and line feed) before which any text can be cut so that
    /// encoding the two sides separately gives exactly the tokens of the whole (see
    /// `WindowCuts`); nil when this tokenizer's pipeline is not one Heed has shown to allow it.
    public let cutScalars: Set<Unicode.Scalar>?

    /// Number of distinct tokens: the model's vocabulary plus added tokens not in it
    /// (Rust `get_vocab_size(true)`, transformers' `len(tokenizer)`).
    public let vocabSize: Int

    /// Ids of special tokens: special added tokens and the post-processor's tokens.
    public var specialTokenIDs: Set<Int> { specialIDs }

    private let specialIDs: Set<Int>
}
