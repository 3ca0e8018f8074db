// Typed access to request params. Every wrong or missing field throws `InvalidParams` naming the
// field and the expected type; the daemon answers it -32602 with the request's id.

import HeedJSON

/// A params problem: which field, and a message fit for the client.
public struct InvalidParams: Error, Equatable, Sendable, CustomStringConvertible {
    /// The field's path, e.g. `text` or `focus.start` (empty for params as a whole).
    public let field: String
    /// The full message, e.g. "Invalid params: `layer` must be an integer, not a string".
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}

extension JSONRPCError {
    /// -32602 with the message of `problem`.
    public init(_ problem: InvalidParams) {
        self.init(.invalidParams, problem.message)
    }
}

/// The named params of a request (an object; absent or null params read as an empty object).
public struct RequestParams: Sendable {
    public let object: JSONObject
    /// Path of this object inside params ("" at the top, "focus" for a nested object).
    public let path: String

    /// Params must be an object (named params) or absent/null.
    public init(_ params: JSONValue?) throws {
        switch params {
        case nil, .null?: self.init(object: JSONObject(), path: "")
        case .object(let o)?: self.init(object: o, path: "")
        case let other?:
            throw InvalidParams(field: "", message: "Invalid params: params must be an object, not \(other.typeName)")
        }
    }

    public init(object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    /// The field's path for messages.
    public func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw value of `key`; nil when absent or null.
    public func value(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    /// True when `key` is present and not null.
    public func has(_ key: String) -> Bool { value(key) != nil }

    /// An error naming `key` with a free-form reason ("must be one of ...", "must not be negative").
    public func invalid(_ key: String, _ reason: String) -> InvalidParams {
        InvalidParams(field: fieldPath(key), message: "Invalid params: `\(fieldPath(key))` \(reason)")
    }

    private func required<T>(_ key: String, _ what: String, _ read: (JSONValue) -> T?) throws -> T {
        guard let v = value(key) else {
            throw InvalidParams(field: fieldPath(key), message: "Invalid params: missing `\(fieldPath(key))` (\(what))")
        }
        guard let t = read(v) else { throw invalid(key, "must be \(what), not \(describe(v))") }
        return t
    }

    private func optional<T>(_ key: String, _ what: String, _ read: (JSONValue) -> T?) throws -> T? {
        guard let v = value(key) else { return nil }
        guard let t = read(v) else { throw invalid(key, "must be \(what), not \(describe(v))") }
        return t
    }

    private func describe(_ v: JSONValue) -> String {
        if case .number(let n) = v, n.exactInt == nil {
            // `1e-400` is no integer although its Double is 0: say so rather than print "0.0".
            if !n.isIntegral, n.double.isFinite, n.double == n.double.rounded(.towardZero) {
                return "a number that is not exactly an integer (it rounds to \(n.double))"
            }
            return "a number (\(n.double))"
        }
        return v.typeName
    }

    // MARK: Scalars

    public func string(_ key: String) throws -> String { try required(key, "a string", { $0.stringValue }) }
    public func optionalString(_ key: String) throws -> String? { try optional(key, "a string", { $0.stringValue }) }

    /// An integer (an integral number: `3`, `3.0`, `3e0`).
    public func int(_ key: String) throws -> Int { try required(key, "an integer", { $0.intValue }) }
    public func optionalInt(_ key: String) throws -> Int? { try optional(key, "an integer", { $0.intValue }) }

    public func bool(_ key: String) throws -> Bool { try required(key, "a boolean", { $0.boolValue }) }
    public func optionalBool(_ key: String) throws -> Bool? { try optional(key, "a boolean", { $0.boolValue }) }

    public func double(_ key: String) throws -> Double { try required(key, "a number", { $0.doubleValue }) }
    public func optionalDouble(_ key: String) throws -> Double? { try optional(key, "a number", { $0.doubleValue }) }

    /// A string from a fixed set (an enum-like option).
    public func oneOf(_ key: String, _ allowed: [String]) throws -> String {
        let s = try string(key)
        guard allowed.contains(s) else { throw invalid(key, "must be one of \(quotedList(allowed)), not \"\(s)\"") }
        return s
    }

    /// Like `oneOf`, nil when absent or null.
    public func optionalOneOf(_ key: String, _ allowed: [String]) throws -> String? {
        guard has(key) else { return nil }
        return try oneOf(key, allowed)
    }

    // MARK: Containers

    public func object(_ key: String) throws -> RequestParams {
        RequestParams(object: try required(key, "an object", { $0.objectValue }), path: fieldPath(key))
    }

    public func optionalObject(_ key: String) throws -> RequestParams? {
        try optional(key, "an object", { $0.objectValue }).map { RequestParams(object: $0, path: fieldPath(key)) }
    }

    public func array(_ key: String) throws -> [JSONValue] { try required(key, "an array", { $0.arrayValue }) }
    public func optionalArray(_ key: String) throws -> [JSONValue]? { try optional(key, "an array", { $0.arrayValue }) }

    public func stringArray(_ key: String) throws -> [String] {
        try elements(key, try array(key), "a string", { $0.stringValue })
    }

    public func optionalStringArray(_ key: String) throws -> [String]? {
        guard let a = try optionalArray(key) else { return nil }
        return try elements(key, a, "a string", { $0.stringValue })
    }

    public func intArray(_ key: String) throws -> [Int] {
        try elements(key, try array(key), "an integer", { $0.intValue })
    }

    public func optionalIntArray(_ key: String) throws -> [Int]? {
        guard let a = try optionalArray(key) else { return nil }
        return try elements(key, a, "an integer", { $0.intValue })
    }

    private func elements<T>(_ key: String, _ items: [JSONValue], _ what: String, _ read: (JSONValue) -> T?) throws -> [T] {
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard let t = read(item) else {
                let field = "\(fieldPath(key))[\(i)]"
                throw InvalidParams(field: field, message: "Invalid params: `\(field)` must be \(what), not \(describe(item))")
            }
            out.append(t)
        }
        return out
    }

    private func quotedList(_ items: [String]) -> String {
        items.map { "\"\($0)\"" }.joined(separator: ", ")
    }
}
