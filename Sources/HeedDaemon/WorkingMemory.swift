import HeedAnalysis
import HeedJSONRPC
import HeedModels
import HeedTokenizers

/// The text working memory of one request, estimated from the text's size before any of it is
/// allocated and checked against `Server.requestWorkingBudget` (protocol.md, section 1).
enum WorkingMemory {
    /// `heed/tokenize` per UTF-8 byte of text: the encoding's working set
    /// (`Tokenizer.encodeBytesPerUTF8Byte`), the token table and the response's JSON (up to one
    /// token per byte of text, about 100 bytes of JSON each).
    static let tokenizeBytesPerUTF8Byte = 400

    /// Regions of a long text are encoded this many UTF-8 bytes at a time (then cut at the
    /// next space or line feed).
    static let regionUTF8Bytes = 1 << 16

    /// - Throws: `WorkingSetTooLarge` when `bytesPerUTF8Byte` times the text's size exceeds the budget.
    static func check(_ text: String, bytesPerUTF8Byte: Int, _ what: String, _ c: RequestContext) throws {
        let (needed, overflow) = text.utf8.count.multipliedReportingOverflow(by: bytesPerUTF8Byte)
        let budget = c.server.requestWorkingBudget
        if overflow || needed > budget {
            throw WorkingSetTooLarge(neededBytes: overflow ? .max : needed, budgetBytes: budget, what: "\(what) \(text.utf8.count) bytes of text")
        }
    }

    /// `heed/analyze` on a long text: its encoding computed region by region (bounded memory),
    /// or `PipelineError.inputTooLong` with the exact number of tokens when it has more than
    /// the model's limit, without ever holding them all. nil for a short text (encoded whole,
    /// after `check`).
    static func analyzeEncoding(_ m: LoadedModel, _ text: String, _ c: RequestContext) throws -> Encoding? {
        let budget = c.server.requestWorkingBudget
        if text.utf8.count > Pipeline.windowingThresholdUTF8Bytes,
           let (encoding, count) = try m.tokenizer.encodeInRegions(text, chunkUTF8Bytes: regionUTF8Bytes, keepTokens: m.shape.maxTokens, check: { bytes in
               let needed = bytes * Tokenizer.encodeBytesPerUTF8Byte
               if needed > budget {
                   throw WorkingSetTooLarge(neededBytes: needed, budgetBytes: budget, what: "encoding \(bytes) bytes of text without a space or line feed")
               }
           }) {
            guard let encoding else { throw PipelineError.inputTooLong(tokens: count, limit: m.shape.maxTokens) }
            return encoding
        }
        try check(text, bytesPerUTF8Byte: Tokenizer.encodeBytesPerUTF8Byte, "encoding", c)
        return nil
    }
}

/// The sizes a request's working set depends on.
struct ModelDimensions: Equatable {
    /// L, NH, C, I, and V (the vocabulary: rows of the embedding matrix).
    var layers: Int, heads: Int, hidden: Int, intermediate: Int, vocabulary: Int
    init(layers: Int, heads: Int, hidden: Int, intermediate: Int, vocabulary: Int = 0) {
        self.layers = layers; self.heads = heads; self.hidden = hidden; self.intermediate = intermediate
        self.vocabulary = vocabulary
    }
    /// Throws `NetworkUnavailable` for a model Heed can tokenize but not run.
    init(_ m: LoadedModel) throws {
        let n = try m.network
        self.init(layers: n.layerCount, heads: n.headCount, hidden: n.hiddenSize,
                  intermediate: n.intermediateSize, vocabulary: n.embeddingRows)
    }
}

