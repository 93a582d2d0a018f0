"""Every OSS operation the emulator implements, driven THROUGH oss2 (its requests, its XML
parsers, its CRC-64 checks) with V1 (``oss2.Auth``) and V4 (``oss2.AuthV4``) signing: what oss2
accepts is the expected value, not anything imgx-kit computes."""
from __future__ import annotations

import hashlib
import os

import oss2
import pytest
from oss2.models import PartInfo

from imgx_kit.emulator.api import running


@pytest.fixture(scope="module")
def emu():
    with running(seed=3) as e:
        yield e
        assert e.errors == [], e.errors[-1] if e.errors else ""


@pytest.fixture(params=["v1", "v4"])
def auth(request, emu):
    c = emu.demo_oss_credentials
    if request.param == "v1":
        return oss2.Auth(c.access_key, c.secret_key)
    return oss2.AuthV4(c.access_key, c.secret_key)


@pytest.fixture
def bucket(emu, auth) -> oss2.Bucket:
    return oss2.Bucket(auth, emu.endpoints.oss, emu.demo_bucket, region=emu.oss_region)


def test_put_object_acl_changes_only_the_acl(bucket: oss2.Bucket) -> None:
    bucket.put_object("acl/a.txt", b"keep me")
    bucket.put_object_acl("acl/a.txt", oss2.OBJECT_ACL_PUBLIC_READ)
    assert bucket.get_object_acl("acl/a.txt").acl == "public-read"
    assert bucket.get_object("acl/a.txt").read() == b"keep me"             # not 0 B
    bucket.put_object_acl("acl/a.txt", oss2.OBJECT_ACL_DEFAULT)
    assert bucket.get_object_acl("acl/a.txt").acl == "default"
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object_acl("acl/a.txt", "everyone")
    assert e.value.status == 400 and bucket.get_object("acl/a.txt").read() == b"keep me"


def test_tagging_round_trip_and_body_untouched(bucket: oss2.Bucket) -> None:
    bucket.put_object("tags/a.txt", b"data")
    rule = oss2.models.TaggingRule()
    rule.add("project", "imgx")
    rule.add("中文", "值 with space")
    bucket.put_object_tagging("tags/a.txt", oss2.models.Tagging(rule))
    assert bucket.get_object_tagging("tags/a.txt").tag_set.tagging_rule == {"project": "imgx", "中文": "值 with space"}
    assert bucket.get_object("tags/a.txt").read() == b"data"                # not the tagging XML
    bucket.delete_object_tagging("tags/a.txt")
    assert bucket.get_object_tagging("tags/a.txt").tag_set.tagging_rule == {}


def test_symlink_put_get_and_read_through(bucket: oss2.Bucket) -> None:
    bucket.put_object("sym/target.bin", b"\x00target\xff")
    bucket.put_symlink("sym/target.bin", "sym/link 中")
    assert bucket.get_symlink("sym/link 中").target_key == "sym/target.bin"
    assert bucket.get_object("sym/link 中").read() == b"\x00target\xff"
    assert bucket.get_object("sym/target.bin").read() == b"\x00target\xff"   # the target is untouched
    assert bucket.head_object("sym/link 中").object_type == "Symlink"
    with pytest.raises(oss2.exceptions.ServerError):
        bucket.get_symlink("sym/target.bin")


def test_copy_object_copies_and_keeps_the_source(bucket: oss2.Bucket, emu) -> None:
    data = os.urandom(5000)
    bucket.put_object("copy/src.bin", data, headers={"x-oss-meta-colour": "blue", "Content-Type": "image/png"})
    r = bucket.copy_object(emu.demo_bucket, "copy/src.bin", "copy/dst.bin")
    assert r.etag == hashlib.md5(data).hexdigest().upper()
    got = bucket.get_object("copy/dst.bin")
    assert got.read() == data and got.headers["x-oss-meta-colour"] == "blue" and got.content_type == "image/png"
    assert bucket.get_object("copy/src.bin").read() == data
    bucket.copy_object(emu.demo_bucket, "copy/src.bin", "copy/dst.bin",
                       headers={"x-oss-metadata-directive": "REPLACE", "Content-Type": "text/plain"})
    assert bucket.head_object("copy/dst.bin").content_type == "text/plain"
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.copy_object(emu.demo_bucket, "copy/missing", "copy/x")


