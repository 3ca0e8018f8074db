#!/usr/bin/env python3
"""Generate Sources/HeedTokenizers/UnicodeTables.swift from the Rust `tokenizers` library.

The Rust library answers its character questions from several Unicode tables of different
ages: `unicode_categories` (punctuation, marks, "other" characters), the Rust standard library
(whitespace, lowercase, numeric), `regex` (\\w), Oniguruma (the `Regex` of Split and ByteLevel:
\\p{L}, \\p{N}, \\s) and `unicode-normalization-alignments` (Unicode 9.0 decompositions and
compositions). Swift's own Unicode data is newer, so asking Swift would
disagree on recently assigned characters. Instead this script probes every code point through
the installed `tokenizers` wheel and writes down what it does, so the Swift tables reproduce
the library bit for bit.

Usage: python3 Tests/Fixtures/tokenizer/generate_unicode_tables.py [OUT.swift]
Deterministic; takes about half a minute.
"""

import os
import sys
import unicodedata

import tokenizers
from tokenizers import normalizers as N
from tokenizers import Regex
from tokenizers import pre_tokenizers as P

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DEFAULT_OUT = os.path.join(ROOT, "Sources", "HeedTokenizers", "UnicodeTables.swift")

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3


def code_points():
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        yield cp


def ranges(points):
    """Sorted code points -> inclusive (lo, hi) runs."""
    out = []
    for cp in points:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def fmt_ranges(points):
    items = []
    for lo, hi in ranges(points):
        items.append(f"{lo:x}" if lo == hi else f"{lo:x}-{hi:x}")
    return items


def fmt_map(mapping):
    return [f"{k:x}:" + ".".join(f"{ord(c):x}" for c in v) for k, v in sorted(mapping.items())]


