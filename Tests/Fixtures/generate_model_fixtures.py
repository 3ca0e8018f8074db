#!/usr/bin/env python3
"""Generate Heed's golden model fixtures from PyTorch + transformers.

Run from anywhere, with the pinned virtual environment:

    python3 Tests/Fixtures/generate_model_fixtures.py [--only tiny|minilm] [--model NAME ...] [--minilm DIR]

Writes under Tests/Fixtures/models/ (format: Tests/Fixtures/README.md):

    tiny-<family>/config.json, model.safetensors   random tiny encoders (save_pretrained)
    tiny-<family>/expected.safetensors, manifest.json
    tiny-roberta-bpe/, tiny-xlm-roberta-unigram/    the same plus tokenizer.json (a symlink to
                                                   tokenizer/roberta-tokenizer.json, xlmr-tokenizer.json);
                                                   cases are tokenised sentences ("text" in the manifest)
    minilm/expected.safetensors, manifest.json       all-MiniLM-L6-v2 reference outputs
    versions.json                                    package versions used

Reference settings: float32, CPU, eval mode, eager attention, one thread, fixed seeds,
one unpadded sequence (attention mask all ones, token_type_ids all zeros).
After writing, every fixture is reloaded and compared with a fresh forward pass of the
model reloaded from disk. The script refuses to run when the installed package versions
differ from Tests/Fixtures/requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import math
import platform
import sys
from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parent
MODELS_DIR = FIXTURES_DIR / "models"
# Where `heed fetch minilm` puts the model.
DEFAULT_MINILM_DIR = Path(os.environ.get("HEED_CACHE") or "~/.cache/heed").expanduser() / "minilm" / "0.1.0"

FORMAT_VERSION = 1
SEED = 20240601
SUMMARY_ROWS = [0, 1, 255, 511]  # query rows kept for the T=512 cases
TINY_LENGTHS = [1, 7, 33, 129, 512]
FULL_LIMIT = 129  # cases with T <= FULL_LIMIT store full tensors; longer ones rows + sums
TAP_CASE = "T7"
# Reloaded weights live at other addresses than freshly built ones, and BLAS may then round
# differently (seen at T=1: 5e-7 on values of order 1); anything above this is a real mismatch.
VERIFY_TOLERANCE = 1e-5


# ---------------------------------------------------------------------------------------------
# Version pinning and shared helpers: fixture_common.py

from fixture_common import check_versions, load_tiny, model_kwargs, read_safetensors, tap_modules, write_json  # noqa: E402

# The version check runs before torch is imported, so a wrong environment fails fast.
if __name__ == "__main__":
    PACKAGE_VERSIONS = check_versions()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from torch import nn  # noqa: E402
from transformers import AutoModel  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402
from transformers import BertConfig, DistilBertConfig, ElectraConfig, RobertaConfig, XLMRobertaConfig  # noqa: E402


# ---------------------------------------------------------------------------------------------
# Tiny random models

TOKENIZER_DIR = FIXTURES_DIR / "tokenizer"


def tokenizer_size(filename: str) -> int:
    """Vocabulary size (added tokens included) of a tokenizer fixture written by
    tokenizer/generate_bpe_unigram_fixtures.py."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(TOKENIZER_DIR / filename)).get_vocab_size(with_added_tokens=True)


COMMON = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=0.02)

