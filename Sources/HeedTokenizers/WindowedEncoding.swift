// Encoding a region of a long text exactly as the whole text would be encoded there.
//
// Why a cut before a space (or a line feed) is safe for the pipelines accepted below, stage by
// stage, for a cut at scalar c whose scalar is s (the left side is text[..<c], the right side
// text[c...], so s and everything after it stay together):
// - Added tokens: no added token's content or normalized form contains whitespace and none has
//   `lstrip`/`rstrip`, so no match covers s; the leftmost-longest scan finds the same matches on
//   each side (a match left of c ends at or before c; the first one right of it starts after c).
//   `single_word` looks at the scalars beside a match: s is not a word character on either side.
// - Normalizers act per scalar (clean text, CJK padding, lowercase, accent stripping), or per run
//   that starts at a starter (NFD/NFKD reorder only runs of combining marks, which cannot cross a
//   starter such as s; NFC/NFKC compose nothing with a space as the second scalar and have no
//   composite that starts with one). `Replace` is safe when neither its pattern nor its content
//   holds s. `Strip` is not accepted (it treats the ends of each side as the ends of the text).
// - Pre-tokenizers: a stage that splits on whitespace and removes it cuts at s in both cases;
//   punctuation splits act on runs between whitespace.
// - WordPiece works per word, and no word spans s.
// The windowed tokenization tests check this on random cut points (WindowedEncodingTests).

/// Where a text may be cut for windowed encoding.
enum WindowCuts {
    /// The candidate cut scalars: ASCII, so a cut can be found by scanning UTF-8 bytes.
    static let candidates: [Unicode.Scalar] = [" ", "\n"]

    static func cutScalars(normalizer: (any Normalizer)?, preTokenizer: (any PreTokenizer)?, model: any TokenizerModel,
                           addedTokens: [AddedToken]) -> Set<Unicode.Scalar>? {
        guard model is WordPieceModel, let preTokenizer, removesWhitespace(preTokenizer) else { return nil }
        let properties = UnicodeProperties.shared
        for token in addedTokens {
            if token.leftStrip || token.rightStrip { return nil }
            var forms = [Array(token.content.unicodeScalars)]
            if token.normalized, let normalizer {
                var text = NormalizedText(original: token.content.unicodeScalars, originalStart: 0)
                normalizer.normalize(&text)
                forms.append(text.scalars)
            }
            if forms.contains(where: { $0.contains(where: properties.isWhitespace) }) { return nil }
        }
        var cuts = Set(candidates)
        if let normalizer, !allowsCuts(normalizer, &cuts) { return nil }
        return cuts.isEmpty ? nil : cuts
    }

    /// True when `n` keeps a cut before any scalar left in `cuts` (removing those it cannot keep).
    static func allowsCuts(_ n: any Normalizer, _ cuts: inout Set<Unicode.Scalar>) -> Bool {
        switch n {
        case is BertNormalizer, is LowercaseNormalizer, is UnicodeNormalization, is StripAccentsNormalizer:
            return true
        case let r as ReplaceNormalizer:
            guard !r.pattern.isEmpty else { return false }
            cuts = cuts.filter { !r.pattern.contains($0) && !r.content.contains($0) }
            return true
        case let s as SequenceNormalizer:
            return s.stages.allSatisfy { allowsCuts($0, &cuts) }
        default:
            return false
        }
    }

    /// True when the pre-tokenizer splits on whitespace and drops it (at some stage), every
    /// stage being one whose behaviour is local to runs between whitespace.
    static func removesWhitespace(_ p: any PreTokenizer) -> Bool {
        switch p {
        case is BertPreTokenizer, is WhitespaceSplitPreTokenizer, is WhitespacePreTokenizer: return true
        case let s as SequencePreTokenizer:
            return s.stages.allSatisfy { $0 is BertPreTokenizer || $0 is WhitespaceSplitPreTokenizer || $0 is WhitespacePreTokenizer || $0 is PunctuationPreTokenizer }
                && s.stages.contains(where: removesWhitespace)
        default: return false
        }
    }
}

/// A position in a text, counted in the three units a `TextSpan` uses.
public struct TextPosition: Equatable, Sendable {
    public var scalars: Int
    public var utf16: Int
    public var utf8: Int
    public init(scalars: Int, utf16: Int, utf8: Int) { self.scalars = scalars; self.utf16 = utf16; self.utf8 = utf8 }
    public static let zero = TextPosition(scalars: 0, utf16: 0, utf8: 0)
}

extension Tokenizer {
    /// Working memory of `encode` per UTF-8 byte of text, in bytes: an estimate from the data
    /// structures (scalars 4 and alignments 16 per scalar, copied per stage; offset tables 16 per
    /// scalar; tokens about 100 each), not a measurement.
    public static let encodeBytesPerUTF8Byte = 160

