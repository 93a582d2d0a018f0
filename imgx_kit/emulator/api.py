"""``ik.emulator``: every service imgx-kit talks to, offline, each on its own loopback port
whose root is the service's ``/`` (as on the real hosts), plus one main port that routes by the
real ``Host`` names and by path.

    >>> import imgx_kit as ik
    >>> from urllib.parse import urlsplit
    >>> with ik.emulator.running(seed=0) as emu:
    ...     urlsplit(emu.endpoints.imagex).path, emu.endpoints.imagex != emu.url
    ('', True)

Jimeng ``get_upload_token``, ImageX ``ApplyImageUpload``/``CommitImageUpload``, the upload host,
Volcengine visual (``CVProcess``, ``Img2ImgInpainting``) and Aliyun OSS, each with its real
envelopes and codes; signatures checked by the signing core's ``verify``; faults per route;
local inpainting. Teaching mode (the default) adds what the emulator computed to every
``SignatureDoesNotMatch`` answer; strict mode answers exactly as the real services.
``GET <emu.url>/__imgx__/endpoints`` answers the endpoints as JSON.

Layout (as moto's): :mod:`.routing` (which service), :mod:`.wsgi` (one request: body, faults,
exceptions → each service's envelope), :mod:`.server` (cheroot listeners), one module per
service answering its actions from a :class:`~.runtime.Runtime` (settings, :class:`~.state.State`,
clock, ids) — never from the :class:`Emulator`. Decisions and their sources: ``docs/emulator.md``.
"""
from __future__ import annotations

import contextlib
import html
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any

from ..core.credentials import Credentials
from ..core.errors import EmulatorError
from ..core.html_layout import PRE, code, table
from . import imagex, jimeng, oss, sts, upload, visual
from .context import RequestLog
from .faults import Faults
from .inpaint import Backend, opencv_backend
from .runtime import IMAGEX_REGIONS_US, Runtime, Settings
from .server import ServerStack
from .state import State
from .throttle import TokenBucket
from .wsgi import App

__all__ = [
    "DEMO_BUCKET",
    "DEMO_OSS",
    "DEMO_SERVICE_ID",
    "DEMO_SESSIONID",
    "DEMO_VOLC",
    "SERVICES",
    "Emulator",
    "Endpoints",
    "running",
]

DEMO_SESSIONID = "imgxdemo0sessionid0000000000demo"
DEMO_VOLC = ("AKLT-imgx-kit-DEMO-access-key", "ZGVtby1zZWNyZXQtb2YtdGhlLWltZ3gta2l0LWVtdWxhdG9y")
DEMO_OSS = ("LTAI-imgx-kit-DEMO-key", "imgxKitDemoOssSecretKey000000000")
DEMO_BUCKET = "imgx-demo"
DEMO_SERVICE_ID = "imgxdemo01"
DEFAULT_IMAGEX_REGIONS = IMAGEX_REGIONS_US

#: the services, each a module with ``handle(ctx)`` and its envelope hooks (``fault_response``,
#: ``internal_error``, ``bad_request``, ``too_large``, ``max_body``); each gets its own listener.
#: A new service (e.g. ``"sts"``) is one more entry here and in :data:`.routing.SERVICES`.
SERVICES: dict[str, ModuleType] = {"jimeng": jimeng, "imagex": imagex, "upload": upload,
                                   "visual": visual, "oss": oss, "sts": sts}


@dataclass(frozen=True)
class Endpoints:
    """Base URLs of the emulated services, each a root (path ``/``) usable as-is by a client:
    ``<jimeng>/mweb/v1/get_upload_token``, ``<imagex>/?Action=…``, ``<visual>/?Action=…``,
    ``<oss>`` as an oss2 endpoint (path-style), and ``<upload>`` = ``scheme://UploadHosts[0]``;
    ``sts`` when an STS service is registered."""

    jimeng: str
    imagex: str
    upload: str
    visual: str
    oss: str
    sts: str | None = None   # Aliyun STS AssumeRole for OSS credentials (emulator/sts.py)

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def _repr_html_(self) -> str:
        return table(None, ([f"<b>{html.escape(k)}</b>", code(html.escape(v))] for k, v in self.as_dict().items()))


_SETTINGS = frozenset(f.name for f in fields(Settings))


