import Foundation
import HeedCheckpoints
import HeedJSONRPC
import HeedKernels
import HeedTestSupport
import XCTest

/// Model directories as they come from the field, built from the tiny model (TestModels.tiny):
/// stray and sharded weights files, Git LFS pointers, and a tokenizer larger than the embeddings.
enum FieldModels {
    /// tiny-bert's weights, by tensor name (all float32).
    static let weights: [(name: String, tensor: Tensor)] = {
        let file = try! SafeTensorsFile(url: TestModels.tinyBert.appendingPathComponent("model.safetensors"))
        return file.tensorNames.map { ($0, try! file.tensor($0)) }
    }()

    /// The two shards of `sharded`: embeddings and layer 0 in the first, the rest in the second.
    static func shardName(of tensor: String) -> String {
        tensor.hasPrefix("embeddings.") || tensor.hasPrefix("encoder.layer.0.")
            ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors"
    }

    /// The tiny model plus a `model.fp16.safetensors` holding the same tensors rounded to float16.
    static let strayFP16: String = {
        let dir = model("stray-fp16", weights: true)
        try! fp16Weights.write(to: dir.appendingPathComponent("model.fp16.safetensors"))
        return dir.path
    }()

    /// Only the float16 file: loaded because it is the only *.safetensors file.
    static let fp16Only: String = {
        let dir = model("fp16-only", weights: false)
        try! fp16Weights.write(to: dir.appendingPathComponent("model.fp16.safetensors"))
        return dir.path
    }()

    static var fp16Weights: Data {
        var writer = SafeTensorsWriter()
        for (name, t) in weights {
            writer.add(name, dtype: .f16, shape: t.shape, bits16: t.data.map { Float16($0).bitPattern })
        }
        return writer.serialized()
    }

    /// tiny-bert's weights in two shards with a model.safetensors.index.json, no model.safetensors,
    /// beside the same saved with variant "fp16" (as transformers names it:
    /// model.fp16-0000k-of-00002.safetensors and model.safetensors.index.fp16.json).
    static let sharded: String = {
        let dir = makeSharded("sharded")
        var writers: [String: SafeTensorsWriter] = [:]
        for (tensor, t) in weights {
            let file = shardName(of: tensor).replacingOccurrences(of: "model-", with: "model.fp16-")
            writers[file, default: SafeTensorsWriter()].add(tensor, dtype: .f16, shape: t.shape, bits16: t.data.map { Float16($0).bitPattern })
        }
        for (file, writer) in writers { try! writer.write(to: URL(fileURLWithPath: dir).appendingPathComponent(file)) }
        let index = try! String(contentsOfFile: dir + "/model.safetensors.index.json", encoding: .utf8)
        try! index.replacingOccurrences(of: "model-", with: "model.fp16-")
            .write(toFile: dir + "/model.safetensors.index.fp16.json", atomically: true, encoding: .utf8)
        return dir
    }()

    /// As `sharded`, without its second shard.
    static let missingShard: String = {
        let dir = makeSharded("missing-shard")
        try! FileManager.default.removeItem(atPath: dir + "/model-00002-of-00002.safetensors")
        return dir
    }()

    /// Two unrelated weights files (tiny-bert's and tiny-distilbert's), neither model.safetensors.
    static let unrelatedFiles: String = {
        let dir = model("unrelated", weights: false)
        try! FileManager.default.copyItem(at: TestModels.tinyBert.appendingPathComponent("model.safetensors"),
                                          to: dir.appendingPathComponent("bert.safetensors"))
        try! FileManager.default.copyItem(at: Fixtures.url("models/tiny-distilbert/model.safetensors"),
                                          to: dir.appendingPathComponent("distilbert.safetensors"))
        return dir.path
    }()

    /// What a clone without Git LFS leaves in place of a large file.
    static let lfsPointer = """
        version https://git-lfs.github.com/spec/v1
        oid sha256:53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
        size 90868376

        """

    /// The tiny model with `file` (model.safetensors, config.json or tokenizer.json) replaced by
    /// a Git LFS pointer.
    static func lfsPointer(in file: String) -> String {
        let dir = model("lfs-\(file)", weights: true)
        try! lfsPointer.write(to: dir.appendingPathComponent(file), atomically: true, encoding: .utf8)
        return dir.path
    }

    /// The tiny model's embedding rows (config.json's vocab_size).
    static let embeddingRows = 123
    /// The token that `extraToken`'s tokenizer has beyond the embeddings.
    static let extraTokenText = "zebra"

