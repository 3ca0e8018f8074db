// The k-quants: super-blocks of QK_K = 256 elements split into sub-blocks of 16 or 32 with
// quantised scales (ggml-quants.c dequantize_row_q2_K ... _q6_K; block_q2_K... in
// ggml-common.h). Loops keep ggml's order so each output is the same float expression.

extension Dequantize {
    /// block_q2_K (84 bytes): scales[16] @0 (low nibble: scale, high nibble: min of a 16-element
    /// sub-block), qs[64] @16 (2 bits per element), d f16 @80, dmin f16 @82.
    /// Element 128 n + 32 j + 16 h + l (n < 2, j < 4, h < 2, l < 16) is bits 2j of
    /// qs[32 n + 16 h + l]; y = (d * sc) * q - dmin * m with sub-block 8 n + 2 j + h.
    @inline(__always)
    static func q2_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = QuantLoad.f16(x, 80), dmin = QuantLoad.f16(x, 82)
        var out = y, sub = 0
        for n in 0..<2 {
            let q = 16 + 32 * n
            for j in 0..<4 {
                let shift = UInt8(2 * j)
                for h in 0..<2 {
                    let sc = QuantLoad.u8(x, sub)
                    sub += 1
                    let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                    for l in 0..<16 {
                        out[l] = dl * Float((QuantLoad.u8(x, q + 16 * h + l) >> shift) & 3) - ml
                    }
                    out += 16
                }
            }
        }
    }

    /// block_q3_K (110 bytes): hmask[32] @0, qs[64] @32, scales[12] @96 (sixteen 6-bit scales:
    /// low 4 bits in bytes 0...7, low then high nibble; high 2 bits in bytes 8...11), d f16 @108.
    /// Element 128 n + 32 j + 16 h + l: low bits 2j of qs[32 n + 16 h + l], minus 4 unless bit
    /// 4 n + j of hmask[16 h + l] is set; y = (d * (scale - 32)) * q.
    @inline(__always)
    static func q3_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let dAll = QuantLoad.f16(x, 108)
        var out = y, sub = 0
        for n in 0..<2 {
            let q = 32 + 32 * n
            for j in 0..<4 {
                let shift = UInt8(2 * j)
                let mask = UInt8(1) << UInt8(4 * n + j)
                for h in 0..<2 {
                    let dl = dAll * Float(q3Scale(x, sub) - 32)
                    sub += 1
                    for l in 0..<16 {
                        let low = Int((QuantLoad.u8(x, q + 16 * h + l) >> shift) & 3)
                        let high = QuantLoad.u8(x, 16 * h + l) & mask != 0 ? 0 : 4
                        out[l] = dl * Float(low - high)
                    }
                    out += 16
                }
            }
        }
    }

    /// Scale `s` (0..<16) of a block_q3_K, 0...63 (ggml's kmask1/kmask2 unpacking).
    @inline(__always)
    static func q3Scale(_ x: UnsafeRawPointer, _ s: Int) -> Int {
        let low = s < 8 ? QuantLoad.u8(x, 96 + s) & 0x0F : QuantLoad.u8(x, 96 + s - 8) >> 4
        let high = (QuantLoad.u8(x, 96 + 8 + s % 4) >> UInt8(2 * (s / 4))) & 3
        return Int(low | high << 4)
    }

    /// ggml `get_scale_min_k4`: the 6-bit scale and min of 32-element sub-block `j` (0..<8) from
    /// the 12 scale bytes at `scales` of a block_q4_K or block_q5_K.
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ x: UnsafeRawPointer, _ scales: Int) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (QuantLoad.u8(x, scales + j) & 63, QuantLoad.u8(x, scales + j + 4) & 63)
        }
        let scale = (QuantLoad.u8(x, scales + j + 4) & 0x0F) | ((QuantLoad.u8(x, scales + j - 4) >> 6) << 4)
        let min = (QuantLoad.u8(x, scales + j + 4) >> 4) | ((QuantLoad.u8(x, scales + j) >> 6) << 4)
        return (scale, min)
    }

    /// block_q4_K (144 bytes): d f16 @0, dmin f16 @2, scales[12] @4, qs[128] @16.
    /// Element 64 j + 32 h + l: nibble h of qs[32 j + l]; y = (d * sc) * q - dmin * m with
    /// sub-block 2 j + h.
    @inline(__always)
    static func q4_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = QuantLoad.f16(x, 0), dmin = QuantLoad.f16(x, 2)
        for j in 0..<4 {
            let (sc1, m1) = scaleMinK4(2 * j, x, 4), (sc2, m2) = scaleMinK4(2 * j + 1, x, 4)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            let q = 16 + 32 * j, out = y + 64 * j
            for l in 0..<32 { out[l] = d1 * Float(QuantLoad.u8(x, q + l) & 0x0F) - min1 }
            for l in 0..<32 { out[32 + l] = d2 * Float(QuantLoad.u8(x, q + l) >> 4) - min2 }
        }
    }

    /// block_q5_K (176 bytes): d f16 @0, dmin f16 @2, scales[12] @4, qh[32] @16, qs[128] @48.
    /// As Q4_K, plus 16 when bit 2 j + h of qh[l] is set.
    @inline(__always)
    static func q5_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = QuantLoad.f16(x, 0), dmin = QuantLoad.f16(x, 2)
        for j in 0..<4 {
            let (sc1, m1) = scaleMinK4(2 * j, x, 4), (sc2, m2) = scaleMinK4(2 * j + 1, x, 4)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            let u1 = UInt8(1) << UInt8(2 * j), u2 = UInt8(2) << UInt8(2 * j)
            let q = 48 + 32 * j, out = y + 64 * j
            for l in 0..<32 {
                let high = QuantLoad.u8(x, 16 + l) & u1 != 0 ? 16 : 0
                out[l] = d1 * Float(Int(QuantLoad.u8(x, q + l) & 0x0F) + high) - min1
            }
            for l in 0..<32 {
                let high = QuantLoad.u8(x, 16 + l) & u2 != 0 ? 16 : 0
                out[32 + l] = d2 * Float(Int(QuantLoad.u8(x, q + l) >> 4) + high) - min2
            }
        }
    }

    /// block_q6_K (210 bytes): ql[128] @0, qh[64] @128, scales int8[16] @192, d f16 @208.
    /// In half n (128 elements), element 32 k + l (k < 4, l < 32) has low nibble (k / 2) of
    /// ql[64 n + 32 (k % 2) + l] and bits 2k of qh[32 n + l]; y = (d * sc) * (q - 32) with
    /// scale 8 n + 2 k + l / 16.
    @inline(__always)
    static func q6_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = QuantLoad.f16(x, 208)
        for n in 0..<2 {
            let ql = 64 * n, qh = 128 + 32 * n, sc = 192 + 8 * n, out = y + 128 * n
            for l in 0..<32 {
                let s = l / 16
                let h = QuantLoad.u8(x, qh + l)
                let a = QuantLoad.u8(x, ql + l), b = QuantLoad.u8(x, ql + 32 + l)
                let q1 = Int((a & 0x0F) | ((h >> 0) & 3) << 4) - 32
                let q2 = Int((b & 0x0F) | ((h >> 2) & 3) << 4) - 32
                let q3 = Int((a >> 4) | ((h >> 4) & 3) << 4) - 32
                let q4 = Int((b >> 4) | ((h >> 6) & 3) << 4) - 32
                out[l] = d * Float(QuantLoad.i8(x, sc + s)) * Float(q1)
                out[l + 32] = d * Float(QuantLoad.i8(x, sc + s + 2)) * Float(q2)
                out[l + 64] = d * Float(QuantLoad.i8(x, sc + s + 4)) * Float(q3)
                out[l + 96] = d * Float(QuantLoad.i8(x, sc + s + 6)) * Float(q4)
            }
        }
    }
}
