// A BERT written as GGUF (llama.cpp's tensor names and bert.* keys, its tokenizer.json beside
// the file) through the daemon: the registry runs it with the same family code as its
// safetensors twin, so ModelInfo and every analysis agree.

import Foundation
import HeedCheckpoints
import HeedJSON
import HeedJSONRPC
import HeedTestSupport
import XCTest

final class GGUFBertDaemonTests: XCTestCase {
    /// transformers' name -> llama.cpp's (written out independently of Heed's own table).
    static func ggufName(_ hf: String) -> String? {
        let fixed = ["embeddings.word_embeddings.weight": "token_embd.weight",
                     "embeddings.position_embeddings.weight": "position_embd.weight",
                     "embeddings.token_type_embeddings.weight": "token_types.weight",
                     "embeddings.LayerNorm.weight": "token_embd_norm.weight",
                     "embeddings.LayerNorm.bias": "token_embd_norm.bias"]
        if let name = fixed[hf] { return name }
        let parts = hf.split(separator: ".").map(String.init)
        guard parts.count > 3, parts[0] == "encoder", parts[1] == "layer", let n = Int(parts[2]) else { return nil }
        let rest = parts[3...].joined(separator: ".")
        let map = ["attention.self.query": "attn_q", "attention.self.key": "attn_k", "attention.self.value": "attn_v",
                   "attention.output.dense": "attn_output", "attention.output.LayerNorm": "attn_output_norm",
                   "intermediate.dense": "ffn_up", "output.dense": "ffn_down", "output.LayerNorm": "layer_output_norm"]
        for (from, to) in map where rest == from + ".weight" || rest == from + ".bias" {
            return "blk.\(n).\(to).\(rest.hasSuffix(".weight") ? "weight" : "bias")"
        }
        return nil
    }

    func testAGGUFBertRunsLikeItsSafetensorsTwin() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("heed-gguf-bert-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let st = try SafeTensorsFile(url: TestModels.tinyBert.appendingPathComponent("model.safetensors"))
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("bert"))
        for (key, value) in [("block_count", 2), ("context_length", 600), ("embedding_length", 32), ("feed_forward_length", 37),
                             ("attention.head_count", 4)] {
            writer.add("bert.\(key)", .uint32(UInt32(value)))
        }
        writer.add("bert.attention.layer_norm_epsilon", .float32(1e-12))
        var written = 0
        for name in st.tensorNames {
            guard let to = Self.ggufName(name) else { continue }
            let t = try st.tensor(name)
            writer.addTensor(to, dimensions: t.shape.reversed(), values: t.data)
            written += 1
        }
        XCTAssertEqual(written, 5 + 2 * 16)
        let gguf = folder.appendingPathComponent("tiny-bert.gguf")
        try writer.write(to: gguf)
        try TestModels.tokenizerJSON.write(to: folder.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)

        let daemon = InProcessDaemon()
        try daemon.initialize()
        let info = try daemon.result(id: 1, sending: "heed/loadModel", params: #"{"model":"\#(gguf.path)"}"#)
        XCTAssertEqual(info["family"]?.stringValue, "bert")
        XCTAssertEqual([info["layers"], info["heads"], info["hidden"], info["maxTokens"]].map { $0?.intValue }, [2, 4, 32, 600])
        XCTAssertEqual(info["causal"]?.boolValue, false)
        XCTAssertEqual(info["methods"]?.arrayValue?.compactMap(\.stringValue).contains("attn-res-ln"), true)

        let params = #""text":"the cat sat on the mat","methods":["attention","norm-summed","attn-res-ln","mixing-ratio","norm-rollout"]"#
        let fromGGUF = try daemon.result(id: 2, sending: "heed/analyze", params: #"{"model":"\#(gguf.path)",\#(params)}"#)
        let fromSafetensors = try daemon.result(id: 3, sending: "heed/analyze", params: #"{"model":"\#(TestModels.tiny)",\#(params)}"#)
        XCTAssertEqual(fromGGUF["layers"]?.arrayValue?.count, 2)
        XCTAssertNotNil(fromGGUF["norm-rollout"])
        XCTAssertEqual(fromGGUF["layers"], fromSafetensors["layers"])
        XCTAssertEqual(fromGGUF["norm-rollout"], fromSafetensors["norm-rollout"])
        XCTAssertEqual(fromGGUF["tokens"], fromSafetensors["tokens"])
        _ = daemon.finish()
    }
}
