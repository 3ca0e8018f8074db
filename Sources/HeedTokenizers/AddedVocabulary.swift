// Added tokens (tokenizers/src/tokenizer/added_vocabulary.rs): literal strings found in the text
// before the model runs. Non-normalized tokens are matched in the raw input; normalized ones in
// each piece after normalization. Matching is leftmost-longest, non-overlapping.

/// One entry of tokenizer.json's `added_tokens`.
struct AddedToken {
    var content: String
    var singleWord: Bool
    var leftStrip: Bool
    var rightStrip: Bool
    var normalized: Bool
    var special: Bool

    init(_ json: JSONValue, path: String) throws {
        let fields = try JSONFields(json, path: path)
        content = try fields.string("content")
        special = try fields.bool("special", default: false)
        singleWord = try fields.bool("single_word", default: false)
        leftStrip = try fields.bool("lstrip", default: false)
        rightStrip = try fields.bool("rstrip", default: false)
        normalized = try fields.bool("normalized", default: !special)
    }

    init(content: String, special: Bool) {
        self.content = content
        self.special = special
        singleWord = false
        leftStrip = false
        rightStrip = false
        normalized = !special
    }
}

/// The added vocabulary with its two matchers.
struct AddedVocabulary {
    /// content (UTF-8 bytes, compared exactly) -> id
    private(set) var idByContent: [[UInt8]: Int] = [:]
    private(set) var tokenByID: [Int: AddedToken] = [:]
    /// Normalized form of `normalized` tokens whose form differs from their content.
    private(set) var normalizedForms: [Int: String] = [:]
    private var rawMatcher: ScalarTrie?
    private var normalizedMatcher: ScalarTrie?

    init() {}

    /// Adds tokens the way Rust's `AddedVocabulary::add_tokens` does when a tokenizer.json is
    /// loaded: an id comes from an earlier added token with the same content, else from the
    /// model's vocabulary, else the next free id after the model's vocabulary (the ids written
    /// in the file are not used).
    init(tokens: [AddedToken], model: any TokenizerModel, normalizer: (any Normalizer)?) {
        var nextID = model.vocabularySize
        for token in tokens where !token.content.isEmpty {
            let key = Array(token.content.utf8)
            let id: Int
            if let existing = idByContent[key] {
                id = existing
            } else if let existing = model.id(forToken: token.content) {
                id = existing
            } else {
                id = nextID
                nextID += 1
            }
            normalizedForms[id] = nil
            if token.normalized, let normalizer {
                var text = NormalizedText(original: token.content.unicodeScalars, originalStart: 0)
                normalizer.normalize(&text)
                let form = text.string
                if !form.unicodeScalars.elementsEqual(token.content.unicodeScalars) { normalizedForms[id] = form }
            }
            idByContent[key] = id
            tokenByID[id] = token
        }
        var raw = ScalarTrie()
        var normalized = ScalarTrie()
        for id in tokenByID.keys.sorted() {
            let token = tokenByID[id]!
            if token.normalized {
                normalized.insert((normalizedForms[id] ?? token.content).unicodeScalars, value: id)
            } else {
                raw.insert(token.content.unicodeScalars, value: id)
            }
        }
        rawMatcher = raw.keyCount > 0 ? raw : nil
        normalizedMatcher = normalized.keyCount > 0 ? normalized : nil
    }

    var isEmpty: Bool { tokenByID.isEmpty }

    var specialIDs: [Int] { tokenByID.filter { $0.value.special }.map(\.key) }

    func id(forToken token: String) -> Int? { idByContent[Array(token.utf8)] }

    /// The token's text by id (its normalized form when it has one, as Rust reports it).
    func token(forID id: Int) -> String? {
        guard let token = tokenByID[id] else { return nil }
        return normalizedForms[id] ?? token.content
    }

    /// Splits `piece` around the added tokens found in it: first pass (`normalized: false`) on
    /// raw text, second pass on normalized text. Tokens become splits with their token set.
    func split(_ piece: NormalizedText, normalizedPass: Bool) -> [Split] {
        guard let matcher = normalizedPass ? normalizedMatcher : rawMatcher else {
            return [Split(text: piece.slice(0..<piece.count), tokens: nil)]
        }
        return findMatches(in: piece.scalars, matcher: matcher).map { match in
            let text = piece.slice(match.range)
            guard let id = match.id else { return Split(text: text, tokens: nil) }
            let token = ModelToken(
                id: id, value: text.string, range: 0..<text.count, special: tokenByID[id]?.special ?? false)
            return Split(text: text, tokens: [token])
        }
    }

    /// Rust `AddedVocabulary::find_matches`: the pieces of `scalars`, each either an added token
    /// (with its id, widened by lstrip/rstrip) or the text between tokens.
    private func findMatches(in scalars: [Unicode.Scalar], matcher: ScalarTrie) -> [(id: Int?, range: Range<Int>)] {
        let count = scalars.count
        if count == 0 { return [(nil, 0..<0)] }
        let properties = UnicodeProperties.shared
        var pieces: [(id: Int?, range: Range<Int>)] = []
        var startOffset = 0
        var position = 0
        while position < count {
            // Leftmost match, longest at that position.
            var found: (start: Int, end: Int, id: Int)?
            var s = position
            while s < count {
                if let match = matcher.longestMatch(scalars, from: s, to: count) {
                    found = (s, s + match.length, match.value)
                    break
                }
                s += 1
            }
            guard let match = found else { break }
            position = match.end  // the search resumes after the raw match, whatever happens next
            guard let token = tokenByID[match.id] else { continue }
            var start = match.start
            var stop = match.end
            if token.singleWord {
                let spaceBefore = start == 0 || !properties.isWord(scalars[start - 1])
                let spaceAfter = stop == count || !properties.isWord(scalars[stop])
                if !spaceBefore || !spaceAfter { continue }
            }
            if token.leftStrip {
                var newStart = start
                while newStart > 0 && properties.isWhitespace(scalars[newStart - 1]) { newStart -= 1 }
                start = max(newStart, startOffset)
            }
            if token.rightStrip {
                while stop < count && properties.isWhitespace(scalars[stop]) { stop += 1 }
            }
            if startOffset < start { pieces.append((nil, startOffset..<start)) }
            pieces.append((match.id, start..<stop))
            startOffset = stop
        }
        if startOffset != count { pieces.append((nil, startOffset..<count)) }
        return pieces
    }
}
