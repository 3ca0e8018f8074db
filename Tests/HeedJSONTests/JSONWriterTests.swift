import Foundation
import XCTest
@testable import HeedJSON
import HeedJSONTestSupport

final class JSONWriterTests: XCTestCase {
    private func text(_ w: JSONWriter) -> String { String(decoding: w.bytes, as: UTF8.self) }

    func testFloatLayout() {
        let expected: [(Float, String)] = [
            (0, "0"), (-0.0, "-0"), (1, "1"), (-2, "-2"), (100, "100"), (16_777_216, "16777216"),
            (123_456_792, "123456790"), (1e9, "1e9"), (1e10, "1e10"), (0.5, "0.5"), (1234.5, "1234.5"),
            (0.1, "0.1"), (0.001, "0.001"), (0.00099999, "9.9999e-4"), (1e-5, "1e-5"), (-2.5e-7, "-2.5e-7"),
            (1.0 / 3.0, "0.33333334"), (3.4028235e38, "3.4028235e38"), (.leastNonzeroMagnitude, "1e-45"),
            (.leastNormalMagnitude, "1.1754944e-38"), (-.leastNormalMagnitude, "-1.1754944e-38"),
        ]
        for (f, s) in expected { XCTAssertEqual(FloatFormatting.string(f), s, "\(f)") }
    }

