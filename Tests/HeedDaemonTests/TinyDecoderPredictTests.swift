import Foundation
import HeedCheckpoints
@testable import HeedDaemon
import HeedJSONRPC
import HeedTestSupport
import XCTest

/// `heed/predict` and `heed/highlight`'s `predict` on the real tiny decoders (Tests/Fixtures:
/// tiny Llama, Mistral and Qwen2 from safetensors, and their GGUF twins) against the references
/// their generators stored (transformers; for the GGUF twins, a reader following llama.cpp):
/// each case's top 5 (ids, `tokenizer.decode([id])`, probability, logit) and, inside the text,
/// the logits the reference computed at every position.
final class TinyDecoderPredictTests: XCTestCase {
    static let families = ["tiny-llama", "tiny-mistral", "tiny-qwen2"]

    func daemon() throws -> InProcessDaemon {
        let d = InProcessDaemon()
        try d.initialize(encodings: ["utf-32"])
        return d
    }

    /// JSON of a string (quotes, backslashes and controls escaped).
    func quoted(_ s: String) -> String {
        var w = JSONWriter(); w.string(s); return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Ids in ranking order (logit descending, ties by lower id) of `logits`.
    func ranking(_ logits: [Float], _ k: Int) -> [Int] {
        Array(logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }.prefix(k))
    }

    func testTopFiveOfEveryCaseMatchesTheReference() throws {
        let d = try daemon()
        defer { _ = d.finish() }
        var id = 1
        for model in Self.families {
            for (dir, modelID) in [("models/\(model)", Fixtures.url("models/\(model)").path),
                                   ("models/\(model)-gguf", Fixtures.url("models/\(model)-gguf/\(model).gguf").path)] {
                let manifest = try Fixtures.json("\(dir)/manifest.json")
                let info = try d.result(id: id, sending: "heed/loadModel", params: #"{"model":\#(quoted(modelID))}"#); id += 1
                XCTAssertEqual(info["predicts"], .bool(true), dir)
                XCTAssertEqual(info["causal"], .bool(true), dir)
                XCTAssertEqual(info["methods"]?.arrayValue?.compactMap(\.stringValue), ["norm-summed", "attention", "attn-res", "norm", "rollout", "norm-rollout",
                                                                                  "alti", "alti-rollout", "value-zeroing"], dir)
                let expected = try SafeTensorsFile(url: Fixtures.url("\(dir)/expected.safetensors"))
                // The GGUF twins' cases are the safetensors model's (their texts are there).
                let twinCases = try Fixtures.json("models/\(model)/manifest.json")["cases"] as! [[String: Any]]
                for c in (manifest["cases"] as? [[String: Any]]) ?? twinCases {
                    let name = c["name"] as! String, label = "\(dir) \(name)"
                    let text = try XCTUnwrap((c["text"] ?? twinCases.first { $0["name"] as? String == name }?["text"]) as? String, label)
                    let logits = try expected.tensor("\(name).logits.last").data
                    let r = try d.result(id: id, sending: "heed/predict", params: #"{"model":\#(quoted(modelID)),"text":\#(quoted(text)),"topK":5}"#); id += 1
                    let got = r["tokens"]?.arrayValue ?? []
                    XCTAssertEqual(got.compactMap { $0["id"]?.intValue }, ranking(logits, 5), label)
                    if let top5 = c["top5"] as? [[String: Any]], dir == "models/\(model)" {
                        XCTAssertEqual(got.compactMap { $0["id"]?.intValue }, top5.map { $0["id"] as! Int }, label)
                        XCTAssertEqual(got.compactMap { $0["text"]?.stringValue }, top5.map { $0["decoded"] as! String }, "\(label): decode([id])")
                        for (g, e) in zip(got, top5) {
                            let p = e["probability"] as! Double
                            XCTAssertEqual(g["probability"]?.doubleValue ?? .nan, p, accuracy: 1e-4 * p, label)
                            XCTAssertEqual(g["logit"]?.doubleValue ?? .nan, e["logit"] as! Double, accuracy: 1e-4, label)
                        }
                    }
                    for g in got {
                        let t = g["id"]!.intValue!
                        XCTAssertEqual(g["logit"]?.doubleValue ?? .nan, Double(logits[t]), accuracy: 1e-4 * max(1, Double(abs(logits[t]))), label)
                    }
                }
            }
        }
    }

    /// A cursor inside the text predicts from the tokens before it: the reference's logits at
    /// that position (cut from the highlight's own pass).
    func testHighlightPredictsAtTheCursor() throws {
        let d = try daemon()
        defer { _ = d.finish() }
        var id = 1
        for model in Self.families {
            let dir = Fixtures.url("models/\(model)").path
            let manifest = try Fixtures.json("models/\(model)/manifest.json")
            let expected = try SafeTensorsFile(url: Fixtures.url("models/\(model)/expected.safetensors"))
            let c = try XCTUnwrap((manifest["cases"] as! [[String: Any]]).first { $0["name"] as? String == "T33" })
            let text = c["text"] as! String, V = manifest["vocab"] as! Int
            let all = try expected.tensor("T33.logits").data   // (T, V)
            let tokens = try d.result(id: id, sending: "heed/tokenize", params: #"{"model":\#(quoted(dir)),"text":\#(quoted(text))}"#)["tokens"]?.arrayValue ?? []; id += 1
            XCTAssertEqual(tokens.count, 33, model)
            for i in [1, 5, 17, 31, 32] where i < tokens.count {
                let end = tokens[i]["end"]!.intValue!
                guard tokens[i]["start"]!.intValue! < end, i + 1 == tokens.count || tokens[i + 1]["start"]!.intValue! >= end else { continue }
                let h = try d.result(id: id, sending: "heed/highlight",
                                     params: #"{"model":\#(quoted(dir)),"text":\#(quoted(text)),"focus":{"start":\#(end),"end":\#(end)},"method":"norm-summed","predict":5}"#); id += 1
                XCTAssertEqual(h["focus"]?["end"]?.intValue, end, "\(model) token \(i): the last unit before the cursor")
                let row = Array(all[(i * V)..<((i + 1) * V)])
                let got = h["predictions"]?.arrayValue ?? []
                XCTAssertEqual(got.compactMap { $0["id"]?.intValue }, ranking(row, 5), "\(model) token \(i)")
                for g in got {
                    let t = g["id"]!.intValue!
                    XCTAssertEqual(g["logit"]?.doubleValue ?? .nan, Double(row[t]), accuracy: 1e-4 * max(1, Double(abs(row[t]))), "\(model) token \(i)")
                }
            }
        }
    }
}
