import Foundation
@testable import HeedAnalysis
import HeedTokenizers
import XCTest

/// Corpus reading, the default corpus, token classes and table layout.
final class ExperimentsCorpusTests: XCTestCase {
    func testParseSkipsEmptyLinesAndKeepsLineNumbers() {
        let lines = Corpus.parse("First one.\r\n\n   \nSecond, two.  \rThird.\n")
        XCTAssertEqual(lines, [Corpus.Line(number: 1, text: "First one."), Corpus.Line(number: 4, text: "Second, two."),
                               Corpus.Line(number: 5, text: "Third.")])
        XCTAssertEqual(Corpus.parse(""), [])
    }

    func testLoadReadsUTF8AndRejectsOtherBytes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("heed-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.txt")
        try Data([0xEF, 0xBB, 0xBF] + Array("Caf\u{E9} au lait.\n\nNa\u{EF}ve, yes.\n".utf8)).write(to: good)
        XCTAssertEqual(try Corpus.load(good).map(\.text), ["Caf\u{E9} au lait.", "Na\u{EF}ve, yes."])

        let bad = dir.appendingPathComponent("bad.txt")
        try Data([0x41, 0x0A, 0xFF, 0xFE, 0x42]).write(to: bad)
        XCTAssertThrowsError(try Corpus.load(bad)) { XCTAssertTrue("\($0)".contains("UTF-8"), "\($0)") }
        XCTAssertThrowsError(try Corpus.load(dir.appendingPathComponent("missing.txt"))) { XCTAssertTrue($0 is CorpusError) }
    }

    func testDefaultCorpus() {
        let lines = Corpus.defaultLines
        XCTAssertGreaterThanOrEqual(lines.count, 300)
        XCTAssertEqual(Set(lines.map(\.text)).count, lines.count, "no duplicate sentences")
        XCTAssertTrue(lines.allSatisfy { $0.text.hasSuffix(".") })
        XCTAssertGreaterThan(lines.filter { $0.text.contains(",") }.count, lines.count / 3)
        let words = lines.map { $0.text.split(separator: " ").count }
        XCTAssertLessThanOrEqual(words.min()!, 5)
        XCTAssertGreaterThanOrEqual(words.max()!, 30)
    }

    func testClassifyTokens() {
        func t(_ text: String, _ id: Int, special: Bool = false) -> EncodedToken {
            EncodedToken(id: id, text: text, special: special, word: special ? nil : 0, span: .empty, typeID: 0)
        }
        let tokens = [t("[CLS]", 101, special: true), t("the", 1), t(",", 2), t("cat", 3), t(".", 4), t("...", 5),
                      t("[SEP]", 102, special: true), t("dog", 6), t("[SEP]", 102, special: true)]
        XCTAssertEqual(TokenClass.classify(tokens), [.cls, .other, .punctuation, .other, .punctuation, .other, .sep, .other, .sep])
        XCTAssertEqual(TokenClass.classify([t("<s>", 0, special: true), t("hi", 9), t("</s>", 2, special: true)]), [.cls, .other, .sep])
        XCTAssertEqual(TokenClass.classify([t("a", 1), t(".", 4)]), [.other, .punctuation])
    }

    func testAlignedTable() {
        let text = ExperimentTables.aligned([["layer", "a", "bbb"], ["0", "1.25", "3"], ["10", "0.5", "12.75"]])
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, ["layer     a    bbb", "0      1.25      3", "10      0.5  12.75"])
    }
}
