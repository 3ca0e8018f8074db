// protocol.md section 5.9 end to end on the tiny random Marian model (Tests/Fixtures/models/
// tiny-marian: no tokenizer.json, MarianTokenizer's files): ModelInfo, heed/tokenize `side`,
// heed/analyze `target` against transformers 5.23.0's attentions (expected.safetensors),
// heed/highlight `focusIn: "target"` against the analyze result's cross matrix, heed/align against
// the alignment experiment, and the errors.

import Foundation
import HeedAnalysis
import HeedCheckpoints
import HeedJSON
import HeedJSONRPC
import HeedModels
import HeedTestSupport
import HeedTokenizers
import XCTest

final class EncoderDecoderRequestTests: XCTestCase {
    static let model = Fixtures.url("models/tiny-marian").path
    static let source = "The quick brown fox jumps over the lazy dog."
    static let target = "Der schnelle braune Fuchs springt."

    private func daemon(_ encoding: String = "utf-16") throws -> InProcessDaemon {
        let d = InProcessDaemon()
        _ = try d.initialize(encodings: [encoding])
        return d
    }

    private func floats(_ v: JSONValue?) -> [Float] {
        guard let v else { return [] }
        if let a = v.arrayValue { return a.flatMap { floats($0) } }
        return v.doubleValue.map { [Float($0)] } ?? []
    }

    private func close(_ actual: [Float], _ expected: [Float], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
        guard actual.count == expected.count, !actual.isEmpty else { return }
        let scale = max(1, expected.map(abs).max() ?? 0)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(worst, 1e-4 * scale, label, file: file, line: line)
    }

    private func params(_ pairs: [(String, JSONValue)]) -> String {
        var w = JSONWriter()
        w.value(.object(JSONObject(pairs)))
        return String(decoding: w.bytes, as: UTF8.self)
    }

    func testModelInfoAndTargetTokenize() throws {
        let d = try daemon()
        let info = try d.result(id: 1, sending: "heed/loadModel", params: params([("model", .string(Self.model))]))
        XCTAssertEqual(info["family"]?.stringValue, "marian")
        XCTAssertEqual(info["encoderDecoder"], .bool(true))
        XCTAssertEqual(info["decoderLayers"]?.intValue, 2)
        XCTAssertEqual(info["crossMethods"]?.arrayValue?.compactMap(\.stringValue), ["norm-summed", "attention", "norm"])
        XCTAssertEqual(info["predicts"], .bool(false))
        // Another model's ModelInfo has none of the three.
        let bert = try d.result(id: 2, sending: "heed/loadModel", params: params([("model", .string(TestModels.tiny))]))
        XCTAssertNil(bert["encoderDecoder"])
        XCTAssertNil(bert["crossMethods"])

        let marian = try MarianTokenizer(directory: Fixtures.url("models/tiny-marian"))
        for (side, tokSide) in [("source", MarianTokenizer.Side.source), ("target", .target)] {
            let tokens = try XCTUnwrap(try d.result(id: side == "source" ? 3 : 5, sending: "heed/tokenize", params: params([
                ("model", .string(Self.model)), ("text", .string(Self.target)), ("side", .string(side))]))["tokens"]?.arrayValue)
            let expected = marian.encode(Self.target, side: tokSide)
            XCTAssertEqual(tokens.compactMap { $0["id"]?.intValue }, expected.ids, side)
            XCTAssertEqual(tokens.last?["text"]?.stringValue, "</s>")
            XCTAssertEqual(tokens.last?["start"]?.intValue, 0)
            XCTAssertEqual(tokens.last?["end"]?.intValue, 0)
            XCTAssertEqual(tokens.first?["display"]?.stringValue, " " + String(tokens.first!["text"]!.stringValue!.dropFirst()), "▁ shows as a space")
        }
        // The target side on a model that has none.
        XCTAssertError(try d.call(4, "heed/tokenize", params([("model", .string(TestModels.tiny)), ("text", .string("a")), ("side", .string("target"))])),
                       .invalidParams, id: .int(4), mentioning: ["side", "encoder-decoder"])
        _ = d.finish()
    }

