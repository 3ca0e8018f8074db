// The reference dequantisers against gguf-py 0.19.0: Tests/Fixtures/gguf/quants.gguf holds
// tensors of every QuantFormat (random raw blocks with awkward row counts, tensors quantised by
// gguf-py, special f16/bf16/f32 bit patterns, non-finite scales on purpose) and
// quants_expected.f32 what `gguf.quants.dequantize` returns for them (generate_quant_fixtures.py).
// The comparison is bit for bit (0 ulp), NaN payloads and signs included: each ggml/gguf-py
// expression is one float product or product-and-sum in the same order, without FMA.
// This test reads the blocks straight from the file bytes at the offsets gguf-py reports, so it
// does not depend on Heed's GGUF reader (HeedCheckpointsTests.GGUFTensorDataTests does).

import Foundation
import HeedTestSupport
import XCTest
@testable import HeedKernels

final class QuantizationTests: XCTestCase {
    struct Entry {
        let name: String, type: String, dimensions: [Int], dataOffset: Int, byteCount: Int, count: Int, expectedOffset: Int
    }

    static func fixture() throws -> (file: [UInt8], expected: [Float], entries: [Entry]) {
        let file = [UInt8](try Data(contentsOf: Fixtures.url("gguf/quants.gguf")))
        let raw = try Data(contentsOf: Fixtures.url("gguf/quants_expected.f32"))
        let expected = raw.withUnsafeBytes { b in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        let index = try Fixtures.json("gguf/quants_expected.json")
        let tensors = try XCTUnwrap(index["tensors"] as? [[String: Any]])
        let entries = tensors.map {
            Entry(name: $0["name"] as! String, type: $0["type"] as! String, dimensions: $0["dimensions"] as! [Int],
                  dataOffset: $0["data_offset"] as! Int, byteCount: $0["byte_count"] as! Int, count: $0["count"] as! Int,
                  expectedOffset: $0["expected_offset"] as! Int)
        }
        return (file, expected, entries)
    }

    static func format(named name: String) -> QuantFormat? { QuantFormat.allCases.first { $0.name == name } }

    /// Bit-exact comparison; returns a description of the first mismatches (empty when equal).
    static func mismatches(_ expected: ArraySlice<Float>, _ actual: [Float]) -> [String] {
        var out: [String] = []
        for (i, (e, a)) in zip(expected, actual).enumerated() where e.bitPattern != a.bitPattern {
            out.append("[\(i)] expected \(e) (0x\(String(e.bitPattern, radix: 16))) got \(a) (0x\(String(a.bitPattern, radix: 16)))")
            if out.count == 5 { break }
        }
        if expected.count != actual.count { out.append("count: expected \(expected.count), got \(actual.count)") }
        return out
    }

    func testEveryFormatIsInTheFixtureWithGGUFPysLayout() throws {
        let (_, _, entries) = try Self.fixture()
        XCTAssertEqual(Set(entries.map(\.type)), Set(QuantFormat.allCases.map(\.name)))
        for e in entries {
            let format = try XCTUnwrap(Self.format(named: e.type), e.type)
            XCTAssertEqual(format.byteCount(elementCount: e.count), e.byteCount, e.name)
            XCTAssertEqual(e.dimensions[0] % format.blockSize, 0, e.name)
        }
    }

    func testDequantizeMatchesGGUFPyBitForBit() throws {
        let (file, expected, entries) = try Self.fixture()
        var checked: [String: Int] = [:]
        for e in entries {
            let format = try XCTUnwrap(Self.format(named: e.type))
            XCTAssertLessThanOrEqual(e.dataOffset + e.byteCount, file.count)
            var actual = [Float](repeating: .nan, count: e.count)
            file.withUnsafeBytes { bytes in
                Reference.dequantize(format, blocks: bytes.baseAddress! + e.dataOffset, count: e.count, into: &actual)
            }
            let bad = Self.mismatches(expected[e.expectedOffset..<(e.expectedOffset + e.count)], actual)
            XCTAssertTrue(bad.isEmpty, "\(e.name) (\(e.type)): \(bad.joined(separator: "; "))")
            checked[e.type, default: 0] += e.count
        }
        XCTAssertEqual(checked.count, QuantFormat.allCases.count)
    }

    /// Row by row through `dequantizeRow`, with every row copied to an odd address first: the
    /// loads must not assume alignment.
    func testDequantizeRowAtUnalignedAddresses() throws {
        let (file, expected, entries) = try Self.fixture()
        for e in entries {
            let format = try XCTUnwrap(Self.format(named: e.type))
            let rowLength = e.dimensions[0], rows = e.count / rowLength
            let rowBytes = rowLength / format.blockSize * format.bytesPerBlock
            for r in 0..<rows {
                for shift in [1, 3] {
                    var buffer = [UInt8](repeating: 0xAA, count: rowBytes + shift)
                    buffer[shift...] = file[(e.dataOffset + r * rowBytes)..<(e.dataOffset + (r + 1) * rowBytes)]
                    let actual = buffer.withUnsafeBytes { Reference.dequantizeRow(format, UnsafeRawBufferPointer(rebasing: $0[shift...])) }
                    let start = e.expectedOffset + r * rowLength
                    let bad = Self.mismatches(expected[start..<(start + rowLength)], actual)
                    XCTAssertTrue(bad.isEmpty, "\(e.name) row \(r) at +\(shift): \(bad.joined(separator: "; "))")
                }
            }
        }
    }

    /// Hand-worked blocks, to read the layouts off: Q8_0 and Q4_0 with d = 0.5 (f16 0x3800).
    func testHandWorkedBlocks() {
        var q8: [UInt8] = [0x00, 0x38] + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
        let y8 = q8.withUnsafeMutableBytes { Reference.dequantizeRow(.q8_0, UnsafeRawBufferPointer($0)) }
        XCTAssertEqual(y8, (0..<32).map { Float($0 - 16) * 0.5 })
        // qs[j] = j | (15 - j) << 4: element j is (j - 8) d, element j + 16 is (7 - j) d.
        var q4: [UInt8] = [0x00, 0x38] + (0..<16).map { UInt8($0 | (15 - $0) << 4) }
        let y4 = q4.withUnsafeMutableBytes { Reference.dequantizeRow(.q4_0, UnsafeRawBufferPointer($0)) }
        XCTAssertEqual(y4, (0..<16).map { Float($0 - 8) * 0.5 } + (0..<16).map { Float(7 - $0) * 0.5 })
        q8.removeAll(); q4.removeAll()
        XCTAssertEqual(Reference.dequantizeRow(.q6_K, UnsafeRawBufferPointer(start: nil, count: 0)), [])
    }

    /// Every f16 bit pattern: normals, subnormals, zeros, infinities and NaNs (payload and sign
    /// kept) against the definition value = (-1)^s * 2^(e-15) * (1 + m/1024), or m * 2^-24.
    func testHalfFloatEveryBitPattern() {
        for h in 0...UInt16.max {
            let got = HalfFloat.float(fromF16Bits: h)
            let sign: Float = h & 0x8000 != 0 ? -1 : 1
            let e = Int(h >> 10) & 31, m = Int(h & 0x3FF)
            if e == 31 {
                let bits = UInt32(h & 0x8000) << 16 | 0x7F80_0000 | UInt32(m) << 13
                XCTAssertEqual(got.bitPattern, bits, "0x\(String(h, radix: 16))")
            } else {
                let want = e == 0 ? sign * Float(m) * 0x1p-24 : sign * Float(1024 + m) * Float(sign: .plus, exponent: e - 25, significand: 1)
                XCTAssertEqual(got.bitPattern, want.bitPattern, "0x\(String(h, radix: 16))")
            }
        }
    }

    /// Throughput of the reference (a plain scalar loop), for callers that dequantise at load:
    /// HEED_QUANT_BENCH=1 prints Melements/s per format on 2^22 elements. No assertion.
    func testReferenceThroughput() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["HEED_QUANT_BENCH"] == "1", "HEED_QUANT_BENCH=1 runs it")
        let count = 1 << 22
        var out = [Float](repeating: 0, count: count)
        for format in QuantFormat.allCases {
            var state: UInt64 = 0x2545_F491_4F6C_DD1D
            var bytes = (0..<format.byteCount(elementCount: count)!).map { _ -> UInt8 in
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return UInt8(truncatingIfNeeded: state)
            }
            if format.isQuantized {
                // Every f16 field 1.0 (no NaN or subnormal arithmetic in the timing).
                let fields: [Int] = [.q4_0: [0], .q4_1: [0, 2], .q5_0: [0], .q5_1: [0, 2], .q8_0: [0], .q2_K: [80, 82],
                                     .q3_K: [108], .q4_K: [0, 2], .q5_K: [0, 2], .q6_K: [208]][format]!
                for b in stride(from: 0, to: bytes.count, by: format.bytesPerBlock) {
                    for f in fields { bytes[b + f] = 0x00; bytes[b + f + 1] = 0x3C }
                }
            }
            let start = DispatchTime.now().uptimeNanoseconds
            bytes.withUnsafeBytes { b in out.withUnsafeMutableBufferPointer { Reference.dequantize(format, blocks: b.baseAddress!, count: count, into: $0.baseAddress!) } }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print("dequantize \(format): \(String(format: "%.0f", Double(count) / seconds / 1e6)) Melements/s")
        }
    }
}
