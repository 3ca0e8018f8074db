import HeedKernels

// Named taps: what a forward pass records per layer so that analysis never reaches into a
// model (DESIGN.md, Invariants; docs/methods.md, notation). x_j is the layer input; for post-LN
// encoders the residual is x itself and the attention LayerNorm follows the sum.

/// How much of each layer the forward pass keeps.
public enum TapLevel: Sendable {
    /// Hidden states only.
    case none
    /// Hidden states and attention weights alpha.
    case attention
    /// Everything docs/methods.md needs: x, alpha, value vectors, W_O, b_O, the pre-LayerNorm sum,
    /// the LayerNorm parameters and its output.
    case full
}

/// The parameters of one layer's attention output and LayerNorm, shared with the model (no copy).
/// A bias the checkpoint does not have (a Linear or LayerNorm built with `bias=False`, as in
/// every Llama-family model) is nil, never an empty or zero-filled array.
public struct AttentionOutputParameters {
    /// W_O as stored by transformers (out, in) = (C, C): f^h(x) = v^h * W_O[:, h*HS ..< (h+1)*HS]^T.
    public let outputWeight: [Float]
    /// b_O (C), nil when the out-projection has no bias: never attributed to a token.
    public let outputBias: [Float]?
    /// gamma (C) of the LayerNorm applied to y = attention output + x.
    public let layerNormWeight: [Float]
    /// beta (C) of that LayerNorm, nil when it has no bias.
    public let layerNormBias: [Float]?
    /// eps of that LayerNorm (config.json's `layer_norm_eps`).
    public let layerNormEps: Float

    /// W_O (C, C), b_O (C) or nil, gamma (C), beta (C) or nil, eps: as the fields above.
    public init(outputWeight: [Float], outputBias: [Float]?, layerNormWeight: [Float], layerNormBias: [Float]?, layerNormEps: Float) {
        self.outputWeight = outputWeight; self.outputBias = outputBias
        self.layerNormWeight = layerNormWeight; self.layerNormBias = layerNormBias; self.layerNormEps = layerNormEps
    }
}

/// What one encoder layer recorded. Optional fields are nil below `TapLevel.full`.
public struct LayerTaps {
    public let layer: Int
    /// x: the block input, (T, C).
    public var input: Tensor?
    /// alpha^h[i, j], (NH, T, T): row i attends to column j.
    public var attention: Tensor?
    /// v = x W_V^T + b_V, (T, C): head h owns columns h*HS ..< (h+1)*HS.
    public var values: Tensor?
    /// y = attention output (including b_O) + x: the LayerNorm's input, (T, C).
    public var preLayerNorm: Tensor?
    /// LayerNorm(y), (T, C): the attention block's output.
    public var postLayerNorm: Tensor?
    /// W_O, b_O and the LayerNorm parameters (always present).
    public let parameters: AttentionOutputParameters
}

/// The result of one forward pass over a single unpadded sequence.
public struct ForwardResult {
    public let tokenIDs: [Int]
    /// L + 1 tensors (T, C): the embedding output, then each layer's output; L when the pass
    /// stopped after the last layer's attention block (`finalHiddenState: false`).
    public let hiddenStates: [Tensor]
    /// One entry per layer.
    public let layers: [LayerTaps]
    public var tokenCount: Int { tokenIDs.count }
}

/// Errors a forward pass reports for its input.
public enum ForwardError: Error, Equatable, CustomStringConvertible {
    case emptyInput
    case tooLong(tokens: Int, limit: Int)
    case tokenOutOfRange(id: Int, vocabSize: Int)
    case cancelled

    public var description: String {
        switch self {
        case .emptyInput: return "the input has no tokens"
        case let .tooLong(tokens, limit): return "the input has \(tokens) tokens; the model allows at most \(limit)"
        case let .tokenOutOfRange(id, vocab): return "token id \(id) is outside the vocabulary (size \(vocab))"
        case .cancelled: return "the forward pass was cancelled"
        }
    }
}
