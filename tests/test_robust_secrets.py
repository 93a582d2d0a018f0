"""#15 L1–L5: secrets masked by one rule (core.redact) in every view, message, log and widget state.
A leak is any 8-character window of a canary, or its percent-encoded or base64 form."""
from __future__ import annotations

import json
import logging
import re
import subprocess
import sys

import pytest
from robust_cases import leaks

import imgx_kit as ik

from imgx_testing import CANARY_SECRET, CANARY_TOKEN, ROOT

PASSWORD = "CANARYpassWORD4242xyz"
CANARIES = [CANARY_SECRET, CANARY_TOKEN, PASSWORD]
BODY = json.dumps({"secret_access_key": CANARY_SECRET, "session_token": CANARY_TOKEN, "n": 1,
                   "Credentials": {"AccessKeySecret": CANARY_SECRET, "SecurityToken": CANARY_TOKEN,
                                   "SecretAccessKey": CANARY_SECRET, "SessionToken": CANARY_TOKEN}})
URL = "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31"


def _views(obj) -> str:
    out = [repr(obj), str(obj)]
    if hasattr(obj, "_repr_html_"):
        out.append(obj._repr_html_())
    return "\n".join(out)


def _body_request() -> ik.HttpRequest:
    return ik.HttpRequest.build("POST", URL, [("Content-Type", "application/json")], BODY)


def test_l1_secret_json_fields_in_bodies_are_masked_in_every_view():
    req = _body_request()
    shown = [_views(req), req.to_raw(), ik.capture.to_curl(req, redact=True)]
    cap = ik.capture.parse_curl(ik.capture.to_curl(req))
    shown.append(_views(cap))
    creds = ik.Credentials("AKLTexample", "another-secret-key-000")
    d = ik.diagnose(ik.presets.VOLC_CV.sign(req, creds).signed_request, creds)
    shown += [_views(d), d.to_json()]
    from imgx_kit.services.calls import CallRecord
    rec = CallRecord.build("POST", URL, req.headers, req.body, json=json.loads(BODY))
    shown.append(_views(rec))
    text = "\n".join(shown)
    assert leaks(text, CANARIES) == []
    assert '"secret_access_key": "CANA…(34 chars)"' in ik.capture.to_curl(req, redact=True)
    assert ik.capture.from_curl(ik.capture.to_curl(req)) == req         # unredacted: re-sendable, unchanged


def test_l2_url_passwords_are_masked_in_reprs_messages_and_clients():
    url = f"https://user:{PASSWORD}@h.example.com/p"
    cap = ik.capture.parse_curl(f"curl '{url}'")
    shown = [_views(cap), _views(cap.request), cap.request.to_raw()]
    with pytest.raises(ik.ImgxError) as ei:
        ik.HttpRequest.build("GET", url + "\x00")
    shown.append(str(ei.value))
    with pytest.raises(ik.ImgxError) as ei:
        ik.HttpRequest.build("GET", f"ftp://user:{PASSWORD}@h/")
    shown.append(str(ei.value))
    with pytest.raises(ik.ImgxError) as ei:                     # the OSS client refuses userinfo, masked
        ik.oss.Client("bucket-x", f"https://user:{PASSWORD}@oss-cn-hangzhou.aliyuncs.com",
                      ik.Credentials("LTAIexample", CANARY_SECRET))
    shown.append(str(ei.value))
    text = "\n".join(shown)
    assert leaks(text, CANARIES) == []
    assert "user:****@h.example.com" in repr(cap)
    assert cap.request.url == url                                       # the request itself keeps it


