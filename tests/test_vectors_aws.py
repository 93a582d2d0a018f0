"""Every case of both published AWS SigV4 suites, header and presigned forms, byte for byte."""
from __future__ import annotations

from datetime import datetime

import pytest

import imgx_kit as ik
import imgx_kit.core.canonical

from imgx_testing import AWS_AK, AWS_AT, AWS_SK
from vectors import classic_cases, parse_raw, read, v4_cases, v4_context

SIGNER = ik.Signer(ik.AWS4, region="us-east-1", service="service")
CLASSIC = classic_cases()
V4 = v4_cases()


def test_suites_are_complete():
    assert len(CLASSIC) == 34
    assert len(V4) == 38


@pytest.mark.parametrize("name,case", CLASSIC, ids=[c[0] for c in CLASSIC])
def test_classic_suite(name, case):
    req = parse_raw(read(case, ".req"))
    creq = read(case, ".creq")
    token = None
    for line in creq.split("\n"):
        if line.startswith("x-amz-security-token:"):
            token = line.split(":", 1)[1]
    creds = ik.Credentials(AWS_AK, AWS_SK, session_token=token)
    t = SIGNER.sign(req, creds, at=AWS_AT)
    assert t.canonical_request == creq
    assert t.string_to_sign == read(case, ".sts")
    assert t.authorization == read(case, ".authz")
    # the signed request carries exactly the Authorization of the suite
    assert t.signed_request.header("Authorization") == read(case, ".authz")
    if name.endswith("post-sts-header-after"):
        # the token is added after signing: sign without it, then add the header
        sreq = parse_raw(read(case, ".sreq"))
        after = t.signed_request.with_header("X-Amz-Security-Token", sreq.header("X-Amz-Security-Token"))
        assert after.header("X-Amz-Security-Token").startswith("AQoDYXdzEPT")


def _v4_signer(ctx: dict) -> ik.Signer:
    return ik.Signer(ik.AWS4, ctx["region"], ctx["service"], normalize_path=ctx["normalize"],
                     content_sha256=True if ctx["sign_body"] else None)


def _v4_creds(ctx: dict) -> ik.Credentials:
    c = ctx["credentials"]
    tok = None if ctx.get("omit_session_token") else c.get("token")
    return ik.Credentials(c["access_key_id"], c["secret_access_key"], tok)


def _at(ctx: dict) -> datetime:
    return datetime.fromisoformat(ctx["timestamp"].replace("Z", "+00:00"))


@pytest.mark.parametrize("name,case", V4, ids=[c[0] for c in V4])
def test_v4_suite_header(name, case):
    ctx = v4_context(case)
    req = parse_raw((case / "request.txt").read_text())
    t = _v4_signer(ctx).sign(req, _v4_creds(ctx), at=_at(ctx))
    assert t.canonical_request == (case / "header-canonical-request.txt").read_text()
    assert t.string_to_sign == (case / "header-string-to-sign.txt").read_text()
    assert t.signature == (case / "header-signature.txt").read_text().strip()
    signed = parse_raw((case / "header-signed-request.txt").read_text().rstrip("\n") + "\n\n")
    assert t.authorization == signed.header("Authorization").strip()


@pytest.mark.parametrize("name,case", V4, ids=[c[0] for c in V4])
def test_v4_suite_presigned(name, case):
    ctx = v4_context(case)
    req = parse_raw((case / "request.txt").read_text())
    t = _v4_signer(ctx).with_(content_sha256=None).presign(
        req, _v4_creds(ctx), expires=ctx["expiration_in_seconds"], at=_at(ctx))
    assert t.canonical_request == (case / "query-canonical-request.txt").read_text()
    assert t.string_to_sign == (case / "query-string-to-sign.txt").read_text()
    assert t.signature == (case / "query-signature.txt").read_text().strip()
    expected = parse_raw((case / "query-signed-request.txt").read_text().rstrip("\n") + "\n\n")
    url = t.signed_request.url
    if ctx.get("omit_session_token"):
        # the suite adds the token to the URL after signing: it is not part of the signature
        tok = ik.core.canonical.uri_encode(ctx["credentials"]["token"])
        url += f"&X-Amz-Security-Token={tok}"
        with_token = t.signed_request.query + f"&X-Amz-Security-Token={tok}"
        assert sorted(with_token.split("&")) == sorted(expected.query.split("&"))
        return
    # same parameters, same values (the suite lists SignedHeaders before Expires; botocore after)
    assert sorted(t.signed_request.query.split("&")) == sorted(expected.query.split("&"))
    assert t.signed_request.path == expected.path


def test_presigned_vectors_verify():
    """Every presigned vector URL verifies with our verifier at the signing time."""
    for name, case in V4:
        ctx = v4_context(case)
        req = parse_raw((case / "request.txt").read_text())
        creds = _v4_creds(ctx)
        signer = _v4_signer(ctx).with_(content_sha256=None)
        t = signer.presign(req, creds, expires=3600, at=_at(ctx))
        v = signer.verify(t.signed_request, {creds.access_key: creds}, now=_at(ctx))
        assert v.ok, (name, v)
