// Heed's own strict JSON reader (RFC 8259), shared by the tokenizer (tokenizer.json), the
// checkpoints (config.json, safetensors headers) and the daemon (JSON-RPC bodies).
//
// Why not JSONSerialization: it rejects a whole document for one lone surrogate escape, while the
// protocol answers such a request -32602 with its own id (DESIGN.md); it compares member names
// with canonical equivalence (two vocabulary keys that differ only in normalization collide); it
// cannot report duplicate names (a safetensors header must reject them); it is slow and bridges
// through Foundation objects. This reader is iterative (an explicit container stack, so deep input
// cannot overflow the call stack), bounded by `maxDepth`, validates UTF-8, and rejects everything
// the RFC does not allow: trailing commas, leading zeros, unescaped control characters, comments,
// a byte order mark, trailing data. What callers disagree on is an option (`JSONParser.Options`).

/// Why a document is not JSON (or breaks an option), and where.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. "expected ',' or ']' after an array element, found 'x'".
    public let message: String
    /// Offset of the offending byte in the input.
    public let byteOffset: Int
    /// With `DuplicateKeys.reject`: the repeated member name when that is the problem, else nil.
    public let duplicateKey: String?
    /// With a `duplicateKey`: how deep its object sits (1 for the top-level object).
    public let depth: Int

    /// An error of `message` at `byteOffset`.
    public init(message: String, byteOffset: Int, duplicateKey: String? = nil, depth: Int = 0) {
        self.message = message
        self.byteOffset = byteOffset
        self.duplicateKey = duplicateKey
        self.depth = depth
    }

    /// "invalid JSON at byte N: MESSAGE".
    public var description: String { "invalid JSON at byte \(byteOffset): \(message)" }
}

/// Parses JSON text into `JSONValue`.
public enum JSONParser {
    /// The default nesting limit (arrays and objects inside each other).
    public static let defaultMaxDepth = 512

    /// What to do with a `\uD800`-`\uDFFF` escape that is not part of a surrogate pair.
    public enum LoneSurrogates: Sendable {
        /// Keep the string with U+FFFD in place of each lone surrogate and set its
        /// `loneSurrogate` flag (JSON-RPC: the daemon answers -32602 with the request's id).
        case replace
        /// Reject the document (serde_json and Foundation do; tokenizer.json, config.json and
        /// safetensors headers).
        case reject
    }

    /// What to do with an object that repeats a member name (names compared byte for byte).
    public enum DuplicateKeys: Sendable {
        /// Keep one member: the last value wins, at the position of the first occurrence (what
        /// serde_json does for maps, Python's json module and JSONTestSuite's
        /// y_object_duplicated_key expect).
        case lastWins
        /// Reject the document with a `JSONParseError` whose `duplicateKey` names the member
        /// (safetensors headers: tensor names must be unique).
        case reject
    }

    /// Reader options: everything callers disagree on.
    public struct Options: Sendable {
        /// Lone surrogate escapes: replaced and flagged, or rejected.
        public var loneSurrogates: LoneSurrogates
        /// Repeated member names: last wins, or rejected.
        public var duplicateKeys: DuplicateKeys
        /// Nesting limit (arrays and objects inside each other).
        public var maxDepth: Int

        /// Options; the defaults are `jsonRPC`'s.
        public init(loneSurrogates: LoneSurrogates = .replace, duplicateKeys: DuplicateKeys = .lastWins,
                    maxDepth: Int = JSONParser.defaultMaxDepth) {
            self.loneSurrogates = loneSurrogates
            self.duplicateKeys = duplicateKeys
            self.maxDepth = maxDepth
        }

        /// JSON-RPC bodies: lone surrogates replaced and flagged, duplicate names last-wins.
        public static let jsonRPC = Options()
        /// Configuration files (tokenizer.json, config.json): lone surrogates rejected, duplicate
        /// names last-wins (serde_json maps and Python's json module keep the last).
        public static let configuration = Options(loneSurrogates: .reject, duplicateKeys: .lastWins)
        /// Both rejected (safetensors headers).
        public static let strict = Options(loneSurrogates: .reject, duplicateKeys: .reject)
    }

    /// Parses one complete document (surrounding whitespace allowed, nothing else).
    public static func parse(_ bytes: some Collection<UInt8>, options: Options = .jsonRPC) throws -> JSONValue {
        if let value = try bytes.withContiguousStorageIfAvailable({ try parse(buffer: $0, options: options) }) {
            return value
        }
        return try Array(bytes).withUnsafeBufferPointer { try parse(buffer: $0, options: options) }
    }

