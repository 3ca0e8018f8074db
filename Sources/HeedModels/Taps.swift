import HeedKernels

// Named taps: what a forward pass records per attention site so that analysis never reaches into
// a model (DESIGN.md, Invariants; docs/methods.md, notation). The contract is family-neutral:
// a site is (layer, self or cross attention); attention may have fewer K/V heads than query
// heads (NKV < NH, grouped-query attention), no output bias, T_q query rows against T_k key
// columns, a mask per row (causal); the norm of the block says what it is (LayerNorm or RMSNorm)
// and where it sits (after the residual sum, as in post-LN encoders, or before the block, as in
// pre-norm decoders). x_j is the block input; the residual stream adds the attention output to x.

/// How much of each layer the forward pass keeps.
public enum TapLevel: Sendable {
    /// Hidden states only.
    case none
    /// Hidden states and attention weights alpha.
    case attention
    /// Everything docs/methods.md needs: x, alpha, value vectors, W_O, b_O, the residual sum,
    /// the norm's parameters and, after a post-block norm, its output.
    case full
}

/// What a forward pass records, for which layers, and where it goes: kept in the
/// `ForwardResult`, or handed to `consumer` as soon as each layer is done (then not kept), so
/// that an analysis of a long text never holds every layer's attention at once.
public struct TapRequest {
    /// The level of the recorded layers.
    public var level: TapLevel
    /// The layers recorded (0-based); nil: all. The others record nothing (`.none`).
    public var layers: Set<Int>?
    /// Called in layer order with each recorded layer's taps; the result then has no `layers`.
    /// What it throws ends the pass.
    public var consumer: ((LayerTaps) throws -> Void)?

    public init(_ level: TapLevel, layers: Set<Int>? = nil, consumer: ((LayerTaps) throws -> Void)? = nil) {
        self.level = level; self.layers = layers; self.consumer = consumer
    }

    /// The level layer `l` records.
    public func level(for l: Int) -> TapLevel { layers.map { $0.contains(l) } ?? true ? level : .none }

    /// Keeps `taps` in `recorded`, or hands them to the consumer.
    func deliver(_ taps: LayerTaps, to recorded: inout [LayerTaps]) throws {
        if let consumer { try consumer(taps) } else { recorded.append(taps) }
    }
}

/// Self-attention (queries and keys from the same sequence) or cross-attention (keys from an
/// encoder's output, as in encoder-decoder models).
public enum AttentionKind: String, Sendable, Hashable {
    case selfAttention = "self"
    case crossAttention = "cross"
}

/// Where attention happens: a layer and the kind of attention in it (a decoder layer of an
/// encoder-decoder model has both).
public struct AttentionSite: Hashable, Sendable, CustomStringConvertible {
    /// 0-based layer index.
    public let layer: Int
    public let kind: AttentionKind

    public init(layer: Int, kind: AttentionKind = .selfAttention) {
        self.layer = layer
        self.kind = kind
    }

    public var description: String { "layer \(layer) \(kind.rawValue)-attention" }
}

/// Which normalisation a block uses: LayerNorm(y) = (y - mean(y)) / sqrt(Var(y) + eps) * gamma + beta,
/// or RMSNorm(y) = y / sqrt(mean(y^2) + eps) * gamma (no centring, no beta).
public enum NormKind: String, Sendable, Equatable {
    case layerNorm
    case rmsNorm
}

/// Where a block's norm sits: after the residual sum (post-norm: out = Norm(x + f(x)), BERT) or
/// before the block on its input (pre-norm: out = x + f(Norm(x)), Llama).
public enum NormPlacement: String, Sendable, Equatable {
    case afterBlock
    case beforeBlock
}

/// The norm of an attention block: what it is and where it sits.
public struct NormSpec: Equatable, Sendable {
    public let kind: NormKind
    public let placement: NormPlacement

    public init(kind: NormKind, placement: NormPlacement) {
        self.kind = kind
        self.placement = placement
    }

    /// A LayerNorm after attention + residual (the BERT family).
    public static let postLayerNorm = NormSpec(kind: .layerNorm, placement: .afterBlock)
    /// An RMSNorm on the block's input (the Llama family).
    public static let preRMSNorm = NormSpec(kind: .rmsNorm, placement: .beforeBlock)

    /// True when a norm follows the residual sum (the analysis's `attn-res-ln` needs one).
    public var isAfterBlock: Bool { placement == .afterBlock }
}

/// Which keys each query row may attend to. alpha is zero outside; the taps keep the mask so
/// that an analysis can tell a masked zero from a learned one.
public enum AttentionMask: Equatable, Sendable {
    /// Every row sees every key (bidirectional encoders on one unpadded sequence).
    case none
    /// Row i sees keys 0...i (decoders; T_q == T_k).
    case causal
    /// Row i sees the keys `visible[i]` (sliding windows, padding, chunked prefill).
    case rows([Range<Int>])

