import Foundation
import XCTest
import HeedTokenizers

final class ZZFuzzTemp: XCTestCase {
    func testFuzz() throws {
        let dir = URL(fileURLWithPath: "/tmp/fuzz")
        let corpus = try Data(contentsOf: dir.appendingPathComponent("corpus.jsonl")).split(separator: 10).map { try JSONDecoder().decode(String.self, from: Data($0)) }
        for name in ["minilm", "cased", "mixed", "composed"] {
            let tokenizer = try Tokenizer(url: TokenizerFixtures.url("\(name)-tokenizer.json"))
            let expected = try Data(contentsOf: dir.appendingPathComponent("\(name)_expected.jsonl")).split(separator: 10).map { try JSONDecoder().decode(ExpectedEncoding.self, from: Data($0)) }
            var bad = 0
            for (text, want) in zip(corpus, expected) {
                let got = tokenizer.encode(text).tokens
                let ok = got.count == want.ids.count && got.enumerated().allSatisfy { i, t in
                    t.id == want.ids[i] && sameScalars(t.text, want.tokens[i]) && t.word == want.words[i] && t.span.scalars == want.offsets[2*i]..<want.offsets[2*i+1]
                }
                if !ok {
                    bad += 1
                    if bad <= 5 {
                        print("MISMATCH \(name): \(visible(text))")
                        print("  want: \(zip(want.ids, want.tokens).map { "\($0) \(visible($1))" }) \(want.offsets)")
                        print("  got:  \(got.map { "\($0.id) \(visible($0.text))" }) \(got.flatMap { [$0.span.scalars.lowerBound, $0.span.scalars.upperBound] })")
                    }
                }
            }
            print("FUZZ \(name): \(corpus.count - bad)/\(corpus.count)")
        }
    }
}