def test_l3_urllib3_debug_logs_during_a_call_are_masked(emu_root, caplog):
    from imgx_kit.services.calls import Transport

    caplog.set_level(logging.DEBUG)
    t = Transport()
    req = ik.HttpRequest.build("GET", f"{emu_root}/upload?X-Amz-Security-Token={CANARY_TOKEN}&sig={CANARY_SECRET}")
    t.send(req, secrets=[CANARY_SECRET])
    urllib3_lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("/upload?" in line for line in urllib3_lines), urllib3_lines      # it did log the request line
    assert leaks("\n".join(r.getMessage() for r in caplog.records), CANARIES) == []
    # outside imgx-kit calls, other logging is untouched
    logging.getLogger("urllib3.connectionpool").debug("plain %s", "text")
    assert caplog.records[-1].getMessage() == "plain text"


def test_l4_signature_lab_keeps_secrets_out_of_widget_state():
    import ipywidgets as widgets

    from imgx_kit.widgets.lab import SignatureLab

    req = ik.HttpRequest.build("POST", URL + f"&X-Security-Token={CANARY_TOKEN}",
                               [("Content-Type", "application/json")], BODY)
    lab = SignatureLab(req, ik.Credentials("AKLTexample", CANARY_SECRET, session_token=CANARY_TOKEN))
    lab.w_sk.value = "typed-" + CANARY_SECRET                       # as typing in the field would
    lab.set(token=CANARY_TOKEN)

    def states(w) -> list[dict]:
        out = [w.get_state()]
        for child in getattr(w, "children", ()) or ():
            out += states(child)
        return out

    every = [lab, *_descendants(lab)]
    assert all(isinstance(w, widgets.Widget) for w in every)
    text = json.dumps([st for w in every for st in states(w)], default=str)
    assert leaks(text, CANARIES) == []
    assert lab.credentials.secret_key == "typed-" + CANARY_SECRET and lab.credentials.session_token == CANARY_TOKEN
    assert lab.trace is not None and lab.w_sk.value == ""
    assert CANARY_SECRET in lab.request.body.decode()                # the body signed is the real one


def _descendants(w) -> list:
    out = []
    for c in getattr(w, "children", ()) or ():
        out += [c, *_descendants(c)]
    return out


def test_l5_readme_first_look_prints_no_token():
    text = (ROOT / "README.md").read_text()
    code = re.search(r"## A first look\n\n```python\n(.*?)```", text, re.DOTALL).group(1)
    out = subprocess.run([sys.executable, "-c", code + "\nprint(repr(t))"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert "x-amz-security-token:STS2…(11 chars)" in out and "STS2example" not in out


def test_redact_text_derives_the_forms_once_per_secret_set(monkeypatch):
    import base64

    from imgx_kit.core import redact

    secret, other = "ONCE" + CANARY_SECRET, "ONCE" + CANARY_TOKEN
    derived: list[str] = []
    original = redact._forms_of

    def counting(s):
        derived.append(s)
        return original(s)

    monkeypatch.setattr(redact, "_forms_of", counting)
    for _ in range(1000):
        redact.redact_text(f"a {secret} b", [secret, other])
    assert derived.count(secret) == 1 and derived.count(other) == 1
    assert redact.redact_text(base64.b64encode(CANARY_SECRET.encode()).decode(), [CANARY_SECRET]).startswith("CANA…")


@pytest.fixture(scope="module")
def emu_root():
    from imgx_kit.emulator.api import running

    with running(seed=0) as e:
        yield e.url.rstrip("/") if hasattr(e, "url") else e.endpoints.imagex.rstrip("/")


def test_percent_encoded_forms_agree_with_urllib():
    from urllib.parse import quote, quote_plus

    from hypothesis import given, settings, strategies as st

    from imgx_kit.core.redact import _NOT_UNRESERVED, _NOT_UNRESERVED_OR_SLASH, _pct

    @settings(max_examples=300, deadline=None, database=None)
    @given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
    def agree(s):
        raw = s.encode("utf-8")
        assert _pct(_NOT_UNRESERVED, raw) == quote(s, safe="")
        assert _pct(_NOT_UNRESERVED_OR_SLASH, raw) == quote(s, safe="/")
        assert _pct(_NOT_UNRESERVED, raw).replace("%20", "+") == quote_plus(s, safe="")

    agree()