def wrap(items, width=110):
    lines, line = [], ""
    for item in items:
        if line and len(line) + 1 + len(item) > width:
            lines.append(line)
            line = item
        else:
            line = f"{line} {item}" if line else item
    if line:
        lines.append(line)
    return "\n".join("        " + l for l in lines)


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT

    clean = N.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    strip = N.StripAccents()
    bert_strip = N.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    lower = N.Lowercase()
    nfd, nfkd, nfc = N.NFD(), N.NFKD(), N.NFC()
    bert_pre = P.BertPreTokenizer()
    ws_pre = P.Whitespace()
    # Oniguruma classes, as the Split pre-tokenizer's regexes see them: "removed" leaves nothing
    # of a one-character text exactly when the character is in the class.
    onig_letter = P.Split(Regex(r"\p{L}"), "removed")
    onig_number = P.Split(Regex(r"\p{N}"), "removed")
    onig_space = P.Split(Regex(r"\s"), "removed")
    digits = P.Digits(individual_digits=True)

    removed, to_space, whitespace, punct, mark, nonspacing, word = [], [], [], [], [], [], []
    letter, number, numeric = [], [], []
    lowercase, decomp, compat = {}, {}, {}
    for cp in code_points():
        c = chr(cp)
        r = clean.normalize_str(c)
        if r == "":
            removed.append(cp)
        elif r == " " and c != " ":
            to_space.append(cp)
        elif r != c:
            raise SystemExit(f"unexpected clean_text result for U+{cp:04X}: {r!r}")
        if strip.normalize_str(c) == "":
            mark.append(cp)
        low = lower.normalize_str(c)
        if low != c:
            lowercase[cp] = low
        n = len(bert_pre.pre_tokenize_str("a" + c + "a"))
        if n == 2:
            whitespace.append(cp)
        elif n == 3:
            punct.append(cp)
        n = len(ws_pre.pre_tokenize_str("a" + c + "a"))
        if n == 1:
            word.append(cp)
        elif n == 2 and cp not in whitespace:
            raise SystemExit(f"\\s disagrees with char::is_whitespace at U+{cp:04X}")
        if not onig_letter.pre_tokenize_str(c):
            letter.append(cp)
        if not onig_number.pre_tokenize_str(c):
            number.append(cp)
        if (not onig_space.pre_tokenize_str(c)) != (cp in whitespace):
            raise SystemExit(f"Oniguruma \\s disagrees with char::is_whitespace at U+{cp:04X}")
        n = len(digits.pre_tokenize_str("a" + c + "a"))
        if n == 3:
            numeric.append(cp)
        elif n != 1:
            raise SystemExit(f"unexpected Digits result for U+{cp:04X}")
        if HANGUL_FIRST <= cp <= HANGUL_LAST:
            continue  # algorithmic, done in Swift
        d = nfd.normalize_str(c)
        if d != c:
            decomp[cp] = d
        elif bert_strip.normalize_str(c) == "":
            nonspacing.append(cp)  # only characters NFD leaves alone reach this test
        k = nfkd.normalize_str(c)
        if k != c:
            compat[cp] = k

    # Canonical combining classes as the Unicode 9.0 tables of the normalizer see them: Python's
    # value (classes never change once assigned), but zero where the Rust table does not know the
    # mark yet. U+0345 has class 240 (the largest): a mark of class 1..239 moves in front of it.
    ccc = {}
    for cp in code_points():
        klass = unicodedata.combining(chr(cp))
        if klass == 0 or cp in decomp:
            continue  # a character that decomposes is never classified itself
        if klass >= 240:
            ccc[cp] = klass
            continue
        probe = nfd.normalize_str("a\u0345" + chr(cp))
        if probe == "a" + chr(cp) + "\u0345":
            ccc[cp] = klass
        elif probe != "a\u0345" + chr(cp):
            raise SystemExit(f"unexpected reordering probe for U+{cp:04X}: {probe!r}")

    # Primary compositions: canonical pairs that NFC puts back together (Unicode 9.0 minus exclusions).
    compose = {}
    for cp, d in decomp.items():
        m = unicodedata.decomposition(chr(cp))
        if not m or m.startswith("<"):
            continue
        parts = [int(x, 16) for x in m.split()]
        if len(parts) != 2:
            continue
        if nfc.normalize_str(d) != chr(cp):
            continue  # composition exclusion
        if nfc.normalize_str(chr(parts[0]) + chr(parts[1])) != chr(cp):
            raise SystemExit(f"pair for U+{cp:04X} does not compose")
        compose[cp] = chr(parts[0]) + chr(parts[1])

    sections = [
        ("cleanTextRemoved", "BertNormalizer clean_text removes these (NUL, U+FFFD, `is_other` except tab/LF/CR)",
         fmt_ranges(removed)),
        ("cleanTextSpace", "BertNormalizer clean_text maps these to U+0020 (`char::is_whitespace`, tab, LF, CR)",
         fmt_ranges(to_space)),
        ("whitespace", "`char::is_whitespace` (Rust std; also the regex crate's \\s)", fmt_ranges(whitespace)),
        ("punctuation", "BertPreTokenizer punctuation: ASCII punctuation or unicode_categories P*",
         fmt_ranges(punct)),
        ("nonspacingMark", "unicode_categories `is_mark_nonspacing`, the BertNormalizer accent test "
         "(characters without a decomposition only)", fmt_ranges(nonspacing)),
        ("combiningMark", "unicode-normalization `is_combining_mark` (the StripAccents normalizer removes these)",
         fmt_ranges(mark)),
        ("wordCharacter", "regex crate \\w (Whitespace pre-tokenizer, added tokens' single_word)",
         fmt_ranges(word)),
        ("letter", "Oniguruma \\p{L} (Split and ByteLevel regexes; Oniguruma's \\s is `whitespace`)",
         fmt_ranges(letter)),
        ("number", "Oniguruma \\p{N} (Split and ByteLevel regexes)", fmt_ranges(number)),
        ("numeric", "Rust `char::is_numeric` (the Digits pre-tokenizer)", fmt_ranges(numeric)),
        ("lowercase", "Rust `char::to_lowercase` where it is not the identity: cp:lower.lower", fmt_map(lowercase)),
        ("canonicalDecomposition", "full NFD per character (Hangul syllables are algorithmic)", fmt_map(decomp)),
        ("compatibilityDecomposition", "full NFKD per character (Hangul syllables are algorithmic)",
         fmt_map(compat)),
        ("combiningClass", "canonical combining class where non-zero: cp:class(hex)",
         [f"{k:x}:{v:x}" for k, v in sorted(ccc.items())]),
        ("primaryComposite", "canonical pairs NFC composes: composite:first.second", fmt_map(compose)),
    ]

    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("// GENERATED by Tests/Fixtures/tokenizer/generate_unicode_tables.py: do not edit.\n")
        f.write(f"// Probed from tokenizers {tokenizers.__version__} (Rust), Python {sys.version.split()[0]}.\n")
        f.write("// Code points in hex; `lo-hi` is an inclusive range; maps are `key:value.value`.\n\n")
        f.write("enum UnicodeTableText {\n")
        for name, doc, items in sections:
            f.write(f"    /// {doc}; {len(items)} entries.\n")
            f.write(f'    static let {name} = """\n{wrap(items)}\n        """\n\n')
        f.write("}\n")
    print(f"wrote {out_path}: " + ", ".join(f"{n}={len(i)}" for n, _, i in sections))


if __name__ == "__main__":
    main()
