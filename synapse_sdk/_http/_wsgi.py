"""An in-process transport: a WSGI app answers the Session's requests, with no socket.

``Session(url, transport=WSGITransport(app))`` (or ``BackendClient(url, transport=...)``) hands
every request - API calls and downloads, whatever their origin - to ``app`` in the calling thread
and wraps its answer in a ``urllib3.HTTPResponse`` with the body unread. The attempt loop above it
is the one the socket transport uses, so retries, deadlines, body caps, decoding, error mapping
and logging behave the same; only the wire is missing:

* connect and read timeouts have nothing to bound (there is no socket). The call's deadline is
  checked when the app returns and between the chunks of its body; an app blocked inside one call
  is not interrupted (it runs on the caller's thread).
* an exception raised by the app is what a dropped connection is over a socket: a
  ``ClientConnectionError`` for a safe call (retried like one), ``OutcomeUnknownError`` for a
  write; one raised while the app produces its body is a ``TruncatedBodyError``.
* a request body streamed from files (``Multipart``) is read lazily by the app through
  ``wsgi.input``; what the app leaves unread is consumed after it returns, as a server would
  receive it. An error of the body itself (a file changed while uploading) is raised unchanged.
* ``HEAD``/``204``/``304`` answers carry no body; hop-by-hop headers are dropped; an invalid
  ``Content-Length`` or a status below 200 is a protocol error, as on a socket.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import unquote_to_bytes

import urllib3
from urllib3 import exceptions as u3

from synapse_sdk._http._watchdog import SENDING, DeadlineReached, current_guard

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["WSGITransport"]

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "te"})
_NO_BODY_STATUSES = frozenset({204, 304})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Origins remembered per transport (downloads may visit many; the cache is dropped past this).
_MAX_ORIGINS = 64


class AppBodyError(OSError):
    """Internal: the app raised while producing its body (urllib3 maps an OSError raised while
    reading to ``ProtocolError``, so this surfaces as a cut-off body)."""


class WSGITransport:
    """Answer a Session's requests from a WSGI application in-process, with no socket.

    ``BackendClient("http://testserver", api_token=..., transport=WSGITransport(app))`` sends
    every request to ``app`` (any PEP 3333 callable); the base URL only names the origin the app
    sees (``HTTP_HOST``, ``wsgi.url_scheme``). See the module docstring for what differs from a
    socket: no connect/read timeouts, app exceptions are connection failures.

    Args:
        app: The WSGI application (mounted at the root: ``SCRIPT_NAME`` is empty).
        remote_addr: ``REMOTE_ADDR`` for every request.
        errors: ``wsgi.errors`` (default: ``sys.stderr``).

    A transport is thread-safe as far as the app is (calls run on the callers' threads) and
    pickles when its app does.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        remote_addr: str = "127.0.0.1",
        errors: IO[str] | None = None,
    ) -> None:
        if not callable(app):
            raise TypeError(f"app must be a WSGI callable, got {type(app).__name__}")
        self.app = app
        self.remote_addr = remote_addr
        self.errors = errors
        self._origins: dict[str, _Origin] = {}

    def route(self, url: str) -> tuple[_Origin, str]:
        """The opener for ``url``'s origin and the request target (path and query)."""
        slash = url.find("/", url.find("//") + 2)
        origin, target = (url, "/") if slash == -1 else (url[:slash], url[slash:])
        opener = self._origins.get(origin)
        if opener is None:
            if len(self._origins) >= _MAX_ORIGINS:
                self._origins = {}
            opener = self._origins.setdefault(origin, _Origin(self, origin))
        return opener, target

    #: Downloads are answered by the same app, whatever their origin.
    route_download = route

    def close(self) -> None:
        """Nothing to release (no connections); the transport stays usable."""

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_origins"] = {}
        return state

    def __repr__(self) -> str:
        return f"WSGITransport({self.app!r})"


class _Origin:
    """The opener for one origin: builds the environ and calls the app."""

    __slots__ = ("host_header", "port", "scheme", "server_name", "transport")

    def __init__(self, transport: WSGITransport, origin: str) -> None:
        parsed = urllib3.util.parse_url(origin)
        self.transport = transport
        self.scheme = parsed.scheme or "http"
        self.server_name = parsed.host or "localhost"
        self.port = parsed.port or _DEFAULT_PORTS.get(self.scheme, 80)
        self.host_header = parsed.netloc or self.server_name

    def urlopen(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Any = None,
        **_: Any,
    ) -> urllib3.HTTPResponse:
        """Call the app for ``method url`` and return its answer, body unread."""
        source, length = _request_body(body)
        environ = self._environ(method, url, headers or {}, source, length, body is None)
        guard = current_guard()
        if guard is not None:
            if guard.fired:
                raise DeadlineReached
            guard.phase = SENDING
        started: list[Any] = []
        written: list[bytes] = []

        def start_response(status: str, response_headers: Any, exc_info: Any = None) -> Any:
            started[:] = [status, response_headers]
            return written.append

        app = self.transport.app
        result: Iterable[bytes] = ()
        try:
            result = app(environ, start_response)
            chunks = iter(result)
            first = b""
            for chunk in chunks:
                if chunk:
                    first = _as_bytes(chunk)
                    break
        except Exception as exc:
            _close(result)
            _finish_request_body(source)
            raise u3.ProtocolError(f"the WSGI app raised {type(exc).__name__}: {exc}") from exc
        _finish_request_body(source)
        if guard is not None and (guard.fired or time.monotonic() >= guard.deadline):
            _close(result)
            raise DeadlineReached
        if not started:
            _close(result)
            raise u3.ProtocolError("the WSGI app returned without calling start_response")
        return _response(method, url, started, written, first, chunks, result)

    def _environ(
        self,
        method: str,
        target: str,
        headers: Any,
        source: Any,
        length: int | None,
        no_body: bool,
    ) -> dict[str, Any]:
        transport = self.transport
        path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": target,
            "RAW_URI": target,
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": transport.remote_addr,
            "HTTP_HOST": self.host_header,
            "HTTP_ACCEPT_ENCODING": "identity",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.scheme,
            "wsgi.input": source,
            "wsgi.errors": transport.errors if transport.errors is not None else sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        given = False
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            elif key == "CONTENT_LENGTH":
                given = True
            environ[key] = value
        if not given:
            if length is not None:
                environ["CONTENT_LENGTH"] = str(length)
            elif no_body and method in _BODY_METHODS:
                environ["CONTENT_LENGTH"] = "0"
        return environ


