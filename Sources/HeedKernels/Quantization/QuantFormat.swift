// Block layouts of the ggml tensor types Heed dequantises (ggml-common.h `block_*` structs,
// ggml.c `type_traits`; gguf-py 0.19.0 `GGML_QUANT_SIZES` agrees). HeedKernels cannot see
// HeedCheckpoints' `GGMLType` (the full GGUF type table): `GGMLType.quantFormat` maps onto
// these, with the same raw values (the ggml type ids).

/// A tensor element format Heed can dequantise: the plain floats F32, F16, BF16 and the ggml
/// block quantisations Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 (blocks of 32) and the k-quants Q2_K...Q6_K
/// (super-blocks of QK_K = 256). The raw value is the ggml type id (`enum ggml_type`).
///
/// Elements are stored in blocks of `blockSize` elements taking `bytesPerBlock` bytes; a row of
/// a tensor is always a whole number of blocks. Plain floats have blocks of one element.
/// Byte layouts (little-endian; "f16" is an IEEE half, offsets in bytes):
///
///     F32   4: float32                      F16   2: f16              BF16  2: bfloat16
///     Q4_0 18: d f16 | qs[16] (nibbles: low = elements 0..<16, high = 16..<32)
///     Q4_1 20: d f16 | m f16 | qs[16]
///     Q5_0 22: d f16 | qh u32 (5th bits) | qs[16]
///     Q5_1 24: d f16 | m f16 | qh u32 | qs[16]
///     Q8_0 34: d f16 | qs int8[32]
///     Q2_K 84: scales[16] (4-bit scale | 4-bit min) | qs[64] (2 bits) | d f16 | dmin f16
///     Q3_K 110: hmask[32] (high bits) | qs[64] (low 2 bits) | scales[12] (16 x 6 bits) | d f16
///     Q4_K 144: d f16 | dmin f16 | scales[12] (8 x 6-bit scale and min) | qs[128] (nibbles)
///     Q5_K 176: d f16 | dmin f16 | scales[12] | qh[32] (5th bits) | qs[128]
///     Q6_K 210: ql[128] (low 4 bits) | qh[64] (high 2 bits) | scales int8[16] | d f16
public enum QuantFormat: UInt32, CaseIterable, Equatable, Hashable, Sendable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14
    case bf16 = 30

    /// The k-quants' super-block size (ggml QK_K).
    public static let superBlockSize = 256

    /// ggml's name for the format ("F32", "Q4_K").
    public var name: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q2_K: return "Q2_K"
        case .q3_K: return "Q3_K"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        }
    }

    public var description: String { name }

    /// Elements per block: 1 for F32/F16/BF16, 32 for Q4_0...Q8_0, 256 for the k-quants.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return Self.superBlockSize
        }
    }

    /// Bytes one block takes (`sizeof(block_*)` in ggml-common.h).
    public var bytesPerBlock: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q2_K: return 84
        case .q3_K: return 110
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        }
    }

    /// True for the block quantisations (everything but F32, F16, BF16).
    public var isQuantized: Bool { blockSize > 1 }

    /// Bytes that `elementCount` elements take, or nil when `elementCount` is negative, not a
    /// whole number of blocks, or the size overflows Int.
    public func byteCount(elementCount: Int) -> Int? {
        guard elementCount >= 0, elementCount % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elementCount / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }
}
