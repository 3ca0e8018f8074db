"""Encoder-decoder models (protocol.md section 5.9) against the real daemon and the tiny random
Marian model of the checkout (Tests/Fixtures/models/tiny-marian: 2 encoder and 2 decoder
layers, 4 heads, source.spm and target.spm): ModelInfo's encoder-decoder fields,
``tokenize(side=...)``, ``analyze(target=...)``'s target tokens, decoder and cross layers,
``highlight(focus_in="target")`` shading the source, ``align`` and its rendering, and the errors
for a model that is not encoder-decoder (MiniLM)."""

import json
import os

import pytest

import heed
from heed import _arrays

from offline import assert_offline_html, assert_offline_svg

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MARIAN = os.path.join(ROOT, "Tests", "Fixtures", "models", "tiny-marian")
with open(os.path.join(MARIAN, "manifest.json"), encoding="utf-8") as f:
    CASE = json.load(f)["cases"][0]  # transformers' ids for one source/target pair
SRC = CASE["source"]    # "The quick brown fox jumps over the lazy dog."
TGT = CASE["target"]    # "Der schnelle braune Fuchs springt."
CROSS_METHODS = ["norm-summed", "attention", "norm"]


@pytest.fixture(scope="module")
def marian():
    c = heed.Client(model=MARIAN, progress=False)
    yield c
    c.close()


def _within(units, text):
    for u in units:
        assert 0 <= u.start <= u.end <= len(text), u
        if not u.inserted:
            assert u.surface == text[u.start:u.end] and u.end > u.start, u


def test_model_info_says_encoder_decoder(marian, client):
    info = marian.load_model()
    assert isinstance(info, heed.ModelInfo) and isinstance(info, dict)
    assert info["encoderDecoder"] is True and info.encoder_decoder
    assert info.decoder_layers == 2 and info["layers"] == 2 and info["heads"] == 4
    assert info.cross_methods == CROSS_METHODS
    assert info["causal"] is False and info["predicts"] is False
    minilm = client.load_model("minilm")
    assert "encoderDecoder" not in minilm and not minilm.encoder_decoder
    assert minilm.decoder_layers is None and minilm.cross_methods == []
    listed = {m["id"]: m for m in marian.models()}
    assert listed[MARIAN].encoder_decoder


def test_tokenize_each_side_as_transformers(marian):
    src = marian.tokenize(SRC)
    tgt = marian.tokenize(TGT, side="target")
    assert src.ids == CASE["source_ids"] and tgt.ids == CASE["target_ids"]
    assert marian.tokenize(SRC, side="source").ids == CASE["source_ids"]
    assert tgt.side == "target"
    _within(src, SRC)
    _within(tgt, TGT)
    # the inserted </s> ends each side, with an empty span
    assert tgt.tokens[-1].inserted and tgt.tokens[-1].special and tgt.tokens[-1].id == 0
    assert [t for t in tgt if t.inserted] == [tgt.tokens[-1]]


def test_tokenize_target_side_on_another_model_is_invalid(client):
    with pytest.raises(heed.InvalidParams) as e:
        client.tokenize("The cat sat.", side="target")
    assert e.value.code == -32602


@pytest.fixture(scope="module")
def analysis(marian):
    return marian.analyze(SRC, methods=["attention", "norm-summed", "norm"], target=TGT)


