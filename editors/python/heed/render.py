"""Offline rendering: HTML and SVG built as strings, with no external resource of any kind.

No URL is ever emitted (no CDN, no RequireJS, no web font, no ``src=``). The only URL-like
string is the SVG namespace ``xmlns="http://www.w3.org/2000/svg"`` on the root of standalone
SVG documents (``.to_svg()``, ``_repr_svg_``, ``.save("x.svg")``), which identifies the
vocabulary and is never fetched; SVG inlined in HTML omits it. Heatmaps larger than
``RECT_LIMIT`` units are embedded PNG images (``data:`` URIs made with ``zlib``).

Optional interactivity (hover a token to make it the focus) is one inline ``<script>``; where
scripts are off or stripped (untrusted notebooks, exported HTML viewed without scripts) the
static picture, drawn for the default focus, remains.
"""

from __future__ import annotations

import base64
import html
import json
import os
import struct
import unicodedata
import uuid
import zlib
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import _arrays
from .results import GLOBAL_METHODS

SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'
RECT_LIMIT = 64       # heatmaps up to this many units are SVG rects, larger ones a PNG image
SCRIPT_LIMIT = 160    # the hover script embeds 2 x T x T numbers: only up to this T
FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"
SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"

# (light, mid, dark) anchors of the two sequential scales: weight in blues, norm in oranges.
BLUES = ((247, 251, 255), (107, 174, 214), (8, 48, 107))
ORANGES = ((255, 245, 235), (253, 141, 60), (127, 39, 4))
WEIGHT_RGB = (49, 130, 189)
NORM_RGB = (230, 85, 13)


def esc(s: Any) -> str:
    return html.escape(str(s), quote=True)


def fmt(v: float) -> str:
    return f"{v:.4g}"


def ramp(anchors, t: float) -> Tuple[int, int, int]:
    t = 0.0 if t != t else min(1.0, max(0.0, t))
    if t < 0.5:
        a, b, u = anchors[0], anchors[1], t * 2
    else:
        a, b, u = anchors[1], anchors[2], (t - 0.5) * 2
    return tuple(int(round(a[k] + (b[k] - a[k]) * u)) for k in range(3))


def hexrgb(c: Tuple[int, int, int]) -> str:
    return "#%02x%02x%02x" % c


def shade(rgb: Tuple[int, int, int], score: float) -> str:
    """Background of a unit with this score: the scale's colour at alpha 0.85 * score."""
    a = 0.0 if score != score else 0.85 * min(1.0, max(0.0, score))
    return f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{a:.3f})"


def char_width(ch: str) -> float:
    if unicodedata.combining(ch):
        return 0.0
    return 2.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 1.0


def text_width(s: str) -> float:
    return sum(char_width(c) for c in s)


# -- PNG (for large heatmaps), standard library only

def png_data_uri(matrix: List[List[float]], anchors, vmax: float) -> str:
    rows = bytearray()
    for row in matrix:
        rows.append(0)
        for v in row:
            rows.extend(ramp(anchors, v / vmax if vmax > 0 else 0.0))
    height, width = len(matrix), len(matrix[0]) if matrix else 0

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# -- heatmap

