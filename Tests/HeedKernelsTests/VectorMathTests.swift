import Foundation
import XCTest
@testable import HeedKernels
import HeedTestSupport

/// exp, erf, erfc, tanh of every kernel variant (its vector code, through
/// `Kernels.vectorFunction`) against Foundation (double, rounded) over dense ranges and the
/// extremes, measured in ulp of the float result.
final class VectorMathTests: XCTestCase {
    /// f applied by the active variant's vector code.
    func apply(_ f: VectorFunction, _ xs: [Float]) -> [Float] {
        var out = [Float](repeating: .nan, count: xs.count)
        Kernels.vectorFunction(f, xs, count: xs.count, into: &out)
        return out
    }

    func worstUlp(_ xs: [Float], _ f: VectorFunction, _ g: (Double) -> Double) -> (ulp: Double, x: Float) {
        var worst = 0.0, at: Float = 0
        let y = apply(f, xs)
        for i in xs.indices {
            let e = ulpError(y[i], g(Double(xs[i])))
            if e > worst || e.isNaN { worst = e.isNaN ? .infinity : e; at = xs[i] }
        }
        return (worst, at)
    }

    func dense(_ lo: Float, _ hi: Float, count: Int) -> [Float] {
        (0..<count).map { lo + (hi - lo) * Float($0) / Float(count - 1) }
    }

    let extremes: [Float] = [0, -0.0, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                             .leastNormalMagnitude, -.leastNormalMagnitude, .leastNonzeroMagnitude, 1e-30, -1e-30, 1e-8, -1e-8]

    func testExp() {
        forEachVariant { isa in
            let xs = dense(-110, 95, count: 80_001) + dense(-1, 1, count: 20_001) + extremes
                + [88.72, 88.7228, 88.73, -87.33, -87.34, -103.9, -104, -104.1, 89, -150]
            let (ulp, x) = worstUlp(xs, VectorFunction.exp, Foundation.exp)
            print("accuracy (\(isa)): exp worst \(ulp) ulp at \(x)")
            XCTAssertLessThanOrEqual(ulp, 2, "\(isa) exp worst \(ulp) ulp at \(x)")
            XCTAssertEqual(apply(.exp, [-.infinity, .infinity, 0]), [0, .infinity, 1])
    
        }
    }

    func testErf() {
        forEachVariant { isa in
            let xs = dense(-6, 6, count: 60_001) + dense(-0.01, 0.01, count: 2001) + dense(-12, 12, count: 2001) + extremes
                + [0.9, -0.9, 0.89999, 2.2, 2.19999, 10.5, 11]
            let (ulp, x) = worstUlp(xs, VectorFunction.erf, Foundation.erf)
            print("accuracy (\(isa)): erf worst \(ulp) ulp at \(x)")
            XCTAssertLessThanOrEqual(ulp, 3, "\(isa) erf worst \(ulp) ulp at \(x)")
    
        }
    }

    func testErfc() {
        forEachVariant { isa in
            let xs = dense(-6, 10.1, count: 60_001) + dense(-0.01, 0.01, count: 2001) + extremes + [0.9, 2.2, 10, 10.5, 11]
            let (ulp, x) = worstUlp(xs, VectorFunction.erfc, Foundation.erfc)
            print("accuracy (\(isa)): erfc worst \(ulp) ulp at \(x)")
            XCTAssertLessThanOrEqual(ulp, 4, "\(isa) erfc worst \(ulp) ulp at \(x)")
    
        }
    }

    func testTanh() {
        forEachVariant { isa in
            let xs = dense(-20, 20, count: 60_001) + dense(-1, 1, count: 20_001) + extremes + [0.625, -0.625, 0.62499, 9, 10, 11]
            let (ulp, x) = worstUlp(xs, VectorFunction.tanh, Foundation.tanh)
            print("accuracy (\(isa)): tanh worst \(ulp) ulp at \(x)")
            XCTAssertLessThanOrEqual(ulp, 3, "\(isa) tanh worst \(ulp) ulp at \(x)")
    
        }
    }

    func testTailLanesDoNotLeak() {
        // Lengths that end inside a vector: each element is its own function value.
        forEachVariant { isa in
            for n in [1, 7, 9, 17, 33] {
                let xs = (0..<n).map { Float($0) * 0.25 - 2 }
                XCTAssertEqual(apply(.tanh, xs), xs.map { apply(.tanh, [$0])[0] }, "\(isa) n \(n)")
            }
        }
    }
}
