"""Every HTTP exchange a client makes, recorded: :class:`CallRecord`, a timeline view, HAR export,
and the one :class:`Transport` that sends an :class:`~imgx_kit.HttpRequest` and records it.

Secrets never enter a record: headers, URL, body preview and parsed JSON are redacted when the
record is made (``imgx_kit.core.redact``), so every view and ``to_har()`` is safe to share::

    >>> from imgx_kit.services.calls import CallRecord, to_har
    >>> r = CallRecord.build("GET", "https://h/?Action=X", [("Cookie", "sessionid=abcdef0123456789")],
    ...                      status=200, json={"ok": 1}, elapsed=0.01)
    >>> r.request_headers
    (('Cookie', 'sessionid=abcd…(16 chars)'),)
    >>> to_har([r])["log"]["version"]
    '1.2'
"""
from __future__ import annotations

import html
import io
import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import HTTPAdapter

from ..core.echo import ServerEcho, parse_echo
from ..core.errors import ImageInputError, ImgxError, ServiceError
from ..core.html_layout import CELL, NAME, TABLE, TH, code, plural, table
from ..core.i18n import tr_html
from ..core.jsontext import loads_bounded
from ..core.redact import (
    SECRET_JSON_KEYS,
    is_secret_json_key,
    mask,
    redact_headers,
    redact_url,
    redactor,
    scrub,
    secret_values,
)
from ..core.request import HttpRequest, body_preview
from ..core.trace import SigningTrace
from .log_masking import masking_logs

__all__ = [
    "SECRET_JSON_KEYS",
    "CallRecord",
    "Calls",
    "Exchange",
    "Transport",
    "TransportError",
    "calls_html",
    "log",
    "redact_json",
    "safe_echo",
    "to_har",
]

log = logging.getLogger("imgx_kit.services")

_PREVIEW = 400


