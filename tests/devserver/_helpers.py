"""A tiny urllib3 wrapper bound to one backend (the devserver tests talk HTTP directly)."""

from __future__ import annotations

import json as jsonlib
from typing import Any

import urllib3

from synapse_sdk.devserver import LocalBackend


class Api:
    """Issues requests to a backend with a token (default: the backend's api token)."""

    def __init__(self, backend: LocalBackend, pool: urllib3.PoolManager, token: str | None = None):
        self.backend = backend
        self.pool = pool
        self.token = token if token is not None else backend.api_token

    def with_token(self, token: str) -> Api:
        return Api(self.backend, self.pool, token)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        fields: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        body: bytes | None = None,
        timeout: float = 10.0,
    ) -> urllib3.BaseHTTPResponse:
        url = path if path.startswith("http") else f"{self.backend.url}/{path}"
        hdrs: dict[str, str] = {}
        if auth and self.token:
            hdrs["Synapse-Access-Token"] = f"Token {self.token}"
        if headers:
            hdrs.update(headers)
        kw: dict[str, Any] = {"headers": hdrs, "timeout": timeout, "retries": False}
        if json is not None:
            kw["body"] = jsonlib.dumps(json).encode()
            hdrs["Content-Type"] = "application/json"
        elif body is not None:
            kw["body"] = body
        elif fields is not None:
            kw["fields"] = fields
            if method in ("PUT", "PATCH"):
                kw["encode_multipart"] = True
        if params is not None:
            kw["fields"] = params
        return self.pool.request(method, url, **kw)

    def get(self, path: str, **kw: Any) -> urllib3.BaseHTTPResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> urllib3.BaseHTTPResponse:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> urllib3.BaseHTTPResponse:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> urllib3.BaseHTTPResponse:
        return self.request("PATCH", path, **kw)

    def ok(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        r = self.request(method, path, **kw)
        assert r.status == status, (r.status, r.data[:500])
        return r.json() if r.data else None


def ids(page: dict[str, Any]) -> list[int]:
    return [row["id"] for row in page["results"]]