TINY_MODELS = [
    # name, family, config, note (every model runs TINY_LENGTHS, except as listed in LENGTHS_OVERRIDE)
    (
        "tiny-bert",
        "bert",
        lambda: BertConfig(
            vocab_size=123, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=37, hidden_act="gelu", max_position_embeddings=600,
            type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0, **COMMON,
        ),
        "BERT, erf GELU, learned absolute positions from 0",
    ),
    (
        "tiny-distilbert",
        "distilbert",
        lambda: DistilBertConfig(
            vocab_size=121, dim=32, n_layers=2, n_heads=4, hidden_dim=37, activation="gelu",
            max_position_embeddings=600, sinusoidal_pos_embds=False, dropout=0.0,
            attention_dropout=0.0, pad_token_id=0,
        ),
        "DistilBERT, no token types, LayerNorm eps fixed at 1e-12 in transformers",
    ),
    (
        "tiny-distilbert-sinusoidal",
        "distilbert",
        lambda: DistilBertConfig(
            vocab_size=121, dim=32, n_layers=2, n_heads=4, hidden_dim=37, activation="relu",
            max_position_embeddings=600, sinusoidal_pos_embds=True, dropout=0.0,
            attention_dropout=0.0, pad_token_id=0,
        ),
        "DistilBERT with sinusoidal position table (saved in the checkpoint like any weight), ReLU",
    ),
    (
        "tiny-electra",
        "electra",
        lambda: ElectraConfig(
            vocab_size=119, embedding_size=16, hidden_size=32, num_hidden_layers=2,
            num_attention_heads=4, intermediate_size=37, hidden_act="gelu_new",
            max_position_embeddings=600, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0,
            **COMMON,
        ),
        "ELECTRA, embedding_size 16 != hidden 32 (embeddings_project), tanh GELU (gelu_new)",
    ),
    (
        "tiny-roberta",
        "roberta",
        lambda: RobertaConfig(
            vocab_size=125, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=37, hidden_act="gelu", max_position_embeddings=514,
            type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
            **COMMON,
        ),
        "RoBERTa, positions start at pad_token_id + 1 = 2, limit 514 - 2 = 512, eps 1e-5",
    ),
    (
        "tiny-xlm-roberta",
        "xlm-roberta",
        lambda: XLMRobertaConfig(
            vocab_size=127, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=37, hidden_act="relu", max_position_embeddings=520,
            type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
            **COMMON,
        ),
        "XLM-RoBERTa, ReLU, positions start at 2, limit 520 - 2 = 518, eps 1e-5",
    ),
    (
        "tiny-bert-nobias",
        "bert",
        lambda: BertConfig(
            vocab_size=123, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=37, hidden_act="gelu", max_position_embeddings=64,
            type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0, **COMMON,
        ),
        "BERT without any bias tensor (Linear or LayerNorm), as a bias=False model (Llama family) "
        "has none; BertModel cannot be built without biases, so the reference runs with every "
        "bias zero, which computes exactly the same",
    ),
    (
        "tiny-roberta-bpe",
        "roberta",
        lambda: RobertaConfig(
            vocab_size=tokenizer_size("roberta-tokenizer.json"), hidden_size=32, num_hidden_layers=2,
            num_attention_heads=4, intermediate_size=37, hidden_act="gelu", max_position_embeddings=130,
            type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
            **COMMON,
        ),
        "RoBERTa run from text: byte-level BPE tokenizer.json (tokenizer/roberta-tokenizer.json), "
        "positions from 2, limit 130 - 2 = 128",
    ),
    (
        "tiny-xlm-roberta-unigram",
        "xlm-roberta",
        lambda: XLMRobertaConfig(
            vocab_size=tokenizer_size("xlmr-tokenizer.json"), hidden_size=32, num_hidden_layers=2,
            num_attention_heads=4, intermediate_size=37, hidden_act="gelu", max_position_embeddings=130,
            type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
            **COMMON,
        ),
        "XLM-RoBERTa run from text: SentencePiece Unigram tokenizer.json (tokenizer/xlmr-tokenizer.json), "
        "positions from 2, limit 130 - 2 = 128",
    ),
]

# Models run from text: the tokenizer fixture copied into the directory as tokenizer.json, and
# cases whose ids come from tokenising these sentences (tokenizers.Tokenizer.from_file, which
# tokenizer/generate_bpe_unigram_fixtures.py checks against transformers) instead of random ids.
TEXT_MODELS = {
    "tiny-roberta-bpe": "roberta-tokenizer.json",
    "tiny-xlm-roberta-unigram": "xlmr-tokenizer.json",
}
TEXT_CASES = [
    ("sentence", "The quick brown fox jumps over the lazy dog."),
    ("mixed", "Zoë's café in Москва — 東京 too 😀!"),
]

