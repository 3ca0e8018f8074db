// Parity of the BPE pipelines with the Rust tokenizers library through transformers (fixtures
// written by Tests/Fixtures/tokenizer/generate_bpe_unigram_fixtures.py): ids, tokens, word ids
// and scalar offsets on corpus.jsonl and typed_special_corpus.jsonl; ids and offsets on the
// 2,000 strings of fuzz.jsonl; the decoded text of every id (NAME_display.jsonl). The parity
// checks are UnigramParityTests.swift's `checkCorpusParity` / `checkFuzzParity`.

import Foundation
import XCTest
import HeedTokenizers

/// One line of `<name>_display.jsonl`: `tok.decode([id])`.
struct ExpectedDisplay: Decodable {
    var id: Int
    var token: String
    var decoded: String
}

final class BPEParityTests: XCTestCase {
    // GPT-2: ByteLevel pre-tokenizer (GPT-2 regex), ByteLevel post-processor (trim_offsets).
    func testGPT2CorpusParity() throws { try checkCorpusParity("gpt2") }
    func testGPT2FuzzParity() throws { try checkFuzzParity("gpt2") }
    func testGPT2TypedSpecialParity() throws { try checkCorpusParity("gpt2", corpus: "typed_special") }

    // RoBERTa: RobertaProcessing (<s> A </s>, trim_offsets), <mask> with lstrip.
    func testRobertaCorpusParity() throws { try checkCorpusParity("roberta") }
    func testRobertaFuzzParity() throws { try checkFuzzParity("roberta") }
    func testRobertaTypedSpecialParity() throws { try checkCorpusParity("roberta", corpus: "typed_special") }

    // Llama 3: Split(Llama 3 regex) + ByteLevel(use_regex false), ignore_merges,
    // Sequence[ByteLevel(trim_offsets false), TemplateProcessing(<|begin_of_text|> A)].
    func testLlama3CorpusParity() throws { try checkCorpusParity("llama3") }
    func testLlama3FuzzParity() throws { try checkFuzzParity("llama3") }
    func testLlama3TypedSpecialParity() throws { try checkCorpusParity("llama3", corpus: "typed_special") }

    // Qwen2: NFC, Split(Qwen2 regex) + ByteLevel, ByteLevel post-processor without trimming.
    func testQwen2CorpusParity() throws { try checkCorpusParity("qwen2") }
    func testQwen2FuzzParity() throws { try checkFuzzParity("qwen2") }
    func testQwen2TypedSpecialParity() throws { try checkCorpusParity("qwen2", corpus: "typed_special") }

    // SmolLM: Digits(individual) + ByteLevel, SmolLM2's pipeline on a small vocabulary.
    func testSmolLMCorpusParity() throws { try checkCorpusParity("smollm") }
    func testSmolLMFuzzParity() throws { try checkFuzzParity("smollm") }
    func testSmolLMTypedSpecialParity() throws { try checkCorpusParity("smollm", corpus: "typed_special") }

    // Character BPE: Lowercase, Whitespace + Digits + Punctuation, "##" prefix, "</w>" suffix,
    // fused [UNK], BertProcessing.
    func testCharBPECorpusParity() throws { try checkCorpusParity("charbpe") }
    func testCharBPEFuzzParity() throws { try checkFuzzParity("charbpe") }
    func testCharBPETypedSpecialParity() throws { try checkCorpusParity("charbpe", corpus: "typed_special") }

    // Llama 2 (SentencePiece BPE converted by transformers): Metaspace(prepend_scheme first),
    // byte_fallback, fuse_unk, TemplateProcessing(<s> A).
    func testLlama2CorpusParity() throws { try checkCorpusParity("llama2") }
    func testLlama2FuzzParity() throws { try checkFuzzParity("llama2") }
    func testLlama2TypedSpecialParity() throws { try checkCorpusParity("llama2", corpus: "typed_special") }

    static let pipelines = ["gpt2", "roberta", "llama3", "qwen2", "smollm", "charbpe", "llama2"]
    /// Pipelines whose decoder is ByteLevel alone: decoding is lossless for them.
    static let byteLevelPipelines = ["gpt2", "roberta", "llama3", "qwen2", "smollm"]

    // MARK: - Decoding

    /// `decode([id])` equals `tok.decode([id])` for every id in the display fixture (ids below
    /// 1000 and every added token), for every pipeline.
    func testDecodeSingleIDsMatchTransformers() throws {
        for name in BPEParityTests.pipelines {
            let tokenizer = try Tokenizer(url: TokenizerFixtures.url("\(name)-tokenizer.json"))
            let rows = try TokenizerFixtures.readLines("\(name)_display.jsonl", as: ExpectedDisplay.self)
            XCTAssertGreaterThanOrEqual(rows.count, 1000, name)
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
}
