// Bad files throw typed errors naming the problem; nothing crashes.

import Foundation
import XCTest
import HeedTokenizers

final class TokenizerErrorTests: XCTestCase {
    private func error(_ data: Data, file: StaticString = #filePath, line: UInt = #line) -> TokenizerError? {
        do {
            _ = try Tokenizer(json: data)
            XCTFail("expected an error", file: file, line: line)
            return nil
        } catch let error as TokenizerError {
            return error
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: line)
            return nil
        }
    }

    private func assertUnsupported(_ fragment: String, _ replacement: String, component: String, type: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        guard let error = error(TinyTokenizer.replacing(fragment, with: replacement), file: file, line: line) else { return }
        XCTAssertEqual(error.kind, .unsupportedComponent, file: file, line: line)
        XCTAssertEqual(error.component, component, file: file, line: line)
        XCTAssertEqual(error.componentType, type, file: file, line: line)
        XCTAssertTrue(error.description.contains(type), "\(error) should name \(type)", file: file, line: line)
    }

    func testUnknownPipelineTypesThrowNamingTheType() {
        assertUnsupported(#"{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}"#,
                          #"{"type": "ByteLevel"}"#, component: "normalizer", type: "ByteLevel")
        assertUnsupported(#"{"type": "BertPreTokenizer"}"#, #"{"type": "UnicodeScripts"}"#,
                          component: "pre_tokenizer", type: "UnicodeScripts")
        assertUnsupported(#""type": "WordPiece""#, #""type": "WordLevel""#, component: "model", type: "WordLevel")
        assertUnsupported(#"{"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]}"#,
                          #"{"type": "FancyProcessing"}"#,
                          component: "post_processor", type: "FancyProcessing")
        // Inside a Sequence too.
        assertUnsupported(#"{"type": "BertPreTokenizer"}"#,
                          #"{"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "FancySplit"}]}"#,
                          component: "pre_tokenizer", type: "FancySplit")
        assertUnsupported(#"{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}"#,
                          #"{"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}"#,
                          component: "normalizer", type: "Replace (Regex pattern)")
    }

    func testMalformedJSONThrows() {
        let documents: [[UInt8]] = [
            [], Array("{".utf8), Array("{\"model\": }".utf8), Array("[1, 2".utf8), Array("nul".utf8),
            Array("{} extra".utf8), Array("{\"a\": 01}".utf8), Array("{\"a\": \"\\ud800\"}".utf8),
            Array("{\"a\": \"\\x\"}".utf8), [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D],
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0x0A, 0x22, 0x7D], Array(String(repeating: "[", count: 100_000).utf8),
            Array("{\"a\": 1,}".utf8), Array("{'a': 1}".utf8),
        ]
        for bytes in documents {
            guard let error = error(Data(bytes)) else { continue }
            XCTAssertEqual(error.kind, .malformedJSON, "\(String(decoding: bytes.prefix(40), as: UTF8.self)): \(error)")
        }
    }

    func testTruncatedRealFileThrows() throws {
        let data = try Data(contentsOf: TokenizerFixtures.url("minilm-tokenizer.json"))
        for cut in [1, 1000, data.count / 2, data.count - 3] {
            XCTAssertEqual(error(data.prefix(cut))?.kind, .malformedJSON, "cut at \(cut)")
        }
    }

    func testInvalidConfigurationThrows() {
        let cases: [(String, String)] = [
            (#""version": "1.0""#, #""version": "2.0""#),
            (#""model": {"#, #""model_": {"#),
            (#""vocab": {"[UNK]": 0,"#, #""vocab": {"[UNK]": "zero","#),
            (#""unk_token": "[UNK]""#, #""unk_token": "<unk>""#),
            (#""max_input_chars_per_word": 10"#, #""max_input_chars_per_word": "ten""#),
            (#""sep": ["[SEP]", 2]"#, #""sep": ["[SEP]"]"#),
            (#""added_tokens": ["#, #""added_tokens": [{"id": 9}, "#),
            (#""lowercase": true}"#, #""lowercase": 1}"#),
        ]
        for (fragment, replacement) in cases {
            guard let error = error(TinyTokenizer.replacing(fragment, with: replacement)) else { continue }
            XCTAssertEqual(error.kind, .invalidConfiguration, "\(replacement): \(error)")
        }
        XCTAssertEqual(error(Data("[]".utf8))?.kind, .invalidConfiguration)
    }

    func testTemplateWithUnknownSpecialTokenThrows() {
        let template = #"""
        {"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0}},
         "post_processor": {"type": "TemplateProcessing",
           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
           "pair": [], "special_tokens": {}}}
        """#
        let error = self.error(Data(template.utf8))
        XCTAssertEqual(error?.kind, .invalidConfiguration)
        XCTAssertTrue(error?.message.contains("[CLS]") ?? false, "\(String(describing: error))")
    }

    func testMissingFileThrows() {
        XCTAssertThrowsError(try Tokenizer(url: URL(fileURLWithPath: "/nonexistent/tokenizer.json"))) { error in
            XCTAssertEqual((error as? TokenizerError)?.kind, .unreadableFile)
        }
    }

    func testMinimalFileWithoutOptionalStages() throws {
        let tokenizer = try Tokenizer(json: Data(###"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "Hi": 1, "##!": 2}}}"###.utf8))
        // No normalizer, no pre-tokenizer: the whole text is one word; no post-processor.
        XCTAssertEqual(tokenizer.encode("Hi!").ids, [1, 2])
        XCTAssertEqual(tokenizer.encode("hi!").ids, [0])
        XCTAssertEqual(tokenizer.encode("Hi!").tokens.map(\.word), [0, 0])
        XCTAssertEqual(tokenizer.vocabSize, 3)
        XCTAssertEqual(tokenizer.specialTokenIDs, [])
    }

    /// Canonically equivalent vocabulary keys stay distinct (Swift String equality would merge them).
    func testVocabularyKeysCompareScalarByScalar() throws {
        let json = #"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "\u00e9": 1, "e\u0301": 2}}}"#
        let tokenizer = try Tokenizer(json: Data(json.utf8))
        XCTAssertEqual(tokenizer.id(forToken: "\u{E9}"), 1)
        XCTAssertEqual(tokenizer.id(forToken: "e\u{301}"), 2)
        XCTAssertEqual(tokenizer.encode("e\u{301}").ids, [2])
        XCTAssertEqual(tokenizer.vocabSize, 3)
    }
}