# The sinusoidal variant only adds config parsing and ReLU coverage: skip T=129 to save 0.6 MB.
# The bias-free model only needs the short cases (its positions stop at 64).
LENGTHS_OVERRIDE = {"tiny-distilbert-sinusoidal": [1, 7, 33, 512], "tiny-bert-nobias": [1, 7, 33],
                    # models run from text have text cases only (TEXT_CASES)
                    "tiny-roberta-bpe": [], "tiny-xlm-roberta-unigram": []}
# Models saved without bias tensors: every bias is zero in the reference model and dropped from
# model.safetensors.
WITHOUT_BIASES = {"tiny-bert-nobias"}

QK_NAMES = ("query", "key", "q_lin", "k_lin")


@torch.no_grad()
def randomise(model: nn.Module, generator: torch.Generator, keep: set[str]) -> None:
    """Give every parameter a random value of a useful scale, LayerNorm included.

    The default init (std 0.02, LayerNorm 1/0) makes tiny models' attention almost uniform and
    leaves LayerNorm parameters untested. Linear weights get std gain/sqrt(fan_in) (gain 1.4 for
    query and key, so attention is peaked but not one-hot), biases std 0.1, LayerNorm weights
    U(0.5, 1.5), LayerNorm biases std 0.2, embeddings std 1. Modules named in `keep` are left alone.
    """

    def randn(shape, std):
        return torch.randn(shape, generator=generator, dtype=torch.float32) * std

    for name, module in model.named_modules():
        if name in keep:
            continue
        if isinstance(module, nn.Linear):
            gain = 1.4 if name.rsplit(".", 1)[-1] in QK_NAMES else 1.0
            module.weight.copy_(randn(module.weight.shape, gain / math.sqrt(module.in_features)))
            if module.bias is not None:
                module.bias.copy_(randn(module.bias.shape, 0.1))
        elif isinstance(module, nn.LayerNorm):
            module.weight.copy_(0.5 + torch.rand(module.weight.shape, generator=generator))
            module.bias.copy_(randn(module.bias.shape, 0.2))
        elif isinstance(module, nn.Embedding):
            module.weight.copy_(randn(module.weight.shape, 1.0))


def sinusoidal_table(n_pos: int, dim: int) -> torch.Tensor:
    """transformers' DistilBERT create_sinusoidal_embeddings, (n_pos, dim)."""
    position = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
    out = torch.empty(n_pos, dim)
    out[:, 0::2] = torch.FloatTensor(np.sin(position[:, 0::2]))
    out[:, 1::2] = torch.FloatTensor(np.cos(position[:, 1::2]))
    return out


@torch.no_grad()
def forward(model: nn.Module, family: str, ids: list[int], with_taps: bool):
    """One forward pass; returns (hidden_states list of (T, C), attentions list of (NH, T, T), taps)."""
    taps: dict[str, torch.Tensor] = {}
    handles = []
    if with_taps:
        modules = dict(model.named_modules())
        for layer in range(model.config.num_hidden_layers):
            names = tap_modules(family, layer)

            def save_output(key):
                return lambda _m, _inp, out: taps.__setitem__(key, out[0].clone())

            def save_ln(layer_index):
                def pre(_m, inp):
                    taps[f"tap.{layer_index}.pre_ln"] = inp[0][0].clone()

                def post(_m, _inp, out):
                    taps[f"tap.{layer_index}.post_ln"] = out[0].clone()

                return pre, post

            handles.append(modules[names["value"]].register_forward_hook(save_output(f"tap.{layer}.value")))
            handles.append(modules[names["attn_out"]].register_forward_hook(save_output(f"tap.{layer}.attn_out")))
            pre, post = save_ln(layer)
            handles.append(modules[names["ln"]].register_forward_pre_hook(pre))
            handles.append(modules[names["ln"]].register_forward_hook(post))
    try:
        out = model(**model_kwargs(family, ids), output_attentions=True, output_hidden_states=True, return_dict=True)
    finally:
        for handle in handles:
            handle.remove()
    hidden = [h[0].contiguous() for h in out.hidden_states]
    attentions = [a[0].contiguous() for a in out.attentions]
    expected_layers = model.config.num_hidden_layers
    assert len(hidden) == expected_layers + 1 and len(attentions) == expected_layers
    return hidden, attentions, taps


