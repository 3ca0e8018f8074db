// Shortest round-trip formatting of Float32 into raw bytes, with no allocation per number.
//
// The digit search is Ulf Adams' Ryu algorithm ("Ryū: fast float-to-string conversion", PLDI 2018),
// specialised to binary32: the rounding interval of the float is scaled by a power of 5 and of 2
// with 64-bit fixed-point multipliers (the two tables below, generated from exact integer
// arithmetic: `inverse[q] = floor(2^(pow5bits(q) - 1 + 59) / 5^q) + 1`,
// `powers[i] = floor(5^i / 2^(pow5bits(i) - 61))`), and digits are removed while both ends of the
// interval still differ. The result is the shortest decimal that reads back to the same Float,
// and of those the closest to the exact value.
//
// Layout of the text (valid JSON, shortest of the usual notations for each magnitude):
//   integers below 1e9 plainly (`16777216`, `-0`), other values from 0.001 up to 1e9 in fixed
//   notation (`0.00123`, `3.5`), the rest in exponent notation without a plus sign or leading
//   zeros (`1.5e-7`, `3.4028235e38`).

/// Formats Float32 values as the shortest JSON number text that reads back to the same value.
public enum FloatFormatting {
    /// The largest number of bytes `write(_:to:)` produces (`-1.17549435e-38`).
    public static let maxByteCount = 16

    /// Writes the shortest round-trip text of a finite `value` at `out` (room for `maxByteCount`
    /// bytes) and returns the number of bytes written. Non-finite values are written as `null`.
    public static func write(_ value: Float, to out: UnsafeMutablePointer<UInt8>) -> Int {
        writeShortest(value, to: out)
    }

