import HeedCheckpoints
import HeedKernels
@testable import HeedAnalysis
@testable import HeedModels
import HeedTestSupport
import XCTest

/// The special-token and mixing-ratio statistics on the tiny BERT fixture (no tokenizer: token
/// classes are made by hand), against a direct computation from the taps.
final class ExperimentsStatisticsTests: XCTestCase {
    static func encoder() throws -> BertEncoder {
        let dir = Fixtures.url("models/tiny-bert")
        return try BertEncoder(config: ModelConfig.load(from: dir.appendingPathComponent("config.json")), checkpoint: Checkpoint(directory: dir))
    }

    /// Three sentences; the second has no punctuation, the third two [SEP] tokens (a pair).
    static let sentences: [(ids: [Int], classes: [TokenClass])] = [
        ([2, 17, 42, 5, 99, 8, 3], [.cls, .other, .other, .punctuation, .other, .punctuation, .sep]),
        ([2, 11, 12, 13, 3], [.cls, .other, .other, .other, .sep]),
        ([2, 30, 5, 31, 3, 40, 41, 3], [.cls, .other, .punctuation, .other, .sep, .other, .other, .sep]),
    ]

    /// weight, norm and ||f|| per (layer, head, class) for one sentence, straight from the taps
    /// (||f^h(x_j)|| from the direct per-head vectors, in Double).
    func direct(_ fwd: ForwardResult, classes: [TokenClass], heads NH: Int) -> [[[(w: Double, n: Double, f: Double?)]]] {
        let T = fwd.tokenCount
        return fwd.layers.map { taps in
            let ref = DirectDecomposition(taps: taps, heads: NH)
            let fNorm = ref.valueNorm()
            return (0..<NH).map { h in
                TokenClass.allCases.map { c in
                    let cols = (0..<T).filter { classes[$0] == c }
                    var w = 0.0, n = 0.0
                    for i in 0..<T { for j in cols {
                        w += ref.a(h, i, j)
                        n += ref.a(h, i, j) * Double(fNorm[h * T + j])
                    } }
                    let f: Double? = cols.isEmpty ? nil : cols.map { Double(fNorm[h * T + $0]) }.reduce(0, +) / Double(cols.count)
                    return (w / Double(T), n / Double(T), f)
                }
            }
        }
    }

