"""Upload images to ByteDance ImageX, every call recorded: the Jimeng/Dreamina web flavour
(``get_upload_token`` → ``ApplyImageUpload`` → ``POST /upload/v1/<StoreUri>`` →
``CommitImageUpload``) and the Volcengine OpenAPI flavour of the official SDK (``PUT /<StoreUri>``,
chunked above 20 MiB), for regions ``cn``, ``us`` and ``sg`` (protocols.md §3).

    >>> import imgx_kit as ik
    >>> with ik.emulator.running() as emu:                                   # doctest: +SKIP
    ...     ix = ik.ImageXClient.jimeng(sessionid=emu.demo_sessionid, endpoints=emu.endpoints)
    ...     up = ix.upload("photo.png")
    ...     up.uri, [c.label for c in up.calls]
    ('tos-cn-i-tb4s082cfz/…', ['get_upload_token', 'ApplyImageUpload', 'upload', 'CommitImageUpload'])

Nothing is half-committed, and at most one image is committed per input:

* the commit is sent only when every upload of its session has ended, for the objects whose
  bytes the server confirmed (or may have received: an answer lost on the way);
* the objects of a session are fixed by ``ApplyImageUpload`` (their StoreUris), so a commit whose
  answer is lost is sent again **with the same SessionKey and body**, never for a new session;
  only what the server reported as not received (``UriStatus`` 2001) is uploaded again, in a
  new session.

Why a repeated commit is safe — the evidence: the CommitImageUpload description of the seeds
(``seeds/004``, "错误处理最佳实践 / 重试机制") retries ``commitImageUpload`` with the same
SessionKey on ``InternalServerError``/``ServiceUnavailable``/``RequestTimeout``/``Throttling``;
the official Go SDK (``volc-sdk-golang`` ``base/client.go`` ``requestThumb``) resends the same
CommitImageUpload body on send errors and HTTP 5xx when retries are enabled; a session's objects
are named at Apply, so a commit can only confirm them, not make new ones. The emulator answers a
repeated commit as it answered the first (the same Uris, ``UriStatus`` 2000 for what it holds).
"""
from __future__ import annotations

import html
import json
import os
import secrets as _secrets
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from ..core import presets
from ..core.credentials import Credentials
from ..core.errors import (
    ClientConfigError,
    CredentialsError,
    ImageInputError,
    ImgxError,
    LoginError,
    ServiceError,
    SignatureMismatchError,
    ThrottledError,
    UploadError,
)
from ..core.html_layout import plural
from ..core.redact import mask
from ..core.request import HttpRequest
from ..core.signer import Signer
from .calls import Calls, CountingReader, Exchange, Transport, TransportError, calls_html, safe_echo
from .client_args import check_endpoint, check_transport_args
from .images import DEFAULT_CHUNK, DEFAULT_MAX_DOWNLOAD, ImageSource, load_image
from .retry import DEFAULT_POLICY, RetryPolicy, is_retryable, parse_retry_after
from .scheduler import Scheduler, plan_groups

__all__ = [
    "CHUNK_THRESHOLD",
    "OPENAPI_REGIONS",
    "PART_SIZE",
    "WEB_REGIONS",
    "BatchItem",
    "BatchPlan",
    "BatchResult",
    "ClientConfigError",
    "ImageXClient",
    "UploadResult",
    "UploadToken",
    "plan_batch",
]

VERSION = "2018-08-01"
CHUNK_THRESHOLD = 20 * 1024 * 1024     # the SDK's MinChunkSize: chunked upload above this
PART_SIZE = 20 * 1024 * 1024
TOKEN_MARGIN = 60.0                    # refresh a token this many seconds before it expires
T = TypeVar("T")


@dataclass(frozen=True)
class WebRegion:
    """Where the Jimeng/Dreamina web flow of one region talks to (protocols.md §3.1, §3.2, §3.5)."""

    name: str
    web_base: str
    aid: str
    region_param: str
    imagex: str
    signing_region: str
    fallback_service_id: str
    service_field: str
    intl: bool


WEB_REGIONS: dict[str, WebRegion] = {
    "cn": WebRegion("cn", "https://jimeng.jianying.com", "513695", "cn", "https://imagex.bytedanceapi.com",
                    "cn-north-1", "tb4s082cfz", "service_id", False),
    "us": WebRegion("us", "https://dreamina-api.us.capcut.com", "513641", "US",
                    "https://imagex16-normal-us-ttp.capcutapi.us", "us-east-1", "wopfjsm1ax", "space_name", True),
    "sg": WebRegion("sg", "https://mweb-api-sg.capcut.com", "513641", "SG",
                    "https://imagex-normal-sg.capcutapi.com", "ap-southeast-1", "wopfjsm1ax", "space_name", True),
}
#: OpenAPI hosts and signing regions of the official SDK (``imagex/v2/imagex_config.py``)
OPENAPI_REGIONS: dict[str, tuple[str, str]] = {
    "cn": ("https://imagex.volcengineapi.com", "cn-north-1"),
    "sg": ("https://imagex-ap-singapore-1.volcengineapi.com", "ap-singapore-1"),
    "us": ("https://imagex-us-east-1.volcengineapi.com", "us-east-1"),
}


# ---- results ------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class UploadToken:
    """Temporary ImageX credentials from ``get_upload_token`` (the secret and token never show)."""

    creds: Credentials
    service_id: str
    expires_at: datetime | None = None

    def valid(self, margin: float = TOKEN_MARGIN, now: datetime | None = None) -> bool:
        if self.expires_at is None:
            return True
        now = now or datetime.now(timezone.utc)
        return now + timedelta(seconds=margin) < self.expires_at

    def __repr__(self) -> str:
        exp = self.expires_at.isoformat(timespec="seconds") if self.expires_at else "unknown"
        return f"UploadToken({self.creds!r}, service_id={self.service_id!r}, expires_at={exp})"


@dataclass(frozen=True, repr=False)
class UploadResult:
    """One committed upload: the committed ``uri``, ``size``, ``crc32`` (``%08x``), the image's
    ``width``/``height``/``format`` and every HTTP exchange in ``calls``."""

    uri: str
    size: int
    crc32: str
    width: int
    height: int
    format: str
    calls: Calls = field(default_factory=Calls, compare=False)
    name: str = ""

    def __repr__(self) -> str:
        return (f"UploadResult(uri={self.uri!r}, size={self.size}, crc32={self.crc32!r}, "
                f"{self.width}x{self.height} {self.format}, {plural(len(self.calls), 'call')})")

    def to_dict(self) -> dict:
        return {"name": self.name, "uri": self.uri, "size": self.size, "crc32": self.crc32,
                "width": self.width, "height": self.height, "format": self.format,
                "calls": len(self.calls), "retries": self.calls.retries}

    def _repr_html_(self) -> str:
        return (f"<div><b>uploaded</b> <code>{html.escape(self.uri)}</code> · {self.size} bytes · crc32 "
                f"<code>{self.crc32}</code> · {self.width}×{self.height} {html.escape(self.format)}"
                f"{calls_html(self.calls)}</div>")