def case_tensors(name: str, ids: list[int], hidden, attentions, taps, full: bool) -> dict[str, torch.Tensor]:
    """The expected.safetensors entries of one case (see README.md for the layout)."""
    out: dict[str, torch.Tensor] = {f"{name}.input_ids": torch.tensor(ids, dtype=torch.int64)}
    if full:
        for layer, h in enumerate(hidden):
            out[f"{name}.hidden.{layer}"] = h  # (T, C)
        for layer, a in enumerate(attentions):
            out[f"{name}.attn.{layer}"] = a  # (NH, T, T)
    else:
        rows = torch.tensor(SUMMARY_ROWS, dtype=torch.long)
        for layer, h in enumerate(hidden):
            out[f"{name}.hidden.{layer}.rows"] = h[rows]  # (R, C)
            out[f"{name}.hidden.{layer}.sum"] = h.sum(dim=0)  # (C)
        for layer, a in enumerate(attentions):
            out[f"{name}.attn.{layer}.rows"] = a[:, rows, :]  # (NH, R, T)
            out[f"{name}.attn.{layer}.colsum"] = a.sum(dim=1)  # (NH, T): sum over query rows i
    for key, value in taps.items():
        out[f"{name}.{key}"] = value  # (T, C)
    return {k: v.detach().to(torch.float32 if v.is_floating_point() else torch.int64).contiguous() for k, v in out.items()}


def case_entry(name: str, ids: list[int], full: bool, with_taps: bool, **extra) -> dict:
    entry = {"name": name, "T": len(ids)}
    entry.update(extra)
    entry["input_ids"] = ids
    entry["storage"] = "full" if full else "rows"
    if not full:
        entry["rows"] = SUMMARY_ROWS
    entry["taps"] = with_taps
    return entry


def tiny_input_ids(rng: np.random.Generator, vocab: int, pad: int | None, length: int) -> list[int]:
    """Random ids in [0, vocab) without the padding id (RoBERTa derives positions from it)."""
    allowed = np.array([i for i in range(vocab) if i != pad])
    return [int(i) for i in rng.choice(allowed, size=length, replace=True)]


def model_facts(model: nn.Module, family: str) -> dict:
    cfg = model.config
    if family == "distilbert":
        activation, eps = cfg.activation, 1e-12
    else:
        activation, eps = cfg.hidden_act, cfg.layer_norm_eps
    position_offset = cfg.pad_token_id + 1 if family in ("roberta", "xlm-roberta") else 0
    return {
        "layers": cfg.num_hidden_layers,
        "heads": cfg.num_attention_heads,
        "hidden": cfg.hidden_size,
        "activation": activation,
        "layer_norm_eps": eps,
        "max_position_embeddings": cfg.max_position_embeddings,
        "position_offset": position_offset,
        "max_tokens": cfg.max_position_embeddings - position_offset,
    }


