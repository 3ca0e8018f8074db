// A small GGUF writer, for test fixtures and tiny models built in tests. It lays a file out as
// gguf-py's GGUFWriter does (header, key/value pairs in the order added, tensor infos, padding to
// the alignment, each tensor's data padded to the alignment) and writes what it is given: a
// duplicate key or an odd version is written as such, so tests can also build files a reader
// must refuse.

import Foundation

/// Builds a GGUF file in memory.
public struct GGUFWriter {
    /// A metadata value to write. Arrays carry their element type, so empty and nested arrays
    /// are explicit.
    public indirect enum Value: Equatable {
        case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
        case uint64(UInt64), int64(Int64)
        case float32(Float), float64(Double)
        case bool(Bool)
        case string(String)
        case array(GGUFValueType, [Value])

        /// The value's type id.
        public var type: GGUFValueType {
            switch self {
            case .uint8: return .uint8
            case .int8: return .int8
            case .uint16: return .uint16
            case .int16: return .int16
            case .uint32: return .uint32
            case .int32: return .int32
            case .uint64: return .uint64
            case .int64: return .int64
            case .float32: return .float32
            case .float64: return .float64
            case .bool: return .bool
            case .string: return .string
            case .array: return .array
            }
        }

        public static func strings(_ values: [String]) -> Value { .array(.string, values.map { .string($0) }) }
        public static func int32s(_ values: [Int32]) -> Value { .array(.int32, values.map { .int32($0) }) }
        public static func float32s(_ values: [Float]) -> Value { .array(.float32, values.map { .float32($0) }) }
    }

    private struct Tensor {
        let name: String
        let dimensions: [Int]
        let type: GGMLType
        let bytes: [UInt8]
    }

    /// The header's version (3 by default).
    public var version: UInt32 = 3
    /// The padding unit after the tensor infos and after each tensor's data. Changing it does not
    /// add `general.alignment`: `setAlignment` does both, as gguf-py's `add_custom_alignment`.
    public var alignment: Int = GGUFFile.defaultAlignment
    private var entries: [(key: String, value: Value)] = []
    private var tensors: [Tensor] = []

    public init() {}

    /// Appends a key/value pair (a key added twice is written twice).
    public mutating func add(_ key: String, _ value: Value) {
        entries.append((key, value))
    }

    /// Pads to `alignment` and records it as `general.alignment` (uint32).
    public mutating func setAlignment(_ alignment: Int) {
        self.alignment = alignment
        add("general.alignment", .uint32(UInt32(alignment)))
    }

    /// Appends a tensor with `dimensions` fastest first (ggml order) and its raw data, which must
    /// be exactly `type.byteCount(elementCount:)` bytes.
    public mutating func addTensor(_ name: String, dimensions: [Int], type: GGMLType, bytes: [UInt8]) {
        let elements = dimensions.reduce(1, *)
        precondition(type.byteCount(elementCount: elements) == bytes.count,
                     "tensor \(name): \(bytes.count) bytes given, \(type) \(dimensions) takes \(type.byteCount(elementCount: elements).map(String.init) ?? "no whole number of blocks")")
        tensors.append(Tensor(name: name, dimensions: dimensions, type: type, bytes: bytes))
    }

    /// Appends an F32 tensor.
    public mutating func addTensor(_ name: String, dimensions: [Int], values: [Float]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for v in values { Self.append(v.bitPattern, to: &bytes) }
        addTensor(name, dimensions: dimensions, type: .f32, bytes: bytes)
    }

    /// The file's bytes.
    public func bytes() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        Self.append(version, to: &out)
        Self.append(UInt64(tensors.count), to: &out)
        Self.append(UInt64(entries.count), to: &out)
        for (key, value) in entries {
            Self.appendString(key, to: &out)
            Self.append(value.type.rawValue, to: &out)
            Self.appendPayload(value, to: &out)
        }
        var offset = 0
        for t in tensors {
            Self.appendString(t.name, to: &out)
            Self.append(UInt32(t.dimensions.count), to: &out)
            for d in t.dimensions { Self.append(UInt64(d), to: &out) }
            Self.append(t.type.rawValue, to: &out)
            Self.append(UInt64(offset), to: &out)
            offset += padded(t.bytes.count)
        }
        out += [UInt8](repeating: 0, count: padded(out.count) - out.count)
        for t in tensors {
            out += t.bytes
            out += [UInt8](repeating: 0, count: padded(t.bytes.count) - t.bytes.count)
        }
        return out
    }

    /// Writes the file to `url`.
    public func write(to url: URL) throws {
        try Data(bytes()).write(to: url)
    }

    private func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Appends `value` without its type id (what follows the type in a key/value pair or array).
    public static func appendPayload(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case let .uint8(v): out.append(v)
        case let .int8(v): out.append(UInt8(bitPattern: v))
        case let .uint16(v): append(v, to: &out)
        case let .int16(v): append(v, to: &out)
        case let .uint32(v): append(v, to: &out)
        case let .int32(v): append(v, to: &out)
        case let .uint64(v): append(v, to: &out)
        case let .int64(v): append(v, to: &out)
        case let .float32(v): append(v.bitPattern, to: &out)
        case let .float64(v): append(v.bitPattern, to: &out)
        case let .bool(v): out.append(v ? 1 : 0)
        case let .string(s): appendString(s, to: &out)
        case let .array(elementType, elements):
            append(elementType.rawValue, to: &out)
            append(UInt64(elements.count), to: &out)
            for e in elements { appendPayload(e, to: &out) }
        }
    }

    /// Appends a GGUF string: uint64 byte length, then the UTF-8 bytes.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        append(UInt64(s.utf8.count), to: &out)
        out += s.utf8
    }

    /// Appends `value` little-endian.
    public static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }
}
