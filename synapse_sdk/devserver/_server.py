"""LocalBackend: the local Synapse backend served from a daemon thread."""

from __future__ import annotations

import errno
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from ._admin import (
    DEFAULT_AGENT_TOKEN,
    DEFAULT_API_TOKEN,
    DEFAULT_TENANT,
    create_agent,
    create_tenant,
    create_user,
    ensure_default,
)
from ._app import App
from ._context import Config
from ._control import control_routes
from ._faults import FaultPlane
from ._handlers import api_routes
from ._journal import Journal
from ._seed import DEMO_META_KEY, seed_demo
from ._store import Store
from ._wsgi import ENV_BODY, BodyStream, Server

SEEDS = (None, "demo")
SIGNING_KEY_META = "presigned_signing_key"

#: A WSGI application (PEP 3333).
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class LocalBackend:
    """A local Synapse v1 backend (werkzeug + SQLite) for offline development and tests.

    Use as a context manager (``with LocalBackend(seed="demo") as backend:``) or call
    :meth:`start` and :meth:`stop`.

    Args:
        seed: None for an empty default tenant, ``"demo"`` for demo data (see ``demo``).
        data_dir: directory for the SQLite file and uploaded bytes; None = a temporary directory
            removed on :meth:`stop`. An existing directory keeps its state across restarts.
        control: expose the ``_devserver/`` control endpoint.
        job_duration: seconds a job created by ``plugins/<id>/run/`` takes to succeed.
        job_ids: ``"int"`` (default) or ``"uuid"``: the kind of id new jobs get (the real
            backend uses either); the jobs routes take both.
        job_log_interval: seconds between the progress log lines a running simulated job
            writes (None: only its start and end lines).
        tail_ping: seconds of silence after which a console-log tail sends a keep-alive comment.
        ignore_filters: listing filters the backend silently ignores (``{"id__gt"}``), to test
            that a client notices a backend that does not honour a filter.
        upload_expiry: seconds after which an unfinished chunked upload answers 410.
        port: TCP port on 127.0.0.1 (0 = any free port).
        host: interface to bind (keep the default: 127.0.0.1).
        listen: False opens the backend without a socket: reach it in-process through
            :attr:`wsgi_app` (``BackendClient(..., transport=WSGITransport(backend.wsgi_app))``);
            :attr:`url` and :attr:`port` then raise.
        multipart_threshold: presigned uploads of more bytes than this get one signed URL per
            part instead of one for the whole file (default 100 MiB).
        multipart_part_size: bytes of every multipart part but the last (default 64 MiB).
        clock: time source (seconds since the epoch) deciding when presigned URLs expire; tests
            pass a callable they can advance. Default :func:`time.time`.

    Attributes:
        faults: the :class:`FaultPlane`.
        journal: the :class:`Journal`.
        api_token: access token of the default tenant's admin user.
        agent_token: agent token of the default tenant.
        tenant: code of the default tenant.
    """

    def __init__(
        self,
        seed: str | None = None,
        data_dir: str | Path | None = None,
        control: bool = True,
        job_duration: float = 1.0,
        upload_expiry: float = 86400.0,
        port: int = 0,
        host: str = "127.0.0.1",
        listen: bool = True,
        multipart_threshold: int = 100 * 1024 * 1024,
        multipart_part_size: int = 64 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
        job_ids: str = "int",
        job_log_interval: float | None = None,
        tail_ping: float = 15.0,
        ignore_filters: Iterable[str] = (),
    ) -> None:
        if seed not in SEEDS:
            raise ValueError(f"unknown seed {seed!r}; expected None or 'demo'")
        if job_duration < 0 or upload_expiry < 0:
            raise ValueError("job_duration and upload_expiry must be >= 0")
        if isinstance(multipart_threshold, bool) or not isinstance(multipart_threshold, int):
            raise TypeError("multipart_threshold must be an int")
        if isinstance(multipart_part_size, bool) or not isinstance(multipart_part_size, int):
            raise TypeError("multipart_part_size must be an int")
        if multipart_threshold < 0 or multipart_part_size < 1:
            raise ValueError("multipart_threshold must be >= 0 and multipart_part_size >= 1")
        if not callable(clock):
            raise TypeError("clock must be a callable returning seconds since the epoch")
        self._multipart = (multipart_threshold, multipart_part_size)
        self._clock = clock
        if job_ids not in ("int", "uuid"):
            raise ValueError(f"job_ids must be 'int' or 'uuid', got {job_ids!r}")
        for name, value in (("job_log_interval", job_log_interval), ("tail_ping", tail_ping)):
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
        self._jobs = (job_ids, job_log_interval, float(tail_ping))
        names = () if isinstance(ignore_filters, str) else tuple(ignore_filters)
        if isinstance(ignore_filters, str) or not all(isinstance(n, str) and n for n in names):
            raise TypeError("ignore_filters takes filter names, e.g. {'id__gt'}")
        self._ignore_filters = frozenset(names)
        self._seed = seed
        self._data_dir_arg = Path(data_dir) if data_dir is not None else None
        self._control = control
        self._job_duration = float(job_duration)
        self._upload_expiry = float(upload_expiry)
        self._port = port
        self._host = host
        self._listen = listen
        self._app: WSGIApp | None = None
        self.faults = FaultPlane()
        self.journal = Journal()
        self.api_token = DEFAULT_API_TOKEN
        self.agent_token = DEFAULT_AGENT_TOKEN
        self.tenant = DEFAULT_TENANT
        self.demo: dict[str, Any] = {}
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._store: Store | None = None
        self._tmp: str | None = None
        self._stop_event = threading.Event()

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the backend is serving (over its socket, or in-process with ``listen=False``)."""
        return self._app is not None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://{self._host}:{self.port}"

    @property
    def port(self) -> int:
        """The bound TCP port."""
        if self._server is None:
            if self._app is not None:
                raise RuntimeError(
                    "this backend does not listen (listen=False): reach it in-process with "
                    "WSGITransport(backend.wsgi_app)"
                )
            raise RuntimeError("the backend is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def wsgi_app(self) -> WSGIApp:
        """The backend's WSGI application, for an in-process transport (no socket):
        ``BackendClient("http://testserver", api_token=backend.api_token,
        transport=WSGITransport(backend.wsgi_app))``. Requests it serves go through the same
        routes, auth, fault plane and journal as requests over the socket (request bodies are
        hashed for the journal the same way)."""
        if self._app is None:
            raise RuntimeError("the backend is not running; call start() first")
        return self._app

    @property
    def data_dir(self) -> Path:
        """The directory holding the database and files."""
        if self._data_dir_arg is not None:
            return self._data_dir_arg
        if self._tmp is None:
            raise RuntimeError("the backend is not running; call start() first")
        return Path(self._tmp)

    @property
    def store(self) -> Store:
        """The SQLite store (for white-box assertions in tests)."""
        if self._store is None:
            raise RuntimeError("the backend is not running; call start() first")
        return self._store

    def start(self) -> LocalBackend:
        """Open the store, seed it if needed and start serving; return self."""
        if self._app is not None:
            return self
        if self._data_dir_arg is None:
            self._tmp = tempfile.mkdtemp(prefix="synapse-devserver-")
        data_dir = self.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(str(data_dir / "devserver.sqlite3"))
        try:
            ensure_default(store)
            config = Config(
                data_dir,
                self._job_duration,
                self._upload_expiry,
                self._control,
                multipart_threshold=self._multipart[0],
                multipart_part_size=self._multipart[1],
                clock=self._clock,
                signing_key=_signing_key(store),
                job_ids=self._jobs[0],
                job_log_interval=self._jobs[1],
                tail_ping=self._jobs[2],
                ignore_filters=self._ignore_filters,
                stop=self._stop_event,
            )
            if self._seed == "demo":
                demo = store.get_meta(DEMO_META_KEY)
                if demo is None:
                    tenant = store.tenant_id(DEFAULT_TENANT)
                    found = store.lookup_token(DEFAULT_API_TOKEN)
                    assert tenant is not None
                    assert found is not None
                    demo = seed_demo(store, config, tenant, int(found[2] or 0))
                    store.set_meta(DEMO_META_KEY, demo)
                self.demo = dict(demo)
            self._stop_event.clear()
            app = App(
                store,
                config,
                self.faults,
                self.journal,
                api_routes(),
                control_routes(store, self.faults, self.journal, self._info),
                self._stop_event,
            )
            if not self._listen:
                self._store = store
                self._app = _in_process(app)
                return self
            try:
                server = Server(self._host, self._port, app)
            except SystemExit:  # werkzeug exits the process when the port is taken
                raise OSError(errno.EADDRINUSE, f"port {self._port} is in use") from None
        except BaseException:
            store.close()
            self._cleanup_tmp()
            raise
        app.port = int(server.server_address[1])
        self._store = store
        self._app = _in_process(app)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"synapse-devserver-{app.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close connections and the store, remove a temporary data dir."""
        server, thread = self._server, self._thread
        if self._app is None:
            return
        self._stop_event.set()
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()  # joins the request threads
        if thread is not None:
            thread.join(timeout=10)
        self._app = None
        self._server = None
        self._thread = None
        if self._store is not None:
            self._store.close()
            self._store = None
        self._cleanup_tmp()

    def _cleanup_tmp(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> LocalBackend:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = (
            self.url
            if self._server is not None
            else ("in-process" if self._app is not None else "stopped")
        )
        return f"<LocalBackend {where} seed={self._seed!r}>"

    # -- provisioning ---------------------------------------------------------------------------

    def create_tenant(self, code: str) -> str:
        """Create an empty tenant and return its code.

        Raises:
            ValueError: bad or duplicate code.
        """
        create_tenant(self.store, code)
        return code

    def create_user(self, tenant: str, username: str) -> str:
        """Create a user in tenant ``tenant`` (a code) and return its access token."""
        return create_user(self.store, tenant, username)

    def create_agent(self, tenant: str, name: str) -> str:
        """Create an agent in tenant ``tenant`` (a code) and return its agent token."""
        return create_agent(self.store, tenant, name)

    def headers(self, token: str | None = None) -> dict[str, str]:
        """Auth headers for ``token`` (default: :attr:`api_token`)."""
        return {"Synapse-Access-Token": f"Token {token or self.api_token}"}

    def _info(self) -> dict[str, Any]:
        return {
            "url": self.url if self._server is not None else None,
            "tenant": self.tenant,
            "api_token": self.api_token,
            "agent_token": self.agent_token,
            "demo": self.demo,
        }


def _signing_key(store: Store) -> bytes:
    """The backend's key for presigned URLs, kept in the store so that URLs stay valid across
    restarts on the same data directory."""
    key = store.get_meta(SIGNING_KEY_META)
    if not isinstance(key, str):
        key = secrets.token_hex(32)
        store.set_meta(SIGNING_KEY_META, key)
    return bytes.fromhex(key)


def _in_process(app: App) -> WSGIApp:
    """``app`` as served without the socket handler: the request body is wrapped and hashed
    for the journal as :class:`~._wsgi.Handler` does (the socket path wraps it itself, so this
    wrapper leaves an environ that already carries the body alone)."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if ENV_BODY not in environ:
            length = str(environ.get("CONTENT_LENGTH") or "")
            body = BodyStream(environ["wsgi.input"], int(length) if length.isdigit() else None)
            environ["wsgi.input"] = body
            environ["wsgi.input_terminated"] = True
            environ[ENV_BODY] = body
        return app(environ, start_response)

    return serve
