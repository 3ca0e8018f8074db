// The reader against gguf-py 0.19.0: Tests/Fixtures/gguf/tiny.gguf was written by gguf-py's
// GGUFWriter and tiny_expected.json holds what gguf-py's GGUFReader reads from it
// (generate_gguf_fixtures.py). Every value type, arrays of every element type, nested arrays,
// a custom alignment (64) and tensors of six ggml types.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import XCTest
@testable import HeedCheckpoints

final class GGUFFixtureTests: XCTestCase {
    private var file: GGUFFile!
    private var expected: [String: Any]!

    override func setUpWithError() throws {
        file = try GGUFFile(url: GGUFFixtures.tiny)
        expected = try GGUFFixtures.expected()
    }

    func testHeaderAlignmentAndDataOffset() throws {
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.fileByteCount, expected["file_byte_count"] as? Int)
        XCTAssertEqual(file.alignment, expected["alignment"] as? Int)
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.dataOffset, expected["data_offset"] as? Int)
        XCTAssertEqual(file.dataOffset % 64, 0)
    }

    func testKeysInFileOrderWithTheirTypes() throws {
        let keys = try XCTUnwrap(expected["keys"] as? [[String: Any]])
        XCTAssertEqual(file.keys, keys.map { $0["key"] as! String })
        for entry in keys {
            let key = entry["key"] as! String
            let types = entry["types"] as! [String]
            let value = try XCTUnwrap(file.value(key), key)
            XCTAssertEqual(value.type.description, types[0], key)
            if case let .array(array) = value {
                XCTAssertEqual(array.elementType.description, types[1], key)
                if array.elementType == .array {
                    for case let .array(inner) in try file.elements(of: array) {
                        XCTAssertEqual(inner.elementType.description, types[2], key)
                    }
                }
            }
        }
        XCTAssertEqual(try file.string("general.architecture"), "heedtest")
        XCTAssertEqual(file.value("general.alignment"), .uint32(64))
    }

    func testScalarsOfEveryType() throws {
        let scalars = try XCTUnwrap(expected["scalars"] as? [[String: Any]])
        XCTAssertEqual(Set(scalars.map { $0["type"] as! String }), Set(GGUFValueType.allCases.filter { $0 != .array }.map(\.description)))
        for entry in scalars {
            let key = entry["key"] as! String
            let value = try XCTUnwrap(file.value(key), key)
            XCTAssertEqual(value.type.description, entry["type"] as? String, key)
            switch value {
            case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64:
                XCTAssertEqual(integerText(value), entry["value"] as? String, key)
            case let .float32(f): XCTAssertEqual(f, Float(entry["value"] as! Double), key)
            case let .float64(d): XCTAssertEqual(d, entry["value"] as! Double, key)
            case let .bool(b): XCTAssertEqual(b, entry["value"] as? Bool, key)
            case let .string(s): XCTAssertEqual(s, entry["value"] as? String, key)
            case .array: XCTFail("\(key) is an array")
            }
        }
        // The typed accessors on the same values.
        XCTAssertEqual(try file.int("test.uint8"), 250)
        XCTAssertEqual(try file.int("test.int8"), -7)
        XCTAssertEqual(try file.int("test.uint32"), 4_000_000_000)
        XCTAssertEqual(try file.int("test.int64"), -9_000_000_000_000_000_000)
        assertGGUFError(GGUFFixtures.tiny, .valueOutOfRange, ["'test.uint64'", "18000000000000000000", "above"]) {
            _ = try file.int("test.uint64")
        }
        XCTAssertEqual(try file.bool("test.bool_true"), true)
        XCTAssertEqual(try file.bool("test.bool_false"), false)
        XCTAssertEqual(try file.float("test.float32"), 0.1)
        XCTAssertEqual(try file.string("test.string"), "héllo ▁wörld Ġ🙂")
        XCTAssertEqual(try file.string("test.empty_string"), "")
    }

    func testArraysOfEveryElementType() throws {
        let arrays = try XCTUnwrap(expected["arrays"] as? [[String: Any]])
        XCTAssertEqual(Set(arrays.map { $0["type"] as! String }), Set(GGUFValueType.allCases.filter { $0 != .array }.map(\.description)))
        for entry in arrays {
            let key = entry["key"] as! String
            guard case let .array(array) = try XCTUnwrap(file.value(key), key) else { XCTFail("\(key) is not an array"); continue }
            XCTAssertEqual(array.elementType.description, entry["type"] as? String, key)
            let values = entry["values"] as! [Any]
            let elements = try file.elements(of: array)
            XCTAssertEqual(array.count, values.count, key)
            XCTAssertEqual(elements.count, values.count, key)
            for (element, want) in zip(elements, values) {
                XCTAssertEqual(element.type, array.elementType, key)
                switch element {
                case .float32(let f): XCTAssertEqual(f, Float(want as! Double), key)
                case .float64(let d): XCTAssertEqual(d, want as! Double, key)
                case .bool(let b): XCTAssertEqual(b, want as? Bool, key)
                case .string(let s): XCTAssertEqual(s, want as? String, key)
                default: XCTAssertEqual(integerText(element), want as? String, key)
                }
            }
        }
        XCTAssertEqual(try file.stringArray("test.array.string"), ["a", "", "Ġthe", "▁x", "日本"])
        XCTAssertEqual(try file.int32Array("test.array.int32"), [Int32.min, 0, Int32.max])
        XCTAssertEqual(try file.floatArray("test.array.float32"), [1.5, -0.25, Float(3.0e-8)])
    }

    func testNestedArrays() throws {
        let nested = try XCTUnwrap(expected["nested"] as? [[String: Any]])
        XCTAssertEqual(nested.count, 2)
        for entry in nested {
            let key = entry["key"] as! String
            guard case let .array(outer) = try XCTUnwrap(file.value(key)) else { XCTFail(key); continue }
            XCTAssertEqual(outer.elementType, .array)
            let want = entry["values"] as! [[Any]]
            let inner = try file.elements(of: outer)
            XCTAssertEqual(inner.count, want.count, key)
            for (element, values) in zip(inner, want) {
                guard case let .array(array) = element else { XCTFail("\(key): element is \(element.type)"); continue }
                let got = try file.elements(of: array).map { v -> String in
                    if case let .string(s) = v { return s }
                    return integerText(v) ?? "?"
                }
                XCTAssertEqual(got, values.map { $0 as! String }, key)
            }
        }
    }

    func testTensorInfos() throws {
        let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]])
        XCTAssertEqual(file.tensors.count, tensors.count)
        let data = try Data(contentsOf: GGUFFixtures.tiny)
        for (info, want) in zip(file.tensors, tensors) {
            let name = want["name"] as! String
            XCTAssertEqual(info.name, name)
            XCTAssertEqual(info.dimensions, want["dimensions"] as? [Int], name)
            XCTAssertEqual(info.type.name, want["type"] as? String, name)
            XCTAssertEqual(Int(info.type.rawValue), want["type_id"] as? Int, name)
            XCTAssertEqual(info.offset, want["offset"] as? Int, name)
            XCTAssertEqual(info.byteCount, want["byte_count"] as? Int, name)
            XCTAssertEqual(info.offset % file.alignment, 0, name)
            let start = file.fileOffset(of: info)
            XCTAssertEqual(Array(data[start..<start + min(8, info.byteCount)]), want["first_bytes"] as? [UInt8], name)
            XCTAssertEqual(file.tensor(named: name), info)
        }
        XCTAssertEqual(file.tensor(named: "blk.0.attn_q.weight")?.dimensions, [64, 3])  // numpy (3, 64), fastest first
        XCTAssertEqual(file.tensor(named: "blk.0.attn_q.weight")?.elementCount, 192)
        XCTAssertNil(file.tensor(named: "missing"))
    }

    /// GGUFWriter lays out the same content exactly as gguf-py does (header, pairs, infos,
    /// padding to 64, each tensor padded): the writer the other tests use is faithful.
    func testWriterReproducesGGUFPyBytes() throws {
        let reference = try Array(Data(contentsOf: GGUFFixtures.tiny))
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("heedtest"))
        writer.setAlignment(64)
        writer.add("test.uint8", .uint8(250))
        writer.add("test.int8", .int8(-7))
        writer.add("test.uint16", .uint16(65000))
        writer.add("test.int16", .int16(-30000))
        writer.add("test.uint32", .uint32(4_000_000_000))
        writer.add("test.int32", .int32(-2_000_000_000))
        writer.add("test.float32", .float32(0.1))
        writer.add("test.bool_true", .bool(true))
        writer.add("test.bool_false", .bool(false))
        writer.add("test.string", .string("héllo ▁wörld Ġ🙂"))
        writer.add("test.empty_string", .string(""))
        writer.add("test.uint64", .uint64(18_000_000_000_000_000_000))
        writer.add("test.int64", .int64(-9_000_000_000_000_000_000))
        writer.add("test.float64", .float64(0.1))
        writer.add("test.array.uint8", .array(.uint8, [.uint8(0), .uint8(1), .uint8(255)]))
        writer.add("test.array.int8", .array(.int8, [.int8(-128), .int8(0), .int8(127)]))
        writer.add("test.array.uint16", .array(.uint16, [.uint16(0), .uint16(65535)]))
        writer.add("test.array.int16", .array(.int16, [.int16(-32768), .int16(32767)]))
        writer.add("test.array.uint32", .array(.uint32, [.uint32(0), .uint32(UInt32.max)]))
        writer.add("test.array.int32", .int32s([Int32.min, 0, Int32.max]))
        writer.add("test.array.float32", .float32s([1.5, -0.25, 3.0e-8]))
        writer.add("test.array.bool", .array(.bool, [.bool(true), .bool(false), .bool(true)]))
        writer.add("test.array.string", .strings(["a", "", "Ġthe", "▁x", "日本"]))
        writer.add("test.array.uint64", .array(.uint64, [.uint64(0), .uint64(UInt64.max)]))
        writer.add("test.array.int64", .array(.int64, [.int64(Int64.min), .int64(Int64.max)]))
        writer.add("test.array.float64", .array(.float64, [.float64(1.0e300), .float64(-2.5)]))
        writer.add("test.array.nested_int32", .array(.array, [.int32s([1, 2, 3]), .int32s([4]), .int32s([5, 6])]))
        writer.add("test.array.nested_string", .array(.array, [.strings(["a", "b"]), .strings(["c"])]))
        for t in file.tensors {
            let start = file.fileOffset(of: t)
            writer.addTensor(t.name, dimensions: t.dimensions, type: t.type, bytes: Array(reference[start..<start + t.byteCount]))
        }
        let written = writer.bytes()
        XCTAssertEqual(written.count, reference.count)
        if let i = zip(written, reference).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            XCTFail("first differing byte at \(i): written \(written[i]), gguf-py \(reference[i])")
        }
    }

    /// Every prefix of the fixture short of its last tensor's end is refused with a GGUFError;
    /// prefixes that keep every tensor (only trailing padding cut) open.
    func testEveryTruncationIsAnErrorNotACrash() throws {
        let bytes = try Array(Data(contentsOf: GGUFFixtures.tiny))
        let temp = try TemporaryDirectory("heed-gguf")
        let lastEnd = file.tensors.map { file.fileOffset(of: $0) + $0.byteCount }.max()!
        XCTAssertLessThan(lastEnd, bytes.count)
        // One file cut shorter and shorter (each GGUFFile is gone before the next cut).
        let url = try temp.write("cut.gguf", bytes)
        for length in (0..<bytes.count).reversed() {
            XCTAssertEqual(truncate(url.path, off_t(length)), 0)
            if length < lastEnd {
                do {
                    _ = try GGUFFile(url: url)
                    XCTFail("a \(length)-byte prefix opened")
                } catch let e as GGUFError {
                    XCTAssertEqual(e.file, url.path)
                } catch {
                    XCTFail("a \(length)-byte prefix threw \(error)")
                }
            } else {
                XCTAssertEqual(try GGUFFile(url: url).tensors.count, file.tensors.count, "\(length)-byte prefix")
            }
        }
    }

    private func integerText(_ value: GGUFValue) -> String? {
        switch value {
        case let .uint8(v): return String(v)
        case let .int8(v): return String(v)
        case let .uint16(v): return String(v)
        case let .int16(v): return String(v)
        case let .uint32(v): return String(v)
        case let .int32(v): return String(v)
        case let .uint64(v): return String(v)
        case let .int64(v): return String(v)
        default: return nil
        }
    }
}
