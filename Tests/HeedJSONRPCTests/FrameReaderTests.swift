import XCTest
@testable import HeedJSONRPC

final class FrameReaderTests: XCTestCase {
    private func frame(_ body: String, headers: String? = nil) -> [UInt8] {
        let b = Array(body.utf8)
        let h = headers ?? "Content-Length: \(b.count)\r\n\r\n"
        return Array(h.utf8) + b
    }

    private func bodies(_ events: [FrameEvent]) -> [String] {
        events.compactMap { if case .frame(let b) = $0 { return String(decoding: b, as: UTF8.self) } else { return nil } }
    }

    private func problems(_ events: [FrameEvent]) -> [FrameEvent] {
        events.filter { if case .frame = $0 { return false } else { return true } }
    }

    /// Feeds `bytes` split at `cuts` (sorted offsets) and returns every event including `finish()`.
    private func feed(_ bytes: [UInt8], cuts: [Int], maxFrameBytes: Int = FrameReader.defaultMaxFrameBytes) -> [FrameEvent] {
        var reader = FrameReader(maxFrameBytes: maxFrameBytes)
        var events: [FrameEvent] = []
        var last = 0
        for c in cuts + [bytes.count] {
            events += reader.feed(bytes[last..<c])
            last = c
        }
        return events + reader.finish()
    }

