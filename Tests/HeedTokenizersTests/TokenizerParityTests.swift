// Parity with the Rust tokenizers library (through transformers) on the committed corpus:
// ids, tokens, word ids and scalar offsets must match exactly for every line.

import Foundation
import XCTest
import HeedTokenizers

final class TokenizerParityTests: XCTestCase {
    /// MiniLM (BERT uncased WordPiece) as transformers 5.23.0 runs it.
    func testMiniLMCorpusParity() throws {
        try checkParity(configuration: "minilm")
    }

    /// Cased BertNormalizer with strip_accents=true, BertProcessing.
    func testCasedBertCorpusParity() throws {
        try checkParity(configuration: "cased")
    }

    /// NFKD + StripAccents + Lowercase + Replace, WhitespaceSplit + Punctuation(MergedWithPrevious),
    /// added tokens with lstrip/rstrip/single_word/normalized, a template with type id 1,
    /// max_input_chars_per_word = 12.
    func testMixedPipelineCorpusParity() throws {
        try checkParity(configuration: "mixed")
    }

    /// Strip + NFC + Lowercase + NFKC, Whitespace pre-tokenizer, no post-processor.
    func testComposedPipelineCorpusParity() throws {
        try checkParity(configuration: "composed")
    }

    // Special tokens typed in the text (typed_special_corpus.jsonl): each keeps its source span
    // and its word; lowercase forms match only as tokenizer.json's added_tokens flags say.

    /// MiniLM: `[MASK]` etc. are added tokens with normalized=false, so `[mask]` is plain text.
    func testMiniLMTypedSpecialTokenParity() throws {
        try checkParity(configuration: "minilm", corpus: "typed_special")
    }

    /// Cased BertNormalizer: specials next to accents, CJK, emoji and combining marks.
    func testCasedBertTypedSpecialTokenParity() throws {
        try checkParity(configuration: "cased", corpus: "typed_special")
    }

    /// A lowercasing normalizer with normalized=false specials, beside lstrip/rstrip `<ent>`.
    func testMixedPipelineTypedSpecialTokenParity() throws {
        try checkParity(configuration: "mixed", corpus: "typed_special")
    }

    /// Strip in the normalizer: leading and trailing whitespace around typed specials.
    func testComposedPipelineTypedSpecialTokenParity() throws {
        try checkParity(configuration: "composed", corpus: "typed_special")
    }

    /// `corpus` nil: corpus.jsonl against `<name>_expected.jsonl`; else `<corpus>_corpus.jsonl`
    /// against `<name>_<corpus>_expected.jsonl`.
    private func checkParity(configuration name: String, corpus corpusName: String? = nil,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let tokenizer = try Tokenizer(url: TokenizerFixtures.url("\(name)-tokenizer.json"))
        let corpus = try corpusName.map { try TokenizerFixtures.readLines("\($0)_corpus.jsonl", as: String.self) }
            ?? TokenizerFixtures.corpus()
        let expected = try TokenizerFixtures.readLines("\(name)\(corpusName.map { "_" + $0 } ?? "")_expected.jsonl",
                                                       as: ExpectedEncoding.self)
        XCTAssertEqual(corpus.count, expected.count, "corpus and expected outputs differ in length", file: file, line: line)
        XCTAssertGreaterThanOrEqual(corpus.count, corpusName == nil ? 550 : 38, file: file, line: line)

        var mismatches: [String] = []
        var failed = 0
        var tokenCount = 0
        for (index, (text, want)) in zip(corpus, expected).enumerated() {
            let got = tokenizer.encode(text).tokens
            tokenCount += got.count
            if let report = compare(got, want) {
                failed += 1
                if mismatches.count < 8 {
                    mismatches.append("line \(index + 1): \"\(visible(text))\"\n\(report)")
                }
            }
        }
        print("\(name): \(corpus.count - failed)/\(corpus.count) corpus lines match exactly (\(tokenCount) tokens)")
        if failed > 0 {
            XCTFail("\(name): \(failed) of \(corpus.count) lines differ; first ones:\n" + mismatches.joined(separator: "\n"),
                    file: file, line: line)
        }
    }

    /// nil when equal; else a side-by-side table of expected and actual tokens around the first difference.
    private func compare(_ got: [EncodedToken], _ want: ExpectedEncoding) -> String? {
        func describe(_ i: Int) -> (expected: String, actual: String, equal: Bool) {
            var expected = "-"
            var actual = "-"
            var equal = false
            if i < want.ids.count {
                let word = want.words[i].map(String.init) ?? "nil"
                expected = "\(want.ids[i]) \"\(visible(want.tokens[i]))\" w=\(word) \(want.offsets[2 * i])..<\(want.offsets[2 * i + 1])"
            }
            if i < got.count {
                let token = got[i]
                let word = token.word.map(String.init) ?? "nil"
                actual = "\(token.id) \"\(visible(token.text))\" w=\(word) \(token.span.scalars.lowerBound)..<\(token.span.scalars.upperBound)"
            }
            if i < want.ids.count && i < got.count {
                let token = got[i]
                equal = token.id == want.ids[i] && sameScalars(token.text, want.tokens[i]) && token.word == want.words[i]
                    && token.span.scalars == want.offsets[2 * i]..<want.offsets[2 * i + 1]
            }
            return (expected, actual, equal)
        }
        let count = max(got.count, want.ids.count)
        guard let first = (0..<count).first(where: { !describe($0).equal }) else { return nil }
        var lines = ["   #  expected (id token word span)            | actual"]
        for i in max(0, first - 2)..<min(count, first + 4) {
            let row = describe(i)
            let marker = row.equal ? "   " : ">> "
            lines.append("\(marker)\(i): \(row.expected.padding(toLength: 44, withPad: " ", startingAt: 0)) | \(row.actual)")
        }
        if got.count != want.ids.count { lines.append("   token counts: expected \(want.ids.count), actual \(got.count)") }
        return lines.joined(separator: "\n")
    }

    /// The long corpus text exceeds 512 tokens and is not truncated (the file's truncation block is ignored).
    func testLongTextIsNotTruncated() throws {
        let tokenizer = try Tokenizer(url: TokenizerFixtures.url("minilm-tokenizer.json"))
        let longest = try TokenizerFixtures.corpus().max { $0.unicodeScalars.count < $1.unicodeScalars.count }!
        XCTAssertGreaterThan(tokenizer.encode(longest).tokens.count, 512)
    }

    /// Spans in every unit cover the same text as the scalar span, on the whole corpus.
    func testSpansAgreeAcrossUnitsOnCorpus() throws {
        let tokenizer = try Tokenizer(url: TokenizerFixtures.url("minilm-tokenizer.json"))
        for text in try TokenizerFixtures.corpus() {
            let scalars = Array(text.unicodeScalars)
            let utf16 = Array(text.utf16)
            let utf8 = Array(text.utf8)
            for token in tokenizer.encode(text).tokens {
                let piece = String(String.UnicodeScalarView(scalars[token.span.scalars]))
                XCTAssertEqual(Array(piece.utf16), Array(utf16[token.span.utf16]), visible(text))
                XCTAssertEqual(Array(piece.utf8), Array(utf8[token.span.utf8]), visible(text))
            }
        }
    }
}
