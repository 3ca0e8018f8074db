import Foundation

// Standalone SVG 1.1 heatmaps of T x T token matrices (attention weights, norms, rollouts) for
// `heed analyze --svg FILE`. Pure: numbers and labels in, a String out; no external resources
// (large figures embed their cells as PNG data URIs, drawn by PNGEncoder).

/// One heatmap of a figure: a T x T matrix, row-major, row i = attending token, column j =
/// attended token.
public struct HeatmapPanel {
    /// Shown above the panel, e.g. "Attention weight" or "Norm ||αf(x)||".
    public var title: String
    /// T x T values, row-major. Values are drawn relative to the panel's own maximum; values below
    /// 0 clip to the start of the colour map; NaN, infinities and cells missing from a matrix whose
    /// count is not T * T are drawn in a neutral grey.
    public var matrix: [Float]

    public init(title: String, matrix: [Float]) {
        self.title = title
        self.matrix = matrix
    }
}

/// A sequential colour map: anchor colours evenly spaced on [0, 1], linearly interpolated in sRGB.
public struct HeatmapColorMap {
    /// Used in the SVG id of the colour bar's gradient.
    public var name: String
    /// Anchor colours from 0 to 1, as (red, green, blue); at least two.
    public var anchors: [(UInt8, UInt8, UInt8)]

    public init(name: String, anchors: [(UInt8, UInt8, UInt8)]) {
        precondition(anchors.count >= 2, "a colour map needs at least two anchors")
        self.name = name
        self.anchors = anchors
    }

    /// Viridis (matplotlib's perceptually uniform map), 9 anchors as in R's viridisLite::viridis(9).
    public static let viridis = HeatmapColorMap(name: "viridis", anchors: [
        (0x44, 0x01, 0x54), (0x47, 0x2D, 0x7B), (0x3B, 0x52, 0x8B), (0x2C, 0x72, 0x8E), (0x21, 0x90, 0x8C),
        (0x27, 0xAD, 0x81), (0x5D, 0xC8, 0x63), (0xAA, 0xDC, 0x32), (0xFD, 0xE7, 0x25),
    ])

    /// White to dark blue (ColorBrewer "Blues", 9 classes).
    public static let blues = HeatmapColorMap(name: "blues", anchors: [
        (0xF7, 0xFB, 0xFF), (0xDE, 0xEB, 0xF7), (0xC6, 0xDB, 0xEF), (0x9E, 0xCA, 0xE1), (0x6B, 0xAE, 0xD6),
        (0x42, 0x92, 0xC6), (0x21, 0x71, 0xB5), (0x08, 0x51, 0x9C), (0x08, 0x30, 0x6B),
    ])

    /// The colour at position t (clamped to [0, 1]; NaN counts as 0) as "#rrggbb".
    public func hex(at t: Double) -> String {
        let (r, g, b) = rgb(at: t)
        return Self.hex(r, g, b)
    }

    /// The colour at position t (clamped to [0, 1]; NaN counts as 0) as (red, green, blue).
    public func rgb(at t: Double) -> (UInt8, UInt8, UInt8) {
        let u = t.isNaN ? 0 : min(max(t, 0), 1) * Double(anchors.count - 1)
        let k = min(Int(u), anchors.count - 2)
        let f = u - Double(k)
        let (a, b) = (anchors[k], anchors[k + 1])
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + (Double(y) - Double(x)) * f).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    static func hex(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for v in [r, g, b] { s.append(digits[Int(v >> 4)]); s.append(digits[Int(v & 15)]) }
        return s
    }
}

/// A row of panels side by side, e.g. one layer's weight and norm, with an optional row title.
public struct HeatmapRow {
    /// Shown above the row's panels, e.g. "layer 3"; nil for none.
    public var title: String?
    /// The panels, left to right.
    public var panels: [HeatmapPanel]

    public init(title: String?, panels: [HeatmapPanel]) {
        self.title = title
        self.panels = panels
    }
}

/// A figure: rows of panels (small multiples) over one set of token labels.
public struct HeatmapFigure {
    /// The figure's title (also the document's `<title>`).
    public var title: String
    /// A line under the title (model, token count), also the document's `<desc>`.
    public var subtitle: String?
    /// The T tokens, shared by both axes of every panel. Full labels appear in the cells'
    /// `<title>` tooltips; the axes show them shortened.
    public var labels: [String]
    /// One or more rows of panels (every row should have the same number of panels).
    public var rows: [HeatmapRow]
    /// Rows (attending tokens) outlined in every panel and set in bold on the y axis: the focus.
    public var highlightedRows: [Int]

