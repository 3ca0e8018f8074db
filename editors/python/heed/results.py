"""Result objects: tokens and words with spans, analyses with per-layer arrays, highlights.

Every offset is a Python ``str`` index into the request's text (the client negotiates
``utf-32``). Inserted special tokens ([CLS], [SEP]) have an empty span (``start == end``) and
``inserted`` True; a special token typed in the text ([MASK]) keeps its span.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from . import _arrays

__all__ = ["Token", "Word", "Tokenization", "Analysis", "Range", "Highlight", "METHODS",
           "HIGHLIGHT_METHODS", "METHOD_DESCRIPTIONS"]

#: Analysis methods reported per layer (protocol.md section 7).
LAYER_METHODS = ("attention", "value-norm", "norm", "norm-summed", "attn-res", "attn-res-ln",
                 "mixing-ratio", "alti", "value-zeroing")
#: Analysis methods that are products over all layers: the analyze result's top-level keys.
GLOBAL_METHODS = ("rollout", "norm-rollout", "alti-rollout", "globenc")
#: Every analysis method ``heed/analyze`` takes (protocol.md section 7).
METHODS = LAYER_METHODS + GLOBAL_METHODS
#: The ``heed/highlight`` methods, in the order ModelInfo ``methods`` lists them (a model lists
#: those it supports: a pre-norm decoder has no ``attn-res-ln`` and no ``globenc``).
HIGHLIGHT_METHODS = ("norm-summed", "attention", "attn-res-ln", "attn-res", "norm", "rollout",
                     "norm-rollout", "alti", "alti-rollout", "globenc", "value-zeroing")
#: What each highlight method shades, in a few words.
METHOD_DESCRIPTIONS = {
    "norm-summed": "norm of the summed heads (Attn-N)",
    "attention": "attention weights, mean over heads",
    "attn-res-ln": "norm with residual and LayerNorm (AttnResLn-N)",
    "attn-res": "norm with residual (AttnRes-N)",
    "norm": "norm, mean over heads",
    "rollout": "attention rollout, all layers",
    "norm-rollout": "norm rollout, all layers",
    "alti": "ALTI (Ferrando et al. 2022)",
    "alti-rollout": "ALTI rolled out over the layers",
    "globenc": "GlobEnc (Modarressi et al. 2022), all layers",
    "value-zeroing": "value zeroing (Mohebbi et al. 2023), one re-run per token",
}
#: Top-level fields of an analyze result that are not methods.
_RESULT_FIELDS = ("model", "positionEncoding", "tokens", "words", "layers", "targetTokens",
                  "targetWords", "decoder", "cross")


@dataclass(frozen=True)
class Token:
    """One token: ``text`` is the vocabulary string (``"##ing"``, ``"Ġcat"``, ``"[CLS]"``),
    ``display`` the token as a person reads it (``"ing"``, ``" cat"``, ``"[CLS]"``; protocol.md
    5.4), ``surface`` the source text it covers (``text[start:end]``, ``""`` for an inserted
    special token)."""

    index: int
    id: int
    text: str
    start: int
    end: int
    special: bool
    word: int
    surface: str = ""
    display: str = ""

    @property
    def inserted(self) -> bool:
        """True for the special tokens the post-processor inserts (empty span)."""
        return self.start == self.end

    @property
    def label(self) -> str:
        return self.text if self.inserted else self.surface

    @classmethod
    def from_wire(cls, d: Dict[str, Any], text: str) -> "Token":
        return cls(d["index"], d["id"], d["text"], d["start"], d["end"], d["special"],
                   d.get("word", -1), text[d["start"]:d["end"]], d.get("display", d["text"]))


@dataclass(frozen=True)
class Word:
    """One word of word granularity: ``text`` is the source text (``""`` for an inserted
    special token), ``tokens`` the indices of its tokens."""

    index: int
    text: str
    start: int
    end: int
    special: bool
    tokens: Tuple[int, ...]

    @property
    def inserted(self) -> bool:
        return self.start == self.end

    @property
    def surface(self) -> str:
        return self.text

    @property
    def label(self) -> str:
        return self.text if self.text else ("[special]" if self.special else "")

    @classmethod
    def from_wire(cls, d: Dict[str, Any], tokens: Sequence[Token]) -> "Word":
        w = cls(d["index"], d["text"], d["start"], d["end"], d["special"], tuple(d["tokens"]))
        if w.inserted and w.tokens:  # label inserted words by their token ("[CLS]")
            object.__setattr__(w, "_token_text", tokens[w.tokens[0]].text)
        return w


def _unit_label(unit: Union[Token, Word]) -> str:
    if isinstance(unit, Word) and unit.inserted:
        return getattr(unit, "_token_text", "[special]")
    return unit.label


class Tokenization:
    """The result of ``heed.tokenize``: ``tokens`` (a list of :class:`Token`); ``side`` is
    the tokenizer of an encoder-decoder model that encoded it (``"source"`` or ``"target"``),
    None for any other model."""

    def __init__(self, result: Dict[str, Any], text: str, model: str,
                 side: Optional[str] = None):
        self.text = text
        self.model = model
        self.side = side
        self.tokens: List[Token] = [Token.from_wire(t, text) for t in result["tokens"]]
        self.raw = result

    def __len__(self) -> int:
        return len(self.tokens)

    def __iter__(self) -> Iterator[Token]:
        return iter(self.tokens)

    def __getitem__(self, i):
        return self.tokens[i]

    @property
    def ids(self) -> List[int]:
        return [t.id for t in self.tokens]

    def __repr__(self) -> str:
        return f"<heed.Tokenization {self.model} {len(self.tokens)} tokens: " + " ".join(
            t.text for t in self.tokens[:20]) + (" ..." if len(self.tokens) > 20 else "") + ">"

    def _repr_html_(self) -> str:
        from . import render
        return render.tokens_html(self)


class Analysis:
    """The result of ``heed.analyze``.

    - ``tokens``: every token; ``units``: what the matrices index (the tokens, or the
      :class:`Word` list with ``granularity="word"``).
    - ``layer_indices``: the reported layers (0-based); ``layer(l)``: a dict method -> array of
      layer ``l``; ``a["norm-summed"]``: a method stacked over the reported layers (first axis),
      ``a["rollout"]``: the top-level products over all layers (``rollout``, ``norm-rollout``,
      ``alti-rollout``, ``globenc``: T x T); ``a["mixing-ratio"]``: a dict key -> (L, T).
    - Arrays are numpy float32 arrays when numpy is installed, nested lists otherwise.
    - ``to_pandas()``: long format; ``words()``: the same analysis at word granularity;
      ``show(...)``: the notebook view (``_repr_html_``, ``to_svg()``, ``save(path)``).
    - With ``target`` (an encoder-decoder model, protocol.md section 5.9; else these are None):
      ``target`` (the target text), ``target_tokens`` (spans in ``target``),
      ``target_units`` (those tokens, or the target's words at word granularity),
      ``decoder`` (a :class:`heed.LayerStack` of the decoder's self-attention, T_tgt x T_tgt)
      and ``cross`` (the cross-attention, rows the decoder steps, T_tgt x T_src: row t is the
      step that outputs target unit t). ``tokens``, ``layers`` and the rollouts are the encoder's.
    """

    def __init__(self, result: Dict[str, Any], text: str, params: Dict[str, Any],
                 client=None):
        self.text = text
        self.params = params
        self._client = client
        self.model: str = result.get("model", params.get("model"))
        self.position_encoding: str = result.get("positionEncoding", "utf-32")
        self.tokens: List[Token] = [Token.from_wire(t, text) for t in result["tokens"]]
        self.granularity: str = params.get("granularity", "token")
        self.heads: str = params.get("heads", "all")
        self.words_list: Optional[List[Word]] = (
            [Word.from_wire(w, self.tokens) for w in result["words"]] if "words" in result
            else None)
        self.methods: List[str] = list(params.get("methods", []))
        self._layers: Dict[int, Dict[str, Any]] = {}
        for entry in result.get("layers", []):
            values = {}
            for key, value in entry.items():
                if key == "layer":
                    continue
                if key == "mixing-ratio":
                    values[key] = {k: _arrays.convert(v) for k, v in value.items()}
                else:
                    values[key] = _arrays.convert(value)
            self._layers[entry["layer"]] = values
        # The products over all layers sit at the top level; so would a method a newer daemon
        # adds whose result is not per layer (a requested name found there).
        top = [k for k in GLOBAL_METHODS if k in result]
        top += [k for k in self.methods if k not in top and k in result and k not in _RESULT_FIELDS]
        self._global = {k: _arrays.convert(result[k]) for k in top}
        # Encoder-decoder models with a target (protocol.md section 5.9).
        self.target: Optional[str] = params.get("target")
        self.target_tokens: Optional[List[Token]] = None
        self.target_words_list: Optional[List[Word]] = None
        self.decoder = self.cross = None
        if "targetTokens" in result and self.target is not None:
            from .seq2seq import LayerStack
            self.target_tokens = [Token.from_wire(t, self.target) for t in result["targetTokens"]]
            if "targetWords" in result:
                self.target_words_list = [Word.from_wire(w, self.target_tokens)
                                          for w in result["targetWords"]]
            rows = self.target_units
            self.decoder = LayerStack(result.get("decoder"), rows, rows, "decoder")
            self.cross = LayerStack(result.get("cross"), rows, self.units, "cross")

    @property
    def target_units(self) -> Optional[List[Union[Token, Word]]]:
        """The target's tokens, or its words at word granularity (None without a target)."""
        if self.target_words_list is not None:
            return self.target_words_list
        return self.target_tokens

    @property
    def units(self) -> List[Union[Token, Word]]:
        """The rows and columns of every matrix: tokens, or words at word granularity."""
        return self.words_list if self.words_list is not None else self.tokens

    @property
    def layer_indices(self) -> List[int]:
        return list(self._layers)

    def layer(self, index: int) -> Dict[str, Any]:
        """Method -> array for one reported layer (0-based model layer index; -1 = last)."""
        if index < 0:
            index = self.layer_indices[index]
        return self._layers[index]

    def __getitem__(self, method: str) -> Any:
        if method in self._global:
            return self._global[method]
        if method == "mixing-ratio":
            keys = next(iter(self._layers.values()))[method].keys() if self._layers else []
            return {k: _arrays.stack([self._layers[l][method][k] for l in self._layers])
                    for k in keys}
        if not self._layers or method not in next(iter(self._layers.values())):
            raise KeyError(f"{method!r} is not in this analysis (methods: {self.methods})")
        return _arrays.stack([self._layers[l][method] for l in self._layers])

    def __contains__(self, method: str) -> bool:
        return method in self._global or any(method in v for v in self._layers.values())

    def __repr__(self) -> str:
        tgt = (f", target {len(self.target_units)} {self.granularity}s, decoder layers "
               f"{self.decoder.layer_indices}" if self.target_units is not None else "")
        return (f"<heed.Analysis {self.model} {len(self.units)} {self.granularity}s, "
                f"layers {self.layer_indices}, methods {self.methods}, heads {self.heads}{tgt}>")

    def words(self) -> "Analysis":
        """The same analysis at word granularity (asks the daemon; its forward pass is
        cached). ``units`` of the result are :class:`Word` objects."""
        if self.granularity == "word":
            return self
        if self._client is None:
            raise ValueError("this Analysis has no client to ask for word granularity")
        params = dict(self.params, granularity="word")
        result = self._client._model_request("heed/analyze", params)
        return Analysis(result, text=self.text, params=params, client=self._client)

    def to_pandas(self):
        """A long-format ``pandas.DataFrame``: columns ``method, layer, head, i, j, value``
        (``head`` is missing for methods without heads, ``i`` for per-token vectors such as
        ``value-norm`` and the mixing ratios (named ``mixing-ratio/<key>``), ``layer`` for
        rollouts). Needs pandas."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("Analysis.to_pandas() needs pandas: pip install pandas") from exc
        rows_method: List[str] = []
        cols: Dict[str, List[Any]] = {"layer": [], "head": [], "i": [], "j": [], "value": []}

        def add(method, layer, array):
            nested = _arrays.tolist(array)
            shape = _arrays.shape_of(array)
            if len(shape) == 3:  # NH x T x T
                for h, mat in enumerate(nested):
                    for i, row in enumerate(mat):
                        for j, v in enumerate(row):
                            rows_method.append(method)
                            cols["layer"].append(layer); cols["head"].append(h)
                            cols["i"].append(i); cols["j"].append(j); cols["value"].append(v)
            elif len(shape) == 2 and method == "value-norm":  # NH x T
                for h, row in enumerate(nested):
                    for j, v in enumerate(row):
                        rows_method.append(method)
                        cols["layer"].append(layer); cols["head"].append(h)
                        cols["i"].append(None); cols["j"].append(j); cols["value"].append(v)
            elif len(shape) == 2:  # T x T
                for i, row in enumerate(nested):
                    for j, v in enumerate(row):
                        rows_method.append(method)
                        cols["layer"].append(layer); cols["head"].append(None)
                        cols["i"].append(i); cols["j"].append(j); cols["value"].append(v)
            else:  # T
                for i, v in enumerate(nested):
                    rows_method.append(method)
                    cols["layer"].append(layer); cols["head"].append(None)
                    cols["i"].append(i); cols["j"].append(None); cols["value"].append(v)

        for layer, values in self._layers.items():
            for method, array in values.items():
                if method == "mixing-ratio":
                    for key, vec in array.items():
                        add(f"mixing-ratio/{key}", layer, vec)
                else:
                    add(method, layer, array)
        for method, array in self._global.items():
            add(method, None, array)
        frame = pd.DataFrame({"method": pd.Series(rows_method, dtype="string")})
        for key in ("layer", "head", "i", "j"):
            frame[key] = pd.array(cols[key], dtype="Int64")
        frame["value"] = pd.array(cols["value"], dtype="float32")
        return frame

    # -- rendering

    def show(self, focus: Union[None, int, str, Tuple[int, int]] = None,
             layer: Optional[int] = None, weight: Optional[str] = None,
             norm: Optional[str] = None, interactive: bool = True):
        """The notebook view: the text shaded by what ``focus`` attends to, by weight and by
        norm, and the two heatmaps of ``layer`` side by side.

        ``focus``: a unit index (``int``), a ``str`` (the first unit overlapping its first
        occurrence) or a ``(start, end)`` span (the first unit overlapping it); default the
        first unit with a span. ``weight``/``norm``: the methods to contrast (default
        ``attention`` and the first of ``norm-summed``, ``attn-res-ln``, ``attn-res``, ``norm``
        present). With ``interactive``, an inline script (no external resource) moves the
        focus to the token under the mouse; without scripts the picture stays static.
        """
        from .render import AnalysisView
        return AnalysisView(self, focus=focus, layer=layer, weight=weight, norm=norm,
                            interactive=interactive)

    def _repr_html_(self) -> str:
        return self.show()._repr_html_()

    def _repr_svg_(self) -> str:
        return self.show().to_svg()

    def to_svg(self, **kwargs) -> str:
        return self.show(**kwargs).to_svg()

    def to_html(self, **kwargs) -> str:
        return self.show(**kwargs).to_html()

    def save(self, path: str, **kwargs) -> str:
        """Writes the view as ``.svg`` or ``.html`` (a standalone page); returns the path."""
        return self.show(**kwargs).save(path)


@dataclass(frozen=True)
class Range:
    start: int
    end: int
    score: float
    value: float
    text: str


class Highlight:
    """The result of ``heed.highlight``: ``ranges`` (a list of :class:`Range`: ``start``,
    ``end``, ``score`` in [0, 1], raw ``value``, covered ``text``), ``focus`` (the span of the
    units used), ``method``, ``layer`` (None for rollouts), ``window`` (None unless the text
    exceeded the model's limit), ``predictions`` (with ``predict=K``: the K most probable next
    tokens after the focus, dicts ``{id, text, probability, logit}``; else None).

    With an encoder-decoder model and ``focus_in="target"`` (protocol.md section 5.9):
    ``focus`` is a span of ``target`` (``focus_text`` its text), ``ranges`` are units of the
    source ``text`` (``ranges_in == "source"``) valued by the cross-attention, and ``aligned``
    is the range with score 1: the source unit the focus aligns to."""

    def __init__(self, result: Dict[str, Any], text: str, params: Dict[str, Any]):
        self.text = text
        self.params = params
        self.model = params.get("model")
        self.direction = params.get("direction", "from")
        self.target: Optional[str] = params.get("target")
        self.focus_in: str = params.get("focusIn", "source")
        self.setting: Optional[str] = params.get("setting")
        self.ranges_in: str = result.get("rangesIn", "source")
        self.ranges: List[Range] = [Range(r["start"], r["end"], r["score"], r["value"],
                                          text[r["start"]:r["end"]]) for r in result["ranges"]]
        f = result["focus"]
        self.focus: Tuple[int, int] = (f["start"], f["end"])
        self.method: str = result["method"]
        self.layer: Optional[int] = result.get("layer")
        w = result.get("window")
        self.window: Optional[Tuple[int, int]] = (w["start"], w["end"]) if w else None
        self.position_encoding = result.get("positionEncoding")
        self.predictions: Optional[List[Dict[str, Any]]] = result.get("predictions")
        self.raw = result

    @property
    def focus_text(self) -> str:
        focus_text = self.target if self.focus_in == "target" and self.target is not None \
            else self.text
        return focus_text[self.focus[0]:self.focus[1]]

    @property
    def aligned(self) -> Optional[Range]:
        """The range with score 1 (the strongest; for a target focus, the source unit the
        focus aligns to), or None when no range has a positive value."""
        best = [r for r in self.ranges if r.score == 1 and r.value > 0]
        return best[0] if best else None

    def top(self, k: int = 5) -> List[Range]:
        return sorted(self.ranges, key=lambda r: (-r.value, r.start))[:k]

    def __repr__(self) -> str:
        best = ", ".join(f"{r.text!r} {r.score:.2f}" for r in self.top(5))
        return (f"<heed.Highlight {self.method} layer {self.layer} focus {self.focus_text!r}: "
                f"{best}>")

    def _repr_html_(self) -> str:
        from . import render
        return render.highlight_html(self)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def to_svg(self) -> str:
        from . import render
        return render.highlight_svg(self)

    def to_html(self) -> str:
        from . import render
        return render.page(self._repr_html_(), title=f"heed highlight: {self.focus_text}")

    def save(self, path: str) -> str:
        from . import render
        return render.save(path, self.to_svg, self.to_html)
