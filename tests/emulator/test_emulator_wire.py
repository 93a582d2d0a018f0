"""Wire-level hardening: TLS handshakes per connection, broken body framing, raw UTF-8 request
targets, JSON nested too deep and undecodable cookies — each answered with the route's own
envelope, never a 500, and never holding up other clients."""
from __future__ import annotations

import json
import re
import socket
import threading
from urllib.parse import quote

import pytest
import requests

import imgx_kit as ik
from imgx_kit.core import oss_sign
from imgx_kit.emulator.api import Emulator

from .helpers import send


def raw_exchange(emu, data: bytes) -> tuple[int, bytes]:
    """Send bytes as they are, read the whole answer: (status, body)."""
    with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b"".join(iter(lambda: s.recv(65536), b""))
    head, _, body = out.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _code(body: bytes) -> str:
    if body.startswith(b"<?xml"):
        return re.search(rb"<Code>([^<]+)</Code>", body).group(1).decode()
    doc = json.loads(body)
    if "ResponseMetadata" in doc:
        return doc["ResponseMetadata"]["Error"]["Code"]
    return str(doc.get("ret", doc.get("code")))


def test_tls_idle_connection_holds_up_no_one_and_stop_returns():
    emu = Emulator(tls=True).start()
    idle = socket.create_connection(("127.0.0.1", emu.port))       # never sends a ClientHello
    try:
        r = requests.get(emu.url + f"/{emu.demo_bucket}/x", verify=emu.ca_bundle, timeout=5)
        assert r.status_code == 403 and b"<Code>AccessDenied</Code>" in r.content
    finally:
        stopper = threading.Thread(target=emu.stop, daemon=True)
        stopper.start()
        stopper.join(timeout=5)
        idle.close()
    assert not stopper.is_alive() and not emu.running


_ROUTES = [  # (target, status, code of the route's own bad-request envelope)
    ("/imagex/?Action=CommitImageUpload&Version=2018-08-01", 400, "InvalidParameter"),
    ("/visual/?Action=CVProcess&Version=2022-08-31", 400, "InvalidParameter"),
    ("/jimeng/mweb/v1/get_upload_token", 200, "4002"),
    ("/upload/v1/tos-cn-i-x/abc", 400, "4000"),
    ("/imgx-demo/k.png", 400, "InvalidRequest"),
]
_FRAMINGS = [
    b"Content-Length: -5\r\n\r\n",
    b"Content-Length: abc\r\n\r\n",
    b"Content-Length: 1_0\r\n\r\n0123456789",
    b"Content-Length: 3\r\nContent-Length: 5\r\n\r\nabc",                   # two different lengths
    b"Content-Length: 10\r\n\r\nabc",                                     # the body ends early
    b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",            # size is not hex
    b"Transfer-Encoding: chunked\r\n\r\n-5\r\nabc\r\n0\r\n\r\n",            # negative size
    b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",               # no CRLF after the data
    b"Transfer-Encoding: chunked\r\n\r\n5\r\nab",                           # cut inside a chunk
    b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",                      # no last chunk
]


@pytest.mark.parametrize("target,status,code", _ROUTES, ids=[r[0].split("/")[1] for r in _ROUTES])
def test_broken_body_framing_is_the_routes_bad_request(emu, target, status, code):
    got = []
    for framing in _FRAMINGS:
        st, body = raw_exchange(emu, b"POST " + target.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                                b"Connection: close\r\n" + framing)
        got.append((st, _code(body)))
    assert got == [(status, code)] * len(_FRAMINGS)
    assert emu.errors == []


def test_raw_utf8_request_target_is_read_once(emu):
    key = "ü/é.png"
    req = ik.HttpRequest.build("PUT", f"{emu.url}/{emu.demo_bucket}/{quote(key)}",
                               [("Content-Type", "text/plain")], b"data")
    signed = oss_sign.sign(req, emu.demo_oss_credentials, emu.demo_bucket, key, version=1).signed_request
    head = f"PUT /{emu.demo_bucket}/".encode() + key.encode("utf-8") + b" HTTP/1.1\r\n"   # not %-escaped
    head += b"".join(f"{k}: {v}\r\n".encode() for k, v in signed.headers)
    status, body = raw_exchange(emu, head + b"Host: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndata")
    assert status == 200, body
    assert emu.state.bucket(emu.demo_bucket).objects[key].data == b"data"
    status, body = raw_exchange(emu, f"GET /{emu.demo_bucket}/".encode() + b"\xff.png HTTP/1.1\r\n"
                                b"Host: x\r\nConnection: close\r\n\r\n")
    assert (status, _code(body)) == (400, "InvalidRequest") and b"not UTF-8" in body
    assert emu.errors == []


def test_json_nested_too_deep_is_each_services_parameter_error(emu):
    deep = b"[" * 100000
    url = emu.endpoints.visual + "/?Action=CVProcess&Version=2022-08-31"
    req = ik.HttpRequest.build("POST", url, [("Content-Type", "application/json")], deep)
    r = send(ik.presets.VOLC_CV.sign(req, emu.demo_volc_credentials).signed_request)
    assert (r.status_code, r.json()["code"]) == (400, 50215)
    url = (emu.endpoints.imagex + "/?Action=CommitImageUpload&Version=2018-08-01"
           f"&ServiceId={emu.demo_service_id}")
    req = ik.HttpRequest.build("POST", url, [("Content-Type", "application/json")], deep)
    r = send(ik.presets.IMAGEX_OPENAPI.sign(req, emu.demo_volc_credentials).signed_request)
    assert (r.status_code, r.json()["ResponseMetadata"]["Error"]["Code"]) == (400, "InvalidParameter")
    r = requests.post(emu.endpoints.jimeng + "/mweb/v1/get_upload_token", data=deep,
                      cookies={"sessionid": emu.demo_sessionid}, timeout=10)
    assert (r.status_code, r.json()) == (200, {"ret": "4002", "errmsg": "param error"})
    assert emu.errors == []


def test_cookie_that_is_not_utf8_is_a_login_error(emu):
    status, body = raw_exchange(emu, b"POST /jimeng/mweb/v1/get_upload_token HTTP/1.1\r\nHost: x\r\n"
                                b"Cookie: sessionid=\xff\xfe\r\nContent-Length: 12\r\n"
                                b"Connection: close\r\n\r\n{\"scene\": 2}")
    assert (status, json.loads(body)) == (200, {"ret": "1015", "errmsg": "login error"})
    assert emu.errors == []
