// GGUF -> GGMLTokenizerMetadata: reads llama.cpp's `tokenizer.ggml.*` keys (gguf-py
// constants.py `Keys.Tokenizer`; read as llama.cpp llama-vocab.cpp `llama_vocab::impl::load` and
// transformers integrations/ggml.py read them) from a GGUF file into plain values for
// HeedTokenizers, checking that the arrays agree with each other.

import Foundation
import HeedCheckpoints
import HeedTokenizers

extension GGMLTokenizerMetadata {
    /// The tokenizer keys of `file`:
    /// `tokenizer.ggml.model` (string, required), `.pre` (string), `.tokens` (array of string,
    /// required, not empty), `.token_type` (array of int32), `.scores` (array of float32),
    /// `.merges` (array of string), `.bos_token_id`, `.eos_token_id`, `.unknown_token_id`,
    /// `.padding_token_id` (integers), `.add_bos_token`, `.add_eos_token`, `.add_space_prefix` (bools).
    ///
    /// Throws `GGUFError`: .missingKey for an absent model or tokens key, .wrongValueType for a
    /// key of another type, .inconsistentMetadata when the vocabulary is empty, when token_type or
    /// scores do not have one entry per token, or when a special-token id lies outside
    /// 0..<tokens.count; the reader's errors (.invalidUTF8, ...) pass through.
    public init(gguf file: GGUFFile) throws {
        let path = file.url.path
        func inconsistent(_ problem: String) -> GGUFError {
            GGUFError(file: path, rule: .inconsistentMetadata, problem: problem)
        }
        guard let model = try file.string("tokenizer.ggml.model") else {
            throw GGUFError(file: path, rule: .missingKey, problem: "metadata key 'tokenizer.ggml.model' is absent: the file describes no tokenizer")
        }
        guard let tokens = try file.stringArray("tokenizer.ggml.tokens") else {
            throw GGUFError(file: path, rule: .missingKey, problem: "metadata key 'tokenizer.ggml.tokens' is absent: the tokenizer has no vocabulary")
        }
        guard !tokens.isEmpty else {
            throw inconsistent("metadata key 'tokenizer.ggml.tokens' is an empty array: the tokenizer has no vocabulary")
        }
        let tokenTypes = try file.int32Array("tokenizer.ggml.token_type")
        if let tokenTypes, tokenTypes.count != tokens.count {
            throw inconsistent("metadata key 'tokenizer.ggml.token_type' has \(tokenTypes.count) entries but 'tokenizer.ggml.tokens' has \(tokens.count); there must be one type per token")
        }
        let scores = try file.floatArray("tokenizer.ggml.scores")
        if let scores, scores.count != tokens.count {
            throw inconsistent("metadata key 'tokenizer.ggml.scores' has \(scores.count) entries but 'tokenizer.ggml.tokens' has \(tokens.count); there must be one score per token")
        }
        func tokenID(_ name: String) throws -> Int? {
            let key = "tokenizer.ggml.\(name)"
            guard let id = try file.int(key) else { return nil }
            guard (0..<tokens.count).contains(id) else {
                throw inconsistent("metadata key '\(key)' is \(id), outside the vocabulary of \(tokens.count) tokens (ids 0...\(tokens.count - 1))")
            }
            return id
        }
        self.init(model: model,
                  pre: try file.string("tokenizer.ggml.pre"),
                  tokens: tokens,
                  tokenTypes: tokenTypes,
                  scores: scores,
                  merges: try file.stringArray("tokenizer.ggml.merges"),
                  bosTokenID: try tokenID("bos_token_id"),
                  eosTokenID: try tokenID("eos_token_id"),
                  unknownTokenID: try tokenID("unknown_token_id"),
                  paddingTokenID: try tokenID("padding_token_id"),
                  addBOSToken: try file.bool("tokenizer.ggml.add_bos_token"),
                  addEOSToken: try file.bool("tokenizer.ggml.add_eos_token"),
                  addSpacePrefix: try file.bool("tokenizer.ggml.add_space_prefix"))
    }

    /// Opens the GGUF file at `url` and reads its tokenizer keys (see `init(gguf:)`).
    public init(ggufAt url: URL) throws {
        try self.init(gguf: GGUFFile(url: url))
    }
}
