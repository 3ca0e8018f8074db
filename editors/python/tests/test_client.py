"""Spawn, initialize, tokenize, analyze, highlight, errors: the client against the real daemon."""

import os
import pathlib
import subprocess
import sys

import pytest

import heed
from heed import _arrays
from conftest import EXPECT_NUMPY

HEED = os.environ["HEED_EXECUTABLE"]
MINILM_DIR = os.path.expanduser(os.path.join(os.environ.get("HEED_CACHE", "~/.cache/heed"),
                                             "minilm", "0.1.0"))

# Non-ASCII on purpose: an accented letter (precomposed), a right quote, an emoji outside the
# BMP (two UTF-16 units, one str index), a combining acute accent that the tokenizer drops
# (index 19), and a ZWJ emoji sequence (three str indices).
TEXT = "Zoë\u2019s \U0001F431 purrs: cafe\u0301 na\u00efve! \U0001F469\u200d\U0001F52C ok"
TOKENS = [  # (text, start, end, special, word)
    ("[CLS]", 0, 0, True, 0), ("zoe", 0, 3, False, 1), ("\u2019", 3, 4, False, 2),
    ("s", 4, 5, False, 3), ("[UNK]", 6, 7, False, 4), ("pu", 8, 10, False, 5),
    ("##rr", 10, 12, False, 5), ("##s", 12, 13, False, 5), (":", 13, 14, False, 6),
    ("cafe", 15, 19, False, 7), ("naive", 21, 26, False, 8), ("!", 26, 27, False, 9),
    ("[UNK]", 28, 31, False, 10), ("ok", 32, 34, False, 11), ("[SEP]", 0, 0, True, 12),
]
UNIT_SPANS = [(t[1], t[2]) for t in TOKENS if t[2] > t[1]]


