import Foundation

// Ids back to text: `decode` (Rust `Tokenizer::decode`, tokenizer/mod.rs, as transformers'
// `tokenizer.decode` calls it) and the per-token display text shown beside the vocabulary string.

extension Tokenizer {
    /// The text of `ids` as transformers' `tokenizer.decode(ids)` gives it (Rust
    /// `Tokenizer::decode`; `clean_up_tokenization_spaces` off): each id's token string (an added
    /// token's content, else the vocabulary's; unknown ids are skipped), without special added
    /// tokens when `skipSpecialTokens`, through the decoder; without a decoder, the token strings
    /// joined with spaces.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = rawToken(forID: id) else { continue }
            if skipSpecialTokens && specialAddedContents.contains(Array(token.utf8)) { continue }
            tokens.append(token)
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }

    /// The token as a person reads it: the text the decoder makes of it in the middle of a
    /// sequence ("Ġcat" -> " cat", "▁cat" -> " cat", "##ing" -> "ing", "<0x41>" -> "A"); a
    /// byte-level token holding part of a UTF-8 character gives its bytes decoded lossily
    /// (U+FFFD). Special tokens (special added tokens and the post-processor's) are returned
    /// unchanged, and so is every token when the tokenizer has no decoder. "" for an unknown id.
    ///
    /// "In the middle of a sequence" is computed, not assumed per decoder: the decoder runs on
    /// `[c, token, c]` with a plain context token `c` = "a", and the text `[c]` and `[c, c]`
    /// contribute is cut off both ends. So position rules (Metaspace drops the first token's
    /// leading "▁", WordPiece gives a non-prefixed token a leading space, a final `Strip` or the
    /// BPE decoder's last-token rule) act as they do mid-text.
    public func display(forID id: Int) -> String {
        if let known = displayMemo[id] { return known }
        let text = computeDisplay(forID: id)
        displayMemo[id] = text
        return text
    }

    private func computeDisplay(forID id: Int) -> String {
        guard let token = rawToken(forID: id) else { return "" }
        guard let decoder, !specialTokenIDs.contains(id) else { return token }
        let context = "a"
        let whole = Array(decoder.decodeChain([context, token, context]).joined().unicodeScalars)
        let head = Array(decoder.decodeChain([context]).joined().unicodeScalars)
        let pair = Array(decoder.decodeChain([context, context]).joined().unicodeScalars)
        if pair.starts(with: head) {
            let tail = pair[head.count...]
            if whole.count >= head.count + tail.count, whole.starts(with: head), whole.reversed().starts(with: tail.reversed()) {
                return String(String.UnicodeScalarView(whole[head.count..<(whole.count - tail.count)]))
            }
        }
        return decoder.decodeChain([token]).joined()
    }

    /// Rust `simple_id_to_token` then `Model::id_to_token`: the added token's content, else the
    /// vocabulary string.
    func rawToken(forID id: Int) -> String? {
        addedVocabulary.tokenByID[id]?.content ?? model.token(forID: id)
    }
}

/// Display texts by token id, shared by every thread using one tokenizer (ids are bounded by
/// the vocabulary, so it is bounded too).
final class DisplayMemo: @unchecked Sendable {
    private var texts: [Int: String] = [:]
    private let lock = NSLock()

    subscript(id: Int) -> String? {
        get { lock.lock(); defer { lock.unlock() }; return texts[id] }
        set { lock.lock(); defer { lock.unlock() }; texts[id] = newValue }
    }
}
