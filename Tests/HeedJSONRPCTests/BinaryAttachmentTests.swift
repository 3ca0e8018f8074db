import XCTest
@testable import HeedJSONRPC

/// The binary attachment of `format: "binary"` responses (protocol.md, section 1.1): its layout,
/// the header that announces it, and a client's reader splitting body and attachment.
final class BinaryAttachmentTests: XCTestCase {
    /// Feeds `bytes` split at `cuts` to a client's reader; returns every event including `finish()`.
    private func feed(_ bytes: [UInt8], cuts: [Int], reader: FrameReader = FrameReader(readsBinaryAttachments: true)) -> [FrameEvent] {
        var reader = reader
        var events: [FrameEvent] = []
        var last = 0
        for c in cuts + [bytes.count] {
            events += reader.feed(bytes[last..<c])
            last = c
        }
        return events + reader.finish()
    }

    func testTensorsStartAt64ByteBoundariesWithZeroPadding() {
        var a = BinaryAttachment()
        let one: [Float] = [1.5]                       // 4 bytes
        let seven: [Float] = (0..<7).map { Float($0) - 3.25 }  // 28 bytes
        let sixteen: [Float] = (0..<16).map { Float($0) }      // 64 bytes
        XCTAssertEqual(a.append(one), 0)
        XCTAssertEqual(a.append(seven), 64)
        XCTAssertEqual(a.append(sixteen), 128)
        XCTAssertEqual(a.append([]), 192)
        XCTAssertEqual(a.append(one), 192)
        XCTAssertEqual(a.byteCount, 196, "no padding after the last tensor")
        let bytes = a.bytes
        XCTAssertEqual(bytes.count, 196)
        func floats(_ at: Int, _ n: Int) -> [Float] {
            (0..<n).map { k in Float(bitPattern: UInt32(bytes[at + 4 * k]) | UInt32(bytes[at + 4 * k + 1]) << 8
                                      | UInt32(bytes[at + 4 * k + 2]) << 16 | UInt32(bytes[at + 4 * k + 3]) << 24) }
        }
        XCTAssertEqual(floats(0, 1), one)
        XCTAssertEqual(floats(64, 7), seven)
        XCTAssertEqual(floats(128, 16), sixteen)
        XCTAssertEqual(floats(192, 1), one)
        XCTAssertEqual(Array(bytes[4..<64]), [UInt8](repeating: 0, count: 60))
        XCTAssertEqual(Array(bytes[92..<128]), [UInt8](repeating: 0, count: 36))
        var pieces = 0, total = 0
        a.forEachPiece { pieces += 1; total += $0.count }
        XCTAssertEqual(total, 196)
        XCTAssertEqual(pieces, 5 + 2, "five tensors (one empty) and two gaps")
        XCTAssertEqual(BinaryAttachment().bytes, [])
    }