/// The working set of one `heed/analyze` or `heed/highlight` on T tokens, in bytes, estimated
/// before any of it is allocated (protocol.md, section 1, states the same formula). Upper bounds
/// of what the request allocates itself, whether or not parts of it are cached already.
struct RequestWorkingSet: Equatable, CustomStringConvertible {
    /// Encoding the text: 160 bytes per UTF-8 byte (`Tokenizer.encodeBytesPerUTF8Byte`) of the
    /// text, or of one 64 KiB region of a longer one.
    var text: Int
    /// The forward pass: its taps as cached (L+1 hidden states, and per layer the attention
    /// weights and four (T, C) copies) plus one layer's scratch (T x (8C + I) floats).
    var forward: Int
    /// The analysis: every requested output, plus one layer's norm decomposition.
    var analysis: Int
    /// The response's JSON, reserved at this size before it is written. (A `format: "binary"`
    /// attachment is written from the analysis's outputs, counted in `analysis`: no copy.)
    var response: Int
    var total: Int { text + forward + analysis + response }
    var description: String { "\(total) bytes (text \(text), forward \(forward), analysis \(analysis), response \(response))" }

    static let floatBytes = 4
    /// JSON bytes per number in nested arrays: up to 16 characters (`FloatFormatting.maxByteCount`),
    /// a separator and a share of the brackets.
    static let nestedBytesPerNumber = 18
    /// JSON bytes of the tokens (and words) tables, per token.
    static let tokenJSONBytes = 160
    static let responseOverhead = 4096
    /// JSON bytes of one `format: "binary"` tensor reference with its key and separator, at
    /// most: `"attn-res-ln":{"shape":[NH,T,T],"dtype":"f32","byteOffset":o,"byteLength":n}`.
    static let binaryReferenceBytes = 160

    static func textBytes(utf8Count: Int) -> Int {
        Tokenizer.encodeBytesPerUTF8Byte * min(utf8Count, Pipeline.windowingThresholdUTF8Bytes)
    }

    static func forwardBytes(tokens T: Int, _ d: ModelDimensions) -> Int {
        let (L, NH, C, I) = (d.layers, d.heads, d.hidden, d.intermediate)
        // Streamed (taps too large to keep, Pipeline.keepsTaps): the hidden states, one layer's
        // taps and the attention scratch of the layers not recorded.
        let layersHeld = streamed(tokens: T, d) ? 1 : L
        let taps = floatBytes * ((L + 1) * T * C + layersHeld * (4 * T * C + NH * T * T)) + 256
        return taps + floatBytes * T * (8 * C + I) + (layersHeld == 1 ? floatBytes * NH * T * T : 0)
    }

    /// True when the forward pass of T tokens is streamed into the analysis (Pipeline.keepsTaps).
    static func streamed(tokens T: Int, _ d: ModelDimensions) -> Bool {
        Pipeline.fullTapBytes(layers: d.layers, heads: d.heads, hidden: d.hidden, tokens: T) > Pipeline.keptTapsLimitBytes
    }

    /// Floats of each output of one layer (or across layers) for `method`.
    static func outputFloats(_ method: AnalysisMethod, tokens T: Int, meanOverHeads: Bool, _ d: ModelDimensions) -> Int {
        let heads = meanOverHeads ? 1 : d.heads
        switch method {
        case .attention, .norm: return heads * T * T
        case .valueNorm: return heads * T
        case .normSummed, .attnRes, .attnResLn, .alti, .valueZeroing: return T * T
        case .mixingRatio: return 8 * T
        case .rollout: return 2 * T * T
        case .normRollout, .altiRollout, .globenc: return (streamed(tokens: T, d) ? 3 : d.layers + 1) * T * T
        }
    }

    /// JSON bytes of one output of `n` floats written as `arrays` number arrays (5 for
    /// `mixing-ratio`, else 1; only a binary reference's size depends on it).
    static func response(floats n: Int, format: JSONWriter.TensorFormat, arrays: Int = 1) -> Int {
        switch format {
        case .nested: return nestedBytesPerNumber * n + 64
        case .base64: return 4 * ((floatBytes * n + 2) / 3) + 96
        case .binary: return binaryReferenceBytes * arrays
        }
    }

