// `heed translate` on the tiny Marian model: the text and --json ids equal transformers'
// greedy `generate` + `decode` (Tests/Fixtures/models/tiny-marian/greedy.json), --max-new-tokens,
// stdin, and clear refusals (no model, a model that is not Marian, empty text, a bad bound, a
// text longer than the model reads).

import Foundation
import HeedTestSupport
import XCTest

final class CLITranslateTests: XCTestCase {
    private static let model = Fixtures.url("models/tiny-marian").path

    private func greedyCase(_ name: String) throws -> [String: Any] {
        let cases = try Fixtures.json("models/tiny-marian/greedy.json")["cases"] as! [[String: Any]]
        return try XCTUnwrap(cases.first { $0["name"] as? String == name })
    }

    func testTextAndJSONMatchTransformers() throws {
        for name in ["fox", "a", "bound3"] {
            let c = try greedyCase(name)
            let settings = c["settings"] as! [String: Any]
            let n = String(settings["max_new_tokens"] as! Int)
            let source = c["source"] as! String
            let plain = try CLI.run(["translate", "--model", Self.model, "--max-new-tokens", n, source])
            XCTAssertEqual(plain.status, 0, plain.stderr)
            XCTAssertEqual(plain.stdout, (c["text"] as! String) + "\n", name)
            // The random model never stops before the bound: stderr says the last token was forced.
            XCTAssertTrue(plain.stderr.contains("stopped at the length bound, \(n) new tokens (the last one forced to </s>)"), plain.stderr)

            let json = try CLI.run(["translate", "--model", Self.model, "--max-new-tokens", n, "--json", source])
            XCTAssertEqual(json.status, 0, json.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(object["model"] as? String, Self.model)
            XCTAssertEqual(object["source"] as? String, source)
            XCTAssertEqual(object["target"] as? String, c["text"] as? String)
            XCTAssertEqual(object["ids"] as? [Int], c["ids"] as? [Int])
        }
        // stdin, and the default bound (20 new tokens: config.json has no max_length).
        let piped = try CLI.run(["translate", "--model", Self.model, "--json", "-"], stdin: "Hello\n")
        XCTAssertEqual(piped.status, 0, piped.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(piped.stdout.utf8)) as? [String: Any])
        let ids = try XCTUnwrap(object["ids"] as? [Int])
        XCTAssertEqual(ids.count, 21)
        XCTAssertEqual(Array(ids.prefix(12)), Array((try greedyCase("hello")["ids"] as! [Int]).prefix(12)))

        // Several lines: each translated on its own, an empty line kept, one output line each.
        let fox = try greedyCase("fox"), a = try greedyCase("a")
        let n = String((fox["settings"] as! [String: Any])["max_new_tokens"] as! Int)
        XCTAssertEqual(n, String((a["settings"] as! [String: Any])["max_new_tokens"] as! Int))
        let lines = try CLI.run(["translate", "--model", Self.model, "--max-new-tokens", n, "-"],
                                stdin: "\(fox["source"] as! String)\n\n\(a["source"] as! String)\n")
        XCTAssertEqual(lines.status, 0, lines.stderr)
        XCTAssertEqual(lines.stdout, "\(fox["text"] as! String)\n\n\(a["text"] as! String)\n")
        XCTAssertTrue(lines.stderr.contains("line 3: stopped at the length bound"), lines.stderr)
    }

    func testBadInputIsRefused() throws {
        let cases: [([String], Int32, String)] = [
            (["Hello"], 2, "translate needs --model"),
            (["--model", Self.model, ""], 2, "the text to translate is empty"),
            (["--model", Self.model, "  "], 2, "the text to translate is empty"),
            (["--model", Self.model, "--max-new-tokens", "0", "Hello"], 2, "--max-new-tokens takes a whole number of at least 1"),
            (["--model", Self.model, "--max-new-tokens", "many", "Hello"], 2, "--max-new-tokens takes a whole number of at least 1"),
            (["--model", Self.model, "--max-new-tokens", "65", "Hello"], 1, "more than \(Self.model) can decode (max_position_embeddings 64)"),
            (["--model", Self.model, String(repeating: "word ", count: 40)], 1, "tokens; \(Self.model) reads at most 64"),
            (["--model", CLI.tinyModel, "Hello"], 1, "cannot load \(CLI.tinyModel) as a Marian model"),
            (["--model", Self.model], 2, "missing TEXT"),
        ]
        for (args, status, message) in cases {
            let out = try CLI.run(["translate"] + args)
            XCTAssertEqual(out.status, status, "\(args): \(out.stderr)")
            XCTAssertTrue(out.stderr.contains(message), "\(args): \(out.stderr)")
            XCTAssertEqual(out.stdout, "", "\(args)")
        }
        let help = try CLI.run(["translate", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.hasPrefix("usage: heed translate --model M"), help.stdout)
    }
}
