#!/usr/bin/env python3
"""Golden fixtures for the Marian encoder-decoder (issue 14) from PyTorch + transformers 5.23.0.

    /tmp/perf-venv/bin/python Tests/Fixtures/generate_marian_fixtures.py

Run after Tests/Fixtures/sentencepiece/generate_sentencepiece_fixtures.py (its models and
vocabulary are this model's tokenizer). Writes Tests/Fixtures/models/tiny-marian/:

    config.json, model.safetensors   a random tiny MarianMTModel (save_pretrained): d_model 32,
                                     2 encoder + 2 decoder layers, 4 heads, ffn 64, swish,
                                     scale_embedding, shared embeddings tied to lm_head, a random
                                     final_logits_bias; pad 1131 (= decoder_start_token_id), eos 0
    source.spm, target.spm, vocab.json
                                     symlinks to ../../sentencepiece/{unigram.model, bpe.model,
                                     marian-vocab.json} (MarianTokenizer's files)
    expected.safetensors, manifest.json
                                     per case (a source and a target sentence): the source ids
                                     (tok(source)), the target ids (tok(text_target=target)), the
                                     decoder input ids (shift_tokens_right: decoder_start_token_id,
                                     then the target without its last id) and, from
                                     model(input_ids, decoder_input_ids, output_attentions,
                                     output_hidden_states): {case}.enc.hidden.{0..L}, .dec.hidden.{0..L},
                                     .enc.attn.{l} (NH,S,S), .dec.self.{l} (NH,T,T), .dec.cross.{l}
                                     (NH,T,S), .logits.rows (the rows `logit_rows` of (T,V): first, middle, last); the cross-attention taps of every decoder
                                     layer: .cross.{l}.x (T,C, the block input), .v (S,C, v_proj of the
                                     encoder output), .y (T,C, x + attention output), .ln (T,C)

float32, CPU, eval mode, eager attention, one thread, fixed seed; the script refuses to run when
the installed packages differ from Tests/Fixtures/requirements.txt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent
OUT = FIXTURES / "models" / "tiny-marian"
SP = FIXTURES / "sentencepiece"
SEED = 20261130

from fixture_common import check_versions, write_json  # noqa: E402

VERSIONS = check_versions()

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import MarianConfig, MarianMTModel, MarianTokenizer  # noqa: E402
from transformers.models.marian.modeling_marian import shift_tokens_right  # noqa: E402

CASES = [
    ("short", "The quick brown fox jumps over the lazy dog.", "Der schnelle braune Fuchs springt."),
    ("long", "It was the best of times, it was the worst of times, it was the age of wisdom.",
     "Es war die beste der Zeiten, es war die schlimmste der Zeiten."),
    ("one", "Hello", "Hallo"),
]


def link(name: str, target: str) -> None:
    path = OUT / name
    if path.is_symlink() or path.exists():
        path.unlink()
    os.symlink(target, path)


def main() -> None:
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    link("source.spm", "../../sentencepiece/unigram.model")
    link("target.spm", "../../sentencepiece/bpe.model")
    link("vocab.json", "../../sentencepiece/marian-vocab.json")
    tok = MarianTokenizer(vocab=str(OUT / "vocab.json"), source_spm=str(OUT / "source.spm"),
                          target_spm=str(OUT / "target.spm"), source_lang="en", target_lang="de")
    V = len(tok.encoder)
    pad = tok.pad_token_id
    config = MarianConfig(
        vocab_size=V, decoder_vocab_size=V, d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
        activation_function="swish", max_position_embeddings=64, scale_embedding=True,
        share_encoder_decoder_embeddings=True, tie_word_embeddings=True, pad_token_id=pad,
        decoder_start_token_id=pad, eos_token_id=tok.eos_token_id, forced_eos_token_id=tok.eos_token_id,
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
    )
    model = MarianMTModel(config).eval()
    model.config._attn_implementation = "eager"
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2 and "embed" not in name and "shared" not in name:
                p.normal_(0, 1.2 / p.shape[1] ** 0.5)
            elif "layer_norm" in name and name.endswith("weight"):
                p.uniform_(0.5, 1.5)
            elif name.endswith("bias"):
                p.normal_(0, 0.1)
            elif "shared" in name:
                p.normal_(0, 1.0 / config.d_model ** 0.5)
        model.final_logits_bias.normal_(0, 0.5)
    model.save_pretrained(str(OUT), safe_serialization=True)
    for extra in ["generation_config.json"]:
        if (OUT / extra).exists():
            (OUT / extra).unlink()
    model = MarianMTModel.from_pretrained(str(OUT), attn_implementation="eager").eval()

    tensors: dict[str, torch.Tensor] = {}
    cases = []
    for name, source, target in CASES:
        src = tok(source)["input_ids"]
        tgt = tok(text_target=target)["input_ids"]
        labels = torch.tensor([tgt])
        dec_in = shift_tokens_right(labels, pad, config.decoder_start_token_id)
        captured: dict[str, torch.Tensor] = {}
        hooks = []
        for l, layer in enumerate(model.model.decoder.layers):
            attn = layer.encoder_attn
            hooks.append(attn.register_forward_hook(
                lambda m, a, kw, out, l=l: captured.__setitem__(f"x{l}", kw["hidden_states"] if "hidden_states" in kw else a[0]),
                with_kwargs=True))
            hooks.append(attn.v_proj.register_forward_hook(lambda m, a, out, l=l: captured.__setitem__(f"v{l}", out)))
            hooks.append(layer.encoder_attn_layer_norm.register_forward_hook(
                lambda m, a, out, l=l: captured.update({f"y{l}": a[0], f"ln{l}": out})))
        with torch.no_grad():
            out = model(input_ids=torch.tensor([src]), decoder_input_ids=dec_in, output_attentions=True,
                        output_hidden_states=True, use_cache=False)
        for h in hooks:
            h.remove()
        for l, h in enumerate(out.encoder_hidden_states):
            tensors[f"{name}.enc.hidden.{l}"] = h[0]
        for l, h in enumerate(out.decoder_hidden_states):
            tensors[f"{name}.dec.hidden.{l}"] = h[0]
        for l, a in enumerate(out.encoder_attentions):
            tensors[f"{name}.enc.attn.{l}"] = a[0]
        for l, a in enumerate(out.decoder_attentions):
            tensors[f"{name}.dec.self.{l}"] = a[0]
        for l, a in enumerate(out.cross_attentions):
            tensors[f"{name}.dec.cross.{l}"] = a[0]
        T = out.logits.shape[1]
        rows = sorted({0, T // 2, T - 1})
        tensors[f"{name}.logits.rows"] = out.logits[0, rows]
        for l in range(config.decoder_layers):
            tensors[f"{name}.cross.{l}.x"] = captured[f"x{l}"][0]
            tensors[f"{name}.cross.{l}.v"] = captured[f"v{l}"][0]
            tensors[f"{name}.cross.{l}.y"] = captured[f"y{l}"][0]
            tensors[f"{name}.cross.{l}.ln"] = captured[f"ln{l}"][0]
        cases.append({"name": name, "source": source, "target": target, "source_ids": src, "target_ids": tgt,
                      "decoder_input_ids": dec_in[0].tolist(), "logit_rows": rows})
    save_file({k: v.contiguous().float() for k, v in tensors.items()}, str(OUT / "expected.safetensors"))
    write_json(OUT / "manifest.json", {
        "format": 1, "seed": SEED, "versions": VERSIONS, "vocab": V, "hidden": config.d_model,
        "heads": config.encoder_attention_heads, "encoder_layers": config.encoder_layers,
        "decoder_layers": config.decoder_layers, "pad": pad, "eos": tok.eos_token_id, "cases": cases,
    })
    with open(OUT / "model.safetensors", "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    print("tensors in model.safetensors:", sorted(k for k in header if k != "__metadata__")[:8], "...", len(header) - 1)


if __name__ == "__main__":
    main()
