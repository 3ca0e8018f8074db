// Public fast kernels. The signatures are the contract used by the models; each has a
// plain version in Reference.swift and a test comparing the two on awkward shapes.
// (Placeholder bodies call the references until the SIMD versions land.)

public enum Kernels {
    /// c (M, N) = a (M, K) * b^T + bias, b (N, K) row-major; `accumulate` adds to c.
    public static func gemmABt(m: Int, n: Int, k: Int,
                               a: UnsafePointer<Float>, lda: Int,
                               b: UnsafePointer<Float>, ldb: Int,
                               c: UnsafeMutablePointer<Float>, ldc: Int,
                               bias: UnsafePointer<Float>? = nil, accumulate: Bool = false) {
        Reference.gemmABt(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, bias: bias, accumulate: accumulate)
    }

    /// c (M, N) = a (M, K) * b + bias, b (K, N) row-major; `accumulate` adds to c.
    public static func gemmAB(m: Int, n: Int, k: Int,
                              a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int,
                              c: UnsafeMutablePointer<Float>, ldc: Int,
                              bias: UnsafePointer<Float>? = nil, accumulate: Bool = false) {
        Reference.gemmAB(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, bias: bias, accumulate: accumulate)
    }

    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                   scale: Float = 1, maskAdd: UnsafePointer<Float>? = nil) {
        Reference.softmaxRows(x, rows: rows, cols: cols, scale: scale, maskAdd: maskAdd)
    }

    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, cols: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float,
                                 out: UnsafeMutablePointer<Float>) {
        Reference.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: eps, out: out)
    }

    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) { Reference.gelu(x, count: count) }
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) { Reference.geluTanh(x, count: count) }
}

/// A weight matrix W (OC, C) (HF `Linear.weight`, out x in) packed once at load time into
/// the panel layout the GEMM micro-kernel reads, for y (T, OC) = x (T, C) * W^T + b.
public final class PackedLinear {
    public let outFeatures: Int
    public let inFeatures: Int
    /// The unpacked weight, row-major (OC, C), kept for the reference path and for taps.
    public let weight: [Float]
    public let bias: [Float]?

    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int) {
        precondition(weight.count == outFeatures * inFeatures)
        precondition(bias == nil || bias!.count == outFeatures)
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.weight = weight
        self.bias = bias
    }

    /// y (T, OC) = x (T, C) * W^T + b.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        weight.withUnsafeBufferPointer { w in
            if let bias {
                bias.withUnsafeBufferPointer { b in
                    Kernels.gemmABt(m: rows, n: outFeatures, k: inFeatures, a: x, lda: inFeatures,
                                    b: w.baseAddress!, ldb: inFeatures, c: y, ldc: outFeatures, bias: b.baseAddress)
                }
            } else {
                Kernels.gemmABt(m: rows, n: outFeatures, k: inFeatures, a: x, lda: inFeatures,
                                b: w.baseAddress!, ldb: inFeatures, c: y, ldc: outFeatures)
            }
        }
    }
}
