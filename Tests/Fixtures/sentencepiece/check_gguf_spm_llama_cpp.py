"""Checks generate_gguf_spm_fixtures.py's transcription of llama.cpp's SPM tokenizer against llama.cpp
itself (llama-cpp-python 0.3.36, which builds llama.cpp from source). Optional: not in
requirements.txt, the fixtures do not need it. In a separate venv:

    python3 -m venv /tmp/llamacpp-venv
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \\
        /tmp/llamacpp-venv/bin/pip install llama-cpp-python==0.3.36 gguf==0.19.0 sentencepiece==0.2.3 protobuf
    /tmp/llamacpp-venv/bin/python Tests/Fixtures/sentencepiece/check_gguf_spm_llama_cpp.py 2>/dev/null

Loads bpe-llama.gguf vocabulary-only and compares `Llama.tokenize(text, add_bos, special=True)`
(llama_tokenize with add_special and parse_special) with the transcription and with
gguf_spm_expected.json on every corpus, fuzz and extra text, with and without BOS; and the
expected rows of the variant vocabulary (user-defined and unused tokens) with llama.cpp on a GGUF
written with that variant's token types.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

LLAMA_CPP_PYTHON_VERSION = "0.3.36"


def main() -> None:
    installed = importlib.metadata.version("llama-cpp-python")
    if installed != LLAMA_CPP_PYTHON_VERSION:
        sys.exit(f"error: llama-cpp-python {LLAMA_CPP_PYTHON_VERSION} pinned, {installed} installed")
    import llama_cpp

    import generate_gguf_spm_fixtures as gen

    gguf_path = HERE / gen.GGUF_NAME
    llm = llama_cpp.Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)
    transcription = gen.LlamaCppSPM(gen.read_gguf(gguf_path))
    corpus = gen.lines(HERE.parent / "tokenizer" / "corpus.jsonl")
    fuzz = gen.lines(HERE.parent / "tokenizer" / "fuzz.jsonl")
    extra = gen.EXTRA_TEXTS + gen.fuzz_texts()
    expected = json.loads((HERE / "gguf_spm_expected.json").read_text(encoding="utf-8"))
    assert [row["text"] for row in expected["extra"]] == extra
    failures = 0
    checked = 0
    for name, texts in [("corpus", corpus), ("fuzz", fuzz), ("extra", extra)]:
        for n, text in enumerate(texts):
            for add_bos in (False, True):
                theirs = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)
                ours, _ = transcription.tokenize(text, add_special=add_bos)
                checked += 1
                if theirs != ours:
                    failures += 1
                    if failures <= 5:
                        print(f"{name} {n} add_bos={add_bos} {text!r}:\n  llama.cpp     {theirs}\n  transcription {ours}")
    for row in expected["extra"]:
        if llm.tokenize(row["text"].encode("utf-8"), add_bos=False, special=True) != row["ids"]:
            failures += 1
            print(f"gguf_spm_expected.json extra {row['text']!r} differs from llama.cpp")
    # The variant vocabulary (user-defined and unused tokens), written to a temporary GGUF.
    import tempfile

    retype = {int(k): v for k, v in expected["variant"]["retype"].items()}
    assert retype == gen.variant_retype(transcription.vocab["tokens"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "variant.gguf"
        gen.write_gguf(path, retype)
        variant = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
        for row in expected["variant"]["rows"]:
            checked += 1
            theirs = variant.tokenize(row["text"].encode("utf-8"), add_bos=False, special=True)
            if theirs != row["ids"]:
                failures += 1
                if failures <= 10:
                    print(f"variant {row['text']!r}:\n  llama.cpp {theirs}\n  expected  {row['ids']}")
    print(f"{checked} tokenizations compared with llama.cpp (llama-cpp-python {installed}): {failures} differ")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
