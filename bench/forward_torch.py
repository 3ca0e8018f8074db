#!/usr/bin/env python3
"""Reference timing for `heed bench forward`: transformers' forward pass (eager attention,
float32, CPU, the same thread count) on the token ids Heed used, one sequence per stdin line.
Usage: forward_torch.py MODEL_DIR THREADS RUNS < ids. Prints "T median_ms" per line."""
import statistics
import sys
import time

import torch
from transformers import AutoModel

model_dir, threads, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
for line in sys.stdin:
    ids = [int(x) for x in line.split()]
    if not ids:
        continue
    x = torch.tensor([ids])
    with torch.inference_mode():
        model(input_ids=x, output_attentions=True)  # warm-up
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            model(input_ids=x, output_attentions=True)
            times.append((time.perf_counter() - t0) * 1e3)
    print(len(ids), statistics.median(times), flush=True)
