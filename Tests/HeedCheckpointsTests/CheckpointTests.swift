// Which safetensors files of a model directory are its weights (transformers' rules), read
// as one namespace.

import XCTest
import HeedKernels
@testable import HeedCheckpoints

final class CheckpointTests: XCTestCase {
    private var temp: TemporaryDirectory!

    override func setUpWithError() throws { temp = try TemporaryDirectory() }
    override func tearDown() { temp = nil }

    private func writeShard(_ name: String, _ tensors: [String: [Float]], in directory: URL) throws {
        var writer = SafeTensorsWriter()
        for key in tensors.keys.sorted() { writer.add(key, Tensor(shape: [tensors[key]!.count], data: tensors[key]!)) }
        try writer.write(to: directory.appendingPathComponent(name))
    }

    /// The index as transformers writes it: metadata, then tensor name -> shard file.
    private func writeIndex(_ weightMap: [String: String], in directory: URL) throws {
        let entries = weightMap.keys.sorted().map { "\"\($0)\": \"\(weightMap[$0]!)\"" }.joined(separator: ",\n    ")
        let text = "{\n  \"metadata\": {\"total_size\": 24},\n  \"weight_map\": {\n    \(entries)\n  }\n}\n"
        try Data(text.utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
    }

    /// model-0000k-of-00002.safetensors + the index: one namespace, each tensor from the shard
    /// the index names.
    func testIndexedShardsFormOneNamespace() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("model-00001-of-00002.safetensors", ["embeddings.weight": [1, 2], "layer.0.bias": [3]], in: dir)
        try writeShard("model-00002-of-00002.safetensors", ["layer.1.bias": [4, 5, 6]], in: dir)
        try temp.write("model/config.json", text: "{}")
        try writeIndex(["embeddings.weight": "model-00001-of-00002.safetensors", "layer.0.bias": "model-00001-of-00002.safetensors",
                        "layer.1.bias": "model-00002-of-00002.safetensors"], in: dir)

        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertEqual(checkpoint.tensorNames, ["embeddings.weight", "layer.0.bias", "layer.1.bias"])
        XCTAssertEqual(checkpoint.files.map(\.url.lastPathComponent), ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        XCTAssertTrue(checkpoint.has("layer.1.bias"))
        XCTAssertFalse(checkpoint.has("layer.2.bias"))
        XCTAssertEqual(try checkpoint.tensor("layer.1.bias").data, [4, 5, 6])
        XCTAssertEqual(try checkpoint.tensor("embeddings.weight").data, [1, 2])
        XCTAssertEqual(checkpoint.info("layer.0.bias"), TensorInfo(dtype: .f32, shape: [1]))
    }

    /// Files the index does not name are not read, even when they hold tensors of the same names.
    func testIndexIgnoresFilesItDoesNotName() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("model-00001-of-00002.safetensors", ["a": [1]], in: dir)
        try writeShard("model-00002-of-00002.safetensors", ["b": [2]], in: dir)
        try writeShard("model.fp16-00001-of-00001.safetensors", ["a": [10], "b": [20]], in: dir)
        try writeIndex(["a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"], in: dir)
        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertEqual(checkpoint.files.map(\.url.lastPathComponent), ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        XCTAssertEqual(try checkpoint.tensor("a").data, [1])
        XCTAssertEqual(try checkpoint.tensor("b").data, [2])
    }

    /// A shard that holds more than the index says: only the index's tensors are in the namespace.
    func testIndexDecidesTheTensorNames() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("model-00001-of-00001.safetensors", ["a": [1], "unlisted": [7]], in: dir)
        try writeIndex(["a": "model-00001-of-00001.safetensors"], in: dir)
        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertEqual(checkpoint.tensorNames, ["a"])
        XCTAssertFalse(checkpoint.has("unlisted"))
    }

