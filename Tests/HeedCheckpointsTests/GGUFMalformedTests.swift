// One test per rule a GGUF file can break: each must throw a GGUFError naming the file, the
// rule, the key or tensor, and never crash, read outside the mapping or allocate from a count
// it has not checked.

import XCTest
@testable import HeedCheckpoints

final class GGUFMalformedTests: XCTestCase {
    private var temp: TemporaryDirectory!

    override func setUpWithError() throws { temp = try TemporaryDirectory("heed-gguf-bad") }
    override func tearDown() { temp = nil }

    private func assertRejected(_ bytes: [UInt8], _ rule: GGUFError.Rule, _ fragments: [String], line: UInt = #line) throws {
        let url = try temp.write("bad.gguf", bytes)
        assertGGUFError(url, rule, fragments, line: line) { _ = try GGUFFile(url: url) }
    }

    /// A file with one F32 tensor info `name` of `dimensions` at `offset`, then `dataBytes` bytes.
    private func oneTensor(_ name: String = "w", _ dimensions: [UInt64] = [4], type: UInt32 = 0, offset: UInt64 = 0,
                           dataBytes: Int = 16) -> [UInt8] {
        var raw = RawGGUF.header(tensors: 1, keys: 0)
        raw.tensor(name, dimensions, type: type, offset: offset)
        raw.data(dataBytes)
        return raw.bytes
    }

    // MARK: Opening

    func testMissingFile() {
        let url = temp.file("absent.gguf")
        assertGGUFError(url, .unreadable, ["cannot open"]) { _ = try GGUFFile(url: url) }
    }

    func testDirectory() throws {
        let url = try temp.makeDirectory("dir.gguf")
        assertGGUFError(URL(fileURLWithPath: url.path), .unreadable, ["not a regular file"]) { _ = try GGUFFile(url: URL(fileURLWithPath: url.path)) }
    }

    func testGitLFSPointer() throws {
        let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 98362432\n"
        try assertRejected(Array(pointer.utf8), .gitLFSPointer, ["Git LFS pointer", "98362432-byte", "git lfs pull"])
    }

    // MARK: Header

    func testEmptyFile() throws {
        try assertRejected([], .notGGUF, ["empty file"])
    }

    func testBadMagic() throws {
        var bytes = RawGGUF.header(keys: 0).bytes
        bytes[0...3] = [0x67, 0x67, 0x6A, 0x74]   // "ggjt", the format before GGUF
        try assertRejected(bytes, .notGGUF, ["magic \"GGUF\"", "begins \"ggjt\""])
        try assertRejected(Array("GGU".utf8), .notGGUF, ["begins \"GGU\""])
        try assertRejected([0x00, 0xFF, 0x47, 0x47, 0x55, 0x46], .notGGUF, ["\\x0\\xff"])
    }

    func testVersion1IsRefused() throws {
        try assertRejected(RawGGUF.header(version: 1, keys: 0).bytes, .unsupportedVersion, ["version 1", "obsolete"])
    }

    func testUnknownVersionIsRefused() throws {
        try assertRejected(RawGGUF.header(version: 4, keys: 0).bytes, .unsupportedVersion, ["version 4", "2 and 3"])
        try assertRejected(RawGGUF.header(version: 0, keys: 0).bytes, .unsupportedVersion, ["version 0"])
    }

    func testBigEndianFileIsNamed() throws {
        try assertRejected(RawGGUF.header(version: UInt32(3).byteSwapped, keys: 0).bytes, .unsupportedVersion, ["big-endian"])
    }

    func testTruncatedHeader() throws {
        try assertRejected(Array(RawGGUF.header(keys: 0).bytes.prefix(6)), .truncated, ["version"])
        try assertRejected(Array(RawGGUF.header(keys: 0).bytes.prefix(12)), .truncated, ["tensor count"])
        try assertRejected(Array(RawGGUF.header(keys: 0).bytes.prefix(20)), .truncated, ["metadata count"])
    }

    func testAbsurdKeyCount() throws {
        try assertRejected(RawGGUF.header(keys: UInt64.max).bytes, .countTooLarge, ["\(UInt64.max) metadata key/value pairs"])
        var raw = RawGGUF.header(keys: 2)
        raw.kv("a", .uint8(1))   // 14 bytes: room for one pair, not two
        try assertRejected(raw.bytes, .countTooLarge, ["2 metadata key/value pairs", "at most 1"])
    }

