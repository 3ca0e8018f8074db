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
        toWords(x, rowWords: words, columnWords: words)
    }

    /// (..., T_q, T_k) -> (..., W_q, W_k): rows averaged over each of `rowWords`' tokens, columns
    /// summed over each of `columnWords`' (cross-attention: target words by source words).
    public static func toWords(_ x: Tensor, rowWords: [WordRow], columnWords: [WordRow]) -> Tensor {
        let TQ = x.shape[x.rank - 2], TK = x.shape[x.rank - 1], WQ = rowWords.count, WK = columnWords.count
        let blocks = x.count / (TQ * TK)
        var out = [Float](repeating: 0, count: blocks * WQ * WK)
        for b in 0..<blocks {
            let src = b * TQ * TK, dst = b * WQ * WK
            for (wi, rowWord) in rowWords.enumerated() {
                let rowScale = 1 / Float(rowWord.tokens.count)
                for (wj, colWord) in columnWords.enumerated() {
                    var s: Float = 0
                    for i in rowWord.tokens { for j in colWord.tokens { s += x.data[src + i * TK + j] } }
                    out[dst + wi * WK + wj] = s * rowScale
                }
            }
        }
        return Tensor(shape: Array(x.shape.dropLast(2)) + [WQ, WK], data: out)
    }
}

extension Aggregation {
    /// A per-token vector (T) averaged over each word's tokens (W).
    public static func vectorToWords(_ v: [Float], words: [WordRow]) -> [Float] {
        words.map { w in w.tokens.reduce(Float(0)) { $0 + v[$1] } / Float(w.tokens.count) }
    }
}
