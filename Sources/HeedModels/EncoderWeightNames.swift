import HeedCheckpoints

// The BERT family's name tables: Heed's roles to the tensor names of the file, per encoder
// family and file format. transformers' names are kept verbatim as it saves them (BertModel,
// DistilBertModel, ElectraModel, RobertaModel, XLMRobertaModel); GGUF's are llama.cpp's for
// LLM_ARCH_BERT (src/llama-arch.cpp, gguf-py constants.py MODEL_TENSORS[MODEL_ARCH.BERT]).
// `{N}` stands for the layer index. Checkpoints of task heads prefix the base model
// (`bert.`, `roberta.`, ...): the prefix is detected once from the word-embedding tensor and
// applied to every name (GGUF files have none).

/// Roles of the tensors an encoder layer or the embeddings need.
enum EncoderTensor: CaseIterable {
    case wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings, embeddingsLNWeight, embeddingsLNBias
    case embeddingsProjectWeight, embeddingsProjectBias                        // ELECTRA, when E != C
    case queryWeight, queryBias, keyWeight, keyBias, valueWeight, valueBias
    case attnOutWeight, attnOutBias, attnLNWeight, attnLNBias
    case ffnInWeight, ffnInBias, ffnOutWeight, ffnOutBias, outLNWeight, outLNBias

    /// The per-layer biases: each is optional, but present in every layer or in none.
    static let layerBiases: [EncoderTensor] = [.queryBias, .keyBias, .valueBias, .attnOutBias, .attnLNBias,
                                               .ffnInBias, .ffnOutBias, .outLNBias]
}

/// One name table: a family's tensor names in one file format.
struct EncoderWeightNames {
    let family: ModelConfig.Family
    let table: [EncoderTensor: String]
    /// Prefixes a file may put before the base model's names, tried in order.
    let prefixes: [String]

    /// transformers' names for `family` (safetensors checkpoints).
    init(family: ModelConfig.Family) {
        self.family = family
        self.table = family == .distilbert ? Self.distilbert : Self.bertLike
        self.prefixes = Self.transformersPrefixes
    }

    /// llama.cpp's names (GGUF files; llama.cpp writes every BERT-like encoder as "bert").
    init(ggufFamily family: ModelConfig.Family) {
        self.family = family
        self.table = Self.gguf
        self.prefixes = [""]
    }

    /// The name for `role` (layer index substituted for `N`), without a base-model prefix.
    func name(_ role: EncoderTensor, layer: Int = 0) -> String {
        table[role]!.replacingOccurrences(of: "{N}", with: String(layer))
    }

    /// Prefixes task-head checkpoints put before the base model's names.
    static let transformersPrefixes = ["", "bert.", "distilbert.", "electra.", "roberta.", "model."]

    // llama.cpp LLM_ARCH_BERT (ELECTRA's embedding projection has no GGUF name).
    static let gguf: [EncoderTensor: String] = [
        .wordEmbeddings: "token_embd.weight",
        .positionEmbeddings: "position_embd.weight",
        .tokenTypeEmbeddings: "token_types.weight",
        .embeddingsLNWeight: "token_embd_norm.weight",
        .embeddingsLNBias: "token_embd_norm.bias",
        .embeddingsProjectWeight: "",
        .embeddingsProjectBias: "",
        .queryWeight: "blk.{N}.attn_q.weight",
        .queryBias: "blk.{N}.attn_q.bias",
        .keyWeight: "blk.{N}.attn_k.weight",
        .keyBias: "blk.{N}.attn_k.bias",
        .valueWeight: "blk.{N}.attn_v.weight",
        .valueBias: "blk.{N}.attn_v.bias",
        .attnOutWeight: "blk.{N}.attn_output.weight",
        .attnOutBias: "blk.{N}.attn_output.bias",
        .attnLNWeight: "blk.{N}.attn_output_norm.weight",
        .attnLNBias: "blk.{N}.attn_output_norm.bias",
        .ffnInWeight: "blk.{N}.ffn_up.weight",
        .ffnInBias: "blk.{N}.ffn_up.bias",
        .ffnOutWeight: "blk.{N}.ffn_down.weight",
        .ffnOutBias: "blk.{N}.ffn_down.bias",
        .outLNWeight: "blk.{N}.layer_output_norm.weight",
        .outLNBias: "blk.{N}.layer_output_norm.bias",
    ]

