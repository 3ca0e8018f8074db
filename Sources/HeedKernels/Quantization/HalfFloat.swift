// 16-bit float to float32 conversions shared by the dequantisers (the f16 scales of every block
// format) and HeedCheckpoints' FloatConversion (safetensors F16/BF16 data).

/// Exact conversions of IEEE binary16 and bfloat16 bit patterns to float32.
public enum HalfFloat {
    /// IEEE binary16 bits to float32, exact for every input: zeros, subnormals, normals,
    /// infinities and NaNs (payload kept, sign kept, a signalling NaN is not quieted), as ggml's
    /// `ggml_compute_fp16_to_fp32` and numpy's `astype(np.float32)`. Branch-free so bulk loops
    /// vectorise.
    @inlinable @inline(__always)
    public static func float(fromF16Bits h: UInt16) -> Float {
        let x = UInt32(h)
        let sign = (x & 0x8000) << 16
        let shifted = (x & 0x7fff) << 13             // exponent and mantissa in float32 position
        let exponent = shifted & 0x0f80_0000          // the 5 exponent bits, shifted
        let normal = shifted &+ (112 << 23)           // rebias 15 -> 127
        let infOrNaN = shifted &+ (224 << 23)         // exponent 31 -> 255
        // Zero and subnormals: m * 2^-24 == (1 + m/1024) * 2^-14 - 2^-14, exact in float32.
        let magic = Float(bitPattern: 113 << 23)      // 2^-14
        let subnormal = (Float(bitPattern: shifted &+ (113 << 23)) - magic).bitPattern
        let bits = exponent == 0x0f80_0000 ? infOrNaN : (exponent == 0 ? subnormal : normal)
        return Float(bitPattern: bits | sign)
    }

    /// bfloat16 bits to float32 (the upper half of a float32): exact for every input.
    @inlinable @inline(__always)
    public static func float(fromBF16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }
}
