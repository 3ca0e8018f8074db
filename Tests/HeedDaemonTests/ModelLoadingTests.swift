import HeedJSONRPC
import XCTest

/// Model ids that do not resolve or do not load (protocol.md sections 4, 5.2, 9), and the model
/// registry seen through `heed/models`, `heed/loadModel` and `heed/unloadModel`.
final class ModelLoadingTests: XCTestCase {
    private var daemon: InProcessDaemon!

    override func setUpWithError() throws {
        daemon = InProcessDaemon()
        try daemon.initialize()
    }

    override func tearDown() {
        daemon = nil
    }

    private func expectStillServing(id: Int = 999, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertNotNil(try daemon.result(id: id, sending: "heed/models")["models"], file: file, line: line)
    }

    func testUnknownModelsAnswerWithTheCatalog() throws {
        let cases: [(String, String)] = [
            ("heed/tokenize", #"{"model":"no-such-model","text":"hi"}"#),
            ("heed/loadModel", #"{"model":"/nonexistent/dir"}"#),
            ("heed/analyze", #"{"model":"no-such-org/no-such-model","text":"hi","methods":["norm"]}"#),
            ("heed/highlight", #"{"model":"","text":"hi","focus":{"start":0,"end":0},"method":"norm"}"#),
        ]
        for (k, (method, params)) in cases.enumerated() {
            let r = try daemon.call(k + 1, method, params)
            XCTAssertError(r, .unknownModel, id: .int(k + 1))
            let catalog = r["error"]?["data"]?["catalog"]?.arrayValue?.compactMap(\.stringValue)
            XCTAssertEqual(catalog, ["minilm", "smollm2"], InProcessDaemon.text(r))
        }
        try expectStillServing()
    }

    func testTruncatedWeightsFailToLoadNamingTheFile() throws {
        for id in 1...2 {  // a failed load is not remembered as a success
            let r = try daemon.call(id, "heed/loadModel", #"{"model":"\#(TestModels.truncatedWeights)"}"#)
            XCTAssertError(r, .modelLoadFailed, id: .int(id), mentioning: ["model.safetensors"])
        }
        let r = try daemon.call(3, "heed/tokenize", #"{"model":"\#(TestModels.truncatedWeights)","text":"the cat"}"#)
        XCTAssertError(r, .modelLoadFailed, id: .int(3), mentioning: ["model.safetensors"])
        try expectStillServing()
    }

    func testIncompleteDirectoryNamesTheMissingFiles() throws {
        let r = try daemon.call(1, "heed/loadModel", #"{"model":"\#(TestModels.incomplete)"}"#)
        XCTAssertError(r, .modelLoadFailed, id: .int(1), mentioning: ["tokenizer.json", "safetensors"])
        try expectStillServing()
    }

    /// With a workDoneToken, `$/progress` begin and end come before the response, on success and on failure.
    func testLoadModelProgress() throws {
        daemon.request(1, "heed/loadModel", #"{"model":"\#(TestModels.tiny)","workDoneToken":"load-1"}"#)
        let info = try daemon.result(id: 1)
        daemon.request(2, "heed/loadModel", #"{"model":"\#(TestModels.truncatedWeights)","workDoneToken":22}"#)
        XCTAssertError(try daemon.response(id: .int(2)), .modelLoadFailed, id: .int(2))
        daemon.request(3, "heed/loadModel", #"{"model":"\#(TestModels.tiny)"}"#)  // no token: no progress
        _ = try daemon.result(id: 3)
        let (_, messages) = daemon.finish()

        func kinds(_ token: JSONValue, before id: Int) -> [String] {
            let end = messages.firstIndex { InProcessDaemon.id(of: $0) == .int(id) && $0["method"] == nil } ?? messages.count
            return messages[..<end].filter { $0["method"]?.stringValue == "$/progress" && $0["params"]?["token"] == token }
                .compactMap { $0["params"]?["value"]?["kind"]?.stringValue }
        }
        let all = messages.filter { $0["method"]?.stringValue == "$/progress" }
        for p in all {
            XCTAssertNil(p["id"], "a notification has no id")
            XCTAssertNotNil(p["params"]?["value"]?["kind"]?.stringValue)
        }
        XCTAssertEqual(kinds("load-1", before: 1).first, "begin")
        XCTAssertEqual(kinds("load-1", before: 1).last, "end")
        XCTAssertEqual(kinds("load-1", before: 1).filter { $0 != "report" }, ["begin", "end"])
        XCTAssertEqual(kinds(22, before: 2).filter { $0 != "report" }, ["begin", "end"])
        XCTAssertEqual(all.count, kinds("load-1", before: 1).count + kinds(22, before: 2).count, "no progress without a token")
        let begin = all.first { $0["params"]?["value"]?["kind"]?.stringValue == "begin" }
        XCTAssertNotNil(begin?["params"]?["value"]?["title"]?.stringValue)

        XCTAssertEqual(info["id"]?.stringValue, TestModels.tiny)
        XCTAssertEqual(info["family"]?.stringValue, "bert")
        XCTAssertEqual(info["loaded"], .bool(true))
        XCTAssertEqual(info["layers"]?.intValue, 2)
        XCTAssertEqual(info["heads"]?.intValue, 4)
        XCTAssertEqual(info["hidden"]?.intValue, 32)
        XCTAssertEqual(info["maxTokens"]?.intValue, 600)
        XCTAssertEqual(info["methods"]?.arrayValue?.compactMap(\.stringValue),
                       ["norm-summed", "attention", "attn-res-ln", "attn-res", "norm", "rollout", "norm-rollout",
                        "alti", "alti-rollout", "globenc", "value-zeroing"])
        XCTAssertEqual(info["causal"], .bool(false))
        XCTAssertEqual(info["source"]?.stringValue.map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                       URL(fileURLWithPath: TestModels.tiny).standardizedFileURL.path)
    }

    /// NaN or infinity in a result is a bug, reported as -32603 with the request's id.
    func testNonFiniteResultsAreInternalErrors() throws {
        let model = TestModels.nanWeights
        XCTAssertNotNil(try daemon.result(id: 1, sending: "heed/tokenize", params: #"{"model":"\#(model)","text":"the cat"}"#)["tokens"])
        XCTAssertError(try daemon.call(5, "heed/analyze", #"{"model":"\#(model)","text":"the cat","methods":["attention","rollout"]}"#),
                       .internalError, id: .int(5))
        XCTAssertError(try daemon.call(2, "heed/analyze", #"{"model":"\#(model)","text":"the cat","methods":["norm","attn-res-ln"]}"#),
                       .internalError, id: .int(2))
        XCTAssertError(try daemon.call(3, "heed/analyze", #"{"model":"\#(model)","text":"the cat","methods":["norm-summed"],"format":"base64"}"#),
                       .internalError, id: .int(3))
        XCTAssertError(try daemon.call(4, "heed/highlight", #"{"model":"\#(model)","text":"the cat","focus":{"start":0,"end":0},"method":"norm"}"#),
                       .internalError, id: .int(4))
        try expectStillServing()
    }

    func testModelsListsLoadedModelsUntilUnloaded() throws {
        func ids(_ id: Int) throws -> [String: JSONValue] {
            let models = try daemon.result(id: id, sending: "heed/models")["models"]?.arrayValue ?? []
            return Dictionary(models.map { ($0["id"]?.stringValue ?? "?", $0) }, uniquingKeysWith: { a, _ in a })
        }
        let before = try ids(1)
        XCTAssertNotNil(before["minilm"], "the catalog is always listed")
        XCTAssertEqual(before["minilm"]?["loaded"], .bool(false))
        XCTAssertNil(before[TestModels.tiny])

        _ = try daemon.result(id: 2, sending: "heed/loadModel", params: #"{"model":"\#(TestModels.tiny)"}"#)
        let loaded = try ids(3)
        XCTAssertEqual(loaded[TestModels.tiny]?["loaded"], .bool(true))
        XCTAssertEqual(loaded[TestModels.tiny]?["layers"]?.intValue, 2)

        XCTAssertEqual(try daemon.call(4, "heed/unloadModel", #"{"model":"\#(TestModels.tiny)"}"#)["result"], .null)
        XCTAssertNil(try ids(5)[TestModels.tiny])
        // Unloading what is not loaded is not an error; the model loads again on use.
        XCTAssertEqual(try daemon.call(6, "heed/unloadModel", #"{"model":"\#(TestModels.tiny)"}"#)["result"], .null)
        XCTAssertEqual(try daemon.call(7, "heed/unloadModel", #"{"model":"no-such-model"}"#)["result"], .null)
        XCTAssertNotNil(try daemon.result(id: 8, sending: "heed/tokenize", params: #"{"model":"\#(TestModels.tiny)","text":"the cat"}"#)["tokens"])
    }
}

extension InProcessDaemon {
    func result(id: Int, sending method: String, params: String, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        request(id, method, params)
        return try result(id: id, file: file, line: line)
    }
}
