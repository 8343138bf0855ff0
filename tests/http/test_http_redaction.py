"""``map_error`` redacts every URL secret in the messages it builds from urllib3's text, and in
the urllib3 exception (and its chain) that becomes the SDK error's ``__cause__``."""

from __future__ import annotations

import traceback

import pytest
from urllib3 import exceptions as u3

from synapse_sdk._http._transport import map_error

SECRET = "SECRET-9f8e7d"
URL = f"http://127.0.0.1:99999/f?X-Amz-Signature={SECRET}&X-Amz-Credential={SECRET}"


def _chain(exc: BaseException) -> list[BaseException]:
    out, stack = [], [exc]
    while stack:
        item = stack.pop()
        if item in out:
            continue
        out.append(item)
        stack += [a for a in item.args if isinstance(a, BaseException)]
        stack += [e for e in (item.__cause__, item.__context__) if e is not None]
    return out


def _raise_chained(exc: BaseException) -> BaseException:
    try:
        try:
            raise ValueError(f"Port could not be cast to integer value as {URL!r}")
        except ValueError as inner:
            raise exc from inner
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(
    "exc",
    [
        u3.LocationParseError(URL),
        u3.ProtocolError("Connection aborted.", OSError(f"while fetching {URL}")),
        u3.NewConnectionError(None, f"Failed to establish a new connection to {URL}"),  # type: ignore[arg-type]
        u3.ReadTimeoutError(None, f"/f?token={SECRET}", f"Read timed out for {URL}"),  # type: ignore[arg-type]
    ],
    ids=["location-parse", "protocol", "new-connection", "read-timeout"],
)
@pytest.mark.parametrize("idempotent", [True, False], ids=["GET", "POST"])
def test_map_error_leaves_no_secret(exc: BaseException, idempotent: bool) -> None:
    raised = _raise_chained(exc)
    error, _ = map_error(
        raised,
        sent=False,
        idempotent=idempotent,
        deadline_passed=False,
        context={"method": "GET", "url": "http://127.0.0.1/f", "request_id": "r"},
    )
    try:
        raise error from raised
    except Exception as final:
        texts = ["".join(traceback.format_exception(final))]
        texts += [f"{e!s} {e!r} {e.args!r} {vars(e)!r}" for e in _chain(final)]
    leaks = [t for t in texts if SECRET in t]
    assert not leaks, leaks[0][:1000]
