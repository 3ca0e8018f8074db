// The binary attachment of a response frame (protocol.md, section 1.1): raw little-endian
// float32 tensors written after the JSON body, announced by a `Heed-Binary-Length` header.
//
//   Content-Length: 412\r\n              the JSON body's bytes, as in every frame
//   Heed-Binary-Length: 2097152\r\n      the attachment's bytes
//   \r\n
//   {"jsonrpc":"2.0","id":7,"result":{... {"shape":[512,512],"dtype":"f32","byteOffset":0,"byteLength":1048576} ...}}
//   <tensor 0><zero padding to 64 bytes><tensor 1>...
//
// The attachment holds references to the result's own arrays and is written from them (no copy
// on a little-endian host): what it costs in memory is the analysis's output, already counted.

import HeedJSON

/// The tensors of one response, in attachment order, each starting at a multiple of `alignment` bytes.
public struct BinaryAttachment: Sendable {
    /// Every tensor starts at a multiple of this many bytes (from the attachment's first byte);
    /// the gaps are zero bytes.
    public static let alignment = 64

    /// The tensors in order (references to the result's arrays, not copies).
    public private(set) var tensors: [[Float]] = []
    /// Where each tensor starts.
    public private(set) var byteOffsets: [Int] = []
    /// The attachment's length: the end of the last tensor (no padding after it).
    public private(set) var byteCount = 0

    public init() {}

    /// Places `values` at the next aligned offset; returns that offset.
    public mutating func append(_ values: [Float]) -> Int {
        let offset = BinaryAttachment.aligned(byteCount)
        tensors.append(values)
        byteOffsets.append(offset)
        byteCount = offset + values.count * MemoryLayout<Float>.size
        return offset
    }

    /// `n` rounded up to a multiple of `alignment`.
    public static func aligned(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// The attachment's bytes in order, as a few large pieces (padding, then each tensor's raw
    /// bytes): `write` is called once per piece, and the pieces add up to `byteCount`.
    public func forEachPiece(_ write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var at = 0
        for (values, offset) in zip(tensors, byteOffsets) {
            if offset > at {
                try BinaryAttachment.zeros.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<(offset - at)])) }
            }
            #if _endian(big)
            let little = values.map { Float(bitPattern: $0.bitPattern.littleEndian) }
            try little.withUnsafeBytes { try write($0) }
            #else
            try values.withUnsafeBytes { try write($0) }
            #endif
            at = offset + values.count * MemoryLayout<Float>.size
        }
    }

    /// The whole attachment in one array (tests and small clients).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        forEachPiece { out.append(contentsOf: $0) }
        return out
    }

    private static let zeros = [UInt8](repeating: 0, count: alignment)
}

extension JSONWriter {
    /// `{"shape":[...],"dtype":"f32","byteOffset":o,"byteLength":n}`, with `values` placed in
    /// `attachment` at `o`.
    public mutating func tensor(_ values: [Float], shape: [Int], attachment: inout BinaryAttachment) {
        let offset = attachment.append(values)
        values.withUnsafeBufferPointer { tensorReference($0, shape: shape, byteOffset: offset) }
    }
}
