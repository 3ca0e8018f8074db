// Greedy decoding for a Marian encoder-decoder, as transformers 5.23.0's
// `model.generate(input_ids, num_beams=1, do_sample=False, max_new_tokens=N)` does it for
// MarianMTModel (generation/utils.py: `_prepare_generated_length`, `_get_logits_processor`,
// `_get_stopping_criteria`, `_sample` with argmax):
// - the encoder runs once over the source; the decoder starts from `decoder_start_token_id`
//   (Marian: `<pad>`) and reads one new token per step, keeping every layer's self-attention keys
//   and values (the cache transformers also keeps with `use_cache=True`) and the cross-attention
//   keys and values of the encoder output, computed once;
// - the step's logits (V_dec) go through the logits processors transformers builds from the
//   generation settings, in its order: `NoBadWordsLogitsProcessor` (`bad_words_ids`, a sequence
//   that is just an eos id dropped: the last id of a bad sequence gets -inf when the ids before it
//   end the sequence so far), `MinLengthLogitsProcessor` (eos -inf while the sequence, start token
//   included, is shorter than `min_length`), `ForcedEOSTokenLogitsProcessor` (at length
//   max_length - 1 every logit but `forced_eos_token_id`'s is -inf, that one 0);
// - the next token is the first index of the largest logit (torch.argmax); decoding stops after an
//   eos id or when the sequence (start token included) reaches max_length = 1 + max_new_tokens
//   (without max_new_tokens: the settings' `max_length`, else 20 new tokens but at most
//   max_position_embeddings in all).
// Not done: beam search (the opus-mt checkpoints set num_beams 4, so their own `generate` output can
// differ), sampling, batches, and the other logits processors (repetition penalty, n-gram
// blocking...), which `MarianGenerationConfig.ignored` names when the files ask for them.

import Foundation
import HeedJSON
import HeedKernels

/// The generation settings of a Marian directory that greedy decoding reads: from
/// generation_config.json when the directory has one (transformers then reads only that file),
/// else from config.json (`GenerationConfig.from_model_config`), with MarianConfig's defaults.
public struct MarianGenerationConfig: Equatable, Sendable {
    /// The first decoder input (`decoder_start_token_id`; Marian: `<pad>`).
    public var decoderStartTokenID: Int
    /// Ids that end decoding (`eos_token_id`, an integer or a list).
    public var eosTokenIDs: [Int]
    /// Forced at the last allowed step (`forced_eos_token_id`; MarianConfig's default 0); nil when none.
    public var forcedEOSTokenIDs: [Int]?
    /// Token sequences never completed (`bad_words_ids`; opus-mt: [[pad]]).
    public var badWordsIDs: [[Int]]
    /// `min_length` (start token included); 0 when unset.
    public var minLength: Int
    /// `max_length` (start token included), nil when unset.
    public var maxLength: Int?
    /// `num_beams` as the files say (greedy decoding uses 1 whatever this is).
    public var numBeams: Int
    /// Settings in the file that would change transformers' output and that greedy decoding does
    /// not apply ("num_beams 4", "repetition_penalty 1.2", ...), for a note to the user.
    public var ignored: [String]

    /// The settings of a model whose directory says nothing about generation: MarianConfig's
    /// decoder start and eos ids, MarianConfig's default `forced_eos_token_id` 0 (eos in the
    /// Marian vocabularies), no bad words, no length settings.
    public init(config: MarianConfig) {
        decoderStartTokenID = config.decoderStartTokenID
        eosTokenIDs = [config.eosTokenID]
        forcedEOSTokenIDs = [0]
        badWordsIDs = []
        minLength = 0
        maxLength = nil
        numBeams = 1
        ignored = []
    }

