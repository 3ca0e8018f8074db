#!/usr/bin/env python3
"""Write Tests/Fixtures/tokenizer/fuzz.jsonl: 2000 seeded fuzz strings, one JSON string per line.

Deterministic (random.Random(SEED), pools are lists, no set iteration). The strings stress the
byte-level BPE and Unigram pipelines: mixed scripts (Latin with accents in NFC and NFD, Cyrillic,
Greek, Arabic/Hebrew RTL, Devanagari, Thai, CJK, Hangul), emoji with ZWJ sequences and skin-tone
modifiers, combining marks (stacked, and at string start), control characters, lone "\\r", "\\r\\n",
tabs, runs of digits and spaces, non-ASCII digits and numbers, apostrophe contractions, code
snippets, words over 100 bytes, the pipelines' special tokens typed in the text, private-use and
unassigned code points, U+FFFD and the BOM. No lone surrogates (they cannot be encoded as UTF-8).

The mean length stays around 10 Unicode scalars so that the expected files of ten pipelines stay
small (byte-level BPE gives about one token per scalar on this mix); 0.6% of the strings are long
(a few hundred scalars).

Usage: python3 Tests/Fixtures/tokenizer/make_fuzz.py [OUT.jsonl]
"""

import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 10_2025
COUNT = 2000

WORDS = {
    "latin": ["the", "The", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "Hello", "world",
              "token", "izer", "unbelievable", "don", "can", "HTTP", "iPhone", "McDonald", "x", "a", "I"],
    "accents": ["café", "naïve", "Zoë", "façade", "résumé", "Ångström", "jalapeño", "señor", "Øre",
                "straße", "ĳssel", "Œuvre", "crème brûlée", "Dvořák", "Łódź", "İstanbul", "ǅemal"],
    "nfd": ["cafe\u0301", "nai\u0308ve", "Zoe\u0308", "A\u030angstro\u0308m", "n\u0303", "e\u0301\u0301"],
    "cyrillic": ["Привет", "мир", "съешь", "ещё", "этих", "мягких", "французских", "булок", "Ёж", "ЙОД"],
    "greek": ["Γειά", "σου", "κόσμε", "ΑΒΓΔ", "λόγος", "ΣΊΣΥΦΟΣ", "ὦ", "ᾷ"],
    "arabic": ["مرحبا", "بالعالم", "السلام", "عليكم", "الْعَرَبِيَّة", "ﻻ"],
    "hebrew": ["שלום", "עולם", "עִבְרִית", "ספר"],
    "devanagari": ["नमस्ते", "दुनिया", "हिन्दी", "क्षत्रिय", "ॐ"],
    "thai": ["สวัสดี", "ชาวโลก", "ภาษาไทย", "กรุงเทพมหานคร"],
    "cjk": ["你好", "世界", "東京", "日本語", "漢字", "中文分词", "𠀀𠀁", "ひらがな", "カタカナ", "ｶﾀｶﾅ"],
    "hangul": ["안녕하세요", "세계", "한국어", "\u1100\u1161\u11a8", "ㄱㄴㄷ"],
}

EMOJI = ["😀", "🚀", "❤️", "👍", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏿‍🚀", "🇫🇷", "🇯🇵", "#️⃣",
         "✋🏻", "🙂", "💯", "☕", "©", "™", "\U0001FAE0", "🫱🏼‍🫲🏿"]
MARKS = ["\u0301", "\u0300", "\u0308", "\u0323", "\u0327", "\u030a", "\u0336", "\u20dd", "\u0489",
         "\u093c", "\u0e31", "\u064b", "\u05b7"]
CONTROLS = ["\x00", "\x01", "\x04", "\x06", "\x07", "\x08", "\x0b", "\x0c", "\x13", "\x14", "\x16",
            "\x1b", "\x1d", "\x7f", "\x80", "\x85", "\x9f", "\u200b", "\u200c", "\u200d", "\u200e",
            "\u2028", "\u2029", "\u00ad", "\u2060", "\u061c"]
SPACES = [" ", "  ", "\t", "\n", "\r", "\r\n", "\n\n", "\u00a0", "\u3000", "\u2003", "\u202f", " \t ", "\f"]
NUMBERS = ["0", "7", "42", "2024", "3.14159", "1,000,000", "-17", "1e10", "0x1F", "²", "³", "½", "⅞",
           "٣", "٠١٢٣", "۴", "४२", "๓", "Ⅻ", "ⅻ", "①", "⑳", "１２３", "𝟙𝟚", "〇", "五", "٫", "1½", "x²"]
