import Foundation
import HeedKernels
import HeedModels

// Value zeroing (Mohebbi, Zuidema, Chrupała, Alishahi, "Quantifying Context Mixing in
// Transformers", EACL 2023; the authors' code: hmohebbi/ValueZeroing, demo.py and
// modeling/customized_modeling_bert.py `zero_value_index`): for each token j, zero j's value
// vectors (incl. b_V, every head) in layer l, run the layer again from its original input, and
// score each token i by the cosine distance between its new and its original layer output;
// each row i is then divided by its sum.
//
// Zeroing v_j changes the attention output of token i by exactly -z_ij (z_ij = sum_h
// alpha^h[i,j] f^h(x_j), b_V inside f; alpha itself does not change: queries and keys are
// untouched), so the residual sum becomes y_i - z_ij and only the part of the layer after the
// attention block is re-run (`LayerRerunning.afterAttention`), batched over several zeroed
// tokens. Rows i that do not see j (the causal mask) keep their output: distance 0, not run.

extension NormDecomposition {
    /// Rows per re-run batch (several zeroed tokens at once).
    static let valueZeroingBatchRows = 2048

    /// `value-zeroing` of layer `layer` (T, T): row i, column j = cosine distance of token i's
    /// layer output with j's values zeroed, rows divided by their sums (a row summing to 0
    /// stays 0). `isCancelled` is checked between batches (throws ForwardError.cancelled);
    /// `progress` gets the fraction of this layer done.
    public func valueZeroing(taps: LayerTaps, layer: Int, rerun: LayerRerunning, isCancelled: () -> Bool,
                             progress: ((Double) -> Void)? = nil) throws -> Tensor {
        precondition(queries == T, "value zeroing needs T_q == T_k")
        guard let y = taps.residualSum else { preconditionFailure("value zeroing needs full taps") }
        let T = T, C = C, NH = NH, mask = taps.mask
        // The original output, through the same code path as the zeroed ones.
        var original = [Float](repeating: 0, count: T * C)
        y.data.withUnsafeBufferPointer { yp in original.withUnsafeMutableBufferPointer { op in
            rerun.afterAttention(layer: layer, residualSum: yp.baseAddress!, rows: T, secondNormInput: nil, output: op.baseAddress!)
        } }
        var originalNorm = [Double](repeating: 0, count: T)
        for i in 0..<T {
            var s: Double = 0
            for c in 0..<C { s += Double(original[i * C + c]) * Double(original[i * C + c]) }
            originalNorm[i] = s.squareRoot()
        }
        // The rows each zeroed token j changes: those that see j.
        let affected: [[Int]] = (0..<T).map { j in (0..<T).filter { mask.visibleKeys(row: $0, keys: T).contains(j) } }
        var scores = [Float](repeating: 0, count: T * T)
        // A model that factors the first feed-forward product does so once for the layer.
        let factored = (rerun as? ValueZeroingRerunning)?.zeroing(layer: layer, residualSum: y.data, tokens: T, headVectors: f, heads: NH)
        var j0 = 0
        while j0 < T {
            if isCancelled() { throw ForwardError.cancelled }
            // A batch of zeroed tokens j0 ..< j1 whose affected rows fit the batch (at least one token).
            var j1 = j0, rows = 0
            while j1 < T, j1 == j0 || rows + affected[j1].count <= Self.valueZeroingBatchRows {
                rows += affected[j1].count; j1 += 1
            }
            var outputs = [Float](repeating: 0, count: rows * C)
            // Row r of the batch: (j, i) with y_i - z_ij.
            var pairs: [(j: Int, i: Int)] = []
            pairs.reserveCapacity(rows)
            for j in j0..<j1 { for i in affected[j] { pairs.append((j, i)) } }
            if let factored {
                alpha.withUnsafeBufferPointer { ap in outputs.withUnsafeMutableBufferPointer { op in
                    factored.outputs(alpha: ap.baseAddress!, pairs: pairs, into: op.baseAddress!)
                } }
            } else {
                var zeroed = [Float](repeating: 0, count: rows * C)
                zeroed.withUnsafeMutableBufferPointer { zp in y.data.withUnsafeBufferPointer { yp in
                    f.withUnsafeBufferPointer { fp in alpha.withUnsafeBufferPointer { ap in
                        ZeroingMath.zeroedRows(y: yp.baseAddress!, f: fp.baseAddress!, alpha: ap.baseAddress!, T: T, NH: NH, C: C,
                                               pairs: pairs, into: zp.baseAddress!)
                    } }
                } }
                zeroed.withUnsafeBufferPointer { zp in outputs.withUnsafeMutableBufferPointer { op in
                    rerun.afterAttention(layer: layer, residualSum: zp.baseAddress!, rows: rows, secondNormInput: nil, output: op.baseAddress!)
                } }
            }
            for (r, pair) in pairs.enumerated() {
                var dot: Double = 0, nn: Double = 0
                for c in 0..<C {
                    let a = Double(outputs[r * C + c]), b = Double(original[pair.i * C + c])
                    dot += a * b; nn += a * a
                }
                let denominator = nn.squareRoot() * originalNorm[pair.i]
                // sklearn's cosine_distances: 1 - cosine similarity, clipped to [0, 2] (a zero vector: 1).
                let distance = denominator > 0 ? min(2, max(0, 1 - dot / denominator)) : 1
                scores[pair.i * T + pair.j] = Float(distance)
            }
            j0 = j1
            progress?(Double(j0) / Double(T))
        }
        return Rollout.rowNormalised(Tensor(shape: [T, T], data: scores))
    }
}
