// A hand-made tokenizer.json exercising BertProcessing, added tokens with lstrip / rstrip /
// single_word / normalized flags, max_input_chars_per_word and an ignored truncation block.
// The expected values in the tests were confirmed with the Rust library (tokenizers 0.23.3).

import Foundation
import HeedTokenizers

enum TinyTokenizer {
    static let json = #"""
    {
      "version": "1.0",
      "truncation": {"direction": "Right", "max_length": 4, "strategy": "LongestFirst", "stride": 0},
      "padding": null,
      "added_tokens": [
        {"id": 0, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
        {"id": 1, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
        {"id": 2, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
        {"id": 50, "content": "<mask>", "single_word": false, "lstrip": true, "rstrip": false, "normalized": false, "special": true},
        {"id": 51, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": true, "normalized": false, "special": false},
        {"id": 52, "content": "New", "single_word": true, "lstrip": false, "rstrip": false, "normalized": true, "special": false}
      ],
      "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
      "pre_tokenizer": {"type": "BertPreTokenizer"},
      "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]},
      "decoder": null,
      "model": {
        "type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 10,
        "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "un": 3, "##aff": 4, "##able": 5, "play": 6, "##ing": 7,
                  "hello": 8, "##s": 9, "cafe": 10, ".": 11, "a": 12, "##a": 13, "!": 14}
      }
    }
    """#

    static func make() throws -> Tokenizer { try Tokenizer(json: Data(json.utf8)) }

    /// The tiny file with one JSON fragment replaced (for error tests).
    static func replacing(_ fragment: String, with replacement: String) -> Data {
        precondition(json.contains(fragment), "fragment not in the tiny tokenizer: \(fragment)")
        return Data(json.replacingOccurrences(of: fragment, with: replacement).utf8)
    }
}

/// (id, text, word, scalar span) of the tokens, for compact assertions.
struct TokenSummary: Equatable, CustomStringConvertible {
    var id: Int
    var text: String
    var word: Int?
    var start: Int
    var end: Int

    init(_ id: Int, _ text: String, _ word: Int?, _ start: Int, _ end: Int) {
        (self.id, self.text, self.word, self.start, self.end) = (id, text, word, start, end)
    }

    init(_ token: EncodedToken) {
        self.init(token.id, token.text, token.word, token.span.scalars.lowerBound, token.span.scalars.upperBound)
    }

    var description: String { "(\(id) \"\(text)\" w=\(word.map(String.init) ?? "nil") \(start)..<\(end))" }
}

extension Tokenizer {
    /// The tokens of `text` without the post-processor's special tokens, summarized.
    func summary(_ text: String) -> [TokenSummary] {
        encode(text, addSpecialTokens: false).tokens.map(TokenSummary.init)
    }
}