    /// The keys row `i` may attend to, of `keys` (T_k) in all.
    public func visibleKeys(row i: Int, keys: Int) -> Range<Int> {
        switch self {
        case .none: return 0..<keys
        case .causal: return 0..<min(i + 1, keys)
        case let .rows(visible): return visible[i]
        }
    }
}

/// The shape of one attention site: NH query heads of HS features each, NKV key/value heads
/// (NH a multiple of NKV; query head h reads K/V head h / (NH / NKV)), T_q queries, T_k keys.
public struct AttentionGeometry: Equatable, Sendable {
    /// NH.
    public let heads: Int
    /// NKV (== NH without grouped-query attention).
    public let kvHeads: Int
    /// HS.
    public let headSize: Int
    /// T_q.
    public let queries: Int
    /// T_k.
    public let keys: Int

    public init(heads: Int, kvHeads: Int, headSize: Int, queries: Int, keys: Int) {
        precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0, "NH must be a positive multiple of NKV")
        self.heads = heads; self.kvHeads = kvHeads; self.headSize = headSize; self.queries = queries; self.keys = keys
    }

    /// The K/V head query head `h` reads.
    @inline(__always)
    public func kvHead(of h: Int) -> Int { h / (heads / kvHeads) }
}

/// The parameters of one attention site's output projection and of its block's norm, shared
/// with the model (no copy). A bias the checkpoint does not have (a Linear or LayerNorm built
/// with `bias=False`, as in every Llama-family model) is nil, never an empty or zero-filled array.
public struct AttentionOutputParameters {
    /// Where W_O comes from: a plain array, or the model's own out-projection (read back on
    /// demand, so the model keeps no second copy of W_O).
    private enum OutputWeight {
        case plain([Float])
        case linear(Linear)
    }
    private let outputWeightSource: OutputWeight
    /// W_O as stored by transformers (out, in) = (C, NH*HS): f^h(x) = v^h * W_O[:, h*HS ..< (h+1)*HS]^T.
    /// From a model's out-projection, a fresh array per access (unpacked or dequantised): for
    /// tests and direct routes; the analysis uses `output(inputColumns:...)`, which copies nothing.
    public var outputWeight: [Float] {
        switch outputWeightSource {
        case let .plain(w): return w
        case let .linear(l): return l.plainWeight()
        }
    }
    /// f = x (T, K) * W_O[:, columns]^T (T, C), K = `columns.count`, without b_O: what the
    /// input features `columns` alone contribute (head h's f^h(x_j) = v^h_j W_O^h^T with
    /// columns h*HS ..< (h+1)*HS). Read in place from the model's out-projection (its packed
    /// panels or quantised blocks: `Linear.forward(inputColumns:)`), never through a copy of
    /// W_O. Rows of x are `ldx` apart, rows of y `ldy` apart (C = `normWeight.count`); y must
    /// not overlap x. Precondition: `columns` lies within 0 ..< NH*HS.
    public func output(inputColumns columns: Range<Int>, _ x: UnsafePointer<Float>, rows: Int, ldx: Int,
                       into y: UnsafeMutablePointer<Float>, ldy: Int) {
        switch outputWeightSource {
        case let .linear(l):
            l.forward(inputColumns: columns, x, rows: rows, ldx: ldx, into: y, ldy: ldy)
        case let .plain(w):
            let C = normWeight.count, D = C > 0 ? w.count / C : 0
            precondition(columns.lowerBound >= 0 && columns.upperBound <= D, "input columns outside 0..<NH*HS")
            w.withUnsafeBufferPointer { wp in
                Kernels.gemmABt(m: rows, n: C, k: columns.count, a: x, lda: ldx, b: wp.baseAddress! + columns.lowerBound, ldb: D,
                                c: y, ldc: ldy)
            }
        }
    }
    /// b_O (C), nil when the out-projection has no bias: never attributed to a token.
    public let outputBias: [Float]?
    /// What the block's norm is and where it sits.
    public let norm: NormSpec
    /// gamma (C) of the block's norm.
    public let normWeight: [Float]
    /// beta (C) of the block's norm, nil when it has none (always nil for RMSNorm).
    public let normBias: [Float]?
    /// eps of the block's norm (config.json's `layer_norm_eps` / `rms_norm_eps`).
    public let normEps: Float

    /// W_O (C, NH*HS), b_O (C) or nil, the norm, gamma (C), beta (C) or nil, eps.
    public init(outputWeight: [Float], outputBias: [Float]?, norm: NormSpec, normWeight: [Float], normBias: [Float]?, normEps: Float) {
        self.outputWeightSource = .plain(outputWeight); self.outputBias = outputBias
        self.norm = norm; self.normWeight = normWeight; self.normBias = normBias; self.normEps = normEps
    }

