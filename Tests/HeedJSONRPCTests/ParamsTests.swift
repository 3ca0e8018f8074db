import XCTest
@testable import HeedJSONRPC

final class ParamsTests: XCTestCase {
    private func params(_ text: String) throws -> RequestParams {
        try RequestParams(JSONParser.parse(text))
    }

    private func message(_ body: () throws -> Any?) -> String? {
        do {
            _ = try body()
            return nil
        } catch let e as InvalidParams {
            XCTAssertEqual(JSONRPCError(e).code, .invalidParams)
            return e.message
        } catch {
            return "unexpected \(error)"
        }
    }

    func testTypedAccess() throws {
        let p = try params(#"{"model":"minilm","layer":3,"layerF":2.0,"flag":true,"ratio":0.25,"layers":[0,1e0],"methods":["norm"],"focus":{"start":1,"end":4},"none":null}"#)
        XCTAssertEqual(try p.string("model"), "minilm")
        XCTAssertEqual(try p.int("layer"), 3)
        XCTAssertEqual(try p.int("layerF"), 2)
        XCTAssertEqual(try p.bool("flag"), true)
        XCTAssertEqual(try p.double("ratio"), 0.25)
        XCTAssertEqual(try p.intArray("layers"), [0, 1])
        XCTAssertEqual(try p.stringArray("methods"), ["norm"])
        let focus = try p.object("focus")
        XCTAssertEqual(try focus.int("start"), 1)
        XCTAssertEqual(try focus.int("end"), 4)
        XCTAssertNil(try p.optionalString("absent"))
        XCTAssertNil(try p.optionalInt("none"), "null reads as absent")
        XCTAssertNil(try p.optionalObject("none"))
        XCTAssertNil(try p.optionalIntArray("absent"))
        XCTAssertEqual(try p.optionalOneOf("model", ["minilm", "smollm2"]), "minilm")
        XCTAssertTrue(p.has("layer"))
        XCTAssertFalse(p.has("none"))
        XCTAssertEqual(try RequestParams(nil).object.count, 0)
    }

    func testWrongTypesNameTheFieldAndTheExpectedType() throws {
        let p = try params(#"{"text":5,"layer":"last","half":1.5,"flag":"yes","layers":[0,"x"],"focus":{"start":"a"},"huge":1e300,"heads":"some"}"#)
        XCTAssertEqual(message { try p.string("text") }, "Invalid params: `text` must be a string, not a number")
        XCTAssertEqual(message { try p.int("layer") }, "Invalid params: `layer` must be an integer, not a string")
        XCTAssertEqual(message { try p.optionalInt("half") }, "Invalid params: `half` must be an integer, not a number (1.5)")
        XCTAssertEqual(message { try p.int("huge") }, "Invalid params: `huge` must be an integer, not a number (1e+300)")
        XCTAssertEqual(message { try p.bool("flag") }, "Invalid params: `flag` must be a boolean, not a string")
        XCTAssertEqual(message { try p.intArray("layers") }, "Invalid params: `layers[1]` must be an integer, not a string")
        XCTAssertEqual(message { try p.object("focus").int("start") }, "Invalid params: `focus.start` must be an integer, not a string")
        XCTAssertEqual(message { try p.string("model") }, "Invalid params: missing `model` (a string)")
        XCTAssertEqual(message { try p.object("text") }, "Invalid params: `text` must be an object, not a number")
        XCTAssertEqual(message { try p.oneOf("heads", ["all", "mean"]) }, #"Invalid params: `heads` must be one of "all", "mean", not "some""#)
        XCTAssertEqual(message { try RequestParams(JSONParser.parse("[1]")) }, "Invalid params: params must be an object, not an array")
        XCTAssertEqual(p.invalid("layer", "must not be negative").field, "layer")
    }
}
