import Foundation
import HeedCheckpoints
import HeedKernels
@testable import HeedModels
import HeedTestSupport
import XCTest

/// Models without bias tensors (Linears and LayerNorms built with `bias=False`, as in every
/// Llama-family model): tiny-bert-nobias (generate_model_fixtures.py) has none at all, and its
/// reference outputs were computed by transformers with every bias zero.
final class BiasFreeModelTests: XCTestCase {
    static let name = "tiny-bert-nobias"

    static func encoder(_ dir: URL) throws -> BertEncoder {
        try BertEncoder(config: ModelConfig.load(from: dir.appendingPathComponent("config.json")), checkpoint: Checkpoint(directory: dir))
    }

    /// A temporary model directory: `source`'s config.json and its weights without the tensors named in `dropping`.
    static func copy(of source: String, dropping: Set<String>) throws -> URL {
        let from = Fixtures.url("models/\(source)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("heed-bias-\(source)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: from.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        let file = try SafeTensorsFile(url: from.appendingPathComponent("model.safetensors"))
        XCTAssertTrue(dropping.isSubset(of: Set(file.tensorNames)), "tensors to drop exist in \(source)")
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for name in file.tensorNames where !dropping.contains(name) { writer.add(name, try file.tensor(name)) }
        try writer.serialized().write(to: dir.appendingPathComponent("model.safetensors"))
        return dir
    }

    func testLoaderAcceptsACheckpointWithoutBiasTensors() throws {
        let dir = Fixtures.url("models/\(Self.name)")
        XCTAssertEqual(try Checkpoint(directory: dir).tensorNames.filter { $0.hasSuffix(".bias") }, [], "the fixture has no bias tensor")
        let encoder = try Self.encoder(dir)
        XCTAssertNil(encoder.embLNBias)
        for layer in encoder.layers {
            XCTAssertNil(layer.selfQKV.bias)
            XCTAssertNil(layer.selfOutputDense.bias)
            XCTAssertNil(layer.selfOutputLayerNormBias)
            XCTAssertNil(layer.intermediateDense.bias)
            XCTAssertNil(layer.outputDense.bias)
            XCTAssertNil(layer.outputLayerNormBias)
        }
        // The taps say "no bias" as nil (never an empty array), and carry W_O (C, C).
        let result = try encoder.forward([5, 17, 42], taps: .full)
        for taps in result.layers {
            XCTAssertNil(taps.parameters.outputBias)
            XCTAssertNil(taps.parameters.normBias)
            XCTAssertEqual(taps.parameters.outputWeight.count, 32 * 32)
        }
        // A model with biases reports them, b_O and beta of length C.
        let biased = try Self.encoder(Fixtures.url("models/tiny-bert")).forward([5, 17, 42], taps: .full)
        XCTAssertEqual(biased.layers[0].parameters.outputBias?.count, 32)
        XCTAssertEqual(biased.layers[0].parameters.normBias?.count, 32)
    }

    func testLoaderRejectsACheckpointMissingARequiredWeight() throws {
        let missing = "encoder.layer.1.attention.output.dense.weight"
        let dir = try Self.copy(of: Self.name, dropping: [missing])
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try Self.encoder(dir)) { error in
            let e = error as? CheckpointError
            XCTAssertNotNil(e, "\(error)")
            XCTAssertTrue(e?.problem.hasPrefix("no tensor named '\(missing)'") ?? false, "\(error)")
        }
    }