    /// Reads generation_config.json in `directory`, else the generation fields of config.json;
    /// `config` gives the defaults (decoder start, eos). Throws `ModelLoadError` naming the file and
    /// the field (unreadable JSON, a field of the wrong type, an id outside the target vocabulary).
    public static func load(directory: URL, config: MarianConfig) throws -> MarianGenerationConfig {
        let generationURL = directory.appendingPathComponent("generation_config.json")
        let fromGenerationFile = FileManager.default.fileExists(atPath: generationURL.path)
        let url = fromGenerationFile ? generationURL : directory.appendingPathComponent("config.json")
        let path = url.path
        guard let data = try? Data(contentsOf: url),
              let object = (try? JSONParser.parse(data, options: .configuration))?.objectValue else {
            throw ModelLoadError(file: path, problem: "not a readable JSON object")
        }
        func present(_ key: String) -> JSONValue? {
            guard let raw = object[key], !raw.isNull else { return nil }
            return raw
        }
        func int(_ key: String) throws -> Int? {
            guard let raw = present(key) else { return nil }
            guard let n = raw.intValue else { throw ModelLoadError(file: path, problem: "\(key) must be an integer") }
            return n
        }
        func ids(_ key: String) throws -> [Int]? {
            guard let raw = present(key) else { return nil }
            if let n = raw.intValue { return [n] }
            guard let list = raw.arrayValue, !list.isEmpty, list.allSatisfy({ $0.intValue != nil }) else {
                throw ModelLoadError(file: path, problem: "\(key) must be an integer or a non-empty list of integers")
            }
            return list.map { $0.intValue! }
        }
        var c = MarianGenerationConfig(config: config)
        c.decoderStartTokenID = try int("decoder_start_token_id") ?? config.decoderStartTokenID
        c.eosTokenIDs = try ids("eos_token_id") ?? [config.eosTokenID]
        if object["forced_eos_token_id"] != nil {
            c.forcedEOSTokenIDs = try ids("forced_eos_token_id")  // null: none
        } else {
            // config.json without the key: MarianConfig's default 0; generation_config.json: none.
            c.forcedEOSTokenIDs = fromGenerationFile ? nil : [0]
        }
        if let raw = present("bad_words_ids") {
            guard let list = raw.arrayValue, list.allSatisfy({ seq in
                seq.arrayValue.map { !$0.isEmpty && $0.allSatisfy { $0.intValue != nil } } ?? false
            }) else {
                throw ModelLoadError(file: path, problem: "bad_words_ids must be a list of non-empty lists of integers")
            }
            c.badWordsIDs = list.map { $0.arrayValue!.map { $0.intValue! } }
        }
        c.minLength = try int("min_length") ?? 0
        c.maxLength = try int("max_length")
        c.numBeams = try int("num_beams") ?? 1
        let V = config.decoderVocabSize
        let all = [c.decoderStartTokenID] + c.eosTokenIDs + (c.forcedEOSTokenIDs ?? []) + c.badWordsIDs.flatMap { $0 }
        if let id = all.first(where: { !(0..<V).contains($0) }) {
            throw ModelLoadError(file: path, problem: "token id \(id) in the generation settings is outside the target vocabulary (\(V))")
        }
        if let m = c.maxLength, m < 1 { throw ModelLoadError(file: path, problem: "max_length must be positive, found \(m)") }
        if c.numBeams > 1 { c.ignored.append("num_beams \(c.numBeams)") }
        for key in ["repetition_penalty", "encoder_repetition_penalty", "length_penalty"] {
            if let d = present(key)?.doubleValue, d != 1 { c.ignored.append("\(key) \(d)") }
        }
        for key in ["no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "min_new_tokens", "forced_bos_token_id"] {
            if let n = try? int(key), n > 0 { c.ignored.append("\(key) \(n)") }
        }
        for key in ["suppress_tokens", "begin_suppress_tokens", "sequence_bias"] where present(key) != nil {
            c.ignored.append(key)
        }
        if present("do_sample")?.boolValue == true { c.ignored.append("do_sample true") }
        return c
    }
}

/// The outcome of `MarianModel.generateGreedy`.
public struct MarianGreedyResult: Equatable, Sendable {
    /// What transformers' `generate` returns for the sentence: `decoder_start_token_id`, then the
    /// new tokens, the eos id last when decoding reached one.
    public let sequence: [Int]
    /// The tokens after the start token.
    public var newTokens: [Int] { Array(sequence.dropFirst()) }
    /// True when the last token is an eos id (a forced one included).
    public let reachedEOS: Bool
    /// True when the sequence reached max_length (its last token then forced to
    /// `forced_eos_token_id` when the settings have one).
    public let reachedLengthBound: Bool
}

