// Public fast kernels. The signatures are the contract used by the models; each has a
// plain version in Reference.swift and a test comparing the two on awkward shapes.
// GEMM: Gemm/ (micro-kernel, packing, driver); row kernels: Softmax.swift, LayerNorm.swift,
// Activations.swift; vectorised exp/erf/tanh: VectorMath.swift.

public enum Kernels {
    /// c (M, N) = a (M, K) * b^T + bias, b (N, K) row-major; `accumulate` adds to c.
    /// Rows of a, b and c are `lda`, `ldb`, `ldc` floats apart (>= K, K, N); c must not overlap
    /// a or b.
    public static func gemmABt(m: Int, n: Int, k: Int,
                               a: UnsafePointer<Float>, lda: Int,
                               b: UnsafePointer<Float>, ldb: Int,
                               c: UnsafeMutablePointer<Float>, ldc: Int,
                               bias: UnsafePointer<Float>? = nil, accumulate: Bool = false) {
        GemmDriver.run(m: m, n: n, k: k, a: a, lda: lda, b: .transposed(b, ldb: ldb),
                       c: c, ldc: ldc, bias: bias, accumulate: accumulate)
    }

    /// c (M, N) = a (M, K) * b + bias, b (K, N) row-major; `accumulate` adds to c.
    /// Rows of a, b and c are `lda`, `ldb`, `ldc` floats apart (>= K, N, N); c must not overlap
    /// a or b.
    public static func gemmAB(m: Int, n: Int, k: Int,
                              a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int,
                              c: UnsafeMutablePointer<Float>, ldc: Int,
                              bias: UnsafePointer<Float>? = nil, accumulate: Bool = false) {
        GemmDriver.run(m: m, n: n, k: k, a: a, lda: lda, b: .plain(b, ldb: ldb),
                       c: c, ldc: ldc, bias: bias, accumulate: accumulate)
    }

    /// In place, per row of `cols`: x = softmax(x * scale + maskAdd), where maskAdd (cols) is
    /// added to every row (0 for kept, -inf or a large negative for masked columns). A row whose
    /// columns are all -inf becomes all zeros.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                   scale: Float = 1, maskAdd: UnsafePointer<Float>? = nil) {
        Softmax.rows(x, rows: rows, cols: cols, scale: scale, maskAdd: maskAdd)
    }

    /// out (rows, C) = LayerNorm(x) * gamma + beta, biased variance, eps inside the sqrt;
    /// gamma and beta (C); beta nil for a LayerNorm without bias. `out` may be `x` (in place).
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, cols: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>?, eps: Float,
                                 out: UnsafeMutablePointer<Float>) {
        LayerNorm.rows(x, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: eps, out: out)
    }

    /// In place: x = 0.5 x (1 + erf(x / sqrt 2))  (transformers' "gelu").
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) { Activations.gelu(x, count: count) }
    /// In place: x = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  ("gelu_new", "gelu_pytorch_tanh").
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) { Activations.geluTanh(x, count: count) }
}
