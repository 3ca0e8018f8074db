import HeedAnalysis
import HeedJSONRPC

/// Params that can only be checked against the text or the model, before any work: offsets
/// (inside the text, on character boundaries of the negotiated encoding) and layer indices
/// (0...L-1). Each failure is -32602 naming the field, with `data` a client can act on
/// (protocol.md, sections 3, 5.5 and 5.6).
enum Offsets {
    /// `range` (already start <= end) must lie inside `text` and not split a character.
    /// data: `{field, length, encoding}` (the text's length in units of the encoding).
    static func check(_ range: Range<Int>, in text: String, encoding: PositionEncoding, field: String) throws {
        let length = Pipeline.length(of: text, in: encoding)
        func invalid(_ message: String) -> JSONRPCError {
            JSONRPCError(.invalidParams, "Invalid params: `\(field)` \(message)",
                         data: .object(JSONObject([("field", .string(field)), ("length", .number(JSONNumber(length))),
                                                   ("encoding", .string(encoding.rawValue))])))
        }
        guard range.lowerBound >= 0, range.upperBound <= length else {
            throw invalid("\(range.lowerBound)..<\(range.upperBound) is outside the text (\(length) \(encoding.rawValue) units)")
        }
        for k in [range.lowerBound, range.upperBound] where splitsCharacter(k, text: text, encoding: encoding) {
            throw invalid("offset \(k) splits a character in \(encoding.rawValue) units")
        }
    }

    /// A layer index from `field` (`layer`, `layers[2]`) must be 0...L-1; `orLast` says the
    /// field also accepts "last". data: `{field, min: 0, max: L-1}`.
    static func checkLayer(_ layer: Int, field: String, layerCount L: Int, orLast: Bool) throws {
        guard layer < 0 || layer >= L else { return }
        let valid = "0...\(L - 1)" + (orLast ? " or \"last\"" : "")
        throw JSONRPCError(.invalidParams, "Invalid params: `\(field)` is \(layer): the model has layers \(valid)",
                           data: .object(JSONObject([("field", .string(field)), ("min", .number(JSONNumber(0))),
                                                     ("max", .number(JSONNumber(L - 1)))])))
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
