"""A bare `heed serve` over pipes for the benchmark scripts of bench/: LSP-framed requests
written as they are, response bodies read as bytes (the caller decides whether to parse them),
and the daemon's memory from /proc. Standard library only; Linux (reads /proc/PID/status)."""
import json
import subprocess


class DaemonPipe:
    """`heed serve ARGS...` started with pipes; stderr is captured when `capture_stderr`."""

    def __init__(self, heed, *args, capture_stderr=False):
        self.process = subprocess.Popen([heed, "serve", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE if capture_stderr else None)

    @property
    def pid(self):
        return self.process.pid

    def send(self, ident, method, params):
        body = json.dumps({"jsonrpc": "2.0", "id": ident, "method": method, "params": params}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self):
        """The next response body (bytes); SystemExit when the daemon closed its output. The
        binary attachment of a `format: "binary"` result (Heed-Binary-Length) is read and kept
        in `self.attachment` (None for a frame without one)."""
        length = None
        attached = None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit("heed serve closed its output")
            line = line.strip()
            if not line:
                break
            name, value = line.split(b":", 1)
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"heed-binary-length":
                attached = int(value)
        body = self.process.stdout.read(length)
        self.attachment = self.process.stdout.read(attached) if attached is not None else None
        return body

    def call(self, ident, method, params):
        """Sends one request and returns its response body (bytes); one request at a time."""
        self.send(ident, method, params)
        return self.receive()

    def status_kib(self, *keys):
        """{key: kB} for lines of /proc/PID/status such as VmRSS and VmHWM."""
        out = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name in keys:
                    out[name] = int(value.split()[0])
        return out

    def close(self):
        """Closes stdin (the daemon exits at end of input) and waits; returns its stderr text."""
        self.process.stdin.close()
        self.process.wait()
        return self.process.stderr.read().decode() if self.process.stderr else ""
