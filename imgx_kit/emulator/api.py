"""``ik.emulator``: every service imgx-kit talks to, on one loopback port, offline.

    >>> import imgx_kit as ik
    >>> with ik.emulator.running(seed=0) as emu:
    ...     emu.endpoints.imagex == emu.url + "/imagex"
    True

Jimeng ``get_upload_token``, ImageX ``ApplyImageUpload``/``CommitImageUpload``, the upload host,
Volcengine visual (``CVProcess``, ``Img2ImgInpainting``) and Aliyun OSS, each with its real
envelopes and codes; signatures checked by the signing core's ``verify``; faults per route;
local inpainting. Teaching mode (the default) adds what the emulator computed to every
``SignatureDoesNotMatch`` answer; strict mode answers exactly as the real services.
"""
from __future__ import annotations

import contextlib
import html
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Iterator

from ..core.credentials import Credentials
from ..core.errors import EmulatorError
from ..core.html_layout import PRE, code, table
from . import imagex, jimeng, oss, sts, upload, visual
from .context import RequestLog
from .envelopes import seed_ids
from .faults import Faults
from .inpaint import Backend, opencv_backend
from .server import App, ServerThread
from .state import State
from .visual import TokenBucket

__all__ = ["running", "Emulator", "Endpoints", "DEMO_SESSIONID", "DEMO_VOLC", "DEMO_OSS",
           "DEMO_BUCKET", "DEMO_SERVICE_ID"]

DEMO_SESSIONID = "imgxdemo0sessionid0000000000demo"
DEMO_VOLC = ("AKLT-imgx-kit-DEMO-access-key", "ZGVtby1zZWNyZXQtb2YtdGhlLWltZ3gta2l0LWVtdWxhdG9y")
DEMO_OSS = ("LTAI-imgx-kit-DEMO-key", "imgxKitDemoOssSecretKey000000000")
DEMO_BUCKET = "imgx-demo"
DEMO_SERVICE_ID = "imgxdemo01"
DEFAULT_IMAGEX_REGIONS = ("cn-north-1", "us-east-1", "useast5", "ap-singapore-1", "ap-southeast-1")


@dataclass(frozen=True)
class Endpoints:
    """Base URLs of the emulated services, each usable as-is by a client:
    ``<jimeng>/mweb/v1/get_upload_token``, ``<imagex>/?Action=…``, ``<visual>/?Action=…``,
    ``<oss>`` as an oss2 endpoint (path-style), and ``<upload>`` = ``scheme://UploadHosts[0]``."""

    jimeng: str
    imagex: str
    upload: str
    visual: str
    oss: str
    sts: str = ""       # Aliyun STS AssumeRole for OSS credentials (routed by Action=AssumeRole)

    def _repr_html_(self) -> str:
        return table(None, ([f"<b>{html.escape(k)}</b>", code(html.escape(v))] for k, v in self.__dict__.items()))


