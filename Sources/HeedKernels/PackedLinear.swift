/// A weight matrix W (OC, C) (HF `Linear.weight`, out x in) packed once at load time into
/// the panel layout the GEMM micro-kernel reads, for y (T, OC) = x (T, C) * W^T + b.
/// `forward` never repacks W.
public final class PackedLinear: @unchecked Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    /// The unpacked weight, row-major (OC, C), kept for the reference path and for taps.
    public let weight: [Float]
    public let bias: [Float]?
    /// W^T in (C x 16) panels, ceil(OC / 16) of them, zero-padded (see Gemm/Packing.swift).
    private let panels: UnsafeMutablePointer<Float>
    private let biasPointer: UnsafeMutablePointer<Float>?

    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int) {
        precondition(weight.count == outFeatures * inFeatures)
        precondition(bias == nil || bias!.count == outFeatures)
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.weight = weight
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
