// Element types of safetensors files (the "dtype" strings of the header).

/// A safetensors element type. Every type below is accepted when a file is opened (so a checkpoint
/// with, say, an I64 `position_ids` buffer still opens); `SafeTensorsFile.tensor(_:)` converts the
/// ones marked `isConvertibleToFloat` to float32 and reports the others by name.
public enum TensorDType: String, CaseIterable, Equatable, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2", f8e8m0 = "F8_E8M0"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2, .f8e8m0: return 1
        }
    }

    /// Whether `SafeTensorsFile.tensor(_:)` can return this type as float32. F16, BF16 and F32
    /// convert exactly; integers convert exactly up to 2^24 in magnitude, F64 rounds to nearest.
    public var isConvertibleToFloat: Bool {
        switch self {
        case .f8e4m3, .f8e5m2, .f8e8m0: return false
        default: return true
        }
    }

    /// The dtype names `tensor(_:)` converts, for error messages.
    static var convertibleNames: String {
        allCases.filter(\.isConvertibleToFloat).map(\.rawValue).joined(separator: ", ")
    }
}

/// Type and shape of one tensor of a safetensors file.
public struct TensorInfo: Equatable, Sendable {
    public let dtype: TensorDType
    public let shape: [Int]

    public init(dtype: TensorDType, shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }

    /// Number of elements: the product of `shape` (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { elementCount * dtype.byteSize }
}
