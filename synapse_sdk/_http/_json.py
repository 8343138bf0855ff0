"""Decoding response JSON: msgspec when it is installed, with the standard library's results.

msgspec is an optional extra (``pip install 'synapse-sdk[fast]'``); it decodes a page of rows
about twice as fast as :func:`json.loads`. Every answer is still the standard library's: msgspec
decodes first, and whenever it refuses a body (anything it raises) :func:`json.loads` decodes it
again, so the value or the error is the one ``json.loads`` gives. msgspec refuses everything it
would decode differently: ``NaN``/``Infinity`` and out-of-range floats (``json`` gives nan/inf),
a UTF-8 BOM or a UTF-16/32 body (``json`` detects the encoding), lone surrogates (``json`` keeps
them), integers longer than Python's digit limit; what it accepts it decodes to the same values
and types (integers of any size exact, floats correctly rounded, the last of duplicate keys).

One divergence is left on purpose: a document nested within a few levels of ``json.loads``'s
own limit (about 1,000 levels on Python 3.10 and 3.11, Python's recursion limit; several
thousand on 3.12+, the C stack's) may be decoded by one decoder where the other raises (either
way round: whichever answers, the value is the same); deeper documents fail with both.

``SYNAPSE_SDK_JSON_DECODER``, read once at import, picks the decoder: ``json`` (the standard
library only), ``msgspec`` (required: an ImportError when it is missing), or unset/empty (msgspec
when installed, else the standard library). :data:`DECODER` names the one in use.
"""

from __future__ import annotations

import json as jsonlib
import os
import re
from collections.abc import Callable
from typing import Any

__all__ = ["CHOICES", "DECODER", "ENV_VAR", "MIN_MSGSPEC", "loads", "select"]

#: The environment variable that picks the decoder.
ENV_VAR = "SYNAPSE_SDK_JSON_DECODER"

#: Its allowed values (besides unset or empty).
CHOICES = ("json", "msgspec")

#: The oldest msgspec used: older ones turn integers beyond 64 bits into errors or floats.
MIN_MSGSPEC = (0, 18)

_EXTRA = "install the SDK's 'fast' extra: pip install 'synapse-sdk[fast]'"


def _msgspec_decoder() -> tuple[Callable[[bytes], Any] | None, str]:
    """msgspec's untyped JSON decoder, or None and the reason it cannot be used."""
    try:
        import msgspec
    except ImportError as exc:
        return None, f"msgspec is not installed ({exc})"
    version = getattr(msgspec, "__version__", "")
    parts = tuple(int(p) for p in re.findall(r"\d+", version)[:2])
    if parts < MIN_MSGSPEC:
        wanted = ".".join(map(str, MIN_MSGSPEC))
        return None, f"msgspec {version or '(unknown version)'} is older than {wanted}"
    return msgspec.json.Decoder().decode, ""


def select(setting: str | None) -> tuple[str, Callable[[bytes], Any] | None]:
    """The decoder a value of :data:`ENV_VAR` asks for: its name and msgspec's decode function.

    Args:
        setting: The variable's value (``None`` when unset); case and surrounding spaces are
            ignored.

    Returns:
        ``("msgspec", decode)`` or ``("json", None)``.

    Raises:
        ValueError: ``setting`` is not ``json``, ``msgspec`` or empty.
        ImportError: ``setting`` is ``msgspec`` and no usable msgspec is installed (the message
            names the ``fast`` extra).
    """
    choice = (setting or "").strip().lower()
    if choice not in ("", *CHOICES):
        raise ValueError(f"{ENV_VAR} must be 'json', 'msgspec' or empty (unset), got {setting!r}")
    if choice == "json":
        return "json", None
    fast, reason = _msgspec_decoder()
    if fast is not None:
        return "msgspec", fast
    if choice == "msgspec":
        raise ImportError(f"{ENV_VAR}=msgspec but {reason}; {_EXTRA}")
    return "json", None


DECODER: str
#: msgspec's decode function, or None for the standard library only (tests may replace it).
_fast: Callable[[bytes], Any] | None
DECODER, _fast = select(os.environ.get(ENV_VAR))


def loads(content: bytes) -> Any:
    """Parse a JSON body exactly as ``json.loads`` does, faster when msgspec is in use.

    Args:
        content: The raw body.

    Returns:
        The value ``json.loads(content)`` returns.

    Raises:
        ValueError: The body is not JSON (``json.JSONDecodeError``), or is nested more deeply
            than Python's recursion limit.
        UnicodeDecodeError: The body is not valid in the encoding ``json`` detects.
    """
    fast = _fast
    if fast is not None:
        try:
            return fast(content)
        except Exception:  # msgspec refused it (or failed): the standard library answers
            pass
    try:
        return jsonlib.loads(content)
    except RecursionError:
        raise ValueError(
            "the JSON is nested too deeply to parse (more levels than Python's recursion limit)"
        ) from None
