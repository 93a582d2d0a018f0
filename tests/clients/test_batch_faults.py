"""At most one committed image per source when a quarter of all answers are cut after the server
acted (the emulator's ``truncate`` fault: the handler runs, then half the answer is sent and the
connection dropped). Committed images are counted on the server side (what each commit confirmed),
by the CRC32 of the stored bytes, computed here with zlib — not with the client's numbers."""
from __future__ import annotations

import re
import zlib
from collections import Counter

import pytest

import imgx_kit as ik
from imgx_kit.services.retry import RetryPolicy

from .conftest import make_png


def committed_crcs(emu) -> Counter:
    """How many committed images the emulator holds per CRC32 of their bytes."""
    out: Counter = Counter()
    with emu.state.lock:
        for sess in emu.state.upload_sessions.values():
            for uri in sess.committed_uris:
                data = emu.state.slots[uri].data
                assert data is not None
                out[f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"] += 1
    return out


def client(emu, flavour, **kw):
    if flavour == "web":
        return ik.ImageXClient.jimeng(sessionid=emu.demo_sessionid, endpoints=emu.endpoints, **kw)
    return ik.ImageXClient.openapi(emu.demo_volc_credentials, service_id=emu.demo_service_id,
                                   endpoints=emu.endpoints, **kw)


@pytest.mark.parametrize("flavour", ["web", "openapi"])
def test_cut_answers_commit_each_source_exactly_once(flavour, tmp_path):
    datas = [make_png(12, 12, seed=5000 + i) for i in range(200)]
    paths = []
    for i, d in enumerate(datas):                  # half files (streamed), half bytes
        if i % 2:
            p = tmp_path / f"img{i:03d}.png"
            p.write_bytes(d)
            paths.append(p)
        else:
            paths.append(d)
    want = Counter(f"{zlib.crc32(d) & 0xFFFFFFFF:08x}" for d in datas)
    assert len(want) == 200
    waits: list[float] = []
    with ik.emulator.running(seed=3) as emu:
        ix = client(emu, flavour, retry=RetryPolicy(max_attempts=12, sleep=waits.append))
        rule = emu.faults.add("*", truncate=True, rate=0.25)
        batch = ix.upload_many(paths, concurrency=8, progress=False)
        fired = next(r for r in emu.faults.rules if r.route == "*").fired
        emu.faults.clear()
        got = committed_crcs(emu)
        stored = {it.result.uri: emu.state.slot(it.result.uri).data for it in batch if it.ok}
    assert rule.kind == "truncated body" and fired >= 0.2 * 200      # the faults really fired
    assert isinstance(batch, ik.BatchResult) and batch.ok, batch
    assert got == want                                                # 200 committed, each exactly once
    for item, data in zip(batch, datas, strict=True):                 # CRC checked, input order kept
        assert item.result.crc32 == f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"
        assert stored[item.result.uri] == data
    commits = [c for c in batch.all_calls if c.label == "CommitImageUpload"]
    keys = Counter(re.search(r'"SessionKey": ?"([^"]+)"', c.body_preview).group(1) for c in commits)
    assert any(n > 1 for n in keys.values())          # some commit answers were lost and resent…
    cut = [c for c in commits if not c.ok]
    assert cut and all(c.error for c in cut)          # …because they were cut, not refused
