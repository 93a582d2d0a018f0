"""Presets reproduce the vectors recorded from the real clients (protocols.md §2, oracles.md §2, §4)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import imgx_kit as ik

from imgx_testing import VECTORS

AT_2025 = datetime(2025, 1, 1, tzinfo=timezone.utc)
AT_2024 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_presets_are_signers():
    for p in (ik.presets.JIMENG_IMAGEX, ik.presets.VOLC_CV, ik.presets.IMAGEX_OPENAPI):
        assert isinstance(p, ik.Signer)
    assert ik.presets.VOLC_CV.scheme is ik.VOLC and ik.presets.VOLC_CV.service == "cv"
    assert ik.presets.IMAGEX_OPENAPI.service == "ImageX"
    assert ik.presets.JIMENG_IMAGEX.region == "cn-north-1"


def test_volc_cv_matches_the_sdk_vector():
    body = b'{"req_key": "i2i_inpainting", "binary_data_base64": ["AAAA", "BBBB"], "seed": 0}'
    req = ik.HttpRequest.build("POST", "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31",
                               [("Content-Type", "application/json")], body)
    t = ik.presets.VOLC_CV.sign(req, ik.Credentials("AKLTexample", "c2VjcmV0"), at=AT_2025)
    assert t.canonical_request == (
        "POST\n/\nAction=CVProcess&Version=2022-08-31\ncontent-type:application/json\n"
        "host:visual.volcengineapi.com\n"
        "x-content-sha256:6f88a0d3908c476682fd0875c57562ddceabd2fb1f600a6ec54aeed52f1db19a\n"
        "x-date:20250101T000000Z\n\ncontent-type;host;x-content-sha256;x-date\n"
        "6f88a0d3908c476682fd0875c57562ddceabd2fb1f600a6ec54aeed52f1db19a")
    assert t.authorization == (
        "HMAC-SHA256 Credential=AKLTexample/20250101/cn-north-1/cv/request, "
        "SignedHeaders=content-type;host;x-content-sha256;x-date, "
        "Signature=137355fdb72bdc56a0211168810e28781c045e968667e0e718a5a7df74b52c88")


def test_jimeng_imagex_apply_and_commit_vectors():
    creds = ik.Credentials("AKTPexample", "secretexample", session_token="STS2token")
    apply = ik.HttpRequest.build(
        "GET", "https://imagex.bytedanceapi.com/?Action=ApplyImageUpload&Version=2018-08-01"
               "&ServiceId=tb4s082cfz&FileSize=12345&s=abc123xyz0")
    t = ik.presets.JIMENG_IMAGEX.sign(apply, creds, at=AT_2025)
    assert t.canonical_request == (
        "GET\n/\nAction=ApplyImageUpload&FileSize=12345&ServiceId=tb4s082cfz&Version=2018-08-01&s=abc123xyz0\n"
        "x-amz-date:20250101T000000Z\nx-amz-security-token:STS2token\n\n"
        "x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert t.signature == "17c45a15d60fb37c39f0982f1d0d31ecf164d4d8dfea748adf7bf31587673cd6"
    commit = ik.HttpRequest.build(
        "POST", "https://imagex.bytedanceapi.com/?Action=CommitImageUpload&Version=2018-08-01&ServiceId=tb4s082cfz",
        body=b'{"SessionKey":"sk-session"}')
    t = ik.presets.JIMENG_IMAGEX.sign(commit, creds, at=AT_2025)
    assert t.signed_headers == "x-amz-content-sha256;x-amz-date;x-amz-security-token"
    assert t.signature == "40dc8daa7e92278aadca9ee54c41bae59885d0f4f9dcffb6e9c4e4a8980d62d9"


AWS4_NPM = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/cn-north-1/imagex/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=e4fe9a9dce780825f46ea0fe7f2bed854b6b229a40697a8a3042cdf88253a5bc")


def test_npm_aws4_vector():
    """oracles.md §4: npm aws4 (and botocore) on an ImageX GET with a session token. The JIMENG_IMAGEX
    preset has the same scheme and scope; with aws4's header policy (host + the mandatory headers)
    it reproduces aws4's signature, and the botocore-style default does too."""
    req = ik.HttpRequest.build(
        "GET", "https://imagex.volcengineapi.com/?Action=GetImageUploadFile&Version=2018-08-01&ServiceId=abc123")
    creds = ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "EXAMPLE-SESSION-TOKEN")
    aws4_policy = ik.presets.JIMENG_IMAGEX.with_(signed_headers=("host",))
    assert aws4_policy.sign(req, creds, at=AT_2024).authorization == AWS4_NPM
    assert ik.Signer(ik.AWS4, "cn-north-1", "imagex").sign(req, creds, at=AT_2024).authorization == AWS4_NPM
    # the web app's own policy leaves host out: same scope, another (equally valid) signature
    web = ik.presets.JIMENG_IMAGEX.sign(req, creds, at=AT_2024)
    assert web.signed_headers == "x-amz-date;x-amz-security-token" and web.authorization != AWS4_NPM
    assert ik.presets.JIMENG_IMAGEX.verify(web.signed_request, {creds.access_key: creds}, now=AT_2024).ok


def _volc_cases():
    data = json.loads((VECTORS / "volcengine" / "oracle-generated.json").read_text())
    return data["common"], data["cases"]


COMMON, CASES = _volc_cases()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_volc_recorded_sdk_outputs(case):
    """The recorded outputs of PyPI volcengine 1.0.229 (our VOLC default policy's reference)."""
    from urllib.parse import quote
    q = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in case["query"])
    url = f"https://{case['host']}{quote(case['path'], safe='/~')}" + (f"?{q}" if q else "")
    headers = list(case["headers"].items())
    req = ik.HttpRequest.build(case["method"], url, headers, case["body"])
    creds = ik.Credentials(COMMON["ak"], COMMON["sk"], case.get("token") or None)
    at = datetime.strptime(COMMON["xdate"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    t = ik.Signer(ik.VOLC, COMMON["region"], COMMON["service"]).sign(req, creds, at=at)
    out = case["outputs"]["volcengine"]
    assert t.canonical_request == out["canonical_request"]
    assert t.authorization == out["authorization"]
