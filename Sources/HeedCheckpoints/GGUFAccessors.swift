// Typed reads of GGUF metadata. Each accessor returns nil when the key is absent and throws
// `GGUFError` (.wrongValueType) naming the key, the type found and the type wanted when the key
// holds something else. Arrays are decoded from the mapping here: strings straight from the
// mapped bytes (no intermediate copies), numbers with one load per element.

extension GGUFFile {
    /// A string value. Throws `GGUFError` (.wrongValueType) when the key holds another type.
    public func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case let .string(s) = value else { throw wrongType(key, value, "a string") }
        return s
    }

    /// An integer value of any of the eight integer types, as Int. Throws `GGUFError`
    /// (.wrongValueType) for other types (bool and floats included), (.valueOutOfRange) for a
    /// uint64 above Int.max.
    public func int(_ key: String) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard value.type.isInteger else { throw wrongType(key, value, "an integer") }
        guard let n = value.integerValue else {
            let text: String
            if case let .uint64(v) = value { text = String(v) } else { text = "\(value)" }
            throw GGUFError(file: path, rule: .valueOutOfRange, problem: "metadata key '\(key)' holds \(value.typeDescription) \(text), above \(Int.max)")
        }
        return n
    }

    /// A bool value. Throws `GGUFError` (.wrongValueType) for other types (integers included).
    public func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case let .bool(b) = value else { throw wrongType(key, value, "a bool") }
        return b
    }

    /// A float32 value. Throws `GGUFError` (.wrongValueType) for other types (float64 included:
    /// narrowing is the caller's decision).
    public func float(_ key: String) throws -> Float? {
        guard let value = value(key) else { return nil }
        guard case let .float32(f) = value else { throw wrongType(key, value, "a float32") }
        return f
    }

    /// An array of strings. Throws `GGUFError`: .wrongValueType when the key holds anything but an
    /// array of strings, .invalidUTF8 naming the element that is not UTF-8.
    public func stringArray(_ key: String) throws -> [String]? {
        guard let array = try array(key, of: .string, "an array of string") else { return nil }
        var cursor = GGUFCursor(bytes: mapping.bytes.bindMemory(to: UInt8.self), file: path, position: array.byteOffset)
        var strings: [String] = []
        strings.reserveCapacity(array.count)
        for i in 0..<array.count {
            // Lengths were checked when the file was opened: this cannot run past the array.
            let range = try cursor.stringRange("string \(i) of key '\(key)'")
            guard let text = cursor.text(range) else {
                throw GGUFError(file: path, rule: .invalidUTF8, problem: "string \(i) of key '\(key)' (\(range.count) bytes at byte \(range.lowerBound)) is not valid UTF-8")
            }
            strings.append(text)
        }
        return strings
    }

    /// An array of int32. Throws `GGUFError` (.wrongValueType) for any other array or value
    /// (other integer widths included).
    public func int32Array(_ key: String) throws -> [Int32]? {
        guard let array = try array(key, of: .int32, "an array of int32") else { return nil }
        return loadElements(array, as: UInt32.self).map { Int32(bitPattern: $0) }
    }

    /// An array of float32. Throws `GGUFError` (.wrongValueType) for any other array or value.
    public func floatArray(_ key: String) throws -> [Float]? {
        guard let array = try array(key, of: .float32, "an array of float32") else { return nil }
        return loadElements(array, as: UInt32.self).map { Float(bitPattern: $0) }
    }

    /// The elements of `array` (a value of this file, possibly nested in another array), each
    /// decoded as a `GGUFValue` (nested arrays stay `GGUFArray`s). Slower than the typed accessors:
    /// for small arrays of any type. Throws `GGUFError` (.invalidUTF8) for a string that is not
    /// UTF-8, and for an array that does not lie in this file.
    public func elements(of array: GGUFArray) throws -> [GGUFValue] {
        let label = "the array at byte \(array.byteOffset)"
        let (end, overflow) = array.byteOffset.addingReportingOverflow(array.byteCount)
        guard array.byteOffset >= 0, array.count >= 0, !overflow, end <= fileByteCount,
              array.count <= array.byteCount / array.elementType.minimumByteCount else {
            throw GGUFError(file: path, rule: .countTooLarge, problem: "\(label) (\(array.count) elements, \(array.byteCount) bytes) does not lie in the file")
        }
        var cursor = GGUFCursor(bytes: UnsafeBufferPointer(rebasing: mapping.bytes.bindMemory(to: UInt8.self)[..<end]),
                                file: path, position: array.byteOffset)
        var elements: [GGUFValue] = []
        elements.reserveCapacity(array.count)
        for i in 0..<array.count {
            if array.elementType == .array {
                elements.append(.array(try Self.readArray(at: &cursor, label: "element \(i) of \(label)", depth: 1)))
            } else {
                elements.append(try Self.readValue(array.elementType, at: &cursor, label: "element \(i) of \(label)", depth: 0))
            }
        }
        return elements
    }

    // MARK: - Helpers

    private func array(_ key: String, of elementType: GGUFValueType, _ wanted: String) throws -> GGUFArray? {
        guard let value = value(key) else { return nil }
        guard case let .array(array) = value, array.elementType == elementType else { throw wrongType(key, value, wanted) }
        return array
    }

    /// The fixed-size little-endian elements of `array`, whose bytes were checked at open.
    private func loadElements<T: FixedWidthInteger>(_ array: GGUFArray, as type: T.Type) -> [T] {
        let raw = mapping.bytes
        let size = MemoryLayout<T>.size
        return (0..<array.count).map { i in
            T(littleEndian: raw.loadUnaligned(fromByteOffset: array.byteOffset + i * size, as: T.self))
        }
    }

    private func wrongType(_ key: String, _ value: GGUFValue, _ wanted: String) -> GGUFError {
        GGUFError(file: path, rule: .wrongValueType, problem: "metadata key '\(key)' holds \(value.typeDescription), not \(wanted)")
    }
}
