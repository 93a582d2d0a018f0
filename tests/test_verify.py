"""verify accepts everything sign/presign produce and rejects each single-field tampering with
the gateway's code; a header that was not signed may change freely."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import imgx_kit as ik

AT = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)
CREDS = ik.Credentials("AKLTEXAMPLE", "SECRETEXAMPLEKEY==", "STS2sessiontoken")
LONG = ik.Credentials("AKLTLONGTERM", "LONGSECRET==")
LOOKUP = {c.access_key: c for c in (CREDS, LONG)}
SIGNERS = {
    "aws4-default": ik.Signer(ik.AWS4, "cn-north-1", "imagex"),
    "jimeng": ik.presets.JIMENG_IMAGEX,
    "volc-cv": ik.presets.VOLC_CV,
    "imagex-openapi": ik.presets.IMAGEX_OPENAPI,
}


def _req(body=b'{"SessionKey":"abc"}'):
    return ik.HttpRequest.build(
        "POST", "https://imagex.bytedanceapi.com/p/a?Action=CommitImageUpload&Version=2018-08-01&ServiceId=x",
        [("Content-Type", "application/json"), ("X-Custom", "v"), ("User-Agent", "ua/1")], body)


@pytest.mark.parametrize("name", SIGNERS)
@pytest.mark.parametrize("creds", [CREDS, LONG], ids=["token", "long-term"])
def test_signed_requests_verify(name, creds):
    s = SIGNERS[name]
    t = s.sign(_req(), creds, at=AT)
    v = s.verify(t.signed_request, LOOKUP, now=AT + timedelta(seconds=899))
    assert v.ok and v.code is None and v.expected.signature == t.signature
    p = s.presign(_req(b""), creds, expires=600, at=AT)
    assert s.verify(p.signed_request, LOOKUP, now=AT + timedelta(seconds=599)).ok


def _replace_query(req, old, new):
    assert old in req.url
    return req.with_url(req.url.replace(old, new, 1))


TAMPERS = {
    "method": (lambda r: r.with_method("PUT"), "SignatureDoesNotMatch"),
    "path": (lambda r: _replace_query(r, "/p/a", "/p/b"), "SignatureDoesNotMatch"),
    "query key": (lambda r: _replace_query(r, "ServiceId=", "ServiceID="), "SignatureDoesNotMatch"),
    "query value": (lambda r: _replace_query(r, "ServiceId=x", "ServiceId=y"), "SignatureDoesNotMatch"),
    "signed header": (lambda r: r.with_header("X-Custom", "w"), "SignatureDoesNotMatch"),
    "body": (lambda r: r.with_body(b'{"SessionKey":"abd"}'), "SignatureDoesNotMatch"),
    "signature": (lambda r: r.with_header("Authorization", r.header("Authorization")[:-1] +
                                          ("0" if r.header("Authorization")[-1] != "0" else "1")),
                  "SignatureDoesNotMatch"),
}


@pytest.mark.parametrize("name", ["aws4-default", "volc-cv"])
@pytest.mark.parametrize("field", TAMPERS)
def test_each_tampering_is_rejected_with_an_expected_trace(name, field):
    s = SIGNERS[name]
    signed = s.sign(_req(), CREDS, at=AT).signed_request
    change, code = TAMPERS[field]
    v = s.verify(change(signed), LOOKUP, now=AT)
    assert not v.ok and v.code == code and v.status == 401
    assert v.expected is not None and v.expected.signature != v.parsed.signature


def _swap_scope(r, index, value):
    auth = r.header("Authorization")
    _alg, rest = auth.split(" ", 1)
    cred = rest.split("Credential=")[1].split(",")[0]
    bits = cred.split("/")
    bits[index] = value
    return r.with_header("Authorization", auth.replace(cred, "/".join(bits)))


@pytest.mark.parametrize("name", ["aws4-default", "volc-cv"])
def test_scope_and_identity_tampering(name):
    s = SIGNERS[name]
    signed = s.sign(_req(), CREDS, at=AT).signed_request
    date_h = s.scheme.date_header
    cases = {
        "date": (signed.with_header(date_h, "20250101T120001Z"), "SignatureDoesNotMatch"),
        "scope date": (_swap_scope(signed, 1, "20250102"), "SignatureDoesNotMatch"),
        "region": (_swap_scope(signed, 2, "us-east-1"), "SignatureDoesNotMatch"),
        "service": (_swap_scope(signed, 3, "other"), "SignatureDoesNotMatch"),
        "access key": (_swap_scope(signed, 0, "AKLTUNKNOWN"), "InvalidAccessKey"),
        "token": (signed.with_header(s.scheme.token_header, "STS2other"), "InvalidSecretToken"),
        "no token": (signed.without_header(s.scheme.token_header), "InvalidSecretToken"),
        "no auth": (signed.without_header("Authorization"), "MissingAuthenticationToken"),
        "bad auth": (signed.with_header("Authorization", "garbage"), "InvalidAuthorization"),
        "no date": (signed.without_header(date_h), "MissingRequestInfo"),
        "bad date": (signed.with_header(date_h, "2025-01-01"), "InvalidTimestamp"),
    }
    for what, (req, code) in cases.items():
        v = s.verify(req, LOOKUP, now=AT)
        assert (v.ok, v.code) == (False, code), what
    v = s.verify(signed, LOOKUP, now=AT + timedelta(seconds=901))
    assert v.code == "InvalidTimestamp" and v.status == 400
    v = s.verify(signed, LOOKUP, now=AT - timedelta(seconds=901))
    assert v.code == "InvalidTimestamp"
    v = s.verify(signed, LOOKUP, now=AT + timedelta(seconds=1000), max_skew=1200)
    assert v.ok


@pytest.mark.parametrize("name", ["aws4-default", "volc-cv"])
def test_presign_expiry_and_tampering(name):
    s = SIGNERS[name]
    p = s.presign(_req(b""), CREDS, expires=300, at=AT).signed_request
    assert s.verify(p, LOOKUP, now=AT + timedelta(seconds=300)).ok
    expired = s.verify(p, LOOKUP, now=AT + timedelta(seconds=301))
    # AWS: RequestExpired; the Volcengine gateways answer an expired X-Expires with InvalidTimestamp
    assert (expired.code, expired.status) == (("RequestExpired", 403) if name == "aws4-default"
                                              else ("InvalidTimestamp", 400))
    assert s.verify(_replace_query(p, "ServiceId=x", "ServiceId=z"), LOOKUP, now=AT).code == "SignatureDoesNotMatch"
    assert s.verify(p.with_method("DELETE"), LOOKUP, now=AT).code == "SignatureDoesNotMatch"


def test_unsigned_headers_may_change():
    s = ik.presets.JIMENG_IMAGEX
    signed = s.sign(_req(), CREDS, at=AT).signed_request
    changed = signed.with_header("X-Custom", "anything").with_header("User-Agent", "other").with_header("Host", "h")
    assert s.verify(changed, LOOKUP, now=AT).ok
    # but the body is covered by x-amz-content-sha256
    assert s.verify(signed.with_body(b"{}"), LOOKUP, now=AT).code == "SignatureDoesNotMatch"


def test_verify_requires_the_mandatory_headers_to_be_signed():
    s = ik.Signer(ik.AWS4, "cn-north-1", "imagex", ["host"])
    with pytest.raises(ik.SigningError):
        ik.Signer(ik.AWS4, "cn-north-1", "imagex", ["x-missing"]).sign(_req(), CREDS, at=AT)
    t = s.sign(_req(), CREDS, at=AT)
    assert "x-amz-date" in t.signed_headers and "x-amz-security-token" in t.signed_headers
    v = ik.presets.VOLC_CV.verify(ik.presets.VOLC_CV.sign(_req(), CREDS, at=AT).signed_request, LOOKUP, now=AT,
                                  required=("host", "x-missing"))
    assert v.code == "SignatureDoesNotMatch" and "x-missing" in v.message


def test_lookup_may_be_a_callable_and_accepts_other_regions():
    s = ik.Signer(ik.AWS4, "us-east-1", "imagex")
    t = ik.Signer(ik.AWS4, "useast5", "imagex").sign(_req(), CREDS, at=AT)
    assert s.verify(t.signed_request, LOOKUP.get, now=AT, accept_regions=["useast5"]).ok
    assert s.verify(t.signed_request, LOOKUP.get, now=AT).code == "SignatureDoesNotMatch"


def test_expired_session_credentials():
    c = ik.Credentials("AKTPEXP", "S", "STS2x", expires_at=AT - timedelta(seconds=1))
    t = ik.presets.JIMENG_IMAGEX.sign(_req(), c, at=AT)
    v = ik.presets.JIMENG_IMAGEX.verify(t.signed_request, {"AKTPEXP": c}, now=AT)
    assert v.code == "InvalidSecretToken" and "expired" in v.message


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(SIGNERS)), st.binary(max_size=32), st.integers(0, 10_000),
       st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12))
def test_roundtrip_any_body_any_time(name, body, offset, value):
    s = SIGNERS[name]
    req = _req(body).with_header("X-Custom", " ".join(value.split()) or "x")
    at = AT + timedelta(seconds=offset)
    t = s.sign(req, CREDS, at=at)
    assert s.verify(t.signed_request, LOOKUP, now=at).ok


def test_volc_never_adds_a_second_content_type():
    req = ik.HttpRequest.build("POST", "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31",
                               [("content-type", "application/json")], b"{}")
    t = ik.presets.VOLC_CV.sign(req, CREDS, at=AT)
    assert [k for k, _ in t.signed_request.headers if k.lower() == "content-type"] == ["content-type"]
    assert ik.presets.VOLC_CV.verify(t.signed_request, LOOKUP, now=AT).ok


# ---- found by review: expiry arithmetic, the 7-day limit, UNSIGNED-PAYLOAD ---------------------
@pytest.mark.parametrize("name, expires_key, date_key", [("aws4-default", "X-Amz-Expires", "X-Amz-Date"),
                                                          ("volc-cv", "X-Expires", "X-Date")])
def test_absurd_expiry_and_dates_are_answered_not_crashed(name, expires_key, date_key):
    s = SIGNERS[name]
    p = s.presign(_req(b""), CREDS, expires=300, at=AT).signed_request
    huge = _replace_query(p, f"{expires_key}=300", f"{expires_key}=99999999999999")
    v = s.verify(huge, LOOKUP, now=AT)
    assert not v.ok and v.code == ("AuthorizationQueryParametersError" if name == "aws4-default"
                                   else "InvalidParameter")
    assert v.status == 400 and "604800" in v.message
    far = _replace_query(p, f"{date_key}=20250101T120000Z", f"{date_key}=99991231T235959Z")
    assert s.verify(far, LOOKUP, now=AT).code in ("InvalidTimestamp", "SignatureDoesNotMatch")
    # a week and a second: refused even when correctly signed (the signer itself refuses to make it)
    with pytest.raises(ik.SigningError):
        s.presign(_req(b""), CREDS, expires=604801, at=AT)


@pytest.mark.parametrize("name", ["aws4-default", "volc-cv"])
def test_unsigned_payload_is_refused_outside_s3_and_oss4(name):
    s = SIGNERS[name]
    header = s.scheme.content_sha_header
    t = s.sign(_req().with_header(header, "UNSIGNED-PAYLOAD"), CREDS, at=AT)
    assert "UNSIGNED-PAYLOAD" in t.canonical_request          # the client signed the literal …
    swapped = t.signed_request.with_body(b'{"SessionKey":"other"}')
    for req in (t.signed_request, swapped):                    # … so the body could be swapped: refused
        v = s.verify(req, LOOKUP, now=AT)
        assert v.code == "SignatureDoesNotMatch" and "UNSIGNED-PAYLOAD" in v.message


def test_oss4_header_signatures_must_say_unsigned_payload():
    c = ik.Credentials("LTAIexample", "secretexample")
    req = ik.HttpRequest.build("PUT", "https://oss-cn-hangzhou.aliyuncs.com/bkt/k.txt", body=b"x")
    t = ik.oss.sign(req, c, "bkt", "k.txt", version=4, region="cn-hangzhou", at=AT)
    assert ik.oss.verify(t.signed_request, {c.access_key: c}, "bkt", "k.txt", region="cn-hangzhou", now=AT).ok
    hashed = t.signed_request.with_header("x-oss-content-sha256",
                                          "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881")
    v = ik.oss.verify(hashed, {c.access_key: c}, "bkt", "k.txt", region="cn-hangzhou", now=AT)
    assert (v.code, v.status) == ("InvalidArgument", 400) and "UNSIGNED-PAYLOAD" in v.message
    v = ik.oss.verify(t.signed_request.without_header("x-oss-content-sha256"), {c.access_key: c}, "bkt", "k.txt",
                      region="cn-hangzhou", now=AT)
    assert v.code == "InvalidArgument"


def test_oss4_presigned_by_the_generic_signer_verifies():
    c = ik.Credentials("LTAIexample", "secretexample")
    so = ik.Signer(ik.OSS4, region="cn-hangzhou", service="oss")
    tr = so.presign(ik.HttpRequest.build("GET", "http://127.0.0.1:9/bkt/k"), c, at=AT)
    assert so.verify(tr.signed_request, {c.access_key: c}, now=AT).ok
    assert ik.oss.verify(tr.signed_request, {c.access_key: c}, "bkt", "k", region="cn-hangzhou", now=AT).ok


def test_oss_v1_odd_expires_and_dates_are_answered():
    c = ik.Credentials("LTAIexample", "secretexample")
    lookup = {c.access_key: c}
    sup = ik.HttpRequest.build("GET", "https://bkt.oss-cn-hangzhou.aliyuncs.com/k?OSSAccessKeyId=LTAIexample&Expires=%C2%B2&Signature=x")
    assert ik.oss.verify(sup, lookup, "bkt", "k", now=AT).code == "AccessDenied"
    far = ik.HttpRequest.build("GET", "https://bkt.oss-cn-hangzhou.aliyuncs.com/k",
                               {"Date": "Wed, 01 Jan 99999999999 00:00:00 GMT", "Authorization": "OSS LTAIexample:x"})
    assert ik.oss.verify(far, lookup, "bkt", "k", now=AT).code == "AccessDenied"
    assert ik.diagnose(far, c, bucket="bkt").verdict in ("mismatch", "cannot-check")
