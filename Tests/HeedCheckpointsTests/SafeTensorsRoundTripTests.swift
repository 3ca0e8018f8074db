// Files written by SafeTensorsWriter (or by hand) read back with the same names, shapes, dtypes
// and values, including tensors at unaligned offsets and 16-bit floats.

import XCTest
import HeedKernels
@testable import HeedCheckpoints

final class SafeTensorsRoundTripTests: XCTestCase {
    private var temp: TemporaryDirectory!

    override func setUpWithError() throws { temp = try TemporaryDirectory() }
    override func tearDown() { temp = nil }

    func testFloat32TensorsAndMetadata() throws {
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "note": "ünïcode"])
        let weight = Tensor(shape: [2, 3], data: [1, -2, 3.5, .pi, -0.0, 1e-30])
        writer.add("encoder.layer.0.weight", weight)
        writer.add("scalar", Tensor(shape: [], data: [42]))
        writer.add("empty", Tensor(shape: [0, 3], data: []))
        let url = temp.file("model.safetensors")
        try writer.write(to: url)

        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.url, url)
        XCTAssertEqual(file.tensorNames, ["empty", "encoder.layer.0.weight", "scalar"])
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "ünïcode"])
        XCTAssertEqual(file.info("encoder.layer.0.weight"), TensorInfo(dtype: .f32, shape: [2, 3]))
        XCTAssertNil(file.info("missing"))
        let read = try file.tensor("encoder.layer.0.weight")
        XCTAssertEqual(read.shape, [2, 3])
        XCTAssertEqual(read.data.map(\.bitPattern), weight.data.map(\.bitPattern))
        XCTAssertEqual(try file.tensor("scalar"), Tensor(shape: [], data: [42]))
        XCTAssertEqual(try file.tensor("empty").shape, [0, 3])
        XCTAssertEqual(try file.tensor("empty").count, 0)
        assertCheckpointError(url, ["no tensor named 'missing'"]) { _ = try file.tensor("missing") }
    }

    func testEmptyHeaderIsAFileWithoutTensors() throws {
        let url = try temp.write("empty.safetensors", rawSafeTensors(header: "{}  "))
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.tensorNames, [])
        XCTAssertEqual(file.metadata, [:])
    }

    /// A 6-byte F16 tensor first puts every later tensor at an odd multiple of 2; no header
    /// padding puts the data section itself at an unaligned file offset.
    func testUnalignedOffsetsAndMixedDTypes() throws {
        var writer = SafeTensorsWriter()
        writer.add("half", dtype: .f16, shape: [3], bits16: [0x3C00, 0xC000, 0x3555])   // 1, -2, 0.333251953125
        writer.add("bytes", dtype: .u8, shape: [1], bytes: [7])
        writer.add("single", dtype: .f32, shape: [2], bytes: floatBytes([0.1, -7.25]))
        writer.add("brain", dtype: .bf16, shape: [2], bits16: [0x3F80, 0x4049])          // 1, 3.140625
        writer.add("ids", dtype: .i64, shape: [1, 3], bytes: SafeTensorsWriter.littleEndianBytes([Int64(0), 1, -511]))
        writer.add("flags", dtype: .bool, shape: [2], bytes: [0, 1])
        writer.add("doubles", dtype: .f64, shape: [1], bytes: SafeTensorsWriter.littleEndianBytes([Double(2.5).bitPattern]))
        let bytes = writer.serialized(headerAlignment: 1)
        let url = temp.file("unaligned.safetensors")
        try bytes.write(to: url)

        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(try file.tensor("half").data, [1, -2, 0.333251953125])
        XCTAssertEqual(try file.tensor("bytes").data, [7])
        XCTAssertEqual(try file.tensor("single").data, [0.1, -7.25])
        XCTAssertEqual(try file.tensor("brain").data, [1, 3.140625])
        XCTAssertEqual(try file.tensor("ids"), Tensor(shape: [1, 3], data: [0, 1, -511]))
        XCTAssertEqual(try file.tensor("flags").data, [0, 1])
        XCTAssertEqual(try file.tensor("doubles").data, [2.5])
        XCTAssertEqual(file.info("ids"), TensorInfo(dtype: .i64, shape: [1, 3]))
        let raw = file.withRawBytes("single") { Array($0) }
        XCTAssertEqual(raw, floatBytes([0.1, -7.25]))
        XCTAssertNil(file.withRawBytes("absent") { $0.count })
    }

    /// Long tensors cross the converter's chunk boundary (8192 elements) with a remainder.
    func testLongHalfTensorsMatchScalarConversion() throws {
        let count = 3 * 8192 + 77
        let f16 = (0..<count).map { UInt16(truncatingIfNeeded: $0 &* 40503) }
        let bf16 = f16.map { $0 ^ 0x5A5A }
        var writer = SafeTensorsWriter()
        writer.add("pad", dtype: .u8, shape: [3], bytes: [1, 2, 3])
        writer.add("f16", dtype: .f16, shape: [count], bits16: f16)
        writer.add("bf16", dtype: .bf16, shape: [count], bits16: bf16)
        writer.add("f32", dtype: .f32, shape: [count], bytes: floatBytes(bf16.map(FloatConversion.float(fromBF16Bits:))))
        let url = temp.file("long.safetensors")
        try writer.write(to: url)
        let file = try SafeTensorsFile(url: url)

        let readF16 = try file.tensor("f16").data
        let readBF16 = try file.tensor("bf16").data
        let readF32 = try file.tensor("f32").data
        XCTAssertEqual(readF16.map(\.bitPattern), f16.map { referenceF16($0).bitPattern })
        XCTAssertEqual(readBF16.map(\.bitPattern), bf16.map { UInt32($0) << 16 })
        XCTAssertEqual(readF32.map(\.bitPattern), bf16.map { UInt32($0) << 16 })
    }

    func testUnconvertibleDTypeOpensButDoesNotConvert() throws {
        var writer = SafeTensorsWriter()
        writer.add("scale", dtype: .f8e4m3, shape: [2], bytes: [0x38, 0x40])
        writer.add("w", dtype: .f32, shape: [1], bytes: floatBytes([5]))
        let url = temp.file("f8.safetensors")
        try writer.write(to: url)
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.info("scale"), TensorInfo(dtype: .f8e4m3, shape: [2]))
        XCTAssertEqual(try file.tensor("w").data, [5])
        assertCheckpointError(url, ["tensor 'scale'", "F8_E4M3", "cannot convert", "BF16"]) { _ = try file.tensor("scale") }
    }

    /// The reference writer's layout: 8-byte aligned data section, header padded with spaces.
    func testHeaderPaddingAndAlignment() throws {
        var writer = SafeTensorsWriter()
        writer.add("a", Tensor(shape: [1], data: [1]))
        let bytes = [UInt8](writer.serialized())
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual((8 + headerLength) % 8, 0)
        XCTAssertEqual(bytes.count, 8 + headerLength + 4)
        let url = try temp.write("padded.safetensors", bytes)
        XCTAssertEqual(try SafeTensorsFile(url: url).tensor("a").data, [1])
    }
}

/// binary16 decoded from its definition, independently of FloatConversion.
func referenceF16(_ bits: UInt16) -> Float {
    let sign: Float = bits & 0x8000 != 0 ? -1 : 1
    let exponent = Int((bits >> 10) & 0x1F)
    let mantissa = Float(bits & 0x3FF)
    switch exponent {
    case 0: return sign * mantissa * Float(sign: .plus, exponent: -24, significand: 1)
    case 31:
        if mantissa == 0 { return sign * .infinity }
        let payload = UInt32(bits & 0x3FF) << 13
        return Float(bitPattern: (bits & 0x8000 != 0 ? 0x8000_0000 : 0) | 0x7F80_0000 | payload)
    default: return sign * (1024 + mantissa) * Float(sign: .plus, exponent: exponent - 25, significand: 1)
    }
}