    /// Parses the UTF-8 of `text` (a convenience for tests and literals).
    public static func parse(_ text: String, options: Options = .jsonRPC) throws -> JSONValue {
        var text = text
        return try text.withUTF8 { try parse(buffer: $0, options: options) }
    }

    /// Parses the bytes of `buffer` (one complete document).
    public static func parse(buffer: UnsafeBufferPointer<UInt8>, options: Options = .jsonRPC) throws -> JSONValue {
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            throw JSONParseError(message: "empty document", byteOffset: 0)
        }
        var reader = JSONReader(base: base, end: buffer.count, options: options)
        return try reader.parseDocument()
    }
}

private let quote: UInt8 = 0x22, backslash: UInt8 = 0x5C, comma: UInt8 = 0x2C, colon: UInt8 = 0x3A
private let openBracket: UInt8 = 0x5B, closeBracket: UInt8 = 0x5D, openBrace: UInt8 = 0x7B, closeBrace: UInt8 = 0x7D

/// Exact powers of ten for the fast number path (10^22 is the last one exact in a Double).
private let exactPowersOf10: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

private struct JSONReader {
    let base: UnsafePointer<UInt8>
    let end: Int
    let maxDepth: Int
    let rejectLoneSurrogates: Bool
    let rejectDuplicateKeys: Bool
    var i = 0

    /// Open containers, innermost last.
    struct Container {
        let isObject: Bool
        let valueStart: Int
        let keyStart: Int
    }
    var containers: [Container] = []
    /// Finished values of all open containers, in order.
    var values: [JSONValue] = []
    /// Member names of all open objects, in order, with their lone-surrogate flags.
    var keys: [String] = []
    var keyHasLoneSurrogate: [Bool] = []
    /// Offsets of the member names' opening quotes (kept only to report duplicates).
    var keyOffsets: [Int] = []
    /// Decoded bytes of a string with escapes.
    var scratch: [UInt8] = []

    init(base: UnsafePointer<UInt8>, end: Int, options: JSONParser.Options) {
        self.base = base
        self.end = end
        self.maxDepth = options.maxDepth
        self.rejectLoneSurrogates = options.loneSurrogates == .reject
        self.rejectDuplicateKeys = options.duplicateKeys == .reject
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(message: message, byteOffset: offset ?? i)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while i < end {
            switch base[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return
            }
        }
    }

    mutating func parseDocument() throws -> JSONValue {
        skipWhitespace()
        var value: JSONValue
        readValue: while true {
            guard i < end else { throw error(containers.isEmpty ? "expected a value" : "unexpected end of input, expected a value") }
            switch base[i] {
            case openBrace:
                try open(isObject: true)
                skipWhitespace()
                if i < end && base[i] == closeBrace {
                    i += 1
                    value = try closeObject()
                } else {
                    try readMemberName()
                    continue readValue
                }
            case openBracket:
                try open(isObject: false)
                skipWhitespace()
                if i < end && base[i] == closeBracket {
                    i += 1
                    value = closeArray()
                } else {
                    continue readValue
                }
            case quote:
                let (s, lone) = try readString()
                value = .string(s, loneSurrogate: lone)
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = try readNumber()
            default:
                throw error(unexpectedCharacterMessage("expected a value"))
            }

            // A value is complete: hand it to its container, closing containers as they end.
            while true {
                guard let top = containers.last else {
                    skipWhitespace()
                    if i != end { throw error(unexpectedCharacterMessage("unexpected data after the top-level value")) }
                    return value
                }
                values.append(value)
                skipWhitespace()
                guard i < end else {
                    throw error(top.isObject ? "unexpected end of input inside an object" : "unexpected end of input inside an array")
                }
                let c = base[i]
                i += 1
                if top.isObject {
                    if c == comma {
                        skipWhitespace()
                        try readMemberName()
                        continue readValue
                    }
                    if c == closeBrace {
                        value = try closeObject()
                        continue
                    }
                    i -= 1
                    throw error(unexpectedCharacterMessage("expected ',' or '}' after an object member"))
                } else {
                    if c == comma {
                        skipWhitespace()
                        continue readValue
                    }
                    if c == closeBracket {
                        value = closeArray()
                        continue
                    }
                    i -= 1
                    throw error(unexpectedCharacterMessage("expected ',' or ']' after an array element"))
                }
            }
        }
    }

