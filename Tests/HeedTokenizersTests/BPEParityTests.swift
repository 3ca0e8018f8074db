// Parity of the BPE pipelines with the Rust tokenizers library through transformers (fixtures
// written by Tests/Fixtures/tokenizer/generate_bpe_unigram_fixtures.py): ids, tokens, word ids
// and scalar offsets on corpus.jsonl and typed_special_corpus.jsonl; ids and offsets on the
// 2,000 strings of fuzz.jsonl; the decoded text of every id (NAME_display.jsonl).

import Foundation
import XCTest
import HeedTokenizers

/// One line of `<name>_fuzz_expected.jsonl`.
struct ExpectedIDsAndOffsets: Decodable {
    var ids: [Int]
    /// Flattened (start, end) pairs in Unicode scalars.
    var offsets: [Int]
}

/// One line of `<name>_display.jsonl`: `tok.decode([id])`.
struct ExpectedDisplay: Decodable {
    var id: Int
    var token: String
    var decoded: String
}

final class BPEParityTests: XCTestCase {
    // GPT-2: ByteLevel pre-tokenizer (GPT-2 regex), ByteLevel post-processor (trim_offsets).
    func testGPT2CorpusParity() throws { try checkPipelineParity("gpt2") }
    func testGPT2FuzzParity() throws { try checkPipelineFuzzParity("gpt2") }
    func testGPT2TypedSpecialParity() throws { try checkPipelineParity("gpt2", corpus: "typed_special") }

    // RoBERTa: RobertaProcessing (<s> A </s>, trim_offsets), <mask> with lstrip.
    func testRobertaCorpusParity() throws { try checkPipelineParity("roberta") }
    func testRobertaFuzzParity() throws { try checkPipelineFuzzParity("roberta") }
    func testRobertaTypedSpecialParity() throws { try checkPipelineParity("roberta", corpus: "typed_special") }

    // Llama 3: Split(Llama 3 regex) + ByteLevel(use_regex false), ignore_merges,
    // Sequence[ByteLevel(trim_offsets false), TemplateProcessing(<|begin_of_text|> A)].
    func testLlama3CorpusParity() throws { try checkPipelineParity("llama3") }
    func testLlama3FuzzParity() throws { try checkPipelineFuzzParity("llama3") }
    func testLlama3TypedSpecialParity() throws { try checkPipelineParity("llama3", corpus: "typed_special") }

    // Qwen2: NFC, Split(Qwen2 regex) + ByteLevel, ByteLevel post-processor without trimming.
    func testQwen2CorpusParity() throws { try checkPipelineParity("qwen2") }
    func testQwen2FuzzParity() throws { try checkPipelineFuzzParity("qwen2") }
    func testQwen2TypedSpecialParity() throws { try checkPipelineParity("qwen2", corpus: "typed_special") }

    // SmolLM: Digits(individual) + ByteLevel, SmolLM2's pipeline on a small vocabulary.
    func testSmolLMCorpusParity() throws { try checkPipelineParity("smollm") }
    func testSmolLMFuzzParity() throws { try checkPipelineFuzzParity("smollm") }
    func testSmolLMTypedSpecialParity() throws { try checkPipelineParity("smollm", corpus: "typed_special") }

    // Character BPE: Lowercase, Whitespace + Digits + Punctuation, "##" prefix, "</w>" suffix,
    // fused [UNK], BertProcessing.
    func testCharBPECorpusParity() throws { try checkPipelineParity("charbpe") }
    func testCharBPEFuzzParity() throws { try checkPipelineFuzzParity("charbpe") }
    func testCharBPETypedSpecialParity() throws { try checkPipelineParity("charbpe", corpus: "typed_special") }

    // Llama 2 (SentencePiece BPE converted by transformers): Metaspace(prepend_scheme first),
    // byte_fallback, fuse_unk, TemplateProcessing(<s> A).
    func testLlama2CorpusParity() throws { try checkPipelineParity("llama2") }
    func testLlama2FuzzParity() throws { try checkPipelineFuzzParity("llama2") }
    func testLlama2TypedSpecialParity() throws { try checkPipelineParity("llama2", corpus: "typed_special") }

    static let pipelines = ["gpt2", "roberta", "llama3", "qwen2", "smollm", "charbpe", "llama2"]
    /// Pipelines whose decoder is ByteLevel alone: decoding is lossless for them.
    static let byteLevelPipelines = ["gpt2", "roberta", "llama3", "qwen2", "smollm"]

    // MARK: - Decoding

