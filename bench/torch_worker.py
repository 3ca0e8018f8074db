#!/usr/bin/env python3
"""Persistent PyTorch side of `heed bench forward|daemon`: loads transformers' model once, then
answers one command per stdin line, so Heed can interleave its rounds with PyTorch's and never
time one side while the other's threads are busy.

Usage: torch_worker.py MODEL THREADS   (MODEL: a transformers directory, or a .gguf file, which
transformers dequantises to float32 as it loads it)
Commands (one per line; one answer line each, flushed):
  run IDS...   one forward pass (eager attention, float32, CPU, attention weights returned, as
               Heed's forward records them) on the space-separated token ids; answers the wall
               time in ms
  info         answers "torch VERSION threads N"
  quit         exits
The first line written is "ready" once the model is loaded."""
import sys
import time

import torch
from transformers import AutoModel

model_dir, threads = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(threads)
if model_dir.endswith(".gguf"):
    import os
    model = AutoModel.from_pretrained(os.path.dirname(model_dir), gguf_file=os.path.basename(model_dir),
                                      attn_implementation="eager", dtype=torch.float32).eval()
else:
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
print("ready", flush=True)
for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "quit":
        break
    if parts[0] == "info":
        print("torch", torch.__version__, "threads", torch.get_num_threads(), flush=True)
        continue
    if parts[0] == "run":
        x = torch.tensor([[int(t) for t in parts[1:]]])
        with torch.inference_mode():
            t0 = time.perf_counter()
            model(input_ids=x, output_attentions=True)
            ms = (time.perf_counter() - t0) * 1e3
        print(f"{ms:.4f}", flush=True)
        continue
    print("error unknown command", flush=True)
