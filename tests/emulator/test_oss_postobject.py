"""PostObject: a browser form upload built the way the OSS docs show it ("PostObject", "A V1
signature in a PostObject request", "(Recommended) A V4 signature in a PostObject request") —
``requests`` multipart POST, fields before ``file`` — with the policy signature computed here by
hand from the docs' formulas (hmac), never by imgx-kit. oss2 reads the result back."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from datetime import timedelta, timezone

import oss2
import pytest
import requests

from imgx_kit.emulator import sts
from imgx_kit.emulator.api import running


@pytest.fixture(scope="module")
def emu():
    with running(seed=11) as e:
        yield e
        assert e.errors == [], e.errors[-1] if e.errors else ""


def _policy(emu, conditions: list, *, expires_in: int = 600) -> str:
    exp = (emu.now() + timedelta(seconds=expires_in)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return base64.b64encode(json.dumps({"expiration": exp, "conditions": conditions}).encode()).decode()


def v1_form(emu, key: str, conditions: list | None = None, *, secret: str | None = None, **extra) -> dict:
    c = emu.demo_oss_credentials
    policy = _policy(emu, conditions if conditions is not None else
                     [{"bucket": emu.demo_bucket}, ["content-length-range", 1, 1024], ["starts-with", "$key", "user/"]],
                     expires_in=extra.pop("expires_in", 600))
    # docs: Signature = base64(hmac-sha1(AccessKeySecret, base64(policy)))
    sig = base64.b64encode(hmac.new((secret or c.secret_key).encode(), policy.encode(), hashlib.sha1).digest()).decode()
    return {"key": key, "policy": policy, "OSSAccessKeyId": c.access_key, "Signature": sig, **extra}


def v4_form(emu, key: str, *, region: str | None = None, token: str | None = None, ak: str | None = None,
            secret: str | None = None, shift: timedelta = timedelta(0)) -> dict:
    c = emu.demo_oss_credentials
    ak, secret, region = ak or c.access_key, secret or c.secret_key, region or emu.oss_region
    now = emu.now().astimezone(timezone.utc) + shift
    date, stamp = now.strftime("%Y%m%d"), now.strftime("%Y%m%dT%H%M%SZ")
    cred = f"{ak}/{date}/{region}/oss/aliyun_v4_request"
    conds: list = [{"bucket": emu.demo_bucket}, {"x-oss-signature-version": "OSS4-HMAC-SHA256"},
                   {"x-oss-credential": cred}, {"x-oss-date": stamp}, ["starts-with", "$key", "v4/"]]
    if token:
        conds.append({"x-oss-security-token": token})
    policy = _policy(emu, conds)
    # docs: signing key = HMAC chain "aliyun_v4"+secret -> date -> region -> "oss" -> "aliyun_v4_request";
    # x-oss-signature = hex(HMAC-SHA256(signing key, base64(policy)))
    k = hmac.new(("aliyun_v4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, "oss", "aliyun_v4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, policy.encode(), hashlib.sha256).hexdigest()
    form = {"key": key, "policy": policy, "x-oss-signature-version": "OSS4-HMAC-SHA256", "x-oss-credential": cred,
            "x-oss-date": stamp, "x-oss-signature": sig}
    if token:
        form["x-oss-security-token"] = token
    return form


def post(emu, form: dict, data: bytes = b"hello form", name: str = "photo.jpg", bucket: str | None = None):
    url = f"{emu.endpoints.oss}/{bucket or emu.demo_bucket}"
    return requests.post(url, data=form, files={"file": (name, data, "image/jpeg")}, timeout=10)


def reader(emu, bucket: str | None = None) -> oss2.Bucket:
    c = emu.demo_oss_credentials
    return oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, bucket or emu.demo_bucket)


def _code(r: requests.Response) -> str:
    return ET.fromstring(r.content).findtext("Code") or ""


def test_v1_form_upload_stores_the_file(emu) -> None:
    r = post(emu, v1_form(emu, "user/a.jpg"))
    assert r.status_code == 204, r.text
    got = reader(emu).get_object("user/a.jpg")
    assert got.read() == b"hello form" and got.content_type == "image/jpeg"
    assert r.headers["ETag"].strip('"') == hashlib.md5(b"hello form").hexdigest().upper()


def test_success_action_status_201_and_redirect(emu) -> None:
    r = post(emu, v1_form(emu, "user/${filename}", success_action_status="201"), name="cat.png")
    assert r.status_code == 201
    root = ET.fromstring(r.content)
    assert root.tag == "PostResponse" and root.findtext("Key") == "user/cat.png"
    assert root.findtext("ETag").strip('"') == hashlib.md5(b"hello form").hexdigest().upper()
    r = requests.post(f"{emu.endpoints.oss}/{emu.demo_bucket}",
                      data=v1_form(emu, "user/r.jpg", success_action_redirect="https://app.example/done"),
                      files={"file": ("r.jpg", b"x", "image/jpeg")}, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"].startswith("https://app.example/done?bucket=")
    assert "key=user%2Fr.jpg" in r.headers["Location"]


@pytest.mark.parametrize("why,form_kw,data,status,code", [
    ("expired policy", {"expires_in": -5}, b"x", 403, "AccessDenied"),
    ("key outside the starts-with prefix", {}, b"x", 403, "AccessDenied"),
    ("file above content-length-range", {}, b"x" * 2000, 400, "EntityTooLarge"),
    ("wrong secret", {"secret": "wrong"}, b"x", 403, "SignatureDoesNotMatch"),
])
def test_policy_conditions_refuse_and_store_nothing(emu, why, form_kw, data, status, code) -> None:
    key = "elsewhere/x.jpg" if "prefix" in why else "user/refused.jpg"
    r = post(emu, v1_form(emu, key, **form_kw), data=data)
    assert (r.status_code, _code(r)) == (status, code), why
    assert not reader(emu).object_exists(key)


def test_bucket_condition_must_match(emu) -> None:
    r = post(emu, v1_form(emu, "user/b.jpg", [{"bucket": "some-other-bucket"}]))
    assert (r.status_code, _code(r)) == (403, "AccessDenied")


def test_v4_form_upload(emu) -> None:
    r = post(emu, v4_form(emu, "v4/a.jpg"), data=b"v4 bytes")
    assert r.status_code == 204, r.text
    assert reader(emu).get_object("v4/a.jpg").read() == b"v4 bytes"
    bad = post(emu, v4_form(emu, "v4/b.jpg", secret="nope"))
    assert (bad.status_code, _code(bad)) == (403, "SignatureDoesNotMatch")
    other = post(emu, v4_form(emu, "v4/c.jpg", region="cn-beijing"))
    assert other.status_code == 400
    assert not reader(emu).object_exists("v4/b.jpg") and not reader(emu).object_exists("v4/c.jpg")


def test_v4_form_with_sts_token(emu) -> None:
    creds = sts.issue(emu.state, emu.now(), 900)
    r = post(emu, v4_form(emu, "v4/sts.jpg", token=creds.session_token, ak=creds.access_key,
                          secret=creds.secret_key))
    assert r.status_code == 204, r.text
    form = v4_form(emu, "v4/sts2.jpg", token=creds.session_token, ak=creds.access_key, secret=creds.secret_key)
    form.pop("x-oss-security-token")
    assert _code(post(emu, form)) == "InvalidSecurityToken"


def test_anonymous_form_needs_a_public_read_write_bucket(emu) -> None:
    owner = reader(emu, "oss-post-anon")
    owner.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ)
    r = post(emu, {"key": "anon.jpg"}, bucket="oss-post-anon")
    assert (r.status_code, _code(r)) == (403, "AccessDenied")
    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    r = post(emu, {"key": "anon.jpg"}, bucket="oss-post-anon")
    assert r.status_code == 204 and owner.get_object("anon.jpg").read() == b"hello form"


def test_not_a_form_is_refused(emu) -> None:
    r = requests.post(f"{emu.endpoints.oss}/{emu.demo_bucket}", data=b"raw", timeout=10,
                      headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 400


def test_form_key_must_be_a_valid_object_name(emu) -> None:
    r = post(emu, v1_form(emu, "user/${filename}"), name="../../escape.jpg")
    assert (r.status_code, _code(r)) == (400, "InvalidObjectName")


def test_v4_date_window(emu) -> None:
    ahead = post(emu, v4_form(emu, "v4/ahead.jpg", shift=timedelta(minutes=20)))
    assert (ahead.status_code, _code(ahead)) == (403, "RequestTimeTooSkewed")
    assert post(emu, v4_form(emu, "v4/late.jpg", shift=timedelta(minutes=-10))).status_code == 204