    func testLoaderRejectsABiasPresentInSomeLayersOnly() throws {
        // tiny-bert has every bias; without layer 1's out-projection bias it is incomplete, not bias-free.
        let dir = try Self.copy(of: "tiny-bert", dropping: ["encoder.layer.1.attention.output.dense.bias"])
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try Self.encoder(dir)) { error in
            XCTAssertEqual(error as? ModelLoadError, ModelLoadError(
                file: "model.safetensors",
                problem: "no tensor named encoder.layer.1.attention.output.dense.bias, while layer 0 has one: a bias is in every layer or in none"))
        }
    }

    /// Errors about a tensor name the shard that holds it, not "model.safetensors".
    func testShapeErrorNamesTheShardHoldingTheTensor() throws {
        let from = Fixtures.url("models/tiny-bert")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("heed-shards-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: from.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        let file = try SafeTensorsFile(url: from.appendingPathComponent("model.safetensors"))
        let wrong = "encoder.layer.1.output.dense.weight"
        var shards = [SafeTensorsWriter(metadata: ["format": "pt"]), SafeTensorsWriter(metadata: ["format": "pt"])]
        var weightMap: [String] = []
        for name in file.tensorNames {
            let k = name.hasPrefix("encoder.layer.1.") ? 1 : 0
            var t = try file.tensor(name)
            if name == wrong { t = Tensor(shape: [t.shape[1], t.shape[0]], data: t.data) }
            shards[k].add(name, t)
            weightMap.append("\"\(name)\":\"model-0000\(k + 1)-of-00002.safetensors\"")
        }
        for k in 0..<2 { try shards[k].serialized().write(to: dir.appendingPathComponent("model-0000\(k + 1)-of-00002.safetensors")) }
        try Data("{\"weight_map\":{\(weightMap.joined(separator: ","))}}".utf8).write(to: dir.appendingPathComponent(Checkpoint.indexFileName))
        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertEqual(checkpoint.sourceFileName, Checkpoint.indexFileName)
        XCTAssertThrowsError(try Self.encoder(dir)) { error in
            XCTAssertEqual(error as? ModelLoadError, ModelLoadError(
                file: "model-00002-of-00002.safetensors",
                problem: "tensor \(wrong) has shape [37, 32], expected [32, 37] from config.json"))
        }
    }

    /// Q, K and V may lack a bias separately: the fused bias has zeros where one is absent.
    func testMissingKeyBiasIsZeroInTheFusedProjection() throws {
        let dir = try Self.copy(of: "tiny-bert", dropping: ["encoder.layer.0.attention.self.key.bias", "encoder.layer.1.attention.self.key.bias"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let encoder = try Self.encoder(dir)
        let reference = try Checkpoint(directory: Fixtures.url("models/tiny-bert"))
        for (l, layer) in encoder.layers.enumerated() {
            let q = try reference.tensor("encoder.layer.\(l).attention.self.query.bias").data
            let v = try reference.tensor("encoder.layer.\(l).attention.self.value.bias").data
            XCTAssertEqual(layer.selfQKV.bias, q + [Float](repeating: 0, count: 32) + v)
        }
    }

    /// What a loaded model holds: embeddings, the packed linears (W^T in NR-column panels,
    /// padded: NR is 16, or 32 for the AVX-512 variant) with their biases and the LayerNorm
    /// parameters, and nothing else: no plain copy of any weight (W_O included: the analysis
    /// reads it from the packed out-projection).
    func testWeightBytesCountPackedWeightsOnlyNoPlainCopy() throws {
        let nr = Kernels.tileShape().columns
        /// Floats of a packed (out, in) weight: out padded to whole panels.
        func packed(_ out: Int, _ inF: Int) -> Int { (out + nr - 1) / nr * nr * inF }
        // tiny-bert: C 32, I 37, V 123, P 600, 2 layers. Floats:
        //   embeddings 123*32 + 600*32 + 32 (token type row) + 2*32 (LayerNorm) = 23_232
        //   per layer: qkv (96 x 32) + 96, attn out (32 x 32) + 32, ffn in (37 x 32) + 37,
        //   ffn out (32 x 37) + 32, LayerNorms 4*32 (7_141 with 16-column panels; a plain W_O
        //   copy would add 32*32 = 1_024)
        let layer = packed(96, 32) + 96 + packed(32, 32) + 32 + packed(37, 32) + 37 + packed(32, 37) + 32 + 4 * 32
        if nr == 16 { XCTAssertEqual(layer, 7_141) }
        XCTAssertEqual(try Self.encoder(Fixtures.url("models/tiny-bert")).weightBytes, 4 * (23_232 + 2 * layer))
        // tiny-bert-nobias: P 64, no biases: 123*32 + 64*32 + 32 + 32 = 6_048; per layer the
        // same without the 197 linear bias floats and the 64 LayerNorm betas (6_880 with
        // 16-column panels).
        XCTAssertEqual(try Self.encoder(Fixtures.url("models/\(Self.name)")).weightBytes, 4 * (6_048 + 2 * (layer - 197 - 64)))
    }
}
