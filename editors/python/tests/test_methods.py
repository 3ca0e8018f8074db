"""The follow-up methods (protocol.md section 7): ALTI, ALTI rollout, GlobEnc and value zeroing,
in ``heed.analyze`` (per layer and at the top level), ``heed.highlight``, the rendering and the
corpus files; ``analyze(progress=...)`` with the daemon's ``$/progress``; against the real daemon,
MiniLM (all four) and SmolLM2 (no ``globenc``)."""

import threading

import pytest

import heed
from heed import _arrays

from conftest import EXPECT_NUMPY

TEXT = "The cat sat on the mat because it was tired."
FOLLOW_UPS = ["alti", "alti-rollout", "globenc", "value-zeroing"]


def test_the_method_lists_name_the_follow_ups():
    assert heed.HIGHLIGHT_METHODS == ("norm-summed", "attention", "attn-res-ln", "attn-res", "norm",
                                      "rollout", "norm-rollout", "alti", "alti-rollout", "globenc",
                                      "value-zeroing")
    for m in FOLLOW_UPS:
        assert m in heed.METHODS and m in heed.METHOD_DESCRIPTIONS
    assert set(heed.HIGHLIGHT_METHODS) <= set(heed.METHODS)
    assert "Mohebbi" in heed.METHOD_DESCRIPTIONS["value-zeroing"]
    from heed.render import ACROSS_LAYERS
    assert ACROSS_LAYERS == ("rollout", "norm-rollout", "alti-rollout", "globenc")


def test_model_info_lists_them(client):
    assert client.load_model("minilm")["methods"] == list(heed.HIGHLIGHT_METHODS)
    assert set(FOLLOW_UPS) <= set(client.capabilities.get("analysisMethods", FOLLOW_UPS))


def test_analyze_per_layer_and_top_level(client):
    a = client.analyze(TEXT, methods=["alti", "value-zeroing", "alti-rollout", "globenc"])
    T = len(a.tokens)
    assert a.layer_indices == [0, 1, 2, 3, 4, 5]
    for m in ("alti", "value-zeroing"):
        assert m in a
        assert _arrays.shape_of(a[m]) == [6, T, T], m
        assert set(a.layer(5)) == {"alti", "value-zeroing"}
        # rows normalised: each sums to 1 (a row of zeros stays 0)
        for layer in _arrays.tolist(a[m]):
            for row in layer:
                assert sum(row) == pytest.approx(1.0, abs=1e-4) or sum(row) == 0, m
                assert min(row) >= 0, m
    for m in ("alti-rollout", "globenc"):
        assert m in a
        assert _arrays.shape_of(a[m]) == [T, T], m  # the top level, not per layer
        assert m not in a.layer(0)
    assert max(max(row) for row in _arrays.tolist(a["globenc"])) == pytest.approx(1.0)  # scaled
    if EXPECT_NUMPY:
        import numpy as np
        assert isinstance(a["globenc"], np.ndarray) and a["globenc"].dtype == np.float32
    else:
        assert type(a["globenc"]) is list
    # the formats agree bit for bit on the new methods too
    n = client.analyze(TEXT, methods=["alti", "value-zeroing", "alti-rollout", "globenc"],
                       format="nested")
    for m in FOLLOW_UPS:
        assert _arrays.tolist(n[m]) == _arrays.tolist(a[m]), m
    frame = a.to_pandas() if EXPECT_NUMPY else None
    if frame is not None:
        assert set(frame["method"].unique()) == set(FOLLOW_UPS)
        assert frame[frame["method"] == "globenc"]["layer"].isna().all()


def test_highlight_equals_the_analysis_row(client):
    """heed/highlight of each new method is the focus's row of heed/analyze's matrix."""
    a = client.analyze(TEXT, methods=["alti", "value-zeroing", "alti-rollout", "globenc"])
    focus = next(t for t in a.tokens if t.surface == "it")
    for m in FOLLOW_UPS:
        h = client.highlight(TEXT, "it", method=m)
        across = m in ("alti-rollout", "globenc")
        assert h.method == m
        assert h.layer == (None if across else 5)
        matrix = _arrays.tolist(a[m] if across else a.layer(5)[m])
        by_span = {(t.start, t.end): matrix[focus.index][t.index] for t in a.tokens
                   if not t.inserted}
        for r in h.ranges:
            assert r.value == pytest.approx(by_span[(r.start, r.end)], rel=1e-5, abs=1e-7), m
        assert max(r.score for r in h.ranges) == 1.0


def test_progress_callback_on_value_zeroing(client):
    text = " ".join(["The quick brown fox jumps over the lazy dog near the river bank."] * 6)
    seen = []
    main = threading.get_ident()
    a = client.analyze(text, methods=["value-zeroing"], layers=[5],
                       progress=lambda p, m: seen.append((p, m, threading.get_ident())))
    assert _arrays.shape_of(a["value-zeroing"])[0] == 1
    assert seen, "no progress"
    assert all(t == main for _, _, t in seen), "the callback runs on the calling thread"
    percentages = [p for p, _, _ in seen]
    assert percentages[0] == 0 and seen[0][1].startswith("Analyzing ")  # begin: the title
    assert percentages[-1] == 100 and seen[-1][1] == "analysis done"  # end
    assert percentages == sorted(percentages)
    reports = [(p, m) for p, m, _ in seen[1:-1]]
    assert reports and all(m == "value zeroing" for _, m in reports)
    assert all(0 <= p <= 100 for p in percentages)
    # the token is the client's own and is forgotten afterwards; the request params are not changed
    assert "workDoneToken" not in a.params
    assert client._progress_queues == {}


