"""A GGUF file with a SentencePiece ("llama") tokenizer, and llama.cpp's tokenization of it.

Run with the project's pinned venv (Tests/Fixtures/requirements.txt: gguf 0.19.0, transformers
5.23.0; sentencepiece 0.2.3, checked below):

    /tmp/perf-venv/bin/python Tests/Fixtures/sentencepiece/generate_gguf_spm_fixtures.py

Writes, in this folder:
- `bpe-llama.gguf`: the tokenizer keys llama.cpp's convert_hf_to_gguf.py (`_set_vocab_sentencepiece`)
  writes for a SentencePiece model, taken from `bpe.model` (its 1000 pieces, scores and types:
  unknown 0, control 1 and 2, 256 byte pieces, normal): `tokenizer.ggml.model` "llama",
  `.tokens`, `.scores`, `.token_type`, `.bos_token_id` 1, `.eos_token_id` 2,
  `.unknown_token_id` 0, `.add_bos_token` true, `.add_eos_token` false, `.add_space_prefix`
  (bpe.model's add_dummy_prefix, true); `general.architecture` "llama" with block_count,
  head_count, embedding_length and context_length but no tensors (a tokenizer-only model for Heed);
- `gguf_spm_expected.json`: the reference tokenization, llama.cpp's SPM tokenizer
  (src/llama-vocab.cpp `llama_vocab::impl::tokenize`, LLAMA_VOCAB_TYPE_SPM, parse_special true;
  `tokenizer_st_partition`; `llm_tokenizer_spm_session`), transcribed below (`LlamaCppSPM`) and run
  on the arrays read back from the GGUF (check_gguf_spm_llama_cpp.py compares the transcription
  with llama.cpp itself, as llama-cpp-python 0.3.36 builds it: every text, with and without BOS,
  the same ids). llama.cpp gives no offsets: a piece's offsets are the
  `sentencepiece` package's for the text fragment it comes from (bpe.model, whose add_dummy_prefix
  gives the fragment the same leading U+2581 llama.cpp's add_space_prefix does), checked to give
  the same ids. On every line of Tests/Fixtures/tokenizer/corpus.jsonl and fuzz.jsonl llama.cpp's
  ids equal `bpe_expected.jsonl`'s (sentencepiece on the whole text) except where the text types a
  control or unknown piece (`<s>`, `</s>`, `<unk>`); the file lists those lines in full:
  `{"versions", "gguf_sha256", "bos_id", "eos_id", "differing": [{"corpus", "line", "text", "ids",
  "offsets"}], "extra": [{"text", "ids", "offsets"}]}` with ids without BOS/EOS and offsets as
  flat UTF-8 pairs [begin0, end0, ...]; `extra` are the EXTRA_TEXTS below (odd whitespace, leading
  spaces, emoji, bytes without a piece, typed special tokens), then FUZZ_COUNT seeded random
  texts made of FUZZ_ALPHABET parts; `variant`: `{"retype": {id: token_type}, "rows": [...]}`, the
  same for a vocabulary with VARIANT_USER_DEFINED retyped 4 and VARIANT_UNUSED retyped 5;
- `gguf_spm_loader_differences.jsonl`: every text (corpus, fuzz, extra) where transformers 5.23.0's
  GGUF loader (`AutoTokenizer.from_pretrained(dir, gguf_file=...)`, `tok(text).input_ids`) differs
  from llama.cpp: `{"corpus", "line", "text", "ids_gguf_loader", "ids"}` (both with BOS).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent
sys.path.insert(0, str(FIXTURES))

SENTENCEPIECE_VERSION = "0.2.3"
GGUF_NAME = "bpe-llama.gguf"
EXTRA_TEXTS = [
    "", " ", "  ", "\t", "\n", " \n ", "Hello world", " Hello world", "   three leading spaces",
    "trailing spaces   ", "tabs\tand\nnewlines\r\n", "a  b   c    d", "\u3000ideographic\u3000space",
    "\u00a0no-break\u00a0space", "emoji 👍🏽 and 🇫🇷 flags", "😀😀😀", "\u2603 snowman", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "zero\u200bwidth", "combining e\u0301 and a\u030a", "中文字符 和 日本語", "العربية", "▁already▁escaped",
    "<0x41> typed byte piece", "\u0000\u0001\u007f controls", "ﬁ ligature", "<s>", "</s>", "<unk>",
    "<s> after bos", "text <s> middle </s> end", "</s></s>", "a<s>b", " <s> ", "<s>\n", "<unk>x<unk>",
    "<<s>>", "<s", "s>", "1234567890 digits", "x" * 200,
]
# The variant vocabulary: bpe.model with two normal pieces retyped user-defined (4: llama.cpp cuts
# them out of the text first, and the text after one gets the space prefix) and two retyped unused
# (5: still merge results in llama.cpp); its rows are EXTRA_TEXTS then the first VARIANT_LINES
# corpus lines.
VARIANT_USER_DEFINED = ["ing", "ll"]
VARIANT_UNUSED = ["er", "\u2581the"]
VARIANT_LINES = 100
FUZZ_COUNT = 300
# Pieces of the seeded fuzz: whitespace runs, letters and words of the corpus, emoji, characters
# without a piece (byte fallback), U+2581 typed, the control and unknown pieces and parts of them.
FUZZ_ALPHABET = [" ", " ", "  ", "   ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\u2581", "a", "e", "t", "th", "the",
                 "ing", "Hello", "world", "é", "ö", "中", "ß", "👍", "👍🏽", "🇫🇷", "\u2603", "\U0001d518", "\u200b",
                 "\u0301", "\x00", "\x7f", "1", "42", ".", ",", "'", "<s>", "</s>", "<unk>", "<", ">", "s", "/"]


def fuzz_texts() -> list[str]:
    """FUZZ_COUNT texts of 0 to 12 FUZZ_ALPHABET parts, seeded: the same texts every run."""
    import random

    rng = random.Random(2026)
    return ["".join(rng.choice(FUZZ_ALPHABET) for _ in range(rng.randint(0, 12))) for _ in range(FUZZ_COUNT)]


def check() -> dict[str, str]:
    import importlib.metadata

    from fixture_common import check_versions

    versions = check_versions()
    installed = importlib.metadata.version("sentencepiece")
    if installed != SENTENCEPIECE_VERSION:
        sys.exit(f"error: sentencepiece {SENTENCEPIECE_VERSION} pinned, {installed} installed")
    return {name: versions[name] for name in ("gguf", "transformers", "tokenizers")} | {"sentencepiece": installed}


def lines(path: Path) -> list:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_gguf(path: Path, retype: dict[int, int] | None = None) -> None:
    """`retype`: token id -> the token_type written instead of bpe.model's (the VARIANT)."""
    import gguf
    from sentencepiece import sentencepiece_model_pb2 as model_pb2

    proto = model_pb2.ModelProto()
    proto.ParseFromString((HERE / "bpe.model").read_bytes())
    assert proto.trainer_spec.model_type == model_pb2.TrainerSpec.BPE and proto.trainer_spec.byte_fallback
    tokens = [p.piece for p in proto.pieces]
    types = [int(p.type) for p in proto.pieces]
    for token_id, token_type in (retype or {}).items():
        types[token_id] = token_type
    assert types[:3] == [2, 3, 3] and tokens[:3] == ["<unk>", "<s>", "</s>"], (tokens[:3], types[:3])
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(1)
    writer.add_head_count(1)
    writer.add_embedding_length(8)
    writer.add_context_length(64)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([p.score for p in proto.pieces])
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_add_space_prefix(proto.normalizer_spec.add_dummy_prefix)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def read_gguf(path: Path) -> dict:
    import gguf

    reader = gguf.GGUFReader(str(path))

    def field(key):
        f = reader.fields[key]
        return f.contents()

    return {
        "tokens": field("tokenizer.ggml.tokens"),
        "scores": field("tokenizer.ggml.scores"),
        "types": field("tokenizer.ggml.token_type"),
        "bos": field("tokenizer.ggml.bos_token_id"),
        "eos": field("tokenizer.ggml.eos_token_id"),
        "add_bos": field("tokenizer.ggml.add_bos_token"),
        "add_eos": field("tokenizer.ggml.add_eos_token"),
        "add_space_prefix": field("tokenizer.ggml.add_space_prefix"),
    }


