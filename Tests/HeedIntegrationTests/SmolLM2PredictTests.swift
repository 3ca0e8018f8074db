// Next-token prediction with the real SmolLM2-135M-Instruct GGUF (catalog smollm2): `heed
// predict`, the daemon's `heed/predict` and `heed/highlight`'s `predict`, against transformers
// loading the same GGUF (dequantised to f32). The reference numbers below come from
// (torch 2.15.0, transformers 5.23.0, gguf 0.19.0; /tmp/perf-venv):
//
//   python -c '
//   import os, torch; from transformers import AutoTokenizer, AutoModelForCausalLM
//   d = os.path.expanduser("~/.cache/heed/smollm2/0.1.2"); f = "SmolLM2-135M-Instruct.Q4_1.gguf"
//   tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
//   model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, torch_dtype=torch.float32).eval()
//   for text in ["The capital of France is", "Hello"]:
//       enc = tok(text, return_tensors="pt")
//       with torch.no_grad(): logits = model(**enc).logits[0, -1].double()
//       p = torch.softmax(logits, -1); top = torch.topk(logits, 5)
//       print(enc["input_ids"][0].tolist(), [(int(i), tok.decode([int(i)]), float(p[i]), float(logits[i])) for i in top.indices])'
//
// "The capital of France is" -> ids [504, 3575, 282, 4649, 314] (no BOS); top 5:
//   (7042, " Paris", 0.7725324917, 17.3712654), (260, " the", 0.0645219317, 14.8885965),
//   (4528, " London", 0.0124707588, 13.2449780), (2250, " Le", 0.0098539552, 13.0094643),
//   (1315, " New", 0.0092991757, 12.9515171)
// "Hello" -> ids [19556]; top 5: (29, "-", 0.4561725679, 27.7903156), (28, ",", 0.0894661214,
//   26.1613045), (198, "\n", 0.0394696162, 25.3429756), (79, "_", 0.0348601939, 25.2187901),
//   (284, " and", 0.0256053045, 24.9102440)

import Foundation
import HeedJSONRPC
import XCTest

final class SmolLM2PredictTests: XCTestCase {
    struct Expected { let id: Int; let text: String; let probability: Double; let logit: Double }
    static let france: [Expected] = [
        Expected(id: 7042, text: " Paris", probability: 0.7725324917, logit: 17.3712654),
        Expected(id: 260, text: " the", probability: 0.0645219317, logit: 14.8885965),
        Expected(id: 4528, text: " London", probability: 0.0124707588, logit: 13.2449780),
        Expected(id: 2250, text: " Le", probability: 0.0098539552, logit: 13.0094643),
        Expected(id: 1315, text: " New", probability: 0.0092991757, logit: 12.9515171),
    ]
    static let hello: [Expected] = [
        Expected(id: 29, text: "-", probability: 0.4561725679, logit: 27.7903156),
        Expected(id: 28, text: ",", probability: 0.0894661214, logit: 26.1613045),
        Expected(id: 198, text: "\n", probability: 0.0394696162, logit: 25.3429756),
        Expected(id: 79, text: "_", probability: 0.0348601939, logit: 25.2187901),
        Expected(id: 284, text: " and", probability: 0.0256053045, logit: 24.9102440),
    ]

    /// Ids and texts exact; logits within 1e-3 (issue 12), probabilities within 1e-3 relative.
    func check(_ tokens: JSONValue?, _ expected: [Expected], file: StaticString = #filePath, line: UInt = #line) {
        let got = tokens?.arrayValue ?? []
        XCTAssertEqual(got.count, expected.count, file: file, line: line)
        for (g, e) in zip(got, expected) {
            XCTAssertEqual(g["id"]?.intValue, e.id, file: file, line: line)
            XCTAssertEqual(g["text"]?.stringValue, e.text, file: file, line: line)
            XCTAssertEqual(g["logit"]?.doubleValue ?? .nan, e.logit, accuracy: 1e-3, "logit of \(e.id)", file: file, line: line)
            XCTAssertEqual(g["probability"]?.doubleValue ?? .nan, e.probability, accuracy: 1e-3 * e.probability, "probability of \(e.id)", file: file, line: line)
        }
    }

