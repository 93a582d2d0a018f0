"""1000 random single-field tamperings of valid requests, on every route and scheme, are all
rejected with the right code; unsigned headers change freely (seeded loop, reproducible)."""
from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

import imgx_kit as ik
from imgx_kit.core import oss_sign
from imgx_kit.core.scheme import AWS4

from .helpers import crc, inpaint_inputs, jimeng_apply, jimeng_commit, png_bytes, send, sts, upload_token

N_TAMPERS = 1000
BOTO_STYLE = ik.Signer(AWS4, "cn-north-1", "imagex")       # botocore policy: signs host and more


@dataclass
class Template:
    """A valid request and the single fields that may be tampered, with the code each must give."""

    name: str
    make: Callable[[], ik.HttpRequest]
    read: Callable  # response -> code text (None = success)
    tampers: list[tuple[str, Callable[[ik.HttpRequest, random.Random], ik.HttpRequest], str]] = field(
        default_factory=list)
    free: list[Callable[[ik.HttpRequest, random.Random], ik.HttpRequest]] = field(default_factory=list)


def gw_code(r):
    if r.status_code == 200:
        body = r.json()
        return body.get("ResponseMetadata", {}).get("Error", {}).get("Code") if "ResponseMetadata" in body else None
    return r.json()["ResponseMetadata"]["Error"]["Code"]


def oss_code(r):
    if r.status_code in (200, 204):
        return None
    m = re.search(rb"<Code>([^<]+)</Code>", r.content)
    return m.group(1).decode() if m else f"HTTP{r.status_code}"


def upload_code(r):
    return None if r.status_code == 200 else f"Upload{r.json()['code']}"


def jimeng_code(r):
    body = r.json()
    return None if body["ret"] == "0" else f"ret{body['ret']}"


# ---- generic single-field mutations -----------------------------------------------------------
def flip(s: str, rng: random.Random, alphabet: str = "0123456789abcdef") -> str:
    i = rng.randrange(len(s))
    c = rng.choice([a for a in alphabet if a != s[i]])
    return s[:i] + c + s[i + 1:]


def set_header(name: str, fn: Callable[[str, random.Random], str]):
    def t(req: ik.HttpRequest, rng):
        return req.with_header(name, fn(req.header(name) or "", rng))
    return t


def auth_sig(req, rng):
    a = req.header("Authorization")
    if a.startswith("OSS "):
        ak, _, sig = a[4:].rpartition(":")
        return req.with_header("Authorization", f"OSS {ak}:{flip(sig, rng, 'ABCDEFGHIJ')}")
    head, _, sig = a.rpartition("Signature=")
    return req.with_header("Authorization", head + "Signature=" + flip(sig, rng))


def auth_ak(req, rng):
    a = req.header("Authorization")
    if a.startswith("OSS "):
        ak, _, sig = a[4:].rpartition(":")
        return req.with_header("Authorization", f"OSS {flip(ak, rng, 'XYZ')}:{sig}")
    return req.with_header("Authorization",
                           re.sub(r"Credential=([^/]+)/", lambda m: f"Credential={flip(m.group(1), rng, 'XYZ')}/", a))


def auth_scope(part: int, value: str):
    def t(req, rng):
        a = req.header("Authorization")
        m = re.search(r"Credential=([^,]+)", a)
        bits = m.group(1).split("/")
        bits[part] = value
        return req.with_header("Authorization", a.replace(m.group(1), "/".join(bits)))
    return t


def query_set(key: str, value_fn: Callable[[str, random.Random], str]):
    def t(req, rng):
        head, _, q = req.url.partition("?")
        pieces = q.split("&")
        for i, p in enumerate(pieces):
            k, _, v = p.partition("=")
            if k == key:
                pieces[i] = f"{k}={value_fn(v, rng)}"
        return req.with_url(head + "?" + "&".join(pieces))
    return t


def query_add(piece: str):
    def t(req, rng):
        return req.with_url(req.url + ("&" if "?" in req.url else "?") + piece + str(rng.randrange(10)))
    return t


