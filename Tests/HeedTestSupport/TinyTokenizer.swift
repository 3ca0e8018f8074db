/// tokenizer.json text for the tiny test models: BERT's pipeline (BertNormalizer lowercasing,
/// BertPreTokenizer, [CLS] A [SEP] template, WordPiece with `##`) over a vocabulary of the test's
/// choosing, so each suite picks the words its texts need.
public enum TinyTokenizer {
    /// The special tokens, ids 0 to 4; every vocabulary given to `json` starts with them.
    public static let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    /// The tokenizer.json of `vocabulary` (token -> its index). `vocabulary` must start with
    /// `specials` and hold no duplicates. `leadingOnly`: the post-processor inserts only the
    /// leading [CLS] (as a decoder's tokenizer inserts only BOS), no trailing [SEP].
    public static func json(vocabulary: [String], leadingOnly: Bool = false) -> String {
        precondition(Array(vocabulary.prefix(specials.count)) == specials && Set(vocabulary).count == vocabulary.count)
        func special(_ id: Int, _ content: String) -> String {
            #"{"id":\#(id),"content":"\#(content)","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}"#
        }
        let added = specials.enumerated().map { special($0.offset, $0.element) }.joined(separator: ",")
        let vocab = vocabulary.enumerated().map { "\"\($0.element.replacingOccurrences(of: "\"", with: "\\\""))\":\($0.offset)" }.joined(separator: ",")
        return """
        {"version":"1.0","truncation":null,"padding":null,"added_tokens":[\(added)],
         "normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true},
         "pre_tokenizer":{"type":"BertPreTokenizer"},
         "post_processor":{"type":"TemplateProcessing",
           "single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}}\(leadingOnly ? "" : #",{"SpecialToken":{"id":"[SEP]","type_id":0}}"#)],
           "pair":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"[SEP]","type_id":0}},
                   {"Sequence":{"id":"B","type_id":1}},{"SpecialToken":{"id":"[SEP]","type_id":1}}],
           "special_tokens":{"[CLS]":{"id":"[CLS]","ids":[2],"tokens":["[CLS]"]},"[SEP]":{"id":"[SEP]","ids":[3],"tokens":["[SEP]"]}}},
         "decoder":{"type":"WordPiece","prefix":"##","cleanup":true},
         "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
                  "vocab":{\(vocab)}}}
        """
    }
}
