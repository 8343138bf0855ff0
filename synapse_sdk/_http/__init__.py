"""The HTTP session layer: the only package that imports urllib3.

It joins URLs to the API root, keeps auth headers on the API origin, encodes JSON and multipart
bodies, applies timeouts and a wall-clock deadline per call, retries what is safe to retry, and
maps every failure to the SDK's error tree (:mod:`synapse_sdk._exceptions`).

Requests leave through a transport (:class:`Transport`): urllib3 connection pools by default, or
:class:`WSGITransport` to answer them from a WSGI app in-process, with no socket.
"""

from __future__ import annotations

from synapse_sdk._http._download import StreamedResponse
from synapse_sdk._http._encoding import InsecureTLSWarning, default_user_agent
from synapse_sdk._http._multipart import FileSource, Multipart, RawBody
from synapse_sdk._http._response import Response
from synapse_sdk._http._retry import RetryBudget, RetryPolicy, parse_retry_after
from synapse_sdk._http._sentinel import UNSET, Unset
from synapse_sdk._http._session import Session
from synapse_sdk._http._sse import SSEEvent, stream_events
from synapse_sdk._http._storage import storage_put
from synapse_sdk._http._timeout import Timeout
from synapse_sdk._http._transport import Transport
from synapse_sdk._http._urls import encode_query_value, redact_url
from synapse_sdk._http._wsgi import WSGITransport

__all__ = [
    "UNSET",
    "FileSource",
    "InsecureTLSWarning",
    "Multipart",
    "RawBody",
    "Response",
    "SSEEvent",
    "RetryBudget",
    "RetryPolicy",
    "Session",
    "StreamedResponse",
    "Timeout",
    "Transport",
    "Unset",
    "WSGITransport",
    "default_user_agent",
    "encode_query_value",
    "parse_retry_after",
    "redact_url",
    "storage_put",
    "stream_events",
]
