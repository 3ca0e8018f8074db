import Foundation
import HeedJSONRPC
import XCTest

/// Issue 15, item 3: numbers that are not exactly integers and nesting at the parser's limit.
final class NumbersAndNestingTests: XCTestCase {
    private var daemon: InProcessDaemon!
    private var model: String { TestModels.tiny }

    override func setUpWithError() throws {
        daemon = InProcessDaemon()
        try daemon.initialize()
    }

    override func tearDown() {
        _ = daemon.finish()
        daemon = nil
    }

    private func error(_ r: JSONValue) -> String { InProcessDaemon.text(r["error"] ?? .null) }

    /// `layer: 1e-400` is -32602 like `layer: 0.5`: the literal is no integer although its
    /// Double is 0.
    func testLayerThatIsNotExactlyAnIntegerIsInvalidParams() throws {
        let base = #""model":"\#(model)","text":"the cat","focus":{"start":4,"end":4},"method":"norm""#
        for (id, literal) in [(1, "1e-400"), (2, "-1e-400"), (3, "0.5")] {
            let r = try daemon.call(id, "heed/highlight", "{\(base),\"layer\":\(literal)}")
            XCTAssertError(r, .invalidParams, id: .int(id))
            XCTAssertEqual(error(r), #"{"code":-32602,"message":"Invalid params: `layer` must be an integer or \"last\""}"#, literal)
        }
        // An integral literal in another spelling is that integer.
        for (id, literal) in [(4, "1.0"), (5, "0.1e1"), (6, "10e-1")] {
            let r = try daemon.call(id, "heed/highlight", "{\(base),\"layer\":\(literal)}")
            XCTAssertEqual(r["result"]?["layer"]?.intValue, 1, literal)
        }
        let zero = try daemon.call(7, "heed/highlight", "{\(base),\"layer\":0e-400}")
        XCTAssertEqual(zero["result"]?["layer"]?.intValue, 0)
    }

    func testLayersEntryThatIsNotExactlyAnIntegerIsInvalidParams() throws {
        let base = #""model":"\#(model)","text":"the cat","methods":["norm-summed"]"#
        let under = try daemon.call(1, "heed/analyze", "{\(base),\"layers\":[0,1e-400]}")
        XCTAssertError(under, .invalidParams, id: .int(1))
        XCTAssertEqual(error(under), #"{"code":-32602,"message":"Invalid params: `layers[1]` must be an integer, not a number that is not exactly an integer (it rounds to 0.0)"}"#)
        let half = try daemon.call(2, "heed/analyze", "{\(base),\"layers\":[0.5]}")
        XCTAssertEqual(error(half), #"{"code":-32602,"message":"Invalid params: `layers[0]` must be an integer, not a number (0.5)"}"#)
        let ok = try daemon.call(3, "heed/analyze", "{\(base),\"layers\":[1e0]}")
        XCTAssertEqual(ok["result"]?["layers"]?.arrayValue?.compactMap { $0["layer"]?.intValue }, [1])
    }

    /// protocol.md 1.1: valid JSON nested deeper than 512 levels (arrays and objects, the
    /// request object counting as level 1) is answered -32700 with id null; 512 levels are fine.
    func testNestingLimitIs512Levels() throws {
        let head = #"{"jsonrpc":"2.0","id":1,"method":"heed/models","params":{"x":"#
        // Levels: the request object (1), params (2), then 510 arrays: 512 in all.
        let atLimit = head + String(repeating: "[", count: 510) + String(repeating: "]", count: 510) + "}}"
        daemon.send(atLimit)
        XCTAssertNotNil(try daemon.response(id: .int(1))["result"]?["models"])

        let over = head.replacingOccurrences(of: #""id":1"#, with: #""id":2"#)
            + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}}"
        daemon.send(over)
        let r = try daemon.response(id: nil)
        XCTAssertError(r, .parseError, id: nil)
        // The 513th container opens at the 511th '['.
        let offset = head.utf8.count + 510
        XCTAssertEqual(error(r), #"{"code":-32700,"message":"Parse error: invalid JSON at byte \#(offset): nesting deeper than 512 levels"}"#)
        XCTAssertNotNil(try daemon.result(id: 3, sending: "heed/models")["models"])
    }
}
