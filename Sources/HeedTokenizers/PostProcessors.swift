// Post-processors (tokenizers/src/processors): add the model's special tokens around a single
// sequence and set type ids. Pairs of sequences are not supported (Heed encodes one text).

/// A post-processing stage of the pipeline.
protocol PostProcessor {
    /// `tokens` arrive with type id 0 (Rust's default `process` sets it for sequence 0).
    /// `offsets` converts scalar offsets of the encoded text into spans, for processors that
    /// trim offsets; nil when `tokens` were already processed and only the special tokens are
    /// to be added (`Tokenizer.addingSpecialTokens`).
    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool, offsets: OffsetConverter?) -> [EncodedToken]
    /// Ids of the special tokens this processor may add.
    var specialTokenIDs: [Int] { get }
}

/// Reads the `post_processor` block of tokenizer.json.
func makePostProcessor(_ json: JSONValue, path: String) throws -> any PostProcessor {
    let fields = try JSONFields(json, path: path)
    let type = try fields.string("type")
    switch type {
    case "TemplateProcessing":
        return try TemplateProcessing(fields)
    case "BertProcessing":
        return try BertProcessing(fields)
    case "ByteLevel":
        return try ByteLevelPostProcessor(fields)
    case "RobertaProcessing":
        return try RobertaProcessing(fields)
    case "Sequence":
        return SequencePostProcessor(processors: try fields.array("processors").enumerated().map {
            try makePostProcessor($0.element, path: "\(path).processors[\($0.offset)]")
        })
    default:
        throw TokenizerError.unsupported("post_processor", type: type)
    }
}

/// A special token of a post-processor, ready to insert.
struct SpecialTokenSpec {
    var id: Int
    var text: String
    var typeID: Int

    var encoded: EncodedToken {
        EncodedToken(id: id, text: text, special: true, word: nil, span: .empty, typeID: typeID)
    }
}

extension SpecialTokenSpec {
    /// Reads `fields[key]` as `[token, id]` (BertProcessing's and RobertaProcessing's `cls`/`sep`).
    init(pair fields: JSONFields, _ key: String) throws {
        let path = "\(fields.path).\(key)"
        let elements = try fields.array(key)
        guard elements.count == 2 else { throw TokenizerError.invalid("\(path) must be [token, id]") }
        self.init(id: try JSONFields.integer(elements[1], path: "\(path)[1]"),
                  text: try JSONFields.string(elements[0], path: "\(path)[0]"), typeID: 0)
    }
}

/// `[CLS] A [SEP]`-style templates with type ids (only the `single` template is used).
struct TemplateProcessing: PostProcessor {
    enum Piece {
        case sequence(typeID: Int)
        case special([SpecialTokenSpec])
    }

    let single: [Piece]
    let specialTokenIDs: [Int]

    init(_ fields: JSONFields) throws {
        // special_tokens: { name: { "id": name, "ids": [..], "tokens": [..] } }
        var table: [String: (ids: [Int], tokens: [String])] = [:]
        var allIDs: [Int] = []
        if fields.has("special_tokens") {
            for member in try fields.object("special_tokens") {
                let path = "\(fields.path).special_tokens[\"\(member.key)\"]"
                let entry = try JSONFields(member.value, path: path)
                let ids = try entry.array("ids").map { try JSONFields.integer($0, path: "\(path).ids") }
                let tokens = try entry.array("tokens").map { try JSONFields.string($0, path: "\(path).tokens") }
                guard ids.count == tokens.count else {
                    throw TokenizerError.invalid("\(path) has \(ids.count) ids but \(tokens.count) tokens")
                }
                table[member.key] = (ids, tokens)
                allIDs.append(contentsOf: ids)
            }
        }
        specialTokenIDs = allIDs
        single = try fields.array("single").enumerated().map { index, element in
            let path = "\(fields.path).single[\(index)]"
            let piece = try JSONFields(element, path: path)
            if piece.has("Sequence") {
                let body = try JSONFields(piece.raw("Sequence")!, path: "\(path).Sequence")
                let sequence = try body.optionalString("id") ?? "A"
                guard sequence == "A" else {
                    throw TokenizerError.invalid("\(path) refers to sequence \(sequence) in a single template")
                }
                return .sequence(typeID: try body.int("type_id", default: 0))
            }
            if piece.has("SpecialToken") {
                let body = try JSONFields(piece.raw("SpecialToken")!, path: "\(path).SpecialToken")
                let name = try body.string("id")
                let typeID = try body.int("type_id", default: 0)
                guard let entry = table[name] else {
                    throw TokenizerError.invalid("\(path) uses special token \"\(name)\" missing from special_tokens")
                }
                return .special(zip(entry.ids, entry.tokens).map {
                    SpecialTokenSpec(id: $0.0, text: $0.1, typeID: typeID)
                })
            }
            throw TokenizerError.invalid("\(path) must be a Sequence or a SpecialToken piece")
        }
    }

    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool, offsets: OffsetConverter?) -> [EncodedToken] {
        var result: [EncodedToken] = []
        result.reserveCapacity(tokens.count + 4)
        for piece in single {
            switch piece {
            case .sequence(let typeID):
                for var token in tokens {
                    token.typeID = typeID
                    result.append(token)
                }
            case .special(let specs):
                if addSpecialTokens { result.append(contentsOf: specs.map(\.encoded)) }
            }
        }
        return result
    }
}

/// `[CLS] A [SEP]` with the ids given as `"cls": ["[CLS]", 101]`, `"sep": ["[SEP]", 102]`.
struct BertProcessing: PostProcessor {
    let cls: SpecialTokenSpec
    let sep: SpecialTokenSpec

    init(_ fields: JSONFields) throws {
        cls = try SpecialTokenSpec(pair: fields, "cls")
        sep = try SpecialTokenSpec(pair: fields, "sep")
    }

    var specialTokenIDs: [Int] { [cls.id, sep.id] }

    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool, offsets: OffsetConverter?) -> [EncodedToken] {
        guard addSpecialTokens else { return tokens }
        return [cls.encoded] + tokens + [sep.encoded]
    }
}
