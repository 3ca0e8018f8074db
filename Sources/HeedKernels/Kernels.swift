import HeedKernelsAVX2
import HeedKernelsAVX512
import HeedKernelsPortable

// Public fast kernels. The signatures are the contract used by the models and the analysis;
// each has a plain version in Reference.swift (or beside its caller) and a test comparing the two
// on awkward shapes for every variant the CPU supports (`ISA.supported`).
// Each call dispatches once, on `isa`, to a variant target (Sources/HeedKernelsShared, compiled
// per instruction set: see ISA.swift and Entry.swift there); this file is compiled for the
// baseline CPU and holds no loops.

public enum Kernels {
    /// c (M, N) = a (M, K) * b^T + bias, b (N, K) row-major; `accumulate` adds to c.
    /// Rows of a, b and c are `lda`, `ldb`, `ldc` floats apart (>= K, K, N); c must not overlap
    /// a or b. `isa` picks the kernel variant (default: the one chosen at start-up).
    public static func gemmABt(m: Int, n: Int, k: Int,
                               a: UnsafePointer<Float>, lda: Int,
                               b: UnsafePointer<Float>, ldb: Int,
                               c: UnsafeMutablePointer<Float>, ldc: Int,
                               bias: UnsafePointer<Float>? = nil, accumulate: Bool = false, isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.gemmABt(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, bias: bias, accumulate: accumulate)
        case .avx2: HeedKernelsAVX2.VariantKernels.gemmABt(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, bias: bias, accumulate: accumulate)
        case .portable: HeedKernelsPortable.VariantKernels.gemmABt(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, bias: bias, accumulate: accumulate)
        }
    }

    /// c (M, N) = a (M, K) * b + bias, b (K, N) row-major; `accumulate` adds to c.
    /// Rows of a, b and c are `lda`, `ldb`, `ldc` floats apart (>= K, N, N); c must not overlap
    /// a or b.
    public static func gemmAB(m: Int, n: Int, k: Int,
                              a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int,
                              c: UnsafeMutablePointer<Float>, ldc: Int,
                              bias: UnsafePointer<Float>? = nil, accumulate: Bool = false, isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.gemmAB(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, bias: bias, accumulate: accumulate)
        case .avx2: HeedKernelsAVX2.VariantKernels.gemmAB(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, bias: bias, accumulate: accumulate)
        case .portable: HeedKernelsPortable.VariantKernels.gemmAB(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, bias: bias, accumulate: accumulate)
        }
    }

    /// In place, per row of `cols`: x = softmax(x * scale + maskAdd), where maskAdd (cols) is
    /// added to every row (0 for kept, -inf or a large negative for masked columns). A row whose
    /// columns are all -inf becomes all zeros; a row with a NaN becomes all NaN.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                   scale: Float = 1, maskAdd: UnsafePointer<Float>? = nil, isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.softmaxRows(x, rows: rows, cols: cols, scale: scale, maskAdd: maskAdd)
        case .avx2: HeedKernelsAVX2.VariantKernels.softmaxRows(x, rows: rows, cols: cols, scale: scale, maskAdd: maskAdd)
        case .portable: HeedKernelsPortable.VariantKernels.softmaxRows(x, rows: rows, cols: cols, scale: scale, maskAdd: maskAdd)
        }
    }

    /// out (rows, C) = LayerNorm(x) * gamma + beta, biased variance, eps inside the sqrt;
    /// gamma and beta (C); beta nil for a LayerNorm without bias. `out` may be `x` (in place).
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, cols: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>?, eps: Float,
                                 out: UnsafeMutablePointer<Float>, isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: eps, out: out)
        case .avx2: HeedKernelsAVX2.VariantKernels.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: eps, out: out)
        case .portable: HeedKernelsPortable.VariantKernels.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: eps, out: out)
        }
    }

    /// In place: x = 0.5 x (1 + erf(x / sqrt 2))  (transformers' "gelu").
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.gelu(x, count: count)
        case .avx2: HeedKernelsAVX2.VariantKernels.gelu(x, count: count)
        case .portable: HeedKernelsPortable.VariantKernels.gelu(x, count: count)
        }
    }

    /// In place: x = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  ("gelu_new", "gelu_pytorch_tanh").
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int, isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.geluTanh(x, count: count)
        case .avx2: HeedKernelsAVX2.VariantKernels.geluTanh(x, count: count)
        case .portable: HeedKernelsPortable.VariantKernels.geluTanh(x, count: count)
        }
    }

    /// In place: gate[i] = silu(gate[i]) * up[i], i < count, silu(x) = x / (1 + e^-x): the SwiGLU
    /// of LlamaMLP (modeling_llama.py: down_proj(act_fn(gate_proj(x)) * up_proj(x))).
    public static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int, isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.siluMul(gate, up, count: count)
        case .avx2: HeedKernelsAVX2.VariantKernels.siluMul(gate, up, count: count)
        case .portable: HeedKernelsPortable.VariantKernels.siluMul(gate, up, count: count)
        }
    }

    /// out[i] = f(x[i]), i < count, through the variant's vector code, single-threaded (tests).
    public static func vectorFunction(_ f: VectorFunction, _ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>,
                                      isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.vectorFunction(f, x, count: count, into: out)
        case .avx2: HeedKernelsAVX2.VariantKernels.vectorFunction(f, x, count: count, into: out)
        case .portable: HeedKernelsPortable.VariantKernels.vectorFunction(f, x, count: count, into: out)
        }
    }

    /// The Gram entries of the norm-based analysis: u (NH, T, C) -> g (pairs, T),
    /// g[p][j] = <u_h[j], u_h'[j]> for head pairs p = (h <= h') in order, doubled off the diagonal.
    public static func gram(_ u: UnsafePointer<Float>, T: Int, C: Int, NH: Int, into g: UnsafeMutablePointer<Float>, isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.gram(u, T: T, C: C, NH: NH, into: g)
        case .avx2: HeedKernelsAVX2.VariantKernels.gram(u, T: T, C: C, NH: NH, into: g)
        case .portable: HeedKernelsPortable.VariantKernels.gram(u, T: T, C: C, NH: NH, into: g)
        }
    }

    /// The Gram quadratic form: alpha (NH, T, T), g (pairs, T) -> out (T, T),
    /// out[i, j] = sqrt(max(0, sum_p g[p][j] alpha[h,i,j] alpha[h',i,j])) * rowScale[i] (1 when nil).
    public static func gramEvaluate(alpha: UnsafePointer<Float>, gram: UnsafePointer<Float>, T: Int, NH: Int,
                                    rowScale: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>, isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.gramEvaluate(alpha: alpha, gram: gram, T: T, NH: NH, rowScale: rowScale, into: out)
        case .avx2: HeedKernelsAVX2.VariantKernels.gramEvaluate(alpha: alpha, gram: gram, T: T, NH: NH, rowScale: rowScale, into: out)
        case .portable: HeedKernelsPortable.VariantKernels.gramEvaluate(alpha: alpha, gram: gram, T: T, NH: NH, rowScale: rowScale, into: out)
        }
    }

    /// Two Gram quadratic forms in one pass over alpha: outA from gramA (unscaled), outB from
    /// gramB with rows scaled by rowScaleB (T).
    public static func gramEvaluateTwo(alpha: UnsafePointer<Float>, gramA: UnsafePointer<Float>, gramB: UnsafePointer<Float>,
                                       T: Int, NH: Int, rowScaleB: UnsafePointer<Float>,
                                       intoA: UnsafeMutablePointer<Float>, intoB: UnsafeMutablePointer<Float>, isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.gramEvaluateTwo(alpha: alpha, gramA: gramA, gramB: gramB, T: T, NH: NH, rowScaleB: rowScaleB, intoA: intoA, intoB: intoB)
        case .avx2: HeedKernelsAVX2.VariantKernels.gramEvaluateTwo(alpha: alpha, gramA: gramA, gramB: gramB, T: T, NH: NH, rowScaleB: rowScaleB, intoA: intoA, intoB: intoB)
        case .portable: HeedKernelsPortable.VariantKernels.gramEvaluateTwo(alpha: alpha, gramA: gramA, gramB: gramB, T: T, NH: NH, rowScaleB: rowScaleB, intoA: intoA, intoB: intoB)
        }
    }

    /// ALTI's L1 contributions (HeedAnalysis/ALTI.swift): f (T, NH, C) token j's head vectors,
    /// alpha (NH, T, T), x (T, C) the diagonal's extra term, y (T, C) -> out (T, T),
    /// out[i, j] = max(0, |y_i|_1 - |y_i - sum_h alpha[h,i,j] f[j,h] - [i==j] x_i|_1). With
    /// `causal`, entries j > i are not written. Plain reference: `Reference.altiContributions`.
    public static func altiContributions(f: UnsafePointer<Float>, alpha: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                         y: UnsafePointer<Float>, T: Int, NH: Int, C: Int, causal: Bool,
                                         into out: UnsafeMutablePointer<Float>, isa: ISA = ISA.active) {
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.altiContributions(f: f, alpha: alpha, x: x, y: y, T: T, NH: NH, C: C, causal: causal, into: out)
        case .avx2: HeedKernelsAVX2.VariantKernels.altiContributions(f: f, alpha: alpha, x: x, y: y, T: T, NH: NH, C: C, causal: causal, into: out)
        case .portable: HeedKernelsPortable.VariantKernels.altiContributions(f: f, alpha: alpha, x: x, y: y, T: T, NH: NH, C: C, causal: causal, into: out)
        }
    }

    /// The GEMM register tile and k-block depth of a variant: rows (MR), columns (NR, the
    /// packed panel width) and depth (KC); for tests that pick sizes which do not divide them.
    public static func tileShape(isa: ISA = ISA.active) -> (rows: Int, columns: Int, depth: Int) {
        switch isa {
        case .avx512: return HeedKernelsAVX512.VariantKernels.tileShape
        case .avx2: return HeedKernelsAVX2.VariantKernels.tileShape
        case .portable: return HeedKernelsPortable.VariantKernels.tileShape
        }
    }
}
