"""CallRecord, the timeline view and HAR export: exact values, secrets masked."""
from __future__ import annotations

import json

import pytest

from imgx_kit.services.calls import CallRecord, Calls, calls_html, redact_json, to_har

SID = "0123456789abcdef0123456789abcdef"
AUTH = "SpaceKey/canary/1/:version:v2:CANARYauthTOKENvalue"


def rec(**kw):
    base = dict(headers=[("Cookie", f"sessionid={SID}"), ("Authorization", AUTH), ("Content-CRC32", "3610a686")],
                body=b'{"scene":2}', status=200, json={"data": {"session_token": "STS2abcdefghijkl", "n": 1}},
                elapsed=0.012, attempt=2, label="get_upload_token", started=1_700_000_000.0)
    base.update(kw)
    return CallRecord.build("POST", "https://h.example/mweb/v1/get_upload_token?aid=513695", **base)


def test_record_fields_are_redacted():
    r = rec()
    assert r.method == "POST"
    assert r.url == "https://h.example/mweb/v1/get_upload_token?aid=513695"
    assert dict(r.request_headers)["Cookie"] == "sessionid=0123…(32 chars)"
    assert dict(r.request_headers)["Authorization"] == "Spac…(50 chars)"
    assert dict(r.request_headers)["Content-CRC32"] == "3610a686"
    assert r.json == {"data": {"session_token": "STS2…(16 chars)", "n": 1}}
    assert r.body_preview == '{"scene":2}' and r.body_size == 11
    assert r.status == 200 and r.attempt == 2 and r.ok
    assert SID not in repr(r) + r._repr_html_() and AUTH not in repr(r) + r._repr_html_()


def test_known_secrets_replaced_everywhere():
    r = CallRecord.build("GET", "https://h/?x=TOPSECRETVALUE", [("X-Thing", "TOPSECRETVALUE")],
                         secrets=["TOPSECRETVALUE"], json={"echo": "a TOPSECRETVALUE b"}, status=401)
    blob = repr(r) + r._repr_html_() + json.dumps(to_har([r])) + json.dumps(r.to_dict())
    assert "TOPSECRETVALUE" not in blob
    assert r.json == {"echo": "a TOPS…(14 chars) b"}


def test_redact_json_nested_and_long_strings():
    doc = {"Auth": AUTH, "list": [{"secret_access_key": "abcdefghijklmnop"}], "b64": "A" * 5000}
    out = redact_json(doc)
    assert out["Auth"] == "Spac…(50 chars)"
    assert out["list"][0]["secret_access_key"] == "abcd…(16 chars)"
    assert out["b64"] == "A" * 64 + "…(5000 chars)"


def test_error_record():
    r = CallRecord.build("PUT", "https://h/x", error="connection reset by the server", attempt=3)
    assert not r.ok and r.outcome == "connection reset by the server" and r.status is None
    assert r.summary() == "PUT /x -> connection reset by the server (0 ms, attempt 3)"


def test_har_shape():
    h = to_har([rec(), CallRecord.build("GET", "https://h/?Action=ApplyImageUpload&s=1", error="timeout (ReadTimeout)",
                                         started=1_700_000_001.0)])
    log = h["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "imgx-kit"
    e0, e1 = log["entries"]
    assert e0["startedDateTime"] == "2023-11-14T22:13:20.000Z"
    assert e0["request"]["method"] == "POST" and e0["request"]["bodySize"] == 11
    assert e0["request"]["queryString"] == [{"name": "aid", "value": "513695"}]
    assert e0["request"]["postData"]["text"] == '{"scene":2}'
    assert e0["response"]["status"] == 200 and e0["time"] == 12.0 and e0["_attempt"] == 2
    assert {"name": "Cookie", "value": "sessionid=0123…(32 chars)"} in e0["request"]["headers"]
    assert e1["response"]["status"] == 0 and e1["response"]["statusText"] == "timeout (ReadTimeout)"
    assert e1["request"]["queryString"][0] == {"name": "Action", "value": "ApplyImageUpload"}
    assert SID not in json.dumps(h) and AUTH not in json.dumps(h)


def test_calls_list_views():
    c = Calls([rec(attempt=1), rec(attempt=2, status=503, started=1_700_000_000.5)])
    assert c.retries == 1
    assert repr(c).splitlines()[1].strip() == "1. POST get_upload_token -> HTTP 200 (12 ms)"
    html = c._repr_html_()
    timeline = html.split("<details>")[0]               # the table; each call in full is folded below it
    assert html == calls_html(c) and timeline.count("<tr>") == 3 and "HTTP 503" in timeline
    assert "attempt 2" in timeline and "2 calls, 1 retry" in timeline
    assert calls_html([]) == "<div><i>no calls</i></div>"
    assert c.to_har()["log"]["entries"][1]["response"]["status"] == 503


def test_record_action_and_header():
    r = CallRecord.build("GET", "https://h/imagex/?Action=CommitImageUpload&Version=2018-08-01",
                         response_headers={"X-Tt-Logid": "L1"}, status=200)
    assert r.action == "CommitImageUpload" and r.path == "/imagex/" and r.header("x-tt-logid") == "L1"
    with pytest.raises(AttributeError):  # frozen dataclass: FrozenInstanceError is an AttributeError
        r.status = 3
