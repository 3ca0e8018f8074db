import HeedTokenizers

/// The four token classes of the paper's section 4 (the authors' `re-examine.py`): [CLS], [SEP],
/// periods and commas, and every other token.
public enum TokenClass: Int, CaseIterable, Sendable {
    case cls = 0, sep, punctuation, other

    /// The key used in JSON output.
    public var key: String {
        switch self {
        case .cls: return "cls"
        case .sep: return "sep"
        case .punctuation: return "punctuation"
        case .other: return "other"
        }
    }

    /// The column heading used in text tables.
    public var label: String {
        switch self {
        case .cls: return "[CLS]"
        case .sep: return "[SEP]"
        case .punctuation: return ". ,"
        case .other: return "other"
        }
    }

    /// The class of every token of an encoding. The first special token is [CLS] and the last
    /// is [SEP] (whatever the tokenizer calls them: `<s>` and `</s>` for RoBERTa); a special token
    /// in between with the id of either takes its class (the second [SEP] of a pair); a
    /// non-special token whose text is exactly "." or "," is punctuation; the rest is other.
    public static func classify(_ tokens: [EncodedToken]) -> [TokenClass] {
        let specialIndices = tokens.indices.filter { tokens[$0].special }
        let clsID = specialIndices.first.map { tokens[$0].id }
        let sepID = specialIndices.count > 1 ? specialIndices.last.map { tokens[$0].id } : nil
        return tokens.enumerated().map { index, token in
            if token.special {
                if index == specialIndices.first { return .cls }
                if index == specialIndices.last { return .sep }
                if token.id == sepID { return .sep }
                if token.id == clsID { return .cls }
                return .other
            }
            return token.text == "." || token.text == "," ? .punctuation : .other
        }
    }
}
