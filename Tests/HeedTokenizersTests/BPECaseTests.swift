// Targeted BPE cases (bpe_cases.json) and tokenizers built from GGUF metadata (ggml_cases.json),
// both written by Tests/Fixtures/tokenizer/generate_bpe_cases.py from the Rust library and
// transformers; see that script for what each case isolates.

import Foundation
import XCTest
import HeedTokenizers

private struct BPECase: Decodable {
    var name: String
    var tokenizer: String
    var texts: [String]
    var expected: [ExpectedEncoding]
}

private struct GGMLCase: Decodable {
    struct Metadata: Decodable {
        var model: String
        var pre: String?
        var tokens: [String]
        var tokenTypes: [Int32]?
        var merges: [String]?
        var bosTokenID: Int?
        var eosTokenID: Int?
        var unknownTokenID: Int?
        var paddingTokenID: Int?
        var addBOSToken: Bool?
        var addEOSToken: Bool?

        var value: GGMLTokenizerMetadata {
            GGMLTokenizerMetadata(model: model, pre: pre, tokens: tokens, tokenTypes: tokenTypes, merges: merges,
                                  bosTokenID: bosTokenID, eosTokenID: eosTokenID, unknownTokenID: unknownTokenID,
                                  paddingTokenID: paddingTokenID, addBOSToken: addBOSToken, addEOSToken: addEOSToken)
        }
    }

    struct Expected: Decodable {
        var ids: [Int]
        var tokens: [String]
        var offsets: [Int]
    }

    var name: String
    var metadata: Metadata
    var texts: [String]
    var expected: [Expected]
    var decoded: [String]
}

final class BPECaseTests: XCTestCase {
    private func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: TokenizerFixtures.url(name)))
    }

    /// Every case: ids, tokens, words and offsets as the Rust library gives them.
    func testTargetedCasesMatchRust() throws {
        let cases = try load("bpe_cases.json", as: [BPECase].self)
        XCTAssertGreaterThanOrEqual(cases.count, 17)
        for c in cases {
            let tokenizer = try Tokenizer(json: Data(c.tokenizer.utf8))
            XCTAssertEqual(c.texts.count, c.expected.count, c.name)
            for (text, want) in zip(c.texts, c.expected) {
                let got = tokenizer.encode(text).tokens
                XCTAssertEqual(got.map(\.id), want.ids, "\(c.name): \"\(visible(text))\"")
                XCTAssertEqual(got.map(\.text), want.tokens, "\(c.name): \"\(visible(text))\"")
                XCTAssertEqual(got.map(\.word), want.words, "\(c.name): \"\(visible(text))\"")
                XCTAssertEqual(got.flatMap { [$0.span.scalars.lowerBound, $0.span.scalars.upperBound] }, want.offsets,
                               "\(c.name): \"\(visible(text))\"")
            }
        }
    }

    /// Tokenizers from GGUF metadata: ids, tokens and offsets as transformers gives them when it
    /// loads the same metadata from a GGUF file, and `decode` of those ids.
    func testTokenizersFromGGMLMetadataMatchTransformers() throws {
        let cases = try load("ggml_cases.json", as: [GGMLCase].self)
        XCTAssertEqual(cases.map(\.name), ["gpt2_bos", "default_eos", "llama_bpe", "qwen2", "smollm"])
        for c in cases {
            let tokenizer = try Tokenizer(ggml: c.metadata.value)
            for (k, text) in c.texts.enumerated() {
                let want = c.expected[k]
                let got = tokenizer.encode(text).tokens
                XCTAssertEqual(got.map(\.id), want.ids, "\(c.name): \"\(visible(text))\"")
                XCTAssertEqual(got.map(\.text), want.tokens, "\(c.name): \"\(visible(text))\"")
                XCTAssertEqual(got.flatMap { [$0.span.scalars.lowerBound, $0.span.scalars.upperBound] }, want.offsets,
                               "\(c.name): \"\(visible(text))\"")
                XCTAssertEqual(tokenizer.decode(want.ids), c.decoded[k], "\(c.name): \"\(visible(text))\"")
            }
        }
    }

    /// The GGUF tokenizer's vocabulary: a token with a plain space is respelled in byte-chars;
    /// control tokens and the named special tokens are special; user-defined ones are not.
    func testGGMLVocabularyAndSpecialTokens() throws {
        let c = try load("ggml_cases.json", as: [GGMLCase].self)[0]
        let tokenizer = try Tokenizer(ggml: c.metadata.value)
        let last = c.metadata.tokens.count - 1
        XCTAssertEqual(c.metadata.tokens[last], "two  spaces")
        XCTAssertEqual(tokenizer.token(forID: last), "twoĠĠspaces")
        XCTAssertEqual(tokenizer.vocabSize, c.metadata.tokens.count)
        XCTAssertEqual(tokenizer.specialTokenIDs, [0, 1, 3])  // <|endoftext|>, <|im_start|> (control), [BOS] (bos)
        XCTAssertEqual(tokenizer.encode("a<think>b").tokens.map(\.special), [true, false, false, false])
        XCTAssertEqual(tokenizer.display(forID: last), "two  spaces")
        XCTAssertEqual(tokenizer.display(forID: 0), "<|endoftext|>")
    }

    /// One tokenizer encoding from many threads at once (the BPE merge cache is shared) gives
    /// what it gives on one thread.
    func testConcurrentEncodingMatchesSerial() throws {
        let tokenizer = try Tokenizer(url: TokenizerFixtures.url("smollm-tokenizer.json"))
        let texts = try TokenizerFixtures.corpus() + TokenizerFixtures.readLines("fuzz.jsonl", as: String.self)
        let serial = texts.map { tokenizer.encode($0) }
        let results = UnsafeMutableBufferPointer<Encoding?>.allocate(capacity: texts.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for k in stride(from: worker, to: texts.count, by: 8) { results[k] = tokenizer.encode(texts[k]) }
        }
        for k in texts.indices where results[k] != serial[k] {
            XCTFail("\"\(visible(texts[k]))\" differs when encoded concurrently")
        }
    }
}
