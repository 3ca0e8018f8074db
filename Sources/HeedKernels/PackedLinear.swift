/// A weight matrix W (OC, C) (HF `Linear.weight`, out x in) packed once at load time into
/// the panel layout the GEMM micro-kernel reads, for y (T, OC) = x (T, C) * W^T + b.
/// `forward` never repacks W. Only the packed copy is kept: a caller that needs W itself in
/// plain row-major form (the analysis reads W_O) keeps its own array.
public final class PackedLinear: @unchecked Sendable {
    /// OC.
    public let outFeatures: Int
    /// C (the input width).
    public let inFeatures: Int
    /// b (OC), or nil for a Linear without bias (`bias=False`): then y = x W^T.
    public let bias: [Float]?
    /// W^T in (C x 16) panels, ceil(OC / 16) of them, zero-padded (see Gemm/Packing.swift).
    private let panels: UnsafeMutablePointer<Float>
    private let biasPointer: UnsafeMutablePointer<Float>?

    /// Packs `weight` (OC, C) row-major; `bias` is (OC) or nil. The weight array is not retained.
    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int) {
        precondition(weight.count == outFeatures * inFeatures)
        precondition(bias == nil || bias!.count == outFeatures)
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.bias = bias
        let panelCount = (outFeatures + gemmNR - 1) / gemmNR
        let floats = max(1, packedPanelFloats(panels: panelCount, k: inFeatures))
        let packed = UnsafeMutableRawPointer.allocate(byteCount: floats * 4, alignment: 64).bindMemory(to: Float.self, capacity: floats)
        weight.withUnsafeBufferPointer { w in
            if let base = w.baseAddress, inFeatures > 0, outFeatures > 0 {
                packPanelsTransposed(b: base, ldb: inFeatures, n: outFeatures, k: inFeatures,
                                     panels: 0..<panelCount, into: packed)
            }
        }
        panels = packed
        if let bias {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, outFeatures))
            p.initialize(from: bias, count: outFeatures)
            biasPointer = p
        } else {
            biasPointer = nil
        }
    }

    /// Bytes held by the packed panels and the bias.
    public var byteCount: Int {
        4 * (max(1, packedPanelFloats(panels: (outFeatures + gemmNR - 1) / gemmNR, k: inFeatures)) + (bias?.count ?? 0))
    }

    deinit {
        panels.deallocate()
        biasPointer?.deallocate()
    }

    /// y (T, OC) = x (T, C) * W^T + b, with T = `rows`; rows of x are C apart, rows of y OC apart.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        forward(x, rows: rows, ldx: inFeatures, into: y, ldy: outFeatures, accumulate: false)
    }

    /// y (T, OC) (+)= x (T, C) * W^T + b with explicit row strides; `accumulate: true` adds the
    /// result to y (a fused residual add: y = y + x W^T + b).
    public func forward(_ x: UnsafePointer<Float>, rows: Int, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
                        accumulate: Bool) {
        GemmDriver.run(m: rows, n: outFeatures, k: inFeatures, a: x, lda: ldx, b: .packed(panels),
                       c: y, ldc: ldy, bias: biasPointer.map { UnsafePointer($0) }, accumulate: accumulate)
    }
}
