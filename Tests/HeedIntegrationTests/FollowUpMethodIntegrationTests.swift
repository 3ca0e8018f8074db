import HeedAnalysis
import HeedCheckpoints
import HeedModels
import HeedTestSupport
import XCTest

/// ALTI, alti-rollout, GlobEnc and value zeroing on the real models against the direct references
/// of Tests/Fixtures/generate_method_fixtures.py --real: MiniLM (T 10 every key, T 128 layer 5
/// and the products) within 1e-4 of each row's largest value; SmolLM2 Q4_1 (T 7 and 33, layers 0,
/// 14, 29 and alti-rollout; transformers runs the dequantised weights, Heed the Q4_1 blocks) within
/// 1e-3, as its other parity tests.
final class FollowUpMethodIntegrationTests: XCTestCase {
    func check(_ name: String, model: LoadedModel, tolerance: Float, minimumKeys: Int) throws {
        let network = try model.network
        let manifest = try Fixtures.json("analysis/\(name)/methods.json")
        let methods = (manifest["methods"] as! [String]).compactMap(AnalysisMethod.init(rawValue:))
        for c in manifest["cases"] as! [[String: Any]] {
            let ids = c["input_ids"] as! [Int], T = ids.count, caseName = c["name"] as! String
            let file = try SafeTensorsFile(url: Fixtures.url("analysis/\(name)/\(c["file"] as! String)"))
            let storedLayers = Set(file.tensorNames.compactMap { n -> Int? in
                n.hasPrefix("layer") ? Int(n.dropFirst(5).prefix { $0.isNumber }) : nil
            })
            let forward = try network.forward(ids, taps: .full, finalHiddenState: false, isCancelled: { false })
            let result = try Analyzer.analyze(modelID: name, forward: forward, table: .empty,
                                              options: AnalyzeOptions(methods: methods, layers: storedLayers.sorted()),
                                              rerun: network as? LayerRerunning)
            var actual: [String: [Float]] = [:]
            for layer in result.layers {
                for (method, value) in layer.values { if case let .tensor(t) = value { actual["layer\(layer.layer).\(method.rawValue)"] = t.data } }
            }
            actual["alti-rollout"] = result.altiRollout?.data
            actual["globenc"] = result.globenc?.data
            var checked = 0
            for key in file.tensorNames where key != "input_ids" {
                let e = try file.tensor(key).data
                guard let a = actual[key], a.count == e.count else { XCTFail("\(name) \(caseName): no \(key) of \(e.count) values"); continue }
                for start in stride(from: 0, to: e.count, by: T) {
                    let row = start..<(start + T)
                    let scale = max(e[row].map(abs).max() ?? 0, 1e-12)
                    let cmp = Comparison(expected: Array(e[row]), actual: Array(a[row]), tolerance: tolerance * scale)
                    XCTAssertTrue(cmp.ok, "\(name) \(caseName) \(key) row \(start / T): \(cmp)")
                    if !cmp.ok { break }
                }
                checked += 1
            }
            XCTAssertGreaterThanOrEqual(checked, minimumKeys, "\(name) \(caseName)")
        }
    }

    func testMiniLM() throws {
        try Integration.requireEnabled()
        try check("minilm", model: try Integration.minilm.get(), tolerance: 1e-4, minimumKeys: 4)
    }

    func testSmolLM2() throws {
        try Integration.requireEnabled()
        try check("smollm2", model: try SmolLM2ParityTests.model.get(), tolerance: 1e-3, minimumKeys: 7)
    }
}
