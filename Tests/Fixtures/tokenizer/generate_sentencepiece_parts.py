#!/usr/bin/env python3
"""Expected outputs for Heed's SentencePiece parts taken one at a time (issue 10): the Precompiled
normalizer with alignments, Unigram Viterbi ties / unknowns / byte fallback, serde_json's reading of
scores, the Metaspace pre-tokenizer's options, Prepend / Replace normalizers, and which broken
configurations the Rust library rejects.

Run with the pinned venv (tokenizers 0.23.3, see versions.json), after xlmr-tokenizer.json exists
(the Precompiled cases use its nmt_nfkc charsmap):

    python3 Tests/Fixtures/tokenizer/generate_sentencepiece_parts.py

Writes sentencepiece_parts_expected.json next to this script:

- "precompiled": [{"text", "normalized", "offsets": [s0, e0, ...]}]: Precompiled(charsmap) alone; one
  (start, end) pair per normalized scalar: the original scalars it came from (Rust's alignments,
  read through PreTokenizedString.get_splits("original", "char") after splitting every scalar apart).
- "pipelines": [{"name", "tokenizer": <tokenizer.json text>, "cases": [{"text", "ids", "tokens",
  "words", "offsets"}]}]: small tokenizers built here, encoded by `tokenizers.Tokenizer.encode`
  (add_special_tokens=True); offsets in scalars.
- "serde_floats": [[written, read]]: a score as written in tokenizer.json (shortest repr) and the f64
  serde_json reads from it (Rust writes it back shortest), for values where the two differ and some
  where they agree.
- "rejected": [{"name", "tokenizer", "rust_error"}]: configurations `Tokenizer.from_str` refuses (the
  tokenizer.json text as a string, so that score literals stay exactly as written).
"""

import base64
import json
import os
import random
import struct

import tokenizers
from tokenizers import PreTokenizedString, Regex, Tokenizer, normalizers

HERE = os.path.dirname(os.path.abspath(__file__))
random.seed(20261129)


def xlmr_charsmap():
    with open(os.path.join(HERE, "xlmr-tokenizer.json"), encoding="utf-8") as f:
        spec = json.load(f)
    stages = spec["normalizer"]["normalizers"]
    return next(s for s in stages if s["type"] == "Precompiled")["precompiled_charsmap"]


def charsmap_keys(raw):
    """Every key of the darts-clone trie (to build inputs that hit the rules)."""
    count = struct.unpack("<I", raw[:4])[0] // 4
    units = struct.unpack("<%dI" % count, raw[4:4 + 4 * count])

    def offset(u):
        return (u >> 10) << ((u & (1 << 9)) >> 6)

    keys, stack = [], [(offset(units[0]), b"")]
    while stack:
        base, prefix = stack.pop()
        for c in range(1, 256):
            i = base ^ c
            u = units[i]
            if (u & 0x800000FF) != c:
                continue
            key = prefix + bytes([c])
            if (u >> 8) & 1:
                keys.append(key)
            stack.append((i ^ offset(u), key))
    return sorted({k.decode("utf-8") for k in keys})


def precompiled_cases(charsmap_b64):
    raw = base64.b64decode(charsmap_b64)
    normalizer = normalizers.Precompiled(raw)
    keys = charsmap_keys(raw)
    texts = [
        "", "abc", "ｅ\u0301x", "™\x1eg", "\x1eg", "\x1e\x1e™", "Ａ\u0301", "\u3000\u0301a", "\r\n", "a\r\nb",
        "a\u200db", "ﬁ", "①②", "\u00a0x", "x\u00a0", "\t\tA", "ｶﾞ", "ﾊﾟﾊﾟ", "e\u0301", "\u1100\u1161\u11a8",
        "\U0001F469\u200d\U0001F4BB", "\U0001F1EF\U0001F1F5", "\u0915\u094d\u0937", "a\x00b", "\x00",
        "㍻", "㌀", "…", "‥", "¼", "\ufeff", "\u200b", "x\u0308\u0301\u0323", "\u0301", "A\u030a",
    ]
    pool = list(" \t\n\r\u3000\u00a0\u2002\u200b\u200d\u0301\u0308\u0323\u20dd\ufe0f\U0001F3FD")
    pool += list("abcAXé東ｅＡ①ﬁ™") + ["\U0001F469", "\u1100", "\u1161", "\u11a8", "\u0915", "\u094d", "\u0e33"]
    for _ in range(400):
        parts = []
        for _ in range(random.randint(1, 8)):
            r = random.random()
            parts.append(random.choice(keys) if r < 0.5 else random.choice(pool))
        texts.append("".join(parts).replace("\x00", ""))
    rows = []
    for text in texts:
        pre = PreTokenizedString(text)
        pre.normalize(lambda ns: normalizer.normalize(ns))
        pre.split(lambda i, ns: ns.split(Regex("[\\s\\S]"), "isolated"))
        splits = pre.get_splits("original", "char")
        normalized = normalizer.normalize_str(text)
        assert "".join(s for s, _, _ in splits) == normalized, (text, normalized, splits)
        assert len(splits) == len(normalized)
        rows.append({"text": text, "normalized": normalized,
                     "offsets": [x for _, (s, e), _ in splits for x in (s, e)]})
    return rows


