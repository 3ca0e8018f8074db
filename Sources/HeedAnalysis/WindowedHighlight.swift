import HeedModels
import HeedTokenizers

/// A request whose text working set would not fit in the memory the daemon gives one request.
public struct WorkingSetTooLarge: Error, Equatable, CustomStringConvertible {
    /// The estimated working set, in bytes.
    public let neededBytes: Int
    /// What one request may use, in bytes.
    public let budgetBytes: Int
    /// What needed it ("tokenizing 61865984 bytes of text").
    public let what: String
    public init(neededBytes: Int, budgetBytes: Int, what: String) {
        self.neededBytes = neededBytes; self.budgetBytes = budgetBytes; self.what = what
    }
    public var description: String {
        "\(what) needs about \(neededBytes) bytes of working memory; one request may use \(budgetBytes) (a share of --max-memory)"
    }
}

/// The window of a highlight on a long text, found by encoding only a region around the focus.
public struct WindowedHighlightEncoding: Sendable {
    /// The analysed tokens: the window plus the post-processor's special tokens.
    public let encoded: Encoding
    /// The span of the window's first to last token with a span (request encoding); nil when the
    /// whole text fits the model's limit.
    public let window: Range<Int>?
    /// Identifies the analysed tokens exactly (the region's text, where it starts, the window's
    /// place in it): a cache key that does not hold the whole text.
    public let identity: String
    /// UTF-8 bytes of the region that was encoded (the last, largest one).
    public let regionUTF8Bytes: Int
}

extension Pipeline {
    /// Texts longer than this (UTF-8 bytes) are highlighted by encoding a region around the focus
    /// when the tokenizer allows it (`Tokenizer.cutScalars`); shorter ones are encoded whole.
    /// The results are the same either way.
    public static let windowingThresholdUTF8Bytes = 1 << 16

    /// `highlightWindow` for a long text without encoding all of it: encodes a region around the
    /// focus, cut before spaces or line feeds where the tokenizer allows it, growing it until it
    /// holds the window of the model's limit (or reaches the text's ends), so the tokens, the
    /// window and the focus are exactly those of encoding the whole text. Time and memory follow
    /// the region (a few times the window), plus one pass over the text's bytes to convert
    /// offsets. nil when the text is short or the tokenizer's pipeline does not allow cuts.
    /// - Throws: `WorkingSetTooLarge` when the region's encoding would exceed `workingBudgetBytes`
    ///   (a text without spaces near the focus); the errors of `highlightWindow`.
    public static func windowedHighlight(model: LoadedModel, request r: HighlightRequest,
                                         workingBudgetBytes: Int = .max) throws -> WindowedHighlightEncoding? {
        let tokenizer = model.tokenizer
        let text = r.text
        let n = text.utf8.count
        guard tokenizer.cutScalars != nil, n > windowingThresholdUTF8Bytes else { return nil }
        let limit = model.shape.maxTokens
        let focus8 = utf8Range(of: r.focus, in: text, encoding: r.encoding)
        var left = max(4096, 8 * limit), right = left
        while true {
            let (lo, hi) = cutBounds(text, lower: focus8.lowerBound - left, upper: focus8.upperBound + right, tokenizer: tokenizer)
            let needed = (hi - lo) * Tokenizer.encodeBytesPerUTF8Byte
            guard needed <= workingBudgetBytes else {
                throw WorkingSetTooLarge(neededBytes: needed, budgetBytes: workingBudgetBytes,
                                         what: "encoding \(hi - lo) bytes of text around the focus (no space or line feed to cut at)")
            }
            let atStart = lo == 0, atEnd = hi == n
            let start = Tokenizer.position(in: text, utf8Offset: lo)
            let encoded = Encoding(tokens: tokenizer.addingSpecialTokens(tokenizer.encodeRegion(of: text, utf8Range: lo..<hi, start: start)))
            let table = TokenTable(text: text, encoded: encoded, encoding: r.encoding, tokenizer: model.tokenizer)
            let focus: [Int]
            do {
                focus = try Highlighter.focusUnits(highlightUnits(table, granularity: r.granularity), focus: r.focus, granularity: r.granularity, causal: model.shape.causal)
            } catch {
                if atStart && atEnd { throw error }
                left *= 2; right *= 2
                continue
            }
            func identity(_ window: Range<Int>) -> String {
                let u = text.utf8
                let a = u.index(u.startIndex, offsetBy: lo), b = u.index(a, offsetBy: hi - lo)
                let base: Int
                switch r.encoding { case .utf8: base = start.utf8; case .utf16: base = start.utf16; case .utf32: base = start.scalars }
                return "w|\(base)|\(window.lowerBound)-\(window.upperBound)|" + String(text[a..<b])
            }
            if atStart && atEnd && encoded.tokens.count <= limit {
                return WindowedHighlightEncoding(encoded: encoded, window: nil, identity: identity(0..<encoded.tokens.count), regionUTF8Bytes: hi - lo)
            }
            let focusTokens = r.granularity == .word ? focus.flatMap { table.words[$0].tokens } : focus
            let w = windowBounds(encoded, around: focusTokens, limit: limit, causal: model.shape.causal)
            let leftOK = w.start > w.body.lowerBound || atStart, rightOK = w.end < w.body.upperBound || atEnd
            guard leftOK && rightOK else {
                if !leftOK { left *= 2 }
                if !rightOK { right *= 2 }
                continue
            }
            let tokens = encoded.tokens
            let windowed = Encoding(tokens: Array(tokens[..<w.body.lowerBound]) + Array(tokens[w.start..<w.end]) + Array(tokens[w.body.upperBound...]))
            let spanned = tokens[w.start..<w.end].filter { !$0.span.scalars.isEmpty }
            var window: Range<Int>? = nil
            if let first = spanned.first, let last = spanned.last {
                window = r.encoding.range(of: first.span).lowerBound..<r.encoding.range(of: last.span).upperBound
            }
            return WindowedHighlightEncoding(encoded: windowed, window: window, identity: identity(w.start..<w.end), regionUTF8Bytes: hi - lo)
        }
    }

