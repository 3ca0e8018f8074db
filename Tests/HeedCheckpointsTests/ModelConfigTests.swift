// config.json parsing for every supported family, with transformers' key names and defaults.

import XCTest
@testable import HeedCheckpoints

final class ModelConfigTests: XCTestCase {
    private func parse(_ json: String) throws -> ModelConfig {
        try ModelConfig(json: Data(json.utf8), file: "config.json")
    }

    private func assertRejected(_ json: String, _ fragments: [String], line: UInt = #line) {
        do {
            _ = try parse(json)
            XCTFail("accepted \(json)", line: line)
        } catch let error as CheckpointError {
            XCTAssertEqual(error.file, "config.json", line: line)
            for fragment in fragments {
                XCTAssertTrue(error.problem.contains(fragment), "'\(error.problem)' lacks '\(fragment)'", line: line)
            }
        } catch {
            XCTFail("unexpected \(error)", line: line)
        }
    }

    /// all-MiniLM-L6-v2's config.json.
    func testBert() throws {
        let config = try parse("""
        {"_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["BertModel"],
         "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": false, "hidden_act": "gelu",
         "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02, "intermediate_size": 1536,
         "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert", "num_attention_heads": 12,
         "num_hidden_layers": 6, "pad_token_id": 0, "position_embedding_type": "absolute",
         "transformers_version": "4.8.2", "type_vocab_size": 2, "use_cache": true, "vocab_size": 30522}
        """)
        XCTAssertEqual(config, ModelConfig.testValue(
            family: .bert, vocabSize: 30522, hiddenSize: 384, numLayers: 6, numHeads: 12, intermediateSize: 1536,
            maxPositionEmbeddings: 512, typeVocabSize: 2, embeddingSize: 384, layerNormEps: 1e-12, hiddenAct: "gelu",
            padTokenId: 0, positionOffset: 0))
        XCTAssertEqual(config.maxTokens, 512)
        XCTAssertEqual(config.headSize, 32)
    }

