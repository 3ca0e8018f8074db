import Foundation
import HeedAnalysis
import HeedCheckpoints
import HeedJSONRPC
import HeedModels
import HeedTokenizers

/// One function per work method (protocol.md, section 5). Each returns the response bytes.
enum Handlers {
    /// A response: the frame's JSON body, whether a NaN or infinity was written (a bug, answered
    /// -32603 instead), and the binary attachment of a `format: "binary"` analysis.
    struct Response {
        var bytes: [UInt8]
        var nonFinite = false
        var attachment: BinaryAttachment? = nil

        init(bytes: [UInt8], nonFinite: Bool = false, attachment: BinaryAttachment? = nil) {
            self.bytes = bytes; self.nonFinite = nonFinite; self.attachment = attachment
        }

        init(_ written: (bytes: [UInt8], nonFinite: Bool)) { self.init(bytes: written.bytes, nonFinite: written.nonFinite) }
    }

    static func handle(_ method: ClientMethod, params: RequestParams, context c: RequestContext) throws -> Response {
        switch method {
        case .models: return try models(params, c)
        case .loadModel: return try loadModel(params, c)
        case .unloadModel: return try unloadModel(params, c)
        case .tokenize: return try tokenize(params, c)
        case .analyze: return try analyze(params, c)
        case .highlight: return try highlight(params, c)
        case .predict: return try predict(params, c)
        case .align: return try EncoderDecoderHandlers.align(params, c)
        case .initialize, .initialized, .shutdown, .exit, .cancelRequest:
            preconditionFailure("lifecycle methods are handled by the server")
        }
    }

    static func cachePrefix(model: String) -> String { "m|\(model)|" }

    // MARK: models

    static func modelInfo(id: String, model: LoadedModel?) -> JSONValue {
        func num(_ n: Int?) -> JSONValue { n.map { .number(JSONNumber($0)) } ?? .null }
        var family: String? = nil, layers: Int? = nil, heads: Int? = nil, hidden: Int? = nil, maxTokens: Int? = nil
        var source: String? = nil
        var methods: [AnalysisMethod]? = nil, causal: Bool? = nil, predicts: Bool? = nil
        if let model {
            let s = model.shape
            family = s.family; layers = s.layers; heads = s.heads; hidden = s.hidden; maxTokens = s.maxTokens
            source = model.directory.path; causal = s.causal
            // A model Heed can tokenize but not run supports no method and predicts nothing.
            methods = (try? model.network).map { AnalysisMethod.highlightable(network: $0) } ?? []
            predicts = (try? model.network)?.hasLanguageModelHead ?? false
        } else if let entry = ModelStore.catalog.first(where: { $0.name == id }) {
            let dir = ModelStore.installDirectory(for: entry, environment: ProcessInfo.processInfo.environment)
            // The registered family describes the installed model from its config.json alone, or
            // from a GGUF file's metadata (an architecture no family runs: no method, no prediction).
            if entry.format == .gguf, let file = try? ModelStore.ggufFile(in: dir), let described = ModelFamilies.describe(gguf: file) {
                let s = described.shape
                family = s.family; layers = s.layers; heads = s.heads
                hidden = s.hidden; maxTokens = s.maxTokens; source = file.path; causal = s.causal
                methods = described.attentionNorm.map { AnalysisMethod.highlightable(attentionNorm: $0) } ?? []
                predicts = described.attentionNorm != nil && s.causal
            } else if let described = ModelFamilies.describe(configURL: dir.appendingPathComponent("config.json")) {
                let s = described.shape
                family = s.family; layers = s.layers; heads = s.heads
                hidden = s.hidden; maxTokens = s.maxTokens; source = dir.path
                methods = AnalysisMethod.highlightable(attentionNorm: described.attentionNorm); causal = s.causal
                // From config.json alone: the decoders Heed runs have a language-modelling head.
                predicts = s.causal
            }
        }
        var members: [(String, JSONValue)] = [
            ("id", .string(id)), ("family", family.map { .string($0) } ?? .null), ("loaded", .bool(model != nil)),
            ("layers", num(layers)), ("heads", num(heads)), ("hidden", num(hidden)), ("maxTokens", num(maxTokens)),
            ("source", source.map { .string($0) } ?? .null),
            ("methods", methods.map { .array($0.map { .string($0.rawValue) }) } ?? .null),
            ("causal", causal.map { .bool($0) } ?? .null),
            ("predicts", predicts.map { .bool($0) } ?? .null),
        ]
        // Only for an encoder-decoder model (protocol.md section 4): absent means "not one".
        if let parts = model?.encoderDecoder {
            members += [("encoderDecoder", .bool(true)), ("decoderLayers", num(parts.model.config.decoderLayers)),
                        ("crossMethods", .array(CrossAttentionMethods.highlightable.map { .string($0.rawValue) }))]
        }
        return .object(JSONObject(members))
    }

