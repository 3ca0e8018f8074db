import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// Issue 16, "Options that are silently ignored": every option takes effect or is refused with
/// a message naming the conflict; the SVG follows the request.
final class CLIOptionTests: XCTestCase {
    let model = CLI.tinyModel
    let text = "the cat sat on the mat."

    /// Each combination that used to be accepted and ignored, with its message (exit 2, nothing on stdout).
    func testConflictingOptionsAreRefused() throws {
        let cases: [([String], String)] = [
            (["--focus", "cat", "--focus-range", "4:7"], "--focus and --focus-range both name the focus; give one of them"),
            (["--topk", "3"], "--topk applies to a focus (--focus TEXT or --focus-range A:B); without one, the view shows what every token receives"),
            (["--direction", "to"], "--direction applies to a focus (--focus TEXT or --focus-range A:B); without one, the view shows what every token receives"),
            (["--focus-occurrence", "2"], "--focus-occurrence picks an occurrence of --focus TEXT; give --focus too"),
            (["--heads", "mean"], "--heads applies to --json output; the plain view and the SVG always average over heads"),
            (["--focus", "cat", "--json", "--heads", "all"], "--heads does not apply with a focus: a highlight always averages over heads"),
            (["--focus", "cat", "--layer", "all"], "with a focus, --layer takes one layer (N, last or middle), not all"),
            (["--focus", "cat", "--method", "rollout", "--layer", "1"], "--layer does not apply to rollout: a rollout is a product over all layers"),
            (["--focus", "cat", "--method", "attention", "--method", "norm"], "with a focus, give one --method (the text is shaded by one method; got attention, norm)"),
            (["--focus", "cat", "--method", "value-norm"], "--method value-norm gives one value per token, not what a focus attends to; with a focus use attention, norm, norm-summed, attn-res, attn-res-ln, rollout, norm-rollout, alti, alti-rollout, globenc or value-zeroing"),
            (["--svg", "x.svg", "--method", "mixing-ratio"], "--svg draws token x token matrices; mixing-ratio gives one value per token (leave it out of --method, or drop --svg)"),
            (["--svg", "x.svg", "--layer", "all", "--method", "attention", "--method", "rollout"], "--svg --layer all draws one row per layer; rollout spans all layers: draw it without --layer all"),
            (["--layer", "1", "--layer", "0"], "--layer is given twice (\"1\" and \"0\"); give it once"),
            (["--method", "norm", "--method", "norm"], "--method norm is given twice"),
        ]
        for (options, message) in cases {
            let out = try CLI.run(["analyze", "--model", model] + options + [text])
            XCTAssertEqual(out.status, 2, "\(options)")
            XCTAssertEqual(out.stdout, "", "\(options)")
            XCTAssertEqual(out.stderr, "heed: \(message)\n", "\(options)")
        }
    }

    /// Options of other commands that used to be ignored.
    func testOptionsOfOtherCommandsThatDoNotApplyAreRefused() throws {
        let cases: [([String], String)] = [
            (["bench", "forward", "--texts", "3"], "--texts does not apply to bench forward (it takes --lengths, --model, --pause, --runs)"),
            (["bench", "daemon", "--runs", "3"], "--runs does not apply to bench daemon (it takes --model, --requests, --texts)"),
            (["experiment", "mixing", "--no-mask", "--seed", "3"], "--seed seeds the masking; --no-mask runs without it: give one of them"),
            (["serve", "extra"], "heed serve takes no arguments (got \"extra\"); see heed serve --help"),
            (["models", "minilm"], "heed models takes no arguments"),
        ]
        for (argv, message) in cases {
            let out = try CLI.run(argv)
            XCTAssertEqual(out.status, 2, "\(argv)")
            XCTAssertEqual(out.stderr, "heed: \(message)\n", "\(argv)")
        }
    }

    // MARK: The SVG follows the request