    /// `decode([id])` equals `tok.decode([id])` for every id in the display fixture (ids below
    /// 2000 and every added token), for every pipeline.
    func testDecodeSingleIDsMatchTransformers() throws {
        for name in BPEParityTests.pipelines {
            let tokenizer = try Tokenizer(url: TokenizerFixtures.url("\(name)-tokenizer.json"))
            let rows = try TokenizerFixtures.readLines("\(name)_display.jsonl", as: ExpectedDisplay.self)
            XCTAssertGreaterThanOrEqual(rows.count, 2000, name)
            var failures: [String] = []
            for row in rows {
                XCTAssertEqual(tokenizer.token(forID: row.id).map { sameScalars($0, row.token) }, true, "\(name) id \(row.id)")
                let got = tokenizer.decode([row.id])
                if !sameScalars(got, row.decoded) {
                    failures.append("id \(row.id) \"\(visible(row.token))\": expected \"\(visible(row.decoded))\", got \"\(visible(got))\"")
                }
            }
            XCTAssert(failures.isEmpty, "\(name): \(failures.count) ids decode differently:\n" + failures.prefix(8).joined(separator: "\n"))
        }
    }

    /// For byte-level pipelines the display text of an id is `tok.decode([id])` (the ByteLevel
    /// decoder does not depend on position): "Ġcat" -> " cat", partial UTF-8 -> U+FFFD.
    func testDisplayOfByteLevelPipelinesMatchesTransformers() throws {
        for name in BPEParityTests.byteLevelPipelines {
            let tokenizer = try Tokenizer(url: TokenizerFixtures.url("\(name)-tokenizer.json"))
            var failures: [String] = []
            for row in try TokenizerFixtures.readLines("\(name)_display.jsonl", as: ExpectedDisplay.self) {
                let got = tokenizer.display(forID: row.id)
                if !sameScalars(got, row.decoded) {
                    failures.append("id \(row.id) \"\(visible(row.token))\": expected \"\(visible(row.decoded))\", got \"\(visible(got))\"")
                }
            }
            XCTAssert(failures.isEmpty, "\(name): \(failures.count) display texts differ:\n" + failures.prefix(8).joined(separator: "\n"))
        }
    }

    /// Byte-level pipelines without a normalizer decode their own encoding back to the text, on
    /// the corpus, the fuzz strings and the typed specials (Qwen2 is left out: its NFC normalizer
    /// is not invertible). RoBERTa's `<mask>` has lstrip, so the whitespace before a typed
    /// `<mask>` is part of that token and not decoded.
    func testByteLevelDecodeRoundTrips() throws {
        let texts = try TokenizerFixtures.corpus() + TokenizerFixtures.readLines("fuzz.jsonl", as: String.self)
            + TokenizerFixtures.readLines("typed_special_corpus.jsonl", as: String.self)
        for name in BPEParityTests.byteLevelPipelines where name != "qwen2" {
            let tokenizer = try Tokenizer(url: TokenizerFixtures.url("\(name)-tokenizer.json"))
            var failures: [String] = []
            for text in texts {
                var expected = text
                if name == "roberta" { expected = removingWhitespace(before: "<mask>", in: text) }
                let decoded = tokenizer.decode(tokenizer.encode(text, addSpecialTokens: false).ids)
                if !sameScalars(decoded, expected) {
                    failures.append("\"\(visible(text))\" -> \"\(visible(decoded))\"")
                }
            }
            XCTAssert(failures.isEmpty, "\(name): \(failures.count) texts do not round-trip:\n" + failures.prefix(5).joined(separator: "\n"))
        }
    }

    /// `text` without the whitespace (Rust `char::is_whitespace`) right before each `marker`.
    private func removingWhitespace(before marker: String, in text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        let pattern = Array(marker.unicodeScalars)
        var i = 0
        while i + pattern.count <= scalars.count {
            if Array(scalars[i..<(i + pattern.count)]) == pattern {
                var start = i
                while start > 0 && scalars[start - 1].properties.isWhitespace { start -= 1 }
                scalars.removeSubrange(start..<i)
                i = start + pattern.count
            } else {
                i += 1
            }
        }
        return String(String.UnicodeScalarView(scalars))
    }

    // MARK: - Checks