    func testBertDefaults() throws {
        let config = try parse(#"{"model_type": "bert"}"#)
        XCTAssertEqual(config.vocabSize, 30522)
        XCTAssertEqual(config.hiddenSize, 768)
        XCTAssertEqual(config.numLayers, 12)
        XCTAssertEqual(config.numHeads, 12)
        XCTAssertEqual(config.intermediateSize, 3072)
        XCTAssertEqual(config.maxPositionEmbeddings, 512)
        XCTAssertEqual(config.typeVocabSize, 2)
        XCTAssertEqual(config.layerNormEps, 1e-12)
        XCTAssertEqual(config.hiddenAct, "gelu")
        XCTAssertEqual(config.padTokenId, 0)
        XCTAssertEqual(config.embeddingSize, 768)
    }

    /// distilbert-base-uncased's config.json: its own key names, no token types, fixed eps.
    func testDistilBert() throws {
        let config = try parse("""
        {"activation": "gelu", "architectures": ["DistilBertForMaskedLM"], "attention_dropout": 0.1, "dim": 768,
         "dropout": 0.1, "hidden_dim": 3072, "initializer_range": 0.02, "max_position_embeddings": 512,
         "model_type": "distilbert", "n_heads": 12, "n_layers": 6, "pad_token_id": 0, "qa_dropout": 0.1,
         "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": false, "tie_weights_": true, "vocab_size": 30522,
         "layer_norm_eps": 1e-5}
        """)
        XCTAssertEqual(config, ModelConfig.testValue(
            family: .distilbert, vocabSize: 30522, hiddenSize: 768, numLayers: 6, numHeads: 12, intermediateSize: 3072,
            maxPositionEmbeddings: 512, typeVocabSize: 0, embeddingSize: 768, layerNormEps: 1e-12, hiddenAct: "gelu",
            padTokenId: 0, positionOffset: 0))
        let small = try parse(#"{"model_type": "distilbert", "dim": 64, "n_heads": 4, "n_layers": 2, "hidden_dim": 37, "activation": "relu", "sinusoidal_pos_embds": true}"#)
        XCTAssertEqual(small.hiddenSize, 64)
        XCTAssertEqual(small.numHeads, 4)
        XCTAssertEqual(small.numLayers, 2)
        XCTAssertEqual(small.intermediateSize, 37)
        XCTAssertEqual(small.hiddenAct, "relu")
        // The attribute_map names work too.
        let mapped = try parse(#"{"model_type": "distilbert", "hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 1}"#)
        XCTAssertEqual([mapped.hiddenSize, mapped.numHeads, mapped.numLayers], [32, 2, 1])
    }

    /// google/electra-small-discriminator's config.json.
    func testElectra() throws {
        let config = try parse("""
        {"architectures": ["ElectraForPreTraining"], "attention_probs_dropout_prob": 0.1, "embedding_size": 128,
         "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 256, "initializer_range": 0.02,
         "intermediate_size": 1024, "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "electra",
         "num_attention_heads": 4, "num_hidden_layers": 12, "pad_token_id": 0, "type_vocab_size": 2, "vocab_size": 30522}
        """)
        XCTAssertEqual(config, ModelConfig.testValue(
            family: .electra, vocabSize: 30522, hiddenSize: 256, numLayers: 12, numHeads: 4, intermediateSize: 1024,
            maxPositionEmbeddings: 512, typeVocabSize: 2, embeddingSize: 128, layerNormEps: 1e-12, hiddenAct: "gelu",
            padTokenId: 0, positionOffset: 0))
        let defaults = try parse(#"{"model_type": "electra"}"#)
        XCTAssertEqual([defaults.embeddingSize, defaults.hiddenSize, defaults.numHeads, defaults.intermediateSize], [128, 256, 4, 1024])
    }

    /// roberta-base's config.json: positions start at pad_token_id + 1, so 514 - 2 = 512 tokens.
    func testRoberta() throws {
        let config = try parse("""
        {"architectures": ["RobertaForMaskedLM"], "attention_probs_dropout_prob": 0.1, "bos_token_id": 0,
         "eos_token_id": 2, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768,
         "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-05, "max_position_embeddings": 514,
         "model_type": "roberta", "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 1,
         "type_vocab_size": 1, "vocab_size": 50265}
        """)
        XCTAssertEqual(config, ModelConfig.testValue(
            family: .roberta, vocabSize: 50265, hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072,
            maxPositionEmbeddings: 514, typeVocabSize: 1, embeddingSize: 768, layerNormEps: 1e-5, hiddenAct: "gelu",
            padTokenId: 1, positionOffset: 2))
        XCTAssertEqual(config.maxTokens, 512)
        XCTAssertEqual(try parse(#"{"model_type": "roberta"}"#).vocabSize, 50265)
        XCTAssertEqual(try parse(#"{"model_type": "roberta"}"#).positionOffset, 2)
    }

    /// xlm-roberta-base's config.json.
    func testXLMRoberta() throws {
        let config = try parse("""
        {"architectures": ["XLMRobertaForMaskedLM"], "attention_probs_dropout_prob": 0.1, "bos_token_id": 0,
         "eos_token_id": 2, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768,
         "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-05, "max_position_embeddings": 514,
         "model_type": "xlm-roberta", "num_attention_heads": 12, "num_hidden_layers": 12, "output_past": true,
         "pad_token_id": 1, "position_embedding_type": "absolute", "type_vocab_size": 1, "vocab_size": 250002}
        """)
        XCTAssertEqual(config.family, .xlmRoberta)
        XCTAssertEqual(config.family.rawValue, "xlm-roberta")
        XCTAssertEqual(config.vocabSize, 250002)
        XCTAssertEqual(config.positionOffset, 2)
        XCTAssertEqual(config.maxTokens, 512)
        XCTAssertEqual(config.layerNormEps, 1e-5)
        let otherPad = try parse(#"{"model_type": "xlm-roberta", "pad_token_id": 3, "max_position_embeddings": 20}"#)
        XCTAssertEqual(otherPad.positionOffset, 4)
        XCTAssertEqual(otherPad.maxTokens, 16)
    }

    func testUnknownOrMissingModelType() {
        assertRejected(#"{"model_type": "llama"}"#, ["'llama'", "bert", "distilbert", "electra", "roberta", "xlm-roberta"])
        assertRejected(#"{"hidden_size": 8}"#, ["no model_type", "xlm-roberta"])
    }

    func testRelativePositionsAreRejected() {
        assertRejected(#"{"model_type": "bert", "position_embedding_type": "relative_key"}"#, ["position_embedding_type", "relative_key"])
    }

    func testHiddenSizeMustDivideByHeads() {
        assertRejected(#"{"model_type": "bert", "hidden_size": 100, "num_attention_heads": 12}"#, ["100", "12", "multiple"])
        assertRejected(#"{"model_type": "distilbert", "dim": 100, "n_heads": 3}"#, ["100", "3", "multiple"])
    }

    func testWrongValueTypes() {
        assertRejected(#"{"model_type": "bert", "hidden_size": 384.5}"#, ["hidden_size", "384.5", "integer"])
        assertRejected(#"{"model_type": "bert", "hidden_size": true}"#, ["hidden_size", "true", "integer"])
        assertRejected(#"{"model_type": "bert", "num_hidden_layers": "6"}"#, ["num_hidden_layers", "\"6\"", "integer"])
        assertRejected(#"{"model_type": "bert", "hidden_act": 3}"#, ["hidden_act", "string"])
        assertRejected(#"{"model_type": "bert", "layer_norm_eps": "small"}"#, ["layer_norm_eps", "number"])
        assertRejected(#"{"model_type": 7}"#, ["model_type", "string"])
    }

    func testImpossibleValues() {
        assertRejected(#"{"model_type": "bert", "num_hidden_layers": 0}"#, ["layer count", "positive"])
        assertRejected(#"{"model_type": "bert", "layer_norm_eps": 0}"#, ["layer_norm_eps"])
        assertRejected(#"{"model_type": "bert", "type_vocab_size": -1}"#, ["type_vocab_size"])
        assertRejected(#"{"model_type": "bert", "pad_token_id": 40000}"#, ["pad_token_id 40000", "30522"])
        assertRejected(#"{"model_type": "roberta", "max_position_embeddings": 2}"#, ["no usable position"])
        assertRejected(#"{"model_type": "roberta", "pad_token_id": null}"#, ["pad_token_id is null"])
        assertRejected(#"{"model_type": "bert", "is_decoder": true}"#, ["is_decoder"])
    }

    func testNullPadForBertLikeIsZero() throws {
        XCTAssertEqual(try parse(#"{"model_type": "bert", "pad_token_id": null}"#).padTokenId, 0)
    }

    func testNotJSONOrNotObject() {
        assertRejected("{", ["not valid JSON"])
        assertRejected("[]", ["not a JSON object"])
    }

    func testLoadFromFile() throws {
        let temp = try TemporaryDirectory()
        let url = try temp.write("config.json", text: #"{"model_type": "roberta", "hidden_size": 64, "num_attention_heads": 4}"#)
        let config = try ModelConfig.load(from: url)
        XCTAssertEqual(config.headSize, 16)
        let missing = temp.file("absent.json")
        assertCheckpointError(missing, ["cannot read"]) { _ = try ModelConfig.load(from: missing) }
        let broken = try temp.write("broken.json", text: #"{"model_type": "gpt2"}"#)
        assertCheckpointError(broken, ["'gpt2'"]) { _ = try ModelConfig.load(from: broken) }
    }
}

extension ModelConfig {
    /// A config built from a full JSON object, so tests can state every field explicitly.
    static func testValue(family: Family, vocabSize: Int, hiddenSize: Int, numLayers: Int, numHeads: Int,
                          intermediateSize: Int, maxPositionEmbeddings: Int, typeVocabSize: Int, embeddingSize: Int,
                          layerNormEps: Float, hiddenAct: String, padTokenId: Int, positionOffset: Int) -> ModelConfig {
        var config = try! ModelConfig(json: Data(#"{"model_type": "bert"}"#.utf8), file: "test")
        config.family = family
        config.vocabSize = vocabSize
        config.hiddenSize = hiddenSize
        config.numLayers = numLayers
        config.numHeads = numHeads
        config.intermediateSize = intermediateSize
        config.maxPositionEmbeddings = maxPositionEmbeddings
        config.typeVocabSize = typeVocabSize
        config.embeddingSize = embeddingSize
        config.layerNormEps = layerNormEps
        config.hiddenAct = hiddenAct
        config.padTokenId = padTokenId
        config.positionOffset = positionOffset
        return config
    }
}