    public init(title: String, subtitle: String?, labels: [String], rows: [HeatmapRow], highlightedRows: [Int] = []) {
        self.title = title
        self.subtitle = subtitle
        self.labels = labels
        self.rows = rows
        self.highlightedRows = highlightedRows
    }
}

/// Renders figures of heatmaps that share token labels on both axes.
public enum SVGHeatmap {
    /// Fill of cells whose value is NaN, infinite or missing.
    static let missingColor = "#d0d0d0"
    /// Outline of the highlighted (focus) rows.
    static let highlightColor = "#e4002b"
    /// Labels longer than this many characters are cut and end in "…".
    static let maxLabelCharacters = 16
    /// Up to this many tokens every label is drawn; beyond, every k-th.
    static let allLabelsUpTo = 80
    /// Figures with at most this many cells in all draw each cell as a rectangle with a `<title>`
    /// tooltip; larger ones embed each panel as a PNG raster (one pixel per cell) and give each
    /// row a tooltip instead, so a 436-token figure stays well under a megabyte.
    static let maxVectorCells = 20_000
    static let fontFamily = "'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"

    /// Panels side by side (e.g. "Attention weight" | "Norm ||αf(x)||"), shared token labels on
    /// both axes (T = labels.count): `render(HeatmapFigure(...))` with one row.
    public static func render(title: String, subtitle: String?, labels: [String], panels: [HeatmapPanel],
                              colorMap: HeatmapColorMap = .viridis) -> String {
        render(HeatmapFigure(title: title, subtitle: subtitle, labels: labels, rows: [HeatmapRow(title: nil, panels: panels)]),
               colorMap: colorMap)
    }

    /// A standalone SVG 1.1 document (UTF-8 text, no external resources): the figure's rows of
    /// panels, one colour bar per panel, each panel normalised to its own maximum (its colour bar
    /// is labelled 0 and that maximum). Cells shrink as T grows (28 px at T <= 18, 4 px at T = 128,
    /// at least 2 px); beyond 80 tokens only every k-th label is drawn. Every cell has a tooltip
    /// (`<title>`: the two tokens and the value) up to 20,000 cells in all; larger figures are
    /// drawn as PNG rasters with one tooltip per row.
    public static func render(_ figure: HeatmapFigure, colorMap: HeatmapColorMap = .viridis) -> String {
        Layout(figure).svg(colorMap: colorMap)
    }

    // MARK: Text

