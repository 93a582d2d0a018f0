"""The 12 published OSS signer vectors (alibabacloud-oss-python-sdk-v2 unit tests), V1 and V4,
header and query, plus the oss2 outputs recorded in oracles.md §3."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

import imgx_kit as ik
from imgx_kit.core import oss_sign

from imgx_testing import VECTORS

DATA = json.loads((VECTORS / "aliyun-oss" / "oss-python-sdk-v2-signer-vectors.json").read_text())
V4C = DATA["v4_common"]


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def test_there_are_twelve():
    assert sum(len(DATA[k]) for k in ("v1_header", "v1_query", "v4_header", "v4_query")) == 12


@pytest.mark.parametrize("case", DATA["v1_header"], ids=lambda c: c["name"])
def test_v1_header(case):
    req = ik.HttpRequest.build(case["method"], case["url"], case["headers"])
    t = oss_sign.sign(req, ik.Credentials(case["ak"], case["sk"]), case["bucket"], case["key"], version=1)
    assert t.string_to_sign == case["string_to_sign"]
    assert t.authorization == case["authorization"]
    assert t.signed_request.header("authorization") == case["authorization"]


@pytest.mark.parametrize("case", DATA["v1_query"], ids=lambda c: c["name"])
def test_v1_query(case):
    sp = urlsplit(case["url"])
    creds = ik.Credentials(case["ak"], case["sk"], case["token"])
    at = _utc(case["expiration_time"] - 900)
    t = oss_sign.sign_url(case["bucket"], case["key"], f"{sp.scheme}://oss-cn-hangzhou.aliyuncs.com", creds,
                          expires=900, version=1, params=parse_qsl(sp.query), at=at)
    q = dict(parse_qsl(t.signed_request.query))
    assert q["Expires"] == str(case["expiration_time"])
    assert quote(q["Signature"], safe="") == case["signature_urlencoded"]
    assert t.signed_request.url.endswith("&Signature=" + case["signature_urlencoded"])


def _v4_request(case, with_query=True):
    url = V4C["url"] + "/" + quote(V4C["key"], safe="/")
    if with_query:
        url += "?" + V4C["query_string"]
    return ik.HttpRequest.build(V4C["method"], url, case["headers"])


@pytest.mark.parametrize("case", DATA["v4_header"], ids=lambda c: c["name"])
def test_v4_header(case):
    creds = ik.Credentials(case["ak"], case["sk"], case["token"])
    t = oss_sign.sign(_v4_request(case), creds, V4C["bucket"], V4C["key"], version=4, region=V4C["region"],
                      at=_utc(case["signing_time"]), additional_headers=case["additional_headers"])
    expected_sig = case["authorization"].rsplit("Signature=", 1)[1]
    assert t.signature == expected_sig
    parsed = ik.core.signer.parse_authorization(t.authorization)
    assert parsed.signature == expected_sig
    assert ";".join(parsed.signed_headers) == (case["authorization"].split("AdditionalHeaders=")[1].split(",")[0]
                                               if "AdditionalHeaders=" in case["authorization"] else "")


@pytest.mark.parametrize("case", DATA["v4_query"], ids=lambda c: c["name"])
def test_v4_query(case):
    creds = ik.Credentials(case["ak"], case["sk"], case["token"])
    t = oss_sign.sign_url(V4C["bucket"], V4C["key"], "http://oss-cn-hangzhou.aliyuncs.com", creds,
                          expires=case["expiration_time"] - case["signing_time"], method=V4C["method"],
                          version=4, region=V4C["region"], params=V4C["query_params_in_order"],
                          headers=case["headers"], additional_headers=case["additional_headers"],
                          at=_utc(case["signing_time"]))
    raw = dict(p.split("=", 1) if "=" in p else (p, "") for p in t.signed_request.query.split("&"))
    for k, v in case["expect"].items():
        assert raw[k] == v, k


NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)
CREDS = ik.Credentials("LTAI5tEXAMPLEAK", "EXAMPLESECRET")


@pytest.mark.parametrize("version,url,sts", [
    (1, "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos%2Fcat%201.jpg?x-oss-process=image%2Fresize%2Cw_100&OSSAccessKeyId=LTAI5tEXAMPLEAK&Expires=1704070800&Signature=Th3UEIHipveKjIDo4ZrseRZ8BQY%3D",
     "GET\n\n\n1704070800\n/examplebucket/photos/cat 1.jpg?x-oss-process=image/resize,w_100"),
    (4, "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos%2Fcat%201.jpg?x-oss-process=image%2Fresize%2Cw_100&x-oss-date=20240101T000000Z&x-oss-expires=3600&x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=LTAI5tEXAMPLEAK%2F20240101%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-signature=61038a1076da7c456f4df2938bd8906cc432139360a9a67b0f8ff658f867fe34",
     "OSS4-HMAC-SHA256\n20240101T000000Z\n20240101/cn-hangzhou/oss/aliyun_v4_request\n0faad5dd57e9dbe33944ee2933e9dbacdb307ff1a3b45a98ce35b280c0563321"),
])
def test_recorded_oss2_urls_with_process(version, url, sts):
    t = ik.oss.sign_url("examplebucket", "photos/cat 1.jpg", "https://oss-cn-hangzhou.aliyuncs.com", CREDS,
                        expires=3600, process="image/resize,w_100", version=version, region="cn-hangzhou", at=NOW)
    assert t.signed_request.url == url
    assert t.string_to_sign == sts
    if version == 1:
        assert "alibabacloud-oss-v2" in t.step("canonicalized_resource").explanation


@pytest.mark.parametrize("version", [1, 4])
@pytest.mark.parametrize("token", [None, "STS.token+/="])
def test_sign_url_and_header_forms_verify(version, token):
    creds = ik.Credentials("LTAIEXAMPLE", "SECRET", token)
    lookup = {"LTAIEXAMPLE": creds}
    t = ik.oss.sign_url("bkt", "a/b c+d%.png", "http://127.0.0.1:9000", creds, expires=600,
                        process="image/resize,w_10", version=version, region="cn-hangzhou", at=NOW)
    assert t.signed_request.path == "/bkt/a%2Fb%20c%2Bd%25.png"
    v = ik.oss.verify(t.signed_request, lookup, "bkt", "a/b c+d%.png", "cn-hangzhou", now=NOW)
    assert v.ok, v
    later = ik.oss.verify(t.signed_request, lookup, "bkt", "a/b c+d%.png", "cn-hangzhou",
                          now=datetime(2024, 1, 1, 0, 11, tzinfo=timezone.utc))
    assert not later.ok and later.code == "AccessDenied"
    tampered = t.signed_request.with_url(t.signed_request.url.replace("w_10", "w_11"))
    bad = ik.oss.verify(tampered, lookup, "bkt", "a/b c+d%.png", "cn-hangzhou", now=NOW)
    assert bad.code == "SignatureDoesNotMatch" and bad.status == 403 and bad.expected is not None
    req = ik.HttpRequest.build("PUT", "http://127.0.0.1:9000/bkt/k.png", {"Content-Type": "image/png"}, b"x")
    h = ik.oss.sign(req, creds, "bkt", "k.png", version=version, region="cn-hangzhou", at=NOW)
    assert ik.oss.verify(h.signed_request, lookup, "bkt", "k.png", "cn-hangzhou", now=NOW).ok
    wrong = h.signed_request.with_header("Content-Type", "image/jpeg")
    assert ik.oss.verify(wrong, lookup, "bkt", "k.png", "cn-hangzhou", now=NOW).code == "SignatureDoesNotMatch"
