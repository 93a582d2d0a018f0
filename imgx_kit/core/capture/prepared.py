"""A ``requests.PreparedRequest`` as a request (``requests`` is imported only here, lazily)."""
from __future__ import annotations

from typing import Any

from ..errors import CaptureError, RequestError
from ..request import HttpRequest


# ============================================================================================
# requests.PreparedRequest
# ============================================================================================
def from_prepared(prepared: Any) -> HttpRequest:
    """The request a ``requests.PreparedRequest`` (or ``requests.Request``) sends.

        >>> import requests
        >>> p = requests.Request("POST", "https://h/a", headers={"X-A": "1"}, data=b"hi").prepare()
        >>> from_prepared(p).headers
        (('X-A', '1'), ('Content-Length', '2'))
    """
    import requests  # imported here: only this capture needs it

    if isinstance(prepared, requests.Request):
        prepared = prepared.prepare()
    if not isinstance(prepared, requests.PreparedRequest):
        raise CaptureError(f"from_prepared takes a requests.PreparedRequest, not {type(prepared).__name__}",
                           hint="use requests.Request(...).prepare() or session.prepare_request(...)")
    headers = []
    items = getattr(prepared.headers, "items", None) if prepared.headers is not None else (lambda: ())
    if not callable(items):
        raise CaptureError(f"the prepared request's headers are a {type(prepared.headers).__name__}, not a mapping",
                           hint="build it with requests.Request(...).prepare(), which sets headers")
    for k, v in items():
        k = k.decode("latin-1") if isinstance(k, bytes) else str(k)
        v = v.decode("latin-1") if isinstance(v, bytes) else str(v)
        headers.append((k, v))
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        try:
            body = body.encode("iso-8859-1")              # what http.client does with str bodies
        except UnicodeEncodeError:
            raise CaptureError("the prepared body is text that is not Latin-1, which http.client "
                               "refuses to send", hint="encode the body yourself: data=text.encode('utf-8')") from None
    elif isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    elif not isinstance(body, bytes):
        raise CaptureError(f"the prepared body is a stream ({type(body).__name__}), whose bytes are "
                           "unknown until it is sent",
                           hint="read it into bytes first and pass data=those_bytes")
    try:
        return HttpRequest.build(prepared.method or "GET", prepared.url or "", headers, body)
    except RequestError as e:
        raise CaptureError(f"the prepared request is not valid: {e.message}", hint=e.hint) from None
