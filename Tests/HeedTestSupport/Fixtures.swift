import Foundation
import HeedCheckpoints
import HeedKernels

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
        precondition(expected.count == actual.count, "sizes differ: \(expected.count) vs \(actual.count)")
        var maxd: Float = 0
        var bad: [(Int, Float, Float)] = []
        for i in 0..<expected.count {
            let d = abs(expected[i] - actual[i])
            if !d.isFinite || d > tolerance { if bad.count < 8 { bad.append((i, expected[i], actual[i])) } }
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

extension Tensor {
    /// Rows `rows` of a (R, N) view, concatenated.
    public func selectingRows(_ rows: [Int]) -> [Float] {
        rows.flatMap { row($0) }
    }
}