    func testIndexNamingAMissingShard() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("model-00001-of-00002.safetensors", ["a": [1]], in: dir)
        try writeIndex(["a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors",
                        "c": "model-00002-of-00002.safetensors"], in: dir)
        assertCheckpointError(dir.appendingPathComponent("model-00002-of-00002.safetensors"),
                              ["missing", "model.safetensors.index.json places tensor 'b' and 1 other tensor in this shard"]) {
            _ = try Checkpoint(directory: dir)
        }
    }

    func testIndexPlacingATensorInTheWrongShard() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("model-00001-of-00002.safetensors", ["a": [1]], in: dir)
        try writeShard("model-00002-of-00002.safetensors", ["b": [2]], in: dir)
        try writeIndex(["a": "model-00002-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"], in: dir)
        assertCheckpointError(dir.appendingPathComponent("model-00002-of-00002.safetensors"),
                              ["has no tensor 'a', which model.safetensors.index.json places in this shard"]) {
            _ = try Checkpoint(directory: dir)
        }
    }

    func testMalformedIndexIsNamed() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("model-00001-of-00001.safetensors", ["a": [1]], in: dir)
        let index = dir.appendingPathComponent("model.safetensors.index.json")
        let cases: [(String, String)] = [
            ("{}", "has no \"weight_map\" object"),
            ("[1]", "not a JSON object"),
            (#"{"weight_map": {}}"#, "weight_map is empty"),
            (#"{"weight_map": {"a": 3}}"#, "weight_map entry 'a' is not a file name string"),
            (#"{"weight_map": {"a": "../model-00001-of-00001.safetensors"}}"#, "weight_map entry 'a' names '../model-00001-of-00001.safetensors', not a file of the same directory"),
        ]
        for (text, problem) in cases {
            try Data(text.utf8).write(to: index)
            assertCheckpointError(index, [problem]) { _ = try Checkpoint(directory: dir) }
        }
    }

    /// A stray model.fp16.safetensors beside model.safetensors (common in downloaded repos) is
    /// not read: model.safetensors alone is the checkpoint.
    func testModelSafetensorsBesideAStrayFile() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("model.safetensors", ["w": [1, 2]], in: dir)
        var fp16 = SafeTensorsWriter()
        fp16.add("w", dtype: .f16, shape: [2], bits16: [0x4200, 0x4400])  // 3, 4
        try fp16.write(to: dir.appendingPathComponent("model.fp16.safetensors"))
        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertEqual(checkpoint.files.map(\.url.lastPathComponent), ["model.safetensors"])
        XCTAssertEqual(try checkpoint.tensor("w").data, [1, 2])
    }

    /// As transformers: model.safetensors is chosen before an index.
    func testModelSafetensorsBeforeAnIndex() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("model.safetensors", ["w": [1]], in: dir)
        try writeShard("model-00001-of-00001.safetensors", ["w": [9]], in: dir)
        try writeIndex(["w": "model-00001-of-00001.safetensors"], in: dir)
        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertEqual(checkpoint.files.map(\.url.lastPathComponent), ["model.safetensors"])
        XCTAssertEqual(try checkpoint.tensor("w").data, [1])
    }

    /// Several *.safetensors files, no model.safetensors and no index: never merged; the error
    /// lists them and says what to do.
    func testUnrelatedFilesAreNotMerged() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("a.safetensors", ["w": [1]], in: dir)
        try writeShard("b.safetensors", ["v": [2]], in: dir)
        assertCheckpointError(dir, ["2 *.safetensors files (a.safetensors, b.safetensors) and neither model.safetensors nor model.safetensors.index.json",
                                    "never merges unrelated files", "Rename the weights to model.safetensors"]) {
            _ = try Checkpoint(directory: dir)
        }
    }

    func testMissingTensorNamesItAndTheDirectory() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("model.safetensors", ["a": [1]], in: dir)
        let checkpoint = try Checkpoint(directory: dir)
        assertCheckpointError(dir, ["no tensor named 'pooler.dense.weight'"]) { _ = try checkpoint.tensor("pooler.dense.weight") }
    }

    func testDirectoryWithoutSafetensors() throws {
        let dir = try temp.makeDirectory("empty")
        try temp.write("empty/pytorch_model.bin", [0])
        assertCheckpointError(dir, ["no *.safetensors file"]) { _ = try Checkpoint(directory: dir) }
        let absent = temp.url.appendingPathComponent("absent")
        assertCheckpointError(absent, ["cannot list"]) { _ = try Checkpoint(directory: absent) }
    }

    func testMalformedShardIsNamed() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("model-00001-of-00002.safetensors", ["w": [1]], in: dir)
        let bad = try temp.write("model/model-00002-of-00002.safetensors", [1, 2, 3])
        try writeIndex(["w": "model-00001-of-00002.safetensors", "v": "model-00002-of-00002.safetensors"], in: dir)
        assertCheckpointError(bad, ["shorter than the 8-byte"]) { _ = try Checkpoint(directory: dir) }
    }
}
