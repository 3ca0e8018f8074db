// Cross-attention analysis on the tiny Marian model (Tests/Fixtures/models/tiny-marian): every
// method against the direct computation from the taps and a plain W_O (f^h(x_j) = v^h_j
// W_O^h^T, z_ij = sum_h alpha^h[i,j] f^h(x_j) formed explicitly), T_tgt x T_src, per layer;
// word alignments from it (settings, subword merging) and AER by hand.

import Foundation
import HeedCheckpoints
import HeedKernels
import HeedModels
import HeedTestSupport
import HeedTokenizers
import XCTest
@testable import HeedAnalysis

final class CrossAttentionTests: XCTestCase {
    private func closeToRowScale(_ actual: [Float], _ expected: [Float], rowLength: Int, _ label: String) {
        XCTAssertEqual(actual.count, expected.count, label)
        guard actual.count == expected.count else { return }
        var worst: Float = 0
        for r in 0..<(expected.count / rowLength) {
            let row = (r * rowLength)..<((r + 1) * rowLength)
            let scale = max(expected[row].map(abs).max() ?? 0, 1e-6)
            for k in row { worst = max(worst, abs(actual[k] - expected[k]) / scale) }
        }
        XCTAssertLessThan(worst, 1e-4, label)
    }

    func testEveryCrossAttentionMethodMatchesTheDirectRoute() throws {
        let (model, tokenizer) = try MarianModel.load(directory: Fixtures.url("models/tiny-marian"))
        let source = tokenizer.encode("The quick brown fox jumps over the lazy dog.").ids
        let target = tokenizer.encode("Der schnelle braune Fuchs springt.", side: .target).ids
        let r = try model.forwardSeq2Seq(source: source, decoderInput: model.decoderInput(forTarget: target),
                                         encoderTaps: TapRequest(.none), decoderTaps: TapRequest(.full), logits: false)
        let S = source.count, T = target.count
        for l in 0..<2 {
            let taps = try XCTUnwrap(r.decoder.taps(at: AttentionSite(layer: l, kind: .crossAttention)))
            let a = try CrossAttentionAnalysis(taps: taps)
            XCTAssertEqual([a.heads, a.queries, a.keys, a.hidden], [4, T, S, 32])
            // Direct: f^h(x_j) from the plain W_O (C, NH*HS).
            let C = 32, NH = 4, HS = 8
            let w = taps.parameters.outputWeight, v = taps.values!.data, alpha = taps.attention!.data
            var f = [Double](repeating: 0, count: NH * S * C)
            for h in 0..<NH {
                for j in 0..<S {
                    for c in 0..<C {
                        var s = 0.0
                        for k in 0..<HS { s += Double(v[j * C + h * HS + k]) * Double(w[c * C + h * HS + k]) }
                        f[(h * S + j) * C + c] = s
                    }
                }
            }
            let valueNorm = (0..<(NH * S)).map { r in Float((0..<C).reduce(0.0) { $0 + f[r * C + $1] * f[r * C + $1] }.squareRoot()) }
            closeToRowScale(a.valueNorm.data, valueNorm, rowLength: S, "layer \(l) value-norm")
            var norm = [Float](repeating: 0, count: NH * T * S), summed = [Float](repeating: 0, count: T * S)
            var mean = [Float](repeating: 0, count: T * S)
            for i in 0..<T {
                for j in 0..<S {
                    var z = [Double](repeating: 0, count: C)
                    for h in 0..<NH {
                        let al = Double(alpha[(h * T + i) * S + j])
                        norm[(h * T + i) * S + j] = Float(al) * valueNorm[h * S + j]
                        mean[i * S + j] += Float(al) / Float(NH)
                        for c in 0..<C { z[c] += al * f[(h * S + j) * C + c] }
                    }
                    summed[i * S + j] = Float(z.reduce(0) { $0 + $1 * $1 }.squareRoot())
                }
            }
            XCTAssertEqual(a.attention.shape, [NH, T, S])
            closeToRowScale(a.norm().data, norm, rowLength: S, "layer \(l) norm")
            closeToRowScale(a.normSummed().data, summed, rowLength: S, "layer \(l) norm-summed")
            closeToRowScale(a.normSummedDirect().data, summed, rowLength: S, "layer \(l) norm-summed direct")
            closeToRowScale(a.meanAttention().data, mean, rowLength: S, "layer \(l) mean attention")
        }
        // Attention-only taps are refused.
        let thin = try model.forwardSeq2Seq(source: source, decoderInput: [model.config.decoderStartTokenID], logits: false)
        let site = AttentionSite(layer: 0, kind: .crossAttention)
        XCTAssertThrowsError(try CrossAttentionAnalysis(taps: thin.decoder.taps(at: site)!)) {
            XCTAssertEqual($0 as? CrossAttentionError, .incompleteTaps(site))
        }
    }

