// The result of encoding a text: tokens with ids, words and spans in the original text.

/// A span of the original text, counted in three units. `scalars` matches the offsets of
/// transformers' `offset_mapping` (Python string indices); `utf16` and `utf8` cover the same text.
public struct TextSpan: Equatable, Hashable, Sendable {
    /// Unicode scalar offsets (UTF-32 code units, Python `str` indices).
    public var scalars: Range<Int>
    /// UTF-16 code unit offsets (LSP's default position encoding).
    public var utf16: Range<Int>
    /// UTF-8 byte offsets.
    public var utf8: Range<Int>

    public init(scalars: Range<Int>, utf16: Range<Int>, utf8: Range<Int>) {
        self.scalars = scalars
        self.utf16 = utf16
        self.utf8 = utf8
    }

    /// The empty span at 0, which the tokens the post-processor inserts get (and only they:
    /// a special token typed in the text keeps the span of its source text).
    public static let empty = TextSpan(scalars: 0..<0, utf16: 0..<0, utf8: 0..<0)
}

/// One token of an encoding.
public struct EncodedToken: Equatable, Sendable {
    /// Vocabulary id.
    public var id: Int
    /// The token's text as the Rust library reports it: the vocabulary string for model tokens
    /// ("##ing") and the post-processor's special tokens ("[CLS]"); for an added token found in
    /// the text, the matched text (including whitespace an `lstrip`/`rstrip` token absorbed).
    public var text: String
    /// True for tokens added by the post-processor and for special added tokens, including those
    /// typed in the text (`"The [MASK] is blue."`), which keep their source span and word.
    public var special: Bool
    /// Index of the token's word, exactly as transformers' `word_ids()` (nil for tokens added
    /// by the post-processor). Every pre-tokenized piece is a word, added tokens included.
    public var word: Int?
    /// Where the token comes from in the original text (`TextSpan.empty` for tokens added by
    /// the post-processor; the matched text, in every unit, for added tokens found in the text,
    /// special or not).
    public var span: TextSpan
    /// Segment (token type) id.
    public var typeID: Int

    public init(id: Int, text: String, special: Bool, word: Int?, span: TextSpan, typeID: Int) {
        self.id = id
        self.text = text
        self.special = special
        self.word = word
        self.span = span
        self.typeID = typeID
    }

    /// True for the tokens the post-processor inserts around the text (`[CLS]`, `[SEP]`): they
    /// have no word and the empty span. A special token typed in the text is not inserted.
    public var isInserted: Bool { word == nil }
}

/// The tokens of one encoded text, in order.
public struct Encoding: Equatable, Sendable {
    public var tokens: [EncodedToken]

    public init(tokens: [EncodedToken]) {
        self.tokens = tokens
    }

    /// The token ids, in order.
    public var ids: [Int] { tokens.map(\.id) }
}

/// Converts scalar offsets of one text into UTF-16 and UTF-8 offsets (one pass over the text).
struct OffsetConverter {
    /// utf16Prefix[i] / utf8Prefix[i]: code units before scalar i (count + 1 entries).
    private var utf16Prefix: [Int]
    private var utf8Prefix: [Int]

    init(_ scalars: [Unicode.Scalar]) {
        utf16Prefix = [Int](repeating: 0, count: scalars.count + 1)
        utf8Prefix = [Int](repeating: 0, count: scalars.count + 1)
        var utf16Offset = 0
        var utf8Offset = 0
        for (i, scalar) in scalars.enumerated() {
            utf16Offset += UTF16.width(scalar)
            utf8Offset += UTF8.width(scalar)
            utf16Prefix[i + 1] = utf16Offset
            utf8Prefix[i + 1] = utf8Offset
        }
    }

    /// The span of scalars `start..<end` (clamped to the text).
    func span(_ start: Int, _ end: Int) -> TextSpan {
        let last = utf16Prefix.count - 1
        let lower = min(max(start, 0), last)
        let upper = min(max(end, lower), last)
        return TextSpan(
            scalars: lower..<upper,
            utf16: utf16Prefix[lower]..<utf16Prefix[upper],
            utf8: utf8Prefix[lower]..<utf8Prefix[upper])
    }
}
