// Helpers shared by the HeedCheckpoints tests: temporary directories and raw file writing.

import Foundation
import XCTest
@testable import HeedCheckpoints

/// A fresh directory under the system temporary directory, removed by `tearDown`.
final class TemporaryDirectory {
    let url: URL

    init(_ label: String = "heed-checkpoints") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let file = file(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }

    @discardableResult
    func write(_ name: String, text: String) throws -> URL {
        try write(name, Array(text.utf8))
    }

    @discardableResult
    func makeDirectory(_ name: String) throws -> URL {
        let dir = url.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// The bytes of a safetensors file written by hand: the 8-byte length (the header's own by
/// default), the header text, then `data`.
func rawSafeTensors(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    var length = (declaredLength ?? UInt64(headerBytes.count)).littleEndian
    var out = withUnsafeBytes(of: &length) { Array($0) }
    out += headerBytes
    out += data
    return out
}

func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v -> [UInt8] in
        let bits = v.bitPattern
        return [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24)]
    }
}

/// Runs `body`, which must throw a `CheckpointError` for `file` whose problem contains every
/// one of `fragments`.
func assertCheckpointError(_ file: URL, _ fragments: [String], file sourceFile: StaticString = #filePath,
                           line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected a CheckpointError for \(file.path)", file: sourceFile, line: line)
    } catch let error as CheckpointError {
        XCTAssertEqual(error.file, file.path, "error names the wrong file", file: sourceFile, line: line)
        for fragment in fragments {
            XCTAssertTrue(error.problem.contains(fragment), "'\(error.problem)' lacks '\(fragment)'", file: sourceFile, line: line)
        }
        XCTAssertTrue(error.description.hasPrefix(file.path + ": "), file: sourceFile, line: line)
    } catch {
        XCTFail("expected a CheckpointError, got \(error)", file: sourceFile, line: line)
    }
}
