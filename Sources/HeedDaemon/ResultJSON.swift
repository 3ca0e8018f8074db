import HeedAnalysis
import HeedJSONRPC
import HeedKernels

/// Serialises analysis results in the shapes the protocol pins (DESIGN.md, Protocol contract).
/// The daemon's handlers and the CLI's `--json` share these, so both print the same thing.
public enum ResultJSON {
    public static func writeTokens(_ table: TokenTable, into w: inout JSONWriter) {
        w.beginArray()
        for t in table.tokens {
            w.beginObject()
            w.key("index"); w.int(t.index)
            w.key("id"); w.int(t.id)
            w.key("text"); w.string(t.text)
            w.key("display"); w.string(t.display)
            w.key("start"); w.int(t.start)
            w.key("end"); w.int(t.end)
            w.key("special"); w.bool(t.special)
            w.key("word"); w.int(t.word)
            w.endObject()
        }
        w.endArray()
    }

    public static func writeWords(_ table: TokenTable, into w: inout JSONWriter) {
        w.beginArray()
        for word in table.words {
            w.beginObject()
            w.key("index"); w.int(word.index)
            w.key("text"); w.string(word.text)
            w.key("start"); w.int(word.start)
            w.key("end"); w.int(word.end)
            w.key("special"); w.bool(word.special)
            w.key("tokens"); w.beginArray(); for t in word.tokens { w.int(t) }; w.endArray()
            w.endObject()
        }
        w.endArray()
    }

    /// The `heed/analyze` result object (`.nested` or `.base64`: the JSON alone).
    public static func analyze(_ r: AnalyzeResult, format: JSONWriter.TensorFormat = .nested) -> JSONWriter {
        var w = JSONWriter(reservingCapacity: 1 << 16)
        var unused = BinaryAttachment()
        writeAnalyze(r, format: format, attachment: &unused, into: &w)
        return w
    }

    /// The `heed/analyze` result object; with `format` `.binary` every number array is placed in
    /// `attachment`, in the order the JSON references them. `closing: false` leaves the object
    /// open for more members (an encoder-decoder pair's, protocol.md section 5.9).
    public static func writeAnalyze(_ r: AnalyzeResult, format: JSONWriter.TensorFormat, attachment: inout BinaryAttachment,
                                    into w: inout JSONWriter, closing: Bool = true) {
        func tensor(_ t: Tensor) { writeTensor(t.data, t.shape, format: format, attachment: &attachment, into: &w) }
        w.beginObject()
        w.key("model"); w.string(r.modelID)
        w.key("positionEncoding"); w.string(r.table.encoding.rawValue)
        w.key("tokens"); writeTokens(r.table, into: &w)
        if r.granularity == .word { w.key("words"); writeWords(r.table, into: &w) }
        w.key("layers"); writeLayers(r.layers, format: format, attachment: &attachment, into: &w)
        if let r = r.rollout { w.key("rollout"); tensor(r) }
        if let r = r.normRollout { w.key("norm-rollout"); tensor(r) }
        if let r = r.altiRollout { w.key("alti-rollout"); tensor(r) }
        if let r = r.globenc { w.key("globenc"); tensor(r) }
        if closing { w.endObject() }
    }

    /// `[{layer, <method>: value}]`, each layer's methods in request order.
    public static func writeLayers(_ layers: [LayerResult], format: JSONWriter.TensorFormat, attachment: inout BinaryAttachment,
                                   into w: inout JSONWriter) {
        w.beginArray()
        for layer in layers {
            w.beginObject()
            w.key("layer"); w.int(layer.layer)
            for (method, value) in layer.values {
                w.key(method.rawValue)
                switch value {
                case let .tensor(t): writeTensor(t.data, t.shape, format: format, attachment: &attachment, into: &w)
                case let .vectors(named):
                    w.beginObject()
                    for (key, values) in named { w.key(key); writeTensor(values, [values.count], format: format, attachment: &attachment, into: &w) }
                    w.endObject()
                }
            }
            w.endObject()
        }
        w.endArray()
    }

    static func writeTensor(_ values: [Float], _ shape: [Int], format: JSONWriter.TensorFormat, attachment: inout BinaryAttachment,
                            into w: inout JSONWriter) {
        if format == .binary { w.tensor(values, shape: shape, attachment: &attachment) } else { w.tensor(values, shape: shape, format: format) }
    }
}

extension ResultJSON {
    /// The `heed/highlight` result object.
    public static func highlight(_ r: HighlightResult) -> JSONWriter {
        var w = JSONWriter()
        writeHighlight(r, into: &w)
        return w
    }

