import XCTest
@testable import HeedJSON

/// Whether a number is an integer is decided on its literal, never on the rounded Double
/// (issue 15: `1e-400` underflows to 0 but is not the integer 0).
final class NumberExactnessTests: XCTestCase {
    private func number(_ literal: String) throws -> JSONNumber {
        try XCTUnwrap(JSONParser.parse(literal).numberValue, literal)
    }

    func testIntegralLiterals() throws {
        let cases: [(String, Int)] = [
            ("0", 0), ("-0", 0), ("3", 3), ("2.0", 2), ("2.000", 2), ("1.5e1", 15), ("1500e-2", 15),
            ("0e-400", 0), ("0.0e-400", 0), ("-0.0", 0), ("1E2", 100), ("1e+2", 100), ("12345678900000000000e-10", 1_234_567_890),
            ("0.5e1", 5), ("9007199254740991.0", 9_007_199_254_740_991),
        ]
        for (literal, expected) in cases {
            let n = try number(literal)
            XCTAssertTrue(n.isIntegral, literal)
            XCTAssertEqual(n.exactInt, expected, literal)
            XCTAssertEqual(JSONValue.number(n).intValue, expected, literal)
        }
        XCTAssertFalse(try number("15e-1").isIntegral, "1.5")
    }

    func testNonIntegralLiterals() throws {
        for literal in ["0.5", "1e-400", "-1e-400", "1e-1", "1.000000000000000000001", "100000000000000000000.5",
                        "12345678901234567891e-1", "12345678901234567890e-10", "5e-324", "2.5", "1e-1000000000000"] {
            let n = try number(literal)
            XCTAssertFalse(n.isIntegral, literal)
            XCTAssertNil(n.exactInt, literal)
            XCTAssertNil(JSONValue.number(n).intValue, literal)
        }
        // 1e-400 is 0 as a Double and still no integer.
        XCTAssertEqual(try number("1e-400").double, 0)
    }

    func testHugeIntegralLiteralsAreNotInts() throws {
        // Integers, but beyond 2^53 as Doubles: no exact Int.
        for literal in ["1e300", "1e400", "9007199254740993.0", "9007199254740992.0"] {
            let n = try number(literal)
            XCTAssertTrue(n.isIntegral, literal)
            XCTAssertNil(n.exactInt, literal)
        }
    }
}