    final class Elements: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var texts: [String] = []
        var current = ""
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                    attributes attributeDict: [String: String] = [:]) {
            elements.append((elementName, attributeDict)); current = ""
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            if elementName == "text" || elementName == "title" { texts.append(current) }
            current = ""
        }
        func with(_ cls: String) -> [[String: String]] { elements.filter { $0.attributes["class"] == cls }.map(\.attributes) }
    }

    /// Runs analyze with --svg; returns the parsed document and stdout.
    func svg(_ options: [String], text: String? = nil) throws -> (Elements, String, CLI.Output) {
        let path = CLI.temporaryDirectory("svg").appendingPathComponent("out.svg").path
        let out = try CLI.run(["analyze", "--model", model, "--svg", path] + options + [text ?? self.text])
        XCTAssertEqual(out.status, 0, out.stderr)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let parser = XMLParser(data: data)
        let elements = Elements()
        parser.delegate = elements
        XCTAssertTrue(parser.parse(), "well-formed")
        return (elements, String(decoding: data, as: UTF8.self), out)
    }

    func panelTitles(_ e: Elements) -> [String] {
        zip(e.elements.filter { $0.name == "text" || $0.name == "title" }, e.texts).filter { $0.0.attributes["class"] == "panel-title" }.map(\.1)
    }

    /// `--svg` with `--focus` wrote no file; now it does, with the focus row outlined in each
    /// panel, and the focus view is still printed.
    func testSVGWithAFocusOutlinesTheFocusRow() throws {
        let (e, _, out) = try svg(["--focus", "cat"])
        XCTAssertEqual(out.lines.first, "norm-summed, layer 1, focus \"cat\"; \(model)")
        let rows = e.with("focus-row")
        XCTAssertEqual(rows.count, 2, "one outline per panel (weight, norm)")
        // T = 9 tokens, 512 / 9 = 56 -> 28 px cells; "cat" is token 2: its row starts 2 cells below the grid.
        let cells = e.elements.filter { $0.name == "rect" && $0.attributes["width"] == "28" && $0.attributes["height"] == "28" }
        let gridTop = try XCTUnwrap(cells.compactMap { $0.attributes["y"].flatMap(Double.init) }.min())
        XCTAssertEqual(rows.map { $0["y"] }, [String(Int(gridTop) + 2 * 28 - 1), String(Int(gridTop) + 2 * 28 - 1)])
        XCTAssertEqual(e.with("focus").count, 1, "the focus label on the y axis")
        XCTAssertEqual(panelTitles(e), ["Attention weight α (mean over heads)", "Norm ‖Σₕ α f(x)‖"])
    }

    /// `--svg` ignored `--granularity word`, `--method` and `--layer`.
    func testSVGFollowsMethodsGranularityAndLayer() throws {
        let (e, document, _) = try svg(["--granularity", "word", "--method", "attention", "--method", "norm", "--method", "attn-res-ln", "--layer", "0"],
                                       text: "the kittens sat.")
        XCTAssertEqual(panelTitles(e), ["Attention weight α (mean over heads)", "‖α f(x)‖ (mean over heads)", "AttnResLn-N (through the LayerNorm)"])
        XCTAssertTrue(document.contains("<title>attention vs norm vs attn-res-ln, layer 0</title>"))
        // [CLS] the kitten ##s sat . [SEP]: 7 tokens, 6 words; "kittens" is one row and column.
        XCTAssertTrue(document.contains("<desc>\(model), 6 words, row i attends to column j</desc>"))
        XCTAssertEqual(document.components(separatedBy: "<title>kittens → kittens: ").count - 1, 3, "one cell per panel")
        XCTAssertFalse(document.contains("##s"))

        let (middle, middleDocument, _) = try svg(["--layer", "middle"])
        XCTAssertTrue(middleDocument.contains("<title>Weight vs norm, layer 1</title>"), "tiny-bert has 2 layers: the middle is 1")
        XCTAssertEqual(middle.with("row-title").count, 0)

        let (grid, gridDocument, _) = try svg(["--layer", "all"])
        XCTAssertTrue(gridDocument.contains("<title>Weight vs norm, layers 0-1</title>"))
        let rowTitles = zip(grid.elements.filter { $0.name == "text" || $0.name == "title" }, grid.texts).filter { $0.0.attributes["class"] == "row-title" }.map(\.1)
        XCTAssertEqual(rowTitles, ["layer 0", "layer 1"])
        XCTAssertEqual(grid.with("panel").count, 4)
    }
}
