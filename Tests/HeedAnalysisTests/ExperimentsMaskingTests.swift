@testable import HeedAnalysis
import XCTest

/// SplitMix64 and the EMNLP 2021 masking rule.
final class ExperimentsMaskingTests: XCTestCase {
    func testSplitMix64ReferenceOutputs() {
        // Vigna's splitmix64.c: the first outputs for seeds 0 and 1234567.
        var a = SplitMix64(seed: 0)
        XCTAssertEqual([a.next(), a.next(), a.next()], [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var b = SplitMix64(seed: 1_234_567)
        XCTAssertEqual(b.next(), 6_457_827_717_110_365_317)
    }

    func testUniformStaysInRangeAndCoversIt() {
        var rng = SplitMix64(seed: 42)
        var seen = Set<Int>()
        for _ in 0..<2000 {
            let v = rng.uniform(below: 7)
            XCTAssertTrue((0..<7).contains(v))
            seen.insert(v)
        }
        XCTAssertEqual(seen.count, 7)
        XCTAssertEqual(rng.uniform(below: 1), 0)
    }

    func testMaskCountFollowsTheAuthors() {
        // max(1, int(0.12 * n)), capped at n
        let cases: [(Int, Int)] = [(0, 0), (1, 1), (8, 1), (9, 1), (16, 1), (17, 2), (25, 3), (50, 6), (100, 12)]
        for (n, k) in cases { XCTAssertEqual(Masking.maskCount(candidates: n, rate: 0.12), k, "n = \(n)") }
        XCTAssertEqual(Masking.maskCount(candidates: 10, rate: 1), 10)
        XCTAssertEqual(Masking.maskCount(candidates: 10, rate: 0), 1)
    }

    func testMaskKeepsSpecialTokensAndIsReproducible() {
        let ids = Array(100..<140)
        var special = [Bool](repeating: false, count: ids.count)
        special[0] = true; special[39] = true; special[20] = true
        var rng1 = SplitMix64(seed: 3), rng2 = SplitMix64(seed: 3)
        let m1 = Masking.mask(ids, special: special, rate: 0.3, maskID: 7, rng: &rng1)
        let m2 = Masking.mask(ids, special: special, rate: 0.3, maskID: 7, rng: &rng2)
        XCTAssertEqual(m1.positions, m2.positions)
        XCTAssertEqual(m1.positions.count, Int(37 * 0.3))
        XCTAssertEqual(Set(m1.positions).count, m1.positions.count)
        for p in m1.positions { XCTAssertFalse(special[p]); XCTAssertEqual(m1.ids[p], 7) }
        for i in ids.indices where !m1.positions.contains(i) { XCTAssertEqual(m1.ids[i], ids[i]) }
        var rng3 = SplitMix64(seed: 4)
        XCTAssertNotEqual(Masking.mask(ids, special: special, rate: 0.3, maskID: 7, rng: &rng3).positions, m1.positions)
    }

    /// Positions from an independent Python transcription of the documented algorithm
    /// (SplitMix64, rejection-sampled modulo, partial Fisher-Yates), one stream for three sequences.
    func testMaskPositionsMatchTheDocumentedAlgorithm() {
        var rng = SplitMix64(seed: 0)
        func run(_ n: Int, _ rate: Double) -> [Int] {
            var special = [Bool](repeating: false, count: n)
            special[0] = true; special[n - 1] = true
            return Masking.mask(Array(repeating: 5, count: n), special: special, rate: rate, maskID: 1, rng: &rng).positions
        }
        XCTAssertEqual(run(20, 0.12), [8, 14])
        XCTAssertEqual(run(40, 0.12), [3, 18, 20, 34])
        XCTAssertEqual(run(12, 0.5), [3, 4, 6, 9, 10])
    }
}
