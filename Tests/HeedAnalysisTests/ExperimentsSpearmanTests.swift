import Foundation
@testable import HeedAnalysis
import XCTest

/// Spearman's rho with average ranks, on cases with known answers.
final class ExperimentsSpearmanTests: XCTestCase {
    func testAverageRanksWithTies() {
        XCTAssertEqual(Spearman.averageRanks([10, 20, 20, 30]), [1, 2.5, 2.5, 4])
        XCTAssertEqual(Spearman.averageRanks([3, 1, 3, 3, 2]), [4, 1, 4, 4, 2])
        XCTAssertEqual(Spearman.averageRanks([5]), [1])
        XCTAssertEqual(Spearman.averageRanks([]), [])
    }

    func testPerfectCorrelations() throws {
        let x: [Float] = [0.1, 0.5, 0.2, 0.9, 0.7]
        // any increasing transform gives +1, any decreasing one -1
        XCTAssertEqual(try XCTUnwrap(Spearman.rho(x, x.map { $0 * $0 * $0 + 4 })), 1, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(Spearman.rho(x, x.map { -exp($0) })), -1, accuracy: 1e-12)
    }

    func testTiesByHand() throws {
        // ranks x = [1, 2.5, 2.5, 4], y = [1, 2, 3, 4]: cov 4.5, var 4.5 and 5 -> 4.5 / sqrt(22.5)
        XCTAssertEqual(try XCTUnwrap(Spearman.rho([1, 2, 2, 3], [1, 2, 3, 4])), 4.5 / 22.5.squareRoot(), accuracy: 1e-12)
        // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) (the example in scipy's documentation)
        XCTAssertEqual(try XCTUnwrap(Spearman.rho([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])), 0.8207826816681233, accuracy: 1e-12)
    }

    func testUndefinedCases() {
        XCTAssertNil(Spearman.rho([1, 2, 3], [4, 4, 4]), "a constant side has no correlation")
        XCTAssertNil(Spearman.rho([1], [2]))
        XCTAssertNil(Spearman.rho([], []))
        // non-finite pairs are left out
        XCTAssertEqual(Spearman.rho([1, .nan, 2, 3], [1, 5, 2, 3]) ?? 0, 1, accuracy: 1e-12)
    }

    func testSymmetricAndBounded() throws {
        var rng = SplitMix64(seed: 7)
        let x = (0..<200).map { _ in Float(rng.uniform(below: 20)) }   // many ties
        let y = (0..<200).map { _ in Float(rng.uniform(below: 1000)) / 7 }
        let a = try XCTUnwrap(Spearman.rho(x, y)), b = try XCTUnwrap(Spearman.rho(y, x))
        XCTAssertEqual(a, b, accuracy: 1e-12)
        XCTAssertLessThanOrEqual(abs(a), 1)
        XCTAssertEqual(try XCTUnwrap(Spearman.rho(x, y.map { -$0 })), -a, accuracy: 1e-12)
    }
}
