import HeedCheckpoints
import HeedModels
import HeedTestSupport
import XCTest

/// Every method against the direct (H, T, T, C) computation of the fixture generator, on the
/// tiny models: within 1e-4 of each row's largest value; rollouts against their independent products.
final class AnalysisFixtureTests: XCTestCase {
    func testTinyModelsMatchDirectMethod() throws {
        for model in ["tiny-bert", "tiny-distilbert", "tiny-electra", "tiny-roberta"] {
            let encoder = try NormDecompositionTests.encoder(model)
            for caseName in ["T7", "T33"] {
                let (failures, checked) = try AnalysisFixtures.check(model: model, caseName: caseName, network: encoder)
                XCTAssertEqual(failures, [], "\(model) \(caseName)")
                XCTAssertGreaterThan(checked, 15, "\(model) \(caseName): too few keys compared")
            }
        }
    }
}
