// SentencePiece tokenization as the `sentencepiece` package 0.2.3 (its sdist's C++ sources) does
// it, from a model file: the same ids and the same offsets into the original text.
//
// - Normalizer (normalizer.cc `Normalize`, `NormalizePrefix`): walks the text taking at each
//   position the longest user-defined symbol, else the longest key of the precompiled charsmap
//   (replaced by its value), else one character; drops leading spaces, spaces after a space and
//   trailing spaces (remove_extra_whitespaces), writes U+2581 for each space (escape_whitespaces),
//   puts U+2581 before the text (add_dummy_prefix; after it with treat_whitespace_as_suffix) and
//   keeps, for every normalized character, the UTF-8 offset of the original text it came from.
//   This is not the Rust `Precompiled` normalizer (HF's, grapheme clusters, shortest key first).
// - Unigram (unigram_model.cc `EncodeOptimized`): Viterbi over the whole normalized text in float
//   (not per word, not in double as the Rust library), pieces of types NORMAL,
//   USER_DEFINED (score 0.1 * (bytes - 1)) and UNUSED (skipped), path scores re-based beyond
//   +-100000; a character no piece
//   starts with costs min(NORMAL scores) - 10 as the unknown piece; a tie keeps the earlier start.
// - BPE (bpe_model.cc `SampleEncode`, alpha 0): characters (user-defined symbols whole and frozen),
//   then the adjacent pair whose concatenation is a piece with the highest score merges first,
//   ties to the leftmost; UNUSED pieces are split back into what made them.
// - Pieces (sentencepiece_processor.cc `PopulateSentencePieceText`): an unknown piece becomes its
//   UTF-8 bytes' `<0xNN>` pieces with byte fallback (all but the last with an empty span at its
//   start), else consecutive unknown pieces fuse into one.
// Heed works on Unicode scalars where the C++ code walks UTF-8 bytes: every piece, charsmap
// match and step of the C++ code ends on a character boundary, so the two agree. WORD and CHAR
// models are not supported.

import Foundation

/// One piece of a SentencePiece encoding (sentencepiece's `SentencePieceText.SentencePiece`).
public struct SentencePiecePiece: Equatable, Sendable {
    /// The vocabulary id.
    public var id: Int
    /// The piece: the vocabulary string, a `<0xNN>` byte piece, or the normalized text of a
    /// (fused) unknown piece.
    public var piece: String
    /// UTF-8 byte offsets in the original text (`begin`, `end`).
    public var utf8: Range<Int>
}

/// A SentencePiece model ready to encode (the C++ `SentencePieceProcessor`). Immutable; safe to
/// share across threads.
public final class SentencePieceProcessor: @unchecked Sendable {
    public let file: SentencePieceModelFile
    /// NORMAL, USER_DEFINED and UNUSED pieces (the C++ `pieces_`): piece -> id.
    private let trie: ScalarTrie
    /// CONTROL, UNKNOWN and BYTE pieces (`reserved_id_map_`): piece (UTF-8, compared byte for
    /// byte as in C++, not by canonical equivalence as Swift's String) -> id.
    private let reserved: [[UInt8]: Int]
    /// User-defined symbols (`PrefixMatcher`): matched whole in the normalizer and the BPE model.
    private let userDefined: ScalarTrie
    private let hasUserDefined: Bool
    private let charsmap: PrecompiledCharsmap?
    private let scores: [Float]
    private let types: [SentencePieceModelFile.PieceType]
    /// The unknown piece's id.
    public let unknownID: Int
    private let minScore: Float
    private let byteIDs: [Int]

