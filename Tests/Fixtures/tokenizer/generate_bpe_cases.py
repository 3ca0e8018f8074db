#!/usr/bin/env python3
"""Targeted BPE cases for Heed (issue 10): small tokenizers built here, their expected outputs from
the Rust library, written to bpe_cases.json; and tokenizers built from GGUF tokenizer metadata,
written to ggml_cases.json.

Run with the project's pinned venv (transformers 5.23.0, tokenizers 0.23.3, gguf 0.19.0):

    /tmp/perf-venv/bin/python Tests/Fixtures/tokenizer/generate_bpe_cases.py

bpe_cases.json: a list of {"name", "tokenizer": <tokenizer.json text>, "texts": [...],
"expected": [{"ids", "tokens", "words", "offsets"}]} where each expected line is
`Tokenizer.from_str(json).encode(text)` (scalar offsets, flat [s0, e0, ...]). The cases isolate what
the big pipelines may not reach: ties and stale queue entries in the merge order, scalars missing from
the vocabulary (dropped, shifting the offsets after them), fused and unfused unknown tokens, partial
byte fallback, prefix and suffix, ignore_merges, both merge forms, repeated merges, `#version` lines,
ByteLevel add_prefix_space with and without trim_offsets, RobertaProcessing with add_prefix_space.

ggml_cases.json: a list of {"name", "metadata": {GGMLTokenizerMetadata fields}, "texts", "expected":
[{"ids", "tokens", "offsets"}], "decoded": [tok.decode(ids) per text]}: each metadata set is written
to a GGUF file with gguf's GGUFWriter and loaded with transformers' `AutoTokenizer.from_pretrained(...,
gguf_file=...)` exactly as it builds a tokenizer from a GGUF, except for "smollm", whose pre-tokenizer
transformers does not map (it keeps GPT-2's ByteLevel): there the backend's pre-tokenizer is set to
SmolLM2's own Digits(individual) + ByteLevel, as the smollm2 fixture does.
"""

import json
import os
import tempfile

import gguf
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import AutoTokenizer
from transformers.convert_slow_tokenizer import bytes_to_unicode

HERE = os.path.dirname(os.path.abspath(__file__))
B2U = bytes_to_unicode()


def encode_rows(tok, texts):
    rows = []
    for text in texts:
        e = tok.encode(text)
        rows.append({"ids": e.ids, "tokens": e.tokens, "words": e.word_ids,
                     "offsets": [x for pair in e.offsets for x in pair]})
    return rows


def case(name, tok, texts):
    return {"name": name, "tokenizer": tok.to_str(), "texts": texts, "expected": encode_rows(tok, texts)}


def vocab_of(tokens):
    return {t: i for i, t in enumerate(tokens)}


