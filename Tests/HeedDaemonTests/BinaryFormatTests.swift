import Foundation
@testable import HeedDaemon
import HeedAnalysis
import HeedJSONRPC
import XCTest

/// `heed/analyze` with `format: "binary"` (protocol.md, sections 1.1 and 5.5): the JSON body
/// references raw float32 tensors in an attachment after it. Checked against `base64` bit for
/// bit (and against `nested`), at T = 1 and at an awkward T, with the frame's bytes read
/// independently of the daemon's FrameReader; plus the batch rule, cancellation, errors and the
/// working-set estimate.
final class BinaryFormatTests: XCTestCase {
    static let allMethods = #"["attention","value-norm","norm","norm-summed","attn-res","attn-res-ln","mixing-ratio","rollout","norm-rollout"]"#

    /// 35 words of one token each: T = 37 with [CLS] and [SEP] (T^2 floats = 5476 bytes, and
    /// NH x T = 592 bytes: neither a multiple of 64, so tensors are padded apart).
    static let awkwardText: String = {
        let words = ["the", "cat", "sat", "on", "mat", "dog", "is", "and"]
        return (0..<35).map { words[($0 * 5) % words.count] }.joined(separator: " ")
    }()

    private func daemon(workers: Int = 2) throws -> InProcessDaemon {
        let d = InProcessDaemon(options: InProcessDaemon.options(workers: workers))
        try d.initialize(encodings: ["utf-32"])
        return d
    }

    // MARK: The frames as bytes

    /// One frame of the server's output, split by hand (not by FrameReader).
    struct RawFrame {
        var header: String
        var body: [UInt8]
        var attachment: [UInt8]?
    }

    /// Splits the server's output into frames: `Name: value` lines, a blank line, Content-Length
    /// bytes of body, then Heed-Binary-Length bytes of attachment when that header is present.
    static func rawFrames(_ out: [UInt8]) throws -> [RawFrame] {
        var frames: [RawFrame] = []
        var at = 0
        let blank: [UInt8] = Array("\r\n\r\n".utf8)
        while at < out.count {
            var end = at
            while end + 4 <= out.count && Array(out[end..<(end + 4)]) != blank { end += 1 }
            guard end + 4 <= out.count else { throw DaemonTestError.unexpected("a header block without its blank line at \(at)") }
            let header = String(decoding: out[at..<end], as: UTF8.self)
            var length: Int? = nil, attached: Int? = nil
            for line in header.components(separatedBy: "\r\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts[0].lowercased() == "content-length" { length = Int(parts[1]) }
                if parts[0].lowercased() == "heed-binary-length" { attached = Int(parts[1]) }
            }
            guard let length else { throw DaemonTestError.unexpected("no Content-Length in \(header)") }
            let bodyStart = end + 4, attachmentStart = bodyStart + length
            let stop = attachmentStart + (attached ?? 0)
            guard stop <= out.count else { throw DaemonTestError.unexpected("a frame cut off: \(header)") }
            frames.append(RawFrame(header: header, body: Array(out[bodyStart..<attachmentStart]),
                                   attachment: attached.map { _ in Array(out[attachmentStart..<stop]) }))
            at = stop
        }
        return frames
    }

