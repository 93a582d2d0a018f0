"""Planning a batch is linear in its inputs (100 000 sources in under a second), and every
RetryPolicy argument is checked when the policy is made."""
from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

import imgx_kit as ik
from imgx_kit.services.imagex import plan_batch
from imgx_kit.services.retry import RetryPolicy
from imgx_kit.services.scheduler import Scheduler, plan_groups


def _best(fn, n=3):
    out = math.inf
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t0)
    return out


def test_planning_100k_sources_under_a_second():
    srcs = [Path(f"/data/batch/img{i:06d}.png") for i in range(100_000)]
    t = _best(lambda: plan_batch(srcs))
    assert t < 1.0, f"{t:.2f} s"
    plan = plan_batch(srcs)
    assert len(plan.groups) == 10_000 and plan.groups[-1] == range(99_990, 100_000)
    assert plan.names[123] == "img000123.png" and plan.sources[5] is srcs[5]
    big, small = math.inf, math.inf
    for _ in range(5):                          # interleaved: a slow moment of a loaded machine hits both
        big = min(big, _best(lambda: plan_batch(srcs), 1))
        small = min(small, _best(lambda: plan_batch(srcs[:10_000]), 1))
    assert big < 30 * small + 0.1, (big, small)  # linear: 10x the inputs is nowhere near 100x the time


def test_groups_cover_every_input_once():
    for n, g in [(0, 10), (1, 10), (9, 10), (10, 10), (11, 10), (101, 7), (5, 1)]:
        got = [i for r in plan_groups(n, g) for i in r]
        assert got == list(range(n)) and all(len(r) <= g for r in plan_groups(n, g))


def test_scheduler_bounds_the_steps_in_flight():
    import threading
    live, peak, lock = [0], [0], threading.Lock()

    def step(k):
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        time.sleep(0.02)
        with lock:
            live[0] -= 1
        if k < 40:
            s.submit(step, k + 8)             # steps start further steps, on the same pool

    s = Scheduler(4)
    for k in range(8):
        s.submit(step, k)
    s.wait()
    assert 2 <= peak[0] <= 4                 # never more than concurrency, and really in parallel


@pytest.mark.parametrize("kw", [
    {"max_time": "x"}, {"max_time": None}, {"max_time": 0}, {"max_time": -1}, {"max_time": math.nan},
    {"max_time": math.inf}, {"base": "x"}, {"base": -0.1}, {"base": None}, {"cap": 0}, {"cap": "1"},
    {"max_retry_after": -1}, {"max_retry_after": "3"}, {"connect_max_time": None}, {"connect_max_time": -1},
    {"deadline": 0}, {"deadline": "60"}, {"deadline": True}, {"max_attempts": 0}, {"max_attempts": 2.5},
    {"max_attempts": True}, {"max_attempts": "3"}, {"max_attempts": 10**9}, {"jitter": "yes"}, {"jitter": None},
    {"sleep": None}, {"sleep": 1},
])
def test_every_retry_policy_argument_is_checked(kw):
    name = next(iter(kw))
    with pytest.raises(ik.ClientConfigError, match=rf"RetryPolicy\({name}="):
        RetryPolicy(**kw)
    with pytest.raises(ik.ClientConfigError):
        RetryPolicy().with_(**kw)


def test_connect_failures_are_bounded_by_connect_max_time():
    from imgx_kit.services.calls import CallRecord, TransportError
    waits: list[float] = []
    n: list[int] = []

    def refused(attempt):
        n.append(attempt)
        raise TransportError("x", kind="connect", record=CallRecord.build("GET", "https://h/", error="refused"))

    with pytest.raises(TransportError):
        RetryPolicy(max_attempts=1000, max_time=1e6, connect_max_time=10, sleep=waits.append).run(refused)
    assert sum(waits) <= 10 and len(n) > 1

    def busy(attempt):
        n.append(attempt)
        raise ik.ServiceError("busy", status=503)

    waits.clear()
    with pytest.raises(ik.ServiceError):     # an item's deadline bounds every error kind
        RetryPolicy(max_attempts=1000, max_time=1e6, sleep=waits.append).run(busy, deadline=time.monotonic() + 30)
    assert 0 < sum(waits) <= 30
