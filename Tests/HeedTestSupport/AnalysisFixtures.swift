import Foundation
import HeedAnalysis
import HeedCheckpoints
import HeedKernels
import HeedModels

/// Compares Heed's analysis with the direct-method goldens of Tests/Fixtures/analysis
/// (generate_analysis_fixtures.py): every stored key within `tolerance` of each row's largest value.
public enum AnalysisFixtures {
    /// Returns one message per mismatch (empty when everything matches) and the number of keys checked.
    public static func check(model: String, caseName: String, network: TransformerModel) throws -> (failures: [String], checked: Int) {
        let manifest = try Fixtures.json("analysis/\(model)/manifest.json")
        guard let c = (manifest["cases"] as! [[String: Any]]).first(where: { $0["name"] as? String == caseName }) else {
            return (["no case \(caseName) in analysis/\(model)"], 0)
        }
        let ids = c["input_ids"] as! [Int]
        let file = try SafeTensorsFile(url: Fixtures.url("analysis/\(model)/\(c["file"] as! String)"))
        let forward = try network.forward(ids, taps: .full, isCancelled: { false })
        let T = ids.count
        let table = TokenTable.empty
        // Every method of docs/methods.md's norm analysis defined for the model (attn-res-ln only
        // with a norm after the block); the follow-up methods have their own fixtures
        // (MethodFixtureTests).
        let followUps: Set<AnalysisMethod> = [.alti, .altiRollout, .globenc, .valueZeroing]
        let options = AnalyzeOptions(methods: AnalysisMethod.supported(attentionNorm: network.attentionNorm).filter { !followUps.contains($0) })
        let result = try Analyzer.analyze(modelID: model, forward: forward, table: table, options: options)
        var actual: [String: [Float]] = [:]
        for layer in result.layers {
            for (method, value) in layer.values {
                switch value {
                case let .tensor(t): actual["layer\(layer.layer).\(method.rawValue)"] = t.data
                case let .vectors(named): for (k, v) in named { actual["layer\(layer.layer).mixing.\(k)"] = v }
                }
            }
        }
        actual["rollout"] = result.rollout?.data
        actual["norm-rollout"] = result.normRollout?.data
        var failures: [String] = [], checked = 0
        for name in file.tensorNames where name != "input_ids" && !name.contains(".special.") {
            guard let a = actual[name] else { failures.append("\(model) \(caseName): Heed computed no \(name)"); continue }
            let e = try file.tensor(name).data
            guard e.count == a.count else { failures.append("\(model) \(caseName) \(name): \(e.count) expected values, \(a.count) actual"); continue }
            let rowLength = name.contains(".mixing.") ? e.count : T
            for start in stride(from: 0, to: e.count, by: rowLength) {
                let row = start..<(start + rowLength)
                let scale = max(e[row].map(abs).max() ?? 0, 1e-12)
                let cmp = Comparison(expected: Array(e[row]), actual: Array(a[row]), tolerance: 1e-4 * scale)
                if !cmp.ok { failures.append("\(model) \(caseName) \(name) row \(start / rowLength): \(cmp)"); break }
            }
            checked += 1
        }
        return (failures, checked)
    }
}
