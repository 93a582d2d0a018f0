"""Bad input gets an ImgxError subclass that says what was wrong and how to fix it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

import imgx_kit as ik

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)
CREDS = ik.Credentials("AK", "SK")
REQ = ik.HttpRequest.build("GET", "https://h/")


@pytest.mark.parametrize("call,error,words", [
    (lambda: ik.HttpRequest.build("GET", "/relative"), ik.RequestError, "absolute URL"),
    (lambda: ik.HttpRequest.build("GET", "ftp://h/x"), ik.RequestError, "not http or https"),
    (lambda: ik.HttpRequest.build("GET", "https:///nohost"), ik.RequestError, "no host"),
    (lambda: ik.HttpRequest.build("GET", "https://h/", {"X-A": 1}), ik.RequestError, "not a str"),
    (lambda: ik.HttpRequest.build("GET", "https://h/", {b"X": "v"}), ik.RequestError, "not a str"),
    (lambda: ik.HttpRequest.build("GET", "https://h/", {"X-A": "a\r\nInjected: 1"}), ik.RequestError, "CR, LF"),
    (lambda: ik.HttpRequest.build("GET", "https://h/", {"Bad Name": "v"}), ik.RequestError, "valid HTTP token"),
    (lambda: ik.HttpRequest.build("G ET", "https://h/"), ik.RequestError, "method"),
    (lambda: ik.HttpRequest.build("GET", "https://h/", body=123), ik.RequestError, "bytes or str"),
    (lambda: ik.Signer(ik.AWS4, "us-east-1", "s").sign(REQ, CREDS, at=datetime(2025, 1, 1)), ik.SigningError,
     "use an aware UTC datetime"),
    (lambda: ik.Signer(ik.AWS4, "", "s"), ik.SigningError, "region is empty"),
    (lambda: ik.Signer(ik.AWS4, "r", ""), ik.SigningError, "service is empty"),
    (lambda: ik.Signer("SIGV9", "r", "s"), ik.SchemeError, "unknown signing scheme"),
    (lambda: ik.Signer(ik.AWS4, "r", "s").presign(REQ, CREDS, expires=0, at=AT), ik.SigningError, "1…604800"),
    (lambda: ik.Signer(ik.AWS4, "r", "s").presign(REQ, CREDS, expires=604801, at=AT), ik.SigningError, "7 days"),
    (lambda: ik.Signer(ik.AWS4, "r", "s").presign(REQ, CREDS, expires="900", at=AT), ik.SigningError, "whole number"),
    (lambda: ik.Signer(ik.AWS4, "r", "s", ["Host"]), ik.SigningError, "lower case"),
    (lambda: ik.Signer(ik.AWS4, "r", "s").sign("GET /", CREDS), ik.SigningError, "HttpRequest"),
    (lambda: ik.Signer(ik.AWS4, "r", "s").sign(REQ, ("AK", "SK")), ik.CredentialsError, "Credentials"),
    (lambda: ik.Credentials("AK", " SK\n"), ik.CredentialsError, "whitespace"),
    (lambda: ik.Credentials("AK", 5), ik.CredentialsError, "must be a str"),
    (lambda: ik.Credentials.from_env("VOLC", environ={}), ik.CredentialsError, "VOLC_ACCESSKEY"),
    (lambda: ik.Credentials.from_env("NOPE", environ={}), ik.CredentialsError, "unknown credentials prefix"),
    (lambda: ik.oss.sign_url("bkt", "/k", "https://oss-cn-hangzhou.aliyuncs.com", CREDS, 60, version=4, region="r"),
     ik.SigningError, "starts with '/'"),
    (lambda: ik.oss.sign_url("b", "k", "https://oss-cn-hangzhou.aliyuncs.com", CREDS, 60, version=4), ik.SigningError,
     "region"),
    (lambda: ik.oss.sign_url("b", "k", "https://e", CREDS, 60, version=2), ik.SigningError, "version"),
    # found by review: each of these escaped as a raw TypeError/UnicodeError/OverflowError or was accepted
    (lambda: ik.HttpRequest.build("GET", "https://h:99999/"), ik.RequestError, "does not parse"),
    (lambda: ik.HttpRequest.build("GET", "https://my bucket.example.com/"), ik.RequestError, "host"),
    (lambda: ik.HttpRequest.build("GET", "https://h/\udc80"), ik.RequestError, "surrogate"),
    (lambda: ik.HttpRequest.build("POST", "https://h/", body="x\udc80"), ik.RequestError, "surrogate"),
    (lambda: ik.HttpRequest.build("GET", "https://h/", {"X-A": "\udc80"}), ik.RequestError, "surrogate"),
    (lambda: ik.HttpRequest.build("GET", "https://h/", headers=5), ik.RequestError, "mapping or a list"),
    (lambda: REQ.header(None), ik.RequestError, "header name must be a str"),
    (lambda: ik.Credentials("AK", "\udc80"), ik.CredentialsError, "surrogate"),
    (lambda: ik.Credentials("AK ID", "SK"), ik.CredentialsError, "space, tab or comma"),
    (lambda: ik.Credentials("AK", "SK", expires_at="tomorrow"), ik.CredentialsError, "must be a datetime"),
    (lambda: ik.Credentials("AK", "SK", expires_at=datetime(2025, 1, 1)), ik.CredentialsError, "naive"),
    (lambda: ik.Credentials.from_env(None), ik.CredentialsError, "prefix must be a str"),
    (lambda: ik.Signer(ik.AWS4, "r", "s", 5), ik.SigningError, "signed_headers must be"),
    (lambda: ik.Signer(ik.AWS4, "r", "s").sign(REQ, CREDS, at=datetime(1, 1, 1, tzinfo=__import__("datetime").timezone(
        __import__("datetime").timedelta(hours=1)))), ik.SigningError, "outside the years"),
    (lambda: ik.Signer(ik.AWS4, "r", "s").verify(REQ, {}, now=AT, max_skew="x"), ik.SigningError, "max_skew"),
    (lambda: ik.Signer(ik.AWS4, "r", "s").verify(ik.Signer(ik.AWS4, "r", "s").sign(REQ, CREDS, at=AT).signed_request,
                                                 [], now=AT), ik.CredentialsError, "lookup must be"),
    (lambda: ik.Signer(ik.AWS4, "r", "s").verify(ik.Signer(ik.AWS4, "r", "s").sign(REQ, CREDS, at=AT).signed_request,
                                                 lambda ak: "SK", now=AT), ik.CredentialsError, "not Credentials"),
    (lambda: ik.Signer(ik.AWS4, "r", "s").sign(REQ, CREDS, at=AT).diff(None), ik.SigningError,
     "SigningTrace or a mapping"),
    (lambda: ik.diagnose(REQ, budget_ms="x"), ik.DiagnoseError, "budget_ms"),
    (lambda: ik.oss.sign_url("evil.com/x", "k.png", "https://oss-cn-hangzhou.aliyuncs.com", CREDS, 60, version=4,
                             region="cn-hangzhou"), ik.SigningError, "not an OSS bucket name"),
    (lambda: ik.oss.sign_url("bkt", "k.png", "https://user@oss-cn-hangzhou.aliyuncs.com", CREDS, 60, version=1),
     ik.SigningError, "user name"),
    (lambda: ik.oss.sign_url("bkt", "k.png", "https://oss-cn-hangzhou.aliyuncs.com:99999", CREDS, 60, version=1),
     ik.SigningError, "bad port"),
    (lambda: ik.oss.sign_url("bkt", "k.png", 5, CREDS, 60, version=1), ik.SigningError, "endpoint must be a str"),
    (lambda: ik.oss.sign_url("bkt", "k.png", "https://e.com", CREDS, 60, version=4, region=5), ik.SigningError,
     "region"),
    (lambda: ik.oss.sign_url("bkt", "k.png", "https://e.com", CREDS, 60, version=1, params={"a": 1}), ik.SigningError,
     "pair of text"),
    (lambda: ik.oss.sign_url("bkt", "k.png", "https://e.com", CREDS, 60, version=1, params="a=1"), ik.SigningError,
     "dict or (name, value) pairs"),
    (lambda: ik.oss.sign_url("bkt", "k\udc80", "https://e.com", CREDS, 60, version=1), ik.SigningError, "surrogate"),
    (lambda: ik.oss.sign(REQ, CREDS, "bkt", "k", version=4, region="r", additional_headers=[None]), ik.SigningError,
     "additional_headers"),
    (lambda: ik.oss.verify(None, {}, "bkt", "k"), ik.SigningError, "HttpRequest"),
])
def test_bad_input_gets_a_clear_typed_error(call, error, words):
    with pytest.raises(error) as e:
        call()
    assert isinstance(e.value, ik.ImgxError)
    assert words in str(e.value)


def test_every_error_is_exported_at_the_top_level():
    for name in ik.core.errors.__all__:
        assert issubclass(getattr(ik, name), ik.ImgxError) or name == "ImgxError"


def test_fast_url_split_agrees_with_urlsplit():
    from urllib.parse import urlsplit

    from hypothesis import given, settings, strategies as st

    from imgx_kit.core.request import _check_url

    parts = st.text("abcXYZ019-._~!$&'()*+,;=:@/%?#é \t\r\n\x00", max_size=12)

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(st.sampled_from(["http", "https"]), st.sampled_from(["h", "Host.Example.COM", "h-1.x:8080", "127.0.0.1:0",
                                                                "u:p@h", "u@h:1", "[::1]:9"]),
           st.sampled_from(["/", "", "?", "#", ":", "@"]), parts, parts)
    def check(scheme, host, sep, path, rest):
        url = f"{scheme}://{host}{sep}{path}{rest}"
        try:
            expected = urlsplit(url)
            _ = expected.port
        except ValueError:
            return                                  # not a URL either parser accepts
        if (not expected.hostname or any(c in url for c in "\t\r\n\x00")
                or any(c.isspace() or c in '<>"{}|\\^`' for c in expected.netloc)):
            with pytest.raises(ik.RequestError):      # urlsplit drops them silently; we refuse
                _check_url(url)
            return
        assert _check_url(url) == expected

    check()


def test_uri_encode_equals_quote():
    from urllib.parse import quote

    from hypothesis import given, settings, strategies as st

    from imgx_kit.core.canonical import uri_encode

    ascii_text = st.text(st.characters(max_codepoint=127), max_size=40)   # the str.replace path
    reserved_heavy = st.text("%%/+ =&?#,:a~-_.", max_size=20)             # escapes of escapes

    @settings(max_examples=1500, deadline=None, derandomize=True)
    @given(st.one_of(st.text(), ascii_text, reserved_heavy), st.booleans())
    def check(text, keep_slash):
        assert uri_encode(text, keep_slash) == quote(text, safe="/~" if keep_slash else "-_.~")

    check()


def test_host_is_the_host_header_value():
    for url, host in [("https://EXAMPLE.com/a", "example.com"), ("https://example.com:443/a", "example.com"),
                      ("http://example.com:80/", "example.com"), ("http://example.com:8080/", "example.com:8080"),
                      ("https://user:pw@Example.com/", "example.com"), ("https://[::1]:9000/", "[::1]:9000")]:
        assert ik.HttpRequest.build("GET", url).host == host


def test_canonical_query_fast_path_equals_the_general_path():
    from hypothesis import given, settings, strategies as st

    from imgx_kit.core import canonical as C

    piece = st.text("ab-_.~=Z0", max_size=5)

    @settings(max_examples=500, deadline=None, derandomize=True)
    @given(st.lists(piece, max_size=6), st.sampled_from([ik.AWS4, ik.VOLC, ik.OSS4]))
    def check(pieces, scheme):
        raw = "&".join(pieces)
        assert C.canonical_query_raw(raw, scheme) == C.canonical_query(C.parse_query(raw), scheme)

    check()


def test_error_messages_never_repeat_a_secret_the_input_carried():
    token, sid = "STS2CANARYTOKENabcdef", "0123456789abcdef0123456789abcdef"
    calls = [lambda: ik.HttpRequest.build("GET", f"imagex.bytedanceapi.com/?X-Amz-Security-Token={token}"),
             lambda: ik.HttpRequest.build("GET", "https://h/", [("X-Security-Token", token.encode())]),
             lambda: ik.capture.from_raw_http(f"GET / HTTP/1.1\nHost: h\nCookie sessionid={sid}\n\n"),
             lambda: ik.capture.from_raw_http(f"GET /?X-Amz-Security-Token={token}\nHost: h\n\n"),
             lambda: ik.diagnose(ik.capture.from_curl(
                 "curl -X POST 'https://tos-hl-x.snssdk.com/upload/v1/x' "
                 "-H 'Authorization: SpaceKey/x/1/:version:v2:CANARYAUTHtokenAAAA'")),
             lambda: ik.Signer(ik.AWS4, "r", "s").sign(REQ, ik.Credentials("AK", "SK", token), at=datetime(2025, 1, 1))]
    for call in calls:
        with pytest.raises(ik.ImgxError) as e:
            call()
        text = str(e.value) + repr(e.value) + (e.value.hint or "")
        assert token not in text and sid not in text and "CANARYAUTHtoken" not in text, text


def test_scrub_masks_secret_looking_values_only():
    from imgx_kit.core.redact import scrub
    assert scrub("SignedHeaders lists x-security-token but the request lacks it") == \
        "SignedHeaders lists x-security-token but the request lacks it"
    assert scrub("Authorization: AWS4-HMAC-SHA256 Credential=AK/20250101/r/s/aws4_request, Signature=ab") == \
        "Authorization: AWS4-HMAC-SHA256 Credential=AK/20250101/r/s/aws4_request, Signature=ab"
    assert scrub("-H 'X-Amz-Security-Token STS2CANARYTOKENabcdef'") == "-H 'X-Amz-Security-Token STS2…(21 chars)'"
    assert scrub("'Cookie sessionid=0123456789abcdef0123456789abcdef'") == "'Cookie sessionid=0123…(32 chars)'"
    assert scrub(scrub("security-token=STS2CANARYTOKENabcdef")) == "security-token=STS2…(21 chars)"   # idempotent