    func testReferencesAndNonFiniteValues() throws {
        var a = BinaryAttachment()
        var w = JSONWriter()
        w.beginArray()
        w.tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], attachment: &a)
        w.tensor([7], shape: [1], attachment: &a)
        w.endArray()
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self),
                       #"[{"shape":[2,3],"dtype":"f32","byteOffset":0,"byteLength":24},{"shape":[1],"dtype":"f32","byteOffset":64,"byteLength":4}]"#)
        XCTAssertFalse(w.nonFinite)
        for bad: Float in [.nan, .infinity, -.infinity] {
            for n in [1, 15, 16, 17, 40] {
                for at in [0, n / 2, n - 1] {
                    var values = [Float](repeating: 0.5, count: n)
                    values[at] = bad
                    var b = BinaryAttachment(), v = JSONWriter()
                    v.tensor(values, shape: [n], attachment: &b)
                    XCTAssertTrue(v.nonFinite, "\(bad) at \(at) of \(n)")
                }
            }
        }
        XCTAssertTrue(JSONWriter.allFinite(UnsafeBufferPointer(start: nil, count: 0)))
        let big = [Float](repeating: .greatestFiniteMagnitude, count: 33) + [-.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0]
        big.withUnsafeBufferPointer { XCTAssertTrue(JSONWriter.allFinite($0)) }
    }

    func testHeaderNamesBothLengths() {
        XCTAssertEqual(String(decoding: FrameWriter.header(byteCount: 12, attachmentByteCount: 4096), as: UTF8.self),
                       "Content-Length: 12\r\nHeed-Binary-Length: 4096\r\n\r\n")
        XCTAssertEqual(String(decoding: FrameWriter.header(byteCount: 12), as: UTF8.self), "Content-Length: 12\r\n\r\n")
    }

    func testFrameWriterWritesTheAttachmentAfterTheBody() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        var a = BinaryAttachment()
        _ = a.append([1, 2, 3])
        _ = a.append([4])
        let body = Array(#"{"id":1}"#.utf8)
        try FrameWriter(fileDescriptor: fds[1]).write(body: body, attachment: a)
        close(fds[1])
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while case let n = read(fds[0], &chunk, chunk.count), n > 0 { out += chunk[0..<n] }
        XCTAssertEqual(out, FrameWriter.encodeFrame(body: body, attachment: a.bytes))
        XCTAssertEqual(a.bytes.count, 68)
    }

    /// A client's reader: attachments split from their bodies, at every cut, headers in any order,
    /// between ordinary frames; an empty attachment is still an attached frame.
    func testClientReaderSplitsBodyAndAttachmentAtEveryCut() {
        let attachment: [UInt8] = (0..<70).map { UInt8($0 * 37 % 256) } + Array("Content-Length: 5\r\n\r\n".utf8)
        let stream = FrameWriter.encodeFrame(body: Array(#"{"a":1}"#.utf8))
            + FrameWriter.encodeFrame(body: Array(#"{"b":2}"#.utf8), attachment: attachment)
            + Array("heed-binary-length: 0\r\nContent-Type: x\r\ncontent-length: 2\r\n\r\n{}".utf8)
            + FrameWriter.encodeFrame(body: Array("[]".utf8))
        let expected: [FrameEvent] = [.frame(Array(#"{"a":1}"#.utf8)), .attachedFrame(body: Array(#"{"b":2}"#.utf8), attachment: attachment),
                                      .attachedFrame(body: Array("{}".utf8), attachment: []), .frame(Array("[]".utf8))]
        for cut in 0...stream.count {
            XCTAssertEqual(feed(stream, cuts: [cut]), expected, "cut at \(cut)")
        }
        XCTAssertEqual(feed(stream, cuts: Array(1..<stream.count)), expected)
    }

    func testClientReaderRejectsBadLengthsAndCountsTheAttachmentAgainstTheLimit() {
        let body = Array("{}".utf8)
        for (header, problem) in [("Heed-Binary-Length: -1", "negative Heed-Binary-Length"), ("Heed-Binary-Length: x", "not a decimal"),
                                  ("Heed-Binary-Length: 1\r\nHeed-Binary-Length: 2", "conflicting Heed-Binary-Length"),
                                  ("Heed-Binary-Length: \(Int.max)", "Heed-Binary-Length too large")] {
            let stream = Array("Content-Length: 2\r\n\(header)\r\n\r\n".utf8) + body + FrameWriter.encodeFrame(body: Array("[1]".utf8))
            let events = feed(stream, cuts: [])
            XCTAssertEqual(events.last, .frame(Array("[1]".utf8)), header)
            XCTAssertTrue(events.contains { if case let .malformedHeader(m) = $0 { return m.contains(problem) } else { return false } }, "\(header): \(events)")
        }
        // 10 + 10 bytes against a limit of 16: the whole frame is discarded.
        let big = FrameWriter.encodeFrame(body: [UInt8](repeating: 0x20, count: 10), attachment: [UInt8](repeating: 1, count: 10))
        let events = feed(big + FrameWriter.encodeFrame(body: Array("{}".utf8)), cuts: [], reader: FrameReader(maxFrameBytes: 16, readsBinaryAttachments: true))
        XCTAssertEqual(events, [.oversizedFrame(declaredByteCount: 20, discardedByteCount: 20), .frame(Array("{}".utf8))])
    }

    /// The server's reader does not read attachments: the header is an unknown one, and the
    /// bytes after the body are garbage, skipped up to the next frame.
    func testServerReaderIgnoresTheHeader() {
        let stream = FrameWriter.encodeFrame(body: Array(#"{"b":2}"#.utf8), attachment: [1, 2, 3, 4])
            + FrameWriter.encodeFrame(body: Array("{}".utf8))
        let events = feed(stream, cuts: [], reader: FrameReader())
        XCTAssertEqual(events.first, .frame(Array(#"{"b":2}"#.utf8)))
        XCTAssertEqual(events.last, .frame(Array("{}".utf8)))
        XCTAssertFalse(events.contains { if case .attachedFrame = $0 { return true } else { return false } })
    }
}
