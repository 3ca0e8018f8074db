// A small safetensors writer, for test fixtures and tiny models built in tests.
// Tensors are laid out in the order they are added, with no padding between them.

import Foundation
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
    public var metadata: [String: String]

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
        var header: [String: Any] = [:]
        var offset = 0
        for item in items {
            header[item.name] = ["dtype": item.dtype.rawValue, "shape": item.shape,
                                 "data_offsets": [offset, offset + item.bytes.count]] as [String: Any]
            offset += item.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        // JSONSerialization only fails for non-JSON types, which cannot occur here.
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let alignment = max(1, headerAlignment)
        while (8 + json.count) % alignment != 0 { json.append(UInt8(ascii: " ")) }
        var out = Data(Self.littleEndianBytes([UInt64(json.count)]))
        out.append(json)
        for item in items { out.append(contentsOf: item.bytes) }
        return out
    }

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
