import HeedAnalysis
import HeedCheckpoints
import HeedModels
import HeedTestSupport
import XCTest

/// Every method against the direct (H, T, T, C) computation of the fixture generator, on the
/// tiny models: within 1e-4 of each row's largest value; rollouts against their independent products.
final class AnalysisFixtureTests: XCTestCase {
    func testTinyModelsMatchDirectMethod() throws {
        for model in ["tiny-bert", "tiny-distilbert", "tiny-electra", "tiny-roberta"] { try check(model) }
    }

    /// norm, norm-summed, attn-res, attn-res-ln, mixing ratios (and the rest) on a model without
    /// any bias tensor: b_O, beta and b_V are absent, not zero-filled.
    func testModelWithoutBiasesMatchesDirectMethod() throws {
        try check("tiny-bert-nobias")
    }

    /// The pre-norm decoders (GQA; Mistral's sliding window at T33; Qwen2's q/k/v biases): every
    /// method defined for them (attn-res-ln is not: METHODS.md), with h_i the residual.
    func testTinyDecodersMatchDirectMethod() throws {
        for model in ["tiny-llama", "tiny-mistral", "tiny-qwen2"] {
            let network = try LoadedModel.load(id: model, directory: Fixtures.url("models/\(model)")).network
            XCTAssertFalse(AnalysisMethod.supported(attentionNorm: network.attentionNorm).contains(.attnResLn))
            for caseName in ["T7", "T33"] {
                let (failures, checked) = try AnalysisFixtures.check(model: model, caseName: caseName, network: network)
                XCTAssertEqual(failures, [], "\(model) \(caseName)")
                // 2 layers x 9 per-layer keys (no attn-res-ln, no attnresln-n mixing ratio) + rollout + norm-rollout.
                XCTAssertEqual(checked, 20, "\(model) \(caseName): keys compared")
            }
        }
    }

    private func check(_ model: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let encoder = try NormDecompositionTests.encoder(model)
        for caseName in ["T7", "T33"] {
            let (failures, checked) = try AnalysisFixtures.check(model: model, caseName: caseName, network: encoder)
            XCTAssertEqual(failures, [], "\(model) \(caseName)", file: file, line: line)
            // Every stored key of the case: 2 layers x 11 per-layer keys + rollout + norm-rollout.
            XCTAssertEqual(checked, 24, "\(model) \(caseName): keys compared", file: file, line: line)
        }
    }
}
