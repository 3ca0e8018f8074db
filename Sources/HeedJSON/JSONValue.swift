// Heed's one JSON module: values, a strict iterative reader (JSONParser) and a streaming writer
// (JSONWriter). No dependencies, not even Foundation. Byte-exact: strings and member names are
// compared as UTF-8 bytes (that is, as raw Unicode scalars), never with Swift String equality,
// which is canonical equivalence and would merge "\u00e9" and "e\u0301" (two distinct keys of a
// vocabulary).

/// A parsed JSON document (RFC 8259), as read by `JSONParser` and written by `JSONWriter`.
///
/// Equality is byte-exact: two strings are equal when their UTF-8 bytes are (and their
/// `loneSurrogate` flags agree), not when Swift would call them canonically equivalent.
///
/// Strings that contained a lone or unpaired surrogate escape (`"\uD800"`) are kept, with the
/// surrogate replaced by U+FFFD and `loneSurrogate` set, so the daemon can answer the request
/// -32602 with its own id instead of failing the whole document.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    /// `loneSurrogate` is true when the literal held an unpaired `\uD800`-`\uDFFF` escape
    /// (each one replaced by U+FFFD in the string).
    case string(String, loneSurrogate: Bool = false)
    case array([JSONValue])
    case object(JSONObject)

    /// Byte-exact structural equality (see the type's documentation).
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x, lx), .string(y, ly)): return lx == ly && JSONKey.bytesEqual(x, y)
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x == y
        default: return false
        }
    }

    /// "null", "a boolean", "a number", "a string", "an array" or "an object", for messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// A short rendering for error messages: `null`, `true`, `3`, `2.5`, `"text"` (quoted, not
    /// escaped), and for containers "an array" or "an object".
    public var shortDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n.description
        case .string(let s, _): return "\"\(s)\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// True for JSON `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The boolean, or nil for any other kind of value.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The string, also when it held a lone surrogate (check `loneSurrogate` where it matters).
    public var stringValue: String? {
        if case .string(let s, _) = self { return s }
        return nil
    }

    /// The number, or nil for any other kind of value.
    public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// The exact integer value: an integer literal in Int's range, or a number with an integral
    /// value of magnitude at most 2^53 (so `2.0` and `1e2` count; `2.5` and `1e300` do not).
    public var intValue: Int? {
        if case .number(let n) = self { return n.exactInt }
        return nil
    }

    /// The number as a Double (nearest to the literal), or nil for any other kind of value.
    public var doubleValue: Double? {
        if case .number(let n) = self { return n.double }
        return nil
    }

    /// The elements, or nil for any other kind of value.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The object, or nil for any other kind of value.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The member `key` of an object (nil for a missing key or a value that is not an object);
    /// names are compared byte for byte.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// True when this value or anything inside it (member names included) is a string with a
    /// lone surrogate escape. Walks the tree without allocating.
    public var containsLoneSurrogate: Bool {
        switch self {
        case .string(_, let lone): return lone
        case .array(let items): return items.contains { $0.containsLoneSurrogate }
        case .object(let o): return o.hasLoneSurrogateKey || o.values.contains { $0.containsLoneSurrogate }
        default: return false
        }
    }

    /// Where the first string with a lone surrogate escape sits, as a path such as
    /// `params.text` or `params.items[2]` under `root`; nil when there is none.
    /// A member *name* with a lone surrogate counts too (the path then ends at that member).
    public func loneSurrogatePath(root: String = "") -> String? {
        guard containsLoneSurrogate else { return nil }
        switch self {
        case .string: return root
        case .array(let items):
            guard let i = items.firstIndex(where: { $0.containsLoneSurrogate }) else { return nil }
            return items[i].loneSurrogatePath(root: "\(root)[\(i)]")
        case .object(let o):
            for (i, key) in o.keys.enumerated() where o.keyHasLoneSurrogate(at: i) || o.values[i].containsLoneSurrogate {
                let path = root.isEmpty ? key : "\(root).\(key)"
                return o.keyHasLoneSurrogate(at: i) ? path : o.values[i].loneSurrogatePath(root: path)
            }
            return nil
        default: return nil
        }
    }
}

/// A JSON number: the literal's value as a Double, and whether the literal was an integer
/// (no fraction, no exponent), with its exact value when it fits in Int.
public struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The nearest Double to the literal (correctly rounded; +-infinity past Double's range).
    public let double: Double
    /// True when the literal had neither a fraction nor an exponent.
    public let isIntegerLiteral: Bool
    /// The exact value of an integer literal that fits in Int; nil otherwise.
    public let int: Int?
    /// True when the literal's exact decimal value is an integer, decided on its digits, not
    /// on `double`: true for `3`, `2.0` and `1.5e1`; false for `0.5` and for `1e-400`, which
    /// is not an integer even though it rounds to the Double 0.
    public let isIntegral: Bool

    /// An integer literal.
    public init(_ value: Int) {
        double = Double(value)
        isIntegerLiteral = true
        int = value
        isIntegral = true
    }

    /// A literal with a fraction (written as the shortest text that reads back to `value`).
    public init(_ value: Double) {
        double = value
        isIntegerLiteral = false
        int = nil
        isIntegral = value.isFinite && value == value.rounded(.towardZero)
    }

    /// For the parser: a literal already converted, and whether its digits denote an integer.
    init(double: Double, isIntegerLiteral: Bool, int: Int?, literalIsIntegral: Bool) {
        self.double = double
        self.isIntegerLiteral = isIntegerLiteral
        self.int = int
        self.isIntegral = literalIsIntegral
    }

    /// The exact integer of an integer literal in Int's range (`3`, `-0`), else the Double's
    /// shortest text (`2.5`, `2.0` for the literal `2.0`, `1e+300`), for messages.
    public var description: String {
        if let i = int { return String(i) }
        return double.description
    }

    /// The value as an exact integer when the literal denotes one (see `isIntegral`) strictly
    /// between -2^53 and 2^53, or is an integer literal in Int's range; nil otherwise (`0.5`,
    /// `1e-400`, `1e300`, `9007199254740993.0`).
    public var exactInt: Int? {
        if let i = int { return i }
        // Below 2^53 a Double that equals an integral literal's rounding is that integer; at 2^53
        // it may be the rounding of 2^53 + 1.
        let limit = 9_007_199_254_740_992.0
        if isIntegral, double.isFinite, double == double.rounded(.towardZero), abs(double) < limit {
            return Int(double)
        }
        return nil
    }
}

