#!/usr/bin/env python3
"""Reference side of `heed bench tokenize`: the Rust `tokenizers` library, called from Python,
encoding the same text as Heed, one timed encode per command, so that Heed can interleave its
rounds with the reference's.

Usage: tokenizer_worker.py MODEL TEXT_FILE
  MODEL: a directory holding tokenizer.json, or a .gguf file (its tokenizer is loaded by
  transformers' GGUF loader; for `tokenizer.ggml.pre` = smollm the pre-tokenizer is set to
  SmolLM2's own, Digits(individual_digits) + ByteLevel, as Heed and llama.cpp use it).
Commands (one per line; one answer line each, flushed):
  run    encodes the whole text once (add_special_tokens=True, offsets computed, as Heed's
         encode); answers "MS TOKENS" (wall time in ms, token count)
  info   answers "tokenizers VERSION"
  quit   exits
The first line written is "ready" once the tokenizer is loaded."""
import os
import sys
import time

import tokenizers
from tokenizers import Tokenizer
from tokenizers import pre_tokenizers as P

model, text_file = sys.argv[1], sys.argv[2]
if model.endswith(".gguf"):
    from transformers import AutoTokenizer
    import gguf

    tok = AutoTokenizer.from_pretrained(os.path.dirname(model), gguf_file=os.path.basename(model)).backend_tokenizer
    reader = gguf.GGUFReader(model)
    field = reader.fields.get("tokenizer.ggml.pre")
    pre = bytes(field.parts[field.data[0]]).decode() if field else None
    if pre == "smollm":
        tok.pre_tokenizer = P.Sequence([P.Digits(individual_digits=True),
                                        P.ByteLevel(add_prefix_space=False, use_regex=True)])
else:
    tok = Tokenizer.from_file(os.path.join(model, "tokenizer.json"))
tok.no_truncation()  # Heed never truncates (tokenizer.json's truncation and padding are ignored)
tok.no_padding()
text = open(text_file, encoding="utf-8", newline="").read()  # no newline translation: the same text as Heed
print("ready", flush=True)
for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "quit":
        break
    if parts[0] == "info":
        print("tokenizers", tokenizers.__version__, flush=True)
        continue
    if parts[0] == "run":
        t0 = time.perf_counter()
        encoding = tok.encode(text)
        ms = (time.perf_counter() - t0) * 1e3
        print(f"{ms:.3f} {len(encoding.ids)}", flush=True)
