// The Split and Digits pre-tokenizers against the Rust library's pieces (generate_split_fixtures.py),
// and their tokenizer.json reading.

import Foundation
import XCTest
@testable import HeedTokenizers

/// One line of split_behaviors_expected.jsonl.
private struct BehaviorExpected: Decodable {
    var fuzzLine: Int
    /// Per block of split_behaviors.json: flat (start, end) pairs of the pieces.
    var pieces: [[Int]]

    enum CodingKeys: String, CodingKey {
        case fuzzLine = "fuzz_line"
        case pieces
    }
}

final class SplitPreTokenizerTests: XCTestCase {
    /// The pieces (original scalar ranges) `preTokenizer` makes of `text`.
    private func pieces(_ preTokenizer: any PreTokenizer, _ text: String) -> [Range<Int>] {
        var pre = PreTokenizedText(splits: [
            Split(text: NormalizedText(original: text.unicodeScalars, originalStart: 0), tokens: nil),
        ])
        preTokenizer.preTokenize(&pre)
        return pre.splits.map { $0.text.originalStart..<$0.text.originalEnd }
    }

    private func makeBlock(_ json: String) throws -> any PreTokenizer {
        try makePreTokenizer(try JSONValue.parse(Array(json.utf8)), path: "pre_tokenizer")
    }

    func testDigitsMatchesReference() throws {
        let cases = try SplitFixtures.load()
        for individual in [false, true] {
            let digits = DigitsPreTokenizer(individualDigits: individual)
            var failures: [String] = []
            var failed = 0
            for item in cases {
                let want = scalarRanges(individual ? item.expected.digitsIndividual : item.expected.digits)
                let got = pieces(digits, item.text)
                if got != want {
                    failed += 1
                    if failures.count < 6 {
                        let scalars = Array(item.text.unicodeScalars)
                        failures.append("""
                            \(item.source): "\(visible(item.text))"
                              want \(describePieces(scalars, want))
                              got  \(describePieces(scalars, got))
                            """)
                    }
                }
            }
            print("Digits(individual_digits: \(individual)): \(cases.count - failed)/\(cases.count) texts match")
            if failed > 0 {
                XCTFail("individual_digits \(individual): \(failed) texts differ:\n" + failures.joined(separator: "\n"))
            }
        }
    }

    /// Every block of split_behaviors.json (three regexes, five literals including the empty one,
    /// five behaviors, invert or not), read from its JSON, on short fuzz strings.
    func testSplitBehaviorsMatchReference() throws {
        let blocksJSON = try JSONValue.parse(Array(try Data(contentsOf: TokenizerFixtures.url("split_behaviors.json"))))
        let blocks = try XCTUnwrap(blocksJSON.arrayValue)
        let preTokenizers = try blocks.enumerated().map {
            try makePreTokenizer($0.element, path: "split_behaviors[\($0.offset)]")
        }
        XCTAssertEqual(preTokenizers.count, 80)
        let fuzz = try TokenizerFixtures.readLines("split_fuzz.jsonl", as: String.self)
        let expected = try TokenizerFixtures.readLines("split_behaviors_expected.jsonl", as: BehaviorExpected.self)
        XCTAssertGreaterThanOrEqual(expected.count, 100)
        var failures: [String] = []
        var failed = 0
        var checked = 0
        for row in expected {
            let text = fuzz[row.fuzzLine - 1]
            XCTAssertEqual(row.pieces.count, preTokenizers.count)
            for (index, (preTokenizer, flat)) in zip(preTokenizers, row.pieces).enumerated() {
                checked += 1
                let want = scalarRanges(flat)
                let got = pieces(preTokenizer, text)
                if got != want {
                    failed += 1
                    if failures.count < 8 {
                        let scalars = Array(text.unicodeScalars)
                        failures.append("""
                            fuzz line \(row.fuzzLine) with block \(index) \(blocks[index]): "\(visible(text))"
                              want \(describePieces(scalars, want))
                              got  \(describePieces(scalars, got))
                            """)
                    }
                }
            }
        }
        print("Split blocks: \(checked - failed)/\(checked) (text, block) pairs match")
        if failed > 0 {
            XCTFail("\(failed) of \(checked) differ:\n" + failures.joined(separator: "\n"))
        }
    }

    // MARK: - Hand-picked (values from tokenizers 0.23.3)

