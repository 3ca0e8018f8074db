// Reader for GGUF files (ggml docs/gguf.md, version 2 and 3; ggml src/gguf.cpp
// `gguf_init_from_file_impl` and gguf-py `gguf_reader.py` are the references):
//   4 bytes   magic "GGUF"
//   uint32    version (2 or 3; 1 had 32-bit counts and is refused, as ggml refuses it)
//   uint64    tensor count, uint64 metadata key/value count
//   kv pairs  key (string), value type (uint32), value
//   tensor infos: name (string), n_dims (uint32), n_dims x uint64 dimensions (fastest first),
//             ggml type (uint32), uint64 offset relative to the data section
//   padding to `general.alignment` (a uint32, default 32), then the data section.
// Strings are a uint64 byte length and UTF-8 bytes, no terminator; arrays are an element type
// (uint32), a uint64 count and the elements. Everything is little-endian.
// The whole file is memory-mapped and everything but the tensor data is validated at open: a
// count or length is checked against the bytes left before anything is skipped or allocated,
// every read is bounds-checked, and every tensor must lie in the file, aligned, without
// overlapping another. Tensor data is read by GGUFTensorData.swift (`tensorData`, `dequantized`).

import Foundation
import HeedJSON

/// One tensor's entry in a GGUF file: name, shape, type and where its bytes lie.
public struct GGUFTensorInfo: Equatable, Sendable {
    /// The tensor's name as stored ("blk.0.attn_q.weight").
    public let name: String
    /// Dimensions as GGUF stores them (ggml `ne`): the fastest-varying first. A PyTorch weight
    /// of shape (out, in) is stored as [in, out].
    public let dimensions: [Int]
    /// Element type.
    public let type: GGMLType
    /// Byte offset of the data from the start of the data section (`GGUFFile.dataOffset`).
    public let offset: Int
    /// Bytes the data takes: elements / blockSize x bytesPerBlock.
    public let byteCount: Int

    /// The product of the dimensions (1 for no dimension).
    public var elementCount: Int { dimensions.reduce(1, *) }
}

/// One memory-mapped GGUF file with validated metadata and tensor infos.
/// Immutable after `init`, so it can be shared between threads.
public final class GGUFFile: @unchecked Sendable {
    /// Arrays nested deeper than this are refused (ggml itself refuses any nesting).
    public static let maxArrayNesting = 8
    /// ggml's GGML_MAX_DIMS: tensors with more dimensions are refused.
    public static let maxDimensions = 4
    /// The alignment when `general.alignment` is absent (GGUF_DEFAULT_ALIGNMENT).
    public static let defaultAlignment = 32

