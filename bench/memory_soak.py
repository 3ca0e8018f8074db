#!/usr/bin/env python3
"""Issue 15's memory case against `heed serve`: N distinct ~400-token requests (a mix of
`heed/analyze` -- methods attention, norm, norm-summed, attn-res-ln, all layers, heads "all" and
"mean", format "base64" and "nested" -- and `heed/highlight`), sent with `--max-memory` given,
at most --window requests outstanding (2 by default: the daemon computes 2 at once). A sampler
thread reads VmRSS and VmHWM from /proc/PID/status every 50 ms. Prints the outcome counts, the
resident memory after loading the model, the steady resident memory (median and max over the
second half of the run), the peak (VmHWM) and the resident memory 2 s after the last response.
A benchmark, not a test: stdlib only.

    python3 bench/memory_soak.py .build/release/heed [--max-memory 300M] [--n 500] [--model minilm]
        [--window 2] [--tokens 400] [--log-level warn]
"""
import json, random, statistics, sys, threading, time

from daemon_pipe import DaemonPipe

def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default

FOUR = ["attention", "norm", "norm-summed", "attn-res-ln"]
# One cycle of ten requests; request k uses MIX[k % 10] on its own text.
MIX = [
    ("analyze", {"methods": FOUR, "heads": "mean", "format": "base64"}),
    ("analyze", {"methods": FOUR, "heads": "mean", "format": "nested"}),
    ("highlight", {"method": "norm-summed"}),
    ("analyze", {"methods": FOUR, "heads": "all", "format": "base64"}),
    ("highlight", {"method": "attention", "layer": 0}),
    ("analyze", {"methods": ["attention", "norm-summed"], "heads": "mean", "format": "nested"}),
    ("highlight", {"method": "attn-res-ln"}),
    ("analyze", {"methods": FOUR, "heads": "all", "format": "nested"}),
    ("highlight", {"method": "norm"}),
    ("analyze", {"methods": ["norm-summed", "attn-res-ln"], "heads": "all", "format": "base64"}),
]

WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from at which "
         "but have an they you were her she there one all we their been has when who will more no if "
         "out so said what up its about into than them can only other new some could time these two "
         "may then do first any my now such like our over man me even most made after also did many "
         "before must through back years where much your way well down should because each just those "
         "people how too little state good very make world still own see men work long get here between "
         "both life being under never day same another know while last might us great old year off come "
         "since against go came right used take three river garden window letter engine harbour winter").split()

def text_of(k, tokens):
    r = random.Random(k)
    # MiniLM's WordPiece: about 1.09 tokens per word of this list, with the punctuation.
    words = [r.choice(WORDS) for _ in range(int(tokens * 0.915))]
    for i in range(12, len(words), 13): words[i] += "."
    return f"Text {k}: " + " ".join(words)

def main():
    heed = sys.argv[1]
    model = arg("--model", "minilm")
    budget = arg("--max-memory", "300M")
    n = int(arg("--n", "500"))
    window = int(arg("--window", "2"))
    tokens = int(arg("--tokens", "400"))
    daemon = DaemonPipe(heed, "--max-memory", budget, "--log-level", arg("--log-level", "warn"))
    samples = []  # (seconds, VmRSS MB, VmHWM MB)
    done = threading.Event()
    t0 = time.perf_counter()

    def status():
        return {k: v / 1024 for k, v in daemon.status_kib("VmRSS", "VmHWM").items()}
    def sampler():
        while not done.is_set():
            try:
                s = status(); samples.append((time.perf_counter() - t0, s["VmRSS"], s["VmHWM"]))
            except (OSError, KeyError):
                return
            time.sleep(0.05)

    send = daemon.send
    def receive():
        body = daemon.receive()
        length = len(body)
        head = body[:160]
        if b'"error"' in head:
            e = json.loads(body)["error"]
            return json.loads(body)["id"], f"error {e['code']}", e.get("data"), length
        i = int(head.split(b'"id":', 1)[1].split(b",", 1)[0])
        return i, "ok", None, length

    send(0, "initialize", {}); receive()
    send(1, "heed/loadModel", {"model": model}); receive()
    time.sleep(0.3)
    after_load = status()
    threading.Thread(target=sampler, daemon=True).start()
    outcomes, data, total_bytes = {}, {}, 0
    kinds = {}
    sent = received = 0
    first_request = 2
    while received < n:
        while sent < n and sent - received < window:
            kind, extra = MIX[sent % len(MIX)]
            text = text_of(sent, tokens)
            params = {"model": model, "text": text, **extra}
            if kind == "highlight":
                params["focus"] = {"start": len(text) // 2, "end": len(text) // 2}
            kinds[first_request + sent] = f"{kind} {json.dumps(extra, separators=(',', ':'))}"
            send(first_request + sent, f"heed/{kind}", params)
            sent += 1
        i, outcome, d, length = receive()
        received += 1
        total_bytes += length
        key = (kinds[i], outcome)
        outcomes[key] = outcomes.get(key, 0) + 1
        if d is not None: data[key] = d
    elapsed = time.perf_counter() - t0
    time.sleep(2)
    idle = status()
    done.set()
    daemon.close()

    print(f"heed serve --max-memory {budget}: {n} requests of ~{tokens} tokens, {window} outstanding, "
          f"{elapsed:.1f} s, {total_bytes / 1e6:.0f} MB of responses")
    for (kind, outcome), count in sorted(outcomes.items()):
        extra = f" data {json.dumps(data[(kind, outcome)])}" if (kind, outcome) in data else ""
        print(f"  {count:4d} x {kind}: {outcome}{extra}")
    second_half = [s for s in samples if s[0] >= elapsed / 2]
    rss = [s[1] for s in second_half] or [0]
    print(f"after loading: VmRSS {after_load['VmRSS']:.0f} MB")
    print(f"steady (second half, {len(rss)} samples): VmRSS median {statistics.median(rss):.0f} MB, "
          f"max {max(rss):.0f} MB")
    print(f"peak: VmHWM {max(s[2] for s in samples):.0f} MB")
    print(f"2 s after the last response: VmRSS {idle['VmRSS']:.0f} MB")

main()
