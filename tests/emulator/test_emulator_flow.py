"""The emulator as a whole: lifecycle, the Jimeng web seed flow, envelopes, teaching echo, faults,
log redaction, chunked uploads, CLI."""
from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

import imgx_kit as ik
from imgx_kit.emulator.api import Endpoints, running
from imgx_kit.emulator.faults import parse_fault_spec

from .helpers import crc, jimeng_apply, jimeng_commit, png_bytes, send, sts, upload_token


def test_running_publishes_endpoints_and_frees_the_port():
    with running(seed=0) as emu:
        port = emu.port
        u = f"http://127.0.0.1:{port}"
        assert emu.url == u
        ep = emu.endpoints
        assert isinstance(ep, Endpoints)
        roots = [ep.jimeng, ep.imagex, ep.upload, ep.visual, ep.oss]
        assert all(urlsplit(r).path == "" and r.startswith("http://127.0.0.1:") for r in roots)
        assert len(set(roots + [u])) == 6                           # one listener per service
        assert requests.get(u + "/__imgx__/endpoints").json() == ep.as_dict()
        assert emu.demo_volc_credentials.demo and emu.demo_oss_credentials.demo
        assert emu.demo_bucket == "imgx-demo" and emu.oss_region == "cn-hangzhou"
        assert emu.ca_bundle is None
    with socket.socket() as s:                      # the port is free again after stop()
        s.bind(("127.0.0.1", port))


def test_seed_flow_as_the_jimeng_web_app_does_it(emu):
    data = upload_token(emu)
    creds = sts(data)
    assert data["access_key_id"].startswith("AKTP") and data["session_token"].startswith("STS2")
    assert data["service_id"] == data["space_name"] == "tb4s082cfz"
    image = png_bytes(80, 60)
    r = send(jimeng_apply(emu, creds, data["service_id"], len(image)))
    assert r.status_code == 200, r.text
    addr = r.json()["Result"]["UploadAddress"]
    info = addr["StoreInfos"][0]
    assert info["StoreUri"].startswith("tos-cn-i-tb4s082cfz/") and len(info["StoreUri"].split("/")[1]) == 32
    assert addr["UploadHosts"] == [emu.upload_host]
    up = requests.post(f"http://{addr['UploadHosts'][0]}/upload/v1/{info['StoreUri']}", data=image,
                       headers={"Authorization": info["Auth"], "Content-CRC32": crc(image),
                                "Content-Type": "application/octet-stream"})
    assert up.status_code == 200 and up.json() == {"code": 2000, "message": "Success", "data": {"crc32": crc(image)}}
    assert up.headers["X-Tt-Logid"]
    r = send(jimeng_commit(emu, creds, data["service_id"], addr["SessionKey"]))
    assert r.status_code == 200, r.text
    res = r.json()["Result"]
    assert res["Results"] == [{"Uri": info["StoreUri"], "UriStatus": 2000}]
    meta = res["PluginResult"][0]
    assert (meta["ImageUri"], meta["ImageWidth"], meta["ImageHeight"], meta["ImageFormat"], meta["ImageSize"]) == \
        (info["StoreUri"], 80, 60, "png", len(image))
    assert r.json()["ResponseMetadata"]["Service"] == "imagex"
    assert len(r.json()["ResponseMetadata"]["RequestId"]) == 34


def test_commit_reports_2001_for_objects_never_uploaded(emu):
    data = upload_token(emu)
    creds = sts(data)
    r = send(jimeng_apply(emu, creds, data["service_id"], 10))
    key = r.json()["Result"]["UploadAddress"]["SessionKey"]
    uri = r.json()["Result"]["UploadAddress"]["StoreInfos"][0]["StoreUri"]
    r = send(jimeng_commit(emu, creds, data["service_id"], key))
    assert r.json()["Result"]["Results"] == [{"Uri": uri, "UriStatus": 2001}]
    assert r.json()["Result"]["PluginResult"] == []


def test_upload_checks_auth_and_crc(emu):
    data = upload_token(emu)
    r = send(jimeng_apply(emu, sts(data), data["service_id"], 5))
    info = r.json()["Result"]["UploadAddress"]["StoreInfos"][0]
    url = f"{emu.url}/upload/v1/{info['StoreUri']}"
    bad_auth = requests.post(url, data=b"hello",
                             headers={"Authorization": info["Auth"] + "x", "Content-CRC32": "3610a686"})
    assert bad_auth.status_code == 401 and bad_auth.json()["code"] == 4011
    bad_crc = requests.post(url, data=b"hello", headers={"Authorization": info["Auth"], "Content-CRC32": "3610a687"})
    assert bad_crc.status_code == 400 and bad_crc.json() == {"code": 4002, "message": "crc32 mismatch", "data": None}
    no_crc = requests.post(url, data=b"hello", headers={"Authorization": info["Auth"]})
    assert no_crc.status_code == 400 and no_crc.json()["code"] == 4001
    ok = requests.post(url, data=b"hello", headers={"Authorization": info["Auth"], "Content-CRC32": "3610A686"})
    assert ok.status_code == 200 and ok.json()["data"]["crc32"] == "3610a686"