def redact_json(obj: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a parsed JSON value with secret keys masked and known secrets replaced."""
    return _redact_json(obj, redactor(secrets))


def _redact_json(obj: Any, clean: Callable[[str], str]) -> Any:
    if isinstance(obj, dict):
        return {k: (mask(v) if isinstance(v, str) and is_secret_json_key(k)
                    else _redact_json(v, clean)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_redact_json(v, clean) for v in obj]
    if isinstance(obj, str):
        if len(obj) > 4096:                       # base64 images and the like: summarise
            return obj[:64] + f"…({len(obj)} chars)"
        return clean(obj)
    return obj


def safe_echo(response: Any, status: int | None, secrets: Iterable[str]) -> ServerEcho:
    """``parse_echo`` of a server answer, with views that never show ``secrets``."""
    return parse_echo(response, status).masking(secrets)


def _hdr_pairs(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if hasattr(headers, "items"):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


@dataclass(frozen=True, repr=False)
class CallRecord:
    """One HTTP exchange (one attempt): what was sent, how it was signed, what came back.

    Everything in it is already redacted. ``trace`` is the :class:`~imgx_kit.SigningTrace` when
    the request was signed (its views hide secrets themselves)."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...] = ()
    body_preview: str = ""
    body_size: int = 0
    trace: SigningTrace | None = field(default=None, compare=False)
    status: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    json: Any = None
    response_preview: str = ""
    response_size: int = 0
    elapsed: float = 0.0
    attempt: int = 1
    error: str | None = None
    label: str = ""
    started: float = 0.0

    @classmethod
    def build(cls, method: str, url: str, headers: Any = (), body: bytes | str = b"", *,
              secrets: Iterable[str] = (), trace: SigningTrace | None = None,
              status: int | None = None, response_headers: Any = (), json: Any = None,
              content: bytes = b"", elapsed: float = 0.0, attempt: int = 1,
              error: str | None = None, label: str = "", started: float | None = None,
              body_size: int | None = None, preview: str | None = None) -> CallRecord:
        """Make a record, redacting every field (the only way records should be made)."""
        sec = tuple(s for s in secrets if s)
        if trace is not None:
            sec += tuple(getattr(trace, "_secrets", ()) or ())

        clean = redactor(sec)                 # the set's masked forms, derived once (core.redact)

        def clean_preview(data: bytes) -> str:
            # mask the whole text first, then cut: a cut first could leave a token's prefix
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                return body_preview(data, _PREVIEW)
            return body_preview(scrub(clean(text)).encode("utf-8"), _PREVIEW)

        raw_body = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        req_h = tuple((k, clean(v)) for k, v in redact_headers(_hdr_pairs(headers)))
        resp_h = tuple((k, clean(v)) for k, v in redact_headers(_hdr_pairs(response_headers)))
        pv = clean(preview) if preview is not None else clean_preview(raw_body)
        clean_url = clean(redact_url(url))
        resp_preview = clean_preview(content) if json is None and content else ""
        return cls(method.upper(), clean_url, req_h, pv,
                   body_size if body_size is not None else len(raw_body), trace, status, resp_h,
                   _redact_json(json, clean) if json is not None else None, resp_preview, len(content or b""),
                   float(elapsed), int(attempt), clean(error) if error else None, label,
                   time.time() if started is None else started)

    # ---- convenience -----------------------------------------------------------------------
    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def action(self) -> str | None:
        """The ``Action`` query parameter, if any (``ApplyImageUpload`` …)."""
        for k, v in parse_qsl(urlsplit(self.url).query, keep_blank_values=True):
            if k == "Action":
                return v
        return None

    def header(self, name: str, response: bool = True) -> str | None:
        low = name.lower()
        for k, v in (self.response_headers if response else self.request_headers):
            if k.lower() == low:
                return v
        return None

    @property
    def outcome(self) -> str:
        if self.error:
            return self.error
        return f"HTTP {self.status}"

    def summary(self) -> str:
        what = self.label or self.action or self.path
        again = f", attempt {self.attempt}" if self.attempt > 1 else ""
        return f"{self.method} {what} -> {self.outcome} ({self.elapsed * 1000:.0f} ms{again})"

    def __repr__(self) -> str:
        u = self.url if len(self.url) <= 120 else self.url[:117] + "…"
        return f"CallRecord({self.label + ': ' if self.label else ''}{self.method} {u} -> {self.outcome}, " \
               f"attempt {self.attempt}, {self.elapsed * 1000:.1f} ms)"

    def to_dict(self) -> dict:
        """JSON-safe dict (already redacted)."""
        return {"label": self.label, "method": self.method, "url": self.url,
                "request_headers": [list(h) for h in self.request_headers],
                "body_preview": self.body_preview, "body_size": self.body_size,
                "status": self.status, "response_headers": [list(h) for h in self.response_headers],
                "json": self.json, "response_preview": self.response_preview,
                "elapsed": self.elapsed, "attempt": self.attempt, "error": self.error,
                "signed": self.trace is not None,
                "signature": self.trace.signature if self.trace is not None else None}

    def _repr_html_(self) -> str:
        soft = self.status == 429 or (self.status or 0) >= 500 or self.error
        colour = "#2a7" if self.ok else ("#c60" if soft else "#b00")
        hdr = table(None, ([code(html.escape(k)), code(html.escape(v))] for k, v in self.request_headers))
        rh = table(None, ([code(html.escape(k)), code(html.escape(v))] for k, v in self.response_headers))
        body = json.dumps(self.json, indent=2, ensure_ascii=False) if self.json is not None else self.response_preview
        pre = "white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%"
        trace = ""
        if self.trace is not None:
            trace = f"<details><summary>signing trace</summary>{self.trace._repr_html_()}</details>"
        again = f" · attempt {self.attempt}" if self.attempt > 1 else ""
        return tr_html(f"<div class='imgx-call' style='border-left:4px solid {colour};padding-left:6px;margin:4px 0;"
                f"max-width:100%'><b>{html.escape(self.label or '')}</b> "
                f"{code(html.escape(self.method + ' ' + self.url))}"
                f" → <b style='color:{colour}'>{html.escape(self.outcome)}</b>{again} · "
                f"{self.elapsed * 1000:.1f} ms"
                f"<details><summary>request: {plural(len(self.request_headers), 'header')} · "
                f"body {plural(self.body_size, 'byte')}</summary>"
                f"{hdr}<pre style='{pre}'>{html.escape(self.body_preview)}</pre></details>"
                f"{trace}"
                f"<details><summary>response: {plural(len(self.response_headers), 'header')}</summary>{rh}"
                f"<pre style='{pre}'>{html.escape(body or '')}</pre></details></div>")


class Calls(list):
    """A list of :class:`CallRecord` that renders as a timeline in Jupyter and exports HAR."""

    def __repr__(self) -> str:
        if not self:
            return "Calls([])"
        return "Calls(\n" + "".join(f"  {i}. {r.summary()}\n" for i, r in enumerate(self, 1)) + ")"

    def _repr_html_(self) -> str:
        return calls_html(self)

    def to_har(self) -> dict:
        return to_har(self)

    @property
    def retries(self) -> int:
        """How many records are repeated attempts (attempt > 1)."""
        return sum(1 for r in self if r.attempt > 1)


def calls_html(records: Sequence[CallRecord]) -> str:
    """A timeline: one bar per call, placed at its start time and as long as it took."""
    recs = list(records)
    if not recs:
        return tr_html("<div><i>no calls</i></div>")
    t0 = min(r.started for r in recs)
    t1 = max(r.started + r.elapsed for r in recs)
    span = max(t1 - t0, 1e-6)
    rows = []
    num = "text-align:right;vertical-align:top;padding:2px 10px 2px 0;white-space:nowrap"
    for i, r in enumerate(recs, 1):
        left = 100.0 * (r.started - t0) / span
        width = max(0.5, 100.0 * r.elapsed / span)
        colour = "#4a9" if r.ok else ("#e90" if (r.status == 429 or (r.status or 0) >= 500 or r.error) else "#d44")
        again = f"<span style='color:#c60'>attempt {r.attempt}</span>" if r.attempt > 1 else ""
        rows.append(
            f"<tr><td style='{num}'>{i}</td>"
            f"<td style='{CELL}'>{html.escape(r.label or r.action or r.path)}</td>"
            f"<td style='{NAME}'>{again}</td>"
            f"<td style='{CELL}'>{html.escape(r.outcome)}</td>"
            f"<td style='{num}'>{r.elapsed * 1000:.1f} ms</td>"
            f"<td style='{CELL};width:40%;min-width:80px;vertical-align:middle'>"
            f"<div style='position:relative;height:10px;background:#f3f3f3'>"
            f"<div title='{html.escape(r.method + ' ' + r.url)}' style='position:absolute;left:{left:.2f}%;"
            f"width:{min(width, 100 - left):.2f}%;height:10px;background:{colour}'></div></div></td></tr>")
    th_num = TH + ";text-align:right"
    retries = sum(1 for r in recs if r.attempt > 1)
    title = plural(len(recs), "call") + (f", {plural(retries, 'retry', 'retries')}" if retries else "")
    return tr_html(f"<div class='imgx-calls' style='max-width:100%'><table style='{TABLE}'><thead><tr>"
            f"<th style='{th_num}'>#</th><th style='{TH}'>call</th><th style='{TH}'>retry</th>"
            f"<th style='{TH}'>outcome</th><th style='{th_num}'>time</th>"
            f"<th style='{TH}'>timeline: {title} in {span * 1000:.0f} ms</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            f"<details><summary>each call in full: request, signing trace, response</summary>"
            f"{''.join(f'<div>{i}.</div>' + r._repr_html_() for i, r in enumerate(recs, 1))}</details></div>")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_har(records: Iterable[CallRecord]) -> dict:
    """HAR 1.2 (``{"log": {...}}``) of the records; every secret is already masked."""
    from .. import __version__
    entries = []
    for r in records:
        q = urlsplit(r.url).query
        mime_req = next((v for k, v in r.request_headers if k.lower() == "content-type"), "")
        resp_text = json.dumps(r.json, ensure_ascii=False) if r.json is not None else r.response_preview
        mime_resp = next((v for k, v in r.response_headers if k.lower() == "content-type"), "")
        request: dict[str, Any] = {
            "method": r.method, "url": r.url, "httpVersion": "HTTP/1.1",
            "headers": [{"name": k, "value": v} for k, v in r.request_headers],
            "queryString": [{"name": k, "value": v} for k, v in parse_qsl(q, keep_blank_values=True)],
            "cookies": [], "headersSize": -1, "bodySize": r.body_size}
        if r.body_size or r.body_preview:
            request["postData"] = {"mimeType": mime_req, "text": r.body_preview}
        entries.append({
            "startedDateTime": _iso(r.started),
            "time": round(r.elapsed * 1000, 3),
            "request": request,
            "response": {"status": r.status or 0, "statusText": r.error or "",
                         "httpVersion": "HTTP/1.1",
                         "headers": [{"name": k, "value": v} for k, v in r.response_headers],
                         "cookies": [], "content": {"size": r.response_size, "mimeType": mime_resp,
                                                    "text": resp_text or ""},
                         "redirectURL": "", "headersSize": -1, "bodySize": r.response_size},
            "cache": {},
            "timings": {"send": 0, "wait": round(r.elapsed * 1000, 3), "receive": 0},
            "_label": r.label, "_attempt": r.attempt, "_error": r.error,
            "_signature": r.trace.signature if r.trace is not None else None,
        })
    return {"log": {"version": "1.2", "creator": {"name": "imgx-kit", "version": __version__},
                    "entries": entries}}


# ---- transport ------------------------------------------------------------------------------
class TransportError(ServiceError):
    """The exchange failed below HTTP: connection refused or reset, timeout, TLS error."""

    def __init__(self, message: str, *, kind: str, record: CallRecord, hint: str | None = None,
                 calls: list | None = None) -> None:
        self.kind = kind                     # "reset" | "timeout" | "connect" | "tls" | "other"
        self.record = record
        super().__init__(message, code=kind, hint=hint, calls=calls if calls is not None else [record])


@dataclass(frozen=True, repr=False)
class Exchange:
    """A completed exchange: the record plus the raw response pieces the client parses."""

    record: CallRecord
    status: int
    headers: dict
    content: bytes
    json: Any

    def __repr__(self) -> str:
        return f"Exchange({self.record!r})"


BodyFactory = Callable[[], Any]
#: bytes urllib3 reads from a streamed body per send (its default, 16 KiB, costs many syscalls)
SEND_BLOCK = 256 * 1024


class _Adapter(HTTPAdapter):
    """requests' adapter with a larger send block for streamed bodies."""

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs.setdefault("blocksize", SEND_BLOCK)
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


#: the environment variables requests reads per request (proxies and CA bundle), either case
_ENV_KEYS = tuple(k for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy") for k in (name, name.upper())) \
    + ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class _EnvCachedSession(requests.Session):
    """A ``requests.Session`` that works out the environment's proxies and CA bundle once per
    service root instead of on every request.

    requests' ``merge_environment_settings`` scans the whole of ``os.environ`` twice per request
    (``urllib.request.getproxies`` and the ``no_proxy`` check): measured, a third of the client's
    own CPU time in a 100-file batch. The answer depends only on the URL's scheme and host and on
    the environment, so it is cached by (scheme, host, the proxy/CA variables' values, the number
    of variables): a proxy set later in a notebook is still honoured (a newly added variable
    changes the count). Arguments passed explicitly win, as in requests.

        >>> url, s = "http://127.0.0.1:1/x", _EnvCachedSession()
        >>> mine = [s.merge_environment_settings(url, {}, None, None, None) for _ in range(2)]
        >>> mine[1] == mine[0] == requests.Session().merge_environment_settings(url, {}, None, None, None)
        True
    """

    def __init__(self) -> None:
        super().__init__()
        self._env_cache: dict[tuple, dict[str, Any]] = {}
        self._env_lock = threading.Lock()

    def merge_environment_settings(self, url, proxies, stream, verify, cert):  # type: ignore[no-untyped-def]
        if not self.trust_env or proxies:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        env = os.environ
        key = (parts.scheme, parts.netloc, len(env), tuple(env.get(k) for k in _ENV_KEYS), verify, cert,
               stream, tuple(sorted(self.proxies.items())), self.verify, self.cert, self.stream)
        got = self._env_cache.get(key)
        if got is None:
            got = super().merge_environment_settings(url, proxies, stream, verify, cert)
            with self._env_lock:
                if len(self._env_cache) > 256:
                    self._env_cache.clear()
                self._env_cache[key] = got
        return {"proxies": dict(got["proxies"]), "stream": got["stream"], "verify": got["verify"],
                "cert": got["cert"]}


class Transport:
    """Sends :class:`~imgx_kit.HttpRequest` objects with one ``requests.Session`` (a connection
    pool shared by threads) and records each exchange as a :class:`CallRecord`.

        >>> t = Transport(pool=4)
        >>> t.session.get_adapter("https://x/")._pool_maxsize
        4
    """

    def __init__(self, session: requests.Session | None = None, *, pool: int = 16,
                 timeout: float | tuple[float, float] = (10.0, 120.0), verify: bool | str | None = None) -> None:
        self.session = session or _EnvCachedSession()
        if session is None:
            adapter = _Adapter(pool_connections=pool, pool_maxsize=pool, max_retries=0)
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)
        if verify is not None:
            self.session.verify = verify
        self.timeout = timeout
        self._lock = threading.Lock()

    def send(self, req: HttpRequest, *, label: str = "", trace: SigningTrace | None = None,
             attempt: int = 1, body: Any = None, body_size: int | None = None,
             preview: str | None = None, secrets: Iterable[str] = (),
             timeout: float | tuple[float, float] | None = None, sink: list | None = None) -> Exchange:
        """Send ``req`` (``body`` overrides ``req.body`` with a stream, e.g. a file reader) and
        return the :class:`Exchange`; the record is also appended to ``sink``. Network failures
        raise :class:`TransportError` (with the record)."""
        secrets = tuple(secrets)
        started = time.time()
        t0 = time.perf_counter()
        data = req.body if body is None else body
        size = len(req.body) if body is None else (body_size if body_size is not None else 0)
        try:
            masked = secrets + tuple(getattr(trace, "_secrets", ()) or ()) + secret_values(req.headers, req.url)
            with masking_logs(masked):
                resp = self.session.request(req.method, req.url, headers=dict(_merge_dupes(req.headers)),
                                            data=data if (body is not None or req.body) else None,
                                            timeout=timeout or self.timeout, allow_redirects=False)
                content = resp.content
        except requests.RequestException as e:
            elapsed = time.perf_counter() - t0
            kind, text = _classify(e)
            rec = CallRecord.build(req.method, req.url, req.headers, req.body if body is None else b"",
                                   secrets=secrets, trace=trace, elapsed=elapsed, attempt=attempt,
                                   error=text, label=label, started=started, body_size=size,
                                   preview=preview)
            if sink is not None:
                sink.append(rec)
            log.debug("%s", rec.summary())
            raise TransportError(f"{label or req.method} failed: {text}", kind=kind, record=rec,
                                 hint="the network dropped the exchange; it is retried when safe") from None
        elapsed = time.perf_counter() - t0
        parsed = None
        ctype = resp.headers.get("Content-Type", "")
        if content and ("json" in ctype or content[:1] in (b"{", b"[")):
            try:
                parsed = loads_bounded(content)
            except (ValueError, UnicodeDecodeError, ImgxError):     # not JSON, or nested absurdly deep
                parsed = None
        rec = CallRecord.build(req.method, req.url, req.headers, req.body if body is None else b"",
                               secrets=secrets, trace=trace, status=resp.status_code,
                               response_headers=resp.headers, json=parsed, content=content,
                               elapsed=elapsed, attempt=attempt, label=label, started=started,
                               body_size=size, preview=preview)
        if sink is not None:
            sink.append(rec)
        log.debug("%s", rec.summary())
        return Exchange(rec, resp.status_code, dict(resp.headers), content, parsed)

    def close(self) -> None:
        self.session.close()


def _merge_dupes(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """requests takes a dict: repeated headers are joined with ', ' (as HTTP allows)."""
    out: dict[str, tuple[str, str]] = {}
    for k, v in headers:
        low = k.lower()
        out[low] = (out[low][0], out[low][1] + ", " + v) if low in out else (k, v)
    return list(out.values())


def _classify(e: requests.RequestException) -> tuple[str, str]:
    text = str(e)
    if isinstance(e, requests.Timeout):
        return "timeout", f"timeout ({type(e).__name__})"
    if isinstance(e, requests.exceptions.SSLError):
        return "tls", "TLS error: the certificate was not accepted"
    if isinstance(e, requests.ConnectionError):
        low = text.lower()
        if "reset" in low or "aborted" in low or "remotedisconnected" in low or "broken pipe" in low:
            return "reset", "connection reset by the server"
        if "refused" in low or "newconnectionerror" in low or "failed to establish" in low:
            return "connect", "connection refused (is the server running?)"
        return "reset", "connection error"
    if isinstance(e, requests.exceptions.ChunkedEncodingError):
        return "reset", "connection broken while reading the answer"
    return "other", type(e).__name__


class CountingReader(io.RawIOBase):
    """A read-only stream over ``[start, start+length)`` of a file (opened per instance), which
    counts reads and their largest size: proof that uploads stream in chunks.

    The file must not change under it: a file that is shorter than planned, not ``total`` bytes
    at the end, modified since ``expect_mtime`` (``st_mtime_ns``) or whose bytes no longer have
    the CRC32 ``expect_crc`` raises :class:`~imgx_kit.ImageInputError` (``code="SourceChanged"``)
    instead of sending a short or different body (a short body would leave the server waiting for
    bytes that never come). The server checks the CRC32 of what arrives as well."""

    def __init__(self, opener: Callable[[], Any], start: int, length: int, chunk_size: int,
                 stats: dict | None = None, *, total: int | None = None, expect_crc: int | None = None,
                 expect_mtime: int | None = None, name: str = "the file") -> None:
        super().__init__()
        self._f = opener()
        self._f.seek(start)
        self._left = length
        self._len = length
        self.chunk_size = chunk_size
        self.stats = stats if stats is not None else {}
        self._total = total
        self._expect = expect_crc
        self._mtime = expect_mtime
        self._crc = 0
        self._name = name

    def __len__(self) -> int:
        return self._len

    def tell(self) -> int:
        return self._len - self._left

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self.chunk_size if n is None or n < 0 else min(n, self.chunk_size)
        data = self._f.read(min(n, self._left))
        if not data:
            self._changed(f"is shorter than when the upload was planned ({self._len - self._left} of "
                          f"{self._len} bytes read)")
        self._left -= len(data)
        if self._expect is not None:
            self._crc = zlib.crc32(data, self._crc)
        if self._left <= 0:
            self._check_end()
        st = self.stats
        st["reads"] = st.get("reads", 0) + 1
        st["max_read"] = max(st.get("max_read", 0), len(data))
        st["bytes"] = st.get("bytes", 0) + len(data)
        return data

    def _check_end(self) -> None:
        if self._total is not None or self._mtime is not None:
            now: int | None
            mtime: int | None
            try:
                st = os.fstat(self._f.fileno())
                now, mtime = st.st_size, st.st_mtime_ns
            except (OSError, AttributeError, io.UnsupportedOperation):
                now, mtime = self._total, self._mtime
            if self._total is not None and now != self._total:
                self._changed(f"is {now} bytes now, {self._total} when the upload was planned")
            if self._mtime is not None and mtime != self._mtime:
                self._changed("was written to after the upload was planned")
        if self._expect is not None and (self._crc & 0xFFFFFFFF) != self._expect:
            self._changed(f"has other bytes than when the upload was planned (CRC32 {self._crc & 0xFFFFFFFF:08x}, "
                          f"planned {self._expect:08x})")

    def _changed(self, what: str) -> None:
        raise ImageInputError(f"{self._name} changed during the upload: it {what}", code="SourceChanged",
                              hint="nothing was committed for it; upload it again once it is no longer being written")

    def readinto(self, b) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._f.close()
        finally:
            super().close()
