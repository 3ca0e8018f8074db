import Foundation
import HeedAnalysis
import HeedCheckpoints
import HeedKernels
@testable import HeedModels
import XCTest

/// MiniLM written as GGUF (llama.cpp's BERT names and keys, its tokenizer.json beside the file)
/// at F32, F16 and Q8_0 against the safetensors model: the same family code, the same analysis
/// within each format's tolerance (measured values printed).
final class MiniLMGGUFTests: XCTestCase {
    enum Storage: String { case f32, f16, q8_0 }

    static func q8_0(_ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count / 32 * 34)
        for start in stride(from: 0, to: values.count, by: 32) {
            let block = values[start..<(start + 32)]
            let amax = block.map(abs).max() ?? 0
            let d = amax / 127, id: Float = d != 0 ? 1 / d : 0
            GGUFWriter.append(Float16(d).bitPattern, to: &out)
            for x in block { out.append(UInt8(bitPattern: Int8((x * id).rounded()))) }
        }
        return out
    }

    static func write(_ directory: URL, _ storage: Storage, into folder: URL) throws -> URL {
        let config = try ModelConfig.load(from: directory.appendingPathComponent("config.json"))
        let checkpoint = try Checkpoint(directory: directory)
        let hf = EncoderWeightNames(family: config.family), gguf = EncoderWeightNames(ggufFamily: config.family)
        let prefix = hf.prefixes.first { checkpoint.has($0 + hf.name(.wordEmbeddings)) } ?? ""
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("bert"))
        writer.add("bert.block_count", .uint32(UInt32(config.numLayers)))
        writer.add("bert.context_length", .uint32(UInt32(config.maxPositionEmbeddings)))
        writer.add("bert.embedding_length", .uint32(UInt32(config.hiddenSize)))
        writer.add("bert.feed_forward_length", .uint32(UInt32(config.intermediateSize)))
        writer.add("bert.attention.head_count", .uint32(UInt32(config.numHeads)))
        writer.add("bert.attention.layer_norm_epsilon", .float32(config.layerNormEps))
        writer.add("tokenizer.ggml.padding_token_id", .uint32(UInt32(config.padTokenId)))
        var written = Set<String>()
        for role in EncoderTensor.allCases {
            for l in 0..<config.numLayers {
                let from = prefix + hf.name(role, layer: l), to = gguf.name(role, layer: l)
                guard checkpoint.has(from), !to.isEmpty, written.insert(to).inserted else { continue }
                let t = try checkpoint.tensor(from)
                let dims = Array(t.shape.reversed())
                switch storage {
                case .q8_0 where t.shape.count == 2 && t.shape[1] % 32 == 0:
                    writer.addTensor(to, dimensions: dims, type: .q8_0, bytes: q8_0(t.data))
                case .f16 where t.shape.count == 2, .q8_0 where t.shape.count == 2:
                    var bytes: [UInt8] = []
                    bytes.reserveCapacity(2 * t.data.count)
                    for v in t.data { GGUFWriter.append(Float16(v).bitPattern, to: &bytes) }
                    writer.addTensor(to, dimensions: dims, type: .f16, bytes: bytes)
                default:
                    writer.addTensor(to, dimensions: dims, values: t.data)
                }
            }
        }
        let url = folder.appendingPathComponent("minilm-\(storage.rawValue).gguf")
        try writer.write(to: url)
        return url
    }

    static func outputs(_ model: LoadedModel, _ text: String) throws -> [String: [Float]] {
        let r = try Pipeline.analyze(model: model, text: text, options: AnalyzeOptions(methods: [.attention, .normSummed, .attnResLn, .normRollout]),
                                     encoding: .utf16)
        var out: [String: [Float]] = [:]
        for layer in r.layers {
            for (method, value) in layer.values { if case let .tensor(t) = value { out["layer\(layer.layer).\(method.rawValue)"] = t.data } }
        }
        out["norm-rollout"] = r.normRollout?.data
        return out
    }

    func testMiniLMAsGGUF() throws {
        try Integration.requireEnabled()
        let st = try Integration.minilm.get()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("heed-minilm-gguf-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: st.directory.appendingPathComponent("tokenizer.json"), to: folder.appendingPathComponent("tokenizer.json"))
        let text = "The norm of the transformed vector, not the attention weight alone, tells how much a token contributes to another."
        let expected = try Self.outputs(st, text)
        for (storage, tolerance) in [(Storage.f32, Float(1e-5)), (.f16, 5e-3), (.q8_0, 5e-2)] {
            let url = try Self.write(st.directory, storage, into: folder)
            let gg = try LoadedModel.load(id: "minilm-\(storage.rawValue)", directory: url)
            let actual = try Self.outputs(gg, text)
            var worst: Float = 0, worstName = ""
            for (name, e) in expected {
                let a = try XCTUnwrap(actual[name], name)
                let scale = max(e.map(abs).max() ?? 0, 1e-12)
                for (x, y) in zip(a, e) where abs(x - y) / scale > worst { worst = abs(x - y) / scale; worstName = name }
            }
            let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            print("MiniLM GGUF \(storage.rawValue): file \(size / 1_000_000) MB, weightBytes \(try gg.network.weightBytes / 1_000_000) MB "
                  + "(safetensors model \(try st.network.weightBytes / 1_000_000) MB); largest relative difference \(worst) (\(worstName)); notes \(gg.loadNotes)")
            XCTAssertLessThanOrEqual(worst, tolerance, "\(storage) \(worstName)")
            // A quantised model costs about its file size: weights in the GEMM and the word
            // embeddings stay as their blocks.
            if storage == .q8_0 { XCTAssertLessThanOrEqual(try gg.network.weightBytes, size + size / 10) }
            try FileManager.default.removeItem(at: url)
        }
    }
}
