// LSP base-protocol framing, read side: a pure byte state machine.
//
//   Content-Length: 52\r\n          header lines `Name: value\r\n`, any order, names
//   Content-Type: ...\r\n           case-insensitive, unknown ones ignored
//   \r\n                            a blank line
//   {"jsonrpc":"2.0",...}           exactly Content-Length bytes
//
// Bad header data (no valid Content-Length, a block over 8 KiB, garbage) is reported and skipped
// by scanning forward to the next `Content-Length:` (case-insensitive, anywhere, even mid-line),
// so one bad frame never costs the next. The scan starts just after the beginning of the offending
// header line: a rejected `Content-Length` line is not read again, but a good one later in the same
// block (after a garbage line) is. Lines must end in CRLF, as LSP requires; a bare LF is garbage.
// Stray CR/LF bytes between frames are skipped silently. A frame above `maxFrameBytes` is read and discarded
// without being held; since its length may be a lie, a `Content-Length:` appearing inside the
// discarded bytes ends the discard there. Memory held is bounded by the largest accepted body
// plus one chunk: nothing is allocated from a header's claim before the bytes arrive.
//
// A client's reader (`readsBinaryAttachments`) also reads the binary attachment a
// `Heed-Binary-Length: M` header announces: M bytes after the body (protocol.md, section 1.1),
// counted with the body against `maxFrameBytes`. The server's reader never does: clients send
// no attachments, so for it that header is an unknown one, ignored.

/// What the reader found in the byte stream.
public enum FrameEvent: Equatable, Sendable {
    /// A complete message body (not yet checked to be JSON).
    case frame([UInt8])
    /// A body and the binary attachment that followed it (`Heed-Binary-Length`; only with
    /// `readsBinaryAttachments`).
    case attachedFrame(body: [UInt8], attachment: [UInt8])
    /// Header data that could not be used; the reader skipped ahead to the next `Content-Length:`.
    /// The text says why, with an excerpt, for the log.
    case malformedHeader(String)
    /// A frame whose Content-Length exceeded `maxFrameBytes`: its bytes were discarded unread
    /// (`discardedByteCount` is less than declared when a new header cut the discard short).
    /// The daemon answers -32600 with id null.
    case oversizedFrame(declaredByteCount: Int, discardedByteCount: Int)
    /// The input ended inside a frame (reported by `finish()`).
    case truncatedFrame(String)
}

/// Splits a byte stream into LSP frames. Feed it chunks of any size; call `finish()` at end of input.
public struct FrameReader {
    /// The default limit on a body (the daemon's `--max-frame`).
    public static let defaultMaxFrameBytes = 64 << 20
    /// The limit on a header block (all header lines up to the blank line).
    public static let maxHeaderBytes = 8 << 10

    /// Bodies longer than this (with their attachment) are discarded and reported as `oversizedFrame`.
    public var maxFrameBytes: Int
    /// Whether a `Heed-Binary-Length` header announces an attachment after the body (a
    /// client's reader) or is an unknown header, ignored (the server's).
    public var readsBinaryAttachments: Bool

    private enum State {
        /// Reading header lines from `pending[start...]`.
        case header
        /// Copying body bytes; `remaining` of `bodyExpected` still to come. `pending` is empty.
        case body(remaining: Int)
        /// Dropping the body of an oversized frame.
        case discard(declared: Int, remaining: Int)
        /// Skipping garbage up to the next `Content-Length:`.
        case resync
    }

    private var state: State = .header
    /// Bytes not consumed yet (all states but `body`); only `pending[start...]` is live.
    private var pending: [UInt8] = []
    private var start = 0
    /// Where the search for the blank line resumes in `pending`.
    private var terminatorScan = 0
    /// The body and then the attachment, as they arrive.
    private var body: [UInt8] = []
    /// Bytes of body and attachment together.
    private var bodyExpected = 0
    /// Bytes of the attachment (nil: none announced).
    private var attachmentExpected: Int? = nil
    private var discarded = 0

    public init(maxFrameBytes: Int = FrameReader.defaultMaxFrameBytes, readsBinaryAttachments: Bool = false) {
        self.maxFrameBytes = maxFrameBytes
        self.readsBinaryAttachments = readsBinaryAttachments
    }

