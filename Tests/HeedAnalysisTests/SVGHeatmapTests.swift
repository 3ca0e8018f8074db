import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import HeedAnalysis
import XCTest

/// SVGHeatmap: the output is well-formed standalone SVG, one cell per matrix entry, escaped
/// labels, colours from the ramp's ends, no division by zero.
final class SVGHeatmapTests: XCTestCase {
    // MARK: A minimal DOM built with XMLParser

    final class Node {
        let name: String
        let attributes: [String: String]
        var children: [Node] = []
        var text = ""
        init(name: String, attributes: [String: String]) { self.name = name; self.attributes = attributes }

        /// This node and all below it, depth first, in document order.
        var all: [Node] { [self] + children.flatMap(\.all) }
        /// Text of this node and its descendants.
        var fullText: String { text + children.map(\.fullText).joined() }
        func elements(_ name: String, inGroup groupClass: String) -> [Node] {
            all.filter { $0.name == "g" && $0.attributes["class"] == groupClass }
                .flatMap { $0.children.filter { $0.name == name } }
        }
    }

    final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [Node] = []
        var root: Node?
        var error: Error?
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            let node = Node(name: elementName, attributes: attributeDict)
            stack.last?.children.append(node)
            if root == nil { root = node }
            stack.append(node)
        }
        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            stack.removeLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }
    }

    /// Parses `svg` as XML and checks the standalone-SVG essentials; returns the root element.
    func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) throws -> Node {
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = builder
        let ok = parser.parse()
        XCTAssertTrue(ok, "not well-formed XML: \(String(describing: builder.error ?? parser.parserError))", file: file, line: line)
        let root = try XCTUnwrap(builder.root, "no root element", file: file, line: line)
        XCTAssertEqual(root.name, "svg", file: file, line: line)
        XCTAssertTrue(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""), file: file, line: line)
        let viewBox = try XCTUnwrap(root.attributes["viewBox"], "no viewBox", file: file, line: line)
        let box = viewBox.split(separator: " ").compactMap { Double($0) }
        XCTAssertEqual(box.count, 4, file: file, line: line)
        if box.count == 4 { XCTAssertTrue(box[2] > 0 && box[3] > 0, "empty viewBox \(viewBox)", file: file, line: line) }
        // Large figures embed PNG data URIs; nothing else may be referenced.
        let withoutData = svg.replacingOccurrences(of: #"xlink:href="data:image/png;base64,[A-Za-z0-9+/=]*""#, with: "", options: .regularExpression)
        XCTAssertFalse(withoutData.contains("href"), "no external resources", file: file, line: line)
        XCTAssertFalse(withoutData.lowercased().contains("nan") || withoutData.contains("inf\""), "non-finite number in output", file: file, line: line)
        return root
    }

    /// Token labels as drawn on the x axis (first panel) and the y axis.
    func drawnLabels(_ root: Node) -> (x: [String], y: [String]) {
        let xGroup = root.all.first { $0.name == "g" && $0.attributes["class"] == "x-labels" }
        return (xGroup?.children.map(\.fullText) ?? [], root.elements("text", inGroup: "y-labels").map(\.fullText))
    }

    func cellFills(_ root: Node) -> [String] {
        root.elements("rect", inGroup: "cells").map { $0.attributes["fill"] ?? "?" }
    }

    /// A deterministic T x T matrix with values in [0, scale).
    func matrix(_ T: Int, scale: Float = 1, seed: UInt64 = 7) -> [Float] {
        var state = seed
        return (0..<(T * T)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * scale
        }
    }

    // MARK: Tests

    func testCellCountAndLabelsForSeveralSizes() throws {
        for T in [1, 2, 7, 33, 80] {
            let labels = (0..<T).map { "tok\($0)" }
            let panels = [HeatmapPanel(title: "Attention weight", matrix: matrix(T)),
                          HeatmapPanel(title: "Norm ||αf(x)||", matrix: matrix(T, scale: 5, seed: 11))]
            let root = try parse(SVGHeatmap.render(title: "Figure", subtitle: "minilm · layer 3", labels: labels, panels: panels))
            XCTAssertEqual(cellFills(root).count, panels.count * T * T, "T=\(T)")
            XCTAssertEqual(root.all.filter { $0.attributes["class"] == "panel" }.count, 2)
            XCTAssertEqual(root.all.filter { $0.attributes["class"] == "colorbar" }.count, 2)
            let (x, y) = drawnLabels(root)
            XCTAssertEqual(x, labels, "T=\(T): every label up to 80 tokens")
            XCTAssertEqual(y, labels, "T=\(T)")
            // Cells are square and tile the grid row by row.
            let cells = root.elements("rect", inGroup: "cells")
            let w = try XCTUnwrap(cells.first?.attributes["width"].flatMap(Double.init))
            XCTAssertEqual(cells.first?.attributes["width"], cells.first?.attributes["height"])
            func coordinate(_ k: Int, _ name: String) -> Double? { cells[k].attributes[name].flatMap(Double.init) }
            if T > 1 {
                XCTAssertEqual(coordinate(1, "x")! - coordinate(0, "x")!, w, "T=\(T): next column")
                XCTAssertEqual(coordinate(T, "y")! - coordinate(0, "y")!, w, "T=\(T): next row")
                XCTAssertEqual(coordinate(T, "x"), coordinate(0, "x"))
            }
        }
    }

    func testCellsShrinkAndLabelsThinOutForLongInputs() throws {
        func cellSide(_ T: Int) throws -> Double {
            let root = try parse(SVGHeatmap.render(title: "t", subtitle: nil, labels: (0..<T).map(String.init),
                                                   panels: [HeatmapPanel(title: "p", matrix: matrix(T))]))
            return try XCTUnwrap(root.elements("rect", inGroup: "cells").first?.attributes["width"].flatMap(Double.init))
        }
        let sides = try [4, 64, 128].map(cellSide)
        XCTAssertTrue(sides[0] > sides[1] && sides[1] > sides[2], "\(sides)")
        XCTAssertGreaterThanOrEqual(sides[2], 3)

        let T = 200
        let labels = (0..<T).map { "w\($0)" }
        let root = try parse(SVGHeatmap.render(title: "t", subtitle: nil, labels: labels, panels: [HeatmapPanel(title: "p", matrix: matrix(T))]))
        // 40,000 cells: beyond the vector budget, the panel is one PNG raster.
        XCTAssertEqual(cellFills(root).count, 0)
        XCTAssertEqual(root.elements("image", inGroup: "cells").count, 1)
        let (x, y) = drawnLabels(root)
        XCTAssertEqual(x, y)
        XCTAssertTrue(x.count > 10 && x.count < T, "\(x.count) labels for \(T) tokens")
        let k = SVGHeatmap.Layout(title: "t", subtitle: nil, labels: labels, panels: []).labelStride
        XCTAssertGreaterThan(k, 1)
        XCTAssertEqual(x, Swift.stride(from: 0, to: T, by: k).map { labels[$0] })
    }

    func testSpecialCharactersInLabelsAndTitlesRoundTrip() throws {
        let tricky = "<&\"'>"
        let labels = ["[CLS]", tricky, "a\u{01}b\u{FFFE}c\td\u{0B}", "é 漢字 🙂", "[SEP]"]
        let svg = SVGHeatmap.render(title: "Title <&> \"q\" 'a'", subtitle: "sub & <more>", labels: labels,
                                    panels: [HeatmapPanel(title: "α < β & \"γ\"", matrix: matrix(5))])
        let root = try parse(svg)
        let (x, y) = drawnLabels(root)
        XCTAssertEqual(x, ["[CLS]", tricky, "abc d", "é 漢字 🙂", "[SEP]"])
        XCTAssertEqual(y, x)
        XCTAssertEqual(root.children.first { $0.name == "title" }?.fullText, "Title <&> \"q\" 'a'")
        XCTAssertEqual(root.children.first { $0.name == "desc" }?.fullText, "sub & <more>")
        XCTAssertTrue(root.all.contains { $0.attributes["class"] == "panel-title" && $0.fullText == "α < β & \"γ\"" })
        XCTAssertFalse(svg.unicodeScalars.contains { $0.value < 0x20 && $0.value != 0x0A }, "control characters stripped")
    }

    func testLongLabelsAreShortened() throws {
        let long = String(repeating: "x", count: 40)
        let root = try parse(SVGHeatmap.render(title: "t", subtitle: nil, labels: ["a", long], panels: [HeatmapPanel(title: "p", matrix: [0, 1, 1, 0])]))
        let shown = drawnLabels(root).x[1]
        XCTAssertEqual(shown.count, SVGHeatmap.maxLabelCharacters)
        XCTAssertTrue(shown.hasSuffix("…"))
    }

    func testColoursAtZeroAndMaximumAreTheRampEnds() throws {
        for map in [HeatmapColorMap.viridis, .blues] {
            let first = map.anchors.first!, last = map.anchors.last!
            XCTAssertEqual(map.hex(at: 0), HeatmapColorMap.hex(first.0, first.1, first.2))
            XCTAssertEqual(map.hex(at: 1), HeatmapColorMap.hex(last.0, last.1, last.2))
            // Row-major: (0,0) = 0, (0,1) = the maximum, (1,0) = half, (1,1) = negative (clipped to 0).
            let svg = SVGHeatmap.render(title: "t", subtitle: nil, labels: ["a", "b"],
                                        panels: [HeatmapPanel(title: "p", matrix: [0, 2, 1, -3])], colorMap: map)
            let fills = cellFills(try parse(svg))
            XCTAssertEqual(fills, [map.hex(at: 0), map.hex(at: 1), map.hex(at: 0.5), map.hex(at: 0)], map.name)
            // The colour bar's gradient runs over the same anchors, 0 at the bottom.
            XCTAssertTrue(svg.contains("<stop offset=\"0%\" stop-color=\"\(map.hex(at: 0))\"/>"))
            XCTAssertTrue(svg.contains("<stop offset=\"100%\" stop-color=\"\(map.hex(at: 1))\"/>"))
        }
        XCTAssertEqual(HeatmapColorMap.viridis.hex(at: 0), "#440154")
        XCTAssertEqual(HeatmapColorMap.viridis.hex(at: 1), "#fde725")
        XCTAssertEqual(HeatmapColorMap.viridis.hex(at: 0.5), "#21908c")
        XCTAssertEqual(HeatmapColorMap.viridis.hex(at: 7), "#fde725", "clamped")
        XCTAssertEqual(HeatmapColorMap.viridis.hex(at: .nan), "#440154")
    }

    func testEachPanelIsNormalisedToItsOwnMaximum() throws {
        let m = matrix(6, scale: 0.9)
        let root = try parse(SVGHeatmap.render(title: "t", subtitle: nil, labels: (0..<6).map { "t\($0)" },
                                               panels: [HeatmapPanel(title: "a", matrix: m), HeatmapPanel(title: "b", matrix: m.map { $0 * 40 })]))
        let fills = cellFills(root)
        XCTAssertEqual(Array(fills[0..<36]), Array(fills[36..<72]))
        XCTAssertTrue(fills.contains(HeatmapColorMap.viridis.hex(at: 1)))
        let maxima = root.all.filter { $0.attributes["class"] == "colorbar-max" }.map(\.fullText)
        XCTAssertEqual(maxima, [SVGHeatmap.compact(m.max()!), SVGHeatmap.compact(m.max()! * 40)])
        XCTAssertEqual(root.all.filter { $0.attributes["class"] == "colorbar-min" }.map(\.fullText), ["0", "0"])
    }

    func testZeroMatrixDoesNotDivideByZero() throws {
        let root = try parse(SVGHeatmap.render(title: "zeros", subtitle: nil, labels: ["a", "b", "c"],
                                               panels: [HeatmapPanel(title: "p", matrix: [Float](repeating: 0, count: 9))]))
        XCTAssertEqual(cellFills(root), [String](repeating: HeatmapColorMap.viridis.hex(at: 0), count: 9))
        XCTAssertEqual(root.all.first { $0.attributes["class"] == "colorbar-max" }?.fullText, "0")
    }

    func testMalformedInputNeverCrashes() throws {
        // NaN, infinity and a matrix shorter than T * T: grey cells, the rest normalised to the finite maximum.
        let root = try parse(SVGHeatmap.render(title: "bad", subtitle: nil, labels: ["a", "b"],
                                               panels: [HeatmapPanel(title: "p", matrix: [.nan, 4, .infinity])]))
        XCTAssertEqual(cellFills(root), [SVGHeatmap.missingColor, HeatmapColorMap.viridis.hex(at: 1), SVGHeatmap.missingColor, SVGHeatmap.missingColor])
        // A matrix longer than T * T: extra values ignored.
        XCTAssertEqual(cellFills(try parse(SVGHeatmap.render(title: "t", subtitle: nil, labels: ["a"], panels: [HeatmapPanel(title: "p", matrix: [1, 9])]))).count, 1)
        // No tokens, no panels: still a valid document.
        let empty = try parse(SVGHeatmap.render(title: "empty", subtitle: nil, labels: [], panels: [HeatmapPanel(title: "p", matrix: [])]))
        XCTAssertTrue(cellFills(empty).isEmpty)
        XCTAssertTrue(cellFills(try parse(SVGHeatmap.render(title: "none", subtitle: "s", labels: ["a", "b"], panels: []))).isEmpty)
    }

    func testCompactNumbers() {
        XCTAssertEqual(SVGHeatmap.compact(0), "0")
        XCTAssertEqual(SVGHeatmap.compact(1), "1")
        XCTAssertEqual(SVGHeatmap.compact(0.734), "0.734")
        XCTAssertEqual(SVGHeatmap.compact(0.5), "0.5")
        XCTAssertEqual(SVGHeatmap.compact(12.345), "12.3")
        XCTAssertEqual(SVGHeatmap.compact(1234), "1.23e3")
        XCTAssertEqual(SVGHeatmap.compact(20000), "2e4")
        XCTAssertEqual(SVGHeatmap.compact(0.0000456), "4.56e-5")
    }
}
