#!/usr/bin/env python3
"""Issue 15's large-text case against `heed serve`: a highlight on "the cat sat on the mat "
repeated to 59 MB, a second focus on the same text, then heed/analyze and heed/tokenize of it.
Prints each request's wall time, its answer (or error code) and the daemon's peak resident
memory (VmHWM) after it. A benchmark, not a test: stdlib only.

    python3 bench/large_text.py .build/release/heed [--model minilm] [--mb 59]
"""
import json, sys, time

from daemon_pipe import DaemonPipe

def main():
    heed = sys.argv[1]
    model = sys.argv[sys.argv.index("--model") + 1] if "--model" in sys.argv else "minilm"
    mb = float(sys.argv[sys.argv.index("--mb") + 1]) if "--mb" in sys.argv else 59
    unit = "the cat sat on the mat "
    text = unit * int(mb * 1e6 / len(unit))
    daemon = DaemonPipe(heed)

    def status(key):
        return daemon.status_kib(key)[key] // 1024
    def call(i, method, params):
        t = time.perf_counter()
        answer = json.loads(daemon.call(i, method, params))
        return time.perf_counter() - t, answer

    call(0, "initialize", {})
    call(1, "heed/loadModel", {"model": model})
    print(f"text: {len(text.encode())} bytes; after load VmRSS {status('VmRSS')} MB, VmHWM {status('VmHWM')} MB")
    middle = len(text) // 2
    for i, (name, method, params) in enumerate([
        ("highlight, focus in the middle", "heed/highlight", {"model": model, "text": text, "focus": {"start": middle, "end": middle}, "method": "norm-summed"}),
        ("highlight, a new focus on the same text", "heed/highlight", {"model": model, "text": text, "focus": {"start": 1000, "end": 1003}, "method": "norm-summed"}),
        ("analyze", "heed/analyze", {"model": model, "text": text, "methods": ["attention"]}),
        ("tokenize", "heed/tokenize", {"model": model, "text": text}),
    ], start=2):
        seconds, answer = call(i, method, params)
        if "error" in answer:
            e = answer["error"]
            outcome = f"error {e['code']} {json.dumps(e.get('data'))}"
        else:
            r = answer["result"]
            outcome = f"window {r.get('window')}, {len(r.get('ranges', []))} ranges" if "ranges" in r else f"{len(json.dumps(r))} bytes"
        print(f"{name}: {seconds:.2f} s; {outcome}; VmRSS {status('VmRSS')} MB, VmHWM {status('VmHWM')} MB")
    daemon.close()

main()
