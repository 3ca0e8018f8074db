import HeedAnalysis
import HeedModels

/// Labels of tokens and words for the plain views and the SVG: a token's source text (its
/// vocabulary string when it has no span: the [CLS] and [SEP] the tokenizer inserts), and a
/// mark on tokens that became the unknown token.
struct TokenLabels {
    let table: TokenTable
    let scalars: [Unicode.Scalar]

    init(table: TokenTable, text: String) {
        self.table = table
        scalars = Array(text.unicodeScalars)
    }

    /// The vocabulary strings of unknown tokens in the families Heed reads.
    static let unknownStrings: Set<String> = ["[UNK]", "<unk>"]

    /// True for a token the tokenizer could not map (its text is not in the vocabulary). A
    /// "[UNK]" typed in the text is a special token, not an unknown one.
    static func isUnknown(_ t: TokenRow) -> Bool { !t.special && t.start < t.end && unknownStrings.contains(t.text) }

    func slice(_ r: Range<Int>) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[r])
        return String(s)
    }

    /// "cat"; "[CLS]" for an inserted token; "東[UNK]" for an unknown one.
    func token(_ t: TokenRow) -> String {
        if t.start == t.end { return t.text }
        return slice(t.start..<t.end) + (Self.isUnknown(t) ? "[UNK]" : "")
    }

    /// A word's source text ("[CLS]" for an inserted token's word), marked when one of its tokens is unknown.
    func word(_ w: WordRow) -> String {
        if w.start == w.end { return table.tokens[w.tokens[0]].text }
        return w.text + (w.tokens.contains { Self.isUnknown(table.tokens[$0]) } ? "[UNK]" : "")
    }

    /// One label per row of a result at `granularity`.
    func labels(_ granularity: Granularity) -> [String] {
        granularity == .word ? table.words.map(word) : table.tokens.map(token)
    }

    /// "heed: note: 1 token is [UNK] ..." on stderr when the text has unknown tokens.
    func noteUnknown(modelID: String) {
        let unknown = table.tokens.filter(Self.isUnknown)
        guard !unknown.isEmpty else { return }
        let shown = unknown.prefix(8).map { "\"\(slice($0.start..<$0.end))\"" }.joined(separator: ", ")
        let more = unknown.count > 8 ? ", ..." : ""
        let verb = unknown.count == 1 ? "token is" : "tokens are"
        Terminal.printError("note: \(unknown.count) \(verb) [UNK] (not in the vocabulary of \(modelID)), marked [UNK]: \(shown)\(more)")
    }
}
