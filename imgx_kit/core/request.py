"""The one request type: method, URL, headers (ordered pairs) and body bytes.

Signers take it, captures produce it, the emulator rebuilds it from the wire and clients send
it. Header order and duplicates are kept exactly as given; the URL is kept verbatim (raw path
and query), so what is signed is what is sent::

    >>> import imgx_kit as ik
    >>> r = ik.HttpRequest.build("POST", "https://example.com/a?b=1", {"Content-Type": "text/plain"}, "hi")
    >>> r.body, r.header("content-type"), r.host
    (b'hi', 'text/plain', 'example.com')
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from urllib.parse import SplitResult, urlsplit

from .errors import RequestError
from .redact import redact_headers, redact_url, scrub

__all__ = ["HeadersLike", "HttpRequest", "control_character"]

HeadersLike = Mapping[str, str] | Iterable[tuple[str, str]] | None

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# RFC 9110 §5.5: a field value is visible characters, SP and HTAB; every other control character
# (CR/LF/NUL split or cut a header; the rest are refused by servers and by http.client) is refused,
# and lone surrogates cannot be sent at all
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]").search
_BAD_URL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]").search
# the usual absolute http(s) URL: scheme, authority (host[:port], no userinfo), path, query
# (no control characters anywhere: a URL this matches needs no _BAD_URL check)
_SIMPLE_URL = re.compile(r"(https?)://([A-Za-z0-9][A-Za-z0-9.\-]*(?::(?:[0-5]?[0-9]{1,4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}"
                         r"|655[0-2][0-9]|6553[0-5]))?)((?:/[^?#\x00-\x1f\x7f\ud800-\udfff]*)?)"
                         r"(?:\?([^#\x00-\x1f\x7f\ud800-\udfff]*))?(?:#([^\x00-\x1f\x7f\ud800-\udfff]*))?").fullmatch
_new_split = tuple.__new__
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, eq=True)
class HttpRequest:
    """An HTTP request exactly as it goes on the wire. Build it with :meth:`build`."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    # ---- construction ---------------------------------------------------------------------
    @classmethod
    def build(cls, method: str, url: str, headers: HeadersLike = None,
              body: bytes | bytearray | memoryview | str | None = b"") -> HttpRequest:
        """Validate and build a request.

        ``headers`` may be a mapping or an iterable of ``(name, value)`` pairs; ``body`` bytes or
        ``str`` (encoded as UTF-8).

            >>> HttpRequest.build("get", "https://h/", [("A", "1"), ("a", "2")]).headers
            (('A', '1'), ('a', '2'))
        """
        if not isinstance(method, str) or not _TOKEN.match(method):
            raise RequestError(f"HTTP method {method!r} is not a valid token",
                               hint="use a word such as 'GET' or 'POST'")
        split = _check_url(url)
        pairs = _normalise_headers(headers)
        if body is None:
            body = b""
        if isinstance(body, str):
            try:
                body = body.encode("utf-8")
            except UnicodeEncodeError as e:
                raise RequestError(f"the body text has a lone surrogate at character {e.start} (broken Unicode)",
                                   hint="decode the text it came from with the right encoding, or pass bytes") from None
        elif isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        elif not isinstance(body, bytes):
            raise RequestError(f"body must be bytes or str, not {type(body).__name__}",
                               hint="read files yourself and pass their bytes, or pass JSON text")
        req = cls.__new__(cls)                    # validated above: skip the frozen __init__
        req.__dict__.update(method=method.upper(), url=url, headers=pairs, body=body, _split=split,
                            path=split.path or "/", query=split.query)
        if ":" not in split.netloc and "@" not in split.netloc:
            req.__dict__["host"] = split.netloc.lower()   # the cached_property, known already
        return req

    @classmethod
    def _trusted(cls, method: str, url: str, headers: tuple[tuple[str, str], ...],
                 body: bytes = b"") -> HttpRequest:
        """Construct without validation, for values the library has just built from validated
        parts (a signer's output). Callers outside imgx-kit use :meth:`build`."""
        req = cls.__new__(cls)
        req.__dict__.update(method=method, url=url, headers=headers, body=body)
        return req

    # ---- URL pieces (parsed once, cached) -------------------------------------------------
    @cached_property
    def _split(self) -> SplitResult:
        return _fast_split(self.url) or urlsplit(self.url)

    @property
    def scheme(self) -> str:
        return self._split.scheme.lower()

    @cached_property
    def host(self) -> str:
        """``host[:port]`` as the Host header carries it: lower case, default port dropped."""
        sp = self._split
        netloc = sp.netloc.rpartition("@")[2].lower()
        if netloc.startswith("["):                        # IPv6 literal
            name, _, rest = netloc.partition("]")
            name += "]"
            port = rest[1:] if rest.startswith(":") else ""
        else:
            name, _, port = netloc.partition(":")
        if port and int(port) != _DEFAULT_PORTS.get(sp.scheme.lower()):
            return f"{name}:{int(port)}"
        return name

    @cached_property
    def path(self) -> str:
        """The raw path as sent (``/`` when empty)."""
        return self._split.path or "/"

    @cached_property
    def query(self) -> str:
        """The raw query string as sent, without ``?``."""
        return self._split.query

    @property
    def target(self) -> str:
        """The request target of the request line: raw path plus ``?query``."""
        q = self._split.query
        return self.path + ("?" + q if q else "")

    # ---- headers --------------------------------------------------------------------------
    def header(self, name: str, default: str | None = None) -> str | None:
        """Value of a header (case-insensitive); repeated headers are joined with ``,``."""
        low = _header_name(name)
        vals = [v for k, v in self.headers if k.lower() == low]
        if not vals:
            return default
        return vals[0] if len(vals) == 1 else ",".join(vals)

    def has_header(self, name: str) -> bool:
        low = _header_name(name)
        return any(k.lower() == low for k, _ in self.headers)

    def with_header(self, name: str, value: str) -> HttpRequest:
        """Set a header: replaces the first one of that name (any case) in place, drops the rest,
        or appends it."""
        _check_header(name, value)
        low = name.lower()
        out: list[tuple[str, str]] = []
        done = False
        for k, v in self.headers:
            if k.lower() == low:
                if not done:
                    out.append((name, value))
                    done = True
            else:
                out.append((k, v))
        if not done:
            out.append((name, value))
        return replace(self, headers=tuple(out))

    def with_headers(self, headers: HeadersLike) -> HttpRequest:
        req = self
        for k, v in _normalise_headers(headers):
            req = req.with_header(k, v)
        return req

    def without_header(self, name: str) -> HttpRequest:
        low = _header_name(name)
        return replace(self, headers=tuple((k, v) for k, v in self.headers if k.lower() != low))

    def with_url(self, url: str) -> HttpRequest:
        split = _check_url(url)
        req = replace(self, url=url)
        req.__dict__["_split"] = split
        return req

    def with_body(self, body: bytes | str) -> HttpRequest:
        return HttpRequest.build(self.method, self.url, self.headers, body)

    def with_method(self, method: str) -> HttpRequest:
        return HttpRequest.build(method, self.url, self.headers, self.body)

    # ---- views ----------------------------------------------------------------------------
    def to_raw(self, redact: bool = True) -> str:
        """The request as text (request line, headers, blank line, body preview)."""
        hdrs = redact_headers(self.headers) if redact else list(self.headers)
        target = redact_url(self.target) if redact else self.target
        lines = [f"{self.method} {target} HTTP/1.1"]
        if not any(k.lower() == "host" for k, _ in hdrs):
            lines.append(f"Host: {self.host}")
        lines += [f"{k}: {v}" for k, v in hdrs]
        return "\n".join(lines) + "\n\n" + body_preview(self.body, redact=redact)

    def __repr__(self) -> str:
        hdrs = ", ".join(f"{k}: {v}" for k, v in redact_headers(self.headers))
        return (f"HttpRequest({self.method} {redact_url(self.url)}, headers=[{hdrs}], "
                f"body={body_preview(self.body, 60, redact=True)})")

    def _repr_html_(self) -> str:
        return ("<pre style='white-space:pre-wrap'>" + html.escape(self.to_raw()) + "</pre>")