    func unexpectedCharacterMessage(_ what: String) -> String {
        guard i < end else { return what }
        let c = base[i]
        if c >= 0x20 && c < 0x7F { return "\(what), found '\(Character(Unicode.Scalar(c)))'" }
        return "\(what), found byte 0x\(String(c, radix: 16, uppercase: true))"
    }

    mutating func open(isObject: Bool) throws {
        guard containers.count < maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        containers.append(Container(isObject: isObject, valueStart: values.count, keyStart: keys.count))
        i += 1
    }

    mutating func closeArray() -> JSONValue {
        let c = containers.removeLast()
        let items = Array(values[c.valueStart...])
        values.removeSubrange(c.valueStart...)
        return .array(items)
    }

    /// Pops the innermost object; duplicate names (compared byte for byte) keep the first
    /// position and the last value, or throw with `rejectDuplicateKeys`.
    mutating func closeObject() throws -> JSONValue {
        let c = containers.removeLast()
        let n = keys.count - c.keyStart
        var outKeys: [String] = []
        var outValues: [JSONValue] = []
        var lone: [Int] = []
        outKeys.reserveCapacity(n)
        outValues.reserveCapacity(n)
        var index: [JSONKey: Int] = [:]
        let useIndex = n > 16
        for m in 0..<n {
            let key = keys[c.keyStart + m]
            let value = values[c.valueStart + m]
            let existing: Int? = useIndex ? index[JSONKey(key)] : outKeys.firstIndex { JSONKey.bytesEqual($0, key) }
            if let e = existing {
                if rejectDuplicateKeys {
                    throw JSONParseError(message: "duplicate member name \"\(key)\"", byteOffset: keyOffsets[c.keyStart + m],
                                         duplicateKey: key, depth: containers.count + 1)
                }
                outValues[e] = value
                if keyHasLoneSurrogate[c.keyStart + m] && !lone.contains(e) { lone.append(e) }
            } else {
                if useIndex { index[JSONKey(key)] = outKeys.count }
                if keyHasLoneSurrogate[c.keyStart + m] { lone.append(outKeys.count) }
                outKeys.append(key)
                outValues.append(value)
            }
        }
        keys.removeSubrange(c.keyStart...)
        keyHasLoneSurrogate.removeSubrange(c.keyStart...)
        if rejectDuplicateKeys { keyOffsets.removeSubrange(c.keyStart...) }
        values.removeSubrange(c.valueStart...)
        return .object(JSONObject(uniqueKeys: outKeys, values: outValues, loneSurrogateKeys: lone))
    }

    /// Reads `"name"`, whitespace, `:` and whitespace.
    mutating func readMemberName() throws {
        guard i < end, base[i] == quote else {
            throw error(i < end ? unexpectedCharacterMessage("expected a member name in double quotes") : "unexpected end of input inside an object")
        }
        if rejectDuplicateKeys { keyOffsets.append(i) }
        let (key, lone) = try readString()
        keys.append(key)
        keyHasLoneSurrogate.append(lone)
        skipWhitespace()
        guard i < end, base[i] == colon else {
            throw error(i < end ? unexpectedCharacterMessage("expected ':' after a member name") : "unexpected end of input inside an object")
        }
        i += 1
        skipWhitespace()
    }

    mutating func expectLiteral(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        let p = word.utf8Start
        guard end - i >= n else { throw error("invalid literal (expected \(word))") }
        for k in 0..<n where base[i + k] != p[k] {
            throw error("invalid literal (expected \(word))", at: i + k)
        }
        i += n
    }

    // MARK: Strings

