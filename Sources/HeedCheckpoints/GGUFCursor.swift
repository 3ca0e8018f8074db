// A bounds-checked little-endian reader over a GGUF file's mapping. Every read checks that its
// bytes lie inside the mapping first and throws `GGUFError` (truncated / countTooLarge) when
// they do not, so the reader never touches memory outside the file.

/// Reads fields in order from `bytes`, starting at `position`.
struct GGUFCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    /// Byte offset of the next read, from the start of the file.
    var position: Int

    init(bytes: UnsafeBufferPointer<UInt8>, file: String, position: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.position = position
    }

    /// Bytes after `position`.
    var remaining: Int { bytes.count - position }

    func fail(_ rule: GGUFError.Rule, _ problem: String) -> GGUFError {
        GGUFError(file: file, rule: rule, problem: problem)
    }

    /// Advances past `count` bytes and returns the offset of the first; `what` names the field
    /// for the error when the file ends first.
    @inline(__always)
    mutating func take(_ count: Int, _ what: @autoclosure () -> String) throws -> Int {
        guard count <= remaining else {
            throw fail(.truncated, "the file ends inside \(what()): \(count) bytes needed at byte \(position), \(remaining) left (file of \(bytes.count) bytes)")
        }
        let start = position
        position += count
        return start
    }

    @inline(__always)
    mutating func uint8(_ what: @autoclosure () -> String) throws -> UInt8 {
        bytes[try take(1, what())]
    }

    @inline(__always)
    mutating func uint32(_ what: @autoclosure () -> String) throws -> UInt32 {
        let at = try take(4, what())
        return UInt32(littleEndian: UnsafeRawBufferPointer(bytes).loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    @inline(__always)
    mutating func uint64(_ what: @autoclosure () -> String) throws -> UInt64 {
        let at = try take(8, what())
        return UInt64(littleEndian: UnsafeRawBufferPointer(bytes).loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    /// Reads a string's length and skips its bytes; returns where they lie. A length beyond the
    /// rest of the file throws `countTooLarge`.
    @inline(__always)
    mutating func stringRange(_ what: @autoclosure () -> String) throws -> Range<Int> {
        let length = try uint64("the length of \(what())")
        guard length <= UInt64(remaining) else {
            throw fail(.countTooLarge, "\(what()) claims \(length) bytes but only \(remaining) bytes of the file follow its length (at byte \(position - 8))")
        }
        let start = position
        position += Int(length)
        return start..<position
    }

    /// The UTF-8 text of `range` (inside the mapping), or nil when it is not valid UTF-8.
    /// Decoded straight from the mapped bytes.
    @inline(__always)
    func text(_ range: Range<Int>) -> String? {
        let utf8 = UnsafeBufferPointer(rebasing: bytes[range])
        if #available(macOS 15, iOS 18, tvOS 18, watchOS 11, visionOS 2, *) {
            return String(validating: utf8, as: UTF8.self)
        }
        return Self.textByTranscoding(utf8)
    }

    /// `String(validating:as:)` for systems that lack it (macOS before 15): validates by
    /// transcoding, then decodes.
    static func textByTranscoding(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
        let failed = transcode(utf8.makeIterator(), from: UTF8.self, to: UTF32.self, stoppingOnError: true) { _ in }
        return failed ? nil : String(decoding: utf8, as: UTF8.self)
    }

    /// Reads a string and decodes it; invalid UTF-8 throws `invalidUTF8`.
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let range = try stringRange(what())
        guard let text = text(range) else {
            throw fail(.invalidUTF8, "\(what()) (\(range.count) bytes at byte \(range.lowerBound)) is not valid UTF-8")
        }
        return text
    }

    /// Fixed-size little-endian loads at an offset already checked to lie in the file.
    @inline(__always)
    func load<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        T(littleEndian: UnsafeRawBufferPointer(bytes).loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
