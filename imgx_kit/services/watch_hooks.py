"""Where :func:`imgx_kit.watch` listens: ``requests``' ``HTTPAdapter.send`` (and
``Session.prepare_request``, to see what the session changed), botocore's ``URLLib3Session.send``
and, for plain urllib3 use, ``HTTPConnectionPool.urlopen`` — patched while at least one watch is
open and restored exactly after.

Why these places (decision; sources: requests ``adapters.py``/``sessions.py`` 2.3x, botocore
``httpsession.py``/``endpoint.py`` 1.3x–1.4x):

* ``HTTPAdapter.send`` receives the ``PreparedRequest`` after every session-level step
  (``prepare_request``, auth, ``merge_environment_settings``) and every hook a user registers on
  the session or the request: it is the last Python object before urllib3 writes the bytes. The
  volcengine SDK and oss2 both send through a ``requests.Session`` mounted with ``HTTPAdapter``.
* botocore does not use ``requests``: every client sends through
  ``botocore.httpsession.URLLib3Session.send(AWSPreparedRequest)`` after signing and after the
  ``before-send`` event. That event would be the documented hook, but it lives on each client's own
  event emitter, so no single registration sees every client in the kernel; ``URLLib3Session.send``
  does. urllib3's ``HTTPConnectionPool.urlopen`` is lower still, but there the request body may be
  a half-read stream, the response is never preloaded and ``requests`` passes through it as well.
  That is why it is hooked only for plain urllib3 use: a call made inside the two hooks above marks
  its thread busy and passes straight through, so each exchange is one row. urllib3's own retries
  of one ``urlopen`` call (it calls itself) are one row too: the first request, the last answer.

Bodies are never consumed: a response body is taken only when the client already loaded it
(``requests`` without ``stream=True`` loads it right after the adapter returns; botocore loads
every non-streaming answer inside ``send``), or, for a streamed answer, by *peeking* at most
``cap`` bytes from the socket buffer (``http.client.HTTPResponse.peek``, which consumes nothing)
when ``Content-Length`` says it is small.
"""
from __future__ import annotations

import importlib.util
import threading
import time
import weakref
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from ..core.errors import ImgxError
from ..core.redact import redact_url, scrub
from ..core.request import HttpRequest

__all__ = ["BODY_CAP", "REQUEST_BODY_CAP", "Call", "Listener", "attach", "detach", "installed"]

BODY_CAP = 64 * 1024            # largest response body read for a diagnosis
REQUEST_BODY_CAP = 16 << 20     # largest seekable request body copied before sending


@dataclass(eq=False, repr=False)
class Call:
    """One HTTP exchange as it happened (shared by every open watch)."""

    via: str                                    # "requests" | "botocore" | "urllib3"
    method: str
    url: str
    request: HttpRequest | None                 # exactly as sent; None when it could not be captured
    request_note: str                           # why not, or what was left out
    started: datetime
    elapsed_ms: float = 0.0
    status: int | None = None
    reason: str = ""
    response_headers: tuple[tuple[str, str], ...] = ()
    error: str | None = None                    # the exception the send raised (scrubbed)
    body: bytes | None = None                   # the response body when it could be read
    session_changes: tuple[tuple[str, str, str | None], ...] = ()   # (header, as the client set it, as sent)
    body_note: str = ""
    _pending: Any = field(default=None, repr=False)     # a requests.Response whose body loads later
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __repr__(self) -> str:                  # bodies and header values may carry secrets: not shown
        return f"Call({self.via}: {self.method} {redact_url(self.url)} -> {self.status or self.error or '-'})"

    def settle(self) -> None:
        """Take the body of a ``requests`` response once ``requests`` itself has loaded it."""
        with self._lock:
            resp = self._pending
            if resp is None:
                return
            content = resp.__dict__.get("_content", False)
            if isinstance(content, bytes):
                self.body, self.body_note = _bounded(content, BODY_CAP)
                self._pending = None
            elif resp.__dict__.get("_content_consumed"):
                self.body_note, self._pending = "the caller read the body as a stream", None


class Listener(Protocol):
    def _record(self, call: Call) -> None: ...


