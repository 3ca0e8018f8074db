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
    static let families = ["tiny-bert", "tiny-distilbert", "tiny-distilbert-sinusoidal", "tiny-electra", "tiny-roberta", "tiny-xlm-roberta"]

    func testEveryFamilyMatchesTransformers() throws {
        for name in Self.families { try checkModel(name) }
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
                    assertClose(try expected.tensor(key).data, h.data, 1e-4, "\(name) \(key)")
                } else {
                    assertClose(try expected.tensor(key + ".rows").data, h.selectingRows(summaryRows), 1e-4, "\(name) \(key).rows")
                    assertClose(try expected.tensor(key + ".sum").data, columnSums(h), 2e-3, "\(name) \(key).sum")
                }
            }
            for (l, taps) in result.layers.enumerated() {
                let alpha = try XCTUnwrap(taps.attention)
                XCTAssertEqual(alpha.shape, [config.numHeads, T, T])
                let key = "\(caseName).attn.\(l)"
                if full {
                    assertClose(try expected.tensor(key).data, alpha.data, 1e-5, "\(name) \(key)")
                } else {
                    let NH = config.numHeads
                    var rows: [Float] = []
                    for h in 0..<NH { for r in summaryRows { rows += alpha.data[((h * T + r) * T)..<((h * T + r + 1) * T)] } }
                    assertClose(try expected.tensor(key + ".rows").data, rows, 1e-5, "\(name) \(key).rows")
                    var colsum = [Float](repeating: 0, count: NH * T)
                    for h in 0..<NH { for i in 0..<T { for j in 0..<T { colsum[h * T + j] += alpha.data[(h * T + i) * T + j] } } }
                    assertClose(try expected.tensor(key + ".colsum").data, colsum, 1e-3, "\(name) \(key).colsum")
                }
                if wantTaps {
                    let tapKey = "\(caseName).tap.\(l)"
                    assertClose(try expected.tensor(tapKey + ".value").data, try XCTUnwrap(taps.values).data, 1e-4, "\(name) \(tapKey).value")
                    assertClose(try expected.tensor(tapKey + ".pre_ln").data, try XCTUnwrap(taps.preLayerNorm).data, 1e-4, "\(name) \(tapKey).pre_ln")
                    assertClose(try expected.tensor(tapKey + ".post_ln").data, try XCTUnwrap(taps.postLayerNorm).data, 1e-4, "\(name) \(tapKey).post_ln")
                    assertClose(result.hiddenStates[l].data, try XCTUnwrap(taps.input).data, 0, "\(name) \(tapKey).input")
                    // attn_out = pre_ln - x
                    let attnOut = zip(taps.preLayerNorm!.data, taps.input!.data).map { $0 - $1 }
                    assertClose(try expected.tensor(tapKey + ".attn_out").data, attnOut, 1e-4, "\(name) \(tapKey).attn_out")
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

    func assertClose(_ expected: [Float], _ actual: [Float], _ tol: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard expected.count == actual.count else {
            XCTFail("\(what): \(expected.count) expected values, \(actual.count) actual", file: file, line: line); return
        }
        let c = Comparison(expected: expected, actual: actual, tolerance: tol)
        XCTAssertTrue(c.ok, "\(what): \(c)", file: file, line: line)
    }
}
