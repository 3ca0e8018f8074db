// Metadata values of GGUF files (ggml docs/gguf.md, `gguf_metadata_value_type` and
// `gguf_metadata_value_t`). Scalars and strings are decoded when the file is opened; arrays stay in
// the mapping (element type, count, byte range) and are decoded on request by `GGUFFile`'s
// accessors, so a 49152-token vocabulary costs one walk over its length prefixes at open.

/// The type of a metadata value, with its id in GGUF files.
public enum GGUFValueType: UInt32, CaseIterable, Equatable, Sendable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// "uint8", "float32", "string", "array"...
    public var description: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .uint32: return "uint32"
        case .int32: return "int32"
        case .float32: return "float32"
        case .bool: return "bool"
        case .string: return "string"
        case .array: return "array"
        case .uint64: return "uint64"
        case .int64: return "int64"
        case .float64: return "float64"
        }
    }

    /// Bytes of one value of a fixed-size type; nil for string and array.
    public var fixedByteCount: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }

    /// The fewest bytes a value of this type takes: its fixed size, 8 for a string (its length),
    /// 12 for an array (element type and count).
    var minimumByteCount: Int {
        switch self {
        case .string: return 8
        case .array: return 12
        default: return fixedByteCount!
        }
    }

    /// True for the eight integer types.
    public var isInteger: Bool {
        switch self {
        case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: return true
        default: return false
        }
    }
}

/// One metadata value. Arrays are references into the file (`GGUFArray`); read their elements
/// with `GGUFFile.elements(of:)` or the typed accessors.
public enum GGUFValue: Equatable, Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)

    /// The value's type.
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

    /// The type as a person reads it: "uint32", "string", "array of string",
    /// "array of array of int32" (nested element types are known once the elements are read;
    /// an array's own description names its element type only).
    public var typeDescription: String {
        if case let .array(a) = self { return "array of \(a.elementType)" }
        return type.description
    }

    /// An integer value as Int (nil for other types, and for a uint64 above Int.max).
    public var integerValue: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(v)
        default: return nil
        }
    }
}

/// An array value, left in the file: its element type, its count, and where its elements lie.
/// Two arrays are equal when they describe the same bytes of the same layout.
public struct GGUFArray: Equatable, Sendable {
    /// The type of every element (`.array` for nested arrays).
    public let elementType: GGUFValueType
    /// Number of elements (not bytes).
    public let count: Int
    /// Byte offset, from the start of the file, of the first element.
    public let byteOffset: Int
    /// Bytes the elements take together.
    public let byteCount: Int
}
