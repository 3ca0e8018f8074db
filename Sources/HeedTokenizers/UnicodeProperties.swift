// Character classes and mappings exactly as the Rust tokenizers library answers them, read
// from the generated UnicodeTables.swift (see generate_unicode_tables.py for why Swift's own
// Unicode data is not used).

/// Per-code-point flags and mappings, built once on first use (about 3 MB).
final class UnicodeProperties: @unchecked Sendable {
    static let shared = UnicodeProperties()

    struct Flags: OptionSet {
        let rawValue: UInt16
        /// BertNormalizer clean_text removes it.
        static let cleanTextRemoved = Flags(rawValue: 1 << 0)
        /// BertNormalizer clean_text turns it into U+0020.
        static let cleanTextSpace = Flags(rawValue: 1 << 1)
        /// Rust `char::is_whitespace` (= regex crate \s = Oniguruma \s, checked by the generator).
        static let whitespace = Flags(rawValue: 1 << 2)
        /// BertPreTokenizer / Punctuation punctuation.
        static let punctuation = Flags(rawValue: 1 << 3)
        /// unicode_categories Mn (BertNormalizer strip_accents).
        static let nonspacingMark = Flags(rawValue: 1 << 4)
        /// unicode-normalization combining mark (StripAccents normalizer).
        static let combiningMark = Flags(rawValue: 1 << 5)
        /// regex \w.
        static let word = Flags(rawValue: 1 << 6)
        /// `char::to_lowercase` is not the identity.
        static let hasLowercase = Flags(rawValue: 1 << 7)
        /// Has a canonical (NFD) decomposition table entry.
        static let hasCanonical = Flags(rawValue: 1 << 8)
        /// Has a compatibility (NFKD) decomposition table entry.
        static let hasCompatibility = Flags(rawValue: 1 << 9)
        /// Canonical combining class is not zero.
        static let combining = Flags(rawValue: 1 << 10)
        /// First element of a primary composition pair.
        static let composesFirst = Flags(rawValue: 1 << 11)
        /// Oniguruma \p{L} (the regexes of Split and ByteLevel; their \s is `whitespace`).
        static let letter = Flags(rawValue: 1 << 12)
        /// Oniguruma \p{N}.
        static let number = Flags(rawValue: 1 << 13)
        /// Rust `char::is_numeric` (Digits pre-tokenizer); newer Unicode than Oniguruma's \p{N}.
        static let numeric = Flags(rawValue: 1 << 14)
    }

    /// Flags indexed by code point (0...0x10FFFF).
    let flags: [UInt16]
    let lowercase: [UInt32: [Unicode.Scalar]]
    let canonical: [UInt32: [Unicode.Scalar]]
    let compatibility: [UInt32: [Unicode.Scalar]]
    let combiningClasses: [UInt32: UInt8]
    /// (first << 21 | second) -> composite.
    let composition: [UInt64: Unicode.Scalar]

