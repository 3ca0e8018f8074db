"""The client: starts ``heed serve`` and speaks protocol.md (JSON-RPC 2.0, LSP framing).

One process per :class:`Client`. A reader thread parses frames from the daemon's stdout and
hands each response to the thread waiting for its id; a second thread keeps the last lines of
the daemon's stderr for error reports. Offsets are negotiated as ``utf-32``, so the offsets of
every request and result are Python ``str`` indices.
"""

from __future__ import annotations

import collections
import io
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import errors
from .errors import DaemonDied, HeedError, HeedNotFound, HeedWarning

__all__ = ["Client", "find_executable"]

CLIENT_VERSION = "0.1.0"

INSTALL_HINT = (
    "Heed's executable `heed` was not found. Pass Client(executable='/path/to/heed'), set "
    "HEED_EXECUTABLE, or put `heed` on PATH. To build it: clone Heed, run "
    "`swift build -c release` in it (Swift 6, Linux x86-64 with AVX2), and use "
    "`$(swift build -c release --show-bin-path)/heed`."
)

Focus = Union[int, str, Tuple[int, int], Sequence[int]]


def find_executable(executable: Optional[str] = None) -> str:
    """The ``heed`` executable: the argument, else ``HEED_EXECUTABLE``, else ``heed`` on PATH.

    Raises :class:`heed.HeedNotFound` with instructions when there is none.
    """
    for candidate, origin in ((executable, "the executable argument"),
                              (os.environ.get("HEED_EXECUTABLE") or None, "HEED_EXECUTABLE")):
        if candidate is None:
            continue
        path = os.path.expanduser(str(candidate))
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
        found = shutil.which(path)
        if found:
            return found
        raise HeedNotFound(f"{origin} names {candidate!r}, which is not an executable file. "
                           + INSTALL_HINT)
    found = shutil.which("heed")
    if found:
        return found
    raise HeedNotFound(INSTALL_HINT)


_BLOB_KEY = b'"dtype":"f32","data":"'
_FAST_PATH_BYTES = 1 << 18


def _loads(body, attachment=None) -> Any:
    """json.loads of a frame body.

    With a binary attachment (``format: "binary"``, protocol.md section 1.1), every tensor
    reference ``{shape, dtype: "f32", byteOffset, byteLength}`` gets ``data``: a memoryview of
    its bytes in the attachment (no copy), which ``heed._arrays`` reads in place. A reference
    outside the attachment gets none (decoding it raises ``ValueError``).

    Without one, a fast path for large ``format: "base64"`` results: the base64 strings
    are cut out with ``bytes.find`` (so the JSON scanner does not walk megabytes of string, nor
    UTF-8 decode them) and put back as ``bytes``, which ``heed._arrays`` decodes. A base64
    string cannot contain ``"`` or ``\\``, and the key sequence cannot occur inside a JSON
    string (its quotes would be escaped there), so the cut is exact. Bodies under 256 KB, and
    errors, take the plain path."""
    if attachment is not None:
        view = memoryview(attachment)
        size = len(view)

        def attach(d):
            offset, length = d.get("byteOffset"), d.get("byteLength")
            if (type(offset) is int and type(length) is int and d.get("dtype") == "f32"
                    and 0 <= offset and 0 <= length and offset + length <= size):
                d["data"] = view[offset:offset + length]
            return d

        return json.loads(body, object_hook=attach)
    if len(body) < _FAST_PATH_BYTES or body.find(_BLOB_KEY) < 0:
        return json.loads(body)
    blobs: List[memoryview] = []
    parts: List[bytes] = []
    pos = 0
    data = memoryview(body)
    while True:
        k = body.find(_BLOB_KEY, pos)
        if k < 0:
            break
        start = k + len(_BLOB_KEY)
        end = body.find(b'"', start)
        if end < 0:
            return json.loads(body)
        parts.append(data[pos:start - 1])
        parts.append(b"%d" % len(blobs))
        blobs.append(data[start:end])  # a view: a2b_base64 reads it without a copy
        pos = end + 1
    parts.append(data[pos:])

    def hook(d):
        if d.get("dtype") == "f32" and type(d.get("data")) is int:
            d["data"] = blobs[d["data"]]
        return d

    return json.loads(b"".join(parts), object_hook=hook)


