import Foundation
import HeedKernels
import HeedModels

/// A test double for a decoder: a causal `TransformerModel` with a language-modelling head whose
/// next-token logits are known in closed form, for testing the prediction plumbing (daemon,
/// CLI, clients) without a real network. L = 2 layers, NH = 2 query heads reading NKV = 1
/// value head (grouped-query attention), HS = 2, C = 4, I = 8; pre-norm (RMSNorm before the
/// block), causal mask. Its taps are consistent (y = x + sum_h alpha f^h(x)), so every
/// analysis method defined for pre-norm models runs on it.
///
/// The last layer's output at position i is [ids[i], i, sum(ids[0...i]), 1], and the logits
/// after position i are `FakeDecoder.logits(lastID: ids[i], vocabulary: V)`:
/// logit[v] = -((v - (lastID + 1)) mod V), so the most probable next token is (lastID + 1) mod V,
/// then (lastID + 2) mod V, ... with probabilities proportional to e^-rank.
public final class FakeDecoder: TransformerModel, @unchecked Sendable {
    public let family = "fake-llama"
    public let layerCount = 2
    public let headCount = 2
    public let hiddenSize = 4
    public let intermediateSize = 8
    public let attentionNorm = NormSpec.preRMSNorm
    public let causal = true
    public let maxTokens: Int
    public let embeddingRows: Int
    public let loadNotes: [String] = []
    public var weightBytes: Int { 4 * (embeddingRows * hiddenSize + 64) }
    public let hasLanguageModelHead = true
    private let lock = NSLock()
    private var passes = 0
    /// Forward passes run so far (cache tests).
    public var forwardCount: Int { lock.lock(); defer { lock.unlock() }; return passes }
    /// Called at the start of every forward pass, before its first cancellation check (a test
    /// can hold a pass there).
    public var onForward: (@Sendable () -> Void)? {
        get { lock.lock(); defer { lock.unlock() }; return hook }
        set { lock.lock(); hook = newValue; lock.unlock() }
    }
    private var hook: (@Sendable () -> Void)? = nil

    /// `vocabulary`: V (ids 0..<V); `maxTokens`: the context window.
    public init(vocabulary: Int = 123, maxTokens: Int = 64) {
        self.embeddingRows = vocabulary
        self.maxTokens = maxTokens
    }

    /// The logits after a token `lastID` (V).
    public static func logits(lastID: Int, vocabulary V: Int) -> [Float] {
        (0..<V).map { v in Float(-(((v - (lastID + 1)) % V + V) % V)) }
    }

    static let kvHeads = 1, headSize = 2
    /// W_V (NKV*HS, C) and W_O (C, NH*HS), fixed.
    static let wV: [Float] = [0.5, -0.25, 0.125, 1, 0.25, 0.5, -0.5, 0.75]
    static let wO: [Float] = [1, 0.5, -0.5, 0.25, 0.25, -1, 0.5, 0.5, -0.25, 0.75, 1, -0.5, 0.5, 0.25, 0.25, 1]

    public func forward(_ ids: [Int], taps request: TapRequest, finalHiddenState: Bool, isCancelled: () -> Bool) throws -> ForwardResult {
        let T = ids.count, C = hiddenSize, L = layerCount, NH = headCount, HS = Self.headSize, KV = Self.kvHeads * HS
        try ForwardError.check(ids, limit: maxTokens, vocabSize: embeddingRows)
        lock.lock(); passes += 1; let hook = self.hook; lock.unlock()
        hook?()
        var x = ids.flatMap { id -> [Float] in let f = Float(id); return [sin(f), cos(f), f / Float(embeddingRows), 1] }
        var hidden = [Tensor(shape: [T, C], data: x)]
        var layers: [LayerTaps] = []
        for l in 0..<L {
            if isCancelled() { throw ForwardError.cancelled }
            // v = x W_V^T (T, KV); head 0 averages 0...i, head 1 attends to i only.
            var v = [Float](repeating: 0, count: T * KV)
            for i in 0..<T { for k in 0..<KV { for c in 0..<C { v[i * KV + k] += x[i * C + c] * Self.wV[k * C + c] } } }
            var alpha = [Float](repeating: 0, count: NH * T * T)
            for i in 0..<T {
                for j in 0...i { alpha[i * T + j] = 1 / Float(i + 1) }
                alpha[(T + i) * T + i] = 1
            }
            var y = x
            for h in 0..<NH {
                for i in 0..<T {
                    for j in 0...i {
                        let a = alpha[(h * T + i) * T + j]
                        for c in 0..<C {
                            var f: Float = 0
                            for s in 0..<HS { f += v[j * KV + s] * Self.wO[c * NH * HS + h * HS + s] }
                            y[i * C + c] += a * f
                        }
                    }
                }
            }
            let taps = request.level(for: l)
            if taps != .none {
                var t = LayerTaps(site: AttentionSite(layer: l),
                                  geometry: AttentionGeometry(heads: NH, kvHeads: Self.kvHeads, headSize: HS, queries: T, keys: T),
                                  mask: .causal,
                                  parameters: AttentionOutputParameters(outputWeight: Self.wO, outputBias: nil, norm: .preRMSNorm,
                                                                        normWeight: [Float](repeating: 1, count: C), normBias: nil, normEps: 1e-6))
                t.attention = Tensor(shape: [NH, T, T], data: alpha)
                if taps == .full {
                    t.input = Tensor(shape: [T, C], data: x)
                    t.values = Tensor(shape: [T, KV], data: v)
                    t.residualSum = Tensor(shape: [T, C], data: y)
                }
                if let consumer = request.consumer { try consumer(t) } else { layers.append(t) }
            }
            if l == L - 1 {
                guard finalHiddenState else { break }
                var sum = 0
                y = (0..<T).flatMap { i -> [Float] in sum += ids[i]; return [Float(ids[i]), Float(i), Float(sum), 1] }
            }
            x = y
            hidden.append(Tensor(shape: [T, C], data: y))
        }
        return ForwardResult(tokenIDs: ids, hiddenStates: hidden, layers: layers)
    }

    /// A pass without the final hidden state has none to read.
    public struct MissingFinalHiddenState: Error {}

    public func nextTokenLogits(_ result: ForwardResult) throws -> [Float] {
        guard result.hiddenStates.count == layerCount + 1, let last = result.hiddenStates.last,
              last.rows == result.tokenCount else { throw MissingFinalHiddenState() }
        let row = last.row(last.rows - 1)
        return Self.logits(lastID: Int(row[0]), vocabulary: embeddingRows)
    }
}
