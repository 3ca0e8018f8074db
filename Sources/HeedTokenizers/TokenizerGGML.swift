// A tokenizer from a GGUF file's tokenizer metadata (GGMLTokenizerMetadata), built as transformers
// builds it when it loads a GGUF (integrations/gguf/gguf_tokenizer_mapping.py: `byte_level_tokenizer`,
// `add_gguf_special_tokens`, `set_split_regex`; GPT2Tokenizer; TokenizersBackend's
// `update_post_processor`), with llama.cpp's pre-tokenizer names (llama-vocab.cpp).

extension Tokenizer {
    /// A tokenizer from GGUF metadata. `tokenizer.ggml.model` "llama" (SentencePiece) is read as
    /// llama.cpp's SPM tokenizer (TokenizerGGMLSentencePiece.swift): BPE by `scores` over UTF-8
    /// characters, ' ' as U+2581, a ' ' before the text and after each special token typed in it
    /// when `add_space_prefix` (default true), `<0xNN>` byte fallback when the vocabulary has the
    /// 256 byte tokens (type 6), control (3), unknown (2) and user-defined (4) tokens matched whole
    /// in the text first, BOS before the text when `add_bos_token` (default true), EOS after it
    /// when `add_eos_token`; bos/eos/unknown ids default to 1/2/0 as in llama.cpp; offsets are
    /// UTF-8 spans of the pieces (sentencepiece's); display reads U+2581 as a space and `<0xNN>`
    /// as its byte (Llama 2's tokenizer.json decoder).
    ///
    /// "gpt2" is a byte-level BPE tokenizer:
    /// - vocabulary: token i has id i; a token not spelled in GPT-2's byte alphabet (e.g. one with
    ///   a plain space) is respelled as the byte-chars of its UTF-8 bytes, and of two equal
    ///   spellings the later id wins (transformers' dict);
    /// - merges: `tokenizer.ggml.merges`, each "left right";
    /// - BPE without unknown token or byte fallback: a byte missing from the vocabulary is dropped;
    /// - pre-tokenizer by `tokenizer.ggml.pre`: "gpt-2", "default" or none -> ByteLevel (GPT-2
    ///   regex, no prefix space); "smollm" -> Digits(individual) + ByteLevel, as SmolLM2's own
    ///   tokenizer.json and llama.cpp have it; "llama-bpe", "llama3", "llama-v3" -> Split(Llama 3
    ///   regex) + ByteLevel(no regex); "qwen2" -> Split(Qwen2 regex) + ByteLevel(no regex);
    /// - added tokens, matched in the raw text before pre-tokenization with their source spans:
    ///   control tokens (type 3) and the tokens named by `bos/eos/unknown/padding_token_id` as
    ///   special tokens, user-defined tokens (type 4) as plain ones; only those spelled in the byte
    ///   alphabet (a token outside it is not one transformers could match by its id);
    /// - the BOS token before the text when `add_bos_token` is true, the EOS token after it when
    ///   `add_eos_token` is; no offset trimming; the ByteLevel decoder.
    ///
    /// - Throws: `TokenizerError` naming the field: `.unsupportedComponent` for another
    ///   `tokenizer.ggml.model` ("bert", "t5", ...) or an unknown `tokenizer.ggml.pre` ("gpt2");
    ///   for "llama", `.invalidConfiguration` as `GGMLSentencePieceTokenizer.init` lists (a type
    ///   outside 1...6, an empty or repeated token, no unknown token, byte tokens not all 256, BOS
    ///   or EOS asked for but absent, and the checks below);
    ///   `.invalidConfiguration` for an inconsistent vocabulary (no tokens, `token_type` or
    ///   `scores` of another length, a special token id out of range, no merges, a merge that is
    ///   not two tokens or names a token not in the vocabulary).
    public convenience init(ggml metadata: GGMLTokenizerMetadata) throws {
        func named<T>(_ build: () throws -> T) throws -> T {
            do {
                return try build()
            } catch var error as TokenizerError {
                error.source = "GGUF tokenizer metadata"
                throw error
            }
        }
        if metadata.model == "llama" {
            let spm = try named { try GGMLSentencePieceTokenizer(metadata) }
            let decoder = try named { try spm.decoder() }
            self.init(normalizer: nil, preTokenizer: nil, model: GGMLVocabularyModel(tokens: metadata.tokens), postProcessor: nil,
                      decoder: decoder, addedTokens: spm.addedTokens,
                      specialTokenIDs: Set([spm.bosID, spm.eosID].compactMap { $0 }),
                      externalEncode: { text, add in spm.encode(text, addSpecialTokens: add) })
            return
        }
        let parts = try named { try GGMLTokenizerParts(metadata) }
        self.init(normalizer: nil, preTokenizer: parts.preTokenizer, model: parts.model, postProcessor: parts.postProcessor,
                  decoder: ByteLevelDecoder(), addedTokens: parts.addedTokens)
    }
}

/// The stages `Tokenizer(ggml:)` builds.
private struct GGMLTokenizerParts {
    var preTokenizer: any PreTokenizer
    var model: BPEModel
    var postProcessor: any PostProcessor
    var addedTokens: [AddedToken]

