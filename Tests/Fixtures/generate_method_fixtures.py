#!/usr/bin/env python3
"""Generate Heed's golden fixtures for the follow-up methods: ALTI, GlobEnc, value zeroing.

Run from anywhere, with the pinned virtual environment:

    python3 Tests/Fixtures/generate_method_fixtures.py [--model NAME ...] [--verify-only]
    python3 Tests/Fixtures/generate_method_fixtures.py --real [--minilm DIR] [--smollm2 GGUF]

Writes under Tests/Fixtures/analysis/<model>/ (format: Tests/Fixtures/README.md, "Method fixtures"):

    methods-T7.safetensors, methods-T33.safetensors   layer{l}.alti, layer{l}.value-zeroing,
                                                      alti-rollout, globenc (post-LN encoders)
    methods.json                                      ids, keys, conventions, the authors' variants
    methods-versions.json (in analysis/)              package versions used

Models: tiny-bert (post-LN encoder) and tiny-llama, tiny-qwen2 (pre-norm decoders; GQA, q/k/v
biases), cases T7 and T33 with the ids of their analysis manifests. With --real: all-MiniLM-L6-v2
(the catalog directory; cases "short", every key, and "paragraph", T 128, layer 5 and the
products only) and SmolLM2-135M-Instruct Q4_1 (loaded by transformers from the GGUF, dequantised;
cases T7 and T33, layers 0, 14, 29 and alti-rollout), ids from their analysis manifests.

Direct references, float64, from float32 taps recorded by forward hooks, one layer at a time
(T x T x C tensors allowed here), written after reading the authors' code:

- ALTI (mt-upc/transformer-contributions, src/contributions.py `get_contributions`,
  src/utils_contributions.py `normalize_contributions(scaling='min_sum', resultant_norm=...)` and
  `compute_joint_attention`): T_i(x_j) = g_i(r_ij) (post-LN) or r_ij (pre-norm),
  y_i = sum_j T_i(x_j); c_ij = max(0, |y_i|_1 - |y_i - T_i(x_j)|_1), rows divided by their
  sums; alti-rollout = C_{L-1} ... C_0 (no identity added).
  Heed's y_i leaves out g_i(b_O) and beta (docs/methods.md's convention, as the issue defines);
  the authors' resultant includes both and scales by 1 / std(pre_ln + eps) with torch's unbiased
  std. The authors' exact variant is computed here too and its distance to Heed's convention is
  recorded in methods.json ("authors_variant"), not stored as a fixture.
- GlobEnc (mohsenfayyaz/GlobEnc, src/modeling/modeling_bert.py `BertNormOutput.forward`,
  `BertLayer.forward` (`post_ln2_norm`) and `BertEncoder.forward` (`output_globenc`)):
  N-Enc_ij = |g2_i(g1_i(r_ij))|, g2_i(u) = (u - mean(u)) * gamma2 / sqrt(Var(p_i) + eps2),
  p = the input of the LayerNorm after the feed-forward block; globenc = N-Enc_{L-1} ... N-Enc_0
  without any normalisation (as `output_globenc`), stored divided by its largest entry.
- Value zeroing (hmohebbi/ValueZeroing, demo.py and modeling/customized_modeling_bert.py
  `zero_value_index`): for each j, the value vectors of token j (incl. b_V, all heads) are
  zeroed, the layer is re-run from its original input with the original attention weights, and
  score[i, j] = cosine distance (sklearn's cosine_distances: 1 - cos, clipped to [0, 2]) between
  token i's new and original layer output; rows divided by their sums. Decoders: the layer output
  is the residual stream (before model.norm, also for the last layer). The re-run here is the
  whole layer from the value vectors on (context = alpha @ v, out-projection, residual, norm,
  feed-forward), independent of Heed's shortcut (y_i - z_ij).
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
ENCODERS = ["tiny-bert"]
DECODERS = ["tiny-llama", "tiny-qwen2"]
CASES = ["T7", "T33"]
RECOMPUTE_TOLERANCE = 1e-6

from fixture_common import check_versions, load_tiny, read_safetensors, tap_modules, write_json  # noqa: E402

PACKAGE_VERSIONS = check_versions()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

from generate_analysis_fixtures import capture, layer_norm_scale  # noqa: E402
from generate_decoder_analysis_fixtures import f_vectors, layer_taps  # noqa: E402
from generate_decoder_fixtures import load_decoder, run  # noqa: E402


# ---------------------------------------------------------------------------------------------
# Shared pieces


def row_normalise(m: torch.Tensor) -> torch.Tensor:
    """Each row divided by its sum; a row summing to 0 stays 0."""
    sums = m.sum(dim=-1, keepdim=True)
    return torch.where(sums > 0, m / torch.where(sums > 0, sums, torch.ones_like(sums)), torch.zeros_like(m))


def product(matrices: list[torch.Tensor]) -> torch.Tensor:
    """M_{L-1} ... M_0 (later layers on the left)."""
    result = matrices[0]
    for m in matrices[1:]:
        result = m @ result
    return result


def alti_from_terms(terms: torch.Tensor) -> torch.Tensor:
    """terms (T, T, C): T_i(x_j). y_i = sum_j T_i(x_j); c_ij = max(0, |y_i|_1 - |y_i - T_i(x_j)|_1),
    rows normalised (utils_contributions.normalize_contributions 'min_sum' with resultant_norm)."""
    y = terms.sum(dim=1)  # (T, C)
    importance = -(terms - y[:, None, :]).abs().sum(dim=-1)  # -|T_i(x_j) - y_i|_1
    c = (importance + y.abs().sum(dim=-1)[:, None]).clamp(min=0)
    return row_normalise(c)


def cosine_distance_rows(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """sklearn.metrics.pairwise.cosine_distances(a, b).diagonal(): 1 - cos, clipped to [0, 2]."""
    na, nb = a.norm(dim=-1), b.norm(dim=-1)
    an = torch.where(na[:, None] > 0, a / na.clamp(min=1e-300)[:, None], a)
    bn = torch.where(nb[:, None] > 0, b / nb.clamp(min=1e-300)[:, None], b)
    return (1 - (an * bn).sum(dim=-1)).clamp(0, 2)


# ---------------------------------------------------------------------------------------------
# Post-LN encoders (BERT)


@torch.no_grad()
def second_norm_inputs(model, family: str, ids: list[int]) -> list[torch.Tensor]:
    """Per layer, p = the input of the LayerNorm after the feed-forward block (float64)."""
    from fixture_common import model_kwargs

    modules = dict(model.named_modules())
    captured: list = [None] * model.config.num_hidden_layers
    handles = []
    for layer in range(model.config.num_hidden_layers):
        name = f"transformer.layer.{layer}.output_layer_norm" if family == "distilbert" else f"encoder.layer.{layer}.output.LayerNorm"

        def hook(_m, inp, layer=layer):
            captured[layer] = inp[0][0].double().clone()

        handles.append(modules[name].register_forward_pre_hook(hook))
    try:
        model(**model_kwargs(family, ids))
    finally:
        for h in handles:
            h.remove()
    return captured


@torch.no_grad()
def encoder_case(model, family: str, ids: list[int], where: str) -> tuple[dict, dict]:
    taps = capture(model, family, ids)
    p_all = second_norm_inputs(model, family, ids)
    model64 = __import__("copy").deepcopy(model).double()
    layers = model64.encoder.layer
    T = len(ids)
    out: dict[str, torch.Tensor] = {"input_ids": torch.tensor(ids, dtype=torch.int64)}
    altis, nencs, authors = [], [], []
    worst_authors = 0.0
    for l, tap in enumerate(taps):
        alpha, x, y = tap["alpha"], tap["x"], tap["pre_ln"]
        NH = alpha.shape[0]
        C = x.shape[1]
        HS = C // NH
        v = tap["value"].view(T, NH, HS).permute(1, 0, 2)  # (NH, T, HS), b_V included
        f = torch.einsum("htv,dhv->htd", v, tap["W_O"].view(C, NH, HS))  # (NH, T, C)
        z = torch.einsum("hij,hjd->ijd", alpha, f)  # (T, T, C)
        r = z + torch.eye(T, dtype=torch.float64)[:, :, None] * x[:, None, :]
        s = layer_norm_scale(y, tap["eps"])
        gamma = tap["gamma"]

        def g(vec):
            return (vec - vec.mean(dim=-1, keepdim=True)) * gamma / s.view((T,) + (1,) * (vec.dim() - 1))

        gr = g(r)  # T_i(x_j) (T, T, C)
        # Property: sum_j g_i(r_ij) + g_i(b_O) + beta = LayerNorm(y).
        err = (gr.sum(dim=1) + g(tap["b_O"].expand(T, C)) + tap["beta"] - tap["post_ln"]).abs().max().item()
        assert err < 1e-4, f"{where} layer {l}: decomposition does not sum to LN(y) ({err})"
        alti = alti_from_terms(gr)
        altis.append(alti)
        out[f"layer{l}.alti"] = alti

        # The authors' exact ALTI (resultant with g_i(b_O) + beta, 1 / std_unbiased(pre_ln + eps)).
        centred_gamma = lambda vec: (vec - vec.mean(dim=-1, keepdim=True)) * gamma  # noqa: E731
        std_coef = 1 / (y + tap["eps"]).std(-1)  # unbiased, as torch.Tensor.std
        tv = centred_gamma(r) * std_coef[:, None, None]
        resultant = (centred_gamma(r).sum(dim=1) + centred_gamma(tap["b_O"]).expand(T, C)) * std_coef[:, None] + tap["beta"]
        importance = -(tv - resultant[:, None, :]).abs().sum(dim=-1)
        authors_alti = row_normalise((importance + resultant.abs().sum(dim=-1)[:, None]).clamp(min=0))
        authors.append(authors_alti)
        worst_authors = max(worst_authors, (authors_alti - alti).abs().max().item())

        # GlobEnc N-Enc.
        ln2 = layers[l].output.LayerNorm
        p = p_all[l]
        s2 = layer_norm_scale(p, float(ln2.eps))
        g2 = (gr - gr.mean(dim=-1, keepdim=True)) / s2[:, None, None] * ln2.weight.double()
        nenc = g2.norm(dim=-1)
        nencs.append(nenc)

        # Value zeroing: re-run the layer (float64 copy) from the value vectors on.
        layer = layers[l]
        original = value_zeroing_layer(layer, x, alpha, tap["value"], None)
        if l + 1 < len(taps):
            err = (original - taps[l + 1]["x"]).abs().max().item()
            assert err < 1e-4, f"{where} layer {l}: re-run output differs from the next layer's input ({err})"
        scores = torch.zeros(T, T, dtype=torch.float64)
        for j in range(T):
            new = value_zeroing_layer(layer, x, alpha, tap["value"], j)
            scores[:, j] = cosine_distance_rows(new, original)
        out[f"layer{l}.value-zeroing"] = row_normalise(scores)

    out["alti-rollout"] = product(altis)
    globenc = product(nencs)
    out["globenc"] = globenc / globenc.max()
    facts = {
        "authors_variant": {
            "alti_max_abs_difference_per_layer": worst_authors,
            "alti_rollout_max_abs_difference": (product(authors) - out["alti-rollout"]).abs().max().item(),
        },
        "globenc_unnormalised_max": globenc.max().item(),
    }
    return out, facts


@torch.no_grad()
def value_zeroing_layer(layer, x: torch.Tensor, alpha: torch.Tensor, value: torch.Tensor, j: int | None) -> torch.Tensor:
    """BertLayer output (float64) from input x (T, C) with the attention weights alpha (NH, T, T)
    and the value projection `value` (T, C, incl. b_V), token j's value row zeroed (None: none)."""
    NH, T, _ = alpha.shape
    C = x.shape[1]
    HS = C // NH
    v = value.clone()
    if j is not None:
        v[j] = 0
    context = torch.einsum("hij,hjd->ihd", alpha, v.view(T, NH, HS).permute(1, 0, 2)).reshape(T, C)
    h1 = layer.attention.output(context[None], x[None])  # LayerNorm(dense(context) + x)
    out = layer.output(layer.intermediate(h1), h1)
    return out[0]