def _read_exactly(stream, length: int, new_buffer=bytearray):
    """``length`` bytes of ``stream`` into a new buffer (``new_buffer(length)``), or None at
    end of input."""
    buffer = new_buffer(length)
    view = memoryview(buffer)
    got = 0
    while got < length:
        n = stream.readinto(view[got:])
        if not n:
            return None
        got += n
    return buffer


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


_NO_LOCK = _NoLock()


class _Pending:
    """One request waiting for its response."""

    __slots__ = ("method", "event", "response")

    def __init__(self, method: str):
        self.method = method
        self.event = threading.Event()
        self.response: Optional[Dict[str, Any]] = None


class _Daemon:
    """One ``heed serve`` process with its reader threads."""

    def __init__(self, argv: List[str], env: Optional[Dict[str, str]], on_notification,
                 stderr_lines: int):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0, env=env,
                                     start_new_session=True)
        # start_new_session: a Ctrl-C in the terminal reaches Python only; the client cancels
        # the request itself (a SIGINT to the daemon would kill it mid-request).
        self.pid = self.proc.pid
        self.pending: Dict[Any, _Pending] = {}
        self.lock = threading.Lock()        # pending, dead
        self.write_lock = threading.Lock()  # frames are written whole
        self.dead = False
        self.death: Optional[DaemonDied] = None
        self.death_reported = False
        self.closing = False
        self.loaded_models: set = set()
        self._spare: Optional[bytearray] = None
        self.stderr_tail: collections.deque = collections.deque(maxlen=stderr_lines)
        self.on_notification = on_notification
        self.stderr_thread = threading.Thread(target=self._read_stderr, daemon=True,
                                              name=f"heed-stderr-{self.pid}")
        self.reader_thread = threading.Thread(target=self._read_stdout, daemon=True,
                                              name=f"heed-reader-{self.pid}")
        self.stderr_thread.start()
        self.reader_thread.start()

    # -- reading

    def _read_stderr(self) -> None:
        stream = self.proc.stderr
        for raw in iter(stream.readline, b""):
            self.stderr_tail.append(raw.decode("utf-8", "replace").rstrip("\r\n"))

    def _read_frame(self, stream, new_buffer=None) -> Optional[Tuple[bytes, Any]]:
        """The next frame's body and binary attachment (None when the frame has none), or None
        at end of input. Headers in any order, names case-insensitive, unknown headers ignored;
        a header block without a valid Content-Length (or with an invalid Heed-Binary-Length)
        is skipped. The attachment (``Heed-Binary-Length`` bytes after the body, protocol.md
        section 1.1) is read into one buffer (``new_buffer(size)``, default a new bytearray)
        that the result's arrays view in place."""
        while True:
            length = None
            attached = None
            bad = False
            saw_header = False
            while True:
                line = stream.readline()
                if not line:
                    return None
                if line in (b"\r\n", b"\n"):
                    if saw_header:
                        break
                    continue
                saw_header = True
                name, sep, value = line.partition(b":")
                if not sep:
                    continue
                name = name.strip().lower()
                if name == b"content-length":
                    try:
                        length = int(value.strip())
                    except ValueError:
                        length = None
                elif name == b"heed-binary-length":
                    try:
                        attached = int(value.strip())
                    except ValueError:
                        bad = True
            if length is None or length < 0 or bad or (attached is not None and attached < 0):
                continue
            body = _read_exactly(stream, length)
            if body is None:
                return None
            attachment = None
            if attached is not None:
                attachment = _read_exactly(stream, attached, new_buffer or bytearray)
                if attachment is None:
                    return None
            return (bytes(body) if length < 4096 else body), attachment

    def _attachment_buffer(self, size: int):
        """A buffer for an attachment of ``size`` bytes: the previous attachment's buffer when
        it is large enough and nothing views it any more (no result, array or view of it is
        alive: only this object refers to it), else a new one, kept for next time. Reusing it
        saves touching fresh memory, which costs about as much as reading the bytes (a 90 MB
        attachment: some 40 ms of page faults). Reader thread only."""
        spare = self._spare
        # References: self._spare, `spare`, getrefcount's argument. Any memoryview of it (the
        # arrays of a result hold one) adds one.
        if spare is not None and len(spare) >= size and sys.getrefcount(spare) == 3:
            return memoryview(spare)[:size]
        spare = None
        self._spare = bytearray(size)
        return self._spare

    def _read_stdout(self) -> None:
        # The pipe is unbuffered (bufsize=0, for stdin's sake): buffer reads here, so that
        # header lines are not read a byte per system call and a body is read in one call.
        stream = io.BufferedReader(self.proc.stdout, buffer_size=1 << 16)
        try:
            while True:
                frame = self._read_frame(stream, self._attachment_buffer)
                if frame is None:
                    break
                try:
                    message = _loads(*frame)
                except ValueError:
                    continue
                finally:
                    frame = None
                for item in message if isinstance(message, list) else [message]:
                    if isinstance(item, dict):
                        self._dispatch(item)
                # Hold nothing of it while waiting for the next frame: its attachment's buffer
                # is reused once the caller has dropped the result (_attachment_buffer).
                message = item = None
        except (OSError, ValueError):
            pass
        finally:
            try:
                stream.close()  # closes the pipe too
            except OSError:
                pass
        self._died()

    def _dispatch(self, message: Dict[str, Any]) -> None:
        if "method" in message:
            if "id" not in message and self.on_notification is not None:
                try:
                    self.on_notification(message["method"], message.get("params"))
                except Exception:  # a progress printer must never stop the reader
                    pass
            return
        with self.lock:
            pending = self.pending.pop(message.get("id"), None)
        if pending is not None:
            pending.response = message
            pending.event.set()

    def _died(self) -> None:
        """End of the daemon's stdout: fail every waiting request with its stderr tail."""
        try:
            returncode = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            returncode = self.proc.wait()
        self.stderr_thread.join(timeout=2)
        for pipe in (self.proc.stderr, self.proc.stdin):
            try:
                with self.write_lock if pipe is self.proc.stdin else _NO_LOCK:
                    pipe.close()
            except OSError:
                pass
        with self.lock:
            self.dead = True
            pending = list(self.pending.values())
            self.pending.clear()
            self.death = self._death_error(returncode, [p.method for p in pending])
            if pending and not self.closing:
                self.death_reported = True
        for p in pending:
            p.response = {"error": self.death}
            p.event.set()

    def _death_error(self, returncode: int, methods: List[str]) -> DaemonDied:
        if returncode < 0:
            try:
                how = f"was killed by {signal.Signals(-returncode).name}"
            except ValueError:
                how = f"was killed by signal {-returncode}"
        else:
            how = f"exited with code {returncode}"
        during = f" while handling {', '.join(sorted(set(methods)))}" if methods else ""
        tail = "\n".join(self.stderr_tail)
        message = (f"heed serve (pid {self.pid}) {how}{during}; the next call starts a new "
                   f"daemon. Its last stderr lines:\n{tail}" if tail else
                   f"heed serve (pid {self.pid}) {how}{during}; the next call starts a new "
                   f"daemon. It wrote nothing on stderr.")
        return DaemonDied(None, message, {"returncode": returncode, "stderr": tail})

    # -- writing

    def write(self, message: Dict[str, Any]) -> None:
        try:
            body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: sent escaped, the daemon names the field
            body = json.dumps(message, ensure_ascii=True, separators=(",", ":")).encode("ascii")
        frame = b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        broken: List[BaseException] = []

        def write_whole() -> None:
            view = memoryview(frame)
            with self.write_lock:
                written = 0
                try:
                    while written < len(frame):
                        written += self.proc.stdin.write(view[written:]) or 0
                except (BrokenPipeError, ValueError, OSError) as exc:
                    broken.append(exc)

        if threading.current_thread() is not threading.main_thread():
            write_whole()  # KeyboardInterrupt is only ever raised in the main thread
        else:
            # In the main thread a KeyboardInterrupt can land between a write returning and its
            # count being stored, and the frame would then be sent twice; a helper thread writes
            # it whole while this one waits (and keeps waiting through a Ctrl-C).
            done = threading.Event()

            def run() -> None:
                try:
                    write_whole()
                finally:
                    done.set()

            threading.Thread(target=run, daemon=True, name="heed-write").start()
            interrupted = None
            while True:
                try:
                    if done.wait(0.05):
                        break
                except KeyboardInterrupt as exc:  # the frame is still written whole: cancel it after
                    interrupted = exc
            if interrupted is not None and not broken:
                raise interrupted
        if broken:  # outside the lock: the reader closes stdin under it when the daemon dies
            raise self.wait_death()

    def wait_death(self) -> DaemonDied:
        self.reader_thread.join(timeout=10)
        with self.lock:
            death = self.death
        if death is None:
            return DaemonDied(None, f"heed serve (pid {self.pid}) stopped reading its input",
                              {"returncode": None, "stderr": "\n".join(self.stderr_tail)})
        return death

    def alive(self) -> bool:
        with self.lock:
            return not self.dead and self.proc.poll() is None