extension MarianModel {
    /// Greedy decoding of `source` (its ids, `</s>` included): see the file header.
    /// `maxNewTokens` bounds the new tokens (transformers' `max_new_tokens`). Without it the
    /// sequence (start token included) ends at the settings' `max_length`, cut to
    /// max_position_embeddings + 1 so that the last step reads at most max_position_embeddings
    /// tokens (transformers would fail indexing its position table there), else at
    /// min(1 + 20, max_position_embeddings) as transformers' default. `generation` nil:
    /// `MarianGenerationConfig(config:)`; an empty bad-words sequence is ignored.
    /// - Throws: `ForwardError` (an empty source, one longer than max_position_embeddings, an id
    ///   outside the source vocabulary, `maxNewTokens` below 1 as `.emptyInput`, `maxNewTokens`
    ///   beyond max_position_embeddings as `.tooLong`, cancelled between steps).
    public func generateGreedy(source: [Int], maxNewTokens: Int? = nil, generation: MarianGenerationConfig? = nil,
                               isCancelled: () -> Bool = { false }) throws -> MarianGreedyResult {
        let settings = generation ?? MarianGenerationConfig(config: config)
        let P = config.maxPositionEmbeddings
        let maxLength: Int
        if let maxNewTokens {
            guard maxNewTokens >= 1 else { throw ForwardError.emptyInput }
            guard maxNewTokens <= P else { throw ForwardError.tooLong(tokens: maxNewTokens, limit: P) }
            maxLength = maxNewTokens + 1
        } else if let m = settings.maxLength {
            maxLength = min(m, P + 1)
        } else {
            maxLength = min(20 + 1, P)
        }
        guard maxLength > 1 else { throw ForwardError.emptyInput }  // transformers raises ValueError
        let VD = config.decoderVocabSize
        for id in [settings.decoderStartTokenID] + settings.eosTokenIDs + (settings.forcedEOSTokenIDs ?? []) + settings.badWordsIDs.flatMap({ $0 })
            where !(0..<VD).contains(id) {
            throw ForwardError.tokenOutOfRange(id: id, vocabSize: VD)
        }
        let badWords = settings.badWordsIDs.filter { seq in !seq.isEmpty && !settings.eosTokenIDs.contains { seq == [$0] } }
        var cache = try DecoderCache(model: self, source: source, isCancelled: isCancelled)
        var sequence = [settings.decoderStartTokenID]
        while true {
            if isCancelled() { throw ForwardError.cancelled }
            var logits = cache.step(token: sequence.last!)
            // NoBadWordsLogitsProcessor
            for seq in badWords where sequence.count >= seq.count - 1 && sequence.suffix(seq.count - 1).elementsEqual(seq.dropLast()) {
                logits[seq.last!] = -.infinity
            }
            // MinLengthLogitsProcessor
            if sequence.count < settings.minLength {
                for id in settings.eosTokenIDs { logits[id] = -.infinity }
            }
            // ForcedEOSTokenLogitsProcessor
            if let forced = settings.forcedEOSTokenIDs, !forced.isEmpty, sequence.count == maxLength - 1 {
                for i in logits.indices { logits[i] = -.infinity }
                for id in forced { logits[id] = 0 }
            }
            var next = 0
            for i in 1..<logits.count where logits[i] > logits[next] { next = i }
            sequence.append(next)
            let eos = settings.eosTokenIDs.contains(next), bound = sequence.count >= maxLength
            if eos || bound { return MarianGreedyResult(sequence: sequence, reachedEOS: eos, reachedLengthBound: bound) }
        }
    }

    /// The (T, V_dec) logits of a teacher-forced `decoderInput` computed one token at a time
    /// through the key/value cache greedy decoding uses (its check against the full pass and
    /// transformers). Throws `ForwardError` as `forwardSeq2Seq`.
    func cachedLogits(source: [Int], decoderInput: [Int]) throws -> [Float] {
        try ForwardError.check(decoderInput, limit: config.maxPositionEmbeddings, vocabSize: config.decoderVocabSize)
        var cache = try DecoderCache(model: self, source: source, isCancelled: { false })
        return decoderInput.flatMap { cache.step(token: $0) }
    }
}

/// The decoder's state between greedy steps: per decoder layer the self-attention keys and values
/// of the tokens read so far (t, C) and the cross-attention keys and values of the encoder
/// output (S, C).
private struct DecoderCache {
    let model: MarianModel
    let S: Int
    var selfKeys: [[Float]], selfValues: [[Float]]
    let crossKeys: [[Float]], crossValues: [[Float]]
    /// Tokens read so far (the next token's position).
    var position = 0

    init(model: MarianModel, source: [Int], isCancelled: () -> Bool) throws {
        let encoder = try model.encode(source, taps: TapRequest(.none), isCancelled: isCancelled)
        let memory = encoder.hiddenStates.last!.data
        let S = source.count, C = model.config.dModel
        self.model = model
        self.S = S
        selfKeys = Array(repeating: [], count: model.decoderLayers.count)
        selfValues = selfKeys
        var keys: [[Float]] = [], values: [[Float]] = []
        for layer in model.decoderLayers {
            let cross = layer.crossAttention!
            var k = [Float](repeating: 0, count: S * C), v = [Float](repeating: 0, count: S * C)
            memory.withUnsafeBufferPointer { mp in
                k.withUnsafeMutableBufferPointer { cross.k.forward(mp.baseAddress!, rows: S, into: $0.baseAddress!) }
                v.withUnsafeMutableBufferPointer { cross.v.forward(mp.baseAddress!, rows: S, into: $0.baseAddress!) }
            }
            keys.append(k)
            values.append(v)
        }
        crossKeys = keys
        crossValues = values
    }

