"""What the fixture generators share: the version rule (the installed packages must equal
requirements.txt beside this file, or the fixtures would not be reproducible), the tap module
names, model inputs, and reading and writing files. torch is imported inside the functions that
need it, so that `check_versions` runs before it is loaded."""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"


def check_versions() -> dict[str, str]:
    """Compare installed packages with requirements.txt; exit with a clear message on mismatch."""
    pinned: dict[str, str] = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            sys.exit(f"error: {REQUIREMENTS}: expected 'package==version', got {line!r}")
        pinned[name.strip()] = version.strip()
    problems = []
    for name, version in pinned.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        # torch wheels may carry a local tag such as "+cpu"; the public version must match.
        if installed is None or installed.split("+", 1)[0] != version:
            problems.append(f"  {name}: pinned {version}, installed {installed or 'nothing'}")
    if problems:
        sys.exit(
            "error: installed packages differ from Tests/Fixtures/requirements.txt; fixtures\n"
            "would not be reproducible. Use the pinned environment (a virtual environment with them)\n"
            "or `pip install -r Tests/Fixtures/requirements.txt`.\n" + "\n".join(problems)
        )
    return {name: importlib.metadata.version(name) for name in pinned}


def tap_modules(family: str, layer: int) -> dict[str, str]:
    """Submodules whose inputs or outputs are the taps: the value projection, the attention
    output dense layer (`attn_out`) and the LayerNorm after attention."""
    if family == "distilbert":
        base = f"transformer.layer.{layer}"
        return {"value": f"{base}.attention.v_lin", "attn_out": f"{base}.attention.out_lin", "ln": f"{base}.sa_layer_norm"}
    base = f"encoder.layer.{layer}.attention"
    return {"value": f"{base}.self.value", "attn_out": f"{base}.output.dense", "ln": f"{base}.output.LayerNorm"}


def model_kwargs(family: str, ids: list[int]):
    """One unpadded sequence: attention mask all ones, token types all zeros (none for DistilBERT)."""
    import torch

    input_ids = torch.tensor([ids], dtype=torch.long)
    kwargs = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids)}
    if family != "distilbert":
        kwargs["token_type_ids"] = torch.zeros_like(input_ids)
    return kwargs


def read_safetensors(path: Path):
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def load_tiny(directory: Path):
    """A tiny model from its directory (eval mode, eager attention). A checkpoint without any
    bias tensor (tiny-bert-nobias: transformers' BertModel cannot be built without biases) is
    loaded into a model built from its config.json, with every bias parameter set to zero, which
    computes exactly what a model without biases computes; any other missing tensor is an error."""
    import torch
    from transformers import AutoConfig, AutoModel

    state = read_safetensors(directory / "model.safetensors")
    if any(key.endswith(".bias") for key in state):
        return AutoModel.from_pretrained(str(directory), attn_implementation="eager").eval()
    model = AutoModel.from_config(AutoConfig.from_pretrained(str(directory)), attn_implementation="eager")
    missing, unexpected = model.load_state_dict(state, strict=False)
    biases = {name for name, _ in model.named_parameters() if name.endswith(".bias")}
    assert not unexpected, f"{directory.name}: unexpected tensors {unexpected}"
    assert set(missing) == biases, f"{directory.name}: missing tensors other than biases: {set(missing) ^ biases}"
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name in biases:
                parameter.zero_()
    return model.eval()


def write_json(path: Path, value) -> None:
    """Indented JSON, with lists of numbers or strings (ids, tokens, shapes) kept on one line."""
    compact: dict[str, str] = {}

    def shrink(node):
        if isinstance(node, dict):
            return {key: shrink(item) for key, item in node.items()}
        if isinstance(node, list) and all(isinstance(item, (int, float, str)) for item in node):
            marker = f"@@compact{len(compact)}@@"
            compact[marker] = json.dumps(node, ensure_ascii=False)
            return marker
        if isinstance(node, list):
            return [shrink(item) for item in node]
        return node

    text = json.dumps(shrink(value), indent=1, ensure_ascii=False)
    for marker, replacement in compact.items():
        text = text.replace(json.dumps(marker), replacement, 1)
    path.write_text(text + "\n", encoding="utf-8")
