// LSP base-protocol framing, write side: `Content-Length: N\r\n\r\n` + body.

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

    /// The header for a body of `byteCount` bytes: `Content-Length: N\r\n\r\n`.
    public static func header(byteCount: Int) -> [UInt8] {
        Array("Content-Length: \(byteCount)\r\n\r\n".utf8)
    }

    /// Header and body in one buffer.
    public static func encodeFrame<C: Collection>(body: C) -> [UInt8] where C.Element == UInt8 {
        var frame = header(byteCount: body.count)
        frame.append(contentsOf: body)
        return frame
    }

    /// Writes one frame (header, then body, without copying the body), retrying short writes and EINTR.
    public func write(body: [UInt8]) throws {
        let head = FrameWriter.header(byteCount: body.count)
        lock.lock()
        defer { lock.unlock() }
        try head.withUnsafeBytes { try writeAll($0) }
        try body.withUnsafeBytes { try writeAll($0) }
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