    /// Corpus (or `<corpus>_corpus.jsonl`) against `<name>[_<corpus>]_expected.jsonl`: ids,
    /// tokens, words and offsets.
    private func checkPipelineParity(_ name: String, corpus corpusName: String? = nil,
                                     file: StaticString = #filePath, line: UInt = #line) throws {
        let tokenizer = try Tokenizer(url: TokenizerFixtures.url("\(name)-tokenizer.json"))
        let corpus = try corpusName.map { try TokenizerFixtures.readLines("\($0)_corpus.jsonl", as: String.self) }
            ?? TokenizerFixtures.corpus()
        let expected = try TokenizerFixtures.readLines("\(name)\(corpusName.map { "_" + $0 } ?? "")_expected.jsonl",
                                                       as: ExpectedEncoding.self)
        XCTAssertEqual(corpus.count, expected.count, "corpus and expected outputs differ in length", file: file, line: line)
        XCTAssertGreaterThanOrEqual(corpus.count, corpusName == nil ? 800 : 38, file: file, line: line)
        let wants = expected.map { want in
            (ids: want.ids, offsets: want.offsets, tokens: Optional(want.tokens), words: Optional(want.words))
        }
        report(name, corpus: corpusName ?? "corpus", tokenizer: tokenizer, texts: corpus, wants: wants, file: file, line: line)
    }

    /// fuzz.jsonl against `<name>_fuzz_expected.jsonl`: ids and offsets.
    private func checkPipelineFuzzParity(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let tokenizer = try Tokenizer(url: TokenizerFixtures.url("\(name)-tokenizer.json"))
        let fuzz = try TokenizerFixtures.readLines("fuzz.jsonl", as: String.self)
        let expected = try TokenizerFixtures.readLines("\(name)_fuzz_expected.jsonl", as: ExpectedIDsAndOffsets.self)
        XCTAssertEqual(fuzz.count, expected.count, "fuzz strings and expected outputs differ in length", file: file, line: line)
        XCTAssertGreaterThanOrEqual(fuzz.count, 2000, file: file, line: line)
        let wants = expected.map { (ids: $0.ids, offsets: $0.offsets, tokens: [String]?.none, words: [Int?]?.none) }
        report(name, corpus: "fuzz", tokenizer: tokenizer, texts: fuzz, wants: wants, file: file, line: line)
    }

    private typealias Want = (ids: [Int], offsets: [Int], tokens: [String]?, words: [Int?]?)

    private func report(_ name: String, corpus: String, tokenizer: Tokenizer, texts: [String], wants: [Want],
                        file: StaticString, line: UInt) {
        var mismatches: [String] = []
        var failed = 0
        var tokenCount = 0
        for (index, (text, want)) in zip(texts, wants).enumerated() {
            let got = tokenizer.encode(text).tokens
            tokenCount += got.count
            if let table = compareTokens(got, want) {
                failed += 1
                if mismatches.count < 6 { mismatches.append("line \(index + 1): \"\(visible(text))\"\n\(table)") }
            }
        }
        print("\(name) \(corpus): \(texts.count - failed)/\(texts.count) lines match exactly (\(tokenCount) tokens)")
        if failed > 0 {
            XCTFail("\(name) \(corpus): \(failed) of \(texts.count) lines differ; first ones:\n" + mismatches.joined(separator: "\n"),
                    file: file, line: line)
        }
    }

    /// nil when equal; else expected and actual tokens side by side around the first difference.
    private func compareTokens(_ got: [EncodedToken], _ want: Want) -> String? {
        func describe(_ i: Int) -> (expected: String, actual: String, equal: Bool) {
            var expected = "-", actual = "-", equal = false
            if i < want.ids.count {
                let token = want.tokens.map { " \"\(visible($0[i]))\"" } ?? ""
                let word = want.words.map { " w=\($0[i].map(String.init) ?? "nil")" } ?? ""
                expected = "\(want.ids[i])\(token)\(word) \(want.offsets[2 * i])..<\(want.offsets[2 * i + 1])"
            }
            if i < got.count {
                let t = got[i]
                actual = "\(t.id) \"\(visible(t.text))\" w=\(t.word.map(String.init) ?? "nil") \(t.span.scalars.lowerBound)..<\(t.span.scalars.upperBound)"
            }
            if i < want.ids.count && i < got.count {
                let t = got[i]
                equal = t.id == want.ids[i] && t.span.scalars == want.offsets[2 * i]..<want.offsets[2 * i + 1]
                    && (want.tokens.map { sameScalars(t.text, $0[i]) } ?? true) && (want.words.map { t.word == $0[i] } ?? true)
            }
            return (expected, actual, equal)
        }
        let count = max(got.count, want.ids.count)
        guard let first = (0..<count).first(where: { !describe($0).equal }) else { return nil }
        var lines = ["   #  expected (id token word span)            | actual"]
        for i in max(0, first - 2)..<min(count, first + 4) {
            let row = describe(i)
            lines.append("\(row.equal ? "   " : ">> ")\(i): \(row.expected.padding(toLength: 44, withPad: " ", startingAt: 0)) | \(row.actual)")
        }
        if got.count != want.ids.count { lines.append("   token counts: expected \(want.ids.count), actual \(got.count)") }
        return lines.joined(separator: "\n")
    }
}
