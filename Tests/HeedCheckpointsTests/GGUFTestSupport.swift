// Helpers for the GGUF tests: the committed fixtures, raw byte building for malformed files, and
// an assertion on GGUFError.

import Foundation
import XCTest
@testable import HeedCheckpoints

/// Tests/Fixtures/gguf, found from this source file's path.
enum GGUFFixtures {
    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url.appendingPathComponent("Tests/Fixtures/gguf", isDirectory: true)
    }()

    static var tiny: URL { directory.appendingPathComponent("tiny.gguf") }

    static func expected() throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent("tiny_expected.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

/// A GGUF file built field by field, for files a writer would not produce.
struct RawGGUF {
    var bytes: [UInt8] = []

    /// Magic, version and the two counts.
    static func header(version: UInt32 = 3, tensors: UInt64 = 0, keys: UInt64) -> RawGGUF {
        var raw = RawGGUF()
        raw.bytes = Array("GGUF".utf8)
        raw.u32(version)
        raw.u64(tensors)
        raw.u64(keys)
        return raw
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { GGUFWriter.append(v, to: &bytes) }
    mutating func u64(_ v: UInt64) { GGUFWriter.append(v, to: &bytes) }
    mutating func string(_ s: String) { GGUFWriter.appendString(s, to: &bytes) }
    mutating func rawString(_ b: [UInt8]) { u64(UInt64(b.count)); bytes += b }

    /// A key/value pair with a well-formed value.
    mutating func kv(_ key: String, _ value: GGUFWriter.Value) {
        string(key)
        u32(value.type.rawValue)
        GGUFWriter.appendPayload(value, to: &bytes)
    }

    /// A tensor info.
    mutating func tensor(_ name: String, _ dimensions: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        u32(UInt32(dimensions.count))
        for d in dimensions { u64(d) }
        u32(type)
        u64(offset)
    }

    /// Zero bytes up to a multiple of `alignment`, then `count` data bytes.
    mutating func data(_ count: Int, alignment: Int = 32) {
        bytes += [UInt8](repeating: 0, count: (alignment - bytes.count % alignment) % alignment)
        bytes += (0..<count).map { UInt8(truncatingIfNeeded: $0) }
    }
}

/// Runs `body`, which must throw a `GGUFError` for `file` with `rule` whose problem contains
/// every one of `fragments`.
func assertGGUFError(_ file: URL, _ rule: GGUFError.Rule, _ fragments: [String], file sourceFile: StaticString = #filePath,
                     line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected a GGUFError (\(rule)) for \(file.lastPathComponent)", file: sourceFile, line: line)
    } catch let error as GGUFError {
        XCTAssertEqual(error.rule, rule, "wrong rule for: \(error.problem)", file: sourceFile, line: line)
        XCTAssertEqual(error.file, file.path, "error names the wrong file", file: sourceFile, line: line)
        for fragment in fragments {
            XCTAssertTrue(error.problem.contains(fragment), "'\(error.problem)' lacks '\(fragment)'", file: sourceFile, line: line)
        }
        XCTAssertTrue(error.description.hasPrefix(file.path + ": "), file: sourceFile, line: line)
    } catch {
        XCTFail("expected a GGUFError, got \(error)", file: sourceFile, line: line)
    }
}