class LlamaCppSPM:
    """llama.cpp's SPM tokenizer (src/llama-vocab.cpp), transcribed on UTF-8 bytes."""

    def __init__(self, vocab: dict):
        self.tokens = [t.encode("utf-8") for t in vocab["tokens"]]
        self.scores = vocab["scores"]
        self.types = vocab["types"]
        self.token_to_id = {t: i for i, t in enumerate(self.tokens)}
        self.vocab = vocab
        # cache_special_tokens: CONTROL | USER_DEFINED | UNKNOWN, longest first (ties by id: std::sort
        # leaves them in no set order; this vocabulary has no two of one length).
        self.special = sorted((i for i, t in enumerate(self.types) if t in (2, 3, 4)),
                              key=lambda i: (-len(self.tokens[i]), i))

    def partition(self, raw: bytes) -> list:
        """tokenizer_st_partition (parse_special true): ("text", begin, end) and ("token", id, begin, end)."""
        if not raw:
            return []
        fragments = [("text", 0, len(raw))]
        for sid in self.special:
            needle = self.tokens[sid]
            out = []
            for frag in fragments:
                if frag[0] != "text":
                    out.append(frag)
                    continue
                begin, end = frag[1], frag[2]
                start = begin
                while True:
                    match = raw.find(needle, start, end)
                    if match < 0:
                        break
                    if match > start:
                        out.append(("text", start, match))
                    out.append(("token", sid, match, match + len(needle)))
                    start = match + len(needle)
                if start < end:
                    out.append(("text", start, end))
            fragments = out
        return fragments

    def session(self, text: bytes) -> list[int]:
        """llm_tokenizer_spm_session::tokenize."""
        symbols = []  # [begin, n, prev, next]
        offs = 0
        while offs < len(text):
            lead = text[offs]
            length = 1 if lead < 0x80 else 2 if lead >> 5 == 6 else 3 if lead >> 4 == 14 else 4 if lead >> 3 == 30 else 1
            n = min(length, len(text) - offs)
            symbols.append([offs, n, len(symbols) - 1, -1 if offs + n == len(text) else len(symbols) + 1])
            offs += n
        queue = []
        rev_merge = {}

        def try_add_bigram(left, right):
            if left == -1 or right == -1:
                return
            piece = text[symbols[left][0]:symbols[left][0] + symbols[left][1] + symbols[right][1]]
            token = self.token_to_id.get(piece)
            if token is None:
                return
            # priority: higher score first, then smaller left index
            heapq.heappush(queue, (-self.scores[token], left, right, len(piece)))
            rev_merge[piece] = (left, right)

        for i in range(1, len(symbols)):
            try_add_bigram(i - 1, i)
        while queue:
            _, left, right, size = heapq.heappop(queue)
            ls, rs = symbols[left], symbols[right]
            if ls[1] == 0 or rs[1] == 0 or ls[1] + rs[1] != size:
                continue
            ls[1] += rs[1]
            rs[1] = 0
            ls[3] = rs[3]
            if rs[3] >= 0:
                symbols[rs[3]][2] = left
            try_add_bigram(ls[2], left)
            try_add_bigram(left, ls[3])
        output = []

        def resegment(index):
            begin, n = symbols[index][0], symbols[index][1]
            piece = text[begin:begin + n]
            token = self.token_to_id.get(piece)
            if token is not None:
                output.append(token)
                return
            if piece not in rev_merge:
                for byte in piece:
                    output.append(self.token_to_id[f"<0x{byte:02X}>".encode()])
                return
            resegment(rev_merge[piece][0])
            resegment(rev_merge[piece][1])

        i = 0 if symbols else -1
        while i != -1:
            resegment(i)
            i = symbols[i][3]
        return output

    def tokenize(self, text: str, add_special: bool) -> tuple[list[int], list]:
        """llama_vocab::impl::tokenize, SPM case; also the fragments."""
        raw = text.encode("utf-8")
        output = []
        fragments = self.partition(raw)
        if add_special and self.vocab["add_bos"]:
            output.append(self.vocab["bos"])
        is_prev_special = True
        for frag in fragments:
            if frag[0] == "text":
                piece = (b" " if self.vocab["add_space_prefix"] and is_prev_special else b"") + raw[frag[1]:frag[2]]
                output += self.session(piece.replace(b" ", "\u2581".encode()))
                is_prev_special = False
            else:
                output.append(frag[1])
                is_prev_special = True
        if add_special and self.vocab["add_eos"]:
            output.append(self.vocab["eos"])
        return output, fragments