def bpe_cases():
    cases = []

    # Ties go to the leftmost pair; a stale entry whose pair now makes another token is skipped.
    vocab = vocab_of(["a", "b", "c", "d", "aa", "ab", "bc", "cd", "abc", "bcd", "aaa", "aaaa", "abcd"])
    merges = [("b", "c"), ("a", "a"), ("a", "b"), ("c", "d"), ("a", "bc"), ("ab", "c"), ("aa", "a"), ("aa", "aa"),
              ("abc", "d"), ("b", "cd"), ("a", "bcd")]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    cases.append(case("merge_order", tok, ["a", "aa", "aaa", "aaaa", "aaaaa", "aaaaaaa", "abc", "abcd", "abcabc",
                                           "bcd", "aabcd", "abcdabcdaaa", "dcba", ""]))

    # Scalars missing from the vocabulary without an unknown token are dropped; the tokens after
    # them take the offsets of the bytes before (Rust adds up the lengths of the kept symbols).
    vocab = vocab_of(["a", "b", "é", "ab", "bé"])
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[("a", "b"), ("b", "é")]))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    cases.append(case("dropped_scalars", tok, ["aXb", "Xab", "abX", "a€b é", "ñéb ab", "XXX a", "a\u0301b"]))

    # Unknown token, fused and not.
    vocab = vocab_of(["[UNK]", "a", "b", "ab"])
    for fuse in (False, True):
        tok = Tokenizer(models.BPE(vocab=vocab, merges=[("a", "b")], unk_token="[UNK]", fuse_unk=fuse))
        cases.append(case(f"unknown_fuse_{str(fuse).lower()}", tok, ["aXYb", "XYZ", "abXab", "XaX", "é€a"]))

    # Byte fallback for some bytes only: a scalar whose bytes are not all there becomes [UNK].
    vocab = vocab_of(["[UNK]", "<0xC3>", "<0xA9>", "<0x41>", "a", "b", "ab"])
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[("a", "b")], unk_token="[UNK]", byte_fallback=True))
    cases.append(case("byte_fallback_partial", tok, ["aéb", "é€", "€é", "abé", "A", "€€a", "x€é"]))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[("a", "b")], byte_fallback=True))
    cases.append(case("byte_fallback_without_unknown", tok, ["aéb", "é€a", "€é"]))

    # Continuing-subword prefix and end-of-word suffix.
    vocab = vocab_of(["[UNK]", "a", "##a", "b", "##b", "a</w>", "##a</w>", "b</w>", "##b</w>", "ab", "##ab</w>",
                      "ab</w>", "##ba", "c"])
    merges = [("a", "##b"), ("##a", "##b</w>"), ("a", "##b</w>"), ("##b", "##a")]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="[UNK]", continuing_subword_prefix="##",
                               end_of_word_suffix="</w>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    cases.append(case("prefix_suffix", tok, ["a", "ab", "aab", "abab", "bab", "c", "ca", "ac", "a b ab"]))

    # ignore_merges: a word in the vocabulary is one token even when the merges would not make it.
    vocab = vocab_of(["a", "b", "c", "ab", "bc", "abc", "cab"])
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[("a", "b"), ("b", "c")], ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    cases.append(case("ignore_merges", tok, ["abc", "cab", "cabc", "bc a"]))

    # Merge forms, repeated merges (the last rank counts), "#version" lines, pair form.
    vocab = vocab_of(["a", "b", "c", "ab", "bc", "abc"])
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[("a", "b"), ("b", "c"), ("a", "b"), ("ab", "c")]))
    data = json.loads(tok.to_str())
    cases.append(case("repeated_merge", tok, ["abc", "abcabc"]))
    data["model"]["merges"] = ["#version: 0.2", "b c", "a b", "ab c"]
    cases.append(case("version_line", Tokenizer.from_str(json.dumps(data)), ["abc", "abcabc"]))

    # ByteLevel: add_prefix_space with trim_offsets on and off, use_regex off; RobertaProcessing.
    base = [B2U[b] for b in range(256)]
    vocab = vocab_of(base + ["Ġh", "Ġhi", "hi", "ĠĠ", "th", "Ġth", "er", "the", "Ġthe", "ther", "Ġther", "Ġthere"])
    merges = [("Ġ", "h"), ("Ġh", "i"), ("h", "i"), ("Ġ", "Ġ"), ("t", "h"), ("Ġ", "th"), ("e", "r"), ("th", "e"),
              ("Ġth", "e"), ("the", "r"), ("Ġthe", "r"), ("Ġther", "e")]
    texts = ["hi", " hi", "  hi", "hi  there ", "\thi\n", "", " ", "   ", "héllo wörld", "hi👋🏽 there", "hi\u00a0 there"]
    for add_prefix_space in (False, True):
        for trim in (False, True):
            tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space, use_regex=True)
            tok.post_processor = processors.ByteLevel(add_prefix_space=add_prefix_space, trim_offsets=trim)
            tok.decoder = decoders.ByteLevel()
            cases.append(case(f"byte_level_prefix_{str(add_prefix_space).lower()}_trim_{str(trim).lower()}", tok, texts))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=False)
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=True)
    cases.append(case("byte_level_no_regex", tok, texts))
    roberta_vocab = vocab_of(list(vocab) + ["<s>", "</s>", "<mask>"])
    tok = Tokenizer(models.BPE(vocab=roberta_vocab, merges=merges))
    tok.add_special_tokens(["<s>", "</s>", AddedToken("<mask>", lstrip=True, special=True)])
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.post_processor = processors.RobertaProcessing(("</s>", roberta_vocab["</s>"]), ("<s>", roberta_vocab["<s>"]),
                                                      trim_offsets=True, add_prefix_space=True)
    cases.append(case("roberta_prefix_space", tok, texts + ["hi <mask> there", "<mask>", " <s>hi"]))
    # A Sequence post-processor: trimming after the template sees the inserted token first.
    template_vocab = vocab_of(list(vocab) + ["<s>"])
    tok = Tokenizer(models.BPE(vocab=template_vocab, merges=merges))
    tok.add_special_tokens(["<s>"])
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.post_processor = processors.Sequence([
        processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", template_vocab["<s>"])]),
        processors.ByteLevel(add_prefix_space=True, trim_offsets=True),
    ])
    cases.append(case("sequence_template_then_trim", tok, texts))
    return cases