def _request_body(body: Any) -> tuple[Any, int | None]:
    """``wsgi.input`` for ``body`` and its length (None when only the headers know it)."""
    if body is None:
        return io.BytesIO(b""), None
    if isinstance(body, (str, bytes, bytearray, memoryview)):
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        return io.BytesIO(data), len(data)
    return _StreamedInput(body), None


class _StreamedInput(io.RawIOBase):
    """``wsgi.input`` over an iterable of blocks (a streamed Multipart), read on demand."""

    def __init__(self, blocks: Iterable[Any]) -> None:
        super().__init__()
        self._blocks: Iterator[Any] = iter(blocks)
        self._pending = memoryview(b"")
        self.error: BaseException | None = None
        self.done = False

    def readable(self) -> bool:
        return True

    def _next_block(self) -> bool:
        try:
            block = next(self._blocks)
        except StopIteration:
            self.done = True
            return False
        except BaseException as exc:
            self.error = exc
            self.done = True
            raise
        self._pending = memoryview(block).cast("B")
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            if self.done or not self._next_block():
                return 0
        count = min(len(view), len(self._pending))
        view[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def finish(self) -> None:
        """Raise the body's own error, if it failed; else consume what the app left unread."""
        if self.error is not None:
            raise self.error
        self._pending = memoryview(b"")
        while not self.done:
            self._next_block()


def _finish_request_body(source: Any) -> None:
    if isinstance(source, _StreamedInput):
        source.finish()


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


def _response(
    method: str,
    url: str,
    started: list[Any],
    written: list[bytes],
    first: bytes,
    chunks: Iterator[bytes],
    result: Iterable[bytes],
) -> urllib3.HTTPResponse:
    status_text, raw_headers = started
    status_text = str(status_text)
    code_text, _, reason = status_text.partition(" ")
    if not (len(code_text) == 3 and code_text.isdigit()) or int(code_text) < 200:
        _close(result)
        raise u3.ProtocolError(f"the WSGI app answered an invalid status {status_text[:40]!r}")
    status = int(code_text)
    headers = urllib3.HTTPHeaderDict()
    for name, value in raw_headers:
        if name.lower() not in _HOP_BY_HOP:
            headers.add(name, value)
    length: int | None = None
    announced = headers.get("Content-Length")
    if announced is not None:
        if not announced.strip().isdigit():
            _close(result)
            raise u3.ProtocolError(f"invalid Content-Length {announced[:100]!r}")
        length = int(announced)
    if method == "HEAD" or status in _NO_BODY_STATUSES:
        _close(result)
        body = _AppBody(b"", iter(()), (), 0)
    else:
        if written:
            first = b"".join([*written, first])
        body = _AppBody(first, chunks, result, length)
    return urllib3.HTTPResponse(
        body=cast(Any, body),  # file-like: read with read1, closed with close
        headers=headers,
        status=status,
        version=11,
        version_string="HTTP/1.1",
        reason=reason or None,
        preload_content=False,
        decode_content=False,
        request_method=method,
        request_url=url,
    )


class _AppBody:
    """The app's answer body as a file urllib3 reads with ``read1`` (never past
    ``Content-Length``); closing it closes the app's iterable (PEP 3333)."""

    def __init__(
        self, first: bytes, chunks: Iterator[bytes], result: Iterable[bytes], left: int | None
    ) -> None:
        self._buffer = first
        self._offset = 0
        self._chunks = chunks
        self._result = result
        self._left = left
        self.closed = False

    def read1(self, amt: int | None = None) -> bytes:
        if self.closed or self._left == 0:
            return b""
        while self._offset >= len(self._buffer):
            try:
                chunk = next(self._chunks)
                self._buffer = _as_bytes(chunk)
            except StopIteration:
                self.close()
                return b""
            except Exception as exc:
                self.close()
                raise AppBodyError(
                    f"the WSGI app raised {type(exc).__name__} while producing its body: {exc}"
                ) from exc
            self._offset = 0
        end = len(self._buffer)
        if amt is not None and amt >= 0:
            end = min(end, self._offset + amt)
        if self._left is not None:
            end = min(end, self._offset + self._left)
            self._left -= end - self._offset
        data = self._buffer[self._offset : end]
        self._offset = end
        return data

    def read(self, amt: int | None = None) -> bytes:
        parts: list[bytes] = []
        wanted = -1 if amt is None or amt < 0 else amt
        while wanted:
            data = self.read1(wanted if wanted > 0 else None)
            if not data:
                break
            parts.append(data)
            if wanted > 0:
                wanted -= len(data)
        return b"".join(parts)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._buffer = b""
            _close(self._result)


def _as_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"a WSGI body chunk must be bytes, got {type(chunk).__name__}")
