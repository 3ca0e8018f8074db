// The hand-written Split scanners (SplitPatterns.swift) against Oniguruma's matches through the
// Rust library (split_*_expected.jsonl, generate_split_fixtures.py), and on hand-picked strings.

import Foundation
import XCTest
@testable import HeedTokenizers

/// One line of split_corpus_expected.jsonl / split_fuzz_expected.jsonl: flat (start, end) scalar pairs.
struct SplitExpected: Decodable {
    var gpt2: [Int]
    var llama3: [Int]
    var qwen2: [Int]
    var digits: [Int]
    var digitsIndividual: [Int]

    enum CodingKeys: String, CodingKey {
        case gpt2, llama3, qwen2, digits
        case digitsIndividual = "digits_individual"
    }
}

/// Flat (start, end) pairs -> ranges.
func scalarRanges(_ flat: [Int]) -> [Range<Int>] {
    stride(from: 0, to: flat.count - 1, by: 2).map { flat[$0]..<flat[$0 + 1] }
}

/// The pieces of `text` that `ranges` cover, quoted and escaped, for failure messages.
func describePieces(_ text: [Unicode.Scalar], _ ranges: [Range<Int>]) -> String {
    ranges.map { range -> String in
        guard range.lowerBound >= 0, range.upperBound <= text.count else { return "<out of bounds \(range)>" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: text[range])
        return "\"\(visible(String(view)))\""
    }.joined(separator: " ")
}

/// The texts of the split fixtures with their expected lines: the corpus, then the fuzz set.
enum SplitFixtures {
    static func load() throws -> [(source: String, text: String, expected: SplitExpected)] {
        let corpus = try TokenizerFixtures.corpus()
        let corpusExpected = try TokenizerFixtures.readLines("split_corpus_expected.jsonl", as: SplitExpected.self)
        let fuzz = try TokenizerFixtures.readLines("split_fuzz.jsonl", as: String.self)
        let fuzzExpected = try TokenizerFixtures.readLines("split_fuzz_expected.jsonl", as: SplitExpected.self)
        XCTAssertEqual(corpus.count, corpusExpected.count, "corpus and split_corpus_expected differ in length")
        XCTAssertEqual(fuzz.count, fuzzExpected.count, "split_fuzz and split_fuzz_expected differ in length")
        XCTAssertGreaterThanOrEqual(corpus.count, 550)
        XCTAssertGreaterThanOrEqual(fuzz.count, 2000)
        return zip(corpus, corpusExpected).enumerated().map { ("corpus line \($0.offset + 1)", $0.element.0, $0.element.1) }
            + zip(fuzz, fuzzExpected).enumerated().map { ("fuzz line \($0.offset + 1)", $0.element.0, $0.element.1) }
    }
}

final class SplitPatternTests: XCTestCase {
    // MARK: - Reference parity

    func testGPT2MatchesReference() throws {
        try checkReference(.gpt2, \.gpt2)
    }

    func testLlama3MatchesReference() throws {
        try checkReference(.llama3, \.llama3)
    }

    func testQwen2MatchesReference() throws {
        try checkReference(.qwen2, \.qwen2)
    }

    private func checkReference(_ pattern: KnownSplitPattern, _ key: KeyPath<SplitExpected, [Int]>,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let cases = try SplitFixtures.load()
        var failures: [String] = []
        var failed = 0
        var matchCount = 0
        for item in cases {
            let scalars = Array(item.text.unicodeScalars)
            let want = scalarRanges(item.expected[keyPath: key])
            let got = pattern.matches(scalars[...])
            matchCount += got.count
            if got != want {
                failed += 1
                if failures.count < 6 {
                    failures.append("""
                        \(item.source): "\(visible(item.text))"
                          want \(describePieces(scalars, want))
                          got  \(describePieces(scalars, got))
                        """)
                }
            }
        }
        print("\(pattern): \(cases.count - failed)/\(cases.count) texts match the reference exactly (\(matchCount) matches)")
        if failed > 0 {
            XCTFail("\(failed) of \(cases.count) texts differ:\n" + failures.joined(separator: "\n"), file: file, line: line)
        }
    }

    // MARK: - Hand-picked strings (expected values confirmed with tokenizers 0.23.3)

