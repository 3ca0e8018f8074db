#!/usr/bin/env python3
"""Writes Tests/Fixtures/gguf/quants.gguf with gguf-py's GGUFWriter, holding tensors of every
ggml type Heed dequantises (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K,
Q5_K, Q6_K), and what gguf-py's own `gguf.quants.dequantize` makes of the bytes GGUFReader reads
back: quants_expected.f32 (little-endian float32, tensor after tensor) with the index
quants_expected.json (name, type, stored dimensions, data offset in quants.gguf, element count,
offset in floats into quants_expected.f32).

Data: for every type, random raw blocks (every bit pattern of the quants is as likely; the f16
scale fields are overwritten with finite halves, normal and subnormal, of both signs), in
tensors with awkward row counts (1, 3, 5, 7) and rows of 1...3 blocks; for the types gguf-py can
quantise (BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) also a tensor quantised from random floats.
F16, BF16 and F32 tensors hold random bit patterns plus every special value (zeros, subnormals,
infinities, quiet and signalling NaNs). Two tensors (Q8_0, Q4_1) have non-finite and subnormal
scales on purpose.

Pinned: gguf==0.19.0, numpy==2.4.6 (the script refuses other versions). No network, no torch.
    /tmp/perf-venv/bin/python Tests/Fixtures/gguf/generate_quant_fixtures.py
Output is byte-for-byte reproducible (fixed seed).
"""

import importlib.metadata
import json
import os
import sys

PINS = {"gguf": "0.19.0", "numpy": "2.4.6"}
for package, version in PINS.items():
    installed = importlib.metadata.version(package)
    if installed != version:
        sys.exit(f"{package} {installed} is installed; this generator is pinned to {package}=={version}")

import numpy as np  # noqa: E402
from gguf import GGMLQuantizationType as T, GGUFReader, GGUFWriter  # noqa: E402
from gguf.constants import GGML_QUANT_SIZES  # noqa: E402
from gguf.quants import dequantize, quantize  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "quants.gguf")
EXPECTED = os.path.join(HERE, "quants_expected.f32")
INDEX = os.path.join(HERE, "quants_expected.json")

# Byte offsets of the f16 fields (scales, mins) in one block (ggml-common.h block_*).
F16_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
QUANTISED = list(F16_FIELDS)
# (rows, blocks per row): awkward row counts, rows of one or more blocks.
SHAPES = [(1, 1), (7, 3), (3, 2), (5, 1)]
SPECIAL_F16 = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x83FF, 0x0400, 0x7BFF, 0xFBFF, 0x3C00,
               0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x7C01, 0x7DFF, 0xFFFF]
SPECIAL_BF16 = [0x0000, 0x8000, 0x0001, 0x807F, 0x0080, 0x7F7F, 0x3F80, 0x7F80, 0xFF80, 0x7FC0,
                0xFFC1, 0x7F81, 0xFFFF]

rng = np.random.default_rng(20261129)


def finite_halves(n):
    """n finite f16 values as uint16 bits: mostly normal (magnitude ~1e-3...1), some subnormal."""
    normal = (rng.standard_normal(n) * 0.05).astype(np.float16).view(np.uint16)
    subnormal = rng.integers(1, 0x400, n, dtype=np.uint16) | (rng.integers(0, 2, n, dtype=np.uint16) << 15)
    return np.where(rng.random(n) < 0.1, subnormal, normal).astype(np.uint16)


def random_blocks(qtype, rows, blocks_per_row):
    """Random raw blocks shaped (rows, bytes per row) with finite f16 fields."""
    _, block_bytes = GGML_QUANT_SIZES[qtype]
    n = rows * blocks_per_row
    data = rng.integers(0, 256, (n, block_bytes), dtype=np.uint8)
    for offset in F16_FIELDS[qtype]:
        data[:, offset:offset + 2] = finite_halves(n).view(np.uint8).reshape(n, 2)
    return data.reshape(rows, blocks_per_row * block_bytes)