class Emulator:
    """One running emulator. Use :func:`running` (a context manager) or ``start()``/``stop()``."""

    def __init__(self, teaching: bool = True, seed: int = 0, tls: bool = False, port: int = 0,
                 host: str = "127.0.0.1", backend: Backend | None = None,
                 state_dir: str | os.PathLike | None = None, *, oss_region: str = "cn-hangzhou",
                 max_skew: int = 900, invalid_timestamp_status: int = 400,
                 imagex_regions: Iterable[str] = DEFAULT_IMAGEX_REGIONS, intl_region: str = "us-east-1",
                 strict_file_size: bool = False, visual_qps: float | None = None,
                 token_ttl: int = 3600, session_ttl: int = 3600,
                 max_body_upload: int = 64 << 20, max_body_visual: int = 24 << 20,
                 max_body_imagex: int = 1 << 20, max_body_oss: int = 64 << 20,
                 log_size: int = 10000) -> None:
        if invalid_timestamp_status not in (400, 403):
            raise EmulatorError(f"invalid_timestamp_status={invalid_timestamp_status} is not 400 or 403",
                                hint="the docs disagree between 400 and 403; pick one of them")
        if backend is not None and not callable(backend):
            raise EmulatorError("backend must be a callable backend(image, mask, params) -> image",
                                hint="see imgx_kit.emulator.inpaint.opencv_backend")
        self.teaching = bool(teaching)
        self.seed = seed
        self.tls = bool(tls)
        self._want_port = int(port)
        self.host = host
        self.backend: Backend = backend or opencv_backend
        self.oss_region = oss_region
        self.max_skew = max_skew
        self.invalid_timestamp_status = invalid_timestamp_status
        self.imagex_regions = tuple(imagex_regions)
        self.intl_region = intl_region
        self.strict_file_size = strict_file_size
        self.visual_bucket = TokenBucket(visual_qps) if visual_qps else None
        self.token_ttl, self.session_ttl = token_ttl, session_ttl
        self.max_body_upload, self.max_body_visual = max_body_upload, max_body_visual
        self.max_body_imagex, self.max_body_oss = max_body_imagex, max_body_oss
        self.state = State(seed=seed, state_dir=state_dir)
        self.log = RequestLog(log_size)
        self.errors: list[str] = []          # tracebacks of unexpected emulator errors (never sent)
        self.results: dict[str, bytes] = {}  # CV return_url images
        self.faults = Faults(seed=seed, expire=lambda: self.state.expire_tokens(self.now()))
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        self._server: ServerThread | None = None
        self._tmp: str | None = None
        self.ca_bundle: str | None = None
        self._logid = 0
        seed_ids(seed)
        # demo identities, printed at start and the only secrets that may appear in logs
        self.demo_sessionid = DEMO_SESSIONID
        self.demo_volc_credentials = Credentials(*DEMO_VOLC, demo=True)
        self.demo_oss_credentials = Credentials(*DEMO_OSS, demo=True)
        self.demo_bucket = DEMO_BUCKET
        self.demo_service_id = DEMO_SERVICE_ID
        self.state.add_session(self.demo_sessionid)
        self.add_volc_credentials(self.demo_volc_credentials)
        self.add_oss_credentials(self.demo_oss_credentials)
        self.state.service_ids.update({DEMO_SERVICE_ID, jimeng.CN_SERVICE_ID, jimeng.INTL_SERVICE_ID})
        self.state.create_bucket(self.demo_bucket, oss_region, self.now())
        for name in self.state.saved_buckets():
            if name != self.demo_bucket:
                self.state.create_bucket(name, oss_region, self.now())

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> "Emulator":
        """Bind the port and serve in a background thread."""
        if self._server is not None:
            return self
        ssl_ctx = None
        if self.tls:
            from .tls import make_tls
            self._tmp = tempfile.mkdtemp(prefix="imgx-emulator-")
            ssl_ctx, self.ca_bundle = make_tls(self._tmp, self.host)
        app = App(self, {"jimeng": jimeng, "imagex": imagex, "upload": upload, "visual": visual,
                         "oss": oss, "sts": sts})
        try:
            self._server = ServerThread(app, self.host, self._want_port, ssl_ctx)
        except OSError as e:
            raise EmulatorError(f"cannot listen on {self.host}:{self._want_port}: {e.strerror or e}",
                                hint="pass port=0 for a free port, or stop whatever uses that port") from None
        self._server.start()
        return self

    def stop(self) -> None:
        """Shut the server down and remove the throwaway CA files."""
        srv, self._server = self._server, None
        if srv is not None:
            srv.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.alive

    # ---- addresses ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise EmulatorError("the emulator is not running", hint="use `with ik.emulator.running() as emu:`")
        return self._server.port

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:PORT``."""
        return f"{'https' if self.tls else 'http'}://{self.upload_host}"

    @property
    def upload_host(self) -> str:
        """``host:port`` as ApplyImageUpload returns it in ``UploadHosts``."""
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"{h}:{self.port}"

    @property
    def endpoints(self) -> Endpoints:
        u = self.url
        return Endpoints(jimeng=f"{u}/jimeng", imagex=f"{u}/imagex", upload=u,
                         visual=f"{u}/visual", oss=u, sts=u)

    # ---- clock and identities ------------------------------------------------------------------
    def now(self) -> datetime:
        """The emulator's clock (UTC), real time plus any :meth:`advance`."""
        return datetime.now(timezone.utc) + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (expire tokens, presigned URLs, timestamps)."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def set_time(self, at: datetime | None) -> None:
        """Set the emulator's clock to ``at`` (an aware datetime; it keeps running from there), or
        back to real time with ``None`` — e.g. to replay requests signed at a pinned time.

            >>> # with ik.emulator.running() as emu: emu.set_time(datetime(2025, 1, 1, tzinfo=timezone.utc))
        """
        if at is not None and (not isinstance(at, datetime) or at.tzinfo is None):
            raise EmulatorError(f"set_time needs an aware datetime, not {at!r}",
                                hint="e.g. datetime(2025, 1, 1, tzinfo=timezone.utc), or None for real time")
        with self._lock:
            self._offset = timedelta(0) if at is None else at - datetime.now(timezone.utc)

    def logid(self) -> str:
        with self._lock:
            self._logid += 1
            n = self._logid
        return f"{self.now():%Y%m%d%H%M%S}{n:020X}"

    def add_session(self, sessionid: str) -> None:
        """Accept another Jimeng ``sessionid`` cookie."""
        self.state.add_session(sessionid)

    def add_volc_credentials(self, creds: Credentials) -> None:
        """Accept these long-term Volcengine credentials (visual and ImageX OpenAPI)."""
        with self.state.lock:
            self.state.volc[creds.access_key] = creds

    def add_oss_credentials(self, creds: Credentials) -> None:
        with self.state.lock:
            self.state.oss_creds[creds.access_key] = creds

    def add_service_id(self, service_id: str) -> None:
        """An ImageX ServiceId that long-term VOLC credentials may upload to."""
        with self.state.lock:
            self.state.service_ids.add(service_id)

    def create_bucket(self, name: str, styles: dict[str, str] | None = None):
        b = self.state.create_bucket(name, self.oss_region, self.now())
        if styles:
            with self.state.lock:
                b.styles.update(styles)
        return b

    def expire_tokens(self) -> int:
        return self.state.expire_tokens(self.now())

    # ---- views ----------------------------------------------------------------------------------
    def banner(self) -> str:
        """Endpoints and demo credentials, as the CLI prints them (demo secrets are public)."""
        e = self.endpoints if self._server else None
        lines = [f"imgx-kit emulator ({'teaching' if self.teaching else 'strict'} mode, seed {self.seed})"]
        if e is not None:
            lines += [f"  jimeng  {e.jimeng}", f"  imagex  {e.imagex}", f"  upload  {e.upload}",
                      f"  visual  {e.visual}", f"  oss     {e.oss}  (bucket {self.demo_bucket}, region {self.oss_region})"]
        if self.ca_bundle:
            lines.append(f"  CA bundle  {self.ca_bundle}")
        v, o = self.demo_volc_credentials, self.demo_oss_credentials
        lines += ["demo credentials (public, for the emulator only):",
                  f"  Jimeng sessionid     {self.demo_sessionid}",
                  f"  Volcengine AK / SK   {v.access_key} / {v.secret_key}",
                  f"  ImageX ServiceId     {self.demo_service_id}",
                  f"  OSS AK / SK          {o.access_key} / {o.secret_key}"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        where = self.url if self._server else "not running"
        return f"Emulator({where}, {'teaching' if self.teaching else 'strict'}, {len(self.log)} requests)"

    def _repr_html_(self) -> str:
        return f"<pre style='{PRE}'>{html.escape(self.banner())}</pre>"


@contextlib.contextmanager
def running(teaching: bool = True, seed: int = 0, tls: bool = False, port: int = 0,
            host: str = "127.0.0.1", backend: Backend | None = None,
            state_dir: str | os.PathLike | None = None, **options) -> Iterator[Emulator]:
    """Run an emulator for the duration of a ``with`` block (a real HTTP server, free port).

    ``options`` are :class:`Emulator` keywords (``oss_region``, ``visual_qps``,
    ``invalid_timestamp_status``, ``imagex_regions``, ``strict_file_size`` …).
    """
    emu = Emulator(teaching=teaching, seed=seed, tls=tls, port=port, host=host, backend=backend,
                   state_dir=state_dir, **options)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()