    /// A processor for a model file.
    /// - Throws: `TokenizerError` (`.unsupportedComponent` for WORD and CHAR models;
    ///   `.invalidConfiguration`, as sentencepiece refuses them, for no or two UNKNOWN pieces, a
    ///   duplicate piece, an empty piece, byte fallback without all 256 byte pieces, a corrupt
    ///   charsmap).
    public init(file: SentencePieceModelFile) throws {
        guard file.modelType == .unigram || file.modelType == .bpe else {
            throw TokenizerError(kind: .unsupportedComponent,
                                 message: "SentencePiece model type \(file.modelType) is not supported (Heed runs unigram and bpe)",
                                 component: "trainer_spec.model_type", componentType: "\(file.modelType)", source: "SentencePiece model")
        }
        var trie = ScalarTrie()
        var userDefined = ScalarTrie()
        var hasUserDefined = false
        var seen = Set<[UInt8]>()
        var reserved: [[UInt8]: Int] = [:]
        var unknownID: Int?
        var minScore = Float.greatestFiniteMagnitude
        var byteIDs = [Int](repeating: -1, count: 256)
        for (id, piece) in file.pieces.enumerated() {
            guard !piece.piece.isEmpty else { throw Self.invalid("piece \(id) is empty") }
            guard seen.insert(Array(piece.piece.utf8)).inserted else {
                throw Self.invalid("piece \(id) \"\(piece.piece)\" is already defined")
            }
            switch piece.type {
            case .normal, .userDefined, .unused:
                trie.insert(piece.piece.unicodeScalars, value: id)
            case .unknown, .control, .byte:
                reserved[Array(piece.piece.utf8)] = id
            }
            if piece.type == .normal {
                minScore = min(minScore, piece.score)
            }
            if piece.type == .userDefined {
                userDefined.insert(piece.piece.unicodeScalars, value: id)
                hasUserDefined = true
            }
            if piece.type == .unknown {
                guard unknownID == nil else { throw Self.invalid("two UNKNOWN pieces (\(unknownID!) and \(id))") }
                unknownID = id
            }
            if piece.type == .byte {
                guard file.byteFallback else {
                    throw Self.invalid("byte piece \(piece.piece) is found although byte_fallback is false")
                }
                guard let byte = Self.byteValue(piece.piece) else {
                    throw Self.invalid("byte piece \(piece.piece) is invalid")
                }
                byteIDs[Int(byte)] = id
            }
        }
        guard let unknownID else { throw Self.invalid("the model has no UNKNOWN piece") }
        if file.byteFallback, byteIDs.contains(-1) {
            throw Self.invalid("there are not 256 byte pieces although byte_fallback is true")
        }
        self.file = file
        self.trie = trie
        self.reserved = reserved
        self.userDefined = userDefined
        self.hasUserDefined = hasUserDefined
        do {
            self.charsmap = file.normalizer.precompiledCharsmap.isEmpty
                ? nil : try PrecompiledCharsmap(bytes: file.normalizer.precompiledCharsmap, path: "normalizer_spec.precompiled_charsmap")
        } catch var error as TokenizerError {
            error.source = "SentencePiece model"
            throw error
        }
        self.scores = file.pieces.map(\.score)
        self.types = file.pieces.map(\.type)
        self.unknownID = unknownID
        self.minScore = minScore
        self.byteIDs = byteIDs
    }

    /// Reads a model file (`*.model`, `*.spm`). Throws as `SentencePieceModelFile(url:)` and `init(file:)`.
    public convenience init(url: URL) throws {
        try self.init(file: try SentencePieceModelFile(url: url))
    }

    /// Number of pieces (ids are 0 ..< count).
    public var pieceCount: Int { file.pieces.count }

    /// The piece of an id.
    public func piece(forID id: Int) -> String? { file.pieces.indices.contains(id) ? file.pieces[id].piece : nil }

    /// The id of a piece (`PieceToId`: reserved pieces first, then the others; nil when absent).
    public func id(forPiece piece: String) -> Int? {
        reserved[Array(piece.utf8)] ?? trie.value(for: piece.unicodeScalars)
    }

    private static func invalid(_ message: String) -> TokenizerError {
        TokenizerError(kind: .invalidConfiguration, message: message, source: "SentencePiece model")
    }

    /// Encodes a text as `SentencePieceProcessor::Encode` does (no BOS/EOS). Never fails.
    public func encode(_ text: String) -> [SentencePiecePiece] {
        let (normalized, toOriginal) = normalize(text)
        let result: [(range: Range<Int>, id: Int)] = file.modelType == .bpe ? encodeBPE(normalized) : encodeUnigram(normalized)
        // PopulateSentencePieceText.
        var pieces: [SentencePiecePiece] = []
        var previousUnknown = false
        for (range, id) in result {
            let isUnknown = id == unknownID
            let begin = toOriginal[range.lowerBound]
            if types.indices.contains(id), types[id] == .control {
                pieces.append(SentencePiecePiece(id: id, piece: file.pieces[id].piece, utf8: begin..<begin))
                previousUnknown = false
                continue
            }
            let end = max(begin, toOriginal[range.upperBound])
            let text = String(String.UnicodeScalarView(normalized[range]))
            if isUnknown && file.byteFallback {
                let bytes = Array(text.utf8)
                for (i, byte) in bytes.enumerated() {
                    pieces.append(SentencePiecePiece(id: byteIDs[Int(byte)], piece: UnigramModel.byteToken(byte),
                                                     utf8: begin..<(i == bytes.count - 1 ? end : begin)))
                }
            } else if isUnknown && previousUnknown, var last = pieces.popLast() {
                last.piece += text
                last.utf8 = last.utf8.lowerBound..<end
                pieces.append(last)
            } else {
                pieces.append(SentencePiecePiece(id: id, piece: text, utf8: begin..<end))
            }
            previousUnknown = isUnknown
        }
        return pieces
    }