@dataclass(frozen=True, repr=False)
class BatchItem:
    """One input of :meth:`ImageXClient.upload_many`: its result or its error."""

    index: int
    name: str
    source: Any = field(compare=False)
    result: UploadResult | None = None
    error: ImgxError | None = None
    #: a commit whose outcome is unknown: (token, address, source) to ask again with the same session
    pending: Any = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def calls(self) -> Calls:
        if self.result is not None:
            return self.result.calls
        return Calls(getattr(self.error, "calls", []) or [])

    def __repr__(self) -> str:
        if self.result is not None:
            return f"BatchItem({self.index}: {self.name} -> {self.result.uri})"
        return f"BatchItem({self.index}: {self.name} failed: {type(self.error).__name__}: {self.error})"


@dataclass(frozen=True, repr=False)
class BatchResult:
    """The outcome of :meth:`ImageXClient.upload_many`, in input order."""

    items: tuple[BatchItem, ...]
    calls: Calls = field(default_factory=Calls, compare=False)       # batch-level calls (the token)
    elapsed: float = 0.0
    client: Any = field(default=None, compare=False)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def __getitem__(self, i: int) -> BatchItem:
        return self.items[i]

    @property
    def results(self) -> list[UploadResult | None]:
        return [it.result for it in self.items]

    @property
    def failed(self) -> list[BatchItem]:
        return [it for it in self.items if not it.ok]

    @property
    def succeeded(self) -> list[BatchItem]:
        return [it for it in self.items if it.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def all_calls(self) -> Calls:
        out, seen = Calls(), set()
        for rec in [*self.calls, *(c for it in self.items for c in it.calls)]:
            if id(rec) not in seen:          # a group's Apply/Commit is shared by its items
                seen.add(id(rec))
                out.append(rec)
        return out

    def retry_failed(self, concurrency: int = 8, progress: bool = False) -> BatchResult:
        """Try the failed inputs again; successes are kept; input order is kept.

        An input whose commit outcome was unknown (``CommitUnknown``) is first asked about with
        its own session — the commit is sent again, which commits nothing twice — and uploaded
        again only if the server says it never received it. Every other failed input is uploaded
        again; a token the server refuses (expired, or unknown after a restart) is replaced."""
        if self.client is None:
            raise ClientConfigError("this BatchResult has no client to retry with",
                                    hint="call upload_many again")
        failed = self.failed
        if not failed:
            return self
        t0 = time.perf_counter()
        pending = [it for it in failed if it.pending is not None]
        fresh = [it for it in failed if it.pending is None]
        items = list(self.items)
        for it in self.client._resume(pending, concurrency):
            items[it.index] = it
        calls = Calls(self.calls)
        if fresh:
            again = self.client.upload_many([it.source for it in fresh], concurrency=concurrency, progress=progress)
            calls += again.calls
            for old, new in zip(fresh, again.items, strict=True):
                items[old.index] = BatchItem(old.index, old.name, old.source, new.result, new.error, new.pending)
        return BatchResult(tuple(items), calls, self.elapsed + time.perf_counter() - t0, self.client)

    def __repr__(self) -> str:
        n, bad = len(self.items), len(self.failed)
        lines = [f"BatchResult({n - bad}/{n} uploaded, {bad} failed, {self.elapsed:.2f} s)"]
        for it in self.failed[:10]:
            lines.append(f"  {it!r}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{it.index}</td><td>{html.escape(it.name)}</td>"
            f"<td>{_outcome_html(it)}</td><td>{len(it.calls)}</td></tr>" for it in self.items[:200])
        n, bad = len(self.items), len(self.failed)
        return (f"<div><b>{n - bad}/{n} uploaded</b>, {bad} failed, {self.elapsed:.2f} s"
                f"<table><tr><th>#</th><th>input</th><th>result</th><th>calls</th></tr>{rows}</table></div>")


# ---- the client ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Address:
    store_uri: str
    auth: str
    host: str
    session_key: str


class ImageXClient:
    """Upload to ImageX. Build it with :meth:`jimeng` (web flavour) or :meth:`openapi`."""

    def __init__(self, flavour: str, *, region: str, imagex: str, signer: Signer,
                 upload_scheme: str | None, sessionid: str | None = None, web: WebRegion | None = None,
                 jimeng_base: str | None = None, credentials: Credentials | None = None,
                 service_id: str | None = None, retry: RetryPolicy | None = None,
                 transport: Transport | None = None, verify: bool | str | None = None,
                 chunk_size: int = DEFAULT_CHUNK, max_download: int = DEFAULT_MAX_DOWNLOAD,
                 chunk_threshold: int = CHUNK_THRESHOLD, part_size: int = PART_SIZE,
                 commit_restarts: int = 3, pool: int = 16, timeout: Any = (10.0, 120.0)) -> None:
        check_transport_args(retry, transport, verify, timeout)
        _whole("pool", pool, 1, 256, "connections kept open, e.g. pool=16")
        _whole("chunk_size", chunk_size, 1024, None, "bytes per read, e.g. chunk_size=1 << 20 (1 MiB)")
        _whole("max_download", max_download, 1, None, "the URL download cap in bytes, e.g. 100 << 20")
        _whole("part_size", part_size, 1 << 16, None, "bytes per part of a chunked upload, e.g. 20 << 20")
        _whole("chunk_threshold", chunk_threshold, part_size, None,
               "uploads larger than this many bytes are chunked; at least part_size")
        _whole("commit_restarts", commit_restarts, 0, 100, "how often an unconfirmed commit is redone, e.g. 3")
        self.flavour = flavour
        self.region = region
        self.imagex = imagex.rstrip("/")
        self.signer = signer
        self.upload_scheme = upload_scheme
        self._sessionid = sessionid
        self.web = web
        self.jimeng_base = jimeng_base.rstrip("/") if jimeng_base else None
        self._credentials = credentials
        self.service_id = service_id
        self.retry = retry or DEFAULT_POLICY
        self.transport = transport or Transport(pool=pool, timeout=timeout, verify=verify)
        if transport is not None and verify is not None:
            self.transport.session.verify = verify
        self.pool = pool
        self.chunk_size = chunk_size
        self.max_download = max_download
        self.chunk_threshold = chunk_threshold
        self.part_size = part_size
        self.commit_restarts = commit_restarts
        self._token_lock = threading.Lock()
        self._token: UploadToken | None = None
        self.read_stats: dict = {}             # streaming reads of file sources (chunk proof)

    # ---- constructors ------------------------------------------------------------------------
    @classmethod
    def jimeng(cls, sessionid: str, region: str = "cn", endpoints: Any = None,
               us_signing_region: str = "us-east-1", **kw: Any) -> ImageXClient:
        """The Jimeng (``cn``) / Dreamina (``us``, ``sg``) web flavour: a ``sessionid`` cookie
        buys temporary credentials; ImageX is signed with ``JIMENG_IMAGEX`` (AWS4)."""
        if not isinstance(sessionid, str) or not sessionid.strip():
            raise CredentialsError("sessionid must be a non-empty str" if isinstance(sessionid, str)
                                   else f"sessionid must be a str, not {type(sessionid).__name__}",
                                   hint="copy the sessionid cookie of jimeng.jianying.com "
                                        "(or the emulator's demo_sessionid)")
        _check_cookie_value(sessionid)
        web = _region(WEB_REGIONS, region)
        sreg = us_signing_region if web.name == "us" else web.signing_region
        jimeng_base, imagex, upload = web.web_base, web.imagex, None
        if endpoints is not None:
            jimeng_base, imagex, upload = _endpoint(endpoints, "jimeng"), _endpoint(endpoints, "imagex"), \
                _endpoint(endpoints, "upload")
        return cls("web", region=web.name, imagex=imagex, signer=presets.jimeng_imagex(sreg),
                   upload_scheme=urlsplit(upload).scheme if upload else None, sessionid=sessionid,
                   web=web, jimeng_base=jimeng_base, **kw)

    @classmethod
    def openapi(cls, credentials: Credentials, service_id: str, region: str = "cn", endpoints: Any = None,
                **kw: Any) -> ImageXClient:
        """The official-SDK flavour: account credentials, VOLC ``HMAC-SHA256`` (service ``ImageX``),
        ``PUT /<StoreUri>``, chunked upload above ``chunk_threshold`` (20 MiB)."""
        if not isinstance(credentials, Credentials):
            raise CredentialsError(f"credentials must be ik.Credentials, not {type(credentials).__name__}",
                                   hint="e.g. ik.Credentials.from_env('VOLC') or emu.demo_volc_credentials")
        if not isinstance(service_id, str) or not service_id.strip():
            raise ClientConfigError("service_id must be a non-empty str",
                                    hint="the ImageX ServiceId from the console (or emu.demo_service_id)")
        if not isinstance(region, str) or region not in OPENAPI_REGIONS:
            raise ClientConfigError(f"unknown region {region!r}", hint=f"use one of {', '.join(OPENAPI_REGIONS)}")
        host, sreg = OPENAPI_REGIONS[region]
        upload = None
        if endpoints is not None:
            host, upload = _endpoint(endpoints, "imagex"), _endpoint(endpoints, "upload")
        return cls("openapi", region=region, imagex=host, signer=presets.imagex_openapi(sreg),
                   upload_scheme=urlsplit(upload).scheme if upload else None, credentials=credentials,
                   service_id=service_id, **kw)

    def __repr__(self) -> str:
        who = f"sessionid={mask(self._sessionid)}" if self._sessionid else repr(self._credentials)
        return f"ImageXClient({self.flavour}, region={self.region!r}, imagex={self.imagex!r}, {who})"

    def _secrets(self, token: UploadToken | None = None) -> tuple[str, ...]:
        out: list[str] = []
        if self._sessionid:
            out.append(self._sessionid)
        if self._credentials is not None:
            out += self._credentials.secrets()
        if token is not None:
            out += token.creds.secrets()
        return tuple(out)

    # ---- public API --------------------------------------------------------------------------
    def upload(self, source: Any) -> UploadResult:
        """Upload one image (any input of :func:`~imgx_kit.services.images.load_image`) and commit
        it. Returns an :class:`UploadResult`; errors carry the calls made so far."""
        stamp = _stamp(source)
        src = load_image(source, chunk_size=self.chunk_size, max_download=self.max_download,
                         session=self.transport.session)
        entry = _Entry(0, source, src.name, src, stamp=stamp)
        batch = _Batch(self, [entry], Scheduler(1), None, meta=True)
        batch.run([[entry]])
        if entry.result is not None:
            return entry.result
        err = entry.error or UploadError("the upload ended without a result", code="Unexpected", service="imagex")
        if isinstance(err, ServiceError):
            err.calls = list(entry.calls)
        raise err

    def upload_many(self, sources: Iterable[Any], concurrency: int = 8, progress: bool = True,
                    group: int | None = None) -> BatchResult:
        """Upload many images; always returns a :class:`BatchResult` (per input a result or a
        typed error, in input order), whatever happens to one input or to the server.

        Inputs are applied and committed in groups of up to 10 (``UploadNum``: one
        ``ApplyImageUpload`` and one ``CommitImageUpload`` per group; ``group=1`` turns this off).
        Every Apply, upload and Commit of the batch runs on one pool of ``concurrency`` threads
        sharing one connection pool, so ``concurrency`` calls are in flight whatever the groups;
        one upload token serves the batch while it is valid; a ``tqdm.auto`` progress bar counts
        finished inputs. Each input has ``retry.deadline`` seconds in all; a refused connection is
        retried for ``retry.connect_max_time`` seconds (a dead server fails the batch in seconds).
        At most one image is committed per input, even when answers are lost after the server acted
        (see the module docstring)."""
        from tqdm.auto import tqdm
        _whole("concurrency", concurrency, 1, 64, "e.g. concurrency=8")
        plan = plan_batch(sources, group)
        srcs = plan.sources
        if concurrency > self.pool:
            self._grow_pool(concurrency)
        t0 = time.perf_counter()
        calls = Calls()
        entries = [_Entry(i, s, name) for i, (s, name) in enumerate(zip(srcs, plan.names, strict=True))]
        with tqdm(total=len(srcs), disable=not progress, unit="file", desc="upload") as bar:
            refused: ImgxError | None = None
            if self.flavour == "web" and srcs:
                try:
                    self._get_token(calls, deadline=self.retry.item_deadline())
                except ImgxError as x:                 # no token: every input fails with the reason
                    refused = x
            if refused is not None:
                for entry in entries:
                    entry.error = refused
                bar.update(len(entries))
            else:
                _Batch(self, entries, Scheduler(concurrency), bar, meta=False).run(
                    [entries[r.start:r.stop] for r in plan.groups])
        items = tuple(e.item() for e in entries)
        return BatchResult(items, calls, time.perf_counter() - t0, self)

    def _resume(self, items: list[BatchItem], concurrency: int = 8) -> list[BatchItem]:
        """Items whose commit outcome was unknown, asked about again with their own sessions."""
        if not items:
            return []
        sessions: dict[str, _Session] = {}
        entries = []
        for it in items:
            token, addr, src = it.pending
            e = _Entry(it.index, it.source, it.name, src, addr=addr, calls=Calls(it.calls), state="unknown",
                       deadline=self.retry.item_deadline(), pending=None)
            entries.append(e)
            sess = sessions.setdefault(addr.session_key, _Session([], token, 0))
            sess.entries.append(e)
        sched = Scheduler(min(concurrency, len(sessions)))
        _Batch(self, entries, sched, None, meta=False).resume(list(sessions.values()))
        return [e.item() for e in entries]

    def _grow_pool(self, n: int) -> None:
        from .calls import _Adapter
        adapter = _Adapter(pool_connections=n, pool_maxsize=n, max_retries=0)
        self.transport.session.mount("http://", adapter)
        self.transport.session.mount("https://", adapter)
        self.pool = n

    def get_upload_token(self) -> tuple[UploadToken, Calls]:
        """Fetch fresh temporary credentials (web flavour)."""
        calls = Calls()
        return self._get_token(calls, force=True), calls

    def _timeout(self, deadline: float | None) -> Any:
        """The transport timeout, its read part cut at the item's deadline (at least 1 s)."""
        t = self.transport.timeout
        if deadline is None:
            return t
        left = max(1.0, deadline - time.monotonic())
        if isinstance(t, tuple):
            return (min(t[0], left) if t[0] is not None else left, min(t[1], left) if t[1] is not None else left)
        return left if t is None else min(t, left)

    def _refresh_on_refusal(self, fn: Callable[[UploadToken | None], T], token: UploadToken | None,
                            calls: Calls, deadline: float | None) -> tuple[T, UploadToken | None]:
        """``fn(token)``; when the gateway refuses the token (expired, or unknown after a server
        restart), fetch a new one once and call ``fn`` again with it."""
        try:
            return fn(token), token
        except ServiceError as e:
            if token is None or str(e.code) not in _TOKEN_REFUSED:
                raise
        fresh = self._get_token(calls, force=True, stale=token, deadline=deadline)
        return fn(fresh), fresh

    # ---- E1 token -----------------------------------------------------------------------------
    def _get_token(self, calls: Calls, force: bool = False, stale: UploadToken | None = None,
                   deadline: float | None = None) -> UploadToken:
        with self._token_lock:
            tok = self._token
            if tok is not None and tok.valid() and (not force or (stale is not None and tok is not stale)):
                return tok
            tok = self.retry.run(lambda attempt: self._fetch_token(attempt, calls, deadline), deadline)
            self._token = tok
            return tok

    def _fetch_token(self, attempt: int, calls: Calls, deadline: float | None = None) -> UploadToken:
        web = self.web
        assert web is not None and self.jimeng_base is not None and self._sessionid
        q = [("aid", web.aid), ("device_platform", "web"), ("region", web.region_param),
             ("da_version", "3.3.9"), ("web_version", "7.5.0"), ("aigc_features", "app_lip_sync")]
        url = f"{self.jimeng_base}/mweb/v1/get_upload_token?{urlencode(q)}"
        sid = self._sessionid
        req = HttpRequest.build("POST", url, [
            ("Content-Type", "application/json"), ("Accept", "application/json, text/plain, */*"),
            ("Cookie", f"sessionid={sid}; sessionid_ss={sid}; sid_tt={sid}"),
            ("Appid", web.aid), ("Pf", "7")], b'{"scene":2}')
        ex = self.transport.send(req, label="get_upload_token", attempt=attempt, secrets=self._secrets(),
                                 sink=calls, timeout=self._timeout(deadline))
        doc = ex.json if isinstance(ex.json, dict) else {}
        ret = str(doc.get("ret", "")) if doc else ""
        if ex.status == 429 or ret == "1019":
            raise ThrottledError("get_upload_token was throttled", status=ex.status, code=ret or 429,
                                 service="jimeng", hint="slow down; it is retried")
        if ex.status >= 500:
            raise ServiceError(f"get_upload_token answered HTTP {ex.status}", status=ex.status,
                               code=ret or None, service="jimeng", hint="a server error; it is retried")
        if ret == "1015":
            raise LoginError("Jimeng rejected the sessionid: login error (ret 1015)", code=1015,
                             status=ex.status, service="jimeng",
                             hint="log in again and copy a fresh sessionid cookie")
        if ret != "0" or not isinstance(doc.get("data"), dict):
            raise ServiceError(f"get_upload_token failed: {doc.get('errmsg') or 'HTTP ' + str(ex.status)}",
                               code=ret or None, status=ex.status, service="jimeng",
                               hint="ret 4002 = bad parameters, 5000 = no credits; check the sessionid and region")
        d = doc["data"]
        try:
            creds = Credentials(str(d["access_key_id"]), str(d["secret_access_key"]),
                                session_token=str(d["session_token"]) if d.get("session_token") else None)
        except (KeyError, CredentialsError):
            raise ServiceError("get_upload_token answered without usable credentials", code="BadTokenData",
                               status=ex.status, service="jimeng",
                               hint="the service changed its answer; report this with the HAR of calls") from None
        sid_field = d.get(web.service_field) or d.get("service_id") or d.get("space_name") or web.fallback_service_id
        return UploadToken(creds, str(sid_field), _parse_expiry(d.get("expired_time")))

    # ---- E2 apply ------------------------------------------------------------------------------
    def _creds(self, token: UploadToken | None) -> tuple[Credentials, str]:
        if token is not None:
            return token.creds, token.service_id
        assert self._credentials is not None and self.service_id is not None
        return self._credentials, self.service_id

    def _apply_many(self, token: UploadToken | None, sizes: list[int], calls: Calls,
                    deadline: float | None = None) -> list[_Address]:
        """ApplyImageUpload for ``len(sizes)`` objects (``UploadNum``, 1…10) in one session."""
        creds, sid = self._creds(token)
        n = len(sizes)
        if self.flavour == "web":
            q = [("Action", "ApplyImageUpload"), ("Version", VERSION), ("ServiceId", sid)]
            q += [("FileSize", str(sizes[0]))] if n == 1 else [("UploadNum", str(n))]
            q.append(("s", _rand(10)))
            if self.web is not None and self.web.intl:
                q.append(("device_platform", "web"))
        else:
            q = [("Action", "ApplyImageUpload"), ("Version", VERSION), ("ServiceId", sid), ("UploadNum", str(n))]
        req = HttpRequest.build("GET", f"{self.imagex}/?{urlencode(q)}", [("Accept", "application/json")])
        secrets = self._secrets(token)

        def once(attempt: int) -> list[_Address]:
            trace = self.signer.sign(req, creds)
            ex = self.transport.send(trace.signed_request, label="ApplyImageUpload", trace=trace,
                                     attempt=attempt, secrets=secrets, sink=calls, timeout=self._timeout(deadline))
            result = self._gateway_result(ex, "ApplyImageUpload", secrets)
            try:
                ua = result["UploadAddress"]
                infos = ua["StoreInfos"]
                addrs = [_Address(str(i["StoreUri"]), str(i["Auth"]), str(ua["UploadHosts"][0]), str(ua["SessionKey"]))
                         for i in infos]
            except (KeyError, IndexError, TypeError):
                raise ServiceError("ApplyImageUpload answered without an upload address", code="BadApplyResult",
                                   status=ex.status, service="imagex",
                                   hint="the answer lacks UploadAddress.StoreInfos/UploadHosts/SessionKey") from None
            if len(addrs) != n:
                raise ServiceError(f"ApplyImageUpload answered {len(addrs)} addresses for UploadNum={n}",
                                   code="BadApplyResult", status=ex.status, service="imagex")
            return addrs

        return self.retry.run(once, deadline)

    def _gateway_result(self, ex: Exchange, action: str, secrets: tuple = ()) -> dict:
        doc = ex.json if isinstance(ex.json, dict) else None
        meta = doc.get("ResponseMetadata", {}) if doc else {}
        err = meta.get("Error") if isinstance(meta, dict) else None
        rid = meta.get("RequestId") if isinstance(meta, dict) else None
        retry_after = parse_retry_after(ex.headers.get("Retry-After"))
        if err or not 200 <= ex.status < 300:
            code = (err or {}).get("Code") if isinstance(err, dict) else None
            msg = (err or {}).get("Message") if isinstance(err, dict) else None
            text = f"{action} failed: {msg or 'HTTP ' + str(ex.status)}"
            if code == "SignatureDoesNotMatch":
                raise SignatureMismatchError(text, echo=safe_echo(doc, ex.status, secrets), code=code, status=ex.status,
                                             request_id=rid, service="imagex",
                                             hint="compare calls[-1].trace with e.echo (trace.diff(e.echo))")
            if code == "FlowLimitExceeded" or ex.status == 429:
                e = ThrottledError(text, code=code or 429, status=ex.status, request_id=rid, service="imagex",
                                   hint="too many requests; retried with backoff")
                e.retry_after = retry_after  # type: ignore[attr-defined]
                raise e
            e2 = ServiceError(text, code=code, status=ex.status, request_id=rid, service="imagex",
                              hint=_GATEWAY_HINTS.get(code or "", "see the call's JSON answer in e.calls"))
            e2.retry_after = retry_after  # type: ignore[attr-defined]
            raise e2
        result = doc.get("Result") if doc else None
        if not isinstance(result, dict):
            raise ServiceError(f"{action} answered without a Result", code="NoResult", status=ex.status,
                               request_id=rid, service="imagex")
        return result

    # ---- E3 upload bytes -----------------------------------------------------------------------
    def _upload_url(self, addr: _Address) -> str:
        scheme = self.upload_scheme or "https"
        if self.flavour == "web":
            return f"{scheme}://{addr.host}/upload/v1/{addr.store_uri}"
        return f"{scheme}://{addr.host}/{quote(addr.store_uri, safe='/')}"

    def _send(self, addr: _Address, src: ImageSource, token: UploadToken | None, calls: Calls,
              deadline: float | None = None, stamp: int | None = None) -> None:
        url = self._upload_url(addr)
        secrets = self._secrets(token) + (addr.auth,)
        if self.flavour == "openapi" and src.size > self.chunk_threshold:
            self._send_chunked(url, addr, src, secrets, calls, deadline, stamp)
            return
        headers = [("Authorization", addr.auth), ("Content-CRC32", src.crc32_hex),
                   ("Content-Type", "application/octet-stream")]
        method = "POST" if self.flavour == "web" else "PUT"
        self._put(method, url, headers, src, 0, src.size, src.crc32, "upload", secrets, calls, deadline, stamp)

    def _put(self, method: str, url: str, headers: list, src: ImageSource, start: int, length: int,
             crc: int, label: str, secrets: tuple, calls: Calls, deadline: float | None = None,
             stamp: int | None = None) -> dict:
        req = HttpRequest.build(method, url, headers)
        preview = f"<{length} bytes of {src.format} from {src.name}" + (f" @ {start}" if start else "") + ">"

        def once(attempt: int) -> dict:
            body = _body(src, start, length, self.read_stats, stamp)
            try:
                ex = self.transport.send(req, label=label, attempt=attempt, body=body, body_size=length,
                                         preview=preview, secrets=secrets, sink=calls,
                                         timeout=self._timeout(deadline))
            finally:
                if hasattr(body, "close"):
                    body.close()
            return self._upload_answer(ex, crc)

        return self.retry.run(once, deadline)

    def _upload_answer(self, ex: Exchange, crc: int | None) -> dict:
        doc = ex.json if isinstance(ex.json, dict) else {}
        err: dict = doc.get("error") if isinstance(doc.get("error"), dict) else {}  # type: ignore[assignment]
        code = doc.get("code") or err.get("error_code") or None
        msg = doc.get("message") or err.get("message") or None
        logid = ex.headers.get("X-Tt-Logid")
        if ex.status == 429:
            e = ThrottledError(f"the upload host throttled the upload: {msg or 'HTTP 429'}", code=code or 429,
                               status=429, request_id=logid, service="upload", hint="retried with backoff")
            e.retry_after = parse_retry_after(ex.headers.get("Retry-After"))  # type: ignore[attr-defined]
            raise e
        if ex.status == 403 and "expired" in str(msg).lower():
            raise ServiceError(f"the upload session expired: {msg}", code="UploadSessionExpired", status=403,
                               request_id=logid, service="upload", hint="apply for a new upload address")
        if not 200 <= ex.status < 300:
            if "crc" in str(msg).lower():
                e3 = UploadError(f"the upload host reported a CRC32 mismatch: {msg}", code=code, status=ex.status,
                                 request_id=logid, service="upload",
                                 hint="the bytes changed on the way or the file changed while uploading")
                e3.retryable = True  # type: ignore[attr-defined]
                raise e3
            raise (UploadError if ex.status < 500 else ServiceError)(
                f"the upload host answered HTTP {ex.status}: {msg or ''}".rstrip(": "), code=code, status=ex.status,
                request_id=logid, service="upload",
                hint="HTTP 401 means the Auth of ApplyImageUpload was not accepted" if ex.status == 401 else None)
        if "code" in doc:                                  # web flavour
            if doc.get("code") != 2000:
                raise UploadError(f"the upload failed: code {doc.get('code')} {doc.get('message', '')}",
                                  code=doc.get("code"), status=ex.status, request_id=logid, service="upload")
            payload = doc.get("data") or {}
            got = payload.get("crc32")
        else:                                              # SDK flavour
            if doc.get("success") != 0:
                raise UploadError(f"the upload failed: {json.dumps(doc)[:200]}", code="UploadFailed",
                                  status=ex.status, request_id=logid, service="upload")
            payload = doc.get("payload") or {}
            got = payload.get("hash")
        if crc is not None and got is not None:
            try:
                ok = int(str(got), 16) == crc
            except ValueError:
                ok = False
            if not ok:
                e4 = UploadError(f"CRC32 mismatch: the server stored {got}, the file is {crc:08x}", code="CRCMismatch",
                                 status=ex.status, request_id=logid, service="upload",
                                 hint="the bytes changed on the way; the upload is retried and never committed")
                e4.retryable = True  # type: ignore[attr-defined]
                raise e4
        return payload

    def _send_chunked(self, url: str, addr: _Address, src: ImageSource, secrets: tuple, calls: Calls,
                      deadline: float | None = None, stamp: int | None = None) -> None:
        auth = [("Authorization", addr.auth)]
        init_req = HttpRequest.build("PUT", url + "?uploads", auth)

        def init(attempt: int) -> str:
            ex = self.transport.send(init_req, label="upload init", attempt=attempt, secrets=secrets, sink=calls,
                                     timeout=self._timeout(deadline))
            upload_id = self._upload_answer(ex, None).get("uploadID")
            if not upload_id:
                raise UploadError("the chunked-upload init answered without an uploadID", code="NoUploadID",
                                  status=ex.status, service="upload")
            return str(upload_id)

        upload_id = self.retry.run(init, deadline)
        n = max(1, src.size // self.part_size)
        crcs = []
        for k in range(n):
            start = k * self.part_size
            length = self.part_size if k < n - 1 else src.size - start     # the last part takes the rest
            crc = src.crc_of(start, length)
            crcs.append(crc)
            self._put("PUT", f"{url}?{urlencode([('partNumber', str(k)), ('uploadID', upload_id)])}",
                      auth + [("Content-CRC32", f"{crc:08x}")], src, start, length, crc,
                      f"upload part {k}", secrets, calls, deadline, stamp)
        body = ",".join(f"{k}:{c:08x}" for k, c in enumerate(crcs)).encode()
        merge_req = HttpRequest.build("PUT", f"{url}?{urlencode([('uploadID', upload_id)])}", auth, body)

        def merge(attempt: int) -> None:
            ex = self.transport.send(merge_req, label="upload merge", attempt=attempt, secrets=secrets, sink=calls,
                                     timeout=self._timeout(deadline))
            self._upload_answer(ex, src.crc32)

        self.retry.run(merge, deadline)

    # ---- E4 commit -----------------------------------------------------------------------------
    def _commit_session(self, token: UploadToken | None, done: list[tuple[_Address, ImageSource]],
                        calls: Calls, skip_meta: bool, deadline: float | None = None) -> list[UploadResult | ImgxError]:
        """CommitImageUpload for the objects of one session; per object a result or an error.

        A commit whose answer is lost is sent again with the same SessionKey and body (never a
        new session: that would commit a second image of the same file). A repeated commit of a
        session commits nothing new — the objects were fixed by ApplyImageUpload — and answers as
        the first did; the evidence is in the module docstring."""
        creds, sid = self._creds(token)
        key = done[0][0].session_key
        q = [("Action", "CommitImageUpload"), ("Version", VERSION), ("ServiceId", sid)]
        if self.flavour == "web":
            if skip_meta:
                q.append(("SkipMeta", "True"))
            body = json.dumps({"SessionKey": key}, separators=(",", ":"))
        else:
            q.append(("SkipMeta", "True" if skip_meta else "False"))
            body = json.dumps({"SessionKey": key, "SuccessOids": [a.store_uri for a, _ in done],
                               "Functions": [], "OptionInfos": []})
        req = HttpRequest.build("POST", f"{self.imagex}/?{urlencode(q)}", [("Content-Type", "application/json")], body)
        secrets = self._secrets(token) + tuple(a.auth for a, _ in done)
        unknown = [False]                      # did an earlier attempt end without an answer?

        def once(attempt: int) -> dict:
            trace = self.signer.sign(req, creds)
            try:
                ex = self.transport.send(trace.signed_request, label="CommitImageUpload", trace=trace,
                                         attempt=attempt, secrets=secrets, sink=calls,
                                         timeout=self._timeout(deadline))
            except TransportError as e:
                unknown[0] = unknown[0] or e.kind not in ("connect", "tls")
                raise
            try:
                return self._gateway_result(ex, "CommitImageUpload", self._secrets(token))
            except ServiceError as e:
                unknown[0] = unknown[0] or is_retryable(e)
                raise

        try:
            result = self.retry.run(once, deadline)
        except ServiceError as e:
            if is_retryable(e) or unknown[0]:
                raise UploadError(f"CommitImageUpload's outcome is unknown: {e.message}", code="CommitUnknown",
                                  status=e.status, request_id=e.request_id, service="imagex", calls=list(calls),
                                  hint="the server may have committed it; retry_failed() asks again with the same "
                                       "session before uploading anything") from None
            raise
        results = {r.get("Uri"): r for r in (result.get("Results") or []) if isinstance(r, dict)}
        plugin = {p.get("SourceUri", p.get("ImageUri")): p
                  for p in (result.get("PluginResult") or []) if isinstance(p, dict)}
        out: list[UploadResult | ImgxError] = []
        for addr, src in done:
            mine = results.get(addr.store_uri)
            status = mine.get("UriStatus") if mine is not None else None
            if status == 2000:
                meta = plugin.get(addr.store_uri) or {}
                out.append(UploadResult(str(mine["Uri"]), src.size, src.crc32_hex,  # type: ignore[index]
                                        int(meta.get("ImageWidth") or src.width),
                                        int(meta.get("ImageHeight") or src.height),
                                        str(meta.get("ImageFormat") or src.format), calls, src.name))
            elif status == 2001 or mine is None:
                out.append(UploadError(f"CommitImageUpload reported {addr.store_uri} as not uploaded"
                                       if mine is not None else f"CommitImageUpload did not report {addr.store_uri}",
                                       code="NotUploaded", status=200, service="imagex",
                                       hint="the server did not receive it; it is uploaded again in a new session"))
            else:
                out.append(UploadError(f"CommitImageUpload reported UriStatus {status} for {addr.store_uri}",
                                       code=status, status=200, service="imagex",
                                       hint="see the commit's JSON answer in e.calls"))
        return out


# ---- the batch engine ---------------------------------------------------------------------------
#: gateway codes that mean "this token is not (or no longer) accepted": fetch a new one
_TOKEN_REFUSED = frozenset({"InvalidSecretToken", "InvalidAccessKey", "InvalidAccessKeyId", "ExpiredToken",
                            "InvalidSecurityToken", "InvalidToken"})


@dataclass(eq=False)
class _Entry:
    """One input of a batch while it is in flight; ``calls`` is its whole history."""

    index: int
    source: Any
    name: str
    src: ImageSource | None = None
    addr: _Address | None = None
    calls: Calls = field(default_factory=Calls)
    state: str = "new"           # new | sent | unknown | failed | replan | done
    error: ImgxError | None = None
    result: UploadResult | None = None
    deadline: float | None = None
    restarts: int = 0
    stamp: int | None = None     # a file source's mtime when it was loaded
    pending: tuple | None = None  # (token, address, source) of a commit whose outcome is unknown

    def item(self) -> BatchItem:
        err = self.error
        if self.result is None and err is None:
            err = UploadError(f"{self.name} ended without a result", code="Unexpected", service="imagex",
                              hint="this is a bug in imgx-kit; please report it with the calls")
        if isinstance(err, ServiceError):
            err.calls = list(self.calls)
        return BatchItem(self.index, self.name, self.source, self.result, err if self.result is None else None,
                         self.pending if self.result is None else None)


@dataclass(eq=False)
class _Session:
    """One ApplyImageUpload (its addresses) and, when every upload of it has ended, one commit."""

    entries: list[_Entry]
    token: UploadToken | None
    left: int
    lock: threading.Lock = field(default_factory=threading.Lock)


def _unexpected(e: BaseException, name: str) -> UploadError:
    return UploadError(f"{name}: unexpected {type(e).__name__}: {e}", code="Unexpected", service="imagex",
                       hint="this is a bug in imgx-kit; please report it with the calls")


class _Batch:
    """The steps of one batch on one :class:`Scheduler`: apply a group → upload each of its
    inputs → commit the group when its last upload has ended → apply again, in a new session,
    whatever the server said it did not receive."""

    def __init__(self, client: ImageXClient, entries: list[_Entry], sched: Scheduler, bar: Any,
                 meta: bool) -> None:
        self.client = client
        self.entries = entries
        self.sched = sched
        self.bar = bar
        self.meta = meta
        self._lock = threading.Lock()

    def run(self, groups: list[list[_Entry]]) -> None:
        for g in groups:
            self.sched.submit(self._apply, g)
        self.sched.wait()
        for e in self.entries:                      # a step that died of a bug: its inputs say so
            if e.state != "done":
                self._finish(e, error=_unexpected(self.sched.errors[0], e.name) if self.sched.errors else None)

    def resume(self, sessions: list[_Session]) -> None:
        """Commit ``sessions`` again (their entries' outcomes were unknown), then as :meth:`run`."""
        for sess in sessions:
            self.sched.submit(self._commit, sess)
        self.run([])

    def _finish(self, e: _Entry, result: UploadResult | None = None, error: ImgxError | None = None) -> None:
        with self._lock:
            if e.state == "done":
                return
            e.state = "done"
            e.result = result
            if result is None:
                e.error = error or e.error
        if self.bar is not None:
            self.bar.update(1)

    # ---- steps ---------------------------------------------------------------------------------
    def _apply(self, group: list[_Entry]) -> None:
        c = self.client
        live = []
        for e in group:
            if e.deadline is None:
                e.deadline = c.retry.item_deadline()
            try:
                if e.src is None:
                    e.stamp = _stamp(e.source)
                    e.src = load_image(e.source, chunk_size=c.chunk_size, max_download=c.max_download,
                                       session=c.transport.session)
                live.append(e)
            except ImgxError as x:
                self._finish(e, error=x)
            except Exception as x:
                self._finish(e, error=_unexpected(x, e.name))
        if not live:
            return
        calls = Calls()
        deadline = min(e.deadline for e in live if e.deadline is not None)
        try:
            token = c._get_token(calls, deadline=deadline) if c.flavour == "web" else None
            addrs, token = c._refresh_on_refusal(
                lambda t: c._apply_many(t, [e.src.size for e in live if e.src], calls, deadline),
                token, calls, deadline)
        except ImgxError as x:
            for e in live:
                e.calls.extend(calls)
                self._finish(e, error=x)
            return
        except Exception as x:
            for e in live:
                self._finish(e, error=_unexpected(x, e.name))
            return
        sess = _Session(live, token, len(live))
        for e, a in zip(live, addrs, strict=True):
            e.addr, e.state = a, "new"
            e.calls.extend(calls)
        if len(live) == 1:                       # nothing to share: upload and commit in this step
            self._upload(sess, live[0])
            return
        for e in live:
            self.sched.submit(self._upload, sess, e)

    def _upload(self, sess: _Session, e: _Entry) -> None:
        try:
            assert e.addr is not None and e.src is not None
            self.client._send(e.addr, e.src, sess.token, e.calls, e.deadline, e.stamp)
            e.state = "sent"
        except TransportError as x:              # no answer: the bytes may have arrived
            e.state, e.error = ("failed" if x.kind in ("connect", "tls") else "unknown"), x
        except ServiceError as x:                # the upload host answered: nothing stored
            refused = x.code == "UploadSessionExpired" or x.status in (401, 403, 404)
            e.state, e.error = ("replan" if refused else "failed"), x
        except ImgxError as x:                   # the file changed or vanished
            e.state, e.error = "failed", x
        except Exception as x:
            e.state, e.error = "failed", _unexpected(x, e.name)
        with sess.lock:
            sess.left -= 1
            last = sess.left == 0
        if last:
            self._commit(sess)

    def _commit(self, sess: _Session) -> None:
        c = self.client
        todo = [e for e in sess.entries if e.state in ("sent", "unknown")]
        if todo:
            ccalls = Calls()
            deadline = min(e.deadline for e in todo if e.deadline is not None)
            pairs = [(e.addr, e.src) for e in todo if e.addr is not None and e.src is not None]
            outcome: list[UploadResult | ImgxError]
            try:
                outcome, sess.token = c._refresh_on_refusal(
                    lambda t: c._commit_session(t, pairs, ccalls, not self.meta or len(sess.entries) > 1, deadline),
                    sess.token, ccalls, deadline)
            except ImgxError as x:
                outcome = [x] * len(todo)
            except Exception as x:
                outcome = [_unexpected(x, "CommitImageUpload")] * len(todo)
            for e, res in zip(todo, outcome, strict=True):
                e.calls.extend(ccalls)
                if isinstance(res, UploadResult):
                    self._finish(e, result=UploadResult(res.uri, res.size, res.crc32, res.width, res.height,
                                                        res.format, e.calls, res.name))
                elif isinstance(res, UploadError) and res.code == "NotUploaded":
                    e.state, e.error = "replan", res        # the server says: not received, not committed
                else:
                    if isinstance(res, UploadError) and res.code == "CommitUnknown":
                        e.pending = (sess.token, e.addr, e.src)   # ask again later, never upload again
                    self._finish(e, error=res)
        again = []
        for e in sess.entries:
            if e.state == "replan" and e.restarts < c.commit_restarts and \
                    (e.deadline is None or time.monotonic() < e.deadline):
                e.restarts += 1
                e.addr = None
                again.append(e)
            elif e.state != "done":
                self._finish(e, error=e.error)
        if again:
            self.sched.submit(self._apply, again)


_GATEWAY_HINTS = {
    "InvalidSecretToken": "the temporary credentials expired; fetch a new upload token",
    "InvalidAccessKey": "the access key is unknown to this endpoint (wrong region or revoked key)",
    "AccessDenied": "these credentials may not use that ServiceId",
    "InvalidTimestamp": "the machine's clock is off by more than 15 minutes; sync it",
    "InvalidParameter": "a parameter was refused; see the message",
    "MissingAuthenticationToken": "the request was not signed",
}


class BatchPlan(NamedTuple):
    """What :meth:`ImageXClient.upload_many` plans before the first byte moves: the inputs, their
    display names and the groups (index ranges, one ApplyImageUpload each). Linear in the inputs."""

    sources: list
    names: list[str]
    groups: list[range]


def plan_batch(sources: Iterable[Any], group: int | None = None) -> BatchPlan:
    """Plan a batch: check the inputs form a list, name them, split them into groups of ``group``
    (default 10, ``UploadNum``'s maximum). Nothing is read or sent.

        >>> plan_batch([b"a", b"b", b"c"], group=2).groups
        [range(0, 2), range(2, 3)]
    """
    srcs = _inputs(sources)
    if group is not None:
        _whole("group", group, 1, 10, "inputs per ApplyImageUpload (UploadNum is 1…10); group=1 "
                                      "uploads each input on its own")
    return BatchPlan(srcs, [_name_of(s, i) for i, s in enumerate(srcs)], plan_groups(len(srcs), group or 10))


def _stamp(source: Any) -> int | None:
    """A local file's ``st_mtime_ns`` taken *before* it is loaded, so that any write during or
    after the loading read is seen when its bytes are sent; ``None`` for anything else."""
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "://" not in source[:12]
                                           and source[:5].lower() != "data:"):
        try:
            return os.stat(source).st_mtime_ns
        except (OSError, ValueError):
            return None                       # load_image says what is wrong with it
    return None


def _body(src: ImageSource, start: int, length: int, stats: dict, stamp: int | None = None) -> Any:
    """What to send for ``[start, start+length)`` of ``src``: its bytes, or a reader of its file that
    refuses a file changed, shrunk, grown or deleted since it was loaded (a typed ImageInputError).
    Same-size rewrites are seen by ``stamp`` (the mtime at loading); the server checks the CRC32."""
    if src.data is not None or src.path is None:
        return src.reader(start, length, stats=stats)
    try:
        return CountingReader(src.open, start, length, src.chunk_size, stats, total=src.size,
                              expect_mtime=stamp, name=src.name)
    except OSError as e:
        raise ImageInputError(f"{src.name} can no longer be read: {e.strerror or e}", code="SourceChanged",
                              hint="it was deleted, moved or made unreadable after the upload was planned; "
                                   "nothing was committed for it") from None


def _whole(name: str, value: Any, lo: int, hi: int | None, hint: str) -> int:
    """``value`` when it is a whole number in ``lo…hi`` (no upper bound when ``hi`` is None)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        bounds = f"{lo}…{hi}" if hi is not None else f"≥ {lo}"
        raise ClientConfigError(f"{name}={value!r:.40} must be a whole number {bounds}", hint=hint)
    return value


#: the characters of a cookie value (RFC 6265 cookie-octet): printable ASCII but space " , ; and \
_COOKIE_OCTETS = frozenset(map(chr, range(0x21, 0x7F))) - set('",;\\')


def _check_cookie_value(sessionid: str) -> None:
    """A sessionid is sent as a cookie value: refuse what a Cookie header cannot carry."""
    bad = next((i for i, c in enumerate(sessionid) if c not in _COOKIE_OCTETS), None)
    if bad is not None:
        c = sessionid[bad]                       # not a character of any real sessionid
        raise CredentialsError(f"sessionid contains {c!r} (U+{ord(c):04X}) at position {bad}, which a "
                               "cookie value cannot hold",
                               hint="pass only the cookie's value (printable ASCII without spaces, quotes, "
                                    "',', ';' or '\\'), not the whole Cookie header")
    if sessionid.lower().startswith("sessionid="):
        raise CredentialsError("sessionid starts with 'sessionid='",
                               hint="pass only the cookie's value, the part after 'sessionid='")


def _inputs(sources: Any) -> list:
    """The inputs of a batch; one input given alone is refused, not taken apart."""
    if isinstance(sources, (str, bytes, bytearray, memoryview, os.PathLike)) or hasattr(sources, "read") \
            or getattr(sources, "ndim", 4) < 4:
        raise ClientConfigError(f"upload_many takes a list of inputs, not one {type(sources).__name__}",
                                hint="upload_many([a, b, …]); for one image use upload(x)")
    try:
        return list(iter(sources))
    except TypeError:
        raise ClientConfigError(f"upload_many takes a list of inputs, not {type(sources).__name__}",
                                hint="upload_many([a, b, …]); for one image use upload(x)") from None


def _region(table: dict, region: Any) -> Any:
    if not isinstance(region, str) or region.lower() not in table:
        raise ClientConfigError(f"unknown region {region!r}", hint=f"use one of {', '.join(table)}")
    return table[region.lower()]


def _endpoint(endpoints: Any, name: str) -> str:
    value = endpoints.get(name) if isinstance(endpoints, dict) else getattr(endpoints, name, None)
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ClientConfigError(f"endpoints has no http(s) URL for {name!r}",
                                hint="pass emu.endpoints, or a dict with jimeng, imagex and upload base URLs")
    return check_endpoint(value, f"the {name} endpoint")


def _rand(n: int) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(_secrets.choice(alphabet) for _ in range(n))


def _parse_expiry(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), timezone.utc)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _outcome_html(it: BatchItem) -> str:
    """One batch row's outcome cell: the URI, or the error's type and message (escaped)."""
    if it.result:
        return "✔ <code>" + html.escape(it.result.uri) + "</code>"
    return "✘ " + html.escape(type(it.error).__name__ + ": " + str(it.error))


def _name_of(source: Any, i: int) -> str:
    if isinstance(source, os.PathLike):
        return os.fspath(source).rsplit("/", 1)[-1]
    if isinstance(source, str):
        if source[:5].lower() == "data:":
            return f"data URI #{i}"
        from ..core.redact import redact_url
        return redact_url(source).rsplit("/", 1)[-1][:80] if "://" in source else source.rsplit("/", 1)[-1]
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<{len(source)} bytes #{i}>"
    return f"<{type(source).__name__} #{i}>"
