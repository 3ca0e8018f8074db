// GGUF models through the daemon: Heed reads their tokenizer but cannot run their network yet,
// so a GGUF model loads as a tokenizer-only model (heed/tokenize works; heed/analyze and
// heed/highlight answer -32012 saying so); a damaged GGUF file answers -32011 naming the file
// and the rule. The server keeps serving.

import Foundation
import HeedCheckpoints
import HeedJSONRPC
import XCTest

final class GGUFModelTests: XCTestCase {
    private var daemon: InProcessDaemon!
    private var directory: URL!

    override func setUpWithError() throws {
        daemon = InProcessDaemon()
        try daemon.initialize()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("heed-gguf-daemon-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        daemon = nil
        try? FileManager.default.removeItem(at: directory)
    }

    private func writeGGUF(_ name: String, tokenTypes: [Int32] = [3, 1, 1], merges: [String]? = nil,
                           tokens: [String] = ["<|endoftext|>", "a", "b"]) throws -> String {
        var writer = GGUFWriter()
        // An architecture no family runs (Heed runs llama, mistral, qwen2 and the BERT family).
        writer.add("general.architecture", .string("mamba"))
        writer.add("mamba.block_count", .uint32(2))
        writer.add("mamba.attention.head_count", .uint32(4))
        writer.add("mamba.embedding_length", .uint32(8))
        writer.add("mamba.context_length", .uint32(64))
        writer.add("tokenizer.ggml.model", .string("gpt2"))
        writer.add("tokenizer.ggml.pre", .string("gpt-2"))
        writer.add("tokenizer.ggml.tokens", .strings(tokens))
        writer.add("tokenizer.ggml.token_type", .int32s(tokenTypes))
        if let merges { writer.add("tokenizer.ggml.merges", .strings(merges)) }
        writer.addTensor("token_embd.weight", dimensions: [4, 3], values: Array(repeating: 0.5, count: 12))
        let url = directory.appendingPathComponent(name)
        try writer.write(to: url)
        return url.path
    }

    /// A byte-level BPE GGUF: "<|endoftext|>" (control), "a", "b", "Ġ", "Ġa" and the merge "Ġ a".
    private func writeTokenizerGGUF(_ name: String) throws -> String {
        try writeGGUF(name, tokenTypes: [3, 1, 1, 1, 1], merges: ["\u{120} a"], tokens: ["<|endoftext|>", "a", "b", "\u{120}", "\u{120}a"])
    }

    func testAGGUFModelTokenizesButDoesNotRun() throws {
        let path = try writeTokenizerGGUF("tiny.gguf")
        let info = try daemon.result(id: 1, sending: "heed/loadModel", params: #"{"model":"\#(directory.path)"}"#)  // the directory holding it
        XCTAssertEqual(info["family"]?.stringValue, "mamba")
        XCTAssertEqual(info["source"]?.stringValue, path)
        XCTAssertEqual([info["layers"], info["heads"], info["hidden"], info["maxTokens"]].map { $0?.intValue }, [2, 4, 8, 64])
        XCTAssertEqual(info["methods"]?.arrayValue?.count, 0)
        XCTAssertEqual(info["causal"]?.boolValue, true)
        XCTAssertEqual(info["predicts"], .bool(false))

        // "a ab<|endoftext|>": ByteLevel splits "a", " ab"; the control token keeps its span.
        let tokens = try XCTUnwrap(try daemon.result(id: 2, sending: "heed/tokenize", params: #"{"model":"\#(path)","text":"a ab<|endoftext|>"}"#)["tokens"]?.arrayValue)
        XCTAssertEqual(tokens.map { $0["id"]?.intValue }, [1, 4, 2, 0])
        XCTAssertEqual(tokens.map { $0["text"]?.stringValue }, ["a", "\u{120}a", "b", "<|endoftext|>"])
        XCTAssertEqual(tokens.map { $0["display"]?.stringValue }, ["a", " a", "b", "<|endoftext|>"])
        XCTAssertEqual(tokens.map { [$0["start"]?.intValue, $0["end"]?.intValue] }, [[0, 1], [1, 3], [3, 4], [4, 17]])
        XCTAssertEqual(tokens.map { $0["special"]?.boolValue }, [false, false, false, true])

        let analyze = try daemon.call(3, "heed/analyze", #"{"model":"\#(path)","text":"ab","methods":["norm"]}"#)
        XCTAssertError(analyze, .methodNotSupported, id: .int(3), mentioning: ["is a mamba model", "cannot run mamba networks yet"])
        XCTAssertEqual(analyze["error"]?["data"]?["supported"]?.arrayValue?.count, 0)
        let highlight = try daemon.call(4, "heed/highlight", #"{"model":"\#(path)","text":"ab","focus":{"start":0,"end":1},"method":"attention"}"#)
        XCTAssertError(highlight, .methodNotSupported, id: .int(4), mentioning: ["cannot run mamba networks yet"])
        let predict = try daemon.call(6, "heed/predict", #"{"model":"\#(path)","text":"ab"}"#)
        XCTAssertError(predict, .methodNotSupported, id: .int(6), mentioning: ["cannot run mamba networks yet"])
        XCTAssertEqual(predict["error"]?["data"]?["supported"]?.arrayValue?.count, 0)
        XCTAssertNotNil(try daemon.result(id: 5, sending: "heed/models")["models"])
    }

    func testAGGUFWithoutMergesFailsToLoadNamingTheKey() throws {
        let path = try writeGGUF("nomerges.gguf")
        let r = try daemon.call(1, "heed/tokenize", #"{"model":"\#(path)","text":"ab"}"#)
        XCTAssertError(r, .modelLoadFailed, id: .int(1), mentioning: ["tokenizer.ggml.merges is missing"])
    }

    func testADamagedGGUFFileNamesTheRule() throws {
        let path = try writeGGUF("short.gguf")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 60).write(to: URL(fileURLWithPath: path))
        let r = try daemon.call(1, "heed/highlight", #"{"model":"\#(path)","text":"ab","focus":{"start":0,"end":1},"method":"norm"}"#)
        XCTAssertError(r, .modelLoadFailed, id: .int(1), mentioning: [path, "tensor 'token_embd.weight'", "past the end of the file"])

        let inconsistent = try writeGGUF("types.gguf", tokenTypes: [3, 1])
        let t = try daemon.call(2, "heed/analyze", #"{"model":"\#(inconsistent)","text":"ab","methods":["norm"]}"#)
        XCTAssertError(t, .modelLoadFailed, id: .int(2), mentioning: ["'tokenizer.ggml.token_type' has 2 entries", "'tokenizer.ggml.tokens' has 3"])
        XCTAssertNotNil(try daemon.result(id: 3, sending: "heed/models")["models"])
    }
}