# ---- registry of open watches ---------------------------------------------------------------------
_lock = threading.RLock()
_listeners: list[Listener] = []
_saved: list[tuple[type, str, Any, Any]] = []       # (class, attribute, original (in __dict__), wrapper)
_local = threading.local()
_MISSING = object()
# PreparedRequest -> the headers the caller gave Session.request, before the session's own steps
_asked: weakref.WeakKeyDictionary[Any, tuple[tuple[str, str], ...]] = weakref.WeakKeyDictionary()


def attach(listener: Listener) -> None:
    """Start delivering calls to ``listener`` (installs the patches for the first one)."""
    with _lock:
        if not _listeners:
            _install()
        _listeners.append(listener)


def detach(listener: Listener) -> None:
    """Stop delivering to ``listener``; the last one out restores the original methods."""
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)
        if not _listeners:
            _uninstall()


def installed() -> list[str]:
    """Which methods are patched right now (``Class.method``), for tests and the curious."""
    with _lock:
        return [f"{cls.__module__}.{cls.__qualname__}.{name}" for cls, name, _, _ in _saved]


def _deliver(call: Call) -> None:
    with _lock:
        targets = list(_listeners)
    for t in targets:
        t._record(call)


def _install() -> None:
    import requests.adapters
    import requests.sessions

    _patch(requests.adapters.HTTPAdapter, "send", _wrap_requests)
    _patch(requests.sessions.Session, "prepare_request", _wrap_prepare)
    if importlib.util.find_spec("botocore") is not None:
        import botocore.httpsession  # type: ignore[import-untyped]

        _patch(botocore.httpsession.URLLib3Session, "send", _wrap_botocore)
    import urllib3.connectionpool

    _patch(urllib3.connectionpool.HTTPConnectionPool, "urlopen", _wrap_urllib3)


def _patch(cls: type, name: str, make: Callable[[Any], Any]) -> None:
    original = cls.__dict__.get(name, _MISSING)
    wrapper = make(getattr(cls, name))
    setattr(cls, name, wrapper)
    _saved.append((cls, name, original, wrapper))


def _uninstall() -> None:
    while _saved:
        cls, name, original, wrapper = _saved.pop()
        if cls.__dict__.get(name) is not wrapper:
            # someone patched over us meanwhile: leave theirs; ours passes straight through now
            continue
        if original is _MISSING:
            delattr(cls, name)
        else:
            setattr(cls, name, original)


def _busy() -> bool:
    return getattr(_local, "depth", 0) > 0


class _Depth:
    def __enter__(self) -> None:
        _local.depth = getattr(_local, "depth", 0) + 1

    def __exit__(self, *exc: object) -> None:
        _local.depth -= 1


def _send_timed(call: Call, send: Callable[[], Any]) -> Any:
    """``send()`` inside the watch's own-call guard, timed into ``call``; an exception is recorded on
    ``call``, delivered to the watches and raised again unchanged."""
    t0 = time.perf_counter()
    with _Depth():
        try:
            resp = send()
        except BaseException as e:
            call.elapsed_ms = (time.perf_counter() - t0) * 1000
            call.error = scrub(f"{type(e).__name__}: {e}")[:500]
            _deliver(call)
            raise
    call.elapsed_ms = (time.perf_counter() - t0) * 1000
    return resp


