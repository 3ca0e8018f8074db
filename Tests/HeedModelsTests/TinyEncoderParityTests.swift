import Foundation
import HeedCheckpoints
import HeedKernels
@testable import HeedModels
import HeedTestSupport
import XCTest

/// Forward parity with transformers on tiny random encoders of every family
/// (Tests/Fixtures/models/tiny-*, made by generate_model_fixtures.py): hidden states within
/// 1e-4 and attention weights within 1e-5, for 1 to 512 tokens; taps at T = 7.
final class TinyEncoderParityTests: XCTestCase {
    static let families = ["tiny-bert", "tiny-distilbert", "tiny-distilbert-sinusoidal", "tiny-electra", "tiny-roberta", "tiny-xlm-roberta",
                                 "tiny-roberta-bpe", "tiny-xlm-roberta-unigram"]

    func testEveryFamilyMatchesTransformers() throws {
        for name in Self.families { try checkModel(name) }
    }

    /// tiny-bert-nobias: no bias tensor at all (BiasFreeModelTests has the loader's side).
    func testModelWithoutBiasesMatchesTransformers() throws {
        try checkModel("tiny-bert-nobias")
    }

    /// RoBERTa (byte-level BPE) and XLM-R (SentencePiece Unigram) loaded by directory, as a user
    /// would, and run from text: the tokenizer gives transformers' ids for each case's text, and
    /// `checkModel` compares the forward pass of those ids.
    func testRobertaAndXLMRobertaRunFromText() throws {
        for name in ["tiny-roberta-bpe", "tiny-xlm-roberta-unigram"] {
            let model = try LoadedModel.load(id: name, directory: Fixtures.url("models/\(name)"))
            XCTAssertEqual(model.shape.family, name.hasPrefix("tiny-roberta") ? "roberta" : "xlm-roberta")
            let manifest = try Fixtures.json("models/\(name)/manifest.json")
            var texts = 0
            for case let c as [String: Any] in manifest["cases"] as! [Any] {
                guard let text = c["text"] as? String else { continue }
                texts += 1
                let encoded = model.tokenizer.encode(text)
                XCTAssertEqual(encoded.ids, c["input_ids"] as! [Int], "\(name) \(c["name"]!): ids of \(text)")
                XCTAssertEqual(encoded.tokens.map(\.text), c["tokens"] as! [String], "\(name) \(c["name"]!): tokens")
                let result = try model.network.forward(encoded.ids, taps: .attention, isCancelled: { false })
                XCTAssertEqual(result.layers.count, model.shape.layers)
            }
            XCTAssertEqual(texts, 2, "\(name): the manifest's text cases")
        }
    }