    /// The raw frame answering `id` (its body starts `{"jsonrpc":"2.0","id":<id>,`).
    static func rawFrame(_ d: InProcessDaemon, id: Int) throws -> RawFrame {
        let prefix = Array(#"{"jsonrpc":"2.0","id":\#(id),"#.utf8)
        return try XCTUnwrap(try rawFrames(d.rawOutput).first { $0.body.starts(with: prefix) }, "no frame answers id \(id)")
    }

    // MARK: Comparing results

    /// Every tensor reference of `binary`, checked against the same place in `base64` and, when
    /// given, `nested`; returns the (byteOffset, byteLength) of each.
    static func compare(binary: JSONValue, base64: JSONValue, nested: JSONValue?, attachment: [UInt8], path: String = "result",
                        into spans: inout [(offset: Int, length: Int)], file: StaticString = #filePath, line: UInt = #line) {
        if let data = base64["data"]?.stringValue, base64["dtype"] != nil {
            guard let ref = binary.objectValue else { return XCTFail("\(path): not a tensor reference", file: file, line: line) }
            XCTAssertEqual(ref.keys, ["shape", "dtype", "byteOffset", "byteLength"], path, file: file, line: line)
            XCTAssertEqual(ref["shape"], base64["shape"], path, file: file, line: line)
            XCTAssertEqual(ref["dtype"]?.stringValue, "f32", path, file: file, line: line)
            let shape = ref["shape"]?.arrayValue?.compactMap(\.intValue) ?? []
            guard let offset = ref["byteOffset"]?.intValue, let length = ref["byteLength"]?.intValue else {
                return XCTFail("\(path): byteOffset and byteLength must be integers", file: file, line: line)
            }
            XCTAssertEqual(offset % 64, 0, "\(path): byteOffset \(offset) is not 64-byte aligned", file: file, line: line)
            XCTAssertEqual(length, 4 * shape.reduce(1, *), path, file: file, line: line)
            guard offset >= 0, offset + length <= attachment.count else {
                return XCTFail("\(path): \(offset)+\(length) outside the attachment of \(attachment.count)", file: file, line: line)
            }
            let bytes = Array(attachment[offset..<(offset + length)])
            XCTAssertEqual(bytes, Array(Data(base64Encoded: data) ?? Data()), "\(path): the attachment's bytes differ from base64's", file: file, line: line)
            if let nested {
                var numbers: [Double] = []
                flatten(nested, into: &numbers)
                let floats = (0..<(length / 4)).map { k in
                    Float(bitPattern: UInt32(bytes[4 * k]) | UInt32(bytes[4 * k + 1]) << 8 | UInt32(bytes[4 * k + 2]) << 16 | UInt32(bytes[4 * k + 3]) << 24)
                }
                XCTAssertEqual(floats.map(\.bitPattern), numbers.map { Float($0).bitPattern }, "\(path): nested differs", file: file, line: line)
            }
            spans.append((offset, length))
            return
        }
        switch (binary, base64) {
        case let (.object(b), .object(e)):
            XCTAssertEqual(b.keys, e.keys, path, file: file, line: line)
            for (k, v) in e { if let bv = b[k] { compare(binary: bv, base64: v, nested: nested?[k], attachment: attachment, path: "\(path).\(k)", into: &spans, file: file, line: line) } }
        case let (.array(b), .array(e)):
            XCTAssertEqual(b.count, e.count, path, file: file, line: line)
            let n = nested?.arrayValue
            for (k, (bv, ev)) in zip(b, e).enumerated() {
                compare(binary: bv, base64: ev, nested: n.map { $0[k] }, attachment: attachment, path: "\(path)[\(k)]", into: &spans, file: file, line: line)
            }
        default:
            XCTAssertEqual(binary, base64, path, file: file, line: line)
        }
    }

    static func flatten(_ v: JSONValue, into out: inout [Double]) {
        if let items = v.arrayValue { for item in items { flatten(item, into: &out) } } else if let d = v.doubleValue { out.append(d) }
    }

    /// Asks for `params` in the three formats (ids `id`, `id + 1`, `id + 2`), checks binary
    /// against the other two and the frame's bytes; returns the binary result and attachment.
    @discardableResult
    func checkAgreement(_ d: InProcessDaemon, id: Int, params: String, expectTokens T: Int,
                        file: StaticString = #filePath, line: UInt = #line) throws -> (JSONValue, [UInt8]) {
        func with(_ format: String) -> String { String(params.dropLast()) + #","format":"\#(format)"}"# }
        let binary = try d.result(id: id, sending: "heed/analyze", params: with("binary"))
        let base64 = try d.result(id: id + 1, sending: "heed/analyze", params: with("base64"))
        let nested = try d.result(id: id + 2, sending: "heed/analyze", params: with("nested"))
        XCTAssertEqual(binary["tokens"]?.arrayValue?.count, T, file: file, line: line)
        let attachment = try XCTUnwrap(d.attachment(id: .int(id)), "the binary result came without an attachment", file: file, line: line)
        XCTAssertNil(d.attachment(id: .int(id + 1)), "base64 came with an attachment", file: file, line: line)
        XCTAssertNil(d.attachment(id: .int(id + 2)), "nested came with an attachment", file: file, line: line)
        var spans: [(offset: Int, length: Int)] = []
        Self.compare(binary: binary, base64: base64, nested: nested, attachment: attachment, into: &spans, file: file, line: line)
        // In JSON order, back to back at 64-byte boundaries, zeros between, nothing after the last.
        var end = 0
        for s in spans {
            XCTAssertEqual(s.offset, (end + 63) / 64 * 64, "tensors are placed in JSON order at the next boundary", file: file, line: line)
            XCTAssertEqual(Array(attachment[end..<s.offset]), [UInt8](repeating: 0, count: s.offset - end), "padding is zeros", file: file, line: line)
            end = s.offset + s.length
        }
        XCTAssertEqual(attachment.count, end, "the attachment ends with the last tensor", file: file, line: line)
        // The frame as bytes: the two headers, exactly; the body; the attachment right after it.
        let raw = try Self.rawFrame(d, id: id)
        XCTAssertEqual(raw.header, "Content-Length: \(raw.body.count)\r\nHeed-Binary-Length: \(attachment.count)", file: file, line: line)
        XCTAssertEqual(raw.attachment, attachment, file: file, line: line)
        XCTAssertEqual(try JSONParser.parse(raw.body)["result"], binary, file: file, line: line)
        XCTAssertEqual(try Self.rawFrame(d, id: id + 1).header, "Content-Length: \(try Self.rawFrame(d, id: id + 1).body.count)", file: file, line: line)
        return (binary, attachment)
    }

    // MARK: Tests

    func testInitializeAnnouncesTheTensorFormats() throws {
        let d = InProcessDaemon()
        let result = try d.initialize()
        XCTAssertEqual(result["capabilities"]?["tensorFormats"], ["nested", "base64", "binary"])
        _ = d.finish()
    }

    /// T = 1 (a tokenizer without special tokens, one word): every method, every head.
    func testBinaryAgreesWithBase64AndNestedAtOneToken() throws {
        let d = try daemon()
        let (binary, attachment) = try checkAgreement(d, id: 1, params: #"{"model":"\#(TestModels.tinyWithoutSpecials)","text":"cat","methods":\#(Self.allMethods)}"#, expectTokens: 1)
        XCTAssertEqual(binary["layers"]?.arrayValue?.count, 2)
        XCTAssertEqual(binary["layers"]?.arrayValue?[0]["attention"]?["shape"], [4, 1, 1])
        XCTAssertGreaterThan(attachment.count, 64)
        _ = d.finish()
    }

    /// T = 37: every method with heads "all", then heads "mean" at word granularity with one layer.
    func testBinaryAgreesWithBase64AndNestedAtAnAwkwardLength() throws {
        let d = try daemon()
        let (binary, _) = try checkAgreement(d, id: 1, params: #"{"model":"\#(TestModels.tiny)","text":"\#(Self.awkwardText)","methods":\#(Self.allMethods)}"#, expectTokens: 37)
        XCTAssertEqual(binary["layers"]?.arrayValue?[1]["value-norm"]?["shape"], [4, 37])
        XCTAssertEqual(binary["layers"]?.arrayValue?[1]["mixing-ratio"]?.objectValue?.keys, ["attn-w", "attn-n", "attnres-w", "attnres-n", "attnresln-n"])
        // Words of several tokens ("xyz" is x ##y ##z): 8 words from 12 tokens.
        let (words, _) = try checkAgreement(d, id: 4, params: #"{"model":"\#(TestModels.tiny)","text":"the xyz cat, abc sat","methods":["norm","attn-res-ln","rollout"],"layers":[1],"heads":"mean","granularity":"word"}"#,
                                            expectTokens: 12)
        XCTAssertEqual(words["words"]?.arrayValue?.count, 8)
        XCTAssertEqual(words["rollout"]?["shape"], [8, 8])
        _ = d.finish()
    }

    /// `layers: []` with no rollout: no tensor, an empty attachment, still announced (0 bytes).
    func testAResultWithoutTensorsHasAnEmptyAttachment() throws {
        let d = try daemon()
        let r = try d.result(id: 1, sending: "heed/analyze", params: #"{"model":"\#(TestModels.tiny)","text":"the cat","methods":["norm"],"layers":[],"format":"binary"}"#)
        XCTAssertEqual(r["layers"], [])
        XCTAssertEqual(d.attachment(id: .int(1)), [])
        XCTAssertEqual(try Self.rawFrame(d, id: 1).header, "Content-Length: \(try Self.rawFrame(d, id: 1).body.count)\r\nHeed-Binary-Length: 0")
        // And the next frame is read in step.
        XCTAssertNotNil(try d.result(id: 2, sending: "heed/tokenize", params: #"{"model":"\#(TestModels.tiny)","text":"cat"}"#)["tokens"])
        _ = d.finish()
    }

    /// In a batch, `binary` is -32602 for that element only; the batch's answer is one JSON array
    /// without an attachment, and the other elements are answered as usual.
    func testBinaryInABatchIsInvalidParams() throws {
        let d = try daemon()
        let analyze = { (id: Int, format: String) in
            InProcessDaemon.request(id, "heed/analyze", #"{"model":"\#(TestModels.tiny)","text":"the cat","methods":["norm-summed"],"format":"\#(format)"}"#)
        }
        d.send("[" + analyze(1, "binary") + "," + analyze(2, "base64") + ","
               + InProcessDaemon.request(3, "heed/tokenize", #"{"model":"\#(TestModels.tiny)","text":"cat"}"#) + "]")
        let batch = try d.first(for: "the batch response") { $0.arrayValue != nil }
        let items = try XCTUnwrap(batch.arrayValue)
        XCTAssertEqual(items.count, 3)
        let refused = try XCTUnwrap(items.first { InProcessDaemon.id(of: $0) == .int(1) })
        XCTAssertError(refused, .invalidParams, id: .int(1), mentioning: ["format", "binary", "batch"])
        XCTAssertEqual(items.first { InProcessDaemon.id(of: $0) == .int(2) }?["result"]?["layers"]?.arrayValue?[0]["norm-summed"]?["dtype"]?.stringValue, "f32")
        XCTAssertNotNil(items.first { InProcessDaemon.id(of: $0) == .int(3) }?["result"]?["tokens"])
        XCTAssertEqual(d.attachmentCount, 0)
        XCTAssertEqual(try Self.rawFrames(d.rawOutput).filter { $0.attachment != nil }.count, 0)
        // The same request on its own is answered with an attachment.
        XCTAssertNotNil(try d.result(id: 4, sending: "heed/analyze", params: #"{"model":"\#(TestModels.tiny)","text":"the cat","methods":["norm-summed"],"format":"binary"}"#)["layers"])
        XCTAssertEqual(d.attachment(id: .int(4))?.count, 64 + 64, "two layers of 4 x 4 floats")
        _ = d.finish()
    }

    /// A cancelled binary request is answered -32800 in a plain frame (no attachment); so are
    /// errors (bad params, a result with NaN: -32603); the stream stays in step for the next frame.
    func testErrorsAndCancellationAreFramesWithoutAttachment() throws {
        let d = InProcessDaemon(options: InProcessDaemon.options(workers: 1))
        try d.initialize()
        let model = TestModels.blocking("binary")
        defer { model.releaseIfNeeded() }
        d.send(#"{"jsonrpc":"2.0","id":1,"method":"heed/loadModel","params":{"model":"\#(model.id)"}}"#)
        d.request(2, "heed/analyze", #"{"model":"\#(TestModels.tiny)","text":"the cat sat","methods":["attention"],"format":"binary"}"#)
        d.notify("$/cancelRequest", #"{"id":2}"#)
        XCTAssertTrue(model.release())
        XCTAssertError(try d.response(id: .int(2)), .requestCancelled, id: .int(2))
        XCTAssertError(try d.call(3, "heed/analyze", #"{"model":"\#(TestModels.tiny)","text":"the cat","methods":["norm"],"layers":[7],"format":"binary"}"#),
                       .invalidParams, id: .int(3), mentioning: ["layers[0]"])
        XCTAssertError(try d.call(4, "heed/analyze", #"{"model":"\#(TestModels.nanWeights)","text":"the cat","methods":["attention"],"format":"binary"}"#),
                       .internalError, id: .int(4), mentioning: ["NaN"])
        XCTAssertError(try d.call(5, "heed/analyze", #"{"model":"\#(TestModels.tiny)","text":"the cat","methods":["norm"],"format":"raw"}"#),
                       .invalidParams, id: .int(5), mentioning: ["\"nested\"", "\"base64\"", "\"binary\""])
        XCTAssertNotNil(try d.result(id: 6, sending: "heed/analyze", params: #"{"model":"\#(TestModels.tiny)","text":"the cat sat","methods":["attention"],"format":"binary"}"#)["layers"])
        XCTAssertNotNil(try d.result(id: 7, sending: "heed/tokenize", params: #"{"model":"\#(TestModels.tiny)","text":"cat"}"#)["tokens"])
        let (_, messages) = d.finish()
        XCTAssertEqual(messages.count, 8, "exactly one response per request")
        let frames = try Self.rawFrames(d.rawOutput)
        XCTAssertEqual(frames.count, 8)
        XCTAssertEqual(frames.filter { $0.attachment != nil }.map { String(decoding: $0.body.prefix(23), as: UTF8.self) }, [#"{"jsonrpc":"2.0","id":6"#])
        XCTAssertEqual(d.attachment(id: .int(6))?.count, 448 + 400, "two layers of 4 x 5 x 5 floats (400 bytes), the second at 448")
    }

    /// The working set of a binary analysis counts the JSON references, not the attachment (it is
    /// written from the analysis's outputs); the JSON written stays within the estimate.
    func testWorkingSetOfABinaryAnalysis() throws {
        let d = try daemon()
        let T = 37
        let options = AnalyzeOptions(methods: AnalysisMethod.allCases, layers: nil, meanOverHeads: false, granularity: .token)
        let dims = ModelDimensions(layers: 2, heads: 4, hidden: 32, intermediate: 37)
        let binary = RequestWorkingSet.analyze(tokens: T, textUTF8Bytes: Self.awkwardText.utf8.count, options: options, format: .binary, dims)
        let base64 = RequestWorkingSet.analyze(tokens: T, textUTF8Bytes: Self.awkwardText.utf8.count, options: options, format: .base64, dims)
        // 9 per-layer methods over 2 layers (mixing-ratio: 5 arrays), and the four products over layers.
        XCTAssertEqual(binary.response, 4096 + 160 * T + 160 * (2 * (8 + 5) + 4))
        XCTAssertEqual(binary.analysis, base64.analysis)
        XCTAssertEqual(binary.forward, base64.forward)
        try checkAgreement(d, id: 1, params: #"{"model":"\#(TestModels.tiny)","text":"\#(Self.awkwardText)","methods":\#(Self.allMethods)}"#, expectTokens: T)
        let bodyBytes = try Self.rawFrame(d, id: 1).body.count
        XCTAssertLessThanOrEqual(bodyBytes, binary.response)
        XCTAssertLessThanOrEqual(try Self.rawFrame(d, id: 2).body.count, base64.response)
        _ = d.finish()
    }
}
