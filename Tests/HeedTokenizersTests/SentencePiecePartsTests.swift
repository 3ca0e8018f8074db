// The SentencePiece parts one at a time against the Rust library (sentencepiece_parts_expected.json,
// written by generate_sentencepiece_parts.py): the Precompiled normalizer with alignments, Unigram
// ties / unknowns / byte fallback, serde_json's reading of scores, Metaspace options, Prepend and
// Replace, and the configurations Rust refuses. Hand-built charsmaps test the darts-clone reader
// and its errors (expected values confirmed with tokenizers 0.23.3).

import Foundation
import XCTest
@testable import HeedTokenizers

final class SentencePiecePartsTests: XCTestCase {
    private struct Parts: Decodable {
        struct PrecompiledRow: Decodable {
            var text: String
            var normalized: String
            var offsets: [Int]
        }
        struct Case: Decodable {
            var text: String
            var ids: [Int]
            var tokens: [String]
            var words: [Int?]
            var offsets: [Int]
        }
        struct Pipeline: Decodable {
            var name: String
            var tokenizer: String
            var cases: [Case]
        }
        struct Rejected: Decodable {
            var name: String
            var tokenizer: String
        }
        var precompiled: [PrecompiledRow]
        var pipelines: [Pipeline]
        var serde_floats: [[Double]]
        var rejected: [Rejected]
    }

    private static let parts: Result<Parts, Error> = Result {
        try JSONDecoder().decode(Parts.self, from: Data(contentsOf: TokenizerFixtures.url("sentencepiece_parts_expected.json")))
    }

    /// The nmt_nfkc charsmap of xlmr-tokenizer.json.
    private func xlmrCharsmap() throws -> PrecompiledCharsmap {
        let data = try Data(contentsOf: TokenizerFixtures.url("xlmr-tokenizer.json"))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let normalizer = try XCTUnwrap(root["normalizer"] as? [String: Any])
        let stages = try XCTUnwrap(normalizer["normalizers"] as? [[String: Any]])
        let text = try XCTUnwrap(stages.first { $0["type"] as? String == "Precompiled" }?["precompiled_charsmap"] as? String)
        return try PrecompiledCharsmap(base64: text, path: "normalizer.normalizers[0].precompiled_charsmap")
    }

    /// Normalized scalars and, per scalar, the original range it came from.
    private func normalize(_ text: String, _ normalizer: any Normalizer) -> (String, [Int]) {
        var piece = NormalizedText(original: text.unicodeScalars, originalStart: 0)
        normalizer.normalize(&piece)
        let offsets = (0..<piece.count).flatMap { i -> [Int] in
            let range = piece.originalRange(of: i..<(i + 1))!
            return [range.start, range.end]
        }
        return (piece.string, offsets)
    }

    // MARK: - Precompiled

    /// Normalized text and every scalar's alignment, as Rust's `transformations` give them.
    func testPrecompiledAloneMatchesRust() throws {
        let normalizer = PrecompiledNormalizer(charsmap: try xlmrCharsmap())
        let rows = try Self.parts.get().precompiled
        XCTAssertGreaterThan(rows.count, 400)
        var failures: [String] = []
        for row in rows {
            let (normalized, offsets) = normalize(row.text, normalizer)
            if !sameScalars(normalized, row.normalized) || offsets != row.offsets {
                failures.append("\"\(visible(row.text))\"\n  expected \"\(visible(row.normalized))\" \(row.offsets)\n"
                                + "  actual   \"\(visible(normalized))\" \(offsets)")
            }
        }
        XCTAssert(failures.isEmpty, "\(failures.count) of \(rows.count) differ:\n" + failures.prefix(8).joined(separator: "\n"))
    }

    /// A hand-built darts-clone array with one key "a" -> blob[value...]: root base 256; "a" at
    /// 256 ^ 0x61 = 353, with a leaf; its value unit at 865 ^ 353 = 512.
    private func tinyCharsmap(value: UInt32 = 0, blob: [UInt8] = Array("b\0".utf8), units count: Int = 768,
                              extraTrieBytes: [UInt8] = []) -> [UInt8] {
        var units = [UInt32](repeating: 0, count: count)
        units[0] = 256 << 10
        units[353] = 865 << 10 | 1 << 8 | 0x61
        if count > 512 { units[512] = 0x8000_0000 | value }
        let size = UInt32(count * 4 + extraTrieBytes.count)
        var bytes = withUnsafeBytes(of: size.littleEndian, Array.init)
        for unit in units { bytes += withUnsafeBytes(of: unit.littleEndian, Array.init) }
        return bytes + extraTrieBytes + blob
    }

    private func tinyNormalize(_ text: String, _ bytes: [UInt8]) throws -> String {
        let charsmap = try PrecompiledCharsmap(bytes: bytes, path: "normalizer.precompiled_charsmap")
        return normalize(text, PrecompiledNormalizer(charsmap: charsmap)).0
    }

