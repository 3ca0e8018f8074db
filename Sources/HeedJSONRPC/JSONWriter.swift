/// A streaming JSON writer that appends UTF-8 bytes. Numbers are written in the shortest
/// form that reads back to the same Float (Swift's description is shortest round-trip).
/// Non-finite numbers are a caller bug: `number(_:)` reports them through `nonFinite`.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Set when a NaN or infinity was asked to be written (written as null).
    public private(set) var nonFinite = false
    private var needsComma: [Bool] = [false]

    public init(reservingCapacity n: Int = 1024) { bytes.reserveCapacity(n) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    public mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    public mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// Writes an object key; the next value written is its value.
    public mutating func key(_ k: String) {
        separate()
        appendString(k)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    public mutating func string(_ s: String) { separate(); appendString(s) }
    public mutating func bool(_ b: Bool) { separate(); bytes.append(contentsOf: (b ? "true" : "false").utf8) }
    public mutating func null() { separate(); bytes.append(contentsOf: "null".utf8) }
    public mutating func int(_ i: Int) { separate(); bytes.append(contentsOf: String(i).utf8) }

    public mutating func number(_ f: Float) {
        separate()
        guard f.isFinite else { nonFinite = true; bytes.append(contentsOf: "null".utf8); return }
        if f == f.rounded(), abs(f) < 1e7 { bytes.append(contentsOf: String(Int(f)).utf8); return }
        bytes.append(contentsOf: f.description.utf8)
    }

    /// A flat array of numbers.
    public mutating func numbers<C: Collection>(_ values: C) where C.Element == Float {
        beginArray()
        for v in values { number(v) }
        endArray()
    }

    /// Nested arrays of `shape` over row-major `values`.
    public mutating func tensor(_ values: [Float], shape: [Int]) {
        values.withUnsafeBufferPointer { writeNested($0, shape: shape[...]) }
    }

    private mutating func writeNested(_ v: UnsafeBufferPointer<Float>, shape: ArraySlice<Int>) {
        guard let n = shape.first else { if let f = v.first { number(f) }; return }
        let inner = shape.dropFirst().reduce(1, *)
        beginArray()
        if shape.count == 1 {
            for i in 0..<n { number(v[i]) }
        } else {
            for i in 0..<n { writeNested(UnsafeBufferPointer(rebasing: v[(i * inner)..<((i + 1) * inner)]), shape: shape.dropFirst()) }
        }
        endArray()
    }

    private mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for u in s.utf8 {
            switch u {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(u >> 4)], hex[Int(u & 15)]])
            default: bytes.append(u)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
