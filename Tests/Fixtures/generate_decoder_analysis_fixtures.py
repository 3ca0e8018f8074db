#!/usr/bin/env python3
"""Generate Heed's golden analysis fixtures (METHODS.md quantities) for the tiny Llama-family decoders.

Run from anywhere, with the pinned virtual environment (after generate_decoder_fixtures.py):

    python3 Tests/Fixtures/generate_decoder_analysis_fixtures.py [--model NAME ...] [--verify-only]

Writes under Tests/Fixtures/analysis/ (format: Tests/Fixtures/README.md, "Analysis fixtures",
"Decoders"), in the format of generate_analysis_fixtures.py:

    tiny-{llama,mistral,qwen2}/T7.safetensors, T33.safetensors, manifest.json
    decoder-versions.json

Ids come from Tests/Fixtures/models/tiny-<family>/manifest.json (cases T7 and T33). Pre-norm
conventions (METHODS.md): h_i = the residual stream entering the attention block, x_i =
input_layernorm(h_i) is what attention reads, f^h(x_j) = (x_j W_V^kv(h) + b_V^kv(h)) W_O^h with
kv(h) = h // (NH / NKV) and W_O^h the HS input columns of o_proj for head h, r_ij = z_ij + [i==j] h_i.
`attn-res-ln` and the `attnresln-n` mixing ratio are not defined for pre-norm models and are not
written. Direct route: float32 taps from forward hooks, float64 vectors alpha^h[i,j] f^h(x_j)
summed over heads explicitly (T x T x C per layer). After writing, every file is compared with a
fresh direct run of the model reloaded from disk and with an independent numpy computation through
the Gram identity (from x and the weights, never T x T x C).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parent
MODELS_DIR = FIXTURES_DIR / "models"
ANALYSIS_DIR = FIXTURES_DIR / "analysis"

FORMAT_VERSION = 1
TINY_MODELS = ["tiny-llama", "tiny-mistral", "tiny-qwen2"]
TINY_CASES = ["T7", "T33"]
PER_HEAD_TT_LIMIT = 33
PROPERTY_TOLERANCE = 1e-4
RECOMPUTE_TOLERANCE = 1e-5
GRAM_TOLERANCE = 1e-4

from fixture_common import check_versions, read_safetensors, write_json  # noqa: E402

if __name__ == "__main__":
    PACKAGE_VERSIONS = check_versions()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

from generate_decoder_fixtures import load_decoder, run  # noqa: E402


# ---------------------------------------------------------------------------------------------
# Taps


@torch.no_grad()
def layer_taps(model, result: dict, layer: int) -> dict:
    """float64 taps and parameters of one layer from a `run` result (with taps).

    h (T, C) residual entering the block; x (T, C) = input_layernorm(h); v (T, NKV*HS) = v_proj(x)
    incl. b_V; alpha (NH, T, T); attn_out (T, C) = o_proj output incl. b_O (if any); y = h + attn_out.
    Parameters: W_V (NKV*HS, C), b_V (or zeros), W_O (C, NH*HS), b_O (or zeros)."""
    tap = {key: value.double() for key, value in result["taps"][layer].items()}
    tap["alpha"] = result["attn"][layer].double()
    attn = model.model.layers[layer].self_attn
    tap["W_V"] = attn.v_proj.weight.double()
    tap["b_V"] = attn.v_proj.bias.double() if attn.v_proj.bias is not None else torch.zeros(attn.v_proj.out_features, dtype=torch.float64)
    tap["W_O"] = attn.o_proj.weight.double()
    tap["b_O"] = attn.o_proj.bias.double() if attn.o_proj.bias is not None else torch.zeros(attn.o_proj.out_features, dtype=torch.float64)
    return tap


def assert_close(name: str, got: torch.Tensor, want: torch.Tensor, tol: float) -> float:
    """|got - want| <= tol * max(1, max |want|): absolute for the tiny models (values of order 1),
    relative to the largest entry where the residual stream is large (SmolLM2)."""
    err = (got - want).abs().max().item()
    bound = tol * max(1.0, want.abs().max().item())
    assert err <= bound, f"{name}: max abs difference {err:.3g} > {bound:.3g}"
    return err


def ratio(mixing: torch.Tensor, preserving: torch.Tensor) -> torch.Tensor:
    m, p = mixing.norm(dim=-1), preserving.norm(dim=-1)
    return m / (m + p)


# ---------------------------------------------------------------------------------------------
# Direct route


@torch.no_grad()
def f_vectors(tap: dict) -> torch.Tensor:
    """f^h(x_j) (NH, T, C) from the value tap: head h reads value head h // (NH / NKV)."""
    alpha, v, W_O = tap["alpha"], tap["v"], tap["W_O"]
    NH, T, _ = alpha.shape
    C = W_O.shape[0]
    HS = W_O.shape[1] // NH
    NKV = v.shape[1] // HS
    group = NH // NKV
    vh = v.view(T, NKV, HS).permute(1, 0, 2)  # (NKV, T, HS)
    vh = vh[torch.arange(NH) // group]  # (NH, T, HS)
    return torch.einsum("htv,dhv->htd", vh, W_O.view(C, NH, HS))  # (NH, T, C)


@torch.no_grad()
def direct_layer(tap: dict, where: str, per_head: bool = True) -> dict[str, torch.Tensor]:
    """Every pre-norm quantity of METHODS.md for one layer, float64, with property checks.
    z_ij = sum_h alpha^h[i,j] f^h(x_j) is accumulated head by head (T, T, C)."""
    alpha, h = tap["alpha"], tap["h"]
    NH, T, _ = alpha.shape
    f = f_vectors(tap)
    value_norm = f.norm(dim=-1)  # (NH, T)
    z = torch.zeros(T, T, f.shape[-1], dtype=torch.float64)
    norm = torch.empty(NH, T, T, dtype=torch.float64) if per_head else None
    for head in range(NH):
        weighted = alpha[head][:, :, None] * f[head][None, :, :]  # (T, T, C)
        if per_head:
            norm[head] = weighted.norm(dim=-1)
        z += weighted
        del weighted
    diagonal = torch.arange(T)
    # r_ij = z_ij + [i == j] h_i: r equals z off the diagonal, so only the diagonal vectors
    # r_ii = z_ii + h_i are formed (a second T x T x C tensor would double the memory at T = 512).
    z_diag = z[diagonal, diagonal]  # (T, C)
    r_diag = z_diag + h
    z_sum = z.sum(dim=1)  # sum_j z_ij (T, C)

    # Property checks.
    assert_close(f"{where}: sum_j z_ij + b_O vs o_proj output", z_sum + tap["b_O"], tap["attn_out"], PROPERTY_TOLERANCE)
    assert_close(f"{where}: sum_j r_ij + b_O vs y", z_sum + h + tap["b_O"], tap["y"], PROPERTY_TOLERANCE)
    norm_summed = z.norm(dim=-1)
    if T > 1:
        upper = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        assert float(norm_summed[upper].max()) == 0.0, f"{where}: mass beyond the diagonal"
    del z
    off = ~torch.eye(T, dtype=torch.bool)
    attn_res = norm_summed.clone()
    attn_res[diagonal, diagonal] = r_diag.norm(dim=-1)
    if per_head:
        assert torch.allclose(norm, alpha * value_norm[:, None, :], rtol=1e-12, atol=1e-300), f"{where}: norm != alpha |f|"

    mean_alpha = alpha.mean(dim=0)
    attn_w = (mean_alpha * off).sum(dim=1)
    mixing = {"attn-w": attn_w, "attnres-w": 0.5 * attn_w}
    # sum_{j != i} r_ij = sum_{j != i} z_ij (the residual sits on the diagonal only)
    mixing["attn-n"] = ratio(z_sum - z_diag, z_diag)
    mixing["attnres-n"] = ratio(z_sum - z_diag, r_diag)
    for key, value in mixing.items():
        assert bool(((value >= 0) & (value <= 1)).all()), f"{where}: mixing ratio {key} outside [0, 1]"
    out = {"attention": alpha, "value-norm": value_norm}
    if per_head:
        out["norm"] = norm
    out["norm-summed"] = norm_summed
    out["attn-res"] = attn_res
    for key, value in mixing.items():
        out[f"mixing.{key}"] = value
    return out


def rollout_direct(matrices: list[torch.Tensor]) -> torch.Tensor:
    result = torch.eye(matrices[0].shape[0], dtype=torch.float64)
    for m in matrices:
        result = m @ result
    return result


def row_normalise(m):
    return m / m.sum(-1, keepdims=True) if isinstance(m, np.ndarray) else m / m.sum(dim=-1, keepdim=True)


@torch.no_grad()
def case_direct(model, ids: list[int], where: str) -> dict[str, torch.Tensor]:
    result = run(model, ids, with_taps=True)
    T = len(ids)
    out: dict[str, torch.Tensor] = {"input_ids": torch.tensor(ids, dtype=torch.int64)}
    rollout_factors, norm_factors = [], []
    for layer in range(len(result["attn"])):
        q = direct_layer(layer_taps(model, result, layer), f"{where} layer {layer}")
        rollout_factors.append(0.5 * q["attention"].mean(dim=0) + 0.5 * torch.eye(T, dtype=torch.float64))
        norm_factors.append(row_normalise(q["attn-res"]))
        for key, value in q.items():
            if key in ("attention", "norm") and T > PER_HEAD_TT_LIMIT:
                continue
            out[f"layer{layer}.{key}"] = value
    out["rollout"] = rollout_direct(rollout_factors)
    out["norm-rollout"] = rollout_direct(norm_factors)
    for key in ("rollout", "norm-rollout"):
        sums = out[key].sum(dim=-1)
        assert torch.allclose(sums, torch.ones_like(sums), atol=1e-9), f"{where}: {key} rows do not sum to 1"
        assert float(torch.triu(out[key], diagonal=1).abs().max()) == 0.0, f"{where}: {key} not lower triangular"
    return out


# ---------------------------------------------------------------------------------------------
# Gram route (numpy float64, from x and the weights)


def gram_layer(tap: dict) -> dict[str, np.ndarray]:
    alpha = tap["alpha"].numpy()
    x, h = tap["x"].numpy(), tap["h"].numpy()
    W_V, b_V, W_O = tap["W_V"].numpy(), tap["b_V"].numpy(), tap["W_O"].numpy()
    NH, T, _ = alpha.shape
    HS = W_O.shape[1] // NH
    NKV = W_V.shape[0] // HS
    group = NH // NKV
    values = x @ W_V.T + b_V  # (T, NKV*HS)
    f = np.stack([values[:, (hd // group) * HS:(hd // group + 1) * HS] @ W_O[:, hd * HS:(hd + 1) * HS].T for hd in range(NH)])
    G = np.einsum("htc,gtc->thg", f, f)
    value_norm = np.sqrt(np.einsum("hth->ht", G.transpose(1, 0, 2)))
    quad = np.einsum("hij,jhg,gij->ij", alpha, G, alpha, optimize=True)
    norm_summed = np.sqrt(np.maximum(quad, 0.0))
    idx = np.arange(T)
    z_diag = np.einsum("hi,hic->ic", alpha[:, idx, idx], f)
    r_diag = z_diag + h
    attn_res = norm_summed.copy()
    attn_res[idx, idx] = np.linalg.norm(r_diag, axis=-1)
    o = tap["attn_out"].numpy() - tap["b_O"].numpy()  # sum_j z_ij
    mixing_z = o - z_diag

    def ratio_np(m, p):
        mn, pn = np.linalg.norm(m, axis=-1), np.linalg.norm(p, axis=-1)
        return mn / (mn + pn)

    mean_alpha = alpha.mean(axis=0)
    attn_w = mean_alpha.sum(axis=1) - mean_alpha[idx, idx]
    return {
        "attention": alpha,
        "value-norm": value_norm,
        "norm": alpha * value_norm[:, None, :],
        "norm-summed": norm_summed,
        "attn-res": attn_res,
        "mixing.attn-w": attn_w,
        "mixing.attnres-w": 0.5 * attn_w,
        "mixing.attn-n": ratio_np(mixing_z, z_diag),
        "mixing.attnres-n": ratio_np(mixing_z, r_diag),
    }


def rollout_gram(matrices: list[np.ndarray]) -> np.ndarray:
    result = matrices[-1]
    for m in reversed(matrices[:-1]):
        result = result @ m
    return result


@torch.no_grad()
def case_gram(model, ids: list[int]) -> dict[str, np.ndarray]:
    result = run(model, ids, with_taps=True)
    T = len(ids)
    out: dict[str, np.ndarray] = {}
    rollout_factors, norm_factors = [], []
    for layer in range(len(result["attn"])):
        q = gram_layer(layer_taps(model, result, layer))
        rollout_factors.append(0.5 * q["attention"].mean(axis=0) + 0.5 * np.eye(T))
        norm_factors.append(row_normalise(q["attn-res"]))
        for key, value in q.items():
            out[f"layer{layer}.{key}"] = value
    out["rollout"] = rollout_gram(rollout_factors)
    out["norm-rollout"] = rollout_gram(norm_factors)
    return out


def to_stored(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {
        k: v.detach().to(torch.float32 if v.is_floating_point() else torch.int64).contiguous().clone()
        for k, v in tensors.items()
    }


def save_analysis(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    save_file(tensors, str(path), metadata={"format": f"heed-analysis-{FORMAT_VERSION}"})


def row_relative_error(stored: np.ndarray, other: np.ndarray) -> float:
    scale = np.abs(stored).max(axis=-1, keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)
    return float((np.abs(stored - other) / scale).max())


# ---------------------------------------------------------------------------------------------
# Manifests

KEY_DOCS = {
    "layer{l}.attention": "alpha^h[i,j], row i attends to column j (causal: 0 for j > i)",
    "layer{l}.value-norm": "|f^h(x_j)|",
    "layer{l}.norm": "|alpha^h[i,j] f^h(x_j)|",
    "layer{l}.norm-summed": "|z_ij|, z_ij = sum_h alpha^h[i,j] f^h(x_j)",
    "layer{l}.attn-res": "|r_ij|, r_ij = z_ij + [i==j] h_i",
    "layer{l}.mixing.attn-w": "sum_{j!=i} mean_h alpha[i,j]",
    "layer{l}.mixing.attnres-w": "half of attn-w",
    "layer{l}.mixing.attn-n": "ratio for z",
    "layer{l}.mixing.attnres-n": "ratio for r",
    "rollout": "A_hat_{L-1} ... A_hat_0, A_hat_l = 0.5 mean_h alpha_l + 0.5 I",
    "norm-rollout": "N_{L-1} ... N_0, N_l = attn-res of layer l, each row divided by its sum",
}

CONVENTIONS = {
    "h": "residual stream entering the attention block of layer l (hidden_states[l]); the residual of attn-res",
    "x": "x = input_layernorm(h) (RMSNorm), the input of q/k/v_proj",
    "f": "f^h(x) = (x W_V^kv(h) + b_V^kv(h)) W_O^h, kv(h) = h // (NH / NKV) (GQA); W_O^h = the HS input columns "
         "of o_proj belonging to head h; b_V inside f (Qwen2), o_proj has no bias in this family",
    "y": "y_i = h_i + o_proj output: sum_j r_ij = y_i (property check)",
    "mixing": "r_i = |sum_{j!=i} v_ij| / (|sum_{j!=i} v_ij| + |v_ii|) for v = z (attn-n), r (attnres-n)",
    "rollout": "row i = attending (output) token, column j = input token; later layers on the left",
    "not_defined": "attn-res-ln and mixing.attnresln-n (pre-norm: no LayerNorm follows the block); not written",
    "precision": "direct computation in float64 from float32 taps (z summed head by head); stored as F32",
}


def generate_model(name: str) -> None:
    out_dir = ANALYSIS_DIR / name
    out_dir.mkdir(parents=True, exist_ok=True)
    model_manifest = json.loads((MODELS_DIR / name / "manifest.json").read_text(encoding="utf-8"))
    model = load_decoder(MODELS_DIR / name)
    expected = read_safetensors(MODELS_DIR / name / "expected.safetensors")
    entries = []
    for case_name in TINY_CASES:
        start = time.time()
        case = next(c for c in model_manifest["cases"] if c["name"] == case_name)
        ids = case["input_ids"]
        T = len(ids)
        tensors = to_stored(case_direct(model, ids, f"{name} {case_name}"))
        # The taps agree with the model fixture (attention and residual stream).
        for layer in range(model_manifest["layers"]):
            assert torch.allclose(tensors.get(f"layer{layer}.attention", expected[f"{case_name}.attn.{layer}"]),
                                  expected[f"{case_name}.attn.{layer}"], atol=1e-6), f"{name} {case_name}: attention"
        path = out_dir / f"{case_name}.safetensors"
        save_analysis(path, tensors)
        shapes = {}
        for key, value in tensors.items():
            pattern = f"layer{{l}}.{key.split('.', 1)[1]}" if key.startswith("layer") else key
            shapes.setdefault(pattern, list(value.shape))
        entry = {"name": case_name, "T": T, "file": path.name, "tokens": case["tokens"], "input_ids": ids, "keys": shapes}
        if T > PER_HEAD_TT_LIMIT:
            entry["omitted"] = ["layer{l}.attention", "layer{l}.norm"]
        entries.append(entry)
        print(f"  {name} {case_name}: T={T}, {len(tensors)} tensors, {path.stat().st_size} bytes, {time.time() - start:.1f} s")
    manifest = {
        "format": FORMAT_VERSION,
        "model": name,
        "family": model_manifest["family"],
        "source": f"Tests/Fixtures/models/{name} (weights in the repository)",
        "layers": model_manifest["layers"],
        "heads": model_manifest["heads"],
        "kv_heads": model_manifest["kv_heads"],
        "hidden": model_manifest["hidden"],
        "rms_norm_eps": model_manifest["rms_norm_eps"],
        "norm": "pre-norm (RMSNorm before the block)",
        "float_dtype": "F32",
        "input_ids_key": "input_ids",
        "methods": ["attention", "value-norm", "norm", "norm-summed", "attn-res", "mixing-ratio", "rollout", "norm-rollout"],
        "mixing_keys": ["attn-w", "attnres-w", "attn-n", "attnres-n"],
        "not_defined": ["attn-res-ln", "mixing.attnresln-n"],
        "keys": KEY_DOCS,
        "conventions": CONVENTIONS,
        "cases": entries,
    }
    write_json(out_dir / "manifest.json", manifest)


def verify_model(name: str) -> tuple[float, float]:
    out_dir = ANALYSIS_DIR / name
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    model = load_decoder(MODELS_DIR / name)
    worst_direct = worst_gram = 0.0
    for case in manifest["cases"]:
        ids = case["input_ids"]
        stored = read_safetensors(out_dir / case["file"])
        assert torch.equal(stored["input_ids"], torch.tensor(ids, dtype=torch.int64))
        fresh = to_stored(case_direct(model, ids, f"verify {name} {case['name']}"))
        assert set(stored) == set(fresh), f"{name} {case['name']}: key sets differ: {set(stored) ^ set(fresh)}"
        gram = case_gram(model, ids)
        e_d = e_g = 0.0
        for key, value in stored.items():
            if key == "input_ids":
                continue
            s = value.double().numpy()
            assert np.isfinite(s).all(), f"{name} {case['name']} {key}: not finite"
            e_direct = row_relative_error(s, fresh[key].double().numpy())
            e_gram = row_relative_error(s, gram[key])
            assert e_direct <= RECOMPUTE_TOLERANCE, f"{name} {case['name']} {key}: recompute error {e_direct:.3g}"
            assert e_gram <= GRAM_TOLERANCE, f"{name} {case['name']} {key}: Gram-route error {e_gram:.3g}"
            e_d, e_g = max(e_d, e_direct), max(e_g, e_gram)
        print(f"  verify {name} {case['name']}: max row-relative error vs fresh direct run {e_d:.2g}, vs Gram route {e_g:.2g}")
        worst_direct, worst_gram = max(worst_direct, e_d), max(worst_gram, e_g)
    return worst_direct, worst_gram


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=TINY_MODELS, nargs="+", help="generate only these models")
    parser.add_argument("--verify-only", action="store_true", help="check existing fixtures, write nothing")
    args = parser.parse_args()
    names = args.model or TINY_MODELS
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    started = time.time()
    if not args.verify_only:
        ANALYSIS_DIR.mkdir(parents=True, exist_ok=True)
        for name in names:
            generate_model(name)
        write_json(
            ANALYSIS_DIR / "decoder-versions.json",
            {
                "generator": "Tests/Fixtures/generate_decoder_analysis_fixtures.py",
                "format": FORMAT_VERSION,
                "python": platform.python_version(),
                "packages": PACKAGE_VERSIONS,
                "torch_threads": 1,
            },
        )
    for name in names:
        verify_model(name)
    print(f"ok ({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
