import Foundation
import XCTest

/// The `heed` executable on the real MiniLM with special tokens typed in the text (protocol.md,
/// sections 5.4-5.6): a typed `[MASK]` keeps its span and can be the focus; a focus that
/// overlaps no token, or a text without any, fails with a message instead of moving.
final class TypedSpecialTokenCLITests: XCTestCase {
    let sentence = "The [MASK] sat on the mat."

    /// transformers: [CLS] the [MASK] sat on the mat . [SEP], offsets (0,0) (0,3) (4,10) (11,14)
    /// (15,17) (18,21) (22,25) (25,26) (0,0).
    func testTokenizeKeepsTheSpanOfATypedMask() throws {
        try Integration.requireEnabled()
        let (status, out, err) = try Integration.run(["tokenize", "--json", sentence])
        XCTAssertEqual(status, 0, err)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: out) as? [String: Any])
        let tokens = try XCTUnwrap(obj["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.compactMap { $0["id"] as? Int }, [101, 1996, 103, 2938, 2006, 1996, 13523, 1012, 102])
        XCTAssertEqual(tokens.compactMap { $0["start"] as? Int }, [0, 0, 4, 11, 15, 18, 22, 25, 0])
        XCTAssertEqual(tokens.compactMap { $0["end"] as? Int }, [0, 3, 10, 14, 17, 21, 25, 26, 0])
        XCTAssertEqual(tokens.compactMap { $0["special"] as? Bool }, [true, false, true, false, false, false, false, false, true])
    }

    /// `--focus "[MASK]"` focuses the typed [MASK], in the text output and in the JSON result.
    func testAnalyzeFocusOnATypedMask() throws {
        try Integration.requireEnabled()
        let (status, out, err) = try Integration.run(["analyze", "--focus", "[MASK]", sentence])
        XCTAssertEqual(status, 0, err)
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "norm-summed, layer 5, focus \"[MASK]\"; minilm")
        XCTAssertEqual(lines.dropFirst(2).dropLast().map { String($0.split(separator: "\t")[0]) }, ["The", "sat", "on", "the", "mat", "."])
        XCTAssertTrue(lines.last!.hasPrefix("sent to the inserted special tokens (layer 5"), lines.last!)

        let (jsonStatus, json, jsonErr) = try Integration.run(["analyze", "--json", "--focus", "[MASK]", sentence])
        XCTAssertEqual(jsonStatus, 0, jsonErr)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any])
        let focus = try XCTUnwrap(obj["focus"] as? [String: Int])
        XCTAssertEqual(focus, ["start": 4, "end": 10])
        let ranges = try XCTUnwrap(obj["ranges"] as? [[String: Any]])
        XCTAssertEqual(ranges.compactMap { $0["start"] as? Int }, [0, 11, 15, 18, 22, 25])
        XCTAssertEqual(ranges.compactMap { $0["end"] as? Int }, [3, 14, 17, 21, 25, 26])
    }

    /// No token to focus on: an empty text, or a focus over whitespace only. A message and exit 2.
    func testFocusWithoutATokenFails() throws {
        try Integration.requireEnabled()
        let (status, out, err) = try Integration.run(["analyze", "--focus-range", "0:0", ""])
        XCTAssertEqual(status, 2, err)
        XCTAssertEqual(out.count, 0)
        XCTAssertEqual(err.split(separator: "\n").last.map(String.init),
                       "heed: the text has no token to focus on: it is empty or holds only whitespace or characters the tokenizer drops (the special tokens the tokenizer inserts have no span)")

        let (blankStatus, blankOut, blankErr) = try Integration.run(["analyze", "--focus", "  ", "The cat  sat."])
        XCTAssertEqual(blankStatus, 2, blankErr)
        XCTAssertEqual(blankOut.count, 0)
        XCTAssertEqual(blankErr.split(separator: "\n").last.map(String.init),
                       "heed: focus 7..<9 overlaps no token of the text (it covers only whitespace or characters the tokenizer drops); give a span that overlaps one, or an empty focus (a cursor) for the nearest")
    }
}
