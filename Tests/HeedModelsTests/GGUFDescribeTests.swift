// What a GGUF file holds, from its metadata alone (heed/models lists catalog models before they
// are loaded): the registered family's shape and norm, or for an architecture no family runs the
// shape from its keys and no norm.

import Foundation
import HeedCheckpoints
import HeedTestSupport
import XCTest
@testable import HeedModels

final class GGUFDescribeTests: XCTestCase {
    func testRegisteredFamiliesDescribeTheirGGUFFiles() throws {
        let llama = try XCTUnwrap(ModelFamilies.describe(gguf: Fixtures.url("models/tiny-llama-gguf/tiny-llama.gguf")))
        XCTAssertEqual(llama.shape, ModelShape(family: "llama", layers: 2, heads: 4, hidden: 64, maxTokens: 600, causal: true))
        XCTAssertEqual(llama.attentionNorm, .preRMSNorm)
        let qwen = try XCTUnwrap(ModelFamilies.describe(gguf: Fixtures.url("models/tiny-qwen2-gguf/tiny-qwen2.gguf")))
        XCTAssertEqual(qwen.shape.family, "qwen2")
        // The same shape the loaded network reports.
        let loaded = try LoadedModel.load(id: "q", directory: Fixtures.url("models/tiny-qwen2-gguf/tiny-qwen2.gguf"))
        XCTAssertEqual(qwen.shape, loaded.shape)
    }

    func testAnUnrunArchitectureIsDescribedWithoutANorm() throws {
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("mamba"))
        for (k, v) in [("block_count", 3), ("attention.head_count", 2), ("embedding_length", 8), ("context_length", 32)] {
            writer.add("mamba.\(k)", .uint32(UInt32(v)))
        }
        writer.addTensor("token_embd.weight", dimensions: [8, 3], values: Array(repeating: 0.5, count: 24))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("heed-describe-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try writer.write(to: url)
        let d = try XCTUnwrap(ModelFamilies.describe(gguf: url))
        XCTAssertEqual(d.shape, ModelShape(family: "mamba", layers: 3, heads: 2, hidden: 8, maxTokens: 32, causal: true))
        XCTAssertNil(d.attentionNorm)
        // Not a GGUF file at all: nothing to describe.
        try Data("not gguf".utf8).write(to: url)
        XCTAssertNil(ModelFamilies.describe(gguf: url))
    }
}
