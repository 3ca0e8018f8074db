#!/usr/bin/env python3
"""Generate Heed's golden analysis fixtures (docs/methods.md quantities) from PyTorch + transformers.

Run from anywhere, with the pinned virtual environment:

    python3 Tests/Fixtures/generate_analysis_fixtures.py [--only tiny|minilm] [--model NAME] [--minilm DIR]
    python3 Tests/Fixtures/generate_analysis_fixtures.py --verify-only

Writes under Tests/Fixtures/analysis/ (format: Tests/Fixtures/README.md, "Analysis fixtures"):

    <model>/<case>.safetensors   per-layer analysis tensors + rollouts (+ special-token statistics)
    <model>/manifest.json        input ids, key shapes, conventions
    versions.json                package versions used

Models: the tiny encoders of Tests/Fixtures/models/tiny-{bert,distilbert,electra,roberta,bert-nobias} (cases
T7 and T33, ids from their manifests) and all-MiniLM-L6-v2 (cases "short", T 10, and "paragraph",
T 128, ids from Tests/Fixtures/models/minilm/manifest.json).

Method: the DIRECT route of the authors' code (Kobayashi et al., EMNLP 2020 / 2021): float32 taps
are captured by forward hooks on the transformers modules, converted to float64, and the per-head
vectors alpha^h[i,j] f^h(x_j) are materialised as an (NH, T, T, C) tensor, one layer at a time.
Property checks run on every layer (decomposition sums back to the attention output and to the
LayerNorm output, ratios in [0, 1], single-head structure). After writing, every file is reloaded
and compared with (1) a fresh direct computation from the model reloaded from disk and (2) an
independent numpy float64 computation through the Gram identity of docs/methods.md, which never
materialises T x T x C. The script refuses to run when the installed package versions differ
from Tests/Fixtures/requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parent
MODELS_DIR = FIXTURES_DIR / "models"
ANALYSIS_DIR = FIXTURES_DIR / "analysis"
# Where `heed fetch minilm` puts the model.
DEFAULT_MINILM_DIR = Path(os.environ.get("HEED_CACHE") or "~/.cache/heed").expanduser() / "minilm" / "0.1.0"

FORMAT_VERSION = 1
TINY_MODELS = ["tiny-bert", "tiny-distilbert", "tiny-electra", "tiny-roberta", "tiny-bert-nobias"]
TINY_CASES = ["T7", "T33"]
MINILM_CASES = ["short", "paragraph"]
# Per-head T x T tensors (`attention`, `norm`) are stored only up to this length: MiniLM at T=128
# would add 4.7 MB each. The T x T layer-level methods are stored for every case.
PER_HEAD_TT_LIMIT = 33

# Special-token experiment (docs/methods.md, finding 1). Classes are exclusive, in this order of
# precedence: position 0 is "cls", position T-1 is "sep", then "punct" by token id, else "other".
SPECIAL_CLASSES = ["cls", "sep", "punct", "other"]
SPECIAL_CASES = {
    # model: (cases, punct ids, why)
    "minilm": (["short", "paragraph"], [1012, 1010], '"." = 1012 and "," = 1010 in vocab.txt'),
    "tiny-bert": (
        ["T7"],
        [59, 27],
        "the tiny vocabulary has no text: ids 59 and 27 (positions 2 and 4 of T7) stand in for "
        "a period and a comma so that every class is non-empty",
    ),
}

# Tolerances. Property checks compare float64 sums of the decomposition with float32 taps.
PROPERTY_TOLERANCE = 1e-4  # absolute, on vectors of order 1 to 10
# Stored (float32) versus a fresh direct run from the reloaded model, relative to each row's max.
RECOMPUTE_TOLERANCE = 1e-5
# Stored versus the Gram-identity computation (from x and the weights instead of the value tap,
# and from the attention-output tap), relative to each row's max.
GRAM_TOLERANCE = 1e-4


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


# ---------------------------------------------------------------------------------------------
# Taps: float32 tensors recorded by forward hooks, converted to float64 for the analysis


@torch.no_grad()
def capture(model: nn.Module, family: str, ids: list[int]) -> list[dict]:
    """One forward pass; per layer a dict of float64 tensors and the layer's parameters.

    x (T, C): layer input = input of the value projection; value (T, C): value projection incl.
    b_V; alpha (NH, T, T): attention probabilities; attn_out (T, C): out-projection incl. b_O;
    pre_ln (T, C): y = attn_out + x, the attention LayerNorm's input; post_ln (T, C): its output.
    Parameters: W_V (C, C) and b_V, W_O (C, C) and b_O as stored by nn.Linear (out, in); gamma,
    beta, eps of the attention LayerNorm.
    """
    modules = dict(model.named_modules())
    n_layers = model.config.num_hidden_layers
    taps: list[dict] = [{} for _ in range(n_layers)]
    handles = []
    for layer in range(n_layers):
        names = tap_modules(family, layer)
        store = taps[layer]

        def on_value(_m, inp, out, store=store):
            store["x"] = inp[0][0].clone()
            store["value"] = out[0].clone()

        def on_dense(_m, _inp, out, store=store):
            store["attn_out"] = out[0].clone()

        def on_ln_pre(_m, inp, store=store):
            store["pre_ln"] = inp[0][0].clone()

        def on_ln(_m, _inp, out, store=store):
            store["post_ln"] = out[0].clone()

        handles.append(modules[names["value"]].register_forward_hook(on_value))
        handles.append(modules[names["attn_out"]].register_forward_hook(on_dense))
        handles.append(modules[names["ln"]].register_forward_pre_hook(on_ln_pre))
        handles.append(modules[names["ln"]].register_forward_hook(on_ln))
    try:
        out = model(**model_kwargs(family, ids), output_attentions=True, output_hidden_states=True, return_dict=True)
    finally:
        for handle in handles:
            handle.remove()
    assert len(out.attentions) == n_layers
    result = []
    for layer in range(n_layers):
        names = tap_modules(family, layer)
        value, dense, ln = modules[names["value"]], modules[names["attn_out"]], modules[names["ln"]]
        tap = {key: t.double() for key, t in taps[layer].items()}
        tap["alpha"] = out.attentions[layer][0].double()
        # The value projection's input is the layer input (hidden_states[l]).
        assert torch.equal(taps[layer]["x"], out.hidden_states[layer][0]), f"layer {layer}: x tap"
        # y = attn_out + x is the LayerNorm input (dropout is the identity in eval mode).
        assert (tap["pre_ln"] - tap["attn_out"] - tap["x"]).abs().max().item() < 1e-5, f"layer {layer}: y tap"
        tap.update(
            W_V=value.weight.double(), b_V=value.bias.double(), W_O=dense.weight.double(), b_O=dense.bias.double(),
            gamma=ln.weight.double(), beta=ln.bias.double(), eps=float(ln.eps),
        )
        result.append(tap)
    return result


def layer_norm_scale(y: torch.Tensor, eps: float) -> torch.Tensor:
    """s_i = sqrt(Var(y_i) + eps) with the biased variance (divide by C); y (T, C) -> (T)."""
    centred = y - y.mean(dim=-1, keepdim=True)
    return torch.sqrt((centred * centred).mean(dim=-1) + eps)


# ---------------------------------------------------------------------------------------------
# Direct route (the authors' code): materialise alpha^h[i,j] f^h(x_j) as (NH, T, T, C)


def assert_close(name: str, got: torch.Tensor, want: torch.Tensor, tol: float) -> float:
    err = (got - want).abs().max().item()
    assert err <= tol, f"{name}: max abs difference {err:.3g} > {tol}"
    return err


def ratio(mixing: torch.Tensor, preserving: torch.Tensor) -> torch.Tensor:
    """r_i = |mixing_i| / (|mixing_i| + |preserving_i|) for (T, C) inputs -> (T)."""
    m, p = mixing.norm(dim=-1), preserving.norm(dim=-1)
    return m / (m + p)


@torch.no_grad()
def direct_layer(tap: dict, where: str) -> dict[str, torch.Tensor]:
    """Every per-layer quantity of docs/methods.md for one layer, float64; runs the property checks."""
    alpha, x, y = tap["alpha"], tap["x"], tap["pre_ln"]
    NH, T, _ = alpha.shape
    C = x.shape[1]
    HS = C // NH
    # f^h(x_j) = (x_j W_V^h + b_V^h) W_O^h from the value tap: value (T, C) -> (NH, T, HS);
    # W_O (C_out, C_in) viewed as (C, NH, HS): the HS input columns of head h.
    v = tap["value"].view(T, NH, HS).permute(1, 0, 2)
    f = torch.einsum("htv,dhv->htd", v, tap["W_O"].view(C, NH, HS))  # (NH, T, C)
    weighted = torch.einsum("hij,hjd->hijd", alpha, f)  # (NH, T, T, C)
    norm = weighted.norm(dim=-1)  # (NH, T, T)
    z = weighted.sum(dim=0)  # (T, T, C)
    del weighted
    eye = torch.eye(T, dtype=torch.float64)
    r = z + eye[:, :, None] * x[:, None, :]  # r_ij = z_ij + [i == j] x_i
    s = layer_norm_scale(y, tap["eps"])  # (T)
    gamma = tap["gamma"]

    def g(v: torch.Tensor) -> torch.Tensor:
        """g_i(v) = (v - mean(v)) * gamma / s_i, i = the first index of v (T, ..., C)."""
        scale = s.view((T,) + (1,) * (v.dim() - 1))
        return (v - v.mean(dim=-1, keepdim=True)) * gamma / scale

    gr = g(r)  # (T, T, C)

    # Property checks.
    assert_close(f"{where}: sum_j z_ij + b_O vs attention output", z.sum(dim=1) + tap["b_O"], tap["attn_out"], PROPERTY_TOLERANCE)
    g_bias = g(tap["b_O"].expand(T, C))
    assert_close(
        f"{where}: sum_j g_i(r_ij) + g_i(b_O) + beta vs LayerNorm(y)",
        gr.sum(dim=1) + g_bias + tap["beta"], tap["post_ln"], PROPERTY_TOLERANCE,
    )
    off = ~torch.eye(T, dtype=torch.bool)
    assert torch.equal(r.norm(dim=-1)[off], z.norm(dim=-1)[off]), f"{where}: attn-res != norm-summed off the diagonal"
    # With one head, norm-summed (sum over heads, then norm) must equal norm: run head 0 alone.
    single = torch.einsum("hij,hjd->hijd", alpha[:1], f[:1]).sum(dim=0).norm(dim=-1)
    assert torch.allclose(single, norm[0], rtol=1e-12, atol=0), f"{where}: norm-summed != norm for NH = 1"
    del single

    diagonal = torch.arange(T)
    mean_alpha = alpha.mean(dim=0)  # (T, T)
    attn_w = (mean_alpha * off).sum(dim=1)  # sum_{j != i} mean_h alpha[i, j]
    mixing = {"attn-w": attn_w, "attnres-w": 0.5 * attn_w}
    for key, vectors in (("attn-n", z), ("attnres-n", r), ("attnresln-n", gr)):
        preserving = vectors[diagonal, diagonal]  # (T, C): v_ii
        mixing[key] = ratio(vectors.sum(dim=1) - preserving, preserving)
    for key, value in mixing.items():
        assert bool(((value >= 0) & (value <= 1)).all()), f"{where}: mixing ratio {key} outside [0, 1]"

    out = {
        "attention": alpha,
        "value-norm": f.norm(dim=-1),  # (NH, T)
        "norm": norm,  # (NH, T, T)
        "norm-summed": z.norm(dim=-1),  # (T, T)
        "attn-res": r.norm(dim=-1),  # (T, T)
        "attn-res-ln": gr.norm(dim=-1),  # (T, T)
    }
    for key, value in mixing.items():
        out[f"mixing.{key}"] = value  # (T)
    return out


def rollout_direct(matrices: list[torch.Tensor]) -> torch.Tensor:
    """R = M_{L-1} ... M_0, accumulated from layer 0 upward (later layers on the left)."""
    result = torch.eye(matrices[0].shape[0], dtype=torch.float64)
    for m in matrices:
        result = m @ result
    return result


def special_classes(ids: list[int], punct_ids: list[int]) -> list[int]:
    """Class index per token (SPECIAL_CLASSES order); position decides [CLS] and [SEP]."""
    T = len(ids)
    classes = []
    for position, token in enumerate(ids):
        if position == 0:
            classes.append(0)
        elif position == T - 1:
            classes.append(1)
        elif token in punct_ids:
            classes.append(2)
        else:
            classes.append(3)
    missing = [SPECIAL_CLASSES[c] for c in range(len(SPECIAL_CLASSES)) if c not in classes]
    assert not missing, f"special-token classes without tokens: {missing}"
    return classes


def special_direct(alpha: torch.Tensor, norm: torch.Tensor, value_norm: torch.Tensor, classes: list[int]):
    """As the authors' re-examine.py: per head and class, mean over query rows i of the sum over
    the class's columns j (weight: alpha, norm: |alpha f|), and mean |f(x_j)| over the class."""
    NH = alpha.shape[0]
    labels = torch.tensor(classes)
    weight = torch.zeros(NH, len(SPECIAL_CLASSES), dtype=torch.float64)
    normed = torch.zeros_like(weight)
    fnorm = torch.zeros_like(weight)
    for h in range(NH):
        for c in range(len(SPECIAL_CLASSES)):
            columns = labels == c
            weight[h, c] = alpha[h][:, columns].sum(dim=1).mean()
            normed[h, c] = norm[h][:, columns].sum(dim=1).mean()
            fnorm[h, c] = value_norm[h, columns].mean()
    return {"special.weight": weight, "special.norm": normed, "special.fnorm": fnorm}


