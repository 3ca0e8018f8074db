import HeedKernels

/// Head and subword aggregation (docs/methods.md, Aggregation).
public enum Aggregation {
    /// (NH, T, T) -> (1, T, T): the mean over heads.
    public static func meanOverHeads(_ x: Tensor) -> Tensor {
        let NH = x.shape[0], inner = x.count / NH
        var out = [Float](repeating: 0, count: inner)
        for h in 0..<NH { for i in 0..<inner { out[i] += x.data[h * inner + i] } }
        let inv = 1 / Float(NH)
        for i in 0..<inner { out[i] *= inv }
        return Tensor(shape: [1] + Array(x.shape.dropFirst()), data: out)
    }

    /// (..., T, T) -> (..., W, W): rows (attending) averaged, columns (attended) summed over
    /// each word's tokens, as in the authors' alignment code.
    public static func toWords(_ x: Tensor, words: [WordRow]) -> Tensor {
        let T = x.shape[x.rank - 1], W = words.count
        let blocks = x.count / (T * T)
        var out = [Float](repeating: 0, count: blocks * W * W)
        for b in 0..<blocks {
            let src = b * T * T, dst = b * W * W
            for (wi, rowWord) in words.enumerated() {
                let rowScale = 1 / Float(rowWord.tokens.count)
                for (wj, colWord) in words.enumerated() {
                    var s: Float = 0
                    for i in rowWord.tokens { for j in colWord.tokens { s += x.data[src + i * T + j] } }
                    out[dst + wi * W + wj] = s * rowScale
                }
            }
        }
        return Tensor(shape: Array(x.shape.dropLast(2)) + [W, W], data: out)
    }
}

extension Aggregation {
    /// A per-token vector (T) averaged over each word's tokens (W).
    public static func vectorToWords(_ v: [Float], words: [WordRow]) -> [Float] {
        words.map { w in w.tokens.reduce(Float(0)) { $0 + v[$1] } / Float(w.tokens.count) }
    }
}
