// The Llama-family decoders against transformers 5.23.0 (Tests/Fixtures/models/tiny-{llama,
// mistral,qwen2}, generate_decoder_fixtures.py): tokenization of each case's text, the residual
// stream after every layer, attention, the logits after the last token and their top 5, and the
// taps; the GGUF twins (written as llama.cpp's converter writes them: q/k rows permuted for
// `llama`, `rope_freqs.weight` for llama3 scaling) against what a reader following llama.cpp
// computes. Tolerances: float32 (1e-4 of each tensor's largest magnitude, at least 1e-4).

import Foundation
import HeedCheckpoints
import HeedKernels
import HeedTestSupport
import XCTest
@testable import HeedModels

final class LlamaDecoderTests: XCTestCase {
    static let families = ["tiny-llama", "tiny-mistral", "tiny-qwen2"]

    private func close(_ actual: [Float], _ expected: [Float], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
        guard actual.count == expected.count else { return }
        let scale = max(1, expected.map(abs).max() ?? 0)
        let c = Comparison(expected: expected, actual: actual, tolerance: 1e-4 * scale)
        XCTAssertTrue(c.ok, "\(label): \(c)", file: file, line: line)
    }

    private func rows(_ data: [Float], width: Int, _ rows: [Int]) -> [Float] {
        rows.flatMap { data[($0 * width)..<(($0 + 1) * width)] }
    }

