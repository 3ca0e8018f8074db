"""The hover script in a real browser: headless Chromium (Debian's `chromium`) runs the page,
a synthetic mouseenter moves the focus, and the DOM it dumps is checked. Skipped where no
`chromium` is installed (CI does not install it; docs/ has the screenshot made with it)."""

import re
import shutil
import subprocess

import pytest

import heed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def test_hover_moves_the_focus(client, tmp_path):
    a = client.analyze("The cat sat on the mat because it was tired.",
                       methods=["attention", "norm-summed"])
    page = heed.render.page(a.show(focus="it")._repr_html_() + (
        "<script>document.querySelector('span.heed-u[data-u=\"2\"]')"
        ".dispatchEvent(new MouseEvent('mouseenter'));</script>"))
    path = tmp_path / "hover.html"
    path.write_text(page, encoding="utf-8")
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                          "--dump-dom", path.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert "by weight: what \u201ccat\u201d attends to \u00b7 attention \u00b7 layer 5" in dom
    assert "by norm: what \u201ccat\u201d attends to \u00b7 norm-summed \u00b7 layer 5" in dom
    spans = re.findall(r'<span class="heed-u" data-u="(\d+)" data-s="weight" title="([^"]*)" '
                       r'style="([^"]*)"', dom)
    focus = [s for s in spans if s[0] == "2"][0]
    assert "outline: rgb(17, 17, 17) solid 2px" in focus[2]
    assert focus[1].startswith("cat [4:7] \u00b7 attention ")
    it = [s for s in spans if s[0] == "8"][0]
    assert "outline: none" in it[2]
    mark = re.search(r'<rect class="heed-mark-weight"[^>]* y="([0-9.]+)" width="[0-9.]+" '
                     r'height="([0-9.]+)"[^>]*data-y0="([0-9.]+)"', dom)
    y, h, y0 = (float(v) for v in mark.groups())
    assert y == y0 - 6 * (h - 2)  # the row mark moved from row 8 ("it") to row 2 ("cat")
