// Element conversion to float32 for safetensors data. Source bytes may sit at any alignment
// (safetensors offsets are not padded), so they are copied into aligned scratch chunks first.

import Foundation
import HeedKernels

/// Exact conversions of 16-bit floats to float32, scalar and bulk.
public enum FloatConversion {
    /// IEEE binary16 bits to float32, exact for every input (subnormals, infinities, NaNs).
    /// The conversion lives in HeedKernels (`HalfFloat`, shared with the block dequantisers).
    @inline(__always)
    public static func float(fromF16Bits h: UInt16) -> Float { HalfFloat.float(fromF16Bits: h) }

    /// bfloat16 bits to float32, exact for every input (`HalfFloat` in HeedKernels).
    @inline(__always)
    public static func float(fromBF16Bits b: UInt16) -> Float { HalfFloat.float(fromBF16Bits: b) }

    /// Converts `count` little-endian elements of `dtype` starting at `source` (any alignment)
    /// into `destination`. Precondition: `dtype.isConvertibleToFloat`.
    static func convert(_ dtype: TensorDType, from source: UnsafeRawPointer, count: Int,
                        into destination: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .f32:
            memcpy(destination, source, count * 4)
        case .f16:
            chunked(UInt16.self, source, count, destination) { float(fromF16Bits: $0) }
        case .bf16:
            chunked(UInt16.self, source, count, destination) { float(fromBF16Bits: $0) }
        case .f64: chunked(Double.self, source, count, destination) { Float($0) }
        case .i64: chunked(Int64.self, source, count, destination) { Float($0) }
        case .i32: chunked(Int32.self, source, count, destination) { Float($0) }
        case .i16: chunked(Int16.self, source, count, destination) { Float($0) }
        case .i8: chunked(Int8.self, source, count, destination) { Float($0) }
        case .u64: chunked(UInt64.self, source, count, destination) { Float($0) }
        case .u32: chunked(UInt32.self, source, count, destination) { Float($0) }
        case .u16: chunked(UInt16.self, source, count, destination) { Float($0) }
        case .u8: chunked(UInt8.self, source, count, destination) { Float($0) }
        case .bool: chunked(UInt8.self, source, count, destination) { $0 == 0 ? 0 : 1 }
        case .f8e4m3, .f8e5m2, .f8e8m0:
            preconditionFailure("FloatConversion: \(dtype.rawValue) is not convertible")
        }
    }

    /// Copies the source in aligned chunks of `Element` (little-endian, as safetensors stores
    /// them), then converts each chunk with a loop the compiler can vectorise.
    @inline(__always)
    private static func chunked<Element>(_: Element.Type, _ source: UnsafeRawPointer, _ count: Int,
                                         _ destination: UnsafeMutablePointer<Float>,
                                         _ convert: (Element) -> Float) {
        let chunk = 8192
        withUnsafeTemporaryAllocation(of: Element.self, capacity: chunk) { scratch in
            let s = scratch.baseAddress!
            var start = 0
            while start < count {
                let n = min(chunk, count - start)
                memcpy(s, source + start * MemoryLayout<Element>.stride, n * MemoryLayout<Element>.stride)
                let d = destination + start
                for i in 0..<n { d[i] = convert(s[i]) }
                start += n
            }
        }
    }
}