    func checkModel(_ name: String) throws {
        let dir = Fixtures.url("models/\(name)")
        let manifest = try Fixtures.json("models/\(name)/manifest.json")
        let config = try ModelConfig.load(from: dir.appendingPathComponent("config.json"))
        let encoder = try BertEncoder(config: config, checkpoint: Checkpoint(directory: dir))
        let expected = try SafeTensorsFile(url: dir.appendingPathComponent("expected.safetensors"))
        let summaryRows = manifest["summary_rows"] as! [Int]
        for case let c as [String: Any] in manifest["cases"] as! [Any] {
            let caseName = c["name"] as! String, ids = c["input_ids"] as! [Int]
            let full = (c["storage"] as! String) == "full"
            let wantTaps = (c["taps"] as? Bool) ?? false
            let result = try encoder.forward(ids, taps: wantTaps ? .full : .attention)
            let T = ids.count
            for (l, h) in result.hiddenStates.enumerated() {
                let key = "\(caseName).hidden.\(l)"
                if full {
                    assertClose(actual: h.data, expected: try expected.tensor(key).data, tolerance: 1e-4, "\(name) \(key)")
                } else {
                    assertClose(actual: h.selectingRows(summaryRows), expected: try expected.tensor(key + ".rows").data, tolerance: 1e-4, "\(name) \(key).rows")
                    assertClose(actual: columnSums(h), expected: try expected.tensor(key + ".sum").data, tolerance: 2e-3, "\(name) \(key).sum")
                }
            }
            for (l, taps) in result.layers.enumerated() {
                let alpha = try XCTUnwrap(taps.attention)
                XCTAssertEqual(alpha.shape, [config.numHeads, T, T])
                let key = "\(caseName).attn.\(l)"
                if full {
                    assertClose(actual: alpha.data, expected: try expected.tensor(key).data, tolerance: 1e-5, "\(name) \(key)")
                } else {
                    let NH = config.numHeads
                    var rows: [Float] = []
                    for h in 0..<NH { for r in summaryRows { rows += alpha.data[((h * T + r) * T)..<((h * T + r + 1) * T)] } }
                    assertClose(actual: rows, expected: try expected.tensor(key + ".rows").data, tolerance: 1e-5, "\(name) \(key).rows")
                    var colsum = [Float](repeating: 0, count: NH * T)
                    for h in 0..<NH { for i in 0..<T { for j in 0..<T { colsum[h * T + j] += alpha.data[(h * T + i) * T + j] } } }
                    assertClose(actual: colsum, expected: try expected.tensor(key + ".colsum").data, tolerance: 1e-3, "\(name) \(key).colsum")
                }
                if wantTaps {
                    let tapKey = "\(caseName).tap.\(l)"
                    assertClose(actual: try XCTUnwrap(taps.values).data, expected: try expected.tensor(tapKey + ".value").data, tolerance: 1e-4, "\(name) \(tapKey).value")
                    assertClose(actual: try XCTUnwrap(taps.residualSum).data, expected: try expected.tensor(tapKey + ".pre_ln").data, tolerance: 1e-4, "\(name) \(tapKey).pre_ln")
                    assertClose(actual: try XCTUnwrap(taps.normalizedSum).data, expected: try expected.tensor(tapKey + ".post_ln").data, tolerance: 1e-4, "\(name) \(tapKey).post_ln")
                    assertClose(actual: try XCTUnwrap(taps.input).data, expected: result.hiddenStates[l].data, tolerance: 0, "\(name) \(tapKey).input")
                    // attn_out = pre_ln - x
                    let attnOut = zip(taps.residualSum!.data, taps.input!.data).map { $0 - $1 }
                    assertClose(actual: attnOut, expected: try expected.tensor(tapKey + ".attn_out").data, tolerance: 1e-4, "\(name) \(tapKey).attn_out")
                }
            }
        }
    }

    func testRejectsBadInput() throws {
        let dir = Fixtures.url("models/tiny-bert")
        let config = try ModelConfig.load(from: dir.appendingPathComponent("config.json"))
        let encoder = try BertEncoder(config: config, checkpoint: Checkpoint(directory: dir))
        XCTAssertThrowsError(try encoder.forward([])) { XCTAssertEqual($0 as? ForwardError, .emptyInput) }
        XCTAssertThrowsError(try encoder.forward([config.vocabSize])) {
            XCTAssertEqual($0 as? ForwardError, .tokenOutOfRange(id: config.vocabSize, vocabSize: config.vocabSize))
        }
        XCTAssertThrowsError(try encoder.forward(Array(repeating: 1, count: config.maxTokens + 1))) {
            XCTAssertEqual($0 as? ForwardError, .tooLong(tokens: config.maxTokens + 1, limit: config.maxTokens))
        }
        var calls = 0
        XCTAssertThrowsError(try encoder.forward([1, 2, 3], isCancelled: { calls += 1; return calls > 1 })) {
            XCTAssertEqual($0 as? ForwardError, .cancelled)
        }
    }

    func testRobertaPositionIDsSkipPadding() throws {
        let dir = Fixtures.url("models/tiny-roberta")
        let config = try ModelConfig.load(from: dir.appendingPathComponent("config.json"))
        let encoder = try BertEncoder(config: config, checkpoint: Checkpoint(directory: dir))
        let pad = config.padTokenId
        // create_position_ids_from_input_ids: non-padding tokens count from pad + 1; padding gets pad.
        XCTAssertEqual(encoder.positionIDs([5, 6, pad, 7]), [pad + 1, pad + 2, pad, pad + 3])
    }

    func columnSums(_ t: Tensor) -> [Float] {
        var s = [Float](repeating: 0, count: t.lastDim)
        for r in 0..<t.rows { for c in 0..<t.lastDim { s[c] += t.data[r * t.lastDim + c] } }
        return s
    }
}
