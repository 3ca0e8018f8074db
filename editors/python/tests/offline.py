"""The offline policy of every rendered output, in one place.

HTML fragments (``_repr_html_``, what notebooks store and exported pages show) reference
nothing outside themselves: no URL scheme, no protocol-relative ``//host``, no ``src=``, no
``<link>``, no CSS ``@import`` or ``url(``, no RequireJS. The only ``href`` allowed is an
embedded PNG (``href="data:image/png;base64,...``). Standalone SVG documents additionally carry
exactly one ``xmlns="http://www.w3.org/2000/svg"``, on the root element: it names the
vocabulary and is never fetched; it is removed before the same checks run.
"""

import re

SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'
FORBIDDEN = re.compile(
    r"(?i)(https?:|ftp:|file:|javascript:|//cdn|//[a-z0-9-]+\.[a-z0-9.-]+/|\bsrc\s*=|<link\b"
    r"|@import|url\(|require\s*\(|requirejs|<iframe|<object|<embed|xlink)")
HREF = re.compile(r'(?i)\bhref\s*=\s*"([^"]{0,40})')


def offline_problems(fragment: str):
    """What in an HTML fragment (or an SVG without its namespace) would reach outside."""
    problems = [m.group(0) for m in FORBIDDEN.finditer(fragment)]
    problems += [f"href={h!r}" for h in HREF.findall(fragment)
                 if not h.startswith("data:image/png;base64,")]
    return problems


def assert_offline_html(fragment: str):
    assert "http" not in fragment.lower()
    assert offline_problems(fragment) == []


def assert_offline_svg(document: str):
    assert document.startswith("<svg " + SVG_NS)
    assert document.count(SVG_NS) == 1
    assert offline_problems(document.replace(SVG_NS, "", 1)) == []
    assert "http" not in document.replace(SVG_NS, "", 1).lower()
