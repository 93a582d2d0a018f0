"""What a service handler may use: the emulator's settings, its :class:`State`, its clock, its
own seeded random generator and where its listeners are — never the HTTP server or the
:class:`~imgx_kit.emulator.api.Emulator` itself (the handlers are the ``responses`` layer;
this is the small world they answer from).

    >>> from imgx_kit.emulator.state import State
    >>> rt = Runtime(state=State(seed=0), seed=0, max_skew=600)
    >>> len(rt.request_id()), rt.max_skew
    (34, 600)
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .inpaint import Backend, opencv_backend
from .state import State
from .throttle import TokenBucket

__all__ = ["IMAGEX_REGIONS_SG", "IMAGEX_REGIONS_US", "IMAGEX_REGIONS_VOLC", "Runtime", "Settings"]

#: the regions clients sign with on the US Dreamina ImageX host (protocols.md §3.5: disputed)
IMAGEX_REGIONS_US = ("us-east-1", "useast5", "ap-singapore-1", "cn-north-1")
#: HK/JP/SG Dreamina (protocols.md §3.5)
IMAGEX_REGIONS_SG = ("ap-southeast-1",)
#: ImageX OpenAPI through the volcengine SDK (``imagex/v2/imagex_config.py``, protocols.md §2)
IMAGEX_REGIONS_VOLC = ("cn-north-1", "ap-singapore-1", "us-east-1", "ap-southeast-1")


@dataclass
class Settings:
    """The emulator's options (the keywords of :func:`imgx_kit.emulator.running`)."""

    teaching: bool = True
    oss_region: str = "cn-hangzhou"
    max_skew: int = 900
    invalid_timestamp_status: int = 400
    imagex_regions: tuple[str, ...] = IMAGEX_REGIONS_US     # what a US Jimeng token may sign with
    intl_region: str = "us-east-1"
    strict_file_size: bool = True
    token_ttl: int = 3600
    session_ttl: int = 3600
    max_body_upload: int = 64 << 20
    max_body_visual: int = 24 << 20
    max_body_imagex: int = 1 << 20
    max_body_oss: int = 64 << 20
    max_body_jimeng: int = 1 << 20
    visual_qps: float | None = None


@dataclass
class Runtime(Settings):
    """The handlers' view of one emulator (``ctx.emu`` for the handlers): its :class:`Settings`
    plus state, clock, ids and listener addresses."""

    state: State = field(default_factory=State)
    seed: int = 0
    backend: Backend = opencv_backend
    results: dict[str, bytes] = field(default_factory=dict)     # CV return_url images
    ca_bundle: str | None = None
    #: ``host:port`` of each listener by service, filled in when the server starts
    hosts: dict[str, str] = field(default_factory=dict)
    scheme: str = "http"
    visual_bucket: TokenBucket | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)        # this emulator's ids; never shared
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._logid = 0

    # ---- clock ----------------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._offset

    def shift(self, offset: timedelta) -> None:
        with self._lock:
            self._offset = offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    # ---- ids (seeded per emulator) --------------------------------------------------------------
    def hex(self, n: int) -> str:
        with self._lock:
            return f"{self._rng.getrandbits(4 * n):0{n}X}"

    def request_id(self, now: datetime | None = None) -> str:
        """A gateway RequestId: 14-digit UTC timestamp + 20 upper-case hex (34 chars)."""
        return f"{(now or self.now()):%Y%m%d%H%M%S}" + self.hex(20)

    def logid(self) -> str:
        with self._lock:
            self._logid += 1
            n = self._logid
        return f"{self.now():%Y%m%d%H%M%S}{n:020X}"

    # ---- where the listeners are -------------------------------------------------------------
    def base(self, service: str) -> str:
        """``scheme://host:port`` of ``service``'s own listener (its root is the service's ``/``)."""
        return f"{self.scheme}://{self.hosts.get(service) or self.hosts.get('main', '127.0.0.1')}"

    @property
    def upload_host(self) -> str:
        """``host:port`` as ApplyImageUpload returns it in ``UploadHosts``."""
        return self.hosts.get("upload") or self.hosts.get("main", "")

    def own_host(self, netloc: str) -> bool:
        """Whether ``netloc`` is one of this emulator's listeners."""
        return netloc in self.hosts.values()
