import HeedTokenizers

/// The unit offsets count in, as LSP 3.17 names them ("utf-8", "utf-16", "utf-32" = Unicode scalars).
public enum PositionEncoding: String, CaseIterable, Sendable {
    case utf8 = "utf-8", utf16 = "utf-16", utf32 = "utf-32"

    /// The span of `token` in this encoding.
    public func range(of span: TextSpan) -> Range<Int> {
        switch self {
        case .utf8: return span.utf8
        case .utf16: return span.utf16
        case .utf32: return span.scalars
        }
    }
}

/// A token as the protocol shows it (protocol.md, section 5.4).
public struct TokenRow: Equatable, Sendable {
    public let index: Int
    public let id: Int
    /// The vocabulary string ("##ing", "[CLS]", "Ġcat").
    public let text: String
    /// The token as a person reads it (`Tokenizer.display(forID:)`: "ing", "[CLS]", " cat").
    public let display: String
    /// Start of the token's source text, in the table's position encoding (bytes, UTF-16 code
    /// units or Unicode scalars). `start == end == 0` only for the tokens the post-processor
    /// inserts; a special token typed in the text keeps its span.
    public let start: Int
    /// End (exclusive) of the token's source text, in the same units as `start`.
    public let end: Int
    /// True for special tokens, inserted ones and those typed in the text alike: tell them
    /// apart by the span, never by this flag.
    public let special: Bool
    /// Index into `TokenTable.words`; every special token is a word of its own.
    public let word: Int
}

/// A word: consecutive tokens of one pre-tokenized word, or one special token.
public struct WordRow: Equatable, Sendable {
    public let index: Int
    /// The original text the word covers (empty for the tokens the post-processor inserts;
    /// `"[MASK]"` for a `[MASK]` typed in the text).
    public let text: String
    /// Start of the word's source text in the table's position encoding (`start == end == 0`
    /// only for a word made of an inserted token).
    public let start: Int
    /// End (exclusive) of the word's source text, in the same units as `start`.
    public let end: Int
    /// True for a word made of one special token (inserted or typed in the text).
    public let special: Bool
    /// Indices of the word's tokens, in order.
    public let tokens: [Int]
}

/// The tokens and words of one encoded text, with offsets in one position encoding.
public struct TokenTable: Equatable, Sendable {
    /// The unit of every `start` and `end` in the table.
    public let encoding: PositionEncoding
    /// One row per token of the encoding, in order.
    public let tokens: [TokenRow]
    /// The words that word granularity uses: consecutive tokens of one pre-tokenized word, and
    /// every special token (inserted or typed in the text) as a word of its own.
    public let words: [WordRow]

    /// A table without tokens (offsets would count scalars), for analyses run on ids rather than text.
    public static let empty = TokenTable(encoding: .utf32, tokens: [], words: [])

    private init(encoding: PositionEncoding, tokens: [TokenRow], words: [WordRow]) {
        self.encoding = encoding
        self.tokens = tokens
        self.words = words
    }

    /// The table of `encoded`, `tokenizer`'s encoding of `text`, with offsets in `encoding`.
    public init(text: String, encoded: Encoding, encoding: PositionEncoding, tokenizer: Tokenizer) {
        self.encoding = encoding
        // Word texts are sliced by UTF-8 offsets (constant time on a native string): no copy of
        // the whole text, which may be far longer than the tokens (a window of a long text).
        let utf8 = text.utf8
        func source(_ span: Range<Int>) -> String {
            guard !span.isEmpty else { return "" }
            let a = utf8.index(utf8.startIndex, offsetBy: span.lowerBound), b = utf8.index(a, offsetBy: span.count)
            return String(text[a..<b])
        }
        var tokens: [TokenRow] = []
        var words: [WordRow] = []
        var wordTokens: [Int] = []
        var lastWordID: Int? = nil
        func closeWord() {
            guard let first = wordTokens.first, let last = wordTokens.last else { return }
            let a = encoded.tokens[first], b = encoded.tokens[last]
            let text = source(a.span.utf8.lowerBound..<b.span.utf8.upperBound)
            let r = encoding.range(of: a.span).lowerBound..<encoding.range(of: b.span).upperBound
            words.append(WordRow(index: words.count, text: text, start: r.lowerBound, end: r.upperBound, special: false, tokens: wordTokens))
            wordTokens = []
        }
        for (i, t) in encoded.tokens.enumerated() {
            let r = encoding.range(of: t.span)
            if t.special || t.isInserted {
                // A word of its own, with the token's span: empty for an inserted token, the
                // source text for a special token typed in the text.
                closeWord(); lastWordID = nil
                words.append(WordRow(index: words.count, text: source(t.span.utf8), start: r.lowerBound, end: r.upperBound, special: t.special, tokens: [i]))
                tokens.append(TokenRow(index: i, id: t.id, text: t.text, display: tokenizer.display(forID: t.id), start: r.lowerBound, end: r.upperBound, special: t.special, word: words.count - 1))
                continue
            }
            if t.word != lastWordID { closeWord() }
            lastWordID = t.word
            wordTokens.append(i)
            tokens.append(TokenRow(index: i, id: t.id, text: t.text, display: tokenizer.display(forID: t.id), start: r.lowerBound, end: r.upperBound, special: false, word: words.count))
        }
        closeWord()
        self.tokens = tokens
        self.words = words
    }
}
