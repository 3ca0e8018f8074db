import XCTest
@testable import HeedKernels

/// Deterministic uniform floats in [-scale/2, scale/2) (xorshift), so failures reproduce.
func randomFloats(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return (Float(state >> 40) / Float(1 << 24) - 0.5) * scale
    }
}

/// Distance between a float result and a double reference in units in the last place of the
/// reference rounded to float (denormal ulp for zero and denormals).
func ulpError(_ value: Float, _ reference: Double) -> Double {
    let r = Float(reference)
    if value == r { return 0 }
    if value.isInfinite || r.isInfinite { return value == r ? 0 : .infinity }
    let ulp = r.isZero ? Float.leastNonzeroMagnitude : r.ulp
    return abs(Double(value) - reference) / Double(ulp)
}

/// Asserts |actual - expected| <= tolerance[i] element-wise; reports the first mismatches
/// side by side and the largest difference.
func assertClose(_ actual: [Float], _ expected: [Float], tolerance: [Float], _ label: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
    var failures: [String] = []
    var maxDiff: Float = 0
    var failed = 0
    for i in 0..<min(actual.count, expected.count) {
        let d = abs(actual[i] - expected[i])
        maxDiff = max(maxDiff, d)
        if !(d <= tolerance[i]) {
            failed += 1
            if failures.count < 5 { failures.append("[\(i)] got \(actual[i]) want \(expected[i]) (tol \(tolerance[i]))") }
        }
    }
    if failed > 0 {
        XCTFail("\(label): \(failed) mismatches, maxdiff \(maxDiff): " + failures.joined(separator: "; "), file: file, line: line)
    }
}

/// True in an optimised test build (`-c release -Xswiftc -enable-testing`): bigger shapes.
var isOptimizedBuild: Bool {
    #if DEBUG
    return false
    #else
    return true
    #endif
}
