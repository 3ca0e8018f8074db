@testable import HeedDaemon
import HeedJSONRPC
import XCTest

/// Texts that are canonically equivalent but not the same scalars ("caf\u{E9}" and
/// "cafe\u{301}") are different texts to the daemon: Swift's String equality holds them equal, so
/// a cache keyed by it once answered the second with the first's spans (and crashed slicing them).
final class CanonicalEquivalenceTests: XCTestCase {
    func testCachesTellCanonicallyEquivalentTextsApart() throws {
        let d = InProcessDaemon()
        try d.initialize()
        func spans(_ id: Int, _ method: String, _ params: String) throws -> [[Int?]] {
            let r = try d.result(id: id, sending: method, params: params)
            return (r["tokens"]?.arrayValue ?? r["ranges"]?.arrayValue ?? []).map { [$0["start"]?.intValue, $0["end"]?.intValue] }
        }
        // utf-16 offsets: "caf\u{E9} x" has 6 units, "cafe\u{301} x" has 7.
        let composed = "caf\\u00e9 x", decomposed = "cafe\\u0301 x"
        let model = TestModels.tiny
        let a = try spans(1, "heed/tokenize", #"{"model":"\#(model)","text":"\#(composed)"}"#)
        let b = try spans(2, "heed/tokenize", #"{"model":"\#(model)","text":"\#(decomposed)"}"#)
        XCTAssertEqual(a.last { $0[0] != $0[1] }, [5, 6], "composed: x is at 5..<6")
        XCTAssertEqual(b.last { $0[0] != $0[1] }, [6, 7], "decomposed: x is at 6..<7")
        let h1 = try spans(3, "heed/highlight", #"{"model":"\#(model)","text":"\#(composed)","focus":{"start":0,"end":1},"method":"norm"}"#)
        let h2 = try spans(4, "heed/highlight", #"{"model":"\#(model)","text":"\#(decomposed)","focus":{"start":0,"end":1},"method":"norm"}"#)
        XCTAssertEqual(h1.compactMap { $0[1] }.max(), 6)
        XCTAssertEqual(h2.compactMap { $0[1] }.max(), 7)
        _ = d.finish()
    }
}
