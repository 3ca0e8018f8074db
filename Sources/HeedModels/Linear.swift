// The linear layers of every family: y (T, OC) = x (T, C) * W^T (+ b), W as transformers stores
// it (out, in) = (OC, C). A weight is packed f32 (`PackedLinear`), or, read block-quantised from
// GGUF in a format the quantised GEMM reads (Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K), kept as its
// blocks (`QuantizedLinear`: dequantised panel by panel inside the GEMM, never as a float copy).
// Other quantised formats are dequantised to f32 at load and packed. The families call only
// `forward`, `bias` and `byteCount`; the analysis reads W_O per head through
// `forward(inputColumns:)` (no plain copy of any weight is kept).

import HeedCheckpoints
import HeedKernels

/// An embedding matrix (rows, E) read a row at a time: plain f32, or kept as ggml blocks (each
/// row whole blocks) and dequantised per looked-up row, so a quantised vocabulary costs its
/// file size.
public enum EmbeddingTable: @unchecked Sendable {
    case plain([Float], width: Int)
    case quantized(GGUFTensorData)

    /// E.
    public var width: Int {
        switch self {
        case let .plain(_, width): return width
        case let .quantized(d): return d.rowLength
        }
    }

    /// Bytes held (blocks in a mapping count: they become resident as rows are read).
    public var byteCount: Int {
        switch self {
        case let .plain(w, _): return 4 * w.count
        case let .quantized(d): return d.bytes.count
        }
    }

    /// Calls `body` with row `index` (E floats): in place, or dequantised into a fresh array.
    @inline(__always)
    public func withRow<R>(_ index: Int, _ body: (UnsafePointer<Float>) -> R) -> R {
        switch self {
        case let .plain(w, width):
            return w.withUnsafeBufferPointer { body($0.baseAddress! + index * width) }
        case let .quantized(d):
            return d.dequantizedRow(index).withUnsafeBufferPointer { body($0.baseAddress!) }
        }
    }
}

/// A weight matrix W (OC, C) with an optional bias (OC), ready for the GEMM.
public enum Linear: @unchecked Sendable {
    /// W packed once into the f32 GEMM's panels.
    case packed(PackedLinear)
    /// W kept as ggml blocks.
    case quantized(QuantizedLinear)
    /// Several Linears of the same C stacked along OC: W = [W_0; W_1; ...] (rows), b likewise,
    /// y's columns in the same order. Q, K and V read in place from a file's blocks run as one
    /// (3C, C) projection this way, without a fused copy of their blocks.
    indirect case stacked([Linear])

    /// OC.
    public var outFeatures: Int {
        switch self {
        case let .packed(p): return p.outFeatures
        case let .quantized(q): return q.outFeatures
        case let .stacked(parts): return parts.reduce(0) { $0 + $1.outFeatures }
        }
    }

    /// C.
    public var inFeatures: Int {
        switch self {
        case let .packed(p): return p.inFeatures
        case let .quantized(q): return q.inFeatures
        case let .stacked(parts): return parts.first?.inFeatures ?? 0
        }
    }

    /// b (OC), or nil for a Linear without bias (stacked: the parts' biases in order, zeros for
    /// a part without one; nil when no part has one).
    public var bias: [Float]? {
        switch self {
        case let .packed(p): return p.bias
        case let .quantized(q): return q.bias
        case let .stacked(parts):
            guard parts.contains(where: { $0.bias != nil }) else { return nil }
            return parts.flatMap { $0.bias ?? [Float](repeating: 0, count: $0.outFeatures) }
        }
    }

    /// Bytes the weight and bias hold in memory; blocks read in place from a file mapping count
    /// too (they become resident as the GEMM reads them).
    public var byteCount: Int {
        switch self {
        case let .packed(p): return p.byteCount
        case let .quantized(q): return max(q.byteCount, q.outFeatures * q.rowBytes + 4 * (q.bias?.count ?? 0))
        case let .stacked(parts): return parts.reduce(0) { $0 + $1.byteCount }
        }
    }