def heatmap_svg(matrix: List[List[float]], labels: Sequence[str], title: str, anchors,
                focus_row: Optional[int] = None, standalone: bool = False, size: int = 300,
                mark_class: str = "") -> Tuple[str, int, int]:
    """An SVG heatmap (row i = attending, column j = attended); returns (svg, width, height)."""
    n = len(matrix)
    cell = max(1.0, min(18.0, size / max(n, 1)))
    show_labels = n <= RECT_LIMIT and cell >= 7
    lab = 72 if show_labels else 8
    top = 26 + (lab if show_labels else 0)
    side = cell * n
    width = max(int(lab + side + 10), 320)
    height = int(top + side + 30)
    vmax = max((max(r) for r in matrix if r), default=0.0)
    parts = []
    ns = (" " + SVG_NS) if standalone else ""
    parts.append(f'<svg{ns} width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
                 f'font-family="{esc(SANS)}" font-size="11">')
    parts.append(f'<text x="{lab}" y="16" font-size="13" font-weight="600" fill="#222">'
                 f'{esc(title)}</text>')
    if n <= RECT_LIMIT:
        for i, row in enumerate(matrix):
            y = top + i * cell
            for j, v in enumerate(row):
                c = hexrgb(ramp(anchors, v / vmax if vmax > 0 else 0.0))
                tip = (f"<title>{esc(labels[i])} \u2192 {esc(labels[j])}: {fmt(v)}</title>"
                       if n <= 24 else "")
                parts.append(f'<rect x="{lab + j * cell:.2f}" y="{y:.2f}" width="{cell:.2f}" '
                             f'height="{cell:.2f}" fill="{c}">{tip}</rect>')
    else:
        uri = png_data_uri(matrix, anchors, vmax)
        parts.append(f'<image x="{lab}" y="{top}" width="{side:.2f}" height="{side:.2f}" '
                     f'preserveAspectRatio="none" style="image-rendering:pixelated" '
                     f'href="{uri}"/>')
    parts.append(f'<rect x="{lab}" y="{top}" width="{side:.2f}" height="{side:.2f}" '
                 f'fill="none" stroke="#888" stroke-width="0.5"/>')
    if show_labels:
        fs = min(11.0, max(6.0, cell * 0.8))
        for i, name in enumerate(labels):
            short = name if len(name) <= 10 else name[:9] + "\u2026"
            y = top + i * cell + cell / 2
            parts.append(f'<text x="{lab - 4}" y="{y:.2f}" text-anchor="end" '
                         f'dominant-baseline="central" font-size="{fs:.1f}" fill="#333">'
                         f'{esc(short)}</text>')
            x = lab + i * cell + cell / 2
            parts.append(f'<text transform="translate({x:.2f},{top - 4}) rotate(-60)" '
                         f'font-size="{fs:.1f}" dominant-baseline="central" fill="#333">'
                         f'{esc(short)}</text>')
    if focus_row is not None and 0 <= focus_row < n:
        cls = f' class="{mark_class}"' if mark_class else ""
        parts.append(f'<rect{cls} x="{lab - 1}" y="{top + focus_row * cell - 1:.2f}" '
                     f'width="{side + 2:.2f}" height="{cell + 2:.2f}" fill="none" '
                     f'stroke="#111" stroke-width="1.5"/>')
    parts.append(f'<text x="{lab}" y="{top + side + 16:.2f}" fill="#555">rows attend to columns'
                 f' \u00b7 max {fmt(vmax)}</text>')
    parts.append("</svg>")
    return "".join(parts), width, height


# -- text strips

def _segments(text: str, units: Sequence[Any]) -> List[Tuple[str, Optional[int]]]:
    """The text cut into (piece, unit index or None); inserted units (empty span) come first
    ([CLS]-like, before the first unit with a span) or last, as badges with piece ''."""
    spans = sorted((u.start, u.end, k) for k, u in enumerate(units) if u.end > u.start)
    first_pos = next((k for k, u in enumerate(units) if u.end > u.start), len(units))
    lead = [k for k, u in enumerate(units) if u.end == u.start and k < first_pos]
    tail = [k for k, u in enumerate(units) if u.end == u.start and k >= first_pos]
    out: List[Tuple[str, Optional[int]]] = [("", k) for k in lead]
    pos = 0
    for start, end, k in spans:
        if start < pos:  # overlapping units (not produced by Heed): skip the overlap
            start = pos
            if start >= end:
                continue
        if start > pos:
            out.append((text[pos:start], None))
        out.append((text[start:end], k))
        pos = end
    if pos < len(text):
        out.append((text[pos:], None))
    out += [("", k) for k in tail]
    return out