def test_analyze_target_has_decoder_and_cross(analysis):
    a = analysis
    T_src, T_tgt = len(CASE["source_ids"]), len(CASE["target_ids"])
    assert [t.id for t in a.tokens] == CASE["source_ids"]
    assert [t.id for t in a.target_tokens] == CASE["target_ids"]
    _within(a.target_tokens, TGT)
    assert a.target == TGT and a.target_units == a.target_tokens
    assert a.layer_indices == [0, 1]  # the encoder's
    assert _arrays.shape_of(a["norm-summed"]) == [2, T_src, T_src]
    assert a.decoder.layer_indices == [0, 1] and a.cross.layer_indices == [0, 1]
    assert _arrays.shape_of(a.decoder["attention"]) == [2, 4, T_tgt, T_tgt]
    assert _arrays.shape_of(a.decoder["norm-summed"]) == [2, T_tgt, T_tgt]
    assert _arrays.shape_of(a.cross["attention"]) == [2, 4, T_tgt, T_src]
    assert _arrays.shape_of(a.cross["norm"]) == [2, 4, T_tgt, T_src]
    assert _arrays.shape_of(a.cross["norm-summed"]) == [2, T_tgt, T_src]
    assert len(a.cross.rows) == T_tgt and len(a.cross.columns) == T_src
    # cross-attention weights: each decoder step's row over the source is a distribution
    for layer in _arrays.tolist(a.cross["attention"]):
        for head in layer:
            for row in head:
                assert sum(row) == pytest.approx(1.0, abs=1e-4)
    # the decoder's self-attention is causal: zeros above the diagonal, rows sum to 1
    for layer in _arrays.tolist(a.decoder["attention"]):
        for head in layer:
            for i, row in enumerate(head):
                assert all(v == 0 for v in row[i + 1:]), i
                assert sum(row) == pytest.approx(1.0, abs=1e-4)
    assert "decoder layers [0, 1]" in repr(a)


def test_analyze_decoder_layers_and_words(marian):
    a = marian.analyze(SRC, methods=["norm-summed"], target=TGT, decoder_layers=[1],
                       granularity="word")
    assert a.decoder.layer_indices == [1] and a.cross.layer_indices == [1]
    assert a.target_words_list is not None and a.target_units == a.target_words_list
    W_src, W_tgt = len(a.units), len(a.target_units)
    assert _arrays.shape_of(a.cross["norm-summed"]) == [1, W_tgt, W_src]
    assert _arrays.shape_of(a.cross.layer(1)["norm-summed"]) == [W_tgt, W_src]
    for w in a.target_words_list:
        assert 0 <= w.start <= w.end <= len(TGT)
        assert w.inserted or w.text == TGT[w.start:w.end]


def test_analyze_target_on_another_model_is_invalid(client):
    with pytest.raises(heed.InvalidParams) as e:
        client.analyze("The cat sat.", methods=["attention"], target="Die Katze.")
    assert e.value.code == -32602


def _token_at(tokens, span):
    return [t.index for t in tokens if not t.inserted and t.start < span[1] and span[0] < t.end]


@pytest.mark.parametrize("method", CROSS_METHODS)
@pytest.mark.parametrize("setting", [None, "output"])
def test_highlight_target_focus_shades_the_source(marian, analysis, method, setting):
    focus = TGT.index("braune") + 2  # a cursor inside "braune"
    h = marian.highlight(SRC, focus, method=method, target=TGT, focus_in="target",
                         setting=setting)
    assert h.ranges_in == "source" and h.focus_in == "target"
    assert 0 <= h.focus[0] <= focus <= h.focus[1] <= len(TGT)
    assert h.focus_text in "braune" and h.focus_text.strip()
    assert h.ranges
    for r in h.ranges:  # source-text spans
        assert 0 <= r.start < r.end <= len(SRC) and r.text == SRC[r.start:r.end]
        assert 0 <= r.score <= 1
    ones = [r for r in h.ranges if r.score == 1]
    assert len(ones) >= 1 and h.aligned is ones[0] and h.aligned.value == max(r.value for r in h.ranges)
    assert h.layer == 1  # "last" of the 2 decoder layers
    # the values are the cross matrix's: the focus token's row (the step that reads it for
    # "input", the step that outputs it for "output"), head-averaged for attention and norm
    (t,) = _token_at(analysis.target_tokens, h.focus)
    row = t + 1 if setting in (None, "input") else t
    m = _arrays.tolist(analysis.cross.layer(1)[method])
    if method != "norm-summed":
        m = [[sum(head[i][j] for head in m) / len(m) for j in range(len(m[0][0]))]
             for i in range(len(m[0]))]
    by_span = {(tok.start, tok.end): m[row][tok.index] for tok in analysis.tokens
               if not tok.inserted}
    for r in h.ranges:
        assert r.value == pytest.approx(by_span[(r.start, r.end)], rel=1e-4, abs=1e-6)


