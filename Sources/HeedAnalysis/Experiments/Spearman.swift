/// Spearman's rank correlation with average ranks for ties (as scipy.stats.spearmanr): the
/// Pearson correlation of the two rank vectors.
public enum Spearman {
    /// Ranks 1 ... n of `values`; tied values share the average of the positions they span.
    public static func averageRanks(_ values: [Float]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            // positions start ..< end (0-based) hold equal values: rank = mean of start+1 ... end
            let rank = Double(start + 1 + end) / 2
            for k in start..<end { ranks[order[k]] = rank }
            start = end
        }
        return ranks
    }

    /// rho of paired samples; nil when there are fewer than two pairs or either side is constant.
    /// Pairs with a non-finite value are left out.
    public static func rho(_ x: [Float], _ y: [Float]) -> Double? {
        precondition(x.count == y.count, "Spearman.rho needs paired samples")
        var xs = x, ys = y
        if x.contains(where: { !$0.isFinite }) || y.contains(where: { !$0.isFinite }) {
            let keep = x.indices.filter { x[$0].isFinite && y[$0].isFinite }
            xs = keep.map { x[$0] }; ys = keep.map { y[$0] }
        }
        guard xs.count >= 2 else { return nil }
        return pearson(averageRanks(xs), averageRanks(ys))
    }

    /// Pearson's correlation coefficient; nil when either side is constant.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy: Double = 0, sxx: Double = 0, syy: Double = 0
        for k in x.indices {
            let dx = x[k] - mx, dy = y[k] - my
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }
}
