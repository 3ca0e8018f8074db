// Greedy decoding of the tiny Marian model against transformers 5.23.0
// (Tests/Fixtures/models/tiny-marian/greedy.json, generate_marian_greedy_fixtures.py):
// `generate(num_beams=1, do_sample=False, max_new_tokens=N)` ids and their decoded text, with
// bad_words_ids, min_length, without max_new_tokens, and with final_logits_bias[eos] raised in
// memory (so that decoding stops at `</s>` before the bound); the key/value-cached decoder's logits against transformers' logits
// and the full teacher-forced pass (tolerance 1e-4 of the largest magnitude, as MarianModelTests);
// the length bound, the forced `</s>`, bad input; the generation settings read from
// generation_config.json or config.json.

import Foundation
import HeedCheckpoints
import HeedKernels
import HeedTestSupport
import HeedTokenizers
import XCTest
@testable import HeedModels

/// The tiny model's weights with `delta` added to final_logits_bias[eos] (the fixture's
/// `eos_logit_bias`, applied there to the PyTorch model in memory).
private struct EOSBiasedWeights: WeightSource {
    let base: Checkpoint
    let eos: Int
    let delta: Float
    var sourceFileName: String { base.sourceFileName }
    var tensorNames: [String] { base.tensorNames }
    func has(_ name: String) -> Bool { base.has(name) }
    func shape(of name: String) -> [Int]? { base.shape(of: name) }
    func storedType(of name: String) -> String? { base.storedType(of: name) }
    func fileName(holding name: String) -> String? { base.fileName(holding: name) }
    func quantizedBlocks(_ name: String) -> GGUFTensorData? { nil }
    func tensor(_ name: String) throws -> Tensor {
        var t = try base.tensor(name)
        if name == "final_logits_bias" { t.data[eos] += delta }
        return t
    }
}

final class MarianGenerationTests: XCTestCase {
    private struct Fixture: Decodable {
        struct Settings: Decodable {
            let max_new_tokens: Int?
            let min_length: Int?
            let bad_words_ids: [[Int]]?
            let eos_logit_bias: Float?
        }
        struct Case: Decodable {
            let name: String
            let source: String
            let source_ids: [Int]
            let settings: Settings
            let ids: [Int]
            let text: String
            let min_gap: Double?
        }
        let decoder_start: Int
        let eos: Int
        let pad: Int
        let forced_eos: Int
        let cases: [Case]
    }

    private static let directory = Fixtures.url("models/tiny-marian")

