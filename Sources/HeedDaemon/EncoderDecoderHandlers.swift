import Foundation
import HeedAnalysis
import HeedJSONRPC
import HeedModels
import HeedTokenizers

/// protocol.md section 5.9: `target` in heed/tokenize (`side`), heed/analyze and heed/highlight
/// (`focusIn: "target"`), and heed/align, for encoder-decoder models.
enum EncoderDecoderHandlers {
    typealias Parts = (model: MarianModel, targetTokenizer: Tokenizer)

    /// The encoder-decoder parts of `m`. - Throws: -32602 naming `field` for any other model.
    static func parts(_ m: LoadedModel, field: String, _ p: RequestParams) throws -> Parts {
        guard let parts = m.encoderDecoder else {
            throw p.invalid(field, "is only for an encoder-decoder model (ModelInfo `encoderDecoder: true`); \(m.id) is a \(m.shape.family) model")
        }
        return parts
    }

    /// The teacher-forced pass of one pair with every tap recorded (`.full`), and the two texts'
    /// encodings; cached per (model, source ids, target ids).
    struct Pass {
        let source: Encoding
        let target: Encoding
        let result: Seq2SeqResult
    }

    /// Encodes both texts and runs (or reuses) their pass. `workingSet` is reserved before a pass
    /// that is not cached (with `reserveAlways`: before any). - Throws: -32013 for a side beyond the
    /// model's positions (`data.field`: `text` or `target`); `TokenBeyondEmbeddings` (-32014);
    /// -32015 over the memory limit; `ForwardError.cancelled`.
    static func pass(_ m: LoadedModel, _ parts: Parts, text: String, target: String, _ c: RequestContext, reserveAlways: Bool = false,
                     workingSet: (_ tokens: Int) throws -> RequestWorkingSet) throws -> Pass {
        try WorkingMemory.check(text + target, bytesPerUTF8Byte: Tokenizer.encodeBytesPerUTF8Byte, "encoding", c)
        let source = Handlers.encode(m, text, c)
        let encodedTarget = parts.targetTokenizer.encode(target)
        let limit = parts.model.config.maxPositionEmbeddings
        for (side, field) in [(source, "text"), (encodedTarget, "target")] where side.tokens.count > limit {
            // -32013 as for any text, naming which of the two is too long (`data.field`).
            throw JSONRPCError(.inputTooLong, "input too long: `\(field)` has \(side.tokens.count) tokens; the model allows at most \(limit)",
                               data: .object(JSONObject([("limit", .number(JSONNumber(limit))), ("tokens", .number(JSONNumber(side.tokens.count))),
                                                         ("field", .string(field))])))
        }
        try m.checkEmbeddable(source)
        c.clock.lap("tokenize")
        let key = Handlers.cachePrefix(model: m.id) + "s2s|" + source.ids.map(String.init).joined(separator: ",") + "|"
            + encodedTarget.ids.map(String.init).joined(separator: ",")
        let cached: Seq2SeqResult? = c.server.cache.get(key)
        if cached == nil || reserveAlways {
            try c.reserve(try workingSet(source.tokens.count + encodedTarget.tokens.count),
                          what: "analyzing \(source.tokens.count) + \(encodedTarget.tokens.count) tokens")
        }
        if let cached { return Pass(source: source, target: encodedTarget, result: cached) }
        ForwardPassCounter.increment()
        let result = try PairAnalysis.forward(parts.model, source: source, target: encodedTarget, isCancelled: c.isCancelled)
        c.clock.lap("forward")
        c.server.cache.put(key, result, bytes: Handlers.byteCount(result.encoder) + Handlers.byteCount(result.decoder) + key.utf8.count)
        return Pass(source: source, target: encodedTarget, result: result)
    }

    /// A decoder layer from `field` (an int in 0...L_dec-1 or "last"; absent: the last).
    static func decoderLayer(_ p: RequestParams, field: String, _ parts: Parts) throws -> Int {
        let L = parts.model.config.decoderLayers
        guard let raw = p.value(field), !raw.isNull, raw.stringValue != "last" else { return L - 1 }
        guard let n = raw.intValue else { throw p.invalid(field, "must be an integer or \"last\"") }
        try Offsets.checkLayer(n, field: field, layerCount: L, orLast: true)
        return n
    }

    static func setting(_ p: RequestParams) throws -> AlignmentSetting {
        AlignmentSetting(rawValue: try p.optionalOneOf("setting", ["input", "output"]) ?? "input")!
    }

    // MARK: heed/analyze with `target`

