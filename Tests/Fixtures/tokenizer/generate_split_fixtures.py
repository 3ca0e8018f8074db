#!/usr/bin/env python3
"""Expected regex matches of the known Split patterns, and Digits splits, for SplitPatternTests.

Run with the project's pinned venv (tokenizers 0.23.3, Python 3.11.7):

    python3 Tests/Fixtures/tokenizer/generate_split_fixtures.py

Writes, next to this script:

- split_fuzz.jsonl: 2400 seeded strings, one JSON string per line, built to stress the scanners:
  mixed scripts, emoji ZWJ sequences, combining marks (also first), CJK, RTL, controls, lone CR,
  CRLF, every whitespace kind, long digit and space runs, contractions with ' and U+2019 in
  upper and lower case (and U+017F, which Oniguruma's (?i) folds to s), code, and code points
  newer than Python's Unicode data (Oniguruma's and Rust's tables are newer).
- split_corpus_expected.jsonl (line N for corpus.jsonl line N) and split_fuzz_expected.jsonl
  (line N for split_fuzz.jsonl line N): one object per text,
    {"gpt2": [...], "llama3": [...], "qwen2": [...], "digits": [...], "digits_individual": [...]}
  each a flat list of (start, end) pairs in Unicode scalars (Python str indices). The three
  patterns give the regex's own matches (Oniguruma `find_iter`), read through
  `Split(Regex(P), "removed", invert=True)`: inverted, the matches are the pieces kept. The
  Digits lists are the pieces `Digits(individual_digits=...)` makes.
- split_behaviors.json: Split pre-tokenizer blocks as tokenizer.json spells them (the three
  regexes and a few literals, every behavior, inverted or not), and
  split_behaviors_expected.jsonl: for the first BEHAVIOR_TEXTS fuzz strings of at most 60
  scalars, one object {"fuzz_line": N (1-based), "pieces": [[flat pairs per block], ...]}: the
  pieces `pre_tokenize_str` gives with each block.

Deterministic (seeded); takes a few seconds.
"""

import json
import os
import random
import sys

import tokenizers
from tokenizers import Regex
from tokenizers import pre_tokenizers as P

HERE = os.path.dirname(os.path.abspath(__file__))

PINNED_TOKENIZERS = "0.23.3"

# The exact strings of real tokenizer.json files (and of ByteLevel's built-in regex).
PATTERNS = {
    "gpt2": r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
    "llama3": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    "qwen2": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
}

FUZZ_COUNT = 2400
BEHAVIOR_TEXTS = 100
BEHAVIORS = ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]
LITERALS = [" ", "  ", "\n", "'s", ""]
SEED = 20240610

WHITESPACE = [" ", "  ", "   ", "\t", "\n", "\r", "\r\n", "\n\n", " \n", "\n ", " \r\n ", "\x0b", "\x0c",
              "\x85", "\xa0", "\u1680", "\u2000", "\u2009", "\u200a", "\u2028", "\u2029", "\u202f",
              "\u205f", "\u3000", " \t ", "\t\n", "\r\r", "\n\r"]
NOT_WHITESPACE = ["\u200b", "\u180e", "\u2060", "\ufeff", "\x00", "\x01", "\x1f", "\x7f", "\x9f", "\u200d"]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Re", "'rE", "'VE", "'M",
                "'LL", "'lL", "'D", "\u2019s", "\u2019ll", "'\u017f", "'\u017ft", "'x", "''s", "'", "''",
                "'1", "' s", "'ss", "'K", "'\u212a", "'\u0130", "'\u00df"]
WORDS = ["the", "The", "I", "don", "can", "we", "they", "It", "HELLO", "caf\u00e9", "cafe\u0301", "na\u00efve",
         "\u00fcber", "stra\u00dfe", "\u0130stanbul", "\u03b1\u03b2\u03b3", "\u041f\u0440\u0438\u0432\u0435\u0442",
         "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627", "\u0928\u092e\u0938\u094d\u0924\u0947",
         "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "\u4f60\u597d", "\u65e5\u672c\u8a9e", "\u3053\u3093\u306b\u3061\u306f",
         "\ud55c\uad6d\uc5b4", "\u1100\u1161\u11a8", "x", "a", "Z", "\u01c5", "\u1e9e", "\uff21\uff22",
         "\u10d2\u10d0", "\u13a0\u13a1", "\u2c00"]
