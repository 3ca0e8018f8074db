// How every family reads its tensors from a `WeightSource`: by name, shape-checked, a weight in
// a format the quantised GEMM reads kept as its blocks (read in place), anything else as f32;
// and what that did, for `loadNotes` (`--log-level info`).

import HeedCheckpoints
import HeedKernels

/// Reads one model's tensors from `source`, counting what it keeps quantised and what it
/// converts to f32. Errors are `ModelLoadError`s naming the file and the tensor, or the
/// source's own error for a tensor it cannot read.
final class WeightLoader {
    let source: WeightSource
    /// Where the expected shapes come from, for messages ("config.json").
    let shapesFrom: String
    private var converted: [String: Int] = [:], kept: [String: Int] = [:]

    init(_ source: WeightSource, shapesFrom: String) {
        self.source = source
        self.shapesFrom = shapesFrom
    }

    func shapeError(_ name: String, _ actual: [Int], _ shape: [Int]) -> ModelLoadError {
        ModelLoadError(file: source.fileName(holding: name) ?? source.sourceFileName,
                       problem: "tensor \(name) has shape \(actual), expected \(shape) from \(shapesFrom)")
    }

    /// Tensor `name` as f32 (converted or dequantised if stored otherwise), of `shape`.
    func plain(_ name: String, _ shape: [Int]) throws -> [Float] {
        let t = try source.tensor(name)
        guard t.shape == shape else { throw shapeError(name, t.shape, shape) }
        if let type = source.storedType(of: name), type != "F32" { converted[type, default: 0] += 1 }
        return t.data
    }

    /// The blocks of weight `name` (shape checked) when the quantised GEMM reads its format; nil otherwise.
    func blocks(_ name: String, _ shape: [Int]) throws -> GGUFTensorData? {
        guard let b = source.quantizedBlocks(name), Linear.keepsQuantized(b) else { return nil }
        let actual = source.shape(of: name) ?? []
        guard actual == shape else { throw shapeError(name, actual, shape) }
        kept[b.format.name, default: 0] += 1
        return b
    }

    /// A quantised Linear over `blocks` (OC, C) with bias (OC) or nil; the GEMM's refusal as a
    /// ModelLoadError naming the tensor.
    func quantized(_ blocks: GGUFTensorData, bias: [Float]?, outFeatures: Int, inFeatures: Int) throws -> Linear {
        do { return try Linear.quantized(blocks, bias: bias, outFeatures: outFeatures, inFeatures: inFeatures) } catch let e as QuantizedLinear.Error {
            throw ModelLoadError(file: source.sourceFileName, problem: "tensor \(blocks.info.name): \(e)")
        }
    }

    /// A Linear of weight `name` (`shape` = (OC, C)) and `bias`: kept quantised when it can be, else packed f32.
    func linear(_ name: String, _ shape: [Int], bias: [Float]?) throws -> Linear {
        if let q = try blocks(name, shape) { return try quantized(q, bias: bias, outFeatures: shape[0], inFeatures: shape[1]) }
        return .dense(weight: try plain(name, shape), bias: bias, outFeatures: shape[0], inFeatures: shape[1])
    }

    /// An embedding matrix `name` of `shape` (rows, E): kept as its blocks when block-quantised
    /// (rows dequantised as they are looked up), else f32.
    func embedding(_ name: String, _ shape: [Int]) throws -> EmbeddingTable {
        if let q = source.quantizedBlocks(name), q.format.blockSize > 1 {
            let actual = source.shape(of: name) ?? []
            guard actual == shape else { throw shapeError(name, actual, shape) }
            kept[q.format.name, default: 0] += 1
            return .quantized(q)
        }
        return .plain(try plain(name, shape), width: shape[1])
    }

    /// Counts a tensor of type `type` converted to f32 outside `plain` (e.g. a dequantised head).
    func noteConverted(_ type: String) { converted[type, default: 0] += 1 }

    /// "file: kept 210 Q4_1 weights quantised (quantised GEMM)", "file: converted 3 F16 tensors to f32 at load".
    var notes: [String] {
        let file = source.sourceFileName
        return kept.sorted { $0.key < $1.key }.map { "\(file): kept \($0.value) \($0.key) weight\($0.value == 1 ? "" : "s") quantised (quantised GEMM)" }
            + converted.sorted { $0.key < $1.key }.map { "\(file): converted \($0.value) \($0.key) tensor\($0.value == 1 ? "" : "s") to f32 at load" }
    }
}
