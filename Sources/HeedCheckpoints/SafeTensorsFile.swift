// Reader for the safetensors format (https://github.com/huggingface/safetensors):
//   8 bytes   N, the header length, unsigned little-endian
//   N bytes   JSON object: name -> {"dtype", "shape", "data_offsets": [begin, end]},
//             plus an optional "__metadata__": {string: string}
//   rest      the data section; offsets are relative to its start and need not be aligned.
// The whole file is memory-mapped; every header field is validated when the file is opened,
// so `tensor(_:)` can only fail for a dtype it does not convert.

import Foundation
import HeedKernels

/// One memory-mapped safetensors file with a validated header.
/// Immutable after `init`, so it can be shared between threads.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Headers above this are rejected (the reference implementation's limit).
    public static let maxHeaderByteCount = 100_000_000

    public let url: URL
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// Tensor names, sorted.
    public let tensorNames: [String]

    private struct Entry {
        let info: TensorInfo
        let byteOffset: Int   // from the start of the file
        let byteCount: Int
    }

    private let mapping: MappedFile
    private let entries: [String: Entry]

    /// Maps the file and validates its header. Throws `CheckpointError` naming the file and,
    /// where there is one, the offending tensor.
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        let mapping = try MappedFile(path: path)
        try GitLFSPointer.check(mapping.bytes, file: path, standsFor: "the weights")
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: path, problem: problem) }

        let fileByteCount = mapping.count
        if fileByteCount == 0 { throw fail("empty file (not a safetensors file)") }
        if fileByteCount < 8 {
            throw fail("file of \(fileByteCount) bytes is shorter than the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        memcpy(&headerLength, mapping.bytes.baseAddress!, 8)
        headerLength = UInt64(littleEndian: headerLength)
        let available = fileByteCount - 8
        if headerLength > UInt64(available) {
            throw fail("header length \(headerLength) runs past the end of the file (\(available) bytes after the length)")
        }
        if headerLength > UInt64(Self.maxHeaderByteCount) {
            throw fail("header length \(headerLength) exceeds the limit of \(Self.maxHeaderByteCount) bytes")
        }
        let headerByteCount = Int(headerLength)
        let headerBytes = Data(bytes: mapping.bytes.baseAddress! + 8, count: headerByteCount)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes, options: [.fragmentsAllowed])
        } catch {
            throw fail("header is not valid JSON (\(headerByteCount) bytes)")
        }
        guard let object = json as? [String: Any] else {
            throw fail("header is JSON but not an object")
        }

        let dataStart = 8 + headerByteCount
        let dataByteCount = fileByteCount - dataStart
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        var ranges: [(begin: Int, end: Int, name: String)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (key, item) in pairs {
                    guard let text = item as? String else {
                        throw fail("__metadata__ entry '\(key)' is \(JSONValue.describe(item)), not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            let entry = try Self.parseEntry(name: name, value: value, dataByteCount: dataByteCount, fail: fail)
            entries[name] = Entry(info: entry.info, byteOffset: dataStart + entry.begin, byteCount: entry.end - entry.begin)
            if entry.end > entry.begin { ranges.append((entry.begin, entry.end, name)) }
        }
        ranges.sort { $0.begin != $1.begin ? $0.begin < $1.begin : $0.name < $1.name }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where next.begin < previous.end {
            throw fail("tensors '\(previous.name)' [\(previous.begin), \(previous.end)) and '\(next.name)' [\(next.begin), \(next.end)) overlap")
        }

        self.mapping = mapping
        self.entries = entries
        self.metadata = metadata
        self.tensorNames = entries.keys.sorted()
    }

    private static func parseEntry(name: String, value: Any, dataByteCount: Int,
                                   fail: (String) -> CheckpointError) throws -> (info: TensorInfo, begin: Int, end: Int) {
        guard let fields = value as? [String: Any] else {
            throw fail("tensor '\(name)' is \(JSONValue.describe(value)), not an object")
        }
        guard let dtypeValue = fields["dtype"] else { throw fail("tensor '\(name)' has no dtype") }
        guard let dtypeName = dtypeValue as? String else {
            throw fail("tensor '\(name)' has dtype \(JSONValue.describe(dtypeValue)), not a string")
        }
        guard let dtype = TensorDType(rawValue: dtypeName) else {
            let known = TensorDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail("tensor '\(name)' has unknown dtype '\(dtypeName)' (known: \(known))")
        }
        guard let shapeValue = fields["shape"] else { throw fail("tensor '\(name)' has no shape") }
        guard let shapeItems = shapeValue as? [Any] else {
            throw fail("tensor '\(name)' has shape \(JSONValue.describe(shapeValue)), not an array")
        }
        var shape: [Int] = []
        var elementCount = 1
        var overflow = false
        for item in shapeItems {
            guard let dim = JSONValue.integer(item), dim >= 0 else {
                throw fail("tensor '\(name)' has shape entry \(JSONValue.describe(item)), not a non-negative integer")
            }
            shape.append(dim)
            let product = elementCount.multipliedReportingOverflow(by: dim)
            elementCount = product.partialValue
            overflow = overflow || product.overflow
        }
        let bytes = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow || bytes.overflow {
            throw fail("tensor '\(name)' has shape \(shape) too large to address")
        }
        guard let offsetsValue = fields["data_offsets"] else { throw fail("tensor '\(name)' has no data_offsets") }
        guard let offsets = offsetsValue as? [Any], offsets.count == 2,
              let begin = JSONValue.integer(offsets[0]), let end = JSONValue.integer(offsets[1]),
              begin >= 0, end >= 0 else {
            throw fail("tensor '\(name)' has data_offsets \(JSONValue.describe(offsetsValue)); expected [begin, end] with non-negative integers")
        }
        if end < begin {
            throw fail("tensor '\(name)' has data_offsets [\(begin), \(end)] that end before they begin")
        }
        if end > dataByteCount {
            throw fail("tensor '\(name)' has data_offsets [\(begin), \(end)] beyond the data section of \(dataByteCount) bytes (file truncated?)")
        }
        if end - begin != bytes.partialValue {
            throw fail("tensor '\(name)' has \(end - begin) bytes but dtype \(dtype.rawValue) and shape \(shape) need \(bytes.partialValue)")
        }
        return (TensorInfo(dtype: dtype, shape: shape), begin, end)
    }

    /// Type and shape of `name`, or nil when the file has no such tensor.
    public func info(_ name: String) -> TensorInfo? { entries[name]?.info }

    /// The tensor `name`, converted to float32 (a copy; the file stays mapped).
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else {
            throw CheckpointError(file: url.path, problem: "no tensor named '\(name)'")
        }
        let dtype = entry.info.dtype
        guard dtype.isConvertibleToFloat else {
            throw CheckpointError(file: url.path, problem: "tensor '\(name)' has dtype \(dtype.rawValue), which Heed cannot convert to float32 (it converts \(TensorDType.convertibleNames))")
        }
        let count = entry.info.elementCount
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 {
                FloatConversion.convert(dtype, from: mapping.bytes.baseAddress! + entry.byteOffset,
                                        count: count, into: buffer.baseAddress!)
            }
            initialized = count
        }
        return Tensor(shape: entry.info.shape, data: data)
    }

    /// The raw little-endian bytes of `name` inside the mapping (any alignment), valid while
    /// `body` runs. Nil when the file has no such tensor.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let entry = entries[name] else { return nil }
        let base = entry.byteCount == 0 ? nil : mapping.bytes.baseAddress! + entry.byteOffset
        return try withExtendedLifetime(mapping) {
            try body(UnsafeRawBufferPointer(start: base, count: entry.byteCount))
        }
    }
}
