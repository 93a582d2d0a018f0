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
    (lambda: ik.oss.sign_url("b", "/k", "https://oss-cn-hangzhou.aliyuncs.com", CREDS, 60, version=4, region="r"),
     ik.SigningError, "starts with '/'"),
    (lambda: ik.oss.sign_url("b", "k", "https://oss-cn-hangzhou.aliyuncs.com", CREDS, 60, version=4), ik.SigningError,
     "region"),
    (lambda: ik.oss.sign_url("b", "k", "https://e", CREDS, 60, version=2), ik.SigningError, "version"),
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
        if not expected.hostname or any(c in url for c in "\t\r\n\x00"):
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
