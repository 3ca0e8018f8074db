import Foundation
import HeedAnalysis
@testable import HeedDaemon
import HeedJSONRPC
import HeedModels
import HeedTestSupport
import HeedTokenizers
import XCTest

/// `heed/predict`, `heed/highlight`'s `predict` and ModelInfo's `predicts` (issue 12), through the
/// daemon, on a test double of a decoder (`FakeDecoder`: causal, with an LM head whose logits
/// are known: after token id t the ranking is t+1, t+2, ... mod V) served through
/// `ModelRegistry.insert`. Its tokenizer is the tiny WordPiece one inserting only a leading
/// [CLS] (id 2), as a decoder's inserts BOS: "the" = 5, "cat" = 6, "sat" = 7, "on" = 8, "mat" = 9.
final class PredictTests: XCTestCase {
    static let V = 123

    static func decoder(id: String = "fake-decoder", maxTokens: Int = 64) throws -> (LoadedModel, FakeDecoder) {
        let net = FakeDecoder(vocabulary: V, maxTokens: maxTokens)
        let tokenizer = try Tokenizer(json: Data(TinyTokenizer.json(vocabulary: TestModels.vocabulary, leadingOnly: true).utf8))
        return (LoadedModel(id: id, directory: URL(fileURLWithPath: "/nonexistent/\(id)"), network: net, tokenizer: tokenizer), net)
    }

    /// A daemon serving the fake decoder (and, on demand, the tiny encoder from disk).
    func daemon(maxTokens: Int = 64) throws -> (InProcessDaemon, LoadedModel, FakeDecoder) {
        let d = InProcessDaemon()
        try d.initialize()
        let (m, net) = try Self.decoder(maxTokens: maxTokens)
        d.server.registry.insert(m)
        return (d, m, net)
    }

    /// softmax of logit -rank for ranks 0..<V: e^-r / sum_k e^-k.
    static func probability(rank r: Int) -> Double {
        let sum = (0..<V).reduce(0.0) { $0 + exp(-Double($1)) }
        return exp(-Double(r)) / sum
    }

    func tokens(_ result: JSONValue?) -> [(id: Int, text: String, probability: Double, logit: Double)] {
        (result?.arrayValue ?? []).map { t in
            (t["id"]?.intValue ?? -1, t["text"]?.stringValue ?? "?", t["probability"]?.doubleValue ?? .nan, t["logit"]?.doubleValue ?? .nan)
        }
    }

