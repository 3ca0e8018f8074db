// `heed experiment alignment` on the tiny Marian model and the hand-written alignment fixtures:
// the Pharaoh files it writes, and the AER table it prints recomputed from those files.

import Foundation
import HeedAnalysis
import HeedTestSupport
import XCTest

final class CLIAlignmentTests: XCTestCase {
    func testAlignmentWritesPharaohAndPrintsAER() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("heed-align-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try CLI.run(["experiment", "alignment", "--model", Fixtures.url("models/tiny-marian").path,
                               "--source", Fixtures.url("alignment/source.txt").path, "--target", Fixtures.url("alignment/target.txt").path,
                               "--gold", Fixtures.url("alignment/gold.txt").path, "--output", output.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let gold = try String(contentsOf: Fixtures.url("alignment/gold.txt"), encoding: .utf8).split(separator: "\n").map {
            try GoldAlignment.parse(String($0))
        }
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("heed experiment alignment: model"), run.stdout)
        XCTAssertEqual(lines[2], "layer\toutput/weight\toutput/norm\tinput/weight\tinput/norm")
        for layer in 0..<2 {
            var cells: [String] = []
            for (setting, method) in [("output", "weight"), ("output", "norm"), ("input", "weight"), ("input", "norm")] {
                let file = output.appendingPathComponent("\(setting)-\(method)-layer\(layer).txt")
                let sentences = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                XCTAssertEqual(sentences.count, 2, file.path)
                var counts = AERCounts()
                for (s, line) in sentences.enumerated() {
                    let links = try GoldAlignment.parse(String(line)).sure
                    // Every target word (3 and 2 words) is linked once, to a source word in range.
                    XCTAssertEqual(links.map(\.target).sorted(), Array(0..<(s == 0 ? 3 : 2)), file.path)
                    XCTAssertTrue(links.allSatisfy { $0.source < (s == 0 ? 3 : 2) }, file.path)
                    counts.add(links, gold: gold[s])
                }
                cells.append(String(format: "%.1f", 100 * counts.aer!))
            }
            XCTAssertEqual(lines[3 + layer], "\(layer)\t" + cells.joined(separator: "\t"))
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("best, input step: weight ") }, run.stdout)
        // --json: the same AER values, unrounded.
        let json = try CLI.run(["experiment", "alignment", "--model", Fixtures.url("models/tiny-marian").path,
                                "--source", Fixtures.url("alignment/source.txt").path, "--target", Fixtures.url("alignment/target.txt").path,
                                "--gold", Fixtures.url("alignment/gold.txt").path, "--output", output.path, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["decoderLayers"] as? Int, 2)
        let aer = try XCTUnwrap(object["aer"] as? [String: [String: [Double]]])
        for (setting, byMethod) in aer {
            for (method, values) in byMethod {
                XCTAssertEqual(values.count, 2)
                let column = ["output": ["weight": 0, "norm": 1], "input": ["weight": 2, "norm": 3]][setting]![method]!
                for (layer, v) in values.enumerated() {
                    XCTAssertEqual(String(format: "%.1f", 100 * v), lines[3 + layer].split(separator: "\t")[1 + column].description, "\(setting) \(method)")
                }
            }
        }
        // Mismatched line counts are refused.
        let bad = try CLI.run(["experiment", "alignment", "--model", Fixtures.url("models/tiny-marian").path,
                               "--source", Fixtures.url("alignment/source.txt").path, "--target", Fixtures.url("alignment/README.md").path,
                               "--output", output.path])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("the source has 2 lines"), bad.stderr)
        // A one-based gold file read as zero-based names a link beyond the sentence and the option.
        let shifted = try CLI.run(["experiment", "alignment", "--model", Fixtures.url("models/tiny-marian").path,
                                   "--source", Fixtures.url("alignment/source.txt").path, "--target", Fixtures.url("alignment/target.txt").path,
                                   "--gold", Fixtures.url("alignment/gold-one-based.txt").path, "--output", output.path])
        XCTAssertEqual(shifted.status, 2)
        XCTAssertTrue(shifted.stderr.contains("is outside the sentence pair") && shifted.stderr.contains("--gold-one-based"), shifted.stderr)
        let oneBased = try CLI.run(["experiment", "alignment", "--model", Fixtures.url("models/tiny-marian").path,
                                    "--source", Fixtures.url("alignment/source.txt").path, "--target", Fixtures.url("alignment/target.txt").path,
                                    "--gold", Fixtures.url("alignment/gold-one-based.txt").path, "--gold-one-based", "--output", output.path])
        XCTAssertEqual(oneBased.status, 0, oneBased.stderr)
        // --output naming a file.
        let file = output.appendingPathComponent("output-weight-layer0.txt").path
        let onFile = try CLI.run(["experiment", "alignment", "--model", Fixtures.url("models/tiny-marian").path,
                                  "--source", Fixtures.url("alignment/source.txt").path, "--target", Fixtures.url("alignment/target.txt").path,
                                  "--output", file])
        XCTAssertEqual(onFile.status, 2)
        XCTAssertTrue(onFile.stderr.contains("is a file, not a directory"), onFile.stderr)
    }
}