def test_append_object_with_crc(bucket: oss2.Bucket) -> None:
    bucket.delete_object("append/log.txt")
    r1 = bucket.append_object("append/log.txt", 0, b"hello ", init_crc=0)
    assert r1.next_position == 6
    r2 = bucket.append_object("append/log.txt", r1.next_position, b"world", init_crc=r1.crc)
    assert r2.next_position == 11
    assert bucket.get_object("append/log.txt").read() == b"hello world"
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as e:
        bucket.append_object("append/log.txt", 3, b"x")
    assert e.value.next_position == 11
    bucket.put_object("append/normal.txt", b"n")
    with pytest.raises(oss2.exceptions.ObjectNotAppendable):
        bucket.append_object("append/normal.txt", 1, b"x")


def test_batch_delete_objects(bucket: oss2.Bucket) -> None:
    keys = ["batch/a", "batch/b c", "batch/中文", "batch/missing"]
    for k in keys[:3]:
        bucket.put_object(k, b"x")
    r = bucket.batch_delete_objects(keys)
    assert sorted(r.deleted_keys) == sorted(keys)
    assert [o.key for o in oss2.ObjectIterator(bucket, prefix="batch/")] == []


def test_head_and_get_object_meta(bucket: oss2.Bucket) -> None:
    data = b"m" * 1234
    bucket.put_object("meta/x", data)
    meta = bucket.get_object_meta("meta/x")
    assert meta.content_length == 1234 and meta.etag == hashlib.md5(data).hexdigest().upper()
    assert bucket.head_object("meta/x").content_length == 1234
    assert bucket.object_exists("meta/x") and not bucket.object_exists("meta/none")


def test_resumable_upload_12_mib_is_multipart(bucket: oss2.Bucket, tmp_path, emu) -> None:
    data = os.urandom(12 << 20)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    store = oss2.ResumableStore(root=str(tmp_path))
    assert oss2.defaults.multipart_threshold < len(data)              # the default threshold: multipart
    oss2.resumable_upload(bucket, "big/12mib.bin", str(path), store=store)
    head = bucket.head_object("big/12mib.bin")
    assert head.object_type == "Multipart" and head.content_length == len(data)
    assert head.etag.endswith("-2")                                   # 2 parts of oss2's default size
    assert bucket.get_object("big/12mib.bin").read() == data          # oss2 checks the CRC-64 too


def test_multipart_by_hand_list_abort_and_etag(bucket: oss2.Bucket, emu) -> None:
    key = "mp/hand.bin"
    p1, p2 = os.urandom(100 * 1024), b"tail"
    up = bucket.init_multipart_upload(key).upload_id
    assert up in [u.upload_id for u in bucket.list_multipart_uploads(prefix="mp/").upload_list]
    r1 = bucket.upload_part(key, up, 1, p1)
    r2 = bucket.upload_part(key, up, 2, p2)
    listed = bucket.list_parts(key, up).parts
    assert [(p.part_number, p.size, p.etag) for p in listed] == [(1, len(p1), r1.etag), (2, 4, r2.etag)]
    done = bucket.complete_multipart_upload(key, up, [PartInfo(1, r1.etag), PartInfo(2, r2.etag)])
    md5s = hashlib.md5(p1).digest() + hashlib.md5(p2).digest()
    assert done.etag == hashlib.md5(md5s).hexdigest().upper() + "-2"   # OSS's multipart ETag form
    assert bucket.get_object(key).read() == p1 + p2
    up2 = bucket.init_multipart_upload("mp/aborted").upload_id
    bucket.upload_part("mp/aborted", up2, 1, b"x")
    bucket.abort_multipart_upload("mp/aborted", up2)
    with pytest.raises(oss2.exceptions.NoSuchUpload):
        bucket.list_parts("mp/aborted", up2)
    assert not bucket.object_exists("mp/aborted")


def test_multipart_small_part_and_bad_etag_refused(bucket: oss2.Bucket) -> None:
    key = "mp/bad.bin"
    up = bucket.init_multipart_upload(key).upload_id
    r1 = bucket.upload_part(key, up, 1, b"small")
    r2 = bucket.upload_part(key, up, 2, b"small")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.complete_multipart_upload(key, up, [PartInfo(1, r1.etag), PartInfo(2, r2.etag)])
    assert e.value.code == "EntityTooSmall"
    with pytest.raises(oss2.exceptions.ServerError, match="InvalidPart"):
        bucket.complete_multipart_upload(key, up, [PartInfo(1, "0" * 32)])
    bucket.abort_multipart_upload(key, up)


