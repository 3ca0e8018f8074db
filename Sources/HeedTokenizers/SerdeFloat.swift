// How the Rust library reads a JSON number with a fraction or an exponent. tokenizers 0.23.3 builds
// serde_json 1.0 without the `float_roundtrip` feature, whose parser (serde_json/src/de.rs,
// `parse_decimal`, `parse_exponent`, `f64_from_parts`) gathers the decimal digits into a u64 and
// scales it by one multiplication or division by a power of ten. That is not always the correctly
// rounded value: about one Unigram score in six comes out one ulp away from what HeedJSON (correctly
// rounded) reads. Viterbi ties are decided on exact sums, so Unigram scores are read as Rust reads them.

/// serde_json's lossy decimal-to-Double conversion.
enum SerdeFloat {
    /// What serde_json reads from the literal `value` was written as, assuming the literal is the
    /// shortest text that reads back to `value` (as serde_json/ryu and Python write floats):
    /// that text is recovered from `value` and parsed serde_json's way. Nil when serde_json would
    /// reject the literal (out of range).
    static func rustValue(of value: Double) -> Double? {
        guard value.isFinite else { return nil }
        if value == 0 { return value }
        // Swift's description is the shortest round-trip text, e.g. "7.2957024574279785",
        // "1e-05", "100.0", "1.2345678901234568e+20".
        let text = "\(value.magnitude)"
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            guard let written = Int(text[text.index(after: e)...]) else { return nil }
            exponent = written
        }
        guard let parts = parseMantissa(mantissa) else { return nil }
        guard let magnitude = fromParts(significand: parts.significand, exponent: parts.exponent + exponent) else {
            return nil
        }
        return value < 0 ? -magnitude : magnitude
    }

    /// Digits of "123.456" as serde_json gathers them: (123456, -3). Nil past u64's range (a
    /// shortest round-trip text has at most 17 significant digits, so that does not happen here).
    static func parseMantissa(_ text: Substring) -> (significand: UInt64, exponent: Int)? {
        var significand: UInt64 = 0
        var exponent = 0
        var inFraction = false
        for character in text {
            if character == "." { inFraction = true; continue }
            guard character.isASCII, let digit = character.wholeNumberValue else { return nil }
            let (times10, o1) = significand.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(UInt64(digit))
            if o1 || o2 { return nil }
            significand = next
            if inFraction { exponent -= 1 }
        }
        return (significand, exponent)
    }

    /// serde_json's `f64_from_parts` without `float_roundtrip`: `significand as f64`, then one
    /// multiplication or division by 10^|exponent| (in steps of 1e308 below 1e-308). Nil for an
    /// infinite result.
    static func fromParts(significand: UInt64, exponent: Int) -> Double? {
        var f = Double(significand)
        var exponent = exponent
        while true {
            if exponent.magnitude < UInt(powersOfTen.count) {
                if exponent >= 0 {
                    f *= powersOfTen[exponent]
                    if f.isInfinite { return nil }
                } else {
                    f /= powersOfTen[-exponent]
                }
                return f
            }
            if f == 0 { return f }
            if exponent >= 0 { return nil }
            f /= 1e308
            exponent += 308
        }
    }

    /// 1e0 ... 1e308, each the correctly rounded Double (as Rust's float literals are).
    private static let powersOfTen: [Double] = (0...308).map { Double("1e\($0)")! }
}
