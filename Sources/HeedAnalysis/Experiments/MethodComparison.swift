import HeedKernels
import HeedModels

/// `heed experiment compare-methods`: for every pair of methods, the mean Spearman correlation of
/// their per-token rankings, per layer. A token's ranking under a method is its row i of the
/// method's T x T matrix (which tokens j it draws from) over the keys i sees (all tokens; j <= i
/// in a causal model); rho is taken per row (average ranks for ties, as scipy), rows with fewer
/// than two keys or a constant side are left out, and the mean runs over every remaining row of
/// every sentence. Methods across layers (rollouts, globenc) are compared with each other once,
/// for all layers.
public struct MethodComparisonResult: Sendable {
    /// One pair's mean rho (nil when no row could be compared) and the rows averaged.
    public struct Cell: Sendable {
        public let a: AnalysisMethod
        public let b: AnalysisMethod
        public let mean: Double?
        public let rows: Int
    }

    /// The per-layer methods compared, in the order given.
    public let perLayerMethods: [AnalysisMethod]
    /// The across-layer methods compared, in the order given.
    public let acrossLayerMethods: [AnalysisMethod]
    public let sentences: Int
    /// layers[l]: every pair (a before b) of `perLayerMethods`.
    public let layers: [[Cell]]
    /// Every pair of `acrossLayerMethods`.
    public let acrossLayers: [Cell]

    /// The mean rho of `a` and `b` in `cells` (1 for a method with itself), nil when absent.
    public static func value(_ cells: [Cell], _ a: AnalysisMethod, _ b: AnalysisMethod) -> Double? {
        if a == b { return 1 }
        return cells.first { ($0.a == a && $0.b == b) || ($0.a == b && $0.b == a) }?.mean
    }
}

extension ExperimentRunner {
    /// The methods compared by default: every T x T method the model supports (attention
    /// averaged over heads, norm-summed, attn-res, attn-res-ln, alti, value-zeroing; rollout,
    /// norm-rollout, alti-rollout, globenc).
    public static func defaultComparedMethods(network: TransformerModel) -> [AnalysisMethod] {
        let candidates: [AnalysisMethod] = [.attention, .normSummed, .attnRes, .attnResLn, .alti, .valueZeroing,
                                            .rollout, .normRollout, .altiRollout, .globenc]
        let supported = AnalysisMethod.supported(attentionNorm: network.attentionNorm)
        return candidates.filter(supported.contains)
    }

    /// Compares `methods` (T x T ones: not value-norm or mixing-ratio) over `inputs`.
    /// `progress(done, total)` is called after each sentence.
    public static func compareMethods(_ inputs: [ExperimentInput], network: TransformerModel, methods: [AnalysisMethod],
                                      progress: (Int, Int) -> Void = { _, _ in }) throws -> MethodComparisonResult {
        let perLayer = methods.filter { !$0.isAcrossLayers }, across = methods.filter(\.isAcrossLayers)
        let L = network.layerCount
        func pairs(_ ms: [AnalysisMethod]) -> [(AnalysisMethod, AnalysisMethod)] {
            var out: [(AnalysisMethod, AnalysisMethod)] = []
            for x in ms.indices { for y in (x + 1)..<ms.count { out.append((ms[x], ms[y])) } }
            return out
        }
        let layerPairs = pairs(perLayer), acrossPairs = pairs(across)
        var layerSums = [[(Double, Int)]](repeating: [(Double, Int)](repeating: (0, 0), count: layerPairs.count), count: L)
        var acrossSums = [(Double, Int)](repeating: (0, 0), count: acrossPairs.count)
        let options = AnalyzeOptions(methods: methods, layers: perLayer.isEmpty ? [] : nil, meanOverHeads: true, granularity: .token)
        for (n, input) in inputs.enumerated() {
            let forward = try network.forward(input.ids, taps: .full, finalHiddenState: false, isCancelled: { false })
            let r = try Analyzer.analyze(modelID: "", forward: forward, table: .empty, options: options,
                                         rerun: network as? LayerRerunning)
            let T = input.ids.count
            let causal = network.causal
            func accumulate(_ a: [Float], _ b: [Float], into sum: inout (Double, Int)) {
                for i in 0..<T {
                    let keys = causal ? (i + 1) : T
                    guard keys >= 2 else { continue }
                    if let rho = Spearman.rho(Array(a[(i * T)..<(i * T + keys)]), Array(b[(i * T)..<(i * T + keys)])) {
                        sum.0 += rho; sum.1 += 1
                    }
                }
            }
            for layer in r.layers {
                var matrices: [AnalysisMethod: [Float]] = [:]
                for (m, v) in layer.values { if case let .tensor(t) = v { matrices[m] = t.data } }
                for (k, (a, b)) in layerPairs.enumerated() {
                    if let x = matrices[a], let y = matrices[b] { accumulate(x, y, into: &layerSums[layer.layer][k]) }
                }
            }
            for (k, (a, b)) in acrossPairs.enumerated() {
                if let x = r.acrossLayers(a)?.data, let y = r.acrossLayers(b)?.data { accumulate(x, y, into: &acrossSums[k]) }
            }
            progress(n + 1, inputs.count)
        }
        func cells(_ ps: [(AnalysisMethod, AnalysisMethod)], _ sums: [(Double, Int)]) -> [MethodComparisonResult.Cell] {
            zip(ps, sums).map { p, s in .init(a: p.0, b: p.1, mean: s.1 > 0 ? s.0 / Double(s.1) : nil, rows: s.1) }
        }
        return MethodComparisonResult(perLayerMethods: perLayer, acrossLayerMethods: across, sentences: inputs.count,
                                      layers: layerSums.map { cells(layerPairs, $0) }, acrossLayers: cells(acrossPairs, acrossSums))
    }
}

extension ExperimentTables {
    /// One row per method pair: the mean rho per layer (and for all layers, for the products).
    public static func methodComparison(_ r: MethodComparisonResult) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "-" }
        var rows: [[String]] = []
        if !r.perLayerMethods.isEmpty {
            rows.append(["pair"] + r.layers.indices.map { "layer \($0)" })
            for (k, cell) in (r.layers.first ?? []).enumerated() {
                rows.append(["\(cell.a.rawValue) ~ \(cell.b.rawValue)"] + r.layers.map { f($0[k].mean) })
            }
        }
        var out = rows.isEmpty ? "" : aligned(rows)
        if !r.acrossLayers.isEmpty {
            var across: [[String]] = [["pair (all layers)", "rho"]]
            for cell in r.acrossLayers { across.append(["\(cell.a.rawValue) ~ \(cell.b.rawValue)", f(cell.mean)]) }
            out += (out.isEmpty ? "" : "\n") + aligned(across)
        }
        return out
    }
}
