import HeedKernels
@testable import HeedModels

/// The direct route, as the authors' code does it: every per-head vector alpha^h[i,j] f^h(x_j)
/// materialised (in Double). Only for small T; the reference for NormDecomposition.
struct DirectDecomposition {
    let T: Int, C: Int, NH: Int
    /// f[h][j] (C)
    let f: [[[Double]]]
    let alpha: [Float]
    let x: [[Double]], y: [[Double]]
    let bO: [Double], gamma: [Double], beta: [Double], eps: Double

    init(taps: LayerTaps, heads NH: Int) {
        let xT = taps.input!, v = taps.values!, p = taps.parameters
        T = xT.shape[0]; C = xT.shape[1]; self.NH = NH
        let HS = C / NH, C = self.C, T = self.T
        alpha = taps.attention!.data
        var f = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 0, count: C), count: T), count: NH)
        for h in 0..<NH { for j in 0..<T { for o in 0..<C {
            var s: Double = 0
            for k in 0..<HS { s += Double(v.data[j * C + h * HS + k]) * Double(p.outputWeight[o * C + h * HS + k]) }
            f[h][j][o] = s
        } } }
        self.f = f
        x = (0..<T).map { i in (0..<C).map { Double(xT.data[i * C + $0]) } }
        y = (0..<T).map { i in (0..<C).map { Double(taps.residualSum!.data[i * C + $0]) } }
        // An absent bias is zero.
        bO = p.outputBias?.map(Double.init) ?? [Double](repeating: 0, count: C)
        gamma = p.normWeight.map(Double.init)
        beta = p.normBias?.map(Double.init) ?? [Double](repeating: 0, count: C)
        eps = Double(p.normEps)
    }

    func a(_ h: Int, _ i: Int, _ j: Int) -> Double { Double(alpha[(h * T + i) * T + j]) }
    static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    func z(_ i: Int, _ j: Int) -> [Double] {
        var out = [Double](repeating: 0, count: C)
        for h in 0..<NH { for c in 0..<C { out[c] += a(h, i, j) * f[h][j][c] } }
        return out
    }
    func r(_ i: Int, _ j: Int) -> [Double] {
        var v = z(i, j)
        if i == j { for c in 0..<C { v[c] += x[i][c] } }
        return v
    }
    func s(_ i: Int) -> Double {
        let m = y[i].reduce(0, +) / Double(C)
        return (y[i].reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(C) + eps).squareRoot()
    }
    func g(_ i: Int, _ v: [Double]) -> [Double] {
        let m = v.reduce(0, +) / Double(C), si = s(i)
        return (0..<C).map { (v[$0] - m) * gamma[$0] / si }
    }

    func valueNorm() -> [Float] { (0..<NH).flatMap { h in (0..<T).map { Float(Self.norm(f[h][$0])) } } }
    func norm() -> [Float] {
        (0..<NH).flatMap { h in (0..<T).flatMap { i in (0..<T).map { j in Float(Self.norm(f[h][j].map { $0 * a(h, i, j) })) } } }
    }
    func matrix(_ body: (Int, Int) -> [Double]) -> [Float] {
        (0..<T).flatMap { i in (0..<T).map { j in Float(Self.norm(body(i, j))) } }
    }
    func normSummed() -> [Float] { matrix(z) }
    func attnRes() -> [Float] { matrix(r) }
    func attnResLn() -> [Float] { matrix { i, j in g(i, r(i, j)) } }

    func mixing() -> [String: [Float]] {
        func ratio(_ v: (Int, Int) -> [Double]) -> [Float] {
            (0..<T).map { i in
                var others = [Double](repeating: 0, count: C)
                for j in 0..<T where j != i { let e = v(i, j); for c in 0..<C { others[c] += e[c] } }
                let no = Self.norm(others), ns = Self.norm(v(i, i))
                return Float(no / (no + ns))
            }
        }
        let attnW = (0..<T).map { i in Float((0..<T).filter { $0 != i }.reduce(0.0) { acc, j in acc + (0..<NH).reduce(0.0) { $0 + a($1, i, j) } / Double(NH) }) }
        return ["attn-w": attnW, "attnres-w": attnW.map { $0 / 2 }, "attn-n": ratio(z), "attnres-n": ratio(r),
                "attnresln-n": ratio { i, j in g(i, r(i, j)) }]
    }
}
