#!/usr/bin/env python3
"""Greedy decoding fixtures for the tiny Marian model (issue 14) from PyTorch + transformers 5.23.0.

    /tmp/perf-venv/bin/python Tests/Fixtures/generate_marian_greedy_fixtures.py

Run after generate_marian_fixtures.py (it reads Tests/Fixtures/models/tiny-marian and changes
nothing there but greedy.json). Writes Tests/Fixtures/models/tiny-marian/greedy.json:

    cases    per case: the source text and its ids (tok(source)), the generation settings, the
             sequence `model.generate(input_ids, num_beams=1, do_sample=False, max_new_tokens=N,
             **settings)` returns (decoder_start_token_id first), its text
             (`tok.decode(ids, skip_special_tokens=True)`) and the smallest gap between the
             largest and second-largest processed logit over the steps (how far each argmax is from
             a tie: the Swift test's ids are exact only while this is well above float error).
             Settings: `bad_words_ids` (as real opus-mt checkpoints set [[pad]]; here the tokens the
             random model repeats, for more varied output), `min_length`, and `eos_logit_bias`, a
             number added to final_logits_bias[eos] in memory (no file changes), so that decoding
             stops at `</s>` before the length bound; no `max_new_tokens`: generate's default
             bound (20 new tokens).
    decode   per id list: `tok.decode(ids, skip_special_tokens=True)` (transformers' default: the
             source SentencePiece model when the vocabulary is shared), with
             `use_source_tokenizer=False` (the target model), and with `skip_special_tokens=False`.

The model was saved without generation_config.json, so generate's settings come from config.json
(GenerationConfig.from_model_config): decoder_start_token_id = pad = 1131, eos_token_id 0,
forced_eos_token_id 0 (ForcedEOSTokenLogitsProcessor: at the last step allowed by
max_length = 1 + max_new_tokens only `</s>` remains), no bad_words_ids. The random model repeats
one token: the text is gibberish, but deterministic. float32, CPU, eval mode, eager attention, one
thread; the script refuses to run when the installed packages differ from requirements.txt.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent
MODEL = FIXTURES / "models" / "tiny-marian"

from fixture_common import check_versions, write_json  # noqa: E402

VERSIONS = check_versions()

import torch  # noqa: E402
from transformers import MarianMTModel, MarianTokenizer  # noqa: E402

REPEATED = [[201], [427], [154], [383]]  # the tokens the random model repeats without bad_words_ids

CASES = [
    ("fox", "The quick brown fox jumps over the lazy dog.", {"max_new_tokens": 12}),
    ("hello", "Hello", {"max_new_tokens": 12}),
    ("times", "It was the best of times.", {"max_new_tokens": 12}),
    ("a", "a", {"max_new_tokens": 12}),
    ("empty", "", {"max_new_tokens": 12}),
    ("bound3", "Hello", {"max_new_tokens": 3}),
    ("bound1", "Hello", {"max_new_tokens": 1}),
    ("banned-morning", "Good morning, how are you?", {"max_new_tokens": 12, "bad_words_ids": REPEATED}),
    ("banned-hello", "Hello", {"max_new_tokens": 12, "bad_words_ids": REPEATED}),
    ("banned-paris", "I love Paris in the spring.", {"max_new_tokens": 12, "bad_words_ids": REPEATED}),
    ("eos-fox", "The quick brown fox jumps over the lazy dog.",
     {"max_new_tokens": 12, "bad_words_ids": REPEATED, "eos_logit_bias": 3.2}),
    ("eos-shells", "She sells sea shells.", {"max_new_tokens": 12, "eos_logit_bias": 3.65}),
    ("eos-123-late", "1 2 3", {"max_new_tokens": 12, "bad_words_ids": REPEATED, "eos_logit_bias": 2.95}),
    ("min-length", "She sells sea shells.", {"max_new_tokens": 12, "eos_logit_bias": 3.65, "min_length": 6}),
    ("default-bound", "Hello", {}),
]


def main() -> None:
    torch.set_num_threads(1)
    tok = MarianTokenizer(vocab=str(MODEL / "vocab.json"), source_spm=str(MODEL / "source.spm"),
                          target_spm=str(MODEL / "target.spm"), source_lang="en", target_lang="de")
    model = MarianMTModel.from_pretrained(str(MODEL), attn_implementation="eager").eval()
    generation = model.generation_config
    assert generation.bad_words_ids is None and generation.forced_eos_token_id == 0, generation
    bias = model.final_logits_bias.clone()
    eos = tok.eos_token_id

    cases = []
    generated = []
    for name, source, settings in CASES:
        kwargs = {k: v for k, v in settings.items() if k != "eos_logit_bias"}
        with torch.no_grad():
            model.final_logits_bias.copy_(bias)
            model.final_logits_bias[0, eos] += settings.get("eos_logit_bias", 0.0)
            input_ids = torch.tensor([tok(source)["input_ids"]])
            out = model.generate(input_ids, num_beams=1, do_sample=False, output_scores=True,
                                 return_dict_in_generate=True, **kwargs)
        ids = out.sequences[0].tolist()
        gaps = []
        for scores in out.scores:
            top = scores[0].topk(2).values
            gaps.append(float(top[0] - top[1]))
        finite = [g for g in gaps if g != float("inf")]
        cases.append({"name": name, "source": source, "source_ids": input_ids[0].tolist(), "settings": settings,
                      "ids": ids, "text": tok.decode(ids, skip_special_tokens=True),
                      "min_gap": round(min(finite), 6) if finite else None})
        generated.append(ids)
    with torch.no_grad():
        model.final_logits_bias.copy_(bias)

    manifest = __import__("json").loads((MODEL / "manifest.json").read_text())
    vocab = tok.encoder
    byte = lambda b: vocab[f"<0x{b:02X}>"]  # noqa: E731
    lists = [c["target_ids"] for c in manifest["cases"]] + generated + [
        [vocab["▁the"], vocab["▁a"], eos],                       # leading ▁ consumed, later ones spaces
        [byte(0xC3), byte(0xA9), vocab["▁the"]],                 # byte pieces forming é (target model)
        [byte(0xC3), vocab["▁the"], byte(0xFF)],                 # invalid UTF-8 bytes
        [vocab["▁the"], tok.pad_token_id, vocab["▁a"], tok.unk_token_id, eos, vocab["s"]],  # specials inside
        [vocab["▁"], vocab["▁"], vocab["s"]],                     # bare ▁ pieces
        [tok.pad_token_id, eos],                                  # nothing but specials
        [],
    ]
    decode = []
    for ids in lists:
        decode.append({"ids": ids, "text": tok.decode(ids, skip_special_tokens=True),
                       "target_spm": tok.decode(ids, skip_special_tokens=True, use_source_tokenizer=False),
                       "keep_special": tok.decode(ids, skip_special_tokens=False)})
    versions = dict(VERSIONS)
    versions["sentencepiece"] = importlib.metadata.version("sentencepiece")
    write_json(MODEL / "greedy.json", {
        "format": 1, "versions": versions, "decoder_start": generation.decoder_start_token_id, "eos": eos,
        "pad": tok.pad_token_id, "forced_eos": generation.forced_eos_token_id, "cases": cases, "decode": decode,
    })
    for c in cases:
        print(f"{c['name']:>15} {len(c['ids']) - 1:2d} new, gap {c['min_gap']}: {c['text']!r}")


if __name__ == "__main__":
    main()
