import HeedKernelsAVX2
import HeedKernelsAVX512
import HeedKernelsPortable

/// A weight matrix W (OC, C) kept as raw GGUF/ggml blocks (Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K),
/// for y (T, OC) = x (T, C) * W^T + b with the same shape contract as `PackedLinear`.
/// W is never held as floats: `forward` dequantises it panel by panel inside the GEMM's packing
/// step (k blocks aligned to the quant block, 32 or 256 elements) and runs the f32 micro-kernel
/// on each freshly dequantised panel for all T rows (HeedKernelsShared/Gemm/QuantGemm.swift).
/// Memory: the blocks (about the GGUF tensor's size: 0.56 bytes per weight for Q4_1, 1.06 for
/// Q8_0) plus the bias. The layouts and formulas are ggml's (ggml-common.h, ggml-quants.c
/// dequantize_row_*). `isa` is the kernel variant `forward` runs (any: the blocks are the same).
public final class QuantizedLinear: @unchecked Sendable {
    /// Why a QuantizedLinear cannot be built from the given blocks.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// The quantized GEMM does not read this block format.
        case unsupportedFormat(String)
        /// OC or C is negative.
        case negativeShape(outFeatures: Int, inFeatures: Int)
        /// C is not a whole number of blocks (each row of W must be whole blocks).
        case rowNotWholeBlocks(inFeatures: Int, blockSize: Int)
        /// The block bytes are not OC * (C / blockSize) * bytesPerBlock.
        case byteCount(expected: Int, actual: Int)
        /// The bias is not (OC).
        case biasCount(expected: Int, actual: Int)