    private func pieces(_ pattern: KnownSplitPattern, _ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return pattern.matches(scalars[...]).map { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
    }

    private func assertPieces(_ pattern: KnownSplitPattern, _ text: String, _ expected: [String],
                              file: StaticString = #filePath, line: UInt = #line) {
        let got = pieces(pattern, text)
        XCTAssertTrue(got.count == expected.count && zip(got, expected).allSatisfy(sameScalars),
                      "\(pattern) \"\(visible(text))\": got \(got.map(visible)), want \(expected.map(visible))",
                      file: file, line: line)
    }

    func testGPT2HandPicked() {
        assertPieces(.gpt2, "a  b", ["a", " ", " b"])
        assertPieces(.gpt2, "x \n\n y", ["x", " \n\n", " y"])
        assertPieces(.gpt2, "I'M here", ["I", "'", "M", " here"])
        assertPieces(.gpt2, "it's they'll we've", ["it", "'s", " they", "'ll", " we", "'ve"])
        assertPieces(.gpt2, "1234567", ["1234567"])
        assertPieces(.gpt2, "hello   ", ["hello", "   "])
        assertPieces(.gpt2, "\r", ["\r"])
        assertPieces(.gpt2, "\r\nx", ["\r", "\n", "x"])
        assertPieces(.gpt2, " !!'s", [" !!'", "s"])
        assertPieces(.gpt2, "\tword", ["\t", "word"])
        assertPieces(.gpt2, "a \u{A0}b", ["a", " ", "\u{A0}", "b"])
        assertPieces(.gpt2, "caf\u{E9} 3.14", ["caf\u{E9}", " 3", ".", "14"])
        assertPieces(.gpt2, "", [])
    }

    func testLlama3HandPicked() {
        assertPieces(.llama3, "a  b", ["a", " ", " b"])
        assertPieces(.llama3, "x \n\n y", ["x", " \n\n", " y"])
        assertPieces(.llama3, "I'M here", ["I", "'M", " here"])
        assertPieces(.llama3, "WE'LL 'Re 'x", ["WE", "'LL", " '", "Re", " '", "x"])
        assertPieces(.llama3, "1234567", ["123", "456", "7"])
        assertPieces(.llama3, "a 123", ["a", " ", "123"])
        assertPieces(.llama3, "hello   ", ["hello", "   "])
        assertPieces(.llama3, "\r", ["\r"])
        assertPieces(.llama3, "a\r\n\r\nb", ["a", "\r\n\r\n", "b"])
        assertPieces(.llama3, "end.\n\nNext", ["end", ".\n\n", "Next"])
        assertPieces(.llama3, "\tword", ["\tword"])
        assertPieces(.llama3, "\n word", ["\n", " word"])
        // U+017F LATIN SMALL LETTER LONG S: Oniguruma's (?i) folds it to s.
        assertPieces(.llama3, "it'\u{17F}", ["it", "'\u{17F}"])
        assertPieces(.llama3, "it\u{2019}s", ["it", "\u{2019}s"])
    }

    func testQwen2HandPicked() {
        assertPieces(.qwen2, "1234567", ["1", "2", "3", "4", "5", "6", "7"])
        assertPieces(.qwen2, "x \n\n y", ["x", " \n\n", " y"])
        assertPieces(.qwen2, "I'M 12", ["I", "'M", " ", "1", "2"])
    }

    func testMatchesAreRelativeToTheSliceStart() {
        let scalars = Array("ab cd ef".unicodeScalars)
        XCTAssertEqual(KnownSplitPattern.gpt2.matches(scalars[3...]), [0..<2, 2..<5])
        XCTAssertEqual(KnownSplitPattern.llama3.matches(scalars[2..<5]), [0..<3])
    }

    func testRecognizesExactPatternsOnly() {
        XCTAssertEqual(KnownSplitPattern.recognize(
            #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#), .gpt2)
        XCTAssertEqual(KnownSplitPattern.recognize(
            #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#),
            .llama3)
        XCTAssertEqual(KnownSplitPattern.recognize(
            #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#),
            .qwen2)
        // GPT-2 without `\s+(?!\S)` (a different regex), and the case-expanded cl100k spelling,
        // which differs from (?i:...) on U+017F.
        XCTAssertNil(KnownSplitPattern.recognize(#"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+"#))
        XCTAssertNil(KnownSplitPattern.recognize(
            #"(?:'s|'S|'t|'T|'re|'RE|'Re|'eR|'ve|'VE|'vE|'Ve|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#))
        XCTAssertNil(KnownSplitPattern.recognize(""))
        for pattern in [KnownSplitPattern.gpt2, .llama3, .qwen2] {
            XCTAssertEqual(KnownSplitPattern.recognize(pattern.regex), pattern)
        }
    }

    /// Informal speed check: about 1 MB of mixed text through each scanner (debug builds are
    /// much slower than release; the number is printed, not asserted).
    func testScannerSpeed() throws {
        let corpus = try TokenizerFixtures.corpus().joined(separator: "\n")
        var text: [Unicode.Scalar] = []
        while text.count < 1_000_000 { text.append(contentsOf: corpus.unicodeScalars) }
        _ = UnicodeProperties.shared
        for pattern in [KnownSplitPattern.gpt2, .llama3, .qwen2] {
            let start = Date()
            let matches = pattern.matches(text[...])
            let elapsed = Date().timeIntervalSince(start)
            // The matches tile the text: each non-empty, each starting where the previous ended.
            var end = 0
            var tiled = true
            for match in matches {
                tiled = tiled && match.lowerBound == end && !match.isEmpty
                end = match.upperBound
            }
            XCTAssertTrue(tiled && end == text.count, "\(pattern) matches do not tile the text")
            print("\(pattern): \(text.count) scalars, \(matches.count) matches in \(String(format: "%.1f", elapsed * 1000)) ms")
        }
    }
}
