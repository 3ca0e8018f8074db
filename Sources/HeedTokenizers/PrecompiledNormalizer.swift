// The `Precompiled` normalizer (tokenizers/src/normalizers/precompiled.rs): SentencePiece's
// normalization rules (e.g. nmt_nfkc) applied the way the Rust library applies them, quirks
// included. For each extended grapheme cluster of the text:
// - if it is shorter than 6 UTF-8 bytes and a key of the charsmap is a prefix of it, the whole
//   cluster is replaced by the replacement of the *shortest* such key (so "ｅ" + U+0301 becomes
//   "e": the accent is dropped with it);
// - otherwise each character is replaced by its own match, or kept.
// The edits are collected as one list of (scalar, change) exactly as Rust's `replace` helper
// builds its `transformations` vector, then applied with one `transform`, so alignments agree
// (a removal at the very start shifts the next scalar's alignment, as in Rust).
//
// Grapheme clusters come from Swift's String (Unicode's extended grapheme cluster rules), where
// Rust uses the unicode-segmentation crate (1.13). Both follow UAX #29; a cluster boundary only
// matters here for clusters under 6 bytes whose first character starts a key.

/// SentencePiece's precompiled character map as a normalizer.
struct PrecompiledNormalizer: Normalizer {
    let charsmap: PrecompiledCharsmap

    func normalize(_ text: inout NormalizedText) {
        let scalars = text.scalars
        guard !scalars.isEmpty else { return }
        var edits: [Edit] = []
        edits.reserveCapacity(scalars.count)
        var modified = false
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var start = 0
        for cluster in text.string {
            let end = start + cluster.unicodeScalars.count
            defer { start = end }
            let graphemeScalars = scalars[start..<end]
            bytes.removeAll(keepingCapacity: true)
            for scalar in graphemeScalars { UTF8.encode(scalar) { bytes.append($0) } }
            if bytes.count < 6, let replacement = charsmap.firstMatch(bytes) {
                modified = true
                Self.replace(&edits, oldCount: graphemeScalars.count, with: replacement)
                continue
            }
            for scalar in graphemeScalars {
                bytes.removeAll(keepingCapacity: true)
                UTF8.encode(scalar) { bytes.append($0) }
                if let replacement = charsmap.firstMatch(bytes) {
                    modified = true
                    Self.replace(&edits, oldCount: 1, with: replacement)
                } else {
                    edits.append(Edit(scalar: scalar, change: 0))
                }
            }
        }
        if modified { text.transform(edits, initialOffset: 0) }
    }

    /// Rust's `replace(transformations, old_part, new_part)`: the new scalars replace old ones one
    /// for one; extra new scalars are marked as insertions (the last ones); fewer new scalars
    /// charge the removal to the last edit so far, even one of an earlier character.
    static func replace(_ edits: inout [Edit], oldCount: Int, with replacement: [Unicode.Scalar]) {
        let difference = replacement.count - oldCount
        let first = edits.count
        for scalar in replacement { edits.append(Edit(scalar: scalar, change: 0)) }
        if difference > 0 {
            for i in (edits.count - difference)..<edits.count where i >= first { edits[i].change = 1 }
        } else if difference < 0, !edits.isEmpty {
            edits[edits.count - 1].change += difference
        }
    }
}