NUMBERS = ["1", "12", "123", "1234", "12345", "1234567", "0", "3.14", "1,000", "\u0661\u0662\u0663",
           "\u0967\u0968", "\uff11\uff12", "\u00b2", "\u00bd", "\u2167", "\u2460", "\u3007", "\U0001d7ce",
           "\U00010107", "2024-06-10", "10\u00b3"]
PUNCT = [".", ",", "!", "?", "...", "\u2026", "-", "--", "\u2014", "(", ")", "[", "]", "{", "}", "\"", "\u201c",
         "\u201d", "\u00ab", "\u00bb", ":", ";", "/", "\\", "@", "#", "$", "%", "^", "&", "*", "+", "=", "<",
         ">", "|", "~", "`", "_", "\u00a7", "\u00b6", "\u20ac", "\u00a9", "\u2122", "\u3002", "\u3001", "\uff01",
         "\u060c", "\u061f", "\u0964"]
MARKS = ["\u0301", "\u0308", "\u0327", "\u0300\u0301", "\u093f", "\u0e31", "\u05b7", "\u064e", "\u20dd",
         "\ufe0f", "\u200d", "\U000e0041"]
EMOJI = ["\U0001f600", "\U0001f44d\U0001f3fd", "\U0001f468\u200d\U0001f469\u200d\U0001f467",
         "\U0001f3f3\ufe0f\u200d\U0001f308", "\u2764\ufe0f", "\U0001f1eb\U0001f1f7", "\U0001f9d1\u200d\U0001f4bb",
         "#\ufe0f\u20e3", "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"]
CODE = ["def f(x):\n    return x**2\n", "if (a != b) { c++; }", "for i in range(10):", "x = y['k']",
        "    \n\t\treturn;", "<div class=\"a\">b</div>", "SELECT * FROM t WHERE id=1;", "a->b", "i += 1",
        "// comment\r\n", "#include <stdio.h>", "print(f\"{x!r}\")", "it's\tdon't", "$HOME/.config"]
# Code points whose class only recent Unicode versions know (Oniguruma / Rust std are newer than
# Python 3.11's Unicode 14 data): letters, numbers, marks and Rust-only numerics.
RECENT = ["\U0001e5d0\U0001e5d1", "\U0001e5f1\U0001e5f2", "\U00011bc0", "\U00011bf0", "\U00016d40",
          "\U00016d70\U00016d71", "\U00011de0\U00011de1", "\U00016ff4", "\u1c89", "\ua7cb", "\U00031350",
          "\u0897", "\U0001e4f0", "\U000105c0", "\U0001ccf0"]
OTHER = ["\ue000", "\U000f0000", "\ufffd", "\u00ad", "\u0600", "\u061c", "\u202e", "\u2066", "\ufff9",
         "\U0001d173"]


def fragment(rng):
    """One random piece of text."""
    kind = rng.random()
    if kind < 0.22:
        return rng.choice(WORDS)
    if kind < 0.36:
        return rng.choice(WHITESPACE)
    if kind < 0.46:
        return rng.choice(CONTRACTIONS)
    if kind < 0.56:
        return rng.choice(NUMBERS)
    if kind < 0.66:
        return rng.choice(PUNCT)
    if kind < 0.72:
        return rng.choice(MARKS)
    if kind < 0.77:
        return rng.choice(EMOJI)
    if kind < 0.81:
        return rng.choice(CODE)
    if kind < 0.85:
        return rng.choice(RECENT)
    if kind < 0.88:
        return rng.choice(NOT_WHITESPACE + OTHER)
    if kind < 0.91:
        return rng.choice([" ", "\t", "\n", "\u3000", "\xa0"]) * rng.randint(2, 40)
    if kind < 0.94:
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(2, 25)))
    # A random code point from anywhere (no surrogates).
    while True:
        cp = rng.choice([rng.randint(0x20, 0x2FF), rng.randint(0x300, 0xFFFF), rng.randint(0x10000, 0x10FFFF)])
        if not 0xD800 <= cp <= 0xDFFF:
            return chr(cp)