    /// The `heed/highlight` result object; `predictions` (its `predict` param) adds `predictions`.
    public static func writeHighlight(_ r: HighlightResult, predictions: [PredictedToken]? = nil, into w: inout JSONWriter) {
        w.beginObject()
        w.key("positionEncoding"); w.string(r.encoding.rawValue)
        w.key("ranges"); writeRanges(r.ranges, into: &w)
        w.key("focus"); w.beginObject(); w.key("start"); w.int(r.focus.lowerBound); w.key("end"); w.int(r.focus.upperBound); w.endObject()
        w.key("method"); w.string(r.method.rawValue)
        w.key("layer"); if let l = r.layer { w.int(l) } else { w.null() }
        if let win = r.window {
            w.key("window"); w.beginObject(); w.key("start"); w.int(win.lowerBound); w.key("end"); w.int(win.upperBound); w.endObject()
        }
        if let predictions { w.key("predictions"); writePredictedTokens(predictions, into: &w) }
        w.endObject()
    }

    /// `[{start, end, score, value}]`, in the given order.
    public static func writeRanges(_ ranges: [HighlightRange], into w: inout JSONWriter) {
        w.beginArray()
        for range in ranges {
            w.beginObject()
            w.key("start"); w.int(range.start)
            w.key("end"); w.int(range.end)
            w.key("score"); w.number(range.score)
            w.key("value"); w.number(range.value)
            w.endObject()
        }
        w.endArray()
    }

    /// `[{id, text, probability, logit}]`, in the given order (most probable first).
    public static func writePredictedTokens(_ tokens: [PredictedToken], into w: inout JSONWriter) {
        w.beginArray()
        for t in tokens {
            w.beginObject()
            w.key("id"); w.int(t.id)
            w.key("text"); w.string(t.text)
            w.key("probability"); w.number(t.probability)
            w.key("logit"); w.number(t.logit)
            w.endObject()
        }
        w.endArray()
    }

    /// The `heed/predict` result object: `{tokens, window?}`.
    public static func writePrediction(_ r: PredictionResult, into w: inout JSONWriter) {
        w.beginObject()
        w.key("tokens"); writePredictedTokens(r.tokens, into: &w)
        if let win = r.window {
            w.key("window"); w.beginObject(); w.key("start"); w.int(win.lowerBound); w.key("end"); w.int(win.upperBound); w.endObject()
        }
        w.endObject()
    }
}

extension ResultJSON {
    /// The `heed/analyze` result with a `target` (protocol.md section 5.9): the encoder's members,
    /// then `targetTokens`, `targetWords` (word granularity), `decoder` and `cross`.
    public static func writePairAnalyze(_ r: PairAnalyzeResult, format: JSONWriter.TensorFormat, attachment: inout BinaryAttachment,
                                        into w: inout JSONWriter) {
        writeAnalyze(r.encoder, format: format, attachment: &attachment, into: &w, closing: false)
        w.key("targetTokens"); writeTokens(r.targetTable, into: &w)
        if r.encoder.granularity == .word { w.key("targetWords"); writeWords(r.targetTable, into: &w) }
        w.key("decoder"); w.beginObject(); w.key("layers"); writeLayers(r.decoder, format: format, attachment: &attachment, into: &w); w.endObject()
        w.key("cross"); w.beginObject(); w.key("layers"); writeLayers(r.cross, format: format, attachment: &attachment, into: &w); w.endObject()
        w.endObject()
    }

    /// The `heed/highlight` result with `focusIn: "target"`: ranges in the source, the focus in the target.
    public static func writeCrossHighlight(ranges: [HighlightRange], focus: Range<Int>, method: AnalysisMethod, layer: Int,
                                           encoding: PositionEncoding, into w: inout JSONWriter) {
        w.beginObject()
        w.key("positionEncoding"); w.string(encoding.rawValue)
        w.key("ranges"); writeRanges(ranges, into: &w)
        w.key("focus"); w.beginObject(); w.key("start"); w.int(focus.lowerBound); w.key("end"); w.int(focus.upperBound); w.endObject()
        w.key("method"); w.string(method.rawValue)
        w.key("layer"); w.int(layer)
        w.key("rangesIn"); w.string("source")
        w.endObject()
    }

    /// The `heed/align` result (protocol.md section 5.10).
    public static func writeAlignment(_ a: PairAlignment, layer: Int, method: String, setting: AlignmentSetting, encoding: PositionEncoding,
                                      into w: inout JSONWriter) {
        func words(_ list: [AlignWord]) {
            w.beginArray()
            for word in list {
                w.beginObject()
                w.key("index"); w.int(word.index)
                w.key("text"); w.string(word.text)
                w.key("start"); w.int(word.start)
                w.key("end"); w.int(word.end)
                w.key("tokens"); w.beginArray(); for t in word.tokens { w.int(t) }; w.endArray()
                w.endObject()
            }
            w.endArray()
        }
        w.beginObject()
        w.key("positionEncoding"); w.string(encoding.rawValue)
        w.key("layer"); w.int(layer)
        w.key("method"); w.string(method)
        w.key("setting"); w.string(setting.rawValue)
        w.key("sourceWords"); words(a.sourceWords)
        w.key("targetWords"); words(a.targetWords)
        w.key("links"); w.beginArray()
        for (link, score) in a.links {
            w.beginObject()
            w.key("source"); w.int(link.source)
            w.key("target"); w.int(link.target)
            w.key("score"); w.number(score)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}