def unigram(vocab, unk_id=0, byte_fallback=False):
    return {"type": "Unigram", "unk_id": unk_id, "vocab": vocab, "byte_fallback": byte_fallback}


def spec(model, normalizer=None, pre_tokenizer=None, added=(), post_processor=None):
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": False, "special": True} for i, c in added],
            "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": post_processor,
            "decoder": None, "model": model}


def serde_read(value):
    """The f64 serde_json reads back from the shortest text of `value` (through Rust)."""
    t = Tokenizer.from_str(json.dumps(spec(unigram([["<unk>", 0.0], ["a", value]]))))
    return json.loads(t.to_str())["model"]["vocab"][1][1]


def tie_vocab():
    """Pieces a, b, ab whose scores tie (a + b == ab) as serde_json reads them, while as written
    (correctly rounded) a + b is larger: Rust keeps "ab" (a tie keeps the first candidate), a
    reader that rounds correctly would pick "a", "b"."""
    while True:
        a = -random.uniform(1, 12)
        b = -random.uniform(1, 12)
        total = serde_read(a) + serde_read(b)
        # The text written for ab must read back (in Rust) as exactly that sum.
        if serde_read(total) == total and a + b > total:
            return [["<unk>", 0.0], ["a", a], ["b", b], ["ab", total]]


