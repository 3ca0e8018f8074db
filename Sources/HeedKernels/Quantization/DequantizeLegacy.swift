// The 32-element block formats (ggml-quants.c dequantize_row_q4_0, _q4_1, _q5_0, _q5_1, _q8_0;
// block_q4_0... in ggml-common.h). In every one, byte j of qs holds element j in its low nibble
// and element j + 16 in its high nibble (Q8_0: one int8 per element).

extension Dequantize {
    /// block_q4_0 (18 bytes): d f16 @0, qs[16] @2. y = (q - 8) * d.
    @inline(__always)
    static func q4_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = QuantLoad.f16(x, 0)
        for j in 0..<16 {
            let q = QuantLoad.u8(x, 2 + j)
            y[j] = Float(Int(q & 0x0F) - 8) * d
            y[j + 16] = Float(Int(q >> 4) - 8) * d
        }
    }

    /// block_q4_1 (20 bytes): d f16 @0, m f16 @2, qs[16] @4. y = q * d + m.
    @inline(__always)
    static func q4_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = QuantLoad.f16(x, 0), m = QuantLoad.f16(x, 2)
        for j in 0..<16 {
            let q = QuantLoad.u8(x, 4 + j)
            y[j] = Float(q & 0x0F) * d + m
            y[j + 16] = Float(q >> 4) * d + m
        }
    }

    /// block_q5_0 (22 bytes): d f16 @0, qh u32 @2 (bit j: the 5th bit of element j), qs[16] @6.
    /// y = (q - 16) * d.
    @inline(__always)
    static func q5_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = QuantLoad.f16(x, 0)
        let qh = QuantLoad.u32(x, 2)
        for j in 0..<16 {
            let q = QuantLoad.u8(x, 6 + j)
            let h0 = Int((qh >> UInt32(j)) & 1) << 4, h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
            y[j] = Float((Int(q & 0x0F) | h0) - 16) * d
            y[j + 16] = Float((Int(q >> 4) | h1) - 16) * d
        }
    }

    /// block_q5_1 (24 bytes): d f16 @0, m f16 @2, qh u32 @4, qs[16] @8. y = q * d + m.
    @inline(__always)
    static func q5_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = QuantLoad.f16(x, 0), m = QuantLoad.f16(x, 2)
        let qh = QuantLoad.u32(x, 4)
        for j in 0..<16 {
            let q = QuantLoad.u8(x, 8 + j)
            let h0 = Int((qh >> UInt32(j)) & 1) << 4, h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
            y[j] = Float(Int(q & 0x0F) | h0) * d + m
            y[j + 16] = Float(Int(q >> 4) | h1) * d + m
        }
    }

    /// block_q8_0 (34 bytes): d f16 @0, qs int8[32] @2. y = q * d.
    @inline(__always)
    static func q8_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = QuantLoad.f16(x, 0)
        for j in 0..<32 { y[j] = Float(QuantLoad.i8(x, 2 + j)) * d }
    }
}
