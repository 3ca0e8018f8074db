import Foundation
import XCTest
@testable import HeedJSON
import HeedJSONTestSupport

final class JSONParserTests: XCTestCase {
    /// Tallies of a conformance run.
    struct Tally: CustomStringConvertible {
        var accepted = 0, rejected = 0, acceptedI = 0, rejectedI = 0
        var failures: [String] = []
        var description: String {
            "y/n correct: \(accepted + rejected) (y accepted \(accepted), n rejected \(rejected)); "
                + "i accepted \(acceptedI), rejected \(rejectedI); failures \(failures.count)"
        }
    }

    static func run(_ cases: [(name: String, bytes: [UInt8])], options: JSONParser.Options = .jsonRPC) -> Tally {
        var t = Tally()
        for c in cases {
            let result = Result { try JSONParser.parse(c.bytes, options: options) }
            switch (c.name.first, result) {
            case ("y", .success): t.accepted += 1
            case ("y", .failure(let e)): t.failures.append("\(c.name) rejected: \(e)")
            case ("n", .failure): t.rejected += 1
            case ("n", .success(let v)): t.failures.append("\(c.name) accepted as \(v)")
            case ("i", .success): t.acceptedI += 1
            case ("i", .failure): t.rejectedI += 1
            default: t.failures.append("\(c.name): unexpected name")
            }
        }
        return t
    }

    func testEmbeddedConformanceSample() {
        let cases = ConformanceSample.cases.map { (name: $0.name, bytes: $0.bytes) }
        XCTAssertGreaterThanOrEqual(cases.count, 60)
        let tally = Self.run(cases)
        XCTAssertEqual(tally.failures, [], "\(tally)")
        XCTAssertEqual(tally.accepted, cases.filter { $0.name.hasPrefix("y_") }.count)
        XCTAssertEqual(tally.rejected, cases.filter { $0.name.hasPrefix("n_") }.count)
        print("JSONTestSuite sample (\(cases.count) files): \(tally)")
    }