def body_preview(body: bytes, limit: int = 400, *, redact: bool = True) -> str:
    """A short, safe text preview of a body: text shown (cut), binary summarised; with ``redact``
    secret JSON fields, URL passwords and token parameters are masked first (then cut, so no cut
    can leave a secret's prefix).

        >>> body_preview(b'{"SecretAccessKey": "wJalrXUtnFEMIK7MDENGbPxRfiCY"}')
        '{"SecretAccessKey": "wJal…(28 chars)"}'
    """
    if not body:
        return "(empty body)" if limit < 100 else ""
    try:
        text = body.decode("utf-8")
        printable = all(c.isprintable() or c in "\r\n\t" for c in text[:limit])
    except UnicodeDecodeError:
        printable = False
    if not printable:
        return f"<{len(body)} bytes of binary data>"
    if redact:                         # (secrets are < 8 KiB: masking that much past the cut is enough)
        text = scrub(text[:limit + 8192])
    return text if len(text) <= limit else text[:limit] + f"… ({len(body)} bytes)"


def _fast_split(url: str) -> SplitResult | None:
    """``urlsplit`` for the common absolute http(s) URL with a plain authority, by one regex;
    ``None`` for anything else (a property test checks it agrees with urlsplit)."""
    m = _SIMPLE_URL(url)
    if m is None:
        return None
    scheme, netloc, path, query, fragment = m.groups()
    return _new_split(SplitResult, (scheme, netloc, path, query or "", fragment or ""))


