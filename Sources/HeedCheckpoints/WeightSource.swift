// A model's tensors by the checkpoint's own names, whatever file format holds them: the
// safetensors of a transformers directory (`Checkpoint`) or one GGUF file (`GGUFWeights`).
// A family reads its weights only through this protocol and its own name table(s), as
// llama.cpp's per-architecture tensor-name table (src/llama-arch.cpp) does.

import Foundation
import HeedKernels

/// The tensors of one model by the names its files give them.
public protocol WeightSource: Sendable {
    /// The file a person should look at for the weights as a whole (for messages): the single
    /// weights file, the index of a sharded checkpoint, or the GGUF file.
    var sourceFileName: String { get }
    /// Every tensor name, sorted.
    var tensorNames: [String] { get }
    /// True when a tensor called `name` exists.
    func has(_ name: String) -> Bool
    /// The shape of `name` in PyTorch order (outermost first: a Linear weight is (OC, C)), or
    /// nil when there is no such tensor.
    func shape(of name: String) -> [Int]?
    /// The stored element type of `name` ("F32", "F16", "BF16", "Q8_0", ...), or nil.
    func storedType(of name: String) -> String?
    /// The file holding `name` (for messages), or nil.
    func fileName(holding name: String) -> String?
    /// The raw blocks of `name` when it is stored block-quantised (Q8_0, Q4_K, ...: a
    /// `QuantFormat` other than F32, F16, BF16), for a layer that keeps it quantised; nil for a
    /// plain tensor or one Heed cannot dequantise.
    func quantizedBlocks(_ name: String) -> GGUFTensorData?
    /// The tensor `name` as float32 in PyTorch order; a stored type other than F32 is converted
    /// (dequantised) here. Throws `CheckpointError` (safetensors) or `GGUFError` (GGUF) naming
    /// the file and the tensor: missing, or of a type Heed cannot convert.
    func tensor(_ name: String) throws -> Tensor
}

extension Checkpoint: WeightSource {
    public func shape(of name: String) -> [Int]? { info(name)?.shape }
    public func storedType(of name: String) -> String? { info(name)?.dtype.rawValue }
    /// Always nil: safetensors has no block-quantised types.
    public func quantizedBlocks(_ name: String) -> GGUFTensorData? { nil }
}

/// The tensors of one GGUF file, read from its memory mapping. GGUF stores dimensions fastest
/// first (ggml `ne`); `shape(of:)` and `tensor(_:)` give them outermost first, as PyTorch does,
/// so a Linear weight stored as [C, OC] is (OC, C) here, row-major: the same element order.
///
/// `tensor(_:)` gives f32: F32 is copied, every other type Heed reads (F16, BF16, Q4_0, Q4_1,
/// Q5_0, Q5_1, Q8_0, Q2_K...Q6_K: `QuantFormat`) is dequantised at load through the reference
/// (`GGUFFile.tensorData`, ggml-quants.c `dequantize_row_*`); `LoadedModel.loadNotes` says so.
public final class GGUFWeights: WeightSource, @unchecked Sendable {
    /// The file the tensors come from.
    public let file: GGUFFile

    /// Reads the tensors of `file` (already validated: every tensor lies in the file, aligned).
    public init(file: GGUFFile) {
        self.file = file
    }

    public var sourceFileName: String { file.url.lastPathComponent }
    public var tensorNames: [String] { file.tensors.map(\.name).sorted() }
    public func has(_ name: String) -> Bool { file.tensor(named: name) != nil }
    public func shape(of name: String) -> [Int]? { file.tensor(named: name).map { Array($0.dimensions.reversed()) } }
    public func storedType(of name: String) -> String? { file.tensor(named: name)?.type.name }
    public func fileName(holding name: String) -> String? { has(name) ? sourceFileName : nil }

    public func quantizedBlocks(_ name: String) -> GGUFTensorData? {
        guard let data = try? file.tensorData(name) else { return nil }
        switch data.format {
        case .f32, .f16, .bf16: return nil
        default: return data
        }
    }

    /// Throws `GGUFError` naming the file and the tensor: .missingTensor, or
    /// .unsupportedTensorType for a type Heed cannot dequantise (Q8_1, IQ*, ...).
    public func tensor(_ name: String) throws -> Tensor {
        let data = try file.tensorData(name)
        return Tensor(shape: Array(data.info.dimensions.reversed()), data: data.dequantized())
    }
}