    /// Bytes held right now (a partial body, or unconsumed header data), for tests and diagnostics.
    public var heldByteCount: Int { pending.count + body.count }

    /// Consumes the next chunk of input and returns what it completed, in stream order.
    public mutating func feed<C: Collection>(_ bytes: C) -> [FrameEvent] where C.Element == UInt8 {
        var events: [FrameEvent] = []
        if bytes.withContiguousStorageIfAvailable({ consume($0, into: &events) }) == nil {
            Array(bytes).withUnsafeBufferPointer { consume($0, into: &events) }
        }
        return events
    }

    /// Reports a frame cut off by the end of input (if any) and resets the reader.
    public mutating func finish() -> [FrameEvent] {
        var events: [FrameEvent] = []
        switch state {
        case .header:
            if start < pending.count {
                events.append(.truncatedFrame("end of input inside a header block (\(pending.count - start) bytes: \(excerpt(start..<pending.count)))"))
            }
        case .body(let remaining):
            events.append(.truncatedFrame("end of input after \(bodyExpected - remaining) of \(bodyExpected) body bytes"))
        case .discard(let declared, let remaining):
            events.append(.truncatedFrame("end of input inside an oversized frame (\(declared - remaining) of \(declared) bytes discarded)"))
        case .resync:
            break  // the garbage was reported when it was found
        }
        self = FrameReader(maxFrameBytes: maxFrameBytes, readsBinaryAttachments: readsBinaryAttachments)
        return events
    }

    // MARK: State machine

    private mutating func consume(_ input: UnsafeBufferPointer<UInt8>, into events: inout [FrameEvent]) {
        var offset = 0
        // Body bytes go straight from the input to the body, not through `pending`.
        if case .body(let remaining) = state {
            let take = min(remaining, input.count)
            body.append(contentsOf: UnsafeBufferPointer(rebasing: input[0..<take]))
            offset = take
            if take < remaining {
                state = .body(remaining: remaining - take)
                return
            }
            completeFrame(into: &events)
        }
        pending.append(contentsOf: UnsafeBufferPointer(rebasing: input[offset...]))
        run(into: &events)
        compact()
    }

    /// Reports the frame whose bytes are all in `body` and goes back to reading headers.
    private mutating func completeFrame(into events: inout [FrameEvent]) {
        if let m = attachmentExpected {
            let n = bodyExpected - m
            events.append(.attachedFrame(body: Array(body[0..<n]), attachment: Array(body[n...])))
        } else {
            events.append(.frame(body))
        }
        body = []
        state = .header
    }

    /// Advances through `pending` until more input is needed.
    private mutating func run(into events: inout [FrameEvent]) {
        while true {
            switch state {
            case .header:
                guard readHeader(into: &events) else { return }
            case .body(let remaining):
                let take = min(remaining, pending.count - start)
                body.append(contentsOf: pending[start..<(start + take)])
                start += take
                if take < remaining {
                    state = .body(remaining: remaining - take)
                    return
                }
                completeFrame(into: &events)
            case .resync:
                switch findContentLength(from: start, before: pending.count) {
                case .found(let p):
                    start = p
                    terminatorScan = p
                    state = .header
                case .partial(let p):
                    start = p
                    return
                case .none:
                    start = pending.count
                    return
                }
            case .discard(let declared, let remaining):
                let regionEnd = remaining >= pending.count - start ? pending.count : start + remaining
                switch findContentLength(from: start, before: regionEnd) {
                case .found(let p):
                    // The declared length was a lie (or the body quoted a header): resume at p.
                    discarded += p - start
                    events.append(.oversizedFrame(declaredByteCount: declared, discardedByteCount: discarded))
                    start = p
                    terminatorScan = p
                    state = .header
                case .partial(let p):
                    discarded += p - start
                    state = .discard(declared: declared, remaining: remaining - (p - start))
                    start = p
                    return
                case .none:
                    let n = regionEnd - start
                    discarded += n
                    start = regionEnd
                    if n == remaining {
                        events.append(.oversizedFrame(declaredByteCount: declared, discardedByteCount: discarded))
                        state = .header
                    } else {
                        state = .discard(declared: declared, remaining: remaining - n)
                        return
                    }
                }
            }
        }
    }