    /// y (T, OC) = x (T, C) * W^T + b, T = `rows`; rows of x are C apart, rows of y OC apart.
    @inline(__always)
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        switch self {
        case let .packed(p): p.forward(x, rows: rows, into: y)
        case let .quantized(q): q.forward(x, rows: rows, into: y)
        case .stacked: forward(x, rows: rows, ldx: inFeatures, into: y, ldy: outFeatures)
        }
    }

    /// y (T, OC) = x (T, C) * W^T + b with rows of x `ldx` apart and rows of y `ldy` apart.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int) {
        switch self {
        case let .packed(p): p.forward(x, rows: rows, ldx: ldx, into: y, ldy: ldy, accumulate: false)
        case let .quantized(q): q.forward(x, rows: rows, ldx: ldx, into: y, ldy: ldy, accumulate: false)
        case let .stacked(parts):
            var column = 0
            for part in parts {
                part.forward(x, rows: rows, ldx: ldx, into: y + column, ldy: ldy)
                column += part.outFeatures
            }
        }
    }

    /// y (T, OC) = x (T, K) * W[:, columns]^T, K = `columns.count`, without the bias: what the
    /// input features `columns` alone contribute (an attention head's slice of W_O), read in
    /// place from the panels or the blocks (PackedLinear / QuantizedLinear
    /// `forward(inputColumns:)`). Rows of x are `ldx` apart, rows of y `ldy` apart; y must not
    /// overlap x. Precondition: `columns` lies within 0 ..< C.
    public func forward(inputColumns columns: Range<Int>, _ x: UnsafePointer<Float>, rows: Int, ldx: Int,
                        into y: UnsafeMutablePointer<Float>, ldy: Int) {
        switch self {
        case let .packed(p): p.forward(inputColumns: columns, x, rows: rows, ldx: ldx, into: y, ldy: ldy)
        case let .quantized(q): q.forward(inputColumns: columns, x, rows: rows, ldx: ldx, into: y, ldy: ldy)
        case let .stacked(parts):
            var column = 0
            for part in parts {
                part.forward(inputColumns: columns, x, rows: rows, ldx: ldx, into: y + column, ldy: ldy)
                column += part.outFeatures
            }
        }
    }

    /// True when the quantised GEMM reads `blocks`' format in place.
    public static func keepsQuantized(_ blocks: GGUFTensorData) -> Bool { QuantizedLinear.supports(blocks.format) }

    /// W (OC, C) as `blocks` (rows of C, read in place from the mapping, which stays alive) and
    /// b (OC) or nil. Throws `QuantizedLinear.Error` when the sizes disagree.
    public static func quantized(_ blocks: GGUFTensorData, bias: [Float]?, outFeatures: Int, inFeatures: Int) throws -> Linear {
        .quantized(try QuantizedLinear(mapped: blocks.bytes.baseAddress!, byteCount: blocks.bytes.count, owner: blocks.file,
                                       format: blocks.format, outFeatures: outFeatures, inFeatures: inFeatures, bias: bias))
    }

    /// W (OC, C) row-major f32: unpacked from the panels, or dequantised from the blocks. A
    /// fresh array on every call (nothing is kept), for callers that need W whole (tests, tools);
    /// the analysis reads W_O per head through `forward(inputColumns:)` instead.
    public func plainWeight() -> [Float] {
        switch self {
        case let .packed(p): return p.unpackedWeight()
        case let .quantized(q): return q.dequantized()
        case let .stacked(parts): return parts.flatMap { $0.plainWeight() }
        }
    }

    /// Packs W (OC, C) row-major f32 and b (OC) or nil.
    public static func dense(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int) -> Linear {
        .packed(PackedLinear(weight: weight, bias: bias, outFeatures: outFeatures, inFeatures: inFeatures))
    }
}
