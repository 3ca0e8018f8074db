"""Encoder-decoder models (protocol.md section 5.9): the model's info, the decoder and
cross-attention layers of an analysis, and word alignments (``heed/align``).

An encoder-decoder model (a Marian translation model) reads a source text with its encoder and
scores a given target text with its decoder by teacher forcing. Its ModelInfo has
``encoderDecoder: true``, ``decoderLayers`` and ``crossMethods``; a ModelInfo without them is
not encoder-decoder. Offsets are Python ``str`` indices, each into its own text (source or
target).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from . import _arrays

__all__ = ["ModelInfo", "LayerStack", "AlignWord", "Link", "Alignment"]


class ModelInfo(dict):
    """A model's ModelInfo (protocol.md section 4): the daemon's dict, with properties for the
    encoder-decoder fields. A missing ``encoderDecoder`` means the model is not one."""

    @property
    def encoder_decoder(self) -> bool:
        """True for an encoder-decoder model (``encoderDecoder: true``)."""
        return self.get("encoderDecoder") is True

    @property
    def decoder_layers(self) -> Optional[int]:
        """L_dec, the decoder's layer count; None for any other model."""
        return self.get("decoderLayers") if self.encoder_decoder else None

    @property
    def cross_methods(self) -> List[str]:
        """The ``heed/highlight`` methods defined for cross-attention, in the order an editor
        cycles through them (``[]`` for a model that is not encoder-decoder)."""
        return list(self.get("crossMethods") or []) if self.encoder_decoder else []


class LayerStack:
    """Per-layer matrices of one attention of an analysis with ``target``: ``a.decoder`` (the
    decoder's self-attention, T_tgt x T_tgt, causal) or ``a.cross`` (the cross-attention, rows
    the decoder steps T_tgt, columns the source units T_src). ``layer(l)``: method -> array of
    decoder layer ``l``; ``s["norm-summed"]``: stacked over the reported layers (first axis);
    ``layer_indices``; ``rows`` and ``columns``: the units the matrices index."""

    def __init__(self, entry: Optional[Dict[str, Any]], rows: Sequence[Any],
                 columns: Sequence[Any], name: str):
        self.name = name
        self.rows = list(rows)
        self.columns = list(columns)
        self._layers: Dict[int, Dict[str, Any]] = {}
        for layer in (entry or {}).get("layers", []):
            self._layers[layer["layer"]] = {k: _arrays.convert(v) for k, v in layer.items()
                                            if k != "layer"}

    @property
    def layer_indices(self) -> List[int]:
        return list(self._layers)

    @property
    def methods(self) -> List[str]:
        return list(next(iter(self._layers.values()))) if self._layers else []

    def layer(self, index: int) -> Dict[str, Any]:
        """Method -> array for one reported decoder layer (0-based; -1 = the last reported)."""
        if index < 0:
            index = self.layer_indices[index]
        return self._layers[index]

    def __getitem__(self, method: str) -> Any:
        if not self._layers or method not in next(iter(self._layers.values())):
            raise KeyError(f"{method!r} is not in {self.name} (it has {self.methods})")
        return _arrays.stack([self._layers[l][method] for l in self._layers])

    def __contains__(self, method: str) -> bool:
        return any(method in v for v in self._layers.values())

    def __len__(self) -> int:
        return len(self._layers)

    def __repr__(self) -> str:
        return (f"<heed.LayerStack {self.name}: layers {self.layer_indices}, methods "
                f"{self.methods}, {len(self.rows)} x {len(self.columns)}>")


@dataclass(frozen=True)
class AlignWord:
    """A whitespace-separated word of ``heed/align``: ``start``/``end`` index its own text,
    ``tokens`` the indices of the tokens (as ``heed.tokenize(..., side=...)`` numbers them on
    that side) that overlap it."""

    index: int
    text: str
    start: int
    end: int
    tokens: Tuple[int, ...]

    @classmethod
    def from_wire(cls, d: Dict[str, Any]) -> "AlignWord":
        return cls(d["index"], d["text"], d["start"], d["end"], tuple(d.get("tokens", ())))


@dataclass(frozen=True)
class Link:
    """One alignment link: ``source`` and ``target`` word indices (Pharaoh ``source-target``),
    ``score`` its value in the word-level cross-attention matrix, and the two words."""

    source: int
    target: int
    score: float
    source_word: AlignWord
    target_word: AlignWord

    @property
    def pharaoh(self) -> str:
        return f"{self.source}-{self.target}"


class Alignment:
    """The result of ``heed.align``: ``source_words``, ``target_words`` (:class:`AlignWord`),
    ``links`` (:class:`Link`, one per target word that has a token, in target order),
    ``layer``, ``method`` (``"weight"`` or ``"norm"``), ``setting`` (``"input"`` or
    ``"output"``). ``pharaoh()`` gives the links as ``"0-0 1-1 ..."``; in a notebook it draws
    the two sentences with a line per link (``_repr_html_``, ``to_svg()``, ``save(path)``)."""

    def __init__(self, result: Dict[str, Any], text: str, target: str,
                 params: Dict[str, Any]):
        self.text = text
        self.target = target
        self.params = params
        self.model = params.get("model")
        self.position_encoding = result.get("positionEncoding")
        self.layer: int = result["layer"]
        self.method: str = result["method"]
        self.setting: str = result["setting"]
        self.source_words = [AlignWord.from_wire(w) for w in result["sourceWords"]]
        self.target_words = [AlignWord.from_wire(w) for w in result["targetWords"]]
        self.links = [Link(l["source"], l["target"], l["score"], self.source_words[l["source"]],
                           self.target_words[l["target"]]) for l in result["links"]]
        self.raw = result

    def __len__(self) -> int:
        return len(self.links)

    def __iter__(self) -> Iterator[Link]:
        return iter(self.links)

    def pharaoh(self) -> str:
        """The links in Pharaoh format, ``source-target`` word indices: ``"0-0 1-1 3-2"``."""
        return " ".join(link.pharaoh for link in self.links)

    def source_of(self, target_word: int) -> Optional[AlignWord]:
        """The source word linked to target word ``target_word`` (None without a link)."""
        for link in self.links:
            if link.target == target_word:
                return link.source_word
        return None

    def __repr__(self) -> str:
        pairs = ", ".join(f"{l.target_word.text!r}->{l.source_word.text!r}" for l in self.links[:8])
        more = " ..." if len(self.links) > 8 else ""
        return (f"<heed.Alignment {self.method} layer {self.layer} {self.setting}: "
                f"{pairs}{more}>")

    def _repr_html_(self) -> str:
        from .render_align import alignment_html
        return alignment_html(self)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def to_svg(self) -> str:
        from .render_align import alignment_svg
        return alignment_svg(self, standalone=True)

    def to_html(self) -> str:
        from . import render
        return render.page(self._repr_html_(), title="heed alignment")

    def save(self, path: str) -> str:
        from . import render
        return render.save(path, self.to_svg, self.to_html)
