import Foundation
import HeedTestSupport
import XCTest

/// `heed predict`: options, and a clear refusal for a model that cannot predict. (Predictions of
/// a real decoder: CLIPredictDecoderTests.)
final class CLIPredictTests: XCTestCase {
    func testAnEncoderCannotPredict() throws {
        let out = try CLI.run(["predict", "--model", CLI.tinyModel, "the cat"])
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertEqual(out.stdout, "")
        XCTAssertEqual(out.stderr, "heed: \(CLI.tinyModel) cannot predict: a bert model has no language-modelling head: next-token prediction needs a decoder (such as smollm2)\n")
    }

    func testBadOptions() throws {
        for (args, message) in [(["--top-k", "0"], "--top-k takes a whole number >= 1 (not \"0\")"),
                                (["--top-k", "ten"], "--top-k takes a whole number >= 1 (not \"ten\")"),
                                ([], "missing TEXT")] {
            let out = try CLI.run(["predict", "--model", CLI.tinyModel] + args + (args.isEmpty ? [] : ["the cat"]))
            XCTAssertEqual(out.status, 2, "\(args): \(out.stderr)")
            XCTAssertTrue(out.stderr.contains(message), "\(args): \(out.stderr)")
            XCTAssertEqual(out.stdout, "")
        }
    }
}

/// `heed predict` on the tiny Llama fixture, against its stored transformers reference.
final class CLIPredictDecoderTests: XCTestCase {
    func testTableAndJSONMatchTheReference() throws {
        let dir = Fixtures.url("models/tiny-llama").path
        let manifest = try Fixtures.json("models/tiny-llama/manifest.json")
        let c = try XCTUnwrap((manifest["cases"] as! [[String: Any]]).first { $0["name"] as? String == "T7" })
        let text = c["text"] as! String
        let top5 = c["top5"] as! [[String: Any]]

        let json = try CLI.run(["predict", "--model", dir, "--top-k", "5", "--json", text])
        XCTAssertEqual(json.status, 0, json.stderr)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let tokens = try XCTUnwrap(parsed["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.map { $0["id"] as? Int }, top5.map { $0["id"] as? Int })
        XCTAssertEqual(tokens.map { $0["text"] as? String }, top5.map { $0["decoded"] as? String })
        for (g, e) in zip(tokens, top5) {
            XCTAssertEqual(g["logit"] as? Double ?? .nan, e["logit"] as! Double, accuracy: 1e-4)
            XCTAssertEqual(g["probability"] as? Double ?? .nan, e["probability"] as! Double, accuracy: 1e-4 * (e["probability"] as! Double))
        }
        XCTAssertNil(parsed["window"])

        // The table: a header, then rank, probability in percent, logit, id and the quoted text
        // (10 rows by default).
        let table = try CLI.run(["predict", "--model", dir, text])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertEqual(table.stderr, "")
        XCTAssertEqual(table.lines.count, 11)
        XCTAssertEqual(table.lines[0], "rank  probability     logit      id  text")
        let first = top5[0]
        let expectedRow = "   1  " + String(format: "%10.2f%%", (first["probability"] as! Double) * 100) + "  "
            + String(format: "%10.3f", first["logit"] as! Double) + "  " + String(first["id"] as! Int).leftPadded(6) + "  \"\(first["decoded"] as! String)\""
        XCTAssertEqual(table.lines[1], expectedRow)
        // --top-k beyond the vocabulary is a usage error naming it.
        let tooMany = try CLI.run(["predict", "--model", dir, "--top-k", "5000", text])
        XCTAssertEqual(tooMany.status, 2)
        XCTAssertTrue(tooMany.stderr.contains("has 2066 tokens (1...2066)"), tooMany.stderr)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
