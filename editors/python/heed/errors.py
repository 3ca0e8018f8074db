"""Exceptions raised by the Heed client.

Daemon errors (protocol.md, section 9) raise :class:`HeedError` or the subclass for their code;
an unknown code raises :class:`HeedError` itself (protocol.md, section 10).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Type


class HeedError(Exception):
    """An error answered by ``heed serve``: ``code``, ``message`` and ``data`` as on the wire."""

    code: Optional[int] = None

    def __init__(self, code: Optional[int], message: str, data: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def __str__(self) -> str:
        if self.code is None:
            return self.message
        return f"{self.message} (heed error {self.code})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, {self.data!r})"


class ParseError(HeedError):
    """-32700: the daemon could not parse a body as JSON (a client bug)."""


class InvalidRequest(HeedError):
    """-32600: not a request, a duplicate in-flight id, an oversized frame, or after shutdown."""


class MethodNotFound(HeedError):
    """-32601: the daemon has no such protocol method."""


class InvalidParams(HeedError, ValueError):
    """-32602: wrong or missing fields, bad offsets, an unknown analysis method, a focus
    outside the text or overlapping no unit."""


class InternalError(HeedError):
    """-32603: a bug in the daemon (e.g. a non-finite result)."""


class ServerNotInitialized(HeedError):
    """-32002: a request before ``initialize`` (a client bug)."""


class RequestCancelled(HeedError):
    """-32800: the request was cancelled with ``$/cancelRequest``."""


class UnknownModel(HeedError, LookupError):
    """-32010: the model id is not a catalog name, a directory or a cached Hugging Face repo.
    ``data["catalog"]`` lists the catalog names."""


class ModelLoadError(HeedError):
    """-32011: the model failed to load (the file and the reason are in the message)."""


class MethodNotSupported(HeedError):
    """-32012: the model family cannot compute this analysis method.
    ``data["supported"]`` lists the ones it can."""


class InputTooLong(HeedError, ValueError):
    """-32013: the text has more tokens than the model allows.
    ``data`` is ``{"limit": ..., "tokens": ...}``."""


class ModelInconsistent(HeedError):
    """-32014: the text has a token the model's checkpoint cannot embed (a fault of the model's
    files). ``data`` is ``{"tokenId", "token", "embeddingRows"}``."""


class DaemonDied(HeedError):
    """``heed serve`` exited while requests were in flight (or could not start). ``code`` is
    None; ``data`` is ``{"returncode": int, "stderr": str}`` (the last lines it wrote). The next
    call on the client starts a new daemon."""


class HeedNotFound(FileNotFoundError):
    """No ``heed`` executable was found (argument, ``HEED_EXECUTABLE``, ``PATH``)."""


class HeedWarning(UserWarning):
    """Reported when a daemon that died while idle is restarted."""


ERRORS_BY_CODE: Dict[int, Type[HeedError]] = {
    -32700: ParseError,
    -32600: InvalidRequest,
    -32601: MethodNotFound,
    -32602: InvalidParams,
    -32603: InternalError,
    -32002: ServerNotInitialized,
    -32800: RequestCancelled,
    -32010: UnknownModel,
    -32011: ModelLoadError,
    -32012: MethodNotSupported,
    -32013: InputTooLong,
    -32014: ModelInconsistent,
}


def error_from_wire(error: Dict[str, Any]) -> HeedError:
    """The exception for a JSON-RPC ``error`` object."""
    code = error.get("code")
    cls = ERRORS_BY_CODE.get(code, HeedError) if isinstance(code, int) else HeedError
    return cls(code, str(error.get("message", "")), error.get("data"))