    /// The self-attention analyses on each side read Marian's taps as they read BERT's: the
    /// existing NormDecomposition (Gram route) on the encoder's and the decoder's (causal)
    /// self-attention equals the cross-attention code's independent route on the same taps.
    func testSelfAttentionAnalysesOnBothSides() throws {
        let (model, tokenizer) = try MarianModel.load(directory: Fixtures.url("models/tiny-marian"))
        let source = tokenizer.encode("It was the best of times.").ids
        let target = tokenizer.encode("Es war die beste Zeit.", side: .target).ids
        let r = try model.forwardSeq2Seq(source: source, decoderInput: model.decoderInput(forTarget: target),
                                         encoderTaps: TapRequest(.full), decoderTaps: TapRequest(.full), logits: false)
        for (side, taps, T) in [("encoder", r.encoder.layers, source.count), ("decoder", r.decoder.layers.filter { $0.site.kind == .selfAttention }, target.count)] {
            XCTAssertEqual(taps.count, 2, side)
            for tap in taps {
                let gram = NormDecomposition(taps: tap)
                let direct = try CrossAttentionAnalysis(taps: tap)
                closeToRowScale(gram.normSummed().data, direct.normSummedDirect().data, rowLength: T, "\(side) layer \(tap.layer) norm-summed")
                closeToRowScale(gram.norm().data, direct.norm().data, rowLength: T, "\(side) layer \(tap.layer) norm")
                XCTAssertEqual(gram.attnResLn().shape, [T, T])
                if side == "decoder" {
                    // Causal: nothing above the diagonal.
                    let n = gram.normSummed().data
                    XCTAssertTrue((0..<T).allSatisfy { i in ((i + 1)..<T).allSatisfy { n[i * T + $0] == 0 } })
                }
            }
        }
    }

    func testGoldParsingAndAERByHand() throws {
        let gold = try String(contentsOf: Fixtures.url("alignment/gold.txt"), encoding: .utf8).split(separator: "\n").enumerated().map {
            try GoldAlignment.parse(String($0.element), lineNumber: $0.offset + 1)
        }
        let oneBased = try String(contentsOf: Fixtures.url("alignment/gold-one-based.txt"), encoding: .utf8).split(separator: "\n").map {
            try GoldAlignment.parse(String($0), oneBased: true)
        }
        XCTAssertEqual(gold, oneBased)
        func links(_ pairs: [(Int, Int)]) -> Set<AlignmentLink> { Set(pairs.map { AlignmentLink(source: $0.0, target: $0.1) }) }
        XCTAssertEqual(gold[0].sure, links([(0, 0), (1, 1)]))
        XCTAssertEqual(gold[0].possible, links([(0, 0), (1, 1), (1, 2), (2, 2)]))
        XCTAssertEqual(gold[1].sure, links([(0, 1)]))
        XCTAssertEqual(gold[1].possible, links([(0, 1), (1, 0)]))
        var first = AERCounts()
        first.add(links([(0, 0), (1, 2), (2, 1)]), gold: gold[0])
        XCTAssertEqual(first.aer!, 0.4, accuracy: 1e-12)  // 1 - (1 + 2) / (3 + 2)
        var both = first
        both.add(links([(0, 1), (1, 0)]), gold: gold[1])
        XCTAssertEqual(both.aer!, 0.25, accuracy: 1e-12)  // 1 - (2 + 4) / (5 + 3)
        var perfect = AERCounts()
        perfect.add(gold[0].sure, gold: gold[0])
        XCTAssertEqual(perfect.aer!, 0, accuracy: 1e-12)
        XCTAssertNil(AERCounts().aer)
        XCTAssertThrowsError(try GoldAlignment.parse("0-0 x"))
        XCTAssertThrowsError(try GoldAlignment.parse("0-0", oneBased: true))
    }

    func testLinksMergeSubwordsInBothSettings() {
        // Source tokens s0 s1 (word 0), s2 (word 1), </s>; target tokens t0 (word 0), t1 t2
        // (word 1), </s>; decoder rows 0..3 (row t outputs target token t).
        let m = Tensor(shape: [4, 4], data: [0.1, 0.1, 0.7, 0.1,
                                             0.3, 0.3, 0.35, 0.05,
                                             0.0, 0.1, 0.8, 0.1,
                                             0.5, 0.4, 0.05, 0.05])
        let sourceWords: [Int?] = [0, 0, 1, nil], targetWords: [Int?] = [0, 1, 1, nil]
        // output: word 0 <- row 0 (0.2 vs 0.7); word 1 <- rows 1, 2 averaged (0.35 vs 0.575).
        XCTAssertEqual(WordAlignment.links(matrix: m, setting: .output, targetWords: targetWords, sourceWords: sourceWords),
                       [AlignmentLink(source: 1, target: 0), AlignmentLink(source: 1, target: 1)])
        // input: word 0 <- row 1 (0.6 summed over s0, s1 beats 0.35); word 1 <- rows 2, 3 (0.5 vs 0.425).
        XCTAssertEqual(WordAlignment.links(matrix: m, setting: .input, targetWords: targetWords, sourceWords: sourceWords),
                       [AlignmentLink(source: 0, target: 0), AlignmentLink(source: 0, target: 1)])
    }

    func testWordsOfSentencePieceTokens() throws {
        let (_, tokenizer) = try MarianModel.load(directory: Fixtures.url("models/tiny-marian"))
        let text = "  The quick  fox"
        let encoding = tokenizer.encode(text)
        let words = WordAlignment.words(text)
        XCTAssertEqual(words, [2..<5, 6..<11, 13..<16])
        let map = WordAlignment.wordOfTokens(encoding.tokens, text: text, words: words)
        XCTAssertEqual(map.last!, nil)  // </s>
        XCTAssertEqual(map.dropLast().first, 0)
        XCTAssertEqual(map.dropLast().last, 2)
        // Every word has a token, in order.
        XCTAssertEqual(Array(Set(map.compactMap { $0 })).sorted(), [0, 1, 2])
        XCTAssertEqual(map.compactMap { $0 }, map.compactMap { $0 }.sorted())
    }
}