    func testAnalyzeWithTargetMatchesTransformers() throws {
        let d = try daemon()
        let result = try d.result(id: 1, sending: "heed/analyze", params: params([
            ("model", .string(Self.model)), ("text", .string(Self.source)), ("target", .string(Self.target)),
            ("methods", .array(["attention", "norm-summed", "value-norm", "attn-res", "rollout"].map { .string($0) }))]))
        let manifest = try Fixtures.json("models/tiny-marian/manifest.json")
        let short = (manifest["cases"] as! [[String: Any]]).first { $0["name"] as? String == "short" }!
        let expected = try SafeTensorsFile(url: Fixtures.url("models/tiny-marian/expected.safetensors"))
        XCTAssertEqual(result["tokens"]?.arrayValue?.compactMap { $0["id"]?.intValue }, short["source_ids"] as? [Int])
        XCTAssertEqual(result["targetTokens"]?.arrayValue?.compactMap { $0["id"]?.intValue }, short["target_ids"] as? [Int])
        let S = (short["source_ids"] as! [Int]).count, T = (short["target_ids"] as! [Int]).count
        let encoder = try XCTUnwrap(result["layers"]?.arrayValue)
        let decoder = try XCTUnwrap(result["decoder"]?["layers"]?.arrayValue)
        let cross = try XCTUnwrap(result["cross"]?["layers"]?.arrayValue)
        XCTAssertEqual(encoder.count, 2); XCTAssertEqual(decoder.count, 2); XCTAssertEqual(cross.count, 2)
        XCTAssertNotNil(result["rollout"], "the encoder's rollout stays at the top level")
        for l in 0..<2 {
            close(floats(encoder[l]["attention"]), try expected.tensor("short.enc.attn.\(l)").data, "encoder attention \(l)")
            close(floats(decoder[l]["attention"]), try expected.tensor("short.dec.self.\(l)").data, "decoder self-attention \(l)")
            close(floats(cross[l]["attention"]), try expected.tensor("short.dec.cross.\(l)").data, "cross-attention \(l)")
            XCTAssertEqual(floats(cross[l]["norm-summed"]).count, T * S)
            XCTAssertEqual(floats(cross[l]["value-norm"]).count, 4 * S)
            XCTAssertNil(cross[l]["attn-res"], "residual methods are not defined for cross-attention")
            XCTAssertNotNil(decoder[l]["attn-res"], "the decoder's self-attention has them")
            XCTAssertNil(decoder[l]["rollout"])
            // Causal: the decoder's norm-summed is zero above the diagonal.
            let ns = floats(decoder[l]["norm-summed"])
            XCTAssertEqual(ns.count, T * T)
            XCTAssertTrue((0..<T).allSatisfy { i in ((i + 1)..<T).allSatisfy { ns[i * T + $0] == 0 } })
        }
        // norm-summed of the cross-attention against the direct route on the same taps.
        let loaded = try MarianModel.load(directory: Fixtures.url("models/tiny-marian"))
        let pass = try loaded.model.forwardSeq2Seq(source: short["source_ids"] as! [Int],
                                                   decoderInput: short["decoder_input_ids"] as! [Int], decoderTaps: TapRequest(.full), logits: false)
        let direct = try CrossAttentionAnalysis(taps: try XCTUnwrap(pass.decoder.taps(at: AttentionSite(layer: 1, kind: .crossAttention)))).normSummedDirect()
        close(floats(cross[1]["norm-summed"]), direct.data, "cross norm-summed against the direct route")

        // decoderLayers and word granularity.
        let words = try d.result(id: 2, sending: "heed/analyze", params: params([
            ("model", .string(Self.model)), ("text", .string(Self.source)), ("target", .string(Self.target)),
            ("methods", .array([.string("norm-summed")])), ("decoderLayers", .array([.number(JSONNumber(1))])), ("granularity", .string("word")),
            ("heads", .string("mean"))]))
        let targetWords = try XCTUnwrap(words["targetWords"]?.arrayValue), sourceWords = try XCTUnwrap(words["words"]?.arrayValue)
        XCTAssertEqual(words["decoder"]?["layers"]?.arrayValue?.compactMap { $0["layer"]?.intValue }, [1])
        XCTAssertEqual(words["cross"]?["layers"]?.arrayValue?.count, 1)
        XCTAssertEqual(floats(words["cross"]?["layers"]?.arrayValue?.first?["norm-summed"]).count, targetWords.count * sourceWords.count)
        XCTAssertEqual(targetWords.last?["text"]?.stringValue, "", "the inserted </s> is a word of its own")

        XCTAssertError(try d.call(3, "heed/analyze", params([("model", .string(Self.model)), ("text", .string("a")), ("target", .string("b")),
                                                            ("methods", .array([.string("attention")])), ("decoderLayers", .array([.number(JSONNumber(2))]))])),
                       .invalidParams, id: .int(3), mentioning: ["decoderLayers[0]", "0...1"])
        XCTAssertError(try d.call(5, "heed/analyze", params([("model", .string(Self.model)), ("text", .string("a")),
                                                            ("methods", .array([.string("attention")])), ("decoderLayers", .array([.number(JSONNumber(0))]))])),
                       .invalidParams, id: .int(5), mentioning: ["decoderLayers", "target"])
        XCTAssertError(try d.call(4, "heed/analyze", params([("model", .string(TestModels.tiny)), ("text", .string("a")), ("target", .string("b")),
                                                            ("methods", .array([.string("attention")]))])),
                       .invalidParams, id: .int(4), mentioning: ["target", "encoder-decoder"])
        _ = d.finish()
    }

