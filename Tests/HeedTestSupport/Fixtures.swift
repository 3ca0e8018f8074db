import Foundation
import HeedCheckpoints
import HeedKernels
import XCTest

/// Locates Tests/Fixtures from this source file's path (works in any fresh clone).
public enum Fixtures {
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url.appendingPathComponent("Tests/Fixtures")
    }()

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    public static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: url(relative))
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CheckpointError(file: relative, problem: "not a JSON object")
        }
        return obj
    }
}

/// A comparison of two float arrays, llm.c style: max abs difference and the first mismatches.
public struct Comparison: CustomStringConvertible {
    public let maxAbsDiff: Float
    public let mismatches: [(index: Int, expected: Float, actual: Float)]
    public let count: Int

    /// Compares elementwise; a mismatch is |a - e| > tolerance (or either side non-finite).
    public init(expected: [Float], actual: [Float], tolerance: Float) {
        self.init(expected: expected, actual: actual, tolerances: [Float](repeating: tolerance, count: expected.count))
    }

    /// Compares elementwise with one tolerance per element: |a[i] - e[i]| > tolerances[i] is a mismatch.
    public init(expected: [Float], actual: [Float], tolerances: [Float]) {
        precondition(expected.count == actual.count, "sizes differ: \(expected.count) vs \(actual.count)")
        precondition(tolerances.count == expected.count, "one tolerance per element")
        var maxd: Float = 0
        var bad: [(Int, Float, Float)] = []
        for i in 0..<expected.count {
            let d = abs(expected[i] - actual[i])
            if !d.isFinite || d > tolerances[i] { if bad.count < 8 { bad.append((i, expected[i], actual[i])) } }
            if d.isFinite { maxd = max(maxd, d) } else { maxd = .infinity }
        }
        maxAbsDiff = maxd
        mismatches = bad
        count = expected.count
    }

    public var ok: Bool { mismatches.isEmpty }

    public var description: String {
        var s = "maxdiff \(maxAbsDiff) over \(count) values"
        for m in mismatches { s += "\n  [\(m.index)] expected \(m.expected) got \(m.actual)" }
        return s
    }
}

/// The one float-array assertion of the test suites: |actual[i] - expected[i]| <= tolerance for
/// every i, and equal counts. The labels say which side is which; a failure lists the first
/// mismatches side by side and the largest difference.
public func assertClose(actual: [Float], expected: [Float], tolerance: Float, _ label: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    assertClose(actual: actual, expected: expected, tolerances: [Float](repeating: tolerance, count: expected.count), label,
                file: file, line: line)
}

/// `assertClose` with one tolerance per element (e.g. relative to a reference's magnitude).
public func assertClose(actual: [Float], expected: [Float], tolerances: [Float], _ label: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(label): \(actual.count) actual values, \(expected.count) expected", file: file, line: line)
        return
    }
    let c = Comparison(expected: expected, actual: actual, tolerances: tolerances)
    if !c.ok { XCTFail("\(label): \(c.mismatches.count < 8 ? "" : "at least ")\(c.mismatches.count) mismatches, \(c)", file: file, line: line) }
}

extension Tensor {
    /// Rows `rows` of a (R, N) view, concatenated.
    public func selectingRows(_ rows: [Int]) -> [Float] {
        rows.flatMap { row($0) }
    }
}
