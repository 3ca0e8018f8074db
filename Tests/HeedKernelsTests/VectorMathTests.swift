import Foundation
import XCTest
@testable import HeedKernels

/// exp, erf, erfc, tanh on SIMD8 against Foundation (double, rounded) over dense ranges and
/// the extremes, measured in ulp of the float result.
final class VectorMathTests: XCTestCase {
    typealias V = SIMD8<Float>

    func worstUlp(_ xs: [Float], _ f: (V) -> V, _ g: (Double) -> Double) -> (ulp: Double, x: Float) {
        var worst = 0.0, at: Float = 0
        var i = 0
        while i < xs.count {
            var v = V()
            for l in 0..<8 { v[l] = xs[min(i + l, xs.count - 1)] }
            let y = f(v)
            for l in 0..<8 where i + l < xs.count {
                let e = ulpError(y[l], g(Double(xs[i + l])))
                if e > worst || e.isNaN { worst = e.isNaN ? .infinity : e; at = xs[i + l] }
            }
            i += 8
        }
        return (worst, at)
    }

    func dense(_ lo: Float, _ hi: Float, count: Int) -> [Float] {
        (0..<count).map { lo + (hi - lo) * Float($0) / Float(count - 1) }
    }

    let extremes: [Float] = [0, -0.0, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                             .leastNormalMagnitude, -.leastNormalMagnitude, .leastNonzeroMagnitude, 1e-30, -1e-30, 1e-8, -1e-8]

    func testExp() {
        let xs = dense(-110, 95, count: 80_001) + dense(-1, 1, count: 20_001) + extremes
            + [88.72, 88.7228, 88.73, -87.33, -87.34, -103.9, -104, -104.1, 89, -150]
        let (ulp, x) = worstUlp(xs, VectorMath.exp, Foundation.exp)
        print("accuracy: exp worst \(ulp) ulp at \(x)")
        XCTAssertLessThanOrEqual(ulp, 2, "exp worst \(ulp) ulp at \(x)")
        XCTAssertEqual(VectorMath.exp(V(repeating: -.infinity)), V())
        XCTAssertEqual(VectorMath.exp(V(repeating: .infinity)), V(repeating: .infinity))
        XCTAssertEqual(VectorMath.exp(V()), V(repeating: 1))
    }

    func testErf() {
        let xs = dense(-6, 6, count: 60_001) + dense(-0.01, 0.01, count: 2001) + dense(-12, 12, count: 2001) + extremes
            + [0.9, -0.9, 0.89999, 2.2, 2.19999, 10.5, 11]
        let (ulp, x) = worstUlp(xs, VectorMath.erf, Foundation.erf)
        print("accuracy: erf worst \(ulp) ulp at \(x)")
        XCTAssertLessThanOrEqual(ulp, 3, "erf worst \(ulp) ulp at \(x)")
    }

    func testErfc() {
        let xs = dense(-6, 10.1, count: 60_001) + dense(-0.01, 0.01, count: 2001) + extremes + [0.9, 2.2, 10, 10.5, 11]
        let (ulp, x) = worstUlp(xs, VectorMath.erfc, Foundation.erfc)
        print("accuracy: erfc worst \(ulp) ulp at \(x)")
        XCTAssertLessThanOrEqual(ulp, 4, "erfc worst \(ulp) ulp at \(x)")
    }

    func testTanh() {
        let xs = dense(-20, 20, count: 60_001) + dense(-1, 1, count: 20_001) + extremes + [0.625, -0.625, 0.62499, 9, 10, 11]
        let (ulp, x) = worstUlp(xs, VectorMath.tanh, Foundation.tanh)
        print("accuracy: tanh worst \(ulp) ulp at \(x)")
        XCTAssertLessThanOrEqual(ulp, 3, "tanh worst \(ulp) ulp at \(x)")
    }

    func testHorizontalReductions() {
        let v = V(3, -1, 7.5, 2, 0, -8, 1, 4)
        XCTAssertEqual(VectorMath.sum(v), 8.5)
        XCTAssertEqual(VectorMath.max(v), 7.5)
    }
}