# ---------------------------------------------------------------------------------------------
# Pre-norm decoders (Llama family)


@torch.no_grad()
def decoder_case(model, ids: list[int], where: str) -> tuple[dict, dict]:
    result = run(model, ids, with_taps=True)
    model64 = __import__("copy").deepcopy(model).double()
    T = len(ids)
    out: dict[str, torch.Tensor] = {"input_ids": torch.tensor(ids, dtype=torch.int64)}
    altis = []
    L = len(result["attn"])
    for l in range(L):
        tap = layer_taps(model, result, l)
        alpha, h = tap["alpha"], tap["h"]
        f = f_vectors(tap)  # (NH, T, C)
        z = torch.einsum("hij,hjd->ijd", alpha, f)
        r = z + torch.eye(T, dtype=torch.float64)[:, :, None] * h[:, None, :]
        err = (r.sum(dim=1) + tap["b_O"] - tap["y"]).abs().max().item()
        # float32 taps: rounding of order ulp(|y|) (SmolLM2's residual stream reaches hundreds).
        assert err < 1e-4 * max(1.0, tap["y"].abs().max().item()), f"{where} layer {l}: sum_j r_ij + b_O != y ({err})"
        alti = alti_from_terms(r)
        assert float(torch.triu(alti, diagonal=1).abs().max()) == 0.0, f"{where} layer {l}: alti beyond the diagonal"
        altis.append(alti)
        out[f"layer{l}.alti"] = alti

        layer = model64.model.layers[l]
        original = decoder_layer_output(layer, h, alpha, tap["v"], None)
        want = result["residual"][l + 1].double()
        scale = max(1.0, want.abs().max().item())
        assert (original - want).abs().max().item() < 1e-4 * scale, f"{where} layer {l}: re-run output differs"
        scores = torch.zeros(T, T, dtype=torch.float64)
        for j in range(T):
            new = decoder_layer_output(layer, h, alpha, tap["v"], j)
            scores[:, j] = cosine_distance_rows(new, original)
        out[f"layer{l}.value-zeroing"] = row_normalise(scores)
    out["alti-rollout"] = product(altis)
    return out, {}