CONTRACTIONS = ["it's", "we'll", "THEY'RE", "I'm", "you've", "he'd", "don't", "can't", "'s", "'ll",
                "'RE", "'Ve", "'D", "'M", "'T", "it’s", "we’ll", "rock'n'roll", "o'clock", "''", "'"]
PUNCT = [".", ",", "!", "?", ";", ":", "...", "…", "—", "–", "-", "(", ")", "[", "]", "{", "}", "\"",
         "«", "»", "“", "”", "‘", "’", "¿", "¡", "@", "#", "$", "%", "^", "&", "*", "_", "+", "=",
         "/", "\\", "|", "<", ">", "~", "`", "€", "£", "¥", "§", "¶", "•", "·", "。", "、", "！", "？"]
SPECIALS = ["<|endoftext|>", "<s>", "</s>", "<mask>", "<pad>", "<unk>", "<|begin_of_text|>",
            "<|end_of_text|>", "<|im_start|>", "<|im_end|>", "<|reserved_special_token_0|>",
            "<|reserved_special_token_3|>", "[UNK]", "<|endoftext", "<s", "< s>", "<MASK>", "<|im_start|>user"]
ODD = ["\ufffd", "\ufeff", "\ue000", "\uf8ff", "\U000f0000", "\U0010fffd", "\u0378", "\u08a1\u0378",
       "\U000e0001", "\U0001fbff", "\uffff", "\ufffe", "\U0001d400", "\U000e0067", "\U0002fa1d", "\u2126",
       "\u212b", "\ufb01", "\u00b5", "\u1e9e", "\u0130", "\u03a3", "\u2160", "\u33a1", "\u1f88"]
CODE = [
    "def f(x):\n    return x ** 2\n",
    "for i in range(10):\n\tprint(i, end='')",
    "int main(void) { return 0; }",
    "if (a != b && c <= d) { x += 1; }",
    "#include <stdio.h>\nprintf(\"%d\\n\", n);",
    "{\"key\": [1, 2.5, null, true], \"é\": \"\\u00e9\"}",
    "ls -la | grep '.py' > out.txt 2>&1",
    "echo $HOME && cd ~/src; make -j4",
    "x = {'a': 1, 'b': [None]}",
    "SELECT * FROM t WHERE id = 42;",
    "let s = \"héllo\".to_uppercase();",
    "    \t  indented\n        more",
    "a<<=2; b>>>=1; c=a?b:c;",
    "https://example.com/path?q=1&r=two#frag",
    "user@example.org",
    "</div><p class=\"x\">&amp;</p>",
]


def word(rng):
    script = rng.choice(list(WORDS))
    return rng.choice(WORDS[script])


def piece(rng):
    """One short fragment of a fuzz string, drawn from a weighted menu of categories."""
    kind = rng.choices(
        ["word", "emoji", "mark", "control", "space", "number", "contraction", "punct", "special", "odd",
         "digits", "spaces", "soup"],
        weights=[30, 5, 4, 4, 12, 6, 5, 8, 3, 3, 1, 1, 3])[0]
    if kind == "word":
        return word(rng)
    if kind == "emoji":
        return rng.choice(EMOJI)
    if kind == "mark":
        return "".join(rng.choice(MARKS) for _ in range(rng.randint(1, 4)))
    if kind == "control":
        return rng.choice(CONTROLS)
    if kind == "space":
        return rng.choice(SPACES)
    if kind == "number":
        return rng.choice(NUMBERS)
    if kind == "contraction":
        return rng.choice(CONTRACTIONS)
    if kind == "punct":
        return rng.choice(PUNCT)
    if kind == "special":
        return rng.choice(SPECIALS)
    if kind == "odd":
        return rng.choice(ODD)
    if kind == "digits":
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 24)))
    if kind == "spaces":
        return rng.choice([" ", "\t", "\n", "\u00a0"]) * rng.randint(3, 20)
    # soup: random code points from a few blocks, assigned or not
    lo, hi = rng.choice([(0x20, 0x7e), (0xa0, 0x24f), (0x370, 0x52f), (0x590, 0x6ff), (0x900, 0x97f),
                         (0xe00, 0xe7f), (0x3040, 0x30ff), (0x4e00, 0x9fff), (0xac00, 0xd7a3),
                         (0x1f300, 0x1faff), (0xe000, 0xf8ff), (0x2000, 0x2bff), (0x10000, 0x10ffff)])
    out = []
    for _ in range(rng.randint(1, 6)):
        cp = rng.randint(lo, hi)
        if 0xd800 <= cp <= 0xdfff:
            cp = 0xfffd
        out.append(chr(cp))
    return "".join(out)


