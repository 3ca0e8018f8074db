// UTF-16 and UTF-8 spans derived from scalar offsets.

import XCTest
import HeedTokenizers

final class TextSpanTests: XCTestCase {
    func testSpansCountScalarsUTF16AndUTF8() throws {
        let tokenizer = try TinyTokenizer.make()
        // 😀 is 1 scalar, 2 UTF-16 units, 4 bytes; é 1 scalar, 1 unit, 2 bytes; 北 1, 1, 3.
        let tokens = tokenizer.encode("😀 cafés 北", addSpecialTokens: false).tokens
        XCTAssertEqual(tokens.map(\.span), [
            TextSpan(scalars: 0..<1, utf16: 0..<2, utf8: 0..<4),
            TextSpan(scalars: 2..<6, utf16: 3..<7, utf8: 5..<10),
            TextSpan(scalars: 6..<7, utf16: 7..<8, utf8: 10..<11),
            TextSpan(scalars: 8..<9, utf16: 9..<10, utf8: 12..<15),
        ])
    }

    func testStrippedCombiningMarkBelongsToNoToken() throws {
        let tokenizer = try TinyTokenizer.make()
        let tokens = tokenizer.encode("😀 cafe\u{301}s 北", addSpecialTokens: false).tokens
        XCTAssertEqual(tokens.map(\.text), ["[UNK]", "cafe", "##s", "[UNK]"])
        XCTAssertEqual(tokens.map(\.span), [
            TextSpan(scalars: 0..<1, utf16: 0..<2, utf8: 0..<4),
            TextSpan(scalars: 2..<6, utf16: 3..<7, utf8: 5..<9),
            TextSpan(scalars: 7..<8, utf16: 8..<9, utf8: 11..<12),
            TextSpan(scalars: 9..<10, utf16: 10..<11, utf8: 13..<16),
        ])
    }

    func testSpecialTokensFromTheTemplateHaveTheEmptySpan() throws {
        let tokenizer = try Tokenizer(url: TokenizerFixtures.url("minilm-tokenizer.json"))
        let tokens = tokenizer.encode("👨‍👩‍👧 family").tokens
        XCTAssertEqual(tokens.first?.text, "[CLS]")
        XCTAssertEqual(tokens.first?.span, .empty)
        XCTAssertEqual(tokens.last?.text, "[SEP]")
        XCTAssertEqual(tokens.last?.span, .empty)
        // "family" starts after 5 scalars (man ZWJ woman ZWJ girl) and a space.
        let family = try XCTUnwrap(tokens.first { $0.text == "family" })
        XCTAssertEqual(family.span, TextSpan(scalars: 6..<12, utf16: 9..<15, utf8: 19..<25))
    }
}
