"""HAR 1.2 files (Chrome, Firefox): list the entries and import one as a request."""
from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from ..errors import CaptureError, RequestError
from ..jsontext import loads_bounded
from ..redact import redact_url
from ..request import HttpRequest
from ._common import CaptureParse, _digits, _whole_characters

# ============================================================================================
# HAR 1.2 (Chrome, Firefox)
# ============================================================================================
#: largest HAR file read (browsers' exports of a session are a few MiB)
MAX_HAR_BYTES = 512 << 20


def _load_har(har: Any) -> dict[str, Any]:
    if isinstance(har, dict):
        return har
    try:
        if isinstance(har, (bytes, bytearray)):
            har = bytes(har).decode("utf-8-sig")
        if isinstance(har, os.PathLike) or (isinstance(har, str) and not har.lstrip().startswith(("{", "["))):
            if not _is_file(har):
                raise CaptureError(f"{str(har)[:80]!r} is neither HAR JSON nor an existing file",
                                   hint="pass the HAR as a dict, its JSON text, or the path of the .har file")
            if Path(har).stat().st_size > MAX_HAR_BYTES:          # bounded before reading
                raise CaptureError(f"the HAR file {str(har)[:80]!r} is over {MAX_HAR_BYTES >> 20} MiB",
                                   hint="export only the requests you need (filter the Network panel first)")
            har = Path(har).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise CaptureError(f"the HAR is not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start})",
                           hint="export it again: a HAR file is UTF-8 JSON") from None
    except OSError as e:
        raise CaptureError(f"the HAR file {str(har)[:80]!r} cannot be read: {e.strerror or e}",
                           hint="check the path and the file's permissions") from None
    if not isinstance(har, str):
        raise CaptureError(f"from_har takes a dict, JSON text or a path, not {type(har).__name__}",
                           hint="e.g. from_har('session.har', url_contains='ApplyImageUpload')")
    try:
        doc = loads_bounded(har, what="the HAR", error=CaptureError)
    except json.JSONDecodeError as e:
        raise CaptureError(f"the HAR is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}",
                           hint="export it again (Network panel → Save all as HAR / Export HAR)") from None
    if not isinstance(doc, dict):
        raise CaptureError("the HAR JSON is not an object with a 'log'",
                           hint="a HAR file looks like {\"log\": {\"entries\": [...]}}")
    return doc


def _is_file(path: Any) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):          # a name too long for the file system, a NUL …
        return False


def _entries(doc: dict[str, Any]) -> list[Any]:
    log = doc.get("log")
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise CaptureError("the HAR has no log.entries list",
                           hint="a HAR file looks like {\"log\": {\"entries\": [...]}}; export it again")
    if not entries:
        raise CaptureError("the HAR has no entries (no requests were recorded)",
                           hint="open the Network panel first, make the request, then export the HAR")
    return entries


def _request_of(entry: Any) -> dict[str, Any]:
    """The ``request`` object of a HAR entry, or ``{}`` when it has none."""
    req = entry.get("request") if isinstance(entry, dict) else None
    return req if isinstance(req, dict) else {}


def _describe(k: int, entry: Any) -> str:
    req = _request_of(entry)
    url = redact_url(str(req.get("url", "?"))).encode("utf-8", "backslashreplace").decode("utf-8")
    resp = entry.get("response") if isinstance(entry, dict) else None
    status = resp.get("status") if isinstance(resp, dict) else None
    short = url if len(url) <= 100 else url[:97] + "…"
    return f"[{k}] {str(req.get('method', '?'))[:20]} {short}" + (f" → {status}" if status else "")


def har_entries(har: Any) -> list[str]:
    """One line per entry of a HAR (index, method, URL with tokens masked, status).

        >>> har_entries({"log": {"entries": [{"request": {"method": "GET", "url": "https://h/"},
        ...                                   "response": {"status": 200}}]}})
        ['[0] GET https://h/ → 200']
    """
    return [_describe(k, e) for k, e in enumerate(_entries(_load_har(har)))]


def _listing(pairs: Iterable[tuple[int, Any]], limit: int = 25) -> str:
    pairs = list(pairs)
    lines = [_describe(k, e) for k, e in pairs[:limit]]
    if len(pairs) > limit:
        lines.append(f"… and {len(pairs) - limit} more")
    return "\n  " + "\n  ".join(lines)