    private func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.directory.appendingPathComponent("greedy.json")))
    }

    private func model(eosBias: Float?) throws -> MarianModel {
        let config = try MarianConfig.load(from: Self.directory.appendingPathComponent("config.json"))
        let checkpoint = try Checkpoint(directory: Self.directory)
        guard let eosBias else { return try MarianModel(config: config, weights: checkpoint) }
        return try MarianModel(config: config, weights: EOSBiasedWeights(base: checkpoint, eos: config.eosTokenID, delta: eosBias))
    }

    func testGreedyMatchesTransformers() throws {
        let f = try fixture()
        let tokenizer = try MarianTokenizer(directory: Self.directory)
        let plain = try model(eosBias: nil)
        let base = try MarianGenerationConfig.load(directory: Self.directory, config: plain.config)
        XCTAssertEqual(base.decoderStartTokenID, f.decoder_start)
        XCTAssertEqual(base.forcedEOSTokenIDs, [f.forced_eos])
        XCTAssertGreaterThanOrEqual(f.cases.count, 10)
        var stoppedEarly = 0
        for c in f.cases {
            // Every argmax is well clear of a tie (float error is far below 1e-3).
            if let gap = c.min_gap { XCTAssertGreaterThan(gap, 1e-3, c.name) }
            XCTAssertEqual(tokenizer.encode(c.source).ids, c.source_ids, c.name)
            var settings = base
            settings.badWordsIDs = c.settings.bad_words_ids ?? []
            settings.minLength = c.settings.min_length ?? 0
            let m = c.settings.eos_logit_bias == nil ? plain : try model(eosBias: c.settings.eos_logit_bias)
            let result = try m.generateGreedy(source: c.source_ids, maxNewTokens: c.settings.max_new_tokens, generation: settings)
            let bound = c.settings.max_new_tokens ?? 20  // generate's default: max_length 20 + 1
            XCTAssertEqual(result.sequence, c.ids, c.name)
            XCTAssertEqual(Array(tokenizer.decode(result.sequence).unicodeScalars), Array(c.text.unicodeScalars), c.name)
            // generate's sequences end at </s> (forced at the bound).
            XCTAssertEqual(result.sequence.last, f.eos, c.name)
            XCTAssertTrue(result.reachedEOS, c.name)
            XCTAssertEqual(result.reachedLengthBound, result.newTokens.count == bound, c.name)
            if let minLength = c.settings.min_length { XCTAssertGreaterThanOrEqual(result.sequence.count, minLength + 1, c.name) }
            for banned in c.settings.bad_words_ids ?? [] { XCTAssertFalse(result.newTokens.contains(banned[0]), c.name) }
            if result.newTokens.count < bound { stoppedEarly += 1 }
        }
        XCTAssertGreaterThanOrEqual(stoppedEarly, 3, "the fixture has cases that stop at </s> before the bound")
    }

    /// The cached decoder, one token at a time, against transformers' teacher-forced logits rows
    /// (greedy decoding's logits are these rows) and against the full pass.
    func testCachedDecoderMatchesFullPass() throws {
        let m = try model(eosBias: nil)
        let manifest = try Fixtures.json("models/tiny-marian/manifest.json")
        let expected = try SafeTensorsFile(url: Self.directory.appendingPathComponent("expected.safetensors"))
        let V = m.config.decoderVocabSize
        for c in manifest["cases"] as! [[String: Any]] {
            let name = c["name"] as! String
            let source = c["source_ids"] as! [Int], decoderInput = c["decoder_input_ids"] as! [Int]
            let cached = try m.cachedLogits(source: source, decoderInput: decoderInput)
            let full = try m.forwardSeq2Seq(source: source, decoderInput: decoderInput).logits
            XCTAssertEqual(cached.count, decoderInput.count * V)
            let scale = max(1, full.map(abs).max() ?? 0)
            let vsFull = Comparison(expected: full, actual: cached, tolerance: 1e-4 * scale)
            XCTAssertTrue(vsFull.ok, "\(name) cached vs full: \(vsFull)")
            let rows = c["logit_rows"] as! [Int]
            let reference = try expected.tensor("\(name).logits.rows").data
            let vsTransformers = Comparison(expected: reference, actual: rows.flatMap { cached[($0 * V)..<(($0 + 1) * V)] },
                                            tolerance: 1e-4 * max(1, reference.map(abs).max() ?? 0))
            XCTAssertTrue(vsTransformers.ok, "\(name) cached vs transformers: \(vsTransformers)")
        }
    }

    func testLengthBoundAndForcedEOS() throws {
        let m = try model(eosBias: nil)
        let source = try MarianTokenizer(directory: Self.directory).encode("Hello").ids
        var settings = MarianGenerationConfig(config: m.config)
        let long = try m.generateGreedy(source: source, maxNewTokens: 12, generation: settings).sequence
        for n in 1...6 {
            // With forced_eos_token_id: n new tokens, the last forced to </s>, the rest as without a bound.
            let forced = try m.generateGreedy(source: source, maxNewTokens: n, generation: settings)
            XCTAssertEqual(forced.sequence, Array(long.prefix(n)) + [0], "n \(n)")
            XCTAssertTrue(forced.reachedLengthBound && forced.reachedEOS)
        }
        settings.forcedEOSTokenIDs = nil
        for n in 1...6 {
            let free = try m.generateGreedy(source: source, maxNewTokens: n, generation: settings)
            XCTAssertEqual(free.sequence, Array(long.prefix(n + 1)), "n \(n)")
            XCTAssertTrue(free.reachedLengthBound)
            XCTAssertFalse(free.reachedEOS)  // the random model repeats a token that is not </s>
        }
        // No bound given: the settings' max_length, else 20 new tokens.
        XCTAssertEqual(try m.generateGreedy(source: source, generation: settings).newTokens.count, 20)
        settings.maxLength = 5
        XCTAssertEqual(try m.generateGreedy(source: source, generation: settings).sequence.count, 5)
        // min_length keeps </s> away; with the eos bias that stops "She sells sea shells." early.
        let biased = try model(eosBias: 3.65)
        let shells = try MarianTokenizer(directory: Self.directory).encode("She sells sea shells.").ids
        var fromFiles = MarianGenerationConfig(config: m.config)
        let early = try biased.generateGreedy(source: shells, maxNewTokens: 12, generation: fromFiles)
        XCTAssertEqual(early.newTokens.count, 3)
        XCTAssertFalse(early.reachedLengthBound)
        fromFiles.minLength = 6
        let later = try biased.generateGreedy(source: shells, maxNewTokens: 12, generation: fromFiles)
        XCTAssertGreaterThanOrEqual(later.sequence.count, 7)
        XCTAssertFalse(later.sequence.dropLast().contains(0))
    }

    func testBadInputThrows() throws {
        let m = try model(eosBias: nil)
        XCTAssertThrowsError(try m.generateGreedy(source: [])) { XCTAssertEqual($0 as? ForwardError, .emptyInput) }
        XCTAssertThrowsError(try m.generateGreedy(source: [0], maxNewTokens: 0)) { XCTAssertEqual($0 as? ForwardError, .emptyInput) }
        XCTAssertThrowsError(try m.generateGreedy(source: [0], maxNewTokens: 65)) { XCTAssertEqual($0 as? ForwardError, .tooLong(tokens: 65, limit: 64)) }
        XCTAssertThrowsError(try m.generateGreedy(source: Array(repeating: 5, count: 65))) { XCTAssertEqual($0 as? ForwardError, .tooLong(tokens: 65, limit: 64)) }
        XCTAssertThrowsError(try m.generateGreedy(source: [5000])) { XCTAssertEqual($0 as? ForwardError, .tokenOutOfRange(id: 5000, vocabSize: 1132)) }
        var settings = MarianGenerationConfig(config: m.config)
        settings.badWordsIDs = [[2000]]
        XCTAssertThrowsError(try m.generateGreedy(source: [0], generation: settings)) { XCTAssertEqual($0 as? ForwardError, .tokenOutOfRange(id: 2000, vocabSize: 1132)) }
        XCTAssertThrowsError(try m.generateGreedy(source: [0], isCancelled: { true })) { XCTAssertEqual($0 as? ForwardError, .cancelled) }
        // Degenerate settings built in code decode without failing: an empty bad-words sequence
        // is ignored, an empty forced-eos list forces nothing, no eos ids stop at the bound.
        settings.badWordsIDs = [[]]
        settings.forcedEOSTokenIDs = []
        settings.eosTokenIDs = []
        let free = try m.generateGreedy(source: [0], maxNewTokens: 3, generation: settings)
        XCTAssertEqual(free.sequence.count, 4)
        XCTAssertTrue(free.reachedLengthBound)
        XCTAssertNotEqual(free.sequence.last, 0)
        // The longest bound the position table allows decodes.
        XCTAssertEqual(try m.generateGreedy(source: [0], maxNewTokens: 64).sequence.count, 65)
    }

    func testGenerationSettingsFromFiles() throws {
        let config = try MarianConfig.load(from: Self.directory.appendingPathComponent("config.json"))
        let fromConfig = try MarianGenerationConfig.load(directory: Self.directory, config: config)
        XCTAssertEqual(fromConfig, MarianGenerationConfig(config: config))
        XCTAssertEqual(fromConfig.eosTokenIDs, [0])
        XCTAssertEqual(fromConfig.badWordsIDs, [])
        XCTAssertNil(fromConfig.maxLength)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("heed-gen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(contentsOf: Self.directory.appendingPathComponent("config.json")).write(to: dir.appendingPathComponent("config.json"))
        // An opus-mt generation_config.json (with this model's pad id).
        let opus = #"{"bad_words_ids": [[1131]], "bos_token_id": 0, "decoder_start_token_id": 1131, "eos_token_id": 0, "forced_eos_token_id": 0, "max_length": 512, "num_beams": 4, "pad_token_id": 1131, "renormalize_logits": true}"#
        try Data(opus.utf8).write(to: dir.appendingPathComponent("generation_config.json"))
        let g = try MarianGenerationConfig.load(directory: dir, config: config)
        XCTAssertEqual(g.badWordsIDs, [[1131]])
        XCTAssertEqual(g.maxLength, 512)
        XCTAssertEqual(g.numBeams, 4)
        XCTAssertEqual(g.ignored, ["num_beams 4"])
        XCTAssertEqual(g.forcedEOSTokenIDs, [0])
        // generation_config.json without forced_eos_token_id: none (transformers reads only that file).
        try Data(#"{"decoder_start_token_id": 1131, "eos_token_id": [0, 7], "repetition_penalty": 1.2}"#.utf8)
            .write(to: dir.appendingPathComponent("generation_config.json"))
        let h = try MarianGenerationConfig.load(directory: dir, config: config)
        XCTAssertNil(h.forcedEOSTokenIDs)
        XCTAssertEqual(h.eosTokenIDs, [0, 7])
        XCTAssertEqual(h.ignored, ["repetition_penalty 1.2"])
        for bad in [#"{"bad_words_ids": [1131]}"#, #"{"eos_token_id": "x"}"#, #"{"bad_words_ids": [[99999]]}"#, #"not json"#] {
            try Data(bad.utf8).write(to: dir.appendingPathComponent("generation_config.json"))
            XCTAssertThrowsError(try MarianGenerationConfig.load(directory: dir, config: config), bad) { XCTAssertTrue($0 is ModelLoadError, bad) }
        }
    }
}
