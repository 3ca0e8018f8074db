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