    /// The file.
    public let url: URL
    /// The header's version: 2 or 3.
    public let version: Int
    /// `general.alignment`, or 32.
    public let alignment: Int
    /// Byte offset of the data section from the start of the file: the end of the tensor infos
    /// rounded up to `alignment`. Add a tensor's `offset` to find its data.
    public let dataOffset: Int
    /// Size of the file in bytes.
    public let fileByteCount: Int
    /// Metadata keys in file order.
    public let keys: [String]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]

    let mapping: MappedFile
    /// Values by key, compared byte for byte.
    private let values: [JSONKey: GGUFValue]
    private let tensorIndex: [JSONKey: Int]

    /// The path, for error messages.
    var path: String { url.path }

    /// Maps the file and validates its header, metadata and tensor infos. Throws `GGUFError`
    /// naming the file, the key or tensor involved and the rule broken (see `GGUFError.Rule`).
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        func fail(_ rule: GGUFError.Rule, _ problem: String) -> GGUFError {
            GGUFError(file: path, rule: rule, problem: problem)
        }
        let mapping: MappedFile
        do { mapping = try MappedFile(path: path) } catch let e as CheckpointError {
            throw fail(.unreadable, e.problem)
        }
        do { try GitLFSPointer.check(mapping.bytes, file: path, standsFor: "the GGUF model") } catch let e as CheckpointError {
            throw fail(.gitLFSPointer, e.problem)
        }
        let bytes = mapping.bytes.bindMemory(to: UInt8.self)
        var cursor = GGUFCursor(bytes: bytes, file: path)

        // Header.
        if bytes.count < 4 || !(bytes[0] == 0x47 && bytes[1] == 0x47 && bytes[2] == 0x55 && bytes[3] == 0x46) {
            let start = bytes.prefix(4).map { b in (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16) }.joined()
            throw fail(.notGGUF, bytes.isEmpty ? "empty file (not a GGUF file)" : "does not begin with the magic \"GGUF\" (it begins \"\(start)\"): not a GGUF file")
        }
        cursor.position = 4
        let rawVersion = try cursor.uint32("the header's version")
        guard rawVersion == 2 || rawVersion == 3 else {
            var problem = "GGUF version \(rawVersion) is not supported (versions 2 and 3 are)"
            if rawVersion == 1 { problem += "; version 1 is obsolete: convert the model again with a current llama.cpp" }
            if rawVersion.byteSwapped == 2 || rawVersion.byteSwapped == 3 { problem += "; the file looks big-endian, which Heed does not read" }
            throw fail(.unsupportedVersion, problem)
        }
        let tensorCount64 = try cursor.uint64("the header's tensor count")
        let keyCount64 = try cursor.uint64("the header's metadata count")
        // A key/value pair takes at least 13 bytes (key length, type, a 1-byte value), a tensor
        // info at least 24 (name length, n_dims, type, offset): counts that cannot fit are refused
        // before anything is reserved for them.
        guard keyCount64 <= UInt64(cursor.remaining / 13) else {
            throw fail(.countTooLarge, "the header claims \(keyCount64) metadata key/value pairs but the \(cursor.remaining) bytes after it hold at most \(cursor.remaining / 13)")
        }
        guard tensorCount64 <= UInt64(cursor.remaining / 24) else {
            throw fail(.countTooLarge, "the header claims \(tensorCount64) tensors but the \(cursor.remaining) bytes after it hold at most \(cursor.remaining / 24) tensor infos")
        }
        let keyCount = Int(keyCount64), tensorCount = Int(tensorCount64)

        // Metadata.
        var keys: [String] = []
        var values: [JSONKey: GGUFValue] = [:]
        // Reserve for what a real file holds at most; more grows only as entries are actually read.
        keys.reserveCapacity(min(keyCount, 1024))
        values.reserveCapacity(min(keyCount, 1024))
        for index in 0..<keyCount {
            let key = try cursor.string("the key of metadata entry \(index)")
            if values[JSONKey(key)] != nil {
                throw fail(.duplicateKey, "metadata key '\(key)' appears twice (entries \(keys.firstIndex { JSONKey($0) == JSONKey(key) } ?? 0) and \(index)); keys must be unique")
            }
            let typeID = try cursor.uint32("the value type of key '\(key)'")
            guard let type = GGUFValueType(rawValue: typeID) else {
                throw fail(.unknownValueType, "metadata key '\(key)' has unknown value type \(typeID) (known: 0...12)")
            }
            let value = try Self.readValue(type, at: &cursor, label: "the value of key '\(key)'", depth: 0)
            keys.append(key)
            values[JSONKey(key)] = value
        }

        // Alignment: a uint32 power of two, as ggml and gguf-py require.
        var alignment = Self.defaultAlignment
        if let value = values[JSONKey("general.alignment")] {
            guard case let .uint32(a) = value else {
                throw fail(.badAlignment, "general.alignment is \(value.typeDescription); it must be a uint32")
            }
            guard a > 0, a & (a - 1) == 0 else {
                throw fail(.badAlignment, "general.alignment is \(a); it must be a power of two")
            }
            alignment = Int(a)
        }

        // Tensor infos.
        var tensors: [GGUFTensorInfo] = []
        var tensorIndex: [JSONKey: Int] = [:]
        tensors.reserveCapacity(min(tensorCount, 4096))
        tensorIndex.reserveCapacity(min(tensorCount, 4096))
        for index in 0..<tensorCount {
            let info = try Self.readTensorInfo(index, at: &cursor)
            if let first = tensorIndex[JSONKey(info.name)] {
                throw fail(.duplicateTensor, "tensor '\(info.name)' is listed twice (tensor infos \(first) and \(index)); tensor names must be unique")
            }
            tensorIndex[JSONKey(info.name)] = index
            tensors.append(info)
        }

        // Data section and tensor placement.
        let (padded, overflow) = cursor.position.addingReportingOverflow((alignment - cursor.position % alignment) % alignment)
        let dataOffset = overflow ? Int.max : padded
        for t in tensors {
            guard t.offset % alignment == 0 else {
                throw fail(.misalignedTensor, "tensor '\(t.name)' has offset \(t.offset), not a multiple of the alignment \(alignment)")
            }
            _ = try Self.byteRange(of: t, dataOffset: dataOffset, fileByteCount: bytes.count, path: path)
        }
        let byOffset = tensors.indices.filter { tensors[$0].byteCount > 0 }.sorted {
            (tensors[$0].offset, $0) < (tensors[$1].offset, $1)
        }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) where tensors[a].offset + tensors[a].byteCount > tensors[b].offset {
            let ta = tensors[a], tb = tensors[b]
            throw fail(.overlappingTensors, "tensors '\(ta.name)' [\(ta.offset), \(ta.offset + ta.byteCount)) and '\(tb.name)' [\(tb.offset), \(tb.offset + tb.byteCount)) overlap in the data section; tensors must not share bytes")
        }

        self.mapping = mapping
        self.version = Int(rawVersion)
        self.alignment = alignment
        self.dataOffset = dataOffset
        self.fileByteCount = bytes.count
        self.keys = keys
        self.values = values
        self.tensors = tensors
        self.tensorIndex = tensorIndex
    }

    /// The value of metadata key `key`, or nil when the file has no such key.
    public func value(_ key: String) -> GGUFValue? { values[JSONKey(key)] }

    /// The info of the tensor called `name`, or nil.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[JSONKey(name)].map { tensors[$0] }
    }

    /// Byte offset of `tensor`'s data from the start of the file.
    public func fileOffset(of tensor: GGUFTensorInfo) -> Int { dataOffset + tensor.offset }

    /// The bytes of `tensor`'s data, as offsets from the start of the file: inside the data
    /// section and the file, computed without overflow. Throws `GGUFError` (.tensorOutsideFile)
    /// otherwise. The one place this rule is checked (at open and at every data read).
    static func byteRange(of t: GGUFTensorInfo, dataOffset: Int, fileByteCount: Int, path: String) throws -> Range<Int> {
        let (start, o1) = dataOffset.addingReportingOverflow(t.offset)
        let (end, o2) = start.addingReportingOverflow(t.byteCount)
        guard t.offset >= 0, t.byteCount >= 0, !o1, !o2, end <= fileByteCount else {
            throw GGUFError(file: path, rule: .tensorOutsideFile, problem: "tensor '\(t.name)' (\(t.type), \(t.byteCount) bytes at offset \(t.offset) of the data section, which begins at byte \(dataOffset)) runs past the end of the file (\(fileByteCount) bytes)")
        }
        return start..<end
    }

    // MARK: - Parsing

    /// Reads one value of `type` at the cursor. Arrays are walked (every length and count
    /// checked) but not decoded.
    static func readValue(_ type: GGUFValueType, at cursor: inout GGUFCursor, label: @autoclosure () -> String,
                          depth: Int) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try cursor.uint8(label()))
        case .int8: return .int8(Int8(bitPattern: try cursor.uint8(label())))
        case .uint16: return .uint16(cursor.load(UInt16.self, at: try cursor.take(2, label())))
        case .int16: return .int16(cursor.load(Int16.self, at: try cursor.take(2, label())))
        case .uint32: return .uint32(try cursor.uint32(label()))
        case .int32: return .int32(Int32(bitPattern: try cursor.uint32(label())))
        case .uint64: return .uint64(try cursor.uint64(label()))
        case .int64: return .int64(Int64(bitPattern: try cursor.uint64(label())))
        case .float32: return .float32(Float(bitPattern: try cursor.uint32(label())))
        case .float64: return .float64(Double(bitPattern: try cursor.uint64(label())))
        case .bool:
            let byte = try cursor.uint8(label())
            guard byte <= 1 else {
                throw cursor.fail(.invalidBool, "\(label()) is a bool stored as \(byte); a bool must be 0 or 1")
            }
            return .bool(byte == 1)
        case .string: return .string(try cursor.string(label()))
        case .array: return .array(try readArray(at: &cursor, label: label(), depth: depth + 1))
        }
    }

    /// Reads an array's element type and count and walks its elements.
    static func readArray(at cursor: inout GGUFCursor, label: @autoclosure () -> String, depth: Int) throws -> GGUFArray {
        guard depth <= maxArrayNesting else {
            throw cursor.fail(.nestingTooDeep, "\(label()) nests arrays \(depth) deep; at most \(maxArrayNesting) levels are read")
        }
        let typeID = try cursor.uint32("the element type of \(label())")
        guard let elementType = GGUFValueType(rawValue: typeID) else {
            throw cursor.fail(.unknownValueType, "\(label()) is an array of unknown value type \(typeID) (known: 0...12)")
        }
        let count64 = try cursor.uint64("the element count of \(label())")
        let minimum = elementType.minimumByteCount
        guard count64 <= UInt64(cursor.remaining / minimum) else {
            throw cursor.fail(.countTooLarge, "\(label()) claims \(count64) elements of type \(elementType) (at least \(minimum) bytes each) but only \(cursor.remaining) bytes of the file follow")
        }
        let count = Int(count64)
        let start = cursor.position
        switch elementType {
        case .string:
            for i in 0..<count { _ = try cursor.stringRange("string \(i) of \(label())") }
        case .array:
            for i in 0..<count { _ = try readArray(at: &cursor, label: "element \(i) of \(label())", depth: depth + 1) }
        case .bool:
            _ = try cursor.take(count, label())
            if let i = cursor.bytes[start..<cursor.position].firstIndex(where: { $0 > 1 }) {
                throw cursor.fail(.invalidBool, "element \(i - start) of \(label()) is a bool stored as \(cursor.bytes[i]); a bool must be 0 or 1")
            }
        default:
            _ = try cursor.take(count * minimum, label())  // count * minimum <= remaining: no overflow
        }
        return GGUFArray(elementType: elementType, count: count, byteOffset: start, byteCount: cursor.position - start)
    }

    /// Reads tensor info `index`: name, dimensions, type and offset, with the shape rules.
    static func readTensorInfo(_ index: Int, at cursor: inout GGUFCursor) throws -> GGUFTensorInfo {
        let name = try cursor.string("the name of tensor info \(index)")
        let dimensionCount = try cursor.uint32("the dimension count of tensor '\(name)'")
        guard dimensionCount <= maxDimensions else {
            throw cursor.fail(.badShape, "tensor '\(name)' has \(dimensionCount) dimensions; at most \(maxDimensions) are allowed")
        }
        var dimensions: [Int] = []
        dimensions.reserveCapacity(Int(dimensionCount))
        var elementCount = 1
        for d in 0..<Int(dimensionCount) {
            let n = try cursor.uint64("dimension \(d) of tensor '\(name)'")
            guard n <= UInt64(Int64.max) else {
                throw cursor.fail(.badShape, "tensor '\(name)' has dimension \(d) of \(n) elements, above \(Int64.max)")
            }
            dimensions.append(Int(n))
        }
        for n in dimensions {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: n)
            guard !overflow else {
                throw cursor.fail(.badShape, "tensor '\(name)' of shape \(dimensions) has more elements than \(Int.max)")
            }
            elementCount = product
        }
        let typeID = try cursor.uint32("the type of tensor '\(name)'")
        guard let type = GGMLType(rawValue: typeID) else {
            throw cursor.fail(.unknownTensorType, "tensor '\(name)' has unknown ggml type \(typeID) (known: \(GGMLType.allCases.map { "\($0.rawValue) \($0.name)" }.joined(separator: ", ")))")
        }
        let rowLength = dimensions.first ?? 1
        guard rowLength % type.blockSize == 0 else {
            throw cursor.fail(.badShape, "tensor '\(name)' of type \(type) has \(rowLength) elements per row (the first dimension of shape \(dimensions)), not a multiple of the type's block size \(type.blockSize)")
        }
        guard let byteCount = type.byteCount(elementCount: elementCount) else {
            throw cursor.fail(.badShape, "tensor '\(name)' of type \(type) and shape \(dimensions) would take more than \(Int.max) bytes")
        }
        let offset = try cursor.uint64("the offset of tensor '\(name)'")
        guard offset <= UInt64(Int.max) else {
            throw cursor.fail(.tensorOutsideFile, "tensor '\(name)' has offset \(offset), beyond any file")
        }
        return GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: Int(offset), byteCount: byteCount)
    }
}
