// `heed analyze --target` on the tiny Marian model: --json without a focus is heed/analyze's pair
// result (its cross-attention equals transformers', expected.safetensors); --json with a focus in
// the target is the source shaded by that cross matrix's row; the plain alignment's Pharaoh links
// equal the alignment experiment's; and the options that do not apply are refused.

import Foundation
import HeedAnalysis
import HeedCheckpoints
import HeedModels
import HeedTestSupport
import XCTest

final class CLIPairAnalyzeTests: XCTestCase {
    private static let model = Fixtures.url("models/tiny-marian").path
    private static let source = "The quick brown fox jumps over the lazy dog."
    private static let target = "Der schnelle braune Fuchs springt."

    private func json(_ args: [String]) throws -> [String: Any] {
        let run = try CLI.run(["analyze", "--model", Self.model, "--target", Self.target] + args + [Self.source])
        XCTAssertEqual(run.status, 0, run.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    private func flat(_ v: Any?) -> [Float] {
        if let a = v as? [Any] { return a.flatMap { flat($0) } }
        return (v as? NSNumber).map { [$0.floatValue] } ?? []
    }

    func testJSONMatchesTransformersAndTheHighlight() throws {
        let analyzed = try json(["--method", "attention", "--method", "norm-summed", "--json"])
        let expected = try SafeTensorsFile(url: Fixtures.url("models/tiny-marian/expected.safetensors"))
        let cross = try XCTUnwrap((analyzed["cross"] as? [String: Any])?["layers"] as? [[String: Any]])
        XCTAssertEqual(cross.count, 2)
        for l in 0..<2 {
            let got = flat(cross[l]["attention"]), want = try expected.tensor("short.dec.cross.\(l)").data
            XCTAssertEqual(got.count, want.count)
            XCTAssertLessThanOrEqual(zip(got, want).map { abs($0 - $1) }.max() ?? 1, 1e-4, "cross-attention layer \(l)")
        }
        let sourceTokens = try XCTUnwrap(analyzed["tokens"] as? [[String: Any]])
        let targetTokens = try XCTUnwrap(analyzed["targetTokens"] as? [[String: Any]])
        let S = sourceTokens.count, norm = flat(cross[1]["norm-summed"])
        // "Fuchs" (utf-32 offsets): its tokens' rows t + 1, averaged, against the highlight.
        let start = Array(Self.target.unicodeScalars).count - "Fuchs springt.".unicodeScalars.count
        let focusTokens = targetTokens.indices.filter {
            let a = targetTokens[$0]["start"] as! Int, b = targetTokens[$0]["end"] as! Int
            return a < start + 5 && start < b
        }
        XCTAssertFalse(focusTokens.isEmpty)
        let highlight = try json(["--focus", "Fuchs", "--json"])
        XCTAssertEqual(highlight["rangesIn"] as? String, "source")
        XCTAssertEqual(highlight["layer"] as? Int, 1)
        let ranges = try XCTUnwrap(highlight["ranges"] as? [[String: Any]])
        let shown = sourceTokens.filter { ($0["end"] as! Int) > ($0["start"] as! Int) }
        XCTAssertEqual(ranges.count, shown.count)
        for (range, token) in zip(ranges, shown) {
            let j = token["index"] as! Int
            let want = focusTokens.map { norm[($0 + 1) * S + j] }.reduce(0, +) / Float(focusTokens.count)
            XCTAssertEqual((range["value"] as! NSNumber).floatValue, want, accuracy: 1e-4 * max(1, want))
        }
    }

    func testPlainAlignmentAndShading() throws {
        let plain = try CLI.run(["analyze", "--model", Self.model, "--target", Self.target, Self.source])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let marian = try MarianModel.load(directory: URL(fileURLWithPath: Self.model))
        let experiment = try AlignmentExperiment.run(model: marian.model, tokenizer: marian.tokenizer, pairs: [(Self.source, Self.target)])
        let pharaoh = try XCTUnwrap(plain.stdout.split(separator: "\n").last { $0.hasPrefix("Pharaoh") })
        for method in ["weight", "norm"] {
            let links = experiment.links[.input]![method]![1][0].sorted { $0.target < $1.target }.map(\.pharaoh).joined(separator: " ")
            XCTAssertTrue(pharaoh.contains("\(method) \(links)"), "\(pharaoh) lacks \(method) \(links)")
        }
        XCTAssertEqual(plain.stdout.split(separator: "\n").count, 2 + 5 + 1, plain.stdout)  // title, header, 5 words, Pharaoh

        let shaded = try CLI.run(["analyze", "--model", Self.model, "--target", Self.target, "--focus", "Fuchs", "--setting", "output",
                                  "--granularity", "word", Self.source])
        XCTAssertEqual(shaded.status, 0, shaded.stderr)
        XCTAssertTrue(shaded.stdout.contains("output step, target focus"), shaded.stdout)
        XCTAssertTrue(shaded.stdout.contains("aligned to: "), shaded.stdout)
        XCTAssertTrue(shaded.stdout.contains("sent to the source's </s>"), shaded.stdout)
    }

    func testOptionsThatDoNotApplyAreRefused() throws {
        for (args, words) in [
            (["--model", "minilm", "--target", "x", "hi"], ["encoder-decoder"]),
            (["--model", Self.model, "--target", "a", "--focus", "a", "--method", "attn-res", "b"], ["attn-res", "cross-attention"]),
            (["--model", Self.model, "--setting", "input", "b"], ["--setting", "--target"]),
            (["--model", Self.model, "--target", "a", "--svg", "/tmp/x.svg", "b"], ["--svg"]),
            (["--model", Self.model, "--target", "a", "--layer", "5", "b"], ["decoder layers 0...1"]),
            (["--model", Self.model, "--target", "a b", "--focus", "zzz", "b"], ["zzz"]),
        ] {
            let run = try CLI.run(["analyze"] + args)
            XCTAssertEqual(run.status, 2, "\(args): \(run.stderr)")
            for w in words { XCTAssertTrue(run.stderr.contains(w), "\(args): \(run.stderr)") }
        }
    }
}
