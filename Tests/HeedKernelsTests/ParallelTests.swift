import Foundation
import XCTest
@testable import HeedKernels

final class ParallelTests: XCTestCase {
    func testForEachRunsEveryIndexOnce() {
        let n = 1000
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: n)
        counts.initialize(repeating: 0, count: n)
        defer { counts.deallocate() }
        Parallel.forEach(n) { counts[$0] += 1 }   // each index touched by one iteration only
        XCTAssertEqual((0..<n).map { counts[$0] }, [Int](repeating: 1, count: n))
    }

    func testNestedRegionsRunInline() {
        XCTAssertFalse(Parallel.isInsideParallelRegion)
        XCTAssertEqual(Parallel.availableThreads, Parallel.threadCount)
        let flags = UnsafeMutablePointer<Bool>.allocate(capacity: 8)
        flags.initialize(repeating: false, count: 8)
        defer { flags.deallocate() }
        Parallel.forEach(8) { i in
            // Nested: inline on this thread, and kernels see one available thread.
            var inner = 0
            Parallel.forEach(5) { _ in inner += 1 }
            flags[i] = inner == 5 && (Parallel.threadCount == 1 || Parallel.availableThreads == 1)
        }
        XCTAssertEqual((0..<8).map { flags[$0] }, [Bool](repeating: true, count: 8))
        XCTAssertFalse(Parallel.isInsideParallelRegion)
    }

    func testForRangesCoversEverything() {
        for (count, grain) in [(0, 1), (1, 1), (10, 100), (1001, 10), (7, 1)] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(1, count))
            hits.initialize(repeating: 0, count: max(1, count))
            Parallel.forRanges(count, grain: grain) { r in for i in r { hits[i] += 1 } }
            XCTAssertEqual((0..<count).map { hits[$0] }, [Int](repeating: 1, count: count), "count \(count)")
            hits.deallocate()
        }
    }

    func testPeakMeasurementIsPositive() {
        let g = Peak.measureGFLOPS(threads: 1, seconds: 0.01)
        XCTAssertGreaterThan(g, 0)
        XCTAssertTrue(g.isFinite)
    }
}
