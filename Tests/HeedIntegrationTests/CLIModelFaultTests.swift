import Foundation
import HeedTestSupport
import XCTest

/// The `heed` executable on models whose files are at fault (issue 7, item 4): a tokenizer with a
/// token beyond the checkpoint's embeddings, a Git LFS pointer in place of the weights.
final class CLIModelFaultTests: XCTestCase {
    /// tiny-bert (123 embedding rows) with a WordPiece tokenizer of 124 tokens: the last, "zebra",
    /// has id 123. Built once per process in a temporary directory.
    static let extraTokenModel: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("heed-cli-extra-token-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for file in ["config.json", "model.safetensors"] {
            try! FileManager.default.copyItem(at: Fixtures.url("models/tiny-bert/\(file)"), to: dir.appendingPathComponent(file))
        }
        let vocabulary = TinyTokenizer.specials + ["the", "cat", "sat"] + (8..<123).map { "[unused\($0)]" } + ["zebra"]
        let tokenizer = TinyTokenizer.json(vocabulary: vocabulary)
        try! tokenizer.write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        return dir
    }()

    static let mismatch = "heed: model inconsistent: the model's checkpoint and tokenizer disagree: the tokenizer gives the token \"zebra\" "
        + "(id 123), but the checkpoint's word embeddings have 123 rows (ids 0 to 122). Texts without this token still work; "
        + "to fix the model, use the tokenizer.json that belongs to these weights\n"

    func testTokenBeyondTheEmbeddingsFailsWithAMessage() throws {
        try Integration.requireEnabled()
        let model = Self.extraTokenModel.path
        for command in [["tokenize"], ["tokenize", "--json"], ["analyze"], ["analyze", "--json"], ["analyze", "--focus", "cat"]] {
            let (status, out, err) = try Integration.run(command + ["--model", model, "the cat sat on a zebra"])
            XCTAssertEqual(status, 1, "\(command): \(err)")
            XCTAssertEqual(err, Self.mismatch, "\(command)")
            XCTAssertEqual(out.count, 0, "\(command) printed a result")
        }
        // Texts without the token work.
        let (status, out, err) = try Integration.run(["tokenize", "--json", "--model", model, "the cat sat"])
        XCTAssertEqual(status, 0, err)
        let tokens = try XCTUnwrap((try JSONSerialization.jsonObject(with: out) as? [String: Any])?["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.compactMap { $0["id"] as? Int }, [2, 5, 6, 7, 3])
        let (analyzeStatus, _, analyzeErr) = try Integration.run(["analyze", "--json", "--model", model, "the cat sat"])
        XCTAssertEqual(analyzeStatus, 0, analyzeErr)
    }

    func testGitLFSPointerInPlaceOfTheWeights() throws {
        try Integration.requireEnabled()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("heed-cli-lfs-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for file in ["config.json", "tokenizer.json"] {
            try FileManager.default.copyItem(at: Self.extraTokenModel.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        try "version https://git-lfs.github.com/spec/v1\noid sha256:\(String(repeating: "ab", count: 32))\nsize 90868376\n"
            .write(to: dir.appendingPathComponent("model.safetensors"), atomically: true, encoding: .utf8)
        let (status, _, err) = try Integration.run(["tokenize", "--model", dir.path, "the cat"])
        XCTAssertEqual(status, 1, err)
        XCTAssertEqual(err, "heed: cannot load model \(dir.path): \(dir.path)/model.safetensors: is a Git LFS pointer (a 133-byte text file "
            + "that stands for the real 90868376-byte file), not the weights: the repository was cloned without Git LFS. Fetch the real "
            + "file: run `git lfs install` and then `git lfs pull` inside the repository (or `git lfs install` and clone again), or "
            + "download the file from the Hugging Face hub\n")
    }
}
