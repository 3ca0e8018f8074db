/// A streaming JSON writer that appends UTF-8 bytes.
///
/// Float32 numbers are written in the shortest form that reads back to the same Float
/// (`FloatFormatting`, no allocation per number); matrices go row by row through a stack buffer.
/// Non-finite numbers are a caller bug: they are written as `null` and reported through `nonFinite`.
/// Values are separated automatically: call `key(_:)` before each member value inside an object.
public struct JSONWriter {
    /// The UTF-8 written so far.
    public private(set) var bytes: [UInt8] = []
    /// Set when a NaN or infinity was asked to be written (written as null).
    public private(set) var nonFinite = false
    private var needsComma: [Bool] = [false]

    /// An empty writer with room for `n` bytes.
    public init(reservingCapacity n: Int = 1024) { bytes.reserveCapacity(n) }

    /// Numbers formatted per stack-buffer block when writing rows of floats.
    private static let rowBlock = 256

    @inline(__always)
    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    /// Opens an object (`{`).
    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    /// Closes the innermost object (`}`).
    public mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    /// Opens an array (`[`).
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    /// Closes the innermost array (`]`).
    public mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// Writes an object key; the next value written is its value.
    public mutating func key(_ k: String) {
        separate()
        appendString(k)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    /// A string, escaped (`"`, `\` and control characters).
    public mutating func string(_ s: String) { separate(); appendString(s) }
    /// `true` or `false`.
    public mutating func bool(_ b: Bool) { separate(); bytes.append(contentsOf: (b ? "true" : "false").utf8) }
    /// `null`.
    public mutating func null() { separate(); bytes.append(contentsOf: "null".utf8) }

    /// An integer.
    public mutating func int(_ i: Int) {
        separate()
        appendInt(i)
    }

    /// A Float32 in its shortest round-trip form.
    public mutating func number(_ f: Float) {
        separate()
        if !f.isFinite { nonFinite = true }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: FloatFormatting.maxByteCount) { tmp in
            let n = FloatFormatting.write(f, to: tmp.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: tmp[0..<n]))
        }
    }

    /// A Double in its shortest round-trip form (integral values below 1e15 without a fraction).
    public mutating func double(_ d: Double) {
        separate()
        guard d.isFinite else { nonFinite = true; bytes.append(contentsOf: "null".utf8); return }
        if d == d.rounded(.towardZero) && abs(d) < 1e15 {
            if d == 0 && d.sign == .minus { bytes.append(contentsOf: "-0".utf8) } else { appendInt(Int(d)) }
            return
        }
        bytes.append(contentsOf: d.description.utf8)  // "1e-05", "0.1", "1.5e+300": all valid JSON
    }

    /// Pre-serialised JSON inserted as one value (the caller vouches that it is a valid value).
    public mutating func raw<C: Collection>(_ json: C) where C.Element == UInt8 {
        separate()
        bytes.append(contentsOf: json)
    }

    /// Any `JSONValue` (strings with a lone surrogate carry U+FFFD in its place).
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n):
            if let i = n.int, i != 0 || n.double.sign == .plus { int(i) } else { double(n.double) }  // keeps -0
        case .string(let s, _): string(s)
        case .array(let items):
            beginArray()
            for item in items { value(item) }
            endArray()
        case .object(let o):
            beginObject()
            for (k, item) in o { key(k); value(item) }
            endObject()
        }
    }

    /// A flat array of numbers.
    public mutating func numbers<C: Collection>(_ values: C) where C.Element == Float {
        separate()
        if let done: Void = values.withContiguousStorageIfAvailable({ appendRow($0) }) { return done }
        Array(values).withUnsafeBufferPointer { appendRow($0) }
    }

    /// Nested arrays of `shape` over row-major `values` (an empty shape writes one number).
    public mutating func tensor(_ values: [Float], shape: [Int]) {
        values.withUnsafeBufferPointer { tensor($0, shape: shape) }
    }

    /// Nested arrays of `shape` over row-major `values`.
    public mutating func tensor(_ values: UnsafeBufferPointer<Float>, shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count, "tensor shape \(shape) does not match \(values.count) values")
        guard !shape.isEmpty else { number(values[0]); return }
        separate()
        reserve(values.count * 12)
        appendNested(values, shape: shape[...])
    }

    /// Layout of number arrays in results (`format` of `heed/analyze`).
    public enum TensorFormat: String, Sendable {
        /// Nested JSON arrays.
        case nested
        /// `{shape:[...], dtype:"f32", data: base64 of little-endian float32}`.
        case base64
        /// `{shape:[...], dtype:"f32", byteOffset, byteLength}` into the binary attachment that
        /// follows the frame's JSON body (`HeedJSONRPC.BinaryAttachment`); the JSON alone
        /// cannot hold it, so `tensor(_:shape:format:)` does not take it.
        case binary
    }

    /// A tensor in `format`, `.nested` or `.base64` (a `.binary` tensor needs the frame's
    /// attachment: `tensorReference`, through `HeedJSONRPC`'s `tensor(_:shape:attachment:)`).
    public mutating func tensor(_ values: [Float], shape: [Int], format: TensorFormat) {
        switch format {
        case .nested: tensor(values, shape: shape)
        case .base64: tensorBase64(values, shape: shape)
        case .binary: fatalError("JSONWriter.tensor(format: .binary): binary tensors are written with their frame's BinaryAttachment")
        }
    }

    /// `{"shape":[...],"dtype":"f32","byteOffset":o,"byteLength":n}`: the reference to `values`,
    /// which the caller places at `byteOffset` of the frame's binary attachment (n = 4 x count).
    /// Non-finite values are reported through `nonFinite`, as for the other formats.
    public mutating func tensorReference(_ values: UnsafeBufferPointer<Float>, shape: [Int], byteOffset: Int) {
        precondition(shape.reduce(1, *) == values.count, "tensor shape \(shape) does not match \(values.count) values")
        if !JSONWriter.allFinite(values) { nonFinite = true }
        beginObject()
        key("shape"); beginArray(); for d in shape { int(d) }; endArray()
        key("dtype"); string("f32")
        key("byteOffset"); int(byteOffset)
        key("byteLength"); int(values.count * MemoryLayout<Float>.size)
        endObject()
    }

    /// Whether every value is finite (no NaN, no infinity): the exponent bits of each value are
    /// compared with all ones, 16 lanes at a time.
    public static func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
        guard let base = values.baseAddress else { return true }
        let exponent: UInt32 = 0x7F80_0000
        let raw = UnsafeRawPointer(base)
        var k = 0
        var widest = SIMD16<UInt32>(repeating: 0)
        while k + 16 <= values.count {
            let bits = raw.loadUnaligned(fromByteOffset: 4 * k, as: SIMD16<UInt32>.self)
            widest = pointwiseMax(widest, bits & exponent)
            k += 16
        }
        var finite = widest.max() < exponent
        while k < values.count { finite = finite && values[k].isFinite; k += 1 }
        return finite
    }

    /// `{"shape":[...],"dtype":"f32","data":"<base64 of little-endian float32>"}`.
    public mutating func tensorBase64(_ values: [Float], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count, "tensor shape \(shape) does not match \(values.count) values")
        beginObject()
        key("shape"); beginArray(); for d in shape { int(d) }; endArray()
        key("dtype"); string("f32")
        key("data")
        separate()
        reserve(values.count * 4 / 3 + 8)
        values.withUnsafeBufferPointer { v in
            if !JSONWriter.allFinite(v) { nonFinite = true }
            #if _endian(big)
            let little = v.map { Float(bitPattern: $0.bitPattern.littleEndian) }
            little.withUnsafeBytes { appendBase64($0) }
            #else
            appendBase64(UnsafeRawBufferPointer(v))
            #endif
        }
        endObject()
    }

    /// A string holding the base64 (RFC 4648, with padding) of `raw`.
    public mutating func base64<C: Collection>(_ raw: C) where C.Element == UInt8 {
        separate()
        if let done: Void = raw.withContiguousStorageIfAvailable({ appendBase64(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(raw).withUnsafeBytes { appendBase64($0) }
    }

    // MARK: Internals

    /// Makes room for about `n` more bytes at once, keeping geometric growth (a big tensor then
    /// grows the buffer once instead of several times; many small ones do not reallocate each time).
    private mutating func reserve(_ n: Int) {
        let needed = bytes.count + n
        if needed > bytes.capacity { bytes.reserveCapacity(max(needed, 2 * bytes.capacity)) }
    }

    private mutating func appendNested(_ v: UnsafeBufferPointer<Float>, shape: ArraySlice<Int>) {
        let n = shape[shape.startIndex]
        if shape.count == 1 { appendRow(v); return }
        let inner = v.count / max(n, 1)
        bytes.append(UInt8(ascii: "["))
        for i in 0..<n {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            appendNested(UnsafeBufferPointer(rebasing: v[(i * inner)..<((i + 1) * inner)]), shape: shape.dropFirst())
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// `[f,f,...]`, formatted into a stack buffer a block at a time.
    private mutating func appendRow(_ row: UnsafeBufferPointer<Float>) {
        bytes.append(UInt8(ascii: "["))
        let block = JSONWriter.rowBlock
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: block * (FloatFormatting.maxByteCount + 1)) { tmp in
            let out = tmp.baseAddress!
            var start = 0
            while start < row.count {
                let stop = min(row.count, start + block)
                var n = 0
                var finite = true
                for k in start..<stop {
                    if k > 0 { out[n] = UInt8(ascii: ","); n += 1 }
                    let f = row[k]
                    finite = finite && f.isFinite
                    n += FloatFormatting.write(f, to: out + n)
                }
                if !finite { nonFinite = true }
                bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: n))
                start = stop
            }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func appendInt(_ value: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { tmp in
            let out = tmp.baseAddress!
            var magnitude = value.magnitude
            var k = 20
            repeat {
                k -= 1
                out[k] = UInt8(truncatingIfNeeded: 0x30 + magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(start: out + k, count: 20 - k))
        }
    }

    /// A quoted string; `"`, `\` and every control character below U+0020 are escaped.
    private mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for (k, u) in utf8.enumerated() where u < 0x20 || u == 0x22 || u == 0x5C {
                if runStart < k { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<k])) }
                runStart = k + 1
                switch u {
                case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
                case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                default:
                    bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30,
                                              JSONWriter.hexDigits[Int(u >> 4)], JSONWriter.hexDigits[Int(u & 15)]])
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `"` + base64 of `raw` + `"`, encoded through a stack buffer.
    private mutating func appendBase64(_ raw: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        let groupsPerBlock = 1024
        JSONWriter.base64Alphabet.withUnsafeBufferPointer { alphabet in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: groupsPerBlock * 4) { tmp in
                let out = tmp.baseAddress!
                let fullGroups = raw.count / 3
                var g = 0
                while g < fullGroups {
                    let stop = min(fullGroups, g + groupsPerBlock)
                    var n = 0
                    for k in g..<stop {
                        let b0 = UInt32(raw[3 * k]), b1 = UInt32(raw[3 * k + 1]), b2 = UInt32(raw[3 * k + 2])
                        let w = b0 << 16 | b1 << 8 | b2
                        out[n] = alphabet[Int(w >> 18)]
                        out[n + 1] = alphabet[Int((w >> 12) & 63)]
                        out[n + 2] = alphabet[Int((w >> 6) & 63)]
                        out[n + 3] = alphabet[Int(w & 63)]
                        n += 4
                    }
                    bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: n))
                    g = stop
                }
                let rest = raw.count - 3 * fullGroups
                if rest > 0 {
                    let b0 = UInt32(raw[3 * fullGroups])
                    let b1 = rest == 2 ? UInt32(raw[3 * fullGroups + 1]) : 0
                    let w = b0 << 16 | b1 << 8
                    bytes.append(alphabet[Int(w >> 18)])
                    bytes.append(alphabet[Int((w >> 12) & 63)])
                    bytes.append(rest == 2 ? alphabet[Int((w >> 6) & 63)] : UInt8(ascii: "="))
                    bytes.append(UInt8(ascii: "="))
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