def test_sdk_chunked_upload_init_parts_merge(emu):
    data = upload_token(emu)
    r = send(jimeng_apply(emu, sts(data), data["service_id"], 2500))     # FileSize: the parts' total
    info = r.json()["Result"]["UploadAddress"]["StoreInfos"][0]
    base = f"{emu.url}/{info['StoreUri']}"
    h = {"Authorization": info["Auth"]}
    init = requests.put(base + "?uploads", headers=h)
    assert init.status_code == 200 and init.json()["success"] == 0
    uid = init.json()["payload"]["uploadID"]
    parts = [b"a" * 1000, b"b" * 1500]
    crcs = []
    for i, p in enumerate(parts):
        r = requests.put(f"{base}?partNumber={i}&uploadID={uid}", data=p, headers={**h, "Content-CRC32": crc(p)})
        assert r.status_code == 200 and r.json()["success"] == 0, r.text
        crcs.append(crc(p))
    wrong = requests.put(f"{base}?uploadID={uid}", data=f"0:{crcs[1]},1:{crcs[0]}", headers=h)
    assert wrong.status_code == 400 and wrong.json()["success"] != 0
    merged = requests.put(f"{base}?uploadID={uid}", data=",".join(f"{i}:{c}" for i, c in enumerate(crcs)), headers=h)
    assert merged.status_code == 200 and merged.json()["payload"]["hash"] == crc(b"".join(parts))
    assert emu.state.slot(info["StoreUri"]).data == b"".join(parts)


def test_teaching_echo_and_strict_envelope(emu, strict_emu):
    for e, teaching in ((emu, True), (strict_emu, False)):
        data = upload_token(e)
        req = jimeng_apply(e, sts(data), data["service_id"], 5)
        tampered = req.with_url(req.url.replace("FileSize=5", "FileSize=6"))
        r = send(tampered)
        assert r.status_code == 401
        err = r.json()["ResponseMetadata"]["Error"]
        assert (err["CodeN"], err["Code"]) == (100010, "SignatureDoesNotMatch")
        assert err["Message"].startswith("The request signature we calculated does not match")
        if teaching:
            t = err["Teaching"]
            assert set(t) == {"Scheme", "CanonicalRequest", "StringToSign", "SignedHeaders", "Reason"}
            assert t["Scheme"] == "AWS4" and t["SignedHeaders"] == "x-amz-date;x-amz-security-token"
            assert "FileSize=6" in t["CanonicalRequest"].split("\n")[2]
            assert t["StringToSign"].startswith("AWS4-HMAC-SHA256\n")
            from imgx_kit.core.echo import parse_echo  # the client side reads it back
            echo = parse_echo(r.text)
            assert echo.code == "SignatureDoesNotMatch" and echo.canonical_request == t["CanonicalRequest"]
        else:
            assert "Teaching" not in err
        assert r.json()["ResponseMetadata"]["Region"] == "cn-north-1"


def test_log_masks_every_secret_but_the_demo_ones(emu):
    data = upload_token(emu)
    creds = sts(data)
    r = send(jimeng_apply(emu, creds, data["service_id"], 3))
    auth = r.json()["Result"]["UploadAddress"]["StoreInfos"][0]["Auth"]
    bad = jimeng_apply(emu, creds, data["service_id"], 3)
    send(bad.with_url(bad.url + "&x=1"))
    entry = emu.log[-1]
    assert entry.code == "SignatureDoesNotMatch" and entry.scheme == "AWS4"
    assert "x-amz-security-token:STS2" in entry.canonical_request
    text = repr(emu.log) + json.dumps([e.to_dict() for e in emu.log]) + "".join(e._repr_html_() for e in emu.log)
    for secret in (creds.secret_key, creds.session_token, auth, emu.demo_sessionid):
        assert secret not in text
    assert "/mweb/v1/get_upload_token" in repr(emu.log)


def test_bad_session_is_ret_1015_at_http_200(emu):
    r = requests.post(emu.endpoints.jimeng + "/mweb/v1/get_upload_token", json={"scene": 2},
                      cookies={"sessionid": "nope"})
    assert (r.status_code, r.json()) == (200, {"ret": "1015", "errmsg": "login error"})
    r = requests.post(emu.endpoints.jimeng + "/mweb/v1/get_upload_token", json={"scene": 2})
    assert r.json()["ret"] == "1015"
    r = requests.post(emu.endpoints.jimeng + "/mweb/v1/get_upload_token", json={"scene": 2},
                      cookies={"sid_tt": emu.demo_sessionid})
    assert r.json()["ret"] == "0"


