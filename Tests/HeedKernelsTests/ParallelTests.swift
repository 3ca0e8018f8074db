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

    func testBackToBackRegionsAndGaps() {
        // Many short regions in a row (workers polling) and after pauses (workers asleep).
        let n = 16
        let sums = UnsafeMutablePointer<Int>.allocate(capacity: n)
        defer { sums.deallocate() }
        for round in 0..<300 {
            if round % 60 == 59 { usleep(2_000) }
            sums.initialize(repeating: 0, count: n)
            Parallel.forEach(n) { i in
                var s = 0
                for k in 0..<(100 * (i + 1)) { s &+= k }
                sums[i] = s
            }
            for i in 0..<n { XCTAssertEqual(sums[i], (100 * (i + 1)) * (100 * (i + 1) - 1) / 2) }
        }
    }

    func testConcurrentCallersBothComplete() {
        // Two threads start regions at once: one gets the workers, the other runs inline.
        let n = 64
        let a = UnsafeMutablePointer<Int>.allocate(capacity: n), b = UnsafeMutablePointer<Int>.allocate(capacity: n)
        a.initialize(repeating: 0, count: n); b.initialize(repeating: 0, count: n)
        defer { a.deallocate(); b.deallocate() }
        let group = DispatchGroup()
        for target in [a, b] {
            DispatchQueue.global().async(group: group) {
                for _ in 0..<50 { Parallel.forEach(n) { i in target[i] += 1 } }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        XCTAssertEqual((0..<n).map { a[$0] }, [Int](repeating: 50, count: n))
        XCTAssertEqual((0..<n).map { b[$0] }, [Int](repeating: 50, count: n))
    }

    func testPeakMeasurementIsPositive() {
        let g = Peak.measureGFLOPS(threads: 1, seconds: 0.01)
        XCTAssertGreaterThan(g, 0)
        XCTAssertTrue(g.isFinite)
    }
}
