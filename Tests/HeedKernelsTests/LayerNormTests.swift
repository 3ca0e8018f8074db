import HeedTestSupport
import XCTest
@testable import HeedKernels

final class LayerNormTests: XCTestCase {
    func check(rows: Int, cols: Int, offset: Float, inPlace: Bool, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let x = randomFloats(rows * cols, seed: seed, scale: 6).map { $0 + offset }
        let gamma = randomFloats(cols, seed: seed + 1, scale: 4), beta = randomFloats(cols, seed: seed + 2)
        var ref = [Float](repeating: 0, count: x.count)
        Reference.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: 1e-12, out: &ref)
        var fast: [Float]
        if inPlace {
            fast = x
            fast.withUnsafeMutableBufferPointer { p in
                Kernels.layerNorm(p.baseAddress!, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: 1e-12, out: p.baseAddress!)
            }
        } else {
            fast = [Float](repeating: .nan, count: x.count)
            Kernels.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: 1e-12, out: &fast)
        }
        // Tolerance relative to the terms: |gamma| * (a few standard deviations) + |beta|.
        var tol = [Float](repeating: 0, count: x.count)
        for r in 0..<rows { for j in 0..<cols { tol[r * cols + j] = 1e-5 * (abs(gamma[j]) * 4 + abs(beta[j])) + 1e-7 } }
        assertClose(actual: fast, expected: ref, tolerances: tol, "layerNorm \(rows)x\(cols) offset \(offset) inPlace \(inPlace)", file: file, line: line)
    }

    func testShapesOffsetsAndInPlace() {
        forEachVariant { isa in
            var seed: UInt64 = 1
            for cols in [1, 7, 8, 16, 33, 384, 513] {
                for rows in [1, 7, 129] {
                    for offset: Float in [0, 1000] {
                        check(rows: rows, cols: cols, offset: offset, inPlace: seed % 2 == 0, seed: seed)
                        seed += 3
                    }
                }
            }

        }
    }

    func testConstantRowGivesBeta() {
        forEachVariant { isa in
            let cols = 12
            let x = [Float](repeating: 3.5, count: cols)
            let gamma = randomFloats(cols, seed: 3), beta = randomFloats(cols, seed: 4)
            var out = [Float](repeating: .nan, count: cols)
            Kernels.layerNorm(x, rows: 1, cols: cols, gamma: gamma, beta: beta, eps: 1e-5, out: &out)
            XCTAssertEqual(out, beta)

        }
    }

    /// beta nil (a LayerNorm without bias) is exactly beta = 0, on every row length (SIMD body and tail).
    func testWithoutBiasEqualsZeroBias() {
        forEachVariant { isa in
            var seed: UInt64 = 101
            for cols in [1, 7, 8, 16, 33, 384] {
                let rows = 5
                let x = randomFloats(rows * cols, seed: seed, scale: 6), gamma = randomFloats(cols, seed: seed + 1, scale: 4)
                let zeros = [Float](repeating: 0, count: cols)
                var none = [Float](repeating: .nan, count: x.count), zero = none, ref = none
                Kernels.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: nil, eps: 1e-12, out: &none)
                Kernels.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: zeros, eps: 1e-12, out: &zero)
                Reference.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: nil, eps: 1e-12, out: &ref)
                XCTAssertEqual(none, zero, "cols \(cols)")
                assertClose(actual: none, expected: ref, tolerances: gamma.map { 1e-5 * abs($0) * 4 + 1e-7 }.repeated(rows), "no bias, cols \(cols)")
                seed += 2
            }

        }
    }
}

private extension Array {
    /// The array `count` times over.
    func repeated(_ count: Int) -> [Element] { (0..<count).flatMap { _ in self } }
}