    /// The tiny model whose tokenizer has one token more than the embeddings have rows: the
    /// vocabulary is padded with `[unused…]` to ids 0..<123, then "zebra" is id 123.
    static let extraToken: String = {
        let dir = model("extra-token", weights: true)
        var root = try! JSONSerialization.jsonObject(with: Data(TestModels.tokenizerJSON.utf8)) as! [String: Any]
        var wordPiece = root["model"] as! [String: Any]
        var vocab = wordPiece["vocab"] as! [String: Int]
        var k = 0
        while vocab.count < embeddingRows { vocab["[unused\(k)]"] = vocab.count; k += 1 }
        vocab[extraTokenText] = embeddingRows
        wordPiece["vocab"] = vocab
        root["model"] = wordPiece
        try! JSONSerialization.data(withJSONObject: root).write(to: dir.appendingPathComponent("tokenizer.json"))
        return dir.path
    }()

    private static func makeSharded(_ name: String) -> String {
        let dir = model(name, weights: false)
        var writers: [String: SafeTensorsWriter] = [:]
        for (tensor, t) in weights { writers[shardName(of: tensor), default: SafeTensorsWriter()].add(tensor, t) }
        for (file, writer) in writers { try! writer.write(to: dir.appendingPathComponent(file)) }
        let map = weights.map { "\"\($0.name)\": \"\(shardName(of: $0.name))\"" }.joined(separator: ", ")
        let total = weights.reduce(0) { $0 + 4 * $1.tensor.count }
        try! #"{"metadata": {"total_size": \#(total)}, "weight_map": {\#(map)}}"#
            .write(to: dir.appendingPathComponent("model.safetensors.index.json"), atomically: true, encoding: .utf8)
        return dir.path
    }

