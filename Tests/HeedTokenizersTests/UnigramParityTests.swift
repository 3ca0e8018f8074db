// Parity of the SentencePiece Unigram pipeline (XLM-R as transformers 5 builds it: a Precompiled
// normalizer, WhitespaceSplit + Metaspace, Unigram, TemplateProcessing) with the Rust
// library through transformers, on the corpus (ids, tokens, words, scalar offsets) and on the fuzz
// strings (ids and offsets).

import Foundation
import XCTest
import HeedTokenizers

final class UnigramParityTests: XCTestCase {
    func testXLMRCorpusParity() throws {
        try checkCorpusParity("xlmr")
    }

    func testXLMRFuzzParity() throws {
        try checkFuzzParity("xlmr")
    }

    func testXLMRTypedSpecialTokenParity() throws {
        try checkCorpusParity("xlmr", corpus: "typed_special")
    }
}
