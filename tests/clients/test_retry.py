"""RetryPolicy: what is retried, Retry-After, bounds; no real sleeping."""
from __future__ import annotations

import pytest

import imgx_kit as ik
from imgx_kit.services.calls import CallRecord, TransportError
from imgx_kit.services.retry import RetryPolicy, is_retryable, parse_retry_after


def _transport(kind):
    return TransportError("x", kind=kind, record=CallRecord.build("GET", "https://h/", error=kind))


@pytest.mark.parametrize("exc,expected", [
    (ik.ThrottledError("t", status=429, code="FlowLimitExceeded"), True),
    (ik.ServiceError("s", status=503), True),
    (ik.ServiceError("s", status=500), True),
    (ik.ServiceError("s", status=200, code="50430"), True),
    (ik.ServiceError("s", status=400, code="InvalidParameter"), False),
    (ik.LoginError("l", code=1015, status=200), False),
    (ik.SignatureMismatchError("m", status=401, code="SignatureDoesNotMatch"), False),
    (_transport("reset"), True),
    (_transport("timeout"), True),
    (_transport("tls"), False),
    (ValueError("bug"), False),
])
def test_is_retryable(exc, expected):
    assert is_retryable(exc) is expected


def test_retry_after_is_honoured_and_capped():
    waits = []
    p = RetryPolicy(max_attempts=4, sleep=waits.append, max_retry_after=10)
    n = []

    def fn(attempt):
        n.append(attempt)
        if attempt < 4:
            e = ik.ThrottledError("slow", status=429)
            e.retry_after = [2.0, 30.0, 0.0][attempt - 1]
            raise e
        return attempt

    assert p.run(fn) == 4 and n == [1, 2, 3, 4]
    assert waits == [2.0, 10.0, 0.0]


def test_backoff_is_exponential_with_jitter_and_bounded():
    waits = []
    p = RetryPolicy(max_attempts=5, base=1.0, cap=4.0, sleep=waits.append)
    with pytest.raises(ik.ServiceError, match="boom"):
        p.run(lambda a: (_ for _ in ()).throw(ik.ServiceError("boom", status=503)))
    assert len(waits) == 4
    assert all(0 <= w <= 4.0 for w in waits)
    p2 = RetryPolicy(max_attempts=5, base=1.0, cap=4.0, jitter=False, sleep=(w2 := []).append)
    with pytest.raises(ik.ServiceError):
        p2.run(lambda a: (_ for _ in ()).throw(ik.ServiceError("boom", status=503)))
    assert w2 == [1.0, 2.0, 4.0, 4.0]


def test_non_retryable_raises_at_once():
    waits, n = [], []
    p = RetryPolicy(max_attempts=5, sleep=waits.append)

    def fn(attempt):
        n.append(attempt)
        raise ik.SignatureMismatchError("no", status=401, code="SignatureDoesNotMatch")

    with pytest.raises(ik.SignatureMismatchError):
        p.run(fn)
    assert n == [1] and waits == []


def test_total_time_bound():
    clock = [0.0]
    n = []

    def sleep(s):
        clock[0] += s

    p = RetryPolicy(max_attempts=100, max_time=0.001, sleep=sleep)

    def fn(a):
        n.append(a)
        import time
        time.sleep(0.002)            # real time passes: the bound is on wall-clock time
        raise ik.ServiceError("x", status=503)

    with pytest.raises(ik.ServiceError):
        p.run(fn)
    assert len(n) == 1


def test_parse_retry_after():
    from datetime import datetime, timezone
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Wed, 01 Jan 2025 00:00:05 GMT", now) == 5.0
    assert parse_retry_after("garbage", now) is None
    with pytest.raises(ik.ImgxError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
