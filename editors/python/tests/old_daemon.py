"""A stand-in for a daemon from before `format: "binary"` (tests only): runs the real
`heed serve` (HEED_EXECUTABLE) and passes frames both ways, except that it removes
`capabilities.tensorFormats` from the `initialize` result and answers a `heed/analyze` with
`format: "binary"` itself, -32602, as those daemons did.

    old_daemon.py serve [options...]
"""

import json
import os
import subprocess
import sys
import threading

write_lock = threading.Lock()
initialize_ids = set()


def read_frame(stream):
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            if length is not None:
                break
            continue
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return stream.read(length)


def write_frame(stream, body):
    with write_lock:
        stream.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stream.flush()


def from_client(daemon):
    while True:
        body = read_frame(sys.stdin.buffer)
        if body is None:
            daemon.stdin.close()
            return
        try:
            message = json.loads(body)
        except ValueError:
            message = None
        if isinstance(message, dict):
            if message.get("method") == "initialize":
                initialize_ids.add(message.get("id"))
            params = message.get("params")
            if (message.get("method") == "heed/analyze" and isinstance(params, dict)
                    and params.get("format") == "binary" and "id" in message):
                error = {"code": -32602, "message": "Invalid params: `format` must be one of "
                                                    "\"nested\", \"base64\", not \"binary\""}
                write_frame(sys.stdout.buffer, json.dumps(
                    {"jsonrpc": "2.0", "id": message["id"], "error": error}).encode())
                continue
        daemon.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        daemon.stdin.flush()


def main():
    daemon = subprocess.Popen([os.environ["HEED_EXECUTABLE"]] + sys.argv[1:],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    threading.Thread(target=from_client, args=(daemon,), daemon=True).start()
    while True:
        body = read_frame(daemon.stdout)
        if body is None:
            break
        message = json.loads(body)
        if isinstance(message, dict) and message.get("id") in initialize_ids and "result" in message:
            message["result"].get("capabilities", {}).pop("tensorFormats", None)
            body = json.dumps(message).encode()
        write_frame(sys.stdout.buffer, body)
    sys.exit(daemon.wait())


if __name__ == "__main__":
    main()
