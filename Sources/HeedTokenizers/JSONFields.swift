// tokenizer.json is read with HeedJSON, the project's one JSON reader, with the options the Rust
// library (serde_json) implies: a lone surrogate escape is an error, and of duplicate member
// names the last wins. Member names are compared byte for byte, so two vocabulary keys that
// differ only in Unicode normalization (e.g. "\u00e9" and "e\u0301") stay distinct, as in Rust.

import HeedJSON

/// HeedJSON's value type, under the name the tokenizer's readers use.
typealias JSONValue = HeedJSON.JSONValue

extension JSONValue {
    /// Parses tokenizer.json bytes; malformed JSON throws `TokenizerError.malformedJSON`.
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes, options: .configuration)
        } catch let error as JSONParseError {
            throw TokenizerError.malformed("malformed JSON at byte \(error.byteOffset): \(error.message)")
        }
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
        guard let text = field.stringValue else { throw wrongType(key, "a string", field) }
        return text
    }

    func optionalString(_ key: String) throws -> String? {
        guard let field = value[key], !field.isNull else { return nil }
        guard let text = field.stringValue else { throw wrongType(key, "a string", field) }
        return text
    }

    func bool(_ key: String, default defaultValue: Bool? = nil) throws -> Bool {
        guard let field = value[key], !field.isNull else {
            if let defaultValue { return defaultValue }
            throw missing(key)
        }
        guard let flag = field.boolValue else { throw wrongType(key, "a boolean", field) }
        return flag
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let field = value[key], !field.isNull else { return nil }
        guard let flag = field.boolValue else { throw wrongType(key, "a boolean", field) }
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
        guard let elements = field.arrayValue else { throw wrongType(key, "an array", field) }
        return elements
    }

    /// The members of object `key`, in file order (duplicate names resolved: the last wins).
    func object(_ key: String) throws -> [(key: String, value: JSONValue)] {
        guard let field = value[key] else { throw missing(key) }
        guard let members = field.objectValue else { throw wrongType(key, "an object", field) }
        return members.map { (key: $0.0, value: $0.1) }
    }

    static func integer(_ value: JSONValue, path: String) throws -> Int {
        guard let number = value.numberValue else {
            throw TokenizerError.invalid("\(path) must be an integer, found \(value.typeName)")
        }
        // An integer literal only (as serde reads a usize): not 1.0, not 1e2.
        guard let integer = number.int, integer >= 0 else {
            throw TokenizerError.invalid("\(path) must be a non-negative integer, found \(number)")
        }
        return integer
    }

    static func string(_ value: JSONValue, path: String) throws -> String {
        guard let text = value.stringValue else {
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
