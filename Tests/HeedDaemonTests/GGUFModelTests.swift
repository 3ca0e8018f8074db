// GGUF models through the daemon: Heed reads them but cannot run them yet, so loading one
// (heed/loadModel, heed/analyze) answers -32011 with a message that says so; a damaged GGUF
// file answers -32011 naming the file and the rule. The server keeps serving.

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

    private func writeGGUF(_ name: String, tokenTypes: [Int32] = [3, 1, 1]) throws -> String {
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("llama"))
        writer.add("tokenizer.ggml.model", .string("gpt2"))
        writer.add("tokenizer.ggml.tokens", .strings(["<|endoftext|>", "a", "b"]))
        writer.add("tokenizer.ggml.token_type", .int32s(tokenTypes))
        writer.addTensor("token_embd.weight", dimensions: [4, 3], values: Array(repeating: 0.5, count: 12))
        let url = directory.appendingPathComponent(name)
        try writer.write(to: url)
        return url.path
    }

    func testAGGUFModelIsRefusedWithAClearMessage() throws {
        let path = try writeGGUF("tiny.gguf")
        let r = try daemon.call(1, "heed/analyze", #"{"model":"\#(path)","text":"ab","methods":["norm"]}"#)
        XCTAssertError(r, .modelLoadFailed, id: .int(1),
                       mentioning: [path, "a GGUF model (architecture llama, 1 tensors, 3-token gpt2 tokenizer)", "cannot run GGUF models yet"])
        let load = try daemon.call(2, "heed/loadModel", #"{"model":"\#(directory.path)"}"#)   // the directory holding it
        XCTAssertError(load, .modelLoadFailed, id: .int(2), mentioning: [path, "cannot run GGUF models yet"])
        XCTAssertNotNil(try daemon.result(id: 3, sending: "heed/models")["models"])
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
