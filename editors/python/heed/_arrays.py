"""Number arrays of results: numpy float32 arrays when numpy is installed, nested lists of
Python floats (each holding a float32 value exactly) otherwise.

``format: "base64"`` blocks are ``{shape, dtype: "f32", data}`` with little-endian float32 data
in row-major order (protocol.md, section 5.5); ``format: "binary"`` blocks are ``{shape, dtype:
"f32", byteOffset, byteLength}``, to which the client's reader adds ``data``: a memoryview of
those bytes in the frame's attachment. Both are read with numpy (a binary block in place, no
copy) or, without numpy, through ``memoryview.cast("f")``.
"""

from __future__ import annotations

import binascii
import sys
from array import array
from typing import Any, List, Sequence

try:  # numpy is optional: used when present, never required
    import numpy as _np
except ImportError:  # pragma: no cover - exercised by the no-numpy test run
    _np = None

#: Set by tests (HEED_NO_NUMPY=1) to exercise the pure-Python path with numpy installed.
import os as _os

if _os.environ.get("HEED_NO_NUMPY") == "1":
    _np = None


def numpy_available() -> bool:
    return _np is not None


def is_block(value: Any) -> bool:
    return (isinstance(value, dict) and "shape" in value and "dtype" in value
            and ("data" in value or "byteOffset" in value))


def _reshape(flat: Sequence[float], shape: Sequence[int]) -> Any:
    """Nested lists of the given shape from a flat row-major sequence."""
    if len(shape) == 0:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = 1
    for n in shape[1:]:
        step *= n
    return [_reshape(flat[k * step:(k + 1) * step], shape[1:]) for k in range(shape[0])]


def decode_block(block: dict) -> Any:
    """A base64 or binary block as a numpy array (a view of the attachment for a binary block)
    or nested lists."""
    if block.get("dtype") != "f32":
        raise ValueError(f"unsupported dtype {block.get('dtype')!r} in a heed result")
    shape = [int(n) for n in block["shape"]]
    count = 1
    for n in shape:
        count *= n
    if "byteOffset" in block:  # binary: the reader put a view of the attachment in "data"
        raw = block.get("data")
        if not isinstance(raw, memoryview) or block.get("byteLength") != 4 * count:
            raise ValueError(f"a binary tensor of shape {shape} at byte {block.get('byteOffset')!r}, "
                             f"{block.get('byteLength')!r} bytes, does not fit the frame's attachment")
    else:
        raw = binascii.a2b_base64(block["data"])  # str, or a bytes view from the fast path
        if len(raw) != 4 * count:
            raise ValueError(f"a base64 tensor of shape {shape} holds {len(raw)} bytes")
    if _np is not None:
        return _np.frombuffer(raw, dtype="<f4").reshape(shape)
    if sys.byteorder == "big":  # pragma: no cover
        values = array("f")
        values.frombytes(raw)
        values.byteswap()
        return _reshape(values.tolist(), shape)
    return _reshape(memoryview(raw).cast("B").cast("f").tolist(), shape)


def _flatten(nested: Any, out: List[float]) -> List[int]:
    """Appends the numbers of a rectangular nested list to ``out``; returns its shape."""
    if not isinstance(nested, list):
        out.append(nested)
        return []
    if not nested:
        return [0]
    shape = None
    for item in nested:
        s = _flatten(item, out)
        shape = s if shape is None else shape
    return [len(nested)] + shape


def from_nested(nested: Any) -> Any:
    """A nested JSON array as float32 values: a numpy array, or nested lists of floats rounded
    to float32 (so that both formats give the same numbers)."""
    if _np is not None:
        return _np.asarray(nested, dtype=_np.float32)
    flat: List[float] = []
    shape = _flatten(nested, flat)
    return _reshape(array("f", flat).tolist(), shape)


def convert(value: Any) -> Any:
    """A number array of a result (block or nested list) in the client's representation."""
    if is_block(value):
        return decode_block(value)
    if isinstance(value, list):
        return from_nested(value)
    return value


def stack(items: List[Any]) -> Any:
    """Per-layer arrays stacked along a new first axis (a list without numpy)."""
    if _np is not None:
        return _np.stack(items) if items else _np.zeros((0,), dtype=_np.float32)
    return list(items)


def tolist(value: Any) -> Any:
    """Nested Python lists from an array of either representation."""
    if _np is not None and isinstance(value, _np.ndarray):
        return value.tolist()
    return value


def shape_of(value: Any) -> List[int]:
    if _np is not None and isinstance(value, _np.ndarray):
        return list(value.shape)
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return shape
