"""Retries with tenacity: 5xx, 429 and the throttling codes (honouring ``Retry-After``),
connection resets and timeouts; exponential backoff with full jitter; bounded attempts and
total time. The wait is injectable so tests never sleep::

    >>> from imgx_kit.services.retry import RetryPolicy
    >>> from imgx_kit.core.errors import ThrottledError
    >>> waits = []
    >>> policy = RetryPolicy(max_attempts=3, sleep=waits.append)
    >>> tries = []
    >>> def flaky(attempt):
    ...     tries.append(attempt)
    ...     if attempt < 3:
    ...         raise ThrottledError("slow down", status=429, code="FlowLimitExceeded")
    ...     return "ok"
    >>> policy.run(flaky), tries, len(waits)
    ('ok', [1, 2, 3], 2)

Every attempt goes through :class:`~imgx_kit.services.calls.Transport`, so every attempt is a
:class:`~imgx_kit.services.calls.CallRecord` in the result's ``calls``.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import tenacity
from tenacity import stop_after_attempt, stop_before_delay, wait_exponential, wait_random_exponential

from ..core.errors import ClientConfigError, ServiceError, ThrottledError
from .calls import TransportError, log

__all__ = [
    "DEFAULT_POLICY",
    "NO_RETRY",
    "RETRY_STATUSES",
    "THROTTLE_CODES",
    "RetryPolicy",
    "is_retryable",
    "parse_retry_after",
]

T = TypeVar("T")

#: service codes that mean "too many requests, try later" (CV QPS/concurrency, gateway, Jimeng)
THROTTLE_CODES = frozenset({"50429", "50430", "FlowLimitExceeded", "1019"})
#: HTTP statuses worth another attempt
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_TRANSPORT_RETRY = frozenset({"reset", "timeout", "connect"})


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date (relative to ``now``).

        >>> parse_retry_after("3"), parse_retry_after(None), parse_retry_after("soon")
        (3.0, None, None)
    """
    if value is None:
        return None
    v = value.strip()
    try:
        return max(0.0, float(v))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def is_retryable(exc: BaseException) -> bool:
    """Whether another attempt may succeed: resets, timeouts, refused connections, throttling,
    HTTP 5xx/429. An error can force the answer with a ``retryable`` attribute."""
    forced = getattr(exc, "retryable", None)
    if forced is not None:
        return bool(forced)
    if isinstance(exc, TransportError):
        return exc.kind in _TRANSPORT_RETRY
    if isinstance(exc, ThrottledError):
        return True
    if isinstance(exc, ServiceError):
        return exc.status in RETRY_STATUSES or str(exc.code) in THROTTLE_CODES
    return False


