import HeedKernelsAVX2
import HeedKernelsAVX512
import HeedKernelsPortable

/// A weight matrix W (OC, C) (HF `Linear.weight`, out x in) packed once at load time into
/// the panel layout the GEMM micro-kernel reads, for y (T, OC) = x (T, C) * W^T + b.
/// `forward` never repacks W. Only the packed copy is kept: a caller that needs W itself in
/// plain row-major form (the analysis reads W_O) gets it back with `unpackedWeight()`. The panel layout belongs
/// to one kernel variant (32-wide panels for AVX-512, 16-wide otherwise): `isa` records which,
/// and `forward` always runs that variant.
public final class PackedLinear: @unchecked Sendable {
    /// OC.
    public let outFeatures: Int
    /// C (the input width).
    public let inFeatures: Int
    /// b (OC), or nil for a Linear without bias (`bias=False`): then y = x W^T.
    public let bias: [Float]?
    /// The kernel variant the panels were packed for (and `forward` runs).
    public let isa: ISA
    /// W^T in (C x NR) panels, ceil(OC / NR) of them, zero-padded (NR: the variant's panel
    /// width; see HeedKernelsShared/Gemm/Packing.swift).
    private let panels: UnsafeMutablePointer<Float>
    private let biasPointer: UnsafeMutablePointer<Float>?

    /// Packs `weight` (OC, C) row-major for the variant `isa` (default: the one chosen at
    /// start-up); `bias` is (OC) or nil. The weight array is not retained.
    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int, isa: ISA = ISA.active) {
        precondition(weight.count == outFeatures * inFeatures)
        precondition(bias == nil || bias!.count == outFeatures)
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.bias = bias
        self.isa = isa
        let floats = max(1, PackedLinear.packedFloats(n: outFeatures, k: inFeatures, isa: isa))
        let packed = UnsafeMutableRawPointer.allocate(byteCount: floats * 4, alignment: 64).bindMemory(to: Float.self, capacity: floats)
        weight.withUnsafeBufferPointer { w in
            if let base = w.baseAddress, inFeatures > 0, outFeatures > 0 {
                switch isa {
                case .avx512: HeedKernelsAVX512.VariantKernels.packTransposed(b: base, ldb: inFeatures, n: outFeatures, k: inFeatures, into: packed)
                case .avx2: HeedKernelsAVX2.VariantKernels.packTransposed(b: base, ldb: inFeatures, n: outFeatures, k: inFeatures, into: packed)
                case .portable: HeedKernelsPortable.VariantKernels.packTransposed(b: base, ldb: inFeatures, n: outFeatures, k: inFeatures, into: packed)
                }
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
        4 * (max(1, PackedLinear.packedFloats(n: outFeatures, k: inFeatures, isa: isa)) + (bias?.count ?? 0))
    }

    /// Floats of the packed panels of a (N, K) weight for the variant.
    static func packedFloats(n: Int, k: Int, isa: ISA) -> Int {
        switch isa {
        case .avx512: return HeedKernelsAVX512.VariantKernels.packedFloats(n: n, k: k)
        case .avx2: return HeedKernelsAVX2.VariantKernels.packedFloats(n: n, k: k)
        case .portable: return HeedKernelsPortable.VariantKernels.packedFloats(n: n, k: k)
        }
    }

    /// W (OC, C) row-major, read back from the panels (an exact copy of what `init` packed):
    /// panel p holds rows NR p ..< NR p + NR of W as C rows of NR floats (Packing.swift).
    public func unpackedWeight() -> [Float] {
        let n = outFeatures, k = inFeatures
        guard n > 0, k > 0 else { return [] }
        let nr = PackedLinear.packedFloats(n: 1, k: 1, isa: isa)  // one panel of depth 1: NR floats
        return [Float](unsafeUninitializedCapacity: n * k) { w, count in
            let W = w.baseAddress!
            for j in 0..<n {
                let panel = panels + (j / nr) * k * nr, jj = j % nr
                for q in 0..<k { W[j * k + q] = panel[q * nr + jj] }
            }
            count = n * k
        }
    }

    /// y (T, OC) = x (T, K) * W[:, columns]^T, K = `columns.count`, without the bias: the
    /// contribution of the input features `columns` alone (an attention head's slice of W_O),
    /// read in place from the panels (each panel holds those rows contiguously), no copy of W.
    /// Rows of x are `ldx` apart, rows of y `ldy` apart; y must not overlap x.
    /// Precondition: `columns` lies within 0 ..< C.
    public func forward(inputColumns columns: Range<Int>, _ x: UnsafePointer<Float>, rows: Int, ldx: Int,
                        into y: UnsafeMutablePointer<Float>, ldy: Int) {
        precondition(columns.lowerBound >= 0 && columns.upperBound <= inFeatures, "input columns outside 0..<C")
        let m = rows, n = outFeatures, k = columns.count, k0 = columns.lowerBound, depth = inFeatures
        let p = UnsafePointer(panels)
        switch isa {
        case .avx512:
            HeedKernelsAVX512.VariantKernels.gemmPackedColumns(m: m, n: n, k: k, k0: k0, depth: depth, a: x, lda: ldx, panels: p, c: y, ldc: ldy)
        case .avx2:
            HeedKernelsAVX2.VariantKernels.gemmPackedColumns(m: m, n: n, k: k, k0: k0, depth: depth, a: x, lda: ldx, panels: p, c: y, ldc: ldy)
        case .portable:
            HeedKernelsPortable.VariantKernels.gemmPackedColumns(m: m, n: n, k: k, k0: k0, depth: depth, a: x, lda: ldx, panels: p, c: y, ldc: ldy)
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
        let b = biasPointer.map { UnsafePointer($0) }
        switch isa {
        case .avx512:
            HeedKernelsAVX512.VariantKernels.gemmPacked(m: rows, n: outFeatures, k: inFeatures, a: x, lda: ldx, panels: panels,
                                                        c: y, ldc: ldy, bias: b, accumulate: accumulate)
        case .avx2:
            HeedKernelsAVX2.VariantKernels.gemmPacked(m: rows, n: outFeatures, k: inFeatures, a: x, lda: ldx, panels: panels,
                                                      c: y, ldc: ldy, bias: b, accumulate: accumulate)
        case .portable:
            HeedKernelsPortable.VariantKernels.gemmPacked(m: rows, n: outFeatures, k: inFeatures, a: x, lda: ldx, panels: panels,
                                                          c: y, ldc: ldy, bias: b, accumulate: accumulate)
        }
    }
}
