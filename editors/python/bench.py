"""Benchmark (not a test): the Python client's overhead over the daemon.

1. heed.analyze of 512 tokens, three methods (attention, norm-summed, attn-res-ln), all
   layers, heads mean (``--heads all``: every head), decoded to numpy arrays; against the
   daemon's own time for the same request: a raw client in this process writes the identical
   frame to a second `heed serve` and reads the response bytes (JSON body and binary attachment)
   without parsing them. Both daemons have the forward pass cached (warm-up request first), as
   in `heed bench daemon`. Each format (``--formats``, default binary and base64) is measured in
   the same rounds, interleaved (the order rotates every round), so that load from other
   processes hits them alike; the ratio is also given per round (the client's time over the
   daemon's in the same round), which cancels most of that load.
   Each result is dropped before the next request, as in a loop over texts, so the client
   reads the next attachment into the same buffer; ``--keep`` keeps every result alive instead
   (each attachment then goes to fresh memory, whose first touch costs extra).
2. A cached heed.highlight (same text, a new focus each time) from Python: p50 / p95.

    HEED_EXECUTABLE=.build/release/heed python editors/python/bench.py [--runs 15] [--heads all]
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import time

import heed

METHODS = ["attention", "norm-summed", "attn-res-ln"]


def text_of_512_tokens():
    rng = random.Random(512)
    return " ".join(rng.choice("bcdefghjklmnpqrstuvwxyz") for _ in range(510))


class RawClient:
    """The daemon's own time: frames written and response bytes read into one reused buffer,
    nothing allocated, nothing parsed (the least any client must do)."""

    def __init__(self, executable):
        self.proc = subprocess.Popen([executable, "serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, bufsize=0)
        self.scratch = memoryview(bytearray(1 << 20))
        self.next_id = 0
        self.call("initialize", {"capabilities": {"general": {"positionEncodings": ["utf-32"]}}})

    def call(self, method, params):
        """Seconds until the whole response (body and attachment) was read, and its bytes."""
        self.next_id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                           "params": params}).encode()
        started = time.perf_counter()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        length = 0
        out = self.proc.stdout
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            header += out.read(1)
        for line in header.split(b"\r\n"):
            name = line.split(b":")[0].lower()
            if name in (b"content-length", b"heed-binary-length"):
                length += int(line.split(b":")[1])
        got = 0
        while got < length:
            got += out.readinto(self.scratch[:min(len(self.scratch), length - got)])
        return time.perf_counter() - started, length

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def ms(seconds):
    return seconds * 1000


def spread(values):
    """median (min-max) in ms."""
    return f"{ms(statistics.median(values)):7.1f} ({ms(min(values)):.1f}-{ms(max(values)):.1f})"


def quartiles(values):
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return q[0], q[1], q[2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--highlights", type=int, default=400)
    parser.add_argument("--heads", choices=["mean", "all"], default="mean")
    parser.add_argument("--formats", default="binary,base64")
    parser.add_argument("--keep", action="store_true", help="keep every result alive")
    args = parser.parse_args()
    formats = args.formats.split(",")
    executable = heed.find_executable()
    text = text_of_512_tokens()
    client = heed.Client(progress=False)
    raw = RawClient(executable)
    assert len(client.tokenize(text)) == 512
    for f in formats:
        if f == "binary" and "binary" not in client.capabilities.get("tensorFormats", []):
            raise SystemExit("this heed does not announce format binary")
    params = {f: {"model": "minilm", "text": text, "methods": METHODS, "heads": args.heads,
                  "granularity": "token", "format": f} for f in formats}
    for f in formats:  # warm: load the model and cache the forward pass in both daemons
        client.analyze(text, methods=METHODS, heads=args.heads, format=f)
        raw.call("heed/analyze", params[f])
    raw_times = {f: [] for f in formats}
    py_times = {f: [] for f in formats}
    sizes = {}
    kinds = {}
    kept = []
    for k in range(args.runs):
        order = formats[k % len(formats):] + formats[:k % len(formats)]
        for f in order:
            t, sizes[f] = raw.call("heed/analyze", params[f])
            raw_times[f].append(t)
            started = time.perf_counter()
            a = client.analyze(text, methods=METHODS, heads=args.heads, format=f)
            py_times[f].append(time.perf_counter() - started)
            assert a.params["format"] == f
            first = a.layer(0)["attention"]
            kinds[f] = type(first).__module__ + "." + type(first).__name__
            if args.keep:
                kept.append(a)
            del a, first
    print(f"analyze, 512 tokens, {', '.join(METHODS)}, heads {args.heads}, all 6 layers, "
          f"{args.runs} interleaved rounds{', every result kept' if args.keep else ''}; "
          f"median (min-max) ms:")
    for f in formats:
        r, p = raw_times[f], py_times[f]
        paired = sorted(pt / rt for pt, rt in zip(p, r))
        q1, q2, q3 = quartiles(paired)
        print(f"  {f:6} ({sizes[f] / 1e6:5.1f} MB): daemon {spread(r)}; heed.analyze -> "
              f"{kinds[f]} {spread(p)}; ratio of medians {statistics.median(p) / statistics.median(r):.2f}x, "
              f"per round {q2:.2f}x (IQR {q1:.2f}-{q3:.2f}, min {paired[0]:.2f}, max {paired[-1]:.2f})")
    if "binary" in formats and "base64" in formats:
        print(f"  heed.analyze binary vs the daemon's base64 time: "
              f"{statistics.median(py_times['binary']) / statistics.median(raw_times['base64']):.2f}x; "
              f"vs heed.analyze base64: "
              f"{statistics.median(py_times['binary']) / statistics.median(py_times['base64']):.2f}x")
    client.highlight(text, (0, 1), method="norm-summed")  # cache this text's matrices
    units = [t for t in client.tokenize(text) if not t.inserted]
    times = []
    for k in range(args.highlights):
        u = units[k % len(units)]
        started = time.perf_counter()
        client.highlight(text, (u.start, u.end), method="norm-summed")
        times.append(time.perf_counter() - started)
    times.sort()
    print(f"cached heed.highlight (512-token text, a new focus each time), n={len(times)}: "
          f"p50 {ms(times[len(times) // 2]):.2f} ms, p95 {ms(times[int(len(times) * 0.95)]):.2f} ms")
    raw.close()
    client.close()


if __name__ == "__main__":
    main()
