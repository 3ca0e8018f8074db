import HeedAnalysis
import HeedModels
import HeedTestSupport
import XCTest

/// `heed experiment compare-methods`' statistics: which rows are compared, the mean over them,
/// and the symmetric lookup.
final class ExperimentsCompareMethodsTests: XCTestCase {
    static func inputs(_ sentences: [[Int]]) -> [ExperimentInput] {
        sentences.enumerated().map { n, ids in
            ExperimentInput(line: n + 1, ids: ids, special: ids.map { _ in false }, classes: ids.map { _ in .other })
        }
    }

    func testDecoderComparesEveryRowWithTwoKeys() throws {
        let network = try MethodFixtureTests.network("tiny-llama")
        let sentences = [Array(10...17), Array(40...52)]
        let methods: [AnalysisMethod] = [.attention, .normSummed, .alti, .rollout, .altiRollout]
        let r = try ExperimentRunner.compareMethods(Self.inputs(sentences), network: network, methods: methods)
        XCTAssertEqual(r.perLayerMethods, [.attention, .normSummed, .alti])
        XCTAssertEqual(r.acrossLayerMethods, [.rollout, .altiRollout])
        XCTAssertEqual(r.layers.count, network.layerCount)
        // Rows i >= 1 of each sentence (row 0 sees one key): 7 + 12, unless a row is constant.
        for layer in r.layers {
            XCTAssertEqual(layer.count, 3)
            for cell in layer {
                XCTAssertLessThanOrEqual(cell.rows, 19)
                XCTAssertGreaterThan(cell.rows, 0)
                let rho = try XCTUnwrap(cell.mean)
                XCTAssertTrue(rho >= -1 && rho <= 1, "\(cell.a) ~ \(cell.b): \(rho)")
            }
        }
        XCTAssertEqual(r.acrossLayers.count, 1)
        XCTAssertEqual(MethodComparisonResult.value(r.layers[0], .alti, .attention), MethodComparisonResult.value(r.layers[0], .attention, .alti))
        XCTAssertEqual(MethodComparisonResult.value(r.layers[0], .alti, .alti), 1)
        XCTAssertTrue(ExperimentTables.methodComparison(r).contains("attention ~ alti"))
    }

    /// An encoder: every row of every layer takes part, and the result is the mean of the per-row
    /// rho computed here by hand from the analysis.
    func testMeanIsOverRows() throws {
        let network = try MethodFixtureTests.network("tiny-bert")
        let ids = [2, 9, 14, 30, 7, 3]
        let r = try ExperimentRunner.compareMethods(Self.inputs([ids]), network: network, methods: [.normSummed, .alti])
        let forward = try network.forward(ids, taps: .full, finalHiddenState: false, isCancelled: { false })
        let a = try Analyzer.analyze(modelID: "", forward: forward, table: .empty, options: AnalyzeOptions(methods: [.normSummed, .alti]))
        let T = ids.count
        for (l, layer) in a.layers.enumerated() {
            guard case let .tensor(x) = layer.values[0].value, case let .tensor(y) = layer.values[1].value else { return XCTFail() }
            let rhos = (0..<T).compactMap { i in Spearman.rho(Array(x.data[(i * T)..<((i + 1) * T)]), Array(y.data[(i * T)..<((i + 1) * T)])) }
            XCTAssertEqual(r.layers[l][0].rows, rhos.count)
            XCTAssertEqual(r.layers[l][0].mean!, rhos.reduce(0, +) / Double(rhos.count), accuracy: 1e-12)
        }
    }
}