def _unit_label(u: Any) -> str:
    from .results import _unit_label as label
    return label(u)


def strip_html(text: str, units: Sequence[Any], scores: Sequence[Optional[float]],
               titles: Sequence[str], focus: Optional[int], rgb, caption: str,
               strip_key: str = "") -> str:
    parts = [f'<div style="margin:4px 0 8px 0"><div style="font:600 12px {esc(SANS)};'
             f'color:#444;margin-bottom:3px">{esc(caption)}</div>'
             f'<div style="font-family:{esc(FONT)};font-size:14px;line-height:1.9;'
             f'white-space:pre-wrap;word-wrap:break-word;color:#111">']
    for piece, k in _segments(text, units):
        if k is None:
            parts.append(esc(piece))
            continue
        u = units[k]
        is_focus = k == focus
        bg = "transparent" if is_focus or scores[k] is None else shade(rgb, scores[k])
        border = "outline:2px solid #111;" if is_focus else ""
        badge = ""
        label = piece
        if not piece:
            label = _unit_label(u)
            badge = "font-size:11px;color:#555;border:1px dashed #999;margin:0 3px;"
        parts.append(f'<span class="heed-u" data-u="{k}" data-s="{strip_key}" '
                     f'title="{esc(titles[k])}" style="background:{bg};{border}{badge}'
                     f'border-radius:3px;padding:1px 0">{esc(label)}</span>')
    parts.append("</div></div>")
    return "".join(parts)


def strip_svg(text: str, units: Sequence[Any], scores: Sequence[Optional[float]],
              titles: Sequence[str], focus: Optional[int], rgb, caption: str, y0: float,
              width_chars: int = 90) -> Tuple[str, float]:
    """The same strip laid out in SVG with a monospace font; returns (svg, next y)."""
    cw, lh = 8.0, 22.0
    parts = [f'<text x="10" y="{y0 + 12:.1f}" font-family="{esc(SANS)}" font-size="12" '
             f'font-weight="600" fill="#444">{esc(caption)}</text>']
    x, line = 0.0, 0
    y_base = y0 + 20
    for piece, k in _segments(text, units):
        chunks = piece.split("\n") if k is None else [piece]
        for c_index, chunk in enumerate(chunks):
            if c_index > 0:
                x, line = 0.0, line + 1
            label = chunk if (k is None or chunk) else _unit_label(units[k])
            w = text_width(label) + (1.0 if k is not None and not chunk else 0.0)
            if x > 0 and x + w > width_chars:
                x, line = 0.0, line + 1
                if k is None:
                    label = label.lstrip(" ")
                    w = text_width(label)
            px, py = 10 + x * cw, y_base + line * lh
            if k is not None:
                is_focus = k == focus
                fill = "none" if is_focus or scores[k] is None else shade(rgb, scores[k])
                stroke = ' stroke="#111" stroke-width="1.5"' if is_focus else (
                    ' stroke="#999" stroke-dasharray="2,2"' if not chunk else "")
                parts.append(f'<rect x="{px:.1f}" y="{py:.1f}" width="{w * cw:.1f}" '
                             f'height="{lh - 4:.1f}" rx="3" fill="{fill}"{stroke}>'
                             f'<title>{esc(titles[k])}</title></rect>')
            if label:
                size = 11 if (k is not None and not chunk) else 13
                parts.append(f'<text x="{px + (4 if k is not None and not chunk else 0):.1f}" '
                             f'y="{py + 14:.1f}" xml:space="preserve" font-family="{esc(FONT)}" '
                             f'font-size="{size}" fill="#111">{esc(label)}</text>')
            x += w
    return "".join(parts), y_base + (line + 1) * lh + 6


# -- pages and files

def page(body: str, title: str = "heed") -> str:
    """A standalone HTML document around a fragment (no external resource)."""
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title></head><body style=\"margin:16px;background:#fff\">\n"
            f"{body}\n</body></html>\n")


