import HeedTestSupport
import XCTest

/// Every method on MiniLM against the direct computation (T = 10 and 128).
final class MiniLMAnalysisTests: XCTestCase {
    func testMiniLMMatchesDirectMethod() throws {
        try Integration.requireEnabled()
        let model = try Integration.minilm.get()
        for caseName in ["short", "paragraph"] {
            let (failures, checked) = try AnalysisFixtures.check(model: "minilm", caseName: caseName, network: model.network)
            XCTAssertEqual(failures, [], caseName)
            XCTAssertGreaterThan(checked, 40, caseName)
        }
    }
}
