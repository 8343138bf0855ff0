"""The WSGI application: routing, auth, faults, journal, error rendering."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, MapAdapter, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from ._context import Config, Ctx, Resp, Route
from ._errors import ApiError
from ._faults import Fault, FaultPlane
from ._journal import Journal
from ._store import Store
from ._wsgi import ENV_BODY, ENV_CLOSE, Abort, BodyStream

StartResponse = Callable[..., Any]
_REDACT = {"synapse-access-token", "authorization", "synapse-agent", "cookie", "x-api-key"}
_PHRASES = {s.value: s.phrase for s in HTTPStatus}
_EMPTY_SHA = hashlib.sha256(b"").hexdigest()
CONTROL_PREFIX = "_devserver/"
# WSGI environ keys of the auth headers, in precedence order (header names are case-insensitive)
_AUTH_KEYS = (
    ("Synapse-Access-Token", "HTTP_SYNAPSE_ACCESS_TOKEN"),
    ("Authorization", "HTTP_AUTHORIZATION"),
    ("SYNAPSE-Agent", "HTTP_SYNAPSE_AGENT"),
)


def status_line(code: int) -> str:
    """``"404 Not Found"``."""
    return f"{code} {_PHRASES.get(code, 'Unknown')}"


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _strip_token(value: str) -> str:
    value = value.strip()
    if value[:6].lower() == "token ":
        value = value[6:].strip()
    return value


@functools.lru_cache(maxsize=8)
def _adapter(rules: tuple[tuple[str, tuple[str, ...]], ...]) -> MapAdapter:
    # compiling a werkzeug Map takes ~0.1 s; every backend of a test session shares one
    return Map([Rule(r, methods=list(m), endpoint=r) for r, m in rules]).bind("localhost")


@functools.lru_cache(maxsize=512)
def _header_name(key: str) -> str | None:
    """The HTTP header name of a WSGI environ key (None for non-header keys); cached because
    every journaled request converts the same few keys."""
    if key.startswith("HTTP_"):
        return key[5:].replace("_", "-").title()
    if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        return key.replace("_", "-").title()
    return None


def _journal_headers(environ: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in environ.items():
        name = _header_name(key) if type(key) is str else None
        if name is not None:
            out[name] = "***" if name.lower() in _REDACT else str(value)
    return out


class App:
    """WSGI callable serving the Synapse v1 API from a :class:`Store`.

    Args:
        store: state.
        config: settings.
        faults: the fault plane.
        journal: the request journal.
        routes: API routes.
        control_routes: routes under ``_devserver/`` (used only when ``config.control``).
        stop_event: set when the server stops (interrupts injected sleeps).
    """

    def __init__(
        self,
        store: Store,
        config: Config,
        faults: FaultPlane,
        journal: Journal,
        routes: Iterable[Route],
        control_routes: Iterable[Route],
        stop_event: threading.Event,
    ) -> None:
        self.store = store
        self.config = config
        self.faults = faults
        self.journal = journal
        self.stop_event = stop_event
        self.port = 0
        self._handlers: dict[tuple[str, str], Route] = {}
        rules: dict[str, set[str]] = {}
        all_routes = list(routes) + (list(control_routes) if config.control else [])
        for route in all_routes:
            self._handlers[(route.rule, route.method)] = route
            rules.setdefault(route.rule, set()).add(route.method)
        self._adapter = _adapter(tuple(sorted((r, tuple(sorted(m))) for r, m in rules.items())))
        # matching a werkzeug Map costs tens of microseconds; paths repeat, so remember answers
        self._match_cache: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}

    # -- entry point ------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            return self._serve(request, environ, start_response)
        finally:
            request.close()

    def _serve(
        self, request: Request, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        rel = request.path[1:]
        method = request.method
        request_id = environ.get("HTTP_X_REQUEST_ID")
        if rel.startswith(CONTROL_PREFIX):
            if not self.config.control:
                return self._finish(Resp({"detail": "Not found."}, 404), request, start_response)
            return self._finish(self._dispatch(request), request, start_response)

        started = time.time()
        self.store.reset_committed()
        fault = self.faults.take(method, rel)
        kind = fault.kind if fault else None
        result: Resp | Response | None = None

        def record(status: int | None) -> None:
            body = environ.get(ENV_BODY)
            sha, size = _EMPTY_SHA, 0
            if isinstance(body, BodyStream):
                with contextlib.suppress(OSError, ValueError):
                    body.exhaust()
                if body.size:
                    sha, size = body.sha.hexdigest(), body.size
            headers = _journal_headers(environ)
            self.journal.record(
                time=started,
                method=method,
                path=rel,
                query=request.query_string.decode("latin-1"),
                body_sha256=sha,
                body_size=size,
                headers=headers,
                status=status,
                committed=self.store.committed(),
                fault=kind,
                request_id=request_id,
            )

        if fault is not None:
            result = self._pre_fault(fault, request, record)
        if result is None:
            result = self._dispatch(request)
        if fault is not None and kind == "reset_after":
            record(None)
            raise Abort(reset=True)
        status = result.status if isinstance(result, Resp) else result.status_code
        record(status)
        if fault is not None and kind in ("drip", "truncate"):
            return self._post_fault(fault, result, request, environ, start_response)
        return self._finish(result, request, start_response)

    # -- faults -----------------------------------------------------------------------------------

    def _sleep(self, seconds: float) -> None:
        self.stop_event.wait(max(0.0, float(seconds)))

    def _pre_fault(
        self, fault: Fault, request: Request, record: Callable[[int | None], None]
    ) -> Resp | Response | None:
        p = fault.params
        if fault.kind == "latency":
            self._sleep(p["seconds"])
            return None
        if fault.kind == "stall":
            self._sleep(p["seconds"])
            record(None)
            raise Abort(reset=False)
        if fault.kind == "reset_before":
            record(None)
            raise Abort(reset=True)
        if fault.kind == "status":
            body = p["body"] if p["body"] is not None else {"detail": "Injected fault."}
            headers = {"Retry-After": str(p["retry_after"])} if p["retry_after"] is not None else {}
            return Resp(body, int(p["status"]), headers)
        if fault.kind == "malformed_json":
            return Response(b'{"id": 1, "detail": [tru', 200, content_type="application/json")
        if fault.kind == "html":
            code = int(p["status"])
            page = (
                f"<html><head><title>{status_line(code)}</title></head><body><center><h1>"
                f"{status_line(code)}</h1></center><hr><center>nginx</center></body></html>\n"
            )
            return Response(page, code, content_type="text/html; charset=utf-8")
        if fault.kind == "redirect":
            location = p["location"] or (
                f"http://127.0.0.2:{self.port}{request.full_path.rstrip('?')}"
            )
            resp = Response(b"", int(p["status"]))
            resp.headers["Location"] = location
            return resp
        return None  # drip, truncate, reset_after act after the handler

    def _post_fault(
        self,
        fault: Fault,
        result: Resp | Response,
        request: Request,
        environ: dict[str, Any],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        status, headers, body = self._render(result, request)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        if fault.kind == "truncate":
            environ[ENV_CLOSE] = True
            start_response(status, headers)
            return [body[: len(body) // 2]]
        interval = float(fault.params["interval"])
        start_response(status, headers)
        return self._drip(body, interval)

    def _drip(self, body: bytes, interval: float) -> Iterator[bytes]:
        for i in range(len(body)):
            if i:
                self._sleep(interval)
            yield body[i : i + 1]

    # -- dispatch ---------------------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Resp | Response:
        method = "GET" if request.method == "HEAD" else request.method
        try:
            try:
                rule, args = self._match(request.path, method)
            except MethodNotAllowed as exc:
                self._authenticate(request)
                allowed = ", ".join(sorted(exc.valid_methods or []))
                raise ApiError(
                    405, {"detail": f'Method "{request.method}" not allowed.'}, {"Allow": allowed}
                ) from None
            except (NotFound, RequestRedirect):
                raise ApiError(404, {"detail": "Not found."}) from None
            route = self._handlers[(str(rule), method)]
            tenant, user = (0, None) if route.public else self._authenticate(request)
            ctx = Ctx(request, self.store, self.config, tenant, user)
            return route.fn(ctx, **args)
        except ApiError as exc:
            return Resp(exc.body, exc.status, exc.headers)
        except HTTPException as exc:  # e.g. werkzeug's 413 for oversized form fields
            return Resp({"detail": exc.description}, exc.code or 500)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return Resp({"detail": "Internal server error."}, 500)

    def _match(self, path: str, method: str) -> tuple[str, dict[str, Any]]:
        key = (path, method)
        hit = self._match_cache.get(key)
        if hit is None:
            rule, args = self._adapter.match(path, method=method)
            hit = (str(rule), dict(args))
            if len(self._match_cache) > 10000:
                self._match_cache.clear()
            self._match_cache[key] = hit
        return hit[0], dict(hit[1])

    def _authenticate(self, request: Request) -> tuple[int, int | None]:
        if request.path.startswith("/" + CONTROL_PREFIX):
            return 0, None
        environ = request.environ
        provided = False
        for name, key in _AUTH_KEYS:
            raw = environ.get(key)
            if raw is None:
                continue
            provided = True
            if name == "Authorization" and raw.strip()[:6].lower() != "token ":
                continue
            found = self.store.lookup_token(_strip_token(raw))
            if found is None:
                break
            kind, tenant, subject = found
            if name == "SYNAPSE-Agent":
                if kind != "agent":
                    break
                return tenant, None
            if kind != "user":
                break
            tenant_header = environ.get("HTTP_SYNAPSE_TENANT")
            if tenant_header is not None:
                code = _strip_token(tenant_header)
                if self.store.tenant_id(code) != tenant:
                    break
            return tenant, subject
        if provided:
            raise ApiError(401, {"detail": "Invalid token."})
        raise ApiError(401, {"detail": "Authentication credentials were not provided."})

    # -- rendering --------------------------------------------------------------------------------

    def _render(self, result: Resp | Response, request: Request) -> tuple[str, list[Any], bytes]:
        if isinstance(result, Resp):
            body = b"" if result.status == 204 else dumps(result.body)
            headers: list[Any] = [("Content-Type", "application/json")]
            if result.headers:
                headers.extend(result.headers.items())
            code = result.status
        else:
            body = result.get_data()
            headers = list(result.headers.items())
            code = result.status_code
        rid = request.environ.get("HTTP_X_REQUEST_ID")
        if rid is not None:
            headers.append(("X-Request-ID", rid))
        return status_line(code), headers, body

    def _finish(
        self, result: Resp | Response, request: Request, start_response: StartResponse
    ) -> Iterable[bytes]:
        if isinstance(result, Resp):
            status, headers, body = self._render(result, request)
            if request.method == "HEAD":
                headers.append(("Content-Length", str(len(body))))
                body = b""
            else:
                headers.append(("Content-Length", str(len(body))))
            start_response(status, headers)
            return [body]
        rid = request.environ.get("HTTP_X_REQUEST_ID")
        if rid is not None:
            result.headers["X-Request-ID"] = rid
        return result(request.environ, start_response)
