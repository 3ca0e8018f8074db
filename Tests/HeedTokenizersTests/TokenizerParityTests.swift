// Parity with the Rust tokenizers library (through transformers) on the committed corpus:
// ids, tokens, word ids and scalar offsets must match exactly for every line.

import Foundation
import XCTest
import HeedTokenizers

final class TokenizerParityTests: XCTestCase {
    /// MiniLM (BERT uncased WordPiece) as transformers 5.23.0 runs it.
    func testMiniLMCorpusParity() throws {
        try checkCorpusParity("minilm")
    }

    /// Cased BertNormalizer with strip_accents=true, BertProcessing.
    func testCasedBertCorpusParity() throws {
        try checkCorpusParity("cased")
    }

    /// NFKD + StripAccents + Lowercase + Replace, WhitespaceSplit + Punctuation(MergedWithPrevious),
    /// added tokens with lstrip/rstrip/single_word/normalized, a template with type id 1,
    /// max_input_chars_per_word = 12.
    func testMixedPipelineCorpusParity() throws {
        try checkCorpusParity("mixed")
    }

    /// Strip + NFC + Lowercase + NFKC, Whitespace pre-tokenizer, no post-processor.
    func testComposedPipelineCorpusParity() throws {
        try checkCorpusParity("composed")
    }

    // Special tokens typed in the text (typed_special_corpus.jsonl): each keeps its source span
    // and its word; lowercase forms match only as tokenizer.json's added_tokens flags say.

    /// MiniLM: `[MASK]` etc. are added tokens with normalized=false, so `[mask]` is plain text.
    func testMiniLMTypedSpecialTokenParity() throws {
        try checkCorpusParity("minilm", corpus: "typed_special")
    }

    /// Cased BertNormalizer: specials next to accents, CJK, emoji and combining marks.
    func testCasedBertTypedSpecialTokenParity() throws {
        try checkCorpusParity("cased", corpus: "typed_special")
    }

    /// A lowercasing normalizer with normalized=false specials, beside lstrip/rstrip `<ent>`.
    func testMixedPipelineTypedSpecialTokenParity() throws {
        try checkCorpusParity("mixed", corpus: "typed_special")
    }

    /// Strip in the normalizer: leading and trailing whitespace around typed specials.
    func testComposedPipelineTypedSpecialTokenParity() throws {
        try checkCorpusParity("composed", corpus: "typed_special")
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
