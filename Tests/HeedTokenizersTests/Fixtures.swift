// Locating and reading Tests/Fixtures/tokenizer files.

import Foundation
import XCTest

enum TokenizerFixtures {
    /// Tests/Fixtures/tokenizer, found by walking up from this file to the package root.
    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.appendingPathComponent("Tests/Fixtures/tokenizer")
            }
            url = url.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "Tests/Fixtures/tokenizer")
    }()

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Non-empty lines of a JSONL file, each decoded as `T`.
    static func readLines<T: Decodable>(_ name: String, as type: T.Type) throws -> [T] {
        let data = try Data(contentsOf: url(name))
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(T.self, from: Data($0)) }
    }

    static func corpus() throws -> [String] { try readLines("corpus.jsonl", as: String.self) }
}

/// One line of `<name>_expected.jsonl`.
struct ExpectedEncoding: Decodable {
    var ids: [Int]
    var tokens: [String]
    var words: [Int?]
    /// Flattened (start, end) pairs in Unicode scalars.
    var offsets: [Int]
}

/// Escapes a string for printing: controls and non-ASCII as \u{...}.
func visible(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        if scalar.value >= 0x20 && scalar.value < 0x7F {
            out.unicodeScalars.append(scalar)
        } else if scalar.value >= 0xA0 && scalar.properties.generalCategory != .nonspacingMark
                    && scalar.properties.generalCategory != .format && scalar.properties.generalCategory != .control {
            out.unicodeScalars.append(scalar)
        } else {
            out += "\\u{\(String(scalar.value, radix: 16))}"
        }
    }
    return out
}

/// Scalar-by-scalar equality (Swift's String == is canonical equivalence, too lenient here).
func sameScalars(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.elementsEqual(b.unicodeScalars)
}
