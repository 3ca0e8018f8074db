"""Benchmark (not a test): the Python client's overhead over the daemon.

1. heed.analyze of 512 tokens, three methods (attention, norm-summed, attn-res-ln), all
   layers, heads mean, format base64, decoded to numpy arrays; against the daemon's own time for
   the same request: a raw client in this process writes the identical frame to a second
   `heed serve` and reads the response bytes without parsing them. Both daemons have the
   forward pass cached (warm-up request first), as in `heed bench daemon`.
2. A cached heed.highlight (same text, a new focus each time) from Python: p50 / p95.

    HEED_EXECUTABLE=.build/release/heed python editors/python/bench.py [--runs 9]
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
    """The daemon's own time: frames written and response bytes read, nothing parsed."""

    def __init__(self, executable):
        self.proc = subprocess.Popen([executable, "serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, bufsize=0)
        self.next_id = 0
        self.call("initialize", {"capabilities": {"general": {"positionEncodings": ["utf-32"]}}})

    def call(self, method, params):
        self.next_id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                           "params": params}).encode()
        started = time.perf_counter()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        length = None
        out = self.proc.stdout
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            header += out.read(1)
        for line in header.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        got = 0
        while got < length:
            got += len(out.read(min(1 << 20, length - got)))
        return time.perf_counter() - started, length

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def ms(seconds):
    return seconds * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--highlights", type=int, default=400)
    args = parser.parse_args()
    executable = heed.find_executable()
    text = text_of_512_tokens()
    params = {"model": "minilm", "text": text, "methods": METHODS, "heads": "mean",
              "granularity": "token", "format": "base64"}
    client = heed.Client(progress=False)
    raw = RawClient(executable)
    assert len(client.tokenize(text)) == 512
    client.analyze(text, methods=METHODS, heads="mean")  # warm: load and cache the forward pass
    raw.call("heed/analyze", params)
    heed_times, raw_times = [], []
    size = 0
    for _ in range(args.runs):
        t, size = raw.call("heed/analyze", params)
        raw_times.append(t)
        started = time.perf_counter()
        a = client.analyze(text, methods=METHODS, heads="mean")
        heed_times.append(time.perf_counter() - started)
    kind = type(a.layer(0)["attention"]).__module__ + "." + type(a.layer(0)["attention"]).__name__
    h_raw, h_py = statistics.median(raw_times), statistics.median(heed_times)
    m_raw, m_py = min(raw_times), min(heed_times)
    print(f"analyze, 512 tokens, {', '.join(METHODS)}, heads mean, all 6 layers, base64 "
          f"({size / 1e6:.1f} MB response), {args.runs} runs, medians:")
    print(f"  daemon's own time (raw client, bytes read, nothing parsed): {ms(h_raw):7.1f} ms")
    print(f"  heed.analyze -> {kind} arrays:                     {ms(h_py):7.1f} ms "
          f"({h_py / h_raw:.2f}x)")
    print(f"  fastest runs: daemon {ms(m_raw):.1f} ms, heed.analyze {ms(m_py):.1f} ms "
          f"({m_py / m_raw:.2f}x)")
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
