import Foundation
import HeedCheckpoints
import HeedKernels
@testable import HeedAnalysis
@testable import HeedModels
import HeedTestSupport
import XCTest

/// NormDecomposition (Gram identity) against the direct per-head vectors, and the
/// decomposition's properties, on the tiny fixture models' taps.
final class NormDecompositionTests: XCTestCase {
    /// The seed of every random input here (HEED_TEST_SEED overrides it); printed, and named in
    /// failure messages, so that a failure reproduces.
    static let seed: UInt64 = {
        let seed = ProcessInfo.processInfo.environment["HEED_TEST_SEED"].flatMap { UInt64($0) } ?? 20_240_601
        print("NormDecompositionTests: random inputs from SplitMix64 seed \(seed) (set HEED_TEST_SEED to change it)")
        return seed
    }()

    static func encoder(_ name: String) throws -> BertEncoder {
        let dir = Fixtures.url("models/\(name)")
        return try BertEncoder(config: ModelConfig.load(from: dir.appendingPathComponent("config.json")), checkpoint: Checkpoint(directory: dir))
    }

    /// |expected - actual| <= tol * (largest |expected| of the row), row length `rowLength`.
    func assertRowRelative(_ expected: [Float], _ actual: [Float], rowLength: Int, tol: Float = 1e-4, _ what: String) {
        XCTAssertEqual(expected.count, actual.count, what)
        for start in stride(from: 0, to: expected.count, by: rowLength) {
            let row = start..<min(start + rowLength, expected.count)
            let scale = max(expected[row].map(abs).max() ?? 0, 1e-12)
            let c = Comparison(expected: Array(expected[row]), actual: Array(actual[row]), tolerance: tol * scale)
            if !c.ok { XCTFail("\(what) row \(start / rowLength): \(c)"); return }
        }
    }

    func testMatchesDirectComputation() throws {
        for name in ["tiny-bert", "tiny-distilbert", "tiny-electra", "tiny-roberta"] { try checkAgainstDirect(name) }
    }

    /// No bias tensor at all: b_O absent from o_i, b_V absent from f, beta absent.
    func testMatchesDirectComputationWithoutBiases() throws {
        try checkAgainstDirect("tiny-bert-nobias")
    }

