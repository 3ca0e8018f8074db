// A minimal PNG writer for the heatmaps' raster mode (`SVGHeatmap`): 8-bit indexed colour, one
// IDAT chunk holding a zlib stream (RFC 1950) of fixed-Huffman deflate blocks (RFC 1951) whose
// only matches are runs (distance 1). Foundation offers no zlib API on Linux, and heatmap rows are
// mostly long runs of one colour, so this small encoder is all that is needed.

/// Encodes images as PNG (ISO/IEC 15948): palette images, no interlacing, filter type 0.
public enum PNGEncoder {
    /// A `width` x `height` palette image, `indices` row-major (one byte per pixel, each below
    /// `palette.count`, at most 256 colours given as (red, green, blue)). Returns the PNG file.
    public static func indexed(width: Int, height: Int, indices: [UInt8], palette: [(UInt8, UInt8, UInt8)]) -> [UInt8] {
        precondition(width > 0 && height > 0 && indices.count == width * height, "indices must hold width x height pixels")
        precondition(!palette.isEmpty && palette.count <= 256, "a palette has 1 to 256 colours")
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += bigEndian(UInt32(width)); header += bigEndian(UInt32(height))
        header += [8, 3, 0, 0, 0]  // bit depth 8, colour type 3 (palette), deflate, filter 0, no interlace
        chunk("IHDR", header, into: &png)
        chunk("PLTE", palette.flatMap { [$0.0, $0.1, $0.2] }, into: &png)
        // Each scanline starts with its filter type (0: none).
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width + 1))
        for y in 0..<height {
            raw.append(0)
            raw += indices[(y * width)..<((y + 1) * width)]
        }
        chunk("IDAT", zlib(raw), into: &png)
        chunk("IEND", [], into: &png)
        return png
    }

    /// A zlib stream of `data`: header, fixed-Huffman deflate with run-length matches, Adler-32.
    public static func zlib(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]  // deflate, 32 KiB window, no dictionary, fastest; (0x7801 % 31 == 0)
        out += deflateFixed(data)
        out += bigEndian(adler32(data))
        return out
    }

    /// CRC-32 (ISO 3309, as PNG and zip use: reflected polynomial 0xEDB88320).
    public static func crc32(_ bytes: some Sequence<UInt8>, initial: UInt32 = 0) -> UInt32 {
        var c = ~initial
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return ~c
    }

    /// Adler-32 (RFC 1950).
    public static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var k = 0
        while k < bytes.count {
            let end = min(bytes.count, k + 5552)  // the largest block before the sums can overflow
            while k < end { a += UInt32(bytes[k]); b += a; k += 1 }
            a %= 65521; b %= 65521
        }
        return b << 16 | a
    }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ data: [UInt8], into png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        png += bigEndian(UInt32(data.count))
        png += typeBytes
        png += data
        png += bigEndian(crc32(data, initial: crc32(typeBytes)))
    }

    /// Writes bits least-significant first, as deflate packs them.
    struct BitWriter {
        var bytes: [UInt8] = []
        var buffer: UInt64 = 0
        var count = 0

        mutating func write(_ value: UInt32, bits: Int) {
            buffer |= UInt64(value) << UInt64(count)
            count += bits
            while count >= 8 { bytes.append(UInt8(buffer & 0xFF)); buffer >>= 8; count -= 8 }
        }

        /// A Huffman code: its bits go most-significant first.
        mutating func writeCode(_ code: UInt32, bits: Int) {
            var reversed: UInt32 = 0
            for k in 0..<bits { reversed |= ((code >> UInt32(k)) & 1) << UInt32(bits - 1 - k) }
            write(reversed, bits: bits)
        }

        mutating func flush() { if count > 0 { bytes.append(UInt8(buffer & 0xFF)); buffer = 0; count = 0 } }
    }

    /// The fixed literal/length code of RFC 1951, section 3.2.6.
    static func writeSymbol(_ symbol: Int, _ w: inout BitWriter) {
        switch symbol {
        case 0...143: w.writeCode(UInt32(0x30 + symbol), bits: 8)
        case 144...255: w.writeCode(UInt32(0x190 + symbol - 144), bits: 9)
        case 256...279: w.writeCode(UInt32(symbol - 256), bits: 7)
        default: w.writeCode(UInt32(0xC0 + symbol - 280), bits: 8)
        }
    }

    /// Base lengths of length codes 257...285 and their extra bits.
    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]

    /// One final fixed-Huffman block: literals, and for runs of a repeated byte a literal then
    /// matches of distance 1 (lengths 3 to 258).
    static func deflateFixed(_ data: [UInt8]) -> [UInt8] {
        var w = BitWriter()
        w.write(1, bits: 1)  // BFINAL
        w.write(1, bits: 2)  // BTYPE = 01, fixed Huffman
        var k = 0
        while k < data.count {
            writeSymbol(Int(data[k]), &w)
            var run = 0
            while k + 1 + run < data.count, data[k + 1 + run] == data[k] { run += 1 }
            var left = run
            while left >= 3 {
                let length = min(258, left == 259 || left == 260 ? left - 3 : left)  // never leave 1 or 2 behind a 258
                var code = lengthBase.count - 1
                while lengthBase[code] > length { code -= 1 }
                writeSymbol(257 + code, &w)
                if lengthExtra[code] > 0 { w.write(UInt32(length - lengthBase[code]), bits: lengthExtra[code]) }
                w.writeCode(0, bits: 5)  // distance code 0: distance 1
                left -= length
            }
            for _ in 0..<left { writeSymbol(Int(data[k]), &w) }
            k += 1 + run
        }
        writeSymbol(256, &w)  // end of block
        w.flush()
        return w.bytes
    }
}
