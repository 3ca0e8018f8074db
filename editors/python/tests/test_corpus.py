"""analyze_many: results in memory, or written to .npz / JSON lines, with a progress bar."""

import json
import os
import pathlib
import re

import pytest

import heed
from heed import _arrays
from conftest import EXPECT_NUMPY

TEXTS = ["The cat sat.", "A [MASK] is blue.", "Zo\u00eb\u2019s \U0001F431 purrs."]
BAR_END = re.compile(r"\rheed analyze \[#{28}\] 3/3 [0-9.]+ texts/s, 0 s left\n$")


def test_in_memory_with_progress_bar(client, capsys):
    out = client.analyze_many(TEXTS, methods=["norm-summed"], layers=[5])
    assert [type(a) for a in out] == [heed.Analysis] * 3
    assert [len(a.tokens) for a in out] == [6, 7, 10]
    single = client.analyze(TEXTS[2], methods=["norm-summed"], layers=[5])
    assert _arrays.tolist(out[2]["norm-summed"]) == _arrays.tolist(single["norm-summed"])
    err = capsys.readouterr().err
    assert BAR_END.search(err), repr(err)


def test_progress_off(client, capsys):
    client.analyze_many(TEXTS[:1], methods=["attention"], progress=False)
    assert capsys.readouterr().err == ""


def test_jsonl(client, tmp_path, capsys):
    written = client.analyze_many(TEXTS, to=str(tmp_path / "out"), file_format="jsonl",
                                  methods=["attention", "norm-summed"], heads="mean",
                                  layers=[0, 5])
    assert written == [str(tmp_path / "out" / "analyses.jsonl")]
    lines = pathlib.Path(written[0]).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    assert [(r["index"], r["text"]) for r in records] == list(enumerate(TEXTS))
    assert sorted(records[1]) == ["index", "layers", "model", "positionEncoding", "text",
                                  "tokens"]
    assert [e["layer"] for e in records[1]["layers"]] == [0, 5]
    single = client.analyze(TEXTS[1], methods=["attention", "norm-summed"], heads="mean",
                            layers=[0, 5])
    assert _arrays.tolist(_arrays.from_nested(records[1]["layers"][1]["norm-summed"])) == \
        _arrays.tolist(single.layer(5)["norm-summed"])
    assert BAR_END.search(capsys.readouterr().err)


@pytest.mark.skipif(not EXPECT_NUMPY, reason="this run hides numpy")
def test_npz(client, tmp_path):
    import numpy as np
    written = client.analyze_many(TEXTS, to=str(tmp_path), progress=False,
                                  methods=["attention", "mixing-ratio", "rollout"],
                                  layers=[4, 5])
    assert written == [str(tmp_path / f"0000{k}.npz") for k in range(3)]
    with np.load(written[2]) as z:
        keys = sorted(z.files)
        meta = json.loads(str(z["meta"]))
        attention = z["layer5/attention"]
        rollout = z["rollout"]
    assert keys == sorted(["meta", "rollout"] + [f"layer{l}/attention" for l in (4, 5)] +
                          [f"layer{l}/mixing-ratio/{k}" for l in (4, 5) for k in
                           ("attn-w", "attn-n", "attnres-w", "attnres-n", "attnresln-n")])
    assert meta["text"] == TEXTS[2] and meta["layers"] == [4, 5]
    assert [t["surface"] for t in meta["tokens"]][4] == "\U0001F431"
    single = client.analyze(TEXTS[2], methods=["attention", "rollout"], layers=[4, 5])
    assert np.array_equal(attention, single.layer(5)["attention"])
    assert np.array_equal(rollout, single["rollout"])


@pytest.mark.skipif(EXPECT_NUMPY, reason="needs a run without numpy")
def test_npz_without_numpy_says_so(client, tmp_path):
    with pytest.raises(ImportError) as info:
        client.analyze_many(TEXTS, to=str(tmp_path), file_format="npz")
    assert str(info.value) == "file_format='npz' needs numpy: pip install numpy, or use 'jsonl'"
    assert client.analyze_many(TEXTS[:1], to=str(tmp_path), progress=False) == [
        str(tmp_path / "analyses.jsonl")]  # the default without numpy