    private func checkAgainstDirect(_ name: String) throws {
        let enc = try Self.encoder(name)
        let ids = [3, 17, 42, 5, 99, 8, 2, 61, 7]
        let fwd = try enc.forward(ids, taps: .full)
        let T = ids.count, NH = enc.config.numHeads
        for taps in fwd.layers {
            let d = NormDecomposition(taps: taps, heads: NH, normAfterBlock: true)
            let ref = DirectDecomposition(taps: taps, heads: NH)
            let what = "\(name) layer \(taps.layer)"
            assertRowRelative(ref.valueNorm(), d.valueNorm().data, rowLength: T, "\(what) value-norm")
            assertRowRelative(ref.norm(), d.norm().data, rowLength: T, "\(what) norm")
            assertRowRelative(ref.normSummed(), d.normSummed().data, rowLength: T, "\(what) norm-summed")
            assertRowRelative(ref.attnRes(), d.attnRes().data, rowLength: T, "\(what) attn-res")
            assertRowRelative(ref.attnResLn(), d.attnResLn().data, rowLength: T, "\(what) attn-res-ln")
            let mixing = ref.mixing()
            XCTAssertEqual(d.mixingRatios().map(\.key), ["attn-w", "attn-n", "attnres-w", "attnres-n", "attnresln-n"], what)
            for (key, values) in d.mixingRatios() {
                assertRowRelative(try XCTUnwrap(mixing[key]), values, rowLength: T, tol: 1e-4, "\(what) mixing \(key)")
                XCTAssertTrue(values.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(what) mixing \(key) outside [0, 1]")
            }
        }
    }

    /// sum_j z_ij + b_O = the attention output; sum_j g_i(r_ij) + g_i(b_O) + beta = LayerNorm(y_i).
    func testDecompositionSumsBack() throws {
        try checkSumsBack("tiny-bert")
    }

    /// The same identities with b_O = 0 and beta = 0 (absent): sum_j z_ij is the attention output itself.
    func testDecompositionSumsBackWithoutBiases() throws {
        try checkSumsBack("tiny-bert-nobias")
    }

    private func checkSumsBack(_ name: String) throws {
        let enc = try Self.encoder(name)
        let ids = [4, 8, 15, 16, 23, 42]
        let fwd = try enc.forward(ids, taps: .full)
        let T = ids.count, C = enc.config.hiddenSize
        for taps in fwd.layers {
            let ref = DirectDecomposition(taps: taps, heads: enc.config.numHeads)
            for i in 0..<T {
                var sumZ = [Double](repeating: 0, count: C), sumG = [Double](repeating: 0, count: C)
                for j in 0..<T {
                    let zij = ref.z(i, j), gij = ref.g(i, ref.r(i, j))
                    for c in 0..<C { sumZ[c] += zij[c]; sumG[c] += gij[c] }
                }
                let gb = ref.g(i, ref.bO)
                for c in 0..<C {
                    let attnOut = ref.y[i][c] - ref.x[i][c]
                    XCTAssertEqual(sumZ[c] + ref.bO[c], attnOut, accuracy: 1e-4, "\(name) layer \(taps.layer) [\(i), \(c)]")
                    XCTAssertEqual(sumG[c] + gb[c] + ref.beta[c], Double(taps.normalizedSum!.data[i * C + c]), accuracy: 1e-4,
                                   "\(name) layer \(taps.layer) [\(i), \(c)]")
                }
            }
        }
    }

    /// With one head, norm-summed equals norm.
    func testSingleHeadNormSummedEqualsNorm() throws {
        let T = 5, C = 8
        var rng = SplitMix64(seed: Self.seed)
        func rand(_ n: Int) -> [Float] { (0..<n).map { _ in Float.random(in: -1...1, using: &rng) } }
        var alpha = (0..<(T * T)).map { _ in Float.random(in: 0.01...1, using: &rng) }
        alpha.withUnsafeMutableBufferPointer { Reference.softmaxRows($0.baseAddress!, rows: T, cols: T) }
        let x = rand(T * C), v = rand(T * C)
        let params = AttentionOutputParameters(outputWeight: rand(C * C), outputBias: rand(C), norm: .postLayerNorm, normWeight: rand(C),
                                               normBias: rand(C), normEps: 1e-5)
        var taps = LayerTaps(layer: 0, parameters: params)
        taps.input = Tensor(shape: [T, C], data: x)
        taps.attention = Tensor(shape: [1, T, T], data: alpha)
        taps.values = Tensor(shape: [T, C], data: v)
        taps.residualSum = Tensor(shape: [T, C], data: rand(T * C))
        let d = NormDecomposition(taps: taps, heads: 1, normAfterBlock: true)
        let c = Comparison(expected: d.norm().data, actual: d.normSummed().data, tolerance: 1e-5)
        XCTAssertTrue(c.ok, "seed \(Self.seed): \(c)")
    }

    /// The SIMD Gram kernels against their plain references on awkward sizes.
    func testGramKernelsMatchReferences() {
        forEachVariant { isa in
            var rng = SplitMix64(seed: Self.seed)
            for (T, NH, C) in [(1, 1, 3), (7, 3, 17), (33, 4, 32), (129, 12, 40)] {
                let u = (0..<(NH * T * C)).map { _ in Float.random(in: -1...1, using: &rng) }
                let g = GramQuadraticForm.gram(u, T: T, C: C, NH: NH)
                let gRef = GramQuadraticForm.gramReference(u, T: T, C: C, NH: NH)
                XCTAssertTrue(Comparison(expected: gRef, actual: g, tolerance: 1e-4 * Float(C)).ok, "seed \(Self.seed): gram T=\(T) NH=\(NH)")
                let alpha = (0..<(NH * T * T)).map { _ in Float.random(in: 0...1, using: &rng) }
                let scale = (0..<T).map { _ in Float.random(in: 0.5...2, using: &rng) }
                let e = GramQuadraticForm.evaluate(alpha: alpha, gram: gRef, T: T, NH: NH, rowScale: scale)
                let eRef = GramQuadraticForm.evaluateReference(alpha: alpha, gram: gRef, T: T, NH: NH, rowScale: scale)
                let c = Comparison(expected: eRef, actual: e, tolerance: 1e-3)
                XCTAssertTrue(c.ok, "seed \(Self.seed): evaluate T=\(T) NH=\(NH): \(c)")
            }

        }
    }
}

extension NormDecompositionTests {
    /// The fused two-form kernel against two single evaluations, on awkward sizes.
    func testFusedQuadraticFormsMatchSingleOnes() {
        forEachVariant { isa in
            var rng = SplitMix64(seed: Self.seed)
            for (T, NH) in [(1, 1), (7, 3), (16, 4), (33, 12), (129, 5)] {
                let P = GramQuadraticForm.pairCount(NH)
                let ga = (0..<(P * T)).map { _ in Float.random(in: 0...1, using: &rng) }, gb = (0..<(P * T)).map { _ in Float.random(in: 0...1, using: &rng) }
                let alpha = (0..<(NH * T * T)).map { _ in Float.random(in: 0...1, using: &rng) }
                let scale = (0..<T).map { _ in Float.random(in: 0.5...2, using: &rng) }
                let (a, b) = GramQuadraticForm.evaluateTwo(alpha: alpha, gramA: ga, gramB: gb, T: T, NH: NH, rowScaleB: scale)
                let ra = GramQuadraticForm.evaluateReference(alpha: alpha, gram: ga, T: T, NH: NH, rowScale: nil)
                let rb = GramQuadraticForm.evaluateReference(alpha: alpha, gram: gb, T: T, NH: NH, rowScale: scale)
                XCTAssertTrue(Comparison(expected: ra, actual: a, tolerance: 1e-3).ok, "seed \(Self.seed): form A T=\(T) NH=\(NH)")
                XCTAssertTrue(Comparison(expected: rb, actual: b, tolerance: 1e-3).ok, "seed \(Self.seed): form B T=\(T) NH=\(NH)")
            }

        }
    }
}
