import Foundation
import HeedKernels
import HeedModels
import HeedTokenizers

// Next-token prediction (`heed/predict`, `heed predict`, `heed/highlight`'s `predict`): the
// model's next-token logits turned into the K most probable tokens, as transformers'
// `softmax(model(**tokenizer(text)).logits[0, -1]).topk(K)` with `tokenizer.decode([id])`.

/// One predicted next token.
public struct PredictedToken: Equatable, Sendable {
    /// The token id (0..<V).
    public let id: Int
    /// The text a person reads: the tokenizer's decoding of this one id, as transformers'
    /// `tokenizer.decode([id])` gives it (`" max"` for SmolLM2's "Ġmax").
    public let text: String
    /// softmax over all V logits, computed in Double (max subtracted), reported as float32.
    public let probability: Float
    /// The raw logit.
    public let logit: Float

    public init(id: Int, text: String, probability: Float, logit: Float) {
        self.id = id; self.text = text; self.probability = probability; self.logit = logit
    }
}

/// The model produced a NaN or infinite logit (a bug or broken weights: -32603).
public struct NonFiniteLogits: Error, Equatable, CustomStringConvertible {
    /// The first offending token id.
    public let tokenID: Int
    public init(tokenID: Int) { self.tokenID = tokenID }
    public var description: String { "the model produced a non-finite next-token logit (token id \(tokenID))" }
}

/// The `heed/predict` result.
public struct PredictionResult: Sendable {
    /// The K most probable next tokens, most probable first (ties: lower id first).
    public let tokens: [PredictedToken]
    /// The tokens the prediction follows (the analysed encoding, windowed when the text
    /// exceeds the model's limit).
    public let tokenCount: Int
    /// The span (in the request's position encoding) of the analysed window's first to last
    /// token with a span, when the text exceeds the model's limit; nil otherwise.
    public let window: Range<Int>?
}

public enum NextTokenPrediction {
    /// The default K of `heed/predict` and `heed predict`.
    public static let defaultTopK = 10

    /// The `k` most probable tokens of `logits` (V), most probable first; ties in the logit go
    /// to the lower id. Probabilities are softmax(logits) in Double: exp(l - max) / sum exp(l - max).
    /// O(V log k) time for a small k (a sorted list of the best k), O(V log V) for a large one
    /// (a sort of every id); `k` is clamped to 1...V.
    /// - Throws: `NonFiniteLogits` when a logit is NaN or infinite.
    public static func top(_ logits: [Float], k: Int, tokenizer: Tokenizer) throws -> [PredictedToken] {
        guard !logits.isEmpty else { return [] }
        if let bad = logits.firstIndex(where: { !$0.isFinite }) { throw NonFiniteLogits(tokenID: bad) }
        let k = min(max(1, k), logits.count)
        var maxLogit = -Double.infinity
        for l in logits where Double(l) > maxLogit { maxLogit = Double(l) }
        var sum = 0.0
        for l in logits { sum += exp(Double(l) - maxLogit) }
        // "a ranks before b": a higher logit, or the same logit and a lower id.
        func before(_ a: Int, _ b: Int) -> Bool { logits[a] > logits[b] || (logits[a] == logits[b] && a < b) }
        let best: [Int]
        if k > 64 {
            best = Array(logits.indices.sorted(by: before).prefix(k))
        } else {
            // The best k so far, in rank order; a candidate goes in by binary search.
            var kept: [Int] = []
            kept.reserveCapacity(k + 1)
            for id in logits.indices {
                if kept.count == k, !before(id, kept[k - 1]) { continue }
                var lo = 0, hi = kept.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if before(kept[mid], id) { lo = mid + 1 } else { hi = mid }
                }
                kept.insert(id, at: lo)
                if kept.count > k { kept.removeLast() }
            }
            best = kept
        }
        return best.map { id in
            PredictedToken(id: id, text: tokenizer.decode([id]),
                           probability: Float(exp(Double(logits[id]) - maxLogit) / sum), logit: logits[id])
        }
    }
}

