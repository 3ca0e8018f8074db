// Strict readers for values produced by JSONSerialization. Foundation bridges JSON numbers and
// booleans through NSNumber, so `as? Int` would accept `true` and `3.0`; these helpers do not.

import Foundation

enum JSONValue {
    /// The JSON value as an exact integer: not a boolean, not a number written with a fraction
    /// or exponent, and within Int's range.
    static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        switch String(cString: number.objCType) {
        case "d", "f": return nil
        default: return value as? Int
        }
    }

    /// The JSON value as a number (integer or not), never a boolean.
    static func number(_ value: Any) -> Double? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        return number.doubleValue
    }

    /// The JSON value as a boolean (`true` / `false` only).
    static func boolean(_ value: Any) -> Bool? {
        guard let number = value as? NSNumber, isBoolean(number) else { return nil }
        return number.boolValue
    }

    static func isNull(_ value: Any) -> Bool { value is NSNull }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        // JSON booleans are the shared CFBoolean singletons on both Darwin and Linux.
        String(cString: number.objCType) == "c"
    }

    /// A short rendering of a JSON value for error messages.
    static func describe(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if let b = boolean(value) { return b ? "true" : "false" }
        if let n = value as? NSNumber { return n.stringValue }
        if let s = value as? String { return "\"\(s)\"" }
        if value is [Any] { return "an array" }
        if value is [String: Any] { return "an object" }
        return "\(value)"
    }
}