    /// Every formatted float parses back to the same bits, is never longer than Swift's shortest
    /// description, and has the same digits.
    func testFloatShortestRoundTrip() {
        var rng = SplitMix64(seed: 42)
        var samples: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
                                .leastNormalMagnitude, Float.leastNormalMagnitude.nextDown, Float(1).nextUp, Float(1).nextDown, 0.1, 0.2, 0.3]
        for _ in 0..<20_000 { samples.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        for _ in 0..<5_000 { samples.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x807F_FFFF)) }  // subnormals
        for _ in 0..<5_000 { samples.append(Float.random(in: 0..<1, using: &rng)) }
        for e in 0..<254 as Range<UInt32> {  // interval edges around every power of two
            for d: UInt32 in [0, 1, 2] { samples.append(Float(bitPattern: (e << 23) + d)); samples.append(Float(bitPattern: ((e + 1) << 23) - 1 - d)) }
        }
        var checked = 0
        for f in samples where f.isFinite {
            let s = FloatFormatting.string(f)
            guard let back = Float(s) else { XCTFail("\(s) does not parse"); continue }
            XCTAssertEqual(back.bitPattern, f.bitPattern, "\(f) -> \(s)")
            XCTAssertEqual(significantDigits(s), significantDigits(f.description), "\(f): \(s) vs \(f.description)")
            // And it is valid JSON that Heed's reader and Foundation read the same way.
            XCTAssertEqual((try? JSONParser.parse(s))?.doubleValue.map { Float($0) }?.bitPattern, f.bitPattern, s)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 29_000)
    }

    private func significantDigits(_ s: String) -> String {
        var m = Substring(s)
        if let e = m.firstIndex(where: { $0 == "e" || $0 == "E" }) { m = m[..<e] }
        var digits = m.filter { $0.isNumber }
        while digits.hasPrefix("0") { digits.removeFirst() }
        while digits.hasSuffix("0") { digits.removeLast() }
        return digits
    }

    func testNonFiniteIsReportedAndWrittenAsNull() {
        var w = JSONWriter()
        w.beginArray(); w.number(1); w.number(.nan); w.endArray()
        XCTAssertEqual(text(w), "[1,null]")
        XCTAssertTrue(w.nonFinite)
        var t = JSONWriter()
        t.tensor([1, .infinity, 2, 3], shape: [2, 2])
        XCTAssertEqual(text(t), "[[1,null],[2,3]]")
        XCTAssertTrue(t.nonFinite)
        var b = JSONWriter()
        b.tensorBase64([.nan], shape: [1])
        XCTAssertTrue(b.nonFinite)
        var ok = JSONWriter()
        ok.tensor([1, 2], shape: [2])
        XCTAssertFalse(ok.nonFinite)
    }

    func testStructureAndEscaping() throws {
        var w = JSONWriter()
        w.beginObject()
        w.key("s"); w.string("q\"b\\n\n\r\t\u{8}\u{C}\u{0}\u{1F}\u{7F}é𝄞")
        w.key("i"); w.int(-42)
        w.key("m"); w.int(Int.min)
        w.key("d"); w.double(0.1)
        w.key("n"); w.null()
        w.key("b"); w.bool(false)
        w.key("a"); w.beginArray(); w.int(1); w.beginObject(); w.endObject(); w.beginArray(); w.endArray(); w.endArray()
        w.key("r"); w.raw(Array(#"{"pre":[1,2]}"#.utf8))
        w.key("e"); w.numbers([Float]())
        w.endObject()
        XCTAssertEqual(text(w), #"{"s":"q\"b\\n\n\r\t\b\f\u0000\u001f"# + "\u{7F}é𝄞" +
                       #"","i":-42,"m":-9223372036854775808,"d":0.1,"n":null,"b":false,"a":[1,{},[]],"r":{"pre":[1,2]},"e":[]}"#)
        // Foundation agrees it is JSON with the same string.
        let object = try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any]
        XCTAssertEqual(object?["s"] as? String, "q\"b\\n\n\r\t\u{8}\u{C}\u{0}\u{1F}\u{7F}é𝄞")
    }

    func testTensorShapes() {
        var w = JSONWriter()
        w.beginArray()
        w.tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        w.tensor([1, 2, 3, 4, 5, 6, 7, 8], shape: [2, 2, 2])
        w.tensor([7], shape: [])
        w.tensor([], shape: [2, 0])
        w.numbers([0.5, 0.25] as [Float])
        w.endArray()
        XCTAssertEqual(text(w), "[[[1,2,3],[4,5,6]],[[[1,2],[3,4]],[[5,6],[7,8]]],7,[[],[]],[0.5,0.25]]")
        // Rows longer than one formatting block.
        let long = (0..<1000).map { Float($0) / 7 }
        var l = JSONWriter()
        l.tensor(long, shape: [2, 500])
        let back = try? JSONParser.parse(l.bytes)
        let rows = back?.arrayValue?.map { $0.arrayValue?.compactMap { $0.doubleValue.map(Float.init) } ?? [] }
        XCTAssertEqual(rows?.flatMap { $0 }, long)
    }

    func testValueRoundTrip() throws {
        let text = #"{"a":[1,-2,0.5,1e300,true,null,"x\u0000y"],"b":{"c":{},"d":[]},"big":12345678901234567890,"neg":-0.0}"#
        let v = try JSONParser.parse(text)
        var w = JSONWriter()
        w.value(v)
        // Reading the output back gives the same numbers and the same text again (a literal's form,
        // integer or not, may change: 12345678901234567890 is written as a Double).
        var again = JSONWriter()
        again.value(try JSONParser.parse(w.bytes))
        XCTAssertEqual(again.bytes, w.bytes)
        let plain = try JSONParser.parse(#"{"a":[1,-2,0.5,true,null,"x\u0000y\n"],"b":{"c":{},"d":[]}}"#)
        var p = JSONWriter()
        p.value(plain)
        XCTAssertEqual(try JSONParser.parse(p.bytes), plain)
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self),
                       #"{"a":[1,-2,0.5,1e+300,true,null,"x\u0000y"],"b":{"c":{},"d":[]},"big":1.2345678901234567e+19,"neg":-0}"#)
        let literal: JSONValue = ["limit": 512, "methods": ["attention", "norm"], "ratio": 0.5, "ok": true, "none": nil]
        var l = JSONWriter()
        l.value(literal)
        XCTAssertEqual(String(decoding: l.bytes, as: UTF8.self),
                       #"{"limit":512,"methods":["attention","norm"],"ratio":0.5,"ok":true,"none":null}"#)
    }

    func testBase64() throws {
        var w = JSONWriter()
        w.beginArray()
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] { w.base64(Array(s.utf8)) }  // RFC 4648 vectors
        w.endArray()
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self),
                       #"["","Zg==","Zm8=","Zm9v","Zm9vYg==","Zm9vYmE=","Zm9vYmFy"]"#)

        var rng = SplitMix64(seed: 3)
        let values = (0..<3001).map { _ in Float.random(in: -1...1, using: &rng) }  // several encoder blocks
        var t = JSONWriter()
        t.tensorBase64(values, shape: [3001])
        let v = try JSONParser.parse(t.bytes)
        XCTAssertEqual(v["shape"], [3001])
        XCTAssertEqual(v["dtype"], "f32")
        let data = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(v["data"]?.stringValue)))
        XCTAssertEqual(data.count, 3001 * 4)
        let decoded = data.withUnsafeBytes { raw in
            (0..<3001).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        XCTAssertEqual(decoded, values)

        var m = JSONWriter()
        m.tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], format: .base64)
        XCTAssertEqual(String(decoding: m.bytes, as: UTF8.self),
                       #"{"shape":[2,3],"dtype":"f32","data":"AACAPwAAAEAAAEBAAACAQAAAoEAAAMBA"}"#)
    }
}
