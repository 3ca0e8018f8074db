// A forward pass streamed into the analysis layer by layer (what Pipeline does when every
// layer's taps would exceed Pipeline.keptTapsLimitBytes) gives exactly the analysis of the
// kept taps, for every method of an encoder and a decoder, rollouts included, token and word
// granularity; and only the layers a method reads are recorded.

import HeedAnalysis
import HeedModels
import HeedTestSupport
import HeedTokenizers
import XCTest

final class StreamedAnalysisTests: XCTestCase {
    private func values(_ r: AnalyzeResult) -> [String: [Float]] {
        var out: [String: [Float]] = [:]
        for layer in r.layers {
            for (m, v) in layer.values {
                switch v {
                case let .tensor(t): out["\(layer.layer).\(m.rawValue)"] = t.data
                case let .vectors(named): for (k, x) in named { out["\(layer.layer).\(k)"] = x }
                }
            }
        }
        for m in AnalysisMethod.allCases where m.isAcrossLayers { out[m.rawValue] = r.acrossLayers(m)?.data }
        return out
    }

    func testStreamedEqualsKeptForEveryMethod() throws {
        for name in ["tiny-roberta-bpe", "tiny-llama"] {
            let model = try LoadedModel.load(id: name, directory: Fixtures.url("models/\(name)"))
            let net = try model.network
            let text = "The river town woke slowly on winter mornings, before the sun cleared the hills."
            let encoded = model.tokenizer.encode(text)
            let table = TokenTable(text: text, encoded: encoded, encoding: .utf16, tokenizer: model.tokenizer)
            for granularity in [Granularity.token, .word] {
                for layers in [nil, [1]] as [[Int]?] {
                    let options = AnalyzeOptions(methods: AnalysisMethod.supported(attentionNorm: net.attentionNorm), layers: layers,
                                                 granularity: granularity)
                    var recorded: [Int] = []
                    let forward: Pipeline.Forward = { ids, request in
                        let r = try net.forward(ids, taps: request, finalHiddenState: false, isCancelled: { false })
                        if request.consumer != nil { XCTAssertTrue(r.layers.isEmpty, "streamed taps are not kept") }
                        recorded = (0..<net.layerCount).filter { request.level(for: $0) != .none }
                        return r
                    }
                    let kept = try Pipeline.run(model: model, ids: encoded.ids, table: table, options: options, forward: forward, streamed: false)
                    let streamed = try Pipeline.run(model: model, ids: encoded.ids, table: table, options: options, forward: forward, streamed: true)
                    // Rollouts read every layer.
                    XCTAssertEqual(recorded, [0, 1], "\(name)")
                    let a = values(kept), b = values(streamed)
                    XCTAssertEqual(Set(a.keys), Set(b.keys), "\(name)")
                    XCTAssertGreaterThan(a.count, 10, "\(name)")
                    for (k, v) in a { XCTAssertEqual(v, b[k], "\(name) \(granularity) \(k)") }
                    XCTAssertEqual(kept.layers.map(\.layer), streamed.layers.map(\.layer), "\(name)")
                }
            }
            // One layer without a rollout: only that layer is recorded.
            let options = AnalyzeOptions(methods: [.normSummed], layers: [1])
            var recorded: [Int] = []
            let forward: Pipeline.Forward = { ids, request in
                recorded = (0..<net.layerCount).filter { request.level(for: $0) != .none }
                return try net.forward(ids, taps: request, finalHiddenState: false, isCancelled: { false })
            }
            let r = try Pipeline.run(model: model, ids: encoded.ids, table: table, options: options, forward: forward, streamed: true)
            XCTAssertEqual(recorded, [1], name)
            XCTAssertEqual(r.layers.map(\.layer), [1], name)
        }
    }

    /// Streaming is chosen by the size of every layer's taps: SmolLM2 (30 layers, 9 heads, C =
    /// 576) keeps them at T = 256 and streams from about T = 380; MiniLM keeps them at 512.
    func testStreamingThreshold() {
        XCTAssertEqual(Pipeline.fullTapBytes(layers: 30, heads: 9, hidden: 576, tokens: 2048), 4 * 30 * (9 * 2048 * 2048 + 4 * 2048 * 576))
        XCTAssertLessThanOrEqual(Pipeline.fullTapBytes(layers: 30, heads: 9, hidden: 576, tokens: 256), Pipeline.keptTapsLimitBytes)
        XCTAssertGreaterThan(Pipeline.fullTapBytes(layers: 30, heads: 9, hidden: 576, tokens: 400), Pipeline.keptTapsLimitBytes)
        XCTAssertLessThanOrEqual(Pipeline.fullTapBytes(layers: 6, heads: 12, hidden: 384, tokens: 512), Pipeline.keptTapsLimitBytes)
    }
}
