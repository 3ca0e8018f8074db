// The tokenizer that a GGUF file describes in its metadata (llama.cpp's `tokenizer.ggml.*` keys,
// gguf-py/gguf/constants.py `Keys.Tokenizer`). The checkpoint module reads these values from the
// file; this module builds a Tokenizer from them, so it never sees the container format.

/// A GGUF file's tokenizer metadata, as plain values.
///
/// Follows llama.cpp `llama-vocab.cpp` (`llama_vocab::impl::load`) and transformers'
/// `integrations/ggml.py` (`GGUFTokenizerSkeleton`, `GGUFGPTConverter`).
public struct GGMLTokenizerMetadata: Equatable, Sendable {
    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE), "llama" (SentencePiece), ...
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer name ("smollm", "llama-bpe", "qwen2", "gpt-2", ...);
    /// nil when the file has none.
    public var pre: String?
    /// `tokenizer.ggml.tokens`: the vocabulary; a token's id is its index.
    public var tokens: [String]
    /// `tokenizer.ggml.token_type` (one per token): 1 normal, 2 unknown, 3 control,
    /// 4 user defined, 5 unused, 6 byte; nil when absent.
    public var tokenTypes: [Int32]?
    /// `tokenizer.ggml.scores` (one per token); nil when absent.
    public var scores: [Float]?
    /// `tokenizer.ggml.merges`, each "left right" in vocabulary strings; nil when absent.
    public var merges: [String]?
    /// `tokenizer.ggml.bos_token_id` etc.; nil when absent.
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    public var unknownTokenID: Int?
    public var paddingTokenID: Int?
    /// `tokenizer.ggml.add_bos_token` / `add_eos_token`; nil when absent.
    public var addBOSToken: Bool?
    public var addEOSToken: Bool?
    /// `tokenizer.ggml.add_space_prefix` (SentencePiece "llama" vocabularies: put a space before
    /// the text, sentencepiece's `add_dummy_prefix`); nil when absent (llama.cpp then uses true).
    public var addSpacePrefix: Bool?

    public init(model: String, pre: String? = nil, tokens: [String], tokenTypes: [Int32]? = nil,
                scores: [Float]? = nil, merges: [String]? = nil, bosTokenID: Int? = nil,
                eosTokenID: Int? = nil, unknownTokenID: Int? = nil, paddingTokenID: Int? = nil,
                addBOSToken: Bool? = nil, addEOSToken: Bool? = nil, addSpacePrefix: Bool? = nil) {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.scores = scores
        self.merges = merges
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.unknownTokenID = unknownTokenID
        self.paddingTokenID = paddingTokenID
        self.addBOSToken = addBOSToken
        self.addEOSToken = addEOSToken
        self.addSpacePrefix = addSpacePrefix
    }
}
