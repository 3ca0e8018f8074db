// A directory of safetensors shards read as one namespace.

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

    func testShardsFormOneNamespace() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("model-00001-of-00002.safetensors", ["embeddings.weight": [1, 2], "layer.0.bias": [3]], in: dir)
        try writeShard("model-00002-of-00002.safetensors", ["layer.1.bias": [4, 5, 6]], in: dir)
        try temp.write("model/config.json", text: "{}")
        try temp.write("model/model.safetensors.index.json", text: "{}")

        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertEqual(checkpoint.tensorNames, ["embeddings.weight", "layer.0.bias", "layer.1.bias"])
        XCTAssertEqual(checkpoint.files.count, 2)
        XCTAssertTrue(checkpoint.has("layer.1.bias"))
        XCTAssertFalse(checkpoint.has("layer.2.bias"))
        XCTAssertEqual(try checkpoint.tensor("layer.1.bias").data, [4, 5, 6])
        XCTAssertEqual(try checkpoint.tensor("embeddings.weight").data, [1, 2])
        XCTAssertEqual(checkpoint.info("layer.0.bias"), TensorInfo(dtype: .f32, shape: [1]))
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

    func testDuplicateTensorAcrossShards() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("a.safetensors", ["w": [1]], in: dir)
        try writeShard("b.safetensors", ["w": [2]], in: dir)
        assertCheckpointError(dir, ["'w'", "a.safetensors", "b.safetensors"]) { _ = try Checkpoint(directory: dir) }
    }

    func testMalformedShardIsNamed() throws {
        let dir = try temp.makeDirectory("model")
        try writeShard("a.safetensors", ["w": [1]], in: dir)
        let bad = try temp.write("model/b.safetensors", [1, 2, 3])
        assertCheckpointError(bad, ["shorter than the 8-byte"]) { _ = try Checkpoint(directory: dir) }
    }
}
