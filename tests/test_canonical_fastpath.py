"""The canonical-encoding fast paths (a query or path already written as every SDK writes it is
sorted as it is, never decoded and encoded again) give exactly what the decode-then-encode
definition gives, on awkward input: lower-case hex, escaped unreserved characters, escaped '/',
'+', bad and truncated UTF-8, empty pieces and values. (The oracle tests check the definition
itself against botocore, the volcengine SDK and oss2.)"""
from __future__ import annotations

from urllib.parse import quote, unquote

from hypothesis import given, settings, strategies as st

from imgx_kit.core import canonical as C
from imgx_kit.core.scheme import AWS4, OSS4, VOLC

TEXT = st.text("aZ09-_.~ /+=&%é中!*'()", max_size=6)
ESCAPES = st.lists(st.sampled_from(["%41", "%2F", "%2f", "%FF", "%E4%B8", "%E4%B8%AD", "%7E", "%20", "a", "%3D"]),
                   max_size=3).map("".join)
COMPONENT = st.one_of(TEXT.map(lambda t: quote(t, safe="-_.~")), TEXT.map(lambda t: quote(t, safe="")),
                      TEXT.map(lambda t: quote(t).lower()), TEXT, ESCAPES)
PIECE = st.tuples(COMPONENT, COMPONENT, st.sampled_from(["kv", "k", "k="])).map(
    lambda t: {"kv": f"{t[0]}={t[1]}", "k": t[0], "k=": f"{t[0]}="}[t[2]])
QUERY = st.lists(st.one_of(PIECE, st.just("")), max_size=6).map("&".join)


@settings(max_examples=800, deadline=None, derandomize=True)
@given(QUERY)
def test_canonical_query_raw_equals_decode_then_encode(q):
    for scheme in (AWS4, VOLC, OSS4):
        assert C.canonical_query_raw(q, scheme) == C.canonical_query(C.parse_query(q), scheme)


@settings(max_examples=800, deadline=None, derandomize=True)
@given(st.lists(COMPONENT, max_size=4).map(lambda parts: "/" + "/".join(parts)))
def test_canonical_uri_equals_decode_then_encode(path):
    expected = "/" if path == "/" else C.uri_encode(unquote(path), keep_slash=True)
    for scheme in (VOLC, OSS4):
        assert C.canonical_uri(path, scheme) == expected
