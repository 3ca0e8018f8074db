// Bad BPE files and GGUF metadata throw typed errors naming the field; decoders and display text
// on hand-made tokenizers.

import Foundation
import XCTest
import HeedTokenizers

final class BPEErrorAndDecodingTests: XCTestCase {
    /// A small byte-level-free BPE tokenizer.json; `model` and `decoder` are spliced in.
    private func json(model: String = #""type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "[UNK]": 3}, "merges": ["a b"]"#,
                      decoder: String = "null", extra: String = "") -> Data {
        Data(#"{"version": "1.0", "model": {\#(model)\#(extra)}, "decoder": \#(decoder)}"#.utf8)
    }

    private func error(_ data: Data, file: StaticString = #filePath, line: UInt = #line) -> TokenizerError? {
        do {
            _ = try Tokenizer(json: data)
            XCTFail("expected an error", file: file, line: line)
        } catch let error as TokenizerError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }

    private func ggmlError(_ metadata: GGMLTokenizerMetadata, file: StaticString = #filePath, line: UInt = #line) -> TokenizerError? {
        do {
            _ = try Tokenizer(ggml: metadata)
            XCTFail("expected an error", file: file, line: line)
        } catch let error as TokenizerError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }

    func testTheBaseFileLoads() throws {
        let tokenizer = try Tokenizer(json: json())
        XCTAssertEqual(tokenizer.encode("abba").ids, [2, 1, 0])
        XCTAssertEqual(tokenizer.decode([2, 1, 0]), "ab b a")  // no decoder: joined with spaces
    }

    func testUnknownDecoderTypeIsUnsupported() {
        let e = error(json(decoder: #"{"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": true}"#))
        XCTAssertEqual(e?.kind, .unsupportedComponent)
        XCTAssertEqual(e?.component, "decoder")
        XCTAssertEqual(e?.componentType, "CTC")
        // Inside a Sequence, and a Regex Replace.
        let nested = error(json(decoder: #"{"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "Magic"}]}"#))
        XCTAssertEqual(nested?.componentType, "Magic")
        let regex = error(json(decoder: #"{"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}"#))
        XCTAssertEqual(regex?.componentType, "Replace (Regex pattern)")
    }

    func testMergeNamingAnUnknownTokenNamesTheMerge() {
        for (merges, fragment) in [(#"["a b", "b c"]"#, "model.merges[1]"), (#"[["a", "b"], ["x", "a"]]"#, "model.merges[1]"),
                                   (#"["b a"]"#, "model.merges[0]")] {  // "ba" is not in the vocabulary
            let e = error(json(model: #""type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": \#(merges)"#))
            XCTAssertEqual(e?.kind, .invalidConfiguration, merges)
            XCTAssertTrue(e?.message.contains(fragment) ?? false, "\(String(describing: e)) should name \(fragment)")
        }
        // Not two tokens, a mix of forms, a missing list.
        for merges in [#"["a b c"]"#, #"["ab"]"#, #"["a b", ["a", "b"]]"#, #"[["a"]]"#, #"[1]"#] {
            let e = error(json(model: #""type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": \#(merges)"#))
            XCTAssertEqual(e?.kind, .invalidConfiguration, merges)
            XCTAssertTrue(e?.message.contains("model.merges[") ?? false, "\(String(describing: e))")
        }
        XCTAssertEqual(error(json(model: #""type": "BPE", "vocab": {"a": 0}"#))?.kind, .invalidConfiguration)
    }

    func testDropoutMustBeNullOrZero() throws {
        XCTAssertNoThrow(try Tokenizer(json: json(extra: #", "dropout": null"#)))
        XCTAssertNoThrow(try Tokenizer(json: json(extra: #", "dropout": 0.0"#)))
        let e = error(json(extra: #", "dropout": 0.1"#))
        XCTAssertEqual(e?.kind, .unsupportedComponent)
        XCTAssertEqual(e?.component, "model")
        XCTAssertTrue(e?.message.contains("dropout") ?? false)
        XCTAssertTrue(e?.message.contains("random") ?? false, "\(String(describing: e))")
        XCTAssertEqual(error(json(extra: #", "dropout": 1.5"#))?.kind, .invalidConfiguration)
        XCTAssertEqual(error(json(extra: #", "dropout": "high""#))?.kind, .invalidConfiguration)
    }

    func testBadFlagsAndUnknownTokenThrow() {
        for extra in [#", "byte_fallback": "yes""#, #", "fuse_unk": 1"#, #", "ignore_merges": "no""#,
                      #", "unk_token": "<unk>""#, #", "unk_token": 3"#, #", "continuing_subword_prefix": 2"#] {
            let e = error(json(extra: extra))
            XCTAssertEqual(e?.kind, .invalidConfiguration, extra)
            XCTAssertTrue(e?.message.contains("model.") ?? false, "\(String(describing: e))")
        }
    }

    /// byte_fallback without the `<0xNN>` token for a byte: that scalar becomes the unknown token,
    /// and a malformed byte token decodes as itself.
    func testByteFallbackWithMissingByteTokens() throws {
        let model = #""type": "BPE", "vocab": {"[UNK]": 0, "<0x41>": 1, "<0xC3>": 2, "<0xA9>": 3, "<0xZZ>": 4, "a": 5}, "merges": [], "unk_token": "[UNK]", "byte_fallback": true"#
        let tokenizer = try Tokenizer(json: json(model: model, decoder: #"{"type": "ByteFallback"}"#))
        XCTAssertEqual(tokenizer.encode("Aé€a").ids, [1, 2, 3, 0, 5])
        XCTAssertEqual(tokenizer.decode([1, 2, 3, 0, 5]), "Aé[UNK]a")
        XCTAssertEqual(tokenizer.decode([2, 5]), "\u{FFFD}a")        // a lone lead byte
        XCTAssertEqual(tokenizer.decode([2, 2, 3]), "\u{FFFD}\u{FFFD}\u{FFFD}")  // one U+FFFD per byte of an invalid run
        XCTAssertEqual(tokenizer.decode([4]), "<0xZZ>")
    }

    func testGGMLMetadataErrorsNameTheField() {
        let tokens = ["a", "b", "ab"]
        func metadata(model: String = "gpt2", pre: String? = "gpt-2", tokens: [String] = tokens, types: [Int32]? = [1, 1, 1],
                      scores: [Float]? = nil, merges: [String]? = ["a b"], bos: Int? = nil) -> GGMLTokenizerMetadata {
            GGMLTokenizerMetadata(model: model, pre: pre, tokens: tokens, tokenTypes: types, scores: scores, merges: merges, bosTokenID: bos)
        }
        XCTAssertNoThrow(try Tokenizer(ggml: metadata()))
        let cases: [(GGMLTokenizerMetadata, TokenizerError.Kind, String)] = [
            (metadata(model: "t5"), .unsupportedComponent, "tokenizer.ggml.model"),
            (metadata(model: "bert"), .unsupportedComponent, "tokenizer.ggml.model"),
            (metadata(pre: "deepseek-coder"), .unsupportedComponent, "tokenizer.ggml.pre"),
            (metadata(types: [1, 1]), .invalidConfiguration, "tokenizer.ggml.token_type"),
            (metadata(scores: [0, 0, 0, 0]), .invalidConfiguration, "tokenizer.ggml.scores"),
            (metadata(merges: ["a c"]), .invalidConfiguration, "tokenizer.ggml.merges[0]"),
            (metadata(merges: ["a b", "ab"]), .invalidConfiguration, "tokenizer.ggml.merges[1]"),
            (metadata(merges: ["b a"]), .invalidConfiguration, "tokenizer.ggml.merges[0]"),
            (metadata(merges: nil), .invalidConfiguration, "tokenizer.ggml.merges"),
            (metadata(bos: 3), .invalidConfiguration, "tokenizer.ggml.bos_token_id"),
            (metadata(tokens: [], types: []), .invalidConfiguration, "tokenizer.ggml.tokens"),
        ]
        for (m, kind, field) in cases {
            let e = ggmlError(m)
            XCTAssertEqual(e?.kind, kind, field)
            XCTAssertTrue(e?.message.contains(field) ?? false, "\(String(describing: e)) should name \(field)")
        }
        XCTAssertEqual(ggmlError(metadata(model: "t5"))?.component, "tokenizer.ggml.model")
        XCTAssertTrue(ggmlError(metadata(merges: ["a c"]))?.description.hasPrefix("GGUF tokenizer metadata: ") ?? false)
        XCTAssertEqual(ggmlError(metadata(pre: "deepseek-coder"))?.component, "tokenizer.ggml.pre")
    }

    // MARK: - Display text

    func testDisplayOfByteLevelTokens() throws {
        let tokenizer = try Tokenizer(url: TokenizerFixtures.url("gpt2-tokenizer.json"))
        func display(_ token: String) -> String? { tokenizer.id(forToken: token).map(tokenizer.display(forID:)) }
        XCTAssertEqual(display("Ġthe"), " the")
        XCTAssertEqual(display("The"), "The")
        XCTAssertEqual(display("Ċ"), "\n")
        XCTAssertEqual(display("â"), "\u{FFFD}")  // 0xE2 alone: the lead byte of a 3-byte character
        XCTAssertEqual(display("<|endoftext|>"), "<|endoftext|>")  // special: unchanged
        XCTAssertEqual(tokenizer.display(forID: 1_000_000), "")
    }

    /// WordPiece, Metaspace, SentencePiece's sequence, character BPE: each token as it reads in
    /// the middle of a text.
    func testDisplayAppliesTheDecoderMidSequence() throws {
        func tokenizer(vocab: String, decoder: String) throws -> Tokenizer {
            try Tokenizer(json: Data(#"{"model": {"type": "BPE", "vocab": {\#(vocab)}, "merges": []}, "decoder": \#(decoder)}"#.utf8))
        }
        let wordPiece = try tokenizer(vocab: ###""cat": 0, "##ing": 1, ",": 2"###, decoder: ###"{"type": "WordPiece", "prefix": "##", "cleanup": true}"###)
        XCTAssertEqual((0...2).map(wordPiece.display(forID:)), [" cat", "ing", ","])
        XCTAssertEqual(wordPiece.decode([0, 1, 2]), "cating,")

        let metaspace = try tokenizer(vocab: #""▁cat": 0, "s": 1, "▁": 2"#, decoder: #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}"#)
        XCTAssertEqual((0...2).map(metaspace.display(forID:)), [" cat", "s", " "])
        XCTAssertEqual(metaspace.decode([0, 1, 0]), "cats cat")

        let llama2 = try Tokenizer(url: TokenizerFixtures.url("llama2-tokenizer.json"))
        func display(_ token: String) -> String? { llama2.id(forToken: token).map(llama2.display(forID:)) }
        XCTAssertEqual(display("▁the"), " the")
        XCTAssertEqual(display("<0x41>"), "A")
        XCTAssertEqual(display("<0xE2>"), "\u{FFFD}")
        XCTAssertEqual(display("<s>"), "<s>")
        XCTAssertEqual(llama2.decode([llama2.id(forToken: "▁the")!]), "the")  // decode of a first token strips the space

        let charBPE = try Tokenizer(url: TokenizerFixtures.url("charbpe-tokenizer.json"))
        let word = try XCTUnwrap(charBPE.id(forToken: "the</w>"))
        XCTAssertEqual(charBPE.display(forID: word), "the ")
        XCTAssertEqual(charBPE.decode([word]), "the")

        let noDecoder = try tokenizer(vocab: #""Ġcat": 0"#, decoder: "null")
        XCTAssertEqual(noDecoder.display(forID: 0), "Ġcat")
    }

    func testDecodersOnTokenLists() throws {
        func tokenizer(_ vocab: [String], decoder: String) throws -> Tokenizer {
            let entries = vocab.enumerated().map { "\"\($0.element)\": \($0.offset)" }.joined(separator: ", ")
            return try Tokenizer(json: Data(#"{"model": {"type": "BPE", "vocab": {\#(entries)}, "merges": []}, "decoder": \#(decoder)}"#.utf8))
        }
        // Strip: up to `start` leading and `stop` trailing content characters per token.
        let strip = try tokenizer(["xxaxx", "x", "ab"], decoder: #"{"type": "Strip", "content": "x", "start": 1, "stop": 3}"#)
        XCTAssertEqual(strip.decode([0]), "xa")
        XCTAssertEqual(strip.decode([1, 2]), "ab")
        // Replace then Fuse then Strip (SentencePiece's decoder, as for Llama 2).
        let sentencePiece = try tokenizer(["▁a", "b", "▁▁c"], decoder: #"{"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}"#)
        XCTAssertEqual(sentencePiece.decode([0, 1, 2]), "ab  c")
        // BPEDecoder: the suffix becomes a space except on the last token.
        let suffix = try tokenizer(["a</w>", "b", "c</w>"], decoder: #"{"type": "BPEDecoder", "suffix": "</w>"}"#)
        XCTAssertEqual(suffix.decode([0, 1, 2]), "a bc")
        // Skipping special tokens needs added tokens marked special.
        let special = try Tokenizer(json: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0, "<s>": 1}, "merges": []}, "added_tokens": [{"id": 1, "content": "<s>", "special": true}], "decoder": {"type": "Fuse"}}"#.utf8))
        XCTAssertEqual(special.decode([1, 0, 0]), "<s>aa")
        XCTAssertEqual(special.decode([1, 0, 0], skipSpecialTokens: true), "aa")
        XCTAssertEqual(special.decode([7, 0]), "a")  // unknown ids are skipped
    }
}
