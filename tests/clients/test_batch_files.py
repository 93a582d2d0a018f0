"""Files that change under a batch: deleted, shrunk, grown or rewritten after they were planned
(loaded and CRC'd) and before their bytes were sent. Every case ends fast with a typed error for
that input and a BatchResult for the batch; nothing of that input is committed."""
from __future__ import annotations

import time
import zlib
from collections import Counter

import pytest

import imgx_kit as ik
from imgx_kit.services import imagex as imagex_mod

from .conftest import make_png
from .test_batch_faults import committed_crcs


def _files(tmp_path, n, seed):
    datas = [make_png(10, 10, seed=seed + i) for i in range(n)]
    paths = []
    for i, d in enumerate(datas):
        p = tmp_path / f"f{i:03d}.png"
        p.write_bytes(d)
        paths.append(p)
    return datas, paths


CHANGES = {
    "deleted": lambda p: p.unlink(),
    "shrunk": lambda p: p.write_bytes(p.read_bytes()[:-40]),
    "grown": lambda p: p.write_bytes(p.read_bytes() + b"\0" * 4096),
    "rewritten": lambda p: p.write_bytes(bytes(b ^ 1 for b in p.read_bytes())),   # same size, other bytes
}


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("flavour", ["web", "openapi"])
def test_file_changed_after_planning(tmp_path, monkeypatch, change, flavour):
    datas, paths = _files(tmp_path, 200, seed=7000)
    victim = paths[137]
    real = imagex_mod.load_image

    def load_then_change(source, **kw):            # the file changes right after it was planned
        src = real(source, **kw)
        if source == victim:
            CHANGES[change](victim)
        return src

    monkeypatch.setattr(imagex_mod, "load_image", load_then_change)
    with ik.emulator.running(seed=4) as emu:
        if flavour == "web":
            ix = ik.ImageXClient.jimeng(sessionid=emu.demo_sessionid, endpoints=emu.endpoints)
        else:
            ix = ik.ImageXClient.openapi(emu.demo_volc_credentials, service_id=emu.demo_service_id,
                                         endpoints=emu.endpoints)
        t0 = time.monotonic()
        batch = ix.upload_many(paths, concurrency=8, progress=False)
        took = time.monotonic() - t0
        got = committed_crcs(emu)
    assert isinstance(batch, ik.BatchResult) and len(batch) == 200
    assert took < 30, f"{took:.1f} s"                                  # no stall waiting for missing bytes
    assert [it.index for it in batch.failed] == [137]
    err = batch[137].error
    assert isinstance(err, ik.ImageInputError) and err.code == "SourceChanged"
    assert "f137.png" in str(err) and "nothing was committed" in str(err)
    want = Counter(f"{zlib.crc32(d) & 0xFFFFFFFF:08x}" for i, d in enumerate(datas) if i != 137)
    assert got == want                                                 # 199 committed, once each
    assert sum(got.values()) == 199


def test_deleted_before_its_group_is_loaded(tmp_path, emu):
    """Deleted after the batch started but before its group read it: the same typed failure kind."""
    datas, paths = _files(tmp_path, 30, seed=7500)
    real = imagex_mod.load_image

    def delete_later(source, **kw):
        if source == paths[0]:
            paths[25].unlink()
        return real(source, **kw)

    import unittest.mock
    with unittest.mock.patch.object(imagex_mod, "load_image", delete_later):
        ix = ik.ImageXClient.jimeng(sessionid=emu.demo_sessionid, endpoints=emu.endpoints)
        batch = ix.upload_many(paths, concurrency=4, progress=False)
    assert [it.index for it in batch.failed] == [25]
    assert isinstance(batch[25].error, ik.ImageInputError)
    assert all(it.result.crc32 == f"{zlib.crc32(d) & 0xFFFFFFFF:08x}"
               for it, d in zip(batch, datas, strict=True) if it.ok)


def test_an_unexpected_error_in_one_input_is_kept_in_the_result(tmp_path, emu, monkeypatch):
    """A bug hit by one input (here: an exception no step expects) never loses the batch."""
    _, paths = _files(tmp_path, 12, seed=7700)
    real = imagex_mod.load_image

    def boom(source, **kw):
        if source == paths[3]:
            raise KeyError("surprise")
        return real(source, **kw)

    monkeypatch.setattr(imagex_mod, "load_image", boom)
    ix = ik.ImageXClient.jimeng(sessionid=emu.demo_sessionid, endpoints=emu.endpoints)
    batch = ix.upload_many(paths, concurrency=3, progress=False)
    assert [it.index for it in batch.failed] == [3]
    assert isinstance(batch[3].error, ik.UploadError) and batch[3].error.code == "Unexpected"
    assert "KeyError" in str(batch[3].error)
