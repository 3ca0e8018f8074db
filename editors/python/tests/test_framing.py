"""The client's frame reader (binary attachments included) and its base64 fast path, on bytes
(no daemon needed)."""

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
    assert _Daemon._read_frame(None, stream) == (a, None)
    assert _Daemon._read_frame(None, stream) == (b, None)
    assert _Daemon._read_frame(None, stream) is None


def test_a_header_block_without_a_valid_length_is_skipped():
    good = b'{"id":3}'
    stream = frames(b"Content-Length: nope\r\n\r\n",
                    b"Content-Length: %d\r\n\r\n%s" % (len(good), good))
    assert _Daemon._read_frame(None, stream) == (good, None)


def test_truncated_body_is_end_of_input():
    assert _Daemon._read_frame(None, frames(b"Content-Length: 10\r\n\r\n{}")) is None
    assert _Daemon._read_frame(None, frames(b"Content-Length: 2\r\nHeed-Binary-Length: 9\r\n\r\n"
                                            b"{}12345678")) is None


def binary_response(tensors):
    """A `format: "binary"` response frame for ``tensors`` [(key, shape, floats)]: references in
    the JSON, the values at 64-byte aligned offsets of the attachment (as protocol.md says)."""
    attachment = bytearray()
    result = {"tokens": [{"text": '"dtype":"f32","byteOffset":0'}], "layers": [{"layer": 0}]}
    for key, shape, values in tensors:
        attachment += b"\0" * (-len(attachment) % 64)
        ref = {"shape": shape, "dtype": "f32", "byteOffset": len(attachment),
               "byteLength": 4 * len(values)}
        attachment += array("f", values).tobytes()
        result["layers"][0][key] = ref
    body = json.dumps({"jsonrpc": "2.0", "id": 3, "result": result}).encode()
    return body, bytes(attachment)


def test_binary_attachment_is_read_after_the_body_headers_in_any_order():
    body, attachment = binary_response([("norm", [2, 3, 3], [k / 3 for k in range(18)]),
                                        ("value-norm", [2, 3], [-k / 7 for k in range(6)])])
    after = b'{"id":4}'
    stream = frames(b"Heed-Binary-Length: %d\r\nContent-Type: x\r\ncontent-length: %d\r\n\r\n%s%s"
                    % (len(attachment), len(body), body, attachment),
                    b"Content-Length: %d\r\nheed-binary-length: 0\r\n\r\n%s" % (len(after), after),
                    b"Content-Length: %d\r\n\r\n%s" % (len(after), after))
    got_body, got_attachment = _Daemon._read_frame(None, stream)
    assert bytes(got_body) == body and bytes(got_attachment) == attachment
    assert _Daemon._read_frame(None, stream) == (after, bytearray())
    assert _Daemon._read_frame(None, stream) == (after, None)
    assert _Daemon._read_frame(None, stream) is None


def test_a_large_attachment_is_read_whole():
    values = array("f", [k / 9 for k in range(600_000)])  # 2.4 MB
    body, attachment = binary_response([("norm-summed", [600, 1000], values)])
    stream = frames(b"Content-Length: %d\r\nHeed-Binary-Length: %d\r\n\r\n%s%s"
                    % (len(body), len(attachment), body, attachment))
    got_body, got_attachment = _Daemon._read_frame(None, stream)
    assert bytes(got_attachment) == attachment
    block = _loads(got_body, got_attachment)["result"]["layers"][0]["norm-summed"]
    assert _arrays.tolist(_arrays.decode_block(block))[599][999] == values[-1]
    assert _Daemon._read_frame(None, stream) is None


def test_binary_blocks_are_read_in_place():
    norm = [k / 3 for k in range(18)]
    vnorm = [-k / 7 for k in range(6)]
    body, attachment = binary_response([("norm", [2, 3, 3], norm), ("value-norm", [2, 3], vnorm)])
    buffer = bytearray(attachment)
    message = _loads(body, buffer)
    layer = message["result"]["layers"][0]
    assert message["result"]["tokens"][0]["text"] == '"dtype":"f32","byteOffset":0'
    assert type(layer["norm"]["data"]) is memoryview
    n = _arrays.decode_block(layer["norm"])
    v = _arrays.decode_block(layer["value-norm"])
    assert _arrays.shape_of(n) == [2, 3, 3] and _arrays.shape_of(v) == [2, 3]
    assert _arrays.tolist(n)[1][2][0] == array("f", norm)[15]
    assert _arrays.tolist(v)[1] == list(array("f", vnorm)[3:])
    if _arrays.numpy_available():
        buffer[layer["value-norm"]["byteOffset"]] ^= 0xFF  # a view, not a copy: it sees the change
        assert _arrays.tolist(v)[0][0] != array("f", vnorm)[0]


def test_a_binary_reference_outside_the_attachment_fails_to_decode():
    body, attachment = binary_response([("norm", [2, 2], [1.0, 2.0, 3.0, 4.0])])
    message = _loads(body, bytearray(attachment[:-1]))
    block = message["result"]["layers"][0]["norm"]
    assert "data" not in block and _arrays.is_block(block)
    try:
        _arrays.decode_block(block)
    except ValueError as exc:
        assert "does not fit" in str(exc)
    else:
        raise AssertionError("decoded a tensor outside the attachment")


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
