import HeedAnalysis
import HeedKernels
import HeedModels
import XCTest

/// The family-neutral tap contract: grouped-query attention (NKV < NH), no output bias, an
/// RMSNorm after the block, T_q x T_k attention, per-row masks. Hand-built taps, checked against
/// the direct computation (every per-head vector materialised, in Double).
final class TapContractTests: XCTestCase {
    struct Rng {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 1000
        }
        mutating func array(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
    }

    /// alpha (NH, TQ, TK), rows summing to 1 over the keys `mask` leaves visible.
    static func alpha(_ rng: inout Rng, NH: Int, TQ: Int, TK: Int, mask: AttentionMask) -> [Float] {
        var a = [Float](repeating: 0, count: NH * TQ * TK)
        for h in 0..<NH {
            for i in 0..<TQ {
                let keys = mask.visibleKeys(row: i, keys: TK)
                var s: Float = 0
                for j in keys { let v = abs(rng.next()) + 0.01; a[(h * TQ + i) * TK + j] = v; s += v }
                for j in keys { a[(h * TQ + i) * TK + j] /= s }
            }
        }
        return a
    }

    /// Taps of one self-attention site: C = 16, NH = 4, HS = 4, NKV as given, T tokens, no b_O.
    static func taps(NKV: Int, norm: NormSpec, T: Int = 5, mask: AttentionMask = .causal, seed: UInt64 = 7) -> LayerTaps {
        var rng = Rng(state: seed)
        let C = 16, NH = 4, HS = 4
        let params = AttentionOutputParameters(outputWeight: rng.array(C * NH * HS), outputBias: nil, norm: norm,
                                               normWeight: rng.array(C).map { 1 + $0 / 2 }, normBias: nil, normEps: 1e-6)
        var t = LayerTaps(site: AttentionSite(layer: 0), geometry: AttentionGeometry(heads: NH, kvHeads: NKV, headSize: HS, queries: T, keys: T),
                          mask: mask, parameters: params)
        t.input = Tensor(shape: [T, C], data: rng.array(T * C))
        t.attention = Tensor(shape: [NH, T, T], data: alpha(&rng, NH: NH, TQ: T, TK: T, mask: mask))
        t.values = Tensor(shape: [T, NKV * HS], data: rng.array(T * NKV * HS))
        t.residualSum = Tensor(shape: [T, C], data: rng.array(T * C))
        return t
    }

    /// The same taps with each K/V head repeated for its query heads (NKV = NH).
    static func expanded(_ t: LayerTaps) -> LayerTaps {
        let g = t.geometry!, HS = g.headSize, NH = g.heads, T = g.keys
        var e = LayerTaps(site: t.site, geometry: AttentionGeometry(heads: NH, kvHeads: NH, headSize: HS, queries: g.queries, keys: T),
                          mask: t.mask, parameters: t.parameters)
        e.input = t.input; e.attention = t.attention; e.residualSum = t.residualSum
        let v = t.values!.data
        var out = [Float](repeating: 0, count: T * NH * HS)
        for j in 0..<T { for h in 0..<NH { for k in 0..<HS { out[j * NH * HS + h * HS + k] = v[j * g.kvHeads * HS + g.kvHead(of: h) * HS + k] } } }
        e.values = Tensor(shape: [T, NH * HS], data: out)
        return e
    }

    /// Direct ||g_i(r_ij)|| with g_i the RMSNorm map (no centring), (T, T).
    static func directAttnResRMS(_ t: LayerTaps) -> [Double] {
        let g = t.geometry!, NH = g.heads, HS = g.headSize, T = g.keys, C = t.input!.shape[1], NKV = g.kvHeads
        let v = t.values!.data, W = t.parameters.outputWeight, a = t.attention!.data, x = t.input!.data, y = t.residualSum!.data
        let gamma = t.parameters.normWeight, eps = Double(t.parameters.normEps)
        var out = [Double](repeating: 0, count: T * T)
        for i in 0..<T {
            let ms = (0..<C).reduce(0.0) { $0 + Double(y[i * C + $1]) * Double(y[i * C + $1]) } / Double(C)
            let s = (ms + eps).squareRoot()
            for j in 0..<T {
                var r = [Double](repeating: 0, count: C)
                for h in 0..<NH {
                    let alpha = Double(a[(h * T + i) * T + j])
                    for o in 0..<C {
                        var f = 0.0
                        for k in 0..<HS { f += Double(v[j * NKV * HS + g.kvHead(of: h) * HS + k]) * Double(W[o * NH * HS + h * HS + k]) }
                        r[o] += alpha * f
                    }
                }
                if i == j { for o in 0..<C { r[o] += Double(x[i * C + o]) } }
                out[i * T + j] = (0..<C).reduce(0.0) { let e = r[$1] * Double(gamma[$1]) / s; return $0 + e * e }.squareRoot()
            }
        }
        return out
    }