def write_gguf(path, m):
    w = gguf.GGUFWriter(path, "llama")
    w.add_block_count(1)
    w.add_context_length(64)
    w.add_embedding_length(8)
    w.add_feed_forward_length(8)
    w.add_head_count(1)
    w.add_tokenizer_model(m["model"])
    if m.get("pre") is not None:
        w.add_tokenizer_pre(m["pre"])
    w.add_token_list(m["tokens"])
    w.add_token_types(m["tokenTypes"])
    w.add_token_merges(m["merges"])
    for key, add in (("bosTokenID", w.add_bos_token_id), ("eosTokenID", w.add_eos_token_id),
                     ("unknownTokenID", w.add_unk_token_id), ("paddingTokenID", w.add_pad_token_id),
                     ("addBOSToken", w.add_add_bos_token), ("addEOSToken", w.add_add_eos_token)):
        if m.get(key) is not None:
            add(m[key])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def ggml_cases():
    base = [B2U[b] for b in range(256)]
    words = ["Ġh", "Ġhe", "ll", "Ġhell", "Ġhello", "ĠĠ", "Ġw", "or", "Ġwor", "ld", "Ġworld", "12", "Ġ1"]
    merges = ["Ġ h", "Ġh e", "l l", "Ġhe ll", "Ġhell o", "Ġ Ġ", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld", "1 2", "Ġ 1"]
    specials = ["<|endoftext|>", "<|im_start|>", "<think>", "[BOS]"]
    tokens = specials + base + words + ["two  spaces"]
    types = [3, 3, 4, 1] + [1] * len(base) + [1] * len(words) + [1]
    texts = ["hello world", " hello  world", "<|im_start|>hello<think> world<|endoftext|>", "[BOS] hello",
             "x   12 312", "héllo\n\nworld", "two  spaces", "<s> <|endoftext|>", "", "  ", "12345 world 1"]
    cases = []
    for name, pre, add_bos, add_eos in [("gpt2_bos", "gpt-2", True, False), ("default_eos", "default", False, True),
                                        ("llama_bpe", "llama-bpe", True, False), ("qwen2", "qwen2", False, False),
                                        ("smollm", "smollm", False, False)]:
        m = {"model": "gpt2", "pre": pre, "tokens": tokens, "tokenTypes": types, "merges": merges,
             "bosTokenID": 3, "eosTokenID": 0, "unknownTokenID": 0, "paddingTokenID": 0,
             "addBOSToken": add_bos, "addEOSToken": add_eos}
        with tempfile.TemporaryDirectory() as d:
            write_gguf(os.path.join(d, "t.gguf"), m)
            tok = AutoTokenizer.from_pretrained(d, gguf_file="t.gguf")
        if pre == "smollm":
            tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
        expected, decoded = [], []
        for text in texts:
            e = tok(text, return_offsets_mapping=True)
            expected.append({"ids": e["input_ids"], "tokens": tok.convert_ids_to_tokens(e["input_ids"]),
                             "offsets": [x for pair in e["offset_mapping"] for x in pair]})
            decoded.append(tok.decode(e["input_ids"]))
        cases.append({"name": name, "metadata": m, "texts": texts, "expected": expected, "decoded": decoded})
    return cases


def main():
    with open(os.path.join(HERE, "bpe_cases.json"), "w", encoding="utf-8") as f:
        json.dump(bpe_cases(), f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "ggml_cases.json"), "w", encoding="utf-8") as f:
        json.dump(ggml_cases(), f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