    func testHandBuiltCharsmap() throws {
        XCTAssertEqual(try tinyNormalize("cab", tinyCharsmap()), "cbb")
        XCTAssertEqual(try tinyNormalize("aa", tinyCharsmap()), "bb")
        // The cluster a + U+0301 starts with the key "a": the whole cluster becomes "b".
        XCTAssertEqual(try tinyNormalize("a\u{301}", tinyCharsmap()), "b")
        // An offset at the very end of the strings is the empty replacement: "a" is removed.
        XCTAssertEqual(try tinyNormalize("cab", tinyCharsmap(value: 2)), "cb")
        // A trie size that is not a multiple of 4: the extra byte belongs to the strings.
        XCTAssertEqual(try tinyNormalize("cab", tinyCharsmap(value: 1, extraTrieBytes: Array("x".utf8))), "cbb")
        // A NUL byte ends the search (the key "a" is not reached through it).
        XCTAssertEqual(try tinyNormalize("\0a", tinyCharsmap()), "\0b")
    }

    func testCorruptCharsmapsThrowNamingTheField() {
        let corrupt: [(String, [UInt8])] = [
            ("offset past the strings", tinyCharsmap(value: 10)),
            ("offset inside a character", tinyCharsmap(value: 1, blob: Array("é\0".utf8))),
            ("strings not UTF-8", tinyCharsmap(blob: [0xFF, 0])),
            ("a node whose children fall outside the trie", tinyCharsmap(units: 600)),
            ("trie cut short", Array(tinyCharsmap().prefix(1000))),
            ("no header", [1, 0]),
            ("empty trie", [0, 0, 0, 0]),
        ]
        for (what, bytes) in corrupt {
            XCTAssertThrowsError(try PrecompiledCharsmap(bytes: bytes, path: "normalizer.precompiled_charsmap"), what) { error in
                XCTAssertEqual((error as? TokenizerError)?.kind, .invalidConfiguration, what)
                XCTAssertTrue("\(error)".contains("normalizer.precompiled_charsmap"), "\(what): \(error)")
            }
        }
    }

    /// The base64 crate 0.13's rules, as confirmed with tokenizers 0.23.3 on the tiny charsmap.
    func testBase64AsRustDecodesIt() throws {
        let raw = tinyCharsmap(blob: Array("bc\0".utf8))  // ends in one byte: "AA==" padding
        let padded = Data(raw).base64EncodedString()
        XCTAssertTrue(padded.hasSuffix("AA=="))
        let body = String(padded.dropLast(4))
        XCTAssertEqual(RustBase64.decode(padded), raw)
        XCTAssertEqual(RustBase64.decode(body + "AA="), raw)
        XCTAssertEqual(RustBase64.decode(body + "AA"), raw)
        XCTAssertNil(RustBase64.decode(body + "AB=="), "non-zero trailing bits")
        XCTAssertNil(RustBase64.decode(body + "A==="))
        XCTAssertNil(RustBase64.decode(body + "AA==="))
        XCTAssertNil(RustBase64.decode(body + "A=A="))
        XCTAssertNil(RustBase64.decode(padded + " "))
        XCTAssertNil(RustBase64.decode(body + "A"))
        XCTAssertEqual(RustBase64.decode(""), [])
        // Two bytes at the end: one "=" and the last symbol's low 2 bits must be zero.
        let raw3 = tinyCharsmap(blob: Array("bcd\0".utf8))
        let padded3 = Data(raw3).base64EncodedString()
        XCTAssertTrue(padded3.hasSuffix("ZAA="))
        XCTAssertEqual(RustBase64.decode(String(padded3.dropLast())), raw3)
        XCTAssertNil(RustBase64.decode(String(padded3.dropLast(4)) + "ZAB="))
        XCTAssertNotNil(RustBase64.decode(String(padded3.dropLast(4)) + "ZAE="))

        let json = #"{"normalizer": {"type": "Precompiled", "precompiled_charsmap": "\#(body)AA"},"#
            + #" "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["c", -1.0], ["b", -1.0]]}}"#
        let tokenizer = try Tokenizer(json: Data(json.utf8))
        // This charsmap maps "a" to "bc" (Rust: "cab" -> "cbcb").
        XCTAssertEqual(tokenizer.encode("cab").tokens.map(\.text), ["c", "b", "c", "b"])
        XCTAssertEqual(tokenizer.encode("cab").tokens.map(\.span.scalars), [0..<1, 1..<2, 1..<2, 2..<3])
    }

    // MARK: - Small pipelines

    /// Unigram ties, unknowns, byte fallback, Metaspace schemes, Prepend, Replace (string and regex).
    func testSmallPipelinesMatchRust() throws {
        let pipelines = try Self.parts.get().pipelines
        XCTAssertGreaterThanOrEqual(pipelines.count, 15)
        for pipeline in pipelines {
            let tokenizer: Tokenizer
            do {
                tokenizer = try Tokenizer(json: Data(pipeline.tokenizer.utf8))
            } catch {
                XCTFail("\(pipeline.name): \(error)")
                continue
            }
            let rows = pipeline.cases.map { row in
                (text: row.text, got: tokenizer.encode(row.text).tokens,
                 want: row.ids.indices.map {
                     ExpectedToken(id: row.ids[$0], text: row.tokens[$0], word: row.words[$0],
                                   span: row.offsets[2 * $0]..<row.offsets[2 * $0 + 1])
                 })
            }
            reportParity(pipeline.name, rows)
        }
    }

