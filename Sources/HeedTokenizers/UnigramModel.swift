// Unigram (tokenizers/src/models/unigram/model.rs, trie.rs, serialization.rs): the SentencePiece
// unigram language model. A word is cut into the pieces whose scores (log probabilities) have the
// largest sum, found by Viterbi over the word's scalars (Rust's `encode_optimized`, which
// tokenizer.json models use: no sampling, `fuse_unk` on).
//
// Rust walks a byte trie over UTF-8; every vocabulary entry is a whole string, so a byte match that
// starts on a character boundary ends on one, and walking scalars finds the same matches. Ranges
// here are in scalars of the split; Rust's are bytes of the same characters.

/// A Unigram model read from tokenizer.json's `model` block.
final class UnigramModel: TokenizerModel {
    /// `vocab[id].0` and `vocab[id].1`; ids are positions (duplicates keep their own ids).
    private let pieces: [String]
    private let scores: [Double]
    /// Piece -> id; of duplicate pieces the last id wins (Rust's `token_to_ids`).
    private let trie: ScalarTrie
    /// The id given to characters no piece covers.
    let unknownID: Int
    /// Score of an unknown character: the lowest piece score minus 10 (`K_UNK_PENALTY`).
    let unknownScore: Double
    /// With byte fallback, text of unknown pieces becomes `<0xNN>` pieces, one per UTF-8 byte.
    let byteFallback: Bool
    /// The ids of `<0x00>` ... `<0xFF>` (empty without byte fallback).
    private let byteIDs: [Int]

    /// Reads `{"type": "Unigram", "unk_id": 3, "vocab": [["<s>", 0.0], ...], "byte_fallback": false}`.
    ///
    /// Throws `TokenizerError.invalidConfiguration` naming the field for: a missing or empty
    /// `vocab`, an entry that is not `[string, number]`, a missing or null `unk_id` (Rust accepts
    /// it but then fails on any character without a piece; Heed never fails while encoding),
    /// `unk_id` past the vocabulary, `byte_fallback` without all 256 `<0xNN>` pieces (Rust would
    /// then fall back to `unk_id` for some characters; SentencePiece always writes all 256).
    init(_ fields: JSONFields) throws {
        let path = fields.path
        let entries = try fields.array("vocab")
        guard !entries.isEmpty else {
            throw TokenizerError.invalid("\(path).vocab is empty; a Unigram model needs at least its unknown piece")
        }
        var pieces: [String] = []
        var scores: [Double] = []
        pieces.reserveCapacity(entries.count)
        scores.reserveCapacity(entries.count)
        var trie = ScalarTrie()
        var minimum = Double.infinity
        for (id, entry) in entries.enumerated() {
            let entryPath = "\(path).vocab[\(id)]"
            guard let pair = entry.arrayValue, pair.count == 2 else {
                throw TokenizerError.invalid("\(entryPath) must be a [piece, score] pair, found \(entry.shortDescription)")
            }
            let piece = try JSONFields.string(pair[0], path: "\(entryPath)[0]")
            guard let number = pair[1].numberValue else {
                throw TokenizerError.invalid("\(entryPath)[1] must be a number, found \(pair[1].typeName)")
            }
            // An integer literal is read exactly (serde's u64/i64 `as f64`); a fraction as serde_json reads it.
            let score = number.isIntegerLiteral && number.int != nil ? Double(number.int!) : SerdeFloat.rustValue(of: number.double)
            guard let score else {
                throw TokenizerError.invalid("\(entryPath)[1] \(number) is out of range")
            }
            pieces.append(piece)
            scores.append(score)
            trie.insert(piece.unicodeScalars, value: id)
            minimum = min(minimum, score)
        }
        let unkField = fields.raw("unk_id")
        guard let unkField, !unkField.isNull else {
            throw TokenizerError.invalid("\(path).unk_id is missing or null; Heed needs an unknown piece (Rust fails on any character no piece covers)")
        }
        let unknownID = try JSONFields.integer(unkField, path: "\(path).unk_id")
        guard unknownID < pieces.count else {
            throw TokenizerError.invalid("\(path).unk_id \(unknownID) is past the vocabulary (\(pieces.count) pieces)")
        }
        byteFallback = try fields.bool("byte_fallback", default: false)
        var byteIDs: [Int] = []
        if byteFallback {
            for byte in 0..<256 {
                let name = UnigramModel.byteToken(UInt8(byte))
                guard let id = trie.value(for: name.unicodeScalars) else {
                    throw TokenizerError.invalid("\(path).byte_fallback is true but the vocabulary has no \"\(name)\" piece")
                }
                byteIDs.append(id)
            }
        }
        self.pieces = pieces
        self.scores = scores
        self.trie = trie
        self.unknownID = unknownID
        self.unknownScore = minimum - 10.0
        self.byteIDs = byteIDs
    }

