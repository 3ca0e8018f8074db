// The METHODS.md quantities that apply to cross-attention (an encoder-decoder's decoder attending
// to the encoder output): the attended side is the source, so every matrix is T_q x T_k =
// T_tgt x T_src. `attention`, `value-norm`, `norm` and `norm-summed` are defined; the residual
// methods (`attn-res`, `attn-res-ln`, mixing ratios) put x_i on the diagonal j == i, which has no
// meaning when rows and columns are different sequences, so they are not.
//
// f^h(v_j) = v^h_j W_O^h^T (b_V inside v, b_O never attributed), read from the taps' values
// (T_k, NKV*HS) and the model's out-projection per head in place. `norm-summed` uses the Gram
// identity ||sum_h a_h f^h_j||^2 = a^T G_j a with G_j accumulated in double (METHODS.md).

import Foundation
import HeedKernels
import HeedModels

/// Cross-attention analysis of one site (full taps of `AttentionSite(layer:kind: .crossAttention)`).
public struct CrossAttentionAnalysis {
    /// NH, T_q (target), T_k (source), C.
    public let heads: Int, queries: Int, keys: Int, hidden: Int
    /// `attention`: alpha^h[i, j]   (NH, T_q, T_k).
    public let attention: Tensor
    /// `value-norm`: ||f^h(x_j)||   (NH, T_k).
    public let valueNorm: Tensor
    /// f^h(x_j)   (NH, T_k, C), row-major.
    let f: [Float]

    /// Needs taps recorded at `TapLevel.full` (x, alpha, v) with a geometry. Throws
    /// `CrossAttentionError.incompleteTaps` otherwise.
    public init(taps: LayerTaps) throws {
        guard let g = taps.geometry, let alpha = taps.attention, let values = taps.values else {
            throw CrossAttentionError.incompleteTaps(taps.site)
        }
        let NH = g.heads, NKV = g.kvHeads, HS = g.headSize, TK = g.keys, C = taps.parameters.normWeight.count
        heads = NH; queries = g.queries; keys = TK; hidden = C
        attention = alpha
        let p = taps.parameters
        var f = [Float](repeating: 0, count: NH * TK * C)
        values.data.withUnsafeBufferPointer { v in
            f.withUnsafeMutableBufferPointer { fp in
                for h in 0..<NH {
                    p.output(inputColumns: (h * HS)..<((h + 1) * HS), v.baseAddress! + g.kvHead(of: h) * HS, rows: TK, ldx: NKV * HS,
                             into: fp.baseAddress! + h * TK * C, ldy: C)
                }
            }
        }
        self.f = f
        var norms = [Float](repeating: 0, count: NH * TK)
        for r in 0..<(NH * TK) {
            var s = 0.0
            for c in 0..<C { let e = Double(f[r * C + c]); s += e * e }
            norms[r] = Float(s.squareRoot())
        }
        valueNorm = Tensor(shape: [NH, TK], data: norms)
    }

    /// `norm`: alpha^h[i,j] ||f^h(x_j)||   (NH, T_q, T_k).
    public func norm() -> Tensor {
        var out = attention.data
        for h in 0..<heads {
            for i in 0..<queries {
                for j in 0..<keys { out[(h * queries + i) * keys + j] *= valueNorm.data[h * keys + j] }
            }
        }
        return Tensor(shape: [heads, queries, keys], data: out)
    }

    /// `norm-summed` (Attn-N): ||sum_h alpha^h[i,j] f^h(x_j)||   (T_q, T_k), by the Gram identity
    /// in double, tiny negative forms clamped at 0.
    public func normSummed() -> Tensor {
        let NH = heads, TQ = queries, TK = keys, C = hidden
        var out = [Float](repeating: 0, count: TQ * TK)
        var gram = [Double](repeating: 0, count: NH * NH)
        for j in 0..<TK {
            for h in 0..<NH {
                for h2 in h..<NH {
                    var s = 0.0
                    let a = (h * TK + j) * C, b = (h2 * TK + j) * C
                    for c in 0..<C { s += Double(f[a + c]) * Double(f[b + c]) }
                    gram[h * NH + h2] = s; gram[h2 * NH + h] = s
                }
            }
            for i in 0..<TQ {
                var q = 0.0
                for h in 0..<NH {
                    let ah = Double(attention.data[(h * TQ + i) * TK + j])
                    guard ah != 0 else { continue }
                    for h2 in 0..<NH { q += ah * Double(attention.data[(h2 * TQ + i) * TK + j]) * gram[h * NH + h2] }
                }
                out[i * TK + j] = Float(max(0, q).squareRoot())
            }
        }
        return Tensor(shape: [TQ, TK], data: out)
    }

    /// `attention` averaged over heads: the paper's layer-level weight baseline   (T_q, T_k).
    public func meanAttention() -> Tensor {
        var out = [Float](repeating: 0, count: queries * keys)
        for h in 0..<heads {
            for r in 0..<(queries * keys) { out[r] += attention.data[h * queries * keys + r] }
        }
        for r in out.indices { out[r] /= Float(heads) }
        return Tensor(shape: [queries, keys], data: out)
    }

    /// The direct route, for tests: z_ij = sum_h alpha^h[i,j] f^h(x_j) formed explicitly, ||z_ij||.
    public func normSummedDirect() -> Tensor {
        var out = [Float](repeating: 0, count: queries * keys)
        for i in 0..<queries {
            for j in 0..<keys {
                var z = [Double](repeating: 0, count: hidden)
                for h in 0..<heads {
                    let a = Double(attention.data[(h * queries + i) * keys + j])
                    for c in 0..<hidden { z[c] += a * Double(f[(h * keys + j) * hidden + c]) }
                }
                out[i * keys + j] = Float(z.reduce(0) { $0 + $1 * $1 }.squareRoot())
            }
        }
        return Tensor(shape: [queries, keys], data: out)
    }
}

/// Cross-attention analysis errors.
public enum CrossAttentionError: Error, Equatable, CustomStringConvertible {
    /// The taps lack x, alpha, v or the geometry (record them at `TapLevel.full`).
    case incompleteTaps(AttentionSite)

    public var description: String {
        switch self {
        case let .incompleteTaps(site): return "\(site): the taps lack the attention weights, values or geometry (record at the full tap level)"
        }
    }
}
