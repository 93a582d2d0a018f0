"""S3 mode (``ik.presets.S3``) == botocore ``S3SigV4Auth`` / ``S3SigV4QueryAuth``, byte for byte, on
random keys with spaces, ``+``, ``%``, unicode, ``//`` and ``.``/``..`` segments; and diagnose reads
S3 requests by the same rules (no false ``path-double-encoded``; presigned ``UNSIGNED-PAYLOAD`` valid)."""
from __future__ import annotations

import datetime
import string
from unittest import mock
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import imgx_kit as ik

AK, SK = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KEY_CHARS = string.ascii_letters + string.digits + " +%-_.~!$&'()*,;=:@" + "éü中文ሴ"
segments = st.one_of(st.text(KEY_CHARS, min_size=1, max_size=8), st.sampled_from([".", "..", ""]))
keys = st.lists(segments, min_size=1, max_size=5).map("/".join)
times = st.datetimes(min_value=datetime.datetime(2001, 1, 1), max_value=datetime.datetime(2035, 12, 31),
                     timezones=st.just(datetime.timezone.utc))
tokens = st.one_of(st.none(), st.text(string.ascii_letters + string.digits + "/+=", min_size=8, max_size=40))
query = st.lists(st.tuples(st.sampled_from(["versionId", "response-content-type", "partNumber", "x-id"]),
                           st.text(KEY_CHARS, max_size=6)), max_size=3, unique_by=lambda kv: kv[0])
headers = st.lists(st.tuples(st.sampled_from(["Content-Type", "x-amz-meta-title", "Range", "x-amz-acl"]),
                             st.text(string.ascii_letters + " /=;-", min_size=1, max_size=12)),
                   max_size=3, unique_by=lambda kv: kv[0].lower())


def botocore_s3(method, url, hdrs, body, token, region, when, expires=None):
    from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders
    from botocore.credentials import Credentials

    seen = {}

    def capture(cls):
        class Capturing(cls):
            def string_to_sign(self, request, canonical_request):
                seen["cr"] = canonical_request
                seen["sts"] = super().string_to_sign(request, canonical_request)
                return seen["sts"]
        return Capturing

    hh = HTTPHeaders()
    for k, v in hdrs:
        hh.add_header(k, v)
    req = AWSRequest(method=method, url=url, data=body)
    req.headers = hh
    creds = Credentials(AK, SK, token)
    signer = (capture(S3SigV4QueryAuth)(creds, "s3", region, expires=expires) if expires
              else capture(S3SigV4Auth)(creds, "s3", region))
    naive = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=naive):
        signer.add_auth(req)
    return seen["cr"], seen["sts"], req


def s3_url(key: str, pairs) -> str:
    # botocore's serializer writes S3 keys with quote(key, safe="/~")
    q = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    return f"https://examplebucket.s3.us-west-2.amazonaws.com/{quote(key, safe='/~')}" + (f"?{q}" if q else "")


@pytest.mark.oracle
@SETTINGS
@given(keys, query, headers, st.binary(max_size=32), tokens, times,
       st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]))
def test_s3_sign_equals_botocore(key, pairs, hdrs, body, token, when, method):
    url = s3_url(key, pairs)
    cr, sts, ref = botocore_s3(method, url, hdrs, body, token, "us-west-2", when)
    t = ik.presets.s3("us-west-2").sign(ik.HttpRequest.build(method, url, hdrs, body),
                                        ik.Credentials(AK, SK, token), at=when)
    assert t.canonical_request == cr
    assert t.string_to_sign == sts
    assert t.authorization == ref.headers["Authorization"]
    assert t.signed_request.header("x-amz-content-sha256") == ref.headers["X-Amz-Content-SHA256"]


@pytest.mark.oracle
@SETTINGS
@given(keys, query, tokens, times, st.integers(1, 604800), st.sampled_from(["GET", "PUT"]))
def test_s3_presign_equals_botocore(key, pairs, token, when, expires, method):
    url = s3_url(key, pairs)
    cr, sts, ref = botocore_s3(method, url, [], b"", token, "us-west-2", when, expires=expires)
    t = ik.presets.s3("us-west-2").presign(ik.HttpRequest.build(method, url), ik.Credentials(AK, SK, token),
                                           expires=expires, at=when)
    assert t.canonical_request == cr
    assert t.string_to_sign == sts
    assert t.signed_request.url == ref.url
    assert cr.endswith("\nUNSIGNED-PAYLOAD")


@SETTINGS
@given(keys, times)
def test_diagnose_judges_botocore_s3_requests_valid(key, when):
    """A request botocore signed for S3 is valid by diagnose's S3 rules, header-signed or presigned."""
    url = s3_url(key, [])
    creds = ik.Credentials(AK, SK)
    _, _, signed = botocore_s3("PUT", url, [], b"data", None, "us-west-2", when)
    sent = ik.HttpRequest.build("PUT", url, list(signed.headers.items()), b"data")
    d = ik.diagnose(sent, creds, now=when)
    assert d.verdict == "valid", d
    assert not [c for c in d.causes if c.confidence in ("high", "medium")]
    _, _, pre = botocore_s3("GET", url, [], b"", None, "us-west-2", when, expires=600)
    d = ik.diagnose(ik.HttpRequest.build("GET", pre.url), creds, now=when)
    assert d.verdict == "valid", d


def test_s3_preset_is_botocore_s3_rules() -> None:
    assert ik.presets.S3.s3 and ik.Signer(ik.AWS4, "eu-west-1", "s3").s3
    assert not ik.Signer(ik.AWS4, "us-east-1", "execute-api").s3
    with pytest.raises(ik.ImgxError, match="AWS4"):
        ik.Signer(ik.VOLC, "cn-north-1", "cv", s3=True)


def test_s3_canonical_uri_is_the_path_as_sent() -> None:
    from imgx_kit.core.canonical import s3_canonical_uri
    assert s3_canonical_uri("/a%20b/./c//d/../e%2Bf") == "/a%20b/./c//d/../e%2Bf"
    assert s3_canonical_uri("/x%2fy") == "/x%2Fy"          # hex written upper-case
    assert s3_canonical_uri("/a+b") == "/a%20b"            # S3 reads a raw '+' in the path as a space
    assert s3_canonical_uri("/caf%C3%A9") == "/caf%C3%A9"
