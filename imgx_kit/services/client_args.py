"""Checks of the arguments every client is built with, before anything is sent.

    >>> check_endpoint("https://visual.volcengineapi.com/", "endpoint")
    'https://visual.volcengineapi.com'
"""
from __future__ import annotations

from typing import Any

from ..core.errors import ClientConfigError, RequestError
from ..core.request import HttpRequest
from .calls import Transport
from .images import valid_timeout
from .retry import RetryPolicy

__all__ = ["check_endpoint", "check_transport_args"]


def check_transport_args(retry: Any, transport: Any, verify: Any, timeout: Any) -> None:
    """The arguments every client passes to its :class:`Transport`, checked before anything is sent."""
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise ClientConfigError(f"retry must be a RetryPolicy, not {type(retry).__name__}",
                                hint="e.g. retry=RetryPolicy(max_attempts=3), or leave it out")
    if transport is not None and not isinstance(transport, Transport):
        raise ClientConfigError(f"transport must be a Transport, not {type(transport).__name__}",
                                hint="leave it out, or pass Transport(session=my_requests_session)")
    if verify is not None and not isinstance(verify, (bool, str)):
        raise ClientConfigError(f"verify must be True, False or the path of a CA bundle, not {type(verify).__name__}",
                                hint="e.g. verify='/etc/ssl/certs/ca-certificates.crt'")
    if not valid_timeout(timeout):
        raise ClientConfigError(f"timeout={timeout!r:.40} is not a timeout in seconds",
                                hint="seconds > 0, None (wait forever), or a (connect, read) pair, e.g. (10, 120)")


def check_endpoint(url: str, what: str) -> str:
    """A base URL requests can be built on (scheme, host, port, path), without its trailing '/'."""
    try:
        HttpRequest.build("GET", url)
    except RequestError as e:
        raise ClientConfigError(f"{what} is not usable: {e.message}",
                                hint=e.hint or "e.g. https://host or http://127.0.0.1:8080") from None
    if "?" in url or "#" in url:
        raise ClientConfigError(f"{what} {url[:80]!r} has a query or fragment",
                                hint="give the base URL only; the client adds the path and query")
    return url.rstrip("/")