    func testPredictReturnsTheTopTokensMostProbableFirst() throws {
        let (d, m, _) = try daemon()
        defer { _ = d.finish() }
        // "the cat sat" -> [CLS] the cat sat: after "sat" (7) the ranking is 8 ("on"), 9 ("mat"), 10, ...
        let r = try d.result(id: 1, sending: "heed/predict", params: #"{"model":"fake-decoder","text":"the cat sat"}"#)
        let got = tokens(r["tokens"])
        XCTAssertEqual(got.count, NextTokenPrediction.defaultTopK, "topK defaults to 10")
        XCTAssertEqual(got.map(\.id), Array(8..<18))
        XCTAssertEqual(got.map(\.logit), (0..<10).map { -Double($0) })
        for (rank, t) in got.enumerated() {
            XCTAssertEqual(t.probability, Self.probability(rank: rank), accuracy: 1e-7 * max(1, t.probability * 10))
            XCTAssertEqual(t.text, m.tokenizer.decode([t.id]))
        }
        XCTAssertEqual(got[0].text, "on")
        XCTAssertEqual(got[1].text, "mat")
        XCTAssertNil(r["window"], "the text fits the model")
    }

    func testTopKBoundsAndTypes() throws {
        let (d, _, _) = try daemon()
        defer { _ = d.finish() }
        let three = try d.result(id: 1, sending: "heed/predict", params: #"{"model":"fake-decoder","text":"the","topK":3}"#)
        XCTAssertEqual(tokens(three["tokens"]).map(\.id), [6, 7, 8])
        // topK = V: every token, probabilities summing to 1, wrapping around the vocabulary.
        let all = try d.result(id: 2, sending: "heed/predict", params: #"{"model":"fake-decoder","text":"the","topK":\#(Self.V)}"#)
        let every = tokens(all["tokens"])
        XCTAssertEqual(every.count, Self.V)
        XCTAssertEqual(Set(every.map(\.id)), Set(0..<Self.V))
        XCTAssertEqual(every.last?.id, 5, "the last-ranked token is the one just read")
        XCTAssertEqual(every.reduce(0) { $0 + $1.probability }, 1, accuracy: 1e-5)
        for (n, k) in [(3, "0"), (4, "\(Self.V + 1)"), (5, "-1")] {
            let e = try d.call(n, "heed/predict", #"{"model":"fake-decoder","text":"the","topK":\#(k)}"#)
            XCTAssertError(e, .invalidParams, id: .int(n), mentioning: ["topK", "1...\(Self.V)"])
            XCTAssertEqual(e["error"]?["data"]?["field"]?.stringValue, "topK")
            XCTAssertEqual(e["error"]?["data"]?["min"]?.intValue, 1)
            XCTAssertEqual(e["error"]?["data"]?["max"]?.intValue, Self.V)
        }
        for (n, k) in [(6, #""3""#), (7, "2.5"), (8, "[3]"), (9, "{}")] {
            XCTAssertError(try d.call(n, "heed/predict", #"{"model":"fake-decoder","text":"the","topK":\#(k)}"#), .invalidParams, id: .int(n), mentioning: ["topK"])
        }
        XCTAssertError(try d.call(10, "heed/predict", #"{"model":"fake-decoder"}"#), .invalidParams, id: .int(10), mentioning: ["text"])
        XCTAssertError(try d.call(11, "heed/predict", #"{"text":"the"}"#), .invalidParams, id: .int(11), mentioning: ["model"])
    }

    func testAnEncoderDoesNotPredict() throws {
        let (d, _, _) = try daemon()
        defer { _ = d.finish() }
        let e = try d.call(1, "heed/predict", #"{"model":"\#(TestModels.tiny)","text":"the cat"}"#)
        XCTAssertError(e, .methodNotSupported, id: .int(1), mentioning: ["heed/predict", "not supported for this model", "language-modelling head"])
        XCTAssertEqual(e["error"]?["data"]?["predicts"], .bool(false))
        XCTAssertEqual(e["error"]?["data"]?["supported"]?.arrayValue?.compactMap(\.stringValue).contains("attn-res-ln"), true)
        let h = try d.call(2, "heed/highlight", #"{"model":"\#(TestModels.tiny)","text":"the cat","focus":{"start":0,"end":0},"method":"attention","predict":3}"#)
        XCTAssertError(h, .methodNotSupported, id: .int(2), mentioning: ["predict"])
        // Without `predict` the same highlight works.
        _ = try d.result(id: 3, sending: "heed/highlight", params: #"{"model":"\#(TestModels.tiny)","text":"the cat","focus":{"start":0,"end":0},"method":"attention"}"#)
    }

    func testModelInfoSaysWhetherAModelPredicts() throws {
        let (d, _, _) = try daemon()
        defer { _ = d.finish() }
        _ = try d.result(id: 1, sending: "heed/loadModel", params: #"{"model":"\#(TestModels.tiny)"}"#)
        let models = try d.result(id: 2, sending: "heed/models", params: "{}")["models"]?.arrayValue ?? []
        let fake = try XCTUnwrap(models.first { $0["id"]?.stringValue == "fake-decoder" })
        XCTAssertEqual(fake["predicts"], .bool(true))
        XCTAssertEqual(fake["causal"], .bool(true))
        // Pre-norm: attn-res-ln and globenc are not offered (norm-rollout is, built from attn-res);
        // the fake decoder cannot re-run a layer: no value-zeroing either.
        XCTAssertEqual(fake["methods"]?.arrayValue?.compactMap(\.stringValue),
                       ["norm-summed", "attention", "attn-res", "norm", "rollout", "norm-rollout", "alti", "alti-rollout"])
        let tiny = try XCTUnwrap(models.first { $0["id"]?.stringValue == TestModels.tiny })
        XCTAssertEqual(tiny["predicts"], .bool(false))
        XCTAssertEqual(tiny["methods"]?.arrayValue?.compactMap(\.stringValue).contains("attn-res-ln"), true)
        // A catalog model not fetched: unknown.
        if let minilm = models.first(where: { $0["id"]?.stringValue == "minilm" }), minilm["loaded"] == .bool(false) {
            XCTAssertNotNil(minilm["predicts"], "ModelInfo always has the field")
        }
    }

    func testEveryHighlightMethodOfThePreNormDecoderRuns() throws {
        let (d, _, _) = try daemon()
        defer { _ = d.finish() }
        let models = try d.result(id: 1, sending: "heed/models", params: "{}")["models"]?.arrayValue ?? []
        let methods = models.first { $0["id"]?.stringValue == "fake-decoder" }?["methods"]?.arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertFalse(methods.isEmpty)
        for (k, method) in methods.enumerated() {
            let r = try d.result(id: 10 + k, sending: "heed/highlight",
                                 params: #"{"model":"fake-decoder","text":"the cat sat on","focus":{"start":8,"end":11},"method":"\#(method)"}"#)
            XCTAssertEqual(r["method"]?.stringValue, method)
            // Causal: "sat" attends to nothing after it.
            let on = r["ranges"]?.arrayValue?.first { $0["start"]?.intValue == 12 }
            XCTAssertEqual(on?["value"]?.doubleValue, 0, "\(method): no mass beyond the diagonal")
        }
        let e = try d.call(2, "heed/highlight", #"{"model":"fake-decoder","text":"the cat","focus":{"start":0,"end":0},"method":"attn-res-ln"}"#)
        XCTAssertError(e, .methodNotSupported, id: .int(2), mentioning: ["attn-res-ln"])
    }

    /// A decoder's empty focus is the last unit before the cursor, and `predict: K` gives the
    /// tokens after the focus's last token.
    func testHighlightPredictsAfterTheFocus() throws {
        let (d, _, _) = try daemon()
        defer { _ = d.finish() }
        let text = "the cat sat on"  // the 0..<3, cat 4..<7, sat 8..<11, on 12..<14
        func highlight(_ id: Int, _ start: Int, _ end: Int, extra: String = #","predict":2"#) throws -> JSONValue {
            try d.result(id: id, sending: "heed/highlight",
                         params: #"{"model":"fake-decoder","text":"\#(text)","focus":{"start":\#(start),"end":\#(end)},"method":"attention"\#(extra)}"#)
        }
        // Cursor at the end: the focus is "on" (8); the next tokens are 9 and 10.
        let atEnd = try highlight(1, 14, 14)
        XCTAssertEqual(atEnd["focus"]?["start"]?.intValue, 12)
        XCTAssertEqual(tokens(atEnd["predictions"]).map(\.id), [9, 10])
        XCTAssertEqual(tokens(atEnd["predictions"]).first?.text, "mat")
        XCTAssertEqual(tokens(atEnd["predictions"]).first?.probability ?? 0, Self.probability(rank: 0), accuracy: 1e-6)
        // Cursor at the start of "sat" (8): an encoder would take "sat"; a decoder takes "cat",
        // the last unit before the cursor, and predicts what follows "cat" (6): 7, 8.
        let between = try highlight(2, 8, 8)
        XCTAssertEqual(between["focus"]?["start"]?.intValue, 4)
        XCTAssertEqual(between["focus"]?["end"]?.intValue, 7)
        XCTAssertEqual(tokens(between["predictions"]).map(\.id), [7, 8])
        // Inside "sat" (9): "sat" starts before the cursor.
        XCTAssertEqual(try highlight(3, 9, 9)["focus"]?["start"]?.intValue, 8)
        // After the space (4 is the start of "cat"): "the".
        XCTAssertEqual(try highlight(4, 4, 4)["focus"]?["start"]?.intValue, 0)
        // At 0 nothing precedes: the first unit.
        XCTAssertEqual(try highlight(5, 0, 0)["focus"]?["start"]?.intValue, 0)
        // A span: after its last unit.
        XCTAssertEqual(tokens(try highlight(6, 0, 7)["predictions"]).map(\.id), [7, 8])
        // Without `predict`, no predictions; `predict: null` is the same.
        XCTAssertNil(try highlight(7, 14, 14, extra: "")["predictions"])
        XCTAssertNil(try highlight(8, 14, 14, extra: #","predict":null"#)["predictions"])
        // Bounds and types as topK's.
        for (n, k) in [(9, "0"), (10, "\(Self.V + 1)"), (11, #""2""#), (12, "1.5")] {
            let e = try d.call(n, "heed/highlight", #"{"model":"fake-decoder","text":"\#(text)","focus":{"start":0,"end":0},"method":"attention","predict":\#(k)}"#)
            XCTAssertError(e, .invalidParams, id: .int(n), mentioning: ["predict"])
        }
    }

    /// With granularity "word" the prediction follows the focus word's last token.
    func testWordGranularityPredictsAfterTheWordsLastToken() throws {
        let (d, m, _) = try daemon()
        defer { _ = d.finish() }
        // "the cats sat": the 5, cat 6 + ##s 62 (one word, 4..<8), sat 7.
        XCTAssertEqual(m.tokenizer.encode("the cats sat").ids, [2, 5, 6, 62, 7])
        func predicted(_ id: Int, cursor: Int, granularity: String) throws -> (Int?, [Int]) {
            let r = try d.result(id: id, sending: "heed/highlight",
                                 params: #"{"model":"fake-decoder","text":"the cats sat","focus":{"start":\#(cursor),"end":\#(cursor)},"method":"attention","granularity":"\#(granularity)","predict":1}"#)
            return (r["focus"]?["start"]?.intValue, tokens(r["predictions"]).map(\.id))
        }
        // Cursor between "cat" and "s": the token "cat", or the word "cats".
        XCTAssertTrue(try predicted(1, cursor: 7, granularity: "token") == (4, [7]))
        XCTAssertTrue(try predicted(2, cursor: 7, granularity: "word") == (4, [63]))
        XCTAssertTrue(try predicted(3, cursor: 8, granularity: "token") == (7, [63]))
    }

    /// Predictions reuse the highlight's forward pass and vice versa where the cached pass has
    /// what the request needs; logits are cached per token ids.
    func testPredictionsReuseCachedPasses() throws {
        let (d, _, net) = try daemon()
        defer { _ = d.finish() }
        func highlight(_ id: Int, _ text: String, _ cursor: Int, predict: Int? = nil, method: String = "norm-summed") throws -> JSONValue {
            try d.result(id: id, sending: "heed/highlight",
                         params: #"{"model":"fake-decoder","text":"\#(text)","focus":{"start":\#(cursor),"end":\#(cursor)},"method":"\#(method)"\#(predict.map { #","predict":\#($0)"# } ?? "")}"#)
        }
        func predict(_ id: Int, _ text: String) throws -> JSONValue {
            try d.result(id: id, sending: "heed/predict", params: #"{"model":"fake-decoder","text":"\#(text)","topK":2}"#)
        }
        // A highlight, then a predict on the same text: one pass (the highlight ran to the end).
        _ = try highlight(1, "the cat", 7)
        XCTAssertEqual(net.forwardCount, 1)
        XCTAssertEqual(tokens(try predict(2, "the cat")["tokens"]).map(\.id), [7, 8])
        XCTAssertEqual(net.forwardCount, 1, "predict after highlight reuses the pass")
        // predict: K on a new focus of the same text, another method: no pass.
        XCTAssertEqual(tokens(try highlight(3, "the cat", 3, predict: 2, method: "attention")["predictions"]).map(\.id), [6, 7])
        XCTAssertEqual(net.forwardCount, 1, "a prediction inside the text is cut from the cached pass")
        // A predict first, then a highlight: the predict's pass has no taps, so one more; then
        // everything on that text comes from the cache.
        _ = try predict(4, "the mat")
        XCTAssertEqual(net.forwardCount, 2)
        _ = try predict(5, "the mat")
        XCTAssertEqual(net.forwardCount, 2, "repeated predict: cached")
        XCTAssertEqual(tokens(try highlight(6, "the mat", 7, predict: 3)["predictions"]).map(\.id), [10, 11, 12])
        XCTAssertEqual(net.forwardCount, 3)
        XCTAssertEqual(tokens(try highlight(7, "the mat", 3, predict: 1)["predictions"]).map(\.id), [6])
        XCTAssertEqual(net.forwardCount, 3)
    }

    /// Beyond the context window, a decoder's highlight analyses the window that ends at the
    /// focus, and a predict the one that ends at the text's end.
    func testWindowsEndAtTheFocusForADecoder() throws {
        let (d, m, _) = try daemon(maxTokens: 8)  // [CLS] + 7 tokens
        defer { _ = d.finish() }
        let words = ["the", "cat", "sat", "on", "the", "mat", "and", "the", "dog", "sat", "on", "the", "cat"]
        let text = words.joined(separator: " ")
        XCTAssertEqual(m.tokenizer.encode(text).tokens.count, 14)
        var starts: [Int] = [], at = 0
        for w in words { starts.append(at); at += w.count + 1 }
        // Focus on "dog" (word 8): the window is words 2...8 ("sat" ... "dog").
        let h = try d.result(id: 1, sending: "heed/highlight",
                             params: #"{"model":"fake-decoder","text":"\#(text)","focus":{"start":\#(starts[8]),"end":\#(starts[8] + 3)},"method":"attention","predict":1}"#)
        XCTAssertEqual(h["window"]?["start"]?.intValue, starts[2])
        XCTAssertEqual(h["window"]?["end"]?.intValue, starts[8] + 3)
        XCTAssertEqual(tokens(h["predictions"]).map(\.id), [16], "after dog (15)")
        // Near the start there is nothing to drop before the focus: the window starts at the text.
        let early = try d.result(id: 2, sending: "heed/highlight",
                                 params: #"{"model":"fake-decoder","text":"\#(text)","focus":{"start":\#(starts[1]),"end":\#(starts[1])},"method":"attention"}"#)
        XCTAssertEqual(early["window"]?["start"]?.intValue, 0)
        XCTAssertEqual(early["focus"]?["start"]?.intValue, starts[0], "cursor at the start of cat: the")
        // predict: the last 7 tokens; after the last "cat" (6).
        let p = try d.result(id: 3, sending: "heed/predict", params: #"{"model":"fake-decoder","text":"\#(text)","topK":1}"#)
        XCTAssertEqual(tokens(p["tokens"]).map(\.id), [7])
        XCTAssertEqual(p["window"]?["start"]?.intValue, starts[6])
        XCTAssertEqual(p["window"]?["end"]?.intValue, text.count)
    }

    func testPredictOnAnEmptyTextFollowsTheInsertedToken() throws {
        let (d, _, _) = try daemon()
        defer { _ = d.finish() }
        // "" -> [CLS] (2): the prediction after BOS.
        let r = try d.result(id: 1, sending: "heed/predict", params: #"{"model":"fake-decoder","text":"","topK":1}"#)
        XCTAssertEqual(tokens(r["tokens"]).map(\.id), [3])
    }

    /// `$/cancelRequest` stops a prediction between layers (-32800).
    func testAPredictionCanBeCancelled() throws {
        let (d, _, net) = try daemon()
        defer { _ = d.finish() }
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        net.onForward = { started.signal(); release.wait() }
        d.request(1, "heed/predict", #"{"model":"fake-decoder","text":"the cat sat"}"#)
        XCTAssertEqual(started.wait(timeout: .now() + 20), .success, "the pass started")
        d.notify("$/cancelRequest", #"{"id":1}"#)
        // The notification is read before the pass goes on: it is handled on the reader thread,
        // which a later request's answer proves.
        _ = try d.result(id: 2, sending: "heed/models", params: "{}")
        release.signal()
        XCTAssertError(try d.response(id: .int(1)), .requestCancelled, id: .int(1))
        net.onForward = nil
        // Nothing was cached: the same request runs and answers.
        XCTAssertEqual(tokens(try d.result(id: 3, sending: "heed/predict", params: #"{"model":"fake-decoder","text":"the cat sat","topK":1}"#)["tokens"]).map(\.id), [8])
    }

    /// A prediction's working set is reserved like the others': one that cannot fit is -32015.
    func testAPredictionBeyondTheMemoryBudgetIsRefused() throws {
        var o = InProcessDaemon.options()
        o.maxMemoryBytes = 30_000
        let d = InProcessDaemon(options: o)
        defer { _ = d.finish() }
        try d.initialize()
        d.server.registry.insert(try Self.decoder().0)
        // topK = V: a response of 123 tokens (4096 + 256 x 123 bytes) does not fit what the weights leave.
        let e = try d.call(1, "heed/predict", #"{"model":"fake-decoder","text":"the cat","topK":\#(Self.V)}"#)
        XCTAssertError(e, .requestTooLarge, id: .int(1))
        XCTAssertGreaterThan(e["error"]?["data"]?["neededBytes"]?.intValue ?? 0, e["error"]?["data"]?["budgetBytes"]?.intValue ?? .max)
        XCTAssertEqual(tokens(try d.result(id: 2, sending: "heed/predict", params: #"{"model":"fake-decoder","text":"the cat","topK":3}"#)["tokens"]).map(\.id), [7, 8, 9])
    }

    func testRequestWorkingSetOfAPrediction() {
        // SmolLM2-135M: L 30, NH 9, C 576, I 1536, V 49152; T = 512, K = 10.
        let d = ModelDimensions(layers: 30, heads: 9, hidden: 576, intermediate: 1536, vocabulary: 49152)
        let ws = RequestWorkingSet.predict(tokens: 512, textUTF8Bytes: 2000, topK: 10, d)
        XCTAssertEqual(ws.text, 160 * 2000)
        XCTAssertEqual(ws.forward, 4 * (31 * 512 * 576 + 512 * (8 * 576 + 1536) + 9 * 512 * 512) + 256)
        XCTAssertEqual(ws.analysis, 4 * (49152 + 512 * 576))
        XCTAssertEqual(ws.response, 4096 + 256 * 10)
    }
}