    /// The shortest round-trip text of `value` (a convenience for tests and small outputs).
    public static func string(_ value: Float) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxByteCount) { buffer in
            let n = write(value, to: buffer.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self)
        }
    }

    /// Shortest decimal digits and exponent of a finite, nonzero magnitude: value = digits * 10^exponent.
    static func decimal(ieeeMantissa: UInt32, ieeeExponent: UInt32) -> (digits: UInt32, exponent: Int32) {
        // Step 1: the float as m2 * 2^e2, with two extra bits so the interval ends are integers.
        let e2: Int32
        let m2: UInt32
        if ieeeExponent == 0 {
            e2 = 1 - 127 - 23 - 2
            m2 = ieeeMantissa
        } else {
            e2 = Int32(ieeeExponent) - 127 - 23 - 2
            m2 = (1 << 23) | ieeeMantissa
        }
        let acceptBounds = m2 & 1 == 0  // round-half-even readers accept the interval ends

        // Step 2: the interval [mm, mp] around mv (all scaled by 4).
        let mv = 4 * m2
        let mp = 4 * m2 + 2
        let mmShift: UInt32 = (ieeeMantissa != 0 || ieeeExponent <= 1) ? 1 : 0
        let mm = 4 * m2 - 1 - mmShift

        // Step 3: scale to a decimal exponent e10 keeping ~9 digits of headroom.
        var vr: UInt32, vp: UInt32, vm: UInt32
        var e10: Int32
        var vmIsTrailingZeros = false
        var vrIsTrailingZeros = false
        var lastRemovedDigit: UInt32 = 0
        if e2 >= 0 {
            let q = log10Pow2(e2)
            e10 = q
            let k = inverseBitCount + pow5Bits(q) - 1
            let i = -e2 + q + k
            vr = mulPow5InvDivPow2(mv, q, i)
            vp = mulPow5InvDivPow2(mp, q, i)
            vm = mulPow5InvDivPow2(mm, q, i)
            if q != 0 && (vp - 1) / 10 <= vm / 10 {
                // The loop below removes at most one digit; it needs the digit before it.
                let l = inverseBitCount + pow5Bits(q - 1) - 1
                lastRemovedDigit = mulPow5InvDivPow2(mv, q - 1, -e2 + q - 1 + l) % 10
            }
            if q <= 9 {
                // Only one of mp, mv, mm can be a multiple of 5, if any.
                if mv % 5 == 0 {
                    vrIsTrailingZeros = isMultipleOfPowerOf5(mv, q)
                } else if acceptBounds {
                    vmIsTrailingZeros = isMultipleOfPowerOf5(mm, q)
                } else if isMultipleOfPowerOf5(mp, q) {
                    vp -= 1
                }
            }
        } else {
            let q = log10Pow5(-e2)
            e10 = q + e2
            let i = -e2 - q
            let k = pow5Bits(i) - powerBitCount
            var j = q - k
            vr = mulPow5DivPow2(mv, i, j)
            vp = mulPow5DivPow2(mp, i, j)
            vm = mulPow5DivPow2(mm, i, j)
            if q != 0 && (vp - 1) / 10 <= vm / 10 {
                j = q - 1 - (pow5Bits(i + 1) - powerBitCount)
                lastRemovedDigit = mulPow5DivPow2(mv, i + 1, j) % 10
            }
            if q <= 1 {
                // mv has at least q trailing zero bits, so vr is exact.
                vrIsTrailingZeros = true
                if acceptBounds {
                    vmIsTrailingZeros = mmShift == 1
                } else {
                    vp -= 1
                }
            } else if q < 31 {
                vrIsTrailingZeros = isMultipleOfPowerOf2(mv, q - 1)
            }
        }

        // Step 4: remove digits while the interval still holds two candidates.
        var removed: Int32 = 0
        var output: UInt32
        if vmIsTrailingZeros || vrIsTrailingZeros {
            // The general case (rare): track exact ties.
            while vp / 10 > vm / 10 {
                vmIsTrailingZeros = vmIsTrailingZeros && vm % 10 == 0
                vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit == 0
                lastRemovedDigit = vr % 10
                vr /= 10; vp /= 10; vm /= 10
                removed += 1
            }
            if vmIsTrailingZeros {
                while vm % 10 == 0 {
                    vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit == 0
                    lastRemovedDigit = vr % 10
                    vr /= 10; vp /= 10; vm /= 10
                    removed += 1
                }
            }
            if vrIsTrailingZeros && lastRemovedDigit == 5 && vr % 2 == 0 {
                lastRemovedDigit = 4  // an exact tie: round to even
            }
            let roundUp = (vr == vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5
            output = vr + (roundUp ? 1 : 0)
        } else {
            while vp / 10 > vm / 10 {
                lastRemovedDigit = vr % 10
                vr /= 10; vp /= 10; vm /= 10
                removed += 1
            }
            output = vr + ((vr == vm || lastRemovedDigit >= 5) ? 1 : 0)
        }
        e10 += removed
        return (output, e10)
    }

    @inline(__always)
    static func writeShortest(_ value: Float, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let bits = value.bitPattern
        let ieeeMantissa = bits & 0x7F_FFFF
        let ieeeExponent = (bits >> 23) & 0xFF
        let negative = bits >> 31 != 0
        if ieeeExponent == 0xFF {
            out[0] = 0x6E; out[1] = 0x75; out[2] = 0x6C; out[3] = 0x6C  // null
            return 4
        }
        var n = 0
        if negative { out[0] = 0x2D; n = 1 }
        if ieeeExponent == 0 && ieeeMantissa == 0 {
            out[n] = 0x30
            return n + 1
        }
        let (digits, exponent) = decimal(ieeeMantissa: ieeeMantissa, ieeeExponent: ieeeExponent)
        return n + layout(digits: digits, exponent: Int(exponent), to: out + n)
    }

    /// Writes digits * 10^exponent (digits without trailing zeros, at most 9 of them).
    @inline(__always)
    static func layout(digits: UInt32, exponent: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let count = decimalLength(digits)
        let point = count + exponent  // the value is 0.d1d2...dcount * 10^point
        if exponent >= 0 && point <= 9 {
            // An integer: digits then zeros.
            writeDigits(digits, count: count, to: out)
            for z in 0..<exponent { out[count + z] = 0x30 }
            return point
        }
        if point > 0 && point <= 9 {
            // d1..dpoint . rest
            writeDigits(digits, count: count, to: out + 1)
            for k in 0..<point { out[k] = out[k + 1] }
            out[point] = 0x2E
            return count + 1
        }
        if point <= 0 && point > -3 {
            // 0.00ddd
            out[0] = 0x30; out[1] = 0x2E
            let zeros = -point
            for z in 0..<zeros { out[2 + z] = 0x30 }
            writeDigits(digits, count: count, to: out + 2 + zeros)
            return 2 + zeros + count
        }
        // d1[.d2...]e[-]x
        var n: Int
        if count == 1 {
            writeDigits(digits, count: 1, to: out)
            n = 1
        } else {
            writeDigits(digits, count: count, to: out + 1)
            out[0] = out[1]
            out[1] = 0x2E
            n = count + 1
        }
        out[n] = 0x65  // e
        n += 1
        var e = point - 1
        if e < 0 { out[n] = 0x2D; n += 1; e = -e }
        if e >= 10 {
            out[n] = UInt8(truncatingIfNeeded: 0x30 + e / 10)
            out[n + 1] = UInt8(truncatingIfNeeded: 0x30 + e % 10)
            n += 2
        } else {
            out[n] = UInt8(truncatingIfNeeded: 0x30 + e)
            n += 1
        }
        return n
    }

    @inline(__always)
    static func writeDigits(_ value: UInt32, count: Int, to out: UnsafeMutablePointer<UInt8>) {
        let pairs = digitPairs.utf8Start
        var v = value
        var k = count
        while k >= 2 {
            let pair = Int(v % 100)
            v /= 100
            k -= 2
            out[k] = pairs[2 * pair]
            out[k + 1] = pairs[2 * pair + 1]
        }
        if k == 1 { out[0] = UInt8(truncatingIfNeeded: 0x30 + v) }
    }

    @inline(__always)
    static func decimalLength(_ v: UInt32) -> Int {
        // At most 9 digits: Ryu's output for binary32 is below 10^9.
        if v >= 100_000_000 { return 9 }
        if v >= 10_000_000 { return 8 }
        if v >= 1_000_000 { return 7 }
        if v >= 100_000 { return 6 }
        if v >= 10_000 { return 5 }
        if v >= 1_000 { return 4 }
        if v >= 100 { return 3 }
        if v >= 10 { return 2 }
        return 1
    }

    // MARK: Fixed-point helpers

    static let inverseBitCount: Int32 = 59
    static let powerBitCount: Int32 = 61

    /// ceil(log2(5^e)) for e >= 1 (1 for e = 0).
    @inline(__always) static func pow5Bits(_ e: Int32) -> Int32 { Int32((UInt32(e) &* 1_217_359) >> 19) + 1 }
    /// floor(log10(2^e)).
    @inline(__always) static func log10Pow2(_ e: Int32) -> Int32 { Int32((UInt32(e) &* 78_913) >> 18) }
    /// floor(log10(5^e)).
    @inline(__always) static func log10Pow5(_ e: Int32) -> Int32 { Int32((UInt32(e) &* 732_923) >> 20) }

    @inline(__always)
    static func isMultipleOfPowerOf5(_ value: UInt32, _ p: Int32) -> Bool {
        var v = value
        var count: Int32 = 0
        while v != 0 && v % 5 == 0 { v /= 5; count += 1 }
        return count >= p
    }

    @inline(__always)
    static func isMultipleOfPowerOf2(_ value: UInt32, _ p: Int32) -> Bool {
        value & ((1 << UInt32(p)) &- 1) == 0
    }

    /// (m * factor) >> shift, for shift > 32, with the 96-bit product formed from two halves.
    @inline(__always)
    static func mulShift(_ m: UInt32, _ factor: UInt64, _ shift: Int32) -> UInt32 {
        let low = UInt64(m) &* (factor & 0xFFFF_FFFF)
        let high = UInt64(m) &* (factor >> 32)
        let sum = (low >> 32) &+ high
        return UInt32(truncatingIfNeeded: sum >> UInt64(shift - 32))
    }

    @inline(__always)
    static func mulPow5InvDivPow2(_ m: UInt32, _ q: Int32, _ j: Int32) -> UInt32 {
        mulShift(m, inversePowers[Int(q)], j)
    }

    @inline(__always)
    static func mulPow5DivPow2(_ m: UInt32, _ i: Int32, _ j: Int32) -> UInt32 {
        mulShift(m, powers[Int(i)], j)
    }

    /// "00", "01", ... "99" back to back (a compile-time constant: no lazy initialisation per call).
    static var digitPairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }

    /// floor(2^(pow5bits(q) - 1 + 59) / 5^q) + 1 for q in 0...31.
    static let inversePowers: [UInt64] = [
        0x0800000000000001, 0x0666666666666667, 0x051EB851EB851EB9,
        0x04189374BC6A7EFA, 0x068DB8BAC710CB2A, 0x053E2D6238DA3C22,
        0x0431BDE82D7B634E, 0x06B5FCA6AF2BD216, 0x055E63B88C230E78,
        0x044B82FA09B5A52D, 0x06DF37F675EF6EAE, 0x057F5FF85E592558,
        0x0465E6604B7A8447, 0x0709709A125DA071, 0x05A126E1A84AE6C1,
        0x0480EBE7B9D58567, 0x0734ACA5F6226F0B, 0x05C3BD5191B525A3,
        0x049C97747490EAE9, 0x0760F253EDB4AB0E, 0x05E72843249088D8,
        0x04B8ED0283A6D3E0, 0x078E480405D7B966, 0x060B6CD004AC9452,
        0x04D5F0A66A23A9DB, 0x07BCB43D769F762B, 0x063090312BB2C4EF,
        0x04F3A68DBC8F03F3, 0x07EC3DAF94180651, 0x065697BFA9ACD1DA,
        0x051212FFBAF0A7E2, 0x040E7599625A1FE8,
    ]

    /// floor(5^i / 2^(pow5bits(i) - 61)) for i in 0...47.
    static let powers: [UInt64] = [
        0x1000000000000000, 0x1400000000000000, 0x1900000000000000,
        0x1F40000000000000, 0x1388000000000000, 0x186A000000000000,
        0x1E84800000000000, 0x1312D00000000000, 0x17D7840000000000,
        0x1DCD650000000000, 0x12A05F2000000000, 0x174876E800000000,
        0x1D1A94A200000000, 0x12309CE540000000, 0x16BCC41E90000000,
        0x1C6BF52634000000, 0x11C37937E0800000, 0x16345785D8A00000,
        0x1BC16D674EC80000, 0x1158E460913D0000, 0x15AF1D78B58C4000,
        0x1B1AE4D6E2EF5000, 0x10F0CF064DD59200, 0x152D02C7E14AF680,
        0x1A784379D99DB420, 0x108B2A2C28029094, 0x14ADF4B7320334B9,
        0x19D971E4FE8401E7, 0x1027E72F1F128130, 0x1431E0FAE6D7217C,
        0x193E5939A08CE9DB, 0x1F8DEF8808B02452, 0x13B8B5B5056E16B3,
        0x18A6E32246C99C60, 0x1ED09BEAD87C0378, 0x13426172C74D822B,
        0x1812F9CF7920E2B6, 0x1E17B84357691B64, 0x12CED32A16A1B11E,
        0x178287F49C4A1D66, 0x1D6329F1C35CA4BF, 0x125DFA371A19E6F7,
        0x16F578C4E0A060B5, 0x1CB2D6F618C878E3, 0x11EFC659CF7D4B8D,
        0x166BB7F0435C9E71, 0x1C06A5EC5433C60D, 0x118427B3B4A05BC8,
    ]
}
