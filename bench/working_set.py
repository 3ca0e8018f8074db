#!/usr/bin/env python3
"""One request's working set, measured: for each T and request kind, a fresh `heed serve`
(--max-memory 8G: nothing refused or trimmed, --log-level debug) loads the model, its peak
resident memory is reset (`5` into /proc/PID/clear_refs), one request on a new T-token text is
sent, and the peak growth (VmHWM after - VmRSS before) is printed next to the daemon's own
estimate (its debug log: `working set N bytes (text, forward, analysis, response)`) and the
sizes it measured (forward taps, outputs, response). A benchmark, not a test: stdlib only.

    python3 bench/working_set.py .build/release/heed [--model minilm] [--tokens 128,400,512] [--only binary]

(`--only TEXT`: only the request kinds whose name contains TEXT.) For `format: "binary"` the
measured response is the JSON body; the attachment is written from the outputs.
"""
import re, sys, time

from daemon_pipe import DaemonPipe

def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default

FOUR = ["attention", "norm", "norm-summed", "attn-res-ln"]
KINDS = [
    ("highlight norm-summed", "highlight", {"method": "norm-summed"}),
    ("highlight attention", "highlight", {"method": "attention"}),
    ("analyze 4 methods, heads mean, base64", "analyze", {"methods": FOUR, "heads": "mean", "format": "base64"}),
    ("analyze 4 methods, heads mean, nested", "analyze", {"methods": FOUR, "heads": "mean", "format": "nested"}),
    ("analyze 4 methods, heads all, base64", "analyze", {"methods": FOUR, "heads": "all", "format": "base64"}),
    ("analyze 4 methods, heads all, nested", "analyze", {"methods": FOUR, "heads": "all", "format": "nested"}),
    ("analyze 4 methods, heads mean, binary", "analyze", {"methods": FOUR, "heads": "mean", "format": "binary"}),
    ("analyze 4 methods, heads all, binary", "analyze", {"methods": FOUR, "heads": "all", "format": "binary"}),
]

def text_of(tokens):
    # One MiniLM token per word, plus [CLS] and [SEP]: exactly `tokens`.
    return " ".join((["river", "garden", "window", "letter", "engine", "harbour", "winter", "people"] * tokens)[:tokens - 2])

def main():
    heed = sys.argv[1]
    model = arg("--model", "minilm")
    print("| T | request | estimate MB (text + forward + analysis + response) | measured: taps, outputs, response MB | peak growth MB |")
    print("|---|---|---|---|---|")
    for T in [int(t) for t in arg("--tokens", "128,400,512").split(",")]:
        for name, kind, extra in KINDS:
            if arg("--only", "") not in name:
                continue
            daemon = DaemonPipe(heed, "--max-memory", "8G", "--log-level", "debug", capture_stderr=True)
            def status(key):
                return daemon.status_kib(key)[key] * 1024
            call = daemon.call
            call(0, "initialize", {})
            call(1, "heed/loadModel", {"model": model})
            text = text_of(T)
            params = {"model": model, "text": text, **extra}
            if kind == "highlight": params["focus"] = {"start": 3, "end": 3}
            time.sleep(0.2)
            before = status("VmRSS")
            with open(f"/proc/{daemon.pid}/clear_refs", "w") as f: f.write("5")
            body = call(2, f"heed/{kind}", params)
            peak = status("VmHWM")
            log = daemon.close()
            assert b'"error"' not in body[:200], body[:300]
            ws = re.search(r"working set (\d+) bytes \(text (\d+), forward (\d+), analysis (\d+), response (\d+)\)", log)
            taps = re.search(r"taps (\d+) bytes", log)
            outs = re.search(r"outputs (\d+) bytes, response (\d+) bytes", log)
            mb = lambda b: f"{int(b) / 1e6:.1f}"
            est = f"{mb(ws[1])} ({mb(ws[2])} + {mb(ws[3])} + {mb(ws[4])} + {mb(ws[5])})"
            measured = f"{mb(taps[1])}, " + (f"{mb(outs[1])}, {mb(outs[2])}" if outs else f"-, {mb(len(body))}")
            print(f"| {T} | {name} | {est} | {measured} | {mb(peak - before)} |", flush=True)

main()
