import Foundation
import HeedJSONRPC
import HeedTestSupport
import XCTest

/// Issue 10: RoBERTa (byte-level BPE) and XLM-R (SentencePiece Unigram) models load by directory
/// and run from text in `heed analyze`, as a user would type it; their tokens are transformers'
/// (Tests/Fixtures/models/tiny-*/manifest.json holds the text cases and their ids).
final class CLIFromTextTests: XCTestCase {
    func testAnalyzeRunsRobertaAndXLMRobertaFromText() throws {
        for name in ["tiny-roberta-bpe", "tiny-xlm-roberta-unigram"] {
            let manifest = try Fixtures.json("models/\(name)/manifest.json")
            let cases = (manifest["cases"] as! [[String: Any]]).filter { $0["text"] != nil }
            XCTAssertEqual(cases.count, 2, name)
            for c in cases {
                let text = c["text"] as! String
                let r = try CLI.run(["analyze", "--model", Fixtures.url("models/\(name)").path, "--json", "--method", "norm-summed", text])
                XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
                let result = try JSONParser.parse(r.stdout)
                let tokens = try XCTUnwrap(result["tokens"]?.arrayValue, "\(name): \(r.stdout.prefix(200))")
                XCTAssertEqual(tokens.map { $0["id"]?.intValue }, (c["input_ids"] as! [Int]).map { Optional($0) }, "\(name) \(text)")
                let layers = try XCTUnwrap(result["layers"]?.arrayValue)
                XCTAssertEqual(layers.count, manifest["layers"] as? Int)
                XCTAssertEqual(layers.first?["norm-summed"]?.arrayValue?.count, tokens.count, "T x T")
            }
        }
    }

    /// A GGUF file with a SentencePiece (`llama`) tokenizer and no tensors tokenizes: BOS, then
    /// the pieces with their UTF-8 spans; display reads U+2581 as a space and `<0xNN>` as its byte.
    func testTokenizeSentencePieceGGUF() throws {
        let r = try CLI.run(["tokenize", "--model", Fixtures.url("sentencepiece/bpe-llama.gguf").path, "Hello world\n"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.lines.first, "index\tid\tstart\tend\tword\ttoken\tdisplay")
        XCTAssertTrue(r.lines.dropFirst().first?.contains("\t1\t") ?? false, r.stdout)  // <s>
        XCTAssertTrue(r.lines.contains { $0.contains("\t▁world\t") || $0.contains("\t▁w") }, r.stdout)
        XCTAssertTrue(r.lines.contains { $0.contains("\t<0x0A>\t") }, r.stdout)
        let json = try CLI.run(["tokenize", "--json", "--model", Fixtures.url("sentencepiece/bpe-llama.gguf").path, "a<s>b"])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertTrue(json.stdout.contains("\"<s>\""), json.stdout)
    }

    /// The plain table shows what a person reads beside the vocabulary string.
    func testTokenizeShowsTheDisplayText() throws {
        let r = try CLI.run(["tokenize", "--model", Fixtures.url("models/tiny-roberta-bpe").path, "The quick"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.lines.first, "index\tid\tstart\tend\tword\ttoken\tdisplay")
        XCTAssertTrue(r.lines.contains { $0.hasSuffix("\tĠqu\t\" qu\"") }, r.stdout)
    }
}
