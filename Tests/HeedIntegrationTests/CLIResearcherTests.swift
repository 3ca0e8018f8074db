import Foundation
import HeedAnalysis
import XCTest

/// Issue 16 on the real MiniLM: the examples a new user meets first (no NaN, whole-word focus,
/// the paper's contrast readable, [UNK] marked). The hermetic HeedCLITests cover every bullet on
/// the tiny model; these pin the figures the issue quotes.
final class CLIResearcherTests: XCTestCase {
    func run(_ argv: [String]) throws -> (Int32, [String], String) {
        let (status, out, err) = try Integration.run(argv)
        return (status, String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init), err)
    }

    /// `--method value-norm "Hi there friend"` printed -nan; the layer-0 norms of f(x), mean over heads.
    func testValueNormOnMiniLM() throws {
        try Integration.requireEnabled()
        let (status, lines, err) = try run(["analyze", "--method", "value-norm", "Hi there friend"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(lines.count, 7)
        XCTAssertEqual(lines[1], "layer 0 value-norm  [CLS](0.701) Hi(2.305) there(2.399) friend(2.244) [SEP](1.563)")
    }

    /// Layer 1: [CLS] receives 0.572 by weight and 0.573 by norm: 57.2% against 5.8% of the row.
    func testSharesMakeTheWeightNormContrastVisible() throws {
        try Integration.requireEnabled()
        let (status, lines, err) = try run(["analyze", "--layer", "1", "The cat sat on the mat because it was tired."])
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(lines[1].hasPrefix("layer 1 attention    [CLS](0.572, 57.2%) The(0.032, 3.2%) "), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("layer 1 norm-summed  [CLS](0.573, 5.8%) The(0.704, 7.1%) "), lines[2])
    }

    /// "it" is the word, not the "it" in "kitten"; the sink line under the focus view.
    func testWholeWordFocusAndSinkLine() throws {
        try Integration.requireEnabled()
        let (status, json, err) = try Integration.run(["analyze", "--json", "--focus", "it", "The kitten sat with it on the mat."])
        XCTAssertEqual(status, 0, err)
        let focus = (try JSONSerialization.jsonObject(with: json) as? [String: Any])?["focus"] as? [String: Int]
        XCTAssertEqual(focus, ["start": 20, "end": 22])

        let model = try Integration.minilm.get()
        let text = "The cat sat on the mat because it was tired."
        let (s, lines, e) = try run(["analyze", "--focus", "cat", text])
        XCTAssertEqual(s, 0, e)
        let r = try Pipeline.analyze(model: model, text: text, options: AnalyzeOptions(methods: [.attention, .normSummed], layers: [5], meanOverHeads: true), encoding: .utf32)
        guard case let .tensor(w) = r.layers[0].values[0].value, case let .tensor(n) = r.layers[0].values[1].value else { return XCTFail() }
        let T = r.table.tokens.count, i = 2
        let wr = Array(w.data[(i * T)..<((i + 1) * T)]), nr = Array(n.data[(i * T)..<((i + 1) * T)])
        func part(_ name: String, _ j: Int) -> String {
            String(format: "%@ weight %.3f (%.1f%%), norm %.3f (%.1f%%)", name, wr[j], 100 * wr[j] / wr.reduce(0, +), nr[j], 100 * nr[j] / nr.reduce(0, +))
        }
        XCTAssertEqual(lines.last, "sent to the inserted special tokens (layer 5: attention vs norm-summed; share of the focus's row total): "
                       + part("[CLS]", 0) + "; " + part("[SEP]", T - 1))
        XCTAssertEqual(lines.last, "sent to the inserted special tokens (layer 5: attention vs norm-summed; share of the focus's row total): [CLS] weight 0.362 (36.2%), norm 0.523 (3.1%); [SEP] weight 0.027 (2.7%), norm 0.152 (0.9%)")
    }

    /// A token outside MiniLM's vocabulary is marked and counted.
    func testUnknownTokenOnMiniLM() throws {
        try Integration.requireEnabled()
        let (status, lines, err) = try run(["analyze", "--layer", "1", "--method", "attention", "Hi 🚀"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(err, "heed: note: 1 token is [UNK] (not in the vocabulary of minilm), marked [UNK]: \"🚀\"\n")
        XCTAssertTrue(lines[1].contains(" 🚀[UNK]("), lines[1])
    }
}
