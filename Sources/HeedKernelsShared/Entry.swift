import HeedKernelsBase

// The entry points of one kernel variant. HeedKernels (compiled for the baseline CPU) picks a
// variant once at start-up and calls these; each call does a whole GEMM, a whole set of rows or
// a whole buffer, so the dispatch costs one switch per call and every loop runs in code
// compiled for the variant's instruction set. `@inline(never)` keeps the bodies here: inlined
// into a baseline caller, the same source would run per lane (or through library calls).
// Shapes and contracts are those of HeedKernels' `Kernels` (Kernels.swift), which documents them.

/// One kernel variant (see Width.swift for its vector width and tile sizes).
public enum VariantKernels {
    /// The variant's name, spelled as HEED_ISA spells it: "avx512", "avx2" or "portable".
    public static var name: String { variantName }

    /// The GEMM register tile (MR rows, NR columns) and the k-block depth KC.
    public static var tileShape: (rows: Int, columns: Int, depth: Int) { (gemmMR, gemmNR, gemmKC) }

    /// Columns of a packed B panel (16, or 32 for AVX-512): a PackedLinear's layout.
    public static var panelWidth: Int { gemmNR }

    /// c (M, N) (+)= a (M, K) * b^T + bias, b (N, K) row-major.
    @inline(never)
    public static func gemmABt(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                               b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                               bias: UnsafePointer<Float>?, accumulate: Bool) {
        GemmDriver.run(m: m, n: n, k: k, a: a, lda: lda, b: .transposed(b, ldb: ldb), c: c, ldc: ldc,
                       bias: bias, accumulate: accumulate)
    }

    /// c (M, N) (+)= a (M, K) * b + bias, b (K, N) row-major.
    @inline(never)
    public static func gemmAB(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                              bias: UnsafePointer<Float>?, accumulate: Bool) {
        GemmDriver.run(m: m, n: n, k: k, a: a, lda: lda, b: .plain(b, ldb: ldb), c: c, ldc: ldc,
                       bias: bias, accumulate: accumulate)
    }

    /// c (M, N) (+)= a (M, K) * W^T + bias with W packed by `packTransposed` (depth K).
    @inline(never)
    public static func gemmPacked(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                  panels: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                                  bias: UnsafePointer<Float>?, accumulate: Bool) {
        GemmDriver.run(m: m, n: n, k: k, a: a, lda: lda, b: .packed(panels, panelStride: k * gemmNR), c: c, ldc: ldc,
                       bias: bias, accumulate: accumulate)
    }

    /// c (M, N) = a (M, K) * W[:, k0 ..< k0 + K]^T, no bias: the input columns k0 ..< k0 + K of a
    /// W (N, depth) packed by `packTransposed` (depth >= k0 + K), read in place from its panels
    /// (in each panel those rows are contiguous). `panels` is the packed W's base.
    @inline(never)
    public static func gemmPackedColumns(m: Int, n: Int, k: Int, k0: Int, depth: Int, a: UnsafePointer<Float>, lda: Int,
                                         panels: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int) {
        GemmDriver.run(m: m, n: n, k: k, a: a, lda: lda, b: .packed(panels + k0 * gemmNR, panelStride: depth * gemmNR),
                       c: c, ldc: ldc, bias: nil, accumulate: false)
    }

    /// Floats of the packed panels of a (N, K) weight.
    public static func packedFloats(n: Int, k: Int) -> Int {
        packedPanelFloats(panels: (n + gemmNR - 1) / gemmNR, k: k)
    }

    /// Packs w (N, K) row-major (row stride ldb) as the B = w^T panels `gemmPacked` reads.
    @inline(never)
    public static func packTransposed(b: UnsafePointer<Float>, ldb: Int, n: Int, k: Int, into dst: UnsafeMutablePointer<Float>) {
        packPanelsTransposed(b: b, ldb: ldb, n: n, k: k, panels: 0..<((n + gemmNR - 1) / gemmNR), into: dst)
    }

    /// c (M, N) (+)= a (M, K) * W^T + bias with W (N, K) as raw ggml blocks of type
    /// `ggmlType` (2 q4_0, 3 q4_1, 8 q8_0, 12 q4_K, 13 q5_K, 14 q6_K), row j at
    /// w + j * rowBytes; K a multiple of the block size (QuantGemm.swift). The caller checks both.
    @inline(never)
    public static func gemmQuantized(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                     w: UnsafeRawPointer, rowBytes: Int, ggmlType: Int,
                                     c: UnsafeMutablePointer<Float>, ldc: Int,
                                     bias: UnsafePointer<Float>?, accumulate: Bool) {
        QuantGemm.run(m: m, n: n, k: k, a: a, lda: lda, w: w, rowBytes: rowBytes, kind: QuantKind(rawValue: ggmlType)!,
                      c: c, ldc: ldc, bias: bias, accumulate: accumulate)
    }

    /// True when `gemmQuantized` reads blocks of this ggml type.
    public static func quantizedGemmSupports(ggmlType: Int) -> Bool { QuantKind(rawValue: ggmlType) != nil }

    /// Dequantises `rows` rows of K elements (ggml blocks of `ggmlType`, rows `rowBytes` apart)
    /// into out (rows, K), with the GEMM's own block decoder (equal to ggml's dequantize_row_*).
    @inline(never)
    public static func dequantizeRows(ggmlType: Int, _ w: UnsafeRawPointer, rowBytes: Int, rows: Int, k: Int,
                                      into out: UnsafeMutablePointer<Float>) {
        let kind = QuantKind(rawValue: ggmlType)!
        for r in 0..<rows {
            dequantizeBlocks(kind, w + r * rowBytes, blocks: k / kind.blockSize, into: out + r * k)
        }
    }

