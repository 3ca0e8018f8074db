import Foundation
@testable import HeedDaemon
import HeedAnalysis
import HeedJSONRPC
import HeedModels
import XCTest

/// Issue 15: a request's forward/analysis/response working set is counted against
/// `--max-memory` before it is allocated (protocol.md, section 1).
final class WorkingSetTests: XCTestCase {
    static let miniLM = ModelDimensions(layers: 6, heads: 12, hidden: 384, intermediate: 1536)
    static let four: [AnalysisMethod] = [.attention, .norm, .normSummed, .attnResLn]

    /// protocol.md's formula at T = 400 on MiniLM's shape, each part written out.
    func testAnalyzeWorkingSetFollowsTheDocumentedFormula() {
        let T = 400, L = 6, NH = 12, C = 384, I = 1536
        let all = RequestWorkingSet.analyze(tokens: T, textUTF8Bytes: 2000, options: AnalyzeOptions(methods: Self.four, layers: nil, meanOverHeads: false, granularity: .token),
                                            format: .base64, Self.miniLM)
        XCTAssertEqual(all.text, 160 * 2000)
        XCTAssertEqual(all.forward, 4 * ((L + 1) * T * C + L * (4 * T * C + NH * T * T)) + 256 + 4 * T * (8 * C + I))
        XCTAssertEqual(all.forward, 72_499_456)
        XCTAssertEqual(all.analysis, 4 * (L * (NH * T * T + NH * T * T + T * T + T * T) + NH * T * C + 4 * T * C + NH * T * T))
        let base64 = { (n: Int) in 4 * ((4 * n + 2) / 3) + 96 }
        XCTAssertEqual(all.response, 4096 + 160 * T + L * (2 * base64(NH * T * T) + 2 * base64(T * T)))
        XCTAssertEqual(all.total, 323_360_288)
        let mean = RequestWorkingSet.analyze(tokens: T, textUTF8Bytes: 2000, options: AnalyzeOptions(methods: Self.four, layers: nil, meanOverHeads: true, granularity: .token),
                                             format: .nested, Self.miniLM)
        XCTAssertEqual(mean.response, 4096 + 160 * T + L * 4 * (18 * T * T + 64))
        XCTAssertEqual(mean.total, 174_879_488)
        // Two layers of one method: a repeated method or layer counts once.
        let some = RequestWorkingSet.analyze(tokens: 128, textUTF8Bytes: 500, options: AnalyzeOptions(methods: [.attention, .attention], layers: [0, 5, 5], meanOverHeads: true, granularity: .token),
                                             format: .nested, Self.miniLM)
        XCTAssertEqual(some.analysis, 4 * 2 * 128 * 128)
        XCTAssertEqual(some.response, 4096 + 160 * 128 + 2 * (18 * 128 * 128 + 64))
    }

    func testHighlightWorkingSetFollowsTheDocumentedFormula() {
        let T = 400, NH = 12, C = 384
        let h = RequestWorkingSet.highlight(tokens: T, textUTF8Bytes: 2000, method: .normSummed, Self.miniLM)
        XCTAssertEqual(h.forward, 72_499_456)
        XCTAssertEqual(h.analysis, 4 * (T * T + NH * T * C + 4 * T * C + NH * T * T) + 4 * T * T + 24 * T)
        XCTAssertEqual(h.response, 4096 + 100 * T)
        XCTAssertEqual(h.total, 91_663_552)
        // attention needs no decomposition.
        XCTAssertEqual(RequestWorkingSet.highlight(tokens: T, textUTF8Bytes: 2000, method: .attention, Self.miniLM).analysis, 4 * T * T + 4 * T * T + 24 * T)
    }

    /// SmolLM2's shape at T = 2048: every layer's taps would be 4.9 GB, so the pass is streamed
    /// and the forward term holds one layer's taps and attention scratch (protocol.md, section 1);
    /// at T = 256 the taps are kept, as for MiniLM.
    func testStreamedForwardFollowsTheDocumentedFormula() {
        let smol = ModelDimensions(layers: 30, heads: 9, hidden: 576, intermediate: 1536)
        let L = 30, NH = 9, C = 576, I = 1536
        for T in [256, 2048] {
            let h = RequestWorkingSet.highlight(tokens: T, textUTF8Bytes: 9000, method: .normSummed, smol)
            let streamed = 4 * L * (NH * T * T + 4 * T * C) > 256 << 20
            XCTAssertEqual(streamed, T == 2048)
            let layersHeld = streamed ? 1 : L
            XCTAssertEqual(h.forward, 4 * ((L + 1) * T * C + layersHeld * (4 * T * C + NH * T * T)) + 256 + 4 * T * (8 * C + I)
                                      + (streamed ? 4 * NH * T * T : 0))
            let rollout = RequestWorkingSet.highlight(tokens: T, textUTF8Bytes: 9000, method: .normRollout, smol)
            XCTAssertEqual(rollout.analysis, 4 * ((streamed ? 3 : L + 1) * T * T + NH * T * C + 4 * T * C + NH * T * T) + 4 * T * T + 24 * T)
        }
        // Under the default --max-memory 2G less SmolLM2's ~100 MB of weights.
        XCTAssertLessThan(RequestWorkingSet.highlight(tokens: 2048, textUTF8Bytes: 9000, method: .normRollout, smol).total, 1 << 30)
    }

