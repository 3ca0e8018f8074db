"""Heed from Python: attention by weight and by vector norm, from ``heed serve``.

    import heed
    h = heed.highlight("The cat sat on the mat.", focus="cat", method="norm-summed")
    a = heed.analyze("The cat sat on the mat.", methods=["attention", "norm-summed"])
    a["norm-summed"]          # (layers, T, T) float32 array (nested lists without numpy)
    a = heed.analyze(text, methods=["alti", "value-zeroing", "globenc"],
                     progress=lambda pct, msg: print(pct, msg))   # value zeroing takes seconds
    a["globenc"]              # (T, T): a product over all layers, at the top level

The module-level functions use a default :class:`Client` (started on first use, closed at
exit); ``heed.Client`` gives one of your own. Offsets are Python ``str`` indices.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any, Iterable, Optional

from .client import Client, find_executable
from .errors import (DaemonDied, HeedError, HeedNotFound, HeedWarning, InputTooLong,
                     InternalError, InvalidParams, InvalidRequest, MethodNotFound,
                     MethodNotSupported, ModelInconsistent, ModelLoadError, ParseError,
                     RequestCancelled, ServerNotInitialized, UnknownModel)
from .results import (HIGHLIGHT_METHODS, METHOD_DESCRIPTIONS, METHODS, Analysis, Highlight,
                      Range, Token, Tokenization, Word)
from .render import SVGFigure, line_chart
from .seq2seq import AlignWord, Alignment, LayerStack, Link, ModelInfo

__version__ = "0.1.0"

__all__ = [
    "Client", "find_executable", "default_client", "set_default_client",
    "tokenize", "analyze", "highlight", "predict", "align", "analyze_many", "models",
    "load_model", "Analysis", "Highlight", "Range", "Token", "Tokenization", "Word", "SVGFigure",
    "line_chart", "ModelInfo", "LayerStack", "Alignment", "AlignWord", "Link",
    "METHODS", "HIGHLIGHT_METHODS", "METHOD_DESCRIPTIONS",
    "HeedError", "HeedNotFound", "HeedWarning", "DaemonDied", "ParseError", "InvalidRequest",
    "MethodNotFound", "InvalidParams", "InternalError", "ServerNotInitialized",
    "RequestCancelled", "UnknownModel", "ModelLoadError", "MethodNotSupported", "InputTooLong",
    "ModelInconsistent",
]

_default: Optional[Client] = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """The module-level client (started on first use with ``Client()``, closed at exit)."""
    global _default
    with _default_lock:
        if _default is None or _default._closed:
            _default = Client()
        return _default


def set_default_client(client: Optional[Client]) -> None:
    """Makes ``client`` the one the module-level functions use (None: start a new one on next
    use). The previous default client is not closed."""
    global _default
    with _default_lock:
        _default = client


@atexit.register
def _close_default() -> None:
    client = _default
    if client is not None:
        try:
            client.close(timeout=2)
        except Exception:
            pass


def models():
    """The daemon's models (``heed/models``)."""
    return default_client().models()


def load_model(model: Optional[str] = None):
    """Loads (and on first use fetches) a model, with progress on stderr; returns its info."""
    return default_client().load_model(model)


def tokenize(text: str, model: Optional[str] = None,
             side: Optional[str] = None) -> Tokenization:
    """Every token of ``text`` with its span (see :meth:`Client.tokenize`)."""
    return default_client().tokenize(text, model=model, side=side)


def analyze(text: str, methods=("attention", "norm-summed"), layers=None, heads: str = "all",
            granularity: str = "token", model: Optional[str] = None,
            format: Optional[str] = None, progress=None, target: Optional[str] = None,
            decoder_layers=None) -> Analysis:
    """Per-layer matrices of ``methods`` for ``text``; ``progress=callable(percentage,
    message)`` follows a slow analysis such as value zeroing; ``target`` for an
    encoder-decoder model (see :meth:`Client.analyze`)."""
    return default_client().analyze(text, methods=methods, layers=layers, heads=heads,
                                    granularity=granularity, model=model, format=format,
                                    progress=progress, target=target,
                                    decoder_layers=decoder_layers)


def highlight(text: str, focus, method: str = "norm-summed", layer="last",
              direction: str = "from", top_k: Optional[int] = None,
              granularity: str = "token", model: Optional[str] = None,
              predict: Optional[int] = None, target: Optional[str] = None,
              focus_in: Optional[str] = None, setting: Optional[str] = None) -> Highlight:
    """What ``focus`` attends to (see :meth:`Client.highlight`)."""
    return default_client().highlight(text, focus, method=method, layer=layer,
                                      direction=direction, top_k=top_k,
                                      granularity=granularity, model=model, predict=predict,
                                      target=target, focus_in=focus_in, setting=setting)


def align(text: str, target: str, layer=None, method: Optional[str] = None,
          setting: Optional[str] = None, model: Optional[str] = None) -> Alignment:
    """Word alignments of an encoder-decoder model (see :meth:`Client.align`)."""
    return default_client().align(text, target, layer=layer, method=method, setting=setting,
                                  model=model)


def predict(text: str, top_k: Optional[int] = None, model: Optional[str] = None):
    """The most probable next tokens after ``text`` (see :meth:`Client.predict`)."""
    return default_client().predict(text, top_k=top_k, model=model)


def analyze_many(texts: Iterable[str], to: Optional[str] = None, *,
                 file_format: Optional[str] = None, progress: bool = True, **kwargs) -> Any:
    """A corpus with a progress bar on stderr; with ``to=DIR`` results are written (``.npz``
    or JSON lines) and not kept in memory. See :func:`heed.corpus.analyze_many`."""
    from .corpus import analyze_many as run
    return run(texts, to=to, file_format=file_format, progress=progress,
               client=default_client(), **kwargs)
