// A small strict JSON reader for tokenizer.json (RFC 8259).
//
// Why not JSONSerialization: it bridges objects through NSDictionary and Swift Strings, whose
// equality is canonical equivalence, so two vocabulary keys that differ only in Unicode
// normalization (e.g. "é" and "e\u{301}") would collide; the Rust library compares bytes.
// Objects here keep every key, byte for byte, in file order.

/// A parsed JSON value. Objects keep their members in file order (duplicates included).
enum JSONValue {
    case null
    case bool(Bool)
    /// The number's literal text, converted on demand (ids must be exact integers).
    case number(Substring)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// Parses a complete document; trailing non-whitespace is an error.
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var reader = JSONReader(bytes: bytes)
        reader.skipWhitespace()
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        if reader.index != bytes.count {
            throw reader.error("unexpected data after the top-level value")
        }
        return value
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The last member named `key` (serde keeps the last of duplicate fields).
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members.reversed() where member.key == key {
            return member.value
        }
        return nil
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    var index = 0
    static let maxDepth = 512

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func error(_ message: String) -> TokenizerError {
        .malformed("malformed JSON at byte \(index): \(message)")
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func readValue(depth: Int) throws -> JSONValue {
        guard depth < JSONReader.maxDepth else { throw error("nesting deeper than \(JSONReader.maxDepth)") }
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try readObject(depth: depth)
        case UInt8(ascii: "["): return try readArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        default: throw error("unexpected character")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input") }
        let ok = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard ok else { throw error("invalid literal") }
        index += count
    }

    mutating func readObject(depth: Int) throws -> JSONValue {
        index += 1  // {
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("expected a string key")
            }
            let key = try readString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            let value = try readValue(depth: depth + 1)
            members.append((key, value))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input in an object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            } else {
                throw error("expected ',' or '}'")
            }
        }
    }

    mutating func readArray(depth: Int) throws -> JSONValue {
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try readValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input in an array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            } else {
                throw error("expected ',' or ']'")
            }
        }
    }

    mutating func readNumber() throws -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid fraction") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        return .number(Substring(text))
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    mutating func readString() throws -> String {
        index += 1  // opening quote
        let start = index
        var asciiOnly = true
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = bytes[start..<index]
                index += 1
                if asciiOnly { return String(decoding: slice, as: UTF8.self) }
                guard let text = String(validating: slice, as: UTF8.self) else {
                    throw error("invalid UTF-8 in a string")
                }
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character in a string") }
            if byte >= 0x80 { asciiOnly = false }
            index += 1
        }
        // Slow path with escapes: collect UTF-8 bytes.
        var utf8 = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw error("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw error("invalid UTF-8 in a string")
                }
                return text
            }
            if byte < 0x20 { throw error("control character in a string") }
            if byte != UInt8(ascii: "\\") {
                utf8.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw error("unterminated escape") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): utf8.append(0x22)
            case UInt8(ascii: "\\"): utf8.append(0x5C)
            case UInt8(ascii: "/"): utf8.append(0x2F)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var value = try readHex4()
                if (0xD800...0xDBFF).contains(value) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                          bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("lone surrogate escape")
                    }
                    index += 2
                    let low = try readHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("lone surrogate escape") }
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(value) {
                    throw error("lone surrogate escape")
                }
                guard let scalar = Unicode.Scalar(value) else { throw error("invalid \\u escape") }
                utf8.append(contentsOf: String(Character(scalar)).utf8)
            default:
                throw error("invalid escape")
            }
        }
    }

    mutating func readHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 0x41 + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}

// MARK: - Typed field access for configuration parsing

/// Typed reads of a JSON object's fields with messages that name the field's path.
struct JSONFields {
    let value: JSONValue
    /// Where this object sits in the file, e.g. "model" or "normalizer.normalizers[1]".
    let path: String

    init(_ value: JSONValue, path: String) throws {
        guard case .object = value else {
            throw TokenizerError.invalid("\(path) must be an object, found \(value.typeName)")
        }
        self.value = value
        self.path = path
    }

    func has(_ key: String) -> Bool {
        if let field = value[key], !field.isNull { return true }
        return false
    }

    func raw(_ key: String) -> JSONValue? { value[key] }

    func string(_ key: String) throws -> String {
        guard let field = value[key] else { throw missing(key) }
        guard case .string(let text) = field else { throw wrongType(key, "a string", field) }
        return text
    }

    func optionalString(_ key: String) throws -> String? {
        guard let field = value[key], !field.isNull else { return nil }
        guard case .string(let text) = field else { throw wrongType(key, "a string", field) }
        return text
    }

    func bool(_ key: String, default defaultValue: Bool? = nil) throws -> Bool {
        guard let field = value[key], !field.isNull else {
            if let defaultValue { return defaultValue }
            throw missing(key)
        }
        guard case .bool(let flag) = field else { throw wrongType(key, "a boolean", field) }
        return flag
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let field = value[key], !field.isNull else { return nil }
        guard case .bool(let flag) = field else { throw wrongType(key, "a boolean", field) }
        return flag
    }

    func int(_ key: String, default defaultValue: Int? = nil) throws -> Int {
        guard let field = value[key], !field.isNull else {
            if let defaultValue { return defaultValue }
            throw missing(key)
        }
        return try JSONFields.integer(field, path: "\(path).\(key)")
    }

    func array(_ key: String) throws -> [JSONValue] {
        guard let field = value[key] else { throw missing(key) }
        guard case .array(let elements) = field else { throw wrongType(key, "an array", field) }
        return elements
    }

    func object(_ key: String) throws -> [(key: String, value: JSONValue)] {
        guard let field = value[key] else { throw missing(key) }
        guard case .object(let members) = field else { throw wrongType(key, "an object", field) }
        return members
    }

    static func integer(_ value: JSONValue, path: String) throws -> Int {
        guard case .number(let text) = value else {
            throw TokenizerError.invalid("\(path) must be an integer, found \(value.typeName)")
        }
        guard let number = Int(text), number >= 0 else {
            throw TokenizerError.invalid("\(path) must be a non-negative integer, found \(text)")
        }
        return number
    }

    static func string(_ value: JSONValue, path: String) throws -> String {
        guard case .string(let text) = value else {
            throw TokenizerError.invalid("\(path) must be a string, found \(value.typeName)")
        }
        return text
    }

    func missing(_ key: String) -> TokenizerError {
        .invalid("\(path) has no field \"\(key)\"")
    }

    func wrongType(_ key: String, _ expected: String, _ found: JSONValue) -> TokenizerError {
        .invalid("\(path).\(key) must be \(expected), found \(found.typeName)")
    }
}
