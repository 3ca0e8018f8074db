// Behaviour of the pipeline pieces on the hand-made tokenizer (values confirmed with Rust).

import XCTest
import HeedTokenizers

final class TinyTokenizerTests: XCTestCase {
    var tokenizer: Tokenizer!

    override func setUpWithError() throws {
        tokenizer = try TinyTokenizer.make()
    }

    func testGreedyLongestMatchFirst() {
        XCTAssertEqual(tokenizer.summary("Unaffable playing"), [
            TokenSummary(3, "un", 0, 0, 2), TokenSummary(4, "##aff", 0, 2, 5), TokenSummary(5, "##able", 0, 5, 9),
            TokenSummary(6, "play", 1, 10, 14), TokenSummary(7, "##ing", 1, 14, 17),
        ])
    }

    func testWordWithAnUnmatchedPieceIsOneUnknown() {
        XCTAssertEqual(tokenizer.summary("unaffx"), [TokenSummary(0, "[UNK]", 0, 0, 6)])
    }

    func testMaxInputCharsPerWord() {
        // 11 characters: over the limit of 10, the whole word is unknown.
        XCTAssertEqual(tokenizer.summary(String(repeating: "a", count: 11)), [TokenSummary(0, "[UNK]", 0, 0, 11)])
        // 10 characters: at the limit, tokenized normally.
        let ten = tokenizer.summary(String(repeating: "a", count: 10))
        XCTAssertEqual(ten.count, 10)
        XCTAssertEqual(ten.first, TokenSummary(12, "a", 0, 0, 1))
        XCTAssertEqual(ten.last, TokenSummary(13, "##a", 0, 9, 10))
    }

    func testBertProcessingAddsClsAndSep() {
        let tokens = tokenizer.encode("hello").tokens
        XCTAssertEqual(tokens.map(\.id), [1, 8, 2])
        XCTAssertEqual(tokens.map(\.text), ["[CLS]", "hello", "[SEP]"])
        XCTAssertEqual(tokens.map(\.special), [true, false, true])
        XCTAssertEqual(tokens.map(\.word), [nil, 0, nil])
        XCTAssertEqual(tokens.map(\.typeID), [0, 0, 0])
        XCTAssertEqual(tokens[0].span, .empty)
        XCTAssertEqual(tokens[2].span, .empty)
        XCTAssertEqual(tokenizer.encode("hello", addSpecialTokens: false).ids, [8])
    }

    func testEmptyTextHasOnlySpecialTokens() {
        XCTAssertEqual(tokenizer.encode("").ids, [1, 2])
        XCTAssertEqual(tokenizer.encode("", addSpecialTokens: false).tokens, [])
        XCTAssertEqual(tokenizer.encode(" \u{200B}\t", addSpecialTokens: false).tokens, [])
    }

    func testTruncationBlockIsIgnored() {
        // The file says max_length 4; Heed never truncates.
        XCTAssertEqual(tokenizer.encode(String(repeating: "a", count: 10)).tokens.count, 12)
    }

    func testLeftStripTokenAbsorbsPrecedingSpaces() {
        XCTAssertEqual(tokenizer.summary("hello <mask> cafés"), [
            TokenSummary(8, "hello", 0, 0, 5), TokenSummary(15, " <mask>", 1, 5, 12),
            TokenSummary(10, "cafe", 2, 13, 17), TokenSummary(9, "##s", 2, 17, 18),
        ])
        XCTAssertEqual(tokenizer.summary("  <mask>"), [TokenSummary(15, "  <mask>", 0, 0, 8)])
        XCTAssertEqual(tokenizer.summary("<mask><mask>"), [
            TokenSummary(15, "<mask>", 0, 0, 6), TokenSummary(15, "<mask>", 1, 6, 12),
        ])
        XCTAssertTrue(tokenizer.encode("<mask>").tokens[1].special)
    }

    func testRightStripTokenAbsorbsFollowingSpaces() {
        XCTAssertEqual(tokenizer.summary("<eos>  hello"), [
            TokenSummary(16, "<eos>  ", 0, 0, 7), TokenSummary(8, "hello", 1, 7, 12),
        ])
        XCTAssertFalse(tokenizer.encode("<eos>").tokens[1].special, "<eos> is not special")
    }

    func testSingleWordNormalizedToken() {
        // "New" is normalized (matched as "new" after lowercasing) and must stand alone.
        XCTAssertEqual(tokenizer.summary("New"), [TokenSummary(17, "new", 0, 0, 3)])
        XCTAssertEqual(tokenizer.summary("New!"), [TokenSummary(17, "new", 0, 0, 3), TokenSummary(14, "!", 1, 3, 4)])
        XCTAssertEqual(tokenizer.summary("renew"), [TokenSummary(0, "[UNK]", 0, 0, 5)])
    }

    func testSpecialTokenWrittenInTextIsAWordOfItsOwn() {
        XCTAssertEqual(tokenizer.summary("a[SEP]b"), [
            TokenSummary(12, "a", 0, 0, 1), TokenSummary(2, "[SEP]", 1, 1, 6), TokenSummary(0, "[UNK]", 2, 6, 7),
        ])
        XCTAssertTrue(tokenizer.encode("a[SEP]b", addSpecialTokens: false).tokens[1].special)
    }

    func testOffsetsSurviveCleaningAccentsAndChinesePadding() {
        // The combining acute is stripped (in no token's span), NUL and ZWSP are removed,
        // 北 is padded with spaces but keeps its own span.
        XCTAssertEqual(tokenizer.summary("Hello\u{301} \u{2615} 北."), [
            TokenSummary(8, "hello", 0, 0, 5), TokenSummary(0, "[UNK]", 1, 7, 8),
            TokenSummary(0, "[UNK]", 2, 9, 10), TokenSummary(11, ".", 3, 10, 11),
        ])
        XCTAssertEqual(tokenizer.summary("\u{E9}\u{0}a\u{200B}!"), [
            TokenSummary(0, "[UNK]", 0, 0, 3), TokenSummary(14, "!", 1, 4, 5),
        ])
    }

    func testAddedTokenIdsFollowTheRustRules() {
        // Ids in the file are ignored: contents already in the vocabulary keep their id,
        // new ones get the next ids after the model's 15 entries, in file order.
        XCTAssertEqual(tokenizer.id(forToken: "[SEP]"), 2)
        XCTAssertEqual(tokenizer.id(forToken: "<mask>"), 15)
        XCTAssertEqual(tokenizer.id(forToken: "<eos>"), 16)
        XCTAssertEqual(tokenizer.id(forToken: "New"), 17)
        XCTAssertEqual(tokenizer.id(forToken: "##able"), 5)
        XCTAssertNil(tokenizer.id(forToken: "able"))
        XCTAssertEqual(tokenizer.token(forID: 16), "<eos>")
        XCTAssertEqual(tokenizer.token(forID: 17), "new", "normalized added tokens report their normalized form")
        XCTAssertEqual(tokenizer.token(forID: 7), "##ing")
        XCTAssertNil(tokenizer.token(forID: 99))
        XCTAssertEqual(tokenizer.vocabSize, 18)
        XCTAssertEqual(tokenizer.specialTokenIDs, [0, 1, 2, 15])
    }
}
