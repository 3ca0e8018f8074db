import Foundation

/// Plain-text tables of the experiments' results, columns aligned with spaces.
public enum ExperimentTables {
    /// Lays out `rows` (the first is the heading) with the first column left-aligned and the
    /// others right-aligned, two spaces between columns.
    public static func aligned(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.count) } }
        return rows.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func fixed(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
    static func percent(_ v: Double) -> String { String(format: "%.1f%%", 100 * v) }
    static func rho(_ v: Double?) -> String { v.map { String(format: "%+.3f", $0) } ?? "n/a" }

    /// The special-token experiment: weight, norm and ||f(x)|| per layer and class, with shares,
    /// then Spearman's rho.
    public static func specialTokens(_ r: SpecialTokenResult) -> String {
        let classes = TokenClass.allCases
        let heading = ["layer"] + classes.map(\.label)
        var out: [String] = []

        out.append("weight: mean over query tokens i of sum_{j in class} alpha[i,j]  (share of the row total)")
        out.append(aligned([heading] + r.layers.map { layer in
            let shares = layer.weightShares
            return ["\(layer.layer)"] + classes.map { fixed(layer.classes[$0.rawValue].weight, 3) + " (" + percent(shares[$0.rawValue]) + ")" }
        }))
        out.append("")
        out.append("norm: mean over query tokens i of sum_{j in class} ||alpha[i,j] f(x_j)||  (share of the four classes' sum)")
        out.append(aligned([heading] + r.layers.map { layer in
            let shares = layer.normShares
            return ["\(layer.layer)"] + classes.map { fixed(layer.classes[$0.rawValue].norm, 3) + " (" + percent(shares[$0.rawValue]) + ")" }
        }))
        out.append("")
        out.append("||f(x)||: mean over the class's tokens")
        out.append(aligned([heading] + r.layers.map { layer in
            ["\(layer.layer)"] + classes.map { c in layer.classes[c.rawValue].valueNorm.map { fixed($0, 3) } ?? "n/a" }
        }))
        out.append("")
        out.append("Spearman's rho between alpha^h[i,j] and ||f^h(x_j)||, pairs (i, j in class, h)" + (r.sampled ? " (on a uniform sample of \(r.maxPairsPerLayerAndClass) pairs per layer and class where there were more)" : ""))
        var rhoRows = [heading]
        rhoRows += r.layers.map { layer in ["\(layer.layer)"] + classes.map { rho(layer.rho[$0.rawValue]) } }
        rhoRows.append(["all"] + classes.map { rho(r.rho[$0.rawValue]) })
        rhoRows.append(["pairs"] + classes.map { "\(r.pairs[$0.rawValue])" })
        out.append(aligned(rhoRows))
        return out.joined(separator: "\n")
    }

    /// One mixing-ratio run: mean / max / min over all tokens and layers, then per-layer means.
    public static func mixing(_ r: MixingRatioResult) -> String {
        var rows = [["", "mean", "max", "min"]]
        rows += r.rows.map { [$0.label, fixed(100 * $0.mean, 1), fixed(100 * Double($0.max), 1), fixed(100 * Double($0.min), 1)] }
        var out = [aligned(rows), "", "mean per layer (%)"]
        var layerRows = [["layer"] + r.rows.map(\.label)]
        for (l, summaries) in r.layers.enumerated() {
            layerRows.append(["\(l)"] + summaries.map { fixed(100 * $0.mean, 1) })
        }
        out.append(aligned(layerRows))
        return out.joined(separator: "\n")
    }
}
