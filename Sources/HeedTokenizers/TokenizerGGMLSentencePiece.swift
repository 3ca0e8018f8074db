// A SentencePiece tokenizer (`tokenizer.ggml.model` "llama": Llama 2, TinyLlama, Mistral 7B
// v0.1/v0.2, CodeLlama ... GGUF files) from a GGUF file's tokenizer metadata.
//
// Reference: llama.cpp's SPM tokenizer (src/llama-vocab.cpp: `llama_vocab::impl::load` for the
// defaults, `tokenizer_st_partition`, `llama_vocab::impl::tokenize` case LLAMA_VOCAB_TYPE_SPM,
// `llm_tokenizer_spm_session`), with `parse_special` true (as llama-cli and llama-server tokenize
// a prompt). Tests/Fixtures/sentencepiece/generate_gguf_spm_fixtures.py transcribes it for the
// expected ids, and check_gguf_spm_llama_cpp.py checks the transcription against llama.cpp itself
// (llama-cpp-python 0.3.36). It is run here by Heed's SentencePiece BPE (SentencePieceProcessor.swift, the
// `sentencepiece` 0.2.3 algorithm) on a model built in memory from the GGUF arrays, because the
// two algorithms are the same on such a vocabulary:
// - llama.cpp splits the text into UTF-8 characters and repeatedly merges the adjacent pair whose
//   concatenation is a token with the highest `tokenizer.ggml.scores` entry, ties to the left
//   (`llm_bigram_spm::comparator`); sentencepiece's BPE (`bpe_model.cc`) does the same;
// - a character no token spells becomes its UTF-8 bytes' `<0xNN>` tokens in both (byte fallback);
// - llama.cpp has no normalizer: ' ' -> U+2581 (`llama_escape_whitespace`), and one ' ' before
//   each text fragment that starts the text or follows a special token when
//   `tokenizer.ggml.add_space_prefix` (default true); here: the identity normalizer with
//   escape_whitespaces, no add_dummy_prefix, no remove_extra_whitespaces, and that ' ' prepended
//   the same way (its offset is the fragment's start, as sentencepiece gives its dummy prefix).
// Where the two could differ, Heed takes llama.cpp's side:
// - tokens of type 3 (control), 2 (unknown) and 4 (user defined) typed in the text are taken
//   whole before anything else, longest first, each over the whole text left to right
//   (`tokenizer_st_partition`); the fragment after one gets the space prefix again;
// - UNUSED tokens (type 5) are ordinary merge results in llama.cpp (sentencepiece splits them
//   back): they are built as NORMAL pieces.
// Differences left (none in Llama 2 / Mistral vocabularies as converted by llama.cpp):
// llama.cpp also merges into a token of type 2, 3, 4 or 6 when a pair spells it (Heed's BPE does
// not); llama.cpp sorts equally long special tokens in no set order; llama.cpp renames some tokens'
// types by their text (`<|eot_id|>` becomes control, "unused" tokens unused): Heed takes the
// types as written; a character without a token in a vocabulary without byte tokens aborts
// llama.cpp (`byte_to_token`'s `token_to_id.at` throws out_of_range, uncaught: checked with
// llama-cpp-python 0.3.36), and is the unknown token here.
// transformers 5.23.0's GGUF loader (integrations/gguf/gguf_tokenizer_mapping.py:
// `sentencepiece_tokenizer`) builds `LlamaTokenizer(vocab, merges)`: BPE with merges derived from
// the scores (`generate_merges`) and byte fallback, a Metaspace(prepend_scheme "first", split
// false) pre-tokenizer that ignores `add_space_prefix`, and the same decoder as here. It adds no
// U+2581 to a text that starts with a space or U+2581 (" a" and "a" give the same ids; llama.cpp
// gives "▁▁a" and "▁a") nor after a special token typed in the text: 224 of the 3,152 test texts
// (Tests/Fixtures/sentencepiece/gguf_spm_loader_differences.jsonl), every one of that kind.

import Foundation