    /// The whole corpus at ../shared/data/JSONTestSuite (relative to the package root) when it is
    /// present, as it is during development and in CI; skipped only when the folder is absent.
    /// With the JSON-RPC options every y_ file is accepted and every n_ file rejected; with the
    /// configuration options too (lone surrogates appear in i_ files only); with the strict
    /// options exactly the two y_ files that repeat a name are rejected, as duplicates. No option
    /// set crashes on any file.
    func testFullConformanceCorpusWhenPresent() throws {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/JSONTestSuite/test_parsing")
        guard FileManager.default.fileExists(atPath: dir.path) else {
            throw XCTSkip("\(dir.path) not present; the embedded sample covers the reader")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        let cases = try names.filter { $0.hasSuffix(".json") }.sorted().map { name in
            (name: String(name.dropLast(5)), bytes: [UInt8](try Data(contentsOf: dir.appendingPathComponent(name))))
        }
        XCTAssertEqual(cases.count, 318)
        let yCount = cases.filter { $0.name.hasPrefix("y_") }.count
        let nCount = cases.filter { $0.name.hasPrefix("n_") }.count
        for options in [JSONParser.Options.jsonRPC, .configuration] {
            let tally = Self.run(cases, options: options)
            XCTAssertEqual(tally.failures, [], "\(tally)")
            XCTAssertEqual(tally.accepted, yCount)
            XCTAssertEqual(tally.rejected, nCount)
            XCTAssertEqual(tally.accepted + tally.rejected + tally.acceptedI + tally.rejectedI, cases.count)
            print("JSONTestSuite full corpus (\(cases.count) files), \(options.loneSurrogates), \(options.duplicateKeys): \(tally)")
        }
        let strict = Self.run(cases, options: .strict)
        XCTAssertEqual(strict.failures.filter { !$0.contains("duplicate member name") }, [])
        XCTAssertEqual(strict.failures.map { String($0.prefix { $0 != " " }) },
                       ["y_object_duplicated_key", "y_object_duplicated_key_and_value"])
        XCTAssertEqual(strict.rejected, nCount)
        for name in ["y_object_duplicated_key", "y_object_duplicated_key_and_value"] {
            let bytes = try XCTUnwrap(cases.first { $0.name == name }?.bytes)
            XCTAssertThrowsError(try JSONParser.parse(bytes, options: .strict)) { error in
                XCTAssertEqual(error as? JSONParseError,
                               JSONParseError(message: "duplicate member name \"a\"", byteOffset: 9, duplicateKey: "a", depth: 1))
            }
        }
    }

    func testValuesAndOrder() throws {
        let v = try JSONParser.parse(#" {"b": [1, -2.5, 3e2, true, false, null], "a": "x\ny", "c": {}} "#)
        guard case .object(let o) = v else { return XCTFail("not an object") }
        XCTAssertEqual(o.keys, ["b", "a", "c"])
        XCTAssertEqual(v["a"], .string("x\ny"))
        XCTAssertEqual(v["c"], .object(JSONObject()))
        let items = try XCTUnwrap(v["b"]?.arrayValue)
        XCTAssertEqual(items.count, 6)
        XCTAssertEqual(items[0].intValue, 1)
        XCTAssertEqual(items[0].numberValue?.isIntegerLiteral, true)
        XCTAssertEqual(items[1].doubleValue, -2.5)
        XCTAssertEqual(items[1].numberValue?.isIntegerLiteral, false)
        XCTAssertEqual(items[2].doubleValue, 300)
        XCTAssertEqual(items[2].numberValue?.int, nil)
        XCTAssertEqual(items[2].intValue, 300, "an integral non-integer literal still reads as an exact integer")
        XCTAssertEqual(Array(items[3...]), [.bool(true), .bool(false), .null])
    }

    func testDuplicateKeysLastWins() throws {
        let v = try JSONParser.parse(#"{"a":1,"b":2,"a":3}"#)
        XCTAssertEqual(v.objectValue?.keys, ["a", "b"])
        XCTAssertEqual(v["a"]?.intValue, 3)
        // Also past the small-object path (more than 16 members).
        var text = "{"
        for k in 0..<40 { text += "\"k\(k % 20)\":\(k)," }
        text += "\"end\":0}"
        let big = try JSONParser.parse(text)
        XCTAssertEqual(big.objectValue?.count, 21)
        XCTAssertEqual(big["k3"]?.intValue, 23)
        XCTAssertEqual(big.objectValue?.keys.first, "k0")
    }

    func testNumbers() throws {
        func number(_ s: String) throws -> JSONNumber { try XCTUnwrap(JSONParser.parse(s).numberValue) }
        XCTAssertEqual(try number("9223372036854775807").int, Int.max)
        XCTAssertEqual(try number("-9223372036854775808").int, Int.min)
        XCTAssertNil(try number("9223372036854775808").int)
        XCTAssertEqual(try number("9223372036854775808").double, 9223372036854775808.0)
        XCTAssertEqual(try number("-0").double.sign, .minus)
        XCTAssertEqual(try number("-0").int, 0)
        XCTAssertEqual(try number("0.1").double, 0.1)
        XCTAssertEqual(try number("1e400").double, .infinity)
        XCTAssertEqual(try number("123.456e-789").double, 0)
        XCTAssertEqual(try number("1.7976931348623157e308").double, .greatestFiniteMagnitude)
        XCTAssertEqual(try number("4.9e-324").double, .leastNonzeroMagnitude)
        XCTAssertEqual(try number("0.000000000000000000000000000001").double, 1e-30)
        XCTAssertEqual(try number("123456789012345678901234567890").double, 1.2345678901234568e29)
        // 1 + 2^-53 lies exactly halfway between 1 and the next Double: ties go to even.
        XCTAssertEqual(try number("1.00000000000000011102230246251565404236316680908203125").double, 1.0)
        XCTAssertEqual(try number("1.00000000000000011102230246251565404236316680908203126").double, 1.0000000000000002)
        // Random doubles read back exactly through their shortest text.
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let d = Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF)
            XCTAssertEqual(try number(d.description).double, d, d.description)
        }
        for bad in ["01", "1.", ".1", "-", "+1", "1e", "1e+", "0x1", "1_0", "--1", "Infinity", "NaN"] {
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
    }

    func testStringsAndEscapes() throws {
        XCTAssertEqual(try JSONParser.parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud834\udd1e""#),
                       .string("\"\\/\u{8}\u{C}\n\r\tAé€𝄞"))
        XCTAssertEqual(try JSONParser.parse("\"naïve 日本\""), .string("naïve 日本"))
        XCTAssertThrowsError(try JSONParser.parse("\"a\u{1}b\""), "unescaped control character")
        XCTAssertThrowsError(try JSONParser.parse("\"abc"), "unterminated")
        XCTAssertThrowsError(try JSONParser.parse(#""\x""#), "bad escape")
        XCTAssertThrowsError(try JSONParser.parse(#""\u12G4""#), "bad hex")
        // Invalid UTF-8: overlong, encoded surrogate, above U+10FFFF, stray continuation, truncated.
        for bytes: [UInt8] in [[0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
                               [0x22, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x22, 0xE2, 0x82]] {
            XCTAssertThrowsError(try JSONParser.parse(bytes), "\(bytes)")
        }
    }

    func testLoneSurrogatesAreMarkedNotRejected() throws {
        let cases: [(String, String)] = [
            (#""\uD800""#, "\u{FFFD}"),
            (#""\uDC00x""#, "\u{FFFD}x"),
            (#""a\uD800\u0041""#, "a\u{FFFD}A"),
            (#""\uD800\uD800\uDC00""#, "\u{FFFD}\u{10000}"),
            (#""\uDD1E\uD834""#, "\u{FFFD}\u{FFFD}"),
        ]
        for (text, expected) in cases {
            let v = try JSONParser.parse(text)
            XCTAssertEqual(v, .string(expected, loneSurrogate: true), text)
            XCTAssertTrue(v.containsLoneSurrogate)
        }
        XCTAssertEqual(try JSONParser.parse(#""\uD834\uDD1E""#), .string("𝄞", loneSurrogate: false))

        let request = try JSONParser.parse(#"{"params":{"items":["ok","bad \uDEAD"]},"id":1}"#)
        XCTAssertEqual(request.loneSurrogatePath(), "params.items[1]")
        let key = try JSONParser.parse(#"{"params":{"\uD800":1}}"#)
        XCTAssertEqual(key.loneSurrogatePath(), "params.\u{FFFD}")
        XCTAssertFalse(try JSONParser.parse(#"{"a":["\u00e9"]}"#).containsLoneSurrogate)
        // A broken escape after a lone surrogate is still an error.
        XCTAssertThrowsError(try JSONParser.parse(#""\uD800\u12""#))
    }

    func testDepthLimit() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        XCTAssertNoThrow(try JSONParser.parse(ok))
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        XCTAssertThrowsError(try JSONParser.parse(deep)) { error in
            XCTAssertTrue("\(error)".contains("nesting deeper than 512"), "\(error)")
        }
        // 100000 open brackets (JSONTestSuite's n_structure_100000_opening_arrays): no stack overflow.
        XCTAssertThrowsError(try JSONParser.parse(String(repeating: "[", count: 100_000)))
        XCTAssertThrowsError(try JSONParser.parse(String(repeating: "{\"a\":", count: 100_000)))
        XCTAssertNoThrow(try JSONParser.parse(String(repeating: "{\"a\":", count: 20) + "1" + String(repeating: "}", count: 20),
                                              options: .init(maxDepth: 20)))
        XCTAssertThrowsError(try JSONParser.parse(String(repeating: "{\"a\":", count: 21) + "1" + String(repeating: "}", count: 21),
                                                  options: .init(maxDepth: 20)))
    }

    func testStructuralErrorsReportOffsets() {
        for (text, offset) in [("[1,]", 3), ("{\"a\":1,}", 7), ("[1 2]", 3), ("{\"a\" 1}", 5), ("[1]x", 3), ("", 0), (" ", 1)] {
            XCTAssertThrowsError(try JSONParser.parse(text), text) { error in
                XCTAssertEqual((error as? JSONParseError)?.byteOffset, offset, "\(text): \(error)")
            }
        }
    }
}
