"""One received request as the route handlers see it, and the log of every request.

    >>> log = RequestLog(maxlen=2)
    >>> log.append(LogEntry(0.0, "imagex", "GET", "/?Action=X", 401, "SignatureDoesNotMatch", ""))
    >>> log[-1].status, len(log)
    (401, 1)
"""
from __future__ import annotations

import html
import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..core.html_layout import PRE, code, plural, table
from ..core.redact import redact_text, redact_url
from ..core.request import HttpRequest
from .body import EMPTY, Body
from .runtime import Runtime

__all__ = ["Ctx", "LogEntry", "RequestLog", "json_body"]


def json_body(data: bytes) -> Any:
    """A request body parsed as JSON; ``ValueError`` for anything that is not, including bytes
    that are not UTF-8 and nesting too deep for Python's parser (``[[[[…``).

        >>> json_body(b'{"a": 1}')
        {'a': 1}
        >>> json_body(b"[" * 100000)
        Traceback (most recent call last):
        ValueError: the JSON is nested too deeply
    """
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


@dataclass
class Ctx:
    """A request being handled: the rebuilt :class:`HttpRequest`, its route and decoded query,
    the emulator clock, and the verdict the handler reaches (recorded in ``emu.log``).

    ``emu`` is the emulator's :class:`~imgx_kit.emulator.runtime.Runtime` (settings, state,
    clock, ids) — not the server. ``body`` is the body as received (spooled to disk when large;
    ``req.body`` holds it only up to 1 MiB on the upload route, whole on the signed routes)."""

    emu: Runtime
    environ: dict
    req: HttpRequest
    route: str
    path: str                       # raw path below the route prefix
    query: list[tuple[str, str]]    # decoded query pairs, in order
    now: datetime
    code: str | None = None         # verdict: None = accepted, else the error code answered
    message: str = ""
    trace: Any = None               # the SigningTrace (or OSS trace) the verifier computed
    scheme: str | None = None
    secrets: tuple[str, ...] = ()   # extra strings to mask in the log (issued tokens, Auth)
    body: Body = EMPTY
    body_done: bool = True          # the whole body was read (else the connection is closed)

    def q(self, name: str, default: str | None = None) -> str | None:
        for k, v in self.query:
            if k == name:
                return v
        return default

    def q_all(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]

    def has_q(self, name: str) -> bool:
        return any(k == name for k, _ in self.query)

    def verdict(self, code: str | None, message: str = "", trace: Any = None,
                scheme: str | None = None) -> None:
        self.code, self.message = code, message
        if trace is not None:
            self.trace = trace
        if scheme is not None:
            self.scheme = scheme


@dataclass(frozen=True, repr=False)
class LogEntry:
    """One request the emulator received: route, method, target (secrets masked), status,
    verdict code (``None`` = accepted) and the signing trace it computed."""

    time: float
    route: str
    method: str
    raw_target: str = field(repr=False)
    status: int
    code: str | None
    message: str
    scheme: str | None = None
    trace: Any = field(default=None, compare=False)
    fault: str | None = None
    _hidden: tuple[str, ...] = field(default=(), compare=False)

    @property
    def target(self) -> str:
        """The request target with secret query values masked."""
        return redact_url(self.raw_target)

    @property
    def ok(self) -> bool:
        return self.code is None and self.status < 400

    def _mask(self, text: str) -> str:
        hidden = tuple(self._hidden) + tuple(getattr(self.trace, "hidden", ()) or ())
        return redact_text(text, hidden)

    @property
    def canonical_request(self) -> str:
        return self._mask(getattr(self.trace, "canonical_request", "") or "")

    @property
    def string_to_sign(self) -> str:
        return self._mask(getattr(self.trace, "string_to_sign", "") or "")

    @property
    def signature(self) -> str:
        return getattr(self.trace, "signature", "") or ""

    def to_dict(self) -> dict:
        return {"time": self.time, "route": self.route, "method": self.method,
                "target": self.target, "status": self.status, "code": self.code,
                "message": self._mask(self.message), "scheme": self.scheme, "fault": self.fault,
                "canonical_request": self.canonical_request, "string_to_sign": self.string_to_sign}

    def __repr__(self) -> str:
        verdict = self.code or "ok"
        fault = f" [fault: {self.fault}]" if self.fault else ""
        return f"LogEntry({self.route} {self.method} {self.target} -> {self.status} {verdict}{fault})"

    def _repr_html_(self) -> str:
        rows = [("route", self.route), ("request", f"{self.method} {self.target}"),
                ("status", str(self.status)), ("verdict", self.code or "accepted"),
                ("message", self._mask(self.message))]
        if self.fault:
            rows.append(("fault", self.fault))
        if self.trace is not None:
            rows += [("canonical request", self.canonical_request),
                     ("string to sign", self.string_to_sign)]
        return table(None, ([f"<b>{html.escape(k)}</b>", f"<pre style='{PRE}'>{html.escape(v)}</pre>"]
                            for k, v in rows))


class RequestLog:
    """``emu.log``: the most recent requests (a bounded, thread-safe sequence)."""

    def __init__(self, maxlen: int = 10000) -> None:
        self._items: deque[LogEntry] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def append(self, entry: LogEntry) -> None:
        with self._lock:
            self._items.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def entries(self, route: str | None = None) -> list[LogEntry]:
        with self._lock:
            items = list(self._items)
        return [e for e in items if route is None or e.route == route]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(self.entries())

    def __getitem__(self, i: int) -> LogEntry:
        return self.entries()[i]

    def __repr__(self) -> str:
        items = self.entries()[-20:]
        more = f"  … {len(self) - 20} earlier\n" if len(self) > 20 else ""
        return "RequestLog(\n" + more + "".join(f"  {e!r}\n" for e in items) + ")"

    def _repr_html_(self) -> str:
        items = self.entries()
        shown = items[-50:]
        note = (f"<div style='color:#555'>the last {len(shown)} of {plural(len(items), 'request')}</div>"
                if len(items) > len(shown) else "")
        return note + table(["route", "request", "status", "verdict"],
                            ([html.escape(e.route), code(html.escape(e.method + " " + e.target[:300])),
                              str(e.status), html.escape(e.code or "ok")] for e in shown))
