import HeedAnalysis
import HeedCheckpoints
import HeedKernels
import HeedModels
import HeedTestSupport
import XCTest

/// ALTI, alti-rollout, GlobEnc and value zeroing against the direct references of
/// Tests/Fixtures/generate_method_fixtures.py (T x T x C in float64, the authors' conventions):
/// within 1e-4 of each row's largest value, on a post-LN encoder and two pre-norm decoders.
final class MethodFixtureTests: XCTestCase {
    static let models = ["tiny-bert", "tiny-llama", "tiny-qwen2"]

    /// The network of a tiny fixture model (tiny-bert has no tokenizer.json: its encoder alone).
    static func network(_ model: String) throws -> TransformerModel {
        if model == "tiny-bert" { return try NormDecompositionTests.encoder(model) }
        return try LoadedModel.load(id: model, directory: Fixtures.url("models/\(model)")).network
    }

    /// The methods of the fixture a model supports (globenc for post-LN encoders only).
    static func methods(for network: TransformerModel) -> [AnalysisMethod] {
        let all: [AnalysisMethod] = [.alti, .valueZeroing, .altiRollout, .globenc]
        return all.filter(AnalysisMethod.supported(attentionNorm: network.attentionNorm).contains)
    }

    func testMethodsMatchDirectReferences() throws {
        for model in Self.models {
            let network = try Self.network(model)
            let manifest = try Fixtures.json("analysis/\(model)/methods.json")
            let methods = Self.methods(for: network)
            XCTAssertEqual(Set(methods.map(\.rawValue)), Set(manifest["methods"] as! [String]), model)
            for c in manifest["cases"] as! [[String: Any]] {
                let ids = c["input_ids"] as! [Int], T = ids.count
                let file = try SafeTensorsFile(url: Fixtures.url("analysis/\(model)/\(c["file"] as! String)"))
                let forward = try network.forward(ids, taps: .full, finalHiddenState: false, isCancelled: { false })
                let result = try Analyzer.analyze(modelID: model, forward: forward, table: .empty,
                                                  options: AnalyzeOptions(methods: methods), rerun: network as? LayerRerunning)
                var actual: [String: [Float]] = [:]
                for layer in result.layers {
                    for (method, value) in layer.values {
                        if case let .tensor(t) = value { actual["layer\(layer.layer).\(method.rawValue)"] = t.data }
                    }
                }
                actual["alti-rollout"] = result.altiRollout?.data
                actual["globenc"] = result.globenc?.data
                var checked = 0
                for name in file.tensorNames where name != "input_ids" {
                    let e = try file.tensor(name).data
                    guard let a = actual[name] else { XCTFail("\(model) \(c["name"]!): Heed computed no \(name)"); continue }
                    XCTAssertEqual(e.count, a.count, "\(model) \(name)")
                    guard e.count == a.count else { continue }
                    for start in stride(from: 0, to: e.count, by: T) {
                        let row = start..<(start + T)
                        let scale = max(e[row].map(abs).max() ?? 0, 1e-12)
                        let cmp = Comparison(expected: Array(e[row]), actual: Array(a[row]), tolerance: 1e-4 * scale)
                        XCTAssertTrue(cmp.ok, "\(model) \(c["name"]!) \(name) row \(start / T): \(cmp)")
                        if !cmp.ok { break }
                    }
                    checked += 1
                }
                // 2 layers x (alti, value-zeroing) + alti-rollout (+ globenc).
                XCTAssertEqual(checked, network.attentionNorm.isAfterBlock ? 6 : 5, "\(model) \(c["name"]!): keys compared")
            }
        }
    }

    /// GlobEnc needs the LayerNorms after the block: a decoder answers with the method and the
    /// supported list (protocol: -32012).
    func testGlobEncIsNotDefinedForDecoders() throws {
        let network = try Self.network("tiny-llama")
        XCTAssertThrowsError(try Analyzer.validate(AnalyzeOptions(methods: [.globenc]), layerCount: network.layerCount,
                                                   attentionNorm: network.attentionNorm)) { error in
            guard case let AnalysisError.unsupportedMethod(m, supported)? = error as? AnalysisError else { return XCTFail("\(error)") }
            XCTAssertEqual(m, .globenc)
            XCTAssertTrue(supported.contains(.alti) && supported.contains(.valueZeroing) && !supported.contains(.globenc))
            XCTAssertTrue("\(error)".contains("globenc"))
        }
        XCTAssertTrue(AnalysisMethod.highlightable(attentionNorm: network.attentionNorm).contains(.altiRollout))
        XCTAssertFalse(AnalysisMethod.highlightable(attentionNorm: network.attentionNorm).contains(.globenc))
    }