    /// Reserving evicts least recently used cached results down to what the reservations leave
    /// (at most the cache's quarter); giving it back restores the cache's limit.
    func testCachedResultsAreEvictedToAdmitARequest() throws {
        let cache = ResultCache(budget: 1000)
        let pool = WorkingSetPool(budget: 1000, cacheLimit: 250, cache: cache, weights: { 400 })
        XCTAssertEqual(pool.capacity, 600)
        for k in 0..<5 { cache.put("k\(k)", k, bytes: 50) }
        XCTAssertEqual(cache.byteCount, 250)
        _ = cache.get("k0", as: Int.self)  // k0 is now the most recently used
        try pool.reserve(400, what: "test", isCancelled: { false })
        XCTAssertEqual(pool.reservedBytes, 400)
        XCTAssertEqual(cache.budget, 200)
        XCTAssertEqual(cache.byteCount, 200)
        XCTAssertNil(cache.get("k1", as: Int.self))
        XCTAssertEqual(cache.get("k0", as: Int.self), 0)
        try pool.reserve(150, what: "test", isCancelled: { false })
        XCTAssertEqual(cache.budget, 50)
        XCTAssertEqual(cache.byteCount, 50)
        pool.release(550)
        XCTAssertEqual(pool.reservedBytes, 0)
        XCTAssertEqual(cache.budget, 250)
        XCTAssertEqual(cache.byteCount, 50)
    }

    /// A working set beyond what the weights leave is refused at once, nothing evicted; one that
    /// fits alone but not next to another waits (cancelled while waiting: cancelled).
    func testAWorkingSetBeyondTheCapacityIsRefusedAndOneThatMustWaitCanBeCancelled() throws {
        let cache = ResultCache(budget: 1000)
        let pool = WorkingSetPool(budget: 1000, cacheLimit: 250, cache: cache, weights: { 400 })
        cache.put("a", 1, bytes: 100)
        XCTAssertThrowsError(try pool.reserve(601, what: "analyzing 9 tokens", isCancelled: { false })) { e in
            XCTAssertEqual(e as? WorkingSetTooLarge, WorkingSetTooLarge(neededBytes: 601, budgetBytes: 600, what: "analyzing 9 tokens"))
        }
        XCTAssertEqual(cache.byteCount, 100)
        XCTAssertEqual(pool.reservedBytes, 0)
        try pool.reserve(600, what: "alone", isCancelled: { false })
        XCTAssertEqual(cache.byteCount, 0)
        XCTAssertThrowsError(try pool.reserve(1, what: "second", isCancelled: { true })) { e in
            guard case ForwardError.cancelled? = e as? ForwardError else { return XCTFail("\(e)") }
        }
        // Given back by the first, the waiting one gets in.
        let admitted = expectation(description: "admitted")
        DispatchQueue.global().async {
            try? pool.reserve(300, what: "waiting", isCancelled: { false })
            admitted.fulfill()
        }
        pool.release(600)
        wait(for: [admitted], timeout: 30)
        XCTAssertEqual(pool.reservedBytes, 300)
    }

    /// Through the daemon (tiny model: 2 layers, 4 heads, hidden 32, intermediate 37): an
    /// analysis whose working set cannot fit next to the weights is -32015 with exact data; a
    /// smaller one is answered.
    func testAnAnalysisBeyondTheBudgetIsRefusedWithExactData() throws {
        var o = InProcessDaemon.options()
        o.maxMemoryBytes = 16 << 20
        let daemon = InProcessDaemon(options: o)
        try daemon.initialize()
        let text = String(repeating: "the cat ", count: 149)  // 298 words: 300 tokens, 1192 bytes
        XCTAssertEqual(try daemon.result(id: 1, sending: "heed/tokenize", params: #"{"model":"\#(TestModels.tiny)","text":"\#(text)"}"#)["tokens"]?.arrayValue?.count, 300)
        let weights = daemon.server.registry.weightBytes
        XCTAssertGreaterThan(weights, 0)
        let r = try daemon.call(2, "heed/analyze", #"{"model":"\#(TestModels.tiny)","text":"\#(text)","methods":["attention","norm"]}"#)
        XCTAssertError(r, .requestTooLarge, id: .int(2))
        // text 160 x 1192; forward 4 x (3 x 300 x 32 + 2 x (4 x 300 x 32 + 4 x 300^2)) + 256 + 4 x 300 x (8 x 32 + 37);
        // analysis 4 x (2 x (4 + 4) x 300^2 + 4 x 300 x 32 + 4 x 300 x 32 + 4 x 300^2);
        // response 4096 + 160 x 300 + 2 x 2 x (18 x 4 x 300^2 + 64).
        XCTAssertEqual(r["error"]?["data"], .object(JSONObject([("neededBytes", .number(JSONNumber(37_324_528))), ("budgetBytes", .number(JSONNumber((16 << 20) - weights)))])))
        XCTAssertEqual(r["error"]?["message"]?.stringValue,
                       "request too large: analyzing 300 tokens needs about 37324528 bytes of working memory; one request may use \((16 << 20) - weights) (a share of --max-memory)")
        // Heads mean, base64, attention only: 5,577,264 bytes, answered; nothing is held after it.
        let ok = try daemon.result(id: 3, sending: "heed/analyze", params: #"{"model":"\#(TestModels.tiny)","text":"\#(text)","methods":["attention"],"heads":"mean","format":"base64"}"#)
        XCTAssertEqual(ok["layers"]?.arrayValue?.count, 2)
        _ = daemon.finish()
        XCTAssertEqual(daemon.server.workingSets.reservedBytes, 0)
    }
}
