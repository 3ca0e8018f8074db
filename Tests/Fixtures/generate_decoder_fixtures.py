#!/usr/bin/env python3
"""Generate Heed's golden fixtures for the Llama-family decoders (issue 12) from PyTorch + transformers.

Run from anywhere, with the pinned virtual environment:

    python3 Tests/Fixtures/generate_decoder_fixtures.py [--model NAME ...] [--verify-only]

Writes under Tests/Fixtures/models/ (format: Tests/Fixtures/README.md, "Decoder fixtures"):

    tiny-<family>/config.json, model.safetensors   random tiny decoders (save_pretrained), family
                                                   llama (llama3 rope scaling), mistral (sliding
                                                   window), qwen2 (q/k/v biases, tied embeddings)
    tiny-<family>/tokenizer.json                   symlink to a tokenizer fixture (its vocabulary)
    tiny-<family>/expected.safetensors, manifest.json
    tiny-<family>-gguf/tiny-<family>.gguf           the same weights as llama.cpp's convert_hf_to_gguf.py
                                                   writes them (all F32), tokenizer.json symlink
    tiny-<family>-gguf/expected.safetensors, manifest.json
                                                   what a GGUF reader following llama.cpp computes
                                                   (last-position logits per case)
    decoder-versions.json                          package versions used

Reference settings: float32, CPU, eval mode, eager attention, one thread, fixed seeds, one
unpadded sequence. After writing, every model is reloaded from disk and compared with the
stored tensors, every GGUF is read back (gguf.GGUFReader) and loaded by transformers
(`from_pretrained(dir, gguf_file=...)`), and the loaded weights and logits are compared with
the safetensors model. The script refuses to run when the installed package versions differ
from Tests/Fixtures/requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parent
MODELS_DIR = FIXTURES_DIR / "models"
TOKENIZER_DIR = FIXTURES_DIR / "tokenizer"

FORMAT_VERSION = 1
SEED = 20261129
FULL_LIMIT = 129  # cases with T <= FULL_LIMIT store full tensors; longer ones rows + sums
FULL_LOGITS_LIMIT = 33  # cases with T <= this store all T rows of logits; every case has logits.last
TAP_CASE = "T7"
TOP_K = 5
VERIFY_TOLERANCE = 1e-5

from fixture_common import check_versions, read_safetensors, write_json  # noqa: E402

if __name__ == "__main__":
    PACKAGE_VERSIONS = check_versions()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from torch import nn  # noqa: E402
from transformers import AutoModelForCausalLM, LlamaConfig, MistralConfig, Qwen2Config  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402


# ---------------------------------------------------------------------------------------------
# Models

# Natural English text; every case takes the first T ids of its encoding (BOS included when the
# tokenizer's post-processor adds one). Long enough for 512 ids with every fixture tokenizer.
SOURCE_TEXT = (
    "The river town woke slowly on winter mornings. Before the sun cleared the eastern hills, "
    "the baker had already lit his ovens, and the smell of fresh bread drifted down the narrow "
    "streets toward the harbour. Fishermen checked their nets in silence, while gulls argued "
    "over scraps on the stone pier. Nobody hurried; the tide would turn when it wanted to. "
    "At the school on the hill, the teacher wrote a single question on the blackboard: why do "
    "rivers always find the sea? The children offered many answers. One said that water likes "
    "to travel, another that the sea is lonely, and a third, more practical, said that water "
    "simply runs downhill until it cannot run any further. The teacher smiled and told them "
    "that all three answers were worth keeping, because each one described the same journey "
    "from a different point of view. "
    "In the afternoon, the market square filled with traders from the valley. They sold apples, "
    "cheese, wool, copper pots, and old books with cracked leather spines. A young woman played "
    "the violin near the fountain, and a small crowd gathered to listen. Her music was neither "
    "sad nor cheerful; it sounded like rain on a roof, steady and patient. When she finished, "
    "the listeners dropped coins into her open case and went back to their bargaining, a little "
    "quieter than before. "
    "Engineers from the capital had arrived that week to study the old bridge. It had stood for "
    "three hundred years, but the spring floods were growing stronger, and the mayor worried "
    "that the arches would not survive another season. The engineers measured every stone, "
    "tested the mortar, and drew careful diagrams late into the night. Their report, delivered "
    "on Friday, was cautious: the bridge was sound, but the riverbed beneath it was shifting, "
    "and within a decade the foundations would need to be reinforced. "
    "The townspeople debated the report for weeks. Some wanted to build a new bridge of steel "
    "and concrete, wide enough for trucks and buses. Others insisted that the old bridge was "
    "the heart of the town and must be saved at any cost. The baker, who rarely spoke at "
    "meetings, finally stood up and said that a bridge is only a way of keeping a promise "
    "between two banks of a river, and that the promise mattered more than the stones. "
    "Everyone was quiet for a moment, and then the discussion continued, calmer and kinder."
)

LLAMA3_ROPE = {
    "rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
    "high_freq_factor": 4.0, "original_max_position_embeddings": 64,
}
SLIDING_WINDOW = 16

COMMON = dict(
    hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4, head_dim=16,
    hidden_act="silu", max_position_embeddings=600, rms_norm_eps=1e-5, initializer_range=0.02,
    attention_dropout=0.0, use_cache=False,
)


def tokenizer_size(filename: str) -> int:
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(TOKENIZER_DIR / filename)).get_vocab_size(with_added_tokens=True)


# name, family, GGUF architecture, tokenizer fixture, lengths, config, note
TINY_DECODERS = [
    (
        "tiny-llama", "llama", "llama", "llama3-tokenizer.json", [1, 7, 33, 129, 512],
        lambda: LlamaConfig(
            vocab_size=tokenizer_size("llama3-tokenizer.json"), num_key_value_heads=2,
            rope_parameters=dict(LLAMA3_ROPE), tie_word_embeddings=False,
            bos_token_id=2060, eos_token_id=2061, pad_token_id=None, **COMMON,
        ),
        "LlamaForCausalLM, GQA 4/2, llama3 rope scaling (factor 8, low 1, high 4, original 64: "
        "the 8 frequencies of head_dim 16 fall in all three bands), separate lm_head; "
        "vocabulary of tokenizer/llama3-tokenizer.json (BOS added)",
    ),
    (
        "tiny-mistral", "mistral", "llama", "llama2-tokenizer.json", [1, 7, 33, 512],
        lambda: MistralConfig(
            vocab_size=tokenizer_size("llama2-tokenizer.json"), num_key_value_heads=1,
            sliding_window=SLIDING_WINDOW, rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
            tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, pad_token_id=None, **COMMON,
        ),
        f"MistralForCausalLM, GQA 4/1, sliding_window {SLIDING_WINDOW} (active from T = {SLIDING_WINDOW + 1}), "
        "separate lm_head; vocabulary of tokenizer/llama2-tokenizer.json (SentencePiece BPE, BOS added)",
    ),
    (
        "tiny-qwen2", "qwen2", "qwen2", "qwen2-tokenizer.json", [1, 7, 33, 512],
        lambda: Qwen2Config(
            vocab_size=tokenizer_size("qwen2-tokenizer.json"), num_key_value_heads=2,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, tie_word_embeddings=True,
            use_sliding_window=False, bos_token_id=None, eos_token_id=2000, pad_token_id=None, **COMMON,
        ),
        "Qwen2ForCausalLM, GQA 4/2, q/k/v biases, rope_theta 1e6, lm_head tied to embed_tokens; "
        "vocabulary of tokenizer/qwen2-tokenizer.json (no BOS)",
    ),
]
NAMES = [entry[0] for entry in TINY_DECODERS]


@torch.no_grad()
def randomise(model: nn.Module, generator: torch.Generator) -> None:
    """Every parameter random at a useful scale: Linear weights std gain / sqrt(fan_in) (gain 1.4
    for q_proj and k_proj, so attention is peaked but not one-hot), biases (Qwen2's q/k/v) std 0.2,
    RMSNorm weights U(0.5, 1.5), embeddings std 1. A tied lm_head is the embedding matrix and is
    left as the embedding's draw."""

    def randn(shape, std):
        return torch.randn(shape, generator=generator, dtype=torch.float32) * std

    tied = bool(getattr(model.config, "tie_word_embeddings", False))
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            if name == "lm_head" and tied:
                continue
            gain = 1.4 if name.rsplit(".", 1)[-1] in ("q_proj", "k_proj") else 1.0
            module.weight.copy_(randn(module.weight.shape, gain / math.sqrt(module.in_features)))
            if module.bias is not None:
                module.bias.copy_(randn(module.bias.shape, 0.2))
        elif type(module).__name__.endswith("RMSNorm"):
            module.weight.copy_(0.5 + torch.rand(module.weight.shape, generator=generator))
        elif isinstance(module, nn.Embedding):
            module.weight.copy_(randn(module.weight.shape, 1.0))


def load_decoder(directory: Path) -> nn.Module:
    return AutoModelForCausalLM.from_pretrained(str(directory), attn_implementation="eager", dtype=torch.float32).eval()


# ---------------------------------------------------------------------------------------------
# Forward pass with taps


@torch.no_grad()
def run(model: nn.Module, ids: list[int], with_taps: bool = True) -> dict:
    """One forward pass. Returns float32 tensors (batch dimension removed):
    residual: L+1 of (T, C), the raw residual stream (0 = embeddings, l+1 = output of layer l);
    final_norm (T, C) = model.norm(residual[L]); attn: L of (NH, T, T); logits (T, V);
    taps per layer: h (T, C) residual entering the layer, x = input_layernorm(h), q/k/v projections
    (incl. biases, before RoPE), attn_out = o_proj output (T, C), y = h + attn_out (T, C)."""
    layers = model.model.layers
    L = len(layers)
    taps: list[dict] = [{} for _ in range(L)]
    outputs: list = [None] * L
    handles = []

    def first_tensor(args, kwargs, key="hidden_states"):
        if args:
            return args[0]
        return kwargs[key]

    for l, layer in enumerate(layers):
        store = taps[l]

        def pre_layer(_m, args, kwargs, store=store):
            store["h"] = first_tensor(args, kwargs)[0].clone()

        def post_layer(_m, _args, _kwargs, out, l=l):
            outputs[l] = (out[0] if isinstance(out, tuple) else out)[0].clone()

        def save(key, store=store):
            return lambda _m, _inp, out: store.__setitem__(key, out[0].clone())

        def pre_post_ln(_m, args, kwargs, store=store):
            store["y"] = first_tensor(args, kwargs)[0].clone()

        handles.append(layer.register_forward_pre_hook(pre_layer, with_kwargs=True))
        handles.append(layer.register_forward_hook(post_layer, with_kwargs=True))
        handles.append(layer.input_layernorm.register_forward_hook(save("x")))
        for proj in ("q_proj", "k_proj", "v_proj", "o_proj"):
            key = "attn_out" if proj == "o_proj" else proj[0]
            handles.append(getattr(layer.self_attn, proj).register_forward_hook(save(key)))
        handles.append(layer.post_attention_layernorm.register_forward_pre_hook(pre_post_ln, with_kwargs=True))
    final = {}

    def on_norm(_m, inp, out):
        final["in"] = inp[0][0].clone()
        final["out"] = out[0].clone()

    handles.append(model.model.norm.register_forward_hook(on_norm))
    try:
        input_ids = torch.tensor([ids], dtype=torch.long)
        out = model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), output_attentions=True,
                    output_hidden_states=True, return_dict=True, use_cache=False)
    finally:
        for handle in handles:
            handle.remove()
    residual = [taps[0]["h"]] + outputs
    # transformers' hidden_states: L+1 entries, the last one after the final norm.
    hidden = [h[0] for h in out.hidden_states]
    assert len(hidden) == L + 1 and len(out.attentions) == L
    for l in range(L):
        assert torch.equal(hidden[l], residual[l]), f"hidden_states[{l}] is not the residual stream"
        assert torch.equal(taps[l]["h"], residual[l]), f"layer {l} input differs from the previous output"
        # y = h + attn_out in float32: rounding of order ulp(|y|) (SmolLM2's residual reaches hundreds)
        scale = max(1.0, taps[l]["y"].abs().max().item())
        assert (taps[l]["y"] - taps[l]["h"] - taps[l]["attn_out"]).abs().max().item() < 1e-6 * scale
    assert torch.equal(final["in"], residual[L]), "final norm input is not the last layer output"
    assert torch.equal(hidden[L], final["out"]), "hidden_states[L] is not model.norm(last layer output)"
    return {
        "residual": residual,
        "final_norm": final["out"],
        "attn": [a[0].contiguous() for a in out.attentions],
        "logits": out.logits[0].contiguous(),
        "taps": taps if with_taps else None,
    }


