"""AWS4 default policy == botocore SigV4Auth / SigV4QueryAuth, byte for byte, on awkward requests."""
from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import imgx_kit as ik

from .reference import botocore_sign
from .strategies import (
    bodies,
    encode_query,
    header_names,
    header_values,
    hosts,
    methods,
    mixed_case,
    paths,
    query_pairs,
    times,
    tokens,
)

pytestmark = pytest.mark.oracle
SETTINGS = settings(max_examples=500, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
EXTRA_HEADERS = st.lists(st.tuples(st.one_of(header_names, st.sampled_from(
    ["content-type", "Content-Type", "user-agent", "X-Amzn-Trace-Id", "Range", "accept", "Expect", "x-custom"])),
    header_values), max_size=5)


@st.composite
def requests(draw, with_body=True):
    host = draw(hosts)
    path = draw(paths)
    pairs = draw(query_pairs)
    q = encode_query(pairs)
    url = f"https://{host}{quote(path, safe='/%')}" if draw(st.booleans()) else f"https://{host}{path}"
    url += f"?{q}" if q else ""
    headers = [(mixed_case(k, draw(st.lists(st.booleans(), max_size=12))), v) for k, v in draw(EXTRA_HEADERS)]
    body = draw(bodies) if with_body else b""
    if with_body and draw(st.integers(0, 4)) == 0:
        headers.append(("X-Amz-Content-Sha256", hashlib.sha256(body).hexdigest()))
    return draw(methods), url, headers, body


@SETTINGS
@given(requests(), tokens, times, st.sampled_from([("us-east-1", "service"), ("cn-north-1", "imagex")]))
def test_sign_equals_botocore(r, token, when, scope):
    method, url, headers, body = r
    ref = botocore_sign(method, url, headers, body, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                        token, scope[0], scope[1], when)
    req = ik.HttpRequest.build(method, url, headers, body)
    creds = ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    t = ik.Signer(ik.AWS4, *scope).sign(req, creds, at=when)
    assert t.canonical_request == ref["canonical_request"]
    assert t.string_to_sign == ref["string_to_sign"]
    assert t.authorization == ref["authorization"]


@st.composite
def presign_requests(draw):
    method, url, headers, _ = draw(requests(with_body=False))
    base, _, q = url.partition("?")
    # botocore's presigner keeps one value per key and drops empty keys: give it what it can express
    seen, pairs = set(), []
    for piece in (p for p in q.split("&") if p):
        k = piece.partition("=")[0]
        if k and k not in seen:
            seen.add(k)
            pairs.append(piece)
    headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "x-amz-content-sha256")]
    return method, base + ("?" + "&".join(pairs) if pairs else ""), headers


@SETTINGS
@given(presign_requests(), tokens, times, st.integers(1, 604800))
def test_presign_equals_botocore(r, token, when, expires):
    method, url, headers = r
    ref = botocore_sign(method, url, headers, b"", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                        token, "us-east-1", "service", when, presign_expires=expires)
    req = ik.HttpRequest.build(method, url, headers)
    t = ik.Signer(ik.AWS4, "us-east-1", "service").presign(
        req, ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token), expires=expires, at=when)
    assert t.canonical_request == ref["canonical_request"]
    assert t.string_to_sign == ref["string_to_sign"]
    assert t.signed_request.url == ref["url"]
