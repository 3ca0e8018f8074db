// F16 and BF16 to float32: exhaustive against the definition, and known special values.

import XCTest
@testable import HeedCheckpoints

final class FloatConversionTests: XCTestCase {
    func testEveryF16BitPatternMatchesTheDefinition() {
        for raw in 0...0xFFFF {
            let bits = UInt16(raw)
            let got = FloatConversion.float(fromF16Bits: bits)
            let expected = referenceF16(bits)
            if expected.isNaN {
                XCTAssertTrue(got.isNaN, "0x\(String(raw, radix: 16)) should be NaN")
                XCTAssertEqual(got.sign, expected.sign, "NaN sign of 0x\(String(raw, radix: 16))")
                XCTAssertEqual(got.bitPattern & 0x003F_E000, expected.bitPattern & 0x003F_E000, "NaN payload of 0x\(String(raw, radix: 16))")
            } else {
                XCTAssertEqual(got.bitPattern, expected.bitPattern, "0x\(String(raw, radix: 16)): \(got) != \(expected)")
            }
        }
    }

    func testF16SpecialValues() {
        let f = FloatConversion.float(fromF16Bits:)
        XCTAssertEqual(f(0x0000).bitPattern, Float(0).bitPattern)
        XCTAssertEqual(f(0x8000).bitPattern, Float(-0.0).bitPattern)
        XCTAssertEqual(f(0x3C00), 1)
        XCTAssertEqual(f(0xC000), -2)
        XCTAssertEqual(f(0x0001), 5.9604645e-8)        // smallest subnormal, 2^-24
        XCTAssertEqual(f(0x8001), -5.9604645e-8)
        XCTAssertEqual(f(0x03FF), 6.097555e-5)         // largest subnormal
        XCTAssertEqual(f(0x0400), 6.1035156e-5)        // smallest normal, 2^-14
        XCTAssertEqual(f(0x7BFF), 65504)               // largest finite
        XCTAssertEqual(f(0x7C00), .infinity)
        XCTAssertEqual(f(0xFC00), -.infinity)
        XCTAssertTrue(f(0x7E00).isNaN)
        XCTAssertTrue(f(0x7C01).isNaN)                  // signalling NaN stays NaN
        XCTAssertTrue(f(0xFE00).isNaN && f(0xFE00).sign == .minus)
    }

    func testBF16SpecialValues() {
        let f = FloatConversion.float(fromBF16Bits:)
        XCTAssertEqual(f(0x3F80), 1)
        XCTAssertEqual(f(0xC000), -2)
        XCTAssertEqual(f(0x3E20), 0.15625)
        XCTAssertEqual(f(0x4049), 3.140625)
        XCTAssertEqual(f(0x8000).bitPattern, Float(-0.0).bitPattern)
        XCTAssertEqual(f(0x0001), Float(sign: .plus, exponent: -133, significand: 1))   // smallest subnormal
        XCTAssertEqual(f(0x007F), Float(sign: .plus, exponent: -126, significand: 1) * (127.0 / 128.0))
        XCTAssertEqual(f(0x7F7F), Float(sign: .plus, exponent: 127, significand: 1.9921875))   // largest finite
        XCTAssertEqual(f(0x7F80), .infinity)
        XCTAssertEqual(f(0xFF80), -.infinity)
        XCTAssertTrue(f(0x7FC0).isNaN)
        XCTAssertTrue(f(0x7F81).isNaN)
        XCTAssertTrue(f(0xFFC1).isNaN && f(0xFFC1).sign == .minus)
    }

    /// The bulk converter (used by `tensor(_:)`) on an unaligned source, every pattern.
    func testBulkConversionFromUnalignedBytes() {
        let patterns = (0...0xFFFF).map { UInt16($0) }
        var bytes: [UInt8] = [0xAA]   // one leading byte: every element starts at an odd address
        for p in patterns { bytes += [UInt8(p & 0xFF), UInt8(p >> 8)] }
        var f16 = [Float](repeating: 0, count: patterns.count)
        var bf16 = [Float](repeating: 0, count: patterns.count)
        bytes.withUnsafeBytes { raw in
            FloatConversion.convert(.f16, from: raw.baseAddress! + 1, count: patterns.count, into: &f16)
            FloatConversion.convert(.bf16, from: raw.baseAddress! + 1, count: patterns.count, into: &bf16)
        }
        for (i, p) in patterns.enumerated() {
            let scalar = FloatConversion.float(fromF16Bits: p)
            if f16[i].bitPattern != scalar.bitPattern {
                XCTFail("bulk f16 0x\(String(p, radix: 16)): \(f16[i]) != \(scalar)")
                break
            }
        }
        XCTAssertEqual(bf16.map(\.bitPattern), patterns.map { UInt32($0) << 16 })
    }
}