def save(path: str, to_svg: Callable[[], str], to_html: Callable[[], str]) -> str:
    ext = os.path.splitext(str(path))[1].lower()
    if ext == ".svg":
        content = to_svg()
    elif ext in (".html", ".htm"):
        content = to_html()
    else:
        raise ValueError(f"save() writes .svg or .html files, not {ext or 'no extension'!r}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)
    return str(path)


class SVGFigure:
    """A finished SVG picture with notebook reprs (``_repr_svg_``, ``_repr_html_``)."""

    def __init__(self, svg_inline: str):
        self.svg_inline = svg_inline  # without the namespace, for HTML

    def to_svg(self) -> str:
        return self.svg_inline.replace("<svg", "<svg " + SVG_NS, 1)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def _repr_html_(self) -> str:
        return f'<div class="heed-figure">{self.svg_inline}</div>'

    def to_html(self) -> str:
        return page(self._repr_html_())

    def save(self, path: str) -> str:
        return save(path, self.to_svg, self.to_html)


# -- tokenization

def tokens_html(tok) -> str:
    parts = [f'<div style="font-family:{esc(FONT)};font-size:13px;line-height:2.1">']
    for t in tok.tokens:
        style = ("color:#666;font-style:italic;border:1px dashed #999" if t.inserted else
                 "border:1px solid #bbb" + (";background:#f3ecff" if t.special else ""))
        title = f"#{t.index} id {t.id} [{t.start}:{t.end}] word {t.word}"
        parts.append(f'<span title="{esc(title)}" style="{style};border-radius:3px;'
                     f'padding:1px 4px;margin:0 2px;white-space:pre">{esc(t.text)}</span>')
    parts.append("</div>")
    return "".join(parts)


# -- highlight

def _is_norm_method(method: str) -> bool:
    """Every method but the attention weights (and their rollout) is drawn in the norm colour:
    ALTI, GlobEnc and value zeroing too, which all read the vectors."""
    return method not in ("attention", "rollout")


def _highlight_parts(h):
    units, scores, titles = [], [], []

    class _U:
        def __init__(self, start, end, text):
            self.start, self.end, self.text, self.surface, self.label = start, end, text, text, text
            self.inserted = False

    for r in h.ranges:
        units.append(_U(r.start, r.end, r.text))
        scores.append(r.score)
        titles.append(f"{r.text} [{r.start}:{r.end}] \u00b7 {h.method} {fmt(r.value)} "
                      f"\u00b7 score {r.score:.2f}")
    layer = "" if h.layer is None else f" \u00b7 layer {h.layer}"
    if getattr(h, "focus_in", "source") == "target":
        # The focus is in the target (drawn on a strip of its own); the source is shaded, and
        # the unit it aligns to (score 1) is outlined.
        aligned = h.aligned
        focus = next((k for k, r in enumerate(h.ranges) if r is aligned), None)
        caption = (f"{h.model} \u00b7 cross-attention {h.method}{layer} \u00b7 "
                   f"{h.setting or 'input'} \u00b7 target focus \u201c{h.focus_text}\u201d"
                   + (f" aligned to \u201c{aligned.text}\u201d" if aligned else ""))
        rgb = NORM_RGB if _is_norm_method(h.method) else WEIGHT_RGB
        return units, scores, titles, focus, rgb, caption
    units.append(_U(h.focus[0], h.focus[1], h.focus_text))
    scores.append(None)
    titles.append(f"focus {h.focus_text} [{h.focus[0]}:{h.focus[1]}]")
    caption = (f"{h.model} \u00b7 {h.method}{layer} \u00b7 {h.direction} "
               f"\u00b7 focus \u201c{h.focus_text}\u201d")
    if h.window is not None:
        caption += f" \u00b7 window [{h.window[0]}:{h.window[1]}]"
    rgb = NORM_RGB if _is_norm_method(h.method) else WEIGHT_RGB
    return units, scores, titles, len(units) - 1, rgb, caption


def _target_strip(h):
    """The target text with the focus outlined (a highlight whose focus is in the target)."""

    class _U:
        def __init__(self, start, end, text):
            self.start, self.end, self.text, self.surface, self.label = start, end, text, text, text
            self.inserted = False

    units = [_U(h.focus[0], h.focus[1], h.focus_text)]
    return units, [None], [f"focus {h.focus_text} [{h.focus[0]}:{h.focus[1]}]"], 0


def highlight_html(h) -> str:
    units, scores, titles, focus, rgb, caption = _highlight_parts(h)
    body = strip_html(h.text, units, scores, titles, focus, rgb, caption)
    if getattr(h, "focus_in", "source") == "target" and h.target is not None:
        tu, ts, tt, tf = _target_strip(h)
        body += strip_html(h.target, tu, ts, tt, tf, rgb, "target")
    return '<div class="heed-highlight">' + body + "</div>"


def highlight_svg(h) -> str:
    units, scores, titles, focus, rgb, caption = _highlight_parts(h)
    body, y = strip_svg(h.text, units, scores, titles, focus, rgb, caption, 4)
    if getattr(h, "focus_in", "source") == "target" and h.target is not None:
        tu, ts, tt, tf = _target_strip(h)
        more, y = strip_svg(h.target, tu, ts, tt, tf, rgb, "target", y)
        body += more
    width = 10 + 92 * 8
    return (f'<svg {SVG_NS} width="{width}" height="{int(y)}" viewBox="0 0 {width} {int(y)}">'
            f'<rect width="100%" height="100%" fill="#fff"/>{body}</svg>')


# -- analysis

NORM_PREFERENCE = ("norm-summed", "attn-res-ln", "attn-res", "norm", "norm-rollout", "alti",
                   "alti-rollout", "globenc", "value-zeroing")
# Products over all layers: the analyze result's top-level matrices (no layer applies).
ACROSS_LAYERS = GLOBAL_METHODS
_FOLLOW_UP_NAMES = {"alti": "ALTI", "alti-rollout": "ALTI rollout", "globenc": "GlobEnc",
                    "value-zeroing": "value zeroing"}


def _square(a, method: str) -> List[List[float]]:
    """A T x T nested list for display: head-averaged for ``attention``/``norm``."""
    shape = _arrays.shape_of(a)
    if len(shape) == 3:
        if _arrays.numpy_available() and not isinstance(a, list):
            return a.mean(axis=0).tolist()
        nh = len(a)
        return [[sum(a[h][i][j] for h in range(nh)) / nh for j in range(shape[2])]
                for i in range(shape[1])]
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"{method} is not a T x T matrix; choose attention, norm, "
                         f"norm-summed, attn-res, attn-res-ln, alti, value-zeroing, a rollout "
                         f"or globenc")
    return _arrays.tolist(a)