def tensors():
    """(name, ggml type, data): F32/F16 as numpy floats (shape in numpy order), the rest raw
    uint8 (rows, bytes per row)."""
    out = []
    f16 = np.concatenate([np.array(SPECIAL_F16, dtype=np.uint16),
                          rng.integers(0, 1 << 16, 7 * 16 - len(SPECIAL_F16), dtype=np.uint16)])
    out.append(("f16.bits", T.F16, f16.view(np.float16).reshape(7, 16)))
    out.append(("f16.row", T.F16, (rng.standard_normal(33) * 3).astype(np.float16).reshape(1, 33)))
    bf16 = np.concatenate([np.array(SPECIAL_BF16, dtype=np.uint16),
                           rng.integers(0, 1 << 16, 5 * 9 - len(SPECIAL_BF16), dtype=np.uint16)])
    out.append(("bf16.bits", T.BF16, bf16.view(np.uint8).reshape(5, 18)))
    out.append(("bf16.quantised", T.BF16, quantize(rng.standard_normal((3, 7)).astype(np.float32), T.BF16)))
    f32 = rng.integers(0, 1 << 32, 3 * 7, dtype=np.uint32)
    f32[:4] = [0x7F800000, 0xFF800000, 0x7FC00000, 0x00000001]
    out.append(("f32.bits", T.F32, f32.view(np.float32).reshape(3, 7)))
    for qtype in QUANTISED:
        block, _ = GGML_QUANT_SIZES[qtype]
        for rows, blocks in SHAPES:
            out.append((f"{qtype.name.lower()}.random_{rows}x{blocks * block}", qtype, random_blocks(qtype, rows, blocks)))
        if qtype in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0):
            floats = rng.standard_normal((7, 2 * block)).astype(np.float32)
            out.append((f"{qtype.name.lower()}.quantised_7x{2 * block}", qtype, quantize(floats, qtype)))
    # Non-finite and subnormal scales on purpose: d = inf, -inf, NaN, subnormal; m likewise.
    q8 = random_blocks(T.Q8_0, 1, 4).reshape(4, 34)
    q8[:, 0:2] = np.array([0x7C00, 0xFC00, 0x7E00, 0x0003], dtype=np.uint16).view(np.uint8).reshape(4, 2)
    out.append(("q8_0.nonfinite", T.Q8_0, q8.reshape(1, 4 * 34)))
    q41 = random_blocks(T.Q4_1, 1, 4).reshape(4, 20)
    q41[:, 0:2] = np.array([0x7C00, 0x3C00, 0x0001, 0x7E00], dtype=np.uint16).view(np.uint8).reshape(4, 2)
    q41[:, 2:4] = np.array([0x3C00, 0xFC00, 0x8000, 0x0000], dtype=np.uint16).view(np.uint8).reshape(4, 2)
    out.append(("q4_1.nonfinite", T.Q4_1, q41.reshape(1, 4 * 20)))
    return out


def write():
    writer = GGUFWriter(OUT, arch="heedquant")
    for name, qtype, data in tensors():
        if qtype in (T.F32, T.F16):
            writer.add_tensor(name, data)
        else:
            writer.add_tensor(name, data, raw_dtype=qtype)  # uint8 data: gguf-py derives the shape
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def expected():
    reader = GGUFReader(OUT)
    index, chunks, position = [], [], 0
    for t in reader.tensors:
        raw = np.asarray(t.data)
        if t.tensor_type not in (T.F32, T.F16):
            raw = raw.view(np.uint8)
        values = np.ascontiguousarray(dequantize(raw, t.tensor_type), dtype=np.float32).reshape(-1)
        assert values.size == int(t.n_elements), t.name
        index.append({
            "name": t.name,
            "type": t.tensor_type.name,
            "dimensions": [int(d) for d in t.shape],  # stored order, fastest first
            "data_offset": int(t.data_offset),        # from the start of quants.gguf
            "byte_count": int(t.n_bytes),
            "count": int(values.size),
            "expected_offset": position,              # in floats, into quants_expected.f32
        })
        chunks.append(values.astype("<f4"))
        position += values.size
    with open(EXPECTED, "wb") as f:
        f.write(np.concatenate(chunks).tobytes())
    return {"versions": PINS, "file_byte_count": os.path.getsize(OUT), "float_count": position, "tensors": index}


if __name__ == "__main__":
    write()
    result = expected()
    with open(INDEX, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT} ({result['file_byte_count']} bytes), {EXPECTED} ({4 * result['float_count']} bytes), {INDEX}")