@torch.no_grad()
def decoder_layer_output(layer, h: torch.Tensor, alpha: torch.Tensor, v: torch.Tensor, j: int | None) -> torch.Tensor:
    """LlamaDecoderLayer output (float64): h + o_proj(alpha @ v) then + mlp(post_attention_layernorm(.)),
    token j's value row zeroed (every K/V head), with the original attention weights."""
    NH, T, _ = alpha.shape
    attn = layer.self_attn
    HS = attn.head_dim
    NKV = v.shape[1] // HS
    vv = v.clone()
    if j is not None:
        vv[j] = 0
    vh = vv.view(T, NKV, HS).permute(1, 0, 2)[torch.arange(NH) // (NH // NKV)]  # (NH, T, HS)
    context = torch.einsum("hij,hjd->ihd", alpha, vh).reshape(T, NH * HS)
    y = h + attn.o_proj(context)
    return y + layer.mlp(layer.post_attention_layernorm(y))


# ---------------------------------------------------------------------------------------------


KEYS = {
    "layer{l}.alti": "ALTI c_ij = max(0, |y_i|_1 - |y_i - T_i(x_j)|_1), rows normalised; T_i(x_j) = g_i(r_ij) (post-LN) "
                     "or r_ij (pre-norm), y_i = sum_j T_i(x_j)",
    "layer{l}.value-zeroing": "cosine distance of token i's layer output with token j's values zeroed, rows normalised",
    "alti-rollout": "alti_{L-1} ... alti_0",
    "globenc": "N-Enc_{L-1} ... N-Enc_0 (post-LN only), divided by its largest entry; N-Enc_ij = |g2_i(g1_i(r_ij))|",
}


def to_stored(tensors: dict) -> dict:
    return {k: (v if k == "input_ids" else v.to(torch.float32)).contiguous() for k, v in tensors.items()}


def generate(name: str, verify_only: bool, model=None, decoder: bool | None = None, cases=None, keep=None) -> float:
    """`keep(case, key)`: which keys to store (default all)."""
    out_dir = ANALYSIS_DIR / name
    analysis_manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    if decoder is None:
        decoder = name in DECODERS
    if model is None:
        model = load_decoder(MODELS_DIR / name) if decoder else load_tiny(MODELS_DIR / name)
    family = analysis_manifest["family"]
    entries, worst = [], 0.0
    for case_name in cases or CASES:
        start = time.time()
        case = next(c for c in analysis_manifest["cases"] if c["name"] == case_name)
        ids = case["input_ids"]
        where = f"{name} {case_name}"
        tensors, facts = decoder_case(model, ids, where) if decoder else encoder_case(model, family, ids, where)
        stored = to_stored({k: v for k, v in tensors.items() if k == "input_ids" or keep is None or keep(case_name, k)})
        path = out_dir / f"methods-{case_name}.safetensors"
        if verify_only:
            existing = read_safetensors(path)
            assert set(existing) == set(stored), f"{where}: key sets differ"
            for key, value in stored.items():
                if key == "input_ids":
                    assert torch.equal(existing[key], value)
                    continue
                e = existing[key].double()
                scale = e.abs().amax(dim=-1, keepdim=True).clamp(min=1e-12)
                err = ((e - value.double()).abs() / scale).max().item()
                assert err <= RECOMPUTE_TOLERANCE, f"{where} {key}: recompute error {err}"
                worst = max(worst, err)
        else:
            save_file(stored, str(path), metadata={"format": str(FORMAT_VERSION), "generator": "generate_method_fixtures.py"})
        for key, value in stored.items():
            assert key == "input_ids" or bool(torch.isfinite(value).all()), f"{where} {key}: not finite"
        entries.append({"name": case_name, "T": len(ids), "file": path.name, "input_ids": ids,
                        "keys": sorted(k for k in stored if k != "input_ids"), **facts})
        print(f"  {where}: {len(stored) - 1} tensors, {time.time() - start:.1f} s {facts}")
    if not verify_only:
        write_json(out_dir / "methods.json", {
            "format": FORMAT_VERSION,
            "model": name,
            "family": family,
            "norm": "pre-norm (RMSNorm before the block)" if decoder else "post-LN (LayerNorm after the block)",
            "methods": ["alti", "alti-rollout", "value-zeroing"] + ([] if decoder else ["globenc"]),
            "not_defined": ["globenc"] if decoder else [],
            "keys": KEYS,
            "cases": entries,
        })
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=ENCODERS + DECODERS, nargs="+")
    parser.add_argument("--verify-only", action="store_true", help="recompute and compare, write nothing")
    parser.add_argument("--real", action="store_true", help="MiniLM and SmolLM2 instead of the tiny models")
    parser.add_argument("--minilm", type=Path, default=Path.home() / ".cache/heed/minilm/0.1.0")
    parser.add_argument("--smollm2", type=Path, default=Path.home() / ".cache/heed/smollm2/0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf")
    args = parser.parse_args()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    started = time.time()
    worst = 0.0
    if args.real:
        from transformers import AutoModel

        from generate_smollm2_fixtures import load_model as load_smollm2

        minilm = AutoModel.from_pretrained(str(args.minilm), attn_implementation="eager", dtype=torch.float32).eval()
        worst = max(worst, generate("minilm", args.verify_only, model=minilm, decoder=False, cases=["short", "paragraph"],
                                    keep=lambda c, k: c == "short" or k in ("alti-rollout", "globenc") or k.startswith("layer5.")))
        smollm2 = load_smollm2(args.smollm2)
        worst = max(worst, generate("smollm2", args.verify_only, model=smollm2, decoder=True, cases=["T7", "T33"],
                                    keep=lambda c, k: k == "alti-rollout" or k.split(".")[0] in ("layer0", "layer14", "layer29")))
    for name in ([] if args.real else args.model or ENCODERS + DECODERS):
        worst = max(worst, generate(name, args.verify_only))
    if not args.verify_only and not args.real:
        write_json(ANALYSIS_DIR / "methods-versions.json", {
            "generator": "Tests/Fixtures/generate_method_fixtures.py", "format": FORMAT_VERSION,
            "python": platform.python_version(), "packages": PACKAGE_VERSIONS, "torch_threads": 1,
        })
    print(f"ok ({time.time() - started:.1f} s; worst recompute error {worst:.2g})")


if __name__ == "__main__":
    main()