def summary_rows(T: int) -> list[int]:
    return sorted({0, min(1, T - 1), T // 2, T - 1})


def case_tensors(name: str, ids: list[int], result: dict, full: bool, full_logits: bool) -> dict[str, torch.Tensor]:
    """The expected.safetensors entries of one case (README.md, "Decoder fixtures")."""
    T = len(ids)
    out: dict[str, torch.Tensor] = {f"{name}.input_ids": torch.tensor(ids, dtype=torch.int64)}
    logits = result["logits"]
    out[f"{name}.logits.last"] = logits[-1]  # (V)
    out[f"{name}.top5"] = torch.topk(logits[-1], TOP_K).indices  # (5) I64, most probable first
    if full:
        for l, h in enumerate(result["residual"]):
            out[f"{name}.residual.{l}"] = h  # (T, C)
        out[f"{name}.final_norm"] = result["final_norm"]  # (T, C)
        for l, a in enumerate(result["attn"]):
            out[f"{name}.attn.{l}"] = a  # (NH, T, T)
        if full_logits:
            out[f"{name}.logits"] = logits  # (T, V)
    else:
        rows = torch.tensor(summary_rows(T), dtype=torch.long)
        for l, h in enumerate(result["residual"]):
            out[f"{name}.residual.{l}.rows"] = h[rows]
            out[f"{name}.residual.{l}.sum"] = h.sum(dim=0)
        out[f"{name}.final_norm.rows"] = result["final_norm"][rows]
        out[f"{name}.final_norm.sum"] = result["final_norm"].sum(dim=0)
        for l, a in enumerate(result["attn"]):
            out[f"{name}.attn.{l}.rows"] = a[:, rows, :]  # (NH, R, T)
            out[f"{name}.attn.{l}.colsum"] = a.sum(dim=1)  # (NH, T)
    if result["taps"] is not None:
        for l, tap in enumerate(result["taps"]):
            for key in ("h", "x", "q", "k", "v", "attn_out", "y"):
                out[f"{name}.tap.{l}.{key}"] = tap[key]
    # clone: safetensors refuses tensors that share memory (logits.last is a row of logits).
    return {k: v.detach().to(torch.float32 if v.is_floating_point() else torch.int64).contiguous().clone()
            for k, v in out.items()}


def save_expected(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    save_file(tensors, str(path), metadata={"format": f"heed-fixture-{FORMAT_VERSION}"})


def text_cases(tokenizer_file: str, lengths: list[int]) -> list[tuple[str, list[int], dict]]:
    """(case name, ids, extra manifest fields): the first T ids of SOURCE_TEXT's encoding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(TOKENIZER_DIR / tokenizer_file))
    encoding = tokenizer.encode(SOURCE_TEXT)
    all_ids = list(encoding.ids)
    assert len(all_ids) >= max(lengths), f"{tokenizer_file}: source text gives only {len(all_ids)} ids"
    bos = all_ids[0] if encoding.special_tokens_mask[0] else None
    cases = []
    for T in lengths:
        ids = all_ids[:T]
        body = ids[1:] if bos is not None else ids
        prefix = tokenizer.decode(body, skip_special_tokens=False)
        roundtrip = list(tokenizer.encode(prefix).ids) == ids
        extra = {
            "text": prefix,
            "tokens": list(encoding.tokens[:T]),
            "bos": bos is not None,
            "text_roundtrip": roundtrip,
        }
        cases.append((f"T{T}", ids, extra))
    return cases


def top_entries(tokenizer_file: str, logits: torch.Tensor) -> list[dict]:
    """The TOP_K most probable next tokens after the last position, most probable first:
    id, token (vocabulary string), decoded (tokenizers' decode([id])), probability (softmax of the
    float32 logits, computed in float64), logit."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(TOKENIZER_DIR / tokenizer_file))
    probs = torch.softmax(logits.double(), dim=-1)
    top = torch.topk(logits, TOP_K)
    return [
        {"id": int(i), "token": tokenizer.id_to_token(int(i)), "decoded": tokenizer.decode([int(i)], skip_special_tokens=False),
         "probability": float(probs[int(i)]), "logit": float(v)}
        for v, i in zip(top.values, top.indices)
    ]


def rope_facts(config) -> dict:
    rope = dict(config.rope_parameters)
    return {"rope_parameters": rope}


def model_facts(model: nn.Module) -> dict:
    cfg = model.config
    return {
        "layers": cfg.num_hidden_layers,
        "heads": cfg.num_attention_heads,
        "kv_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim,
        "hidden": cfg.hidden_size,
        "intermediate": cfg.intermediate_size,
        "vocab": cfg.vocab_size,
        "activation": cfg.hidden_act,
        "rms_norm_eps": cfg.rms_norm_eps,
        "max_position_embeddings": cfg.max_position_embeddings,
        "tie_word_embeddings": bool(cfg.tie_word_embeddings),
        "attention_bias": any(n.endswith("q_proj.bias") for n, _ in model.named_parameters()),
        **rope_facts(cfg),
    }


@torch.no_grad()
def sliding_window_check(model: nn.Module, ids: list[int], window: int) -> dict:
    """Does transformers' eager path apply the window? Which keys does query i see?"""
    result = run(model, ids, with_taps=False)
    T = len(ids)
    visible = [[j for j in range(T) if bool((a[:, i, j] > 0).any()) ] for a in result["attn"][:1] for i in range(T)]
    expected = [list(range(max(0, i - window + 1), i + 1)) for i in range(T)]
    applied = visible == expected
    full = [list(range(i + 1)) for i in range(T)]
    assert applied or visible == full, "visible keys are neither the window nor the causal prefix"
    import copy

    unwindowed = copy.deepcopy(model)
    unwindowed.config.sliding_window = None
    for layer in unwindowed.model.layers:
        if hasattr(layer.self_attn, "sliding_window"):
            layer.self_attn.sliding_window = None
    other = run(unwindowed, ids, with_taps=False)
    difference = (other["logits"][-1] - result["logits"][-1]).abs().max().item()
    return {
        "case": f"T{T}",
        "applied_by_transformers_eager": applied,
        "visible_keys": f"query i sees keys j with i - {window} < j <= i" if applied else "all j <= i",
        "max_last_logit_difference_without_window": difference,
    }


def generate_tiny(index: int, name, family, gguf_arch, tokenizer_file, lengths, make_config, note) -> nn.Module:
    out_dir = MODELS_DIR / name
    out_dir.mkdir(parents=True, exist_ok=True)
    config = make_config()
    torch.manual_seed(SEED + index)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager", dtype=torch.float32)
    generator = torch.Generator().manual_seed(SEED + 100 + index)
    randomise(model, generator)
    model.eval()
    model.save_pretrained(out_dir, safe_serialization=True)
    link = out_dir / "tokenizer.json"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.path.relpath(TOKENIZER_DIR / tokenizer_file, out_dir))

    model = load_decoder(out_dir)  # the reference is the model as read back from disk
    tensors: dict[str, torch.Tensor] = {}
    cases = []
    for case, ids, extra in text_cases(tokenizer_file, lengths):
        T = len(ids)
        full = T <= FULL_LIMIT
        full_logits = T <= FULL_LOGITS_LIMIT
        with_taps = case == TAP_CASE
        result = run(model, ids, with_taps)
        tensors.update(case_tensors(case, ids, result, full, full_logits))
        entry = {"name": case, "T": T, **extra, "input_ids": ids, "storage": "full" if full else "rows"}
        if not full:
            entry["rows"] = summary_rows(T)
        entry["logits"] = "all" if full and full_logits else "last"
        entry["taps"] = with_taps
        entry["top5"] = top_entries(tokenizer_file, result["logits"][-1])
        cases.append(entry)
        if T == 33:
            peak = torch.stack([a.max(dim=-1).values.mean() for a in result["attn"]]).mean().item()
            print(f"  {name}: mean max attention probability at T=33: {peak:.3f}")
    save_expected(out_dir / "expected.safetensors", tensors)
    manifest = {
        "format": FORMAT_VERSION,
        "model": name,
        "family": family,
        "architecture": type(model).__name__,
        "note": note,
        "weights": "model.safetensors",
        "config": "config.json",
        "tokenizer": "tokenizer.json",
        "tokenizer_fixture": f"tokenizer/{tokenizer_file}",
        "expected": "expected.safetensors",
        "gguf": f"../{name}-gguf/{name}.gguf",
        **model_facts(model),
    }
    if family == "mistral":
        manifest["sliding_window"] = model.config.sliding_window
        window_case = next(c for c in cases if c["T"] > SLIDING_WINDOW)
        manifest["sliding_window_check"] = sliding_window_check(model, window_case["input_ids"], SLIDING_WINDOW)
        print(f"  {name}: sliding window {manifest['sliding_window_check']}")
    manifest.update({
        "input_ids_dtype": "I64",
        "float_dtype": "F32",
        "full_limit": FULL_LIMIT,
        "full_logits_limit": FULL_LOGITS_LIMIT,
        "cases": cases,
    })
    write_json(out_dir / "manifest.json", manifest)
    return model


# ---------------------------------------------------------------------------------------------
# GGUF twins, as llama.cpp's convert_hf_to_gguf.py writes them


def permute(weights: np.ndarray, n_head: int, n_head_kv: int | None) -> np.ndarray:
    """llama.cpp convert_hf_to_gguf.py LlamaModel.permute: HF's rotate-half row order of q/k
    (per head: the first HS/2 rows are the real parts, the last HS/2 the imaginary parts) to
    llama.cpp's interleaved pairs (rows 2i, 2i+1 of a head form pair i)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2)
            .reshape(weights.shape))


def llama3_rope_factors(config) -> np.ndarray:
    """convert_hf_to_gguf.py LlamaModel.generate_extra_tensors: per frequency, the divisor llama.cpp
    applies to theta^(-2i/HS) (1 for high frequencies, `factor` for low ones, smoothed between).
    original_max_position_embeddings is taken from the rope parameters (see README)."""
    rope = config.rope_parameters
    base = rope["rope_theta"]
    dim = config.head_dim
    freqs = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    factor = rope["factor"]
    low_freq_factor = rope["low_freq_factor"]
    high_freq_factor = rope["high_freq_factor"]
    old_context_len = rope["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    factors = []
    for freq in freqs:
        wavelen = 2 * math.pi / freq
        if wavelen < high_freq_wavelen:
            factors.append(1)
        elif wavelen > low_freq_wavelen:
            factors.append(factor)
        else:
            smooth = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return torch.tensor(factors, dtype=torch.float32).numpy()


HF_TO_GGUF = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def gguf_tensors(state: dict[str, torch.Tensor], config, gguf_arch: str) -> list[tuple[str, np.ndarray]]:
    """(GGUF name, F32 array in the HF (out, in) layout) in the order they are written."""
    n_head, n_kv = config.num_attention_heads, config.num_key_value_heads
    out: list[tuple[str, np.ndarray]] = []
    if gguf_arch == "llama" and (config.rope_parameters or {}).get("rope_type") == "llama3":
        out.append(("rope_freqs.weight", llama3_rope_factors(config)))
    out.append(("token_embd.weight", state["model.embed_tokens.weight"].numpy()))
    for l in range(config.num_hidden_layers):
        for hf, gg in HF_TO_GGUF.items():
            for kind in ("weight", "bias"):
                key = f"model.layers.{l}.{hf}.{kind}"
                if key not in state:
                    continue
                data = state[key].numpy()
                if gguf_arch == "llama" and hf == "self_attn.q_proj":
                    data = permute(data, n_head, n_head)
                elif gguf_arch == "llama" and hf == "self_attn.k_proj":
                    data = permute(data, n_head, n_kv)
                out.append((f"blk.{l}.{gg}.{kind}", data))
    out.append(("output_norm.weight", state["model.norm.weight"].numpy()))
    if "lm_head.weight" in state:
        out.append(("output.weight", state["lm_head.weight"].numpy()))
    return [(name, np.ascontiguousarray(data, dtype=np.float32)) for name, data in out]


def write_gguf(path: Path, name: str, gguf_arch: str, config, state: dict[str, torch.Tensor]) -> list[dict]:
    """Metadata in convert_hf_to_gguf.py's order: general.name, then TextModel.set_gguf_parameters
    (block_count ... key_length/value_length, file_type), then LlamaModel's vocab_size and
    rope.dimension_count, then general.quantization_version. Returns the metadata list."""
    import gguf

    writer = gguf.GGUFWriter(str(path), gguf_arch)
    meta: list[dict] = []

    def add(key: str, value, call):
        call(value)
        meta.append({"key": key if key.startswith("general.") else f"{gguf_arch}.{key}", "value": value})

    add("general.name", name, writer.add_name)
    add("block_count", config.num_hidden_layers, writer.add_block_count)
    add("context_length", config.max_position_embeddings, writer.add_context_length)
    add("embedding_length", config.hidden_size, writer.add_embedding_length)
    add("feed_forward_length", config.intermediate_size, writer.add_feed_forward_length)
    add("attention.head_count", config.num_attention_heads, writer.add_head_count)
    add("attention.head_count_kv", config.num_key_value_heads, writer.add_head_count_kv)
    add("rope.freq_base", float(config.rope_parameters["rope_theta"]), writer.add_rope_freq_base)
    add("attention.layer_norm_rms_epsilon", float(config.rms_norm_eps), writer.add_layer_norm_rms_eps)
    add("attention.key_length", config.head_dim, writer.add_key_length)
    add("attention.value_length", config.head_dim, writer.add_value_length)
    add("general.file_type", int(gguf.LlamaFileType.ALL_F32), writer.add_file_type)
    add("vocab_size", config.vocab_size, writer.add_vocab_size)
    add("rope.dimension_count", config.head_dim, writer.add_rope_dimension_count)
    add("general.quantization_version", gguf.GGML_QUANT_VERSION, writer.add_quantization_version)
    for tensor_name, data in gguf_tensors(state, config, gguf_arch):
        writer.add_tensor(tensor_name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return meta


def gguf_field(reader, key: str):
    field = reader.fields[key]
    value = field.parts[field.data[0]]
    return value.tobytes().decode("utf-8") if field.types[0].name == "STRING" else value.tolist()[0]


def llama_cpp_attention_layer0(reader, ids: list[int]) -> np.ndarray:
    """Layer 0's attention probabilities (NH, T, T) computed in numpy float64 from the GGUF alone,
    the way llama.cpp does (src/llama-model.cpp, ggml rope): x = RMSNorm(token_embd[ids]) * attn_norm;
    q, k from attn_q, attn_k (+ biases); RoPE with the GGUF's own pair layout: arch llama rotates
    adjacent rows (2i, 2i+1) (LLAMA_ROPE_TYPE_NORM, on the permuted rows), arch qwen2 rows
    (i, i + HS/2) (NEOX, unpermuted); angle p * freq_base^(-2i/n_rot) / rope_freqs[i]; causal
    softmax of q.k / sqrt(HS); query head h reads kv head h // (NH / NKV). No sliding window."""
    arch = gguf_field(reader, "general.architecture")
    tensors = {t.name: np.asarray(t.data, dtype=np.float64) for t in reader.tensors}
    NH = gguf_field(reader, f"{arch}.attention.head_count")
    NKV = gguf_field(reader, f"{arch}.attention.head_count_kv")
    eps = gguf_field(reader, f"{arch}.attention.layer_norm_rms_epsilon")
    base = gguf_field(reader, f"{arch}.rope.freq_base")
    n_rot = gguf_field(reader, f"{arch}.rope.dimension_count")
    e = tensors["token_embd.weight"][ids]  # (T, C)
    x = e / np.sqrt((e * e).mean(axis=-1, keepdims=True) + eps) * tensors["blk.0.attn_norm.weight"]
    q = x @ tensors["blk.0.attn_q.weight"].T + tensors.get("blk.0.attn_q.bias", 0.0)
    k = x @ tensors["blk.0.attn_k.weight"].T + tensors.get("blk.0.attn_k.bias", 0.0)
    T, HS = len(ids), q.shape[1] // NH
    factors = tensors.get("rope_freqs.weight", np.ones(n_rot // 2))
    freqs = base ** (-np.arange(0, n_rot, 2) / n_rot) / factors  # (n_rot/2)
    angle = np.arange(T)[:, None] * freqs[None, :]  # (T, n_rot/2)
    cos, sin = np.cos(angle)[:, None, :], np.sin(angle)[:, None, :]

    def rope(m: np.ndarray, heads: int) -> np.ndarray:
        m = m.reshape(T, heads, HS).copy()
        if arch == "llama":
            a, b = m[..., 0:n_rot:2].copy(), m[..., 1:n_rot:2].copy()
            m[..., 0:n_rot:2], m[..., 1:n_rot:2] = a * cos - b * sin, a * sin + b * cos
        else:
            half = n_rot // 2
            a, b = m[..., :half].copy(), m[..., half:n_rot].copy()
            m[..., :half], m[..., half:n_rot] = a * cos - b * sin, a * sin + b * cos
        return m

    qh, kh = rope(q, NH), rope(k, NKV)
    group = NH // NKV
    scores = np.einsum("ihd,jhd->hij", qh, kh[:, np.arange(NH) // group, :]) / math.sqrt(HS)
    scores = np.where(np.tril(np.ones((T, T), dtype=bool))[None], scores, -np.inf)
    scores -= scores.max(axis=-1, keepdims=True)
    p = np.exp(scores)
    return p / p.sum(axis=-1, keepdims=True)


@torch.no_grad()
def load_gguf_with_transformers(gguf_dir: Path, filename: str) -> nn.Module:
    return AutoModelForCausalLM.from_pretrained(
        str(gguf_dir), gguf_file=filename, attn_implementation="eager", dtype=torch.float32
    ).eval()


@torch.no_grad()
def generate_gguf(name, family, gguf_arch, tokenizer_file, model: nn.Module) -> None:
    """Write the GGUF twin, verify it (read back, transformers load) and write its expectations."""
    from gguf import GGUFReader

    out_dir = MODELS_DIR / f"{name}-gguf"
    out_dir.mkdir(parents=True, exist_ok=True)
    filename = f"{name}.gguf"
    path = out_dir / filename
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    meta = write_gguf(path, name, gguf_arch, model.config, state)
    link = out_dir / "tokenizer.json"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.path.relpath(TOKENIZER_DIR / tokenizer_file, out_dir))

    # 1. Read back: every tensor F32, with the values written.
    reader = GGUFReader(str(path))
    written = dict(gguf_tensors(state, model.config, gguf_arch))
    names = [t.name for t in reader.tensors]
    assert names == list(written), f"{name}: tensor order"
    for tensor in reader.tensors:
        assert tensor.tensor_type.name == "F32", f"{tensor.name}: {tensor.tensor_type.name}"
        data = np.asarray(tensor.data).reshape(written[tensor.name].shape)
        assert np.array_equal(data, written[tensor.name]), f"{name}: {tensor.name} read back differs"
    tensor_list = [
        {"name": t.name, "ggml_shape": [int(d) for d in t.shape], "type": t.tensor_type.name} for t in reader.tensors
    ]

    # 2. transformers loads it (undoing the q/k permutation for arch llama).
    loaded = load_gguf_with_transformers(out_dir, filename)
    lstate = loaded.state_dict()
    weights_equal = all(torch.equal(lstate[k], v) for k, v in model.state_dict().items())
    assert set(lstate) == set(model.state_dict()), f"{name}: parameter names differ after GGUF load"
    assert weights_equal, f"{name}: weights differ after the transformers GGUF load"
    verification = {
        "transformers_class": type(loaded).__name__,
        "weights_equal_safetensors": weights_equal,
    }
    # What the loader makes of the metadata.
    lcfg = loaded.config
    verification["transformers_config"] = {
        "model_type": lcfg.model_type,
        "rope_parameters": dict(lcfg.rope_parameters) if lcfg.rope_parameters else None,
        "sliding_window": getattr(lcfg, "sliding_window", None),
        "tie_word_embeddings": bool(lcfg.tie_word_embeddings),
    }

    # 3. The computation a llama.cpp-faithful reader does: for arch llama the rope_freqs factors
    #    (transformers ignores the tensor, so its GGUF model runs unscaled RoPE: rebuild it with
    #    the safetensors config's rope parameters, after checking that rope_freqs encodes them);
    #    no sliding window (the converter writes none; llama.cpp's arch llama has none).
    reference = loaded
    if "rope_freqs.weight" in written:
        factors = torch.from_numpy(written["rope_freqs.weight"])
        default_inv = 1.0 / (model.config.rope_parameters["rope_theta"]
                             ** (torch.arange(0, model.config.head_dim, 2, dtype=torch.float32) / model.config.head_dim))
        hf_inv = model.model.rotary_emb.inv_freq.float()
        rope_err = ((default_inv / factors) - hf_inv).abs().max().item() / hf_inv.abs().max().item()
        assert rope_err < 1e-6, f"{name}: rope_freqs do not reproduce transformers' llama3 inv_freq ({rope_err})"
        verification["rope_freqs_vs_transformers_inv_freq_relative_error"] = rope_err
        verification["rope_freqs"] = [float(x) for x in written["rope_freqs.weight"]]
        import copy

        cfg = copy.deepcopy(model.config)
        reference = AutoModelForCausalLM.from_config(cfg, attn_implementation="eager", dtype=torch.float32).eval()
        reference.load_state_dict(lstate)
        verification["reference"] = (
            "transformers ignores rope_freqs.weight (no rope scaling after a GGUF load); the reference is "
            "the GGUF-loaded weights in a model with the rope parameters that rope_freqs encodes"
        )
    elif family == "mistral":
        verification["reference"] = (
            "transformers' GGUF-loaded model (the converter writes no sliding window; general.name is not "
            "exactly 'mistral', so transformers builds LlamaForCausalLM): no window at any T"
        )
    else:
        verification["reference"] = "transformers' GGUF-loaded model"
    safetensors_manifest = json.loads((MODELS_DIR / name / "manifest.json").read_text(encoding="utf-8"))
    expected_st = read_safetensors(MODELS_DIR / name / "expected.safetensors")
    tensors: dict[str, torch.Tensor] = {}
    cases = []
    worst_raw = 0.0
    for case in safetensors_manifest["cases"]:
        ids = case["input_ids"]
        c = case["name"]
        input_ids = torch.tensor([ids])
        logits = reference(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), use_cache=False).logits[0]
        raw = loaded(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), use_cache=False).logits[0]
        diff_st = (logits[-1] - expected_st[f"{c}.logits.last"]).abs().max().item()
        diff_raw = (raw[-1] - expected_st[f"{c}.logits.last"]).abs().max().item()
        worst_raw = max(worst_raw, diff_raw)
        tensors[f"{c}.input_ids"] = torch.tensor(ids, dtype=torch.int64)
        tensors[f"{c}.logits.last"] = logits[-1].contiguous()
        tensors[f"{c}.top5"] = torch.topk(logits[-1], TOP_K).indices
        window_active = family == "mistral" and len(ids) > SLIDING_WINDOW
        if not window_active:
            assert diff_st <= VERIFY_TOLERANCE, f"{name} {c}: GGUF logits differ from safetensors by {diff_st}"
        cases.append({
            "name": c, "T": len(ids), "input_ids": ids, "top5": tensors[f"{c}.top5"].tolist(),
            "max_abs_diff_vs_safetensors_last_logits": diff_st,
            "max_abs_diff_transformers_gguf_load_last_logits": diff_raw,
            "equals_safetensors_expected": diff_st <= VERIFY_TOLERANCE,
        })
        print(f"  {name}-gguf {c}: |reference - safetensors| = {diff_st:.3g}, |transformers GGUF load - safetensors| = {diff_raw:.3g}")
    # 4. Independent of transformers: layer-0 attention from the GGUF tensors with llama.cpp's
    #    rotary layout against the safetensors model's attention (cases without an active window).
    worst_attn = 0.0
    for case in safetensors_manifest["cases"]:
        if case["storage"] != "full" or (family == "mistral" and case["T"] > SLIDING_WINDOW):
            continue
        mine = llama_cpp_attention_layer0(reader, case["input_ids"])
        worst_attn = max(worst_attn, float(np.abs(mine - expected_st[f"{case['name']}.attn.0"].double().numpy()).max()))
    assert worst_attn <= 1e-5, f"{name}: llama.cpp-layout attention differs by {worst_attn}"
    verification["llama_cpp_layout_layer0_attention_max_abs_diff"] = worst_attn
    verification["llama_cpp_layout_check"] = (
        "layer-0 attention computed in numpy from the GGUF alone (RMSNorm, q/k, "
        + ("RoPE on adjacent row pairs of the permuted q/k (llama.cpp NORM) with rope_freqs" if gguf_arch == "llama"
           else "RoPE on rows (i, i + HS/2) (llama.cpp NEOX), no permutation")
        + ") equals the safetensors model's attention for every full case"
        + (f" with T <= {SLIDING_WINDOW}" if family == "mistral" else "")
    )
    print(f"  {name}-gguf: llama.cpp-layout layer-0 attention vs safetensors: {worst_attn:.3g}")
    save_expected(out_dir / "expected.safetensors",
                  {k: v.detach().to(torch.float32 if v.is_floating_point() else torch.int64).contiguous() for k, v in tensors.items()})
    manifest = {
        "format": FORMAT_VERSION,
        "model": f"{name}-gguf",
        "family": family,
        "gguf": filename,
        "tokenizer": "tokenizer.json",
        "safetensors_twin": f"../{name}",
        "note": "the weights of ../" + name + " as llama.cpp's convert_hf_to_gguf.py writes them (outtype f32)"
                + (" with q/k rows permuted (LlamaModel.permute)" if gguf_arch == "llama" else ", no permutation (Qwen2Model)"),
        "architecture": gguf_arch,
        "metadata": meta,
        "tensors": tensor_list,
        "tokenizer_metadata": "none (no tokenizer.ggml.* keys; use tokenizer.json)",
        "verification": verification,
        "expected": "expected.safetensors",
        "expected_note": "per case: input_ids (T) I64, logits.last (V) F32 after the last token, top5 (5) I64, "
                         "as a reader following llama.cpp computes them",
        "cases": cases,
    }
    write_json(out_dir / "manifest.json", manifest)


# ---------------------------------------------------------------------------------------------
# Verification


def verify_tiny(name: str, lengths: list[int]) -> float:
    out_dir = MODELS_DIR / name
    model = load_decoder(out_dir)
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    stored = read_safetensors(out_dir / "expected.safetensors")
    fresh: dict[str, torch.Tensor] = {}
    for case in manifest["cases"]:
        ids = case["input_ids"]
        result = run(model, ids, case["taps"])
        fresh.update(case_tensors(case["name"], ids, result, case["storage"] == "full", case["logits"] == "all"))
    assert set(stored) == set(fresh), f"{name}: key sets differ: {set(stored) ^ set(fresh)}"
    worst = 0.0
    for key, value in stored.items():
        assert value.shape == fresh[key].shape and value.dtype == fresh[key].dtype, key
        if key.endswith(".top5"):
            assert torch.equal(value, fresh[key]), f"{name}: {key}"
            continue
        worst = max(worst, (value.double() - fresh[key].double()).abs().max().item())
    assert [c["T"] for c in manifest["cases"]] == lengths
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=NAMES, nargs="+", help="generate only these models")
    parser.add_argument("--verify-only", action="store_true", help="check existing fixtures, write nothing")
    args = parser.parse_args()
    names = args.model or NAMES

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    for index, (name, family, gguf_arch, tokenizer_file, lengths, make_config, note) in enumerate(TINY_DECODERS):
        if name not in names:
            continue
        if not args.verify_only:
            print(f"{name}:")
            model = generate_tiny(index, name, family, gguf_arch, tokenizer_file, lengths, make_config, note)
            generate_gguf(name, family, gguf_arch, tokenizer_file, model)
        worst = verify_tiny(name, lengths)
        print(f"  verify {name}: max |stored - recomputed from reloaded weights| = {worst:.3g}")
        assert worst <= VERIFY_TOLERANCE, f"{name}: fixture does not reproduce ({worst})"
    if not args.verify_only:
        write_json(
            MODELS_DIR / "decoder-versions.json",
            {
                "generator": "Tests/Fixtures/generate_decoder_fixtures.py",
                "format": FORMAT_VERSION,
                "python": platform.python_version(),
                "packages": PACKAGE_VERSIONS,
                "torch_threads": 1,
                "seed": SEED,
            },
        )
    print("ok")


if __name__ == "__main__":
    main()