def body_change(req, rng):
    b = bytearray(req.body)
    i = rng.randrange(len(b))
    b[i] = (b[i] + 1 - 32) % 94 + 32 if 32 <= b[i] < 127 else (b[i] + 1) % 256
    return ik.HttpRequest(req.method, req.url, req.headers, bytes(b))


def plus_seconds(fmt: str):
    def fn(v, rng):
        from datetime import datetime, timedelta, timezone
        if fmt == "amz":
            t = datetime.strptime(v, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
            t2 = t + timedelta(seconds=rng.choice([-2, -1, 1, 2]))
            if t2.date() != t.date():
                t2 = t - timedelta(seconds=(t2 - t).total_seconds())
            return t2.strftime("%Y%m%dT%H%M%SZ")
        if fmt == "epoch":
            return str(int(v) + rng.choice([1, 2, 30]))
        from email.utils import format_datetime, parsedate_to_datetime
        t = parsedate_to_datetime(v) + timedelta(seconds=rng.choice([-2, -1, 1, 2]))
        return format_datetime(t, usegmt=True)
    return fn


def unsigned_header(req, rng):
    return req.with_header(rng.choice(["User-Agent", "Accept", "Referer", "Origin"]), f"tampered-{rng.randrange(1000)}")


# ---- templates --------------------------------------------------------------------------------
def templates(emu) -> list[Template]:
    data = upload_token(emu)
    creds = sts(data)
    sid = data["service_id"]
    volc = emu.demo_volc_credentials
    oss = emu.demo_oss_credentials
    ib, mb, _, _ = inpaint_inputs(16, 16)
    cv_body = json.dumps({"req_key": "i2i_inpainting", "binary_data_base64": [ib, mb], "seed": 0})
    img = png_bytes(8, 8)
    store = {}

    def aws_apply():
        return jimeng_apply(emu, creds, sid, 123)

    def aws_commit():
        r = send(aws_apply())
        return jimeng_commit(emu, creds, sid, r.json()["Result"]["UploadAddress"]["SessionKey"])

    def boto_apply():
        url = (f"{emu.endpoints.imagex}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId={sid}"
               "&UploadNum=1&FileSize=9&s=abc123xyz0")
        return BOTO_STYLE.sign(ik.HttpRequest.build("GET", url, [("Host", emu.upload_host)]), creds).signed_request

    def volc_apply():
        url = (f"{emu.url}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId={emu.demo_service_id}"
               "&UploadNum=1&FileSize=9")
        return ik.presets.IMAGEX_OPENAPI.sign(ik.HttpRequest.build("GET", url), volc).signed_request

    def volc_cv():
        url = f"{emu.endpoints.visual}/?Action=CVProcess&Version=2022-08-31"
        req = ik.HttpRequest.build("POST", url, [("Content-Type", "application/json")], cv_body)
        return ik.presets.VOLC_CV.sign(req, volc).signed_request

    def web_upload():
        if "info" not in store:
            r = send(jimeng_apply(emu, creds, sid, len(img)))
            store["info"] = r.json()["Result"]["UploadAddress"]["StoreInfos"][0]
        info = store["info"]
        return ik.HttpRequest.build("POST", f"{emu.url}/upload/v1/{info['StoreUri']}",
                                    [("Authorization", info["Auth"]), ("Content-CRC32", crc(img))], img)

    def jimeng_token():
        return ik.HttpRequest.build("POST", emu.endpoints.jimeng + "/mweb/v1/get_upload_token?aid=513695",
                                    [("Content-Type", "application/json"),
                                     ("Cookie", f"sessionid={emu.demo_sessionid}")],
                                    '{"scene":2}')

    key = "tamper/obj.txt"
    emu.state.put_object(emu.state.bucket(emu.demo_bucket), key, b"payload", "text/plain", emu.now())

    def oss_v1_header():
        req = ik.HttpRequest.build("GET", f"{emu.url}/{emu.demo_bucket}/{key}", [("Content-Type", "text/plain")])
        return oss_sign.sign(req, oss, emu.demo_bucket, key, version=1).signed_request

    def oss_v4_header():
        req = ik.HttpRequest.build("GET", f"{emu.url}/{emu.demo_bucket}/{key}", [("Content-Type", "text/plain")])
        return oss_sign.sign(req, oss, emu.demo_bucket, key, version=4, region=emu.oss_region).signed_request

    def oss_v1_url():
        return oss_sign.sign_url(emu.demo_bucket, key, emu.endpoints.oss, oss, 600, version=1).signed_request

    def oss_v4_url():
        return oss_sign.sign_url(emu.demo_bucket, key, emu.endpoints.oss, oss, 600, version=4,
                                 region=emu.oss_region).signed_request

    sdm = "SignatureDoesNotMatch"
    common_gw = [("signature", auth_sig, sdm), ("access key", auth_ak, "InvalidAccessKey"),
                 ("scope date", auth_scope(-4, "20200101"), sdm), ("scope region", auth_scope(-3, "cn-beijing"), sdm),
                 ("scope service", auth_scope(-2, "iam"), sdm), ("add query", query_add("zz="), sdm)]
    aws_token = ("token", set_header("X-Amz-Security-Token", lambda v, r: flip(v, r, "ABCDEFGH")), "InvalidSecretToken")
    aws_date = ("x-amz-date", set_header("X-Amz-Date", plus_seconds("amz")), sdm)
    out = [
        Template("AWS4 web Apply", aws_apply, gw_code, common_gw + [aws_token, aws_date,
                 ("FileSize", query_set("FileSize", lambda v, r: str(int(v) + 1 + r.randrange(9))), sdm),
                 ("ServiceId", query_set("ServiceId", lambda v, r: flip(v, r, "xyz")), sdm),
                 ("s", query_set("s", lambda v, r: flip(v, r, "xyz")), sdm)],
                 [unsigned_header, set_header("Host", lambda v, r: v.replace("127.0.0.1", "localhost"))]),
        Template("AWS4 web Commit", aws_commit, gw_code, common_gw + [aws_token, aws_date, ("body", body_change, sdm),
                 ("content sha", set_header("X-Amz-Content-Sha256", lambda v, r: flip(v, r)), sdm)],
                 [unsigned_header, set_header("Content-Type", lambda v, r: "text/plain")]),
        Template("AWS4 botocore-style Apply", boto_apply, gw_code, common_gw + [aws_token, aws_date,
                 ("host", set_header("Host", lambda v, r: v.replace("127.0.0.1", "localhost")), sdm),
                 ("UploadNum", query_set("UploadNum", lambda v, r: str(2 + r.randrange(8))), sdm)],
                 [set_header("User-Agent", lambda v, r: "ua-" + str(r.randrange(99)))]),
        Template("VOLC ImageX Apply", volc_apply, gw_code, common_gw + [
                 ("x-date", set_header("X-Date", plus_seconds("amz")), sdm),
                 ("host", set_header("Host", lambda v, r: v.replace("127.0.0.1", "localhost")), sdm),
                 ("FileSize", query_set("FileSize", lambda v, r: str(10 + r.randrange(90))), sdm),
                 ("content sha", set_header("X-Content-Sha256", lambda v, r: flip(v, r)), sdm)],
                 [unsigned_header]),
        Template("VOLC visual CVProcess", volc_cv, gw_code, common_gw + [
                 ("x-date", set_header("X-Date", plus_seconds("amz")), sdm), ("body", body_change, sdm),
                 ("content-type", set_header("Content-Type", lambda v, r: v + "; charset=utf-8"), sdm),
                 ("host", set_header("Host", lambda v, r: v.replace("127.0.0.1", "localhost")), sdm)],
                 [unsigned_header]),
        Template("upload web POST", web_upload, upload_code, [
                 ("Auth", set_header("Authorization", lambda v, r: flip(v, r, "QRSTUV")), "Upload4011"),
                 ("crc header", set_header("Content-CRC32", lambda v, r: flip(v, r)), "Upload4002"),
                 ("body", body_change, "Upload4002"),
                 ("store uri", lambda q, r: q.with_url(q.url[:-3] + flip(q.url[-3:], r)), "Upload4040")],
                 [unsigned_header]),
        Template("Jimeng get_upload_token", jimeng_token, jimeng_code, [
                 ("sessionid", set_header("Cookie", lambda v, r: "sessionid=" + flip(v.split("=", 1)[1], r, "xyz")),
                  "ret1015")],
                 [unsigned_header]),
    ]
    oss_common = [("signature", None, sdm),
                  ("key", lambda q, r: q.with_url(q.url.replace("obj.txt", f"obj{r.randrange(9)}.txt")), sdm)]
    out += [
        Template("OSS V1 header", oss_v1_header, oss_code, [
                 ("signature", auth_sig, sdm), ("access key", auth_ak, "InvalidAccessKeyId"), oss_common[1],
                 ("date", set_header("date", plus_seconds("http")), sdm),
                 ("content-type", set_header("Content-Type", lambda v, r: "image/png"), sdm),
                 ("oss header", lambda q, r: q.with_header("x-oss-meta-a", str(r.randrange(99))), sdm),
                 ("add sub-resource", query_add("x-oss-process=image/resize,w_1"), sdm)],
                 [unsigned_header, lambda q, r: q.with_url(q.url + f"?zz={r.randrange(9)}")]),
        Template("OSS V4 header", oss_v4_header, oss_code, [
                 ("signature", auth_sig, sdm), ("access key", auth_ak, "InvalidAccessKeyId"), oss_common[1],
                 ("x-oss-date", set_header("x-oss-date", plus_seconds("amz")), sdm),
                 ("content-type", set_header("Content-Type", lambda v, r: "image/png"), sdm),
                 ("add query", query_add("zz="), sdm), ("scope region", auth_scope(-3, "cn-shanghai"), sdm)],
                 [unsigned_header]),
        Template("OSS V1 URL", oss_v1_url, oss_code, [
                 ("signature", query_set("Signature", lambda v, r: flip(v, r, "ABCDEFGHIJ")), sdm),
                 ("access key", query_set("OSSAccessKeyId", lambda v, r: flip(v, r, "XYZ")), "InvalidAccessKeyId"),
                 ("expires", query_set("Expires", plus_seconds("epoch")), sdm), oss_common[1],
                 ("add sub-resource", query_add("x-oss-process=image/resize,w_1"), sdm)],
                 [unsigned_header]),
        Template("OSS V4 URL", oss_v4_url, oss_code, [
                 ("signature", query_set("x-oss-signature", lambda v, r: flip(v, r)), sdm),
                 ("access key", query_set("x-oss-credential", lambda v, r: flip(v[:6], r, "XYZ") + v[6:]),
                  "InvalidAccessKeyId"),
                 ("x-oss-expires", query_set("x-oss-expires", lambda v, r: str(int(v) + 1 + r.randrange(9))), sdm),
                 ("x-oss-date", query_set("x-oss-date", plus_seconds("amz")), sdm), oss_common[1],
                 ("add query", query_add("zz="), sdm)],
                 [unsigned_header]),
    ]
    return out


@pytest.mark.slow
def test_1000_single_field_tamperings_are_rejected_with_the_right_code(emu):
    rng = random.Random(20250101)
    temps = templates(emu)
    for t in temps:                                  # every valid request passes
        assert t.read(send(t.make())) is None, t.name
        for f in t.free:                             # unsigned headers may change freely
            r = send(f(t.make(), rng))
            assert t.read(r) is None, (t.name, r.text[:300])
    valid = {t.name: t.make() for t in temps}
    seen: dict[tuple[str, str], int] = {}
    wrong = []
    for i in range(N_TAMPERS):
        t = temps[i % len(temps)]
        label, fn, expected = rng.choice(t.tampers)
        req = fn(valid[t.name], rng)
        r = send(req)
        got = t.read(r)
        seen[(t.name, label)] = seen.get((t.name, label), 0) + 1
        if got != expected:
            wrong.append((t.name, label, expected, got, r.status_code, r.text[:200]))
    assert wrong == [], wrong[:5]
    assert len(seen) == sum(len(t.tampers) for t in temps)     # every kind was exercised
    assert len({t.name for t in temps}) == 11
    assert emu.errors == []