    func testAbsurdTensorCount() throws {
        try assertRejected(RawGGUF.header(tensors: UInt64.max, keys: 0).bytes, .countTooLarge, ["\(UInt64.max) tensors"])
        try assertRejected(RawGGUF.header(tensors: 1 << 62, keys: 0).bytes, .countTooLarge, ["\(1 << 62) tensors"])
    }

    // MARK: Metadata

    func testKeyLengthBeyondTheFile() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.u64(1 << 40)
        raw.bytes += Array("general.name".utf8) + [0, 0, 0, 0, 0]
        try assertRejected(raw.bytes, .countTooLarge, ["the key of metadata entry 0", "claims \(1 << 40) bytes"])
    }

    func testStringValueLongerThanTheFile() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.string("general.name")
        raw.u32(GGUFValueType.string.rawValue)
        raw.u64(UInt64.max)
        raw.bytes += Array("SmolLM2".utf8)
        try assertRejected(raw.bytes, .countTooLarge, ["the value of key 'general.name'", "claims \(UInt64.max) bytes", "only 7 bytes"])
    }

    func testArrayCountThatWouldOverflow() throws {
        // 2^61 uint64 elements: count x 8 overflows Int64 (and is far beyond the file).
        var raw = RawGGUF.header(keys: 1)
        raw.string("tokenizer.ggml.scores")
        raw.u32(GGUFValueType.array.rawValue)
        raw.u32(GGUFValueType.uint64.rawValue)
        raw.u64(1 << 61)
        raw.u64(0)
        try assertRejected(raw.bytes, .countTooLarge, ["the value of key 'tokenizer.ggml.scores'", "claims \(1 << 61) elements of type uint64"])
        raw.bytes.removeLast(8)
        raw.bytes.removeLast(8)
        raw.u64(UInt64.max)
        try assertRejected(raw.bytes, .countTooLarge, ["claims \(UInt64.max) elements"])
    }

    func testStringArrayCountBeyondTheFile() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.string("tokenizer.ggml.tokens")
        raw.u32(GGUFValueType.array.rawValue)
        raw.u32(GGUFValueType.string.rawValue)
        raw.u64(49152)
        raw.string("a")
        raw.string("b")
        try assertRejected(raw.bytes, .countTooLarge, ["'tokenizer.ggml.tokens'", "claims 49152 elements of type string"])
    }

    func testStringInsideAnArrayLongerThanTheFile() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.string("tokenizer.ggml.merges")
        raw.u32(GGUFValueType.array.rawValue)
        raw.u32(GGUFValueType.string.rawValue)
        raw.u64(3)
        raw.string("Ġ t")
        raw.u64(1000)
        raw.string("h e")
        try assertRejected(raw.bytes, .countTooLarge, ["string 1 of the value of key 'tokenizer.ggml.merges'", "claims 1000 bytes"])
    }

    func testTruncatedValue() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.string("llama.block_count")
        raw.u32(GGUFValueType.uint32.rawValue)
        raw.bytes += [30, 0]
        try assertRejected(raw.bytes, .truncated, ["the value of key 'llama.block_count'", "4 bytes needed", "2 left"])
    }

    func testTruncatedArrayOfNumbers() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.string("tokenizer.ggml.token_type")
        raw.u32(GGUFValueType.array.rawValue)
        raw.u32(GGUFValueType.int32.rawValue)
        raw.u64(4)
        raw.bytes += [UInt8](repeating: 1, count: 13)   // room for 3 int32 and a byte, not 4
        try assertRejected(raw.bytes, .countTooLarge, ["'tokenizer.ggml.token_type'", "claims 4 elements of type int32"])
    }

    func testUnknownValueType() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.string("general.weird")
        raw.u32(13)
        raw.u64(0)
        try assertRejected(raw.bytes, .unknownValueType, ["'general.weird'", "unknown value type 13"])
    }

    func testUnknownArrayElementType() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.string("general.weird")
        raw.u32(GGUFValueType.array.rawValue)
        raw.u32(0xFFFF_FFFF)
        raw.u64(1)
        raw.u64(0)
        try assertRejected(raw.bytes, .unknownValueType, ["'general.weird'", "array of unknown value type 4294967295"])
    }

    func testNestingTooDeep() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.string("deep")
        raw.u32(GGUFValueType.array.rawValue)
        for _ in 0..<GGUFFile.maxArrayNesting {   // maxArrayNesting + 1 array headers in all
            raw.u32(GGUFValueType.array.rawValue)
            raw.u64(1)
        }
        raw.u32(GGUFValueType.uint8.rawValue)
        raw.u64(1)
        raw.u8(0)
        raw.bytes += [UInt8](repeating: 0, count: 16)
        try assertRejected(raw.bytes, .nestingTooDeep, ["'deep'", "\(GGUFFile.maxArrayNesting + 1) deep"])
    }

    func testMaliciousNestingDoesNotRecurseWithoutBound() throws {
        // 100,000 nested array headers (1.2 MB): refused at the limit, long before the stack.
        var raw = RawGGUF.header(keys: 1)
        raw.string("deep")
        raw.u32(GGUFValueType.array.rawValue)
        for _ in 0..<100_000 { raw.u32(GGUFValueType.array.rawValue); raw.u64(1) }
        try assertRejected(raw.bytes, .nestingTooDeep, ["'deep'"])
    }

    func testBoolOtherThanZeroOrOne() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.string("tokenizer.ggml.add_bos_token")
        raw.u32(GGUFValueType.bool.rawValue)
        raw.u8(2)
        try assertRejected(raw.bytes, .invalidBool, ["'tokenizer.ggml.add_bos_token'", "stored as 2"])
        var array = RawGGUF.header(keys: 1)
        array.string("flags")
        array.u32(GGUFValueType.array.rawValue)
        array.u32(GGUFValueType.bool.rawValue)
        array.u64(3)
        array.bytes += [1, 0, 0xFF]
        try assertRejected(array.bytes, .invalidBool, ["element 2 of the value of key 'flags'", "stored as 255"])
    }

    func testKeyNotUTF8() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.rawString([0x67, 0xFF, 0x6E])
        raw.u32(GGUFValueType.uint8.rawValue)
        raw.u8(1)
        try assertRejected(raw.bytes, .invalidUTF8, ["the key of metadata entry 0", "not valid UTF-8"])
    }

    func testStringValueNotUTF8() throws {
        var raw = RawGGUF.header(keys: 1)
        raw.string("general.name")
        raw.u32(GGUFValueType.string.rawValue)
        raw.rawString([0xED, 0xA0, 0x80])   // an encoded surrogate: not UTF-8
        try assertRejected(raw.bytes, .invalidUTF8, ["the value of key 'general.name'", "not valid UTF-8"])
    }

    func testDuplicateKey() throws {
        var writer = GGUFWriter()
        writer.add("general.name", .string("a"))
        writer.add("general.architecture", .string("llama"))
        writer.add("general.name", .string("b"))
        try assertRejected(writer.bytes(), .duplicateKey, ["'general.name' appears twice", "entries 0 and 2"])
    }

    func testCanonicallyEquivalentKeysAreDistinct() throws {
        // "é" precomposed and decomposed: equal as Swift Strings, different bytes, not duplicates.
        var writer = GGUFWriter()
        writer.add("caf\u{E9}", .uint8(1))
        writer.add("cafe\u{301}", .uint8(2))
        let url = try temp.write("nfc.gguf", writer.bytes())
        let file = try GGUFFile(url: url)
        XCTAssertEqual(file.keys.count, 2)
        XCTAssertEqual(file.value("caf\u{E9}"), .uint8(1))
        XCTAssertEqual(file.value("cafe\u{301}"), .uint8(2))
    }

    func testAlignmentNotAUInt32() throws {
        var writer = GGUFWriter()
        writer.add("general.alignment", .uint64(32))
        try assertRejected(writer.bytes(), .badAlignment, ["general.alignment is uint64", "must be a uint32"])
    }

    func testAlignmentNotAPowerOfTwo() throws {
        for bad: UInt32 in [0, 48, 3] {
            var writer = GGUFWriter()
            writer.add("general.alignment", .uint32(bad))
            try assertRejected(writer.bytes(), .badAlignment, ["general.alignment is \(bad)", "power of two"])
        }
    }

    // MARK: Tensor infos

    func testDuplicateTensorName() throws {
        var raw = RawGGUF.header(tensors: 2, keys: 0)
        raw.tensor("w", [4], type: 0, offset: 0)
        raw.tensor("w", [4], type: 0, offset: 32)
        raw.data(48)
        try assertRejected(raw.bytes, .duplicateTensor, ["tensor 'w' is listed twice", "tensor infos 0 and 1"])
    }

    func testTensorNameNotUTF8() throws {
        var raw = RawGGUF.header(tensors: 1, keys: 0)
        raw.rawString([0x77, 0xC0, 0x80])   // overlong encoding of NUL
        raw.u32(1); raw.u64(4); raw.u32(0); raw.u64(0)
        raw.data(16)
        try assertRejected(raw.bytes, .invalidUTF8, ["the name of tensor info 0", "not valid UTF-8"])
    }

    func testTooManyDimensions() throws {
        try assertRejected(oneTensor("w", [1, 1, 1, 1, 4]), .badShape, ["tensor 'w' has 5 dimensions", "at most 4"])
        var raw = RawGGUF.header(tensors: 1, keys: 0)
        raw.string("w")
        raw.u32(UInt32.max)
        raw.bytes += [UInt8](repeating: 0, count: 64)
        try assertRejected(raw.bytes, .badShape, ["tensor 'w' has \(UInt32.max) dimensions"])
    }

    func testDimensionAboveInt64Max() throws {
        try assertRejected(oneTensor("w", [UInt64.max]), .badShape, ["tensor 'w'", "dimension 0 of \(UInt64.max) elements"])
    }

    func testElementCountOverflow() throws {
        try assertRejected(oneTensor("w", [1 << 40, 1 << 40]), .badShape, ["tensor 'w'", "more elements than"])
    }

    func testByteCountOverflow() throws {
        try assertRejected(oneTensor("w", [1 << 31, 1 << 31]), .badShape, ["tensor 'w' of type F32", "more than \(Int.max) bytes"])
    }

    func testRowNotAMultipleOfTheBlockSize() throws {
        // Q4_0 packs 32 elements per block: a row of 48 cannot be stored.
        try assertRejected(oneTensor("blk.0.attn_q.weight", [48, 2], type: 2), .badShape,
                           ["tensor 'blk.0.attn_q.weight' of type Q4_0", "48 elements per row", "block size 32"])
    }

    func testUnknownGGMLType() throws {
        for id: UInt32 in [4, 31, 99, UInt32.max] {
            try assertRejected(oneTensor("w", type: id), .unknownTensorType, ["tensor 'w' has unknown ggml type \(id)", "0 F32"])
        }
    }

    func testTensorOffsetNotAligned() throws {
        try assertRejected(oneTensor("w", offset: 8, dataBytes: 64), .misalignedTensor, ["tensor 'w' has offset 8", "alignment 32"])
    }

    func testTensorOffsetBeyondTheFile() throws {
        try assertRejected(oneTensor("w", offset: 1 << 20), .tensorOutsideFile, ["tensor 'w'", "at offset \(1 << 20)", "past the end of the file"])
        try assertRejected(oneTensor("w", offset: UInt64.max & ~31), .tensorOutsideFile, ["tensor 'w'", "beyond any file"])
        try assertRejected(oneTensor("w", offset: UInt64(Int.max) + 1 - 32), .tensorOutsideFile, ["tensor 'w'", "past the end of the file"])
    }

    func testTensorDataCutShort() throws {
        try assertRejected(oneTensor("w", [4], dataBytes: 15), .tensorOutsideFile, ["tensor 'w' (F32, 16 bytes at offset 0", "past the end of the file"])
    }

    func testOverlappingTensors() throws {
        var raw = RawGGUF.header(tensors: 2, keys: 0)
        raw.tensor("a", [16], type: 0, offset: 0)    // [0, 64)
        raw.tensor("b", [4], type: 0, offset: 32)    // [32, 48)
        raw.data(64)
        try assertRejected(raw.bytes, .overlappingTensors, ["'a' [0, 64)", "'b' [32, 48)", "overlap"])
    }

    func testEmptyTensorsMaySharePositions() throws {
        var raw = RawGGUF.header(tensors: 3, keys: 0)
        raw.tensor("a", [4], type: 0, offset: 0)
        raw.tensor("empty", [0, 3], type: 2, offset: 0)
        raw.tensor("b", [4], type: 0, offset: 32)
        raw.data(48)
        let url = try temp.write("empty.gguf", raw.bytes)
        let file = try GGUFFile(url: url)
        XCTAssertEqual(file.tensors.map(\.byteCount), [16, 0, 16])
        XCTAssertEqual(file.tensor(named: "empty")?.elementCount, 0)
    }

    func testTruncatedTensorInfo() throws {
        var raw = RawGGUF.header(tensors: 1, keys: 0)
        raw.tensor("w", [4, 4], type: 0, offset: 0)
        raw.bytes.removeLast(10)   // the end of the type and the offset
        raw.bytes += [UInt8](repeating: 0, count: 2)
        try assertRejected(raw.bytes, .truncated, ["tensor 'w'"])
    }
}