def test_highlight_source_focus_is_the_encoder(marian):
    with_target = marian.highlight(SRC, "fox", target=TGT, focus_in="source")
    alone = marian.highlight(SRC, "fox")
    assert [(r.start, r.end, r.value) for r in with_target.ranges] == \
        [(r.start, r.end, r.value) for r in alone.ranges]
    assert with_target.focus_text == "fox" or "fox".startswith(with_target.focus_text.strip())


def test_highlight_target_errors(marian, client):
    with pytest.raises(heed.MethodNotSupported) as e:
        marian.highlight(SRC, 0, method="attn-res", target=TGT, focus_in="target")
    assert e.value.code == -32012 and e.value.data["supported"] == CROSS_METHODS
    with pytest.raises(heed.InvalidParams) as e:
        marian.highlight(SRC, 0, target=TGT, focus_in="target", layer=2)
    assert e.value.code == -32602
    with pytest.raises(heed.InvalidParams):
        client.highlight("The cat sat.", "cat", target="Die Katze.")
    # the client's own checks name the real mistake
    with pytest.raises(ValueError, match="focus_in must be"):
        marian.highlight(SRC, "house", target=TGT, focus_in="left")
    with pytest.raises(ValueError, match="does not occur in the target"):
        marian.highlight(SRC, "nowhere", target=TGT, focus_in="target")


def test_align_links_every_target_word(marian):
    al = marian.align(SRC, TGT)
    assert al.layer == 1 and al.method == "norm" and al.setting == "input"
    assert [w.text for w in al.source_words] == SRC.split()
    assert [w.text for w in al.target_words] == TGT.split()
    for words, text in ((al.source_words, SRC), (al.target_words, TGT)):
        for w in words:
            assert text[w.start:w.end] == w.text and w.tokens
    assert len(al.links) == len(TGT.split()) == len(al)
    assert [l.target for l in al.links] == list(range(len(al.target_words)))
    for l in al.links:
        assert 0 <= l.source < len(al.source_words) and l.score > 0
        assert l.source_word is al.source_words[l.source]
    assert al.pharaoh() == " ".join(f"{l.source}-{l.target}" for l in al.links)
    assert al.source_of(0) is al.links[0].source_word
    # the link is the source word the word-granularity highlight gives score 1
    for l in al.links:
        w = l.target_word
        h = marian.highlight(SRC, (w.start, w.end), method="norm-summed", target=TGT,
                             focus_in="target", granularity="word")
        # (a highlight's word carries the SentencePiece word's leading "▁" space; align's
        # words are whitespace-separated)
        assert h.aligned.text.strip() == l.source_word.text, w
        assert h.aligned.start <= l.source_word.start < l.source_word.end == h.aligned.end


def test_align_options_and_errors(marian, client):
    al = marian.align(SRC, TGT, layer=0, method="weight", setting="output")
    assert (al.layer, al.method, al.setting) == (0, "weight", "output")
    assert len(al.links) == len(TGT.split())
    with pytest.raises(heed.InvalidParams) as e:
        marian.align(SRC, TGT, layer=2)
    assert e.value.code == -32602 and e.value.data == {"field": "layer", "min": 0, "max": 1}
    with pytest.raises(heed.MethodNotSupported) as e:
        client.align("The cat sat.", "Die Katze sass.")
    assert e.value.code == -32012 and e.value.data["supported"] == []


def test_alignment_and_pair_highlight_render_offline(marian, tmp_path):
    al = marian.align(SRC, TGT)
    html = al._repr_html_()
    assert_offline_html(html)
    assert html.count('class="heed-link"') == len(al.links)
    for w in al.source_words + al.target_words:
        assert heed.render.esc(w.text) in html
    assert_offline_svg(al.to_svg())
    assert al.save(str(tmp_path / "a.svg")).endswith("a.svg")
    h = marian.highlight(SRC, "Fuchs", target=TGT, focus_in="target")
    page = h._repr_html_()
    assert_offline_html(page)
    assert "aligned to" in page and "Fuchs" in page
    assert_offline_svg(h.to_svg())
