"""SignatureLab: fields re-sign live, changed steps are highlighted, break-it buttons diagnose."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

import imgx_kit as ik
from imgx_kit.widgets import api
from imgx_kit.widgets.lab import FAULTS, SignatureLab

from imgx_testing import CANARY_SECRET, CANARY_TOKEN

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_default_lab_signs_the_cv_vector() -> None:
    lab = SignatureLab()
    assert lab.trace.signature == "137355fdb72bdc56a0211168810e28781c045e968667e0e718a5a7df74b52c88"
    assert lab.changed_steps == ()
    assert "canonical_request" in lab.w_trace.value


def test_edits_highlight_the_changed_steps() -> None:
    lab = SignatureLab()
    lab.set(region="cn-beijing")
    assert "credential_scope" in lab.changed_steps and "signature" in lab.changed_steps
    assert "canonical_request" not in lab.changed_steps
    assert "background:#fff3a0" in lab.w_trace.value
    lab.set(url="https://visual.volcengineapi.com/?Version=2022-08-31&Action=CVProcess&z=1")
    assert "canonical_query" in lab.changed_steps and "credential_scope" not in lab.changed_steps


def test_invalid_field_shows_an_error_and_keeps_the_last_trace() -> None:
    lab = SignatureLab()
    good = lab.trace
    lab.set(time="yesterday")
    assert "not ISO 8601" in lab.w_error.value
    assert lab.trace is good
    lab.set(time="2025-01-01T00:00:00Z")
    assert lab.w_error.value == ""


@pytest.mark.parametrize("fault", [f.id for f in FAULTS])
def test_break_it_names_the_fault(fault: str) -> None:
    lab = SignatureLab()
    d = lab.break_it(fault)
    assert d.causes[0].id == fault
    assert fault in lab.w_diag.value


def test_lab_from_a_captured_aws4_request_and_no_secret_shown() -> None:
    creds = ik.Credentials("AKTPexample", CANARY_SECRET, session_token=CANARY_TOKEN)
    apply = ik.HttpRequest.build("GET", "https://imagex.bytedanceapi.com/?Action=ApplyImageUpload&Version=2018-08-01")
    sent = ik.presets.JIMENG_IMAGEX.sign(apply, creds, at=AT).signed_request
    lab = SignatureLab(request=sent, credentials=creds)
    assert (lab.signer.scheme.name, lab.signer.service, lab.at) == ("AWS4", "imagex", AT)
    d = lab.break_it("wrong-region")
    assert d.causes[0].id == "wrong-region"
    shown = lab.w_trace.value + lab.w_diag.value + lab.w_headers.value
    assert CANARY_SECRET not in shown and CANARY_TOKEN not in shown


def test_unknown_fault_and_field() -> None:
    lab = SignatureLab()
    with pytest.raises(ik.ImgxError, match="unknown fault"):
        lab.break_it("nope")
    with pytest.raises(ik.ImgxError, match="no field"):
        lab.set(colour="red")


def test_api_module_exports() -> None:
    assert api.SignatureLab is SignatureLab
    from imgx_kit.widgets.painter import MaskPainter
    assert api.MaskPainter is MaskPainter


def test_a_typed_secret_is_not_demo_so_derived_keys_stay_masked() -> None:
    lab = SignatureLab()
    assert lab.trace.step("k_signing").value == lab.trace.derived_keys[3].hex()   # demo keys: shown
    lab.set(access_key="AKLTMYREALKEY", secret_key=CANARY_SECRET)
    assert lab.credentials.demo is False
    assert lab.trace.step("k_signing").value == "…(64 chars)"
    assert lab.trace.derived_keys[3].hex() not in lab.w_trace.value and CANARY_SECRET not in lab.w_trace.value


def test_fields_show_carried_secrets_masked_and_sign_the_real_values() -> None:
    sid = "0123456789abcdef0123456789abcdef"
    req = ik.HttpRequest.build("POST", "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31"
                               f"&security-token={CANARY_TOKEN}", [("Content-Type", "application/json"),
                                                                    ("Cookie", f"sessionid={sid}")], "{}")
    lab = SignatureLab(req, ik.Credentials("AKLTexample", CANARY_SECRET), at=AT)
    shown = lab.w_url.value + lab.w_headers.value
    assert sid not in shown and CANARY_TOKEN not in shown and "sessionid=0123…(32 chars)" in shown
    assert lab.request.header("Cookie") == f"sessionid={sid}" and lab.request.url == req.url   # the real values
    lab.set(region="cn-beijing")                                     # editing another field keeps them
    assert lab.request.header("Cookie") == f"sessionid={sid}" and CANARY_TOKEN in lab.request.url