def test_missing_executable_says_how_to_install(monkeypatch):
    monkeypatch.delenv("HEED_EXECUTABLE", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(heed.HeedNotFound) as info:
        heed.Client()
    message = str(info.value)
    assert message.startswith("Heed's executable `heed` was not found.")
    assert "HEED_EXECUTABLE" in message and "swift build -c release" in message


def test_executable_from_env_that_does_not_exist(monkeypatch):
    monkeypatch.setenv("HEED_EXECUTABLE", "/nonexistent/heed")
    with pytest.raises(heed.HeedNotFound) as info:
        heed.find_executable()
    assert str(info.value).startswith(
        "HEED_EXECUTABLE names '/nonexistent/heed', which is not an executable file.")


def test_executable_argument_wins_over_env(monkeypatch):
    monkeypatch.setenv("HEED_EXECUTABLE", "/nonexistent/heed")
    assert heed.find_executable(HEED) == os.path.abspath(HEED)


def test_executable_found_on_path(monkeypatch):
    monkeypatch.delenv("HEED_EXECUTABLE", raising=False)
    monkeypatch.setenv("PATH", os.path.dirname(HEED))
    assert heed.find_executable() == os.path.join(os.path.dirname(HEED), "heed")


def test_spawn_and_initialize_with_utf32(fresh_client):
    c = fresh_client
    # `heed --version` prints the version and the kernel variant (`isa: ...`) that initialize reports.
    lines = subprocess.run([HEED, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()
    assert lines[0] == "heed 0.1.0" and lines[1].startswith("isa: ")
    assert c.server_info == {"name": "heed", "version": "0.1.0", "isa": lines[1][len("isa: "):]}
    assert c.capabilities["positionEncoding"] == "utf-32"
    assert c.capabilities["methods"] == ["heed/models", "heed/loadModel", "heed/unloadModel",
                                         "heed/tokenize", "heed/analyze", "heed/highlight",
                                         "heed/predict", "heed/align"]
    assert c.capabilities["analysisMethods"] == [
        "attention", "value-norm", "norm", "norm-summed", "attn-res", "attn-res-ln",
        "mixing-ratio", "rollout", "norm-rollout", "alti", "alti-rollout", "globenc",
        "value-zeroing"]
    assert set(c.capabilities["analysisMethods"]) == set(heed.METHODS)
    assert c._daemon.proc.poll() is None


def test_progress_lines_on_stderr_while_loading(capfd):
    with heed.Client() as c:
        info = c.load_model("minilm")
    assert capfd.readouterr().err == "heed: Loading minilm\nheed: minilm loaded\n"
    assert (info["id"], info["family"], info["loaded"], info["layers"], info["heads"],
            info["hidden"], info["maxTokens"]) == ("minilm", "bert", True, 6, 12, 384, 512)


def test_progress_off(capfd):
    with heed.Client(progress=False) as c:
        c.load_model("minilm")
    assert capfd.readouterr().err == ""


def test_context_manager_shuts_down_cleanly():
    with heed.Client(progress=False) as c:
        proc = c._daemon.proc
        c.tokenize("hi")
    assert proc.returncode == 0  # exit after shutdown: 0 (protocol.md, section 2)
    with pytest.raises(heed.HeedError) as info:
        c.tokenize("hi")
    assert str(info.value) == "this heed Client is closed"


def test_daemon_options_become_flags_and_bad_ones_report_stderr():
    with pytest.raises(heed.DaemonDied) as info:
        heed.Client(log_level="nonsense")
    err = info.value
    assert err.code is None
    assert err.data == {"returncode": 2,
                        "stderr": "heed: --log-level is error, warn, info or debug"}
    assert "exited with code 2 while handling initialize" in str(err)
    assert str(err).endswith("Its last stderr lines:\nheed: --log-level is error, warn, info "
                             "or debug")


def test_models(client):
    minilm = [m for m in client.models() if m["id"] == "minilm"]
    assert len(minilm) == 1 and minilm[0]["loaded"] is True


def test_tokenize_protocol_example(client):
    r = client.tokenize("H\u00e9llo!")
    assert [(t.index, t.id, t.text, t.start, t.end, t.special, t.word) for t in r.tokens] == [
        (0, 101, "[CLS]", 0, 0, True, 0), (1, 7592, "hello", 0, 5, False, 1),
        (2, 999, "!", 5, 6, False, 2), (3, 102, "[SEP]", 0, 0, True, 3)]
    assert r.ids == [101, 7592, 999, 102]
    assert len(r) == 4 and r[1].surface == "H\u00e9llo"
    assert [t.display for t in r.tokens] == ["[CLS]", " hello", "!", "[SEP]"]


def test_typed_mask_keeps_its_span_inserted_tokens_have_none(client):
    r = client.tokenize("a [MASK]")
    assert [(t.text, t.start, t.end, t.special, t.inserted) for t in r] == [
        ("[CLS]", 0, 0, True, True), ("a", 0, 1, False, False),
        ("[MASK]", 2, 8, True, False), ("[SEP]", 0, 0, True, True)]
    assert r[2].surface == "[MASK]"


def test_tokenize_non_ascii_offsets_are_str_indices(client):
    r = client.tokenize(TEXT)
    assert [(t.text, t.start, t.end, t.special, t.word) for t in r] == TOKENS
    assert [t.surface for t in r if not t.inserted] == [
        "Zoë", "\u2019", "s", "\U0001F431", "pu", "rr", "s", ":", "cafe", "na\u00efve", "!",
        "\U0001F469\u200d\U0001F52C", "ok"]
    assert TEXT[19] == "\u0301"  # the combining mark belongs to no token


def test_highlight_emoji_focus_with_str_indices(client):
    start = TEXT.index("\U0001F431")
    h = client.highlight(TEXT, (start, start + 1), method="attention")
    assert h.focus == (6, 7) and h.focus_text == "\U0001F431"
    assert h.method == "attention" and h.layer == 5 and h.window is None
    assert [(r.start, r.end) for r in h.ranges] == [s for s in UNIT_SPANS if s != (6, 7)]
    assert [r.text for r in h.ranges][-2:] == ["\U0001F469\u200d\U0001F52C", "ok"]
    assert max(r.score for r in h.ranges) == 1.0


def test_highlight_agrees_with_analyze(client):
    a = client.analyze(TEXT, methods=["attention"], layers=[5], heads="mean")
    h = client.highlight(TEXT, (6, 7), method="attention", layer=5)
    row = _arrays.tolist(a.layer(5)["attention"])[0][4]  # token 4 is the cat emoji
    by_span = {(t.start, t.end): row[t.index] for t in a.tokens if not t.inserted}
    for r in h.ranges:
        assert r.value == pytest.approx(by_span[(r.start, r.end)], rel=1e-6, abs=1e-7)


def test_highlight_focus_forms(client):
    assert client.highlight(TEXT, "na\u00efve").focus == (21, 26)  # a str: first occurrence
    assert client.highlight(TEXT, 16).focus == (15, 19)  # a cursor inside "cafe"
    assert client.highlight(TEXT, 20).focus == (21, 26)  # after the dropped mark: next unit
    assert client.highlight(TEXT, (29, 30)).focus == (28, 31)  # inside the ZWJ sequence
    h = client.highlight(TEXT, "\U0001F431", top_k=3, direction="to", method="norm-summed")
    assert len(h.ranges) == 3 and h.direction == "to"
    assert [r.start for r in h.ranges] == sorted(r.start for r in h.ranges)


def test_highlight_typed_mask_is_a_focus(client):
    h = client.highlight("The [MASK] sat on the mat.", "[MASK]")
    assert h.focus == (4, 10)
    assert [(r.start, r.end) for r in h.ranges] == [(0, 3), (11, 14), (15, 17), (18, 21),
                                                    (22, 25), (25, 26)]


def test_rollout_layer_is_none(client):
    h = client.highlight("The cat sat.", "cat", method="rollout")
    assert h.layer is None


def test_analyze_shapes_and_types(client):
    a = client.analyze("The cat sat.", methods=["attention", "value-norm", "norm",
                                                "norm-summed", "mixing-ratio", "rollout"])
    assert a.layer_indices == [0, 1, 2, 3, 4, 5] and len(a.tokens) == 6
    assert _arrays.shape_of(a["attention"]) == [6, 12, 6, 6]
    assert _arrays.shape_of(a["norm"]) == [6, 12, 6, 6]
    assert _arrays.shape_of(a["value-norm"]) == [6, 12, 6]
    assert _arrays.shape_of(a["norm-summed"]) == [6, 6, 6]
    assert _arrays.shape_of(a["rollout"]) == [6, 6]
    assert sorted(a["mixing-ratio"]) == ["attn-n", "attn-w", "attnres-n", "attnres-w",
                                         "attnresln-n"]
    assert _arrays.shape_of(a["mixing-ratio"]["attn-n"]) == [6, 6]
    first = a.layer(0)["attention"]
    if EXPECT_NUMPY:
        import numpy as np
        assert isinstance(first, np.ndarray) and first.dtype == np.float32
        assert a["attention"].sum(axis=-1) == pytest.approx(np.ones((6, 12, 6)), abs=1e-5)
    else:
        assert type(first) is list and type(first[0][0][0]) is float
        assert sum(first[0][0]) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(KeyError):
        a["attn-res"]


def test_analyze_nested_and_base64_agree(client):
    text = "Nested and base64 must agree, exactly: 3.14 \U0001F431!"
    kw = dict(methods=["attention", "value-norm", "norm-summed", "attn-res-ln", "mixing-ratio",
                       "rollout", "norm-rollout"], heads="mean")
    b = client.analyze(text, format="base64", **kw)
    n = client.analyze(text, format="nested", **kw)
    assert [t.__dict__ for t in b.tokens] == [t.__dict__ for t in n.tokens]
    for m in ("attention", "value-norm", "norm-summed", "attn-res-ln", "rollout",
              "norm-rollout"):
        assert _arrays.tolist(b[m]) == _arrays.tolist(n[m]), m
    for k in b["mixing-ratio"]:
        assert _arrays.tolist(b["mixing-ratio"][k]) == _arrays.tolist(n["mixing-ratio"][k])


def test_analyze_binary_base64_and_nested_agree(client):
    """The daemon announces "binary", the default format uses it, and the three formats give the
    same numbers bit for bit (heads all: NH x T x T blocks; vectors; rollouts)."""
    assert "binary" in client.capabilities["tensorFormats"]
    text = "Binary, base64 and nested agree: 2.71 \U0001F431 na\u00efve!"
    kw = dict(methods=["attention", "value-norm", "norm", "norm-summed", "attn-res", "attn-res-ln",
                       "mixing-ratio", "rollout", "norm-rollout"], heads="all")
    d = client.analyze(text, **kw)
    assert d.params["format"] == "binary"
    b = client.analyze(text, format="base64", **kw)
    n = client.analyze(text, format="nested", **kw)
    assert b.params["format"] == "base64" and n.params["format"] == "nested"
    assert [t.__dict__ for t in d.tokens] == [t.__dict__ for t in b.tokens]
    for m in kw["methods"]:
        if m == "mixing-ratio":
            for k in d[m]:
                assert _arrays.tolist(d[m][k]) == _arrays.tolist(b[m][k]) == _arrays.tolist(n[m][k]), k
        else:
            assert _arrays.tolist(d[m]) == _arrays.tolist(b[m]) == _arrays.tolist(n[m]), m
    first = d.layer(0)["norm"]
    assert _arrays.shape_of(first) == [12, len(d.tokens), len(d.tokens)]
    if EXPECT_NUMPY:
        import numpy as np
        # Read in place: a float32 view of the frame's attachment, not a copy.
        assert first.dtype == np.float32 and not first.flags.owndata
        assert first.base is not None
    else:
        assert type(first) is list and type(first[0][0][0]) is float
    # Word granularity re-asks with the same format.
    w = d.words()
    assert w.params["format"] == "binary"
    assert _arrays.tolist(w["norm-summed"]) == _arrays.tolist(b.words()["norm-summed"])


def test_analyze_binary_of_nothing_and_errors(client):
    """A binary result without any tensor (layers []), and binary errors, keep the stream in
    step (the next requests are answered)."""
    a = client.analyze("The cat.", methods="norm", layers=[])
    assert a.params["format"] == "binary" and a.layer_indices == []
    with pytest.raises(heed.HeedError) as info:
        client.analyze("The cat.", methods="norm", layers=[9])
    assert info.value.code == -32602
    assert client.analyze("The cat.", methods="norm-summed", layers=5)["norm-summed"] is not None
    assert len(client.tokenize("The cat.")) == 5


def test_an_attachment_buffer_is_reused_only_once_nothing_views_it(client):
    """The reader reads the next attachment into the previous one's buffer only when no result
    still views it: a live result's arrays are never overwritten."""
    text, other = "The cat sat on the mat.", "A dog barked at the cat twice."
    a = client.analyze(text, methods=["attention", "norm-summed"])
    kept = _arrays.tolist(a.layer(5)["norm-summed"])
    spare = id(client._daemon._spare)  # (a reference would keep it in use)
    assert client._daemon._spare is not None
    b = client.analyze(other, methods=["attention", "norm-summed"])  # a is alive
    assert _arrays.tolist(a.layer(5)["norm-summed"]) == kept
    if EXPECT_NUMPY:
        assert id(client._daemon._spare) != spare  # a's buffer was not reused
    spare = id(client._daemon._spare)
    expected = _arrays.tolist(client.analyze(text, methods="norm-summed", format="base64")["norm-summed"])
    del a, b
    c = client.analyze(text, methods="norm-summed")  # smaller: fits the spare, now free
    assert id(client._daemon._spare) == spare
    assert _arrays.tolist(c["norm-summed"]) == expected


def test_fallback_to_base64_when_the_daemon_does_not_announce_binary(tmp_path):
    """A daemon without `capabilities.tensorFormats` (a proxy that hides it and refuses
    "binary" with -32602, as daemons before it did): the client asks for base64, by default and
    when "binary" is asked for, and gets the same numbers."""
    proxy = tmp_path / "old-heed"
    proxy.write_text("#!/bin/sh\nexec %s %s \"$@\"\n" % (
        sys.executable, pathlib.Path(__file__).with_name("old_daemon.py")))
    proxy.chmod(0o755)
    text = "An older daemon still gets base64: \U0001F431."
    kw = dict(methods=["attention", "norm-summed", "mixing-ratio"], heads="mean")
    with heed.Client(executable=str(proxy), progress=False) as old, \
            heed.Client(progress=False) as new:
        assert "tensorFormats" not in old.capabilities
        a = old.analyze(text, **kw)
        assert a.params["format"] == "base64"
        assert old.analyze(text, format="binary", **kw).params["format"] == "base64"
        with pytest.raises(heed.HeedError) as info:  # the proxy refuses binary as old daemons did
            old.request("heed/analyze", dict(a.params, format="binary"))
        assert info.value.code == -32602 and "format" in info.value.message
        b = new.analyze(text, **kw)
        assert b.params["format"] == "binary"
        assert _arrays.tolist(a["attention"]) == _arrays.tolist(b["attention"])
        assert _arrays.tolist(a["norm-summed"]) == _arrays.tolist(b["norm-summed"])
        assert _arrays.tolist(a["mixing-ratio"]["attn-n"]) == _arrays.tolist(b["mixing-ratio"]["attn-n"])


def test_analyze_layers_subset_and_int(client):
    a = client.analyze("The cat sat.", methods="norm-summed", layers=3)
    assert a.layer_indices == [3] and a.methods == ["norm-summed"]
    assert _arrays.shape_of(a.layer(-1)["norm-summed"]) == [6, 6]


def test_words(client):
    a = client.analyze("Zo\u00eb purrs.", methods=["attention", "norm-summed"], heads="mean")
    assert [t.text for t in a.tokens] == ["[CLS]", "zoe", "pu", "##rr", "##s", ".", "[SEP]"]
    w = a.words()
    assert w.granularity == "word"
    assert [(u.index, u.text, u.start, u.end, u.special, u.tokens) for u in w.units] == [
        (0, "", 0, 0, True, (0,)), (1, "Zo\u00eb", 0, 3, False, (1,)),
        (2, "purrs", 4, 9, False, (2, 3, 4)), (3, ".", 9, 10, False, (5,)),
        (4, "", 0, 0, True, (6,))]
    assert _arrays.shape_of(w["norm-summed"]) == [6, 5, 5]
    assert w.words() is w


@pytest.mark.skipif(not EXPECT_NUMPY, reason="pandas needs numpy; this run hides numpy")
def test_to_pandas_long_format(client):
    pytest.importorskip("pandas")
    a = client.analyze("The cat sat.", methods=["attention", "norm-summed", "value-norm"],
                       layers=[4, 5])
    df = a.to_pandas()
    assert list(df.columns) == ["method", "layer", "head", "i", "j", "value"]
    assert len(df) == 2 * (12 * 36 + 36 + 12 * 6)
    row = df[(df.method == "attention") & (df.layer == 5) & (df["head"] == 7) & (df.i == 2)
             & (df.j == 1)]
    assert float(row.value.iloc[0]) == float(a.layer(5)["attention"][7, 2, 1])
    assert df[df.method == "norm-summed"]["head"].isna().all()
    assert df[df.method == "value-norm"]["i"].isna().all()


# -- errors

def test_text_beyond_the_limit(client):
    with pytest.raises(heed.InputTooLong) as info:
        client.analyze("word " * 600, methods=["attention"])
    e = info.value
    assert (e.code, e.data) == (-32013, {"limit": 512, "tokens": 602})
    assert e.message == "input too long: 602 tokens; the model allows at most 512"
    assert isinstance(e, ValueError)


def test_highlight_beyond_the_limit_reports_the_window(client):
    text = "word " * 600
    h = client.highlight(text, (1500, 1504), method="attention")
    assert h.focus == (1500, 1504)
    assert h.window == (1500 - 255 * 5, 1500 + 254 * 5 + 4)


def test_unknown_model(client):
    with pytest.raises(heed.UnknownModel) as info:
        client.tokenize("hi", model="no-such-model")
    e = info.value
    assert (e.code, e.data) == (-32010, {"catalog": ["minilm", "smollm2"]})
    assert e.message == ('unknown model "no-such-model": not a catalog name, a model '
                         'directory or a cached Hugging Face repo')


def test_model_that_fails_to_load(client, tmp_path):
    for name in ("config.json", "tokenizer.json"):
        (tmp_path / name).write_bytes(pathlib.Path(MINILM_DIR, name).read_bytes())
    (tmp_path / "model.safetensors").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 90868376\n")
    with pytest.raises(heed.ModelLoadError) as info:
        client.tokenize("hi", model=str(tmp_path))
    assert info.value.code == -32011
    assert str(tmp_path / "model.safetensors") in info.value.message


def test_wrong_analysis_method_name(client):
    with pytest.raises(heed.InvalidParams) as info:
        client.analyze("hi", methods=["attentoin"])
    assert info.value.code == -32602
    assert info.value.message == (
        'Invalid params: `methods` has an unknown method "attentoin" (one of: attention, '
        'value-norm, norm, norm-summed, attn-res, attn-res-ln, mixing-ratio, rollout, '
        'norm-rollout, alti, alti-rollout, globenc, value-zeroing)')


def test_wrong_protocol_method_name(client):
    with pytest.raises(heed.MethodNotFound) as info:
        client.request("heed/analyse", {"model": "minilm", "text": "hi"})
    assert (info.value.code, info.value.message) == (-32601, "Method not found: heed/analyse")


def test_focus_outside_the_text(client):
    with pytest.raises(heed.InvalidParams) as info:
        client.highlight("hi there", 20)
    assert info.value.message == ("Invalid params: `focus` 20..<20 is outside the text "
                                  "(8 utf-32 units)")


def test_focus_on_a_dropped_combining_mark_overlaps_no_unit(client):
    with pytest.raises(heed.InvalidParams) as info:
        client.highlight(TEXT, (19, 20))
    assert info.value.message.startswith("Invalid params: focus 19..<20 overlaps no token")


def test_focus_text_not_in_the_text(client):
    with pytest.raises(ValueError) as info:
        client.highlight("hi there", "cat")
    assert str(info.value) == "focus 'cat' does not occur in the text"


def test_error_codes_map_to_classes():
    expected = {-32700: heed.ParseError, -32600: heed.InvalidRequest,
                -32601: heed.MethodNotFound, -32602: heed.InvalidParams,
                -32603: heed.InternalError, -32002: heed.ServerNotInitialized,
                -32800: heed.RequestCancelled, -32010: heed.UnknownModel,
                -32011: heed.ModelLoadError, -32012: heed.MethodNotSupported,
                -32013: heed.InputTooLong, -32014: heed.ModelInconsistent}
    from heed.errors import error_from_wire
    for code, cls in expected.items():
        e = error_from_wire({"code": code, "message": "m", "data": {"x": 1}})
        assert type(e) is cls and (e.code, e.message, e.data) == (code, "m", {"x": 1})
    unknown = error_from_wire({"code": -32019, "message": "new"})
    assert type(unknown) is heed.HeedError and str(unknown) == "new (heed error -32019)"


def test_module_level_functions_use_the_default_client(client):
    heed.set_default_client(client)
    try:
        assert [t.text for t in heed.tokenize("a [MASK]")] == ["[CLS]", "a", "[MASK]", "[SEP]"]
        assert heed.highlight("The cat sat.", "cat").focus == (4, 7)
        assert _arrays.shape_of(heed.analyze("The cat sat.", methods="rollout")["rollout"]) == [
            6, 6]
        assert heed.default_client() is client
    finally:
        heed.set_default_client(None)


def test_default_client_starts_from_the_environment():
    code = ("import heed; t = heed.tokenize('ok'); print([x.text for x in t]); "
            "print(heed.default_client().pid > 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "['[CLS]', 'ok', '[SEP]']\nTrue\n"
    assert out.stderr == "heed: Loading minilm\nheed: minilm loaded\n"


def test_lone_surrogate_in_the_text(client):
    with pytest.raises(heed.InvalidParams) as info:
        client.tokenize("bad \ud800 text")
    assert (info.value.code, info.value.message, info.value.data) == (
        -32602, "Invalid params: params.text contains a lone surrogate escape (a "
                "\\uD800-\\uDFFF escape without its pair)", {"path": "params.text"})
    assert client._daemon.pending == {}
