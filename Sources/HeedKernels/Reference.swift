import Foundation

// Plain reference implementations: the algorithmic ground truth every fast kernel is
// tested against. Slow on purpose; keep them obvious.
public enum Reference {
    /// Plain `Kernels.altiContributions` (Double accumulation, every entry written; j > i are 0
    /// with `causal`).
    public static func altiContributions(f: UnsafePointer<Float>, alpha: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                         y: UnsafePointer<Float>, T: Int, NH: Int, C: Int, causal: Bool,
                                         into out: UnsafeMutablePointer<Float>) {
        for i in 0..<T {
            var y1: Double = 0
            for c in 0..<C { y1 += abs(Double(y[i * C + c])) }
            for j in 0..<T {
                if causal && j > i { out[i * T + j] = 0; continue }
                var d: Double = 0
                for c in 0..<C {
                    var v: Double = i == j ? Double(x[i * C + c]) : 0
                    for h in 0..<NH { v += Double(alpha[(h * T + i) * T + j]) * Double(f[(j * NH + h) * C + c]) }
                    d += abs(Double(y[i * C + c]) - v)
                }
                out[i * T + j] = Float(max(0, y1 - d))
            }
        }
    }

    /// c (M, N) = a (M, K) * b^T + bias, with b (N, K); `accumulate` adds to c instead.
    public static func gemmABt(m: Int, n: Int, k: Int,
                               a: UnsafePointer<Float>, lda: Int,
                               b: UnsafePointer<Float>, ldb: Int,
                               c: UnsafeMutablePointer<Float>, ldc: Int,
                               bias: UnsafePointer<Float>? = nil, accumulate: Bool = false) {
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k { s += Double(a[i * lda + p]) * Double(b[j * ldb + p]) }
                if let bias { s += Double(bias[j]) }
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + Float(s) : Float(s)
            }
        }
    }

    /// c (M, N) = a (M, K) * b + bias, with b (K, N); `accumulate` adds to c instead.
    public static func gemmAB(m: Int, n: Int, k: Int,
                              a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int,
                              c: UnsafeMutablePointer<Float>, ldc: Int,
                              bias: UnsafePointer<Float>? = nil, accumulate: Bool = false) {
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k { s += Double(a[i * lda + p]) * Double(b[p * ldb + j]) }
                if let bias { s += Double(bias[j]) }
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + Float(s) : Float(s)
            }
        }
    }

    /// In place, per row of `cols`: x = softmax(x * scale + maskAdd), where maskAdd (cols) is
    /// added to every row (0 for kept, -inf or a large negative for masked columns).
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                   scale: Float = 1, maskAdd: UnsafePointer<Float>? = nil) {
        for r in 0..<rows {
            let p = x + r * cols
            var mx = -Float.infinity
            for j in 0..<cols {
                p[j] = p[j] * scale + (maskAdd?[j] ?? 0)
                mx = max(mx, p[j])
            }
            var s: Double = 0
            for j in 0..<cols {
                let e = mx == -.infinity ? 0 : Foundation.exp(Double(p[j] - mx))
                p[j] = Float(e); s += e
            }
            for j in 0..<cols { p[j] = s > 0 ? Float(Double(p[j]) / s) : 0 }
        }
    }

    /// out (rows, C) = LayerNorm(x) * gamma + beta, biased variance, eps inside the sqrt;
    /// beta nil for a LayerNorm without bias.
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, cols: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>?, eps: Float,
                                 out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let p = x + r * cols, o = out + r * cols
            var mean: Double = 0
            for j in 0..<cols { mean += Double(p[j]) }
            mean /= Double(cols)
            var v: Double = 0
            for j in 0..<cols { let d = Double(p[j]) - mean; v += d * d }
            v /= Double(cols)
            let inv = 1 / (v + Double(eps)).squareRoot()
            for j in 0..<cols { o[j] = Float((Double(p[j]) - mean) * inv) * gamma[j] + (beta?[j] ?? 0) }
        }
    }

    /// In place: x = 0.5 x (1 + erf(x / sqrt 2))  (transformers' "gelu"), evaluated as
    /// 0.5 x erfc(-x / sqrt 2): the same function, without 1 + erf cancelling for x << 0.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { let v = Double(x[i]); x[i] = Float(0.5 * v * Foundation.erfc(-v / 2.0.squareRoot())) }
    }

    /// In place: x = 0.5 x (1 + tanh(y)), y = sqrt(2/pi) (x + 0.044715 x^3)  ("gelu_new",
    /// "gelu_pytorch_tanh"), evaluated as x / (1 + exp(-2y)): the same function, without
    /// 1 + tanh cancelling for x << 0.
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = Double(x[i])
            let y = (2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)
            x[i] = Float(v / (1 + Foundation.exp(-2 * y)))
        }
    }

    /// In place: gate[i] = silu(gate[i]) * up[i], silu(x) = x / (1 + e^-x), in double precision.
    public static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { let v = Double(gate[i]); gate[i] = Float(v / (1 + Foundation.exp(-v)) * Double(up[i])) }
    }
}