    static func models(_ p: RequestParams, _ c: RequestContext) throws -> Response {
        let registry = c.server.registry
        var ids = ModelStore.catalog.map(\.name)
        for id in registry.loadedIDs where !ids.contains(id) { ids.append(id) }
        let list = ids.map { modelInfo(id: $0, model: registry.loadedModel($0)) }
        return Response(bytes: JSONRPCResponse.result(id: c.id, .object(JSONObject([("models", .array(list))]))))
    }

    static func model(_ p: RequestParams, _ c: RequestContext, progress: @escaping (String) -> Void = { _ in }) throws -> LoadedModel {
        let id = try p.string("model")
        return try c.server.registry.model(id, progress: progress)
    }

    /// The request's `workDoneToken` (a string or an integer), nil without one.
    static func workDoneToken(_ p: RequestParams) throws -> JSONValue? {
        guard let t = p.value("workDoneToken") else { return nil }
        guard t.stringValue != nil || t.intValue != nil else { throw p.invalid("workDoneToken", "must be a string or an integer") }
        return t
    }

    static func loadModel(_ p: RequestParams, _ c: RequestContext) throws -> Response {
        let id = try p.string("model")
        let token = try workDoneToken(p)
        if let token { c.server.progress(token: token, [("kind", .string("begin")), ("title", .string("Loading \(id)"))]) }
        do {
            let m = try c.server.registry.model(id) { line in
                if let token { c.server.progress(token: token, [("kind", .string("report")), ("message", .string(line))]) }
            }
            if let token { c.server.progress(token: token, [("kind", .string("end")), ("message", .string("\(id) loaded"))]) }
            return Response(bytes: JSONRPCResponse.result(id: c.id, modelInfo(id: id, model: m)))
        } catch {
            if let token { c.server.progress(token: token, [("kind", .string("end")), ("message", .string("\(id) failed to load"))]) }
            throw error
        }
    }

    static func unloadModel(_ p: RequestParams, _ c: RequestContext) throws -> Response {
        c.server.registry.unload(try p.string("model"))
        return Response(bytes: JSONRPCResponse.result(id: c.id, .null))
    }

    // MARK: text

    /// The tokenizer's encoding of `text`, cached per (model, text).
    static func encode(_ model: LoadedModel, _ text: String, _ c: RequestContext) -> Encoding {
        let key = cachePrefix(model: model.id) + "tok|" + text
        if let e: CompactEncoding = c.server.cache.get(key) { return e.expanded(tokenizer: model.tokenizer) }
        let e = model.tokenizer.encode(text)
        // Held compactly (34 bytes per token), charged with the key, which holds the text.
        if let compact = CompactEncoding(e, tokenizer: model.tokenizer) {
            c.server.cache.put(key, compact, bytes: compact.byteCount + key.utf8.count)
        }
        return e
    }

    /// A cached forward pass: the taps it recorded and whether it ran to the last layer's output
    /// (`finalHiddenState`, what next-token logits need).
    struct CachedForward {
        let taps: TapLevel
        let final: Bool
        let result: ForwardResult
    }