# ---------------------------------------------------------------------------------------------
# Second route: numpy float64 through the Gram identity (docs/methods.md), never T x T x C


def gram_layer(tap: dict) -> dict[str, np.ndarray]:
    """Per-layer quantities from x, the weights and the attention-output tap (not the value tap)."""
    alpha = tap["alpha"].numpy()
    x, y = tap["x"].numpy(), tap["pre_ln"].numpy()
    W_V, b_V, W_O, b_O = (tap[k].numpy() for k in ("W_V", "b_V", "W_O", "b_O"))
    gamma, eps = tap["gamma"].numpy(), tap["eps"]
    NH, T, _ = alpha.shape
    C = x.shape[1]
    HS = C // NH
    values = x @ W_V.T + b_V  # (T, C)
    f = np.stack([values[:, h * HS:(h + 1) * HS] @ W_O[:, h * HS:(h + 1) * HS].T for h in range(NH)])  # (NH, T, C)
    G = np.einsum("htc,gtc->thg", f, f)  # (T, NH, NH): Gram matrix of source token j
    value_norm = np.sqrt(np.einsum("hth->ht", G.transpose(1, 0, 2)))  # diag of G_j, (NH, T)
    quad = np.einsum("hij,jhg,gij->ij", alpha, G, alpha, optimize=True)
    norm_summed = np.sqrt(np.maximum(quad, 0.0))

    idx = np.arange(T)
    z_diag = np.einsum("hi,hic->ic", alpha[:, idx, idx], f)  # z_ii (T, C)
    r_diag = z_diag + x
    attn_res = norm_summed.copy()
    attn_res[idx, idx] = np.linalg.norm(r_diag, axis=-1)

    centred = y - y.mean(axis=-1, keepdims=True)
    s = np.sqrt((centred * centred).mean(axis=-1) + eps)  # (T)

    def g(v: np.ndarray) -> np.ndarray:  # v (T, C), row i scaled by 1 / s_i
        return (v - v.mean(axis=-1, keepdims=True)) * gamma / s[:, None]

    fc = f - f.mean(axis=-1, keepdims=True)
    Gw = np.einsum("htc,gtc,c->thg", fc, fc, gamma * gamma)  # <P f^h, P f^h'>_w per j
    quad_w = np.einsum("hij,jhg,gij->ij", alpha, Gw, alpha, optimize=True) / (s * s)[:, None]
    attn_res_ln = np.sqrt(np.maximum(quad_w, 0.0))
    attn_res_ln[idx, idx] = np.linalg.norm(g(r_diag), axis=-1)

    o = tap["attn_out"].numpy() - b_O  # sum_j z_ij
    mixing_z = o - z_diag  # = sum_{j != i} z_ij = sum_{j != i} r_ij

    def ratio_np(m, p):
        m, p = np.linalg.norm(m, axis=-1), np.linalg.norm(p, axis=-1)
        return m / (m + p)

    attn_w = 1.0 - alpha[:, idx, idx].mean(axis=0)
    return {
        "attention": alpha,
        "value-norm": value_norm,
        "norm": alpha * value_norm[:, None, :],
        "norm-summed": norm_summed,
        "attn-res": attn_res,
        "attn-res-ln": attn_res_ln,
        "mixing.attn-w": attn_w,
        "mixing.attnres-w": 0.5 * attn_w,
        "mixing.attn-n": ratio_np(mixing_z, z_diag),
        "mixing.attnres-n": ratio_np(mixing_z, r_diag),
        "mixing.attnresln-n": ratio_np(g(mixing_z), g(r_diag)),
    }