def test_progress_callback_without_value_zeroing_begins_and_ends(client, capfd):
    seen = []
    client.analyze("The cat sat.", methods=["alti"], progress=lambda p, m: seen.append((p, m)))
    assert [p for p, _ in seen] == [0, 100]
    assert "heed:" not in capfd.readouterr().err  # the callback's, not the stderr printer's


def test_progress_callback_that_raises_cancels(client):
    text = " ".join(["Every word of this sentence is zeroed in turn, layer by layer."] * 8)

    class Stop(Exception):
        pass

    def stop(p, m):
        if m == "value zeroing":
            raise Stop

    with pytest.raises(Stop):
        client.analyze(text, methods=["value-zeroing"], progress=stop)
    assert client.cancellations[-1][1] in (-32800, "result")
    # the client still works
    assert client.highlight("The cat sat.", "cat", method="alti").method == "alti"


def test_progress_must_be_callable(client):
    with pytest.raises(TypeError):
        client.analyze("The cat sat.", methods=["alti"], progress="yes")


def test_module_level_analyze_takes_progress(client):
    heed.set_default_client(client)
    try:
        seen = []
        a = heed.analyze("The cat sat.", methods=["globenc"], progress=lambda p, m: seen.append(p))
        assert seen[0] == 0 and seen[-1] == 100
        assert _arrays.shape_of(a["globenc"]) == [6, 6]  # [CLS] The cat sat . [SEP]
    finally:
        heed.set_default_client(None)


def test_show_and_svg_with_the_follow_ups(client):
    a = client.analyze(TEXT, methods=["alti", "value-zeroing"], layers=[5])
    html = a.show(focus="it")._repr_html_()
    # the norm side defaults to the first of the follow-ups present; named by itself
    assert "by ALTI: what \u201cit\u201d attends to \u00b7 alti \u00b7 layer 5" in html
    view = a.show(focus="it", weight="alti", norm="value-zeroing")
    svg = view.to_svg()
    assert "by value zeroing: what \u201cit\u201d attends to \u00b7 value-zeroing \u00b7 layer 5" in svg
    g = client.analyze(TEXT, methods=["globenc", "alti-rollout"])
    assert g.layer_indices == [0, 1, 2, 3, 4, 5] or g.layer_indices == []
    html = g.show(focus="it", weight="alti-rollout", norm="globenc")._repr_html_()
    assert "by GlobEnc: what \u201cit\u201d attends to \u00b7 globenc \u00b7 all layers" in html
    assert "by ALTI rollout: what \u201cit\u201d attends to \u00b7 alti-rollout \u00b7 all layers" in html
    h = client.highlight(TEXT, "it", method="value-zeroing")
    assert "value-zeroing \u00b7 layer 5" in h._repr_html_()


def test_only_across_layer_methods_with_no_layers(client):
    a = client.analyze(TEXT, methods=["alti-rollout", "globenc"], layers=[])
    assert a.layer_indices == []
    assert _arrays.shape_of(a["alti-rollout"]) == [len(a.tokens)] * 2
    assert "all layers" in a.show(focus="cat")._repr_html_()


def test_corpus_files_hold_the_top_level_products(client, tmp_path):
    fmt = "npz" if EXPECT_NUMPY else "jsonl"
    files = client.analyze_many(["The cat sat.", "A dog ran."], to=str(tmp_path), file_format=fmt,
                                progress=False, methods=["alti", "globenc", "alti-rollout"],
                                layers=[5])
    if EXPECT_NUMPY:
        import numpy as np
        with np.load(files[0]) as z:
            assert {"layer5/alti", "globenc", "alti-rollout"} <= set(z.files)
            assert z["globenc"].shape == (6, 6)
    else:
        import json
        with open(files[0], encoding="utf-8") as f:
            record = json.loads(f.readline())
        assert "globenc" in record and "alti-rollout" in record


@pytest.fixture(scope="module")
def smollm2():
    c = heed.Client(model="smollm2", progress=False)
    yield c
    c.close()


def test_smollm2_has_all_but_globenc(smollm2):
    info = smollm2.load_model("smollm2")
    assert info["methods"] == [m for m in heed.HIGHLIGHT_METHODS if m not in ("attn-res-ln", "globenc")]
    with pytest.raises(heed.MethodNotSupported) as e:
        smollm2.analyze("The cat sat.", methods=["globenc"])
    assert e.value.code == -32012 and "globenc" not in e.value.data["supported"]
    seen = []
    a = smollm2.analyze("The capital of France is", methods=["alti", "value-zeroing", "alti-rollout"],
                        layers=[29], progress=lambda p, m: seen.append(p))
    assert seen[0] == 0 and seen[-1] == 100
    T = len(a.tokens)
    assert _arrays.shape_of(a["alti"]) == [1, T, T]
    assert _arrays.shape_of(a["alti-rollout"]) == [T, T]
    # causal: a token's row gives nothing to later tokens
    for m in ("alti", "value-zeroing"):
        rows = _arrays.tolist(a[m])[0]
        for i in range(T):
            assert all(v == 0 for v in rows[i][i + 1:]), m
    h = smollm2.highlight("The capital of France is", "France", method="value-zeroing")
    row = _arrays.tolist(a["value-zeroing"])[0]
    focus = next(t for t in a.tokens if t.surface.strip() == "France")
    by_span = {(t.start, t.end): row[focus.index][t.index] for t in a.tokens}
    for r in h.ranges:
        assert r.value == pytest.approx(by_span[(r.start, r.end)], rel=1e-5, abs=1e-7)
