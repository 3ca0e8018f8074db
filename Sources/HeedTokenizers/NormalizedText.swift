// NormalizedText mirrors the Rust library's NormalizedString (tokenizers/src/tokenizer/normalizer.rs)
// on Unicode scalars instead of UTF-8 bytes. Every normalized scalar keeps the range of original
// scalars it came from ("alignment"); every edit goes through `transform`, which assigns
// alignments exactly as the Rust `transform_range` does, so offsets survive lowercasing that
// expands, NFD, accent stripping, removed control characters and inserted spaces alike.
//
// Rust works on bytes, but all bytes of one char always share one alignment and every boundary
// the library compares is a char boundary, so scalar indices give the same answers. Alignments
// here are absolute (offsets into the whole input) rather than relative to the slice plus a
// shift; the two are equivalent.

/// The original scalars `start..<end` that one normalized scalar came from.
struct Alignment: Equatable {
    var start: Int
    var end: Int
}

/// One step of a transformation: the new scalar, and how it relates to the old text.
/// `change == 0` replaces the next old scalar, `change > 0` inserts a scalar (aligned with the
/// previous old scalar), `change < 0` replaces the next old scalar and drops `-change` more.
struct Edit {
    var scalar: Unicode.Scalar
    var change: Int
}

/// A piece of text under normalization: the current scalars and, per scalar, its original range.
struct NormalizedText {
    private(set) var scalars: [Unicode.Scalar]
    private(set) var alignments: [Alignment]
    /// The original text this piece covers, `originalStart..<originalEnd` (absolute scalars).
    let originalStart: Int
    let originalEnd: Int

    /// An unnormalized piece: `scalars` are original scalars starting at `originalStart`.
    init<S: Collection>(original scalars: S, originalStart: Int) where S.Element == Unicode.Scalar {
        self.scalars = Array(scalars)
        self.alignments = (0..<self.scalars.count).map {
            Alignment(start: originalStart + $0, end: originalStart + $0 + 1)
        }
        self.originalStart = originalStart
        self.originalEnd = originalStart + self.scalars.count
    }

    private init(scalars: [Unicode.Scalar], alignments: [Alignment], originalStart: Int, originalEnd: Int) {
        self.scalars = scalars
        self.alignments = alignments
        self.originalStart = originalStart
        self.originalEnd = originalEnd
    }

    var count: Int { scalars.count }
    var isEmpty: Bool { scalars.isEmpty }

    /// The normalized text as a String.
    var string: String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    // MARK: - Offsets

    /// The original range covered by normalized scalars `range` (Rust `expand_alignments`):
    /// from the first one's start to the last one's end; nil for an empty range.
    func originalRange(of range: Range<Int>) -> Alignment? {
        guard !range.isEmpty, range.lowerBound >= 0, range.upperBound <= alignments.count else { return nil }
        let first = alignments[range.lowerBound]
        let last = alignments[range.upperBound - 1]
        return Alignment(start: first.start, end: max(first.start, last.end))
    }

    /// The normalized range a transformation of the whole text rewrites: Rust's
    /// `convert_offsets(Range::Original(..))`, which skips leading zero-width alignments.
    private func wholeNormalizedRange() -> Range<Int>? {
        if originalEnd == originalStart { return 0..<0 }
        var start: Int?
        var end: Int?
        for (i, alignment) in alignments.enumerated() {
            if originalEnd < alignment.end { break }
            if start == nil, originalStart <= alignment.start, alignment.start != alignment.end {
                start = i
            }
            end = i + 1
        }
        switch (start, end) {
        case let (s?, e?): return s..<e
        case let (s?, nil): return s..<s
        case let (nil, e?): return e..<e
        default: return nil
        }
    }

    /// A sub-piece (Rust `NormalizedString::slice` on a normalized range).
    func slice(_ range: Range<Int>) -> NormalizedText {
        guard let original = originalRange(of: range) else {
            return NormalizedText(scalars: [], alignments: [], originalStart: originalStart, originalEnd: originalStart)
        }
        return NormalizedText(
            scalars: Array(scalars[range]), alignments: Array(alignments[range]),
            originalStart: original.start, originalEnd: original.end)
    }