def parse_har(har: Any, index: int | None = None, url_contains: str | None = None) -> CaptureParse:
    """Read one request of a Chrome or Firefox HAR 1.2 export (dict, JSON text or path).

    The entry is chosen by ``index`` and/or ``url_contains`` (``index`` then counts among the
    matches); a HAR with one entry needs neither. HTTP/2 pseudo-headers are skipped.

        >>> har = {"log": {"entries": [{"request": {"method": "POST", "url": "https://h/a",
        ...        "headers": [{"name": ":authority", "value": "h"}, {"name": "x-a", "value": "1"}],
        ...        "postData": {"mimeType": "text/plain", "text": "hi"}}}]}}
        >>> r = parse_har(har).request
        >>> r.headers, r.body
        ((('x-a', '1'),), b'hi')
    """
    if url_contains is not None and not isinstance(url_contains, str):
        raise CaptureError(f"url_contains must be a str, not {type(url_contains).__name__}",
                           hint="e.g. url_contains='ApplyImageUpload'")
    entries = _entries(_load_har(har))
    candidates = list(enumerate(entries))
    if url_contains is not None:
        candidates = [(k, e) for k, e in candidates if url_contains in str(_request_of(e).get("url", ""))]
        if not candidates:
            raise CaptureError(f"no HAR entry has a URL containing {url_contains!r}; the entries are:"
                               + _listing(enumerate(entries)),
                               hint="pass another url_contains, or index=N")
    if index is not None:
        if not isinstance(index, int) or isinstance(index, bool):
            raise CaptureError(f"index must be an int, not {type(index).__name__}",
                               hint="e.g. index=0 (the first entry; har_entries(har) lists them)")
        if not -len(candidates) <= index < len(candidates):
            what = f"entries matching {url_contains!r}" if url_contains is not None else "entries"
            raise CaptureError(f"index {index} is out of range: the HAR has {len(candidates)} {what}:"
                               + _listing(candidates),
                               hint="pick an index from the list")
        k, entry = candidates[index]
    elif len(candidates) == 1:
        k, entry = candidates[0]
    else:
        what = f"{len(candidates)} entries match {url_contains!r}" if url_contains is not None \
            else f"the HAR has {len(candidates)} entries"
        raise CaptureError(f"{what}; say which one:" + _listing(candidates),
                           hint="pass index=N and/or url_contains='part of the URL'")
    return _har_request(k, entry)


def from_har(har: Any, index: int | None = None, url_contains: str | None = None) -> HttpRequest:
    """The request of one HAR entry; see :func:`parse_har`.

        >>> from_har('{"log": {"entries": [{"request": {"method": "GET", "url": "https://h/x"}}]}}').url
        'https://h/x'
    """
    return parse_har(har, index=index, url_contains=url_contains).request


def _declared_length(headers: list[tuple[str, str]]) -> int | None:
    """The Content-Length the request declared, if it is a plain number."""
    for name, value in headers:
        if name.lower() == "content-length" and _digits(value) is not None:
            return _digits(value)
    return None


def _har_str(k: int, obj: dict[str, Any], key: str, what: str, default: str | None = None) -> str:
    """A string field of HAR entry ``k`` (``default`` when absent): a JSON string, whole characters."""
    if key not in obj and default is not None:
        return default
    value = obj.get(key)
    if not isinstance(value, str):
        raise CaptureError(f"HAR entry {k}: {what} is {type(value).__name__} {value!r:.40}, not a string",
                           hint="export the HAR again; HAR 1.2 writes it as a JSON string")
    # a browser cuts long bodies, sometimes between the two halves of an emoji: the half has
    # no bytes, so any reading of it would be a guess; say where it is instead
    _whole_characters(value, f"HAR entry {k}: {what}", "the browser cut the text in the middle of a character "
                      "(a truncated body?); export the HAR again with full content, or fix that character")
    return value


def _har_pairs(k: int, obj: dict[str, Any], key: str, what: str) -> list[tuple[str, str]]:
    """The ``[{name, value}, …]`` list ``key`` of HAR entry ``k`` (headers, cookies, params)."""
    items = obj.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise CaptureError(f"HAR entry {k}: {what} is {type(items).__name__} {items!r:.40}, not a list of "
                           "{name, value} objects", hint="export the HAR again")
    pairs = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or "name" not in item:
            raise CaptureError(f"HAR entry {k}: {what}[{n}] is not a {{name, value}} object: {item!r:.60}",
                               hint="export the HAR again")
        pairs.append((_har_str(k, item, "name", f"{what}[{n}].name"),
                      _har_str(k, item, "value", f"{what}[{n}].value", "")))
    return pairs