def variant_retype(tokens: list[str]) -> dict[int, int]:
    """The VARIANT's token id -> token_type."""
    return {tokens.index(t): 4 for t in VARIANT_USER_DEFINED} | {tokens.index(t): 5 for t in VARIANT_UNUSED}


def main() -> None:
    versions = check()
    import sentencepiece as spm

    gguf_path = HERE / GGUF_NAME
    write_gguf(gguf_path)
    vocab = read_gguf(gguf_path)
    assert vocab["add_space_prefix"] is True and vocab["add_bos"] is True and vocab["add_eos"] is False
    llama = LlamaCppSPM(vocab)
    sp = spm.SentencePieceProcessor(model_file=str(HERE / "bpe.model"))

    def with_offsets(text: str, llama: LlamaCppSPM = llama) -> dict:
        """llama.cpp's ids (no BOS/EOS) and, per fragment, sentencepiece's offsets."""
        ids, fragments = llama.tokenize(text, add_special=False)
        raw = text.encode("utf-8")
        check_ids, offsets = [], []
        for frag in fragments:
            if frag[0] == "token":
                check_ids.append(frag[1])
                offsets += [frag[2], frag[3]]
                continue
            proto = sp.encode(raw[frag[1]:frag[2]].decode("utf-8"), return_type="proto")
            for piece in proto.pieces:
                check_ids.append(piece.id)
                offsets += [frag[1] + piece.begin, frag[1] + piece.end]
        assert check_ids == ids, (text, ids, check_ids)
        return {"ids": ids, "offsets": offsets}

    corpus = lines(FIXTURES / "tokenizer" / "corpus.jsonl")
    fuzz = lines(FIXTURES / "tokenizer" / "fuzz.jsonl")
    bpe_expected = lines(HERE / "bpe_expected.jsonl")
    assert len(bpe_expected) == len(corpus) + len(fuzz)
    differing = []
    rows_by_text = {}
    for name, texts, base in [("corpus", corpus, 0), ("fuzz", fuzz, len(corpus))]:
        for n, text in enumerate(texts):
            row = with_offsets(text)
            rows_by_text[(name, n)] = row
            if row != bpe_expected[base + n]:
                differing.append({"corpus": name, "line": n, "text": text} | row)
    for d in differing:
        assert any(s in d["text"] for s in ("<s>", "</s>", "<unk>")), d
    extra_texts = EXTRA_TEXTS + fuzz_texts()
    extra = [{"text": text} | with_offsets(text) for text in extra_texts]
    retype = variant_retype(vocab["tokens"])
    variant = LlamaCppSPM(dict(vocab, types=[retype.get(i, t) for i, t in enumerate(vocab["types"])]))
    variant_rows = [{"text": text} | with_offsets(text, variant) for text in EXTRA_TEXTS + corpus[:VARIANT_LINES]]
    digest = hashlib.sha256(gguf_path.read_bytes()).hexdigest()
    out = {"versions": versions, "gguf_sha256": digest, "bos_id": vocab["bos"], "eos_id": vocab["eos"],
           "differing": differing, "extra": extra,
           "variant": {"retype": {str(k): v for k, v in sorted(retype.items())}, "rows": variant_rows}}
    with open(HERE / "gguf_spm_expected.json", "w", encoding="utf-8", newline="\n") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")

    # transformers' GGUF loader on the same file.
    from transformers import AutoTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(gguf_path, os.path.join(tmp, GGUF_NAME))
        loader = AutoTokenizer.from_pretrained(tmp, gguf_file=GGUF_NAME)
    differences = []
    for name, texts in [("corpus", corpus), ("fuzz", fuzz), ("extra", extra_texts)]:
        for n, text in enumerate(texts):
            ids, _ = llama.tokenize(text, add_special=True)
            theirs = loader(text)["input_ids"]
            if theirs != ids:
                differences.append({"corpus": name, "line": n, "text": text, "ids_gguf_loader": theirs, "ids": ids})
    with open(HERE / "gguf_spm_loader_differences.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for row in differences:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{GGUF_NAME}: {gguf_path.stat().st_size} bytes, sha256 {digest}")
    print(f"llama.cpp differs from sentencepiece on {len(differing)} corpus/fuzz lines (typed <s>, </s>, <unk>)")
    print(f"transformers' GGUF loader differs from llama.cpp on {len(differences)} texts "
          f"({sum(d['corpus'] == 'corpus' for d in differences)} corpus, "
          f"{sum(d['corpus'] == 'fuzz' for d in differences)} fuzz, "
          f"{sum(d['corpus'] == 'extra' for d in differences)} extra)")


if __name__ == "__main__":
    main()
