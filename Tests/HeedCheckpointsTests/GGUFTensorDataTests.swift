// GGUF tensor data through the file reader: every QuantFormat dequantised from
// Tests/Fixtures/gguf/quants.gguf equals gguf-py 0.19.0's `gguf.quants.dequantize` bit for bit
// (quants_expected.f32, generate_quant_fixtures.py), and every rule a tensor read can break
// throws a GGUFError naming the file, the tensor and the field, never a crash. The placement
// rules checked at open (shape, block multiple, byte-count overflow, alignment, bounds, overlap)
// are in GGUFMalformedTests; here the rules a read adds, and that a read uses the same bounds.

import Foundation
import HeedKernels
import XCTest
@testable import HeedCheckpoints

final class GGUFTensorDataTests: XCTestCase {
    private var temp: TemporaryDirectory!

    override func setUpWithError() throws { temp = try TemporaryDirectory("heed-gguf-data") }
    override func tearDown() { temp = nil }

    private var quants: URL { GGUFFixtures.directory.appendingPathComponent("quants.gguf") }

    private func expected() throws -> (floats: [Float], tensors: [[String: Any]]) {
        let raw = try Data(contentsOf: GGUFFixtures.directory.appendingPathComponent("quants_expected.f32"))
        let floats = raw.withUnsafeBytes { b in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        let data = try Data(contentsOf: GGUFFixtures.directory.appendingPathComponent("quants_expected.json"))
        let index = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (floats, try XCTUnwrap(index["tensors"] as? [[String: Any]]))
    }

    private func firstMismatch(_ e: ArraySlice<Float>, _ a: [Float]) -> String? {
        guard e.count == a.count else { return "count \(a.count), expected \(e.count)" }
        for (i, (x, y)) in zip(e, a).enumerated() where x.bitPattern != y.bitPattern {
            return "[\(i)] expected \(x) (0x\(String(x.bitPattern, radix: 16))), got \(y) (0x\(String(y.bitPattern, radix: 16)))"
        }
        return nil
    }

    func testEveryFormatDequantisesAsGGUFPyDoes() throws {
        let file = try GGUFFile(url: quants)
        let (floats, tensors) = try expected()
        XCTAssertEqual(file.tensors.map(\.name), tensors.map { $0["name"] as! String })
        var formats = Set<QuantFormat>()
        for t in tensors {
            let name = t["name"] as! String, count = t["count"] as! Int, start = t["expected_offset"] as! Int
            let data = try file.tensorData(name)
            formats.insert(data.format)
            XCTAssertEqual(data.format.name, t["type"] as? String, name)
            XCTAssertEqual(data.info.dimensions, t["dimensions"] as? [Int], name)
            XCTAssertEqual(data.bytes.count, t["byte_count"] as? Int, name)
            XCTAssertEqual(file.mapping.bytes.baseAddress!.distance(to: data.bytes.baseAddress!), t["data_offset"] as? Int, name)
            let want = floats[start..<(start + count)]
            if let bad = firstMismatch(want, try file.dequantized(name)) { XCTFail("\(name): \(bad)") }
            // Row by row, and into a caller's buffer.
            XCTAssertEqual(data.rowCount * data.rowLength, count, name)
            var rows: [Float] = []
            for r in 0..<data.rowCount { rows += data.dequantizedRow(r) }
            if let bad = firstMismatch(want, rows) { XCTFail("\(name) by rows: \(bad)") }
            var buffer = [Float](repeating: 0, count: count)
            buffer.withUnsafeMutableBufferPointer { data.dequantize(into: $0.baseAddress!) }
            if let bad = firstMismatch(want, buffer) { XCTFail("\(name) into a buffer: \(bad)") }
        }
        XCTAssertEqual(formats, Set(QuantFormat.allCases))
    }

    func testGGMLTypeMapsOntoQuantFormat() {
        for type in GGMLType.allCases {
            if let format = type.quantFormat {
                XCTAssertEqual(format.rawValue, type.rawValue)
                XCTAssertEqual(format.name, type.name)
                XCTAssertEqual(format.blockSize, type.blockSize, type.name)
                XCTAssertEqual(format.bytesPerBlock, type.bytesPerBlock, type.name)
            }
        }
        XCTAssertEqual(Set(GGMLType.allCases.compactMap(\.quantFormat)), Set(QuantFormat.allCases))
    }

    func testViewOutlivesTheFileObject() throws {
        var data: GGUFTensorData? = try GGUFFile(url: quants).tensorData("q6_k.random_7x768")
        let first = data!.dequantizedRow(0)
        XCTAssertEqual(first.count, 768)
        XCTAssertEqual(data!.dequantizedRow(6).count, 768)
        data = nil
    }

    // MARK: Rules a read adds

    func testMissingTensor() throws {
        let file = try GGUFFile(url: quants)
        assertGGUFError(quants, .missingTensor, ["no tensor named 'blk.0.attn_q.weight'"]) { _ = try file.tensorData("blk.0.attn_q.weight") }
        assertGGUFError(quants, .missingTensor, ["no tensor named 'nope'"]) { _ = try file.dequantized("nope") }
    }

    func testTensorInfoFromAnotherFile() throws {
        // Same name, another shape: the info is not this file's.
        var a = RawGGUF.header(tensors: 1, keys: 0)
        a.tensor("w", [4], type: 0, offset: 0)
        a.data(16)
        var b = RawGGUF.header(tensors: 1, keys: 0)
        b.tensor("w", [2, 2], type: 0, offset: 0)
        b.data(16)
        let fileA = try GGUFFile(url: try temp.write("a.gguf", a.bytes))
        let urlB = try temp.write("b.gguf", b.bytes)
        let fileB = try GGUFFile(url: urlB)
        assertGGUFError(urlB, .missingTensor, ["tensor 'w' (F32, dimensions [4], offset 0) is not a tensor of this file"]) {
            _ = try fileB.tensorData(fileA.tensors[0])
        }
        XCTAssertEqual(try fileB.tensorData(fileB.tensors[0]).dequantized().count, 4)
    }

    func testTypesHeedCannotDequantise() throws {
        // I32 (26), Q8_1 (9), IQ2_XXS (16), F64 (28): valid in a GGUF file, not readable as weights.
        for (id, name, blockBytes) in [(UInt32(26), "I32", 4 * 32), (9, "Q8_1", 40), (16, "IQ2_XXS", 66 * 8), (28, "F64", 8 * 32)] {
            let dims: [UInt64] = name == "IQ2_XXS" ? [256] : [32]
            var raw = RawGGUF.header(tensors: 1, keys: 0)
            raw.tensor("blk.0.ffn_down.weight", dims, type: id, offset: 0)
            raw.data(blockBytes)
            let url = try temp.write("\(name).gguf", raw.bytes)
            let file = try GGUFFile(url: url)
            assertGGUFError(url, .unsupportedTensorType, ["tensor 'blk.0.ffn_down.weight' has type \(name) (ggml type \(id))", "F32, F16, Q4_0"]) {
                _ = try file.dequantized("blk.0.ffn_down.weight")
            }
        }
    }

    // MARK: Placement: the open-time rules, and reads at the edges

    func testTensorEndingAtTheLastByteOfTheFile() throws {
        // Q8_0, 2 rows of 32: 68 bytes, the file ends with the tensor.
        var raw = RawGGUF.header(tensors: 1, keys: 0)
        raw.tensor("w", [32, 2], type: 8, offset: 0)
        raw.data(68)
        let url = try temp.write("edge.gguf", raw.bytes)
        let file = try GGUFFile(url: url)
        let data = try file.tensorData("w")
        XCTAssertEqual(file.fileOffset(of: data.info) + data.bytes.count, file.fileByteCount)
        XCTAssertEqual(data.rowCount, 2)
        XCTAssertEqual(data.bytesPerRow, 34)
        XCTAssertEqual(data.dequantized().count, 64)
        // One byte short is refused at open, by the same rule a read checks.
        raw.bytes.removeLast()
        let short = try temp.write("short.gguf", raw.bytes)
        assertGGUFError(short, .tensorOutsideFile, ["tensor 'w' (Q8_0, 68 bytes at offset 0", "past the end of the file"]) {
            _ = try GGUFFile(url: short)
        }
    }

    func testReadRechecksTheBounds() throws {
        var raw = RawGGUF.header(tensors: 1, keys: 0)
        raw.tensor("w", [4], type: 0, offset: 0)
        raw.data(16)
        let url = try temp.write("w.gguf", raw.bytes)
        let file = try GGUFFile(url: url)
        let info = file.tensors[0]
        let outside = GGUFTensorInfo(name: "w", dimensions: [4], type: .f32, offset: 32, byteCount: 16)
        assertGGUFError(url, .tensorOutsideFile, ["tensor 'w' (F32, 16 bytes at offset 32", "past the end of the file"]) {
            _ = try GGUFFile.byteRange(of: outside, dataOffset: file.dataOffset, fileByteCount: file.fileByteCount, path: url.path)
        }
        let overflowing = GGUFTensorInfo(name: "w", dimensions: [4], type: .f32, offset: Int.max - 8, byteCount: 16)
        assertGGUFError(url, .tensorOutsideFile, ["tensor 'w'"]) {
            _ = try GGUFFile.byteRange(of: overflowing, dataOffset: file.dataOffset, fileByteCount: file.fileByteCount, path: url.path)
        }
        XCTAssertEqual(try GGUFFile.byteRange(of: info, dataOffset: file.dataOffset, fileByteCount: file.fileByteCount, path: url.path).count, 16)
    }

    func testEmptyAndDimensionlessTensors() throws {
        var raw = RawGGUF.header(tensors: 3, keys: 0)
        raw.tensor("empty_q", [0, 3], type: 2, offset: 0)
        raw.tensor("empty_rows", [256, 0], type: 12, offset: 0)
        raw.tensor("scalar", [], type: 0, offset: 0)
        raw.data(4)
        let file = try GGUFFile(url: try temp.write("empty.gguf", raw.bytes))
        XCTAssertEqual(try file.dequantized("empty_q"), [])
        XCTAssertEqual(try file.tensorData("empty_q").rowCount, 0)
        XCTAssertEqual(try file.dequantized("empty_rows"), [])
        XCTAssertEqual(try file.dequantized("scalar"), [Float(bitPattern: 0x0302_0100)])
    }

    func testRowNotAMultipleOfTheBlockSizeNeverReachesARead() throws {
        // A Q4_K row of 128: refused at open (badShape), so no read can misinterpret it.
        var raw = RawGGUF.header(tensors: 1, keys: 0)
        raw.tensor("w", [128, 2], type: 12, offset: 0)
        raw.data(144)
        let url = try temp.write("q4k.gguf", raw.bytes)
        assertGGUFError(url, .badShape, ["tensor 'w' of type Q4_K", "128 elements per row", "block size 256"]) { _ = try GGUFFile(url: url) }
    }
}
