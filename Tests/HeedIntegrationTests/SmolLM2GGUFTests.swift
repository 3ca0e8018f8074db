// The real SmolLM2-135M-Instruct GGUF (catalog smollm2, fetched by `heed fetch smollm2`): the
// reader against the facts gguf-py reads off the file (MODELS.md), and reading the vocabulary
// and merges in milliseconds.

import Foundation
import HeedCheckpoints
import HeedModels
import HeedJSONRPC
import HeedTestSupport
import HeedTokenizers
import XCTest

final class SmolLM2GGUFTests: XCTestCase {
    /// The .gguf file in Heed's cache (fetched on first use, like minilm).
    private static let url: Result<URL, Error> = Result {
        try ModelStore.resolve("smollm2") { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    }

    func testHeaderTensorsAndModelMetadata() throws {
        try Integration.requireEnabled()
        let url = try Self.url.get()
        XCTAssertEqual(url.lastPathComponent, "SmolLM2-135M-Instruct.Q4_1.gguf")
        let file = try GGUFFile(url: url)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.fileByteCount, 98_362_432)
        XCTAssertEqual(file.alignment, 32)
        XCTAssertEqual(file.keys.count, 33)
        XCTAssertEqual(file.tensors.count, 272)
        XCTAssertEqual(file.dataOffset, 1_785_664)   // gguf-py GGUFReader.data_offset
        var byType: [GGMLType: Int] = [:]
        for t in file.tensors { byType[t.type, default: 0] += 1 }
        XCTAssertEqual(byType, [.q4_1: 210, .f32: 61, .q8_0: 1])
        let embeddings = try XCTUnwrap(file.tensor(named: "token_embd.weight"))
        XCTAssertEqual(embeddings.type, .q8_0)
        XCTAssertEqual(embeddings.dimensions, [576, 49152])
        XCTAssertEqual(embeddings.offset, 0)
        XCTAssertEqual(embeddings.byteCount, 30_081_024)
        XCTAssertEqual(file.tensor(named: "blk.0.attn_k.weight")?.dimensions, [576, 192])
        XCTAssertEqual(file.tensor(named: "blk.29.ffn_down.weight")?.dimensions, [1536, 576])
        XCTAssertEqual(file.tensor(named: "output_norm.weight")?.type, .f32)
        XCTAssertNil(file.tensor(named: "output.weight"), "the output projection is tied to token_embd")
        let end = file.tensors.map { file.fileOffset(of: $0) + $0.byteCount }.max()
        XCTAssertEqual(end, file.fileByteCount)

        XCTAssertEqual(try file.string("general.architecture"), "llama")
        XCTAssertEqual(try file.int("llama.block_count"), 30)
        XCTAssertEqual(try file.int("llama.embedding_length"), 576)
        XCTAssertEqual(try file.int("llama.feed_forward_length"), 1536)
        XCTAssertEqual(try file.int("llama.attention.head_count"), 9)
        XCTAssertEqual(try file.int("llama.attention.head_count_kv"), 3)
        XCTAssertEqual(try file.int("llama.context_length"), 8192)
        XCTAssertEqual(try file.float("llama.rope.freq_base"), 100_000)
        XCTAssertEqual(try file.float("llama.attention.layer_norm_rms_epsilon"), 1e-5)
        XCTAssertEqual(try file.stringArray("general.languages"), ["en"])
        XCTAssertTrue(try file.string("tokenizer.chat_template")?.contains("<|im_start|>") == true)
    }

