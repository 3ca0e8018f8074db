import Foundation
@testable import HeedAnalysis
import HeedKernels
import XCTest

/// Issue 16, "Wrong output": every method prints its values in the plain view, a NaN fails the
/// command, --json mirrors the plain view's methods, --focus matches whole words first.
final class CLIWrongOutputTests: XCTestCase {
    let model = CLI.tinyModel
    let text = "the cat sat"

    func analysis(_ methods: [AnalysisMethod], layers: [Int]? = nil, granularity: Granularity = .token) throws -> AnalyzeResult {
        try Pipeline.analyze(model: CLI.loadedTiny, text: text, options: AnalyzeOptions(methods: methods, layers: layers, meanOverHeads: true, granularity: granularity), encoding: .utf32)
    }

    static func cells(_ labels: [String], _ values: [Float]) -> String {
        zip(labels, values).map { "\($0)(\(String(format: "%.3f", $1)))" }.joined(separator: " ")
    }

    static func shareCells(_ labels: [String], _ values: [Float]) -> String {
        let total = values.reduce(0, +)
        return zip(labels, values).map { "\($0)(\(String(format: "%.3f, %.1f%%", $1, 100 * $1 / total)))" }.joined(separator: " ")
    }

    let labels = ["[CLS]", "the", "cat", "sat", "[SEP]"]

    /// `--method value-norm` printed "-nan" for every token; now the per-layer vectors (mean over heads).
    func testValueNormPrintsPerLayerVectors() throws {
        let out = try CLI.run(["analyze", "--model", model, "--method", "value-norm", text])
        XCTAssertEqual(out.status, 0, out.stderr)
        let result = try analysis([.valueNorm])
        var expected = ["value-norm: ||f(x_j)|| of each token, mean over heads; \(model)"]
        for layer in result.layers {
            guard case let .tensor(t) = layer.values[0].value else { return XCTFail("no tensor") }
            expected.append("layer \(layer.layer) value-norm  " + Self.cells(labels, t.data))
        }
        XCTAssertEqual(out.lines, expected)
        XCTAssertFalse(out.stdout.contains("nan"))
    }

    /// `--method rollout`, `norm-rollout` and `mixing-ratio` printed only the header.
    func testRolloutsAndMixingRatiosPrintTheirValues() throws {
        let out = try CLI.run(["analyze", "--model", model, "--method", "mixing-ratio", "--method", "rollout", "--method", "norm-rollout", text])
        XCTAssertEqual(out.status, 0, out.stderr)
        let result = try analysis([.mixingRatio, .rollout, .normRollout])
        var expected = ["what each token receives: the mean over attending tokens (and heads) of its column, raw and as a share of the row total; \(model)",
                        "mixing-ratio: per token, the share of its vector that comes from other tokens, for each decomposition; \(model)"]
        for layer in result.layers {
            guard case let .vectors(entries) = layer.values[0].value else { return XCTFail("no vectors") }
            XCTAssertEqual(entries.map(\.key), ["attn-w", "attn-n", "attnres-w", "attnres-n", "attnresln-n"])
            for e in entries {
                expected.append("layer \(layer.layer)    " + "mixing-ratio \(e.key)".padding(toLength: 24, withPad: " ", startingAt: 0) + "  " + Self.cells(labels, e.values))
            }
        }
        for (name, m) in [("rollout", result.rollout!), ("norm-rollout", result.normRollout!)] {
            let received = ReceivedViewReference.received(m)
            expected.append("all layers " + name.padding(toLength: 24, withPad: " ", startingAt: 0) + "  " + Self.shareCells(labels, received))
        }
        XCTAssertEqual(out.lines, expected)
    }

    /// A NaN is a bug that fails the command (exit 1, nothing on stdout), in every view.
    func testNaNFailsTheCommand() throws {
        let message = "heed: internal error: the analysis produced NaN or infinity (a bug, or weights that hold NaN); nothing was printed\n"
        for extra in [[], ["--json"], ["--method", "value-norm"], ["--focus", "cat"], ["--focus", "cat", "--json"]] {
            let out = try CLI.run(["analyze", "--model", CLI.nanModel] + extra + [text])
            XCTAssertEqual(out.status, 1, "\(extra): \(out.stdout)")
            XCTAssertEqual(out.stdout, "", "\(extra)")
            XCTAssertEqual(out.stderr, message, "\(extra)")
        }
    }

