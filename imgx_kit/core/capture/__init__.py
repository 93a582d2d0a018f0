"""Import a request exactly as it was sent: curl commands, raw HTTP, HAR files, ``requests``.

Every capture yields an :class:`~imgx_kit.HttpRequest` that keeps the wire form: header order
and duplicates, raw path and query, body bytes. The ``parse_*`` functions also say what was
left out (flags that do not change the request) and what curl or the browser would have done
differently (notes)::

    >>> from imgx_kit.core import capture
    >>> p = capture.parse_curl("curl -sL 'https://example.com/a?b=1' -H 'x-a: 1' --data-raw 'k=v'")
    >>> p.request.method, p.request.url, p.request.headers, p.request.body
    ('POST', 'https://example.com/a?b=1', (('x-a', '1'), ('Content-Type', 'application/x-www-form-urlencoded')), b'k=v')
    >>> p.ignored_flags
    ('-s', '-L')
    >>> capture.from_curl(capture.to_curl(p.request)) == p.request
    True

One module per format (:mod:`.curl`, :mod:`.raw_http`, :mod:`.har`, :mod:`.prepared`; word
splitting in :mod:`.shell`, the shared result type in :mod:`._common`). Standard library only;
``requests`` is imported inside :func:`from_prepared`.
"""
from __future__ import annotations

from ..errors import CaptureError
from ._common import CaptureParse, CurlParse
from .curl import from_curl, parse_curl, to_curl
from .har import from_har, har_entries, parse_har
from .prepared import from_prepared
from .raw_http import from_raw_http, parse_raw_http

__all__ = [
    "CaptureError",
    "CaptureParse",
    "CurlParse",
    "from_curl",
    "from_har",
    "from_prepared",
    "from_raw_http",
    "har_entries",
    "parse_curl",
    "parse_har",
    "parse_raw_http",
    "to_curl",
]
