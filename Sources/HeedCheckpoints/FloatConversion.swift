// Element conversion to float32 for safetensors data. Source bytes may sit at any alignment
// (safetensors offsets are not padded), so they are copied into aligned scratch chunks first.

import Foundation

/// Exact conversions of 16-bit floats to float32, scalar and bulk.
public enum FloatConversion {
    /// IEEE binary16 bits to float32, exact for every input: zeros, subnormals, normals,
    /// infinities and NaNs (payload kept, sign kept). Branch-free so the bulk loop vectorises.
    @inline(__always)
    public static func float(fromF16Bits h: UInt16) -> Float {
        let x = UInt32(h)
        let sign = (x & 0x8000) << 16
        let shifted = (x & 0x7fff) << 13             // exponent and mantissa in float32 position
        let exponent = shifted & 0x0f80_0000          // the 5 exponent bits, shifted
        let normal = shifted &+ (112 << 23)           // rebias 15 -> 127
        let infOrNaN = shifted &+ (224 << 23)         // exponent 31 -> 255
        // Zero and subnormals: m * 2^-24 == (1 + m/1024) * 2^-14 - 2^-14, exact in float32.
        let magic = Float(bitPattern: 113 << 23)      // 2^-14
        let subnormal = (Float(bitPattern: shifted &+ (113 << 23)) - magic).bitPattern
        let bits = exponent == 0x0f80_0000 ? infOrNaN : (exponent == 0 ? subnormal : normal)
        return Float(bitPattern: bits | sign)
    }

    /// bfloat16 bits to float32 (the upper half of a float32): exact for every input.
    @inline(__always)
    public static func float(fromBF16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

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
