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

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, TypeVar

import tenacity
from tenacity import stop_after_attempt, stop_before_delay, wait_exponential, wait_random_exponential

from ..core.errors import ImgxError, ServiceError, ThrottledError
from .calls import TransportError, log

__all__ = ["RetryPolicy", "is_retryable", "parse_retry_after", "THROTTLE_CODES", "RETRY_STATUSES",
           "NO_RETRY", "DEFAULT_POLICY"]

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

    def __init__(self, policy: "RetryPolicy") -> None:
        self.policy = policy
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
    """How often and how long to retry. ``sleep`` is called with each wait (inject a no-op or a
    recorder in tests); ``max_time`` bounds the total time spent, waits included."""

    max_attempts: int = 6
    max_time: float = 120.0
    base: float = 0.5
    cap: float = 20.0
    max_retry_after: float = 60.0
    jitter: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ImgxError(f"max_attempts={self.max_attempts!r} must be a whole number ≥ 1",
                            hint="e.g. RetryPolicy(max_attempts=5); 1 means no retries")
        if not self.max_time > 0:
            raise ImgxError(f"max_time={self.max_time!r} must be positive seconds")

    def retrying(self) -> tenacity.Retrying:
        """A fresh tenacity ``Retrying`` for one operation (thread-safe: one per call)."""
        return tenacity.Retrying(
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_time),
            wait=_Wait(self),
            retry=tenacity.retry_if_exception(is_retryable),
            sleep=self.sleep,
            reraise=True,
            before_sleep=_log_retry,
        )

    def run(self, fn: Callable[[int], T]) -> T:
        """Call ``fn(attempt)`` (attempt counts from 1) until it succeeds, a non-retryable error
        is raised, or the attempts or time run out (the last error is raised)."""
        counter = [0]

        def once() -> T:
            counter[0] += 1
            return fn(counter[0])

        return self.retrying()(once)

    def with_(self, **changes) -> "RetryPolicy":
        from dataclasses import replace
        return replace(self, **changes)


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.debug("attempt %d failed (%s); retrying in %.2f s", state.attempt_number,
              type(exc).__name__ if exc else "?", state.upcoming_sleep)


#: one attempt only
NO_RETRY = RetryPolicy(max_attempts=1)
DEFAULT_POLICY = RetryPolicy()
