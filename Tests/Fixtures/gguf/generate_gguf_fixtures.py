#!/usr/bin/env python3
"""Writes Tests/Fixtures/gguf/tiny.gguf with gguf-py (the llama.cpp project's own writer) and
tiny_expected.json with what gguf-py's GGUFReader reads back from it, so the Swift reader is
checked against the reference implementation rather than against its own writer.

The file holds one key/value pair of every metadata value type, an array of every element type,
nested arrays, a non-ASCII string, `general.alignment` = 64 (not the default 32), and tensors of
several ggml types (F32, F16, BF16, Q8_0, Q4_1, Q4_K) with shapes in numpy order, which GGUF
stores fastest dimension first. Quantised tensors hold deterministic bytes (the reader does not
dequantise).

Pinned: gguf==0.19.0, numpy==2.4.6 (the script refuses other versions). No network, no torch.
    python3 Tests/Fixtures/gguf/generate_gguf_fixtures.py
Output is byte-for-byte reproducible.
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
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter  # noqa: E402
from gguf.constants import GGML_QUANT_SIZES  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tiny.gguf")
EXPECTED = os.path.join(HERE, "tiny_expected.json")

# (key, value, type, sub_type): written in this order after general.architecture (which
# GGUFWriter adds first) and general.alignment.
SCALARS = [
    ("test.uint8", 250, GGUFValueType.UINT8),
    ("test.int8", -7, GGUFValueType.INT8),
    ("test.uint16", 65000, GGUFValueType.UINT16),
    ("test.int16", -30000, GGUFValueType.INT16),
    ("test.uint32", 4000000000, GGUFValueType.UINT32),
    ("test.int32", -2000000000, GGUFValueType.INT32),
    ("test.float32", 0.1, GGUFValueType.FLOAT32),
    ("test.bool_true", True, GGUFValueType.BOOL),
    ("test.bool_false", False, GGUFValueType.BOOL),
    ("test.string", "héllo ▁wörld Ġ🙂", GGUFValueType.STRING),
    ("test.empty_string", "", GGUFValueType.STRING),
    ("test.uint64", 18000000000000000000, GGUFValueType.UINT64),
    ("test.int64", -9000000000000000000, GGUFValueType.INT64),
    ("test.float64", 0.1, GGUFValueType.FLOAT64),
]
ARRAYS = [
    ("test.array.uint8", [0, 1, 255], GGUFValueType.UINT8),
    ("test.array.int8", [-128, 0, 127], GGUFValueType.INT8),
    ("test.array.uint16", [0, 65535], GGUFValueType.UINT16),
    ("test.array.int16", [-32768, 32767], GGUFValueType.INT16),
    ("test.array.uint32", [0, 4294967295], GGUFValueType.UINT32),
    ("test.array.int32", [-2147483648, 0, 2147483647], GGUFValueType.INT32),
    ("test.array.float32", [1.5, -0.25, 3.0e-8], GGUFValueType.FLOAT32),
    ("test.array.bool", [True, False, True], GGUFValueType.BOOL),
    ("test.array.string", ["a", "", "Ġthe", "▁x", "日本"], GGUFValueType.STRING),
    ("test.array.uint64", [0, 18446744073709551615], GGUFValueType.UINT64),
    ("test.array.int64", [-9223372036854775808, 9223372036854775807], GGUFValueType.INT64),
    ("test.array.float64", [1.0e300, -2.5], GGUFValueType.FLOAT64),
]
# Nested arrays: gguf-py infers the inner element type from the first inner element
# (int -> int32, str -> string).
NESTED = [
    ("test.array.nested_int32", [[1, 2, 3], [4], [5, 6]]),
    ("test.array.nested_string", [["a", "b"], ["c"]]),
]
ALIGNMENT = 64


def quantised_bytes(qtype, rows, columns, seed):
    """Deterministic bytes for a (rows, columns) tensor of `qtype`, shaped (rows, bytes per row)
    as gguf-py takes raw quantised data."""
    block, block_bytes = GGML_QUANT_SIZES[qtype]
    row_bytes = (columns // block) * block_bytes
    data = ((np.arange(rows * row_bytes, dtype=np.uint32) * 37 + seed) % 251).astype(np.uint8)
    return data.reshape(rows, row_bytes)


def tensors():
    """(name, numpy shape, ggml type, data as np.ndarray)."""
    out = []
    f32 = (np.arange(6, dtype=np.float32) - 2.5) / 4
    out.append(("t.f32", (2, 3), GGMLQuantizationType.F32, f32.reshape(2, 3)))
    out.append(("t.f32_scalar", (1,), GGMLQuantizationType.F32, np.array([7.0], dtype=np.float32)))
    f16 = (np.arange(8, dtype=np.float32) / 8).astype(np.float16)
    out.append(("t.f16", (8,), GGMLQuantizationType.F16, f16))
    bf16 = np.array([0x3F80, 0xBF00, 0x4040, 0x0000], dtype=np.uint16)  # 1, -0.5, 3, 0 as bfloat16 bits
    out.append(("t.bf16", (2, 2), GGMLQuantizationType.BF16, bf16.view(np.uint8).reshape(2, 4)))
    out.append(("blk.0.attn_q.weight", (3, 64), GGMLQuantizationType.Q8_0,
                quantised_bytes(GGMLQuantizationType.Q8_0, 3, 64, 1)))
    out.append(("blk.0.ffn_up.weight", (2, 32), GGMLQuantizationType.Q4_1,
                quantised_bytes(GGMLQuantizationType.Q4_1, 2, 32, 2)))
    out.append(("token_embd.weight", (1, 256), GGMLQuantizationType.Q4_K,
                quantised_bytes(GGMLQuantizationType.Q4_K, 1, 256, 3)))
    return out


def write():
    writer = GGUFWriter(OUT, arch="heedtest")
    writer.add_custom_alignment(ALIGNMENT)
    for key, value, vtype in SCALARS:
        writer.add_key_value(key, value, vtype)
    for key, values, sub in ARRAYS:
        writer.add_key_value(key, values, GGUFValueType.ARRAY, sub_type=sub)
    for key, values in NESTED:
        writer.add_key_value(key, values, GGUFValueType.ARRAY, sub_type=GGUFValueType.ARRAY)
    for name, shape, qtype, data in tensors():
        if qtype in (GGMLQuantizationType.F32, GGMLQuantizationType.F16):
            writer.add_tensor(name, data)
        else:
            writer.add_tensor(name, data, raw_dtype=qtype)  # uint8 data: gguf-py derives the shape
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def exact(value):
    """Integers as decimal strings (JSON readers may round 64-bit integers); the rest as is."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def read_back():
    reader = GGUFReader(OUT)
    keys = []
    for name, field in reader.fields.items():
        if name.startswith("GGUF."):
            continue
        keys.append({"key": name, "types": [GGUFValueType(t).name.lower() for t in field.types]})
    infos = []
    for t in reader.tensors:
        infos.append({
            "name": t.name,
            # GGUFReader.shape is the stored order (fastest first).
            "dimensions": [int(d) for d in t.shape],
            "type": t.tensor_type.name,
            "type_id": int(t.tensor_type),
            # data_offset is from the start of the file; the stored offset is from the data section.
            "offset": int(t.data_offset) - int(reader.data_offset),
            "byte_count": int(t.n_bytes),
            "first_bytes": [int(b) for b in np.asarray(t.data).view(np.uint8).reshape(-1)[:8]],
        })
    return {
        "versions": PINS,
        "file_byte_count": os.path.getsize(OUT),
        "alignment": int(reader.alignment),
        "data_offset": int(reader.data_offset),
        "keys": keys,
        "scalars": [{"key": k, "type": t.name.lower(), "value": exact(v)} for k, v, t in SCALARS],
        "arrays": [{"key": k, "type": t.name.lower(), "values": [exact(x) for x in v]} for k, v, t in ARRAYS],
        "nested": [{"key": k, "values": [[exact(x) for x in inner] for inner in v]} for k, v in NESTED],
        "tensors": infos,
    }


if __name__ == "__main__":
    write()
    expected = read_back()
    with open(EXPECTED, "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {OUT} ({expected['file_byte_count']} bytes) and {EXPECTED}")