    func testSeveralMessagesInOneChunk() {
        let stream = frame(#"{"a":1}"#) + frame("") + frame(#"{"b":"é"}"#, headers: "content-length: 10\r\ncontent-type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n")
        let events = feed(stream, cuts: [])
        XCTAssertEqual(bodies(events), [#"{"a":1}"#, "", #"{"b":"é"}"#])
        XCTAssertEqual(problems(events), [])
    }

    func testSplitAtEveryByteBoundary() {
        let stream = frame(#"{"jsonrpc":"2.0","id":1,"method":"x"}"#)
            + frame("[1,2]", headers: "Content-Type: x\r\nCONTENT-LENGTH:5\r\n\r\n")
            + frame(#""tail""#)
        let expected = [#"{"jsonrpc":"2.0","id":1,"method":"x"}"#, "[1,2]", #""tail""#]
        for cut in 0...stream.count {
            let events = feed(stream, cuts: [cut])
            XCTAssertEqual(bodies(events), expected, "cut at \(cut)")
            XCTAssertEqual(problems(events), [], "cut at \(cut)")
        }
        // One byte at a time.
        let events = feed(stream, cuts: Array(1..<stream.count))
        XCTAssertEqual(bodies(events), expected)
        XCTAssertEqual(problems(events), [])
    }

    func testHeadersInAnyOrderAndCase() {
        for headers in ["Content-Type: a\r\nContent-Length: 2\r\n\r\n", "content-length:2\r\n\r\n",
                        "X-Other: 1\r\ncOnTeNt-LeNgTh: \t2 \r\nY: z\r\n\r\n", "Content-Length: 2\r\nContent-Length: 2\r\n\r\n",
                        "Content-Length: 0002\r\n\r\n"] {
            let events = feed(frame("{}", headers: headers), cuts: [])
            XCTAssertEqual(bodies(events), ["{}"], headers)
            XCTAssertEqual(problems(events), [], headers)
        }
    }

    func testStrayLineBreaksBetweenFramesAreIgnored() {
        let events = feed(frame("1") + Array("\r\n\n".utf8) + frame("2"), cuts: [])
        XCTAssertEqual(bodies(events), ["1", "2"])
        XCTAssertEqual(problems(events), [])
    }

    /// Every malformed header is reported and the next good frame still arrives.
    func testMalformedHeadersAreReportedAndSkipped() {
        let bad: [(String, String)] = [
            ("garbage", "\u{0}\u{1}binary junk\u{FF}\r\n\r\n"),
            ("missing", "Content-Type: x\r\n\r\n{}"),
            ("non-numeric", "Content-Length: ten\r\n\r\n{}"),
            ("negative", "Content-Length: -5\r\n\r\n{}"),
            ("overflowing", "Content-Length: 99999999999999999999999\r\n\r\n{}"),
            ("empty value", "Content-Length: \r\n\r\n{}"),
            ("conflicting", "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
            ("no colon", "Content-Length 2\r\n\r\n{}"),
            ("bare LF in a line", "Content-Length: 2\nX: y\r\n\r\n{}"),
            ("over 8 KiB", "X: " + String(repeating: "a", count: 9000) + "\r\nContent-Length: 2\r\n\r\n{}"),
            ("over 8 KiB, no blank line", String(repeating: "b", count: 20_000)),
        ]
        let good = frame(#"{"ok":true}"#)
        for (name, junk) in bad {
            let stream = Array(junk.utf8) + good
            for cuts in [[], [stream.count / 2], [1, 2, 3, stream.count - 5]] {
                let events = feed(stream, cuts: cuts)
                XCTAssertEqual(bodies(events).last, #"{"ok":true}"#, "\(name) \(cuts)")
                let reports = problems(events)
                XCTAssertFalse(reports.isEmpty, "\(name): nothing reported")
                XCTAssertTrue(reports.allSatisfy { if case .malformedHeader = $0 { return true } else { return false } }, "\(name): \(reports)")
            }
        }
    }

    func testResyncFindsContentLengthMidLine() {
        let stream = Array("junk junk cOnTeNt-LeNgTh: 3\r\n\r\nabc".utf8) + frame("next")
        let events = feed(stream, cuts: [])
        XCTAssertEqual(bodies(events), ["abc", "next"])
        XCTAssertEqual(problems(events).count, 1)
        if case .malformedHeader(let text) = problems(events)[0] {
            XCTAssertTrue(text.contains("junk"), text)
        } else {
            XCTFail("\(events)")
        }
    }

    func testGarbageLineThenHeaderInTheSameBlock() {
        let events = feed(Array("junk\r\nContent-Length: 3\r\n\r\nabc".utf8) + frame("next"), cuts: [])
        XCTAssertEqual(bodies(events), ["abc", "next"])
        XCTAssertEqual(problems(events).count, 1)
    }

    func testOversizedFrameIsDiscardedWithoutBeingHeld() {
        // An honest oversized frame, fed in chunks: discarded, reported once, the next frame arrives.
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 5000)
        let stream = Array("Content-Length: 5000\r\n\r\n".utf8) + big + frame("after")
        for chunk in [1, 7, 64, 5000, stream.count] {
            let events = feed(stream, cuts: Array(stride(from: chunk, to: stream.count, by: chunk)), maxFrameBytes: 1000)
            XCTAssertEqual(events, [.oversizedFrame(declaredByteCount: 5000, discardedByteCount: 5000), .frame(Array("after".utf8))], "chunk \(chunk)")
        }
    }

    func testTenGigabyteClaimDoesNotSwallowTheNextFrame() {
        // The claim is a lie: a frame claiming 10 GB, then a valid request. Nothing is allocated
        // from the claim, and the discard stops at the next `Content-Length:`.
        let valid = frame(#"{"jsonrpc":"2.0","id":7,"method":"heed/models"}"#)
        let stream = Array("Content-Length: 10000000000\r\n\r\n{\"partial\":".utf8) + valid
        var reader = FrameReader()
        var events = reader.feed(stream)
        events += reader.finish()
        XCTAssertEqual(events.count, 2, "\(events)")
        XCTAssertEqual(events.first, .oversizedFrame(declaredByteCount: 10_000_000_000, discardedByteCount: 11))
        XCTAssertEqual(bodies(events), [#"{"jsonrpc":"2.0","id":7,"method":"heed/models"}"#])
        // Split at every byte the outcome is the same.
        for cut in 0...stream.count {
            XCTAssertEqual(feed(stream, cuts: [cut]), events, "cut at \(cut)")
        }
    }

    func testMaxFrameBoundary() {
        XCTAssertEqual(feed(frame("12345"), cuts: [], maxFrameBytes: 5), [.frame(Array("12345".utf8))])
        XCTAssertEqual(feed(frame("123456"), cuts: [], maxFrameBytes: 5),
                       [.oversizedFrame(declaredByteCount: 6, discardedByteCount: 6)])
    }

    func testEndOfInputInsideAFrame() {
        for (partial, what) in [("Content-Length: 10\r\n\r\n{\"a\"", "body"), ("Content-Len", "header"),
                                ("Content-Length: 10\r\n", "header")] {
            let events = feed(Array(partial.utf8), cuts: [])
            XCTAssertEqual(events.count, 1, partial)
            guard case .truncatedFrame(let text)? = events.first else { XCTFail("\(events)"); continue }
            XCTAssertTrue(text.contains(what), text)
        }
        XCTAssertEqual(feed(Array("Content-Length: 10\r\n\r\n{\"a\"".utf8), cuts: []),
                       [.truncatedFrame("end of input after 4 of 10 body bytes")])
        var reader = FrameReader(maxFrameBytes: 2)
        _ = reader.feed(Array("Content-Length: 10\r\n\r\nabc".utf8))
        guard case .truncatedFrame(let text)? = reader.finish().first else { return XCTFail("no report") }
        XCTAssertTrue(text.contains("oversized"), text)
        // Clean end: nothing to report; after finish the reader starts afresh.
        XCTAssertEqual(feed(frame("{}") + Array("\r\n".utf8), cuts: []), [.frame(Array("{}".utf8))])
        XCTAssertEqual(reader.feed(frame("x")), [.frame(Array("x".utf8))])
    }

    func testEncodeFrameRoundTrip() {
        let body = Array(#"{"jsonrpc":"2.0","id":1,"result":null}"#.utf8)
        let encoded = FrameWriter.encodeFrame(body: body)
        XCTAssertEqual(String(decoding: encoded, as: UTF8.self), "Content-Length: \(body.count)\r\n\r\n" + String(decoding: body, as: UTF8.self))
        var reader = FrameReader()
        XCTAssertEqual(reader.feed(encoded + encoded), [.frame(body), .frame(body)])
    }

    func testFrameWriterWritesWholeFrames() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        let writer = FrameWriter(fileDescriptor: fds[1])
        try writer.write(body: Array("{}".utf8))
        try writer.write(body: Array("[1]".utf8))
        close(fds[1])
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        XCTAssertEqual(String(decoding: received, as: UTF8.self), "Content-Length: 2\r\n\r\n{}Content-Length: 3\r\n\r\n[1]")
        XCTAssertThrowsError(try FrameWriter(fileDescriptor: -1).write(body: [1]))
    }
}
