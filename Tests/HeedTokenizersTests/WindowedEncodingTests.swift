import Foundation
import XCTest
@testable import HeedTokenizers

/// Issue 15: a region of a text cut before a space or a line feed encodes to exactly the tokens
/// the whole text has there (ids, strings, special flags, spans in three units, word grouping),
/// on random texts with special tokens typed in, accents, combining marks, CJK, emoji, control
/// and format characters, and random cut points.
final class WindowedEncodingTests: XCTestCase {
    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(url: TokenizerFixtures.url("\(name)-tokenizer.json"))
    }

    static let fragments: [String] = [
        "the", "cat", "Sat", "ON", "mat", "Héllo", "naïve", "e\u{301}", "Zoë", "café", "CAFÉ", "東京", "日本語", "😀", "🚀x", "👩‍👩‍👧",
        "[MASK]", "[CLS]", "[SEP]", "[mask]", "[UNK]", "[PAD]x", "x[MASK]", "ﬁne", "Σίσυφος", "İstanbul", "straße", "don't", "C++",
        "Hello World", "<ent>", "--", "’s", ".", ",", "!?", "(", ")", "\u{200b}", "\u{0}", "\u{7}", "\u{a0}", "\u{3000}", "\u{301}",
        "unaffable", "tokenization", "1234567", "a-b", "x\u{fe0f}",
    ]
    static let separators: [String] = [" ", " ", " ", "\n", "", "  ", "\t", " \n ", "\r\n", "\u{a0}"]

    static func randomText(_ rng: inout Mix64, words: Int) -> String {
        var s = ""
        for _ in 0..<words {
            s += fragments[Int(rng.next() % UInt64(fragments.count))]
            s += separators[Int(rng.next() % UInt64(separators.count))]
        }
        return s
    }

    /// The cut at or before `k` and the one at or after it.
    static func cuts(_ bytes: [UInt8], _ tokenizer: Tokenizer, around k: Int) -> (Int, Int) {
        var lo = min(k, bytes.count), hi = lo
        while lo > 0 && (lo == bytes.count || !tokenizer.isCut(bytes[lo])) { lo -= 1 }
        while hi < bytes.count && !tokenizer.isCut(bytes[hi]) { hi += 1 }
        return (lo, hi)
    }

    struct Row: Equatable, CustomStringConvertible {
        let id: Int, text: String, special: Bool, span: TextSpan, wordStep: Int
        var description: String { "\(id) \(visible(text)) \(special) \(span.scalars) \(span.utf16) \(span.utf8) \(wordStep)" }
    }

    /// Tokens as rows; `wordStep` is the word relative to the previous token's (0 same word,
    /// 1 next word), so that grouping compares without absolute word numbers.
    static func rows(_ tokens: [EncodedToken]) -> [Row] {
        var previous: Int? = nil
        return tokens.map { t in
            defer { previous = t.word ?? previous }
            let step = t.word.map { w in previous.map { w - $0 } ?? 0 } ?? -1
            return Row(id: t.id, text: t.text, special: t.special, span: t.span, wordStep: step)
        }
    }

    func testCutScalarsFollowThePipeline() throws {
        XCTAssertEqual(try Self.tokenizer("minilm").cutScalars, [" ", "\n"])
        XCTAssertEqual(try Self.tokenizer("cased").cutScalars, [" ", "\n"])
        // Strip normalizer: not accepted.
        XCTAssertNil(try Self.tokenizer("composed").cutScalars)
        // lstrip/rstrip and an added token with a space ("Hello World"): not accepted.
        XCTAssertNil(try Self.tokenizer("mixed").cutScalars)
    }

    func testRegionsEncodeLikeTheWholeText() throws {
        var rng = Mix64(seed: 15)
        var checked = 0
        for name in ["minilm", "cased"] {
            let tokenizer = try Self.tokenizer(name)
            for round in 0..<150 {
                let text = Self.randomText(&rng, words: 5 + round % 60)
                let bytes = Array(text.utf8)
                let full = tokenizer.encode(text, addSpecialTokens: false).tokens
                for _ in 0..<6 {
                    let a = Int(rng.next() % UInt64(bytes.count + 1)), b = Int(rng.next() % UInt64(bytes.count + 1))
                    let lo = Self.cuts(bytes, tokenizer, around: min(a, b)).0, hi = Self.cuts(bytes, tokenizer, around: max(a, b)).1
                    let start = Tokenizer.position(in: text, utf8Offset: lo)
                    XCTAssertEqual(start.scalars, String(decoding: bytes[..<lo], as: UTF8.self).unicodeScalars.count)
                    XCTAssertEqual(start.utf16, String(decoding: bytes[..<lo], as: UTF8.self).utf16.count)
                    let region = tokenizer.encodeRegion(of: text, utf8Range: lo..<hi, start: start)
                    let expected = full.filter { $0.span.utf8.lowerBound >= lo && $0.span.utf8.upperBound <= hi && !($0.span.utf8.isEmpty && $0.span.utf8.lowerBound == hi && hi < bytes.count) }
                    let got = Self.rows(region), want = Self.rows(expected)
                    if got != want {
                        XCTFail("\(name): region \(lo)..<\(hi) of \(visible(text))\n got \(got)\nwant \(want)")
                        return
                    }
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 2 * 150 * 6)
    }

    func testEncodingInRegionsIsTheWholeEncoding() throws {
        var rng = Mix64(seed: 1515)
        for name in ["minilm", "cased"] {
            let tokenizer = try Self.tokenizer(name)
            for round in 0..<100 {
                let text = Self.randomText(&rng, words: 1 + round % 80)
                let full = tokenizer.encode(text)
                for chunk in [1, 7, 64] {
                    let r = try XCTUnwrap(try tokenizer.encodeInRegions(text, chunkUTF8Bytes: chunk, keepTokens: .max))
                    XCTAssertEqual(r.tokenCount, full.tokens.count)
                    XCTAssertEqual(Self.rows(try XCTUnwrap(r.encoding).tokens), Self.rows(full.tokens), "\(name) chunk \(chunk): \(visible(text))")
                    // Counting only: the same count, no tokens kept.
                    let counted = try XCTUnwrap(try tokenizer.encodeInRegions(text, chunkUTF8Bytes: chunk, keepTokens: full.tokens.count - 1))
                    XCTAssertNil(counted.encoding)
                    XCTAssertEqual(counted.tokenCount, full.tokens.count)
                }
            }
        }
        XCTAssertNil(try Self.tokenizer("mixed").encodeInRegions("a b", chunkUTF8Bytes: 1, keepTokens: 10))
    }
}

/// SplitMix64 (this target depends on HeedTokenizers only).
struct Mix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Issue 15: cached encodings are compact (34 bytes per token) and expand to the same encoding.
final class CompactEncodingTests: XCTestCase {
    func testCompactEncodingRoundTrips() throws {
        var rng = Mix64(seed: 34)
        for name in ["minilm", "cased", "mixed", "composed"] {
            let tokenizer = try WindowedEncodingTests.tokenizer(name)
            for round in 0..<60 {
                let text = WindowedEncodingTests.randomText(&rng, words: 1 + round)
                let e = tokenizer.encode(text)
                let compact = try XCTUnwrap(CompactEncoding(e, tokenizer: tokenizer))
                XCTAssertEqual(compact.expanded(tokenizer: tokenizer), e, "\(name): \(visible(text))")
                XCTAssertEqual(compact.count, e.tokens.count)
            }
        }
        let tokenizer = try WindowedEncodingTests.tokenizer("minilm")
        let e = tokenizer.encode("the cat sat on the mat")
        XCTAssertEqual(try XCTUnwrap(CompactEncoding(e, tokenizer: tokenizer)).byteCount, 34 * 8 + 128)
    }
}