    /// The tokens of `text[utf8Range]` without the post-processor's special tokens, with spans in
    /// `text` (the region's start is `start`, counted in the three units) and word indices
    /// counted from the region's first word. Both ends of the range must be the ends of the text
    /// or cuts (`isCut`); then the tokens are exactly those of `encode(text)` in that range.
    public func encodeRegion(of text: String, utf8Range: Range<Int>, start: TextPosition) -> [EncodedToken] {
        let u = text.utf8
        let lower = u.index(u.startIndex, offsetBy: utf8Range.lowerBound)
        let upper = u.index(lower, offsetBy: utf8Range.count)
        let region = String(text[lower..<upper])
        var tokens = encode(region, addSpecialTokens: false).tokens
        for k in tokens.indices where !tokens[k].isInserted {
            let s = tokens[k].span
            tokens[k].span = TextSpan(scalars: (s.scalars.lowerBound + start.scalars)..<(s.scalars.upperBound + start.scalars),
                                      utf16: (s.utf16.lowerBound + start.utf16)..<(s.utf16.upperBound + start.utf16),
                                      utf8: (s.utf8.lowerBound + start.utf8)..<(s.utf8.upperBound + start.utf8))
        }
        return tokens
    }

    /// `body` (tokens of the text) with the post-processor's special tokens around it, as
    /// `encode` adds them.
    public func addingSpecialTokens(_ body: [EncodedToken]) -> [EncodedToken] {
        postProcessor?.process(body, addSpecialTokens: true, offsets: nil) ?? body
    }

    /// True when a text may be cut before a scalar whose UTF-8 starts with `byte` (see `cutScalars`).
    public func isCut(_ byte: UInt8) -> Bool {
        guard let cuts = cutScalars, byte < 0x80 else { return false }
        return cuts.contains(Unicode.Scalar(byte))
    }

    /// The position of UTF-8 offset `utf8Offset` (on a scalar boundary) of `text` in all three
    /// units: one pass over the bytes before it, nothing allocated.
    public static func position(in text: String, utf8Offset: Int) -> TextPosition {
        var scalars = 0, utf16 = 0
        var k = 0
        for byte in text.utf8 {
            if k == utf8Offset { break }
            if byte & 0xC0 != 0x80 { scalars += 1; utf16 += byte >= 0xF0 ? 2 : 1 }
            k += 1
        }
        return TextPosition(scalars: scalars, utf16: utf16, utf8: utf8Offset)
    }
}

extension Tokenizer {
    /// `encode(text)` computed region by region (each cut before a space or line feed, see
    /// `cutScalars`), so the working memory is that of one region of about `chunkUTF8Bytes`
    /// plus the tokens kept: the tokens are kept while there are at most `keepTokens` of them
    /// (post-processor's included), then only counted. nil when the tokenizer allows no cuts.
    /// - Returns: the encoding (nil when it had more than `keepTokens` tokens) and the number
    ///   of tokens `encode(text)` gives.
    /// - Throws: `regionTooLarge(utf8Bytes)` from `check` when a region has to grow past what
    ///   the caller allows (a long run without a cut).
    public func encodeInRegions(_ text: String, chunkUTF8Bytes: Int, keepTokens: Int,
                                check: (_ regionUTF8Bytes: Int) throws -> Void = { _ in }) throws -> (encoding: Encoding?, tokenCount: Int)? {
        guard cutScalars != nil else { return nil }
        var copy = text
        let bounds: [Int] = copy.withUTF8 { bytes in
            var cuts = [0]
            var k = 0
            while k < bytes.count {
                var next = min(bytes.count, k + max(1, chunkUTF8Bytes))
                while next < bytes.count && !isCut(bytes[next]) { next += 1 }
                cuts.append(next)
                k = next
            }
            return cuts
        }
        let specials = addingSpecialTokens([]).count
        var count = specials
        var kept: [EncodedToken]? = []
        var position = TextPosition.zero
        var wordBase = 0
        for (lo, hi) in zip(bounds, bounds.dropFirst()) {
            try check(hi - lo)
            var tokens = encodeRegion(of: text, utf8Range: lo..<hi, start: position)
            count += tokens.count
            if kept != nil && count <= keepTokens {
                var maxWord = -1
                for k in tokens.indices {
                    if let w = tokens[k].word { tokens[k].word = w + wordBase; maxWord = max(maxWord, w) }
                }
                kept!.append(contentsOf: tokens)
                // Word indices only group tokens: distinct per region is all that matters.
                wordBase += maxWord + 1
            } else {
                kept = nil
            }
            position = advance(position, in: text, utf8Range: lo..<hi)
        }
        return (kept.map { Encoding(tokens: addingSpecialTokens($0)) }, count)
    }

    private func advance(_ p: TextPosition, in text: String, utf8Range: Range<Int>) -> TextPosition {
        var p = p
        let u = text.utf8
        let a = u.index(u.startIndex, offsetBy: utf8Range.lowerBound)
        for byte in u[a..<u.index(a, offsetBy: utf8Range.count)] where byte & 0xC0 != 0x80 {
            p.scalars += 1; p.utf16 += byte >= 0xF0 ? 2 : 1
        }
        p.utf8 = utf8Range.upperBound
        return p
    }
}
