"""The example notebook, executed headlessly (nbclient + ipykernel), and its rendered output."""

import html as htmllib
import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

from offline import assert_offline_html, assert_offline_svg

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEBOOK = os.path.join(HERE, "..", "examples", "quickstart.ipynb")


def export_html(nb) -> str:
    """The notebook's outputs as one standalone page, as a notebook front end shows them:
    text/html when present, else image/svg+xml, else text/plain. (nbconvert's templates load
    MathJax and RequireJS from CDNs; this page holds nothing but the package's output.)"""
    parts = ['<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>quickstart</title>'
             '</head><body style="margin:16px;font-family:sans-serif">']
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(f"<pre style='white-space:pre-wrap;color:#555'>"
                         f"{htmllib.escape(cell.source)}</pre>")
            continue
        parts.append(f"<pre style='background:#f6f6f6;padding:6px'>"
                     f"{htmllib.escape(cell.source)}</pre>")
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" in data:
                parts.append(f"<div>{data['text/html']}</div>")
            elif "image/svg+xml" in data:
                parts.append(f"<div>{data['image/svg+xml']}</div>")
            elif "text/plain" in data:
                parts.append(f"<pre>{htmllib.escape(data['text/plain'])}</pre>")
            elif out.get("output_type") == "stream" and out.get("name") == "stdout":
                parts.append(f"<pre>{htmllib.escape(out['text'])}</pre>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": os.path.dirname(NOTEBOOK)}}).execute()
    return nb


def outputs(nb, index):
    return nb.cells[index].get("outputs", [])


def test_notebook_runs_without_errors(executed):
    for cell in executed.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", out


def test_highlight_outputs_hold_the_token_spans(executed):
    html = outputs(executed, 3)[0]["data"]["text/html"]
    spans = re.findall(r'<span class="heed-u" data-u="\d+" data-s="" title="([^"]*)"', html)
    text = "The cat sat on the mat because it was tired."
    words = ["The", "cat", "sat", "on", "the", "mat", "because", "it", "was", "tired", "."]
    starts = []
    pos = 0
    for w in words:
        pos = text.index(w, pos)
        starts.append((w, pos, pos + len(w)))
        pos += len(w)
    # in text order; the focus "it" is outlined and titled "focus it [31:33]"
    assert [t.split(" \u00b7 ")[0] for t in spans] == [
        f"{w} [{a}:{b}]" if w != "it" else f"focus it [{a}:{b}]" for w, a, b in starts]
    assert "by_weight" in executed.cells[3].source and " attention " in html
    norm_html = outputs(executed, 4)[0]["data"]["text/html"]
    assert "norm-summed \u00b7 layer 5 \u00b7 from \u00b7 focus \u201cit\u201d" in norm_html


def test_analysis_view_has_both_heatmaps(executed):
    html = outputs(executed, 7)[0]["data"]["text/html"]
    assert html.count("<svg ") == 2
    assert "weight: attention \u00b7 layer 5" in html
    assert "norm: norm-summed \u00b7 layer 5" in html
    assert '>[CLS]</span>' in html and '>[SEP]</span>' in html


def test_special_token_finding(executed):
    printed = "".join(o.get("text", "") for o in outputs(executed, 9)
                      if o.get("name") == "stdout")
    rows = re.findall(r"^\s*(\d)\s+([0-9.]+)%\s+([0-9.]+)%$", printed, re.M)
    assert [int(r[0]) for r in rows] == [0, 1, 2, 3, 4, 5]
    for layer, weight, norm in rows:
        if int(layer) in (1, 2, 3, 4):  # the paper's finding, MiniLM's middle layers
            assert float(weight) > 50.0 and float(norm) < 15.0, (layer, weight, norm)
            assert float(weight) > 4 * float(norm), (layer, weight, norm)
    plot = outputs(executed, 10)[0]["data"]
    assert plot["text/html"].count("<polyline") == 2
    assert_offline_svg(plot["image/svg+xml"])


def test_the_follow_ups(executed):
    """The model's methods listed (the four follow-ups among them), value zeroing's progress
    from 0 to 100, globenc at the top level, and the view by ALTI beside value zeroing."""
    cell = executed.cells[13]
    assert "methods=[\"alti\", \"value-zeroing\", \"globenc\"]" in cell.source
    printed = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")
    assert printed.splitlines()[0] == str(["norm-summed", "attention", "attn-res-ln", "attn-res", "norm",
                                           "rollout", "norm-rollout", "alti", "alti-rollout",
                                           "globenc", "value-zeroing"])
    assert printed.splitlines()[1] == "progress: 0% ... 100%; globenc (all layers): 13 x 13"
    html = next(o["data"]["text/html"] for o in cell["outputs"] if "text/html" in o.get("data", {}))
    assert "by ALTI: what \u201cit\u201d attends to \u00b7 alti \u00b7 layer 5" in html
    assert "by value zeroing: what \u201cit\u201d attends to \u00b7 value-zeroing \u00b7 layer 5" in html
    assert html.count("<svg ") == 2


def test_every_output_is_offline(executed, tmp_path):
    count = 0
    for cell in executed.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" in data:
                assert_offline_html(data["text/html"])
                count += 1
            if "image/svg+xml" in data:
                assert_offline_svg(data["image/svg+xml"])
    assert count == 5  # two highlights, the analysis view, the plot, the follow-ups
    page = export_html(executed)
    assert_offline_html(page)
    target = os.environ.get("HEED_NOTEBOOK_HTML") or str(tmp_path / "quickstart.html")
    with open(target, "w", encoding="utf-8") as f:
        f.write(page)