    /// `s` with XML's special characters escaped and characters that XML 1.0 forbids removed
    /// (controls other than tab, line feed and carriage return, U+FFFE, U+FFFF); tabs and line
    /// breaks become spaces, since SVG text is one line.
    static func escaped(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 0x26: out += "&amp;"
            case 0x3C: out += "&lt;"
            case 0x3E: out += "&gt;"
            case 0x22: out += "&quot;"
            case 0x27: out += "&apos;"
            case 0x09, 0x0A, 0x0D: out += " "
            case 0..<0x20, 0x7F...0x9F, 0xFFFE, 0xFFFF: continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// At most `maxLabelCharacters` characters, the last one "…" when cut.
    static func shortened(_ s: String) -> String {
        s.count <= maxLabelCharacters ? s : String(s.prefix(maxLabelCharacters - 1)) + "…"
    }

    /// About three significant digits, short exponents: 0, 0.734, 12.3, 1.23e3, 4.5e-5.
    static func compact(_ v: Float) -> String {
        if v == 0 { return "0" }
        if !v.isFinite { return "\(v)" }
        var s = String(format: "%.3g", Double(v))
        if let e = s.firstIndex(of: "e") {
            var mantissa = String(s[..<e]), exponent = String(s[s.index(after: e)...])
            if mantissa.contains(".") {
                while mantissa.hasSuffix("0") { mantissa.removeLast() }
                if mantissa.hasSuffix(".") { mantissa.removeLast() }
            }
            let negative = exponent.hasPrefix("-")
            exponent = String(exponent.drop { $0 == "+" || $0 == "-" || $0 == "0" })
            s = mantissa + "e" + (negative ? "-" : "") + (exponent.isEmpty ? "0" : exponent)
        }
        return s
    }

    /// Coordinates: integers plainly, otherwise at most two decimals.
    static func num(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e9 { return String(Int(x)) }
        var s = String(format: "%.2f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// Rough width of `s` in a sans-serif font of `fontSize` px (average advance 0.55 em, a
    /// little wide for Helvetica and about right for DejaVu Sans).
    static func textWidth(_ s: String, fontSize: Double) -> Double {
        Double(s.count) * fontSize * 0.55
    }

    // MARK: Layout

    /// All positions of one figure, in px (the viewBox's units).
    struct Layout {
        let figure: HeatmapFigure
        let title: String, subtitle: String?, labels: [String]
        let T: Int
        /// Side of a cell; an integer so cell edges fall on pixel boundaries.
        let cell: Int
        /// Every `labelStride`-th label is drawn (1 up to 80 tokens).
        let labelStride: Int
        let tickFont: Double
        let labelExtent: Double
        /// x of each panel column's grid.
        let gridX: [Int]
        /// y of each row's grid.
        let gridY: [Int]
        /// Per row: centre of the rotated y-axis title.
        let yAxisTitleCentre: [Double]
        let raster: Bool
        let width: Double, height: Double
        static let yAxisTitle = "attending token i", xAxisTitle = "attended token j"

        static let pad = 16.0, titleFont = 15.0, subtitleFont = 11.0, panelTitleFont = 12.0, rowTitleFont = 13.0
        static let axisTitleFont = 11.0, barFont = 10.0, barWidth = 10.0, barGap = 10.0, panelGap = 28.0, rowGap = 18.0
        static let tickGap = 4.0
        static let emptyNote = "(no tokens to show)"

        /// The old single-row initialiser (tests use it for the label stride).
        init(title: String, subtitle: String?, labels: [String], panels: [HeatmapPanel]) {
            self.init(HeatmapFigure(title: title, subtitle: subtitle, labels: labels, rows: [HeatmapRow(title: nil, panels: panels)]))
        }

        init(_ figure: HeatmapFigure) {
            self.figure = figure
            title = figure.title
            subtitle = figure.subtitle
            labels = figure.labels.map { SVGHeatmap.shortened($0) }
            T = labels.count
            let rows = figure.rows
            let columns = rows.map(\.panels.count).max() ?? 0
            // 512 px of grid up to T = 128 (at most 28 px cells), then 2 px cells and more.
            let cell = T == 0 ? 28 : max(2, min(28, 512 / T))
            let stride = T <= SVGHeatmap.allLabelsUpTo ? 1 : max(2, (10 + cell - 1) / cell)
            let font = min(11, max(3.5, Double(cell * stride) * 0.8))
            let shown = labels.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
            (self.cell, labelStride, tickFont) = (cell, stride, font)
            raster = rows.reduce(0) { $0 + $1.panels.count } * T * T > SVGHeatmap.maxVectorCells
            labelExtent = shown.map { SVGHeatmap.textWidth($0, fontSize: font) }.max() ?? 0
            let pad = Self.pad
            let grid = Double(T * cell)

            // Left: y-axis title (rotated), y labels right-aligned against the first grid.
            let left = pad + Self.axisTitleFont * 1.2 + 8 + labelExtent + Self.tickGap
            var top = pad + Self.titleFont
            if subtitle != nil { top += Self.subtitleFont * 1.6 }
            let yTitleHalf = SVGHeatmap.textWidth(Self.yAxisTitle, fontSize: Self.axisTitleFont) / 2
            let below = Self.tickGap + labelExtent + 10 + Self.axisTitleFont
            var ys: [Int] = [], centres: [Double] = []
            var cursorY = top
            for row in rows {
                if row.title != nil { cursorY += Self.rowTitleFont * 1.6 }
                cursorY += Self.panelTitleFont * 2 + 6
                let y = Int(cursorY.rounded(.up))
                ys.append(y)
                let centre = max(Double(y) + grid / 2, Double(y) + yTitleHalf)
                centres.append(centre)
                cursorY = max(Double(y) + grid + below, centre + yTitleHalf) + Self.rowGap
            }
            gridY = ys
            yAxisTitleCentre = centres

            var xs: [Int] = []
            var cursor = left
            for p in 0..<columns {
                let column = rows.compactMap { $0.panels.count > p ? $0.panels[p] : nil }
                let barLabel = column.map { max(SVGHeatmap.textWidth(SVGHeatmap.compact(Self.maximum($0.matrix)), fontSize: Self.barFont),
                                                SVGHeatmap.textWidth("0", fontSize: Self.barFont)) }.max() ?? 0
                let barStuff = Self.barGap + Self.barWidth + 4 + barLabel
                // Titles are centred on the grid; on small grids they may be wider than it.
                let wide = column.map { max(SVGHeatmap.textWidth($0.title, fontSize: Self.panelTitleFont),
                                            SVGHeatmap.textWidth(Self.xAxisTitle, fontSize: Self.axisTitleFont)) }.max() ?? 0
                let overhang = max(0, wide / 2 - grid / 2)
                // The first panel's titles may reach over the empty space above/below the y labels.
                let shift = p == 0 ? max(0, overhang - (left - pad)) : overhang
                let x = Int((cursor + shift).rounded(.up))
                xs.append(x)
                cursor = Double(x) + grid + max(barStuff, overhang) + Self.panelGap
            }
            gridX = xs
            let contentRight = columns == 0 ? left : cursor - Self.panelGap
            let titleRight = pad + max(SVGHeatmap.textWidth(title, fontSize: Self.titleFont) * 1.15,
                                       SVGHeatmap.textWidth(subtitle ?? "", fontSize: Self.subtitleFont))
            var w = (max(contentRight, titleRight) + pad).rounded(.up)
            var bottom = cursorY - Self.rowGap
            if T == 0 || columns == 0 {
                // Nothing to draw but the titles and a note.
                bottom = top + Self.panelTitleFont * 2 + 6
                w = max(w, (pad * 2 + SVGHeatmap.textWidth(Self.emptyNote, fontSize: Self.panelTitleFont)).rounded(.up))
            }
            width = w
            height = (bottom + pad).rounded(.up)
        }

        /// Largest finite value (0 when there is none or all are negative).
        static func maximum(_ m: [Float]) -> Float {
            var best: Float = 0
            for v in m where v.isFinite && v > best { best = v }
            return best
        }

        func svg(colorMap: HeatmapColorMap) -> String {
            typealias S = SVGHeatmap
            let num = S.num
            var out = ""
            out.reserveCapacity(4096 + (raster ? T * 256 : figure.rows.count * 2 * T * T * 96))
            let gradientID = "heed-heatmap-\(colorMap.name.filter { $0.isLetter || $0.isNumber })"
            out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            out += "<svg xmlns=\"http://www.w3.org/2000/svg\"\(raster ? " xmlns:xlink=\"http://www.w3.org/1999/xlink\"" : "") version=\"1.1\" width=\"\(num(width))\" height=\"\(num(height))\""
            out += " viewBox=\"0 0 \(num(width)) \(num(height))\" font-family=\"\(S.fontFamily)\" fill=\"#222222\">\n"
            out += "<title>\(S.escaped(title))</title>\n"
            if let subtitle { out += "<desc>\(S.escaped(subtitle))</desc>\n" }
            out += "<defs>\n<linearGradient id=\"\(gradientID)\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n"
            let n = colorMap.anchors.count
            for k in 0..<n {
                let t = Double(k) / Double(n - 1)
                out += "<stop offset=\"\(num(t * 100))%\" stop-color=\"\(colorMap.hex(at: t))\"/>\n"
            }
            out += "</linearGradient>\n</defs>\n"
            out += "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(num(width))\" height=\"\(num(height))\" fill=\"#ffffff\"/>\n"

            // Figure title and subtitle.
            var y = Self.pad + Self.titleFont
            out += "<text class=\"figure-title\" x=\"\(num(Self.pad))\" y=\"\(num(y))\" font-size=\"\(num(Self.titleFont))\" font-weight=\"bold\">\(S.escaped(title))</text>\n"
            if let subtitle {
                y += Self.subtitleFont * 1.6
                out += "<text class=\"figure-subtitle\" x=\"\(num(Self.pad))\" y=\"\(num(y))\" font-size=\"\(num(Self.subtitleFont))\" fill=\"#555555\">\(S.escaped(subtitle))</text>\n"
            }
            guard T > 0, !gridX.isEmpty else {
                let noteY = y + Self.panelTitleFont * 2
                return out + "<text class=\"note\" x=\"\(num(Self.pad))\" y=\"\(num(noteY))\" font-size=\"\(num(Self.panelTitleFont))\" fill=\"#555555\">\(Self.emptyNote)</text>\n</svg>\n"
            }
            let highlighted = Set(figure.highlightedRows.filter { $0 >= 0 && $0 < T })
            let fullLabels = figure.labels.map(S.escaped)
            for (r, row) in figure.rows.enumerated() {
                out += "<g class=\"row\">\n"
                let gy = Double(gridY[r])
                if let rowTitle = row.title {
                    let ty = gy - Self.panelTitleFont * 2 - 6
                    out += "<text class=\"row-title\" x=\"\(num(Self.pad))\" y=\"\(num(ty))\" font-size=\"\(num(Self.rowTitleFont))\" font-weight=\"bold\">\(S.escaped(rowTitle))</text>\n"
                }
                out += yAxis(gy: gy, centre: yAxisTitleCentre[r], highlighted: highlighted)
                for (p, panel) in row.panels.enumerated() {
                    out += self.panel(panel, px: gridX[p], gy: gridY[r], gradientID: gradientID, colorMap: colorMap,
                                      fullLabels: fullLabels, highlighted: highlighted)
                }
                out += "</g>\n"
            }
            out += "</svg>\n"
            return out
        }

        /// The y axis of one row: title and labels left of its first panel (rows are shared).
        func yAxis(gy: Double, centre: Double, highlighted: Set<Int>) -> String {
            typealias S = SVGHeatmap
            let num = S.num
            var out = ""
            let x0 = Double(gridX[0])
            let yTitleX = Self.pad + Self.axisTitleFont
            out += "<text class=\"axis-title\" transform=\"translate(\(num(yTitleX)),\(num(centre))) rotate(-90)\" text-anchor=\"middle\" font-size=\"\(num(Self.axisTitleFont))\" fill=\"#444444\">attending token <tspan font-style=\"italic\">i</tspan></text>\n"
            out += "<g class=\"y-labels\" font-size=\"\(num(tickFont))\" text-anchor=\"end\" fill=\"#333333\">\n"
            for i in Swift.stride(from: 0, to: T, by: labelStride) {
                let cy = gy + (Double(i) + 0.5) * Double(cell) + 0.35 * tickFont
                let focus = highlighted.contains(i) ? " class=\"focus\" font-weight=\"bold\" fill=\"\(S.highlightColor)\"" : ""
                out += "<text x=\"\(num(x0 - Self.tickGap))\" y=\"\(num(cy))\"\(focus)>\(S.escaped(labels[i]))</text>\n"
            }
            return out + "</g>\n"
        }

        /// One panel: title, cells (rectangles with tooltips, or a PNG raster), focus outlines,
        /// x labels, axis title and colour bar.
        func panel(_ panel: HeatmapPanel, px: Int, gy gridTop: Int, gradientID: String, colorMap: HeatmapColorMap,
                   fullLabels: [String], highlighted: Set<Int>) -> String {
            typealias S = SVGHeatmap
            let num = S.num
            let pxd = Double(px), gy = Double(gridTop), grid = Double(T * cell)
            let maxValue = Self.maximum(panel.matrix)
            let scale = maxValue > 0 ? 1 / Double(maxValue) : 0
            var out = "<g class=\"panel\">\n"
            out += "<text class=\"panel-title\" x=\"\(num(pxd + grid / 2))\" y=\"\(num(gy - 8))\" text-anchor=\"middle\" font-size=\"\(num(Self.panelTitleFont))\">\(S.escaped(panel.title))</text>\n"
            func value(_ k: Int) -> Float? { k < panel.matrix.count && panel.matrix[k].isFinite ? panel.matrix[k] : nil }

            // Cells: no borders; crisp edges so neighbours meet without hairline seams.
            out += "<g class=\"cells\" shape-rendering=\"crispEdges\">\n"
            if raster {
                // One pixel per cell, 255 colour levels and grey for missing values.
                let levels = 255
                var palette = (0..<levels).map { k -> (UInt8, UInt8, UInt8) in colorMap.rgb(at: Double(k) / Double(levels - 1)) }
                palette.append((0xD0, 0xD0, 0xD0))
                var indices = [UInt8](repeating: UInt8(levels), count: T * T)
                for k in 0..<(T * T) {
                    if let v = value(k) { indices[k] = UInt8((min(max(Double(v) * scale, 0), 1) * Double(levels - 1)).rounded()) }
                }
                let png = PNGEncoder.indexed(width: T, height: T, indices: indices, palette: palette)
                out += "<image x=\"\(px)\" y=\"\(gridTop)\" width=\"\(T * cell)\" height=\"\(T * cell)\" preserveAspectRatio=\"none\""
                out += " style=\"image-rendering:pixelated;image-rendering:crisp-edges\" xlink:href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>\n"
                out += "</g>\n"
                // Tooltips per row: the attending token and what it attends to most.
                out += "<g class=\"row-tooltips\" fill=\"none\" pointer-events=\"all\">\n"
                for i in 0..<T {
                    var best: (Int, Float)? = nil
                    for j in 0..<T { if let v = value(i * T + j), best == nil || v > best!.1 { best = (j, v) } }
                    let tip = best.map { "\(fullLabels[i]): largest to \(fullLabels[$0.0]) (\(S.compact($0.1)))" } ?? fullLabels[i]
                    out += "<rect x=\"\(px)\" y=\"\(gridTop + i * cell)\" width=\"\(T * cell)\" height=\"\(cell)\"><title>\(tip)</title></rect>\n"
                }
                out += "</g>\n"
            } else {
                let side = String(cell)
                for i in 0..<T {
                    let cy = String(gridTop + i * cell)
                    for j in 0..<T {
                        let v = value(i * T + j)
                        let fill = v.map { colorMap.hex(at: Double($0) * scale) } ?? S.missingColor
                        let shown = v.map(S.compact) ?? "missing"
                        out += "<rect x=\"\(px + j * cell)\" y=\"\(cy)\" width=\"\(side)\" height=\"\(side)\" fill=\"\(fill)\"><title>\(fullLabels[i]) → \(fullLabels[j]): \(shown)</title></rect>\n"
                    }
                }
                out += "</g>\n"
            }
            out += "<rect class=\"frame\" x=\"\(num(pxd))\" y=\"\(num(gy))\" width=\"\(num(grid))\" height=\"\(num(grid))\" fill=\"none\" stroke=\"#888888\" stroke-width=\"0.5\"/>\n"
            for i in highlighted.sorted() {
                out += "<rect class=\"focus-row\" x=\"\(num(pxd - 1))\" y=\"\(num(gy + Double(i * cell) - 1))\" width=\"\(num(grid + 2))\" height=\"\(num(Double(cell) + 2))\" fill=\"none\" stroke=\"\(S.highlightColor)\" stroke-width=\"1.5\"/>\n"
            }

            // x axis: labels rotated to read upwards, ending just below the grid.
            out += "<g class=\"x-labels\" font-size=\"\(num(tickFont))\" text-anchor=\"end\" fill=\"#333333\">\n"
            for j in Swift.stride(from: 0, to: T, by: labelStride) {
                let cx = pxd + (Double(j) + 0.5) * Double(cell) + 0.35 * tickFont
                out += "<text transform=\"translate(\(num(cx)),\(num(gy + grid + Self.tickGap))) rotate(-90)\">\(S.escaped(labels[j]))</text>\n"
            }
            out += "</g>\n"
            let axisY = gy + grid + Self.tickGap + labelExtent + 10 + Self.axisTitleFont * 0.8
            out += "<text class=\"axis-title\" x=\"\(num(pxd + grid / 2))\" y=\"\(num(axisY))\" text-anchor=\"middle\" font-size=\"\(num(Self.axisTitleFont))\" fill=\"#444444\">attended token <tspan font-style=\"italic\">j</tspan></text>\n"

            // Colour bar: 0 at the bottom, the panel's maximum at the top.
            let bx = pxd + grid + Self.barGap
            out += "<g class=\"colorbar\" font-size=\"\(num(Self.barFont))\" fill=\"#333333\">\n"
            out += "<rect x=\"\(num(bx))\" y=\"\(num(gy))\" width=\"\(num(Self.barWidth))\" height=\"\(num(grid))\" fill=\"url(#\(gradientID))\" stroke=\"#888888\" stroke-width=\"0.5\"/>\n"
            let lx = bx + Self.barWidth + 3
            out += "<text class=\"colorbar-max\" x=\"\(num(lx))\" y=\"\(num(gy + 0.7 * Self.barFont))\">\(S.escaped(S.compact(maxValue)))</text>\n"
            out += "<text class=\"colorbar-min\" x=\"\(num(lx))\" y=\"\(num(gy + grid))\">0</text>\n"
            out += "</g>\n"
            return out + "</g>\n"
        }
    }
}

