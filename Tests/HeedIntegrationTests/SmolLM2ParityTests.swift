// SmolLM2-135M-Instruct (the real Q4_1 GGUF, catalog smollm2) against transformers 5.23.0 loading
// the same file (dequantised to float32; Tests/Fixtures/models/smollm2 and analysis/smollm2,
// generate_smollm2_fixtures.py), prompts of 1 to 512 tokens: ids, logits after the last token
// within 1e-3 and the same top 5, the residual stream and attention rows of layers 0, 14 and 29
// (attention within 1e-4 absolute), and norm-summed, attn-res, value-norm and the mixing ratios
// against the direct reference (1e-3 of each row's largest value).

import Foundation
import HeedAnalysis
import HeedCheckpoints
import HeedModels
import HeedTestSupport
import XCTest

final class SmolLM2ParityTests: XCTestCase {
    static let model: Result<LoadedModel, Error> = Result { try LoadedModel.resolve("smollm2") { _ in } }

    private func close(_ actual: [Float], _ expected: [Float], tolerance: Float, rowLength: Int? = nil, _ label: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
        guard actual.count == expected.count else { return }
        let n = rowLength ?? expected.count
        for start in stride(from: 0, to: expected.count, by: n) {
            let e = Array(expected[start..<(start + n)]), a = Array(actual[start..<(start + n)])
            let scale = rowLength == nil ? 1 : max(e.map(abs).max() ?? 0, 1e-12)
            let c = Comparison(expected: e, actual: a, tolerance: tolerance * scale)
            if !c.ok { return XCTFail("\(label) row \(start / n): \(c)", file: file, line: line) }
        }
    }

    private func rows(_ data: [Float], width: Int, _ rows: [Int]) -> [Float] {
        rows.flatMap { data[($0 * width)..<(($0 + 1) * width)] }
    }

    func testLogitsAttentionAndNormsMatchTransformers() throws {
        try Integration.requireEnabled()
        let model = try Self.model.get()
        let network = try model.network
        let manifest = try Fixtures.json("models/smollm2/manifest.json")
        let expected = try SafeTensorsFile(url: Fixtures.url("models/smollm2/expected.safetensors"))
        let analysisManifest = try Fixtures.json("analysis/smollm2/manifest.json")
        let C = 576, NH = 9
        let layers = manifest["stored_layers"] as! [Int]
        XCTAssertEqual(layers, [0, 14, 29])
        var caseCount = 0
        for c in manifest["cases"] as! [[String: Any]] {
            let name = c["name"] as! String, ids = c["input_ids"] as! [Int], T = ids.count, kept = c["rows"] as! [Int]
            XCTAssertEqual(try model.tokenizer.encode(c["text"] as! String).ids, ids, name)
            let r = try network.forward(ids, taps: .full, isCancelled: { false })
            let logits = try network.nextTokenLogits(r)
            close(logits, try expected.tensor("\(name).logits.last").data, tolerance: 1e-3, "\(name) logits")
            let top5 = Array(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5))
            XCTAssertEqual(top5, (c["top5"] as! [[String: Any]]).map { $0["id"] as! Int }, "\(name) top 5")
            for l in layers + [30] {
                close(rows(r.hiddenStates[l].data, width: C, kept), try expected.tensor("\(name).residual.\(l).rows").data,
                      tolerance: 1e-4, rowLength: C, "\(name) residual \(l)")
            }
            for l in layers {
                let a = r.layers[l].attention!.data
                var picked: [Float] = []
                for h in 0..<NH { for i in kept { picked += a[((h * T + i) * T)..<((h * T + i + 1) * T)] } }
                close(picked, try expected.tensor("\(name).attn.\(l).rows").data, tolerance: 1e-4, "\(name) attention \(l)")
            }
            // The analysis of layers 0, 14, 29 against the direct reference.
            guard let ac = (analysisManifest["cases"] as! [[String: Any]]).first(where: { $0["name"] as? String == name }) else {
                XCTFail("no analysis case \(name)"); continue
            }
            let file = try SafeTensorsFile(url: Fixtures.url("analysis/smollm2/\(ac["file"] as! String)"))
            let options = AnalyzeOptions(methods: [.valueNorm, .normSummed, .attnRes, .mixingRatio], layers: layers)
            let result = try Analyzer.analyze(modelID: "smollm2", forward: r, table: .empty, options: options)
            for layer in result.layers {
                let l = layer.layer
                for (method, value) in layer.values {
                    switch value {
                    case let .tensor(t) where method == .valueNorm:
                        close(t.data, try file.tensor("layer\(l).value-norm").data, tolerance: 1e-3, rowLength: T, "\(name) layer \(l) value-norm")
                    case let .tensor(t):
                        close(rows(t.data, width: T, kept), try file.tensor("layer\(l).\(method.rawValue).rows").data, tolerance: 1e-3, rowLength: T,
                              "\(name) layer \(l) \(method.rawValue)")
                        let sums = (0..<T).map { i in t.data[(i * T)..<((i + 1) * T)].reduce(0, +) }
                        close(sums, try file.tensor("layer\(l).\(method.rawValue).rowsum").data, tolerance: 1e-3, rowLength: T,
                              "\(name) layer \(l) \(method.rawValue) row sums")
                    case let .vectors(named):
                        XCTAssertEqual(Set(named.map(\.key)), ["attn-w", "attnres-w", "attn-n", "attnres-n"], name)
                        for (key, v) in named {
                            close(v, try file.tensor("layer\(l).mixing.\(key)").data, tolerance: 1e-3, "\(name) layer \(l) mixing \(key)")
                        }
                    }
                }
            }
            caseCount += 1
        }
        XCTAssertEqual(caseCount, 5)
    }

    /// `heed analyze --model smollm2 --focus France --json`: the highlight the library computes
    /// for the same request, causal (nothing after the focus), the first token the strongest by
    /// norm in the last layer (the decoder's sink).
    func testAnalyzeOnTheCommandLine() throws {
        try Integration.requireEnabled()
        let text = "The capital of France is Paris."
        let (status, out, err) = try Integration.run(["analyze", "--model", "smollm2", "--focus", "France", "--json", text])
        XCTAssertEqual(status, 0, err)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: out) as? [String: Any])
        let ranges = try XCTUnwrap(json["ranges"] as? [[String: Any]])
        XCTAssertEqual((json["focus"] as? [String: Int]).map { [$0["start"], $0["end"]] }, [14, 21])
        XCTAssertEqual(json["layer"] as? Int, 29)
        let model = try Self.model.get()
        let expected = try Pipeline.highlight(model: model, request: HighlightRequest(text: text, focus: 14..<21, method: .normSummed, encoding: .utf32))
        XCTAssertEqual(ranges.map { [$0["start"] as! Int, $0["end"] as! Int] }, expected.ranges.map { [$0.start, $0.end] })
        for (r, e) in zip(ranges, expected.ranges) { XCTAssertEqual((r["value"] as! Double), Double(e.value), accuracy: 1e-4 * Double(max(1, abs(e.value)))) }
        let after = ranges.filter { ($0["start"] as! Int) >= 21 }
        XCTAssertEqual(after.count, 3)
        XCTAssertTrue(after.allSatisfy { ($0["value"] as! Double) == 0 }, "causal: \(after)")
        XCTAssertEqual(ranges.max { ($0["value"] as! Double) < ($1["value"] as! Double) }?["start"] as? Int, 0)
    }
}
