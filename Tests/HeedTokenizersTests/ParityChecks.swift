// Parity with the Rust tokenizers library (through transformers) on the committed fixtures: the
// checks every pipeline's parity tests share, and their side-by-side mismatch report.

import Foundation
import XCTest
import HeedTokenizers

/// One line of `<name>_fuzz_expected.jsonl`.
struct ExpectedIDsAndOffsets: Decodable {
    var ids: [Int]
    /// Flattened (start, end) pairs in Unicode scalars.
    var offsets: [Int]
}

/// Corpus parity: every token's id, text, word and scalar span. `corpus` nil: corpus.jsonl against
/// `<name>_expected.jsonl`; else `<corpus>_corpus.jsonl` against `<name>_<corpus>_expected.jsonl`.
func checkCorpusParity(_ name: String, corpus corpusName: String? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws {
    let tokenizer = try Tokenizer(url: TokenizerFixtures.url("\(name)-tokenizer.json"))
    let corpus = try corpusName.map { try TokenizerFixtures.readLines("\($0)_corpus.jsonl", as: String.self) }
        ?? TokenizerFixtures.corpus()
    let expected = try TokenizerFixtures.readLines("\(name)\(corpusName.map { "_" + $0 } ?? "")_expected.jsonl",
                                                   as: ExpectedEncoding.self)
    XCTAssertEqual(corpus.count, expected.count, "corpus and expected outputs differ in length", file: file, line: line)
    XCTAssertGreaterThanOrEqual(corpus.count, corpusName == nil ? 550 : 38, file: file, line: line)
    var rows: [(text: String, got: [EncodedToken], want: [ExpectedToken])] = []
    for (text, want) in zip(corpus, expected) {
        let wantTokens = want.ids.indices.map {
            ExpectedToken(id: want.ids[$0], text: want.tokens[$0], word: want.words[$0],
                          span: want.offsets[2 * $0]..<want.offsets[2 * $0 + 1])
        }
        rows.append((text, tokenizer.encode(text).tokens, wantTokens))
    }
    reportParity(name + (corpusName.map { " " + $0 } ?? " corpus"), rows, file: file, line: line)
}

/// Fuzz parity: fuzz.jsonl line N against `<name>_fuzz_expected.jsonl` line N, ids and spans.
func checkFuzzParity(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let tokenizer = try Tokenizer(url: TokenizerFixtures.url("\(name)-tokenizer.json"))
    let fuzz = try TokenizerFixtures.readLines("fuzz.jsonl", as: String.self)
    let expected = try TokenizerFixtures.readLines("\(name)_fuzz_expected.jsonl", as: ExpectedIDsAndOffsets.self)
    XCTAssertEqual(fuzz.count, expected.count, "fuzz strings and expected outputs differ in length", file: file, line: line)
    XCTAssertGreaterThanOrEqual(fuzz.count, 2000, file: file, line: line)
    var rows: [(text: String, got: [EncodedToken], want: [ExpectedToken])] = []
    for (text, want) in zip(fuzz, expected) {
        let wantTokens = want.ids.indices.map {
            ExpectedToken(id: want.ids[$0], text: nil, word: nil, span: want.offsets[2 * $0]..<want.offsets[2 * $0 + 1])
        }
        rows.append((text, tokenizer.encode(text).tokens, wantTokens))
    }
    reportParity(name + " fuzz", rows, file: file, line: line)
}

/// An expected token; nil `text` means the fixture does not record texts or words.
struct ExpectedToken {
    var id: Int
    var text: String?
    var word: Int??
    var span: Range<Int>

    func matches(_ token: EncodedToken) -> Bool {
        token.id == id && token.span.scalars == span
            && (text.map { sameScalars(token.text, $0) } ?? true) && (word.map { token.word == $0 } ?? true)
    }

    var description: String {
        var parts = ["\(id)"]
        if let text { parts.append("\"\(visible(text))\"") }
        if let word { parts.append("w=\(word.map(String.init) ?? "nil")") }
        parts.append("\(span.lowerBound)..<\(span.upperBound)")
        return parts.joined(separator: " ")
    }
}

/// Fails with the first mismatching lines side by side (expected | actual) around the first
/// differing token of each.
func reportParity(_ label: String, _ rows: [(text: String, got: [EncodedToken], want: [ExpectedToken])],
                  file: StaticString = #filePath, line: UInt = #line) {
    var mismatches: [String] = []
    var failed = 0
    var tokenCount = 0
    for (index, row) in rows.enumerated() {
        tokenCount += row.got.count
        let count = max(row.got.count, row.want.count)
        func equal(_ i: Int) -> Bool { i < row.got.count && i < row.want.count && row.want[i].matches(row.got[i]) }
        guard let first = (0..<count).first(where: { !equal($0) }) else { continue }
        failed += 1
        guard mismatches.count < 8 else { continue }
        var lines = ["line \(index + 1): \"\(visible(row.text))\"", "   #  expected (id token word span)            | actual"]
        for i in max(0, first - 2)..<min(count, first + 4) {
            let expected = i < row.want.count ? row.want[i].description : "-"
            var actual = "-"
            if i < row.got.count {
                let token = row.got[i]
                actual = "\(token.id) \"\(visible(token.text))\" w=\(token.word.map(String.init) ?? "nil") "
                    + "\(token.span.scalars.lowerBound)..<\(token.span.scalars.upperBound)"
            }
            lines.append("\(equal(i) ? "   " : ">> ")\(i): \(expected.padding(toLength: 44, withPad: " ", startingAt: 0)) | \(actual)")
        }
        if row.got.count != row.want.count {
            lines.append("   token counts: expected \(row.want.count), actual \(row.got.count)")
        }
        mismatches.append(lines.joined(separator: "\n"))
    }
    print("\(label): \(rows.count - failed)/\(rows.count) lines match exactly (\(tokenCount) tokens)")
    if failed > 0 {
        XCTFail("\(label): \(failed) of \(rows.count) lines differ; first ones:\n" + mismatches.joined(separator: "\n"),
                file: file, line: line)
    }
}
