// The whole safetensors header is validated by the format's rules (issue 7, item 2): one test per
// rule, each asserting the exact rejection (the file, the tensor and the rule broken), and valid
// files with empty tensors still load.

import XCTest
@testable import HeedCheckpoints

final class SafeTensorsHeaderRulesTests: XCTestCase {
    private var temp: TemporaryDirectory!

    override func setUpWithError() throws { temp = try TemporaryDirectory() }
    override func tearDown() { temp = nil }

    /// One tensor entry of a header, as JSON text.
    private func tensor(_ name: String, _ dtype: String = "F32", shape: [Int], _ begin: Int, _ end: Int) -> String {
        "\"\(name)\": {\"dtype\": \"\(dtype)\", \"shape\": \(shape), \"data_offsets\": [\(begin), \(end)]}"
    }

    private func header(_ entries: String...) -> String { "{" + entries.joined(separator: ", ") + "}" }

    /// Writes the file and asserts that opening it throws exactly `problem` for that file.
    private func assertRejected(header: String, data: [UInt8], _ problem: String, line: UInt = #line) throws {
        let url = try temp.write("model.safetensors", rawSafeTensors(header: header, data: data))
        do {
            _ = try SafeTensorsFile(url: url)
            XCTFail("accepted \(header)", line: line)
        } catch let error as CheckpointError {
            XCTAssertEqual(error.file, url.path, line: line)
            XCTAssertEqual(error.problem, problem, line: line)
            XCTAssertEqual(error.description, "\(url.path): \(problem)", line: line)
        }
    }

    private func zeros(_ n: Int) -> [UInt8] { [UInt8](repeating: 0, count: n) }

    // MARK: Unique names

    /// The issue's case: a name listed twice, the second entry pointing at bytes appended after
    /// the original data. Foundation kept the last entry and the file loaded with other weights.
    func testDuplicateNameWhoseSecondEntryPointsOutsideTheOriginalData() throws {
        let original = header(tensor("a", shape: [2], 0, 8), tensor("b", shape: [2], 8, 16), tensor("a", shape: [2], 16, 24))
        try assertRejected(header: original, data: floatBytes([1, 2, 3, 4, 5, 6]),
                           "tensor 'a' is listed twice in the header; tensor names must be unique")
        // The same when the second entry points past the end of the file.
        try assertRejected(header: original, data: floatBytes([1, 2, 3, 4]),
                           "tensor 'a' is listed twice in the header; tensor names must be unique")
    }

    func testDuplicateMetadata() throws {
        try assertRejected(header: #"{"__metadata__": {"format": "pt"}, "__metadata__": {"format": "np"}}"#, data: [],
                           "__metadata__ appears twice in the header")
    }

    func testDuplicateKeyInsideAnEntry() throws {
        let text = #"{"w": {"dtype": "F32", "shape": [1], "dtype": "F16", "data_offsets": [0, 4]}}"#
        try assertRejected(header: text, data: floatBytes([1]),
                           "header is not valid JSON: duplicate member name \"dtype\" at byte 37 of the header (\(text.utf8.count) bytes)")
    }