extension TransformerModel {
    /// The next-token logits (V) after token `position` of the pass `result` (run with
    /// `finalHiddenState: true`), as if the pass had run on `result.tokenIDs[0...position]`.
    /// For a causal model this is exact from the whole pass (token i's states depend only on
    /// tokens 0...i): the last layer's output is cut to rows 0...position (the earlier hidden
    /// states are passed on uncut, without a copy: the logits read only the last one); a
    /// non-causal model runs a pass on the prefix.
    /// - Throws: `PredictionUnavailable` (no LM head), the forward pass's errors.
    public func nextTokenLogits(_ result: ForwardResult, after position: Int, isCancelled: () -> Bool = { false }) throws -> [Float] {
        precondition(position >= 0 && position < result.tokenCount, "position outside the pass")
        if position == result.tokenCount - 1 { return try nextTokenLogits(result) }
        let prefix = Array(result.tokenIDs[...position])
        guard causal else {
            return try nextTokenLogits(forward(prefix, taps: .none, finalHiddenState: true, isCancelled: isCancelled))
        }
        var states = result.hiddenStates
        if let last = states.last {
            let rows = position + 1, C = last.lastDim
            states[states.count - 1] = Tensor(shape: [rows, C], data: Array(last.data[0..<(rows * C)]))
        }
        return try nextTokenLogits(ForwardResult(tokenIDs: prefix, hiddenStates: states, layers: []))
    }
}

extension Pipeline {
    /// `heed/predict`: the `topK` most probable next tokens after the last token of `text`'s
    /// encoding (post-processor tokens included, as transformers' `tokenizer(text)`). A text
    /// beyond the model's limit is cut to the limit's worth of tokens that ends at its end (the
    /// tokens the post-processor inserts kept), and the result names that `window`.
    /// - Throws: `NetworkUnavailable` (a model Heed cannot run), `PredictionUnavailable` (no
    ///   language-modelling head), `TokenBeyondEmbeddings`, `ForwardError` (`.emptyInput` for a
    ///   text of no tokens, `.cancelled`), `NonFiniteLogits`.
    public static func predict(model: LoadedModel, text: String, topK: Int, encoding: PositionEncoding,
                               isCancelled: @escaping () -> Bool = { false }) throws -> PredictionResult {
        let net = try model.network
        guard net.hasLanguageModelHead else { throw net.predictionUnavailable }
        let (windowed, window) = predictionWindow(model: model, text: text, encoded: model.tokenizer.encode(text), encoding: encoding)
        return try predict(model: model, windowed: windowed, window: window, topK: topK,
                           forward: { ids, _ in try net.forward(ids, taps: .none, finalHiddenState: true, isCancelled: isCancelled) },
                           isCancelled: isCancelled)
    }

    /// `predict` on tokens already windowed (`predictionWindow`). `forward` is called with taps
    /// `.none` and must return a pass with the final hidden state; `logits` lets the daemon cache
    /// the logits per token ids (it calls `compute` on a miss).
    /// - Throws: as `predict(model:text:...)`.
    public static func predict(model: LoadedModel, windowed: Encoding, window: Range<Int>?, topK: Int, forward: Forward,
                               logits: ((_ ids: [Int], _ compute: () throws -> [Float]) throws -> [Float])? = nil,
                               isCancelled: @escaping () -> Bool = { false }) throws -> PredictionResult {
        let net = try model.network
        guard net.hasLanguageModelHead else { throw net.predictionUnavailable }
        try model.checkEmbeddable(windowed)
        guard !windowed.tokens.isEmpty else { throw ForwardError.emptyInput }
        let ids = windowed.ids
        let values: [Float]
        if let logits {
            values = try logits(ids) { try net.nextTokenLogits(forward(ids, TapRequest(.none))) }
        } else {
            values = try net.nextTokenLogits(forward(ids, TapRequest(.none)))
        }
        if isCancelled() { throw ForwardError.cancelled }
        return PredictionResult(tokens: try NextTokenPrediction.top(values, k: topK, tokenizer: model.tokenizer),
                                tokenCount: ids.count, window: window)
    }

    /// The tokens `heed/predict` runs: all of them, or beyond the model's limit the limit's worth
    /// ending at the last token (`endingWindowBounds`), with the span of its first to last token
    /// that has one.
    public static func predictionWindow(model: LoadedModel, text: String, encoded: Encoding,
                                        encoding: PositionEncoding) -> (Encoding, Range<Int>?) {
        let limit = model.shape.maxTokens
        guard encoded.tokens.count > limit else { return (encoded, nil) }
        let tokens = encoded.tokens
        let (body, start, end) = windowBounds(encoded, around: [], limit: limit, causal: true)
        let windowed = Encoding(tokens: Array(tokens[..<body.lowerBound]) + Array(tokens[start..<end]) + Array(tokens[body.upperBound...]))
        let spanned = tokens[start..<end].filter { !$0.span.scalars.isEmpty }
        guard let first = spanned.first, let last = spanned.last else { return (windowed, nil) }
        return (windowed, encoding.range(of: first.span).lowerBound..<encoding.range(of: last.span).upperBound)
    }
}
