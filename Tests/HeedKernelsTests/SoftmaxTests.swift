import HeedTestSupport
import XCTest
@testable import HeedKernels

final class SoftmaxTests: XCTestCase {
    func check(rows: Int, cols: Int, scale: Float, mask: [Float]?, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let x = randomFloats(rows * cols, seed: seed, scale: 20)
        var fast = x, ref = x
        if let mask {
            mask.withUnsafeBufferPointer { m in
                Kernels.softmaxRows(&fast, rows: rows, cols: cols, scale: scale, maskAdd: m.baseAddress)
                Reference.softmaxRows(&ref, rows: rows, cols: cols, scale: scale, maskAdd: m.baseAddress)
            }
        } else {
            Kernels.softmaxRows(&fast, rows: rows, cols: cols, scale: scale)
            Reference.softmaxRows(&ref, rows: rows, cols: cols, scale: scale)
        }
        assertClose(actual: fast, expected: ref, tolerances: ref.map { 4e-6 * $0 + 1e-37 }, "softmax \(rows)x\(cols)", file: file, line: line)
        for r in 0..<rows where mask.map({ $0.contains { $0 != -.infinity } }) ?? true {
            let s = fast[(r * cols)..<((r + 1) * cols)].reduce(0, +)
            XCTAssertEqual(s, 1, accuracy: 1e-5, "row \(r) sums to 1", file: file, line: line)
        }
    }

    func testRowsOfAnyLength() {
        forEachVariant { isa in
            var seed: UInt64 = 1
            for cols in [1, 7, 8, 9, 33, 129, 513] {
                for rows in [1, 3, 129] {
                    check(rows: rows, cols: cols, scale: 0.17, mask: nil, seed: seed)
                    seed += 1
                }
            }

        }
    }

    func testMasksWithInfinityAndLargeNegatives() {
        forEachVariant { isa in
            for cols in [5, 16, 33, 130] {
                var mask = [Float](repeating: 0, count: cols)
                for j in stride(from: 1, to: cols, by: 3) { mask[j] = -.infinity }
                if cols > 4 { mask[cols - 1] = -1e9; mask[2] = -10_000 }
                check(rows: 9, cols: cols, scale: 0.5, mask: mask, seed: UInt64(cols))
                // Masked columns get exactly zero weight.
                var x = randomFloats(2 * cols, seed: 77)
                Kernels.softmaxRows(&x, rows: 2, cols: cols, maskAdd: mask)
                for r in 0..<2 { for j in 0..<cols where mask[j] == -.infinity { XCTAssertEqual(x[r * cols + j], 0) } }
            }

        }
    }

    func testFullyMaskedRowsBecomeZeros() {
        forEachVariant { isa in
            for cols in [1, 8, 21] {
                let mask = [Float](repeating: -.infinity, count: cols)
                var x = randomFloats(4 * cols, seed: 5)
                Kernels.softmaxRows(&x, rows: 4, cols: cols, scale: 1, maskAdd: mask)
                XCTAssertEqual(x, [Float](repeating: 0, count: 4 * cols))
                check(rows: 4, cols: cols, scale: 1, mask: mask, seed: 6)
            }
            // A row that is all -inf before the mask.
            var x = [Float](repeating: -.infinity, count: 10)
            Kernels.softmaxRows(&x, rows: 1, cols: 10)
            XCTAssertEqual(x, [Float](repeating: 0, count: 10))

        }
    }

    func testLargeValuesDoNotOverflow() {
        forEachVariant { isa in
            var x: [Float] = [1e30, 1e30, -1e30, 80, 0, 1e30, 3e38, 3e38, 1, 2]
            Kernels.softmaxRows(&x, rows: 1, cols: 10)
            XCTAssertEqual(x[6], 0.5, accuracy: 1e-6)
            XCTAssertEqual(x[7], 0.5, accuracy: 1e-6)
            XCTAssertEqual(x[0], 0)

        }
    }

    func testManyRowsUseThreads() {
        forEachVariant { isa in
            // rows * cols well above the parallel grain.
            check(rows: 200, cols: 300, scale: 0.125, mask: nil, seed: 99)

        }
    }
}

final class SoftmaxNaNTests: XCTestCase {
    /// A NaN score makes its whole row NaN (PyTorch's behaviour), never a zero row.
    func testNaNPoisonsTheRow() {
        forEachVariant { isa in
            for n in [3, 8, 13] {
                var row = [Float](repeating: 0.5, count: n)
                row[n / 2] = .nan
                row.withUnsafeMutableBufferPointer { Kernels.softmaxRows($0.baseAddress!, rows: 1, cols: n) }
                XCTAssertTrue(row.allSatisfy { $0.isNaN }, "n=\(n): \(row)")
                var allNaN = [Float](repeating: .nan, count: n)
                allNaN.withUnsafeMutableBufferPointer { Kernels.softmaxRows($0.baseAddress!, rows: 1, cols: n) }
                XCTAssertTrue(allNaN.allSatisfy { $0.isNaN }, "n=\(n)")
            }

        }
    }
}