    /// Names are compared as raw scalars: "\u{E9}" and "e\u{301}" are two tensors, not a duplicate
    /// (Swift String equality, which Foundation's dictionaries use, would merge them).
    func testCanonicallyEquivalentNamesAreDistinctTensors() throws {
        let text = header(tensor("\u{E9}", shape: [1], 0, 4), tensor("e\u{301}", shape: [1], 4, 8))
        let url = try temp.write("model.safetensors", rawSafeTensors(header: text, data: floatBytes([1, 2])))
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.tensorNames.count, 2)
        XCTAssertEqual(try file.tensor("\u{E9}").data, [1])
        XCTAssertEqual(try file.tensor("e\u{301}").data, [2])
    }

    func testLoneSurrogateInAName() throws {
        let text = header(#""\uD800": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}"#)
        try assertRejected(header: text, data: floatBytes([1]),
                           "header is not valid JSON: lone surrogate escape \\uD800 (not part of a surrogate pair) at byte 2 of the header (\(text.utf8.count) bytes)")
    }

    // MARK: Each tensor

    func testOffsetsMustNotEndBeforeTheyBegin() throws {
        try assertRejected(header: header(tensor("w", shape: [2], 8, 0)), data: zeros(8),
                           "tensor 'w' has data_offsets [8, 0] that end before they begin; begin must not exceed end")
    }

    func testOffsetsMustLieInsideTheDataSection() throws {
        try assertRejected(header: header(tensor("w", shape: [2], 8, 16)), data: zeros(8),
                           "tensor 'w' has data_offsets [8, 16] beyond the data section of 8 bytes (file truncated?); every tensor must lie inside the data section")
    }

    func testByteCountMustMatchDTypeAndShape() throws {
        try assertRejected(header: header(tensor("w", shape: [2, 3], 0, 20)), data: zeros(20),
                           "tensor 'w' has 20 bytes but dtype F32 and shape [2, 3] need 24; a tensor's byte count must be its dtype size times the product of its shape")
        try assertRejected(header: header(tensor("h", "F16", shape: [3], 0, 12)), data: zeros(12),
                           "tensor 'h' has 12 bytes but dtype F16 and shape [3] need 6; a tensor's byte count must be its dtype size times the product of its shape")
    }

    func testByteCountMustNotOverflow() throws {
        try assertRejected(header: header(tensor("w", shape: [4_294_967_296, 4_294_967_296], 0, 8)), data: zeros(8),
                           "tensor 'w' has shape [4294967296, 4294967296] too large to address; its byte count must fit in a 64-bit integer")
        // Elements fit, bytes (x 4) do not.
        try assertRejected(header: header(tensor("w", shape: [1 << 62], 0, 8)), data: zeros(8),
                           "tensor 'w' has shape [\(1 << 62)] too large to address; its byte count must fit in a 64-bit integer")
    }

    // MARK: The tensors together cover the data section

    func testGapBeforeTheFirstTensor() throws {
        try assertRejected(header: header(tensor("w", shape: [2], 4, 12)), data: zeros(12),
                           "tensor 'w' begins at byte 4 of the data section: bytes [0, 4) belong to no tensor; the tensors must cover the data section without gaps")
    }

    func testGapBetweenTensors() throws {
        try assertRejected(header: header(tensor("b", shape: [2], 12, 20), tensor("a", shape: [2], 0, 8)), data: zeros(20),
                           "tensor 'b' begins at byte 12 of the data section but the previous tensor 'a' ends at byte 8: bytes [8, 12) belong to no tensor; the tensors must cover the data section without gaps")
    }

    func testOverlappingTensors() throws {
        try assertRejected(header: header(tensor("a", shape: [2], 0, 8), tensor("b", shape: [2], 4, 12)), data: zeros(12),
                           "tensors 'a' [0, 8) and 'b' [4, 12) overlap; tensors must not share bytes")
        // Two names for the same bytes.
        try assertRejected(header: header(tensor("b", shape: [2], 0, 8), tensor("a", shape: [2], 0, 8)), data: zeros(8),
                           "tensors 'a' [0, 8) and 'b' [0, 8) overlap; tensors must not share bytes")
    }

    func testEmptyTensorInsideAnother() throws {
        try assertRejected(header: header(tensor("a", shape: [2], 0, 8), tensor("z", shape: [0], 4, 4)), data: zeros(8),
                           "tensor 'z' is empty at byte 4, inside tensor 'a' [0, 8); an empty tensor must sit where one tensor ends")
    }

    func testBytesAfterTheLastTensor() throws {
        try assertRejected(header: header(tensor("a", shape: [2], 0, 8)), data: zeros(12),
                           "the data section has 12 bytes but the last tensor 'a' ends at byte 8: bytes [8, 12) belong to no tensor; the tensors must cover the data section without gaps")
    }

    func testDataWithoutTensors() throws {
        try assertRejected(header: #"{"__metadata__": {"format": "pt"}}"#, data: zeros(4),
                           "the data section has 4 bytes but the header lists no tensor; the tensors must cover the data section without gaps")
    }

    // MARK: __metadata__

    func testMetadataMustMapStringsToStrings() throws {
        try assertRejected(header: #"{"__metadata__": {"format": 1}}"#, data: [],
                           "__metadata__ entry 'format' is 1, not a string; __metadata__ must map strings to strings")
        try assertRejected(header: #"{"__metadata__": ["pt"]}"#, data: [],
                           "__metadata__ is not an object (it is an array); __metadata__ must map strings to strings")
    }

    // MARK: Valid files

    /// Empty tensors (a zero in the shape) are allowed where one tensor ends and the next begins,
    /// at the very start and at the very end; a file of only empty tensors has an empty data section.
    func testValidFileWithZeroSizeTensorsLoads() throws {
        let text = header(
            tensor("b", shape: [1], 8, 12), tensor("z.end", shape: [0, 3], 12, 12), tensor("a", shape: [2], 0, 8),
            tensor("z.start", "F16", shape: [0], 0, 0), tensor("z.middle", "I64", shape: [2, 0], 8, 8),
            #""__metadata__": {"format": "pt"}"#)
        let url = try temp.write("model.safetensors", rawSafeTensors(header: text, data: floatBytes([1, 2, 3])))
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.tensorNames, ["a", "b", "z.end", "z.middle", "z.start"])
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(try file.tensor("a").data, [1, 2])
        XCTAssertEqual(try file.tensor("b").data, [3])
        XCTAssertEqual(try file.tensor("z.middle").shape, [2, 0])
        XCTAssertEqual(try file.tensor("z.middle").data, [])
        XCTAssertEqual(file.info("z.end"), TensorInfo(dtype: .f32, shape: [0, 3]))
        XCTAssertEqual(file.info("z.start"), TensorInfo(dtype: .f16, shape: [0]))

        let onlyEmpty = try temp.write("empty.safetensors", rawSafeTensors(header: header(tensor("e", shape: [0], 0, 0))))
        XCTAssertEqual(try SafeTensorsFile(url: onlyEmpty).tensorNames, ["e"])
    }

    /// What SafeTensorsWriter writes reads back: names sorted in the header, data in the order added.
    func testWriterOutputPassesTheRules() throws {
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        writer.add("z", dtype: .f32, shape: [2], bytes: floatBytes([1, 2]))
        writer.add("empty", dtype: .f32, shape: [0], bytes: [])
        writer.add("a", dtype: .f32, shape: [1], bytes: floatBytes([3]))
        let bytes = [UInt8](writer.serialized(headerAlignment: 1))
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self),
                       #"{"__metadata__":{"format":"pt"},"a":{"data_offsets":[8,12],"dtype":"F32","shape":[1]},"#
                       + #""empty":{"data_offsets":[8,8],"dtype":"F32","shape":[0]},"z":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}}"#)
        let file = try SafeTensorsFile(url: try temp.write("written.safetensors", bytes))
        XCTAssertEqual(file.tensorNames, ["a", "empty", "z"])
        XCTAssertEqual(try file.tensor("a").data, [3])
        XCTAssertEqual(try file.tensor("z").data, [1, 2])
    }
}
