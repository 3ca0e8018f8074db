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
    /// The tensor `name` as float32 in PyTorch order; a stored type other than F32 is converted
    /// (dequantised) here. Throws `CheckpointError` (safetensors) or `GGUFError` (GGUF) naming
    /// the file and the tensor: missing, or of a type Heed cannot convert.
    func tensor(_ name: String) throws -> Tensor
}

extension Checkpoint: WeightSource {
    public func shape(of name: String) -> [Int]? { info(name)?.shape }
    public func storedType(of name: String) -> String? { info(name)?.dtype.rawValue }
}

/// The tensors of one GGUF file, read from its memory mapping. GGUF stores dimensions fastest
/// first (ggml `ne`); `shape(of:)` and `tensor(_:)` give them outermost first, as PyTorch does,
/// so a Linear weight stored as [C, OC] is (OC, C) here, row-major: the same bytes.
///
/// Element types read today: F32, F16 and BF16 (converted to f32 at load). Block-quantised
/// types (Q8_0, Q4_K, ...) throw `GGUFError` with rule `.unknownTensorType` until the
/// quantisation helper's `Quantization.dequantize` is wired in here.
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

    /// True when `type` can be read as f32 by `tensor(_:)`.
    public static func isReadable(_ type: GGMLType) -> Bool {
        switch type {
        case .f32, .f16, .bf16: return true
        default: return false
        }
    }

    public func tensor(_ name: String) throws -> Tensor {
        guard let info = file.tensor(named: name) else {
            throw GGUFError(file: file.url.path, rule: .missingKey, problem: "no tensor named '\(name)' in the file (\(file.tensors.count) tensors)")
        }
        let count = info.elementCount
        let source = file.mapping.bytes.baseAddress! + file.fileOffset(of: info)
        let dtype: TensorDType
        switch info.type {
        case .f32: dtype = .f32
        case .f16: dtype = .f16
        case .bf16: dtype = .bf16
        default:
            throw GGUFError(file: file.url.path, rule: .unknownTensorType,
                            problem: "tensor '\(name)' is \(info.type); Heed reads F32, F16 and BF16 GGUF tensors so far")
        }
        let data = [Float](unsafeUninitializedCapacity: count) { out, n in
            if count > 0 { FloatConversion.convert(dtype, from: source, count: count, into: out.baseAddress!) }
            n = count
        }
        return Tensor(shape: Array(info.dimensions.reversed()), data: data)
    }
}