class Client:
    """A connection to one ``heed serve`` process.

    ``Client(executable=None, model="minilm", **daemon_options)``: ``executable`` is found as
    :func:`find_executable` does; ``model`` is the default model of every method;
    ``daemon_options`` become ``heed serve`` options (``log_level="info"`` ->
    ``--log-level info``, ``max_memory="1G"`` -> ``--max-memory 1G``). ``progress`` (default
    True) prints the daemon's ``$/progress`` lines on stderr while a model is fetched and loaded.

    Thread-safe: any number of threads may call it at once. A context manager; :meth:`close`
    sends ``shutdown`` and ``exit``. A daemon that dies is reported (:class:`heed.DaemonDied`
    for the requests it was handling, else a :class:`heed.HeedWarning`) and restarted by the
    next call.
    """

    def __init__(self, executable: Optional[str] = None, model: str = "minilm", *,
                 progress: bool = True, env: Optional[Dict[str, str]] = None,
                 stderr_lines: int = 40, cancel_timeout: float = 5.0, **daemon_options: Any):
        self.executable = find_executable(executable)
        self.model = model
        self.progress = progress
        self.env = env
        self.cancel_timeout = cancel_timeout
        self.daemon_options = dict(daemon_options)
        self._stderr_lines = stderr_lines
        self._ids = itertools.count(1)
        self._tokens = itertools.count(1)
        # workDoneToken -> the $/progress values of a request whose caller passed `progress=`:
        # the reader thread appends, the waiting caller hands them to its callback (_call).
        self._progress_queues: Dict[str, "collections.deque"] = {}
        self._start_lock = threading.RLock()
        self._daemon: Optional[_Daemon] = None
        self._closed = False
        self.server_info: Dict[str, Any] = {}
        self.capabilities: Dict[str, Any] = {}
        #: (request id, outcome) of requests cancelled by KeyboardInterrupt, most recent last;
        #: outcome is the error code the daemon answered (-32800), "result" when it finished
        #: first, or None when no answer came within ``cancel_timeout``.
        self.cancellations: collections.deque = collections.deque(maxlen=100)
        self._ensure_started()

    # -- process management

    def _argv(self) -> List[str]:
        argv = [self.executable, "serve"]
        for key, value in self.daemon_options.items():
            if value is None:
                continue
            argv += ["--" + key.replace("_", "-"), str(value)]
        return argv

    def _ensure_started(self) -> _Daemon:
        daemon = self._daemon
        if daemon is not None and daemon.alive():
            return daemon
        with self._start_lock:
            if self._closed:
                raise HeedError(None, "this heed Client is closed")
            daemon = self._daemon
            if daemon is not None and daemon.alive():
                return daemon
            if daemon is not None:
                death = daemon.wait_death()
                with daemon.lock:
                    reported = daemon.death_reported
                    daemon.death_reported = True
                if not reported:
                    warnings.warn(HeedWarning(str(death).replace(
                        "the next call starts a new daemon", "starting a new one")), stacklevel=4)
            self._daemon = self._spawn()
            return self._daemon

    def _spawn(self) -> _Daemon:
        try:
            daemon = _Daemon(self._argv(), self.env, self._on_notification, self._stderr_lines)
        except OSError as exc:
            raise HeedNotFound(f"could not start {self.executable}: {exc}. " + INSTALL_HINT)
        params = {
            "processId": os.getpid(),
            "clientInfo": {"name": "heed-python", "version": CLIENT_VERSION},
            "capabilities": {"general": {"positionEncodings": ["utf-32"]}},
        }
        result = self._call(daemon, "initialize", params)
        encoding = result.get("capabilities", {}).get("positionEncoding")
        if encoding != "utf-32":
            daemon.proc.kill()
            raise HeedError(None, f"heed serve chose position encoding {encoding!r}; "
                                  "this client needs 'utf-32'")
        self.server_info = result.get("serverInfo", {})
        self.capabilities = result.get("capabilities", {})
        daemon.write({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        return daemon

    @property
    def pid(self) -> Optional[int]:
        """The process id of the current daemon (None before it starts)."""
        return self._daemon.pid if self._daemon is not None else None

    def stderr_tail(self) -> str:
        """The last lines the current daemon wrote on stderr."""
        return "\n".join(self._daemon.stderr_tail) if self._daemon is not None else ""

    def close(self, timeout: float = 5.0) -> None:
        """``shutdown`` then ``exit``; waits for the process (kills it after ``timeout``)."""
        with self._start_lock:
            if self._closed:
                return
            self._closed = True
            daemon = self._daemon
        if daemon is None:
            return
        daemon.closing = True
        if daemon.alive():
            try:
                self._call(daemon, "shutdown", None, timeout=timeout)
                daemon.write({"jsonrpc": "2.0", "method": "exit"})
            except (HeedError, OSError, TimeoutError):
                pass
        try:
            daemon.proc.stdin.close()
        except OSError:
            pass
        try:
            daemon.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            daemon.proc.kill()
            daemon.proc.wait()
        daemon.reader_thread.join(timeout=timeout)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self):
        try:
            if not self._closed and self._daemon is not None and self._daemon.alive():
                self._daemon.proc.kill()
        except Exception:
            pass

    # -- notifications

    def _on_notification(self, method: str, params: Any) -> None:
        if method != "$/progress" or not isinstance(params, dict):
            return
        value = params.get("value") or {}
        queue = self._progress_queues.get(params.get("token"))
        if queue is not None:  # a request with its own callback (analyze(progress=...))
            if isinstance(value, dict):
                queue.append(value)
            return
        if not self.progress:
            return
        parts = [value.get("title"), value.get("message")]
        if value.get("percentage") is not None:
            parts.insert(1, f"{value['percentage']}%")
        text = " ".join(str(p) for p in parts if p)
        if text:
            sys.stderr.write(f"heed: {text}\n")
            sys.stderr.flush()

    # -- requests

    def _call(self, daemon: _Daemon, method: str, params: Any,
              timeout: Optional[float] = None,
              on_wait: Optional[Callable[[], None]] = None) -> Any:
        """Sends a request and waits for its answer. ``on_wait`` runs on this thread between
        short waits and once after the answer (progress callbacks); an exception it raises
        cancels the request (``$/cancelRequest``, as Ctrl-C does) and propagates."""
        request_id = next(self._ids)
        pending = _Pending(method)
        with daemon.lock:
            if daemon.dead:  # it died before this request was registered (e.g. a bad option at
                # start-up): the same report as if it had died while handling this request
                raise daemon._death_error(daemon.death.data["returncode"], [method])
            daemon.pending[request_id] = pending
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        try:
            try:
                daemon.write(message)
            except KeyboardInterrupt:
                raise  # the frame was written whole: cancel it below
            except BaseException:
                with daemon.lock:
                    daemon.pending.pop(request_id, None)
                raise
            deadline = None if timeout is None else time.monotonic() + timeout
            # Short waits: a KeyboardInterrupt (Ctrl-C, _thread.interrupt_main) is delivered
            # between them even where a blocking wait would not be interrupted.
            while not pending.event.wait(0.05):
                if deadline is not None and time.monotonic() > deadline:
                    with daemon.lock:
                        daemon.pending.pop(request_id, None)
                    raise TimeoutError(f"{method} got no answer within {timeout} s")
                if on_wait is not None:
                    try:
                        on_wait()
                    except KeyboardInterrupt:
                        raise  # cancelled below
                    except BaseException:
                        self._cancel(daemon, request_id, pending)
                        raise
        except KeyboardInterrupt:
            self._cancel(daemon, request_id, pending)
            raise
        if on_wait is not None:
            on_wait()  # what came before the answer (the `end` of a $/progress)
        response = pending.response
        error = response.get("error")
        if isinstance(error, HeedError):  # a copy per waiting thread
            raise type(error)(error.code, error.message, error.data)
        if error is not None:
            raise errors.error_from_wire(error)
        return response.get("result")

    def _cancel(self, daemon: _Daemon, request_id: int, pending: _Pending) -> None:
        """``$/cancelRequest`` for an interrupted request, then a bounded wait for its answer
        (so that its id is settled); a second Ctrl-C stops waiting."""
        outcome: Any = None
        try:
            daemon.write({"jsonrpc": "2.0", "method": "$/cancelRequest",
                          "params": {"id": request_id}})
            if pending.event.wait(self.cancel_timeout):
                error = pending.response.get("error")
                if isinstance(error, HeedError):
                    outcome = error.code
                elif isinstance(error, dict):
                    outcome = error.get("code")
                else:
                    outcome = "result"
        except (KeyboardInterrupt, HeedError, OSError):
            pass
        finally:
            with daemon.lock:
                daemon.pending.pop(request_id, None)
            self.cancellations.append((request_id, outcome))

    def request(self, method: str, params: Optional[Dict[str, Any]] = None) -> Any:
        """Sends one protocol request and returns its ``result`` (raises :class:`HeedError`)."""
        return self._call(self._ensure_started(), method, params)

    def _model_request(self, method: str, params: Dict[str, Any]) -> Any:
        """A request on a model, loaded first with progress when this daemon has not used it."""
        daemon = self._ensure_started()
        model = params["model"]
        if model not in daemon.loaded_models:
            self.load_model(model)
            daemon = self._ensure_started()
        return self._call(daemon, method, params)

    # -- protocol methods

    def models(self) -> List[Dict[str, Any]]:
        """``heed/models``: the catalog models and every loaded model (:class:`heed.ModelInfo`
        dicts)."""
        from .seq2seq import ModelInfo
        return [ModelInfo(m) for m in self.request("heed/models", {})["models"]]

    def load_model(self, model: Optional[str] = None) -> Dict[str, Any]:
        """``heed/loadModel`` with progress on stderr; returns its ModelInfo (a dict,
        :class:`heed.ModelInfo`: ``info.encoder_decoder``, ``info.decoder_layers``,
        ``info.cross_methods`` for an encoder-decoder model)."""
        from .seq2seq import ModelInfo
        model = model or self.model
        daemon = self._ensure_started()
        token = f"load-{next(self._tokens)}"
        info = self._call(daemon, "heed/loadModel", {"model": model, "workDoneToken": token})
        daemon.loaded_models.add(model)
        return ModelInfo(info) if isinstance(info, dict) else info

    def unload_model(self, model: Optional[str] = None) -> None:
        model = model or self.model
        daemon = self._ensure_started()
        self._call(daemon, "heed/unloadModel", {"model": model})
        daemon.loaded_models.discard(model)

    def tokenize(self, text: str, model: Optional[str] = None, side: Optional[str] = None):
        """``heed/tokenize``: every token of ``text`` with its span (``str`` indices).

        ``side``: ``"source"`` (default) or ``"target"``: which tokenizer of an encoder-decoder
        model encodes the text (``"target"`` on any other model raises
        :class:`heed.InvalidParams`)."""
        from .results import Tokenization
        model = model or self.model
        params: Dict[str, Any] = {"model": model, "text": text}
        if side is not None:
            params["side"] = side
        result = self._model_request("heed/tokenize", params)
        return Tokenization(result, text=text, model=model, side=side)

    def analyze(self, text: str, methods: Union[str, Sequence[str]] = ("attention", "norm-summed"),
                layers: Optional[Union[int, Sequence[int]]] = None, heads: str = "all",
                granularity: str = "token", model: Optional[str] = None,
                format: Optional[str] = None,
                progress: Optional[Callable[[int, str], Any]] = None,
                target: Optional[str] = None,
                decoder_layers: Optional[Union[int, Sequence[int]]] = None):
        """``heed/analyze``: per-layer matrices for ``methods`` (see :class:`heed.Analysis`).

        ``methods``: any of :data:`heed.METHODS` (protocol.md section 7), e.g. ``"attention"``,
        ``"norm-summed"``, ``"alti"``, ``"value-zeroing"``; the products over all layers
        (``"rollout"``, ``"norm-rollout"``, ``"alti-rollout"``, ``"globenc"``) come back at the
        top level: ``a["globenc"]`` is T x T. ``layers``: 0-based indices (default all);
        ``heads``: ``"all"`` or ``"mean"``; ``granularity``: ``"token"`` or ``"word"``;
        ``format``: how the daemon sends numbers, the result is the same: ``"binary"`` (raw
        float32 after the JSON, read in place; used when the daemon announces it, else
        ``"base64"``), ``"base64"`` or ``"nested"`` (JSON arrays, slow). The default (None) is
        ``"binary"``. ``result.params["format"]`` tells which one was used.

        ``progress``: ``callable(percentage, message)``, called on this thread while the
        daemon works (the request carries a ``workDoneToken`` and the daemon's ``$/progress``
        is handed over, protocol.md section 6): ``(0, title)`` when it begins, ``(p, "value
        zeroing")`` each time value zeroing's whole percentage p changes, ``(100, message)``
        when it ends (also before an error). Value zeroing takes seconds on a few hundred
        tokens; the other methods report only the beginning and the end. An exception raised by
        the callback cancels the request and propagates.

        ``target`` (an encoder-decoder model, protocol.md section 5.9): the target sentence,
        scored by teacher forcing; the result then has ``target_tokens``, ``decoder`` (the
        decoder's self-attention) and ``cross`` (the cross-attention) besides the encoder's
        layers; ``decoder_layers``: which decoder layers they report (default all).
        """
        from .results import Analysis
        model = model or self.model
        format = self._tensor_format(format)
        params = self._analyze_params(text, methods, layers, heads, granularity, model, format)
        if target is not None:
            params["target"] = target
        if decoder_layers is not None:
            params["decoderLayers"] = ([decoder_layers] if isinstance(decoder_layers, int)
                                       else list(decoder_layers))
        if progress is None:
            result = self._model_request("heed/analyze", params)
        else:
            result = self._with_progress("heed/analyze", params, progress)
        return Analysis(result, text=text, params=params, client=self)

    def _with_progress(self, method: str, params: Dict[str, Any],
                       callback: Callable[[int, str], Any]) -> Any:
        """A model request with a ``workDoneToken`` whose ``$/progress`` goes to ``callback``
        (percentage, message) on the calling thread. ``params`` is not changed."""
        if not callable(callback):
            raise TypeError("progress must be a callable(percentage, message)")
        daemon = self._ensure_started()
        if params["model"] not in daemon.loaded_models:
            self.load_model(params["model"])
            daemon = self._ensure_started()
        token = f"{method.split('/')[-1]}-{next(self._tokens)}"
        queue: collections.deque = collections.deque()
        last = [0]

        def deliver() -> None:
            while queue:
                value = queue.popleft()
                kind = value.get("kind")
                message = value.get("message") or value.get("title") or ""
                if kind == "end":
                    percentage = 100
                else:
                    percentage = value.get("percentage")
                    percentage = last[0] if percentage is None else int(percentage)
                last[0] = percentage
                callback(percentage, str(message))

        self._progress_queues[token] = queue
        try:
            return self._call(daemon, method, dict(params, workDoneToken=token), on_wait=deliver)
        finally:
            self._progress_queues.pop(token, None)

    def _tensor_format(self, format: Optional[str]) -> str:
        """``"binary"`` (or None) becomes ``"base64"`` unless the daemon lists ``"binary"`` in
        ``capabilities.tensorFormats`` (protocol.md section 2; older daemons do not)."""
        if format is None or format == "binary":
            self._ensure_started()
            formats = self.capabilities.get("tensorFormats") or ()
            return "binary" if "binary" in formats else "base64"
        return format

    @staticmethod
    def _analyze_params(text, methods, layers, heads, granularity, model, format):
        if isinstance(methods, str):
            methods = [methods]
        params: Dict[str, Any] = {"model": model, "text": text, "methods": list(methods),
                                  "heads": heads, "granularity": granularity, "format": format}
        if layers is not None:
            params["layers"] = [layers] if isinstance(layers, int) else list(layers)
        return params

    def highlight(self, text: str, focus: Focus, method: str = "norm-summed",
                  layer: Union[int, str] = "last", direction: str = "from",
                  top_k: Optional[int] = None, granularity: str = "token",
                  model: Optional[str] = None, predict: Optional[int] = None,
                  target: Optional[str] = None, focus_in: Optional[str] = None,
                  setting: Optional[str] = None):
        """``heed/highlight``: how much the focus attends to every other unit of ``text``.

        ``focus``: ``(start, end)`` (``str`` indices, half-open), an ``int`` (a cursor), or a
        ``str`` (its first occurrence in ``text``). For a decoder (``causal``), a cursor's focus
        is the last token before it. ``predict=K`` (a model that ``predicts``) adds the K most
        probable next tokens after the focus as ``result.predictions``.

        An encoder-decoder model (protocol.md section 5.9): with ``target`` and
        ``focus_in="target"``, ``focus`` is in ``target`` (a ``str`` focus is looked up there)
        and the ranges shade the source ``text`` by the cross-attention of decoder layer
        ``layer``; ``method`` is one of the model's ``cross_methods``; ``setting``:
        ``"input"`` (default: a target token is read at the step that reads it) or
        ``"output"`` (the step that outputs it). ``result.aligned`` is the source unit the
        focus aligns to (score 1). With ``focus_in="source"`` (the default) it is the encoder's
        self-attention over ``text``.
        """
        from .results import Highlight
        model = model or self.model
        if focus_in not in (None, "source", "target"):
            raise ValueError(f"focus_in must be \"source\" or \"target\", not {focus_in!r}")
        in_target = focus_in == "target" and target is not None
        start, end = _focus_span(target if in_target else text, focus,
                                 "the target" if in_target else "the text")
        params: Dict[str, Any] = {"model": model, "text": text,
                                  "focus": {"start": start, "end": end}, "method": method,
                                  "layer": layer, "direction": direction,
                                  "granularity": granularity}
        if top_k is not None:
            params["topK"] = top_k
        if predict is not None:
            params["predict"] = predict
        if target is not None:
            params["target"] = target
        if focus_in is not None:
            params["focusIn"] = focus_in
        if setting is not None:
            params["setting"] = setting
        result = self._model_request("heed/highlight", params)
        return Highlight(result, text=text, params=params)

    def predict(self, text: str, top_k: Optional[int] = None,
                model: Optional[str] = None) -> List[Dict[str, Any]]:
        """``heed/predict``: the most probable next tokens after ``text``, most probable first.

        Returns a list of dicts ``{"id", "text", "probability", "logit"}`` (``text``: the token
        decoded alone, e.g. ``" Paris"``; ``probability``: softmax over the whole vocabulary).
        ``top_k``: how many (default: the daemon's, 10). Needs a decoder (ModelInfo
        ``predicts``; e.g. ``model="smollm2"``): an encoder raises
        :class:`heed.MethodNotSupported`.
        """
        model = model or self.model
        params: Dict[str, Any] = {"model": model, "text": text}
        if top_k is not None:
            params["topK"] = top_k
        return self._model_request("heed/predict", params)["tokens"]

    def align(self, text: str, target: str, layer: Optional[Union[int, str]] = None,
              method: Optional[str] = None, setting: Optional[str] = None,
              model: Optional[str] = None):
        """``heed/align``: word alignments between a source ``text`` and its ``target`` for an
        encoder-decoder model (protocol.md section 5.9; Kobayashi et al. 2020, section 5): each
        target word linked to the source word with the largest value in decoder layer
        ``layer``'s word-level cross-attention (default ``"last"``). ``method``: ``"norm"``
        (default; ``norm-summed``) or ``"weight"`` (attention averaged over heads);
        ``setting``: ``"input"`` (default) or ``"output"``. Returns a
        :class:`heed.Alignment` (``links`` with both words and their spans). A model that is
        not encoder-decoder raises :class:`heed.MethodNotSupported`.
        """
        from .seq2seq import Alignment
        model = model or self.model
        params: Dict[str, Any] = {"model": model, "text": text, "target": target}
        if layer is not None:
            params["layer"] = layer
        if method is not None:
            params["method"] = method
        if setting is not None:
            params["setting"] = setting
        result = self._model_request("heed/align", params)
        return Alignment(result, text=text, target=target, params=params)

    def analyze_many(self, texts: Iterable[str], to: Optional[str] = None, *,
                     file_format: Optional[str] = None, progress: bool = True, **kwargs):
        """Analyzes a corpus; see :func:`heed.analyze_many`."""
        from .corpus import analyze_many
        return analyze_many(texts, to=to, file_format=file_format, progress=progress,
                            client=self, **kwargs)


def _focus_span(text: str, focus: Focus, where: str = "the text") -> Tuple[int, int]:
    if isinstance(focus, bool):
        raise TypeError("focus must be (start, end), an int or a str")
    if isinstance(focus, int):
        return focus, focus
    if isinstance(focus, str):
        at = text.find(focus)
        if at < 0 or not focus:
            raise ValueError(f"focus {focus!r} does not occur in {where}")
        return at, at + len(focus)
    start, end = focus
    return int(start), int(end)