def save_expected(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    # One metadata key only: safetensors writes the metadata map in hash order, so several keys
    # would make the file's bytes differ from run to run.
    save_file(tensors, str(path), metadata={"format": f"heed-expected-{FORMAT_VERSION}"})


def generate_tiny(index: int, name: str, family: str, make_config, note: str) -> None:
    out_dir = MODELS_DIR / name
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED + index)
    config = make_config()
    model = AutoModel.from_config(config, attn_implementation="eager")
    keep = set()
    if family == "distilbert" and config.sinusoidal_pos_embds:
        keep.add("embeddings.position_embeddings")
        table = model.embeddings.position_embeddings.weight
        assert torch.equal(table, sinusoidal_table(config.max_position_embeddings, config.dim)), "sinusoidal init"
    generator = torch.Generator().manual_seed(SEED + 100 + index)
    randomise(model, generator, keep)
    model.eval()
    model.save_pretrained(out_dir, safe_serialization=True)
    if name in WITHOUT_BIASES:
        with torch.no_grad():
            for key, parameter in model.named_parameters():
                if key.endswith(".bias"):
                    parameter.zero_()
        weights = out_dir / "model.safetensors"
        kept = {k: v.contiguous() for k, v in read_safetensors(weights).items() if not k.endswith(".bias")}
        save_file(kept, str(weights), metadata={"format": "pt"})

    rng = np.random.default_rng(SEED + 200 + index)
    tensors: dict[str, torch.Tensor] = {}
    cases = []
    if name in TEXT_MODELS:
        from tokenizers import Tokenizer

        source = TOKENIZER_DIR / TEXT_MODELS[name]
        link = out_dir / "tokenizer.json"  # a symlink: one copy of the file in the repository
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(os.path.relpath(source, out_dir))
        tokenizer = Tokenizer.from_file(str(source))
        assert tokenizer.get_vocab_size(with_added_tokens=True) == config.vocab_size
        for case, text in TEXT_CASES:
            encoding = tokenizer.encode(text)
            ids = list(encoding.ids)
            assert ids[0] == config.bos_token_id and ids[-1] == config.eos_token_id and config.pad_token_id not in ids
            hidden, attentions, taps = forward(model, family, ids, False)
            tensors.update(case_tensors(case, ids, hidden, attentions, taps, True))
            cases.append(case_entry(case, ids, True, False, text=text, tokens=list(encoding.tokens)))
            print(f"  {name} {case}: T={len(ids)}")
    for length in LENGTHS_OVERRIDE.get(name, TINY_LENGTHS):
        case = f"T{length}"
        ids = tiny_input_ids(rng, config.vocab_size, config.pad_token_id, length)
        full = length <= FULL_LIMIT
        with_taps = case == TAP_CASE
        hidden, attentions, taps = forward(model, family, ids, with_taps)
        tensors.update(case_tensors(case, ids, hidden, attentions, taps, full))
        cases.append(case_entry(case, ids, full, with_taps))
        if length == 33:
            peak = torch.stack([a.max(dim=-1).values.mean() for a in attentions]).mean().item()
            print(f"  {name}: mean max attention probability at T=33: {peak:.3f} (uniform {1 / 33:.3f})")
    save_expected(out_dir / "expected.safetensors", tensors)
    manifest = {
        "format": FORMAT_VERSION,
        "model": name,
        "family": family,
        "note": note,
        **({"biases": False} if name in WITHOUT_BIASES else {}),
        "weights": "model.safetensors",
        "config": "config.json",
        **({"tokenizer": "tokenizer.json"} if name in TEXT_MODELS else {}),
        "expected": "expected.safetensors",
        **model_facts(model, family),
        "input_ids_dtype": "I64",
        "float_dtype": "F32",
        "summary_rows": SUMMARY_ROWS,
        "cases": cases,
    }
    write_json(out_dir / "manifest.json", manifest)


# ---------------------------------------------------------------------------------------------
# MiniLM (sentence-transformers/all-MiniLM-L6-v2)

MINILM_TEXTS = [
    ("short", "The cat sat on the warm mat."),
    (
        "punctuation",
        "Wait—did Dr. O'Neil's café (on 5th St.) sell 3,250 croissants?! Yes.",
    ),
    (
        "paragraph",
        "Attention weights alone can be misleading when we try to explain what a transformer "
        "does. A token may receive a large weight while the vector it contributes is tiny, so "
        "its real influence on the output is small. Kobayashi and colleagues therefore proposed "
        "to measure the norm of each weighted, transformed vector instead. Their analysis of "
        "BERT showed that frequent tokens, such as punctuation and the separator, get high "
        "weights but small norms. In this paragraph we simply need enough ordinary English "
        "text, with a few commas and full stops, to reach about one hundred and twenty-eight "
        "word pieces for the test of the forward pass.",
    ),
]

