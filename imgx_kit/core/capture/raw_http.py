"""Raw HTTP text (``curl -v``, proxies, scripts) as a request."""
from __future__ import annotations

import re
from typing import Any

from ..errors import CaptureError, RequestError
from ..request import HttpRequest
from ._common import CaptureParse, _b, _decode, _digits, _refuse_lone_surrogate, _whole_characters

# ============================================================================================
# raw HTTP (curl -v, proxies, scripts)
# ============================================================================================
_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\s/?#@\[\]:]+)(:[0-9]*)?")


def _body_arg(body: Any) -> bytes | None:
    """The ``body=`` of :func:`parse_raw_http` as bytes (text is encoded as UTF-8)."""
    if body is None or isinstance(body, (bytes, bytearray, memoryview)):
        return None if body is None else bytes(body)
    if not isinstance(body, str):
        raise CaptureError(f"body= must be bytes or str, not {type(body).__name__}",
                           hint="pass the body's bytes, e.g. open(path, 'rb').read()")
    _whole_characters(body, "body=", "the text was cut in the middle of a character; pass the body's bytes")
    return body.encode("utf-8")


def _dechunk(data: bytes) -> tuple[bytes, bool]:
    """The content of a ``Transfer-Encoding: chunked`` body, and whether trailer fields followed."""
    out, i = bytearray(), 0
    while True:
        j = data.find(b"\n", i)
        if j < 0:
            raise CaptureError(f"the chunked body ends at byte {i} without its last (size 0) chunk",
                               hint="pass the decoded body with body=..., or copy the request again in full")
        size = data[i:j].rstrip(b"\r").split(b";", 1)[0].strip(b" \t")
        if not re.fullmatch(rb"[0-9A-Fa-f]+", size):
            raise CaptureError(f"the chunked body has {size[:20].decode('utf-8', 'replace')!r} at byte {i} "
                               "where a hex chunk size line should be",
                               hint="pass the decoded body with body=..., or copy the request again in full")
        n, i = int(size, 16), j + 1
        if n == 0:
            return bytes(out), bool(data[i:].strip(b"\r\n"))
        end = i + n
        if data[end:end + 2] != b"\r\n" and data[end:end + 1] != b"\n":
            raise CaptureError(f"the chunk of {n} bytes at byte {i} is cut off or not followed by a "
                               "line break",
                               hint="pass the decoded body with body=..., or copy the request again in full")
        out += data[i:end]
        i = end + (2 if data[end:end + 2] == b"\r\n" else 1)


_REQUEST_LINE = re.compile(r"^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)[ \t]+(\S.*?)(?:[ \t]+(HTTP/\S+))?[ \t]*$")


