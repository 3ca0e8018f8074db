// Plain reference dequantisation of ggml blocks to float32, one function per format, each
// following ggml-quants.c `dequantize_row_*` operation for operation (same float products and
// sums in the same order, no fused multiply-add), so results equal ggml's scalar code and
// gguf-py's `gguf.quants.dequantize` bit for bit. Blocks may sit at any byte alignment (a Q4_0
// block is 18 bytes): every multi-byte field is loaded unaligned, little-endian.

extension Reference {
    /// Dequantises `count` elements of `format` from `blocks` into `into` (count floats):
    /// `count / format.blockSize` consecutive blocks, `format.bytesPerBlock` bytes each, as
    /// ggml-quants.c `dequantize_row_*` (F16 and BF16 as ggml's fp16/bf16 -> fp32, F32 copied).
    /// `blocks` may have any alignment. Preconditions: `count >= 0` and a multiple of
    /// `format.blockSize`; `blocks` holds `format.byteCount(elementCount: count)` bytes.
    public static func dequantize(_ format: QuantFormat, blocks: UnsafeRawPointer, count: Int,
                                  into: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && count % format.blockSize == 0,
                     "dequantize: \(count) elements is not a whole number of \(format) blocks of \(format.blockSize)")
        let blockCount = count / format.blockSize
        switch format {
        case .f32:
            for i in 0..<count { into[i] = Float(bitPattern: QuantLoad.u32(blocks, 4 * i)) }
        case .f16:
            for i in 0..<count { into[i] = HalfFloat.float(fromF16Bits: QuantLoad.u16(blocks, 2 * i)) }
        case .bf16:
            for i in 0..<count { into[i] = HalfFloat.float(fromBF16Bits: QuantLoad.u16(blocks, 2 * i)) }
        case .q4_0: forEachBlock(format, blockCount, blocks, into, Dequantize.q4_0)
        case .q4_1: forEachBlock(format, blockCount, blocks, into, Dequantize.q4_1)
        case .q5_0: forEachBlock(format, blockCount, blocks, into, Dequantize.q5_0)
        case .q5_1: forEachBlock(format, blockCount, blocks, into, Dequantize.q5_1)
        case .q8_0: forEachBlock(format, blockCount, blocks, into, Dequantize.q8_0)
        case .q2_K: forEachBlock(format, blockCount, blocks, into, Dequantize.q2_K)
        case .q3_K: forEachBlock(format, blockCount, blocks, into, Dequantize.q3_K)
        case .q4_K: forEachBlock(format, blockCount, blocks, into, Dequantize.q4_K)
        case .q5_K: forEachBlock(format, blockCount, blocks, into, Dequantize.q5_K)
        case .q6_K: forEachBlock(format, blockCount, blocks, into, Dequantize.q6_K)
        }
    }

    /// Dequantises one row given as its raw bytes, a whole number of `format` blocks, into a new
    /// array of `row.count / format.bytesPerBlock * format.blockSize` floats.
    /// Precondition: `row.count` is a multiple of `format.bytesPerBlock`.
    public static func dequantizeRow(_ format: QuantFormat, _ row: UnsafeRawBufferPointer) -> [Float] {
        precondition(row.count % format.bytesPerBlock == 0,
                     "dequantizeRow: \(row.count) bytes is not a whole number of \(format) blocks of \(format.bytesPerBlock) bytes")
        let count = row.count / format.bytesPerBlock * format.blockSize
        guard count > 0, let base = row.baseAddress else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            dequantize(format, blocks: base, count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }

    @inline(__always)
    private static func forEachBlock(_ format: QuantFormat, _ blockCount: Int, _ blocks: UnsafeRawPointer,
                                     _ into: UnsafeMutablePointer<Float>,
                                     _ block: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void) {
        for i in 0..<blockCount {
            block(blocks + i * format.bytesPerBlock, into + i * format.blockSize)
        }
    }
}

/// Unaligned little-endian loads from block bytes.
enum QuantLoad {
    @inline(__always) static func u8(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }
    @inline(__always) static func i8(_ p: UnsafeRawPointer, _ offset: Int) -> Int8 {
        p.load(fromByteOffset: offset, as: Int8.self)
    }
    @inline(__always) static func u16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inline(__always) static func u32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    /// An f16 field as float32 (ggml GGML_FP16_TO_FP32).
    @inline(__always) static func f16(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfFloat.float(fromF16Bits: u16(p, offset))
    }
}

/// One block of each quantised format -> its floats (`blockSize` of them at `y`).
enum Dequantize {}