def special_gram(alpha: np.ndarray, value_norm: np.ndarray, classes: list[int]) -> dict[str, np.ndarray]:
    onehot = np.eye(len(SPECIAL_CLASSES))[classes]  # (T, 4)
    counts = onehot.sum(axis=0)
    return {
        "special.weight": (alpha @ onehot).mean(axis=1),  # (NH, 4)
        "special.norm": ((alpha * value_norm[:, None, :]) @ onehot).mean(axis=1),
        "special.fnorm": (value_norm @ onehot) / counts,
    }


def rollout_gram(matrices: list[np.ndarray]) -> np.ndarray:
    """The same product, associated from the top layer downward."""
    result = matrices[-1]
    for m in reversed(matrices[:-1]):
        result = result @ m
    return result


# ---------------------------------------------------------------------------------------------
# One case, both routes


def row_normalise(m):
    return m / m.sum(-1, keepdims=True) if isinstance(m, np.ndarray) else m / m.sum(dim=-1, keepdim=True)


@torch.no_grad()
def case_direct(model, family, ids, punct, where) -> dict[str, torch.Tensor]:
    """Direct route for a case: per-layer tensors, rollouts, special-token statistics."""
    taps = capture(model, family, ids)
    T = len(ids)
    classes = special_classes(ids, punct) if punct is not None else None
    out: dict[str, torch.Tensor] = {"input_ids": torch.tensor(ids, dtype=torch.int64)}
    rollout_factors, norm_factors = [], []
    for layer in range(len(taps)):
        tap = taps[layer]
        q = direct_layer(tap, f"{where} layer {layer}")
        rollout_factors.append(0.5 * q["attention"].mean(dim=0) + 0.5 * torch.eye(T, dtype=torch.float64))
        norm_factors.append(row_normalise(q["attn-res-ln"]))
        if classes is not None:
            q.update(special_direct(q["attention"], q["norm"], q["value-norm"], classes))
        for key, value in q.items():
            if key in ("attention", "norm") and T > PER_HEAD_TT_LIMIT:
                continue
            out[f"layer{layer}.{key}"] = value
        taps[layer] = None  # one layer's (NH, T, T, C) at a time
    out["rollout"] = rollout_direct(rollout_factors)
    out["norm-rollout"] = rollout_direct(norm_factors)
    for key in ("rollout", "norm-rollout"):
        sums = out[key].sum(dim=-1)
        assert torch.allclose(sums, torch.ones_like(sums), atol=1e-9), f"{where}: {key} rows do not sum to 1"
    return out