    /// Reads a string literal starting at its opening quote. The flag tells whether it held a
    /// lone surrogate escape (replaced by U+FFFD).
    mutating func readString() throws -> (String, Bool) {
        i += 1
        let start = i
        while i < end {
            let c = base[i]
            if c == quote {
                let s = String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
                i += 1
                return (s, false)
            }
            if c == backslash { return try readEscapedString(from: start) }
            if c < 0x20 { throw error("unescaped control character in a string") }
            if c < 0x80 {
                i += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        throw error("unterminated string", at: start - 1)
    }

    /// The slow path: the string has escapes; decode into `scratch`.
    mutating func readEscapedString(from start: Int) throws -> (String, Bool) {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: base + start, count: i - start))
        var lone = false
        while i < end {
            let c = base[i]
            if c == quote {
                i += 1
                return (String(decoding: scratch, as: UTF8.self), lone)
            }
            if c == backslash {
                guard i + 1 < end else { break }
                let e = base[i + 1]
                i += 2
                switch e {
                case quote, backslash, UInt8(ascii: "/"): scratch.append(e)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    guard let unit = hex4(at: i) else { throw error("invalid \\u escape: four hex digits expected", at: i - 2) }
                    i += 4
                    var scalar: UInt32 = unit
                    if unit >= 0xD800 && unit < 0xDC00 {
                        // A high surrogate pairs only with an immediately following low one.
                        if i + 6 <= end, base[i] == backslash, base[i + 1] == UInt8(ascii: "u"),
                           let low = hex4(at: i + 2), low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        } else {
                            if rejectLoneSurrogates { throw loneSurrogate(unit, at: i - 6) }
                            lone = true
                            scalar = 0xFFFD
                        }
                    } else if unit >= 0xDC00 && unit < 0xE000 {
                        if rejectLoneSurrogates { throw loneSurrogate(unit, at: i - 6) }
                        lone = true
                        scalar = 0xFFFD
                    }
                    appendUTF8(scalar)
                default:
                    throw error("invalid escape '\\\(e >= 0x20 && e < 0x7F ? String(Character(Unicode.Scalar(e))) : "?")'", at: i - 2)
                }
            } else if c < 0x20 {
                throw error("unescaped control character in a string")
            } else if c < 0x80 {
                // A run of plain ASCII, appended at once.
                let runStart = i
                i += 1
                while i < end {
                    let d = base[i]
                    if d == quote || d == backslash || d < 0x20 || d >= 0x80 { break }
                    i += 1
                }
                scratch.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart))
            } else {
                let s = i
                try skipUTF8Sequence()
                scratch.append(contentsOf: UnsafeBufferPointer(start: base + s, count: i - s))
            }
        }
        throw error("unterminated string", at: start - 1)
    }

    func loneSurrogate(_ unit: UInt32, at offset: Int) -> JSONParseError {
        let hex = String(unit, radix: 16, uppercase: true)
        return error("lone surrogate escape \\u\(hex) (not part of a surrogate pair)", at: offset)
    }

    func hex4(at k: Int) -> UInt32? {
        guard k + 4 <= end else { return nil }
        var v: UInt32 = 0
        for j in 0..<4 {
            let c = base[k + j]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | (scalar >> 12) & 0x3F))
            scratch.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Checks one multi-byte UTF-8 sequence at `i` (Unicode 15 table 3-7: no overlong forms, no
    /// encoded surrogates, nothing above U+10FFFF) and steps over it.
    mutating func skipUTF8Sequence() throws {
        let lead = base[i]
        var count: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // range of the first continuation byte
        switch lead {
        case 0xC2...0xDF: count = 1
        case 0xE0: count = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 2
        case 0xED: count = 2; high = 0x9F
        case 0xF0: count = 3; low = 0x90
        case 0xF1...0xF3: count = 3
        case 0xF4: count = 3; high = 0x8F
        default: throw error("invalid UTF-8 byte 0x\(String(lead, radix: 16, uppercase: true))")
        }
        guard i + count < end else { throw error("truncated UTF-8 sequence") }
        let first = base[i + 1]
        guard first >= low && first <= high else { throw error("invalid UTF-8 sequence", at: i + 1) }
        var k = 2
        while k <= count {
            let b = base[i + k]
            guard b & 0xC0 == 0x80 else { throw error("invalid UTF-8 sequence", at: i + k) }
            k += 1
        }
        i += count + 1
    }

    // MARK: Numbers

    @inline(__always)
    func isDigit(_ k: Int) -> Bool {
        k < end && base[k] &- UInt8(ascii: "0") < 10
    }

    /// number = [ "-" ] ( "0" / digit1-9 *digit ) [ "." 1*digit ] [ ("e" / "E") [ "+" / "-" ] 1*digit ]
    mutating func readNumber() throws -> JSONValue {
        let start = i
        let negative = base[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard isDigit(i) else { throw error("expected a digit in a number") }

        // value = mantissa * 10^exponent10 while the mantissa holds at most 19 digits.
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent10 = 0
        var truncated = false
        if base[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while isDigit(i) {
                if significantDigits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(base[i] &- UInt8(ascii: "0"))
                    significantDigits += 1
                } else {
                    if base[i] != UInt8(ascii: "0") { truncated = true }
                    exponent10 += 1
                }
                i += 1
            }
        }
        var isInteger = true
        if i < end && base[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard isDigit(i) else { throw error("expected a digit after the decimal point") }
            while isDigit(i) {
                let d = base[i] &- UInt8(ascii: "0")
                if significantDigits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    if mantissa != 0 { significantDigits += 1 }
                    exponent10 -= 1
                } else if d != 0 {
                    truncated = true
                }
                i += 1
            }
        }
        if i < end && (base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E")) {
            isInteger = false
            i += 1
            var exponentNegative = false
            if i < end && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) {
                exponentNegative = base[i] == UInt8(ascii: "-")
                i += 1
            }
            guard isDigit(i) else { throw error("expected a digit in the exponent") }
            var e = 0
            while isDigit(i) {
                if e < 1_000_000 { e = e * 10 + Int(base[i] &- UInt8(ascii: "0")) }
                i += 1
            }
            exponent10 += exponentNegative ? -e : e
        }

        var int: Int? = nil
        if isInteger && exponent10 == 0 {
            if negative {
                if mantissa <= UInt64(Int.max) + 1 { int = mantissa == UInt64(Int.max) + 1 ? Int.min : -Int(mantissa) }
            } else if mantissa <= UInt64(Int.max) {
                int = Int(mantissa)
            }
        }

        var double: Double
        if mantissa == 0 && !truncated {
            double = 0
        } else if !truncated && mantissa <= 1 << 53 && exponent10 >= -22 && exponent10 <= 22 {
            // Both operands exact: one correctly rounded operation (Clinger's fast path).
            double = Double(mantissa)
            if exponent10 < 0 { double /= exactPowersOf10[-exponent10] } else { double *= exactPowersOf10[exponent10] }
        } else {
            // Rare: many digits or a large exponent. The standard library rounds correctly.
            let text = String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
            double = Double(text).map { abs($0) } ?? (exponent10 < 0 ? 0 : .infinity)
        }
        if negative { double = -double }
        let integral = isInteger || Self.literalIsIntegral(UnsafeBufferPointer(start: base + start, count: i - start))
        return .number(JSONNumber(double: double, isIntegerLiteral: isInteger, int: int, literalIsIntegral: integral))
    }

    /// True when a number literal with a fraction or an exponent denotes exactly an integer,
    /// decided on its digits, never on the rounded Double: `2.0`, `1.5e1`, `0e-400` are
    /// integers; `1e-400` (which rounds to 0) and `0.5` are not. The literal is
    /// `[-] digits [. digits] [e [+-] digits]`, already validated.
    static func literalIsIntegral(_ literal: UnsafeBufferPointer<UInt8>) -> Bool {
        // value = 0.d1 d2 ... dn * 10^(pointPosition + exponent): digit k (0-based) has weight
        // 10^(pointPosition + exponent - 1 - k), so the value is an integer exactly when every
        // nonzero digit has k < pointPosition + exponent.
        var k = 0, lastNonzero = -1, pointPosition = -1, exponent = 0, exponentNegative = false
        var j = 0
        if j < literal.count && literal[j] == UInt8(ascii: "-") { j += 1 }
        while j < literal.count {
            let c = literal[j]
            if c == UInt8(ascii: ".") { pointPosition = k }
            else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { break }
            else { if c != UInt8(ascii: "0") { lastNonzero = k }; k += 1 }
            j += 1
        }
        if pointPosition < 0 { pointPosition = k }
        if lastNonzero < 0 { return true }  // zero, however written
        if j < literal.count {  // the exponent
            j += 1
            if literal[j] == UInt8(ascii: "+") || literal[j] == UInt8(ascii: "-") { exponentNegative = literal[j] == UInt8(ascii: "-"); j += 1 }
            while j < literal.count {
                // Past 10^9 the answer no longer depends on the exponent's exact value.
                if exponent < 1_000_000_000 { exponent = exponent * 10 + Int(literal[j] &- UInt8(ascii: "0")) }
                j += 1
            }
        }
        return lastNonzero < pointPosition + (exponentNegative ? -exponent : exponent)
    }
}
