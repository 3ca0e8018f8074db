// One test per malformed safetensors file: each must throw a CheckpointError naming the file
// and the problem, and never crash.

import XCTest
@testable import HeedCheckpoints

final class SafeTensorsMalformedTests: XCTestCase {
    private var temp: TemporaryDirectory!

    override func setUpWithError() throws { temp = try TemporaryDirectory() }
    override func tearDown() { temp = nil }

    private func assertRejected(_ bytes: [UInt8], _ fragments: [String], line: UInt = #line) throws {
        let url = try temp.write("bad.safetensors", bytes)
        assertCheckpointError(url, fragments, line: line) { _ = try SafeTensorsFile(url: url) }
    }

    private func entry(_ name: String = "w", dtype: String = "F32", shape: String = "[2]", offsets: String = "[0, 8]") -> String {
        "{\"\(name)\": {\"dtype\": \"\(dtype)\", \"shape\": \(shape), \"data_offsets\": \(offsets)}}"
    }

    func testEmptyFile() throws {
        try assertRejected([], ["empty file"])
    }

    func testShorterThanEightBytes() throws {
        try assertRejected([1, 0, 0, 0, 0], ["5 bytes", "shorter than the 8-byte header length"])
    }

    func testHeaderLengthBeyondFile() throws {
        try assertRejected(rawSafeTensors(header: "{}", declaredLength: 1000), ["header length 1000", "past the end"])
    }

    func testHugeHeaderLength() throws {
        try assertRejected(rawSafeTensors(header: "{}", declaredLength: UInt64.max), ["header length \(UInt64.max)", "past the end"])
    }

    func testHeaderNotJSON() throws {
        try assertRejected(rawSafeTensors(header: "{not json"), ["not valid JSON"])
    }

    func testHeaderNotUTF8() throws {
        try assertRejected(rawSafeTensors(header: "{}") .enumerated().map { $0.offset == 8 ? 0xFF : $0.element }, ["not valid JSON"])
    }

    func testHeaderJSONNotObject() throws {
        try assertRejected(rawSafeTensors(header: "[1, 2]"), ["not an object"])
        try assertRejected(rawSafeTensors(header: "7"), ["not an object"])
    }

    func testEntryNotObject() throws {
        try assertRejected(rawSafeTensors(header: "{\"w\": 3}"), ["tensor 'w'", "not an object"])
    }

    func testUnknownDType() throws {
        try assertRejected(rawSafeTensors(header: entry(dtype: "Q7"), data: floatBytes([1, 2])), ["tensor 'w'", "unknown dtype 'Q7'", "F32"])
    }

    func testMissingFields() throws {
        try assertRejected(rawSafeTensors(header: "{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", data: floatBytes([1])), ["tensor 'w' has no dtype"])
        try assertRejected(rawSafeTensors(header: "{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", data: floatBytes([1])), ["tensor 'w' has no shape"])
        try assertRejected(rawSafeTensors(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", data: floatBytes([1])), ["tensor 'w' has no data_offsets"])
    }

    func testShapeBytesMismatch() throws {
        try assertRejected(rawSafeTensors(header: entry(shape: "[2, 3]", offsets: "[0, 20]"), data: [UInt8](repeating: 0, count: 24)),
                           ["tensor 'w'", "has 20 bytes", "F32", "[2, 3]", "need 24"])
    }

    func testOffsetsOutOfDataSection() throws {
        try assertRejected(rawSafeTensors(header: entry(offsets: "[8, 16]"), data: floatBytes([1, 2])),
                           ["tensor 'w'", "[8, 16]", "beyond the data section of 8 bytes"])
    }

    func testOffsetsReversedOrNegative() throws {
        try assertRejected(rawSafeTensors(header: entry(offsets: "[8, 0]"), data: floatBytes([1, 2, 3, 4])), ["tensor 'w'", "end before they begin"])
        try assertRejected(rawSafeTensors(header: entry(offsets: "[-8, 0]"), data: floatBytes([1, 2])), ["tensor 'w'", "data_offsets"])
        try assertRejected(rawSafeTensors(header: entry(offsets: "[0]"), data: floatBytes([1, 2])), ["tensor 'w'", "expected [begin, end]"])
    }

    func testOverlappingTensors() throws {
        let header = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
            + " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}"
        try assertRejected(rawSafeTensors(header: header, data: floatBytes([1, 2, 3])), ["'a'", "'b'", "overlap"])
    }

    func testTruncatedData() throws {
        var writer = SafeTensorsWriter()
        writer.add("w", dtype: .f32, shape: [4], bytes: floatBytes([1, 2, 3, 4]))
        let whole = [UInt8](writer.serialized())
        try assertRejected(Array(whole.dropLast(3)), ["tensor 'w'", "[0, 16]", "beyond the data section of 13 bytes", "truncated"])
    }

    func testNegativeShapeEntry() throws {
        try assertRejected(rawSafeTensors(header: entry(shape: "[-2]"), data: floatBytes([1, 2])), ["tensor 'w'", "shape entry -2", "non-negative integer"])
    }

    func testFloatShapeEntries() throws {
        try assertRejected(rawSafeTensors(header: entry(shape: "[2.5]"), data: floatBytes([1, 2])), ["tensor 'w'", "shape entry 2.5"])
        try assertRejected(rawSafeTensors(header: entry(shape: "[2.0]"), data: floatBytes([1, 2])), ["tensor 'w'", "shape entry 2"])
        try assertRejected(rawSafeTensors(header: entry(shape: "[true]"), data: floatBytes([1, 2])), ["tensor 'w'", "shape entry true"])
        try assertRejected(rawSafeTensors(header: entry(shape: "[\"2\"]"), data: floatBytes([1, 2])), ["tensor 'w'", "shape entry \"2\""])
        try assertRejected(rawSafeTensors(header: entry(shape: "2"), data: floatBytes([1, 2])), ["tensor 'w'", "not an array"])
    }

    func testShapeTooLargeToAddress() throws {
        try assertRejected(rawSafeTensors(header: entry(shape: "[4294967296, 4294967296]"), data: floatBytes([1, 2])), ["tensor 'w'", "too large"])
    }

    func testMetadataNotStrings() throws {
        try assertRejected(rawSafeTensors(header: "{\"__metadata__\": {\"format\": 1}}"), ["__metadata__", "'format'", "not a string"])
        try assertRejected(rawSafeTensors(header: "{\"__metadata__\": [1]}"), ["__metadata__ is not an object"])
    }

    func testMissingFileAndDirectory() throws {
        let missing = temp.file("absent.safetensors")
        assertCheckpointError(missing, ["cannot open"]) { _ = try SafeTensorsFile(url: missing) }
        let directory = try temp.makeDirectory("dir.safetensors")
        assertCheckpointError(directory, ["not a regular file"]) { _ = try SafeTensorsFile(url: directory) }
    }
}
