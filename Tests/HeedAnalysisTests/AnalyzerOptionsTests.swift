import HeedCheckpoints
import HeedKernels
@testable import HeedAnalysis
import HeedModels
import HeedTestSupport
import XCTest

/// How `AnalyzeOptions` shape a result: repeated methods and layers count once, layers come in
/// ascending order, and a layer outside the model is an error (protocol.md 5.5).
final class AnalyzerOptionsTests: XCTestCase {
    func analyze(_ methods: [AnalysisMethod], layers: [Int]?) throws -> AnalyzeResult {
        let encoder = try NormDecompositionTests.encoder("tiny-bert")
        let forward = try encoder.forward([2, 17, 42, 3], taps: .full)
        let table = TokenTable.empty
        return try Analyzer.analyze(modelID: "tiny-bert", forward: forward, table: table,
                                    options: AnalyzeOptions(methods: methods, layers: layers), heads: 4, normAfterBlock: true)
    }

    func testRepeatedMethodsAndLayersCountOnce() throws {
        let repeated = try analyze([.norm, .normSummed, .norm], layers: [1, 1, 0])
        XCTAssertEqual(repeated.layers.map(\.layer), [0, 1])
        for layer in repeated.layers { XCTAssertEqual(layer.values.map(\.method), [.norm, .normSummed]) }
        let plain = try analyze([.norm, .normSummed], layers: [0, 1])
        for (a, b) in zip(repeated.layers, plain.layers) {
            for (x, y) in zip(a.values, b.values) {
                guard case let .tensor(tx) = x.value, case let .tensor(ty) = y.value else { return XCTFail("not tensors") }
                XCTAssertEqual(tx, ty)
            }
        }
    }

    func testNoLayersGivesOnlyRollouts() throws {
        let r = try analyze([.norm, .rollout], layers: [])
        XCTAssertEqual(r.layers.count, 0)
        XCTAssertEqual(r.rollout?.shape, [4, 4])
    }

    func testLayerOutsideTheModelIsAnError() throws {
        for bad in [-1, 2, Int.max] {
            XCTAssertThrowsError(try analyze([.norm], layers: [0, bad])) {
                XCTAssertEqual($0 as? AnalysisError, .layerOutOfRange(bad, layers: 2))
            }
        }
    }
}