    /// The out-projection `output` (W_O (C, NH*HS) and b_O), the norm, gamma (C), beta (C) or
    /// nil, eps. W_O is read from `output` when the analysis asks for it.
    public init(output: Linear, norm: NormSpec, normWeight: [Float], normBias: [Float]?, normEps: Float) {
        self.outputWeightSource = .linear(output); self.outputBias = output.bias
        self.norm = norm; self.normWeight = normWeight; self.normBias = normBias; self.normEps = normEps
    }
}

/// What one attention site recorded. Optional fields are nil below `TapLevel.full`.
public struct LayerTaps {
    /// The site's layer.
    public var layer: Int { site.layer }
    /// Where the attention happened.
    public let site: AttentionSite
    /// NH, NKV, HS, T_q, T_k; nil only for taps built by hand without it (the analysis then
    /// takes NH from its caller and assumes NKV = NH, T_q = T_k).
    public let geometry: AttentionGeometry?
    /// Which keys each query row may attend to.
    public let mask: AttentionMask
    /// x: the residual stream entering the block, (T_q, C).
    public var input: Tensor?
    /// alpha^h[i, j], (NH, T_q, T_k): row i attends to column j.
    public var attention: Tensor?
    /// v = x' W_V^T + b_V, (T_k, NKV*HS), x' the keys' source after any pre-norm: K/V head g owns
    /// columns g*HS ..< (g+1)*HS.
    public var values: Tensor?
    /// y = attention output (including b_O) + x: the residual sum, (T_q, C).
    public var residualSum: Tensor?
    /// Norm(y) for a norm after the block (its output), (T_q, C); nil for a pre-norm block,
    /// whose output is y itself.
    public var normalizedSum: Tensor?
    /// W_O, b_O and the norm's parameters (always present).
    public let parameters: AttentionOutputParameters

    /// Taps of `site` with `geometry` and `mask`; the tensors are set by the forward pass.
    public init(site: AttentionSite, geometry: AttentionGeometry, mask: AttentionMask, parameters: AttentionOutputParameters) {
        self.site = site; self.geometry = geometry; self.mask = mask; self.parameters = parameters
    }

    /// Taps of layer `layer`'s self-attention without a recorded geometry (hand-built taps).
    public init(layer: Int, parameters: AttentionOutputParameters) {
        self.site = AttentionSite(layer: layer); self.geometry = nil; self.mask = .none; self.parameters = parameters
    }

    /// Floats held by the recorded tensors (for cache accounting).
    public var floatCount: Int {
        (input?.count ?? 0) + (attention?.count ?? 0) + (values?.count ?? 0) + (residualSum?.count ?? 0) + (normalizedSum?.count ?? 0)
    }
}

/// The result of one forward pass over a single unpadded sequence.
public struct ForwardResult {
    public let tokenIDs: [Int]
    /// L + 1 tensors (T, C): the embedding output, then each layer's output; L when the pass
    /// stopped after the last layer's attention block (`finalHiddenState: false`).
    public let hiddenStates: [Tensor]
    /// One entry per attention site, in layer order (self before cross within a layer).
    public let layers: [LayerTaps]
    public var tokenCount: Int { tokenIDs.count }

    public init(tokenIDs: [Int], hiddenStates: [Tensor], layers: [LayerTaps]) {
        self.tokenIDs = tokenIDs; self.hiddenStates = hiddenStates; self.layers = layers
    }

    /// The taps of `site`, or nil when the pass did not record it.
    public func taps(at site: AttentionSite) -> LayerTaps? { layers.first { $0.site == site } }
}

/// Errors a forward pass reports for its input.
public enum ForwardError: Error, Equatable, CustomStringConvertible {
    case emptyInput
    case tooLong(tokens: Int, limit: Int)
    case tokenOutOfRange(id: Int, vocabSize: Int)
    case cancelled

    /// Checks a forward pass's input: at least one token, at most `limit`, every id in 0..<`vocabSize`.
    public static func check(_ ids: [Int], limit: Int, vocabSize: Int) throws {
        guard !ids.isEmpty else { throw ForwardError.emptyInput }
        guard ids.count <= limit else { throw ForwardError.tooLong(tokens: ids.count, limit: limit) }
        if let id = ids.first(where: { $0 < 0 || $0 >= vocabSize }) { throw ForwardError.tokenOutOfRange(id: id, vocabSize: vocabSize) }
    }

    public var description: String {
        switch self {
        case .emptyInput: return "the input has no tokens"
        case let .tooLong(tokens, limit): return "the input has \(tokens) tokens; the model allows at most \(limit)"
        case let .tokenOutOfRange(id, vocab): return "token id \(id) is outside the vocabulary (size \(vocab))"
        case .cancelled: return "the forward pass was cancelled"
        }
    }
}