def fuzz_strings():
    rng = random.Random(SEED)
    out = []
    for _ in range(FUZZ_COUNT):
        n = rng.choice([1, 1, 2, 3, 4, 6, 8, 12, 20, 30])
        text = "".join(fragment(rng) for _ in range(n))
        # Sometimes start with a mark, a space run or a contraction, or end with spaces.
        r = rng.random()
        if r < 0.08:
            text = rng.choice(MARKS) + text
        elif r < 0.14:
            text = text + rng.choice([" ", "  ", "\n", " \n ", "\r", "\t "])
        elif r < 0.18:
            text = rng.choice(WHITESPACE) + text
        out.append(text)
    return out


def flat(pieces):
    result = []
    for _, (start, end) in pieces:
        result += [start, end]
    return result


def expected(texts):
    matchers = {name: P.Split(Regex(p), "removed", invert=True) for name, p in PATTERNS.items()}
    digits = P.Digits(individual_digits=False)
    individual = P.Digits(individual_digits=True)
    rows = []
    for text in texts:
        row = {name: flat(m.pre_tokenize_str(text)) for name, m in matchers.items()}
        row["digits"] = flat(digits.pre_tokenize_str(text))
        row["digits_individual"] = flat(individual.pre_tokenize_str(text))
        rows.append(row)
    return rows


def behavior_blocks():
    blocks = []
    patterns = [{"Regex": p} for p in PATTERNS.values()] + [{"String": s} for s in LITERALS]
    for pattern in patterns:
        for behavior in BEHAVIORS:
            for invert in (False, True):
                blocks.append({"type": "Split", "pattern": pattern, "behavior": behavior, "invert": invert})
    return blocks


def behavior_rows(fuzz, blocks):
    # Build each block through the JSON reader, as a tokenizer.json would.
    splitters = [_from_block(b) for b in blocks]
    rows = []
    for index, text in enumerate(fuzz):
        if len(rows) == BEHAVIOR_TEXTS:
            break
        if len(text) > 60:
            continue
        rows.append({"fuzz_line": index + 1, "pieces": [flat(s.pre_tokenize_str(text)) for s in splitters]})
    return rows


def _from_block(block):
    pattern = Regex(block["pattern"]["Regex"]) if "Regex" in block["pattern"] else block["pattern"]["String"]
    behavior = {"Removed": "removed", "Isolated": "isolated", "MergedWithPrevious": "merged_with_previous",
                "MergedWithNext": "merged_with_next", "Contiguous": "contiguous"}[block["behavior"]]
    split = P.Split(pattern, behavior, invert=block["invert"])
    if json.loads(split.__getstate__())["pattern"] != block["pattern"]:
        sys.exit(f"the Python Split serializes differently from {block}")
    return split


def write_jsonl(name, rows):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=True, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({len(rows)} lines)")


def main():
    if tokenizers.__version__ != PINNED_TOKENIZERS:
        sys.exit(f"tokenizers {tokenizers.__version__} installed; these fixtures pin {PINNED_TOKENIZERS}")
    with open(os.path.join(HERE, "corpus.jsonl"), encoding="utf-8") as f:
        corpus = [json.loads(line) for line in f]
    fuzz = fuzz_strings()
    write_jsonl("split_fuzz.jsonl", fuzz)
    write_jsonl("split_corpus_expected.jsonl", expected(corpus))
    write_jsonl("split_fuzz_expected.jsonl", expected(fuzz))
    blocks = behavior_blocks()
    with open(os.path.join(HERE, "split_behaviors.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write("[\n" + ",\n".join(json.dumps(b, ensure_ascii=True) for b in blocks) + "\n]\n")
    write_jsonl("split_behaviors_expected.jsonl", behavior_rows(fuzz, blocks))


if __name__ == "__main__":
    main()