/// `tokenizer.ggml.tokens` as a `TokenizerModel` (lookups only: the encoding is
/// `GGMLSentencePieceTokenizer`'s). Lookups compare UTF-8 bytes; of two equal tokens the later
/// id wins (llama.cpp's `token_to_id`).
struct GGMLVocabularyModel: TokenizerModel {
    let tokens: [String]
    let ids: [[UInt8]: Int]

    init(tokens: [String]) {
        self.tokens = tokens
        var ids: [[UInt8]: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() { ids[Array(token.utf8)] = id }
        self.ids = ids
    }

    func tokenize(_ scalars: [Unicode.Scalar]) -> [ModelToken] { [] }
    func id(forToken token: String) -> Int? { ids[Array(token.utf8)] }
    func token(forID id: Int) -> String? { tokens.indices.contains(id) ? tokens[id] : nil }
    var vocabularySize: Int { tokens.count }
}

/// llama.cpp's SPM tokenization of one GGUF vocabulary (see the file header). Immutable; safe to
/// share across threads.
final class GGMLSentencePieceTokenizer: @unchecked Sendable {
    let processor: SentencePieceProcessor
    let tokens: [String]
    /// `tokenizer.ggml.token_type`, 1 (normal) for every token when the key is absent.
    let types: [Int32]
    /// Control, unknown and user-defined tokens (llama.cpp's `cache_special_tokens`): UTF-8 and
    /// id, longest first (equal lengths by id).
    let specialTokens: [(bytes: [UInt8], id: Int)]
    let bosID: Int?
    let eosID: Int?
    let addBOS: Bool
    let addEOS: Bool
    let addSpacePrefix: Bool

