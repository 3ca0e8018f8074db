import Foundation
import HeedAnalysis
import HeedModels
import XCTest

/// Drives the real `heed` executable on MiniLM and checks its JSON against the library.
final class CLITests: XCTestCase {
    let text = "Naïve café: 東京 🚀 tokens!"

    func testTokenizeJSONMatchesLibrary() throws {
        try Integration.requireEnabled()
        let model = try Integration.minilm.get()
        let (status, out, err) = try Integration.run(["tokenize", "--json", text])
        XCTAssertEqual(status, 0, err)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: out) as? [String: Any])
        let tokens = try XCTUnwrap(obj["tokens"] as? [[String: Any]])
        let table = TokenTable(text: text, encoded: model.tokenizer.encode(text), encoding: .utf32, tokenizer: model.tokenizer)
        XCTAssertEqual(tokens.count, table.tokens.count)
        for (json, row) in zip(tokens, table.tokens) {
            XCTAssertEqual(json["id"] as? Int, row.id)
            XCTAssertEqual(json["start"] as? Int, row.start)
            XCTAssertEqual(json["end"] as? Int, row.end)
            XCTAssertEqual(json["special"] as? Bool, row.special)
            XCTAssertEqual(json["word"] as? Int, row.word)
            XCTAssertEqual(json["text"] as? String, row.text)
        }
        // Offsets count Unicode scalars: "東京" starts at scalar 12.
        let tokyo = try XCTUnwrap(table.tokens.first { $0.text == "東" })
        XCTAssertEqual(tokyo.start, 12)
    }

    func testAnalyzeJSONHasTheProtocolShape() throws {
        try Integration.requireEnabled()
        let model = try Integration.minilm.get()
        let (status, out, err) = try Integration.run(["analyze", "--json", "--layer", "last", text])
        XCTAssertEqual(status, 0, err)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: out) as? [String: Any])
        XCTAssertEqual(obj["model"] as? String, "minilm")
        XCTAssertEqual(obj["positionEncoding"] as? String, "utf-32")
        let layers = try XCTUnwrap(obj["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 1)
        XCTAssertEqual(layers[0]["layer"] as? Int, model.shape.layers - 1)
        let attention = try XCTUnwrap(layers[0]["attention"] as? [[[Double]]])
        let T = (obj["tokens"] as! [Any]).count
        XCTAssertEqual(attention.count, model.shape.heads)
        XCTAssertEqual(attention[0].count, T)
        let ids = model.tokenizer.encode(text).ids
        let alpha = try model.network.forward(ids, taps: .attention, isCancelled: { false }).layers.last!.attention!
        for h in 0..<attention.count { for i in 0..<T { for j in 0..<T {
            XCTAssertEqual(Float(attention[h][i][j]), alpha.data[(h * T + i) * T + j], "attention[\(h)][\(i)][\(j)] does not read back exactly")
        } } }
    }

    func testUnknownModelFailsClearly() throws {
        try Integration.requireEnabled()
        let (status, _, err) = try Integration.run(["tokenize", "--model", "no-such-model-xyz", "hi"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("no-such-model-xyz"), err)
    }
}