/// An object's members in document order. Member names are compared byte for byte (raw Unicode
/// scalars): "\u{E9}" and "e\u{301}" are two members. Duplicate names were resolved by the
/// parser (`JSONParser.DuplicateKeys`): the last value wins and keeps the position of the first
/// occurrence.
public struct JSONObject: Equatable, Sendable, Sequence {
    /// Member names, in document order, without duplicates.
    public private(set) var keys: [String]
    /// Member values, parallel to `keys`.
    public private(set) var values: [JSONValue]
    /// Indices of member names that held a lone surrogate escape (rare; empty almost always).
    private var loneSurrogateKeys: [Int]

    /// An empty object.
    public init() {
        keys = []
        values = []
        loneSurrogateKeys = []
    }

    /// Members in order; a later duplicate replaces the earlier value.
    public init(_ members: [(String, JSONValue)]) {
        self.init()
        for (k, v) in members { self[k] = v }
    }

    /// For the parser: members already free of duplicates.
    init(uniqueKeys keys: [String], values: [JSONValue], loneSurrogateKeys: [Int]) {
        self.keys = keys
        self.values = values
        self.loneSurrogateKeys = loneSurrogateKeys
    }

    /// Number of members.
    public var count: Int { keys.count }
    /// True when the object has no members.
    public var isEmpty: Bool { keys.isEmpty }

    /// Byte-exact equality: the same names (byte for byte) with equal values, in the same order.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.keys.count == b.keys.count, a.loneSurrogateKeys.sorted() == b.loneSurrogateKeys.sorted() else { return false }
        for i in a.keys.indices where !JSONKey.bytesEqual(a.keys[i], b.keys[i]) { return false }
        return a.values == b.values
    }

    /// The value of member `key` (compared byte for byte); setting replaces it in place or
    /// appends a new member.
    public subscript(key: String) -> JSONValue? {
        get {
            if let i = index(of: key) { return values[i] }
            return nil
        }
        set {
            if let i = index(of: key) {
                if let v = newValue {
                    values[i] = v
                } else {
                    keys.remove(at: i)
                    values.remove(at: i)
                    loneSurrogateKeys = loneSurrogateKeys.compactMap { $0 == i ? nil : ($0 > i ? $0 - 1 : $0) }
                }
            } else if let v = newValue {
                keys.append(key)
                values.append(v)
            }
        }
    }

    /// Position of the member named `key` (compared byte for byte), or nil.
    public func index(of key: String) -> Int? {
        keys.firstIndex { JSONKey.bytesEqual($0, key) }
    }

    func keyHasLoneSurrogate(at index: Int) -> Bool {
        loneSurrogateKeys.contains(index)
    }

    var hasLoneSurrogateKey: Bool { !loneSurrogateKeys.isEmpty }

    /// The members as (name, value) pairs, in order.
    public func makeIterator() -> Zip2Sequence<[String], [JSONValue]>.Iterator {
        zip(keys, values).makeIterator()
    }
}

/// A string compared and hashed by its UTF-8 bytes (raw Unicode scalars), for dictionaries whose
/// keys must stay distinct when Swift would call them canonically equivalent (vocabulary keys,
/// tensor names). `String`'s own `==` and `hash(into:)` use canonical equivalence.
public struct JSONKey: Hashable, Sendable, CustomStringConvertible {
    /// The key.
    public let string: String

    /// Wraps `string`.
    public init(_ string: String) { self.string = string }

    /// The key itself.
    public var description: String { string }

    /// Byte-exact equality of the UTF-8 of `a` and `b`.
    public static func == (a: JSONKey, b: JSONKey) -> Bool { bytesEqual(a.string, b.string) }

    /// Hashes the UTF-8 bytes.
    public func hash(into hasher: inout Hasher) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            for byte in string.utf8 { hasher.combine(byte) }
            hasher.combine(0xFF as UInt8)  // not a UTF-8 byte: ends the key, as combine(bytes:) cannot
        }
    }

    /// True when `a` and `b` have the same UTF-8 bytes.
    @inline(__always)
    public static func bytesEqual(_ a: String, _ b: String) -> Bool {
        let au = a.utf8, bu = b.utf8
        guard au.count == bu.count else { return false }
        if let r = au.withContiguousStorageIfAvailable({ pa in
            bu.withContiguousStorageIfAvailable { pb in
                for k in 0..<pa.count where pa[k] != pb[k] { return false }
                return true
            }
        }), let equal = r {
            return equal
        }
        return au.elementsEqual(bu)
    }
}

// MARK: Literals (handy for error data and tests)

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}