def test_faults_status_throttle_reset_truncate_latency():
    with running(seed=3) as emu:
        emu.faults.add("jimeng", status=503, count=1)
        r = requests.post(emu.endpoints.jimeng + "/mweb/v1/get_upload_token", json={"scene": 2},
                          cookies={"sessionid": emu.demo_sessionid})
        assert r.status_code == 503 and r.json()["ret"] != "0"
        assert upload_token(emu)["access_key_id"]          # count=1: the next call passes
        emu.faults.add("imagex", throttle=True)
        r = requests.get(emu.endpoints.imagex + "/?Action=ApplyImageUpload&Version=2018-08-01")
        assert r.status_code == 429 and r.json()["ResponseMetadata"]["Error"]["Code"] == "FlowLimitExceeded"
        emu.faults.clear()
        emu.faults.add("visual", reset=True)
        with pytest.raises(requests.ConnectionError):
            requests.post(emu.endpoints.visual + "/?Action=CVProcess&Version=2022-08-31", data=b"{}")
        emu.faults.clear()
        emu.faults.add("oss", truncate=True)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            _ = requests.get(emu.endpoints.oss + "/imgx-demo/nothing").content   # reading the body must raise
        emu.faults.clear()
        emu.faults.add("*", latency=0.2)
        t = time.perf_counter()
        requests.get(emu.endpoints.oss + "/imgx-demo/nothing")
        assert time.perf_counter() - t >= 0.2
        emu.faults.clear()
        assert emu.faults.rules == () and [e.fault for e in emu.log][-1] == "latency 0.2s"
        assert emu.errors == []


def test_faults_are_deterministic_with_the_seed():
    def pattern(seed):
        with running(seed=seed) as emu:
            emu.faults.add("oss", status=500, rate=0.5)
            return [requests.get(emu.url + "/imgx-demo/x").status_code for _ in range(16)]
    a, b = pattern(7), pattern(7)
    assert a == b and set(a) == {500, 403}


def test_expire_tokens_gives_invalid_secret_token(emu):
    data = upload_token(emu)
    req = jimeng_apply(emu, sts(data), data["service_id"], 3)
    emu.faults.expire_tokens()
    r = send(req)
    assert r.status_code == 401
    err = r.json()["ResponseMetadata"]["Error"]
    assert err["Code"] == "InvalidSecretToken" and "expired" in err["Message"]


def test_fault_specs_and_cli_run():
    assert parse_fault_spec("visual:throttle:0.5") == {"route": "visual", "throttle": True, "rate": 0.5}
    assert parse_fault_spec("imagex:latency=0.3") == {"route": "imagex", "latency": 0.3, "rate": 1.0}
    with pytest.raises(ik.EmulatorError):
        parse_fault_spec("upload")
    from imgx_kit.cli import build_parser, emulator as cli_emulator
    args = build_parser().parse_args(["emulator", "--strict", "--fault", "upload:503:0.2"])
    assert args.teaching is False and args.port == 0
    stop = threading.Event()
    out: list[int] = []
    th = threading.Thread(target=lambda: out.append(cli_emulator.run(args, stop=stop)))
    th.start()
    time.sleep(0.3)
    stop.set()
    th.join(5)
    assert out == [0]


def test_running_works_from_a_thread_and_answers_unknown_routes_without_500(emu):
    r = requests.get(emu.url + "/")                      # OSS ListBuckets, unsigned
    assert r.status_code == 403 and b"<Code>AccessDenied</Code>" in r.content
    r = requests.get(emu.endpoints.jimeng + "/mweb/v1/other")
    assert r.status_code == 404


def test_ik_emulator_resolves_to_the_api_in_a_fresh_interpreter():
    import subprocess
    import sys
    code = ("import imgx_kit as ik\n"
            "with ik.emulator.running(seed=0) as emu:\n"
            "    print(type(emu).__name__, emu.endpoints.imagex.count('/') == 2)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "Emulator True", out.stderr


def test_set_time_pins_and_releases_the_clock():
    from datetime import datetime, timedelta, timezone

    import imgx_kit as ik
    with ik.emulator.running() as emu:
        at = datetime(2025, 1, 1, tzinfo=timezone.utc)
        emu.set_time(at)
        assert abs((emu.now() - at).total_seconds()) < 5
        emu.set_time(None)
        assert abs((emu.now() - datetime.now(timezone.utc)).total_seconds()) < 5
        try:
            emu.set_time(datetime(2025, 1, 1))
        except ik.EmulatorError as e:
            assert "aware" in str(e)
        else:
            raise AssertionError("a naive datetime was accepted")
        assert timedelta(0) == emu._offset