def test_upload_part_copy(bucket: oss2.Bucket, emu) -> None:
    src = os.urandom(300 * 1024)
    bucket.put_object("mpc/src", src)
    up = bucket.init_multipart_upload("mpc/dst").upload_id
    a = bucket.upload_part_copy(emu.demo_bucket, "mpc/src", (0, 100 * 1024 - 1), "mpc/dst", up, 1)
    b = bucket.upload_part_copy(emu.demo_bucket, "mpc/src", (100 * 1024, len(src) - 1), "mpc/dst", up, 2)
    bucket.complete_multipart_upload("mpc/dst", up, [PartInfo(1, a.etag), PartInfo(2, b.etag)])
    assert bucket.get_object("mpc/dst").read() == src


def test_buckets_service_info_acl_location(emu, auth) -> None:
    service = oss2.Service(auth, emu.endpoints.oss, region=emu.oss_region)
    b = oss2.Bucket(auth, emu.endpoints.oss, "oss-sdk-bucket-" + type(auth).__name__.lower(), region=emu.oss_region)
    b.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ)
    names = [x.name for x in oss2.BucketIterator(service)]
    assert b.bucket_name in names and emu.demo_bucket in names
    info = b.get_bucket_info()
    assert info.name == b.bucket_name and info.acl.grant == "public-read" and info.location == f"oss-{emu.oss_region}"
    assert b.get_bucket_acl().acl == "public-read"
    b.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
    assert b.get_bucket_acl().acl == "private"
    assert b.get_bucket_location().location == f"oss-{emu.oss_region}"
    b.put_object("x", b"1")
    with pytest.raises(oss2.exceptions.BucketNotEmpty):
        b.delete_bucket()
    b.delete_object("x")
    b.delete_bucket()
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        b.get_bucket_info()


def test_anonymous_reads_follow_acls(emu) -> None:
    c = emu.demo_oss_credentials
    owner = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, "oss-anon-acl")
    owner.create_bucket(oss2.BUCKET_ACL_PRIVATE)
    anon = oss2.Bucket(oss2.AnonymousAuth(), emu.endpoints.oss, "oss-anon-acl")
    owner.put_object("private.txt", b"secret")
    owner.put_object("public.txt", b"hello", headers={"x-oss-object-acl": "public-read"})
    assert anon.get_object("public.txt").read() == b"hello"
    with pytest.raises(oss2.exceptions.AccessDenied):
        anon.get_object("private.txt")
    with pytest.raises(oss2.exceptions.AccessDenied):
        anon.put_object("public.txt", b"overwrite")                 # public-read is not writable
    assert owner.get_object("public.txt").read() == b"hello"
    with pytest.raises(oss2.exceptions.AccessDenied):
        list(oss2.ObjectIterator(anon))
    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)                # "default" objects inherit it
    assert anon.get_object("private.txt").read() == b"secret"
    assert sorted(o.key for o in oss2.ObjectIterator(anon)) == ["private.txt", "public.txt"]
    owner.put_object_acl("private.txt", oss2.OBJECT_ACL_PRIVATE)     # an explicit object ACL wins
    with pytest.raises(oss2.exceptions.AccessDenied):
        anon.get_object("private.txt")
    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    anon.put_object("anon.txt", b"from anyone")
    assert owner.get_object("anon.txt").read() == b"from anyone"


def test_anonymous_copy_cannot_read_private_sources(emu) -> None:
    c = emu.demo_oss_credentials
    auth = oss2.Auth(c.access_key, c.secret_key)
    private = oss2.Bucket(auth, emu.endpoints.oss, "oss-copy-private")
    private.create_bucket(oss2.BUCKET_ACL_PRIVATE)
    private.put_object("secret.txt", b"secret")
    open_bucket = oss2.Bucket(auth, emu.endpoints.oss, "oss-copy-public-rw")
    open_bucket.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    anon = oss2.Bucket(oss2.AnonymousAuth(), emu.endpoints.oss, "oss-copy-public-rw")
    with pytest.raises(oss2.exceptions.AccessDenied):
        anon.copy_object("oss-copy-private", "secret.txt", "stolen.txt")
    assert not open_bucket.object_exists("stolen.txt")
    private.put_object_acl("secret.txt", oss2.OBJECT_ACL_PUBLIC_READ)
    anon.copy_object("oss-copy-private", "secret.txt", "shared.txt")
    assert open_bucket.get_object("shared.txt").read() == b"secret"