    /// Reads `token` at the next position and returns the logits (V_dec) for the token after it.
    /// The caller keeps the position below max_position_embeddings and the token in the vocabulary.
    mutating func step(token: Int) -> [Float] {
        let config = model.config, C = config.dModel, NH = config.decoderHeads
        // embed_tokens(token) * embed_scale + positions[position]
        let scale: Float = config.scaleEmbedding ? Float(Double(C).squareRoot()) : 1
        var x = (0..<C).map { model.decoderEmbedding[token * C + $0] * scale + model.positions[position * C + $0] }
        position += 1
        for (l, layer) in model.decoderLayers.enumerated() {
            let w = layer.selfAttention
            var q = [Float](repeating: 0, count: C), k = q, v = q
            x.withUnsafeBufferPointer { xp in
                q.withUnsafeMutableBufferPointer { w.q.forward(xp.baseAddress!, rows: 1, into: $0.baseAddress!) }
                k.withUnsafeMutableBufferPointer { w.k.forward(xp.baseAddress!, rows: 1, into: $0.baseAddress!) }
                v.withUnsafeMutableBufferPointer { w.v.forward(xp.baseAddress!, rows: 1, into: $0.baseAddress!) }
            }
            selfKeys[l] += k
            selfValues[l] += v
            let afterSelf = attend(w, query: q, residual: x, keys: selfKeys[l], values: selfValues[l], count: position, heads: NH)
            let cross = layer.crossAttention!
            var q2 = [Float](repeating: 0, count: C)
            afterSelf.withUnsafeBufferPointer { xp in q2.withUnsafeMutableBufferPointer { cross.q.forward(xp.baseAddress!, rows: 1, into: $0.baseAddress!) } }
            let afterCross = attend(cross, query: q2, residual: afterSelf, keys: crossKeys[l], values: crossValues[l], count: S, heads: NH)
            x = model.feedForward(layer, afterCross, rows: 1)
        }
        var logits = [Float](repeating: 0, count: config.decoderVocabSize)
        x.withUnsafeBufferPointer { xp in logits.withUnsafeMutableBufferPointer { model.lmHead.forward(xp.baseAddress!, rows: 1, into: $0.baseAddress!) } }
        return logits
    }

    /// One query row against `count` cached keys and values (count, C), per head softmax(q k^T /
    /// sqrt(HS)) v, then LN(residual + out_proj(context))   (C). The same kernels as the full pass.
    private func attend(_ w: MarianAttentionWeights, query q: [Float], residual: [Float], keys: [Float], values: [Float],
                        count n: Int, heads NH: Int) -> [Float] {
        let C = model.config.dModel, HS = C / NH
        let scale = 1 / Float(HS).squareRoot()
        var scores = [Float](repeating: 0, count: n)
        var context = [Float](repeating: 0, count: C)
        q.withUnsafeBufferPointer { qp in keys.withUnsafeBufferPointer { kp in values.withUnsafeBufferPointer { vp in
            scores.withUnsafeMutableBufferPointer { sp in context.withUnsafeMutableBufferPointer { cp in
                for h in 0..<NH {
                    Kernels.gemmABt(m: 1, n: n, k: HS, a: qp.baseAddress! + h * HS, lda: C, b: kp.baseAddress! + h * HS, ldb: C,
                                    c: sp.baseAddress!, ldc: n)
                    Kernels.softmaxRows(sp.baseAddress!, rows: 1, cols: n, scale: scale)
                    Kernels.gemmAB(m: 1, n: HS, k: n, a: sp.baseAddress!, lda: n, b: vp.baseAddress! + h * HS, ldb: C,
                                   c: cp.baseAddress! + h * HS, ldc: C)
                }
            } }
        } } }
        var y = [Float](repeating: 0, count: C)
        context.withUnsafeBufferPointer { cp in y.withUnsafeMutableBufferPointer { w.out.forward(cp.baseAddress!, rows: 1, into: $0.baseAddress!) } }
        for i in 0..<C { y[i] += residual[i] }
        return model.layerNorm(y, rows: 1, gamma: w.lnWeight, beta: w.lnBias)
    }
}
