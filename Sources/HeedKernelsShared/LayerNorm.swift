import HeedKernelsBase

// LayerNorm over rows: out = (x - mean) / sqrt(var + eps) * gamma + beta (biased variance);
// beta nil is a LayerNorm without bias (out = normalised * gamma).

enum LayerNorm {
    /// Smallest parallel chunk, in elements (a few microseconds of work).
    static let parallelGrainElements = 8_192

    static func rows(_ x: UnsafePointer<Float>, rows: Int, cols: Int, gamma: UnsafePointer<Float>,
                     beta: UnsafePointer<Float>?, eps: Float, out: UnsafeMutablePointer<Float>) {
        if rows <= 0 || cols <= 0 { return }
        Parallel.forRanges(rows, grain: max(1, parallelGrainElements / cols)) { range in
            for r in range {
                row(x + r * cols, cols: cols, gamma: gamma, beta: beta, eps: eps, out: out + r * cols)
            }
        }
    }

    /// One row; `out` may alias `x` (statistics are complete before the first write).
    @inline(__always)
    static func row(_ x: UnsafePointer<Float>, cols n: Int, gamma: UnsafePointer<Float>,
                    beta: UnsafePointer<Float>?, eps: Float, out: UnsafeMutablePointer<Float>) {
        typealias V = VF
        var s0 = V(), s1 = V()
        var j = 0
        while j + 2 * W <= n { s0 += loadV(x + j); s1 += loadV(x + j + W); j += 2 * W }
        if j + W <= n { s0 += loadV(x + j); j += W }
        var sum = VectorMath.sum(s0 + s1)
        while j < n { sum += x[j]; j += 1 }
        let mean = sum / Float(n)
        let m8 = V(repeating: mean)
        // Second pass on centred values d = x - mean: sum d corrects the float mean (whose
        // rounding matters when |mean| >> std), sum d^2 gives the variance (corrected two-pass).
        var d0 = V(), d1 = V(), q0 = V(), q1 = V()
        j = 0
        while j + 2 * W <= n {
            let e0 = loadV(x + j) - m8, e1 = loadV(x + j + W) - m8
            d0 += e0; d1 += e1
            q0 = q0.addingProduct(e0, e0); q1 = q1.addingProduct(e1, e1)
            j += 2 * W
        }
        if j + W <= n { let e = loadV(x + j) - m8; d0 += e; q0 = q0.addingProduct(e, e); j += W }
        var sd = VectorMath.sum(d0 + d1), sq = VectorMath.sum(q0 + q1)
        while j < n { let e = x[j] - mean; sd += e; sq += e * e; j += 1 }
        let shift = sd / Float(n)
        let variance = Swift.max(0, sq / Float(n) - shift * shift)
        let inv = 1 / (variance + eps).squareRoot()
        // Normalise as ((x - mean) - shift): x - mean is exact for x near the mean, while
        // mean + shift would round back to float precision at |mean|.
        let shift8 = V(repeating: shift)
        let i8 = V(repeating: inv)
        j = 0
        if let beta {
            while j + W <= n {
                let normed = ((loadV(x + j) - m8) - shift8) * i8
                storeV(loadV(beta + j).addingProduct(normed, loadV(gamma + j)), out + j)
                j += W
            }
            while j < n { out[j] = ((x[j] - mean) - shift) * inv * gamma[j] + beta[j]; j += 1 }
        } else {
            while j + W <= n {
                let normed = ((loadV(x + j) - m8) - shift8) * i8
                storeV(normed * loadV(gamma + j), out + j)
                j += W
            }
            while j < n { out[j] = ((x[j] - mean) - shift) * inv * gamma[j]; j += 1 }
        }
    }
}
