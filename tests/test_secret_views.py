"""Secrets stay masked in every view of a trace, an echo, a diagnosis and a call record — also in
their percent-encoded forms, when signed in a header or cookie, and when a view cuts long text."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import quote

import pytest

import imgx_kit as ik
from imgx_kit.core.echo import parse_echo
from imgx_kit.services.calls import CallRecord

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)
TOKEN = "STS2CANARY/TOK+EN=abc==" + "Q1w2E3r4" * 12         # real STS tokens are long base64: '/', '+', '='
SID = "0123456789abcdef0123456789abcdef"
CREDS = ik.Credentials("AKIDCANARY", "CANARYSECRETxyz123456789", session_token=TOKEN)
URL = "https://imagex.bytedanceapi.com/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId=x"


def forms(secret: str) -> list[str]:
    """The secret, its percent-encoded forms and any 12-character piece of it."""
    pieces = [secret[i:i + 12] for i in range(0, len(secret) - 12, 6)]
    return [secret, quote(secret, safe=""), quote(secret, safe="/"), *pieces]


def shown(*texts: str, secrets=(TOKEN, CREDS.secret_key, SID)) -> list[str]:
    text = "\n".join(texts)
    return [f for s in secrets for f in forms(s) if f in text]


def views(t) -> tuple[str, ...]:
    return repr(t), t._repr_html_(), t.to_json(), repr(t.steps)


@pytest.mark.parametrize("signer", [ik.presets.JIMENG_IMAGEX, ik.presets.VOLC_CV, ik.presets.IMAGEX_OPENAPI],
                         ids=lambda s: s.name)
def test_presigned_traces_mask_the_encoded_token(signer):
    t = signer.presign(ik.HttpRequest.build("GET", URL), CREDS, expires=900, at=AT)
    assert quote(TOKEN, safe="") in t.canonical_query        # the raw field is what was signed …
    assert shown(*views(t)) == []                             # … every view masks it
    other = signer.presign(ik.HttpRequest.build("GET", URL + "&s=1"), CREDS, expires=900, at=AT)
    assert shown(repr(t.diff(other)), t.diff(other)._repr_html_()) == []


def test_oss4_signed_url_masks_the_encoded_token():
    t = ik.oss.sign_url("bkt", "k.png", "https://oss-cn-hangzhou.aliyuncs.com", CREDS, 600, version=4,
                        region="cn-hangzhou", at=AT)
    assert shown(*views(t)) == []


@pytest.mark.parametrize("name, value", [("Cookie", f"sessionid={SID}; sid_tt={SID}"),
                                         ("X-Security-Token", TOKEN), ("X-Acs-Security-Token", TOKEN)])
def test_secrets_the_request_signed_itself_are_masked(name, value):
    req = ik.HttpRequest.build("GET", URL, [(name, value)])
    canary = ik.Credentials("AKIDCANARY", "CANARYSECRETxyz123456789")
    t = ik.Signer(ik.AWS4, "cn-north-1", "imagex").sign(req, canary, at=AT)
    assert name.lower() in t.signed_headers                  # botocore's policy signs it
    assert shown(*views(t)) == []
    d = ik.diagnose(t.signed_request, ik.Credentials("AKIDCANARY", "CANARYSECRETxyz123456789"))
    assert shown(repr(d), d._repr_html_(), json.dumps(d.to_dict())) == []


def test_echo_views_mask_before_they_cut():
    cr = f"GET\n/\nAction=X\nx-amz-date:20250101T000000Z\nx-amz-security-token:{TOKEN}\n\nhost;x\nabc"
    body = json.dumps({"ResponseMetadata": {"Error": {"Code": "SignatureDoesNotMatch", "Message": "no",
                                                       "Teaching": {"CanonicalRequest": cr, "StringToSign": "s"}}}})
    echo = parse_echo(body, 401)
    assert echo.canonical_request == cr and shown(repr(echo), echo._repr_html_()) == []   # token header line scrubbed
    masked = echo.masking(CREDS.secrets())
    assert masked["canonical_request"] == cr and shown(repr(masked), masked._repr_html_()) == []


def test_call_records_mask_before_they_cut():
    xml = ("<Error><Code>SignatureDoesNotMatch</Code><StringToSign>" + "z" * 370 +
           f"x-oss-security-token:{TOKEN}</StringToSign></Error>").encode()
    rec = CallRecord.build("GET", URL, [], b"", secrets=CREDS.secrets(), status=403, content=xml)
    assert shown(rec.response_preview, repr(rec), rec._repr_html_()) == []
