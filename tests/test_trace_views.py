"""Traces and diffs show every step, make whitespace visible, and never show a secret."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import imgx_kit as ik

from imgx_testing import CANARY_SECRET, CANARY_TOKEN

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)
CREDS = ik.Credentials("AKIDCANARY00", CANARY_SECRET, CANARY_TOKEN)
REQ = ik.HttpRequest.build("POST", "https://imagex.bytedanceapi.com/a b/?Action=X&k=v%20w",
                           [("Content-Type", "application/json"), ("X-Spaced", "  a   b\tc ")], b'{"a": 1}')


def _secret_free(text: str) -> None:
    assert CANARY_SECRET not in text and CANARY_TOKEN not in text


@pytest.mark.parametrize("signer", [ik.Signer(ik.AWS4, "cn-north-1", "imagex"), ik.presets.VOLC_CV,
                                    ik.presets.JIMENG_IMAGEX], ids=["aws4", "volc", "jimeng"])
@pytest.mark.parametrize("mode", ["sign", "presign"])
def test_views_have_every_step_and_no_secret(signer, mode):
    t = signer.sign(REQ, CREDS, at=AT) if mode == "sign" else signer.presign(REQ, CREDS, expires=60, at=AT)
    names = [s.name for s in t.steps]
    assert names[:9] == ["canonical_uri", "canonical_query", "canonical_headers", "signed_headers", "payload_hash",
                         "canonical_request", "hashed_canonical_request", "credential_scope", "string_to_sign"]
    assert {"k_date", "k_region", "k_service", "k_signing", "signature"} <= set(names)
    assert names[-1] == ("signed_url" if mode == "presign" else "authorization")
    html = t._repr_html_()
    for s in t.steps:
        assert f"<b>{s.name}</b>" in html
    assert "·" in html and "↵" in html                       # spaces and newlines made visible
    assert "payload hash" in html and "canonical URI" in html      # canonical request labelled line by line
    assert ("canonical header" in html) == bool(t.canonical_headers)
    for view in (html, repr(t), json.dumps(t.to_dict()), str(t.steps), repr(t.signed_request)):
        _secret_free(view)
    # the token is signed (so it is in the raw canonical request) yet masked in every view of it
    assert CANARY_TOKEN in t.canonical_request + t.signed_request.url + str(t.signed_request.headers)
    assert "STS2…" in t.step("canonical_request").value + t.step("canonical_query").value


def test_derived_keys_hidden_unless_revealed_or_demo():
    t = ik.presets.VOLC_CV.sign(REQ, CREDS, at=AT)
    assert t.step("k_signing").value.startswith("…")
    r = ik.presets.VOLC_CV.sign(REQ, CREDS, at=AT, reveal=True)
    assert r.step("k_signing").value == r.derived_keys[3].hex()
    demo = ik.Credentials("AKLTDEMO", "demo-secret", demo=True)
    assert len(ik.presets.VOLC_CV.sign(REQ, demo, at=AT).step("k_date").value) == 64


def test_diff_finds_the_first_differing_step():
    a = ik.presets.VOLC_CV.sign(REQ, CREDS, at=AT)
    b = ik.presets.VOLC_CV.sign(REQ.with_url(REQ.url.replace("k=v%20w", "k=v+w")), CREDS, at=AT)
    same = a.diff(b)
    assert same.same and "identical" in repr(same)          # + and %20 both decode to a space
    c = ik.presets.VOLC_CV.sign(REQ.with_url(REQ.url.replace("k=v", "k=V")), CREDS, at=AT)
    d = a.diff(c)
    assert d.step == "canonical_query"
    assert d.differing[:2] == ("canonical_query", "canonical_request")
    assert ("replace", "v", "V") in d.opcodes
    html = d._repr_html_()
    assert "canonical_query" in html and "background" in html
    _secret_free(html + repr(d))
    echo = a.diff({"canonical_request": c.canonical_request, "string_to_sign": c.string_to_sign})
    assert echo.step == "canonical_request" and echo.line[0] == 3


def test_repr_of_credentials_and_request_hide_secrets():
    assert CANARY_SECRET not in repr(CREDS) and CANARY_TOKEN not in repr(CREDS)
    assert "AKID…NARY00"[-4:] in repr(CREDS) or "AKID" in repr(CREDS)
    r = REQ.with_header("Cookie", "sessionid=0123456789abcdef0123456789abcdef; other=1").with_header(
        "X-Amz-Security-Token", CANARY_TOKEN)
    text = repr(r) + r.to_raw() + r._repr_html_()
    assert "0123456789abcdef0123456789abcdef" not in text and CANARY_TOKEN not in text
    assert "other=1" in text
