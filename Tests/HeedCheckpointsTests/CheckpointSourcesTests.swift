// Weights as they arrive in the field: Git LFS pointer files in place of the real files, and
// Hugging Face cache snapshots whose files are symlinks into blobs/.

import XCTest
import HeedKernels
@testable import HeedCheckpoints

final class CheckpointSourcesTests: XCTestCase {
    private var temp: TemporaryDirectory!

    override func setUpWithError() throws { temp = try TemporaryDirectory("heed-sources") }
    override func tearDown() { temp = nil }

    /// What a clone without Git LFS leaves in place of all-MiniLM-L6-v2's weights (133 bytes).
    static let pointer = """
        version https://git-lfs.github.com/spec/v1
        oid sha256:53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
        size 90868376

        """

    static let advice = "the repository was cloned without Git LFS. Fetch the real file: run `git lfs install` and then "
        + "`git lfs pull` inside the repository (or `git lfs install` and clone again), or download the file from the Hugging Face hub"

    func testPointerInPlaceOfTheWeights() throws {
        XCTAssertEqual(Self.pointer.utf8.count, 133)
        let dir = try temp.makeDirectory("model")
        let weights = try temp.write("model/model.safetensors", text: Self.pointer)
        do {
            _ = try Checkpoint(directory: dir)
            XCTFail("a pointer file loaded as weights")
        } catch let error as CheckpointError {
            XCTAssertEqual(error, CheckpointError(file: weights.path, problem: "is a Git LFS pointer (a 133-byte text file that stands for "
                + "the real 90868376-byte file), not the weights: " + Self.advice))
        }
    }

    func testPointerInPlaceOfAShardOrTheIndex() throws {
        let dir = try temp.makeDirectory("model")
        let shard = try temp.write("model/model-00001-of-00001.safetensors", text: Self.pointer)
        let index = try temp.write("model/model.safetensors.index.json", text: #"{"weight_map": {"w": "model-00001-of-00001.safetensors"}}"#)
        assertCheckpointError(shard, ["is a Git LFS pointer", "not the weights", "`git lfs pull`"]) { _ = try Checkpoint(directory: dir) }
        try temp.write("model/model.safetensors.index.json", text: Self.pointer)
        assertCheckpointError(index, ["is a Git LFS pointer", "not the index of the weights", "`git lfs pull`"]) { _ = try Checkpoint(directory: dir) }
    }

    /// config.json and tokenizer.json are checked by path, reading only their first bytes.
    func testPointerCheckByPath() throws {
        let config = try temp.write("config.json", text: Self.pointer)
        do {
            try GitLFSPointer.check(fileAt: config, standsFor: "the model's config.json")
            XCTFail("a pointer passed")
        } catch let error as CheckpointError {
            XCTAssertEqual(error, CheckpointError(file: config.path, problem: "is a Git LFS pointer (a 133-byte text file that stands for "
                + "the real 90868376-byte file), not the model's config.json: " + Self.advice))
        }
        // Not pointers: real JSON, a text that only starts like one, an empty file, no file at all.
        for (name, text) in [("real.json", #"{"version": "1.0"}"#), ("short.txt", "version https://git-lfs"), ("empty", "")] {
            XCTAssertNoThrow(try GitLFSPointer.check(fileAt: try temp.write(name, text: text), standsFor: "x"), name)
        }
        XCTAssertNoThrow(try GitLFSPointer.check(fileAt: temp.file("absent.json"), standsFor: "x"))
    }

    /// A hub cache snapshot (files are symlinks to blobs/) with a sharded checkpoint, its index and
    /// a stray fp16 file holding the same tensor names: the index's shards are the weights.
    func testHuggingFaceSnapshotWithShardsAndAStrayFile() throws {
        let repo = "hub/models--org--tiny"
        let snapshot = try temp.makeDirectory("\(repo)/snapshots/0123abcd")
        try temp.write("\(repo)/refs/main", text: "0123abcd")
        func blob(_ name: String, _ bytes: Data) throws {
            let hash = SHA256.hexDigest(bytes)
            try bytes.write(to: try temp.makeDirectory("\(repo)/blobs").appendingPathComponent(hash))
            try FileManager.default.createSymbolicLink(atPath: snapshot.appendingPathComponent(name).path,
                                                       withDestinationPath: "../../blobs/\(hash)")
        }
        func shard(_ tensors: [(String, [Float])]) -> Data {
            var writer = SafeTensorsWriter()
            for (name, values) in tensors { writer.add(name, Tensor(shape: [values.count], data: values)) }
            return writer.serialized()
        }
        try blob("config.json", Data("{}".utf8))
        try blob("tokenizer.json", Data("{}".utf8))
        try blob("model-00001-of-00002.safetensors", shard([("a", [1, 2])]))
        try blob("model-00002-of-00002.safetensors", shard([("b", [3])]))
        try blob("model.safetensors.index.json", Data(#"{"metadata": {"total_size": 12}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}"#.utf8))
        try blob("model.fp16.safetensors", shard([("a", [7, 7]), ("b", [7])]))

        let resolved = try ModelStore.resolve("org/tiny", environment: ["HF_HUB_CACHE": temp.url.appendingPathComponent("hub").path]) { _ in }
        XCTAssertEqual(resolved.standardizedFileURL.path, snapshot.standardizedFileURL.path)
        let checkpoint = try Checkpoint(directory: resolved)
        XCTAssertEqual(checkpoint.files.map(\.url.lastPathComponent), ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        XCTAssertEqual(try checkpoint.tensor("a").data, [1, 2])
        XCTAssertEqual(try checkpoint.tensor("b").data, [3])
    }
}