MINILM_LONG_TEXT = (
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
    "Everyone was quiet for a moment, and then the discussion continued, calmer and kinder. "
    "By the end of the year they had agreed on a plan. The old bridge would be strengthened "
    "and kept for people on foot and on bicycles, and a new crossing would be built a mile "
    "downstream for heavier traffic. The children from the school painted a long mural on the "
    "wall beside the river, showing water flowing from the mountains, through the town, under "
    "both bridges, and out into the wide grey sea. Underneath it, in careful letters, they "
    "wrote the teacher's question and all three of their answers. Visitors still stop to read "
    "it today, and most of them, after thinking for a while, agree that every answer is true. "
    "Years later, when the children had grown up and some had moved to distant cities, they "
    "would remember the winter mornings, the violin by the fountain, and the long arguments "
    "about stones and promises, and they would tell their own children that a town, like a "
    "river, is a journey that is never quite finished."
)

MINILM_CLS, MINILM_SEP = 101, 102


def minilm_cases(minilm_dir: Path):
    """(name, ids, text or None, note) for every MiniLM case."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(minilm_dir / "tokenizer.json"))
    tokenizer.no_truncation()  # tokenizer.json ships truncation and padding to 128
    tokenizer.no_padding()
    cases = []
    for name, text in MINILM_TEXTS:
        encoding = tokenizer.encode(text)
        ids = list(encoding.ids)
        assert ids[0] == MINILM_CLS and ids[-1] == MINILM_SEP
        cases.append((name, ids, text, {"tokens": list(encoding.tokens)}))
    body = tokenizer.encode(MINILM_LONG_TEXT, add_special_tokens=False).ids
    assert len(body) > 510, f"long text has only {len(body)} word pieces; it needs more than 510"
    ids = [MINILM_CLS] + list(body[:510]) + [MINILM_SEP]
    cases.append(("long512", ids, MINILM_LONG_TEXT, {"truncated_from": len(body) + 2}))
    cases.append(("cls_only", [MINILM_CLS], None, {}))
    cases.append(("cls_sep", [MINILM_CLS, MINILM_SEP], None, {}))
    return cases


def load_minilm(minilm_dir: Path) -> nn.Module:
    model = AutoModel.from_pretrained(str(minilm_dir), attn_implementation="eager", dtype=torch.float32)
    return model.eval()


def generate_minilm(minilm_dir: Path) -> None:
    out_dir = MODELS_DIR / "minilm"
    out_dir.mkdir(parents=True, exist_ok=True)
    model = load_minilm(minilm_dir)
    tensors: dict[str, torch.Tensor] = {}
    entries = []
    for name, ids, text, extra in minilm_cases(minilm_dir):
        full = len(ids) <= 128
        # No taps here: the tiny models cover them and MiniLM's file stays under 8 MB.
        hidden, attentions, taps = forward(model, "bert", ids, with_taps=False)
        tensors.update(case_tensors(name, ids, hidden, attentions, taps, full))
        fields = {}
        if text is not None:
            fields["text"] = text
        if name == "long512":
            fields["note"] = (
                f"ids = [CLS] + first 510 word pieces of text (of {extra['truncated_from'] - 2}) + [SEP]; "
                "the ids are authoritative, Heed never truncates"
            )
        if "tokens" in extra:
            fields["tokens"] = extra["tokens"]
        entries.append(case_entry(name, ids, full, False, **fields))
        print(f"  minilm {name}: T={len(ids)} ({'full' if full else 'rows'})")
    save_expected(out_dir / "expected.safetensors", tensors)
    manifest = {
        "format": FORMAT_VERSION,
        "model": "minilm",
        "family": "bert",
        "note": "sentence-transformers/all-MiniLM-L6-v2 (BertModel); weights not stored here",
        "weights": None,
        "expected": "expected.safetensors",
        **model_facts(model, "bert"),
        "input_ids_dtype": "I64",
        "float_dtype": "F32",
        "summary_rows": SUMMARY_ROWS,
        "cases": entries,
    }
    write_json(out_dir / "manifest.json", manifest)


# ---------------------------------------------------------------------------------------------
# Verification: reload everything from disk and compare with a fresh forward pass


def verify_dir(out_dir: Path, model: nn.Module, family: str) -> float:
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    stored = read_safetensors(out_dir / "expected.safetensors")
    fresh: dict[str, torch.Tensor] = {}
    for case in manifest["cases"]:
        hidden, attentions, taps = forward(model, family, case["input_ids"], case["taps"])
        fresh.update(case_tensors(case["name"], case["input_ids"], hidden, attentions, taps, case["storage"] == "full"))
        assert torch.equal(stored[f"{case['name']}.input_ids"], torch.tensor(case["input_ids"]))
    assert set(stored) == set(fresh), f"{out_dir.name}: key sets differ: {set(stored) ^ set(fresh)}"
    worst = 0.0
    for key, value in stored.items():
        assert value.shape == fresh[key].shape and value.dtype == fresh[key].dtype, key
        worst = max(worst, (value.double() - fresh[key].double()).abs().max().item())
    return worst


def verify(tiny_names: list[str], include_minilm: bool, minilm_dir: Path) -> None:
    for name, family, make_config, _ in TINY_MODELS:
        if name in tiny_names:
            out_dir = MODELS_DIR / name
            model = load_tiny(out_dir)
            has_bias = any(k.endswith(".bias") for k in read_safetensors(out_dir / "model.safetensors"))
            assert has_bias == (name not in WITHOUT_BIASES), f"{name}: bias tensors"
            assert type(model) is type(AutoModel.from_config(make_config())), f"{name}: reloaded class"
            worst = verify_dir(out_dir, model, family)
            print(f"  verify {name}: max |stored - recomputed from reloaded weights| = {worst:.3g}")
            assert worst <= VERIFY_TOLERANCE, f"{name}: fixture does not reproduce ({worst})"
    if include_minilm:
        worst = verify_dir(MODELS_DIR / "minilm", load_minilm(minilm_dir), "bert")
        print(f"  verify minilm: max |stored - recomputed| = {worst:.3g}")
        assert worst <= VERIFY_TOLERANCE, f"minilm: fixture does not reproduce ({worst})"


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["tiny", "minilm"], help="generate only one group")
    parser.add_argument("--model", choices=[m[0] for m in TINY_MODELS], nargs="+",
                        help="generate only these tiny models (implies --only tiny; versions.json is rewritten)")
    parser.add_argument("--minilm", type=Path, default=DEFAULT_MINILM_DIR, help="all-MiniLM-L6-v2 directory")
    parser.add_argument("--verify-only", action="store_true", help="check existing fixtures, write nothing")
    args = parser.parse_args()
    if args.model:
        args.only = "tiny"
    include_tiny = args.only in (None, "tiny")
    include_minilm = args.only in (None, "minilm")
    tiny_names = [m[0] for m in TINY_MODELS if include_tiny and (args.model is None or m[0] in args.model)]
    if include_minilm and not (args.minilm / "model.safetensors").is_file():
        sys.exit(f"error: no model.safetensors in {args.minilm} (pass --minilm DIR or --only tiny)")

    hf_logging.disable_progress_bar()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(SEED)

    if not args.verify_only:
        MODELS_DIR.mkdir(parents=True, exist_ok=True)
        for index, (name, family, make_config, note) in enumerate(TINY_MODELS):
            if name in tiny_names:
                generate_tiny(index, name, family, make_config, note)
        if include_minilm:
            generate_minilm(args.minilm)
        write_json(
            MODELS_DIR / "versions.json",
            {
                "generator": "Tests/Fixtures/generate_model_fixtures.py",
                "format": FORMAT_VERSION,
                "python": platform.python_version(),
                "packages": PACKAGE_VERSIONS,
                "torch_threads": 1,
                "seed": SEED,
            },
        )
    verify(tiny_names, include_minilm, args.minilm)
    print("ok")


if __name__ == "__main__":
    main()
