import Foundation
import HeedAnalysis
import HeedCheckpoints
import HeedKernels
@testable import HeedModels
import HeedTestSupport
import XCTest

/// The tiny BERT fixture written as GGUF (GGUFWriter, llama.cpp's BERT tensor names and `bert.*`
/// keys, its tokenizer.json beside the file) loads through the same family code as its
/// safetensors twin (Tests/Fixtures/models/tiny-bert) and gives the same analysis.
final class GGUFTwinTests: XCTestCase {
    static let text = "The quick brown fox jumps over the lazy dog, and the dog sleeps."

    enum Storage { case f32, f16, q8_0 }

    /// `values` as Q8_0 blocks, as ggml-quants.c `quantize_row_q8_0_ref`: per 32 elements
    /// d = max|x| / 127 (stored F16), q = round(x / d).
    static func q8_0(_ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        for start in stride(from: 0, to: values.count, by: 32) {
            let block = values[start..<(start + 32)]
            let amax = block.map(abs).max() ?? 0
            let d = amax / 127, id: Float = d != 0 ? 1 / d : 0
            GGUFWriter.append(Float16(d).bitPattern, to: &out)
            for x in block { out.append(UInt8(bitPattern: Int8((x * id).rounded()))) }
        }
        return out
    }

    /// A tiny WordPiece tokenizer.json for the text (ids below tiny-bert's 123 rows).
    static let tokenizerJSON = TinyTokenizer.json(vocabulary: TinyTokenizer.specials
        + ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", ",", "and", "sleeps", ".", "##s"])

    /// The safetensors twin: tiny-bert's config.json and weights with the tokenizer above.
    static func safetensorsTwin() throws -> URL {
        let source = Fixtures.url("models/tiny-bert")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("heed-st-twin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        try tokenizerJSON.write(to: folder.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        return folder
    }

    /// Writes tiny-bert as a .gguf file into a fresh folder with `tokenizerJSON` beside it; with
    /// `.f16`, every 2-dimensional tensor (the embeddings and the Linear weights) is stored F16,
    /// the 1-dimensional ones (biases, LayerNorm parameters) F32, as llama.cpp's converter does;
    /// with `.q8_0`, the 2-dimensional ones with rows of a multiple of 32 are Q8_0, the others
    /// (ffn_down, rows of I = 37) F16.
    static func writeTwin(_ storage: Storage) throws -> URL {
        let source = Fixtures.url("models/tiny-bert")
        let config = try ModelConfig.load(from: source.appendingPathComponent("config.json"))
        let checkpoint = try Checkpoint(directory: source)
        let hf = EncoderWeightNames(family: .bert), gguf = EncoderWeightNames(ggufFamily: .bert)
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("bert"))
        writer.add("bert.block_count", .uint32(UInt32(config.numLayers)))
        writer.add("bert.context_length", .uint32(UInt32(config.maxPositionEmbeddings)))
        writer.add("bert.embedding_length", .uint32(UInt32(config.hiddenSize)))
        writer.add("bert.feed_forward_length", .uint32(UInt32(config.intermediateSize)))
        writer.add("bert.attention.head_count", .uint32(UInt32(config.numHeads)))
        writer.add("bert.attention.layer_norm_epsilon", .float32(config.layerNormEps))
        writer.add("bert.attention.causal", .bool(false))
        var written = Set<String>()
        for role in EncoderTensor.allCases {
            for l in 0..<config.numLayers {
                let from = hf.name(role, layer: l), to = gguf.name(role, layer: l)
                guard checkpoint.has(from), !to.isEmpty, written.insert(to).inserted else { continue }
                let t = try checkpoint.tensor(from)
                let dimensions = Array(t.shape.reversed())
                if storage == .q8_0 && t.shape.count == 2 && t.shape[1] % 32 == 0 {
                    writer.addTensor(to, dimensions: dimensions, type: .q8_0, bytes: Self.q8_0(t.data))
                } else if storage != .f32 && t.shape.count == 2 {
                    var bytes: [UInt8] = []
                    for v in t.data { GGUFWriter.append(Float16(v).bitPattern, to: &bytes) }
                    writer.addTensor(to, dimensions: dimensions, type: .f16, bytes: bytes)
                } else {
                    writer.addTensor(to, dimensions: dimensions, values: t.data)
                }
            }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("heed-gguf-twin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try tokenizerJSON.write(to: folder.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        let file = folder.appendingPathComponent("tiny-bert-\(storage).gguf")
        try writer.write(to: file)
        return file
    }

    /// Every method's every output of the two models, as named arrays.
    static func outputs(_ model: LoadedModel) throws -> [String: [Float]] {
        let options = AnalyzeOptions(methods: AnalysisMethod.allCases)
        let r = try Pipeline.analyze(model: model, text: text, options: options, encoding: .utf16)
        var out: [String: [Float]] = [:]
        for layer in r.layers {
            for (method, value) in layer.values {
                switch value {
                case let .tensor(t): out["layer\(layer.layer).\(method.rawValue)"] = t.data
                case let .vectors(named): for (k, v) in named { out["layer\(layer.layer).mixing.\(k)"] = v }
                }
            }
        }
        out["rollout"] = r.rollout?.data
        out["norm-rollout"] = r.normRollout?.data
        return out
    }

    /// The largest |a - e| over every output, relative to each output's largest |e|.
    static func largestRelativeDifference(_ a: [String: [Float]], _ e: [String: [Float]]) -> (Float, String) {
        var worst: (Float, String) = (0, "")
        for (name, expected) in e {
            guard let actual = a[name], actual.count == expected.count else { return (.infinity, name) }
            let scale = max(expected.map(abs).max() ?? 0, 1e-12)
            for (x, y) in zip(actual, expected) where abs(x - y) / scale > worst.0 { worst = (abs(x - y) / scale, name) }
        }
        return worst
    }

    func testF32TwinGivesTheSameAnalysis() throws {
        let twin = try Self.writeTwin(.f32)
        defer { try? FileManager.default.removeItem(at: twin.deletingLastPathComponent()) }
        let stFolder = try Self.safetensorsTwin()
        defer { try? FileManager.default.removeItem(at: stFolder) }
        let st = try LoadedModel.load(id: "tiny-bert", directory: stFolder)
        let gg = try LoadedModel.load(id: "tiny-bert-gguf", directory: twin)
        XCTAssertEqual(gg.shape, st.shape)
        XCTAssertEqual(try gg.network.attentionNorm, .postLayerNorm)
        XCTAssertTrue(gg.loadNotes.contains { $0.contains("tokenizer.json") }, "\(gg.loadNotes)")
        let expected = try Self.outputs(st), actual = try Self.outputs(gg)
        XCTAssertEqual(Set(actual.keys), Set(expected.keys))
        let (worst, name) = Self.largestRelativeDifference(actual, expected)
        print("GGUF F32 twin: largest relative difference \(worst) (\(name)) over \(expected.count) outputs")
        XCTAssertLessThanOrEqual(worst, 1e-5, name)
    }

    func testF16TwinIsWithinHalfPrecision() throws {
        let twin = try Self.writeTwin(.f16)
        defer { try? FileManager.default.removeItem(at: twin.deletingLastPathComponent()) }
        let stFolder = try Self.safetensorsTwin()
        defer { try? FileManager.default.removeItem(at: stFolder) }
        let st = try LoadedModel.load(id: "tiny-bert", directory: stFolder)
        let gg = try LoadedModel.load(id: "tiny-bert-gguf-f16", directory: twin)
        XCTAssertTrue(gg.loadNotes.contains { $0.contains("F16 tensors to f32") }, "\(gg.loadNotes)")
        let (worst, name) = Self.largestRelativeDifference(try Self.outputs(gg), try Self.outputs(st))
        print("GGUF F16 twin: largest relative difference \(worst) (\(name))")
        XCTAssertLessThanOrEqual(worst, 5e-3, name)
    }

    func testQ8_0TwinIsWithinQuantisation() throws {
        let twin = try Self.writeTwin(.q8_0)
        defer { try? FileManager.default.removeItem(at: twin.deletingLastPathComponent()) }
        let stFolder = try Self.safetensorsTwin()
        defer { try? FileManager.default.removeItem(at: stFolder) }
        let st = try LoadedModel.load(id: "tiny-bert", directory: stFolder)
        let gg = try LoadedModel.load(id: "tiny-bert-gguf-q8_0", directory: twin)
        XCTAssertTrue(gg.loadNotes.contains { $0.contains("kept") && $0.contains("Q8_0 weights quantised") }, "\(gg.loadNotes)")
        print("GGUF Q8_0 twin load notes: \(gg.loadNotes)")
        let (worst, name) = Self.largestRelativeDifference(try Self.outputs(gg), try Self.outputs(st))
        print("GGUF Q8_0 twin: largest relative difference \(worst) (\(name))")
        XCTAssertLessThanOrEqual(worst, 5e-2, name)
    }

    func testUnsupportedTensorTypeNamesTheTensor() throws {
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("bert"))
        writer.addTensor("token_embd.weight", dimensions: [32, 2], type: .q8_1, bytes: [UInt8](repeating: 0, count: 80))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("heed-gguf-q-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("q.gguf")
        try writer.write(to: url)
        let weights = GGUFWeights(file: try GGUFFile(url: url))
        XCTAssertEqual(weights.shape(of: "token_embd.weight"), [2, 32])
        XCTAssertEqual(weights.storedType(of: "token_embd.weight"), "Q8_1")
        XCTAssertThrowsError(try weights.tensor("token_embd.weight")) { error in
            XCTAssertTrue("\(error)".contains("token_embd.weight"), "\(error)")
        }
    }

    func testRegistryKnowsTheArchitectures() {
        for a in ["bert", "distilbert", "electra", "roberta", "xlm-roberta"] {
            XCTAssertTrue(ModelFamilies.family(for: a) == BertFamily.self, a)
        }
        for a in ["llama", "mistral", "qwen2"] {
            XCTAssertTrue(ModelFamilies.family(for: a) == LlamaFamily.self, a)
        }
        XCTAssertNil(ModelFamilies.family(for: "mamba"))
        XCTAssertEqual(ModelFamilies.architectures, ["bert", "distilbert", "electra", "llama", "marian", "mistral", "qwen2", "roberta", "xlm-roberta"])
    }
}
