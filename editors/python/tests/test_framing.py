"""The client's frame reader and its base64 fast path, on bytes (no daemon needed)."""

import base64
import io
import json
from array import array

from heed import _arrays
from heed.client import _Daemon, _loads, _FAST_PATH_BYTES


def frames(*bodies_with_headers):
    return io.BufferedReader(io.BytesIO(b"".join(bodies_with_headers)))


def test_headers_in_any_order_and_case_unknown_ones_ignored():
    a, b = b'{"id":1}', b'{"id":2}'
    stream = frames(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(a), a),
                    b"content-length: %d\r\nX-Other: 1\r\n\r\n%s" % (len(b), b))
    assert _Daemon._read_frame(None, stream) == a
    assert _Daemon._read_frame(None, stream) == b
    assert _Daemon._read_frame(None, stream) is None


def test_a_header_block_without_a_valid_length_is_skipped():
    good = b'{"id":3}'
    stream = frames(b"Content-Length: nope\r\n\r\n",
                    b"Content-Length: %d\r\n\r\n%s" % (len(good), good))
    assert _Daemon._read_frame(None, stream) == good


def test_truncated_body_is_end_of_input():
    assert _Daemon._read_frame(None, frames(b"Content-Length: 10\r\n\r\n{}")) is None


def test_base64_fast_path_gives_the_plain_result():
    values = array("f", [float(k) / 7 for k in range(100_000)])
    data = base64.b64encode(values.tobytes()).decode()
    tricky = 'a text quoting "dtype":"f32","data":"QUJD" inside a string'
    result = {"jsonrpc": "2.0", "id": 7, "result": {
        "tokens": [{"text": tricky}],
        "layers": [{"layer": 0, "norm-summed": {"shape": [100, 1000], "dtype": "f32",
                                                "data": data}}]}}
    body = bytearray(json.dumps(result, separators=(",", ":")).encode())
    assert len(body) >= _FAST_PATH_BYTES
    fast = _loads(body)
    block = fast["result"]["layers"][0]["norm-summed"]
    assert type(block["data"]) is memoryview
    assert fast["result"]["tokens"][0]["text"] == tricky
    assert _arrays.tolist(_arrays.decode_block(block)) == _arrays.tolist(
        _arrays.decode_block(json.loads(body)["result"]["layers"][0]["norm-summed"]))
    flat = _arrays.tolist(_arrays.decode_block(block))
    assert flat[3][5] == values[3005]