    /// Forward passes cached per (model, ids); a cached pass with enough taps is reused. A pass
    /// that records taps at all records every tap (`.full`: the attention weights plus four
    /// (T, C) copies per layer, about a quarter more memory at T = 512 and no measurable time),
    /// so a later toggle to a norm-based method or another layer is computed from the cached
    /// taps and never runs the model again. Such a pass stops after the last layer's attention
    /// block (`finalHiddenState: false`: the analysis reads taps, never the last layer's
    /// output), except for a model with a language-modelling head, whose passes always run to
    /// the end: a prediction on the same tokens (`heed/predict`, `heed/highlight`'s `predict`)
    /// then reuses the pass. `finalHiddenState`: the caller needs the last layer's output.
    /// A streamed pass (taps too large to keep, `Pipeline.keepsTaps`: its request has a
    /// consumer) is neither cached nor served from the cache.
    static func cachedForward(_ model: LoadedModel, _ c: RequestContext, finalHiddenState: Bool = false) -> Pipeline.Forward {
        { ids, request in
            let key = forwardKey(model, ids)
            c.clock.lap("prepare")
            defer { c.clock.lap("forward") }
            let net = try model.network
            if request.consumer != nil {
                ForwardPassCounter.increment()
                return try net.forward(ids, taps: request, finalHiddenState: finalHiddenState || net.hasLanguageModelHead, isCancelled: c.isCancelled)
            }
            if let hit: CachedForward = c.server.cache.get(key), covers(hit.taps, request.level), hit.final || !finalHiddenState { return hit.result }
            let taps: TapLevel = request.level == .none ? .none : .full
            let final = finalHiddenState || taps == .none || net.hasLanguageModelHead
            ForwardPassCounter.increment()
            let result = try net.forward(ids, taps: taps, finalHiddenState: final, isCancelled: c.isCancelled)
            c.server.log(.debug, "forward pass of \(ids.count) tokens: taps \(byteCount(result)) bytes")
            c.server.cache.put(key, CachedForward(taps: taps, final: final, result: result), bytes: byteCount(result))
            return result
        }
    }

    static func forwardKey(_ model: LoadedModel, _ ids: [Int]) -> String {
        cachePrefix(model: model.id) + "fwd|" + ids.map(String.init).joined(separator: ",")
    }

    /// The next-token logits after `ids`, cached per (model, ids) (V floats): `compute` runs on a miss.
    static func cachedLogits(_ model: LoadedModel, _ c: RequestContext) -> (_ ids: [Int], _ compute: () throws -> [Float]) throws -> [Float] {
        { ids, compute in
            let key = logitsKey(model, ids)
            if let hit: [Float] = c.server.cache.get(key) { return hit }
            let logits = try compute()
            c.server.cache.put(key, logits, bytes: 4 * logits.count + key.utf8.count)
            return logits
        }
    }

    static func logitsKey(_ model: LoadedModel, _ ids: [Int]) -> String {
        cachePrefix(model: model.id) + "logits|" + ids.map(String.init).joined(separator: ",")
    }

    static func covers(_ have: TapLevel, _ need: TapLevel) -> Bool {
        switch (have, need) {
        case (.full, _), (.attention, .attention), (.attention, .none), (.none, .none): return true
        default: return false
        }
    }

    static func byteCount(_ r: ForwardResult) -> Int {
        var n = r.hiddenStates.reduce(0) { $0 + $1.count }
        for l in r.layers { n += l.floatCount }
        return 4 * n + 256
    }

    static func text(_ p: RequestParams) throws -> String { try p.string("text") }

    static func tokenize(_ p: RequestParams, _ c: RequestContext) throws -> Response {
        let text = try text(p)
        let side = try p.optionalOneOf("side", ["source", "target"]) ?? "source"
        let m = try model(p, c)
        try WorkingMemory.check(text, bytesPerUTF8Byte: WorkingMemory.tokenizeBytesPerUTF8Byte, "tokenizing", c)
        let table: TokenTable
        if side == "target" {
            // The target side of an encoder-decoder model (protocol.md section 5.9).
            let tokenizer = try EncoderDecoderHandlers.parts(m, field: "side", p).targetTokenizer
            table = TokenTable(text: text, encoded: tokenizer.encode(text), encoding: c.encoding, tokenizer: tokenizer)
        } else {
            let encoded = encode(m, text, c)
            try m.checkEmbeddable(encoded)
            table = TokenTable(text: text, encoded: encoded, encoding: c.encoding, tokenizer: m.tokenizer)
        }
        return Response(JSONRPCResponse.result(id: c.id) { w in
            w.beginObject(); w.key("tokens"); ResultJSON.writeTokens(table, into: &w); w.endObject()
        })
    }