    func testLiteralSplit() throws {
        let isolated = try makeBlock(#"{"type": "Split", "pattern": {"String": "aa"}, "behavior": "Isolated", "invert": false}"#)
        XCTAssertEqual(pieces(isolated, "aaaXaa a"), [0..<2, 2..<4, 4..<6, 6..<8])
        let removed = try makeBlock(#"{"type": "Split", "pattern": {"String": "aa"}, "behavior": "Removed", "invert": false}"#)
        XCTAssertEqual(pieces(removed, "aaaXaa a"), [2..<4, 6..<8])
        let kept = try makeBlock(#"{"type": "Split", "pattern": {"String": "aa"}, "behavior": "Removed", "invert": true}"#)
        XCTAssertEqual(pieces(kept, "aaaXaa a"), [0..<2, 4..<6])
        // Scalar for scalar: a precomposed é does not match e + U+0301.
        let accent = try makeBlock(#"{"type": "Split", "pattern": {"String": "\u00e9"}, "behavior": "Isolated", "invert": false}"#)
        XCTAssertEqual(pieces(accent, "e\u{301} \u{E9}"), [0..<3, 3..<4])
        // The empty literal matches emptily everywhere: every scalar ends up alone, or removed
        // with invert.
        let empty = try makeBlock(#"{"type": "Split", "pattern": {"String": ""}, "behavior": "MergedWithNext", "invert": false}"#)
        XCTAssertEqual(pieces(empty, "abc"), [0..<1, 1..<2, 2..<3])
        let emptyInverted = try makeBlock(#"{"type": "Split", "pattern": {"String": ""}, "behavior": "Removed", "invert": true}"#)
        XCTAssertEqual(pieces(emptyInverted, "abc"), [])
    }

    func testDigitsHandPicked() throws {
        let contiguous = try makeBlock(#"{"type": "Digits", "individual_digits": false}"#)
        XCTAssertEqual(pieces(contiguous, "Hey 123 friend!"), [0..<4, 4..<7, 7..<15])
        let individual = try makeBlock(#"{"type": "Digits", "individual_digits": true}"#)
        XCTAssertEqual(pieces(individual, "a12\u{BD}"), [0..<1, 1..<2, 2..<3, 3..<4])
        // U+11DE0: a digit Rust's char::is_numeric knows but Oniguruma's \p{N} does not yet.
        XCTAssertEqual(pieces(individual, "x\u{11DE0}y"), [0..<1, 1..<2, 2..<3])
        XCTAssertEqual(KnownSplitPattern.gpt2.matches(Array("x\u{11DE0}y".unicodeScalars)[...]), [0..<1, 1..<2, 2..<3])
        XCTAssertEqual(KnownSplitPattern.gpt2.matches(Array("1\u{11DE0}2".unicodeScalars)[...]), [0..<1, 1..<2, 2..<3])
    }

    func testSequenceWithSplitAndDigits() throws {
        let sequence = try makeBlock(#"""
            {"type": "Sequence", "pretokenizers": [
                {"type": "Digits", "individual_digits": true},
                {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false}
            ]}
            """#)
        // "I'M 42 x" -> Digits: "I'M ", "4", "2", " x" -> Llama 3 on each.
        XCTAssertEqual(pieces(sequence, "I'M 42 x"), [0..<1, 1..<3, 3..<4, 4..<5, 5..<6, 6..<8])
    }

    // MARK: - Reading tokenizer.json

    private func readError(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> TokenizerError? {
        do {
            _ = try makeBlock(json)
            XCTFail("expected an error for \(json)", file: file, line: line)
        } catch let error as TokenizerError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }

    func testUnknownRegexIsUnsupportedAndNamed() throws {
        let regex = #"\\w+|[^\\w\\s]+"#
        let error = try XCTUnwrap(readError(#"{"type": "Split", "pattern": {"Regex": "\#(regex)"}, "behavior": "Isolated", "invert": false}"#))
        XCTAssertEqual(error.kind, .unsupportedComponent)
        XCTAssertEqual(error.component, "pre_tokenizer")
        XCTAssertEqual(error.componentType, "Split (Regex pattern)")
        XCTAssertTrue(error.message.contains(#""\w+|[^\w\s]+""#), error.message)
        XCTAssertTrue(error.message.contains("pre_tokenizer.pattern.Regex"), error.message)
    }

    func testMalformedBlocksAreInvalid() {
        let blocks = [
            #"{"type": "Digits"}"#,
            #"{"type": "Digits", "individual_digits": "yes"}"#,
            #"{"type": "Split", "pattern": {"String": "a"}, "behavior": "Isolated"}"#,
            #"{"type": "Split", "pattern": {"String": "a"}, "invert": false}"#,
            #"{"type": "Split", "pattern": {"String": "a"}, "behavior": "Split", "invert": false}"#,
            #"{"type": "Split", "pattern": {"Regex": "a", "String": "b"}, "behavior": "Isolated", "invert": false}"#,
            #"{"type": "Split", "pattern": {"Glob": "a"}, "behavior": "Isolated", "invert": false}"#,
            #"{"type": "Split", "pattern": "a", "behavior": "Isolated", "invert": false}"#,
            #"{"type": "Split", "pattern": {"String": 1}, "behavior": "Isolated", "invert": false}"#,
            #"{"type": "Split", "behavior": "Isolated", "invert": false}"#,
        ]
        for block in blocks {
            guard let error = readError(block) else { continue }
            XCTAssertEqual(error.kind, .invalidConfiguration, "\(block): \(error)")
        }
    }
}
