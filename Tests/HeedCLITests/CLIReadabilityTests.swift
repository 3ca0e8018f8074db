import Foundation
@testable import HeedAnalysis
import XCTest

/// Issue 16, "Making the paper's point readable": shares beside raw values, the line under the
/// focus view with what the focus sends to [CLS]/[SEP], [UNK] marked, SVG tooltips, small files
/// and readable labels for long texts.
final class CLIReadabilityTests: XCTestCase {
    let model = CLI.tinyModel
    let text = "the cat sat on the mat."
    let labels = ["[CLS]", "the", "cat", "sat", "on", "the", "mat", ".", "[SEP]"]

    func analysis(_ methods: [AnalysisMethod], text: String? = nil) throws -> AnalyzeResult {
        try Pipeline.analyze(model: CLI.loadedTiny, text: text ?? self.text,
                             options: AnalyzeOptions(methods: methods, meanOverHeads: true), encoding: .utf32)
    }

    /// Each value of the no-focus view also as its share of the row total.
    func testPlainViewShowsSharesBesideRawValues() throws {
        let out = try CLI.run(["analyze", "--model", model, text])
        XCTAssertEqual(out.status, 0, out.stderr)
        let result = try analysis([.attention, .normSummed])
        var expected = ["what each token receives: the mean over attending tokens (and heads) of its column, raw and as a share of the row total; \(model)"]
        for layer in result.layers {
            for (method, value) in layer.values {
                guard case let .tensor(t) = value else { return XCTFail() }
                expected.append("layer \(layer.layer) \(method.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0))  "
                                + CLIWrongOutputTests.shareCells(labels, ReceivedViewReference.received(t)))
            }
        }
        XCTAssertEqual(out.lines, expected)
        // The attention shares of a row sum to 100% because rows of alpha sum to 1: raw value = share.
        XCTAssertTrue(out.lines[1].hasPrefix("layer 0 attention    [CLS]("))
    }

    /// Under the focus view: what the focus sends to the inserted [CLS] and [SEP], by weight and by norm.
    func testFocusViewEndsWithTheSinkLine() throws {
        let out = try CLI.run(["analyze", "--model", model, "--focus", "cat", text])
        XCTAssertEqual(out.status, 0, out.stderr)
        let result = try Pipeline.analyze(model: CLI.loadedTiny, text: text,
                                          options: AnalyzeOptions(methods: [.attention, .normSummed], layers: [1], meanOverHeads: true), encoding: .utf32)
        guard case let .tensor(w) = result.layers[0].values[0].value, case let .tensor(n) = result.layers[0].values[1].value else { return XCTFail() }
        let T = labels.count, row = 2  // "cat"
        let wRow = Array(w.data[(row * T)..<((row + 1) * T)]), nRow = Array(n.data[(row * T)..<((row + 1) * T)])
        let wTotal = wRow.reduce(0, +), nTotal = nRow.reduce(0, +)
        func part(_ name: String, _ j: Int) -> String {
            String(format: "%@ weight %.3f (%.1f%%), norm %.3f (%.1f%%)", name, wRow[j], 100 * wRow[j] / wTotal, nRow[j], 100 * nRow[j] / nTotal)
        }
        XCTAssertEqual(out.lines.last, "sent to the inserted special tokens (layer 1: attention vs norm-summed; share of the focus's row total): "
                       + part("[CLS]", 0) + "; " + part("[SEP]", T - 1))
        XCTAssertEqual(out.lines.first, "norm-summed, layer 1, focus \"cat\"; \(model)")
        XCTAssertEqual(out.lines[1], "token\tvalue\tscore")
        XCTAssertEqual(out.lines.count, 2 + 6 + 1, "header, table header, the 6 other tokens with a span, the sink line")
    }