def parse_raw_http(text: str | bytes, *, scheme: str | None = None,
                   body: bytes | str | None = None) -> CaptureParse:
    """Parse a request printed as HTTP/1.x text: ``curl -v`` (``> `` lines), a proxy, a script.

    The URL is built from an absolute-form target or from the Host header and ``scheme``
    (default ``https``; with ``curl -v`` output it is read from the connection lines). ``curl -v``
    does not print the body: pass it as ``body=``.

        >>> p = parse_raw_http("POST /x?a=1 HTTP/1.1\\r\\nHost: h:8080\\r\\nX-A: 1\\r\\n\\r\\nhi")
        >>> p.request.url, p.request.headers, p.request.body
        ('https://h:8080/x?a=1', (('Host', 'h:8080'), ('X-A', '1')), b'hi')
    """
    notes: list[str] = []
    if isinstance(text, str):
        _refuse_lone_surrogate(text, "the raw request")
        data = _b(text)
    elif isinstance(text, (bytes, bytearray, memoryview)):
        data = bytes(text)
    else:
        raise CaptureError(f"parse_raw_http takes text or bytes, not {type(text).__name__}",
                           hint="pass the request as printed, e.g. open(path, 'rb').read()")
    if scheme not in (None, "http", "https"):
        raise CaptureError(f"scheme={scheme!r} is not 'http' or 'https'",
                           hint="pass scheme='http' or scheme='https' (the default)")
    given_body = _body_arg(body)
    lines = data.split(b"\n")
    verbose = any(ln.startswith((b"> ", b"* ", b"< ")) or ln.rstrip(b"\r") == b">" for ln in lines)
    head: list[tuple[int, str]] = []
    raw_body = b""
    if verbose:
        tls = any(re.match(rb"\* .*(SSL|TLS|ALPN)", ln) for ln in lines)
        port = next((m.group(1) for ln in lines
                     if (m := re.match(rb"\* +(?:Connected to|Trying) .*?port (\d+)", ln))), None)
        if scheme is None and (tls or port):
            scheme = "https" if tls or port == b"443" else "http"
            notes.append(f"scheme {scheme} read from the curl -v connection lines")
        started = False
        for no, ln in enumerate(lines, 1):
            s = ln.rstrip(b"\r")
            if s.startswith(b"> ") or s == b">":
                content = s[2:]
                if not content and started:
                    break
                if content:
                    started = True
                    head.append((no, _decode(content, f"line {no}", notes)))
            elif started and not s.startswith((b"* ", b"} ", b"{ ")):
                break
        notes.append("curl -v does not print the request body; pass body=... if there was one")
        if given_body is not None:
            raw_body = given_body
    else:
        # skip blank lines before the request line
        offset = len(data) - len(data.lstrip(b"\r\n"))
        first_no = data.count(b"\n", 0, offset) + 1
        blank = re.compile(rb"\r?\n\r?\n").search(data, offset)
        if blank:
            head_bytes, raw_body = data[offset:blank.start()], data[blank.end():]
        else:
            head_bytes, raw_body = data[offset:], b""
        for j, raw_line in enumerate(head_bytes.split(b"\n")):
            head.append((first_no + j, _decode(raw_line.rstrip(b"\r"), f"line {first_no + j}", notes)))
        if given_body is not None:
            raw_body = given_body
    if not head or not head[0][1].strip():
        raise CaptureError("no request line found",
                           hint="the text should start with a line like 'GET /path HTTP/1.1' "
                                "(curl -v prints it after '> ')")
    no, first = head[0]
    req_line = _REQUEST_LINE.match(first)
    if not req_line:
        raise CaptureError(f"line {no}: {first[:60]!r} is not a request line",
                           hint="a request line looks like 'GET /path?query HTTP/1.1'")
    method, target, version = req_line.group(1), req_line.group(2), req_line.group(3)
    if version is None:
        raise CaptureError(f"line {no}: the request line {first[:60]!r} has no HTTP version",
                           hint="end it with the protocol, e.g. 'GET /path HTTP/1.1'; HTTP/0.9 "
                                "requests carry no headers and cannot be signed")
    if " " in target:
        notes.append(f"line {no}: the request target contains spaces; kept as written")
    headers: list[tuple[str, str]] = []
    for no, line in head[1:]:
        if line[:1] in (" ", "\t") and headers:
            k, v = headers[-1]
            headers[-1] = (k, v + " " + line.strip(" \t"))
            notes.append(f"line {no}: obsolete folded header line joined to {k}")
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise CaptureError(f"line {no}: {line[:60]!r} is not a 'Name: value' header line",
                               hint="every line between the request line and the blank line must "
                                    "be a header; put the body after one empty line")
        headers.append((name, value[1:] if value.startswith(" ") else value))
    hosts = [v for k, v in headers if k.lower() == "host"]
    if len(hosts) > 1:
        raise CaptureError(f"the request has {len(hosts)} Host headers ({', '.join(map(repr, hosts))[:80]})",
                           hint="an HTTP/1.1 request has exactly one Host header; keep the one it was sent with")
    host = hosts[0] if hosts else None
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", target):
        url = target
    elif method.upper() == "CONNECT":
        raise CaptureError(f"line {head[0][0]}: CONNECT opens a tunnel and is not a request to sign",
                           hint="capture the request sent inside the tunnel instead")
    elif target == "*":
        raise CaptureError("the target '*' (server-wide OPTIONS) cannot be turned into a URL",
                           hint="capture a request to a resource path")
    else:
        if not host:
            raise CaptureError("the request has a relative target and no Host header, so the URL "
                               "is unknown",
                               hint="add a 'Host: name' header line, or write an absolute URL as "
                                    "the target")
        if not target.startswith("/"):
            raise CaptureError(f"line {head[0][0]}: the target {target[:40]!r} does not start with '/'",
                               hint="use an origin-form target such as '/path?query'")
        if not _HOST_PORT.fullmatch(host.strip()):
            raise CaptureError(f"the Host header {host.strip()[:60]!r} is not host[:port]",
                               hint="the Host header names the server and port only, e.g. 'Host: "
                                    "example.com:8080'; the path and query belong in the request line")
        url = f"{scheme or 'https'}://{host.strip()}{target}"
    clen = next((v for k, v in headers if k.lower() == "content-length"), None)
    chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)
    if chunked and given_body is None and not verbose:
        raw_body, trailers = _dechunk(raw_body)
        notes.append("the chunked transfer coding was decoded: the body is the chunks' content"
                     + ("; the trailer fields after the last chunk were dropped" if trailers else ""))
    elif clen is not None and _digits(clen) is None:
        notes.append(f"Content-Length {clen.strip()[:30]!r} is not a number; the body was kept as written")
    elif clen is not None and not verbose and (n := _digits(clen)) is not None:   # a number (see above)
        if len(raw_body) > n and not raw_body[n:].strip(b"\r\n"):
            notes.append(f"{len(raw_body) - n} trailing line-break byte(s) after the "
                         f"{n}-byte body (Content-Length) were dropped")
            raw_body = raw_body[:n]
        elif len(raw_body) != n:
            notes.append(f"the body has {len(raw_body)} bytes but Content-Length says {n}; "
                         "the body was kept as written")
    try:
        req = HttpRequest.build(method, url, headers, raw_body)
    except RequestError as e:
        raise CaptureError(f"the raw request is not valid: {e.message}",
                           hint=e.hint or "fix the request line or the header named above") from None
    return CaptureParse(req, (), tuple(dict.fromkeys(notes)), "curl -v" if verbose else "raw HTTP")


def from_raw_http(text: str | bytes, *, scheme: str | None = None,
                  body: bytes | str | None = None) -> HttpRequest:
    """The request in raw HTTP text; see :func:`parse_raw_http`.

        >>> from_raw_http("GET /a HTTP/1.1\\nHost: h\\n\\n", scheme="http").url
        'http://h/a'
    """
    return parse_raw_http(text, scheme=scheme, body=body).request
