// The reader's options (what its callers disagree on) and byte-exact member names.

import XCTest
@testable import HeedJSON

final class JSONParserOptionsTests: XCTestCase {
    private func parseError(_ text: String, _ options: JSONParser.Options, line: UInt = #line) -> JSONParseError? {
        do {
            let v = try JSONParser.parse(text, options: options)
            XCTFail("accepted as \(v)", line: line)
            return nil
        } catch {
            return error as? JSONParseError
        }
    }

    // MARK: Member names compared as raw scalars

    /// "\u{E9}" (NFC) and "e\u{301}" (NFD) are canonically equivalent, so Swift String equality
    /// calls them equal; as member names they are two members, found each by its own bytes.
    func testNFCAndNFDKeysStayDistinct() throws {
        for text in ["{\"\u{E9}\": 1, \"e\u{301}\": 2}", #"{"\u00e9": 1, "e\u0301": 2}"#] {
            for options in [JSONParser.Options.jsonRPC, .configuration, .strict] {
                let v = try JSONParser.parse(text, options: options)
                let o = try XCTUnwrap(v.objectValue)
                XCTAssertEqual(o.keys.map { Array($0.utf8) }, [[0xC3, 0xA9], [0x65, 0xCC, 0x81]])
                XCTAssertEqual(v["\u{E9}"], 1)
                XCTAssertEqual(v["e\u{301}"], 2)
                XCTAssertEqual(o.index(of: "e\u{301}"), 1)
            }
        }
        // Past the small-object path too (objects of more than 16 members use a hash index).
        var text = "{"
        for k in 0..<20 { text += "\"k\(k)\": \(k), " }
        text += "\"\u{E9}\": 100, \"e\u{301}\": 200}"
        let big = try JSONParser.parse(text, options: .strict)
        XCTAssertEqual(big.objectValue?.count, 22)
        XCTAssertEqual(big["\u{E9}"], 100)
        XCTAssertEqual(big["e\u{301}"], 200)
    }

    func testBuiltObjectsAndEqualityAreByteExact() {
        var o = JSONObject([("\u{E9}", 1), ("e\u{301}", 2)])
        XCTAssertEqual(o.count, 2)
        o["e\u{301}"] = 3
        XCTAssertEqual(o.values, [1, 3])
        XCTAssertNotEqual(JSONValue.string("\u{E9}"), JSONValue.string("e\u{301}"))
        XCTAssertEqual(JSONValue.string("\u{E9}"), JSONValue.string("\u{E9}"))
        XCTAssertNotEqual(JSONValue.object(JSONObject([("\u{E9}", 1)])), JSONValue.object(JSONObject([("e\u{301}", 1)])))
        XCTAssertNotEqual(JSONKey("\u{E9}"), JSONKey("e\u{301}"))
        XCTAssertEqual(Set([JSONKey("\u{E9}"), JSONKey("e\u{301}"), JSONKey("\u{E9}")]).count, 2)
    }

    // MARK: Duplicate names

    /// Accepted: the last value wins, at the position of the first occurrence.
    func testDuplicateKeysLastWinsWhenAccepted() throws {
        for options in [JSONParser.Options.jsonRPC, .configuration] {
            let v = try JSONParser.parse(#"{"a": 1, "b": 2, "a": 3}"#, options: options)
            XCTAssertEqual(v.objectValue?.keys, ["a", "b"])
            XCTAssertEqual(v.objectValue?.values, [3, 2])
        }
    }

    func testDuplicateKeysRejectedWhenAsked() {
        XCTAssertEqual(parseError(#"{"a": 1, "b": 2, "a": 3}"#, .strict),
                       JSONParseError(message: "duplicate member name \"a\"", byteOffset: 17, duplicateKey: "a", depth: 1))
        XCTAssertEqual(parseError(#"{"x": [{"k": 1, "k": 2}]}"#, .strict),
                       JSONParseError(message: "duplicate member name \"k\"", byteOffset: 16, duplicateKey: "k", depth: 3))
        // An escape that spells the same scalars is the same name.
        XCTAssertEqual(parseError(#"{"\u0061": 1, "a": 2}"#, .strict),
                       JSONParseError(message: "duplicate member name \"a\"", byteOffset: 14, duplicateKey: "a", depth: 1))
        // The large-object path: the third occurrence is not reached, the second is reported.
        var text = "{"
        for k in 0..<20 { text += "\"k\(k)\": \(k), " }
        let offset = text.utf8.count
        text += "\"k7\": 0, \"k7\": 1}"
        XCTAssertEqual(parseError(text, .strict),
                       JSONParseError(message: "duplicate member name \"k7\"", byteOffset: offset, duplicateKey: "k7", depth: 1))
        XCTAssertEqual(parseError(#"{"a": 1, "a": 2}"#, .init(duplicateKeys: .reject))?.description,
                       "invalid JSON at byte 9: duplicate member name \"a\"")
    }

    // MARK: Lone surrogates

    func testLoneSurrogateReplacedAndFlaggedForJSONRPC() throws {
        let v = try JSONParser.parse(#"{"id": 1, "params": {"text": "a\uD800b"}}"#, options: .jsonRPC)
        XCTAssertEqual(v["params"]?["text"], .string("a\u{FFFD}b", loneSurrogate: true))
        XCTAssertEqual(v.loneSurrogatePath(), "params.text")
        XCTAssertEqual(v["id"], 1)
    }

    func testLoneSurrogateRejectedWhenAsked() {
        XCTAssertEqual(parseError(#"{"text": "a\uD800b"}"#, .configuration),
                       JSONParseError(message: "lone surrogate escape \\uD800 (not part of a surrogate pair)", byteOffset: 11))
        XCTAssertEqual(parseError(#"["\uDC00"]"#, .strict),
                       JSONParseError(message: "lone surrogate escape \\uDC00 (not part of a surrogate pair)", byteOffset: 2))
        // A high surrogate followed by another high one: the first is lone.
        XCTAssertEqual(parseError(#"["\uD834\uD834\uDD1E"]"#, .init(loneSurrogates: .reject)),
                       JSONParseError(message: "lone surrogate escape \\uD834 (not part of a surrogate pair)", byteOffset: 2))
        // In a member name too.
        XCTAssertEqual(parseError(#"{"\uDFAA": 0}"#, .strict),
                       JSONParseError(message: "lone surrogate escape \\uDFAA (not part of a surrogate pair)", byteOffset: 2))
        // A proper pair is fine.
        XCTAssertEqual(try JSONParser.parse(#""\uD834\uDD1E""#, options: .strict), .string("\u{1D11E}"))
    }
}
