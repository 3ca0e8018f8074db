import Foundation
import HeedCheckpoints
import HeedKernels
import HeedModels
import HeedTestSupport
import XCTest

/// MiniLM (all-MiniLM-L6-v2) against transformers: token ids from the texts, hidden states
/// within 1e-4 and attention weights within 1e-5, from 1 to 512 tokens.
final class MiniLMParityTests: XCTestCase {
    func testForwardMatchesTransformers() throws {
        try Integration.requireEnabled()
        let model = try Integration.minilm.get()
        let manifest = try Fixtures.json("models/minilm/manifest.json")
        let expected = try SafeTensorsFile(url: Fixtures.url("models/minilm/expected.safetensors"))
        let summaryRows = manifest["summary_rows"] as! [Int]
        var checked = 0
        for case let c as [String: Any] in manifest["cases"] as! [Any] {
            let name = c["name"] as! String, ids = c["input_ids"] as! [Int]
            if let text = c["text"] as? String, (c["T"] as! Int) < 512 {
                XCTAssertEqual(model.tokenizer.encode(text).ids, ids, "\(name): token ids differ from transformers")
            }
            let result = try model.network.forward(ids, taps: .attention, isCancelled: { false })
            let full = (c["storage"] as! String) == "full"
            let T = ids.count
            for (l, h) in result.hiddenStates.enumerated() {
                let key = "\(name).hidden.\(l)"
                let (e, a) = full ? (try expected.tensor(key).data, h.data)
                                  : (try expected.tensor(key + ".rows").data, h.selectingRows(summaryRows.filter { $0 < T }))
                let cmp = Comparison(expected: e, actual: a, tolerance: 1e-4)
                XCTAssertTrue(cmp.ok, "\(key): \(cmp)")
            }
            for (l, taps) in result.layers.enumerated() {
                let alpha = taps.attention!
                let key = "\(name).attn.\(l)"
                var actual = alpha.data
                if !full {
                    actual = []
                    for hd in 0..<model.shape.heads {
                        for r in summaryRows where r < T { actual += alpha.data[((hd * T + r) * T)..<((hd * T + r + 1) * T)] }
                    }
                }
                let cmp = Comparison(expected: try expected.tensor(full ? key : key + ".rows").data, actual: actual, tolerance: 1e-5)
                XCTAssertTrue(cmp.ok, "\(key): \(cmp)")
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 5)
    }
}