    /// Tokens that became [UNK] are marked in every view, and stderr says how many.
    func testUnknownTokensAreMarkedAndCounted() throws {
        let sentence = "the 東 cat 京 sat"
        let note = "heed: note: 2 tokens are [UNK] (not in the vocabulary of \(model)), marked [UNK]: \"東\", \"京\"\n"
        let plain = try CLI.run(["analyze", "--model", model, "--layer", "0", "--method", "attention", sentence])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stderr, note)
        let body = try XCTUnwrap(plain.lines[1].components(separatedBy: "layer 0 attention  ").last)
        let cells = body.components(separatedBy: "%) ").map { String($0.prefix { $0 != "(" }) }
        XCTAssertEqual(cells, ["[CLS]", "the", "東[UNK]", "cat", "京[UNK]", "sat", "[SEP]"])

        let focus = try CLI.run(["analyze", "--model", model, "--focus", "cat", sentence])
        XCTAssertEqual(focus.stderr, note)
        XCTAssertEqual(focus.lines[2..<6].map { String($0.split(separator: "\t")[0]) }, ["the", "東[UNK]", "京[UNK]", "sat"])

        let tokenize = try CLI.run(["tokenize", "--model", model, sentence])
        XCTAssertEqual(tokenize.stderr, note)
        XCTAssertEqual(tokenize.lines[3], "2\t1\t4\t5\t2\t[UNK]\t\"[UNK]\" (unknown: 東)")

        let one = try CLI.run(["tokenize", "--model", model, "--json", "the 東"])
        XCTAssertEqual(one.stderr, "heed: note: 1 token is [UNK] (not in the vocabulary of \(model)), marked [UNK]: \"東\"\n")
    }

    /// Every cell of a small heatmap has a tooltip with the two tokens and the value.
    func testSVGCellsHaveTooltips() throws {
        let path = CLI.temporaryDirectory("tooltips").appendingPathComponent("h.svg").path
        let out = try CLI.run(["analyze", "--model", model, "--layer", "0", "--method", "attention", "--svg", path, text])
        XCTAssertEqual(out.status, 0, out.stderr)
        let svg = try String(contentsOfFile: path, encoding: .utf8)
        let result = try Pipeline.analyze(model: CLI.loadedTiny, text: text,
                                          options: AnalyzeOptions(methods: [.attention], layers: [0], meanOverHeads: true), encoding: .utf32)
        guard case let .tensor(w) = result.layers[0].values[0].value else { return XCTFail() }
        let T = labels.count
        XCTAssertEqual(svg.components(separatedBy: "</title></rect>").count - 1, T * T)
        for (i, j) in [(0, 0), (2, 6), (8, 1)] {
            let tip = "<title>\(labels[i]) → \(labels[j]): \(SVGHeatmap.compact(w.data[i * T + j]))</title>"
            XCTAssertTrue(svg.contains(tip), tip)
        }
    }

    /// 436 tokens: the heatmap was 22.8 MB of rectangles with every label drawn; now each panel
    /// is a PNG raster, the file stays under a megabyte and about 80 labels are drawn.
    func testLongTextsGiveSmallFilesAndThinnedLabels() throws {
        let words = ["the", "cat", "sat", "on", "mat", "with", "it", "and", "dog", "is", "tired"]
        let long = (0..<434).map { words[$0 % words.count] }.joined(separator: " ")
        let path = CLI.temporaryDirectory("long").appendingPathComponent("long.svg").path
        let out = try CLI.run(["analyze", "--model", model, "--layer", "0", "--svg", path, long])
        XCTAssertEqual(out.status, 0, out.stderr)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertLessThan(size, 1_000_000)
        XCTAssertTrue(out.stderr.hasSuffix("heed: wrote \(path) (\((size + 999) / 1000) KB)\n"), out.stderr)
        let svg = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "<image ").count - 1, 2, "one raster per panel")
        XCTAssertEqual(svg.components(separatedBy: "data:image/png;base64,iVBORw0KGgo").count - 1, 2, "PNG signature")
        // 436 tokens, 2 px cells: every 5th label (10 px apart), 88 per axis.
        let yLabels = svg.components(separatedBy: "<g class=\"y-labels\"")[1].components(separatedBy: "</g>")[0]
        XCTAssertEqual(yLabels.components(separatedBy: "<text ").count - 1, 88)
        XCTAssertEqual(svg.components(separatedBy: "<title>").count - 1, 1 + 2 * 436, "the document title and one tooltip per row and panel")
    }
}
