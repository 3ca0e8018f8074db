// Rotary position embeddings as Llama-family models apply them to queries and keys:
// transformers/models/llama/modeling_llama.py (LlamaRotaryEmbedding, rotate_half,
// apply_rotary_pos_emb) and modeling_rope_utils.py (_compute_default_rope_parameters,
// _compute_linear_scaling_rope_parameters, _compute_llama3_parameters), computed in float32 the
// way transformers computes them so that positions far from 0 round alike.

import HeedCheckpoints

/// The rotary embedding of one model: d / 2 inverse frequencies (d = HS) and how the rotated
/// pairs are laid out in a head.
struct RotaryEmbedding: Sendable {
    /// Which two features of a head rotate together, with frequency i.
    enum Pairing: Sendable {
        /// (i, i + HS/2): transformers' rotate_half, for q/k rows as transformers stores them.
        case halves
        /// (2i, 2i + 1): for q/k rows permuted as llama.cpp's converter writes them for
        /// `llama` GGUF files (LlamaModel.permute in convert_hf_to_gguf.py). Scores q . k are
        /// the same as with `halves` on the unpermuted rows: both sides are permuted alike.
        case adjacent
    }

    /// HS.
    let headSize: Int
    /// inv_freq (HS / 2), float32 as transformers holds it.
    let inverseFrequencies: [Float]
    let pairing: Pairing

    /// theta^(-2i / HS) for i < HS / 2, then the scaling; `RopeScaling.factors` must hold HS / 2 divisors.
    init(headSize: Int, theta: Double, scaling: RopeScaling, pairing: Pairing) {
        self.headSize = headSize
        self.pairing = pairing
        let half = headSize / 2
        // 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim)), in float32.
        var inv = (0..<half).map { i -> Float in
            let exponent = Float(2 * i) / Float(headSize)
            return 1 / Float(pow(theta, Double(exponent)))
        }
        switch scaling {
        case .none: break
        case let .linear(factor): inv = inv.map { $0 / Float(factor) }
        case let .factors(f): inv = zip(inv, f).map { $0 / $1 }
        case let .llama3(factor, low, high, original):
            let factor = Float(factor), low = Float(low), high = Float(high), old = Float(original)
            let lowWavelength = old / low, highWavelength = old / high
            inv = inv.map { f in
                let wavelength = 2 * Float.pi / f
                let llama = wavelength > lowWavelength ? f / factor : f
                let smooth = (old / wavelength - low) / (high - low)
                let smoothed = (1 - smooth) * llama / factor + smooth * llama
                let medium = !(wavelength < highWavelength) && !(wavelength > lowWavelength)
                return medium ? smoothed : llama
            }
        }
        self.inverseFrequencies = inv
    }

    /// cos and sin of position * inv_freq for positions 0 ..< T: two (T, HS / 2) tables.
    func tables(positions T: Int) -> (cos: [Float], sin: [Float]) {
        let half = headSize / 2
        var c = [Float](repeating: 0, count: T * half), s = c
        for t in 0..<T {
            for i in 0..<half {
                let phase = Double(Float(t) * inverseFrequencies[i])
                c[t * half + i] = Float(Foundation.cos(phase))
                s[t * half + i] = Float(Foundation.sin(phase))
            }
        }
        return (c, s)
    }

    /// Rotates `heads` heads of HS features in each of T rows of `x` (rows `rowStride` floats
    /// apart), in place, with `tables(positions:)`' cos and sin: x * cos + rotate(x) * sin.
    func apply(_ x: UnsafeMutablePointer<Float>, rows T: Int, heads: Int, rowStride: Int, cos: [Float], sin: [Float]) {
        let half = headSize / 2
        cos.withUnsafeBufferPointer { cp in sin.withUnsafeBufferPointer { sp in
            for t in 0..<T {
                let c = cp.baseAddress! + t * half, s = sp.baseAddress! + t * half
                for h in 0..<heads {
                    let p = x + t * rowStride + h * headSize
                    switch pairing {
                    case .halves:
                        for i in 0..<half {
                            let a = p[i], b = p[i + half]
                            p[i] = a * c[i] - b * s[i]
                            p[i + half] = b * c[i] + a * s[i]
                        }
                    case .adjacent:
                        for i in 0..<half {
                            let a = p[2 * i], b = p[2 * i + 1]
                            p[2 * i] = a * c[i] - b * s[i]
                            p[2 * i + 1] = b * c[i] + a * s[i]
                        }
                    }
                }
            }
        } }
    }
}

import Foundation
