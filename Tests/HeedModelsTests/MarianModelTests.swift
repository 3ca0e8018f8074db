// The Marian encoder-decoder against transformers 5.23.0 (Tests/Fixtures/models/tiny-marian,
// generate_marian_fixtures.py): the tokenizer's source and target ids, the decoder input
// (shift_tokens_right), encoder and decoder hidden states after every layer, encoder
// self-attention, decoder self-attention (causal) and cross-attention (T x S), logits rows and
// the cross-attention taps (x, v, y, LN(y)). Tolerance 1e-4 of each tensor's largest magnitude
// (at least 1e-4).

import Foundation
import HeedCheckpoints
import HeedKernels
import HeedTestSupport
import HeedTokenizers
import XCTest
@testable import HeedModels

final class MarianModelTests: XCTestCase {
    private func close(_ actual: [Float], _ expected: [Float], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
        guard actual.count == expected.count else { return }
        let scale = max(1, expected.map(abs).max() ?? 0)
        let c = Comparison(expected: expected, actual: actual, tolerance: 1e-4 * scale)
        XCTAssertTrue(c.ok, "\(label): \(c)", file: file, line: line)
    }

    static func load() throws -> MarianModel {
        let directory = Fixtures.url("models/tiny-marian")
        let network = try MarianFamily.load(architecture: "marian", from: .transformers(
            directory: directory, configURL: directory.appendingPathComponent("config.json"), weights: try Checkpoint(directory: directory)))
        return try XCTUnwrap(network as? MarianModel)
    }

    func testRegisteredAndDescribed() throws {
        XCTAssertTrue(ModelFamilies.family(for: "marian") == MarianFamily.self)
        let described = try XCTUnwrap(ModelFamilies.describe(configURL: Fixtures.url("models/tiny-marian/config.json")))
        XCTAssertEqual(described.shape, ModelShape(family: "marian", layers: 2, heads: 4, hidden: 32, maxTokens: 64, causal: false))
        XCTAssertEqual(described.attentionNorm, .postLayerNorm)
    }

    func testTinyMarianMatchesTransformers() throws {
        let model = try Self.load()
        let tokenizer = try MarianTokenizer(directory: Fixtures.url("models/tiny-marian"))
        let manifest = try Fixtures.json("models/tiny-marian/manifest.json")
        let expected = try SafeTensorsFile(url: Fixtures.url("models/tiny-marian/expected.safetensors"))
        let V = manifest["vocab"] as! Int
        for c in manifest["cases"] as! [[String: Any]] {
            let name = c["name"] as! String
            let source = c["source_ids"] as! [Int], target = c["target_ids"] as! [Int]
            XCTAssertEqual(tokenizer.encode(c["source"] as! String).ids, source, name)
            XCTAssertEqual(tokenizer.encode(c["target"] as! String, side: .target).ids, target, name)
            let decoderInput = model.decoderInput(forTarget: target)
            XCTAssertEqual(decoderInput, c["decoder_input_ids"] as! [Int], name)
            let r = try model.forwardSeq2Seq(source: source, decoderInput: decoderInput, encoderTaps: TapRequest(.attention),
                                             decoderTaps: TapRequest(.full))
            XCTAssertEqual(r.encoder.hiddenStates.count, 3)
            XCTAssertEqual(r.decoder.hiddenStates.count, 3)
            for l in 0...2 {
                close(r.encoder.hiddenStates[l].data, try expected.tensor("\(name).enc.hidden.\(l)").data, "\(name) encoder hidden \(l)")
                close(r.decoder.hiddenStates[l].data, try expected.tensor("\(name).dec.hidden.\(l)").data, "\(name) decoder hidden \(l)")
            }
            for l in 0..<2 {
                close(r.encoder.layers[l].attention!.data, try expected.tensor("\(name).enc.attn.\(l)").data, "\(name) encoder attention \(l)")
                let selfTaps = try XCTUnwrap(r.decoder.taps(at: AttentionSite(layer: l)))
                let crossTaps = try XCTUnwrap(r.decoder.taps(at: AttentionSite(layer: l, kind: .crossAttention)))
                XCTAssertEqual(selfTaps.mask, .causal)
                XCTAssertEqual(crossTaps.mask, .none)
                XCTAssertEqual(crossTaps.geometry, AttentionGeometry(heads: 4, kvHeads: 4, headSize: 8, queries: target.count, keys: source.count))
                close(selfTaps.attention!.data, try expected.tensor("\(name).dec.self.\(l)").data, "\(name) decoder self-attention \(l)")
                close(crossTaps.attention!.data, try expected.tensor("\(name).dec.cross.\(l)").data, "\(name) cross-attention \(l)")
                close(crossTaps.input!.data, try expected.tensor("\(name).cross.\(l).x").data, "\(name) cross \(l) x")
                close(crossTaps.values!.data, try expected.tensor("\(name).cross.\(l).v").data, "\(name) cross \(l) v")
                close(crossTaps.residualSum!.data, try expected.tensor("\(name).cross.\(l).y").data, "\(name) cross \(l) y")
                close(crossTaps.normalizedSum!.data, try expected.tensor("\(name).cross.\(l).ln").data, "\(name) cross \(l) LN(y)")
            }
            let rows = c["logit_rows"] as! [Int]
            close(rows.flatMap { r.logits[($0 * V)..<(($0 + 1) * V)] }, try expected.tensor("\(name).logits.rows").data, "\(name) logits")
        }
    }

    func testBadInputThrows() throws {
        let model = try Self.load()
        XCTAssertThrowsError(try model.forwardSeq2Seq(source: [], decoderInput: [1])) { XCTAssertEqual($0 as? ForwardError, .emptyInput) }
        XCTAssertThrowsError(try model.forwardSeq2Seq(source: [1], decoderInput: [5000])) {
            XCTAssertEqual($0 as? ForwardError, .tokenOutOfRange(id: 5000, vocabSize: 1132))
        }
        XCTAssertThrowsError(try model.forward(Array(repeating: 1, count: 65))) { XCTAssertEqual($0 as? ForwardError, .tooLong(tokens: 65, limit: 64)) }
        XCTAssertThrowsError(try model.nextTokenLogits(try model.forward([1, 0])))
    }
}