    // MARK: Normalizer

    /// The normalized text and, for each of its scalars and its end, the UTF-8 offset in `text`
    /// (`norm_to_orig`, per scalar: all bytes of one normalized character share it).
    func normalize(_ text: String) -> (scalars: [Unicode.Scalar], toOriginal: [Int]) {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return ([], [0]) }
        let spec = file.normalizer
        let space: Unicode.Scalar = spec.escapeWhitespaces ? "\u{2581}" : " "
        var consumed = 0
        // NormalizePrefix: (replacement, bytes consumed).
        func prefix(_ start: Int) -> ([Unicode.Scalar], Int) {
            if hasUserDefined, let length = userDefinedMatch(bytes, from: start) {
                return (Array(String(decoding: bytes[start..<start + length], as: UTF8.self).unicodeScalars), length)
            }
            if let charsmap, let match = charsmap.longestPrefixMatch(bytes, from: start) {
                return (match.replacement, match.length)
            }
            let length = min(Self.oneCharLength(bytes[start]), bytes.count - start)
            return (Array(String(decoding: bytes[start..<start + length], as: UTF8.self).unicodeScalars), length)
        }
        if spec.removeExtraWhitespaces {
            while consumed < bytes.count {
                let (replacement, length) = prefix(consumed)
                guard replacement == [" "] else { break }
                consumed += length
            }
        }
        if consumed == bytes.count { return ([], [0]) }
        var normalized: [Unicode.Scalar] = []
        var toOriginal: [Int] = []
        normalized.reserveCapacity(bytes.count + 1)
        toOriginal.reserveCapacity(bytes.count + 2)
        if !file.treatWhitespaceAsSuffix && spec.addDummyPrefix {
            normalized.append(space)
            toOriginal.append(consumed)
        }
        var previousSpace = spec.removeExtraWhitespaces
        while consumed < bytes.count {
            var (replacement, length) = prefix(consumed)
            if previousSpace {
                while replacement.first == " " { replacement.removeFirst() }
            }
            if !replacement.isEmpty {
                for scalar in replacement {
                    normalized.append(spec.escapeWhitespaces && scalar == " " ? space : scalar)
                    toOriginal.append(consumed)
                }
                previousSpace = replacement.last == " "
            }
            consumed += length
            if !spec.removeExtraWhitespaces { previousSpace = false }
        }
        if spec.removeExtraWhitespaces {
            while normalized.last == space {
                consumed = toOriginal.removeLast()
                normalized.removeLast()
            }
        }
        if file.treatWhitespaceAsSuffix && spec.addDummyPrefix {
            normalized.append(space)
            toOriginal.append(consumed)
        }
        toOriginal.append(consumed)
        return (normalized, toOriginal)
    }

    /// The longest user-defined symbol at `start` (PrefixMatcher), in bytes.
    private func userDefinedMatch(_ bytes: [UInt8], from start: Int) -> Int? {
        // Walk scalars decoded from the bytes.
        var node = ScalarTrie.root
        var index = start
        var best: Int?
        while index < bytes.count {
            let length = min(Self.oneCharLength(bytes[index]), bytes.count - index)
            guard let scalar = String(decoding: bytes[index..<index + length], as: UTF8.self).unicodeScalars.first,
                  let next = userDefined.child(node, scalar) else { break }
            node = next
            index += length
            if userDefined.value(at: node) != nil { best = index - start }
        }
        return best
    }

    /// `string_util::OneCharLen`: the length of a UTF-8 sequence from its lead byte.
    static func oneCharLength(_ byte: UInt8) -> Int {
        switch byte >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    /// The byte of a `<0xNN>` piece.
    static func byteValue(_ piece: String) -> UInt8? {
        guard piece.count == 6, piece.hasPrefix("<0x"), piece.hasSuffix(">") else { return nil }
        return UInt8(piece.dropFirst(3).dropLast(), radix: 16)
    }

    // MARK: Unigram

    static let scoreResetThreshold: Float = 100000

    private func encodeUnigram(_ normalized: [Unicode.Scalar]) -> [(range: Range<Int>, id: Int)] {
        let count = normalized.count
        if count == 0 { return [] }
        let unknownScore = minScore - 10
        var bestScore = [Float](repeating: 0, count: count + 1)
        var bestStart = [Int](repeating: -1, count: count + 1)
        var bestID = [Int](repeating: -1, count: count + 1)
        var maxFrontier = 0
        for start in 0..<count {
            var base = bestScore[start]
            // 0.2.3: scores beyond +-100000 are re-based (every reached position from here on
            // minus the current score), which changes float rounding on long texts.
            if base < -Self.scoreResetThreshold || base > Self.scoreResetThreshold {
                let offset = base
                for i in start...max(start, maxFrontier) where i == start || bestStart[i] != -1 { bestScore[i] -= offset }
                base = 0
            }
            var hasSingle = false
            var node = ScalarTrie.root
            var end = start
            var byteLength = 0
            while end < count, let next = trie.child(node, normalized[end]) {
                node = next
                byteLength += UTF8.width(normalized[end])
                end += 1
                guard let id = trie.value(at: node), types[id] != .unused else { continue }
                maxFrontier = max(maxFrontier, end)
                // GetUserDefinedScore: 0.1 * (length - 1), length in bytes, as float; all in float.
                let score = types[id] == .userDefined ? Float(0.1 * Double(byteLength - 1)) : scores[id]
                let candidate = score + base
                if bestStart[end] == -1 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = id
                }
                if end == start + 1 { hasSingle = true }
            }
            if !hasSingle {
                maxFrontier = max(maxFrontier, start + 1)
                let candidate = unknownScore + base
                if bestStart[start + 1] == -1 || candidate > bestScore[start + 1] {
                    bestScore[start + 1] = candidate
                    bestStart[start + 1] = start
                    bestID[start + 1] = unknownID
                }
            }
        }
        var result: [(range: Range<Int>, id: Int)] = []
        var end = count
        while end > 0 {
            let start = bestStart[end]
            result.append((start..<end, bestID[end]))
            end = start
        }
        return result.reversed()
    }

    // MARK: BPE

    private struct SymbolPair {
        var left: Int
        var right: Int
        var score: Float
        var size: Int
        /// The agenda's order: higher score first, then the leftmost.
        func before(_ other: SymbolPair) -> Bool {
            score > other.score || (score == other.score && left < other.left)
        }
    }

    private func encodeBPE(_ normalized: [Unicode.Scalar]) -> [(range: Range<Int>, id: Int)] {
        if normalized.isEmpty { return [] }
        // Symbols: start, length in scalars, prev, next, freeze.
        var starts: [Int] = []
        var lengths: [Int] = []
        var frozen: [Bool] = []
        var index = 0
        while index < normalized.count {
            var length = 1
            var freeze = false
            if hasUserDefined {
                var node = ScalarTrie.root
                var end = index
                while end < normalized.count, let next = userDefined.child(node, normalized[end]) {
                    node = next
                    end += 1
                    if userDefined.value(at: node) != nil { length = end - index; freeze = true }
                }
            }
            starts.append(index)
            lengths.append(length)
            frozen.append(freeze)
            index += length
        }
        let n = starts.count
        var prev = (0..<n).map { $0 - 1 }
        var next = (0..<n).map { $0 + 1 == n ? -1 : $0 + 1 }
        var heap: [SymbolPair] = []
        // `rev_merge`: an UNUSED piece -> the two symbols that made it (the last pair seen).
        var unusedSplits: [String: (String, String)] = [:]

        func push(_ pair: SymbolPair) {
            heap.append(pair)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].before(heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }
        func pop() -> SymbolPair {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var parent = 0
                while true {
                    let l = 2 * parent + 1, r = l + 1
                    var best = parent
                    if l < heap.count && heap[l].before(heap[best]) { best = l }
                    if r < heap.count && heap[r].before(heap[best]) { best = r }
                    if best == parent { break }
                    heap.swapAt(parent, best)
                    parent = best
                }
            }
            return top
        }
        func maybeAdd(_ left: Int, _ right: Int) {
            guard left != -1, right != -1, !frozen[left], !frozen[right] else { return }
            let range = starts[left]..<(starts[right] + lengths[right])
            guard let id = trie.value(for: normalized[range]) else { return }
            push(SymbolPair(left: left, right: right, score: scores[id], size: range.count))
            if types[id] == .unused {
                let text = String(String.UnicodeScalarView(normalized[range]))
                let leftText = String(String.UnicodeScalarView(normalized[starts[left]..<(starts[left] + lengths[left])]))
                let rightText = String(String.UnicodeScalarView(normalized[starts[right]..<(starts[right] + lengths[right])]))
                unusedSplits[text] = (leftText, rightText)
            }
        }
        for i in 1..<max(n, 1) { maybeAdd(i - 1, i) }
        while !heap.isEmpty {
            let top = pop()
            // Stale: a side was merged away or grew since the pair was pushed.
            guard lengths[top.left] > 0, lengths[top.right] > 0, lengths[top.left] + lengths[top.right] == top.size else { continue }
            lengths[top.left] += lengths[top.right]
            next[top.left] = next[top.right]
            if next[top.right] >= 0 { prev[next[top.right]] = top.left }
            lengths[top.right] = 0
            maybeAdd(prev[top.left], top.left)
            maybeAdd(top.left, next[top.left])
        }
        var result: [(range: Range<Int>, id: Int)] = []
        // resegment (0.2.3): a symbol that is no NORMAL, USER_DEFINED or UNUSED piece is unknown;
        // an UNUSED piece splits into the pair that made it (unknown when none did), at most 100 deep.
        func resegment(_ range: Range<Int>, depth: Int) {
            let text = String(String.UnicodeScalarView(normalized[range]))
            let id = trie.value(for: normalized[range]) ?? unknownID
            if depth <= 100, id != unknownID, types[id] == .unused {
                guard let (left, _) = unusedSplits[text] else { result.append((range, unknownID)); return }
                let leftCount = left.unicodeScalars.count
                resegment(range.lowerBound..<(range.lowerBound + leftCount), depth: depth + 1)
                resegment((range.lowerBound + leftCount)..<range.upperBound, depth: depth + 1)
                return
            }
            result.append((range, id))
        }
        var symbol = 0
        while symbol != -1 {
            resegment(starts[symbol]..<(starts[symbol] + lengths[symbol]), depth: 0)
            symbol = next[symbol]
        }
        return result
    }
}