    // transformers/models/bert/modeling_bert.py (ELECTRA, RoBERTa, XLM-R use the same names)
    static let bertLike: [EncoderTensor: String] = [
        .wordEmbeddings: "embeddings.word_embeddings.weight",
        .positionEmbeddings: "embeddings.position_embeddings.weight",
        .tokenTypeEmbeddings: "embeddings.token_type_embeddings.weight",
        .embeddingsLNWeight: "embeddings.LayerNorm.weight",
        .embeddingsLNBias: "embeddings.LayerNorm.bias",
        .embeddingsProjectWeight: "embeddings_project.weight",
        .embeddingsProjectBias: "embeddings_project.bias",
        .queryWeight: "encoder.layer.{N}.attention.self.query.weight",
        .queryBias: "encoder.layer.{N}.attention.self.query.bias",
        .keyWeight: "encoder.layer.{N}.attention.self.key.weight",
        .keyBias: "encoder.layer.{N}.attention.self.key.bias",
        .valueWeight: "encoder.layer.{N}.attention.self.value.weight",
        .valueBias: "encoder.layer.{N}.attention.self.value.bias",
        .attnOutWeight: "encoder.layer.{N}.attention.output.dense.weight",
        .attnOutBias: "encoder.layer.{N}.attention.output.dense.bias",
        .attnLNWeight: "encoder.layer.{N}.attention.output.LayerNorm.weight",
        .attnLNBias: "encoder.layer.{N}.attention.output.LayerNorm.bias",
        .ffnInWeight: "encoder.layer.{N}.intermediate.dense.weight",
        .ffnInBias: "encoder.layer.{N}.intermediate.dense.bias",
        .ffnOutWeight: "encoder.layer.{N}.output.dense.weight",
        .ffnOutBias: "encoder.layer.{N}.output.dense.bias",
        .outLNWeight: "encoder.layer.{N}.output.LayerNorm.weight",
        .outLNBias: "encoder.layer.{N}.output.LayerNorm.bias",
    ]

    // transformers/models/distilbert/modeling_distilbert.py
    static let distilbert: [EncoderTensor: String] = [
        .wordEmbeddings: "embeddings.word_embeddings.weight",
        .positionEmbeddings: "embeddings.position_embeddings.weight",
        .tokenTypeEmbeddings: "",
        .embeddingsLNWeight: "embeddings.LayerNorm.weight",
        .embeddingsLNBias: "embeddings.LayerNorm.bias",
        .embeddingsProjectWeight: "",
        .embeddingsProjectBias: "",
        .queryWeight: "transformer.layer.{N}.attention.q_lin.weight",
        .queryBias: "transformer.layer.{N}.attention.q_lin.bias",
        .keyWeight: "transformer.layer.{N}.attention.k_lin.weight",
        .keyBias: "transformer.layer.{N}.attention.k_lin.bias",
        .valueWeight: "transformer.layer.{N}.attention.v_lin.weight",
        .valueBias: "transformer.layer.{N}.attention.v_lin.bias",
        .attnOutWeight: "transformer.layer.{N}.attention.out_lin.weight",
        .attnOutBias: "transformer.layer.{N}.attention.out_lin.bias",
        .attnLNWeight: "transformer.layer.{N}.sa_layer_norm.weight",
        .attnLNBias: "transformer.layer.{N}.sa_layer_norm.bias",
        .ffnInWeight: "transformer.layer.{N}.ffn.lin1.weight",
        .ffnInBias: "transformer.layer.{N}.ffn.lin1.bias",
        .ffnOutWeight: "transformer.layer.{N}.ffn.lin2.weight",
        .ffnOutBias: "transformer.layer.{N}.ffn.lin2.bias",
        .outLNWeight: "transformer.layer.{N}.output_layer_norm.weight",
        .outLNBias: "transformer.layer.{N}.output_layer_norm.bias",
    ]
}