        public var description: String {
            switch self {
            case .unsupportedFormat(let f): return "quantized linear: block format \(f) is not supported (Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K are)"
            case .negativeShape(let oc, let c): return "quantized linear: negative shape (\(oc), \(c))"
            case .rowNotWholeBlocks(let c, let bs): return "quantized linear: row width \(c) is not a multiple of the block size \(bs)"
            case .byteCount(let e, let a): return "quantized linear: \(a) bytes of blocks, the shape needs \(e)"
            case .biasCount(let e, let a): return "quantized linear: bias has \(a) values, OC is \(e)"
            }
        }
    }

    /// The block format of W.
    public let format: QuantFormat
    /// OC.
    public let outFeatures: Int
    /// C (the input width).
    public let inFeatures: Int
    /// b (OC), or nil for a Linear without bias.
    public let bias: [Float]?
    /// The kernel variant `forward` runs.
    public let isa: ISA
    /// Bytes of one row of W: (C / blockSize) * bytesPerBlock.
    public let rowBytes: Int
    /// The blocks: (OC, C / blockSize) blocks, row-major.
    private let blocks: UnsafeRawPointer
    /// Non-nil when `blocks` was copied at init (freed in deinit).
    private let ownedBlocks: UnsafeMutableRawPointer?
    /// Keeps a mapping alive when `blocks` points into it.
    private let owner: AnyObject?
    private let biasPointer: UnsafeMutablePointer<Float>?
    private let ggmlType: Int

    /// Copies `blocks` (OC rows of C / blockSize blocks each, ggml layout) and `bias` (OC, or nil).
    /// Throws `Error` when the format is unsupported or the sizes disagree.
    public convenience init(blocks: [UInt8], format: QuantFormat, outFeatures: Int, inFeatures: Int,
                            bias: [Float]?, isa: ISA = ISA.active) throws {
        let (type, rowBytes) = try QuantizedLinear.validate(byteCount: blocks.count, format: format, outFeatures: outFeatures,
                                                            inFeatures: inFeatures, bias: bias)
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, blocks.count), alignment: 64)
        blocks.withUnsafeBytes { raw in if let base = raw.baseAddress { p.copyMemory(from: base, byteCount: raw.count) } }
        self.init(blocks: UnsafeRawPointer(p), owned: p, owner: nil, type: type, rowBytes: rowBytes, format: format,
                  outFeatures: outFeatures, inFeatures: inFeatures, bias: bias, isa: isa)
    }

    /// Reads the blocks in place (no copy): `blocks` (`byteCount` bytes, any alignment) must stay
    /// valid while the layer lives, which `owner` (a file mapping, say) is retained to ensure.
    /// Throws `Error` when the format is unsupported or the sizes disagree.
    public convenience init(mapped blocks: UnsafeRawPointer, byteCount: Int, owner: AnyObject?, format: QuantFormat,
                            outFeatures: Int, inFeatures: Int, bias: [Float]?, isa: ISA = ISA.active) throws {
        let (type, rowBytes) = try QuantizedLinear.validate(byteCount: byteCount, format: format, outFeatures: outFeatures,
                                                            inFeatures: inFeatures, bias: bias)
        self.init(blocks: blocks, owned: nil, owner: owner, type: type, rowBytes: rowBytes, format: format,
                  outFeatures: outFeatures, inFeatures: inFeatures, bias: bias, isa: isa)
    }

    /// The ggml type id and the bytes per row of W, or the reason the blocks cannot be read.
    private static func validate(byteCount: Int, format: QuantFormat, outFeatures: Int, inFeatures: Int,
                                 bias: [Float]?) throws -> (type: Int, rowBytes: Int) {
        guard let type = ggmlType(format) else { throw Error.unsupportedFormat(format.name) }
        guard outFeatures >= 0, inFeatures >= 0 else { throw Error.negativeShape(outFeatures: outFeatures, inFeatures: inFeatures) }
        guard inFeatures % format.blockSize == 0 else {
            throw Error.rowNotWholeBlocks(inFeatures: inFeatures, blockSize: format.blockSize)
        }
        let rowBytes = inFeatures / format.blockSize * format.bytesPerBlock
        let (expected, overflow) = rowBytes.multipliedReportingOverflow(by: outFeatures)
        guard !overflow, expected == byteCount else { throw Error.byteCount(expected: overflow ? Int.max : expected, actual: byteCount) }
        if let bias, bias.count != outFeatures { throw Error.biasCount(expected: outFeatures, actual: bias.count) }
        return (type, rowBytes)
    }

    private init(blocks: UnsafeRawPointer, owned: UnsafeMutableRawPointer?, owner: AnyObject?, type: Int, rowBytes: Int,
                 format: QuantFormat, outFeatures: Int, inFeatures: Int, bias: [Float]?, isa: ISA) {
        self.format = format
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.bias = bias
        self.isa = isa
        self.rowBytes = rowBytes
        self.ggmlType = type
        self.owner = owner
        self.blocks = blocks
        self.ownedBlocks = owned
        if let bias {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, outFeatures))
            p.initialize(from: bias, count: outFeatures)
            biasPointer = p
        } else {
            biasPointer = nil
        }
    }

    deinit {
        ownedBlocks?.deallocate()
        biasPointer?.deallocate()
    }

    /// ggml's type id for a format the quantized GEMM reads, or nil.
    static func ggmlType(_ format: QuantFormat) -> Int? {
        switch format {
        case .q4_0, .q4_1, .q8_0, .q4_K, .q5_K, .q6_K: return Int(format.rawValue)
        default: return nil
        }
    }

    /// True when QuantizedLinear reads `format` (Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K).
    public static func supports(_ format: QuantFormat) -> Bool { ggmlType(format) != nil }

    /// Bytes held: the blocks when copied (a mapping counts 0 here), and the bias.
    public var byteCount: Int {
        (ownedBlocks != nil ? rowBytes * outFeatures : 0) + 4 * (bias?.count ?? 0)
    }

    /// y (T, OC) = x (T, C) * W^T + b, with T = `rows`; rows of x are C apart, rows of y OC apart.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        forward(x, rows: rows, ldx: inFeatures, into: y, ldy: outFeatures, accumulate: false)
    }

    /// y (T, OC) (+)= x (T, C) * W^T + b with explicit row strides (ldx >= C, ldy >= OC);
    /// `accumulate: true` adds the result to y (a fused residual add). y must not overlap x.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
                        accumulate: Bool) {
        gemm(m: rows, k: inFeatures, x, ldx: ldx, w: blocks, into: y, ldy: ldy, bias: biasPointer.map { UnsafePointer($0) },
             accumulate: accumulate)
    }

    /// The variant's quantised GEMM: y (m, OC) = x (m, k) * W^T, W's rows `rowBytes` apart from `w`.
    private func gemm(m: Int, k: Int, _ x: UnsafePointer<Float>, ldx: Int, w: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>,
                      ldy: Int, bias: UnsafePointer<Float>?, accumulate: Bool) {
        switch isa {
        case .avx512:
            HeedKernelsAVX512.VariantKernels.gemmQuantized(m: m, n: outFeatures, k: k, a: x, lda: ldx, w: w, rowBytes: rowBytes,
                                                           ggmlType: ggmlType, c: y, ldc: ldy, bias: bias, accumulate: accumulate)
        case .avx2:
            HeedKernelsAVX2.VariantKernels.gemmQuantized(m: m, n: outFeatures, k: k, a: x, lda: ldx, w: w, rowBytes: rowBytes,
                                                         ggmlType: ggmlType, c: y, ldc: ldy, bias: bias, accumulate: accumulate)
        case .portable:
            HeedKernelsPortable.VariantKernels.gemmQuantized(m: m, n: outFeatures, k: k, a: x, lda: ldx, w: w, rowBytes: rowBytes,
                                                             ggmlType: ggmlType, c: y, ldc: ldy, bias: bias, accumulate: accumulate)
        }
    }

    /// y (T, OC) = x (T, K) * W[:, columns]^T, K = `columns.count`, without the bias: the
    /// contribution of the input features `columns` alone (an attention head's slice of W_O).
    /// When `columns` starts and ends on block boundaries the GEMM reads those blocks of each
    /// row in place; otherwise the blocks covering `columns` are dequantised (OC x whole
    /// blocks, freed on return) and multiplied in f32. Rows of x are `ldx` apart, rows of y
    /// `ldy` apart; y must not overlap x. Precondition: `columns` lies within 0 ..< C.
    public func forward(inputColumns columns: Range<Int>, _ x: UnsafePointer<Float>, rows: Int, ldx: Int,
                        into y: UnsafeMutablePointer<Float>, ldy: Int) {
        precondition(columns.lowerBound >= 0 && columns.upperBound <= inFeatures, "input columns outside 0..<C")
        let bs = format.blockSize, n = outFeatures
        let b0 = columns.lowerBound / bs, b1 = (columns.upperBound + bs - 1) / bs
        if columns.lowerBound % bs == 0 && columns.upperBound % bs == 0 {
            gemm(m: rows, k: columns.count, x, ldx: ldx, w: blocks + b0 * format.bytesPerBlock, into: y, ldy: ldy, bias: nil, accumulate: false)
            return
        }
        // The covering blocks of every row, dequantised: (OC, width), then the f32 GEMM on the
        // columns' offset inside them.
        let width = (b1 - b0) * bs, src = blocks + b0 * format.bytesPerBlock
        let plain = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n * width))
        defer { plain.deallocate() }
        switch isa {
        case .avx512: HeedKernelsAVX512.VariantKernels.dequantizeRows(ggmlType: ggmlType, src, rowBytes: rowBytes, rows: n, k: width, into: plain)
        case .avx2: HeedKernelsAVX2.VariantKernels.dequantizeRows(ggmlType: ggmlType, src, rowBytes: rowBytes, rows: n, k: width, into: plain)
        case .portable: HeedKernelsPortable.VariantKernels.dequantizeRows(ggmlType: ggmlType, src, rowBytes: rowBytes, rows: n, k: width, into: plain)
        }
        let off = plain + (columns.lowerBound - b0 * bs)
        switch isa {
        case .avx512:
            HeedKernelsAVX512.VariantKernels.gemmABt(m: rows, n: n, k: columns.count, a: x, lda: ldx, b: off, ldb: width, c: y, ldc: ldy,
                                                     bias: nil, accumulate: false)
        case .avx2:
            HeedKernelsAVX2.VariantKernels.gemmABt(m: rows, n: n, k: columns.count, a: x, lda: ldx, b: off, ldb: width, c: y, ldc: ldy,
                                                   bias: nil, accumulate: false)
        case .portable:
            HeedKernelsPortable.VariantKernels.gemmABt(m: rows, n: n, k: columns.count, a: x, lda: ldx, b: off, ldb: width, c: y, ldc: ldy,
                                                       bias: nil, accumulate: false)
        }
    }

    /// Rows [r0, r1) of W dequantised, row-major ((r1 - r0), C). Precondition: 0 <= r0 <= r1 <= OC.
    public func dequantizedRows(_ range: Range<Int>) -> [Float] {
        precondition(range.lowerBound >= 0 && range.upperBound <= outFeatures)
        let count = range.count * inFeatures
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            if count > 0 {
                let src = blocks + range.lowerBound * rowBytes
                switch isa {
                case .avx512: HeedKernelsAVX512.VariantKernels.dequantizeRows(ggmlType: ggmlType, src, rowBytes: rowBytes, rows: range.count, k: inFeatures, into: out.baseAddress!)
                case .avx2: HeedKernelsAVX2.VariantKernels.dequantizeRows(ggmlType: ggmlType, src, rowBytes: rowBytes, rows: range.count, k: inFeatures, into: out.baseAddress!)
                case .portable: HeedKernelsPortable.VariantKernels.dequantizeRows(ggmlType: ggmlType, src, rowBytes: rowBytes, rows: range.count, k: inFeatures, into: out.baseAddress!)
                }
            }
            initialized = count
        }
    }

    /// Row j of W (C floats), dequantised. Precondition: 0 <= j < OC.
    public func dequantizedRow(_ j: Int) -> [Float] { dequantizedRows(j..<(j + 1)) }

    /// W (OC, C) dequantised, row-major: a float copy for callers that need plain W.
    public func dequantized() -> [Float] { dequantizedRows(0..<outFeatures) }
}
