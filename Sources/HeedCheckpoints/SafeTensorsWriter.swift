// A small safetensors writer, for test fixtures and tiny models built in tests.
// Tensors are laid out in the order they are added, with no padding between them.

import Foundation
import HeedJSON
import HeedKernels

/// Builds a safetensors file in memory.
public struct SafeTensorsWriter {
    private struct Item {
        let name: String
        let dtype: TensorDType
        let shape: [Int]
        let bytes: [UInt8]
    }

    private var items: [Item] = []
    /// The header's `__metadata__` (omitted when empty).
    public var metadata: [String: String]

    /// An empty file with `metadata`.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Adds a tensor from its raw little-endian bytes. Precondition: the byte count matches
    /// dtype and shape, and the name is new.
    public mutating func add(_ name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8]) {
        precondition(shape.reduce(1, *) * dtype.byteSize == bytes.count, "SafeTensorsWriter: \(name) has \(bytes.count) bytes for \(dtype.rawValue) \(shape)")
        precondition(!items.contains { $0.name == name }, "SafeTensorsWriter: duplicate tensor \(name)")
        items.append(Item(name: name, dtype: dtype, shape: shape, bytes: bytes))
    }

    /// Adds a float32 tensor.
    public mutating func add(_ name: String, _ tensor: Tensor) {
        add(name, dtype: .f32, shape: tensor.shape, bytes: Self.littleEndianBytes(tensor.data))
    }

    /// Adds 16-bit elements (F16 or BF16 bit patterns, or I16/U16).
    public mutating func add(_ name: String, dtype: TensorDType, shape: [Int], bits16: [UInt16]) {
        precondition(dtype.byteSize == 2, "SafeTensorsWriter: \(dtype.rawValue) is not a 16-bit dtype")
        add(name, dtype: dtype, shape: shape, bytes: Self.littleEndianBytes(bits16))
    }

    /// The file's bytes. The header is padded with spaces so the data section starts at a
    /// multiple of `headerAlignment` (8, as the reference writer does; 1 means no padding).
    public func serialized(headerAlignment: Int = 8) -> Data {
        // Keys sorted by their UTF-8 bytes ("__metadata__" and the inner keys included), as
        // serde_json writes a BTreeMap; tensor data stays in the order the tensors were added.
        func byBytes(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }
        var members: [(name: String, item: Item?, begin: Int)] = []
        var offset = 0
        for item in items {
            members.append((item.name, item, offset))
            offset += item.bytes.count
        }
        if !metadata.isEmpty { members.append(("__metadata__", nil, 0)) }
        var writer = JSONWriter()
        writer.beginObject()
        for (name, item, begin) in members.sorted(by: { byBytes($0.name, $1.name) }) {
            writer.key(name)
            writer.beginObject()
            if let item {
                let end = begin + item.bytes.count
                writer.key("data_offsets"); writer.beginArray(); writer.int(begin); writer.int(end); writer.endArray()
                writer.key("dtype"); writer.string(item.dtype.rawValue)
                writer.key("shape"); writer.beginArray(); for d in item.shape { writer.int(d) }; writer.endArray()
            } else {
                for key in metadata.keys.sorted(by: byBytes) { writer.key(key); writer.string(metadata[key]!) }
            }
            writer.endObject()
        }
        writer.endObject()
        var json = Data(writer.bytes)
        let alignment = max(1, headerAlignment)
        while (8 + json.count) % alignment != 0 { json.append(UInt8(ascii: " ")) }
        var out = Data(Self.littleEndianBytes([UInt64(json.count)]))
        out.append(json)
        for item in items { out.append(contentsOf: item.bytes) }
        return out
    }

    /// Writes `serialized(headerAlignment:)` to `url`.
    public func write(to url: URL, headerAlignment: Int = 8) throws {
        try serialized(headerAlignment: headerAlignment).write(to: url)
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * MemoryLayout<T>.size)
        for v in values {
            var le = v.littleEndian
            withUnsafeBytes(of: &le) { out.append(contentsOf: $0) }
        }
        return out
    }

    static func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        littleEndianBytes(values.map(\.bitPattern))
    }
}