    /// In place per row: x = softmax(x * scale + maskAdd).
    @inline(never)
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, scale: Float,
                                   maskAdd: UnsafePointer<Float>?) {
        Softmax.rows(x, rows: rows, cols: cols, scale: scale, maskAdd: maskAdd)
    }

    /// out (rows, cols) = LayerNorm(x) * gamma + beta.
    @inline(never)
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, cols: Int, gamma: UnsafePointer<Float>,
                                 beta: UnsafePointer<Float>?, eps: Float, out: UnsafeMutablePointer<Float>) {
        LayerNorm.rows(x, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: eps, out: out)
    }

    /// In place: the erf GELU.
    @inline(never)
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) { Activations.gelu(x, count: count) }

    /// In place: the tanh GELU.
    @inline(never)
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) { Activations.geluTanh(x, count: count) }

    /// In place: gate = silu(gate) * up.
    @inline(never)
    public static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        Activations.siluMul(gate, up, count: count)
    }

    /// out[i] = f(x[i]) for i < count, through this variant's vector code (a padded vector for
    /// the tail), single-threaded: for accuracy tests.
    @inline(never)
    public static func vectorFunction(_ f: VectorFunction, _ x: UnsafePointer<Float>, count: Int,
                                      into out: UnsafeMutablePointer<Float>) {
        var i = 0
        while i < count {
            var v = VF()
            let n = min(W, count - i)
            for l in 0..<n { v[l] = x[i + l] }
            let y: VF
            switch f {
            case .exp: y = VectorMath.exp(v)
            case .erf: y = VectorMath.erf(v)
            case .erfc: y = VectorMath.erfc(v)
            case .tanh: y = VectorMath.tanh(v)
            case .gelu: y = VectorMath.gelu(v)
            case .geluTanh: y = VectorMath.geluTanh(v)
            case .silu: y = VectorMath.silu(v)
            }
            for l in 0..<n { out[i + l] = y[l] }
            i += W
        }
    }

    /// Floating-point operations of one `peakLoop` iteration: 12 accumulators x W lanes x 2.
    public static var peakFlopsPerIteration: Int { 12 * W * 2 }

    /// An FMA-bound loop on VF (12 independent accumulator chains, enough to cover the FMA
    /// latency on two FMA pipes): the variant's floating-point peak. Returns a value to sink.
    @inline(never)
    public static func peakLoop(_ iterations: Int, seed: Float) -> Float {
        let a = VF(repeating: 0.999_999), b = VF(repeating: 1e-7)
        var c0 = VF(repeating: seed), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4, c5 = c0 + 5
        var c6 = c0 + 6, c7 = c0 + 7, c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11
        for _ in 0..<iterations {
            c0 = b.addingProduct(c0, a); c1 = b.addingProduct(c1, a); c2 = b.addingProduct(c2, a)
            c3 = b.addingProduct(c3, a); c4 = b.addingProduct(c4, a); c5 = b.addingProduct(c5, a)
            c6 = b.addingProduct(c6, a); c7 = b.addingProduct(c7, a); c8 = b.addingProduct(c8, a)
            c9 = b.addingProduct(c9, a); c10 = b.addingProduct(c10, a); c11 = b.addingProduct(c11, a)
        }
        let s = (c0 + c1 + c2 + c3) + (c4 + c5 + c6 + c7) + (c8 + c9 + c10 + c11)
        return VectorMath.sum(s)
    }

    /// u (NH, T, C) -> g (pairs, T): the Gram entries of the norm-based analysis.
    @inline(never)
    public static func gram(_ u: UnsafePointer<Float>, T: Int, C: Int, NH: Int, into g: UnsafeMutablePointer<Float>) {
        Gram.gram(u, T: T, C: C, NH: NH, into: g)
    }

    /// alpha (NH, T, T), g (pairs, T) -> out (T, T), rows scaled by rowScale (T) when given.
    @inline(never)
    public static func gramEvaluate(alpha: UnsafePointer<Float>, gram: UnsafePointer<Float>, T: Int, NH: Int,
                                    rowScale: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        Gram.evaluate(alpha: alpha, gram: gram, T: T, NH: NH, rowScale: rowScale, into: out)
    }

    /// Two forms in one pass over alpha: outA from gramA, outB from gramB scaled by rowScaleB.
    @inline(never)
    public static func gramEvaluateTwo(alpha: UnsafePointer<Float>, gramA: UnsafePointer<Float>, gramB: UnsafePointer<Float>,
                                       T: Int, NH: Int, rowScaleB: UnsafePointer<Float>,
                                       intoA: UnsafeMutablePointer<Float>, intoB: UnsafeMutablePointer<Float>) {
        Gram.evaluateTwo(alpha: alpha, gramA: gramA, gramB: gramB, T: T, NH: NH, rowScaleB: rowScaleB, intoA: intoA, intoB: intoB)
    }

    /// ALTI's L1 contributions: f (T, NH, C), alpha (NH, T, T), x (T, C), y (T, C) -> out (T, T),
    /// out[i, j] = max(0, |y_i|_1 - |y_i - sum_h alpha[h,i,j] f[j,h] - [i==j] x_i|_1); with
    /// `causal` only j <= i is written.
    @inline(never)
    public static func altiContributions(f: UnsafePointer<Float>, alpha: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                         y: UnsafePointer<Float>, T: Int, NH: Int, C: Int, causal: Bool,
                                         into out: UnsafeMutablePointer<Float>) {
        ALTIKernel.contributions(f: f, alpha: alpha, x: x, y: y, T: T, NH: NH, C: C, causal: causal, into: out)
    }
}
