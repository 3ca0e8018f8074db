import XCTest
@testable import HeedKernels
import HeedTestSupport

/// `Kernels.altiContributions` of every variant against `Reference.altiContributions` on awkward
/// sizes (C not a multiple of the vector width, one head, one token), the causal skip, and keys
/// whose coefficients are all 0 giving exactly 0.
final class ALTIKernelTests: XCTestCase {
    func testMatchesReferenceOnAwkwardSizes() {
        forEachVariant { isa in
            var rng = SplitMix(seed: 7)
            for (T, NH, C) in [(1, 1, 1), (5, 3, 7), (9, 12, 33), (17, 4, 16), (10, 2, 384), (3, 6, 513)] {
                for causal in [false, true] {
                    let f = (0..<(T * NH * C)).map { _ in rng.float() }
                    var alpha = (0..<(NH * T * T)).map { _ in abs(rng.float()) }
                    // Key 0 of row T-1 masked in every head: exactly 0 out.
                    for h in 0..<NH { alpha[(h * T + T - 1) * T] = 0 }
                    let x = (0..<(T * C)).map { _ in rng.float() }, y = (0..<(T * C)).map { _ in 3 * rng.float() }
                    var got = [Float](repeating: -1, count: T * T), want = got
                    Kernels.altiContributions(f: f, alpha: alpha, x: x, y: y, T: T, NH: NH, C: C, causal: causal, into: &got, isa: isa)
                    Reference.altiContributions(f: f, alpha: alpha, x: x, y: y, T: T, NH: NH, C: C, causal: causal, into: &want)
                    for i in 0..<T {
                        let scale = y[(i * C)..<((i + 1) * C)].reduce(0) { $0 + abs($1) }
                        for j in 0..<T {
                            if causal && j > i {
                                XCTAssertEqual(got[i * T + j], -1, "\(isa) T\(T) NH\(NH) C\(C): j > i must not be written")
                                continue
                            }
                            XCTAssertEqual(got[i * T + j], want[i * T + j], accuracy: 1e-5 * max(1, scale),
                                           "\(isa) T\(T) NH\(NH) C\(C) causal \(causal) [\(i), \(j)]")
                        }
                    }
                    if T > 1 { XCTAssertEqual(got[(T - 1) * T], 0, "\(isa): a key with all coefficients 0 gives exactly 0") }
                }
            }
        }
    }
}

/// A small deterministic generator (values in [-1, 1)).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}