    /// Looks for a complete header block at `start`; returns false when more input is needed.
    private mutating func readHeader(into events: inout [FrameEvent]) -> Bool {
        // Stray line breaks between frames are not worth a report.
        while start < pending.count && (pending[start] == 0x0D || pending[start] == 0x0A) { start += 1 }
        terminatorScan = max(terminatorScan, start)
        var t = terminatorScan
        var blockEnd: Int? = nil
        while t + 3 < pending.count {
            if pending[t + 3] != 0x0A {
                // No match can start at t, t + 2 or t + 3; one at t + 1 needs a CR at t + 3.
                t += pending[t + 3] == 0x0D ? 1 : 4
                continue
            }
            if pending[t] == 0x0D && pending[t + 1] == 0x0A && pending[t + 2] == 0x0D {
                blockEnd = t
                break
            }
            t += 1
        }
        guard let end = blockEnd else {
            terminatorScan = max(start, pending.count - 3)
            if pending.count - start > FrameReader.maxHeaderBytes {
                reject("header block longer than \(FrameReader.maxHeaderBytes) bytes without a blank line", into: &events)
                return true
            }
            return false
        }
        if end - start > FrameReader.maxHeaderBytes {
            reject("header block longer than \(FrameReader.maxHeaderBytes) bytes", into: &events)
            return true
        }
        switch parseHeaderBlock(start..<end) {
        case .failure(let reason, let line):
            reject(reason, resumingAfter: line, into: &events)
        case .success(let length, let attachment):
            start = end + 4
            terminatorScan = start
            attachmentExpected = attachment
            if length > maxFrameBytes {
                discarded = 0
                state = .discard(declared: length, remaining: length)
            } else {
                body = []
                body.reserveCapacity(min(length, 1 << 16))  // grows as bytes arrive, never from the claim
                bodyExpected = length
                state = .body(remaining: length)
            }
        }
        return true
    }

    /// Reports the header block at `start` and skips to the next `Content-Length:` that begins
    /// after `position` (the start of the offending line; by default the block's first byte), so a
    /// rejected `Content-Length` line is not read again but one later in the same block is.
    private mutating func reject(_ reason: String, resumingAfter position: Int? = nil, into events: inout [FrameEvent]) {
        let shown = start..<min(pending.count, start + 80)
        events.append(.malformedHeader("\(reason): \(excerpt(shown))"))
        start = (position ?? start) + 1
        state = .resync
    }

    private enum HeaderResult {
        /// The body's length (with the attachment's) and the attachment's (nil: none).
        case success(Int, attachment: Int?)
        /// Why, and where the offending line starts.
        case failure(String, line: Int)
    }

    private enum LengthResult {
        case success(Int)
        case failure(String)
    }

    /// Reads the Content-Length (and, for a client, the Heed-Binary-Length) from header lines
    /// `pending[range]` (CRLF-separated, no blank line).
    private func parseHeaderBlock(_ range: Range<Int>) -> HeaderResult {
        var length: Int? = nil
        var attachment: Int? = nil
        var lineStart = range.lowerBound
        while lineStart <= range.upperBound {
            var lineEnd = lineStart
            while lineEnd < range.upperBound && !(pending[lineEnd] == 0x0D && lineEnd + 1 < range.upperBound && pending[lineEnd + 1] == 0x0A) {
                lineEnd += 1
            }
            let line = lineStart..<lineEnd
            lineStart = lineEnd + 2
            let at = line.lowerBound
            if line.isEmpty { return .failure("empty header line", line: at) }
            guard let colon = line.first(where: { pending[$0] == UInt8(ascii: ":") }) else {
                return .failure("header line without ':'", line: at)
            }
            let name = trimmed(line.lowerBound..<colon)
            let value = trimmed((colon + 1)..<line.upperBound)
            if name.isEmpty { return .failure("header line without a name", line: at) }
            if name.contains(where: { pending[$0] < 0x21 || pending[$0] > 0x7E }) {
                return .failure("invalid header name", line: at)
            }
            if line.contains(where: { pending[$0] == 0x0D || pending[$0] == 0x0A }) {
                return .failure("stray CR or LF in a header line", line: at)
            }
            if matches(name, FrameReader.contentLength) {
                switch parseLength(value, FrameReader.contentLengthName) {
                case .failure(let reason): return .failure(reason, line: at)
                case .success(let n):
                    if let previous = length, previous != n { return .failure("conflicting Content-Length headers", line: at) }
                    length = n
                }
            } else if readsBinaryAttachments && matches(name, FrameReader.binaryLength) {
                switch parseLength(value, FrameWriter.binaryLengthHeader) {
                case .failure(let reason): return .failure(reason, line: at)
                case .success(let n):
                    if let previous = attachment, previous != n { return .failure("conflicting \(FrameWriter.binaryLengthHeader) headers", line: at) }
                    attachment = n
                }
            }
        }
        guard let length else { return .failure("no Content-Length header", line: range.lowerBound) }
        guard let attachment else { return .success(length, attachment: nil) }
        let (total, overflow) = length.addingReportingOverflow(attachment)
        if overflow { return .failure("\(FrameWriter.binaryLengthHeader) too large", line: range.lowerBound) }
        return .success(total, attachment: attachment)
    }

