"""Fault injection per route, deterministic with the emulator's seed.

    >>> f = Faults(seed=0)
    >>> _ = f.add("upload", status=503, rate=1.0)
    >>> [x.status for x in f.roll("upload")], f.roll("visual")
    ([503], [])

Routes: ``jimeng``, ``imagex``, ``upload``, ``visual``, ``oss`` or ``*`` (every route). Kinds:
``status=`` (answer that HTTP status with the service's error body), ``throttle=True`` (429 with
the service's throttling code), ``reset=True`` (drop the connection with a TCP reset),
``latency=`` seconds before answering, ``slow_body=`` seconds to trickle the body out,
``truncate=True`` (send half the body, then close). ``rate`` is the probability per request;
``count`` caps how many times a fault fires.
"""
from __future__ import annotations

import html
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..core.errors import EmulatorError

__all__ = ["ROUTES", "Fault", "Faults", "parse_fault_spec"]

ROUTES = ("jimeng", "imagex", "upload", "visual", "oss")


@dataclass(frozen=True)
class Fault:
    """One injected fault rule."""

    route: str
    status: int | None = None
    rate: float = 1.0
    latency: float | None = None
    reset: bool = False
    throttle: bool = False
    slow_body: float | None = None
    truncate: bool = False
    count: int | None = None
    fired: int = 0

    @property
    def kind(self) -> str:
        bits = []
        if self.status is not None:
            bits.append(f"status {self.status}")
        if self.throttle:
            bits.append("throttle 429")
        if self.reset:
            bits.append("connection reset")
        if self.latency:
            bits.append(f"latency {self.latency:g}s")
        if self.slow_body:
            bits.append(f"slow body {self.slow_body:g}s")
        if self.truncate:
            bits.append("truncated body")
        return ", ".join(bits)

    @property
    def short_circuits(self) -> bool:
        return self.status is not None or self.throttle or self.reset

    def __repr__(self) -> str:
        cnt = f", {self.fired}/{self.count} fired" if self.count is not None else f", fired {self.fired}"
        return f"Fault({self.route}: {self.kind} at rate {self.rate:g}{cnt})"

    def _repr_html_(self) -> str:
        return f"<code style='overflow-wrap:anywhere'>{html.escape(repr(self))}</code>"


class Faults:
    """The fault rules of one emulator (``emu.faults``)."""

    def __init__(self, seed: int = 0, expire: Callable[[], int] | None = None) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._expire = expire

    def add(self, route: str, *, status: int | None = None, rate: float = 1.0,
            latency: float | None = None, reset: bool = False, throttle: bool = False,
            slow_body: float | None = None, truncate: bool = False,
            count: int | None = None) -> Fault:
        """Add a rule; returns it. ``emu.faults.add("upload", status=503, rate=0.2)``."""
        if route != "*" and route not in ROUTES:
            raise EmulatorError(f"unknown route {route!r} for a fault",
                                hint=f"use one of {', '.join(ROUTES)} or '*'")
        if not (isinstance(rate, (int, float)) and 0.0 <= rate <= 1.0):
            raise EmulatorError(f"rate={rate!r} is not a probability", hint="use 0.0 … 1.0")
        if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
            raise EmulatorError(f"status={status!r} is not an HTTP error status",
                                hint="use 4xx or 5xx, e.g. status=503")
        for name, v in (("latency", latency), ("slow_body", slow_body)):
            if v is not None and not (isinstance(v, (int, float)) and 0 <= v <= 600):
                raise EmulatorError(f"{name}={v!r} must be seconds between 0 and 600")
        if count is not None and not (isinstance(count, int) and count >= 1):
            raise EmulatorError(f"count={count!r} must be a positive whole number")
        rule = Fault(route, status, float(rate), latency, bool(reset), bool(throttle), slow_body,
                     bool(truncate), count)
        if not rule.kind:
            raise EmulatorError("this fault does nothing",
                                hint="give status=, throttle=, reset=, latency=, slow_body= or truncate=")
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self, route: str | None = None) -> None:
        """Remove every rule (or only those of ``route``)."""
        with self._lock:
            self._rules = [r for r in self._rules if route is not None and r.route != route]

    def expire_tokens(self) -> int:
        """Expire every issued STS token and upload session now."""
        if self._expire is None:
            raise EmulatorError("this fault set is not attached to an emulator")
        return self._expire()

    @property
    def rules(self) -> tuple[Fault, ...]:
        with self._lock:
            return tuple(self._rules)

    def roll(self, route: str) -> list[Fault]:
        """The rules that fire for one request on ``route`` (deterministic with the seed)."""
        out: list[Fault] = []
        with self._lock:
            if not self._rules:
                return out
            for i, r in enumerate(self._rules):
                if r.route not in ("*", route):
                    continue
                if r.count is not None and r.fired >= r.count:
                    continue
                if r.rate >= 1.0 or self._rng.random() < r.rate:
                    self._rules[i] = replace(r, fired=r.fired + 1)
                    out.append(self._rules[i])
        return out

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        rules = self.rules
        if not rules:
            return "Faults(none)"
        return "Faults(\n  " + ",\n  ".join(map(repr, rules)) + "\n)"

    def _repr_html_(self) -> str:
        return f"<pre style='white-space:pre-wrap;overflow-wrap:anywhere;margin:0'>{html.escape(repr(self))}</pre>"


def parse_fault_spec(spec: str) -> dict:
    """``ROUTE:KIND:RATE`` (CLI ``--fault``) -> keyword arguments of :meth:`Faults.add`.

    KIND is an HTTP status (``503``), ``throttle``, ``reset``, ``truncate``,
    ``latency=SECONDS`` or ``slow=SECONDS``; RATE defaults to 1.

        >>> parse_fault_spec("upload:503:0.2")
        {'route': 'upload', 'status': 503, 'rate': 0.2}
    """
    bits = spec.split(":")
    if len(bits) not in (2, 3):
        raise EmulatorError(f"fault {spec!r} is not ROUTE:KIND[:RATE]",
                            hint="e.g. upload:503:0.2, visual:throttle:0.5, imagex:latency=0.3")
    route, kind = bits[0], bits[1]
    try:
        rate = float(bits[2]) if len(bits) == 3 else 1.0
    except ValueError:
        raise EmulatorError(f"fault rate {bits[2]!r} is not a number", hint="e.g. 0.2") from None
    out: dict = {"route": route}
    name, _, value = kind.partition("=")
    try:
        if kind.isdigit():
            out["status"] = int(kind)
        elif kind in ("throttle", "reset", "truncate"):
            out[kind] = True
        elif name == "latency":
            out["latency"] = float(value)
        elif name in ("slow", "slow_body"):
            out["slow_body"] = float(value or 2)
        else:
            raise EmulatorError(f"unknown fault kind {kind!r}",
                                hint="use a status (503), throttle, reset, truncate, latency=S or slow=S")
    except ValueError:
        raise EmulatorError(f"fault kind {kind!r} needs a number of seconds", hint="e.g. latency=0.5") from None
    out["rate"] = rate
    return out