    /// `heed/analyze` of `options` on T tokens.
    static func analyze(tokens T: Int, textUTF8Bytes: Int, options: AnalyzeOptions, format: JSONWriter.TensorFormat, _ d: ModelDimensions) -> RequestWorkingSet {
        var seen = Set<AnalysisMethod>()
        let methods = options.methods.filter { seen.insert($0).inserted }
        let layerCount = options.layers.map { Set($0).count } ?? d.layers
        var outputs = 0, json = responseOverhead + tokenJSONBytes * T
        for m in methods {
            let n = outputFloats(m, tokens: T, meanOverHeads: options.meanOverHeads, d)
            let count = m.isAcrossLayers ? 1 : layerCount
            outputs += count * n
            json += count * response(floats: n, format: format, arrays: m == .mixingRatio ? 5 : 1)
        }
        let decomposes = methods.contains { $0 != .attention && $0 != .rollout }
        // globenc and value zeroing re-run the feed-forward block: on T rows, or on a batch of
        // zeroed rows (NormDecomposition.valueZeroingBatchRows) plus the (T, C) original output.
        let rerunRows = methods.contains(.valueZeroing) ? max(T, 2048) : methods.contains(.globenc) ? T : 0
        let rerun = rerunRows * (4 * d.hidden + 2 * d.intermediate) + (rerunRows > 0 ? T * d.hidden : 0)
        return RequestWorkingSet(text: textBytes(utf8Count: textUTF8Bytes), forward: forwardBytes(tokens: T, d),
                                 analysis: floatBytes * (outputs + rerun + (decomposes ? decompositionFloats(tokens: T, d) * (methods.contains(.alti) || methods.contains(.altiRollout) ? 2 : 1) : 0)),
                                 response: json)
    }

    /// One layer's norm decomposition: the transformed vectors f(x) per head, four (T, C)
    /// buffers and the (NH, T, T) norms before any mean over heads.
    static func decompositionFloats(tokens T: Int, _ d: ModelDimensions) -> Int {
        d.heads * T * d.hidden + 4 * T * d.hidden + d.heads * T * T
    }

    /// `heed/highlight` with `method` on T tokens: the analysis of one head-averaged matrix, the
    /// cached basis (the (T, T) matrix and the units) and a response of at most T ranges.
    static func highlight(tokens T: Int, textUTF8Bytes: Int, method: AnalysisMethod, _ d: ModelDimensions) -> RequestWorkingSet {
        let a = analyze(tokens: T, textUTF8Bytes: textUTF8Bytes,
                        options: AnalyzeOptions(methods: [method], layers: method.isAcrossLayers ? nil : [0], meanOverHeads: true, granularity: .token),
                        format: .nested, d)
        return RequestWorkingSet(text: a.text, forward: a.forward, analysis: a.analysis + floatBytes * T * T + 24 * T,
                                 response: responseOverhead + 100 * T)
    }

    /// JSON bytes of one predicted token (`{"id":..,"text":"..","probability":..,"logit":..}`;
    /// a token's text is short, its escapes at most 6 bytes per byte).
    static let predictedTokenJSONBytes = 256

    /// The extra working set of a prediction on T tokens whose forward pass is at hand: the
    /// logits (V floats) and the last hidden state cut to a prefix (T C floats, for a
    /// prediction at a focus inside the text).
    static func predictionFloats(tokens T: Int, _ d: ModelDimensions) -> Int {
        d.vocabulary + T * d.hidden
    }

    /// `heed/predict` of K tokens on T tokens: a forward pass without taps that keeps every
    /// hidden state ((L+1) T C floats, as cached), one layer's scratch (T (8C + I) floats and
    /// its NH T^2 attention weights), the prediction (`predictionFloats`) and a response of K
    /// tokens.
    static func predict(tokens T: Int, textUTF8Bytes: Int, topK K: Int, _ d: ModelDimensions) -> RequestWorkingSet {
        let (L, NH, C, I) = (d.layers, d.heads, d.hidden, d.intermediate)
        let forward = floatBytes * ((L + 1) * T * C + T * (8 * C + I) + NH * T * T) + 256
        return RequestWorkingSet(text: textBytes(utf8Count: textUTF8Bytes), forward: forward,
                                 analysis: floatBytes * predictionFloats(tokens: T, d),
                                 response: responseOverhead + predictedTokenJSONBytes * K)
    }
}
