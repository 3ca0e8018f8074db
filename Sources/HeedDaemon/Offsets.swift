import HeedAnalysis
import HeedJSONRPC

/// Offsets from clients: inside the text and on character boundaries of the negotiated encoding.
enum Offsets {
    static func check(_ range: Range<Int>, in text: String, encoding: PositionEncoding, field: String) throws {
        let length = Pipeline.length(of: text, in: encoding)
        guard range.lowerBound >= 0, range.upperBound <= length else {
            throw InvalidParams(field: field, message: "Invalid params: `\(field)` \(range.lowerBound)..<\(range.upperBound) is outside the text (\(length) \(encoding.rawValue) units)")
        }
        for k in [range.lowerBound, range.upperBound] where splitsCharacter(k, text: text, encoding: encoding) {
            throw InvalidParams(field: field, message: "Invalid params: `\(field)` offset \(k) splits a character in \(encoding.rawValue) units")
        }
    }

    static func splitsCharacter(_ k: Int, text: String, encoding: PositionEncoding) -> Bool {
        switch encoding {
        case .utf32:
            return false
        case .utf16:
            guard k > 0, k < text.utf16.count else { return false }
            let u = text.utf16
            return UTF16.isLeadSurrogate(u[u.index(u.startIndex, offsetBy: k - 1)]) && UTF16.isTrailSurrogate(u[u.index(u.startIndex, offsetBy: k)])
        case .utf8:
            guard k > 0, k < text.utf8.count else { return false }
            let u = text.utf8
            return UTF8.isContinuation(u[u.index(u.startIndex, offsetBy: k)])
        }
    }
}