    func testSpecialTokenStatisticsMatchDirectComputation() throws {
        let enc = try Self.encoder()
        let NH = enc.config.numHeads, L = enc.config.numLayers
        var stats = SpecialTokenStatistics(layers: L, heads: NH)
        var perSentence: [[[[(w: Double, n: Double, f: Double?)]]]] = []
        var pairsA = [[[Float]]](repeating: [[Float]](repeating: [], count: 4), count: L)
        var pairsF = pairsA
        for s in Self.sentences {
            let fwd = try enc.forward(s.ids, taps: .full)
            stats.add(classes: s.classes, forward: fwd)
            perSentence.append(direct(fwd, classes: s.classes, heads: NH))
            let T = s.ids.count
            for taps in fwd.layers {
                let fNorm = DirectDecomposition(taps: taps, heads: NH).valueNorm()
                for h in 0..<NH { for i in 0..<T { for j in 0..<T {
                    pairsA[taps.layer][s.classes[j].rawValue].append(taps.attention!.data[(h * T + i) * T + j])
                    pairsF[taps.layer][s.classes[j].rawValue].append(fNorm[h * T + j])
                } } }
            }
        }
        let r = stats.result()
        XCTAssertEqual(r.sentences, 3)
        XCTAssertEqual(r.classSentences, [3, 3, 2, 3])
        XCTAssertFalse(r.sampled)
        let tol = 1e-4
        for l in 0..<L {
            let layer = r.layers[l]
            XCTAssertEqual(layer.layer, l)
            var meanW = [Double](repeating: 0, count: 4), meanN = meanW, meanF = meanW
            for h in 0..<NH {
                for c in TokenClass.allCases {
                    let k = c.rawValue
                    let w = perSentence.map { $0[l][h][k].w }.reduce(0, +) / 3
                    let n = perSentence.map { $0[l][h][k].n }.reduce(0, +) / 3
                    let fs = perSentence.compactMap { $0[l][h][k].f }   // sentences without the class do not count
                    let f = fs.reduce(0, +) / Double(fs.count)
                    let got = layer.heads[h][k]
                    XCTAssertEqual(got.weight, w, accuracy: tol, "layer \(l) head \(h) \(c) weight")
                    XCTAssertEqual(got.norm, n, accuracy: tol * max(1, n), "layer \(l) head \(h) \(c) norm")
                    XCTAssertEqual(try XCTUnwrap(got.valueNorm), f, accuracy: tol * max(1, f), "layer \(l) head \(h) \(c) ||f||")
                    meanW[k] += w / Double(NH); meanN[k] += n / Double(NH); meanF[k] += f / Double(NH)
                }
            }
            for k in 0..<4 {
                XCTAssertEqual(layer.classes[k].weight, meanW[k], accuracy: tol)
                XCTAssertEqual(layer.classes[k].norm, meanN[k], accuracy: tol * max(1, meanN[k]))
                XCTAssertEqual(try XCTUnwrap(layer.classes[k].valueNorm), meanF[k], accuracy: tol * max(1, meanF[k]))
            }
            // Rows of alpha sum to 1 and the classes partition the columns: raw weights sum to 1.
            XCTAssertEqual(layer.classes.map(\.weight).reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertEqual(layer.weightShares.reduce(0, +), 1, accuracy: 1e-12)
            XCTAssertEqual(layer.normShares.reduce(0, +), 1, accuracy: 1e-12)
            let normTotal = layer.classes.map(\.norm).reduce(0, +)
            for k in 0..<4 { XCTAssertEqual(layer.normShares[k], layer.classes[k].norm / normTotal, accuracy: 1e-12) }
            for k in 0..<4 {
                let expected = Spearman.rho(pairsA[l][k], pairsF[l][k])
                XCTAssertEqual(try XCTUnwrap(layer.rho[k]), try XCTUnwrap(expected), accuracy: 1e-3, "layer \(l) rho \(k)")
            }
        }
        for k in 0..<4 {
            let expected = Spearman.rho(pairsA.flatMap { $0[k] }, pairsF.flatMap { $0[k] })
            XCTAssertEqual(try XCTUnwrap(r.rho[k]), try XCTUnwrap(expected), accuracy: 1e-3, "pooled rho \(k)")
            XCTAssertEqual(r.pairs[k], pairsA.map { $0[k].count }.reduce(0, +))
        }
        XCTAssertEqual(r.pairs.reduce(0, +), L * NH * Self.sentences.map { $0.ids.count * $0.ids.count }.reduce(0, +))
    }

    /// A class missing from every sentence: weight and norm 0, ||f|| undefined, no rho.
    func testMissingClassAndReservoir() throws {
        let enc = try Self.encoder()
        var stats = SpecialTokenStatistics(layers: enc.config.numLayers, heads: enc.config.numHeads, maxPairsPerLayerAndClass: 10)
        let s = Self.sentences[1]
        stats.add(classes: s.classes, forward: try enc.forward(s.ids, taps: .full))
        let r = stats.result()
        XCTAssertEqual(r.classSentences, [1, 1, 0, 1])
        XCTAssertTrue(r.sampled, "the 'other' class has more than 10 pairs per layer")
        for layer in r.layers {
            XCTAssertEqual(layer.classes[TokenClass.punctuation.rawValue].weight, 0)
            XCTAssertEqual(layer.classes[TokenClass.punctuation.rawValue].norm, 0)
            XCTAssertNil(layer.classes[TokenClass.punctuation.rawValue].valueNorm)
            XCTAssertNil(layer.rho[TokenClass.punctuation.rawValue])
            XCTAssertNotNil(layer.rho[TokenClass.other.rawValue])
            XCTAssertEqual(layer.weightShares.reduce(0, +), 1, accuracy: 1e-12)
        }
        XCTAssertEqual(r.pairs[TokenClass.other.rawValue], enc.config.numLayers * enc.config.numHeads * 5 * 3)
        let text = ExperimentTables.specialTokens(r)
        XCTAssertTrue(text.contains("n/a"))
        XCTAssertTrue(text.contains("sample of 10 pairs"))
    }

    func testMixingStatisticsMatchDirectComputation() throws {
        let enc = try Self.encoder()
        let NH = enc.config.numHeads, L = enc.config.numLayers
        var stats = MixingRatioStatistics(layers: L, heads: NH, normAfterBlock: true)
        var all: [String: [Double]] = [:]
        var perLayer = [[String: [Double]]](repeating: [:], count: L)
        for s in Self.sentences {
            let fwd = try enc.forward(s.ids, taps: .full)
            stats.add(forward: fwd)
            for taps in fwd.layers {
                for (key, values) in DirectDecomposition(taps: taps, heads: NH).mixing() {
                    all[key, default: []] += values.map(Double.init)
                    perLayer[taps.layer][key, default: []] += values.map(Double.init)
                }
            }
        }
        let r = stats.result()
        XCTAssertEqual(r.sentences, 3)
        XCTAssertEqual(r.rows.map(\.label), ["Attn-W", "Attn-N", "AttnRes-W", "AttnRes-N", "AttnResLn-N"])
        let tokens = Self.sentences.map(\.ids.count).reduce(0, +)
        for row in r.rows {
            let expected = try XCTUnwrap(all[row.key], row.key)
            XCTAssertEqual(row.count, L * tokens)
            XCTAssertEqual(expected.count, L * tokens)
            XCTAssertEqual(row.mean, expected.reduce(0, +) / Double(expected.count), accuracy: 1e-4, row.key)
            XCTAssertEqual(Double(row.max), expected.max()!, accuracy: 1e-4, row.key)
            XCTAssertEqual(Double(row.min), expected.min()!, accuracy: 1e-4, row.key)
            XCTAssertTrue(row.min >= 0 && row.max <= 1)
            for l in 0..<L {
                let e = try XCTUnwrap(perLayer[l][row.key])
                let got = try XCTUnwrap(r.layers[l].first { $0.key == row.key })
                XCTAssertEqual(got.mean, e.reduce(0, +) / Double(e.count), accuracy: 1e-4)
            }
        }
        XCTAssertEqual(r.rows[2].mean, r.rows[0].mean / 2, accuracy: 1e-6, "AttnRes-W is half of Attn-W")
        let table = ExperimentTables.mixing(r)
        XCTAssertTrue(table.contains("AttnResLn-N"))
    }

    func testRunnerMasksSkipsAndIsReproducible() throws {
        let enc = try Self.encoder()
        func input(_ ids: [Int], line: Int) -> ExperimentInput {
            var special = [Bool](repeating: false, count: ids.count)
            special[0] = true; special[ids.count - 1] = true
            var classes = [TokenClass](repeating: .other, count: ids.count)
            classes[0] = .cls; classes[ids.count - 1] = .sep
            return ExperimentInput(line: line, ids: ids, special: special, classes: classes)
        }
        let long = input([2] + Array(repeating: 9, count: 599) + [3], line: 3)   // 601 tokens > 600
        let inputs = [input([2] + Array(10..<30) + [3], line: 1), input([2, 40, 41, 42, 3], line: 2), long]
        let (kept, skipped) = ExperimentRunner.fitting(inputs, maxTokens: enc.maxTokens)
        XCTAssertEqual(kept.map(\.line), [1, 2])
        XCTAssertEqual(skipped.map(\.line), [3])

        let masking = MaskingOptions(rate: 0.12, seed: 0, maskID: 1)
        let masked = try ExperimentRunner.mixing(kept, network: enc, masking: masking)
        XCTAssertEqual(masked.maskedTokens, 2 + 1)   // int(0.12 * 20) = 2; max(1, int(0.36)) = 1
        let again = try ExperimentRunner.mixing(kept, network: enc, masking: masking)
        XCTAssertEqual(masked.rows.map(\.mean), again.rows.map(\.mean))
        let unmasked = try ExperimentRunner.mixing(kept, network: enc, masking: nil)
        XCTAssertEqual(unmasked.maskedTokens, 0)
        XCTAssertNotEqual(masked.rows[1].mean, unmasked.rows[1].mean, "masking changes the inputs")

        var calls: [Int] = []
        let special = try ExperimentRunner.specialTokens(kept, network: enc) { done, total in XCTAssertEqual(total, 2); calls.append(done) }
        XCTAssertEqual(calls, [1, 2])
        XCTAssertEqual(special.classSentences, [2, 2, 0, 2])
    }
}
