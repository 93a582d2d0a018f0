"""The OSS backend without HTTP (state only), and what a ``state_dir`` keeps across restarts:
ACLs, tags, symlinks and object types survive; multipart ETags have OSS's ``<md5 of md5s>-N`` form."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import oss2
import pytest

from imgx_kit.emulator.api import running
from imgx_kit.emulator.oss import backend as be
from imgx_kit.emulator.state import State

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def state_bucket():
    s = State(seed=1)
    return s, s.create_bucket("unit-bucket", "cn-hangzhou", NOW)


def test_backend_multipart_and_etag(state_bucket) -> None:
    s, b = state_bucket
    up = be.initiate(s, b, "k", NOW, "application/octet-stream", (), None)
    a, z = b"a" * be.MIN_PART, b"z"
    pa = be.upload_part(s, b, "k", up.upload_id, 1, a, NOW)
    pz = be.upload_part(s, b, "k", up.upload_id, 2, z, NOW)
    obj = be.complete(s, b, "k", up.upload_id, [(1, pa.etag), (2, pz.etag)], NOW)
    want = hashlib.md5(hashlib.md5(a).digest() + hashlib.md5(z).digest()).hexdigest().upper()
    assert obj.etag == f'"{want}-2"' and obj.kind == "Multipart" and obj.data == a + z
    assert up.upload_id not in b.uploads
    with pytest.raises(be.OssError) as e:
        be.complete(s, b, "k", up.upload_id, None, NOW)
    assert e.value.code == "NoSuchUpload"


def test_backend_refusals_change_nothing(state_bucket) -> None:
    s, b = state_bucket
    be.put(s, b, "n", b"normal", "text/plain", NOW)
    for call in (lambda: be.append(s, b, "n", 6, b"x", "text/plain", NOW),
                 lambda: be.set_object_acl(s, b, "n", "nope"),
                 lambda: be.set_tags(s, b, "n", [(f"k{i}", "v") for i in range(11)]),
                 lambda: be.copy(s, b, "n", b, "n", NOW, replace_meta=False, content_type=None, meta=(), acl=None)):
        with pytest.raises(be.OssError):
            call()
    o = b.objects["n"]
    assert (o.data, o.acl, o.tags, o.kind) == (b"normal", "default", (), "Normal")


def test_symlink_to_symlink_is_no_such_key(state_bucket) -> None:
    s, b = state_bucket
    be.put(s, b, "t", b"t", "text/plain", NOW)
    be.put_symlink(s, b, "l1", "t", NOW, "text/plain", (), None)
    be.put_symlink(s, b, "l2", "l1", NOW, "text/plain", (), None)
    assert be.resolve(s, b, "l1")[1].data == b"t"
    with pytest.raises(be.OssError, match="NoSuchKey"):
        be.resolve(s, b, "l2")


def test_state_dir_keeps_acl_tags_symlinks(tmp_path) -> None:
    with running(state_dir=tmp_path) as emu:
        c = emu.demo_oss_credentials
        b = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, emu.demo_bucket)
        b.put_object("p.txt", b"persist", headers={"x-oss-object-acl": "public-read"})
        rule = oss2.models.TaggingRule()
        rule.add("k", "v")
        b.put_object_tagging("p.txt", oss2.models.Tagging(rule))
        b.put_symlink("p.txt", "link")
        b.append_object("log", 0, b"ab")
        b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    with running(state_dir=tmp_path) as emu:
        c = emu.demo_oss_credentials
        b = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, emu.demo_bucket)
        assert b.get_object_acl("p.txt").acl == "public-read"
        assert b.get_object_tagging("p.txt").tag_set.tagging_rule == {"k": "v"}
        assert b.get_symlink("link").target_key == "p.txt" and b.get_object("link").read() == b"persist"
        assert b.append_object("log", 2, b"c").next_position == 3
        assert b.get_bucket_acl().acl == "public-read"


def test_deleted_bucket_stays_deleted_after_restart(tmp_path) -> None:
    with running(state_dir=tmp_path) as emu:
        c = emu.demo_oss_credentials
        b = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, "oss-gone")
        b.create_bucket()
        b.put_object("x", b"1")
        b.delete_object("x")
        b.delete_bucket()
    with running(state_dir=tmp_path) as emu:
        assert emu.state.bucket("oss-gone") is None
