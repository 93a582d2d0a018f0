"""A token bucket (``running(visual_qps=N)``: 50429 above N calls per second).

    >>> b = TokenBucket(1)
    >>> b.take(), b.take()
    (True, False)
"""
from __future__ import annotations

import threading
import time

__all__ = ["TokenBucket"]


class TokenBucket:
    """A QPS limiter: ``take()`` is False when the bucket is empty."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate, self.capacity = float(rate), float(burst or rate)
        self.tokens, self.t = self.capacity, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.t) * self.rate)
            self.t = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False