    /// `--json` returned only `attention`; it mirrors the plain view: attention and norm-summed,
    /// every layer, unless --method says otherwise.
    func testJSONMirrorsThePlainViewsMethods() throws {
        let out = try CLI.run(["analyze", "--model", model, "--json", text])
        XCTAssertEqual(out.status, 0, out.stderr)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let layers = try XCTUnwrap(obj["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.map { Set($0.keys) }, [["layer", "attention", "norm-summed"], ["layer", "attention", "norm-summed"]])
        XCTAssertEqual((layers[1]["attention"] as? [Any])?.count, 4, "heads all by default")

        let one = try CLI.run(["analyze", "--model", model, "--json", "--method", "norm", "--layer", "1", "--heads", "mean", text])
        XCTAssertEqual(one.status, 0, one.stderr)
        let oneLayers = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])?["layers"] as? [[String: Any]])
        XCTAssertEqual(oneLayers.map { Set($0.keys) }, [["layer", "norm"]])
        XCTAssertEqual((oneLayers[0]["norm"] as? [Any])?.count, 1)
    }

    /// `--focus it` focused the "it" inside "kitten"; whole words come first, a note says which
    /// occurrence was taken when there are several, `--focus-occurrence N` picks another.
    func testFocusMatchesWholeWordsFirst() throws {
        let sentence = "the kitten sat with it on the mat."
        func focus(_ extra: [String], _ text: String) throws -> (Int, Int, String) {
            let out = try CLI.run(["analyze", "--model", model, "--json"] + extra + [text])
            XCTAssertEqual(out.status, 0, out.stderr)
            let f = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])?["focus"] as? [String: Int])
            return (f["start"]!, f["end"]!, out.stderr)
        }
        let (a, b, note) = try focus(["--focus", "it"], sentence)
        XCTAssertEqual([a, b], [20, 22])
        XCTAssertEqual(note, "")

        let twice = "it sat with it."
        let first = try focus(["--focus", "it"], twice)
        XCTAssertEqual([first.0, first.1], [0, 2])
        XCTAssertEqual(first.2, "heed: note: \"it\" occurs twice as a whole word; focusing on occurrence 1 (scalars 0..<2); --focus-occurrence N picks another\n")
        let second = try focus(["--focus", "it", "--focus-occurrence", "2"], twice)
        XCTAssertEqual([second.0, second.1], [12, 14])
        XCTAssertEqual(second.2, "heed: note: \"it\" occurs twice as a whole word; focusing on occurrence 2 (scalars 12..<14); --focus-occurrence N picks another\n")

        // No whole word: the substring, with a note naming the word it is in.
        let inside = try focus(["--focus", "itt"], sentence)
        XCTAssertEqual([inside.0, inside.1], [4, 10], "the focus is the token(s) overlapping \"itt\": kitten")
        XCTAssertEqual(inside.2, "heed: note: \"itt\" is not a whole word of the text; focusing on it inside \"kitten\" (occurrence 1 of 1, scalars 5..<8)\n")

        let beyond = try CLI.run(["analyze", "--model", model, "--focus", "it", "--focus-occurrence", "3", twice])
        XCTAssertEqual(beyond.status, 2)
        XCTAssertEqual(beyond.stderr, "heed: --focus-occurrence 3: \"it\" occurs twice as a whole word\n")
    }
}

/// The plain view's received values, computed independently of the executable.
enum ReceivedViewReference {
    /// Column means of a (T, T) matrix over its rows.
    static func received(_ m: Tensor) -> [Float] {
        let T = m.shape[m.rank - 1], blocks = m.count / (T * T)
        var r = [Float](repeating: 0, count: T)
        for k in 0..<m.count { r[k % T] += m.data[k] }
        return r.map { $0 / Float(blocks * T) }
    }
}
