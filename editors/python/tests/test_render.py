"""Notebook rendering: static HTML/SVG, offline, with titles and heatmaps."""

import base64
import pathlib
import re
import struct
import xml.etree.ElementTree as ET

import pytest

import heed
from heed import _arrays, render
from offline import assert_offline_html, assert_offline_svg

TEXT = "The cat sat on the mat."


@pytest.fixture(scope="module")
def cat(client):
    return client.analyze(TEXT, methods=["attention", "norm-summed"])


def mean_heads(a, layer):
    att = _arrays.tolist(a.layer(layer)["attention"])
    nh, t = len(att), len(att[0])
    return [[sum(att[h][i][j] for h in range(nh)) / nh for j in range(t)] for i in range(t)]


def test_analysis_html_shades_tokens_for_the_focus(cat):
    html = cat.show(focus="cat")._repr_html_()
    assert_offline_html(html)
    spans = re.findall(r'<span class="heed-u" data-u="(\d+)" data-s="(\w+)" title="([^"]*)" '
                       r'style="background:([^;]*);', html)
    # two strips (weight, norm), each with every unit: the 7 with a span and [CLS], [SEP]
    assert [(int(u), s) for u, s, _, _ in spans] == [(u, s) for s in ("weight", "norm")
                                                      for u in range(9)]
    weight = mean_heads(cat, 5)[2]  # token 2 is "cat"
    norm = _arrays.tolist(cat.layer(5)["norm-summed"])[2]
    titles = [t for _, s, t, _ in spans if s == "weight"]
    assert titles[2] == (f"cat [4:7] \u00b7 attention {render.fmt(weight[2])} \u00b7 "
                         f"norm-summed {render.fmt(norm[2])}")
    assert titles[0] == (f"[CLS] \u00b7 attention {render.fmt(weight[0])} \u00b7 "
                         f"norm-summed {render.fmt(norm[0])}")
    top = max(v for j, v in enumerate(weight) if j != 2)
    backgrounds = [b for _, s, _, b in spans if s == "weight"]
    assert backgrounds[2] == "transparent"  # the focus is outlined, not shaded
    assert backgrounds[3] == render.shade(render.WEIGHT_RGB, weight[3] / top)
    assert "by weight: what \u201ccat\u201d attends to \u00b7 attention \u00b7 layer 5" in html
    assert "by norm: what \u201ccat\u201d attends to \u00b7 norm-summed \u00b7 layer 5" in html
    assert html.count("<svg ") == 2  # weight and norm heatmaps side by side
    assert "weight: attention \u00b7 layer 5" in html and "norm: norm-summed \u00b7 layer 5" in html


def test_script_is_inline_and_optional(cat):
    interactive = cat.show(focus="cat")._repr_html_()
    assert interactive.count("<script") == 2
    assert '<script type="application/json" class="heed-data">' in interactive
    static = cat.show(focus="cat", interactive=False)._repr_html_()
    assert "<script" not in static
    # without the script, the picture is exactly the static one
    scripts = re.compile(r'<script type="application/json".*</script>', re.S)
    ids = re.compile(r' id="heed-[0-9a-f]{12}"')
    assert ids.sub("", scripts.sub("", interactive)) == ids.sub("", static)


def test_focus_choices(cat):
    assert cat.show().focus == 1  # the first unit with a span ("The")
    assert cat.show(focus=(8, 9)).focus == 3  # inside "sat"
    assert cat.show(focus=7).focus == 7
    with pytest.raises(ValueError):
        cat.show(focus="dog")
    with pytest.raises(ValueError):
        cat.show(focus=(3, 4))  # only a space


def test_svg_document(cat):
    svg = cat.to_svg(focus="cat")
    assert_offline_svg(svg)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any(t.startswith("cat [4:7] \u00b7 attention ") for t in titles)
    assert cat._repr_svg_() == cat.show().to_svg()


def test_large_heatmaps_are_embedded_png(client):
    text = " ".join(["word"] * 70)
    a = client.analyze(text, methods=["attention", "norm-summed"], layers=[5], heads="mean")
    html = a._repr_html_()
    assert_offline_html(html)
    uris = re.findall(r'href="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(uris) == 2
    png = base64.b64decode(uris[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (72, 72)  # T = 70 words + [CLS] + [SEP]
    assert html.count("<script") == 2  # 72 <= SCRIPT_LIMIT


def test_save_svg_and_html(cat, tmp_path):
    svg_path = cat.save(str(tmp_path / "cat.svg"), focus="cat")
    html_path = cat.save(str(tmp_path / "cat.html"), focus="cat")
    svg = pathlib.Path(svg_path).read_text(encoding="utf-8")
    page = pathlib.Path(html_path).read_text(encoding="utf-8")
    assert_offline_svg(svg)
    assert page.startswith('<!DOCTYPE html>\n<html><head><meta charset="utf-8">')
    assert_offline_html(page)
    with pytest.raises(ValueError) as info:
        cat.save(str(tmp_path / "cat.png"))
    assert str(info.value) == "save() writes .svg or .html files, not '.png'"


def test_highlight_rendering(client, tmp_path):
    text = "Zo\u00eb\u2019s \U0001F431 purrs."
    h = client.highlight(text, "\U0001F431", method="norm-summed")
    html = h._repr_html_()
    assert_offline_html(html)
    spans = re.findall(r'data-u="(\d+)" data-s="" title="([^"]*)" style="background:([^;]*);'
                       r'([^"]*)">([^<]*)</span>', html)
    assert [s[4] for s in spans] == ["Zo\u00eb", "\u2019", "s", "\U0001F431", "pu", "rr", "s",
                                     "."]
    focus = spans[3]
    assert (focus[1], focus[2]) == ("focus \U0001F431 [6:7]", "transparent")
    assert focus[3].startswith("outline:2px solid #111")
    others = spans[:3] + spans[4:]
    assert [r.text for r in h.ranges] == [s[4] for s in others]
    for r, s in zip(h.ranges, others):
        assert s[1] == (f"{r.text} [{r.start}:{r.end}] \u00b7 norm-summed {render.fmt(r.value)}"
                        f" \u00b7 score {r.score:.2f}")
        assert s[2] == render.shade(render.NORM_RGB, r.score)
    assert_offline_svg(h.to_svg())
    ET.fromstring(h.to_svg())
    assert h.save(str(tmp_path / "h.html")).endswith("h.html")


def test_tokenization_html(client):
    html = client.tokenize("a [MASK]")._repr_html_()
    assert_offline_html(html)
    assert re.findall(r">([^<]+)</span>", html) == ["[CLS]", "a", "[MASK]", "[SEP]"]
    assert 'title="#2 id 103 [2:8] word 2"' in html


def test_line_chart():
    fig = heed.line_chart({"by weight": [0.5, 0.25], "by norm": [0.1, 0.05]}, x=[0, 1],
                          title="share", percent=True, ymax=1.0)
    assert_offline_svg(fig.to_svg())
    assert_offline_html(fig._repr_html_())
    ET.fromstring(fig.to_svg())
    assert "<title>by weight \u00b7 0: 50.0%</title>" in fig.to_svg()
    assert "<title>by norm \u00b7 1: 5.0%</title>" in fig.to_svg()