    // MARK: - The one primitive every edit goes through

    /// Rewrites the whole text with `edits` (Rust `transform`); `initialOffset` old scalars at
    /// the start are dropped without producing anything.
    mutating func transform(_ edits: [Edit], initialOffset: Int) {
        guard let range = wholeNormalizedRange() else { return }
        transform(range: range, edits, initialOffset: initialOffset)
    }

    /// Rust `transform_range` on a normalized range.
    mutating func transform(range: Range<Int>, _ edits: [Edit], initialOffset: Int) {
        let limit = range.upperBound
        var offset = min(range.lowerBound + max(initialOffset, 0), limit)
        var newScalars: [Unicode.Scalar] = []
        var newAlignments: [Alignment] = []
        newScalars.reserveCapacity(edits.count)
        newAlignments.reserveCapacity(edits.count)
        let zeroWidth = Alignment(start: originalStart, end: originalStart)
        for edit in edits {
            let alignment: Alignment
            if edit.change > 0 {
                // An inserted scalar shares the alignment of the scalar before it.
                alignment = offset < 1 ? zeroWidth : alignments[offset - 1]
            } else if offset < alignments.count {
                alignment = alignments[offset]
            } else {
                // Rust would index out of bounds here; no edit list built in this module does it.
                alignment = alignments.last ?? zeroWidth
            }
            if edit.change <= 0, offset < limit { offset += 1 }
            if edit.change < 0 { offset = min(limit, offset + (-edit.change)) }
            newScalars.append(edit.scalar)
            newAlignments.append(alignment)
        }
        scalars.replaceSubrange(range, with: newScalars)
        alignments.replaceSubrange(range, with: newAlignments)
    }

    /// True when a 1:1 rewrite may be done in place: it then keeps every alignment, exactly as
    /// `transform` with all-zero changes does.
    private var canRewriteInPlace: Bool {
        guard let first = alignments.first else { return false }
        return first.start != first.end
    }

    // MARK: - Edits used by normalizers

    /// Keeps the scalars for which `keep` is true (Rust `filter`).
    mutating func filter(_ keep: (Unicode.Scalar) -> Bool) {
        guard scalars.contains(where: { !keep($0) }) else { return }
        var edits: [Edit] = []
        edits.reserveCapacity(scalars.count)
        var removed = 0
        var removedStart = 0
        var last: Unicode.Scalar?
        for scalar in scalars {
            if keep(scalar) {
                if let previous = last {
                    edits.append(Edit(scalar: previous, change: -removed))
                } else {
                    removedStart = removed
                }
                last = scalar
                removed = 0
            } else {
                removed += 1
            }
        }
        if let previous = last {
            edits.append(Edit(scalar: previous, change: -removed))
        }
        transform(edits, initialOffset: removedStart)
    }

    /// Replaces each scalar by one scalar (Rust `map`).
    mutating func map(_ transformScalar: (Unicode.Scalar) -> Unicode.Scalar) {
        if canRewriteInPlace {
            for i in scalars.indices { scalars[i] = transformScalar(scalars[i]) }
        } else {
            transform(scalars.map { Edit(scalar: transformScalar($0), change: 0) }, initialOffset: 0)
        }
    }

    /// Replaces each scalar by zero or more scalars: the first replaces it, the rest are inserted
    /// after it (the pattern of Rust `lowercase` and of BertNormalizer's Chinese-character padding).
    mutating func expand(_ replacement: (Unicode.Scalar, inout [Edit]) -> Void) {
        var edits: [Edit] = []
        edits.reserveCapacity(scalars.count + scalars.count / 4)
        for scalar in scalars { replacement(scalar, &edits) }
        transform(edits, initialOffset: 0)
    }

