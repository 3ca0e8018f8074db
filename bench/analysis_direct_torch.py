#!/usr/bin/env python3
"""The direct route, as the authors' code computes it, for `heed bench analysis`: per layer the
(NH, T, T, C) tensor alpha^h[i,j] f^h(x_j) in float32, then `norm`, `norm-summed`, `attn-res-ln`
and the mixing ratios from it. Usage: analysis_direct_torch.py MODEL_DIR THREADS RUNS < ids
(one sequence per line). Prints "T median_ms peak_MB" per line (peak = the largest tensor built)."""
import statistics
import sys
import time

import torch
from transformers import AutoModel

model_dir, threads, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
layers = model.encoder.layer
taps = {}


def hook(index):
    def f(module, args, output):
        taps[index] = args[0][0]          # x: the layer input (T, C)
    return f


for i, layer in enumerate(layers):
    layer.register_forward_hook(lambda m, a, o, i=i: None)
    layer.attention.self.register_forward_pre_hook(lambda m, a, i=i: taps.__setitem__(i, a[0][0]))


def direct(x, alpha, layer):
    attn = layer.attention
    NH, T, _ = alpha.shape
    C = x.shape[1]
    HS = C // NH
    v = attn.self.value(x).view(T, NH, HS).transpose(0, 1)                 # (NH, T, HS)
    w_o = attn.output.dense.weight.view(C, NH, HS).permute(1, 2, 0)        # (NH, HS, C)
    f = torch.bmm(v, w_o)                                                  # (NH, T, C)
    af = alpha.unsqueeze(-1) * f.unsqueeze(1)                              # (NH, T, T, C)
    norm = af.norm(dim=-1)
    z = af.sum(dim=0)                                                      # (T, T, C)
    norm_summed = z.norm(dim=-1)
    r = z.clone()
    r[torch.arange(T), torch.arange(T)] += x
    y = attn.output.dense(z.sum(dim=1)) + x                                # pre-LayerNorm sum
    ln = attn.output.LayerNorm
    s = torch.sqrt(y.var(dim=-1, unbiased=False, keepdim=True) + ln.eps)   # (T, 1)
    g = (r - r.mean(dim=-1, keepdim=True)) * ln.weight / s.unsqueeze(1)
    attn_res_ln = g.norm(dim=-1)
    eye = torch.eye(T, dtype=torch.bool)
    mixing = g[~eye].view(T, T - 1, C).sum(1).norm(dim=-1)
    own = g[eye].norm(dim=-1)
    return norm, norm_summed, attn_res_ln, mixing / (mixing + own), af.numel() * 4


for line in sys.stdin:
    ids = [int(t) for t in line.split()]
    if not ids:
        continue
    x_ids = torch.tensor([ids])
    times, peak = [], 0
    with torch.inference_mode():
        for run in range(runs + 1):
            out = model(input_ids=x_ids, output_attentions=True)
            t0 = time.perf_counter()
            for i, layer in enumerate(layers):
                *_, size = direct(taps[i], out.attentions[i][0], layer)
                peak = max(peak, size)
            if run > 0:
                times.append((time.perf_counter() - t0) * 1e3)
    print(len(ids), statistics.median(times), peak / 1e6, flush=True)
