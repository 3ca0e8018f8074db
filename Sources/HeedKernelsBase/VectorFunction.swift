/// The vectorised elementwise functions every kernel variant provides, for tests that compare
/// each variant's lanes with a Double reference (`Kernels.vectorFunction`).
public enum VectorFunction: Int, CaseIterable, Sendable {
    /// e^x.
    case exp
    /// erf(x).
    case erf
    /// erfc(x) = 1 - erf(x), with relative accuracy for large x.
    case erfc
    /// tanh(x).
    case tanh
    /// 0.5 x (1 + erf(x / sqrt 2)).
    case gelu
    /// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    case geluTanh
    /// x / (1 + e^-x).
    case silu
}
