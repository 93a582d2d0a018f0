"""Never a silent change: whatever the OSS emulator does not implement — a sub-resource, a header
on a path that does not take it, a method — answers OSS's ``NotImplemented`` XML error (501, the
code and message of aliyun/oss-emulator's ``NOT_IMPLEMENTED``) and leaves every object as it was.
Requests are signed by oss2 (its own signer and sub-resource list), sent with its session."""
from __future__ import annotations

import oss2
import pytest
import requests

from imgx_kit.emulator.api import running


@pytest.fixture(scope="module")
def emu():
    with running(seed=5) as e:
        yield e
        assert e.errors == [], e.errors[-1] if e.errors else ""


@pytest.fixture(scope="module")
def bucket(emu) -> oss2.Bucket:
    c = emu.demo_oss_credentials
    b = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, emu.demo_bucket)
    b.put_object("keep.txt", b"original bytes")
    return b


def _unchanged(bucket: oss2.Bucket) -> None:
    got = bucket.get_object("keep.txt")
    assert got.read() == b"original bytes" and got.headers["x-oss-object-type"] == "Normal"
    assert bucket.get_object_acl("keep.txt").acl == "default"


@pytest.mark.parametrize("method,key,params", [
    ("PUT", None, {"lifecycle": ""}), ("GET", None, {"lifecycle": ""}), ("PUT", None, {"cors": ""}),
    ("PUT", None, {"website": ""}), ("GET", None, {"versioning": ""}), ("PUT", None, {"versioning": ""}),
    ("PUT", None, {"referer": ""}), ("PUT", None, {"logging": ""}), ("PUT", None, {"policy": ""}),
    ("PUT", None, {"encryption": ""}), ("PUT", None, {"worm": ""}), ("DELETE", None, {"cors": ""}),
    ("GET", None, {"stat": ""}),
    ("PUT", "keep.txt", {"restore": ""}), ("POST", "keep.txt", {"restore": ""}), ("GET", "keep.txt", {"versions": ""}),
    ("PUT", "keep.txt", {"versionId": "x"}), ("DELETE", "keep.txt", {"versionId": "x"}),
    ("GET", "keep.txt", {"versionId": "x"}), ("PUT", "keep.txt", {"acl": "", "tagging": ""}),
    ("POST", "keep.txt", {"x-oss-async-process": ""}), ("GET", "keep.txt", {"objectInfo": ""}),
    ("POST", "keep.txt", {}), ("PUT", "keep.txt", {"append": "", "position": "0"}),
])
def test_unimplemented_sub_resource_is_501_and_changes_nothing(bucket, method, key, params) -> None:
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket._do(method, bucket.bucket_name, key or "", params=params, data=b"<x/>")
    assert (e.value.status, e.value.code) == (501, "NotImplemented")
    assert e.value.message == "The function is not supported yet."
    _unchanged(bucket)


def test_copy_source_on_a_post_is_refused(bucket, emu) -> None:
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.append_object("keep.txt", 14, b"x", headers={"x-oss-copy-source": f"/{emu.demo_bucket}/keep.txt"})
    assert (e.value.status, e.value.code) == (501, "NotImplemented")
    _unchanged(bucket)


def test_symlink_target_on_a_plain_put_is_refused(bucket) -> None:
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object("keep.txt", b"", headers={"x-oss-symlink-target": "other"})
    assert (e.value.status, e.value.code) == (501, "NotImplemented")
    _unchanged(bucket)


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH", "PROPFIND", "TRACE"])
def test_unknown_methods_are_501(emu, bucket, method) -> None:
    r = requests.request(method, f"{emu.endpoints.oss}/{emu.demo_bucket}/keep.txt", data=b"zzz", timeout=10)
    assert r.status_code == 501 and "<Code>NotImplemented</Code>" in r.text
    _unchanged(bucket)


def test_get_acl_answers_the_acl_not_the_bytes(bucket) -> None:
    r = bucket._do("GET", bucket.bucket_name, "keep.txt", params={"acl": ""})
    body = r.read()
    assert b"original bytes" not in body and b"<AccessControlPolicy>" in body


@pytest.mark.parametrize("headers", [
    {"x-oss-callback": "eyJjYWxsYmFja1VybCI6Imh0dHA6Ly9leGFtcGxlLmNvbSJ9"},
    {"x-oss-server-side-encryption": "AES256"}, {"x-oss-storage-class": "Archive"},
])
def test_put_with_an_unsupported_promise_is_refused(bucket, headers) -> None:
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object("keep.txt", b"replaced", headers=headers)
    assert (e.value.status, e.value.code) == (501, "NotImplemented")
    _unchanged(bucket)
