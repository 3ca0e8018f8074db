import HeedModels
import HeedTestSupport
import XCTest

/// Value zeroing's factored re-runs (`ValueZeroingRerunning.zeroing`: the first feed-forward
/// product assembled from per-token products) against the plain re-run of the rows
/// y_i - z_ij (`LayerRerunning.afterAttention`), on a post-LN encoder and a pre-norm decoder,
/// with random residual sums, head vectors and weights (zeros included).
final class LayerZeroingTests: XCTestCase {
    func testFactoredEqualsPlainRerun() throws {
        for name in ["tiny-bert", "tiny-llama", "tiny-qwen2"] {
            let network = try MethodFixtureTests.network(name)
            let model = try XCTUnwrap(network as? ValueZeroingRerunning, name)
            let T = 9, NH = network.headCount, C = network.hiddenSize
            var state: UInt64 = 11
            func random() -> Float {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
            }
            let y = (0..<(T * C)).map { _ in 2 * random() }
            let f = (0..<(NH * T * C)).map { _ in random() }
            var alpha = (0..<(NH * T * T)).map { _ in abs(random()) }
            for h in 0..<NH { alpha[(h * T + 3) * T + 5] = 0 }   // one pair with every weight 0
            let pairs: [(j: Int, i: Int)] = [(0, 0), (5, 3), (2, 7), (8, 8), (1, 4)]
            for layer in 0..<network.layerCount {
                var factored = [Float](repeating: 0, count: pairs.count * C)
                let zeroing = model.zeroing(layer: layer, residualSum: y, tokens: T, headVectors: f, heads: NH)
                alpha.withUnsafeBufferPointer { a in factored.withUnsafeMutableBufferPointer { zeroing.outputs(alpha: a.baseAddress!, pairs: pairs, into: $0.baseAddress!) } }
                var rows = [Float](repeating: 0, count: pairs.count * C)
                for (r, (j, i)) in pairs.enumerated() {
                    for c in 0..<C {
                        var v = y[i * C + c]
                        for h in 0..<NH { v -= alpha[(h * T + i) * T + j] * f[(h * T + j) * C + c] }
                        rows[r * C + c] = v
                    }
                }
                var plain = [Float](repeating: 0, count: pairs.count * C)
                rows.withUnsafeBufferPointer { rp in plain.withUnsafeMutableBufferPointer {
                    model.afterAttention(layer: layer, residualSum: rp.baseAddress!, rows: pairs.count, secondNormInput: nil, output: $0.baseAddress!)
                } }
                let scale = plain.map(abs).max() ?? 1
                let cmp = Comparison(expected: plain, actual: factored, tolerance: 1e-5 * max(1, scale))
                XCTAssertTrue(cmp.ok, "\(name) layer \(layer): \(cmp)")
            }
        }
    }
}