    static func methods(_ names: [String], field: String, _ p: RequestParams) throws -> [AnalysisMethod] {
        try names.map { name in
            guard let m = AnalysisMethod(rawValue: name) else {
                throw p.invalid(field, "has an unknown method \"\(name)\" (one of: \(AnalysisMethod.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return m
        }
    }

    static func analyze(_ p: RequestParams, _ c: RequestContext) throws -> Response {
        let text = try text(p)
        let methods = try methods(try p.stringArray("methods"), field: "methods", p)
        guard !methods.isEmpty else { throw p.invalid("methods", "must not be empty") }
        let layers = try p.optionalIntArray("layers")
        let heads = try p.optionalOneOf("heads", ["all", "mean"]) ?? "all"
        let granularity = Granularity(rawValue: try p.optionalOneOf("granularity", ["token", "word"]) ?? "token")!
        let format = JSONWriter.TensorFormat(rawValue: try p.optionalOneOf("format", ServerInfo.tensorFormats.map(\.rawValue)) ?? "nested")!
        // A batch is answered with one JSON array, which has no room for attachments.
        if format == .binary && c.inBatch {
            throw p.invalid("format", "\"binary\" is not allowed in a batch (its answer is one JSON array, without attachments): send the request on its own, or use \"base64\"")
        }
        let m = try model(p, c)
        for (k, l) in (layers ?? []).enumerated() {
            try Offsets.checkLayer(l, field: "layers[\(k)]", layerCount: m.shape.layers, orLast: false)
        }
        let options = AnalyzeOptions(methods: methods, layers: layers, meanOverHeads: heads == "mean", granularity: granularity)
        try Analyzer.validate(options, layerCount: m.shape.layers, attentionNorm: m.network.attentionNorm)
        c.clock.lap("params")
        if let target = try p.optionalString("target") {
            return try EncoderDecoderHandlers.analyze(p, c, model: m, text: text, target: target, options: options, format: format)
        }
        if p.value("decoderLayers") != nil { throw p.invalid("decoderLayers", "needs `target` (an encoder-decoder model's target text)") }
        let long = try WorkingMemory.analyzeEncoding(m, text, c)
        let encoded = long ?? encode(m, text, c)
        // The working set is reserved before the forward pass (over the limit: Pipeline's -32013).
        let T = encoded.tokens.count
        var ws: RequestWorkingSet? = nil
        if T <= m.shape.maxTokens {
            ws = RequestWorkingSet.analyze(tokens: T, textUTF8Bytes: text.utf8.count, options: options, format: format, try ModelDimensions(m))
            try c.reserve(ws!, what: "analyzing \(T) tokens")
        }
        // With a workDoneToken: begin, reports while value zeroing runs (whole percentages), end.
        let token = try workDoneToken(p)
        var lastPercentage = -1
        var progress: ((Double) -> Void)? = nil
        if let token {
            progress = { fraction in
                let percentage = min(100, max(0, Int(fraction * 100)))
                guard percentage != lastPercentage else { return }
                lastPercentage = percentage
                c.server.progress(token: token, [("kind", .string("report")), ("message", .string("value zeroing")),
                                                 ("percentage", .number(JSONNumber(percentage)))])
            }
        }
        if let token {
            c.server.progress(token: token, [("kind", .string("begin")), ("title", .string("Analyzing \(T) tokens with \(m.id)")),
                                             ("percentage", .number(JSONNumber(0)))])
        }
        let result: AnalyzeResult
        do {
            result = try Pipeline.analyze(model: m, text: text, options: options, encoding: c.encoding,
                                          tokenize: { _ in encoded }, forward: cachedForward(m, c), progress: progress, isCancelled: c.isCancelled)
            if let token { c.server.progress(token: token, [("kind", .string("end")), ("message", .string("analysis done"))]) }
        } catch {
            if let token { c.server.progress(token: token, [("kind", .string("end")), ("message", .string("analysis failed"))]) }
            throw error
        }
        if c.isCancelled() { throw ForwardError.cancelled }
        c.clock.lap("analysis")
        defer { c.clock.lap("json") }
        // Reserved at its estimated size: the buffer never grows (no copies at twice the size).
        var attachment = BinaryAttachment()
        let written = JSONRPCResponse.result(id: c.id, reservingCapacity: ws?.response ?? (1 << 16)) { w in
            ResultJSON.writeAnalyze(result, format: format, attachment: &attachment, into: &w)
        }
        c.server.log(.debug, "analyzed \(T) tokens: outputs \(outputBytes(result)) bytes, response \(written.bytes.count) bytes"
                     + (format == .binary ? " + an attachment of \(attachment.byteCount)" : ""))
        return Response(bytes: written.bytes, nonFinite: written.nonFinite, attachment: format == .binary ? attachment : nil)
    }

    /// Bytes of an analysis's output tensors (debug log: measured against `RequestWorkingSet`).
    static func outputBytes(_ r: AnalyzeResult) -> Int {
        var n = AnalysisMethod.allCases.reduce(0) { $0 + (r.acrossLayers($1)?.data.count ?? 0) }
        for l in r.layers {
            for (_, v) in l.values {
                switch v {
                case let .tensor(t): n += t.data.count
                case let .vectors(named): n += named.reduce(0) { $0 + $1.values.count }
                }
            }
        }
        return 4 * n
    }

    static func highlight(_ p: RequestParams, _ c: RequestContext) throws -> Response {
        let text = try text(p)
        let focusObject = try p.object("focus")
        let focusStart = try focusObject.int("start"), focusEnd = try focusObject.int("end")
        guard focusStart <= focusEnd else { throw focusObject.invalid("end", "must not be before focus.start") }
        // With `focusIn: "target"` the focus is in the target text (protocol.md section 5.9).
        let target = try p.optionalString("target")
        let focusIn = try p.optionalOneOf("focusIn", ["source", "target"]) ?? "source"
        if focusIn == "target" && target == nil { throw p.invalid("focusIn", "is \"target\" but there is no `target` text") }
        try Offsets.check(focusStart..<focusEnd, in: focusIn == "target" ? target! : text, encoding: c.encoding, field: "focus")
        let method = try methods([try p.string("method")], field: "method", p)[0]
        var layer = LayerChoice.last
        if let raw = p.value("layer"), !raw.isNull {
            if raw.stringValue == "last" { layer = .last }
            else if let n = raw.intValue { layer = .index(n) }
            else { throw p.invalid("layer", "must be an integer or \"last\"") }
        }
        let direction = HighlightDirection(rawValue: try p.optionalOneOf("direction", ["from", "to", "received"]) ?? "from")!
        let granularity = Granularity(rawValue: try p.optionalOneOf("granularity", ["token", "word"]) ?? "token")!
        let topK = try p.optionalInt("topK")
        if let k = topK, k < 0 { throw p.invalid("topK", "must not be negative") }
        var predictK: Int? = nil
        if let raw = p.value("predict"), !raw.isNull { predictK = try p.int("predict") }
        let m = try model(p, c)
        if let target {
            let parts = try EncoderDecoderHandlers.parts(m, field: "target", p)
            if focusIn == "target" {
                return try EncoderDecoderHandlers.highlight(p, c, model: m, parts: parts, text: text, target: target, focus: focusStart..<focusEnd,
                                                            method: method, granularity: granularity, topK: topK)
            }
        }
        if case let .index(n) = layer { try Offsets.checkLayer(n, field: "layer", layerCount: m.shape.layers, orLast: true) }
        if let k = predictK { try checkTopK(k, field: "predict", try predictingNetwork(m, "heed/highlight's `predict`")) }
        let request = HighlightRequest(text: text, focus: focusStart..<focusEnd, method: method, layer: layer,
                                       direction: direction, granularity: granularity, topK: topK, encoding: c.encoding)
        try Pipeline.validate(model: m, request: request)
        c.clock.lap("params")
        // A long text: only a region around the focus is encoded (exactly the same tokens).
        let long = try Pipeline.windowedHighlight(model: m, request: request, workingBudgetBytes: c.server.requestWorkingBudget)
        if long == nil { try WorkingMemory.check(text, bytesPerUTF8Byte: Tokenizer.encodeBytesPerUTF8Byte, "encoding", c) }
        let (windowed, window) = try long.map { ($0.encoded, $0.window) }
            ?? Pipeline.highlightWindow(model: m, encoded: encode(m, text, c), request: request)
        c.clock.lap("tokenize")
        let layerKey: String
        switch layer { case .last: layerKey = "last"; case let .index(n): layerKey = String(n) }
        let key = cachePrefix(model: m.id) + "basis|\(method.rawValue)|\(method.isAcrossLayers ? "-" : layerKey)|\(granularity.rawValue)|\(c.encoding.rawValue)|" + (long?.identity ?? "\(window.map { "\($0.lowerBound)" } ?? "-")|" + text)
        let basis: HighlightBasis
        let T = windowed.tokens.count
        if let hit: HighlightBasis = c.server.cache.get(key) {
            basis = hit
            // One reservation per request (two could wait for each other's).
            if let k = predictK {
                try c.reserve(RequestWorkingSet.predict(tokens: T, textUTF8Bytes: text.utf8.count, topK: k, try ModelDimensions(m)),
                              what: "predicting after \(T) tokens")
            }
        } else {
            let d = try ModelDimensions(m)
            var ws = RequestWorkingSet.highlight(tokens: T, textUTF8Bytes: text.utf8.count, method: method, d)
            if let k = predictK {
                ws.analysis += RequestWorkingSet.floatBytes * RequestWorkingSet.predictionFloats(tokens: T, d)
                ws.response += RequestWorkingSet.predictedTokenJSONBytes * k
            }
            try c.reserve(ws, what: "highlighting \(T) tokens")
            basis = try Pipeline.highlightBasis(model: m, request: request, windowed: windowed, window: window,
                                                forward: cachedForward(m, c), isCancelled: c.isCancelled)
            c.server.cache.put(key, basis, bytes: basis.byteCount + key.utf8.count)
        }
        c.clock.lap("analysis")
        let result = try Pipeline.finishHighlight(basis, request: request)
        c.clock.lap("finish")
        var predictions: [PredictedToken]? = nil
        if let k = predictK {
            // The next token after the focus's last token: from the pass on the analysed tokens
            // (cached by the highlight, which runs to the end for a model with an LM head).
            let net = try m.network
            let ids = windowed.ids, position = result.focusLastToken
            let logits = try cachedLogits(m, c)(Array(ids[...position])) {
                let pass = try cachedForward(m, c, finalHiddenState: true)(ids, TapRequest(.none))
                return try net.nextTokenLogits(pass, after: position, isCancelled: c.isCancelled)
            }
            if c.isCancelled() { throw ForwardError.cancelled }
            predictions = try NextTokenPrediction.top(logits, k: k, tokenizer: m.tokenizer)
            c.clock.lap("predict")
        }
        defer { c.clock.lap("json") }
        return Response(JSONRPCResponse.result(id: c.id) { w in ResultJSON.writeHighlight(result, predictions: predictions, into: &w) })
    }

    // MARK: prediction

    /// The network of a model that predicts next tokens. - Throws: -32012 naming what the model
    /// does support (`data: {supported, predicts: false}`) for a model without a
    /// language-modelling head; `NetworkUnavailable` (-32012) for a model Heed cannot run.
    static func predictingNetwork(_ m: LoadedModel, _ what: String) throws -> TransformerModel {
        let net = try m.network
        guard net.hasLanguageModelHead else {
            throw JSONRPCError(.methodNotSupported, "\(what) is not supported for this model: \(net.predictionUnavailable)",
                               data: .object(JSONObject([
                                   ("supported", .array(AnalysisMethod.supported(attentionNorm: net.attentionNorm).map { .string($0.rawValue) })),
                                   ("predicts", .bool(false))])))
        }
        return net
    }

    /// A number of predicted tokens (`topK`, `predict`) must be 1...V. data: `{field, min: 1, max: V}`.
    static func checkTopK(_ k: Int, field: String, _ net: TransformerModel) throws {
        let V = net.embeddingRows
        guard k < 1 || k > V else { return }
        throw JSONRPCError(.invalidParams, "Invalid params: `\(field)` is \(k): it must be 1...\(V) (the model's vocabulary)",
                           data: .object(JSONObject([("field", .string(field)), ("min", .number(JSONNumber(1))),
                                                     ("max", .number(JSONNumber(V)))])))
    }

    static func predict(_ p: RequestParams, _ c: RequestContext) throws -> Response {
        let text = try text(p)
        let topK = try p.optionalInt("topK")
        let m = try model(p, c)
        let net = try predictingNetwork(m, "heed/predict")
        let k = topK ?? min(NextTokenPrediction.defaultTopK, net.embeddingRows)
        try checkTopK(k, field: "topK", net)
        c.clock.lap("params")
        try WorkingMemory.check(text, bytesPerUTF8Byte: Tokenizer.encodeBytesPerUTF8Byte, "encoding", c)
        let (windowed, window) = Pipeline.predictionWindow(model: m, text: text, encoded: encode(m, text, c), encoding: c.encoding)
        c.clock.lap("tokenize")
        let T = windowed.tokens.count
        if c.server.cache.get(logitsKey(m, windowed.ids), as: [Float].self) == nil {
            try c.reserve(RequestWorkingSet.predict(tokens: T, textUTF8Bytes: text.utf8.count, topK: k, try ModelDimensions(m)),
                          what: "predicting after \(T) tokens")
        }
        let result = try Pipeline.predict(model: m, windowed: windowed, window: window, topK: k,
                                          forward: cachedForward(m, c, finalHiddenState: true), logits: cachedLogits(m, c),
                                          isCancelled: c.isCancelled)
        c.clock.lap("predict")
        defer { c.clock.lap("json") }
        return Response(JSONRPCResponse.result(id: c.id) { w in ResultJSON.writePrediction(result, into: &w) })
    }
}
