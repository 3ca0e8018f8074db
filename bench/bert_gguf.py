"""Writes a BERT-family safetensors model (config.json + model.safetensors, e.g. MiniLM) as one
GGUF file with llama.cpp's LLM_ARCH_BERT tensor names and `bert.*` keys, as
Tests/HeedIntegrationTests/MiniLMGGUFTests.swift writes its twin, with the `gguf` package's own
GGUFWriter and quantiser (gguf.quants.quantize: ggml's quantize_row_q8_0_ref):

  q8_0  2-D tensors whose rows are whole 32-element blocks as Q8_0, other 2-D tensors F16,
        1-D tensors F32 (what `heed bench memory` measures as a quantised model)
  f16   2-D tensors F16, 1-D F32
  f32   everything F32

tokenizer.json is copied beside the file (a GGUF without tokenizer.ggml.* keys takes the
tokenizer.json in its folder). Not a fixture generator: nothing it writes is committed.

usage: python bench/bert_gguf.py MODEL_DIR OUT_DIR [q8_0|f16|f32]
prints the path of the file written.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import gguf
import numpy as np
from safetensors.numpy import load_file

# transformers' BERT names (encoder.layer.N...) -> llama.cpp's (HeedModels/EncoderWeightNames.swift).
EMBEDDINGS = {
    "embeddings.word_embeddings.weight": "token_embd.weight",
    "embeddings.position_embeddings.weight": "position_embd.weight",
    "embeddings.token_type_embeddings.weight": "token_types.weight",
    "embeddings.LayerNorm.weight": "token_embd_norm.weight",
    "embeddings.LayerNorm.bias": "token_embd_norm.bias",
}
LAYER = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}


def gguf_name(name: str) -> str | None:
    for prefix in ("bert.", "roberta.", "electra.", ""):
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix):]
        if rest in EMBEDDINGS:
            return EMBEDDINGS[rest]
        if rest.startswith("encoder.layer."):
            layer, _, module = rest[len("encoder.layer."):].partition(".")
            module, _, kind = module.rpartition(".")
            if module in LAYER:
                return f"blk.{layer}.{LAYER[module]}.{kind}"
    return None


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    storage = sys.argv[3] if len(sys.argv) == 4 else "q8_0"
    if storage not in ("q8_0", "f16", "f32"):
        sys.exit(f"storage must be q8_0, f16 or f32, not {storage!r}")
    config = json.loads((source / "config.json").read_text())
    tensors = load_file(str(source / "model.safetensors"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"model-{storage}.gguf"
    writer = gguf.GGUFWriter(str(path), "bert")
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_layer_norm_eps(config.get("layer_norm_eps", 1e-12))
    writer.add_pad_token_id(config.get("pad_token_id", 0))
    written = 0
    for name in sorted(tensors):
        target = gguf_name(name)
        if target is None:
            continue
        data = tensors[name].astype(np.float32)
        if storage == "q8_0" and data.ndim == 2 and data.shape[1] % 32 == 0:
            writer.add_tensor(target, gguf.quants.quantize(data, gguf.GGMLQuantizationType.Q8_0),
                              raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        elif storage != "f32" and data.ndim == 2:
            writer.add_tensor(target, data.astype(np.float16))
        else:
            writer.add_tensor(target, data)
        written += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    shutil.copyfile(source / "tokenizer.json", out / "tokenizer.json")
    print(path)
    print(f"{written} tensors", file=sys.stderr)


if __name__ == "__main__":
    main()
