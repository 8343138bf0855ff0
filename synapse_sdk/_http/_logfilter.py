"""Redaction of URLs in urllib3's own log records.

urllib3 logs every request line at DEBUG (``"POST /agents/<token>/connect/ HTTP/1.1" 200``) and
redirect targets at INFO, with the full path and query. Two things the SDK sends put a secret
there: the agent token in ``agents/<token>/connect/`` (wire protocol) and the signature of a
presigned download URL. A user who turns on DEBUG logging to chase a bug must not write those
to a log file, so the SDK adds a filter to urllib3's loggers that passes every string argument
of a record through :func:`~synapse_sdk._http._urls.redact_url`. The filter only ever replaces
secret values with ``***``; it never drops a record and leaves other formatting untouched.
"""

from __future__ import annotations

import logging
import threading

from synapse_sdk._http._urls import redact_url

__all__ = ["URLLIB3_LOGGERS", "RedactingFilter", "install_urllib3_redaction"]

#: urllib3 loggers whose records can carry request URLs.
URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.poolmanager", "urllib3.connection")

_lock = threading.Lock()


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets in the string arguments of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record's arguments in place; always keep the record.

        Args:
            record: The log record.

        Returns:
            True (the record is never dropped).
        """
        args = record.args
        if isinstance(args, tuple) and args:
            record.args = tuple(_redact(a) if isinstance(a, str) else a for a in args)
        return True


def _redact(text: str) -> str:
    redacted = redact_url(text)
    # A host such as "[::1" is no URL at all: keep it rather than lose the information.
    return text if redacted == "<unparseable URL>" else redacted


def install_urllib3_redaction() -> None:
    """Add one :class:`RedactingFilter` to each of urllib3's loggers (idempotent)."""
    with _lock:
        for name in URLLIB3_LOGGERS:
            target = logging.getLogger(name)
            if not any(isinstance(f, RedactingFilter) for f in target.filters):
                target.addFilter(RedactingFilter())
