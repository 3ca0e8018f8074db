// Marian's tokenizer (transformers models/marian/tokenization_marian.py, `MarianTokenizer`, a slow
// tokenizer): the source text through `source.spm`, the target text through `target.spm`, each
// piece's *string* looked up in `vocab.json` (a piece missing from it becomes `<unk>`: the Marian
// vocabulary is not aligned with SentencePiece's ids), then `</s>` appended
// (`build_inputs_with_special_tokens`). A leading language code `>>xx<<` is cut off before
// SentencePiece and looked up as one token (`remove_language_code`). With `separate_vocabs` the
// target side reads `target_vocab_file` instead. `decode` is `tokenizer.decode(ids,
// skip_special_tokens=...)` (`convert_ids_to_tokens`, then `convert_tokens_to_string`).
//
// Not done: transformers' slow-tokenizer splitting of special tokens typed in the text (`</s>`,
// `<unk>`, `<pad>` written literally) and the optional Moses punctuation normalizer (only with
// sacremoses installed, and `_tokenize` does not call it).

import Foundation

/// A Marian tokenizer directory: `source.spm`, `target.spm`, `vocab.json` (and
/// `target_vocab.json` when `tokenizer_config.json` says `separate_vocabs`).
public final class MarianTokenizer: @unchecked Sendable {
    public let source: SentencePieceProcessor
    public let target: SentencePieceProcessor
    /// Piece (UTF-8: Python's dict compares code points, not canonical equivalents) -> id of the
    /// source side (and of both sides without separate vocabularies).
    private let sourceVocabulary: [[UInt8]: Int]
    private let targetVocabulary: [[UInt8]: Int]
    private let sourceTokens: [Int: String]
    private let targetTokens: [Int: String]
    public let unknownID: Int
    public let eosID: Int
    /// `separate_vocabs` (tokenizer_config.json): the target side has its own vocabulary.
    public let separateVocabs: Bool
    /// `<pad>`'s id (Marian's `decoder_start_token_id`), nil when vocab.json has none.
    public let padID: Int?

    /// Which text a call encodes.
    public enum Side: Sendable { case source, target }

    /// Reads a directory holding the tokenizer files.
    /// - Throws: `TokenizerError`: an unreadable or invalid file (named), vocab.json not an
    ///   object of integers, `<unk>` or `</s>` missing from it (transformers raises for `<unk>`).
    public init(directory: URL) throws {
        source = try SentencePieceProcessor(url: directory.appendingPathComponent("source.spm"))
        target = try SentencePieceProcessor(url: directory.appendingPathComponent("target.spm"))
        var separate = false
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        if let data = try? Data(contentsOf: configURL) {
            let root = try JSONValue.parse([UInt8](data))
            let fields = try JSONFields(root, path: "tokenizer_config.json")
            separate = try fields.bool("separate_vocabs", default: false)
        }
        sourceVocabulary = try Self.readVocabulary(directory.appendingPathComponent("vocab.json"))
        targetVocabulary = separate
            ? try Self.readVocabulary(directory.appendingPathComponent("target_vocab.json")) : sourceVocabulary
        guard let unknownID = sourceVocabulary[Array("<unk>".utf8)] else {
            throw TokenizerError(kind: .invalidConfiguration, message: "<unk> token must be in the vocab", source: "vocab.json")
        }
        guard let eosID = sourceVocabulary[Array("</s>".utf8)] else {
            throw TokenizerError(kind: .invalidConfiguration, message: "</s> token must be in the vocab", source: "vocab.json")
        }
        self.unknownID = unknownID
        self.eosID = eosID
        separateVocabs = separate
        padID = sourceVocabulary[Array("<pad>".utf8)]
        sourceTokens = Dictionary(sourceVocabulary.map { ($0.value, String(decoding: $0.key, as: UTF8.self)) }, uniquingKeysWith: { a, _ in a })
        targetTokens = Dictionary(targetVocabulary.map { ($0.value, String(decoding: $0.key, as: UTF8.self)) }, uniquingKeysWith: { a, _ in a })
    }

