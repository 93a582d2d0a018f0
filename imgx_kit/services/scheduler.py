"""One pool of workers for every step of a batch, and the batch's plan.

A batch is a set of small steps (apply for a group, upload one file, commit a group) that start
one another. :class:`Scheduler` runs them on at most ``concurrency`` threads — the same threads
for every kind of step, so ``concurrency`` bounds the calls in flight whatever the groups are —
and :meth:`~Scheduler.wait` returns when no step is left. With ``concurrency=1`` the steps run
in the caller's thread, one after another (no thread is started)::

    >>> done = []
    >>> s = Scheduler(1)
    >>> s.submit(lambda: (done.append("apply"), s.submit(done.append, "upload")))
    >>> s.wait(); done
    ['apply', 'upload']

:func:`plan_groups` splits ``n`` inputs into groups of at most ``size`` consecutive indices, in
time linear in ``n`` (ranges, not copies of the inputs)::

    >>> plan_groups(23, 10)
    [range(0, 10), range(10, 20), range(20, 23)]
"""
from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["Scheduler", "plan_groups"]


def plan_groups(n: int, size: int) -> list[range]:
    """Consecutive index ranges of at most ``size`` covering ``0 … n-1``."""
    return [range(k, min(k + size, n)) for k in range(0, n, size)]


class Scheduler:
    """Run submitted steps on ``concurrency`` shared threads; steps may submit more steps."""

    def __init__(self, concurrency: int, name: str = "imgx-upload") -> None:
        self.concurrency = concurrency
        self._inline = concurrency <= 1
        self._queue: collections.deque[tuple[Callable[..., Any], tuple]] = collections.deque()
        self._pool = None if self._inline else ThreadPoolExecutor(max_workers=concurrency,
                                                                  thread_name_prefix=name)
        self._lock = threading.Lock()
        self._outstanding = 0
        self._idle = threading.Event()
        self._idle.set()
        self.errors: list[BaseException] = []      # a step that raised (a bug): kept, never lost

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` when a worker is free."""
        if self._inline:
            self._queue.append((fn, args))
            return
        with self._lock:
            self._outstanding += 1
            self._idle.clear()
        assert self._pool is not None
        self._pool.submit(self._run, fn, args)

    def _run(self, fn: Callable[..., Any], args: tuple) -> None:
        try:
            fn(*args)
        except BaseException as e:
            self.errors.append(e)
        finally:
            with self._lock:
                self._outstanding -= 1
                if self._outstanding == 0:
                    self._idle.set()

    def wait(self) -> None:
        """Return when every submitted step (and every step they submitted) has ended."""
        if self._inline:
            while self._queue:
                fn, args = self._queue.popleft()
                try:
                    fn(*args)
                except Exception as e:
                    self.errors.append(e)
            return
        try:
            self._idle.wait()
        finally:
            assert self._pool is not None
            self._pool.shutdown(wait=True, cancel_futures=True)
