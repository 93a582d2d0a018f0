"""Properties of the OSS route over generated requests (Hypothesis): any method and any mix of
sub-resources, signed by oss2, gets an answer within a time limit — a known operation, or 501
NotImplemented that leaves the object untouched — and never an emulator error; an anonymous
request to a private bucket never changes anything."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import oss2
import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st

from imgx_kit.core.oss_sign import SUBRESOURCES
from imgx_kit.core.request import HttpRequest
from imgx_kit.emulator.api import running
from imgx_kit.emulator.oss import postobject
from imgx_kit.emulator.oss.backend import OssError
from imgx_kit.emulator.oss.responses import operation_of

METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH"]
SUBS = sorted(SUBRESOURCES - {"security-token", "x-oss-process"})


@pytest.fixture(scope="module")
def emu():
    with running(seed=17) as e:
        yield e
        assert e.errors == [], e.errors[-1] if e.errors else ""


@pytest.fixture(scope="module")
def bucket(emu):
    c = emu.demo_oss_credentials
    b = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, emu.demo_bucket)
    b.put_object("prop/keep.txt", b"keep")
    return b


def _intact(bucket) -> bool:
    got = bucket.get_object("prop/keep.txt")
    return got.read() == b"keep" and bucket.get_object_acl("prop/keep.txt").acl == "default"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(METHODS), subs=st.sets(st.sampled_from(SUBS), max_size=3),
       on_object=st.booleans())
def test_any_sub_resource_mix_is_answered(emu, bucket, method, subs, on_object) -> None:
    level = "object" if on_object else "bucket"
    op = operation_of(method, level, [(s, "") for s in subs])
    if op is not None and op not in ("get_object_acl", "get_bucket_acl", "get_bucket_info", "get_bucket_location",
                                     "get_object_tagging", "list_multipart_uploads", "get_object_meta"):
        return      # a write the emulator implements: covered by the operation tests
    t0 = time.monotonic()
    try:
        r = bucket._do(method, bucket.bucket_name, "prop/keep.txt" if on_object else "",
                       params={s: "" for s in subs}, data=b"")
        status = r.status
    except oss2.exceptions.ServerError as e:
        status = e.status
        if op is None and method != "HEAD":                # a HEAD answer has no body to carry the code
            assert (e.status, e.code) == (501, "NotImplemented")
    assert time.monotonic() - t0 < 5
    assert op is not None or status == 501
    assert _intact(bucket)
    assert emu.errors == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(METHODS), subs=st.sets(st.sampled_from(SUBS + ["append", "uploads", "delete"]),
                                                     max_size=2),
       body=st.binary(max_size=64))
def test_anonymous_requests_never_change_a_private_bucket(emu, bucket, method, subs, body) -> None:
    query = "&".join(sorted(subs))
    url = f"{emu.endpoints.oss}/{emu.demo_bucket}/prop/keep.txt" + (f"?{query}" if query else "")
    r = requests.request(method, url, data=body, timeout=5)
    assert r.status_code in (400, 403, 404, 405, 409, 411, 501), (method, query, r.status_code)
    assert _intact(bucket)
    assert emu.errors == []


NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


@settings(max_examples=150, deadline=None)
@given(fields=st.dictionaries(st.sampled_from(["key", "policy", "OSSAccessKeyId", "Signature", "x-oss-signature",
                                               "x-oss-signature-version", "x-oss-credential", "x-oss-date",
                                               "success_action_status", "x-oss-security-token"]),
                              st.text(max_size=40), max_size=8),
       file=st.one_of(st.none(), st.binary(max_size=64)), mangle=st.booleans())
def test_postobject_parse_is_a_form_or_an_oss_error(fields, file, mangle) -> None:
    boundary = "b0undary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    body = "".join(parts).encode("utf-8", "surrogatepass")
    if file is not None:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n\r\n'
                 .encode() + file + b"\r\n")
    body += f"--{boundary}--\r\n".encode()
    if mangle:
        body = body[: len(body) // 2]
    req = HttpRequest.build("POST", "http://127.0.0.1/b",
                            [("Content-Type", f"multipart/form-data; boundary={boundary}")],
                            body)
    t0 = time.monotonic()
    try:
        form = postobject.parse(req, lambda ak: None, "b", "cn-hangzhou", NOW)
    except OssError as e:
        assert 400 <= e.status < 600 and e.code
    else:
        assert form.access_key is None and isinstance(form.data, bytes)
    assert time.monotonic() - t0 < 2


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(["Version", "AccessKeyId", "Signature", "SignatureMethod",
                                               "SignatureVersion", "SignatureNonce", "Timestamp", "RoleArn",
                                               "RoleSessionName", "DurationSeconds", "Format"]),
                              st.text(max_size=30), max_size=12))
def test_sts_answers_json_for_any_parameters(emu, params) -> None:
    params = {"Action": "AssumeRole", **params}
    r = requests.post(emu.endpoints.sts + "/", params=params, timeout=5)
    body = r.json()
    assert r.status_code >= 400 and body["Code"] and "RequestId" in body
    assert emu.errors == []
