#!/usr/bin/env python3
"""Issue 12's memory targets for a decoder, measured on a fresh `heed serve` (default limits):
resident memory just after `initialize`, after `heed/loadModel`, after one highlight of a short
text, and the peak (VmHWM) over a highlight of a T-token text (default 2048: its taps would be
4.9 GB if every layer's were kept; the daemon streams them). Also the load time. A benchmark,
not a test: stdlib only, Linux (/proc).

    python3 bench/decoder_memory.py .build/release/heed [--model smollm2] [--tokens 2048] [--method norm-summed]
"""
import json, os, sys, time

from daemon_pipe import DaemonPipe

WORDS = ("the river town woke slowly on winter mornings before sun cleared eastern hills baker had already "
         "lit his ovens and smell of fresh bread drifted down narrow streets toward harbour").split()


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def call(d, ident, method, params):
    r = json.loads(d.call(ident, method, params))
    if "error" in r:
        sys.exit(f"{method}: {r['error']}")
    return r["result"]


def text_of(d, model, tokens):
    """A text of exactly `tokens` tokens (words repeated, cut by the daemon's own tokenizer)."""
    words = " ".join(WORDS[i % len(WORDS)] for i in range(2 * tokens))
    toks = call(d, 90, "heed/tokenize", {"model": model, "text": words, "positionEncoding": "utf-8"})["tokens"]
    return words.encode()[:toks[tokens - 1]["end"]].decode()


def main():
    heed, model = sys.argv[1], arg("--model", "smollm2")
    T, method = int(arg("--tokens", "2048")), arg("--method", "norm-summed")
    d = DaemonPipe(heed)
    call(d, 1, "initialize", {"processId": None, "capabilities": {"general": {"positionEncodings": ["utf-8"]}}})
    mb = lambda k: d.status_kib(k)[k] / 1024
    r0 = mb("VmRSS")
    t = time.perf_counter()
    info = call(d, 2, "heed/loadModel", {"model": model})
    load_s = time.perf_counter() - t
    r1 = mb("VmRSS")
    short = "The capital of France is Paris, and the capital of Italy is"
    call(d, 3, "heed/highlight", {"model": model, "text": short, "focus": {"start": len(short) - 2, "end": len(short)}, "method": method})
    r2 = mb("VmRSS")
    long = text_of(d, model, T)
    with open(f"/proc/{d.pid}/clear_refs", "w") as f:
        f.write("5")
    t = time.perf_counter()
    n = len(long.encode())
    res = call(d, 4, "heed/highlight", {"model": model, "text": long, "focus": {"start": n - 3, "end": n}, "method": method})
    long_s = time.perf_counter() - t
    peak = mb("VmHWM")
    size = os.path.getsize(info["source"]) / 2**20 if os.path.isfile(info["source"]) else float("nan")
    print(f"model {model} ({info['source']}, {size:.1f} MB)  load {load_s:.3f} s")
    print(f"resident MB: after initialize {r0:.1f}, after loadModel {r1:.1f}, after a short highlight {r2:.1f}: "
          f"growth {r2 - r0:.1f} MB = {(r2 - r0) / size:.2f}x the file")
    print(f"highlight of {T} tokens ({method}, last layer): {long_s:.2f} s, {len(res['ranges'])} ranges, peak resident {peak:.1f} MB")
    d.close()


if __name__ == "__main__":
    main()
