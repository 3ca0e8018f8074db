// Typed access to GGUF tensor data: a view of a tensor's bytes in the file's mapping with its
// block format, and dequantisation to float32 through HeedKernels' reference
// (`Reference.dequantize`, ggml-quants.c `dequantize_row_*`). Everything about the tensor's
// placement was validated when the file was opened (GGUFFile.init: shape, block multiple, byte
// count, alignment, bounds, overlap); a read re-checks the bounds with the same rule
// (`GGUFFile.byteRange`) and adds two: the tensor must be in this file, and of a type Heed can
// dequantise.

import HeedKernels

/// One tensor's raw data in a mapped GGUF file: `bytes` are the blocks as stored, rows of
/// `rowLength` elements (the first, fastest GGUF dimension), row after row. For a weight
/// (OC, C) stored as GGUF dimensions [C, OC], a row is one output channel (C elements).
/// The view keeps the file (and so its mapping) alive.
public struct GGUFTensorData: @unchecked Sendable {
    /// The file the bytes belong to (retained: `bytes` stays valid while this value lives).
    public let file: GGUFFile
    /// The tensor's info.
    public let info: GGUFTensorInfo
    /// The block format of the data.
    public let format: QuantFormat
    /// The tensor's bytes in the mapping: `info.byteCount` of them, at any alignment.
    public let bytes: UnsafeRawBufferPointer

    /// Elements per row: the first GGUF dimension (1 for a tensor without dimensions), a
    /// multiple of `format.blockSize`.
    public var rowLength: Int { info.dimensions.first ?? 1 }
    /// Rows: the product of the other dimensions (0 when any dimension is 0).
    public var rowCount: Int { rowLength == 0 ? 0 : info.elementCount / rowLength }
    /// Bytes per row: rowLength / blockSize x bytesPerBlock.
    public var bytesPerRow: Int { rowLength / format.blockSize * format.bytesPerBlock }

    /// The raw blocks of row `index` (0..<rowCount). Precondition: index in range.
    public func row(_ index: Int) -> UnsafeRawBufferPointer {
        precondition(index >= 0 && index < rowCount, "GGUFTensorData.row: \(index) is outside 0..<\(rowCount)")
        return UnsafeRawBufferPointer(rebasing: bytes[(index * bytesPerRow)..<((index + 1) * bytesPerRow)])
    }

    /// Row `index` dequantised to `rowLength` floats. Precondition: index in range.
    public func dequantizedRow(_ index: Int) -> [Float] {
        Reference.dequantizeRow(format, row(index))
    }

    /// The whole tensor dequantised to `info.elementCount` floats in stored order (rows of
    /// `rowLength`); for a weight (OC, C): W row-major.
    public func dequantized() -> [Float] {
        let count = info.elementCount
        guard count > 0, let base = bytes.baseAddress else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            Reference.dequantize(format, blocks: base, count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// Dequantises the whole tensor into `destination` (`info.elementCount` floats).
    public func dequantize(into destination: UnsafeMutablePointer<Float>) {
        guard let base = bytes.baseAddress else { return }
        Reference.dequantize(format, blocks: base, count: info.elementCount, into: destination)
    }
}

extension GGUFFile {
    /// The data of the tensor called `name`: a view of its bytes in the mapping and its format.
    /// Throws `GGUFError` naming the file and the tensor: .missingTensor when the file has no
    /// such tensor, .unsupportedTensorType when its type is not a `QuantFormat`,
    /// .tensorOutsideFile when its bytes do not lie inside the data section and the file.
    public func tensorData(_ name: String) throws -> GGUFTensorData {
        guard let info = tensor(named: name) else {
            throw GGUFError(file: path, rule: .missingTensor, problem: "no tensor named '\(name)' (the file lists \(tensors.count) tensors)")
        }
        return try tensorData(info)
    }

    /// The data of `info`, which must be one of this file's `tensors`. Throws `GGUFError` as
    /// `tensorData(_: String)` does (.missingTensor for an info this file does not list).
    public func tensorData(_ info: GGUFTensorInfo) throws -> GGUFTensorData {
        guard let own = tensor(named: info.name), own == info else {
            throw GGUFError(file: path, rule: .missingTensor, problem: "tensor '\(info.name)' (\(info.type), dimensions \(info.dimensions), offset \(info.offset)) is not a tensor of this file")
        }
        guard let format = info.type.quantFormat else {
            throw GGUFError(file: path, rule: .unsupportedTensorType, problem: "tensor '\(info.name)' has type \(info.type) (ggml type \(info.type.rawValue)), which Heed cannot read; it reads \(QuantFormat.allCases.map(\.name).joined(separator: ", "))")
        }
        let range = try Self.byteRange(of: info, dataOffset: dataOffset, fileByteCount: fileByteCount, path: path)
        guard range.isEmpty || mapping.bytes.baseAddress != nil else {
            throw GGUFError(file: path, rule: .tensorOutsideFile, problem: "tensor '\(info.name)' has \(info.byteCount) bytes but the file is empty")
        }
        let bytes = range.isEmpty ? UnsafeRawBufferPointer(start: nil, count: 0) : UnsafeRawBufferPointer(rebasing: mapping.bytes[range])
        return GGUFTensorData(file: self, info: info, format: format, bytes: bytes)
    }

    /// The tensor called `name` dequantised to float32, `elementCount` values in stored order
    /// (rows of the first GGUF dimension; a weight (OC, C) comes out as W row-major).
    /// Throws `GGUFError` as `tensorData(_:)` does.
    public func dequantized(_ name: String) throws -> [Float] {
        try tensorData(name).dequantized()
    }
}
