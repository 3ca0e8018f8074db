import Foundation
@testable import HeedAnalysis
import XCTest

/// PNGEncoder: checksums against their published check values, and images that decode back
/// (a small inflater for fixed-Huffman blocks below reads the zlib stream).
final class PNGEncoderTests: XCTestCase {
    func testChecksumsMatchTheirCheckValues() {
        XCTAssertEqual(PNGEncoder.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(PNGEncoder.adler32(Array("Wikipedia".utf8)), 0x11E6_0398)
        XCTAssertEqual(PNGEncoder.adler32([UInt8](repeating: 255, count: 100_000)), adlerReference([UInt8](repeating: 255, count: 100_000)))
    }

    func adlerReference(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt64 = 1, b: UInt64 = 0
        for x in bytes { a = (a + UInt64(x)) % 65521; b = (b + a) % 65521 }
        return UInt32(b << 16 | a)
    }

    func testZlibStreamsInflateBackForRunsOfEveryLength() throws {
        var data: [UInt8] = []
        for run in [1, 2, 3, 4, 10, 257, 258, 259, 260, 261, 262, 600, 1000] { data += [UInt8](repeating: UInt8(run % 251), count: run); data.append(7) }
        data += (0..<3000).map { UInt8(($0 * 37) % 256) }
        let z = PNGEncoder.zlib(data)
        XCTAssertEqual(Array(z.prefix(2)), [0x78, 0x01])
        XCTAssertEqual((UInt16(z[0]) << 8 | UInt16(z[1])) % 31, 0, "zlib header check bits")
        let inflated = try FixedInflater.inflate(Array(z[2..<(z.count - 4)]))
        XCTAssertEqual(inflated, data)
        let adler = z.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        XCTAssertEqual(adler, PNGEncoder.adler32(data))
    }

    func testIndexedImageChunks() throws {
        let (w, h) = (5, 3)
        let indices: [UInt8] = [0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 0, 1, 2, 0, 1]
        let png = PNGEncoder.indexed(width: w, height: h, indices: indices, palette: [(255, 0, 0), (0, 255, 0), (0, 0, 255)])
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var pos = 8
        var chunks: [(String, [UInt8])] = []
        func u32(_ k: Int) -> UInt32 { png[k..<(k + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        while pos < png.count {
            let n = Int(u32(pos))
            let type = String(decoding: png[(pos + 4)..<(pos + 8)], as: UTF8.self)
            let body = Array(png[(pos + 8)..<(pos + 8 + n)])
            XCTAssertEqual(u32(pos + 8 + n), PNGEncoder.crc32(Array(png[(pos + 4)..<(pos + 8 + n)])), "CRC of \(type)")
            chunks.append((type, body))
            pos += 12 + n
        }
        XCTAssertEqual(chunks.map(\.0), ["IHDR", "PLTE", "IDAT", "IEND"])
        XCTAssertEqual(chunks[0].1, [0, 0, 0, 5, 0, 0, 0, 3, 8, 3, 0, 0, 0])
        XCTAssertEqual(chunks[1].1, [255, 0, 0, 0, 255, 0, 0, 0, 255])
        let idat = chunks[2].1
        let raw = try FixedInflater.inflate(Array(idat[2..<(idat.count - 4)]))
        XCTAssertEqual(raw, [0, 0, 0, 0, 1, 1, 0, 2, 2, 2, 2, 2, 0, 0, 1, 2, 0, 1])
    }
}

/// Inflates a raw deflate stream of fixed-Huffman (and stored) blocks (RFC 1951), enough to read
/// PNGEncoder's output back.
enum FixedInflater {
    struct Failure: Error {}

    static func inflate(_ bytes: [UInt8]) throws -> [UInt8] {
        var bit = 0
        func read(_ n: Int) throws -> Int {
            var v = 0
            for k in 0..<n {
                guard bit / 8 < bytes.count else { throw Failure() }
                v |= Int(bytes[bit / 8] >> UInt8(bit % 8) & 1) << k
                bit += 1
            }
            return v
        }
        func code(_ n: Int) throws -> Int { var v = 0; for _ in 0..<n { v = v << 1 | (try read(1)) }; return v }
        func symbol() throws -> Int {
            var v = try code(7)
            if v <= 0x17 { return 256 + v }
            v = v << 1 | (try read(1))
            if v >= 0x30 && v <= 0xBF { return v - 0x30 }
            if v >= 0xC0 && v <= 0xC7 { return 280 + v - 0xC0 }
            v = v << 1 | (try read(1))
            return 144 + v - 0x190
        }
        var out: [UInt8] = []
        var final = 0
        repeat {
            final = try read(1)
            guard try read(2) == 1 else { throw Failure() }
            while true {
                let s = try symbol()
                if s < 256 { out.append(UInt8(s)); continue }
                if s == 256 { break }
                let c = s - 257
                let length = PNGEncoder.lengthBase[c] + (try read(PNGEncoder.lengthExtra[c]))
                guard try code(5) == 0 else { throw Failure() }  // only distance 1 is used
                for _ in 0..<length { out.append(out.last!) }
            }
        } while final == 0
        return out
    }
}