extension SentencePieceProcessor {
    /// The encoding as Heed's `Encoding`: one token per piece, spans converted from UTF-8 to
    /// scalars and UTF-16, `word` counting from 0 and advancing at each piece that starts with
    /// U+2581 (a new whitespace-separated word), `special` false, type id 0.
    public func encoding(_ text: String) -> Encoding {
        Encoding(tokens: Self.tokens(encode(text), text: text, wordStart: file.treatWhitespaceAsSuffix ? nil : "\u{2581}"))
    }

    /// Pieces as `EncodedToken`s (see `encoding(_:)`); `idOf` maps a piece to the id reported.
    static func tokens(_ pieces: [SentencePiecePiece], text: String, wordStart: Unicode.Scalar?,
                       idOf: ((SentencePiecePiece) -> Int)? = nil) -> [EncodedToken] {
        let scalars = Array(text.unicodeScalars)
        let converter = OffsetConverter(scalars)
        // UTF-8 offset -> scalar index (offsets inside a character round down).
        var scalarAt = [Int](repeating: 0, count: text.utf8.count + 1)
        var byte = 0
        for (i, scalar) in scalars.enumerated() {
            for k in 0..<UTF8.width(scalar) { scalarAt[byte + k] = i }
            byte += UTF8.width(scalar)
        }
        scalarAt[byte] = scalars.count
        var word = -1
        var tokens: [EncodedToken] = []
        tokens.reserveCapacity(pieces.count)
        for piece in pieces {
            if word < 0 || (wordStart != nil && piece.piece.unicodeScalars.first == wordStart) { word += 1 }
            let lower = scalarAt[min(max(piece.utf8.lowerBound, 0), byte)]
            let upper = scalarAt[min(max(piece.utf8.upperBound, 0), byte)]
            tokens.append(EncodedToken(id: idOf?(piece) ?? piece.id, text: piece.piece, special: false, word: word,
                                       span: converter.span(lower, upper), typeID: 0))
        }
        // A piece without surface (the dummy-prefix "▁" before a piece of its own, the leading
        // bytes of a byte-fallback character: sentencepiece gives them begin == end) takes the
        // span of the next piece that has one, as the tokenizers library aligns a prepended "▁"
        // with the character after it: only the tokens a post-processor inserts have empty spans
        // (protocol.md section 5.4, how clients tell them apart).
        var next: TextSpan? = nil
        for i in tokens.indices.reversed() {
            if tokens[i].span.scalars.isEmpty {
                if let next { tokens[i].span = next }
            } else {
                next = tokens[i].span
            }
        }
        return tokens
    }
}
