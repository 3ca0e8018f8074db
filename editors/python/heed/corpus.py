"""``analyze_many``: a corpus through the daemon, with a progress bar on stderr.

With ``to=DIR`` every result is written as soon as it arrives and then dropped, so memory stays
bounded by one result: ``DIR/00000.npz`` ... (numpy's ``savez_compressed``; arrays named
``layer<L>/<method>``, ``layer<L>/mixing-ratio/<key>``, the products over all layers
(``rollout``, ``norm-rollout``, ``alti-rollout``, ``globenc``), and
``meta``, a JSON string with the text, the tokens and the words) or ``DIR/analyses.jsonl`` (one
JSON object per text: the daemon's result, numbers as nested lists, plus ``index`` and
``text``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Iterable, List, Optional

from . import _arrays


class ProgressBar:
    """A one-line progress bar on stderr (redrawn with ``\\r``), standard library only."""

    def __init__(self, total: Optional[int], label: str = "heed", stream=None, width: int = 28):
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.done = 0
        self.started = time.monotonic()
        self._last = 0.0
        self._drawn = -1

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= 0.1 or (self.total is not None and self.done >= self.total):
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        self._drawn = self.done
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            frac = min(1.0, self.done / self.total)
            filled = int(round(frac * self.width))
            bar = "#" * filled + "." * (self.width - filled)
            left = (self.total - self.done) / rate if rate > 0 else 0.0
            line = (f"{self.label} [{bar}] {self.done}/{self.total} "
                    f"{rate:.1f} texts/s, {left:.0f} s left")
        else:
            line = f"{self.label} {self.done} texts, {rate:.1f} texts/s"
        self.stream.write("\r" + line)
        self.stream.flush()

    def close(self) -> None:
        if self._drawn != self.done:
            self._draw(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()


def _npz_arrays(result) -> dict:
    arrays = {}
    for layer in result.layer_indices:
        for method, value in result.layer(layer).items():
            if method == "mixing-ratio":
                for key, vec in value.items():
                    arrays[f"layer{layer}/mixing-ratio/{key}"] = vec
            else:
                arrays[f"layer{layer}/{method}"] = value
    for method, value in result._global.items():  # rollout, norm-rollout, alti-rollout, globenc
        arrays[method] = value
    return arrays


def analyze_many(texts: Iterable[str], to: Optional[str] = None, *,
                 file_format: Optional[str] = None, progress: bool = True, client=None,
                 **kwargs) -> Any:
    """Analyzes every text (keyword arguments as for ``analyze``).

    Without ``to``: returns the list of :class:`heed.Analysis` results. With ``to`` (a
    directory, created if needed): writes each result as it arrives and returns the list of
    files written; ``file_format`` is ``"npz"`` (default when numpy is installed) or
    ``"jsonl"`` (default otherwise).
    """
    if client is None:
        from . import default_client
        client = default_client()
    texts = list(texts) if not hasattr(texts, "__len__") else texts
    bar = ProgressBar(len(texts), "heed analyze") if progress else None
    if to is None:
        out: List[Any] = []
        try:
            for text in texts:
                out.append(client.analyze(text, **kwargs))
                if bar:
                    bar.update()
        finally:
            if bar:
                bar.close()
        return out
    fmt = file_format or ("npz" if _arrays.numpy_available() else "jsonl")
    if fmt not in ("npz", "jsonl"):
        raise ValueError(f"file_format must be 'npz' or 'jsonl', not {fmt!r}")
    if fmt == "npz" and not _arrays.numpy_available():
        raise ImportError("file_format='npz' needs numpy: pip install numpy, or use 'jsonl'")
    os.makedirs(to, exist_ok=True)
    written: List[str] = []
    try:
        if fmt == "jsonl":
            path = os.path.join(to, "analyses.jsonl")
            params_base = dict(kwargs)
            params_base.pop("format", None)
            model = params_base.pop("model", None) or client.model
            with open(path, "w", encoding="utf-8") as f:
                for index, text in enumerate(texts):
                    params = client._analyze_params(
                        text, params_base.get("methods", ("attention", "norm-summed")),
                        params_base.get("layers"), params_base.get("heads", "all"),
                        params_base.get("granularity", "token"), model, "nested")
                    result = client._model_request("heed/analyze", params)
                    record = {"index": index, "text": text}
                    record.update(result)
                    f.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
                    f.write("\n")
                    if bar:
                        bar.update()
            written.append(path)
        else:
            import numpy as np
            for index, text in enumerate(texts):
                result = client.analyze(text, **kwargs)
                meta = {"index": index, "text": text, "model": result.model,
                        "tokens": [t.__dict__ for t in result.tokens],
                        "layers": result.layer_indices}
                if result.words_list is not None:
                    meta["words"] = [dict(index=w.index, text=w.text, start=w.start, end=w.end,
                                          special=w.special, tokens=list(w.tokens))
                                     for w in result.words_list]
                path = os.path.join(to, f"{index:05d}.npz")
                np.savez_compressed(path, meta=np.array(json.dumps(meta, ensure_ascii=False)),
                                    **_npz_arrays(result))
                written.append(path)
                del result
                if bar:
                    bar.update()
    finally:
        if bar:
            bar.close()
    return written