class _Wait(tenacity.wait.wait_base):
    """``Retry-After`` when the server sent one (capped), else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.backoff: tenacity.wait.wait_base
        if policy.jitter:
            self.backoff = wait_random_exponential(multiplier=policy.base, max=policy.cap)
        else:
            self.backoff = wait_exponential(multiplier=policy.base, max=policy.cap)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        ra = getattr(exc, "retry_after", None)
        if isinstance(ra, (int, float)) and ra >= 0:
            return float(min(ra, self.policy.max_retry_after))
        return float(self.backoff(retry_state))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry, in four bounds (all in seconds, waits included):

    * ``max_attempts`` and ``max_time`` bound one call (one Apply, one upload, one commit);
    * ``connect_max_time`` bounds how long a call keeps retrying a server that refuses or cannot
      be reached (connection refused, DNS failure): a dead server is reported in seconds, not
      minutes (botocore's standard mode gives up after 3 attempts for the same reason);
    * ``deadline`` bounds one input of :meth:`~imgx_kit.ImageXClient.upload_many` as a whole
      (all its calls): no new attempt starts after it, and a waiting read is cut at it.

    ``base``/``cap`` shape the exponential backoff (full jitter unless ``jitter=False``);
    ``Retry-After`` is honoured up to ``max_retry_after``. ``sleep`` is called with each wait
    (inject a no-op or a recorder in tests). Every argument is checked when the policy is made:

        >>> RetryPolicy(max_time="x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        imgx_kit.core.errors.ClientConfigError: RetryPolicy(max_time='x'): must be a number of seconds > 0 — ...
    """

    max_attempts: int = 6
    max_time: float = 120.0
    base: float = 0.5
    cap: float = 20.0
    max_retry_after: float = 60.0
    jitter: bool = True
    connect_max_time: float = 10.0
    deadline: float = 300.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) \
                or not 1 <= self.max_attempts <= 1000:
            raise ClientConfigError(f"RetryPolicy(max_attempts={self.max_attempts!r:.40}): must be a whole number "
                                    "1…1000", hint="e.g. RetryPolicy(max_attempts=5); 1 means no retries")
        _seconds("max_time", self.max_time, positive=True)
        _seconds("base", self.base, positive=False)
        _seconds("cap", self.cap, positive=True)
        _seconds("max_retry_after", self.max_retry_after, positive=False)
        _seconds("connect_max_time", self.connect_max_time, positive=False)
        _seconds("deadline", self.deadline, positive=True)
        if not isinstance(self.jitter, bool):
            raise ClientConfigError(f"RetryPolicy(jitter={self.jitter!r:.40}): must be True or False",
                                    hint="jitter=True spreads the waits of many clients (full jitter)")
        if not callable(self.sleep):
            raise ClientConfigError(f"RetryPolicy(sleep={type(self.sleep).__name__}): must be callable",
                                    hint="e.g. sleep=time.sleep, or sleep=waits.append in tests")

    def retrying(self, deadline: float | None = None) -> tenacity.Retrying:
        """A fresh tenacity ``Retrying`` for one operation (thread-safe: one per call). ``deadline``
        is a ``time.monotonic()`` instant after which no new attempt starts."""
        return tenacity.Retrying(
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_time) | _Bounds(self, deadline),
            wait=_Wait(self),
            retry=tenacity.retry_if_exception(is_retryable),
            sleep=self.sleep,
            reraise=True,
            before_sleep=_log_retry,
        )

    def run(self, fn: Callable[[int], T], deadline: float | None = None) -> T:
        """Call ``fn(attempt)`` (attempt counts from 1) until it succeeds, a non-retryable error
        is raised, or the attempts, the time or the ``deadline`` run out (the last error is raised)."""
        counter = [0]

        def once() -> T:
            counter[0] += 1
            return fn(counter[0])

        return self.retrying(deadline)(once)

    def item_deadline(self, start: float | None = None) -> float:
        """The ``time.monotonic()`` instant one batch input started at ``start`` must end by."""
        return (time.monotonic() if start is None else start) + self.deadline

    def with_(self, **changes: Any) -> RetryPolicy:
        from dataclasses import replace
        return replace(self, **changes)


def _seconds(name: str, value: Any, *, positive: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and (value > 0 if positive else value >= 0)
    if not ok:
        raise ClientConfigError(f"RetryPolicy({name}={value!r:.40}): must be a number of seconds "
                                f"{'> 0' if positive else '≥ 0'}",
                                hint=f"e.g. RetryPolicy({name}={getattr(RetryPolicy, name):g})")


class _Bounds(tenacity.stop.stop_base):
    """Stop at the item's deadline, and when connections have been refused for ``connect_max_time``.

    Time is the larger of the wall clock and the waits slept so far, so an injected ``sleep``
    (tests) meets the same bounds as a real one."""

    def __init__(self, policy: RetryPolicy, deadline: float | None) -> None:
        self.policy = policy
        self.deadline = deadline
        self.refused_since: float | None = None

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        start = retry_state.start_time
        now = start + max(time.monotonic() - start, retry_state.idle_for)
        wait = retry_state.upcoming_sleep or 0.0
        if self.deadline is not None and now + wait >= self.deadline:
            return True
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, TransportError) and exc.kind == "connect":
            if self.refused_since is None:
                self.refused_since = now - (exc.record.elapsed or 0.0)
            return now + wait - self.refused_since > self.policy.connect_max_time
        self.refused_since = None
        return False


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.debug("attempt %d failed (%s); retrying in %.2f s", state.attempt_number,
              type(exc).__name__ if exc else "?", state.upcoming_sleep)


#: one attempt only
NO_RETRY = RetryPolicy(max_attempts=1)
DEFAULT_POLICY = RetryPolicy()