# ---- requests ----------------------------------------------------------------------------------------
def _wrap_requests(send: Callable[..., Any]) -> Callable[..., Any]:
    def send_watched(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not _listeners or _busy():
            return send(adapter, request, *args, **kwargs)
        stream = bool(kwargs.get("stream", args[0] if args else False))
        req, note = _capture_prepared(request)
        call = Call("requests", str(request.method or "GET"), str(request.url), req, note, _utcnow())
        call.session_changes = _session_changes(request)
        resp = _send_timed(call, lambda: send(adapter, request, *args, **kwargs))
        _take_response(call, resp.status_code, resp.reason or "", resp.headers.items())
        if _wants_body(call):
            if stream:
                call.body, call.body_note = _peek(resp.raw)
            else:
                call._pending = resp            # Session.send loads resp.content right after we return
        _deliver(call)
        return resp

    send_watched.__wrapped__ = send               # type: ignore[attr-defined]
    return send_watched


def _wrap_prepare(prepare: Callable[..., Any]) -> Callable[..., Any]:
    """Remember what the caller asked for, to show what the session changed after the client signed
    (``session.auth``, a ``prepare_request`` override, ``session.headers`` overriding the caller's)."""
    def prepare_watched(session: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        p = prepare(session, request, *args, **kwargs)
        if _listeners:
            try:
                _asked[p] = tuple((_text(k), _text(v)) for k, v in (request.headers or {}).items()
                                  if v is not None)
            except (TypeError, AttributeError):
                pass
        return p

    prepare_watched.__wrapped__ = prepare         # type: ignore[attr-defined]
    return prepare_watched


def _session_changes(p: Any) -> tuple[tuple[str, str, str | None], ...]:
    """Headers the caller set that the session changed or dropped before sending."""
    try:
        asked = _asked.pop(p, ())
    except TypeError:
        return ()
    out = []
    for name, before in asked:
        after = p.headers.get(name)
        after = _text(after) if after is not None else None
        if after != before:
            out.append((name, before, after))
    return tuple(out)


def _capture_prepared(p: Any) -> tuple[HttpRequest | None, str]:
    from ..core.capture import from_prepared

    body, note = p.body, ""
    if body is not None and not isinstance(body, (bytes, bytearray, memoryview, str)):
        body, note = _read_seekable(body)
        if body is None:
            return None, note
        p = p.copy()
        p.body = body
    try:
        return from_prepared(p), note
    except ImgxError as e:
        return None, f"not captured: {e.message}"


def _read_seekable(stream: Any) -> tuple[bytes | None, str]:
    """Copy a request body without moving it: a seekable stream is read and sought back; a
    bytes-backed adapter that has not been read (oss2's ``_BytesAndFileAdapter``: ``data`` bytes,
    ``offset`` 0, ``size``) gives its bytes; anything else stays unknown — reading it would drive
    the caller's progress or CRC callbacks."""
    data = getattr(stream, "data", None)
    if isinstance(data, bytes) and getattr(stream, "offset", None) == 0:
        size = getattr(stream, "size", None)
        return (data[:size] if isinstance(size, int) else data), ""
    if not callable(getattr(stream, "seek", None)) or not callable(getattr(stream, "tell", None)):
        return None, f"the body is a one-shot stream ({type(stream).__name__}): its bytes are unknown until sent"
    try:
        pos = stream.tell()
        data = stream.read(REQUEST_BODY_CAP + 1)
        stream.seek(pos)
    except (AttributeError, OSError, ValueError):
        return None, f"the body is a one-shot stream ({type(stream).__name__}): its bytes are unknown until sent"
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > REQUEST_BODY_CAP:
        return None, f"the body is a stream over {REQUEST_BODY_CAP} bytes: not copied"
    return bytes(data), ""


# ---- botocore ----------------------------------------------------------------------------------------
def _wrap_botocore(send: Callable[..., Any]) -> Callable[..., Any]:
    def send_watched(session: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not _listeners or _busy():
            return send(session, request, *args, **kwargs)
        req, note = _capture_aws(request)
        call = Call("botocore", str(request.method), str(request.url), req, note, _utcnow())
        resp = _send_timed(call, lambda: send(session, request, *args, **kwargs))
        raw = resp.raw
        _take_response(call, resp.status_code, getattr(raw, "reason", "") or "", resp.headers.items())
        if _wants_body(call):
            content = resp.__dict__.get("_content")
            if isinstance(content, bytes):            # botocore loaded it (every non-streaming answer)
                call.body, call.body_note = _bounded(content, BODY_CAP)
            else:
                call.body, call.body_note = _peek(raw)
        _deliver(call)
        return resp

    send_watched.__wrapped__ = send               # type: ignore[attr-defined]
    return send_watched


def _capture_aws(r: Any) -> tuple[HttpRequest | None, str]:
    return _capture_plain(str(r.method), str(r.url), r.headers.items(), r.body)


def _text(v: Any) -> str:
    return v.decode("latin-1") if isinstance(v, (bytes, bytearray)) else str(v)


# ---- plain urllib3 (neither requests nor botocore: those two mark the thread busy) -------------------------
def _wrap_urllib3(urlopen: Callable[..., Any]) -> Callable[..., Any]:
    def urlopen_watched(pool: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if not _listeners or _busy():       # also urllib3's own retries: one row for the outermost call
            return urlopen(pool, method, url, *args, **kwargs)
        body = kwargs.get("body", args[0] if args else None)
        headers = kwargs.get("headers", args[1] if len(args) > 1 else None)
        full = url if "://" in url else f"{pool.scheme}://{_netloc(pool)}{url}"
        req, note = _capture_plain(method, full, pool.headers if headers is None else headers, body)
        call = Call("urllib3", str(method), full, req, note, _utcnow())
        resp = _send_timed(call, lambda: urlopen(pool, method, url, *args, **kwargs))
        _take_response(call, resp.status, getattr(resp, "reason", "") or "", resp.headers.items())
        if _wants_body(call):
            call.body, call.body_note = _peek(resp)
        _deliver(call)
        return resp

    urlopen_watched.__wrapped__ = urlopen         # type: ignore[attr-defined]
    return urlopen_watched


def _netloc(pool: Any) -> str:
    host = f"[{pool.host}]" if ":" in str(pool.host) else str(pool.host)
    default = {"http": 80, "https": 443}.get(pool.scheme)
    return host if pool.port in (None, default) else f"{host}:{pool.port}"


def _capture_plain(method: str, url: str, headers: Any, body: Any) -> tuple[HttpRequest | None, str]:
    """The request as sent: ``headers`` a mapping or (name, value) pairs, ``body`` bytes, text, None or a
    seekable stream (read and rewound); ``(None, why)`` when it cannot be captured."""
    note = ""
    if body is None:
        body = b""
    elif not isinstance(body, (bytes, bytearray, str)):
        body, note = _read_seekable(body)
        if body is None:
            return None, note
    items = headers.items() if hasattr(headers, "items") else (headers or ())
    try:
        pairs = [(_text(k), _text(v)) for k, v in items]
        return HttpRequest.build(str(method), url, pairs, body), note
    except ImgxError as e:
        return None, f"not captured: {e.message}"


# ---- responses -------------------------------------------------------------------------------------
def _take_response(call: Call, status: int, reason: str, headers: Any) -> None:
    call.status, call.reason = int(status), str(reason)
    call.response_headers = tuple((_text(k), _text(v)) for k, v in headers)


def _header(call: Call, name: str) -> str | None:
    for k, v in call.response_headers:
        if k.lower() == name:
            return v
    return None


def _wants_body(call: Call) -> bool:
    """Error answers, and small JSON/XML answers (the Volcengine gateway may put an error in a 200)."""
    if call.status is not None and call.status >= 400:
        return True
    ctype = (_header(call, "content-type") or "").lower()
    length = _header(call, "content-length")
    return ("json" in ctype or "xml" in ctype) and length is not None and length.isdigit() \
        and int(length) <= BODY_CAP


def _bounded(content: bytes, cap: int) -> tuple[bytes | None, str]:
    if len(content) > cap:
        return None, f"body of {len(content)} bytes: over the {cap}-byte limit, not read"
    return content, ""


def _peek(raw: Any) -> tuple[bytes | None, str]:
    """The body of a streamed urllib3 response, without consuming it."""
    body = getattr(raw, "_body", None)
    if isinstance(body, bytes):                   # preloaded after all
        return _bounded(body, BODY_CAP)
    fp = getattr(raw, "_fp", None)
    if fp is None or not hasattr(fp, "peek") or getattr(raw, "_fp_bytes_read", 0) != 0:
        return None, "streamed body: not read (the caller reads it)"
    length = raw.headers.get("Content-Length")
    if length is None or not length.strip().isdigit() or getattr(fp, "chunked", False):
        return None, "streamed body without Content-Length: not read (the caller reads it)"
    n = int(length)
    if n > BODY_CAP:
        return None, f"streamed body of {n} bytes: over the {BODY_CAP}-byte limit, not read"
    try:
        data = bytes(fp.peek(n))[:n]
    except (OSError, ValueError) as e:
        return None, f"streamed body: peek failed ({type(e).__name__})"
    if len(data) < n:
        return None, f"streamed body: only {len(data)} of {n} bytes had arrived; not read"
    return _decoded(data, (raw.headers.get("Content-Encoding") or "").lower())


def _decoded(data: bytes, encoding: str) -> tuple[bytes | None, str]:
    if encoding in ("", "identity"):
        return data, ""
    if encoding not in ("gzip", "deflate"):
        return None, f"body in Content-Encoding {encoding!r}: not decoded"
    d = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        out = d.decompress(data, BODY_CAP + 1)
    except zlib.error:
        return None, f"the {encoding} body does not decompress"
    return _bounded(out, BODY_CAP)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)