@torch.no_grad()
def case_gram(model, family, ids, punct) -> dict[str, np.ndarray]:
    taps = capture(model, family, ids)
    T = len(ids)
    classes = special_classes(ids, punct) if punct is not None else None
    out: dict[str, np.ndarray] = {}
    rollout_factors, norm_factors = [], []
    for layer, tap in enumerate(taps):
        q = gram_layer(tap)
        rollout_factors.append(0.5 * q["attention"].mean(axis=0) + 0.5 * np.eye(T))
        norm_factors.append(row_normalise(q["attn-res-ln"]))
        if classes is not None:
            q.update(special_gram(q["attention"], q["value-norm"], classes))
        for key, value in q.items():
            out[f"layer{layer}.{key}"] = value
    out["rollout"] = rollout_gram(rollout_factors)
    out["norm-rollout"] = rollout_gram(norm_factors)
    return out


def to_stored(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {
        k: v.detach().to(torch.float32 if v.is_floating_point() else torch.int64).contiguous()
        for k, v in tensors.items()
    }


def save_analysis(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    # One metadata key only: several would be written in hash order (bytes not reproducible).
    save_file(tensors, str(path), metadata={"format": f"heed-analysis-{FORMAT_VERSION}"})


def row_relative_error(stored: np.ndarray, other: np.ndarray) -> float:
    """max |stored - other| / (max |stored| over the same last-axis row)."""
    scale = np.abs(stored).max(axis=-1, keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)
    return float((np.abs(stored - other) / scale).max())


# ---------------------------------------------------------------------------------------------
# Models, cases, manifests


def model_sources(tiny_names: list[str], include_minilm: bool, minilm_dir: Path):
    """(name, family, loader, source description, model manifest, case names)."""
    sources = []
    for name in tiny_names:
        directory = MODELS_DIR / name
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        sources.append((
            name, manifest["family"],
            lambda d=directory: load_tiny(d),
            f"Tests/Fixtures/models/{name} (weights in the repository)", manifest, TINY_CASES,
        ))
    if include_minilm:
        manifest = json.loads((MODELS_DIR / "minilm" / "manifest.json").read_text(encoding="utf-8"))
        sources.append((
            "minilm", "bert",
            lambda: AutoModel.from_pretrained(str(minilm_dir), attn_implementation="eager", dtype=torch.float32).eval(),
            "sentence-transformers/all-MiniLM-L6-v2 (fetched; ids from Tests/Fixtures/models/minilm/manifest.json)",
            manifest, MINILM_CASES,
        ))
    return sources


def case_from_manifest(manifest: dict, name: str) -> dict:
    for case in manifest["cases"]:
        if case["name"] == name:
            return case
    raise SystemExit(f"error: case {name!r} missing from the {manifest['model']} model manifest")


def check_against_model_fixture(model_name: str, case_name: str, model, family, ids) -> float:
    """The taps' x and alpha must match the model fixture's hidden/attn tensors."""
    expected = read_safetensors(MODELS_DIR / model_name / "expected.safetensors")
    taps = capture(model, family, ids)
    worst = 0.0
    for layer, tap in enumerate(taps):
        for key, name in (("x", f"{case_name}.hidden.{layer}"), ("alpha", f"{case_name}.attn.{layer}")):
            worst = max(worst, (tap[key] - expected[name].double()).abs().max().item())
    assert worst <= 1e-5, f"{model_name} {case_name}: taps differ from models/ fixture by {worst}"
    return worst


KEY_DOCS = {
    "layer{l}.attention": "alpha^h[i,j], row i attends to column j",
    "layer{l}.value-norm": "|f^h(x_j)|",
    "layer{l}.norm": "|alpha^h[i,j] f^h(x_j)|",
    "layer{l}.norm-summed": "|z_ij|, z_ij = sum_h alpha^h[i,j] f^h(x_j)",
    "layer{l}.attn-res": "|r_ij|, r_ij = z_ij + [i==j] x_i",
    "layer{l}.attn-res-ln": "|g_i(r_ij)|",
    "layer{l}.mixing.attn-w": "sum_{j!=i} mean_h alpha[i,j]",
    "layer{l}.mixing.attnres-w": "half of attn-w",
    "layer{l}.mixing.attn-n": "ratio for z",
    "layer{l}.mixing.attnres-n": "ratio for r",
    "layer{l}.mixing.attnresln-n": "ratio for g_i(r)",
    "layer{l}.special.weight": "per head and class: mean_i sum_{j in class} alpha^h[i,j]",
    "layer{l}.special.norm": "per head and class: mean_i sum_{j in class} |alpha^h[i,j] f^h(x_j)|",
    "layer{l}.special.fnorm": "per head and class: mean_{j in class} |f^h(x_j)|",
    "rollout": "A_hat_{L-1} ... A_hat_0, A_hat_l = 0.5 mean_h alpha_l + 0.5 I",
    "norm-rollout": "N_{L-1} ... N_0, N_l = attn-res-ln of layer l, each row divided by its sum",
}

CONVENTIONS = {
    "x": "layer input = hidden_states[l] = input of the value projection (ELECTRA: after embeddings_project)",
    "f": "f^h(x) = (x W_V^h + b_V^h) W_O^h; W_O^h = the HS input columns of the out-projection for head h; b_V inside f, b_O never attributed",
    "g": "g_i(v) = (v - mean(v)) * gamma / s_i, s_i = sqrt(Var(y_i) + eps), biased variance (divide by C), y_i = attention output incl. b_O + x_i; gamma, eps of the attention LayerNorm; beta and g_i(b_O) left out",
    "mixing": "r_i = |sum_{j!=i} v_ij| / (|sum_{j!=i} v_ij| + |v_ii|) for v = z (attn-n), r (attnres-n), g_i(r) (attnresln-n)",
    "rollout": "row i = attending (output) token, column j = input token; later layers on the left",
    "special": "classes exclusive, by precedence: position 0 = cls, position T-1 = sep, token id in punct_ids = punct, else other; means over all T query rows (special rows included), as re-examine.py",
    "precision": "direct (NH, T, T, C) computation in float64 from float32 taps; stored as F32",
}


def generate_model(name, family, load, source, model_manifest, case_names) -> None:
    out_dir = ANALYSIS_DIR / name
    out_dir.mkdir(parents=True, exist_ok=True)
    model = load()
    cfg = model.config
    special_cases, punct_ids, punct_note = SPECIAL_CASES.get(name, ([], None, None))
    entries = []
    for case_name in case_names:
        start = time.time()
        ids = case_from_manifest(model_manifest, case_name)["input_ids"]
        T = len(ids)
        check_against_model_fixture(name, case_name, model, family, ids)
        punct = punct_ids if case_name in special_cases else None
        tensors = to_stored(case_direct(model, family, ids, punct, f"{name} {case_name}"))
        path = out_dir / f"{case_name}.safetensors"
        save_analysis(path, tensors)
        shapes = {}
        for key, value in tensors.items():
            pattern = key.split(".", 1)[1] if key.startswith("layer") else key
            pattern = f"layer{{l}}.{pattern}" if key.startswith("layer") else pattern
            shapes.setdefault(pattern, list(value.shape))
        entry = {"name": case_name, "T": T, "file": path.name}
        tokens = case_from_manifest(model_manifest, case_name).get("tokens")
        if tokens is not None:
            entry["tokens"] = tokens
        entry["input_ids"] = ids
        entry["special"] = punct is not None
        if punct is not None:
            entry["special_classes_by_token"] = [SPECIAL_CLASSES[c] for c in special_classes(ids, punct)]
        entry["keys"] = shapes
        if T > PER_HEAD_TT_LIMIT:
            entry["omitted"] = ["layer{l}.attention", "layer{l}.norm"]
        entries.append(entry)
        print(f"  {name} {case_name}: T={T}, {len(tensors)} tensors, {path.stat().st_size} bytes, {time.time() - start:.1f} s")
    manifest = {
        "format": FORMAT_VERSION,
        "model": name,
        "family": family,
        "source": source,
        "layers": cfg.num_hidden_layers,
        "heads": cfg.num_attention_heads,
        "hidden": cfg.hidden_size,
        "layer_norm_eps": model_manifest["layer_norm_eps"],
        "float_dtype": "F32",
        "input_ids_key": "input_ids",
        "keys": KEY_DOCS,
        "conventions": CONVENTIONS,
    }
    if punct_ids is not None:
        manifest["special"] = {"classes": SPECIAL_CLASSES, "punct_ids": punct_ids, "note": punct_note}
    manifest["cases"] = entries
    write_json(out_dir / "manifest.json", manifest)


def verify_model(name, family, load, source, model_manifest, case_names) -> tuple[float, float]:
    """Reload the files; compare with a fresh direct run and with the Gram route."""
    out_dir = ANALYSIS_DIR / name
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    special = manifest.get("special")
    model = load()
    worst_direct = worst_gram = 0.0
    assert [c["name"] for c in manifest["cases"]] == case_names, f"{name}: manifest cases"
    for case in manifest["cases"]:
        ids = case["input_ids"]
        punct = special["punct_ids"] if case["special"] else None
        stored = read_safetensors(out_dir / case["file"])
        assert torch.equal(stored["input_ids"], torch.tensor(ids, dtype=torch.int64)), f"{name} {case['name']}: ids"
        fresh = to_stored(case_direct(model, family, ids, punct, f"verify {name} {case['name']}"))
        assert set(stored) == set(fresh), f"{name} {case['name']}: key sets differ: {set(stored) ^ set(fresh)}"
        gram = case_gram(model, family, ids, punct)
        case_direct_err = case_gram_err = 0.0
        for key, value in stored.items():
            if key == "input_ids":
                continue
            assert value.dtype == torch.float32 and value.shape == fresh[key].shape, key
            s = value.double().numpy()
            assert np.isfinite(s).all(), f"{name} {case['name']} {key}: not finite"
            e_direct = row_relative_error(s, fresh[key].double().numpy())
            e_gram = row_relative_error(s, gram[key])
            assert e_direct <= RECOMPUTE_TOLERANCE, f"{name} {case['name']} {key}: recompute error {e_direct:.3g}"
            assert e_gram <= GRAM_TOLERANCE, f"{name} {case['name']} {key}: Gram-route error {e_gram:.3g}"
            case_direct_err, case_gram_err = max(case_direct_err, e_direct), max(case_gram_err, e_gram)
        print(
            f"  verify {name} {case['name']}: max row-relative error vs fresh direct run {case_direct_err:.2g}, "
            f"vs Gram route {case_gram_err:.2g}"
        )
        worst_direct, worst_gram = max(worst_direct, case_direct_err), max(worst_gram, case_gram_err)
    return worst_direct, worst_gram


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["tiny", "minilm"], help="generate only one group")
    parser.add_argument("--model", choices=TINY_MODELS,
                        help="generate only this tiny model (implies --only tiny; versions.json is rewritten)")
    parser.add_argument("--minilm", type=Path, default=DEFAULT_MINILM_DIR, help="all-MiniLM-L6-v2 directory")
    parser.add_argument("--verify-only", action="store_true", help="check existing fixtures, write nothing")
    args = parser.parse_args()
    if args.model:
        args.only = "tiny"
    include_tiny = args.only in (None, "tiny")
    include_minilm = args.only in (None, "minilm")
    tiny_names = [name for name in TINY_MODELS if include_tiny and args.model in (None, name)]
    if include_minilm and not (args.minilm / "model.safetensors").is_file():
        sys.exit(f"error: no model.safetensors in {args.minilm} (pass --minilm DIR or --only tiny)")

    hf_logging.disable_progress_bar()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    started = time.time()
    sources = model_sources(tiny_names, include_minilm, args.minilm)
    if not args.verify_only:
        ANALYSIS_DIR.mkdir(parents=True, exist_ok=True)
        for name, family, load, source, model_manifest, case_names in sources:
            generate_model(name, family, load, source, model_manifest, case_names)
        write_json(
            ANALYSIS_DIR / "versions.json",
            {
                "generator": "Tests/Fixtures/generate_analysis_fixtures.py",
                "format": FORMAT_VERSION,
                "python": platform.python_version(),
                "packages": PACKAGE_VERSIONS,
                "torch_threads": 1,
            },
        )
        print(f"generated in {time.time() - started:.1f} s")
    for name, family, load, source, model_manifest, case_names in sources:
        verify_model(name, family, load, source, model_manifest, case_names)
    print(f"ok ({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