    func testHeedPredictOnTheCommandLine() throws {
        try Integration.requireEnabled()
        // The readable table: rank 1 is " Paris".
        let (status, out, err) = try Integration.run(["predict", "--model", "smollm2", "The capital of France is"])
        XCTAssertEqual(status, 0, err)
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "rank  probability     logit      id  text")
        XCTAssertEqual(lines.count, 11, "10 tokens by default")
        XCTAssertEqual(lines[1], "   1       77.25%      17.371    7042  \" Paris\"")
        // --json: the heed/predict result.
        let (s2, json, err2) = try Integration.run(["predict", "--model", "smollm2", "--top-k", "5", "--json", "The capital of France is"])
        XCTAssertEqual(s2, 0, err2)
        check(try JSONParser.parse(Array(json))["tokens"], Self.france)
        let (s3, json3, err3) = try Integration.run(["predict", "--model", "SmolLM2", "--top-k", "5", "--json", "Hello"])
        XCTAssertEqual(s3, 0, err3)
        check(try JSONParser.parse(Array(json3))["tokens"], Self.hello)
    }

    func testThroughTheDaemon() throws {
        try Integration.requireEnabled()
        let heed = try DaemonProcess()
        try heed.initialize(encodings: ["utf-16"])
        // Before loading, heed/models describes the fetched GGUF from its metadata.
        let listed = try XCTUnwrap(try heed.result(id: 10, "heed/models", "{}")["models"]?.arrayValue?.first { $0["id"]?.stringValue == "smollm2" })
        XCTAssertEqual(listed["loaded"], .bool(false))
        XCTAssertEqual(listed["family"]?.stringValue, "llama")
        XCTAssertEqual([listed["layers"], listed["heads"], listed["hidden"], listed["maxTokens"]].map { $0?.intValue }, [30, 9, 576, 8192])
        XCTAssertEqual(listed["predicts"], .bool(true))
        XCTAssertEqual(listed["causal"], .bool(true))
        XCTAssertTrue(listed["source"]?.stringValue?.hasSuffix("SmolLM2-135M-Instruct.Q4_1.gguf") ?? false)
        let info = try heed.result(id: 1, "heed/loadModel", #"{"model":"smollm2"}"#)
        XCTAssertEqual(info["predicts"], .bool(true))
        XCTAssertEqual(info["causal"], .bool(true))
        XCTAssertEqual(info["methods"]?.arrayValue?.compactMap(\.stringValue).contains("attn-res-ln"), false)
        XCTAssertEqual(info["methods"], listed["methods"])
        let text = "The capital of France is"
        let p = try heed.result(id: 2, "heed/predict", #"{"model":"smollm2","text":"\#(text)","topK":5}"#)
        check(p["tokens"], Self.france)
        XCTAssertNil(p["window"])
        // The highlight at the end of the text: the focus is " is", and it predicts what follows the text.
        let h = try heed.result(id: 3, "heed/highlight",
                                #"{"model":"smollm2","text":"\#(text)","focus":{"start":24,"end":24},"method":"norm-summed","predict":5}"#)
        XCTAssertEqual(h["focus"]?["end"]?.intValue, 24)
        XCTAssertEqual(h["focus"]?["start"]?.intValue, 21)
        check(h["predictions"], Self.france)
        // A cursor after "Hello" inside a longer text predicts what follows "Hello".
        let h2 = try heed.result(id: 4, "heed/highlight",
                                 #"{"model":"smollm2","text":"Hello there, my friend","focus":{"start":5,"end":5},"method":"attention","predict":5}"#)
        XCTAssertEqual(h2["focus"]?["start"]?.intValue, 0)
        XCTAssertEqual(h2["focus"]?["end"]?.intValue, 5)
        check(h2["predictions"], Self.hello)
        let e = try heed.call(5, "heed/predict", #"{"model":"smollm2","text":""}"#)
        XCTAssertEqual(e["error"]?["code"]?.intValue, -32602, "SmolLM2 inserts no BOS: an empty text has no token")
        _ = heed.finish()
    }
}
