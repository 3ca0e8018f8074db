// SentencePiece's precompiled normalization rules, as the spm_precompiled crate (0.1.4, used by
// tokenizers 0.23.3) reads them: `precompiled_charsmap` is base64 (the base64 crate 0.13) of
//   u32 little-endian trie byte size T | T/4 u32 units of a darts-clone double-array trie | blob
// where the trie's keys are UTF-8 byte strings and each key's value is a byte offset into the blob,
// a UTF-8 string of NUL-terminated replacements.
//
// Rust reads the blob lazily and would panic on a trie unit or offset out of range while
// normalizing; here the whole reachable trie is walked once while loading, so a corrupt map is
// an error before any text is seen, and lookups never leave the arrays.

/// The decoded double-array trie and replacement strings.
struct PrecompiledCharsmap {
    /// darts-clone units (Rust reads them as usize; they fit in 32 bits).
    private let units: [UInt32]
    /// Replacement scalars by value (byte offset into the blob), for every key in the trie.
    private let replacements: [UInt32: [Unicode.Scalar]]

    /// Decodes and checks `precompiled_charsmap`. Throws `TokenizerError.invalidConfiguration`
    /// naming `path` for bad base64, a header or trie cut short, a blob that is not UTF-8, a trie
    /// unit that points outside the trie, or a replacement offset outside the blob or inside a
    /// character.
    init(base64 text: String, path: String) throws {
        guard let bytes = RustBase64.decode(text) else {
            throw TokenizerError.invalid("\(path) is not valid base64")
        }
        try self.init(bytes: bytes, path: path)
    }

    init(bytes: [UInt8], path: String) throws {
        func corrupt(_ why: String) -> TokenizerError {
            TokenizerError.invalid("\(path) is corrupt: \(why)")
        }
        guard bytes.count >= 4 else { throw corrupt("no trie size") }
        func u32(at offset: Int) -> UInt32 {
            UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
        }
        // Rust reads trie_size / 4 units; a remainder (1-3 bytes) becomes part of the blob.
        let unitCount = Int(u32(at: 0) / 4)
        guard bytes.count - 4 >= unitCount * 4 else {
            throw corrupt("the trie needs \(unitCount * 4) bytes, only \(bytes.count - 4) follow")
        }
        guard unitCount > 0 else { throw corrupt("the trie is empty") }
        var units = [UInt32]()
        units.reserveCapacity(unitCount)
        for i in 0..<unitCount { units.append(u32(at: 4 + 4 * i)) }
        let blob = Array(bytes[(4 + 4 * unitCount)...])
        guard String(validating: blob, as: UTF8.self) != nil else {
            throw corrupt("the replacement strings are not UTF-8")
        }

        // Walk every reachable node, probing every byte label as a lookup may.
        var values = Set<UInt32>()
        var visited = [Bool](repeating: false, count: unitCount)
        var stack = [Int(Self.offset(units[0]))]
        while let base = stack.popLast() {
            for label in 1...255 {
                let index = base ^ label
                guard index < unitCount else {
                    throw corrupt("unit \(base) has a child outside the trie (\(unitCount) units)")
                }
                let unit = units[index]
                guard Self.label(unit) == UInt32(label), !visited[index] else { continue }
                visited[index] = true
                let child = index ^ Int(Self.offset(unit))
                if Self.hasLeaf(unit) {
                    guard child < unitCount else { throw corrupt("unit \(index) has its value outside the trie") }
                    values.insert(Self.value(units[child]))
                }
                stack.append(child)
            }
        }

        var replacements: [UInt32: [Unicode.Scalar]] = [:]
        for value in values {
            let start = Int(value)
            guard start <= blob.count else {
                throw corrupt("replacement offset \(start) is past the strings (\(blob.count) bytes)")
            }
            if start < blob.count, blob[start] & 0xC0 == 0x80 {
                throw corrupt("replacement offset \(start) is inside a character")
            }
            let end = blob[start...].firstIndex(of: 0) ?? blob.count
            replacements[value] = Array(String(decoding: blob[start..<end], as: UTF8.self).unicodeScalars)
        }
        self.units = units
        self.replacements = replacements
    }

    /// The replacement of the shortest key that is a prefix of `bytes` (Rust `transform`, which
    /// takes the first of `common_prefix_search`'s results); the search stops at a NUL byte.
    func firstMatch<C: Collection>(_ bytes: C) -> [Unicode.Scalar]? where C.Element == UInt8 {
        var position = Int(Self.offset(units[0]))
        for byte in bytes {
            if byte == 0 { return nil }
            position ^= Int(byte)
            guard position < units.count else { return nil }  // ruled out when loading
            let unit = units[position]
            guard Self.label(unit) == UInt32(byte) else { return nil }
            position ^= Int(Self.offset(unit))
            if Self.hasLeaf(unit) {
                guard position < units.count else { return nil }  // ruled out when loading
                return replacements[Self.value(units[position])]
            }
        }
        return nil
    }

    // darts-clone unit fields.
    /// The longest key that is a prefix of `bytes[start...]`, with its replacement: Darts'
    /// `commonPrefixSearch` keeping the longest result, as SentencePiece's
    /// `Normalizer::NormalizePrefix` does (normalizer.cc). Nil when no key matches.
    func longestPrefixMatch(_ bytes: [UInt8], from start: Int) -> (length: Int, replacement: [Unicode.Scalar])? {
        var position = Int(Self.offset(units[0]))
        var best: (length: Int, replacement: [Unicode.Scalar])?
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0 { break }
            position ^= Int(byte)
            guard position < units.count else { break }
            let unit = units[position]
            guard Self.label(unit) == UInt32(byte) else { break }
            position ^= Int(Self.offset(unit))
            index += 1
            if Self.hasLeaf(unit), position < units.count, let replacement = replacements[Self.value(units[position])] {
                best = (index - start, replacement)
            }
        }
        return best
    }

    @inline(__always) private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ unit: UInt32) -> UInt32 { unit & 0x7FFF_FFFF }
    @inline(__always) private static func label(_ unit: UInt32) -> UInt32 { unit & 0x8000_00FF }
    @inline(__always) private static func offset(_ unit: UInt32) -> UInt32 {
        (unit >> 10) << ((unit & (1 << 9)) >> 6)
    }
}

/// Base64 decoding as the Rust base64 crate 0.13 `decode` does it: the standard alphabet, no
/// whitespace, padding optional but at most two `=` at the very end in the third or fourth place
/// of a group, and the unused low bits of the last symbol zero.
enum RustBase64 {
    static func decode(_ text: String) -> [UInt8]? {
        var symbols = Array(text.utf8)
        var padding = 0
        while padding < 2, let last = symbols.last, last == UInt8(ascii: "=") {
            // An "=" is only allowed at positions 2 and 3 of a group of four.
            guard (symbols.count - 1) % 4 >= 2 else { return nil }
            symbols.removeLast()
            padding += 1
        }
        if (symbols.count + padding) % 4 == 1 || symbols.count % 4 == 1 { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(symbols.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for symbol in symbols {
            guard let sextet = sextet(symbol) else { return nil }
            accumulator = accumulator << 6 | UInt32(sextet)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // Left-over bits of the last symbol must be zero.
        if accumulator != 0 { return nil }
        return output
    }

    private static func sextet(_ symbol: UInt8) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return symbol - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return symbol - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return symbol - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}