    static func analyze(_ p: RequestParams, _ c: RequestContext, model m: LoadedModel, text: String, target: String,
                        options: AnalyzeOptions, format: JSONWriter.TensorFormat) throws -> Handlers.Response {
        let parts = try parts(m, field: "target", p)
        let L = parts.model.config.decoderLayers
        let decoderLayers = try p.optionalIntArray("decoderLayers").map { layers -> [Int] in
            for (k, l) in layers.enumerated() { try Offsets.checkLayer(l, field: "decoderLayers[\(k)]", layerCount: L, orLast: false) }
            return Array(Set(layers)).sorted()
        } ?? Array(0..<L)
        let d = try ModelDimensions(m)
        let pass = try pass(m, parts, text: text, target: target, c, reserveAlways: true) { tokens in
            RequestWorkingSet.analyze(tokens: tokens, textUTF8Bytes: text.utf8.count + target.utf8.count, options: options, format: format, d)
        }
        let result = try PairAnalysis.analyze(model: m, source: (text, pass.source), target: (target, pass.target), pass: pass.result,
                                              options: options, decoderLayers: decoderLayers, encoding: c.encoding, isCancelled: c.isCancelled)
        c.clock.lap("analysis")
        defer { c.clock.lap("json") }
        var attachment = BinaryAttachment()
        let written = JSONRPCResponse.result(id: c.id, reservingCapacity: 1 << 16) { w in
            ResultJSON.writePairAnalyze(result, format: format, attachment: &attachment, into: &w)
        }
        return Handlers.Response(bytes: written.bytes, nonFinite: written.nonFinite, attachment: format == .binary ? attachment : nil)
    }

    // MARK: heed/highlight with `focusIn: "target"`

    static func highlight(_ p: RequestParams, _ c: RequestContext, model m: LoadedModel, parts: Parts, text: String, target: String,
                          focus: Range<Int>, method: AnalysisMethod, granularity: Granularity, topK: Int?) throws -> Handlers.Response {
        guard CrossAttentionMethods.highlightable.contains(method) else {
            throw JSONRPCError(.methodNotSupported, "method \"\(method.rawValue)\" is not defined for cross-attention (focusIn \"target\")",
                               data: .object(JSONObject([("supported", .array(CrossAttentionMethods.highlightable.map { .string($0.rawValue) }))])))
        }
        if let direction = try p.optionalString("direction"), direction != "from" {
            throw p.invalid("direction", "must be \"from\" with focusIn \"target\" (the source a target token reads)")
        }
        if let raw = p.value("predict"), !raw.isNull { throw p.invalid("predict", "is not allowed with focusIn \"target\"") }
        let layer = try decoderLayer(p, field: "layer", parts)
        let setting = try setting(p)
        let d = try ModelDimensions(m)
        let pass = try pass(m, parts, text: text, target: target, c) { tokens in
            RequestWorkingSet.highlight(tokens: tokens, textUTF8Bytes: text.utf8.count + target.utf8.count, method: method, d)
        }
        let sourceTable = TokenTable(text: text, encoded: pass.source, encoding: c.encoding, tokenizer: m.tokenizer)
        let targetTable = TokenTable(text: target, encoded: pass.target, encoding: c.encoding, tokenizer: parts.targetTokenizer)
        guard sourceTable.tokens.contains(where: { $0.end > $0.start }) else {
            throw p.invalid("text", "has no token to shade: the source is empty or holds only whitespace (a focus in the target shades the source)")
        }
        let analysis = try PairAnalysis.cross(pass.result, layer: layer)
        let (ranges, focusSpan) = try CrossHighlight.ranges(matrix: CrossAttentionMethods.matrix(analysis, method: method)!, source: sourceTable,
                                                            target: targetTable, focus: focus, setting: setting, granularity: granularity, topK: topK)
        c.clock.lap("analysis")
        defer { c.clock.lap("json") }
        return Handlers.Response(JSONRPCResponse.result(id: c.id) { w in
            ResultJSON.writeCrossHighlight(ranges: ranges, focus: focusSpan, method: method, layer: layer, encoding: c.encoding, into: &w)
        })
    }

    // MARK: heed/align

    static func align(_ p: RequestParams, _ c: RequestContext) throws -> Handlers.Response {
        let text = try p.string("text"), target = try p.string("target")
        let method = try p.optionalOneOf("method", ["norm", "weight"]) ?? "norm"
        let m = try Handlers.model(p, c)
        guard let parts = m.encoderDecoder else {
            throw JSONRPCError(.methodNotSupported, "heed/align needs an encoder-decoder model (ModelInfo `encoderDecoder: true`); \(m.id) is a \(m.shape.family) model",
                               data: .object(JSONObject([("supported", .array([]))])))
        }
        let layer = try decoderLayer(p, field: "layer", parts)
        let setting = try setting(p)
        c.clock.lap("params")
        let d = try ModelDimensions(m)
        let pass = try pass(m, parts, text: text, target: target, c) { tokens in
            RequestWorkingSet.highlight(tokens: tokens, textUTF8Bytes: text.utf8.count + target.utf8.count, method: .normSummed, d)
        }
        let analysis = try PairAnalysis.cross(pass.result, layer: layer)
        let alignment = PairAlignment(matrix: method == "norm" ? analysis.normSummed() : analysis.meanAttention(), setting: setting,
                                      source: (text, pass.source), target: (target, pass.target), encoding: c.encoding)
        c.clock.lap("analysis")
        defer { c.clock.lap("json") }
        return Handlers.Response(JSONRPCResponse.result(id: c.id) { w in
            ResultJSON.writeAlignment(alignment, layer: layer, method: method, setting: setting, encoding: c.encoding, into: &w)
        })
    }
}