    /// Scores are read as serde_json (without `float_roundtrip`) reads them, one ulp off at times.
    func testScoresReadAsSerdeJSONReadsThem() throws {
        let rows = try Self.parts.get().serde_floats
        XCTAssertGreaterThan(rows.count, 100)
        var differing = 0
        for row in rows {
            let (written, read) = (row[0], row[1])
            if written != read { differing += 1 }
            XCTAssertEqual(SerdeFloat.rustValue(of: written)?.bitPattern, read.bitPattern, "\(written)")
        }
        XCTAssertGreaterThan(differing, 50, "the fixture should hold values serde_json reads inexactly")
    }

    /// The tie in unigram_serde_tie is only a tie with serde_json's scores: "ab" wins it.
    func testViterbiTieKeepsTheEarliestStart() throws {
        let json = #"{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0], ["b", -1.0], ["ab", -2.0], ["abc", -3.0], ["c", -1.0], ["bc", -2.0]]}}"#
        let tokenizer = try Tokenizer(json: Data(json.utf8))
        // Every segmentation of "abc" scores -3: the piece starting earliest ("abc") wins.
        XCTAssertEqual(tokenizer.encode("abc").tokens.map(\.text), ["abc"])
        // "bcab": bc+ab, b+c+ab, bc+a+b, b+c+a+b... all -4; the first offered at each end wins.
        XCTAssertEqual(tokenizer.encode("bcab").tokens.map(\.text), ["bc", "ab"])
    }

    // MARK: - Errors

    /// Everything Rust refuses to load, Heed refuses with an error naming the field.
    func testConfigurationsRustRejectsThrow() throws {
        let fields = [
            "metaspace_add_prefix_space_false_default_scheme": "pre_tokenizer.add_prefix_space",
            "metaspace_two_character_replacement": "pre_tokenizer.replacement",
            "metaspace_unknown_scheme": "pre_tokenizer.prepend_scheme",
            "unigram_unk_id_past_vocab": "model.unk_id",
            "unigram_empty_vocab": "model.vocab",
            "unigram_vocab_entry_not_pair": "model.vocab[0]",
            "unigram_score_not_number": "model.vocab[0][1]",
            "precompiled_bad_base64": "normalizer.precompiled_charsmap",
            "precompiled_truncated": "normalizer.precompiled_charsmap",
            "precompiled_empty": "normalizer.precompiled_charsmap",
        ]
        let rejected = try Self.parts.get().rejected
        XCTAssertEqual(Set(rejected.map(\.name)), Set(fields.keys))
        for row in rejected {
            XCTAssertThrowsError(try Tokenizer(json: Data(row.tokenizer.utf8)), row.name) { error in
                XCTAssertEqual((error as? TokenizerError)?.kind, .invalidConfiguration, "\(row.name): \(error)")
                XCTAssertTrue("\(error)".contains(fields[row.name]!), "\(row.name): \(error)")
            }
        }
    }

    /// Refusals of Heed's own: Rust would load these and then fail (no unk_id) or fall back to
    /// the unknown piece (missing byte pieces) while encoding.
    func testUnigramConfigurationsHeedRefuses() {
        let cases: [(json: String, field: String)] = [
            (#"{"model": {"type": "Unigram", "unk_id": null, "vocab": [["<unk>", 0.0]]}}"#, "model.unk_id"),
            (#"{"model": {"type": "Unigram", "vocab": [["<unk>", 0.0]]}}"#, "model.unk_id"),
            (#"{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["<0x41>", -1.0]], "byte_fallback": true}}"#,
             "model.byte_fallback"),
        ]
        for (json, field) in cases {
            XCTAssertThrowsError(try Tokenizer(json: Data(json.utf8)), json) { error in
                XCTAssertEqual((error as? TokenizerError)?.kind, .invalidConfiguration, "\(json): \(error)")
                XCTAssertTrue("\(error)".contains(field), "\(json): \(error)")
            }
        }
    }

    /// Only a repeated literal character is recognised as a Replace regex.
    func testReplaceRegexRecognition() {
        for (regex, scalar, count) in [(" {2,}", " ", 2), ("a+", "a", 1), ("\\.{3,}", ".", 3), ("▁{10,}", "▁", 10)] as [(String, Unicode.Scalar, Int)] {
            let pattern = RepeatedScalarPattern(regex: regex)
            XCTAssertEqual(pattern?.scalar, scalar, regex)
            XCTAssertEqual(pattern?.minimumCount, count, regex)
        }
        for unsupported in ["\\s+", " {2}", " {2,5}", ".+", "ab+", "", "+", " {,2}", " {0,}", "[ ]+", " *", " {2,}?", " ++"] {
            XCTAssertNil(RepeatedScalarPattern(regex: unsupported), unsupported)
        }
        XCTAssertEqual(RepeatedScalarPattern(regex: " {2,}")?.matches(in: Array("a  b c   d ".unicodeScalars)), [1..<3, 6..<9])
    }
}