def pipelines():
    letters = [[c, -5.0] for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,!?'"]
    spm_chars = [["<unk>", 0.0], ["▁", -2.0]] + letters + [["▁a", -3.0], ["▁the", -4.0], ["he", -4.5]]
    encode2 = [["<unk>", 0.0], ["ab", 0.0], ["cd", -0.1], ["abc", -0.2], ["a", -0.3], ["b", -0.4], ["c", -0.5],
               ["ABC", -0.5], ["abcdabcd", 20.0], ["q", 20.5], ["r", 20.5], ["qr", -0.5]]
    ties = [["<unk>", 0.0], ["a", -1.0], ["b", -1.0], ["ab", -2.0], ["abc", -3.0], ["c", -1.0], ["bc", -2.0],
            ["x", -0.5], ["x", -7.0], ["xy", -6.0], ["y", -0.5]]
    bytes_vocab = [["<unk>", 0.0], ["a", -1.0], ["é", -2.0], ["<s>", 0.0]]
    bytes_vocab += [["<0x%02X>" % b, -10.0] for b in range(256)]
    texts_chars = ["hello world", " hello", "hello ", "  two  spaces  ", "a", "", " ", "▁already", "x▁y",
                   "the the", "Hello, World!", "tab\there", "new\nline", "<x>hello world<x> again", "<x>",
                   " <x> a", "a<x>b", "日本 語"]
    metaspace = lambda scheme, split=True: {"type": "Metaspace", "replacement": "▁", "prepend_scheme": scheme,
                                            "split": split}
    cases = [
        ("unigram_rust_encode2", spec(unigram(encode2)),
         ["abc", "AB", "abcd", "abcc", "xabcabaabcdd", "xyz東京", "ABC", "abABCcd", "ababcdabcdcd", "abqrcd", "",
          "<unk>", "a<unk>b", "x<unk>", "東<unk>京"]),
        ("unigram_ties", spec(unigram(ties)),
         ["abc", "abcabc", "bcab", "xy", "xxy", "ax", "cab"]),
        ("unigram_serde_tie", spec(unigram(tie_vocab())), ["ab", "abab", "aab", "abb"]),
        ("unigram_unk_id_not_zero", spec(unigram([["a", -1.0], ["b", -2.5], ["<unk>", 0.0], ["ab", -4.0]], unk_id=2)),
         ["ab", "abc", "cab", "ccc", "a c b", "<unk>", "zz<unk>"]),
        ("unigram_byte_fallback", spec(unigram(bytes_vocab, byte_fallback=True)),
         ["a", "é", "aéa", "ü", "üü", "a東京a", "\U0001F600", "a<s>b"]),
        ("metaspace_always", spec(unigram(spm_chars), pre_tokenizer=metaspace("always"), added=[(100, "<x>")]),
         texts_chars),
        ("metaspace_first", spec(unigram(spm_chars), pre_tokenizer=metaspace("first"), added=[(100, "<x>")]),
         texts_chars),
        ("metaspace_never", spec(unigram(spm_chars), pre_tokenizer=metaspace("never"), added=[(100, "<x>")]),
         texts_chars),
        ("metaspace_first_no_split",
         spec(unigram(spm_chars), pre_tokenizer=metaspace("first", split=False), added=[(100, "<x>")]), texts_chars),
        ("metaspace_legacy_add_prefix_space",
         spec(unigram(spm_chars), pre_tokenizer={"type": "Metaspace", "replacement": "▁", "add_prefix_space": True},
              added=[(100, "<x>")]), texts_chars),
        ("metaspace_legacy_no_prefix_space",
         spec(unigram(spm_chars), pre_tokenizer={"type": "Metaspace", "replacement": "▁", "add_prefix_space": False,
                                                 "prepend_scheme": "never", "str_rep": "▁"}, added=[(100, "<x>")]),
         texts_chars),
        # Llama 2 (legacy) as transformers converts it: Prepend + Replace, no pre-tokenizer.
        ("llama2_normalizer",
         spec(unigram(spm_chars), normalizer={"type": "Sequence", "normalizers": [
             {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
             added=[(100, "<x>")]), texts_chars),
        # XLM-R's normalizer without its charsmap: Strip(right) + Replace(Regex(" {2,}"), "▁").
        ("strip_replace_regex",
         spec(unigram(spm_chars), normalizer={"type": "Sequence", "normalizers": [
             {"type": "Strip", "strip_left": False, "strip_right": True},
             {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "▁"}]},
             pre_tokenizer=metaspace("always"), added=[(100, "<x>")]),
         texts_chars + ["a   b    c", "   ", "x  ", "  x", "a \u00a0 b"]),
        ("replace_regex_plus",
         spec(unigram(spm_chars), normalizer={"type": "Replace", "pattern": {"Regex": "a+"}, "content": "AB"}),
         ["aaa", "banana", "xaay", "a"]),
        ("prepend_multi",
         spec(unigram(spm_chars), normalizer={"type": "Prepend", "prepend": "▁▁x"}), ["ab", "", "b c"]),
    ]
    result = []
    for name, tokenizer_spec, texts in cases:
        text_spec = json.dumps(tokenizer_spec, ensure_ascii=False)
        tok = Tokenizer.from_str(text_spec)
        rows = []
        for text in texts:
            e = tok.encode(text)
            rows.append({"text": text, "ids": e.ids, "tokens": e.tokens, "words": e.word_ids,
                         "offsets": [x for s, e2 in e.offsets for x in (s, e2)]})
        result.append({"name": name, "tokenizer": text_spec, "cases": rows})
    return result


def serde_floats():
    rows = []
    while len(rows) < 150:
        value = -random.uniform(0, 20) if random.random() < 0.9 else random.uniform(-1e-5, 1e3)
        read = serde_read(value)
        if read != value or random.random() < 0.1:
            rows.append([value, read])
    rows += [[v, serde_read(v)] for v in (0.0, -0.0, 1.0, -1.5, 1e-7, 123456.789, -2.4647953510284424, 5e-324)]
    return rows


def rejected():
    vocab = [["<unk>", 0.0], ["a", -1.0]]
    cases = [
        ("metaspace_add_prefix_space_false_default_scheme",
         spec(unigram(vocab), pre_tokenizer={"type": "Metaspace", "replacement": "▁", "add_prefix_space": False})),
        ("metaspace_two_character_replacement",
         spec(unigram(vocab), pre_tokenizer={"type": "Metaspace", "replacement": "▁▁"})),
        ("metaspace_unknown_scheme",
         spec(unigram(vocab), pre_tokenizer={"type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes"})),
        ("unigram_unk_id_past_vocab", spec(unigram(vocab, unk_id=2))),
        ("unigram_empty_vocab", spec(unigram([], unk_id=0))),
        ("unigram_vocab_entry_not_pair", spec(unigram([["<unk>", 0.0, 1.0]]))),
        ("unigram_score_not_number", spec(unigram([["<unk>", "zero"]]))),
        ("precompiled_bad_base64", spec(unigram(vocab), normalizer={"type": "Precompiled", "precompiled_charsmap": "@@@@"})),
        ("precompiled_truncated", spec(unigram(vocab), normalizer={"type": "Precompiled",
                                                                   "precompiled_charsmap": xlmr_charsmap()[:4000]})),
        ("precompiled_empty", spec(unigram(vocab), normalizer={"type": "Precompiled", "precompiled_charsmap": ""})),
    ]
    rows = []
    for name, tokenizer_spec in cases:
        text_spec = json.dumps(tokenizer_spec, ensure_ascii=False)
        try:
            Tokenizer.from_str(text_spec)
        except BaseException as error:  # noqa: BLE001 - any refusal counts (a Rust panic is a BaseException)
            rows.append({"name": name, "tokenizer": text_spec, "rust_error": str(error)[:200]})
            continue
        raise SystemExit(f"{name}: the Rust library accepts it")
    return rows


def main():
    assert tokenizers.__version__ == "0.23.3", tokenizers.__version__
    charsmap = xlmr_charsmap()
    out = {
        "tokenizers": tokenizers.__version__,
        "precompiled": precompiled_cases(charsmap),
        "pipelines": pipelines(),
        "serde_floats": serde_floats(),
        "rejected": rejected(),
    }
    path = os.path.join(HERE, "sentencepiece_parts_expected.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print(f"wrote {path}: {len(out['precompiled'])} Precompiled texts, {len(out['pipelines'])} pipelines, "
          f"{len(out['serde_floats'])} floats, {len(out['rejected'])} rejected configurations")


if __name__ == "__main__":
    main()