    func testTokenizerMetadata() throws {
        try Integration.requireEnabled()
        let url = try Self.url.get()
        let start = DispatchTime.now().uptimeNanoseconds
        let metadata = try GGMLTokenizerMetadata(ggufAt: url)
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        FileHandle.standardError.write(Data("SmolLM2 GGUF: opened and read 49152 tokens + 48900 merges in \(String(format: "%.1f", milliseconds)) ms\n".utf8))
        XCTAssertEqual(metadata.model, "gpt2")
        XCTAssertEqual(metadata.pre, "smollm")
        XCTAssertEqual(metadata.tokens.count, 49152)
        XCTAssertEqual(metadata.tokenTypes?.count, 49152)
        XCTAssertNil(metadata.scores)
        XCTAssertEqual(metadata.merges?.count, 48900)
        XCTAssertEqual(metadata.bosTokenID, 1)
        XCTAssertEqual(metadata.eosTokenID, 2)
        XCTAssertEqual(metadata.unknownTokenID, 0)
        XCTAssertEqual(metadata.paddingTokenID, 2)
        XCTAssertEqual(metadata.addBOSToken, false)
        XCTAssertNil(metadata.addEOSToken)
        XCTAssertEqual(Array(metadata.tokens.prefix(3)), ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        XCTAssertEqual(metadata.tokenTypes.map { Array($0.prefix(3)) }, [3, 3, 3])
        XCTAssertEqual(metadata.merges?.first, "Ġ t")
    }

    /// smollm2 loads as a runnable Llama decoder: the shape from the metadata, GQA 9/3 heads,
    /// the Q4_1 linears kept quantised, the Q8_0 embedding tied to the LM head.
    func testLoadsAsARunnableDecoder() throws {
        try Integration.requireEnabled()
        let model = try LoadedModel.resolve("smollm2") { _ in }
        XCTAssertEqual(model.shape, ModelShape(family: "llama", layers: 30, heads: 9, hidden: 576, maxTokens: 8192, causal: true))
        XCTAssertTrue(model.canRun)
        let network = try XCTUnwrap(try model.network as? LlamaDecoder)
        XCTAssertEqual([network.config.numKeyValueHeads, network.config.headSize, network.config.intermediateSize, network.config.vocabSize],
                       [3, 64, 1536, 49152])
        XCTAssertTrue(network.config.tieWordEmbeddings)
        XCTAssertEqual(model.loadNotes, ["SmolLM2-135M-Instruct.Q4_1.gguf: kept 210 Q4_1 weights quantised (quantised GEMM)",
                                         "SmolLM2-135M-Instruct.Q4_1.gguf: kept 1 Q8_0 weight quantised (quantised GEMM)"])
        XCTAssertLessThan(model.weightBytes, 110_000_000, "the weights stay about the file's size (93 MB)")
    }

    /// `heed/tokenize` on smollm2 over the real daemon, in all three position encodings: ids and
    /// spans identical to transformers (the GGUF's tokenizer with SmolLM2's own Digits + ByteLevel
    /// pre-tokenizer; Tests/Fixtures/tokenizer/smollm2_*.jsonl) on the corpus, 2000 fuzz strings
    /// and the typed special tokens.
    func testTokenizeOverTheDaemonMatchesTransformersInEveryEncoding() throws {
        try Integration.requireEnabled()
        func lines(_ name: String) throws -> [Any] {
            try Data(contentsOf: Fixtures.url("tokenizer/\(name)")).split(separator: UInt8(ascii: "\n")).map {
                try JSONSerialization.jsonObject(with: Data($0), options: [.fragmentsAllowed])
            }
        }
        var cases: [(text: String, ids: [Int], offsets: [Int])] = []
        for (corpus, expected) in [("corpus.jsonl", "smollm2_expected.jsonl"), ("fuzz.jsonl", "smollm2_fuzz_expected.jsonl"),
                                   ("typed_special_corpus.jsonl", "smollm2_typed_special_expected.jsonl")] {
            let texts = try lines(corpus), want = try lines(expected)
            XCTAssertEqual(texts.count, want.count, expected)
            for (text, w) in zip(texts, want) {
                let w = w as! [String: Any]
                cases.append((text as! String, w["ids"] as! [Int], w["offsets"] as! [Int]))
            }
        }
        XCTAssertEqual(cases.count, 811 + 2000 + 38)
        for encoding in ["utf-8", "utf-16", "utf-32"] {
            let heed = try DaemonProcess()
            _ = try heed.initialize(encodings: [encoding])
            var failures = 0
            for (n, c) in cases.enumerated() {
                let params = String(decoding: try JSONSerialization.data(withJSONObject: ["model": "smollm2", "text": c.text]), as: UTF8.self)
                let tokens = try XCTUnwrap(try heed.result(id: n + 1, "heed/tokenize", params)["tokens"]?.arrayValue)
                // The expected offsets count scalars: convert them to this encoding's units.
                let scalars = Array(c.text.unicodeScalars)
                var prefix = [0]
                for s in scalars { prefix.append(prefix.last! + (encoding == "utf-8" ? UTF8.width(s) : encoding == "utf-16" ? UTF16.width(s) : 1)) }
                let want = c.offsets.map { prefix[$0] }
                let got = tokens.flatMap { [$0["start"]?.intValue ?? -1, $0["end"]?.intValue ?? -1] }
                let ids = tokens.map { $0["id"]?.intValue ?? -1 }
                if ids != c.ids || got != want {
                    failures += 1
                    if failures <= 3 { XCTFail("\(encoding) case \(n) \(c.text.debugDescription): ids \(ids) vs \(c.ids), offsets \(got) vs \(want)") }
                }
            }
            XCTAssertEqual(failures, 0, "\(encoding): \(failures) of \(cases.count) texts differ")
            _ = try heed.call(cases.count + 1, "shutdown")
            heed.notify("exit")
            XCTAssertEqual(heed.waitForExit().status, 0)
        }
    }
}