    /// A directory with the tiny model's config.json and tokenizer.json (and its model.safetensors
    /// when `weights`).
    private static func model(_ name: String, weights: Bool) -> URL {
        let dir = TestModels.root.appendingPathComponent("field-\(name)", isDirectory: true)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tiny = URL(fileURLWithPath: TestModels.tiny, isDirectory: true)
        for file in ["config.json", "tokenizer.json"] + (weights ? ["model.safetensors"] : []) {
            try! FileManager.default.copyItem(at: tiny.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        return dir
    }
}

/// Issue 7, items 3 and 4 over the daemon: which weights a directory loads, and errors a person
/// can act on (Git LFS pointers, a tokenizer larger than the embeddings: -32014).
final class ModelFilesTests: XCTestCase {
    private var daemon: InProcessDaemon!

    override func setUpWithError() throws {
        daemon = InProcessDaemon()
        try daemon.initialize()
    }

    override func tearDown() {
        daemon = nil
    }

    static let text = "The cat sat on the mat."

    /// The heed/analyze result of `text` on `model`, without its `model` field (the id).
    private func analyze(_ id: Int, _ model: String, file: StaticString = #filePath, line: UInt = #line) throws -> (tokens: JSONValue?, layers: JSONValue?) {
        let r = try daemon.call(id, "heed/analyze", #"{"model":"\#(model)","text":"\#(Self.text)","methods":["attention","norm-summed","attn-res-ln"]}"#,
                                file: file, line: line)
        let result = try XCTUnwrap(r["result"], InProcessDaemon.text(r), file: file, line: line)
        return (result["tokens"], result["layers"])
    }

    // MARK: item 3: which weights

    /// model.safetensors beside a stray model.fp16.safetensors: model.safetensors is loaded, and
    /// the numbers are those of the model without the stray file (the fp16 file alone differs).
    func testStrayFP16FileBesideModelSafetensors() throws {
        let plain = try analyze(1, TestModels.tiny)
        let stray = try analyze(2, FieldModels.strayFP16)
        XCTAssertNotNil(plain.layers)
        XCTAssertEqual(stray.tokens, plain.tokens)
        XCTAssertEqual(stray.layers, plain.layers)
        let fp16 = try analyze(3, FieldModels.fp16Only)
        XCTAssertEqual(fp16.tokens, plain.tokens)
        XCTAssertNotEqual(fp16.layers, plain.layers, "float16-rounded weights give other numbers")
    }

    /// Two shards + index give exactly the numbers of the single file (the fp16 variant's shards
    /// beside them are not read).
    func testShardedCheckpointGivesTheUnshardedNumbers() throws {
        let plain = try analyze(1, TestModels.tiny)
        let sharded = try analyze(2, FieldModels.sharded)
        XCTAssertNotNil(plain.layers)
        XCTAssertEqual(sharded.tokens, plain.tokens)
        XCTAssertEqual(sharded.layers, plain.layers)
    }

    func testIndexNamingAMissingShardFailsToLoad() throws {
        let second = FieldModels.weights.map(\.name).filter { FieldModels.shardName(of: $0) == "model-00002-of-00002.safetensors" }.sorted()
        XCTAssertEqual(second.count, 18)
        let r = try daemon.call(1, "heed/loadModel", #"{"model":"\#(FieldModels.missingShard)"}"#)
        XCTAssertError(r, .modelLoadFailed, id: .int(1))
        XCTAssertEqual(r.errorMessage, "model failed to load: \(FieldModels.missingShard)/model-00002-of-00002.safetensors: missing: "
            + "model.safetensors.index.json places tensor '\(second[0])' and 17 other tensors in this shard (an incomplete download?)")
    }

    func testUnrelatedWeightsFilesFailToLoadNamingBoth() throws {
        let r = try daemon.call(1, "heed/loadModel", #"{"model":"\#(FieldModels.unrelatedFiles)"}"#)
        XCTAssertError(r, .modelLoadFailed, id: .int(1))
        XCTAssertEqual(r.errorMessage, "model failed to load: \(FieldModels.unrelatedFiles): 2 *.safetensors files (bert.safetensors, "
            + "distilbert.safetensors) and neither model.safetensors nor model.safetensors.index.json, so Heed cannot tell which holds "
            + "the weights (it never merges unrelated files). Rename the weights to model.safetensors, remove the other files, "
            + "or name the shards in a model.safetensors.index.json")
    }

    // MARK: item 4: Git LFS pointers

    func testGitLFSPointersFailToLoadSayingHowToFetchTheFile() throws {
        let advice = "the repository was cloned without Git LFS. Fetch the real file: run `git lfs install` and then "
            + "`git lfs pull` inside the repository (or `git lfs install` and clone again), or download the file from the Hugging Face hub"
        let cases = [("model.safetensors", "the weights"), ("config.json", "the model's config.json"), ("tokenizer.json", "the model's tokenizer.json")]
        for (k, (file, what)) in cases.enumerated() {
            let dir = FieldModels.lfsPointer(in: file)
            let r = try daemon.call(k + 1, "heed/loadModel", #"{"model":"\#(dir)"}"#)
            XCTAssertError(r, .modelLoadFailed, id: .int(k + 1))
            XCTAssertEqual(r.errorMessage, "model failed to load: \(dir)/\(file): is a Git LFS pointer (a 133-byte text file that "
                + "stands for the real 90868376-byte file), not \(what): " + advice)
        }
    }

    // MARK: item 4: a tokenizer larger than the embeddings

    func testTokenBeyondTheEmbeddingsIsAModelFaultPerRequest() throws {
        let model = FieldModels.extraToken
        let info = try daemon.call(1, "heed/loadModel", #"{"model":"\#(model)"}"#)
        XCTAssertEqual(info["result"]?["loaded"], .bool(true), InProcessDaemon.text(info))

        // A text without the extra token works.
        let tokens = try daemon.call(2, "heed/tokenize", #"{"model":"\#(model)","text":"the cat"}"#)
        XCTAssertEqual(tokens["result"]?["tokens"]?.arrayValue?.compactMap { $0["id"]?.intValue }, [2, 5, 6, 3], InProcessDaemon.text(tokens))
        XCTAssertEqual(try analyze(3, model).layers, try analyze(4, TestModels.tiny).layers)

        // A text with it: -32014 on every method that encodes text, naming the token and the rows.
        let message = "model inconsistent: the model's checkpoint and tokenizer disagree: the tokenizer gives the token \"zebra\" (id 123), "
            + "but the checkpoint's word embeddings have 123 rows (ids 0 to 122). Texts without this token still work; "
            + "to fix the model, use the tokenizer.json that belongs to these weights"
        let data = try JSONParser.parse(#"{"tokenId":123,"token":"zebra","embeddingRows":123}"#)
        let requests = [
            ("heed/tokenize", #"{"model":"\#(model)","text":"the zebra sat"}"#),
            ("heed/analyze", #"{"model":"\#(model)","text":"the zebra sat","methods":["norm-summed"]}"#),
            ("heed/highlight", #"{"model":"\#(model)","text":"the zebra sat","focus":{"start":0,"end":3},"method":"norm-summed"}"#),
        ]
        for (k, (method, params)) in requests.enumerated() {
            let r = try daemon.call(10 + k, method, params)
            XCTAssertError(r, .modelInconsistent, id: .int(10 + k))
            XCTAssertEqual(r.errorMessage, message, method)
            XCTAssertEqual(r["error"]?["data"], data, method)
        }
        // The model stays loaded and keeps working.
        let again = try daemon.call(20, "heed/tokenize", #"{"model":"\#(model)","text":"the cat"}"#)
        XCTAssertEqual(again["result"]?["tokens"]?.arrayValue?.count, 4, InProcessDaemon.text(again))
    }
}
