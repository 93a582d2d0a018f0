"""imgx-kit diagnose: --curl/--har/--raw, --response, exit codes 0/1/2, no secret in the output."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import imgx_kit as ik
from imgx_kit.cli import main
from imgx_kit.core.capture import to_curl

from imgx_testing import CANARY_SECRET, CANARY_TOKEN

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)
APPLY = "https://imagex.bytedanceapi.com/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId=tb4s082cfz"


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKTPexample")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    return ik.Credentials("AKTPexample", CANARY_SECRET, CANARY_TOKEN)


def _signed(creds, **kw):
    return ik.presets.JIMENG_IMAGEX.with_(**kw).sign(ik.HttpRequest.build("GET", APPLY), creds, at=AT).signed_request


def _run(capsys, *argv):
    code = main(["diagnose", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_valid_exit_0(tmp_path, env, capsys) -> None:
    f = tmp_path / "req.sh"
    f.write_text(to_curl(_signed(env)))
    code, out, _ = _run(capsys, "--curl", str(f), "--preset", "JIMENG_IMAGEX", "--now", "2025-01-01T00:00:00Z")
    assert code == 0 and "Diagnosis: VALID" in out
    assert CANARY_SECRET not in out and CANARY_TOKEN not in out


def test_mismatch_exit_1_with_causes(tmp_path, env, capsys) -> None:
    f = tmp_path / "req.sh"
    f.write_text(to_curl(_signed(env, region="us-east-1")))
    code, out, _ = _run(capsys, "--curl", str(f), "--preset", "JIMENG_IMAGEX", "--now", "2025-01-01T00:00:00Z")
    assert code == 1
    assert "1. [high] wrong-region" in out
    assert CANARY_SECRET not in out and CANARY_TOKEN not in out


def test_cannot_check_exit_2_without_credentials(tmp_path, env, capsys, monkeypatch) -> None:
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    f = tmp_path / "req.http"
    f.write_text(_signed(env).to_raw(redact=False).replace("\n", "\r\n"))
    code, out, _ = _run(capsys, "--raw", str(f), "--preset", "JIMENG_IMAGEX")
    assert code == 2
    assert "CANNOT-CHECK" in out and "not set" in out
    assert CANARY_TOKEN not in out


def test_har_with_response_json(tmp_path, env, capsys) -> None:
    req = _signed(env).with_url(APPLY + "&t=1")
    har = {"log": {"version": "1.2", "entries": [{"request": {
        "method": "GET", "url": req.url, "httpVersion": "HTTP/1.1",
        "headers": [{"name": k, "value": v} for k, v in req.headers], "queryString": [], "cookies": [],
        "headersSize": -1, "bodySize": 0}, "response": {}}]}}
    (tmp_path / "a.har").write_text(json.dumps(har))
    (tmp_path / "resp.json").write_text(json.dumps({"ResponseMetadata": {"Region": "cn-north-1", "Error": {
        "Code": "SignatureDoesNotMatch", "CodeN": 100010, "Message": "m"}}}))
    code, out, _ = _run(capsys, "--har", str(tmp_path / "a.har"), "--entry", "0", "--response",
                        str(tmp_path / "resp.json"), "--preset", "JIMENG_IMAGEX", "--now", "2025-01-01T00:00:00Z", "--json")
    data = json.loads(out)
    assert code == 1
    assert data["causes"][0]["id"] == "query-param-added-after-signing"
    assert data["server"]["code"] == "SignatureDoesNotMatch"
    assert CANARY_SECRET not in out and CANARY_TOKEN not in out


def test_errors_are_one_line_exit_2(tmp_path, env, capsys) -> None:
    f = tmp_path / "bad.sh"
    f.write_text("curl 'https://h/ -H 'x")
    code, _, err = _run(capsys, "--curl", str(f))
    assert code == 2 and err.startswith("imgx-kit diagnose: error:") and "Traceback" not in err
    f.write_text("curl https://h/?a=1")
    code, _, err = _run(capsys, "--curl", str(f))
    assert code == 2 and "carries no signature" in err
    code, _, err = _run(capsys, "--curl", str(tmp_path / "missing.sh"))
    assert code == 2 and "cannot read" in err