    func testHighlightFromTheTargetShadesTheSource() throws {
        for encoding in ["utf-8", "utf-16", "utf-32"] {
            let d = try daemon(encoding)
            let analyzed = try d.result(id: 1, sending: "heed/analyze", params: params([
                ("model", .string(Self.model)), ("text", .string(Self.source)), ("target", .string(Self.target)),
                ("methods", .array([.string("norm-summed")]))]))
            let sourceTokens = try XCTUnwrap(analyzed["tokens"]?.arrayValue), targetTokens = try XCTUnwrap(analyzed["targetTokens"]?.arrayValue)
            let S = sourceTokens.count
            var nextID = 10
            let matrix = floats(analyzed["cross"]?["layers"]?.arrayValue?[1]["norm-summed"])
            // Every target token with a span, in both settings.
            for (k, token) in targetTokens.enumerated() {
                let start = try XCTUnwrap(token["start"]?.intValue), end = try XCTUnwrap(token["end"]?.intValue)
                guard end > start else { continue }
                for setting in ["input", "output"] {
                    nextID += 1
                    let h = try d.result(id: nextID, sending: "heed/highlight", params: params([
                        ("model", .string(Self.model)), ("text", .string(Self.source)), ("target", .string(Self.target)),
                        ("focus", .object(JSONObject([("start", .number(JSONNumber(start))), ("end", .number(JSONNumber(end)))]))),
                        ("focusIn", .string("target")), ("method", .string("norm-summed")), ("setting", .string(setting))]))
                    XCTAssertEqual(h["rangesIn"]?.stringValue, "source")
                    XCTAssertEqual(h["layer"]?.intValue, 1)
                    XCTAssertEqual(h["focus"]?["start"]?.intValue, start)
                    let row = setting == "input" ? k + 1 : k
                    let shown = sourceTokens.filter { $0["end"]!.intValue! > $0["start"]!.intValue! }
                    let ranges = try XCTUnwrap(h["ranges"]?.arrayValue)
                    XCTAssertEqual(ranges.compactMap { $0["start"]?.intValue }, shown.compactMap { $0["start"]?.intValue }, "\(encoding) \(k)")
                    let values = shown.map { matrix[row * S + $0["index"]!.intValue!] }
                    close(floats(.array(ranges.map { $0["value"]! })), values, "\(encoding) token \(k) \(setting)")
                    XCTAssertEqual(ranges.filter { $0["score"]?.doubleValue == 1 }.count, 1)
                }
            }
            _ = d.finish()
        }
    }

    func testHighlightErrors() throws {
        let d = try daemon()
        func highlight(_ id: Int, _ extra: [(String, JSONValue)], model: String = EncoderDecoderRequestTests.model) throws -> JSONValue {
            try d.call(id, "heed/highlight", params([("model", .string(model)), ("text", .string("das Haus")),
                                                     ("focus", .object(JSONObject([("start", .number(JSONNumber(1))), ("end", .number(JSONNumber(1)))])))]
                                                    + extra))
        }
        XCTAssertError(try highlight(1, [("method", .string("attn-res")), ("target", .string("the house")), ("focusIn", .string("target"))]),
                       .methodNotSupported, id: .int(1), mentioning: ["attn-res"])
        XCTAssertError(try highlight(2, [("method", .string("attention")), ("focusIn", .string("target"))]),
                       .invalidParams, id: .int(2), mentioning: ["focusIn", "target"])
        XCTAssertError(try highlight(3, [("method", .string("attention")), ("target", .string("the house")), ("focusIn", .string("target")),
                                         ("layer", .number(JSONNumber(2)))]),
                       .invalidParams, id: .int(3), mentioning: ["layer", "0...1"])
        XCTAssertError(try highlight(4, [("method", .string("attention")), ("target", .string("the house")), ("focusIn", .string("target")),
                                         ("direction", .string("to"))]),
                       .invalidParams, id: .int(4), mentioning: ["direction"])
        XCTAssertError(try highlight(5, [("method", .string("attention")), ("target", .string("hi")), ("focusIn", .string("target")),
                                         ("focus", .object(JSONObject([("start", .number(JSONNumber(0))), ("end", .number(JSONNumber(5)))])))]),
                       .invalidParams, id: .int(5), mentioning: ["focus"])
        XCTAssertError(try highlight(6, [("method", .string("attention")), ("target", .string("b"))], model: TestModels.tiny),
                       .invalidParams, id: .int(6), mentioning: ["target"])
        XCTAssertError(try d.call(9, "heed/highlight", params([("model", .string(Self.model)), ("text", .string("  ")), ("target", .string("the house")),
                                                              ("focus", .object(JSONObject([("start", .number(JSONNumber(1))), ("end", .number(JSONNumber(1)))]))),
                                                              ("focusIn", .string("target")), ("method", .string("attention"))])),
                       .invalidParams, id: .int(9), mentioning: ["`text`", "source is empty"])
        // focusIn "source" with a target: the encoder's self-attention over the source, as without it.
        let without = try d.result(id: 7, sending: "heed/highlight", params: params([("model", .string(Self.model)), ("text", .string("das Haus")),
            ("focus", .object(JSONObject([("start", .number(JSONNumber(1))), ("end", .number(JSONNumber(1)))]))), ("method", .string("norm-summed"))]))
        let with = try d.result(id: 8, sending: "heed/highlight", params: params([("model", .string(Self.model)), ("text", .string("das Haus")),
            ("focus", .object(JSONObject([("start", .number(JSONNumber(1))), ("end", .number(JSONNumber(1)))]))), ("method", .string("norm-summed")),
            ("target", .string("the house"))]))
        XCTAssertEqual(with["ranges"], without["ranges"])
        XCTAssertNil(with["rangesIn"])
        _ = d.finish()
    }