def joined(rng, n):
    parts = []
    for _ in range(n):
        p = piece(rng)
        if parts and rng.random() < 0.6 and not parts[-1][-1:].isspace() and not p[:1].isspace():
            parts.append(" ")
        parts.append(p)
    return "".join(parts)


def long_word(rng):
    """A single word of more than 100 UTF-8 bytes."""
    base = rng.choice(["a", "é", "ж", "字", "😀", "x1", "ab", "ก"])
    word_ = ""
    while len(word_.encode("utf-8")) <= 100:
        word_ += base if rng.random() < 0.7 else rng.choice(["a", "b", "é", "n", "字", "ő"])
    return word_


HAND = [
    "", " ", "  ", "\t", "\n", "\r", "\r\n", "\n\r", "\r\r\n", " \r\n ", "a\rb", "a\r\nb", "\ufeff",
    "\ufeffHello", "\ufffd", "\u0301", "\u0301a", "\u0301\u0308abc", "a\u0301\u0308\u0323", "\u200d",
    "👩‍💻", "👨‍👩‍👧‍👦👍🏽", "🏳️‍🌈 flag", "it's we'll THEY'RE I'M you’re", "'s'll're've'd'm't",
    "  leading", "trailing  ", "   ", "a  b   c    d", "x²+y³=⅞", "ied 4 ½ months", "٣ ٤ ٥", "Ⅻ ⅻ ①",
    "1234567890123456789012345678901234567890", "        8 spaces then text",
    "<|endoftext|>", "<|endoftext|><|endoftext|>", "a<|endoftext|>b", " <|endoftext|> ",
    "<s>hello</s>", "<s> <mask> </s>", "The <mask> sat.", "x<mask>y", " <mask>", "<|begin_of_text|>Hi",
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", "<|reserved_special_token_0|>x",
    "\ue000\uf8ff\U000f0000", "\u0378\u0379", "ok\x14\x16!", "\x00\x01\x02", "\x7f\x80\x9f",
    "Hello world", " Hello world", "hello  world", "HELLO", "Hello\tworld\n",
    "print('hello')\n", "naïve café", "nai\u0308ve cafe\u0301", "Привет мир", "Γειά σου κόσμε",
    "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก", "你好世界", "안녕하세요 세계",
    "１２３ＡＢＣ", "ﬁ ﬂ ﬃ", "㎡ ㍿", "𝐇𝐞𝐥𝐥𝐨", "ǅ ǈ ǋ",
]


def make():
    rng = random.Random(SEED)
    out = list(HAND)
    while len(out) < COUNT:
        r = rng.random()
        if r < 0.006:
            # long: a few hundred scalars
            s = joined(rng, rng.randint(30, 80))
        elif r < 0.05:
            s = rng.choice(CODE)
            if rng.random() < 0.3:
                s = joined(rng, 1) + " " + s
        elif r < 0.06:
            s = joined(rng, rng.randint(0, 2)) + " " + long_word(rng) + joined(rng, rng.randint(0, 1))
        elif r < 0.08:
            # a combining mark at string start
            s = rng.choice(MARKS) + joined(rng, rng.randint(1, 4))
        else:
            s = joined(rng, rng.choice([1, 1, 2, 2, 3]))
        out.append(s)
    for s in out:
        s.encode("utf-8")  # no lone surrogates
    return out[:COUNT]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "fuzz.jsonl")
    lines = make()
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for s in lines:
            f.write(json.dumps(s, ensure_ascii=True) + "\n")
    lengths = [len(s) for s in lines]
    print(f"wrote {path}: {len(lines)} strings, mean {sum(lengths) / len(lengths):.1f} scalars, "
          f"max {max(lengths)}, {sum(1 for n in lengths if n > 200)} over 200")


if __name__ == "__main__":
    main()