class Emulator:
    """One running emulator. Use :func:`running` (a context manager) or ``start()``/``stop()``.

    Its options (``teaching``, ``max_skew``, ``strict_file_size``, ``max_body_*`` …) are the
    :class:`~.runtime.Settings` of its runtime and may be read or changed as attributes."""

    def __init__(self, teaching: bool = True, seed: int = 0, tls: bool = False, port: int = 0,
                 host: str = "127.0.0.1", backend: Backend | None = None,
                 state_dir: str | os.PathLike | None = None, *, oss_region: str = "cn-hangzhou",
                 max_skew: int = 900, invalid_timestamp_status: int = 400,
                 imagex_regions: Iterable[str] = DEFAULT_IMAGEX_REGIONS, intl_region: str = "us-east-1",
                 strict_file_size: bool = True, visual_qps: float | None = None,
                 token_ttl: int = 3600, session_ttl: int = 3600,
                 max_body_upload: int = 64 << 20, max_body_visual: int = 24 << 20,
                 max_body_imagex: int = 1 << 20, max_body_oss: int = 64 << 20,
                 max_body_jimeng: int = 1 << 20, log_size: int = 10000, workers: int = 8,
                 idle_timeout: float = 10.0, service_ports: Mapping[str, int] | None = None) -> None:
        if invalid_timestamp_status not in (400, 403):
            raise EmulatorError(f"invalid_timestamp_status={invalid_timestamp_status} is not 400 or 403",
                                hint="the docs disagree between 400 and 403; pick one of them")
        if backend is not None and not callable(backend):
            raise EmulatorError("backend must be a callable backend(image, mask, params) -> image",
                                hint="see imgx_kit.emulator.inpaint.opencv_backend")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise EmulatorError(f"port {port!r} is not a TCP port number", hint="use 0 (a free port) or 1..65535")
        service_ports = dict(service_ports or {})
        for name, p in service_ports.items():
            if name not in SERVICES:
                raise EmulatorError(f"service_ports names {name!r}, which is not a service",
                                    hint=f"one of {', '.join(SERVICES)}")
            if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= 65535:
                raise EmulatorError(f"service_ports[{name!r}] = {p!r} is not a TCP port number",
                                    hint="use 0 (a free port) or 1..65535")
        self._want_service_ports = service_ports
        if not isinstance(workers, int) or not 1 <= workers <= 256:
            raise EmulatorError(f"workers={workers!r} is not 1..256", hint="the default is 8")
        object.__setattr__(self, "_rt", None)
        self.seed = seed
        self.tls = bool(tls)
        self._want_port = port
        self.host = host
        self.workers = workers
        self.idle_timeout = float(idle_timeout)
        state = State(seed=seed, state_dir=state_dir)
        self._rt = Runtime(teaching=bool(teaching), oss_region=oss_region, max_skew=max_skew,
                           invalid_timestamp_status=invalid_timestamp_status,
                           imagex_regions=tuple(imagex_regions), intl_region=intl_region,
                           strict_file_size=bool(strict_file_size), token_ttl=token_ttl,
                           session_ttl=session_ttl, max_body_upload=max_body_upload,
                           max_body_visual=max_body_visual, max_body_imagex=max_body_imagex,
                           max_body_oss=max_body_oss, max_body_jimeng=max_body_jimeng, visual_qps=visual_qps,
                           state=state, seed=seed,
                           backend=backend or opencv_backend,
                           visual_bucket=TokenBucket(visual_qps) if visual_qps else None)
        self.log = RequestLog(log_size)
        self.errors: list[str] = []          # tracebacks of unexpected emulator errors (never sent)
        self.faults = Faults(seed=seed, expire=lambda: self.state.expire_tokens(self.now()))
        self._lock = threading.Lock()
        self._server: ServerStack | None = None
        self._tmp: str | None = None
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
        try:
            self.state.create_bucket(self.demo_bucket, oss_region, self.now())
            for name in self.state.saved_buckets():
                if name != self.demo_bucket:
                    self.state.create_bucket(name, oss_region, self.now())
        except EmulatorError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise EmulatorError(f"the saved state in {str(state_dir)!r} cannot be read ({type(e).__name__}: {e})",
                                hint="remove or repair that directory, or pass another state_dir") from None

    # ---- settings, state and the runtime the services answer from -------------------------------
    def __getattr__(self, name: str) -> Any:
        rt = self.__dict__.get("_rt")
        if rt is not None and (name in _SETTINGS or name in ("state", "backend", "results", "visual_bucket")):
            return getattr(rt, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        rt = self.__dict__.get("_rt")
        if rt is not None and (name in _SETTINGS or name in ("backend", "visual_bucket")):
            setattr(rt, name, value)
        else:
            object.__setattr__(self, name, value)

    @property
    def runtime(self) -> Runtime:
        """What the services see of this emulator (settings, state, clock, ids)."""
        return self._rt

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> Emulator:
        """Bind the ports and serve in background threads. A port in use, a bad port or host
        raise :class:`EmulatorError` (nothing is left listening)."""
        if self._server is not None:
            return self
        ssl_ctx = None
        if self.tls:
            from .tls import make_tls
            self._tmp = tempfile.mkdtemp(prefix="imgx-emulator-")
            ssl_ctx, ca = make_tls(self._tmp, self.host)
            self.ca_bundle = ca
        rt = self._rt

        def app_for(name: str) -> App:
            return App(rt, SERVICES, self.faults, self.log, self.errors, self._endpoint_map,
                       route=None if name == "main" else name)

        stack = ServerStack(app_for, self.host, self._want_port, ["main", *SERVICES], tls=ssl_ctx,
                            workers=self.workers, on_error=self.errors.append, timeout=self.idle_timeout,
                            ports=self._want_service_ports)
        try:
            stack.start()
        except EmulatorError:
            self._cleanup_tls()
            raise
        rt.scheme = "https" if self.tls else "http"
        rt.hosts = {name: stack.netloc(name) for name in ["main", *SERVICES]}
        self._server = stack
        return self

    def stop(self) -> None:
        """Close every listener and connection, join every thread, remove the throwaway CA."""
        srv, self._server = self._server, None
        if srv is not None:
            srv.stop()
            self._stopped = srv
        self._cleanup_tls()

    def _cleanup_tls(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def threads(self) -> list[threading.Thread]:
        """The server threads this emulator started (running or, after ``stop()``, joined)."""
        srv = self._server or self.__dict__.get("_stopped")
        return srv.threads() if srv is not None else []

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.alive

    # ---- addresses ---------------------------------------------------------------------------
    def _need(self) -> ServerStack:
        if self._server is None:
            raise EmulatorError("the emulator is not running", hint="use `with ik.emulator.running() as emu:`")
        return self._server

    @property
    def port(self) -> int:
        """The main port (``emu.url``)."""
        return self._need().address("main")[1]

    @property
    def service_ports(self) -> dict[str, int]:
        """Each service's listening port; ``Emulator(port=emu.port, service_ports=emu.service_ports)``
        restarts an emulator at the same endpoints (clients keep working across a restart)."""
        srv = self._need()
        return {name: srv.address(name)[1] for name in SERVICES}

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:PORT``: the main port, routing by ``Host`` name and path."""
        return self._need().url("main")

    @property
    def upload_host(self) -> str:
        """``host:port`` as ApplyImageUpload returns it in ``UploadHosts`` (the upload listener)."""
        return self._need().netloc("upload")

    @property
    def endpoints(self) -> Endpoints:
        """Each service's own root URL (path ``/``)."""
        srv = self._need()
        return Endpoints(**{name: srv.url(name) for name in SERVICES})

    def _endpoint_map(self) -> dict[str, str]:
        return self.endpoints.as_dict()

    @property
    def ca_bundle(self) -> str | None:
        return self._rt.ca_bundle

    @ca_bundle.setter
    def ca_bundle(self, value: str | None) -> None:
        self._rt.ca_bundle = value

    # ---- clock and identities ------------------------------------------------------------------
    def now(self) -> datetime:
        """The emulator's clock (UTC), real time plus any :meth:`advance`."""
        return self._rt.now()

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (expire tokens, presigned URLs, timestamps)."""
        with self._lock:
            self._rt.shift(self._rt.offset + timedelta(seconds=seconds))

    @property
    def _offset(self) -> timedelta:
        return self._rt.offset

    def set_time(self, at: datetime | None) -> None:
        """Set the emulator's clock to ``at`` (an aware datetime; it keeps running from there), or
        back to real time with ``None`` — e.g. to replay requests signed at a pinned time.

            >>> # with ik.emulator.running() as emu: emu.set_time(datetime(2025, 1, 1, tzinfo=timezone.utc))
        """
        if at is not None and (not isinstance(at, datetime) or at.tzinfo is None):
            raise EmulatorError(f"set_time needs an aware datetime, not {at!r}",
                                hint="e.g. datetime(2025, 1, 1, tzinfo=timezone.utc), or None for real time")
        with self._lock:
            self._rt.shift(timedelta(0) if at is None else at - datetime.now(timezone.utc))

    def logid(self) -> str:
        return self._rt.logid()

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
            lines += [f"  main    {self.url}  (routes by Host name and path; {self.url}/__imgx__/endpoints)"]
            lines += [f"  jimeng  {e.jimeng}", f"  imagex  {e.imagex}", f"  upload  {e.upload}",
                      f"  visual  {e.visual}",
                      f"  oss     {e.oss}  (bucket {self.demo_bucket}, region {self.oss_region})"]
            if e.sts:
                lines.append(f"  sts     {e.sts}")
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
    ``invalid_timestamp_status``, ``imagex_regions``, ``strict_file_size``, ``max_body_*``,
    ``workers`` per listener, ``idle_timeout`` seconds …).
    """
    emu = Emulator(teaching=teaching, seed=seed, tls=tls, port=port, host=host, backend=backend,
                   state_dir=state_dir, **options)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()