    /// The bounds of a highlight's window: the body (tokens between the inserted ones) and the
    /// window's token range in it, of the limit's worth of tokens (less the inserted ones).
    /// Encoders (`causal` false): centred on the focus (token indices). Decoders: ending at the
    /// focus's last token (the last body token for an empty focus), since a causal model's
    /// focus row sees only earlier tokens; when fewer tokens precede it, the window starts at
    /// the body's start and runs on past the focus. Either way clamped to the body.
    static func windowBounds(_ encoded: Encoding, around focus: [Int], limit: Int, causal: Bool) -> (body: Range<Int>, start: Int, end: Int) {
        let tokens = encoded.tokens
        var lead = 0
        while lead < tokens.count, tokens[lead].isInserted { lead += 1 }
        var trail = 0
        while trail < tokens.count - lead, tokens[tokens.count - 1 - trail].isInserted { trail += 1 }
        let body = lead..<(tokens.count - trail)
        let size = max(1, limit - lead - trail)
        var start: Int
        if causal {
            let last = focus.max() ?? (body.upperBound - 1)
            start = last + 1 - size
        } else {
            let centre = focus.isEmpty ? body.lowerBound : (focus.first! + focus.last!) / 2
            start = max(body.lowerBound, centre - size / 2)
        }
        start = min(start, body.upperBound - size)
        start = max(start, body.lowerBound)
        return (body, start, min(body.upperBound, start + size))
    }

    /// The cut at or before `lower` and the cut at or after `upper` (UTF-8 offsets, clamped to
    /// the text; a text end counts as a cut).
    static func cutBounds(_ text: String, lower: Int, upper: Int, tokenizer: Tokenizer) -> (Int, Int) {
        var text = text
        return text.withUTF8 { bytes in
            let n = bytes.count
            var lo = min(max(0, lower), n)
            while lo > 0 && !tokenizer.isCut(bytes[lo]) { lo -= 1 }
            var hi = min(max(0, upper), n)
            while hi < n && !tokenizer.isCut(bytes[hi]) { hi += 1 }
            return (lo, hi)
        }
    }

    /// `range` (offsets in `encoding` units, on character boundaries) as UTF-8 offsets: one pass
    /// over the text's bytes up to the range's end.
    static func utf8Range(of range: Range<Int>, in text: String, encoding: PositionEncoding) -> Range<Int> {
        if encoding == .utf8 { return range }
        var units = 0, k = 0
        var lower = -1, upper = -1
        for byte in text.utf8 {
            if byte & 0xC0 != 0x80 {
                if lower < 0 && units >= range.lowerBound { lower = k }
                if units >= range.upperBound { upper = k; break }
                units += encoding == .utf16 && byte >= 0xF0 ? 2 : 1
            }
            k += 1
        }
        if lower < 0 { lower = k }
        if upper < 0 { upper = k }
        return lower..<upper
    }
}