    private init() {
        var flags = [UInt16](repeating: 0, count: 0x110000)
        func mark(_ table: String, _ flag: Flags) {
            TableText.forEachRange(table) { lo, hi in
                for cp in lo...hi { flags[Int(cp)] |= flag.rawValue }
            }
        }
        mark(UnicodeTableText.cleanTextRemoved, .cleanTextRemoved)
        mark(UnicodeTableText.cleanTextSpace, .cleanTextSpace)
        mark(UnicodeTableText.whitespace, .whitespace)
        mark(UnicodeTableText.punctuation, .punctuation)
        mark(UnicodeTableText.nonspacingMark, .nonspacingMark)
        mark(UnicodeTableText.combiningMark, .combiningMark)
        mark(UnicodeTableText.wordCharacter, .word)
        mark(UnicodeTableText.letter, .letter)
        mark(UnicodeTableText.number, .number)
        mark(UnicodeTableText.numeric, .numeric)

        func map(_ table: String, _ flag: Flags) -> [UInt32: [Unicode.Scalar]] {
            var result: [UInt32: [Unicode.Scalar]] = [:]
            TableText.forEachMapping(table) { key, values in
                result[key] = values.compactMap(Unicode.Scalar.init)
                flags[Int(key)] |= flag.rawValue
            }
            return result
        }
        lowercase = map(UnicodeTableText.lowercase, .hasLowercase)
        canonical = map(UnicodeTableText.canonicalDecomposition, .hasCanonical)
        compatibility = map(UnicodeTableText.compatibilityDecomposition, .hasCompatibility)

        var classes: [UInt32: UInt8] = [:]
        TableText.forEachMapping(UnicodeTableText.combiningClass) { key, values in
            classes[key] = UInt8(truncatingIfNeeded: values.first ?? 0)
            flags[Int(key)] |= Flags.combining.rawValue
        }
        combiningClasses = classes

        var composition: [UInt64: Unicode.Scalar] = [:]
        TableText.forEachMapping(UnicodeTableText.primaryComposite) { key, values in
            guard values.count == 2, let composite = Unicode.Scalar(key) else { return }
            composition[UInt64(values[0]) << 21 | UInt64(values[1])] = composite
            flags[Int(values[0])] |= Flags.composesFirst.rawValue
        }
        self.composition = composition
        self.flags = flags
    }

    @inline(__always)
    func has(_ scalar: Unicode.Scalar, _ flag: Flags) -> Bool {
        flags[Int(scalar.value)] & flag.rawValue != 0
    }

    @inline(__always)
    func isWhitespace(_ scalar: Unicode.Scalar) -> Bool { has(scalar, .whitespace) }

    @inline(__always)
    func isWord(_ scalar: Unicode.Scalar) -> Bool { has(scalar, .word) }

    /// Canonical combining class (Unicode 9.0 table of the normalizer).
    @inline(__always)
    func combiningClass(_ scalar: Unicode.Scalar) -> UInt8 {
        has(scalar, .combining) ? combiningClasses[scalar.value] ?? 0 : 0
    }

    /// BertNormalizer's "Chinese character" (CJK Unified Ideographs blocks; not kana or hangul).
    @inline(__always)
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}

/// Parsing of the generated table text: hex numbers, `lo-hi` ranges, `key:v.v` mappings.
enum TableText {
    static func forEachRange(_ text: String, _ body: (UInt32, UInt32) -> Void) {
        var lo: UInt32 = 0
        var current: UInt32 = 0
        var inNumber = false
        var inRange = false
        func finish() {
            if inRange { body(lo, current) } else { body(current, current) }
            inRange = false
        }
        for byte in text.utf8 {
            if let digit = hexDigit(byte) {
                current = inNumber ? current << 4 | digit : digit
                inNumber = true
            } else if byte == UInt8(ascii: "-") {
                lo = current
                inRange = true
                inNumber = false
            } else if inNumber {
                finish()
                inNumber = false
            }
        }
        if inNumber { finish() }
    }

    static func forEachMapping(_ text: String, _ body: (UInt32, [UInt32]) -> Void) {
        var key: UInt32 = 0
        var values: [UInt32] = []
        var current: UInt32 = 0
        var inNumber = false
        var inValues = false
        for byte in text.utf8 {
            if let digit = hexDigit(byte) {
                current = inNumber ? current << 4 | digit : digit
                inNumber = true
                continue
            }
            if byte == UInt8(ascii: ":") {
                key = current
                inValues = true
            } else if byte == UInt8(ascii: ".") {
                values.append(current)
            } else if inValues && inNumber {
                values.append(current)
                body(key, values)
                values.removeAll(keepingCapacity: true)
                inValues = false
            }
            inNumber = false
        }
        if inValues && inNumber {
            values.append(current)
            body(key, values)
        }
    }

    @inline(__always)
    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - 0x30)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - 0x61 + 10)
        default: return nil
        }
    }
}