class AnalysisView:
    """An analysis drawn for one focus and one layer (see :meth:`heed.Analysis.show`)."""

    def __init__(self, analysis, focus=None, layer=None, weight=None, norm=None,
                 interactive=True):
        self.a = analysis
        a = analysis
        self.units = a.units
        if not a.layer_indices and not any(m in a for m in ACROSS_LAYERS):
            raise ValueError("this analysis has no matrix to draw")
        if not a.layer_indices:
            self.layer = None
        else:
            self.layer = (a.layer_indices[-1] if layer is None else
                          (a.layer_indices[layer] if layer < 0 else layer))
        if weight is None:
            weight = next((m for m in ("attention", "rollout") if m in a), None)
        if norm is None:
            norm = next((m for m in NORM_PREFERENCE if m in a), None)
        self.maps: List[Tuple[str, str, Any, List[List[float]]]] = []
        for kind, method, anchors in (("weight", weight, BLUES), ("norm", norm, ORANGES)):
            if method is None:
                continue
            value = a[method] if method in ACROSS_LAYERS else a.layer(self.layer)[method]
            self.maps.append((kind, method, anchors, _square(value, method)))
        if not self.maps:
            raise ValueError(f"nothing to draw among {a.methods}")
        self.focus = self._focus_index(focus)
        self.interactive = interactive

    def _focus_index(self, focus) -> int:
        units = self.units
        if focus is None:
            return next((k for k, u in enumerate(units) if u.end > u.start), 0)
        if isinstance(focus, int):
            if not 0 <= focus < len(units):
                raise IndexError(f"focus unit {focus} is not in 0..{len(units) - 1}")
            return focus
        if isinstance(focus, str):
            at = self.a.text.find(focus)
            if at < 0 or not focus:
                raise ValueError(f"focus {focus!r} does not occur in the text")
            span = (at, at + len(focus))
        else:
            span = (int(focus[0]), int(focus[1]))
        for k, u in enumerate(units):
            if u.end > u.start and u.start < span[1] and span[0] < u.end:
                return k
        raise ValueError(f"focus {span} overlaps no unit of the text")

    def _title(self, k: int, focus: int) -> str:
        u = self.units[k]
        label = _unit_label(u)
        where = "" if u.end == u.start else f" [{u.start}:{u.end}]"
        vals = " \u00b7 ".join(f"{m} {fmt(mat[focus][k])}" for _, m, _, mat in self.maps)
        return f"{label}{where} \u00b7 {vals}"

    def _scores(self, mat, focus: int) -> List[Optional[float]]:
        row = mat[focus]
        others = [v for j, v in enumerate(row) if j != focus]
        top = max(others) if others else 0.0
        return [None if j == focus else (v / top if top > 0 else 0.0) for j, v in enumerate(row)]

    def _layer_text(self, method: str) -> str:
        return "all layers" if method in ACROSS_LAYERS else f"layer {self.layer}"

    def _caption(self, kind: str, method: str) -> str:
        label = _unit_label(self.units[self.focus])
        # The follow-ups are named themselves ("by value zeroing"), not lumped with the norms.
        kind = _FOLLOW_UP_NAMES.get(method, kind)
        return (f"by {kind}: what \u201c{label}\u201d attends to \u00b7 {method} \u00b7 "
                f"{self._layer_text(method)}")

    def _repr_html_(self) -> str:
        root = "heed-" + uuid.uuid4().hex[:12]
        titles = [self._title(k, self.focus) for k in range(len(self.units))]
        head = (f'<div style="font:12px {esc(SANS)};color:#666;margin-bottom:4px">'
                f'heed \u00b7 {esc(self.a.model)} \u00b7 {len(self.units)} '
                f'{esc(self.a.granularity)}s \u00b7 hover a token to focus it</div>')
        parts = [f'<div id="{root}" class="heed-analysis" style="max-width:100%">', head]
        for kind, method, anchors, mat in self.maps:
            rgb = WEIGHT_RGB if kind == "weight" else NORM_RGB
            parts.append(f'<div class="heed-cap-{kind}">')
            parts.append(strip_html(self.a.text, self.units, self._scores(mat, self.focus),
                                    titles, self.focus, rgb, self._caption(kind, method),
                                    strip_key=kind))
            parts.append("</div>")
        labels = [_unit_label(u) for u in self.units]
        parts.append('<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">')
        for kind, method, anchors, mat in self.maps:
            svg, _, _ = heatmap_svg(mat, labels, f"{kind}: {method} \u00b7 "
                                    f"{self._layer_text(method)}", anchors,
                                    focus_row=self.focus, mark_class=f"heed-mark-{kind}")
            parts.append(f"<div>{svg}</div>")
        parts.append("</div>")
        if self.interactive and len(self.units) <= SCRIPT_LIMIT:
            parts.append(self._script(root, labels))
        parts.append("</div>")
        return "".join(parts)

    def _script(self, root: str, labels: List[str]) -> str:
        data = {
            "labels": labels,
            "spans": [[u.start, u.end] for u in self.units],
            "maps": [{"kind": kind, "method": method, "rgb": list(WEIGHT_RGB if kind == "weight"
                                                                  else NORM_RGB),
                      "caption": _FOLLOW_UP_NAMES.get(method, kind), "layer": self._layer_text(method),
                      "rows": [[float(f"{v:.4g}") for v in row] for row in mat]}
                     for kind, method, _, mat in self.maps],
        }
        blob = json.dumps(data, separators=(",", ":"), ensure_ascii=True).replace("</", "<\\/")
        return (f'<script type="application/json" class="heed-data">{blob}</script>'
                "<script>(function(){"
                f"var root=document.getElementById('{root}');if(!root)return;"
                "var d=JSON.parse(root.querySelector('script.heed-data').textContent);"
                "var spans=root.querySelectorAll('span.heed-u');"
                "function p(v){return Number(v).toPrecision(4).replace(/\\.?0+$/,'').replace(/\\.?0+e/,'e');}"
                "function focus(f){"
                " var lab=d.labels[f];"
                " d.maps.forEach(function(m){"
                "  var row=m.rows[f],top=0;row.forEach(function(v,j){if(j!==f&&v>top)top=v;});"
                "  var cap=root.querySelector('.heed-cap-'+m.kind+' div div');"
                "  if(cap)cap.textContent='by '+m.caption+': what \\u201c'+lab+'\\u201d attends to \\u00b7 '+m.method+' \\u00b7 '+m.layer;"
                "  var mark=root.querySelector('rect.heed-mark-'+m.kind);"
                "  if(mark){var h=parseFloat(mark.getAttribute('height'))-2;"
                "   var y0=parseFloat(mark.getAttribute('data-y0')||mark.getAttribute('y'));"
                "   if(!mark.getAttribute('data-y0')){mark.setAttribute('data-y0',y0);mark.setAttribute('data-f0',d.f0);}"
                "   var f0=parseInt(mark.getAttribute('data-f0'));"
                "   mark.setAttribute('y',y0+(f-f0)*h);}"
                "  spans.forEach(function(s){if(s.getAttribute('data-s')!==m.kind)return;"
                "   var j=parseInt(s.getAttribute('data-u'));"
                "   if(j===f){s.style.background='transparent';s.style.outline='2px solid #111';}"
                "   else{var sc=top>0?row[j]/top:0;"
                "    s.style.background='rgba('+m.rgb.join(',')+','+(0.85*sc).toFixed(3)+')';"
                "    s.style.outline='none';}"
                "   var sp=d.spans[j];var where=sp[0]===sp[1]?'':' ['+sp[0]+':'+sp[1]+']';"
                "   s.title=d.labels[j]+where+' \\u00b7 '+d.maps.map(function(n){return n.method+' '+p(n.rows[f][j]);}).join(' \\u00b7 ');"
                "  });"
                " });"
                "}"
                f"d.f0={self.focus};"
                "spans.forEach(function(s){s.addEventListener('mouseenter',function(){"
                "focus(parseInt(s.getAttribute('data-u')));});});"
                "})();</script>")

    def to_html(self) -> str:
        return page(self._repr_html_(), title=f"heed: {self.a.text[:60]}")

    def to_svg(self) -> str:
        titles = [self._title(k, self.focus) for k in range(len(self.units))]
        parts = []
        y = 6.0
        for kind, method, anchors, mat in self.maps:
            rgb = WEIGHT_RGB if kind == "weight" else NORM_RGB
            body, y = strip_svg(self.a.text, self.units, self._scores(mat, self.focus), titles,
                                self.focus, rgb, self._caption(kind, method), y)
            parts.append(body)
        labels = [_unit_label(u) for u in self.units]
        x = 10
        maps_h = 0
        for kind, method, anchors, mat in self.maps:
            svg, w, h = heatmap_svg(mat, labels, f"{kind}: {method} \u00b7 "
                                    f"{self._layer_text(method)}", anchors,
                                    focus_row=self.focus)
            parts.append(svg.replace("<svg ", f'<svg x="{x}" y="{y:.1f}" ', 1))
            x += w + 16
            maps_h = max(maps_h, h)
        width = max(x, 10 + 92 * 8)
        height = int(y + maps_h + 8)
        return (f'<svg {SVG_NS} width="{width}" height="{height}" '
                f'viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="#fff"/>'
                + "".join(parts) + "</svg>")

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def save(self, path: str) -> str:
        return save(path, self.to_svg, self.to_html)


