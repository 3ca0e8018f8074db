// RoBERTa's post-processor (tokenizers/src/processors/roberta.rs) and the `Sequence`
// post-processor (processors/sequence.rs).

/// `<s> A </s>`: trims byte-level offsets first (when `trim_offsets`), sets every type id to 0.
struct RobertaProcessing: PostProcessor {
    let cls: SpecialTokenSpec
    let sep: SpecialTokenSpec
    let trimOffsets: Bool
    let addPrefixSpace: Bool

    /// Reads `sep` and `cls` as `[token, id]` (defaults `["</s>", 2]` and `["<s>", 0]`),
    /// `trim_offsets` and `add_prefix_space` (default true).
    init(_ fields: JSONFields) throws {
        func pair(_ key: String, _ defaultValue: (String, Int)) throws -> SpecialTokenSpec {
            guard fields.has(key) else { return SpecialTokenSpec(id: defaultValue.1, text: defaultValue.0, typeID: 0) }
            return try SpecialTokenSpec(pair: fields, key)
        }
        sep = try pair("sep", ("</s>", 2))
        cls = try pair("cls", ("<s>", 0))
        trimOffsets = try fields.bool("trim_offsets", default: true)
        addPrefixSpace = try fields.bool("add_prefix_space", default: true)
    }

    var specialTokenIDs: [Int] { [cls.id, sep.id] }

    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool, offsets: OffsetConverter?) -> [EncodedToken] {
        var tokens = tokens
        if trimOffsets, let offsets {
            trimByteLevelOffsets(&tokens, addPrefixSpace: addPrefixSpace, offsets: offsets)
        }
        for i in tokens.indices { tokens[i].typeID = 0 }
        guard addSpecialTokens else { return tokens }
        return [cls.encoded] + tokens + [sep.encoded]
    }
}

/// Runs its processors in order (each one's output is the next one's input).
struct SequencePostProcessor: PostProcessor {
    let processors: [any PostProcessor]

    var specialTokenIDs: [Int] { processors.flatMap(\.specialTokenIDs) }

    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool, offsets: OffsetConverter?) -> [EncodedToken] {
        processors.reduce(tokens) { $1.process($0, addSpecialTokens: addSpecialTokens, offsets: offsets) }
    }
}
