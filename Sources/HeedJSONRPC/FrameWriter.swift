// LSP base-protocol framing, write side: `Content-Length: N\r\n\r\n` + body (+ a binary
// attachment announced by `Heed-Binary-Length`, only for requests that asked for one).

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed write to the output (the peer closed the pipe, or the descriptor is bad).
public struct FrameWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The `errno` of the failed `write(2)`.
    public let errorNumber: Int32
    public var description: String { "cannot write a frame: \(String(cString: strerror(errorNumber)))" }
}

/// Writes whole frames to a file descriptor; frames written from several threads never interleave.
public final class FrameWriter: @unchecked Sendable {
    public let fileDescriptor: Int32
    private let lock = NSLock()

    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    /// The header for a body of `byteCount` bytes: `Content-Length: N\r\n\r\n`; with an
    /// attachment, `Content-Length: N\r\nHeed-Binary-Length: M\r\n\r\n` (protocol.md, section 1.1).
    public static func header(byteCount: Int, attachmentByteCount: Int? = nil) -> [UInt8] {
        guard let m = attachmentByteCount else { return Array("Content-Length: \(byteCount)\r\n\r\n".utf8) }
        return Array("Content-Length: \(byteCount)\r\n\(FrameWriter.binaryLengthHeader): \(m)\r\n\r\n".utf8)
    }

    /// The header that announces a binary attachment after the JSON body.
    public static let binaryLengthHeader = "Heed-Binary-Length"

    /// Header and body in one buffer.
    public static func encodeFrame<C: Collection>(body: C) -> [UInt8] where C.Element == UInt8 {
        var frame = header(byteCount: body.count)
        frame.append(contentsOf: body)
        return frame
    }

    /// Header, body and attachment in one buffer (tests).
    public static func encodeFrame<C: Collection>(body: C, attachment: [UInt8]) -> [UInt8] where C.Element == UInt8 {
        var frame = header(byteCount: body.count, attachmentByteCount: attachment.count)
        frame.append(contentsOf: body)
        frame.append(contentsOf: attachment)
        return frame
    }

    /// Writes one frame (header, then body, then the attachment if any, without copying either),
    /// retrying short writes and EINTR.
    public func write(body: [UInt8], attachment: BinaryAttachment? = nil) throws {
        let head = FrameWriter.header(byteCount: body.count, attachmentByteCount: attachment?.byteCount)
        lock.lock()
        defer { lock.unlock() }
        try head.withUnsafeBytes { try writeAll($0) }
        try body.withUnsafeBytes { try writeAll($0) }
        try attachment?.forEachPiece { try writeAll($0) }
    }

    private func writeAll(_ buffer: UnsafeRawBufferPointer) throws {
        guard var p = buffer.baseAddress else { return }
        var left = buffer.count
        while left > 0 {
            #if canImport(Glibc)
            let n = Glibc.write(fileDescriptor, p, left)
            #else
            let n = Darwin.write(fileDescriptor, p, left)
            #endif
            if n < 0 {
                if errno == EINTR { continue }
                throw FrameWriteError(errorNumber: errno)
            }
            p += n
            left -= n
        }
    }
}