    private func top5(_ logits: [Float]) -> [Int] {
        Array(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5))
    }

    func testTinyDecodersMatchTransformers() throws {
        for model in Self.families {
            let loaded = try LoadedModel.load(id: model, directory: Fixtures.url("models/\(model)"))
            let network = try loaded.network
            XCTAssertTrue(network.causal && network.hasLanguageModelHead && network.attentionNorm == .preRMSNorm, model)
            let manifest = try Fixtures.json("models/\(model)/manifest.json")
            let expected = try SafeTensorsFile(url: Fixtures.url("models/\(model)/expected.safetensors"))
            let C = manifest["hidden"] as! Int, NH = manifest["heads"] as! Int, L = manifest["layers"] as! Int
            for c in manifest["cases"] as! [[String: Any]] {
                let name = c["name"] as! String, ids = c["input_ids"] as! [Int], T = ids.count
                let label = "\(model) \(name)"
                // The tokenizer (BOS from its post-processor) gives the reference's ids.
                XCTAssertEqual(try loaded.tokenizer.encode(c["text"] as! String).ids, ids, label)
                let r = try network.forward(ids, taps: c["taps"] as! Bool ? .full : .attention, isCancelled: { false })
                XCTAssertEqual(r.hiddenStates.count, L + 1, label)
                let full = c["storage"] as! String == "full"
                let kept = (c["rows"] as? [Int]) ?? []
                for l in 0...L {
                    let h = r.hiddenStates[l].data
                    if full {
                        close(h, try expected.tensor("\(name).residual.\(l)").data, "\(label) residual \(l)")
                    } else {
                        close(rows(h, width: C, kept), try expected.tensor("\(name).residual.\(l).rows").data, "\(label) residual \(l) rows")
                    }
                }
                for l in 0..<L {
                    let a = r.layers[l].attention!.data
                    if full {
                        close(a, try expected.tensor("\(name).attn.\(l)").data, "\(label) attention \(l)")
                    } else {
                        var picked: [Float] = []
                        for h in 0..<NH {
                            for i in kept { picked += a[((h * T + i) * T)..<((h * T + i + 1) * T)] }
                        }
                        close(picked, try expected.tensor("\(name).attn.\(l).rows").data, "\(label) attention \(l) rows")
                    }
                }
                let logits = try network.nextTokenLogits(r)
                close(logits, try expected.tensor("\(name).logits.last").data, "\(label) logits")
                XCTAssertEqual(top5(logits), (c["top5"] as! [[String: Any]]).map { $0["id"] as! Int }, label)
                if c["taps"] as! Bool {
                    for l in 0..<L {
                        let tap = r.layers[l]
                        XCTAssertEqual(tap.mask, model == "tiny-mistral" ? .rows((0..<T).map { max(0, $0 - 15)..<($0 + 1) }) : .causal, label)
                        close(tap.input!.data, try expected.tensor("\(name).tap.\(l).h").data, "\(label) tap \(l) h")
                        close(tap.values!.data, try expected.tensor("\(name).tap.\(l).v").data, "\(label) tap \(l) v")
                        close(tap.residualSum!.data, try expected.tensor("\(name).tap.\(l).y").data, "\(label) tap \(l) y")
                        XCTAssertNil(tap.normalizedSum, label)
                    }
                }
            }
        }
    }

    /// The GGUF twins: all F32, so equal to the reader-following-llama.cpp expectations within
    /// float32 rounding (tiny-mistral's GGUF has no sliding window: llama.cpp's `llama` reads none).
    func testGGUFTwinsMatchTheirExpectations() throws {
        for model in Self.families {
            let dir = "models/\(model)-gguf"
            let loaded = try LoadedModel.load(id: model, directory: Fixtures.url("\(dir)/\(model).gguf"))
            let network = try loaded.network
            let decoder = try XCTUnwrap(network as? LlamaDecoder)
            XCTAssertEqual(decoder.rotary.pairing == .adjacent, model != "tiny-qwen2", model)
            let manifest = try Fixtures.json("\(dir)/manifest.json")
            let expected = try SafeTensorsFile(url: Fixtures.url("\(dir)/expected.safetensors"))
            for c in manifest["cases"] as! [[String: Any]] {
                let name = c["name"] as! String, ids = c["input_ids"] as! [Int]
                let r = try network.forward(ids, taps: .none, isCancelled: { false })
                let logits = try network.nextTokenLogits(r)
                close(logits, try expected.tensor("\(name).logits.last").data, "\(model) GGUF \(name) logits")
                XCTAssertEqual(top5(logits), c["top5"] as! [Int], "\(model) GGUF \(name)")
            }
        }
    }

    /// The llama3 divisors the GGUF carries as `rope_freqs.weight` give the frequencies
    /// transformers computes from config.json's rope_parameters.
    func testRopeFreqsTensorEqualsLlama3Scaling() throws {
        let st = try XCTUnwrap(try LoadedModel.load(id: "a", directory: Fixtures.url("models/tiny-llama")).network as? LlamaDecoder)
        let gg = try XCTUnwrap(try LoadedModel.load(id: "b", directory: Fixtures.url("models/tiny-llama-gguf/tiny-llama.gguf")).network as? LlamaDecoder)
        guard case .llama3 = st.config.ropeScaling, case .factors = gg.config.ropeScaling else {
            return XCTFail("scaling \(st.config.ropeScaling), \(gg.config.ropeScaling)")
        }
        close(gg.rotary.inverseFrequencies, st.rotary.inverseFrequencies, "inv_freq")
        XCTAssertNotEqual(st.rotary.inverseFrequencies, RotaryEmbedding(headSize: 16, theta: 10000, scaling: .none, pairing: .halves).inverseFrequencies)
    }

    /// Inputs a forward pass refuses, with the limit or the id named; a request for logits
    /// after a pass that skipped the last MLP completes the pass first.
    func testBadInputsAndIncompletePasses() throws {
        let network = try LoadedModel.load(id: "tiny-qwen2", directory: Fixtures.url("models/tiny-qwen2")).network
        XCTAssertThrowsError(try network.forward([], taps: .none, isCancelled: { false })) { XCTAssertEqual($0 as? ForwardError, .emptyInput) }
        XCTAssertThrowsError(try network.forward([Int](repeating: 5, count: 601), taps: .none, isCancelled: { false })) {
            XCTAssertEqual($0 as? ForwardError, .tooLong(tokens: 601, limit: 600))
        }
        XCTAssertThrowsError(try network.forward([1, 2003], taps: .none, isCancelled: { false })) {
            XCTAssertEqual($0 as? ForwardError, .tokenOutOfRange(id: 2003, vocabSize: 2003))
        }
        XCTAssertThrowsError(try network.forward([1, 2], taps: .none, isCancelled: { true })) { XCTAssertEqual($0 as? ForwardError, .cancelled) }
        let ids = [5, 9, 200, 31]
        let partial = try network.forward(ids, taps: .attention, finalHiddenState: false, isCancelled: { false })
        let whole = try network.forward(ids, taps: .none, isCancelled: { false })
        XCTAssertEqual(try network.nextTokenLogits(partial), try network.nextTokenLogits(whole))
    }

    /// config.json values Heed cannot run are refused before any weight is read, naming the key.
    func testUnsupportedConfigsAreRefusedNamingTheKey() throws {
        let base = #"{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "intermediate_size": 160, "vocab_size": 100"#
        for (extra, mention) in [(#", "hidden_act": "gelu""#, "hidden_act"), (#", "num_key_value_heads": 3"#, "num_key_value_heads"),
                                 (#", "rope_parameters": {"rope_type": "yarn", "factor": 4}"#, "yarn"),
                                 (#", "partial_rotary_factor": 0.5"#, "partial_rotary_factor"), (#", "head_dim": 15"#, "head_dim")] {
            XCTAssertThrowsError(try DecoderConfig(json: Data((base + extra + "}").utf8), file: "config.json"), extra) {
                XCTAssertTrue("\($0)".contains(mention), "\($0)")
            }
        }
        let ok = try DecoderConfig(json: Data((base + "}").utf8), file: "config.json")
        XCTAssertEqual([ok.numKeyValueHeads, ok.headSize, ok.maxPositionEmbeddings], [4, 16, 2048])
        XCTAssertEqual(ok.ropeScaling, .none)
    }
}
