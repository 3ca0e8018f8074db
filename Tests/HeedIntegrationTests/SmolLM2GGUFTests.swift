// The real SmolLM2-135M-Instruct GGUF (catalog smollm2, fetched by `heed fetch smollm2`): the
// reader against the facts gguf-py reads off the file (MODELS.md), and reading the vocabulary
// and merges in milliseconds.

import Foundation
import HeedCheckpoints
import HeedModels
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
        // Reading the whole file's structure and the vocabulary is a matter of milliseconds, not
        // a second (generous bound: debug builds on a loaded machine).
        XCTAssertLessThan(milliseconds, 500)
    }

    /// Until Heed runs decoders, loading smollm2 fails with a message that says so.
    func testLoadingIsRefusedClearly() throws {
        try Integration.requireEnabled()
        XCTAssertThrowsError(try LoadedModel.resolve("smollm2") { _ in }) { error in
            guard let e = error as? ModelLoadError else { return XCTFail("\(error)") }
            XCTAssertTrue(e.problem.contains("a GGUF model (architecture llama, 272 tensors, 49152-token gpt2 tokenizer)"), e.problem)
            XCTAssertTrue(e.problem.contains("cannot run GGUF models yet"), e.problem)
        }
    }
}