    private static func readVocabulary(_ url: URL) throws -> [[UInt8]: Int] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError(kind: .unreadableFile, message: "cannot read \(url.path)", source: url.lastPathComponent)
        }
        do {
            let root = try JSONValue.parse([UInt8](data))
            guard let members = root.objectValue else {
                throw TokenizerError.invalid("the vocabulary must be an object of piece -> id, found \(root.typeName)")
            }
            var result: [[UInt8]: Int] = [:]
            for (key, value) in members.map({ ($0.0, $0.1) }) {
                result[Array(key.utf8)] = try JSONFields.integer(value, path: "vocab[\"\(key)\"]")
            }
            return result
        } catch var error as TokenizerError {
            error.source = url.lastPathComponent
            throw error
        }
    }

    /// Number of entries of vocab.json (transformers' `vocab_size`).
    public var vocabSize: Int { sourceVocabulary.count }

    /// The token string of an id on a side (nil when the vocabulary has no such id).
    public func token(forID id: Int, side: Side = .source) -> String? {
        side == .source ? sourceTokens[id] : targetTokens[id]
    }

    /// Every id of a side's vocabulary -> its token string.
    public func tokens(side: Side) -> [Int: String] { side == .source ? sourceTokens : targetTokens }

    /// The ids and spans transformers' `tok(text)` (source) or `tok(text_target=text)` (target)
    /// gives: the pieces' ids in vocab.json, then `</s>` (with `addSpecialTokens`, empty span,
    /// no word, special). Spans are in `text`; a language code is word 0.
    public func encode(_ text: String, side: Side = .source, addSpecialTokens: Bool = true) -> Encoding {
        let processor = side == .source ? source : target
        let vocabulary = side == .source ? sourceVocabulary : targetVocabulary
        var codeBytes = 0
        var rest = Substring(text)
        var code: String?
        if text.hasPrefix(">>"), let end = text.range(of: "<<") {
            code = String(text[..<end.upperBound])
            rest = text[end.upperBound...]
            codeBytes = code!.utf8.count
        }
        var pieces = processor.encode(String(rest))
        for i in pieces.indices {
            pieces[i].utf8 = (pieces[i].utf8.lowerBound + codeBytes)..<(pieces[i].utf8.upperBound + codeBytes)
        }
        if let code {
            pieces.insert(SentencePiecePiece(id: -1, piece: code, utf8: 0..<codeBytes), at: 0)
        }
        let unknownID = self.unknownID
        var tokens = SentencePieceProcessor.tokens(
            pieces, text: text, wordStart: processor.file.treatWhitespaceAsSuffix ? nil : "\u{2581}",
            idOf: { vocabulary[Array($0.piece.utf8)] ?? unknownID })
        // A piece missing from vocab.json is `<unk>` by its text too (`convert_ids_to_tokens`).
        let unknownText = token(forID: unknownID, side: side) ?? "<unk>"
        for i in tokens.indices where tokens[i].id == unknownID { tokens[i].text = unknownText }
        if addSpecialTokens {
            tokens.append(EncodedToken(id: eosID, text: "</s>", special: true, word: nil, span: .empty, typeID: 0))
        }
        return Encoding(tokens: tokens)
    }

    /// MarianTokenizer's `all_special_tokens`: `</s>`, `<unk>`, `<pad>`.
    static let specialTokens: Set<String> = ["</s>", "<unk>", "<pad>"]

    /// The text of `ids`, as transformers 5.23.0's `tokenizer.decode(ids, skip_special_tokens:)`:
    /// each id becomes its token in the side's vocabulary (`.target`: the target vocabulary, as
    /// transformers' `decoder`; `.source`: vocab.json), an id the vocabulary lacks becomes the
    /// SentencePiece model's piece of that id, else `<unk>`; with `skipSpecialTokens` the ids of
    /// `</s>`, `<unk>` and `<pad>` are dropped. Then `convert_tokens_to_string`: runs of ordinary
    /// tokens through SentencePiece's `decode_pieces` (a special token kept is written as it is,
    /// followed by a space), U+2581 turned into spaces, whitespace stripped at both ends (Python's
    /// `str.strip`).
    ///
    /// The SentencePiece model is transformers' choice unless `useSourceSentencePiece` says
    /// otherwise: `MarianTokenizer._decode` uses `use_source_tokenizer = not separate_vocabs`, so
    /// with a shared vocabulary (opus-mt, tiny-marian) even target ids are decoded with
    /// `source.spm`: a `<0xNN>` byte piece that only `target.spm` has stays literal text. The
    /// two models agree on ordinary pieces. Language codes (`>>de<<`) are not special tokens in
    /// transformers and are kept (verbatim: SentencePiece keeps a string it does not know).
    public func decode(_ ids: [Int], side: Side = .target, skipSpecialTokens: Bool = true, useSourceSentencePiece: Bool? = nil) -> String {
        let tokens = side == .source ? sourceTokens : targetTokens
        let useSource = useSourceSentencePiece ?? (side == .source || !separateVocabs)
        let processor = useSource ? source : target
        let specialIDs: Set<Int> = [eosID, unknownID, padID ?? unknownID]
        var out = ""
        var pending: [String] = []
        for id in ids {
            if skipSpecialTokens && specialIDs.contains(id) { continue }
            let token = tokens[id] ?? processor.piece(forID: id) ?? "<unk>"
            if Self.specialTokens.contains(token) {
                out += processor.decode(pieces: pending) + token + " "
                pending.removeAll()
            } else {
                pending.append(token)
            }
        }
        out += processor.decode(pieces: pending)
        return Self.pythonStrip(out.replacingOccurrences(of: "\u{2581}", with: " "))
    }

    /// Python's `str.strip()`: drops leading and trailing characters for which `str.isspace()`
    /// holds (Unicode White_Space plus the separators U+001C...U+001F).
    static func pythonStrip(_ text: String) -> String {
        func isSpace(_ s: Unicode.Scalar) -> Bool {
            s.properties.isWhitespace || (0x1C...0x1F).contains(s.value)
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        return String(scalars[first...last])
    }
}
