"""Offline rendering of a word alignment (``heed.align``): the source words on top, the target
words below, one line per link, darker for a stronger link (its score over the largest). Inline
SVG only, no external resource (see ``heed.render``)."""

from __future__ import annotations

import os
from typing import List, Tuple

from .render import FONT, NORM_RGB, SANS, SVG_NS, WEIGHT_RGB, esc, fmt, text_width

CW = 8.0      # px per character cell (monospace, 13 px)
GAP = 2.0     # cells between words
ROW_GAP = 70  # px between the two rows of words


def _layout(words, width_chars: float) -> Tuple[List[Tuple[float, float]], float]:
    """x (left, width) in px of each word on one row; and the row's width in px."""
    out, x = [], 0.0
    for w in words:
        wd = max(1.0, text_width(w.text))
        out.append((10 + x * CW, wd * CW))
        x += wd + GAP
    return out, 10 + x * CW


def alignment_svg(al, standalone: bool = False) -> str:
    src, src_w = _layout(al.source_words, 0)
    tgt, tgt_w = _layout(al.target_words, 0)
    model = str(al.model or "")
    if "/" in model and os.path.isdir(model):  # a model directory: its name
        model = os.path.basename(model.rstrip("/"))
    title = (f"{model} \u00b7 {al.method} \u00b7 decoder layer {al.layer} \u00b7 {al.setting} "
             f"\u00b7 {len(al.links)} links")
    width = int(max(src_w, tgt_w, 320, 7 * len(title) + 20) + 10)
    top, lh = 34.0, 20.0
    y_src, y_tgt = top, top + lh + ROW_GAP
    height = int(y_tgt + lh + 30)
    rgb = WEIGHT_RGB if al.method == "weight" else NORM_RGB
    vmax = max((l.score for l in al.links), default=0.0)
    ns = (" " + SVG_NS) if standalone else ""
    parts = [f'<svg{ns} width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'font-family="{esc(SANS)}" font-size="12">',
             '<rect width="100%" height="100%" fill="#fff"/>',
             f'<text x="10" y="16" font-weight="600" fill="#444">{esc(title)}</text>']
    for link in al.links:
        sx = src[link.source][0] + src[link.source][1] / 2
        tx = tgt[link.target][0] + tgt[link.target][1] / 2
        alpha = 0.25 + 0.75 * (link.score / vmax if vmax > 0 else 0.0)
        parts.append(f'<line class="heed-link" x1="{tx:.1f}" y1="{y_tgt - 2:.1f}" x2="{sx:.1f}" '
                     f'y2="{y_src + lh + 2:.1f}" stroke="rgb({rgb[0]},{rgb[1]},{rgb[2]})" '
                     f'stroke-opacity="{alpha:.3f}" stroke-width="{1 + 2 * alpha:.2f}">'
                     f'<title>{esc(link.target_word.text)} \u2192 {esc(link.source_word.text)}: '
                     f'{fmt(link.score)}</title></line>')
    for words, xs, y, side in ((al.source_words, src, y_src, "source"),
                               (al.target_words, tgt, y_tgt, "target")):
        for w, (x, wd) in zip(words, xs):
            parts.append(f'<rect x="{x - 2:.1f}" y="{y:.1f}" width="{wd + 4:.1f}" '
                         f'height="{lh:.1f}" rx="3" fill="#f4f4f4" stroke="#bbb">'
                         f'<title>{side} word {w.index} [{w.start}:{w.end}]</title></rect>')
            parts.append(f'<text x="{x:.1f}" y="{y + 14:.1f}" xml:space="preserve" '
                         f'font-family="{esc(FONT)}" font-size="13" fill="#111">{esc(w.text)}'
                         f'</text>')
    parts.append(f'<text x="10" y="{height - 8}" fill="#555">source above, target below; '
                 f'a line per link \u00b7 max {fmt(vmax)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def alignment_html(al) -> str:
    rows = "".join(
        f'<tr><td style="padding:1px 8px">{esc(l.target_word.text)}</td>'
        f'<td style="padding:1px 8px">{esc(l.source_word.text)}</td>'
        f'<td style="padding:1px 8px;text-align:right">{fmt(l.score)}</td></tr>'
        for l in al.links)
    table = (f'<table class="heed-links" style="font:12px {esc(SANS)};border-collapse:collapse;'
             f'margin-top:4px"><tr><th style="text-align:left;padding:1px 8px">target</th>'
             f'<th style="text-align:left;padding:1px 8px">source</th>'
             f'<th style="padding:1px 8px">score</th></tr>{rows}</table>')
    return f'<div class="heed-alignment">{alignment_svg(al)}{table}</div>'