    static func assertClose(_ a: [Float], _ b: [Float], _ tolerance: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, what, file: file, line: line)
    }

    func testGroupedQueryAttentionEqualsRepeatedKVHeads() {
        for norm in [NormSpec.preRMSNorm, NormSpec(kind: .rmsNorm, placement: .afterBlock), .postLayerNorm] {
            let gqa = Self.taps(NKV: 2, norm: norm), full = Self.expanded(gqa)
            let a = NormDecomposition(taps: gqa), b = NormDecomposition(taps: full)
            Self.assertClose(a.valueNorm().data, b.valueNorm().data, 1e-5, "value-norm \(norm)")
            Self.assertClose(a.norm().data, b.norm().data, 1e-5, "norm \(norm)")
            Self.assertClose(a.normSummed().data, b.normSummed().data, 1e-4, "norm-summed \(norm)")
            Self.assertClose(a.attnRes().data, b.attnRes().data, 1e-4, "attn-res \(norm)")
            if norm.isAfterBlock { Self.assertClose(a.attnResLn().data, b.attnResLn().data, 1e-4, "attn-res-ln \(norm)") }
        }
    }

    func testRMSNormAfterTheBlockMatchesTheDirectRoute() {
        for NKV in [1, 2, 4] {
            let t = Self.taps(NKV: NKV, norm: NormSpec(kind: .rmsNorm, placement: .afterBlock), seed: UInt64(NKV))
            let d = NormDecomposition(taps: t)
            let direct = Self.directAttnResRMS(t)
            let scale = Float(direct.max() ?? 1)
            Self.assertClose(d.attnResLn().data, direct.map { Float($0) }, 1e-4 * scale, "attn-res-ln RMSNorm NKV \(NKV)")
        }
    }

    func testAnalyzerReadsGeometryAndNormFromTheTaps() throws {
        let pre = Self.taps(NKV: 2, norm: .preRMSNorm)
        let forward = ForwardResult(tokenIDs: Array(0..<5), hiddenStates: [], layers: [pre])
        // A pre-norm model has no attn-res-ln.
        XCTAssertThrowsError(try Analyzer.analyze(modelID: "t", forward: forward, table: .empty, options: AnalyzeOptions(methods: [.attnResLn])))
        let r = try Analyzer.analyze(modelID: "t", forward: forward, table: .empty,
                                     options: AnalyzeOptions(methods: [.normSummed, .normRollout]))
        guard case let .tensor(t)? = r.layers.first?.values.first?.value else { return XCTFail("no norm-summed") }
        Self.assertClose(t.data, NormDecomposition(taps: Self.expanded(pre)).normSummed().data, 1e-4, "norm-summed via Analyzer")
        XCTAssertEqual(r.normRollout?.shape, [5, 5])
        XCTAssertEqual(AnalysisMethod.supported(attentionNorm: .preRMSNorm).contains(.attnResLn), false)
        XCTAssertEqual(AnalysisMethod.supported(attentionNorm: NormSpec(kind: .rmsNorm, placement: .afterBlock)).contains(.attnResLn), true)
    }

    func testNonSquareAttentionNorm() {
        var rng = Rng(state: 3)
        let C = 8, NH = 2, HS = 4, TQ = 3, TK = 5
        let params = AttentionOutputParameters(outputWeight: rng.array(C * NH * HS), outputBias: nil, norm: .preRMSNorm,
                                               normWeight: [Float](repeating: 1, count: C), normBias: nil, normEps: 1e-6)
        var t = LayerTaps(site: AttentionSite(layer: 0, kind: .crossAttention),
                          geometry: AttentionGeometry(heads: NH, kvHeads: 1, headSize: HS, queries: TQ, keys: TK), mask: .none, parameters: params)
        t.input = Tensor(shape: [TQ, C], data: rng.array(TQ * C))
        t.attention = Tensor(shape: [NH, TQ, TK], data: Self.alpha(&rng, NH: NH, TQ: TQ, TK: TK, mask: .none))
        t.values = Tensor(shape: [TK, HS], data: rng.array(TK * HS))
        t.residualSum = Tensor(shape: [TQ, C], data: rng.array(TQ * C))
        let d = NormDecomposition(taps: t)
        let n = d.norm(), vn = d.valueNorm()
        XCTAssertEqual(n.shape, [NH, TQ, TK])
        XCTAssertEqual(vn.shape, [NH, TK])
        for h in 0..<NH { for i in 0..<TQ { for j in 0..<TK {
            XCTAssertEqual(n.data[(h * TQ + i) * TK + j], t.attention!.data[(h * TQ + i) * TK + j] * vn.data[h * TK + j], accuracy: 1e-6)
        } } }
        XCTAssertEqual(t.site.description, "layer 0 cross-attention")
    }

    func testMasks() {
        XCTAssertEqual(AttentionMask.causal.visibleKeys(row: 2, keys: 5), 0..<3)
        XCTAssertEqual(AttentionMask.none.visibleKeys(row: 2, keys: 5), 0..<5)
        XCTAssertEqual(AttentionMask.rows([1..<2, 0..<4]).visibleKeys(row: 1, keys: 5), 0..<4)
        let t = Self.taps(NKV: 1, norm: .preRMSNorm, mask: .causal)
        for h in 0..<4 { for i in 0..<5 { for j in (i + 1)..<5 { XCTAssertEqual(t.attention!.data[(h * 5 + i) * 5 + j], 0) } } }
    }
}