    init(_ metadata: GGMLTokenizerMetadata) throws {
        guard metadata.model == "gpt2" else {
            throw TokenizerError(
                kind: .unsupportedComponent,
                message: "unsupported tokenizer.ggml.model \"\(metadata.model)\" (Heed reads \"gpt2\", byte-level BPE, and \"llama\", SentencePiece, from GGUF metadata)",
                component: "tokenizer.ggml.model", componentType: metadata.model)
        }
        let tokens = metadata.tokens
        try checkGGMLArrays(metadata)
        preTokenizer = try ggmlPreTokenizer(metadata.pre)

        // Vocabulary: respelled tokens; the last id of a spelling wins. Keyed by UTF-8 bytes, so
        // spellings compare scalar by scalar (String equality would merge canonical equivalents).
        var idByBytes: [[UInt8]: Int] = [:]
        idByBytes.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            let spelling = isByteLevelSpelled(token) ? token : ByteLevelAlphabet.spell(token.utf8)
            idByBytes[Array(spelling.utf8)] = id
        }
        let vocabulary = idByBytes.map { (token: String(decoding: $0.key, as: UTF8.self), id: $0.value) }

        // transformers would derive merges from `scores`; a byte-level GGUF always has them.
        guard let mergeLines = metadata.merges else {
            throw TokenizerError.invalid("tokenizer.ggml.merges is missing (a byte-level BPE vocabulary needs its merges)")
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeLines.count)
        for (index, line) in mergeLines.enumerated() {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError.invalid("tokenizer.ggml.merges[\(index)] \"\(line)\" is not two tokens separated by one space")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        let model = try BPEModel(
            vocabulary: vocabulary, merges: merges, mergesPath: "tokenizer.ggml.merges", unknownToken: nil,
            continuingSubwordPrefix: "", endOfWordSuffix: "", fuseUnknown: false, byteFallback: false,
            ignoreMerges: false, path: "tokenizer.ggml")

        // Added tokens: control and the named special tokens (special), then user-defined ones.
        var added: [AddedToken] = []
        var seen = Set<[UInt8]>()
        func add(_ token: String, special: Bool) {
            guard isByteLevelSpelled(token), seen.insert(Array(token.utf8)).inserted else { return }
            var addedToken = AddedToken(content: token, special: special)
            addedToken.normalized = false
            added.append(addedToken)
        }
        let types = metadata.tokenTypes ?? []
        for (id, type) in types.enumerated() where type == 3 { add(tokens[id], special: true) }
        for id in [metadata.bosTokenID, metadata.eosTokenID, metadata.unknownTokenID, metadata.paddingTokenID] {
            if let id { add(tokens[id], special: true) }
        }
        for (id, type) in types.enumerated() where type == 4 && idByBytes[Array(tokens[id].utf8)] != nil {
            add(tokens[id], special: false)
        }

        func special(_ id: Int?, when flag: Bool?) -> [SpecialTokenSpec] {
            guard flag == true, let id, let token = model.token(forID: id) else { return [] }
            return [SpecialTokenSpec(id: id, text: token, typeID: 0)]
        }
        postProcessor = SpecialTokensAround(
            before: special(metadata.bosTokenID, when: metadata.addBOSToken),
            after: special(metadata.eosTokenID, when: metadata.addEOSToken))
        self.model = model
        addedTokens = added
    }
}

/// True when every scalar of `token` is one of GPT-2's byte-chars.
private func isByteLevelSpelled(_ token: String) -> Bool {
    token.unicodeScalars.allSatisfy { ByteLevelAlphabet.byte(for: $0) != nil }
}

/// The pre-tokenizer of a `tokenizer.ggml.pre` name.
private func ggmlPreTokenizer(_ name: String?) throws -> any PreTokenizer {
    let byteLevel = ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true)
    func split(_ pattern: KnownSplitPattern) -> any PreTokenizer {
        SequencePreTokenizer(stages: [
            SplitPreTokenizer(pattern: .regex(pattern), behavior: .isolated, invert: false),
            ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false),
        ])
    }
    switch name {
    case nil, "default", "gpt-2":
        return byteLevel
    case "smollm":
        return SequencePreTokenizer(stages: [DigitsPreTokenizer(individualDigits: true), byteLevel])
    case "llama-bpe", "llama3", "llama-v3":
        return split(.llama3)
    case "qwen2":
        return split(.qwen2)
    case let other?:
        throw TokenizerError(
            kind: .unsupportedComponent,
            message: "unsupported tokenizer.ggml.pre \"\(other)\" (Heed knows \"gpt-2\", \"default\", \"smollm\", \"llama-bpe\", \"llama3\", \"qwen2\")",
            component: "tokenizer.ggml.pre", componentType: other)
    }
}

/// Special tokens before and after the text, type id 0 (transformers' `update_post_processor`
/// template `bos:0 $A:0 eos:0`).
struct SpecialTokensAround: PostProcessor {
    var before: [SpecialTokenSpec]
    var after: [SpecialTokenSpec]

    var specialTokenIDs: [Int] { (before + after).map(\.id) }

    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool, offsets: OffsetConverter?) -> [EncodedToken] {
        guard addSpecialTokens else { return tokens }
        return before.map(\.encoded) + tokens + after.map(\.encoded)
    }
}
