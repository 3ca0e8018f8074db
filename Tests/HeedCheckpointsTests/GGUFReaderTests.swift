// GGUF files built with GGUFWriter: header defaults, empty and nested arrays, alignment, tensor
// infos, the ggml type table, and the typed accessors (values, absence, wrong types).

import XCTest
@testable import HeedCheckpoints

final class GGUFReaderTests: XCTestCase {
    private var temp: TemporaryDirectory!

    override func setUpWithError() throws { temp = try TemporaryDirectory("heed-gguf") }
    override func tearDown() { temp = nil }

    private func open(_ writer: GGUFWriter, _ name: String = "model.gguf") throws -> (GGUFFile, URL) {
        let url = temp.file(name)
        try writer.write(to: url)
        return (try GGUFFile(url: url), url)
    }

    func testEmptyFileOfVersion2And3() throws {
        for version: UInt32 in [2, 3] {
            var writer = GGUFWriter()
            writer.version = version
            let (file, _) = try open(writer)
            XCTAssertEqual(file.version, Int(version))
            XCTAssertEqual(file.keys, [])
            XCTAssertEqual(file.tensors, [])
            XCTAssertEqual(file.alignment, 32)
            XCTAssertEqual(file.dataOffset, 32)   // the 24-byte header, padded to 32
            XCTAssertEqual(file.fileByteCount, 32)
        }
    }

