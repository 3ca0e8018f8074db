"""SentencePiece model files and the `sentencepiece` package's own tokenization of them (issue 14).

Run with the project's pinned venv (sentencepiece==0.2.3, checked below; transformers 5.23.0 for the
Marian tokenizer check):

    /tmp/perf-venv/bin/python Tests/Fixtures/sentencepiece/generate_sentencepiece_fixtures.py

Trains two tiny models on Tests/Fixtures/tokenizer/corpus.jsonl (single-threaded, seeded: the same
bytes every run) and writes, in this folder:
- `unigram.model`: Unigram, vocab 600, the default `nmt_nfkc` normalization (a real precompiled
  charsmap), add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces (the defaults);
- `bpe.model`: BPE, vocab 1000, `identity` normalization (no charsmap), remove_extra_whitespaces
  false, byte_fallback, split_digits;
- `user.model`: Unigram, vocab 1000, identity, user_defined_symbols `<sep> @@ http ht`, control
  symbol `<ctl>`; `user_expected.jsonl` for USER_TEXTS below, then the first 200 corpus lines;
- `long_expected.jsonl`: line 1 unigram.model, line 2 user.model, each a list (LONG_TEXTS) of
  `{"ids", "offsets"}`: texts long enough that Unigram path scores pass -100000;
- `NAME_expected.jsonl`: for corpus line N and for fuzz line N (corpus first, then
  Tests/Fixtures/tokenizer/fuzz.jsonl), `{"ids", "pieces", "offsets"}`: the package's
  `encode(text, return_type='proto')` pieces, offsets as flat UTF-8 byte pairs
  `[begin0, end0, begin1, end1, ...]` of the original text;
- `marian-vocab.json`: the vocab.json of a Marian tokenizer directory whose source.spm is
  unigram.model and target.spm is bpe.model (tests assemble the directory; no model is copied): the
  joint vocabulary, `</s>` 0, `<unk>` 1, then the pieces of both models in order (control and unknown
  pieces left out), `<pad>` last; and `marian_expected.jsonl`: transformers' MarianTokenizer
  `tok(text).input_ids` (source side) and `tok(text_target=text).input_ids` (target side) for the
  first 300 corpus lines (the fuzz lines hold special-token text the slow tokenizer would split on).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent
sys.path.insert(0, str(FIXTURES))

SENTENCEPIECE_VERSION = "0.2.3"
MARIAN_LINES = 300
USER_SYMBOLS = ["<sep>", "@@", "http", "ht"]
# Long texts whose Unigram path scores pass -100000 (sentencepiece 0.2.3 then re-bases them):
# unknown characters cost about -20 each.
LONG_TEXTS = ["\u2603" * 6000 + " the quick brown fox jumps over the lazy dog" * 5 + " " + "\u2603" * 6000
              + " @@@ http ht x@@y" * 5 + " \u2603\u2603 abc" * 20]
# Texts for user.model (then the first 200 corpus lines): user-defined symbols inside words, at the
# start, overlapping ("http" and "ht"), next to spaces; the control symbol typed (not matched).
USER_TEXTS = ["a<sep>b", "<sep>", " <sep> x ", "http://x.org ht htt", "@@@ x@@y", "<ctl> text<ctl>", "hthttp",
              "  leading and trailing  ", "\tTab\u3000ideographic space", "naïve café", ""]


def check() -> None:
    import importlib.metadata

    from fixture_common import check_versions

    check_versions()
    installed = importlib.metadata.version("sentencepiece")
    if installed != SENTENCEPIECE_VERSION:
        sys.exit(f"error: sentencepiece {SENTENCEPIECE_VERSION} pinned, {installed} installed")


def lines(path: Path) -> list[str]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def train(corpus: list[str], out: Path, **options) -> None:
    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmp:
        text = os.path.join(tmp, "corpus.txt")
        with open(text, "w", encoding="utf-8", newline="\n") as f:
            for t in corpus:
                for line in t.splitlines():
                    if line.strip():
                        f.write(line + "\n")
        prefix = os.path.join(tmp, "spm")
        spm.set_random_generator_seed(14)
        spm.SentencePieceTrainer.train(input=text, model_prefix=prefix, num_threads=1, minloglevel=2,
                                       max_sentence_length=100000, **options)
        # The trainer writes its input path and model prefix (temporary names) into trainer_spec:
        # clear them so that the file's bytes are the same every run.
        from sentencepiece import sentencepiece_model_pb2 as model_pb2

        proto = model_pb2.ModelProto()
        proto.ParseFromString(Path(prefix + ".model").read_bytes())
        del proto.trainer_spec.input[:]
        proto.trainer_spec.model_prefix = ""
        out.write_bytes(proto.SerializeToString())


def expected(model: Path, texts: list[str]) -> list[dict]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(model))
    rows = []
    for text in texts:
        proto = sp.encode(text, return_type="proto")
        offsets = []
        for piece in proto.pieces:
            offsets += [piece.begin, piece.end]
        ids = [piece.id for piece in proto.pieces]
        assert ids == sp.encode(text), text
        rows.append({"ids": ids, "offsets": offsets})
    return rows


def write_jsonl(path: Path, rows: list) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


def marian(texts: list[str]) -> None:
    import sentencepiece as spm
    from transformers import MarianTokenizer

    tmp = tempfile.TemporaryDirectory()
    directory = Path(tmp.name)
    shutil.copyfile(HERE / "unigram.model", directory / "source.spm")
    shutil.copyfile(HERE / "bpe.model", directory / "target.spm")
    vocab = {"</s>": 0, "<unk>": 1}
    for name in ("unigram.model", "bpe.model"):
        sp = spm.SentencePieceProcessor(model_file=str(HERE / name))
        for i in range(sp.get_piece_size()):
            if sp.is_control(i) or sp.is_unknown(i):
                continue
            vocab.setdefault(sp.id_to_piece(i), len(vocab))
    vocab["<pad>"] = len(vocab)
    text = json.dumps(vocab, ensure_ascii=False, indent=1) + "\n"
    (directory / "vocab.json").write_text(text, encoding="utf-8")
    (HERE / "marian-vocab.json").write_text(text, encoding="utf-8")
    tok = MarianTokenizer(vocab=str(directory / "vocab.json"), source_spm=str(directory / "source.spm"),
                          target_spm=str(directory / "target.spm"), source_lang="en", target_lang="en")
    rows = []
    for text in texts[:MARIAN_LINES]:
        rows.append({"source": tok(text)["input_ids"], "target": tok(text_target=text)["input_ids"]})
    write_jsonl(HERE / "marian_expected.jsonl", rows)
    tmp.cleanup()


def main() -> None:
    check()
    corpus = lines(FIXTURES / "tokenizer" / "corpus.jsonl")
    fuzz = lines(FIXTURES / "tokenizer" / "fuzz.jsonl")
    random.seed(14)
    train(corpus, HERE / "unigram.model", vocab_size=600, model_type="unigram", hard_vocab_limit=False,
          seed_sentencepiece_size=20000, character_coverage=0.98)
    train(corpus, HERE / "bpe.model", vocab_size=1000, model_type="bpe", normalization_rule_name="identity",
          remove_extra_whitespaces=False, byte_fallback=True, split_digits=True, hard_vocab_limit=False,
          character_coverage=0.98)
    train(corpus, HERE / "user.model", vocab_size=1000, model_type="unigram", normalization_rule_name="identity",
          user_defined_symbols=USER_SYMBOLS, control_symbols=["<ctl>"], hard_vocab_limit=False,
          character_coverage=0.98)
    for name in ("unigram", "bpe"):
        write_jsonl(HERE / f"{name}_expected.jsonl", expected(HERE / f"{name}.model", corpus + fuzz))
    write_jsonl(HERE / "user_expected.jsonl", expected(HERE / "user.model", USER_TEXTS + corpus[:200]))
    write_jsonl(HERE / "long_expected.jsonl", [expected(HERE / f"{name}.model", LONG_TEXTS) for name in ("unigram", "user")])
    marian(corpus)
    print("wrote", ", ".join(sorted(p.name for p in HERE.iterdir())))


if __name__ == "__main__":
    main()
