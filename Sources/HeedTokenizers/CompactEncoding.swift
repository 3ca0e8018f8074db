// An encoding held compactly for caching: 34 bytes per token (the span's three ranges as six
// Int32, 24 bytes; id and word as Int32; the special flag and type id as one byte each) instead
// of about 100 for `EncodedToken` plus its string. Token strings are looked up again from the
// tokenizer; only those that differ from the vocabulary string are kept.

/// A compact copy of an `Encoding` that `expanded(tokenizer:)` turns back into the same encoding.
public struct CompactEncoding: Sendable {
    private let ids: [Int32]
    private let words: [Int32]  // -1: none (an inserted token)
    private let special: [UInt8]
    private let typeIDs: [UInt8]
    private let spans: [Int32]  // per token: scalars, utf16, utf8 (lower, upper each)
    /// Token strings that are not the vocabulary string of their id (an added token's matched
    /// text), by token index.
    private let texts: [Int: String]

    /// nil when a value does not fit (an id, word, offset beyond Int32, a type id beyond 255).
    public init?(_ e: Encoding, tokenizer: Tokenizer) {
        let n = e.tokens.count
        var ids = [Int32](), words = [Int32](), special = [UInt8](), typeIDs = [UInt8](), spans = [Int32]()
        ids.reserveCapacity(n); words.reserveCapacity(n); special.reserveCapacity(n); typeIDs.reserveCapacity(n); spans.reserveCapacity(6 * n)
        var texts: [Int: String] = [:]
        for (k, t) in e.tokens.enumerated() {
            guard let id = Int32(exactly: t.id), let word = Int32(exactly: t.word ?? -1), let type = UInt8(exactly: t.typeID) else { return nil }
            for v in [t.span.scalars.lowerBound, t.span.scalars.upperBound, t.span.utf16.lowerBound, t.span.utf16.upperBound,
                      t.span.utf8.lowerBound, t.span.utf8.upperBound] {
                guard let v32 = Int32(exactly: v) else { return nil }
                spans.append(v32)
            }
            ids.append(id); words.append(word); special.append(t.special ? 1 : 0); typeIDs.append(type)
            if tokenizer.token(forID: t.id).map({ !$0.unicodeScalars.elementsEqual(t.text.unicodeScalars) }) ?? true { texts[k] = t.text }
        }
        self.ids = ids; self.words = words; self.special = special; self.typeIDs = typeIDs; self.spans = spans; self.texts = texts
    }

    /// Number of tokens.
    public var count: Int { ids.count }

    /// Bytes held: 34 per token plus the kept strings.
    public var byteCount: Int { 34 * ids.count + texts.values.reduce(0) { $0 + 32 + $1.utf8.count } + 128 }

    /// The encoding this was made from.
    public func expanded(tokenizer: Tokenizer) -> Encoding {
        var tokens: [EncodedToken] = []
        tokens.reserveCapacity(ids.count)
        for k in ids.indices {
            let s = 6 * k
            let span = TextSpan(scalars: Int(spans[s])..<Int(spans[s + 1]), utf16: Int(spans[s + 2])..<Int(spans[s + 3]),
                                utf8: Int(spans[s + 4])..<Int(spans[s + 5]))
            let id = Int(ids[k])
            tokens.append(EncodedToken(id: id, text: texts[k] ?? tokenizer.token(forID: id) ?? "", special: special[k] != 0,
                                       word: words[k] < 0 ? nil : Int(words[k]), span: span, typeID: Int(typeIDs[k])))
        }
        return Encoding(tokens: tokens)
    }
}