    func testDefaultAlignmentPlacesDataAfterInfos() throws {
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("llama"))
        writer.addTensor("a", dimensions: [3], values: [1, 2, 3])          // 12 bytes, padded to 32
        writer.addTensor("b", dimensions: [2, 2], values: [4, 5, 6, 7])    // 16 bytes
        let (file, url) = try open(writer)
        XCTAssertEqual(file.alignment, 32)
        XCTAssertNil(file.value("general.alignment"))
        XCTAssertEqual(file.dataOffset % 32, 0)
        XCTAssertEqual(file.tensors.map(\.name), ["a", "b"])
        XCTAssertEqual(file.tensors.map(\.offset), [0, 32])
        XCTAssertEqual(file.tensors.map(\.byteCount), [12, 16])
        XCTAssertEqual(file.tensors[1].dimensions, [2, 2])
        XCTAssertEqual(file.tensors[1].type, .f32)
        let data = try Data(contentsOf: url)
        let b = file.tensor(named: "b")!
        let floats = (0..<4).map { i in
            Float(bitPattern: UInt32(data[file.fileOffset(of: b) + 4 * i]) | UInt32(data[file.fileOffset(of: b) + 4 * i + 1]) << 8
                  | UInt32(data[file.fileOffset(of: b) + 4 * i + 2]) << 16 | UInt32(data[file.fileOffset(of: b) + 4 * i + 3]) << 24)
        }
        XCTAssertEqual(floats, [4, 5, 6, 7])
    }

    func testCustomAlignment() throws {
        for alignment in [1, 8, 256] {
            var writer = GGUFWriter()
            writer.setAlignment(alignment)
            writer.addTensor("a", dimensions: [3], values: [1, 2, 3])
            writer.addTensor("b", dimensions: [1], values: [4])
            let (file, _) = try open(writer, "a\(alignment).gguf")
            XCTAssertEqual(file.alignment, alignment)
            XCTAssertEqual(file.dataOffset % alignment, 0)
            XCTAssertEqual(file.tensors[1].offset, (12 + alignment - 1) / alignment * alignment)
        }
    }

    func testEmptyAndNestedArrays() throws {
        var writer = GGUFWriter()
        writer.add("empty.strings", .strings([]))
        writer.add("empty.int32", .int32s([]))
        writer.add("empty.float32", .float32s([]))
        writer.add("nested", .array(.array, [.array(.array, [.int32s([1]), .strings(["x", "y"])]), .array(.bool, [])]))
        let (file, _) = try open(writer)
        XCTAssertEqual(try file.stringArray("empty.strings"), [])
        XCTAssertEqual(try file.int32Array("empty.int32"), [])
        XCTAssertEqual(try file.floatArray("empty.float32"), [])
        guard case let .array(outer) = file.value("nested") else { return XCTFail("nested is not an array") }
        XCTAssertEqual(file.value("nested")?.typeDescription, "array of array")
        let level1 = try file.elements(of: outer)
        XCTAssertEqual(level1.count, 2)
        guard case let .array(middle) = level1[0], case let .array(emptyBools) = level1[1] else { return XCTFail("not arrays") }
        XCTAssertEqual(emptyBools.elementType, .bool)
        XCTAssertEqual(emptyBools.count, 0)
        XCTAssertEqual(try file.elements(of: emptyBools), [])
        let level2 = try file.elements(of: middle)
        guard case let .array(ints) = level2[0], case let .array(strings) = level2[1] else { return XCTFail("not arrays") }
        XCTAssertEqual(try file.elements(of: ints), [.int32(1)])
        XCTAssertEqual(try file.elements(of: strings), [.string("x"), .string("y")])
    }

    func testNestingUpToTheLimitIsRead() throws {
        var value = GGUFWriter.Value.int32s([7])
        for _ in 1..<GGUFFile.maxArrayNesting { value = .array(.array, [value]) }
        var writer = GGUFWriter()
        writer.add("deep", value)
        let (file, _) = try open(writer)
        var current = file.value("deep")
        var depth = 0
        while case let .array(a)? = current, a.elementType == .array {
            current = try file.elements(of: a).first
            depth += 1
        }
        XCTAssertEqual(depth, GGUFFile.maxArrayNesting - 1)
        guard case let .array(innermost)? = current else { return XCTFail("no innermost array") }
        XCTAssertEqual(try file.elements(of: innermost), [.int32(7)])
    }

    func testTypedAccessorsReturnNilForAbsentKeys() throws {
        let (file, _) = try open(GGUFWriter())
        XCTAssertNil(try file.string("x"))
        XCTAssertNil(try file.int("x"))
        XCTAssertNil(try file.bool("x"))
        XCTAssertNil(try file.float("x"))
        XCTAssertNil(try file.stringArray("x"))
        XCTAssertNil(try file.int32Array("x"))
        XCTAssertNil(try file.floatArray("x"))
        XCTAssertNil(file.value("x"))
    }

    func testIntAcceptsEveryIntegerWidth() throws {
        var writer = GGUFWriter()
        let values: [(String, GGUFWriter.Value, Int)] = [
            ("u8", .uint8(255), 255), ("i8", .int8(-128), -128), ("u16", .uint16(65535), 65535), ("i16", .int16(-32768), -32768),
            ("u32", .uint32(UInt32.max), Int(UInt32.max)), ("i32", .int32(Int32.min), Int(Int32.min)),
            ("u64", .uint64(UInt64(Int.max)), Int.max), ("i64", .int64(Int64.min), Int(Int64.min)),
        ]
        for (key, value, _) in values { writer.add(key, value) }
        let (file, _) = try open(writer)
        for (key, _, want) in values { XCTAssertEqual(try file.int(key), want, key) }
    }

    func testWrongTypesNameTheKeyAndBothTypes() throws {
        var writer = GGUFWriter()
        writer.add("n", .uint32(1))
        writer.add("flag", .bool(true))
        writer.add("byte", .uint8(1))
        writer.add("text", .string("x"))
        writer.add("f64", .float64(0.5))
        writer.add("ints", .array(.uint32, [.uint32(1)]))
        writer.add("tokens", .int32s([1, 2]))
        writer.add("doubles", .array(.float64, [.float64(1)]))
        writer.add("big", .uint64(UInt64(Int.max) + 1))
        let (file, url) = try open(writer)
        assertGGUFError(url, .wrongValueType, ["'n'", "uint32", "not a string"]) { _ = try file.string("n") }
        assertGGUFError(url, .wrongValueType, ["'flag'", "bool", "not an integer"]) { _ = try file.int("flag") }
        assertGGUFError(url, .wrongValueType, ["'f64'", "float64", "not an integer"]) { _ = try file.int("f64") }
        assertGGUFError(url, .wrongValueType, ["'byte'", "uint8", "not a bool"]) { _ = try file.bool("byte") }
        assertGGUFError(url, .wrongValueType, ["'f64'", "float64", "not a float32"]) { _ = try file.float("f64") }
        assertGGUFError(url, .wrongValueType, ["'text'", "string", "not an array of string"]) { _ = try file.stringArray("text") }
        assertGGUFError(url, .wrongValueType, ["'tokens'", "array of int32", "not an array of string"]) { _ = try file.stringArray("tokens") }
        assertGGUFError(url, .wrongValueType, ["'ints'", "array of uint32", "not an array of int32"]) { _ = try file.int32Array("ints") }
        assertGGUFError(url, .wrongValueType, ["'doubles'", "array of float64", "not an array of float32"]) { _ = try file.floatArray("doubles") }
        assertGGUFError(url, .wrongValueType, ["'n'", "uint32", "not an array of float32"]) { _ = try file.floatArray("n") }
        assertGGUFError(url, .valueOutOfRange, ["'big'", "uint64 \(UInt64(Int.max) + 1)", "above \(Int.max)"]) { _ = try file.int("big") }
    }

    func testInvalidUTF8InAStringArrayIsReportedOnAccess() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.string("tokenizer.ggml.tokens")
        raw.u32(GGUFValueType.array.rawValue)
        raw.u32(GGUFValueType.string.rawValue)
        raw.u64(3)
        raw.string("ok")
        raw.string("fine")
        raw.rawString([0x61, 0xC3])   // "a" + a lone UTF-8 lead byte
        let url = try temp.write("utf8.gguf", raw.bytes)
        let file = try GGUFFile(url: url)
        assertGGUFError(url, .invalidUTF8, ["string 2 of key 'tokenizer.ggml.tokens'", "not valid UTF-8"]) {
            _ = try file.stringArray("tokenizer.ggml.tokens")
        }
        guard case let .array(array) = file.value("tokenizer.ggml.tokens") else { return XCTFail("not an array") }
        assertGGUFError(url, .invalidUTF8, ["element 2", "not valid UTF-8"]) { _ = try file.elements(of: array) }
    }

    func testElementsOfAnArrayFromElsewhereIsRefused() throws {
        var writer = GGUFWriter()
        writer.add("a", .int32s([1, 2]))
        let (file, url) = try open(writer)
        let foreign = GGUFArray(elementType: .int32, count: 1_000, byteOffset: 0, byteCount: 4_000)
        assertGGUFError(url, .countTooLarge, ["does not lie in the file"]) { _ = try file.elements(of: foreign) }
    }

    /// The UTF-8 check used where `String(validating:)` is missing agrees with it.
    func testTranscodingValidationAgreesWithTheStandardLibrary() {
        let cases: [[UInt8]] = [
            [], Array("plain".utf8), Array("Ġthe ▁x 日本 🙂".utf8), [0xEF, 0xBF, 0xBD],
            [0xFF], [0x61, 0xC3], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80],
        ]
        for bytes in cases {
            bytes.withUnsafeBufferPointer { buffer in
                XCTAssertEqual(GGUFCursor.textByTranscoding(buffer), String(validating: buffer, as: UTF8.self), "\(bytes)")
            }
        }
        XCTAssertNil(([0xFF] as [UInt8]).withUnsafeBufferPointer { GGUFCursor.textByTranscoding($0) })
        XCTAssertEqual(Array("Ġthe".utf8).withUnsafeBufferPointer { GGUFCursor.textByTranscoding($0) }, "Ġthe")
    }

    func testGGMLTypeTable() {
        // The table of gguf-py 0.19.0 (GGML_QUANT_SIZES), id -> (name, block size, bytes per block).
        let expected: [UInt32: (String, Int, Int)] = [
            0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
            7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110),
            12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
            16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50),
            20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136),
            24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
            29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66),
            39: ("MXFP4", 32, 17), 40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
        ]
        XCTAssertEqual(GGMLType.allCases.count, expected.count)
        for type in GGMLType.allCases {
            guard let (name, block, bytes) = expected[type.rawValue] else { XCTFail("unexpected id \(type.rawValue)"); continue }
            XCTAssertEqual(type.name, name)
            XCTAssertEqual(type.blockSize, block, name)
            XCTAssertEqual(type.bytesPerBlock, bytes, name)
        }
        for removed: UInt32 in [4, 5, 31, 32, 33, 36, 37, 38, 42] { XCTAssertNil(GGMLType(rawValue: removed)) }
        XCTAssertEqual(GGMLType.q4_1.byteCount(elementCount: 576 * 1536), 576 * 1536 / 32 * 20)
        XCTAssertNil(GGMLType.q4_1.byteCount(elementCount: 33))
        XCTAssertNil(GGMLType.f32.byteCount(elementCount: Int.max))
        XCTAssertEqual(GGMLType.q8_0.byteCount(elementCount: 0), 0)
    }
}