def line_chart(series: Dict[str, Sequence[float]], x: Sequence[Any], title: str = "",
               xlabel: str = "", ylabel: str = "", percent: bool = False,
               ymax: Optional[float] = None, colors: Optional[Dict[str, str]] = None,
               width: int = 520, height: int = 300) -> SVGFigure:
    """A small line chart as inline SVG (no matplotlib needed): one line per series."""
    palette = ["#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#de2d26"]
    colors = dict(colors or {})
    longest = max((text_width(str(name)) for name in series), default=0)
    right = int(52 + 6.6 * longest)
    width += max(0, right - 150)
    left, top, bottom = 56, 30, 44
    pw, ph = width - left - right, height - top - bottom
    top_value = ymax if ymax is not None else max(
        (v for ys in series.values() for v in ys), default=1.0) * 1.1 or 1.0
    n = len(x)

    def px(i):
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def py(v):
        return top + ph - ph * (v / top_value if top_value else 0)

    out = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'font-family="{esc(SANS)}" font-size="11"><rect width="100%" height="100%" '
           f'fill="#fff"/>',
           f'<text x="{left}" y="18" font-size="13" font-weight="600" fill="#222">'
           f'{esc(title)}</text>']
    for t in range(6):
        v = top_value * t / 5
        y = py(v)
        label = f"{v * 100:.0f}%" if percent else fmt(v)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#e5e5e5"/><text x="{left - 6}" y="{y:.1f}" text-anchor="end" '
                   f'dominant-baseline="central" fill="#555">{label}</text>')
    for i, xv in enumerate(x):
        out.append(f'<text x="{px(i):.1f}" y="{top + ph + 16}" text-anchor="middle" '
                   f'fill="#555">{esc(xv)}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle" '
               f'fill="#333">{esc(xlabel)}</text>')
    out.append(f'<text transform="translate(14,{top + ph / 2}) rotate(-90)" '
               f'text-anchor="middle" fill="#333">{esc(ylabel)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" '
               f'stroke="#999"/>')
    for k, (name, ys) in enumerate(series.items()):
        c = colors.get(name, palette[k % len(palette)])
        dash = ' stroke-dasharray="5,3"' if "norm" in name.lower() else ""
        pts = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(ys))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"{dash}/>')
        for i, v in enumerate(ys):
            value = f"{v * 100:.1f}%" if percent else fmt(v)
            out.append(f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="3" fill="{c}">'
                       f'<title>{esc(name)} \u00b7 {esc(x[i])}: {value}</title></circle>')
        ly = top + 10 + k * 18
        out.append(f'<line x1="{left + pw + 12}" x2="{left + pw + 34}" y1="{ly}" y2="{ly}" '
                   f'stroke="{c}" stroke-width="2"{dash}/><text x="{left + pw + 40}" '
                   f'y="{ly}" dominant-baseline="central" fill="#222">{esc(name)}</text>')
    out.append("</svg>")
    return SVGFigure("".join(out))