    /// Rust `char::to_lowercase` on every scalar (Rust `lowercase`).
    mutating func lowercase() {
        let properties = UnicodeProperties.shared
        var changed = false
        var expands = false
        for scalar in scalars where properties.has(scalar, .hasLowercase) {
            changed = true
            if properties.lowercase[scalar.value]?.count != 1 { expands = true }
        }
        guard changed else { return }
        if !expands {
            map { properties.has($0, .hasLowercase) ? properties.lowercase[$0.value]?.first ?? $0 : $0 }
            return
        }
        expand { scalar, edits in
            if properties.has(scalar, .hasLowercase), let lower = properties.lowercase[scalar.value] {
                for (i, l) in lower.enumerated() { edits.append(Edit(scalar: l, change: i > 0 ? 1 : 0)) }
            } else {
                edits.append(Edit(scalar: scalar, change: 0))
            }
        }
    }

    /// NFD or NFKD, with the alignment changes of unicode-normalization-alignments.
    mutating func decompose(compatibility: Bool) {
        guard UnicodeNormalizer.mayChange(scalars, compatibility: compatibility, composing: false) else { return }
        transform(UnicodeNormalizer.decompose(scalars, compatibility: compatibility), initialOffset: 0)
    }

    /// NFC or NFKC, with the alignment changes of unicode-normalization-alignments.
    mutating func compose(compatibility: Bool) {
        guard UnicodeNormalizer.mayChange(scalars, compatibility: compatibility, composing: true) else { return }
        let decomposed = UnicodeNormalizer.decompose(scalars, compatibility: compatibility)
        transform(UnicodeNormalizer.recompose(decomposed), initialOffset: 0)
    }

    /// Removes leading and/or trailing whitespace (Rust `lrstrip`, including its quirk of
    /// comparing a char index with a byte length, which shifts alignments for non-ASCII text).
    mutating func strip(left: Bool, right: Bool) {
        let properties = UnicodeProperties.shared
        let leading = left ? scalars.prefix(while: properties.isWhitespace).count : 0
        let trailing = right ? scalars.reversed().prefix(while: properties.isWhitespace).count : 0
        guard leading > 0 || trailing > 0 else { return }
        let count = scalars.count
        let byteCount = scalars.reduce(0) { $0 + UTF8.width($1) }
        var edits: [Edit] = []
        for (i, scalar) in scalars.enumerated() {
            if i < leading || i >= count - trailing { continue }
            edits.append(Edit(scalar: scalar, change: i == byteCount - trailing - 1 ? -trailing : 0))
        }
        transform(edits, initialOffset: leading)
    }

    /// Replaces every non-overlapping occurrence of `pattern` (leftmost first) by `content`
    /// (Rust `replace` with a literal pattern). An empty pattern changes nothing.
    mutating func replace(_ pattern: [Unicode.Scalar], with content: [Unicode.Scalar]) {
        guard !pattern.isEmpty, scalars.count >= pattern.count else { return }
        var matches: [Range<Int>] = []
        var i = 0
        while i + pattern.count <= scalars.count {
            if scalars[i] == pattern[0], scalars[i..<(i + pattern.count)].elementsEqual(pattern) {
                matches.append(i..<(i + pattern.count))
                i += pattern.count
            } else {
                i += 1
            }
        }
        replace(matches: matches, with: content)
    }

    /// Replaces the given non-empty, ordered, non-overlapping ranges by `content` (Rust `replace`
    /// once its pattern has found them). Inserted scalars share the alignment of the match's
    /// last scalar.
    mutating func replace(matches: [Range<Int>], with content: [Unicode.Scalar]) {
        guard !matches.isEmpty else { return }
        var newScalars: [Unicode.Scalar] = []
        var newAlignments: [Alignment] = []
        var lastEnd = 0
        for match in matches {
            newScalars.append(contentsOf: scalars[lastEnd..<match.lowerBound])
            newAlignments.append(contentsOf: alignments[lastEnd..<match.lowerBound])
            let alignment = alignments[match.upperBound - 1]
            for scalar in content {
                newScalars.append(scalar)
                newAlignments.append(alignment)
            }
            lastEnd = match.upperBound
        }
        newScalars.append(contentsOf: scalars[lastEnd...])
        newAlignments.append(contentsOf: alignments[lastEnd...])
        scalars = newScalars
        alignments = newAlignments
    }
}
