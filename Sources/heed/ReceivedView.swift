import Foundation
import HeedAnalysis
import HeedKernels

/// The plain view of `heed analyze` without a focus: per layer and method, what each token
/// receives, raw and as a share of the row total; per-token vectors (value-norm, mixing ratios)
/// as they are; rollouts once, for all layers.
enum ReceivedView {
    static func print(_ result: AnalyzeResult, labels: [String]) {
        let methods = Set(result.layers.flatMap { $0.values.map(\.method) })
            .union(AnalysisMethod.allCases.filter { $0.isAcrossLayers && result.acrossLayers($0) != nil })
        let unit = result.granularity == .word ? "word" : "token"
        if !methods.subtracting([.valueNorm, .mixingRatio]).isEmpty {
            Swift.print("what each \(unit) receives: the mean over attending \(unit)s (and heads) of its column, raw and as a share of the row total; \(result.modelID)")
        }
        if methods.contains(.valueNorm) { Swift.print("value-norm: ||f(x_j)|| of each \(unit), mean over heads; \(result.modelID)") }
        if methods.contains(.mixingRatio) {
            Swift.print("mixing-ratio: per \(unit), the share of its vector that comes from other \(unit)s, for each decomposition; \(result.modelID)")
        }
        if Terminal.isTTY { Swift.print(Terminal.legend()) }
        var rows: [(String, String, [String])] = []
        for layer in result.layers {
            for (method, value) in layer.values {
                switch value {
                case let .tensor(t) where method == .valueNorm:
                    // (1, T) with heads averaged.
                    rows.append(("layer \(layer.layer)", method.rawValue, vector(t.data, labels: labels)))
                case let .tensor(t):
                    rows.append(("layer \(layer.layer)", method.rawValue, received(t, labels: labels)))
                case let .vectors(entries):
                    for entry in entries {
                        rows.append(("layer \(layer.layer)", "\(method.rawValue) \(entry.key)", vector(entry.values, labels: labels)))
                    }
                }
            }
        }
        for m in AnalysisMethod.allCases where m.isAcrossLayers {
            if let r = result.acrossLayers(m) { rows.append(("all layers", m.rawValue, received(r, labels: labels))) }
        }
        let layerWidth = rows.map(\.0.count).max() ?? 0, methodWidth = rows.map(\.1.count).max() ?? 0
        for (layer, method, cells) in rows {
            Swift.print(layer.padding(toLength: layerWidth, withPad: " ", startingAt: 0) + " "
                + method.padding(toLength: methodWidth, withPad: " ", startingAt: 0) + "  " + cells.joined(separator: " "))
        }
    }

    /// What each column receives from a (..., T, T) tensor: the mean over attending tokens and
    /// leading blocks (heads), with its share of the sum over columns.
    static func receivedValues(_ t: Tensor) -> [Float] {
        let T = t.shape[t.rank - 1], blocks = t.count / (T * T)
        var received = [Float](repeating: 0, count: T)
        for k in 0..<(blocks * T * T) { received[k % T] += t.data[k] }
        return received.map { $0 / Float(blocks * T) }
    }

    static func received(_ t: Tensor, labels: [String]) -> [String] {
        let values = receivedValues(t)
        let total = values.reduce(0, +), top = values.max() ?? 0
        return zip(labels, values).map { label, v in
            let share = total > 0 ? 100 * v / total : 0
            let numbers = String(format: "(%.3f, %.1f%%)", v, share)
            return Terminal.isTTY ? Terminal.shade(label, score: top > 0 ? v / top : 0) + numbers : label + numbers
        }
    }

    static func vector(_ values: [Float], labels: [String]) -> [String] {
        let top = values.max() ?? 0
        return zip(labels, values).map { label, v in
            let number = String(format: "(%.3f)", v)
            return Terminal.isTTY ? Terminal.shade(label, score: top > 0 ? v / top : 0) + number : label + number
        }
    }

    /// False when any number of the result is NaN or infinite (a bug, or weights holding NaN).
    static func allFinite(_ result: AnalyzeResult) -> Bool {
        for layer in result.layers {
            for (_, value) in layer.values {
                switch value {
                case let .tensor(t): if t.data.contains(where: { !$0.isFinite }) { return false }
                case let .vectors(entries): if entries.contains(where: { $0.values.contains { !$0.isFinite } }) { return false }
                }
            }
        }
        for t in AnalysisMethod.allCases.compactMap({ result.acrossLayers($0) }) where t.data.contains(where: { !$0.isFinite }) { return false }
        return true
    }
}
