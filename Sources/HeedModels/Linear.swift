// The linear layers of every family: y (T, OC) = x (T, C) * W^T (+ b), W as transformers stores
// it (out, in) = (OC, C). Today a weight is packed f32 (`PackedLinear`); a quantised weight read
// from GGUF is dequantised to f32 at load and packed. The second case, the quantised GEMM that
// keeps W's blocks and dequantises panel by panel (`QuantizedLinear`, issue 11 part 3), is added
// here as `case quantized(QuantizedLinear)` when it lands: the families call only `forward`,
// `bias` and `byteCount`, so none of them changes.

import HeedCheckpoints
import HeedKernels

/// A weight matrix W (OC, C) with an optional bias (OC), ready for the GEMM.
public enum Linear: @unchecked Sendable {
    /// W packed once into the f32 GEMM's panels.
    case packed(PackedLinear)

    /// OC.
    public var outFeatures: Int {
        switch self { case let .packed(p): return p.outFeatures }
    }

    /// C.
    public var inFeatures: Int {
        switch self { case let .packed(p): return p.inFeatures }
    }

    /// b (OC), or nil for a Linear without bias.
    public var bias: [Float]? {
        switch self { case let .packed(p): return p.bias }
    }

    /// Bytes the weight and bias hold in memory.
    public var byteCount: Int {
        switch self { case let .packed(p): return p.byteCount }
    }

    /// y (T, OC) = x (T, C) * W^T + b, T = `rows`; rows of x are C apart, rows of y OC apart.
    @inline(__always)
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        switch self { case let .packed(p): p.forward(x, rows: rows, into: y) }
    }

    /// Packs W (OC, C) row-major f32 and b (OC) or nil.
    public static func dense(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int) -> Linear {
        .packed(PackedLinear(weight: weight, bias: bias, outFeatures: outFeatures, inFeatures: inFeatures))
    }
}
