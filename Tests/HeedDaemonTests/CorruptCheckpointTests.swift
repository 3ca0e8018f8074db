import Foundation
import HeedJSONRPC
import HeedTestSupport
import XCTest

/// A checkpoint whose safetensors header breaks the format's rules reaches the client as -32011
/// naming the file, the tensor and the rule (issue 7, item 2), and the daemon keeps serving.
final class CorruptCheckpointTests: XCTestCase {
    /// The tiny model with `embeddings.LayerNorm.bias` listed a second time in the header, that
    /// entry pointing at 128 bytes appended after the original data (as in the field report: it
    /// loaded, and layer 0's attention changed).
    private static func duplicateTensorModel() throws -> URL {
        let tinyBert = Fixtures.url("models/tiny-bert")
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("heed-duplicate-tensor-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: tinyBert.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        try TestModels.tokenizerJSON.write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)

        let weights = [UInt8](try Data(contentsOf: tinyBert.appendingPathComponent("model.safetensors")))
        let headerLength = weights.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let data = weights[(8 + headerLength)...]
        var header = String(decoding: weights[8..<(8 + headerLength)], as: UTF8.self)
        while header.last == " " { header.removeLast() }
        XCTAssertEqual(header.removeLast(), "}")
        header += #","embeddings.LayerNorm.bias":{"dtype":"F32","shape":[32],"data_offsets":[\#(data.count),\#(data.count + 128)]}}"#
        var length = UInt64(header.utf8.count).littleEndian
        var file = withUnsafeBytes(of: &length) { [UInt8]($0) }
        file += Array(header.utf8) + data + [UInt8](repeating: 0, count: 128)
        try Data(file).write(to: dir.appendingPathComponent("model.safetensors"))
        return dir
    }

    func testDuplicateTensorNameFailsToLoadNamingFileTensorAndRule() throws {
        let dir = try Self.duplicateTensorModel()
        defer { try? FileManager.default.removeItem(at: dir) }
        let daemon = InProcessDaemon()
        try daemon.initialize()
        let weights = dir.appendingPathComponent("model.safetensors").path
        let expected = "model failed to load: \(weights): tensor 'embeddings.LayerNorm.bias' is listed twice in the header; tensor names must be unique"
        let model = #""model":"\#(dir.path)""#
        for (id, method, params) in [(1, "heed/loadModel", "{\(model)}"), (2, "heed/tokenize", #"{\#(model),"text":"the cat"}"#)] {
            let r = try daemon.call(id, method, params)
            XCTAssertError(r, .modelLoadFailed, id: .int(id))
            XCTAssertEqual(r.errorMessage, expected)
        }
        XCTAssertNotNil(try daemon.result(id: 3, sending: "heed/models")["models"])
    }

    /// A config.json that is not JSON names its path once (it used to read "PATH: PATH: ...").
    func testMalformedConfigNamesItsFileOnce() throws {
        let tinyBert = Fixtures.url("models/tiny-bert")
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("heed-bad-config-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("{\"model_type\": \"bert\",".utf8).write(to: dir.appendingPathComponent("config.json"))
        try TestModels.tokenizerJSON.write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: tinyBert.appendingPathComponent("model.safetensors"), to: dir.appendingPathComponent("model.safetensors"))
        let daemon = InProcessDaemon()
        try daemon.initialize()
        let r = try daemon.call(1, "heed/loadModel", #"{"model":"\#(dir.path)"}"#)
        XCTAssertError(r, .modelLoadFailed, id: .int(1))
        let config = dir.appendingPathComponent("config.json").path
        XCTAssertEqual(r.errorMessage, "model failed to load: \(config): not valid JSON: unexpected end of input inside an object at byte 22")
    }

    /// A RoBERTa directory whose tokenizer.json is broken the ways the issue names: a merge naming
    /// a token missing from the vocabulary, an unknown component type. -32011 names the file and
    /// the field; the daemon keeps serving (and the intact model still loads).
    func testBrokenBPETokenizerNamesTheField() throws {
        let source = Fixtures.url("models/tiny-roberta-bpe")
        let original = try String(contentsOf: source.appendingPathComponent("tokenizer.json"), encoding: .utf8)
        let daemon = InProcessDaemon()
        try daemon.initialize()
        let cases: [(String, String, [String])] = [
            ("merge", #""merges":["#, ["model.merges[0]", "not in the vocabulary"]),
            ("component", #""type":"ByteLevel""#, ["unsupported", "SuperLevel"]),
        ]
        for (n, (name, anchor, words)) in cases.enumerated() {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("heed-bad-bpe-\(name)-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            for file in ["config.json", "model.safetensors"] {
                try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: dir.appendingPathComponent(file))
            }
            XCTAssertTrue(original.contains(anchor), anchor)
            let broken = name == "merge"
                ? original.replacingOccurrences(of: anchor, with: anchor + #"["nosuchtoken","e"],"#)
                : original.replacingOccurrences(of: anchor, with: #""type":"SuperLevel""#)
            try broken.write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
            let r = try daemon.call(n + 1, "heed/tokenize", #"{"model":"\#(dir.path)","text":"the cat"}"#)
            XCTAssertError(r, .modelLoadFailed, id: .int(n + 1), mentioning: [dir.appendingPathComponent("tokenizer.json").path] + words)
        }
        let ok = try daemon.result(id: 9, sending: "heed/tokenize", params: #"{"model":"\#(source.path)","text":"the cat"}"#)
        XCTAssertEqual(ok["tokens"]?.arrayValue?.compactMap { $0["text"]?.stringValue }, ["<s>", "t", "he", "Ġc", "at", "</s>"])
    }
}