    /// - Throws: `TokenizerError.invalid` naming the key: no tokens; `token_type` or `scores` of
    ///   another length; a type outside 1...6; a special token id out of range; an empty or
    ///   repeated token; no token of type 2 and an `unknown_token_id` (default 0) that names a
    ///   token of another type than 1; a byte token (type 6) not
    ///   spelled `<0xNN>`, or byte tokens that are not all 256; `add_bos_token` (or
    ///   `add_eos_token`) true without a BOS (EOS) token.
    init(_ metadata: GGMLTokenizerMetadata) throws {
        let tokens = metadata.tokens
        try checkGGMLArrays(metadata)
        let types = metadata.tokenTypes ?? [Int32](repeating: 1, count: tokens.count)
        let scores = metadata.scores ?? [Float](repeating: 0, count: tokens.count)
        // llama.cpp's defaults for "llama": bos 1, eos 2, unk 0 when the keys are absent.
        func defaulted(_ id: Int?, _ fallback: Int) -> Int? {
            id ?? (fallback < tokens.count ? fallback : nil)
        }
        let bosID = defaulted(metadata.bosTokenID, 1)
        let eosID = defaulted(metadata.eosTokenID, 2)

        var pieces: [SentencePieceModelFile.Piece] = []
        pieces.reserveCapacity(tokens.count)
        var seen: [[UInt8]: Int] = [:]
        var byteCount = 0
        var unknownCount = 0
        for (id, token) in tokens.enumerated() {
            guard !token.isEmpty else { throw TokenizerError.invalid("tokenizer.ggml.tokens[\(id)] is empty") }
            if let first = seen.updateValue(id, forKey: Array(token.utf8)) {
                throw TokenizerError.invalid("tokenizer.ggml.tokens[\(id)] \"\(token)\" repeats tokenizer.ggml.tokens[\(first)]")
            }
            let type: SentencePieceModelFile.PieceType
            switch types[id] {
            case 1, 5: type = .normal  // UNUSED: an ordinary merge result in llama.cpp
            case 2: type = .unknown; unknownCount += 1
            case 3: type = .control
            case 4: type = .userDefined
            case 6:
                guard SentencePieceProcessor.byteValue(token) != nil else {
                    throw TokenizerError.invalid("tokenizer.ggml.tokens[\(id)] \"\(token)\" has tokenizer.ggml.token_type 6 (byte) but is not spelled <0xNN>")
                }
                type = .byte
                byteCount += 1
            case let other:
                throw TokenizerError.invalid("tokenizer.ggml.token_type[\(id)] is \(other); SentencePiece token types are 1 (normal) to 6 (byte)")
            }
            pieces.append(SentencePieceModelFile.Piece(piece: token, score: scores[id], type: type))
        }
        if unknownCount == 0 {
            let unknownID = metadata.unknownTokenID ?? 0  // tokens is not empty
            guard pieces[unknownID].type == .normal else {
                throw TokenizerError.invalid("tokenizer.ggml.unknown_token_id \(unknownID) names a token of tokenizer.ggml.token_type \(types[unknownID]), not an unknown or normal one")
            }
            pieces[unknownID].type = .unknown
        } else if unknownCount > 1 {
            throw TokenizerError.invalid("tokenizer.ggml.token_type marks \(unknownCount) tokens unknown (2); SentencePiece has one")
        }
        guard byteCount == 0 || byteCount == 256 else {
            throw TokenizerError.invalid("tokenizer.ggml.token_type marks \(byteCount) byte tokens (6); byte fallback needs all 256 (<0x00> ... <0xFF>)")
        }
        for (key, flag, id) in [("add_bos_token", metadata.addBOSToken ?? true, bosID),
                                ("add_eos_token", metadata.addEOSToken ?? false, eosID)] where flag && id == nil {
            throw TokenizerError.invalid("tokenizer.ggml.\(key) is true but the vocabulary has no such token (\(key == "add_bos_token" ? "bos" : "eos")_token_id absent and the default id is out of range)")
        }
        let file = SentencePieceModelFile(
            pieces: pieces, modelType: .bpe, byteFallback: byteCount == 256,
            normalizer: .init(name: "identity", addDummyPrefix: false, removeExtraWhitespaces: false, escapeWhitespaces: true))
        processor = try SentencePieceProcessor(file: file)
        self.tokens = tokens
        self.types = types
        specialTokens = tokens.indices
            .filter { [2, 3, 4].contains(types[$0]) }
            .map { (bytes: Array(tokens[$0].utf8), id: $0) }
            .sorted { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        self.bosID = bosID
        self.eosID = eosID
        addBOS = metadata.addBOSToken ?? true
        addEOS = metadata.addEOSToken ?? false
        addSpacePrefix = metadata.addSpacePrefix ?? true
    }

    /// One part of the text: plain text (UTF-8 byte range) or a special token typed in it.
    private enum Fragment {
        case text(Range<Int>)
        case token(id: Int, Range<Int>)
    }

    /// `tokenizer_st_partition`: every special token, longest first, cut out of the text
    /// fragments left to right.
    private func partition(_ bytes: [UInt8]) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0..<bytes.count)]
        for special in specialTokens {
            let needle = special.bytes
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count)
            for fragment in fragments {
                guard case .text(let range) = fragment, range.count >= needle.count else {
                    next.append(fragment)
                    continue
                }
                var start = range.lowerBound
                var i = range.lowerBound
                while i + needle.count <= range.upperBound {
                    if bytes[i] == needle[0] && bytes[i..<i + needle.count].elementsEqual(needle) {
                        if i > start { next.append(.text(start..<i)) }
                        next.append(.token(id: special.id, i..<i + needle.count))
                        i += needle.count
                        start = i
                    } else {
                        i += 1
                    }
                }
                if start < range.upperBound { next.append(.text(start..<range.upperBound)) }
            }
            fragments = next
        }
        return fragments
    }

    /// llama.cpp's `tokenize(text, add_special, parse_special = true)` for SPM, with offsets:
    /// BOS (with `addSpecialTokens` and `add_bos_token`), each fragment's pieces (a special
    /// token typed in the text keeps its span; control and unknown ones are `special`), EOS
    /// (with `addSpecialTokens` and `add_eos_token`). Words: a typed special token is one; a
    /// fragment's first piece and every piece starting with U+2581 start one.
    func encode(_ text: String, addSpecialTokens: Bool) -> Encoding {
        let bytes = Array(text.utf8)
        var pieces: [SentencePiecePiece] = []
        var specialIndices = Set<Int>()
        var wordStarts = Set<Int>()
        var previousSpecial = true
        for fragment in partition(bytes) {
            switch fragment {
            case .token(let id, let range):
                wordStarts.insert(pieces.count)
                if types[id] != 4 { specialIndices.insert(pieces.count) }
                pieces.append(SentencePiecePiece(id: id, piece: tokens[id], utf8: range))
                previousSpecial = true
            case .text(let range):
                let fragmentText = String(decoding: bytes[range], as: UTF8.self)
                let prefix = addSpacePrefix && previousSpecial ? 1 : 0
                var fragmentPieces = processor.encode(prefix == 1 ? " " + fragmentText : fragmentText)
                for i in fragmentPieces.indices {
                    let span = fragmentPieces[i].utf8
                    let lower = range.lowerBound + max(span.lowerBound - prefix, 0)
                    let upper = range.lowerBound + max(span.upperBound - prefix, 0)
                    fragmentPieces[i].utf8 = lower..<max(lower, upper)
                    if i == 0 || fragmentPieces[i].piece.unicodeScalars.first == "\u{2581}" {
                        wordStarts.insert(pieces.count + i)
                    }
                }
                pieces += fragmentPieces
                previousSpecial = false
            }
        }
        var tokens = SentencePieceProcessor.tokens(pieces, text: text, wordStart: nil)
        var word = -1
        for i in tokens.indices {
            if wordStarts.contains(i) { word += 1 }
            tokens[i].word = max(word, 0)
            tokens[i].special = specialIndices.contains(i)
        }
        if addSpecialTokens {
            if addBOS, let bosID {
                tokens.insert(EncodedToken(id: bosID, text: self.tokens[bosID], special: true, word: nil, span: .empty, typeID: 0), at: 0)
            }
            if addEOS, let eosID {
                tokens.append(EncodedToken(id: eosID, text: self.tokens[eosID], special: true, word: nil, span: .empty, typeID: 0))
            }
        }
        return Encoding(tokens: tokens)
    }

    /// Control and unknown tokens as special added tokens, user-defined ones as plain added
    /// tokens (for `decode(skipSpecialTokens:)` and `specialTokenIDs`; encoding is `encode`'s).
    var addedTokens: [AddedToken] {
        tokens.indices.filter { [2, 3, 4].contains(types[$0]) }.map {
            var token = AddedToken(content: tokens[$0], special: types[$0] != 4)
            token.normalized = false
            return token
        }
    }

    /// Llama 2's tokenizer.json decoder: U+2581 -> ' ', `<0xNN>` -> byte, joined, and (with
    /// `add_space_prefix`) the first leading space dropped, as llama.cpp's detokenizer drops it.
    func decoder() throws -> any TokenDecoder {
        let strip = addSpacePrefix ? #",{"type":"Strip","content":" ","start":1,"stop":0}"# : ""
        let json = #"{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"\#u{2581}"},"content":" "},"#
            + #"{"type":"ByteFallback"},{"type":"Fuse"}"# + strip + "]}"
        return try makeDecoder(try JSONValue.parse(Array(json.utf8)), path: "decoder")
    }
}

/// The checks every GGUF vocabulary gets: tokens not empty, `token_type` and `scores` one per
/// token, special token ids in range.
func checkGGMLArrays(_ metadata: GGMLTokenizerMetadata) throws {
    let tokens = metadata.tokens
    guard !tokens.isEmpty else { throw TokenizerError.invalid("tokenizer.ggml.tokens is empty") }
    if let types = metadata.tokenTypes, types.count != tokens.count {
        throw TokenizerError.invalid("tokenizer.ggml.token_type has \(types.count) entries but tokenizer.ggml.tokens has \(tokens.count)")
    }
    if let scores = metadata.scores, scores.count != tokens.count {
        throw TokenizerError.invalid("tokenizer.ggml.scores has \(scores.count) entries but tokenizer.ggml.tokens has \(tokens.count)")
    }
    for (key, id) in [("bos_token_id", metadata.bosTokenID), ("eos_token_id", metadata.eosTokenID),
                      ("unknown_token_id", metadata.unknownTokenID), ("padding_token_id", metadata.paddingTokenID)] {
        if let id, !(0..<tokens.count).contains(id) {
            throw TokenizerError.invalid("tokenizer.ggml.\(key) \(id) is out of range (\(tokens.count) tokens)")
        }
    }
}
