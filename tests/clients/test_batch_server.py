"""A batch against a server that is not there, and a batch retried after the server came back
with new tokens (a restart: every token and address the client holds is unknown to it)."""
from __future__ import annotations

import time

import pytest

import imgx_kit as ik
from imgx_kit.services.calls import TransportError
from imgx_kit.services.retry import RetryPolicy

from .conftest import make_png


def _client(flavour, endpoints, emu_like, **kw):
    if flavour == "web":
        return ik.ImageXClient.jimeng(sessionid=emu_like.demo_sessionid, endpoints=endpoints, **kw)
    return ik.ImageXClient.openapi(emu_like.demo_volc_credentials, service_id=emu_like.demo_service_id,
                                   endpoints=endpoints, **kw)


@pytest.mark.parametrize("flavour", ["web", "openapi"])
def test_dead_server_fails_the_batch_fast(flavour):
    """The default RetryPolicy, real sleeps: 20 files against a port nobody listens on return a
    BatchResult within 60 s (refused connections are retried for connect_max_time = 10 s, not for
    the 120 s of max_time), every input failed with the reason."""
    emu = ik.emulator.Emulator(seed=0).start()
    endpoints = emu.endpoints
    emu.stop()                                           # nothing listens there any more
    ix = _client(flavour, endpoints, emu)
    assert ix.retry.connect_max_time == 10.0
    t0 = time.monotonic()
    batch = ix.upload_many([make_png(4, 4, seed=i) for i in range(20)], concurrency=8, progress=False)
    took = time.monotonic() - t0
    assert took < 60, f"{took:.1f} s"
    assert isinstance(batch, ik.BatchResult) and len(batch.failed) == 20
    for it in batch:
        assert isinstance(it.error, TransportError) and it.error.kind == "connect"
        assert "connection refused (is the server running?)" in str(it.error)


def test_retry_failed_after_a_restart_with_new_tokens():
    """The client holds a token the restarted server never issued (InvalidAccessKey): retry_failed
    refreshes it, applies for new addresses and recovers every input."""
    fast = RetryPolicy(connect_max_time=1.0, sleep=lambda s: None)
    first = ik.emulator.Emulator(seed=0).start()
    port, service_ports = first.port, first.service_ports
    ix = ik.ImageXClient.jimeng(sessionid=first.demo_sessionid, endpoints=first.endpoints, retry=fast)
    assert ix.upload(make_png(4, 4, seed=1)).uri                  # the token is cached now
    old = ix._token
    first.stop()
    srcs = [make_png(8, 8, seed=100 + i) for i in range(200)]
    batch = ix.upload_many(srcs, concurrency=8, progress=False)
    assert len(batch.failed) == 200                              # the server is down
    # back at the same endpoints, knowing none of the old tokens
    second = ik.emulator.Emulator(seed=99, port=port, service_ports=service_ports).start()
    try:
        assert second.state.lookup_sts(old.creds.access_key) is None
        again = batch.retry_failed()
        assert again.ok and len(again) == 200, again
        calls = again.all_calls
        refused = [c for c in calls if c.label == "ApplyImageUpload" and c.status == 401]
        assert refused and refused[0].json["ResponseMetadata"]["Error"]["Code"] == "InvalidAccessKey"
        assert [c.label for c in calls].count("get_upload_token") >= 1
        assert ix._token is not old
        for it, data in zip(again, srcs, strict=True):
            assert second.state.slot(it.result.uri).data == data
    finally:
        second.stop()


def test_commit_outcome_unknown_is_asked_again_not_uploaded_again():
    """Every commit answer is lost after the server committed (the client never hears back), and
    the retries run out: the inputs fail with CommitUnknown. retry_failed() sends the same
    sessions' commits again — no new Apply, no new upload — and each image is committed once."""
    import zlib
    from collections import Counter

    from .test_batch_faults import committed_crcs
    srcs = [make_png(9, 9, seed=300 + i) for i in range(25)]
    with ik.emulator.running(seed=5) as emu:
        ix = ik.ImageXClient.jimeng(sessionid=emu.demo_sessionid, endpoints=emu.endpoints,
                                    retry=RetryPolicy(max_attempts=3, sleep=lambda s: None))
        real_send = ix.transport.send
        lose = [True]

        def send(req, **kw):
            ex = real_send(req, **kw)                # the server acts …
            if kw.get("label") == "CommitImageUpload" and lose[0]:
                raise TransportError("CommitImageUpload failed: connection reset by the server", kind="reset",
                                     record=ex.record)   # … and its answer is lost on the way back
            return ex

        ix.transport.send = send
        batch = ix.upload_many(srcs, concurrency=4, progress=False)
        assert len(batch.failed) == 25
        assert {it.error.code for it in batch} == {"CommitUnknown"}
        assert all(it.pending is not None for it in batch)
        lose[0] = False
        again = batch.retry_failed()
        assert again.ok, again
        old = {id(c) for c in batch.all_calls}
        new_calls = [c for it in again for c in it.calls if id(c) not in old]
        assert {c.label for c in new_calls} == {"CommitImageUpload"}          # asked, not uploaded again
        want = Counter(f"{zlib.crc32(d) & 0xFFFFFFFF:08x}" for d in srcs)
        assert committed_crcs(emu) == want
