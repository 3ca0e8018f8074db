// Reader for the safetensors format (https://github.com/huggingface/safetensors):
//   8 bytes   N, the header length, unsigned little-endian
//   N bytes   JSON object: name -> {"dtype", "shape", "data_offsets": [begin, end]},
//             plus an optional "__metadata__": {string: string}
//   rest      the data section; offsets are relative to its start and need not be aligned.
// The whole file is memory-mapped and the whole header is validated when the file is opened, by
// the format's rules (safetensors' Metadata::validate): names are unique; every tensor's
// [begin, end) lies in the data section and holds exactly dtype size x product(shape) bytes; the
// tensors, sorted by offset, cover the data section exactly (the first begins at 0, each begins
// where the previous ends, the last ends at the end of the section: no gap, no overlap; empty
// tensors sit on a boundary); `__metadata__` maps strings to strings. So `tensor(_:)` can only
// fail for a dtype it does not convert.

import Foundation
import HeedJSON
import HeedKernels

/// One memory-mapped safetensors file with a validated header.
/// Immutable after `init`, so it can be shared between threads.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Headers above this are rejected (the reference implementation's limit).
    public static let maxHeaderByteCount = 100_000_000

    /// The file.
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
    /// Tensors by name, compared byte for byte (canonically equivalent names stay distinct).
    private let entries: [JSONKey: Entry]

    /// Maps the file and validates its header. Throws `CheckpointError` naming the file, the
    /// offending tensor (where there is one) and the rule it breaks.
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
        let headerBytes = UnsafeRawBufferPointer(rebasing: mapping.bytes[8..<(8 + headerByteCount)]).bindMemory(to: UInt8.self)
        let json: JSONValue
        do {
            // Duplicate names are an error (the last would silently win), as are lone surrogates.
            json = try JSONParser.parse(buffer: headerBytes, options: .strict)
        } catch let error as JSONParseError {
            if let name = error.duplicateKey, error.depth == 1 {
                if name == "__metadata__" { throw fail("__metadata__ appears twice in the header") }
                throw fail("tensor '\(name)' is listed twice in the header; tensor names must be unique")
            }
            throw fail("header is not valid JSON: \(error.message) at byte \(error.byteOffset) of the header (\(headerByteCount) bytes)")
        }
        guard let object = json.objectValue else {
            throw fail("header is JSON but not an object")
        }

        let dataStart = 8 + headerByteCount
        let dataByteCount = fileByteCount - dataStart
        var metadata: [String: String] = [:]
        var entries: [JSONKey: Entry] = [:]
        var ranges: [(begin: Int, end: Int, name: String)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let pairs = value.objectValue else {
                    throw fail("__metadata__ is not an object (it is \(value.typeName)); __metadata__ must map strings to strings")
                }
                for (key, item) in pairs {
                    guard let text = item.stringValue else {
                        throw fail("__metadata__ entry '\(key)' is \(item.shortDescription), not a string; __metadata__ must map strings to strings")
                    }
                    metadata[key] = text
                }
                continue
            }
            let entry = try Self.parseEntry(name: name, value: value, dataByteCount: dataByteCount, fail: fail)
            entries[JSONKey(name)] = Entry(info: entry.info, byteOffset: dataStart + entry.begin, byteCount: entry.end - entry.begin)
            ranges.append((entry.begin, entry.end, name))
        }
        try Self.checkCoverage(ranges, dataByteCount: dataByteCount, fail: fail)

        self.mapping = mapping
        self.entries = entries
        self.metadata = metadata
        self.tensorNames = entries.keys.map(\.string).sorted()
    }

    /// The tensors, sorted by (begin, end), must tile [0, dataByteCount): each begins where the
    /// previous one ends. Empty tensors are allowed on a boundary.
    private static func checkCoverage(_ unsorted: [(begin: Int, end: Int, name: String)], dataByteCount: Int,
                                      fail: (String) -> CheckpointError) throws {
        let rule = "the tensors must cover the data section without gaps"
        guard !unsorted.isEmpty else {
            if dataByteCount > 0 { throw fail("the data section has \(dataByteCount) bytes but the header lists no tensor; \(rule)") }
            return
        }
        let ranges = unsorted.sorted {
            ($0.begin, $0.end) != ($1.begin, $1.end) ? ($0.begin, $0.end) < ($1.begin, $1.end)
                : Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8))
        }
        var covered = 0                  // bytes [0, covered) belong to the tensors seen so far
        var last: (begin: Int, end: Int, name: String)? = nil  // the tensor ending at `covered`
        for r in ranges {
            if r.begin > covered {
                if let last {
                    throw fail("tensor '\(r.name)' begins at byte \(r.begin) of the data section but the previous tensor '\(last.name)' ends at byte \(covered): bytes [\(covered), \(r.begin)) belong to no tensor; \(rule)")
                }
                throw fail("tensor '\(r.name)' begins at byte \(r.begin) of the data section: bytes [0, \(r.begin)) belong to no tensor; \(rule)")
            }
            if r.begin < covered, let last {  // `last` is not empty: it ends after r begins
                if r.begin == r.end {
                    throw fail("tensor '\(r.name)' is empty at byte \(r.begin), inside tensor '\(last.name)' [\(last.begin), \(last.end)); an empty tensor must sit where one tensor ends")
                }
                throw fail("tensors '\(last.name)' [\(last.begin), \(last.end)) and '\(r.name)' [\(r.begin), \(r.end)) overlap; tensors must not share bytes")
            }
            last = r  // r begins at `covered`
            covered = r.end
        }
        if covered < dataByteCount {
            throw fail("the data section has \(dataByteCount) bytes but the last tensor '\(last!.name)' ends at byte \(covered): bytes [\(covered), \(dataByteCount)) belong to no tensor; \(rule)")
        }
    }

    private static func parseEntry(name: String, value: JSONValue, dataByteCount: Int,
                                   fail: (String) -> CheckpointError) throws -> (info: TensorInfo, begin: Int, end: Int) {
        guard let fields = value.objectValue else {
            throw fail("tensor '\(name)' is \(value.shortDescription), not an object")
        }
        guard let dtypeValue = fields["dtype"] else { throw fail("tensor '\(name)' has no dtype") }
        guard let dtypeName = dtypeValue.stringValue else {
            throw fail("tensor '\(name)' has dtype \(dtypeValue.shortDescription), not a string")
        }
        guard let dtype = TensorDType(rawValue: dtypeName) else {
            let known = TensorDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail("tensor '\(name)' has unknown dtype '\(dtypeName)' (known: \(known))")
        }
        guard let shapeValue = fields["shape"] else { throw fail("tensor '\(name)' has no shape") }
        guard let shapeItems = shapeValue.arrayValue else {
            throw fail("tensor '\(name)' has shape \(shapeValue.shortDescription), not an array")
        }
        var shape: [Int] = []
        var elementCount = 1
        var overflow = false
        for item in shapeItems {
            guard let dim = item.numberValue?.int, dim >= 0 else {
                throw fail("tensor '\(name)' has shape entry \(item.shortDescription), not a non-negative integer")
            }
            shape.append(dim)
            let product = elementCount.multipliedReportingOverflow(by: dim)
            elementCount = product.partialValue
            overflow = overflow || product.overflow
        }
        let bytes = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow || bytes.overflow {
            throw fail("tensor '\(name)' has shape \(shape) too large to address; its byte count must fit in a 64-bit integer")
        }
        guard let offsetsValue = fields["data_offsets"] else { throw fail("tensor '\(name)' has no data_offsets") }
        guard let offsets = offsetsValue.arrayValue, offsets.count == 2,
              let begin = offsets[0].numberValue?.int, let end = offsets[1].numberValue?.int,
              begin >= 0, end >= 0 else {
            let shown = offsetsValue.arrayValue.map { "[" + $0.map(\.shortDescription).joined(separator: ", ") + "]" }
                ?? offsetsValue.shortDescription
            throw fail("tensor '\(name)' has data_offsets \(shown); expected [begin, end] with non-negative integers")
        }
        if end < begin {
            throw fail("tensor '\(name)' has data_offsets [\(begin), \(end)] that end before they begin; begin must not exceed end")
        }
        if end > dataByteCount {
            throw fail("tensor '\(name)' has data_offsets [\(begin), \(end)] beyond the data section of \(dataByteCount) bytes (file truncated?); every tensor must lie inside the data section")
        }
        if end - begin != bytes.partialValue {
            throw fail("tensor '\(name)' has \(end - begin) bytes but dtype \(dtype.rawValue) and shape \(shape) need \(bytes.partialValue); a tensor's byte count must be its dtype size times the product of its shape")
        }
        return (TensorInfo(dtype: dtype, shape: shape), begin, end)
    }

    /// Type and shape of `name`, or nil when the file has no such tensor.
    public func info(_ name: String) -> TensorInfo? { entries[JSONKey(name)]?.info }

    /// The tensor `name`, converted to float32 (a copy; the file stays mapped).
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[JSONKey(name)] else {
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
        guard let entry = entries[JSONKey(name)] else { return nil }
        let base = entry.byteCount == 0 ? nil : mapping.bytes.baseAddress! + entry.byteOffset
        return try withExtendedLifetime(mapping) {
            try body(UnsafeRawBufferPointer(start: base, count: entry.byteCount))
        }
    }
}
