/// A parsed JSON document (RFC 8259), as read by `JSONParser` and written by `JSONWriter`.
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

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The string, also when it held a lone surrogate (check `loneSurrogate` where it matters).
    public var stringValue: String? {
        if case .string(let s, _) = self { return s }
        return nil
    }

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

    public var doubleValue: Double? {
        if case .number(let n) = self { return n.double }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The member `key` of an object (nil for a missing key or a value that is not an object).
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
public struct JSONNumber: Hashable, Sendable {
    /// The nearest Double to the literal (correctly rounded; +-infinity past Double's range).
    public let double: Double
    /// True when the literal had neither a fraction nor an exponent.
    public let isIntegerLiteral: Bool
    /// The exact value of an integer literal that fits in Int; nil otherwise.
    public let int: Int?

    public init(_ value: Int) {
        double = Double(value)
        isIntegerLiteral = true
        int = value
    }

    public init(_ value: Double) {
        double = value
        isIntegerLiteral = false
        int = nil
    }

    /// For the parser: a literal already converted.
    init(double: Double, isIntegerLiteral: Bool, int: Int?) {
        self.double = double
        self.isIntegerLiteral = isIntegerLiteral
        self.int = int
    }

    /// The value as an exact integer when it is one (see `JSONValue.intValue`).
    public var exactInt: Int? {
        if let i = int { return i }
        let limit = 9_007_199_254_740_992.0  // 2^53: every integer below is exact in a Double
        if double.isFinite, double == double.rounded(.towardZero), abs(double) <= limit {
            return Int(double)
        }
        return nil
    }
}

/// An object's members in document order. Duplicate names were resolved by the parser: the last
/// value wins and keeps the position of the first occurrence.
public struct JSONObject: Equatable, Sendable, Sequence {
    public private(set) var keys: [String]
    public private(set) var values: [JSONValue]
    /// Indices of member names that held a lone surrogate escape (rare; empty almost always).
    private var loneSurrogateKeys: [Int]

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

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// The value of member `key`; setting replaces it in place or appends a new member.
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

    public func index(of key: String) -> Int? {
        keys.firstIndex(of: key)
    }

    func keyHasLoneSurrogate(at index: Int) -> Bool {
        loneSurrogateKeys.contains(index)
    }

    var hasLoneSurrogateKey: Bool { !loneSurrogateKeys.isEmpty }

    public func makeIterator() -> Zip2Sequence<[String], [JSONValue]>.Iterator {
        zip(keys, values).makeIterator()
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