def _har_request(k: int, entry: Any) -> CaptureParse:
    notes: list[str] = []
    req = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(req, dict) or "url" not in req or "method" not in req:
        raise CaptureError(f"HAR entry {k} has no request with a method and url",
                           hint="export the HAR again; each entry needs request.method and request.url")
    method, url = _har_str(k, req, "method", "request.method"), _har_str(k, req, "url", "request.url")
    headers: list[tuple[str, str]] = []
    skipped = []
    for name, value in _har_pairs(k, req, "headers", "request.headers"):
        if name.startswith(":"):
            skipped.append(name)
            continue
        headers.append((name, value))
    if skipped:
        notes.append("HTTP/2 pseudo-headers " + ", ".join(skipped) + " were skipped (they are "
                     "the request line, not headers)")
    cookies = _har_pairs(k, req, "cookies", "request.cookies")
    if cookies and not any(n.lower() == "cookie" for n, _ in headers):
        headers.append(("Cookie", "; ".join(f"{name}={value}" for name, value in cookies)))
        notes.append("the HAR lists cookies but no Cookie header (a sanitized export?); a Cookie "
                     "header was rebuilt from them at the end")
    if not headers:
        notes.append("the entry has no request headers (Chrome shows 'provisional headers' for "
                     "cached or blocked requests); the capture may be incomplete")
    post = req.get("postData")
    if post is not None and not isinstance(post, dict):
        raise CaptureError(f"HAR entry {k}: postData is {type(post).__name__} {post!r:.40}, not an object",
                           hint='HAR 1.2 writes {"mimeType": …, "text": …}; export the HAR again')
    body = _har_body(k, post or {}, headers, notes)
    size = req.get("bodySize")
    if isinstance(size, int) and size > 0 and size != len(body):
        # Firefox's bodySize counts characters of postData.text, not bytes
        text = (post or {}).get("text")
        chars = len(text) if isinstance(text, str) and (post or {}).get("encoding") != "base64" else None
        declared = _declared_length(headers)
        if not (size == chars and declared in (None, len(body))):
            notes.append(f"bodySize is {size} but the exported body has {len(body)} bytes")
    try:
        r = HttpRequest.build(method, url, headers, body)
    except RequestError as e:
        raise CaptureError(f"HAR entry {k} is not a valid request: {e.message}",
                           hint=e.hint or "check that entry's URL and headers") from None
    return CaptureParse(r, (), tuple(notes), f"HAR entry {k}")


def _har_body(k: int, post: dict[str, Any], headers: list[tuple[str, str]], notes: list[str]) -> bytes:
    """The body bytes of HAR entry ``k``: ``postData.text`` (plain or base64), else its ``params``."""
    if post.get("text") is not None:
        text = _har_str(k, post, "text", "postData.text")
        encoding = post.get("encoding")
        if encoding not in (None, "", "base64"):
            raise CaptureError(f"HAR entry {k}: postData.encoding {encoding!r:.40} is not 'base64'",
                               hint="HAR files mark a binary body with encoding 'base64' or leave it out; "
                                    "export the HAR again")
        if encoding == "base64":
            try:
                return base64.b64decode(text, validate=True)
            except ValueError:
                raise CaptureError(f"HAR entry {k}: postData.text is marked base64 but does not "
                                   "decode", hint="export the HAR again") from None
        body = text.encode("utf-8")
        if len(body) != len(text) and max(text) <= "\xff":
            # Firefox writes a body that is not text in the page's charset one character
            # per byte (U+0000–U+00FF); Content-Length tells which reading is right
            declared = _declared_length(headers)
            if declared == len(text):
                body = text.encode("latin-1")
                notes.append("postData.text holds one character per byte (Firefox's export of a "
                             "binary body); read as Latin-1 to match Content-Length")
            elif declared is None:
                notes.append("postData.text has characters U+0080–U+00FF and there is no "
                             "Content-Length: read as UTF-8; if the body was binary (Firefox "
                             "writes one character per byte) the bytes were its Latin-1 encoding")
        return body
    params = _har_pairs(k, post, "params", "postData.params")
    if not params:
        return b""
    if "multipart" in str(post.get("mimeType", "")):
        raise CaptureError(f"HAR entry {k}: the multipart body was exported as params only, so "
                           "its exact bytes are unknown",
                           hint="export with content (Chrome: 'Export HAR (with sensitive "
                                "data)'), or capture it with curl -v --trace-ascii")
    notes.append("the body was rebuilt from postData.params (form encoding, spaces as '+'); "
                 "the original percent-encoding may have differed")
    return "&".join(f"{quote_plus(name)}={quote_plus(value)}" for name, value in params).encode("utf-8")
