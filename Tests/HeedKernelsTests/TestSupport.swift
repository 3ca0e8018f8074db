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

/// True in an optimised test build (`-c release -Xswiftc -enable-testing`): bigger shapes.
var isOptimizedBuild: Bool {
    #if DEBUG
    return false
    #else
    return true
    #endif
}