    private func trimmed(_ r: Range<Int>) -> Range<Int> {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi && (pending[lo] == 0x20 || pending[lo] == 0x09) { lo += 1 }
        while hi > lo && (pending[hi - 1] == 0x20 || pending[hi - 1] == 0x09) { hi -= 1 }
        return lo..<hi
    }

    /// Whether header name `name` is `pattern` (lower case, with the colon), case-insensitively.
    private func matches(_ name: Range<Int>, _ pattern: [UInt8]) -> Bool {
        guard name.count == pattern.count - 1 else { return false }
        for (k, p) in name.enumerated() where lowercased(pending[p]) != pattern[k] { return false }
        return true
    }

    private func parseLength(_ value: Range<Int>, _ header: String) -> LengthResult {
        if value.isEmpty { return .failure("empty \(header)") }
        if pending[value.lowerBound] == UInt8(ascii: "-") { return .failure("negative \(header)") }
        var n = 0
        for p in value {
            let d = pending[p] &- UInt8(ascii: "0")
            guard d < 10 else { return .failure("\(header) is not a decimal number") }
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(d))
            if o1 || o2 { return .failure("\(header) too large") }
            n = s
        }
        return .success(n)
    }

    // MARK: Scanning for `Content-Length:`

    /// "content-length:" in lower case.
    private static let contentLength: [UInt8] = Array("content-length:".utf8)
    private static let contentLengthName = "Content-Length"
    /// "heed-binary-length:" in lower case.
    private static let binaryLength: [UInt8] = Array((FrameWriter.binaryLengthHeader.lowercased() + ":").utf8)

    @inline(__always)
    private func lowercased(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

    private enum Search {
        case found(Int)
        /// The input ends inside a possible match starting here.
        case partial(Int)
        case none
    }

    /// The first `Content-Length:` starting in `from..<limit` (it may run past `limit`).
    private func findContentLength(from: Int, before limit: Int) -> Search {
        let pattern = FrameReader.contentLength
        var p = from
        while p < limit {
            if lowercased(pending[p]) == pattern[0] {
                var k = 1
                while k < pattern.count && p + k < pending.count && lowercased(pending[p + k]) == pattern[k] { k += 1 }
                if k == pattern.count { return .found(p) }
                if p + k == pending.count { return .partial(p) }
            }
            p += 1
        }
        return .none
    }

    /// Drops consumed bytes from the front of `pending`.
    private mutating func compact() {
        guard start > 0 else { return }
        if start >= pending.count {
            pending.removeAll(keepingCapacity: pending.capacity <= 1 << 20)
        } else {
            pending.removeSubrange(0..<start)
        }
        terminatorScan = max(0, terminatorScan - start)
        start = 0
    }

    /// Up to 80 bytes of `pending` as printable text, for reports.
    private func excerpt(_ r: Range<Int>) -> String {
        var s = "\""
        for p in r.prefix(80) {
            let b = pending[p]
            switch b {
            case 0x0D: s += "\\r"
            case 0x0A: s += "\\n"
            case 0x22: s += "\\\""
            case 0x5C: s += "\\\\"
            case 0x20..<0x7F: s.append(Character(Unicode.Scalar(b)))
            default: s += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return s + (r.count > 80 ? "...\"" : "\"")
    }
}
