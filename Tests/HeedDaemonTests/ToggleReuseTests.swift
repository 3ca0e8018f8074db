@testable import HeedDaemon
import HeedJSONRPC
import XCTest

/// Issue 8: a first highlight runs one forward pass; toggles to other methods and layers on the
/// same text are computed from the cached taps and never run the model again.
final class ToggleReuseTests: XCTestCase {
    func testTogglesReuseTheFirstForwardPass() throws {
        let d = InProcessDaemon()
        try d.initialize()
        let text = "Attention weights alone can mislead the reader."
        func highlight(_ id: Int, method: String, layer: Int? = nil) throws -> JSONValue {
            let layerField = layer.map { #","layer":\#($0)"# } ?? ""
            return try d.result(id: id, sending: "heed/highlight",
                                params: #"{"model":"\#(TestModels.tiny)","text":"\#(text)","focus":{"start":0,"end":9},"method":"\#(method)"\#(layerField)}"#)
        }
        let before = ForwardPassCounter.value
        // The first request needs attention weights only; the toggles need every tap.
        _ = try highlight(1, method: "attention")
        XCTAssertEqual(ForwardPassCounter.value - before, 1, "the first highlight runs the model once")
        var id = 2
        for method in ["norm-summed", "norm", "attn-res", "attn-res-ln", "rollout", "norm-rollout"] {
            for layer in [nil, 0] {
                let r = try highlight(id, method: method, layer: layer)
                XCTAssertEqual(r["method"]?.stringValue, method)
                id += 1
            }
        }
        XCTAssertEqual(ForwardPassCounter.value - before, 1, "toggles are answered from the cached taps")
        _ = d.finish()
    }
}