    /// Rust `get_vocab_size`: every entry, duplicates included.
    var vocabularySize: Int { pieces.count }

    func id(forToken token: String) -> Int? { trie.value(for: token.unicodeScalars) }

    func token(forID id: Int) -> String? { pieces.indices.contains(id) ? pieces[id] : nil }

    func tokenize(_ scalars: [Unicode.Scalar]) -> [ModelToken] {
        var tokens: [ModelToken] = []
        for range in bestPath(scalars) {
            let piece = scalars[range]
            if let id = trie.value(for: piece) {
                tokens.append(ModelToken(id: id, value: pieces[id], range: range))
                continue
            }
            // Fused unknown characters (or a run fused with a literal unknown piece).
            let text = String(String.UnicodeScalarView(piece))
            if byteFallback {
                for byte in text.utf8 {
                    tokens.append(ModelToken(id: byteIDs[Int(byte)], value: UnigramModel.byteToken(byte), range: range))
                }
            } else {
                tokens.append(ModelToken(id: unknownID, value: text, range: range))
            }
        }
        return tokens
    }

    /// The pieces of the best segmentation, as scalar ranges in order; consecutive pieces whose
    /// id is `unknownID` are fused into one range (Rust `encode_optimized` with `fuse_unk`).
    ///
    /// Viterbi: `best[i]` is the best score of a segmentation of `scalars[..<i]`. For each start,
    /// one trie walk offers every piece that begins there (shortest first); a candidate replaces
    /// the current best only when strictly greater, so of equal scores the first offered wins:
    /// the one starting earliest. A start with no one-scalar piece also offers the unknown piece
    /// for that scalar (after the trie's candidates). The walk is at most as long as the longest
    /// piece, so the cost is linear in the word's length for a given vocabulary.
    func bestPath(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let count = scalars.count
        if count == 0 { return [] }
        var bestScore = [Double](repeating: 0, count: count + 1)
        var bestStart = [Int](repeating: -1, count: count + 1)
        var bestID = [Int](repeating: 0, count: count + 1)
        for start in 0..<count {
            let base = bestScore[start]
            var hasSingle = false
            var node = ScalarTrie.root
            var end = start
            while end < count, let next = trie.child(node, scalars[end]) {
                node = next
                end += 1
                guard let id = trie.value(at: node) else { continue }
                let candidate = scores[id] + base
                if bestStart[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = id
                }
                if end == start + 1 { hasSingle = true }
            }
            if !hasSingle {
                let candidate = unknownScore + base
                if bestStart[start + 1] < 0 || candidate > bestScore[start + 1] {
                    bestScore[start + 1] = candidate
                    bestStart[start + 1] = start
                    bestID[start + 1] = unknownID
                }
            }
        }
        // Walk back from the end, fusing runs of unknown pieces.
        var ranges: [Range<Int>] = []
        var end = count
        var unknownEnd: Int?
        while end > 0 {
            let start = bestStart[end]
            if bestID[end] == unknownID {
                if unknownEnd == nil { unknownEnd = end }
            } else {
                if let fusedEnd = unknownEnd {
                    ranges.append(end..<fusedEnd)
                    unknownEnd = nil
                }
                ranges.append(start..<end)
            }
            end = start
        }
        if let fusedEnd = unknownEnd { ranges.append(0..<fusedEnd) }
        return ranges.reversed()
    }

    /// SentencePiece's name of a byte piece: `<0x41>` (two uppercase hex digits).
    static func byteToken(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }
}