    /// Without the model (taps alone), the methods that re-run a layer are refused, not guessed.
    func testRerunMethodsNeedTheModel() throws {
        let network = try Self.network("tiny-bert")
        let forward = try network.forward([2, 5, 7, 3], taps: .full, finalHiddenState: false, isCancelled: { false })
        for m in [AnalysisMethod.valueZeroing, .globenc] {
            XCTAssertThrowsError(try Analyzer.analyze(modelID: "m", forward: forward, table: .empty, options: AnalyzeOptions(methods: [m]))) {
                guard case AnalysisError.unsupportedMethod(m, _)? = $0 as? AnalysisError else { return XCTFail("\($0)") }
            }
        }
    }

    /// ALTI rows sum to 1 and are non-negative; decoders attribute nothing to later tokens.
    func testAltiRowsAreDistributions() throws {
        for model in Self.models {
            let network = try Self.network(model)
            let ids = Array(1...20)
            let forward = try network.forward(ids, taps: .full, finalHiddenState: false, isCancelled: { false })
            let result = try Analyzer.analyze(modelID: model, forward: forward, table: .empty, options: AnalyzeOptions(methods: [.alti, .altiRollout]))
            let T = ids.count
            for m in result.layers.compactMap({ l -> [Float]? in if case let .tensor(t) = l.values[0].value { return t.data }; return nil }) + [result.altiRollout!.data] {
                for i in 0..<T {
                    let row = m[(i * T)..<((i + 1) * T)]
                    XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4, "\(model) row \(i)")
                    XCTAssertTrue(row.allSatisfy { $0 >= 0 })
                    if network.causal { XCTAssertTrue(row.dropFirst(i + 1).allSatisfy { $0 == 0 }, "\(model) row \(i) beyond the diagonal") }
                }
            }
        }
    }

    /// Value zeroing reports progress up to 1 and stops between batches when cancelled.
    func testValueZeroingProgressAndCancellation() throws {
        let network = try Self.network("tiny-bert")
        let ids = Array(1...40)
        let forward = try network.forward(ids, taps: .full, finalHiddenState: false, isCancelled: { false })
        var fractions: [Double] = []
        _ = try Analyzer.analyze(modelID: "m", forward: forward, table: .empty, options: AnalyzeOptions(methods: [.valueZeroing]),
                                 rerun: network as? LayerRerunning, progress: { fractions.append($0) })
        XCTAssertFalse(fractions.isEmpty)
        XCTAssertEqual(fractions, fractions.sorted(), "progress never goes back")
        XCTAssertEqual(fractions.last!, 1, accuracy: 1e-9)
        var calls = 0
        XCTAssertThrowsError(try Analyzer.analyze(modelID: "m", forward: forward, table: .empty, options: AnalyzeOptions(methods: [.valueZeroing]),
                                                  rerun: network as? LayerRerunning, isCancelled: { calls += 1; return calls > 2 })) {
            XCTAssertEqual($0 as? ForwardError, .cancelled)
        }
    }
}

extension MethodFixtureTests {
    /// GlobEnc centres like a LayerNorm: a post-block RMSNorm model does not get it (and is not
    /// crashed by it), while attn-res-ln stays.
    func testGlobEncNeedsALayerNormAfterTheBlock() {
        let rms = NormSpec(kind: .rmsNorm, placement: .afterBlock)
        XCTAssertFalse(AnalysisMethod.supported(attentionNorm: rms).contains(.globenc))
        XCTAssertTrue(AnalysisMethod.supported(attentionNorm: rms).contains(.attnResLn))
        XCTAssertFalse(AnalysisMethod.highlightable(attentionNorm: rms).contains(.globenc))
        XCTAssertThrowsError(try Analyzer.validate(AnalyzeOptions(methods: [.globenc]), layerCount: 2, attentionNorm: rms))
        XCTAssertTrue(AnalysisMethod.supported(attentionNorm: .postLayerNorm).contains(.globenc))
    }
}
