"""OSS V1 and V4 signed URLs and header signatures == oss2, byte for byte."""
from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import imgx_kit as ik

from .reference import oss2_sign_header, oss2_sign_url
from .strategies import times

pytestmark = pytest.mark.oracle
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KEYS = st.text(string.ascii_letters + string.digits + " /+%-_.~!()'*,=&?#éü中文", min_size=1, max_size=20).filter(
    lambda k: not k.startswith(("/", "?")) and k.strip())   # oss2 refuses keys starting with '?' (strict mode)
PROCESSES = st.one_of(st.none(),
                      st.builds(lambda w, a: f"image/resize,w_{w}/rotate,{a}", st.integers(1, 4096),
                                st.integers(0, 360)),
                      st.sampled_from(["image/format,png", "image/info", "style/thumb",
                                       "image/resize,m_lfit,w_100,h_100/quality,q_80"]))
PARAMS = st.lists(st.tuples(st.sampled_from(["versionId", "response-content-type", "x-param", "acl"]),
                            st.text(string.ascii_letters + " /+", max_size=6)), max_size=2, unique_by=lambda kv: kv[0])
TOKENS = st.one_of(st.none(), st.text(string.ascii_letters + string.digits + "/+=", min_size=8, max_size=30))
ENDPOINTS = st.sampled_from(["https://oss-cn-hangzhou.aliyuncs.com", "http://127.0.0.1:9000"])
AK, SK = "LTAI5tEXAMPLEAK", "EXAMPLESECRET"


@pytest.mark.parametrize("version", [1, 4])
@SETTINGS
@given(key=KEYS, process=PROCESSES, params=PARAMS, token=TOKENS, endpoint=ENDPOINTS, when=times,
       expires=st.integers(1, 604800))
def test_sign_url_equals_oss2(version, key, process, params, token, endpoint, when, expires):
    all_params = ([("x-oss-process", process)] if process else []) + params
    ref_url, _ = oss2_sign_url(version, AK, SK, token, endpoint, "examplebucket", key, expires, all_params, when,
                               region="cn-hangzhou")
    t = ik.oss.sign_url("examplebucket", key, endpoint, ik.Credentials(AK, SK, token), expires=expires,
                        process=process, version=version, region="cn-hangzhou", params=params, at=when)
    assert t.signed_request.url == ref_url


HEADERS = st.lists(st.tuples(st.sampled_from(["Content-Type", "Content-MD5", "x-oss-meta-a", "X-Oss-Meta-B",
                                               "x-oss-storage-class", "Cache-Control", "x-other"]),
                             st.text(string.ascii_letters + string.digits + " /=-", max_size=10)),
                   max_size=4, unique_by=lambda kv: kv[0].lower())


@pytest.mark.parametrize("version", [1, 4])
@SETTINGS
@given(key=KEYS, method=st.sampled_from(["GET", "PUT", "HEAD", "DELETE"]), headers=HEADERS, params=PARAMS,
       token=TOKENS, when=times)
def test_header_signature_equals_oss2(version, key, method, headers, params, token, when):
    endpoint = "https://oss-cn-hangzhou.aliyuncs.com"
    ref = oss2_sign_header(version, AK, SK, token, endpoint, "examplebucket", key, method, headers, params, when,
                           region="cn-hangzhou")
    from urllib.parse import quote
    q = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" if v else quote(k, safe="") for k, v in params)
    url = ik.oss.object_url(endpoint, "examplebucket", key) + (f"?{q}" if q else "")
    t = ik.oss.sign(ik.HttpRequest.build(method, url, headers), ik.Credentials(AK, SK, token), "examplebucket", key,
                    version=version, region="cn-hangzhou", at=when)
    assert t.authorization == ref["authorization"]