    func testAlignMatchesTheExperiment() throws {
        let d = try daemon()
        let marian = try MarianModel.load(directory: Fixtures.url("models/tiny-marian"))
        let experiment = try AlignmentExperiment.run(model: marian.model, tokenizer: marian.tokenizer, pairs: [(Self.source, Self.target)])
        var nextID = 10
        for setting in AlignmentSetting.allCases {
            for method in AlignmentResult.methods {
                for layer in 0..<2 {
                    nextID += 1
                    let r = try d.result(id: nextID, sending: "heed/align", params: params([
                        ("model", .string(Self.model)), ("text", .string(Self.source)), ("target", .string(Self.target)),
                        ("layer", .number(JSONNumber(layer))), ("method", .string(method)), ("setting", .string(setting.rawValue))]))
                    let links = try XCTUnwrap(r["links"]?.arrayValue).map { AlignmentLink(source: $0["source"]!.intValue!, target: $0["target"]!.intValue!) }
                    XCTAssertEqual(links.sorted(), experiment.links[setting]![method]![layer][0], "\(setting) \(method) \(layer)")
                    XCTAssertEqual(r["layer"]?.intValue, layer)
                }
            }
        }
        let r = try d.result(id: 2, sending: "heed/align", params: params([("model", .string(Self.model)), ("text", .string(Self.source)),
                                                                            ("target", .string(Self.target))]))
        XCTAssertEqual(r["method"]?.stringValue, "norm"); XCTAssertEqual(r["setting"]?.stringValue, "input"); XCTAssertEqual(r["layer"]?.intValue, 1)
        let sourceWords = try XCTUnwrap(r["sourceWords"]?.arrayValue), targetWords = try XCTUnwrap(r["targetWords"]?.arrayValue)
        XCTAssertEqual(sourceWords.compactMap { $0["text"]?.stringValue }, Self.source.split(separator: " ").map(String.init))
        XCTAssertEqual(targetWords.compactMap { $0["text"]?.stringValue }, Self.target.split(separator: " ").map(String.init))
        let utf16 = Array(Self.target.utf16)
        for w in targetWords {
            let text = String(decoding: utf16[w["start"]!.intValue!..<w["end"]!.intValue!], as: UTF16.self)
            XCTAssertEqual(text, w["text"]?.stringValue)
            XCTAssertFalse(w["tokens"]?.arrayValue?.isEmpty ?? true)
        }
        XCTAssertEqual(r["links"]?.arrayValue?.count, targetWords.count, "one link per target word")
        XCTAssertError(try d.call(3, "heed/align", params([("model", .string(TestModels.tiny)), ("text", .string("a")), ("target", .string("b"))])),
                       .methodNotSupported, id: .int(3), mentioning: ["encoder-decoder"])
        XCTAssertError(try d.call(4, "heed/align", params([("model", .string(Self.model)), ("text", .string("a")), ("target", .string("b")),
                                                          ("method", .string("alti"))])),
                       .invalidParams, id: .int(4), mentioning: ["method"])
        let tooLong = try d.call(5, "heed/align", params([("model", .string(Self.model)), ("text", .string("a b")),
                                                          ("target", .string(String(repeating: "a b ", count: 80)))]))
        XCTAssertError(tooLong, .inputTooLong, id: .int(5), mentioning: ["`target`", "64"])
        XCTAssertEqual(tooLong["error"]?["data"]?["field"]?.stringValue, "target")
        XCTAssertEqual(tooLong["error"]?["data"]?["limit"]?.intValue, 64)
        _ = d.finish()
    }
}