def _check_url(url: object) -> SplitResult:
    if type(url) is str:
        fast = _fast_split(url)
        if fast is not None:
            return fast
    elif not isinstance(url, str):
        raise RequestError(f"URL must be a str, not {type(url).__name__}")
    if _BAD_URL(url):
        pos = _BAD_URL(url).start()             # type: ignore[union-attr]
        raise RequestError(f"URL contains {_describe(url[pos])} at character {pos}",
                           hint="remove control characters and line breaks from the URL; percent-encode "
                                "what must be sent (e.g. %0A); text must be valid Unicode")
    try:
        sp = urlsplit(url)
        _ = sp.port
    except ValueError as e:
        raise RequestError(f"URL {url!r} does not parse: {e}") from None
    if not sp.scheme:
        raise RequestError(f"URL {url!r} is relative",
                           hint="give an absolute URL such as 'https://host/path?query'")
    if sp.scheme.lower() not in ("http", "https"):
        raise RequestError(f"URL scheme {sp.scheme!r} is not http or https",
                           hint="only http:// and https:// requests can be signed and sent")
    if not sp.hostname:
        raise RequestError(f"URL {url!r} has no host",
                           hint="give an absolute URL such as 'https://host/path?query'")
    if any(c.isspace() or c in '<>"{}|\\^`' for c in sp.netloc):
        raise RequestError(f"the host of URL {url!r} contains a space or a character hosts cannot have",
                           hint="percent-encoding does not apply to host names; check the URL")
    return sp


def _check_header(name: object, value: object) -> None:
    if type(name) is str and type(value) is str and _TOKEN.match(name) and not _BAD_VALUE(value):
        return
    if not isinstance(name, str):
        raise RequestError(f"header name {name!r} is a {type(name).__name__}, not a str",
                           hint="pass header names and values as text")
    if not isinstance(value, str):
        raise RequestError(f"value of header {name!r} is a {type(value).__name__}, not a str",
                           hint="pass text: decode bytes with .decode(), convert numbers with str()")
    if not _TOKEN.match(name):
        raise RequestError(f"header name {name!r} is not a valid HTTP token",
                           hint="header names are letters, digits and -, without spaces or ':'")
    if "\r" in value or "\n" in value or "\x00" in value:
        raise RequestError(f"value of header {name!r} contains CR, LF or NUL",
                           hint="header values must be a single line; remove the line breaks")
    bad = _BAD_VALUE(value)
    if bad and not ("\ud800" <= bad.group() <= "\udfff"):
        raise RequestError(f"value of header {name!r} contains {_describe(bad.group())} at character {bad.start()}",
                           hint="header values are visible text, spaces and tabs; remove the control character")
    if bad:
        raise RequestError(f"value of header {name!r} contains a lone surrogate (broken Unicode)",
                           hint="decode the text it came from with the right encoding")


def _describe(c: str) -> str:
    """A character named for an error message: 'the control character U+0012'."""
    if "\ud800" <= c <= "\udfff":
        return f"a lone surrogate U+{ord(c):04X}"
    return f"the control character U+{ord(c):04X}"


def control_character(text: str, *, tab: bool = False) -> int | None:
    """Where ``text`` holds a control character (C0, DEL; HTAB only if not ``tab``) or a lone
    surrogate — what can never go into a header or a signed string — or ``None``.

        >>> control_character("us-east-1"), control_character("us\\r\\nX-Injected: 1")
        (None, 2)
        >>> control_character("a\\tb", tab=True)
    """
    for i, c in enumerate(text):
        o = ord(c)
        if (o < 0x20 and not (tab and o == 9)) or o == 0x7F or 0xD800 <= o <= 0xDFFF:
            return i
    return None


def _header_name(name: object) -> str:
    """A header name to look up, lower case."""
    if not isinstance(name, str):
        raise RequestError(f"a header name must be a str, not {type(name).__name__}",
                           hint="e.g. req.header('Content-Type')")
    return name.lower()


def _normalise_headers(headers: HeadersLike) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    if type(headers) is list or type(headers) is tuple:
        for item in headers:
            if type(item) is not tuple or len(item) != 2:
                break
            _check_header(*item)
        else:
            return tuple(headers)
    if isinstance(headers, Mapping):
        items = list(headers.items())
    elif isinstance(headers, (str, bytes)) or not isinstance(headers, Iterable):
        raise RequestError(f"headers must be a mapping or a list of (name, value) pairs, not {type(headers).__name__}",
                           hint="e.g. [('Content-Type', 'application/json')]")
    else:
        items = []
        for item in headers:
            if not (isinstance(item, (tuple, list)) and len(item) == 2):
                raise RequestError(f"header entry {item!r} is not a (name, value) pair")
            items.append((item[0], item[1]))
    for k, v in items:
        _check_header(k, v)
    return tuple((k, v) for k, v in items)
