"""Malformed requests get the service's real error, never a 500 with a traceback; and the local
inpainting backend (deterministic, pluggable, mask respected)."""
from __future__ import annotations

import base64
import io
import json
import socket

import numpy as np
import pytest
import requests
from PIL import Image

import imgx_kit as ik
from imgx_kit.emulator.api import running
from imgx_kit.emulator.inpaint import InpaintParams, opencv_backend

from .helpers import inpaint_inputs, png_bytes, send, sts, upload_token


def cv_call(emu, body, *, action="CVProcess", version="2022-08-31", content_type="application/json",
            raw: bytes | None = None):
    url = f"{emu.endpoints.visual}/?Action={action}&Version={version}"
    data = raw if raw is not None else json.dumps(body).encode()
    req = ik.HttpRequest.build("POST", url, [("Content-Type", content_type)], data)
    return send(ik.presets.VOLC_CV.sign(req, emu.demo_volc_credentials).signed_request)


def b64png(arr: np.ndarray, mode: str | None = None) -> str:
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


class _Raw:
    def __init__(self, resp):
        self.status_code, self.headers = resp.status, dict(resp.getheaders())
        self.text = resp.read().decode()

    def json(self):
        return json.loads(self.text)


def raw_get(emu, target: str) -> _Raw:
    """GET with the target exactly as written (requests would remove the dot segments)."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    conn.request("GET", target)
    try:
        return _Raw(conn.getresponse())
    finally:
        conn.close()


def _cases(emu):
    ib, mb, _img, _mask = inpaint_inputs(32, 32)
    other = b64png(np.zeros((16, 16), np.uint8), "L")
    grey = b64png(np.dstack([np.full((32, 32), 128, np.uint8)] * 2 + [np.full((32, 32), 160, np.uint8)]))
    colour = b64png(np.dstack([np.zeros((32, 32), np.uint8), np.full((32, 32), 255, np.uint8),
                               np.zeros((32, 32), np.uint8)]))
    good = {"req_key": "i2i_inpainting", "binary_data_base64": [ib, mb]}
    return [
        ("bad JSON", lambda: cv_call(emu, None, raw=b"{not json"), 400, 50215),
        ("bad base64", lambda: cv_call(emu, dict(good, binary_data_base64=["!!notb64", mb])), 400, 50215),
        ("data URL prefix", lambda: cv_call(emu, dict(good, binary_data_base64=["data:image/png;base64," + ib, mb])),
         400, 50215),
        ("mask of another size", lambda: cv_call(emu, dict(good, binary_data_base64=[ib, other])), 400, 50215),
        ("tinted mask (beyond the JPEG tolerance)", lambda: cv_call(emu, dict(good, binary_data_base64=[ib, grey])),
         400, 50215),
        ("colour mask", lambda: cv_call(emu, dict(good, binary_data_base64=[ib, colour])), 400, 50215),
        ("one input only", lambda: cv_call(emu, dict(good, binary_data_base64=[ib])), 400, 50215),
        ("not an image", lambda: cv_call(emu, dict(good, binary_data_base64=[base64.b64encode(b"hello").decode(), mb])),
         400, 50215),
        ("strength out of range", lambda: cv_call(emu, dict(good, strength=1.5)), 400, 50215),
        ("steps not an int", lambda: cv_call(emu, dict(good, steps="30")), 400, 50215),
        ("unknown req_key", lambda: cv_call(emu, dict(good, req_key="nope")), 400, 50215),
        ("wrong content type", lambda: cv_call(emu, good, content_type="text/plain"), 400, 50215),
        ("huge body", lambda: requests.post(f"{emu.endpoints.visual}/?Action=CVProcess&Version=2022-08-31",
                                            data=b"x" * (emu.max_body_visual + 1)), 400, 50215),
        ("missing Action", lambda: requests.get(f"{emu.endpoints.imagex}/?Version=2018-08-01"),
         400, "MissingParameter"),
        ("unknown Action", lambda: requests.get(f"{emu.endpoints.imagex}/?Action=Nope&Version=2018-08-01"),
         404, "InvalidActionOrVersion"),
        ("wrong Version", lambda: cv_call(emu, good, version="2020-01-01"), 404, "InvalidActionOrVersion"),
        ("GET on CVProcess", lambda: requests.get(f"{emu.endpoints.visual}/?Action=CVProcess&Version=2022-08-31"),
         405, "MethodNotAllowed"),
        ("no Authorization", lambda: requests.post(f"{emu.endpoints.visual}/?Action=CVProcess&Version=2022-08-31",
                                                   json=good),
         401, "MissingAuthenticationToken"),
        ("garbage Authorization", lambda: requests.get(
            f"{emu.endpoints.imagex}/?Action=ApplyImageUpload&Version=2018-08-01",
            headers={"Authorization": "AWS4-HMAC-SHA256 garbage"}),
         400, "InvalidAuthorization"),
        ("traversal key", lambda: raw_get(emu, f"/{emu.demo_bucket}/a/../../etc/passwd"), 400, "InvalidObjectName"),
        ("encoded traversal key", lambda: requests.get(f"{emu.url}/{emu.demo_bucket}/%2E%2E/x"),
         400, "InvalidObjectName"),
        ("NUL in key", lambda: requests.get(f"{emu.url}/{emu.demo_bucket}/a%00b"), 400, "InvalidObjectName"),
        ("no such bucket", lambda: requests.get(f"{emu.url}/no-such-bucket/x"), 404, "NoSuchBucket"),
        ("bad process", lambda: requests.get(ik.oss.sign_url(emu.demo_bucket, "m/a.png", emu.endpoints.oss,
                                                              emu.demo_oss_credentials, 600, process="image/resize,w_0",
                                                              version=4, region=emu.oss_region).signed_request.url),
         400, "InvalidArgument"),
        ("unknown process action", lambda: requests.get(ik.oss.sign_url(emu.demo_bucket, "m/a.png", emu.endpoints.oss,
                                                                         emu.demo_oss_credentials, 600,
                                                                         process="image/flip,1",
                                                                         version=1).signed_request.url),
         400, "InvalidArgument"),
        ("bad bucket name", lambda: requests.put(f"{emu.url}/Bad_Bucket"), 400, "InvalidBucketName"),
        ("jimeng bad JSON", lambda: requests.post(emu.endpoints.jimeng + "/mweb/v1/get_upload_token", data=b"{",
                                                  cookies={"sessionid": emu.demo_sessionid}), 200, "4002"),
    ]


def _code(r):
    ctype = r.headers.get("Content-Type", "")
    if "xml" in ctype:
        import re
        return re.search(r"<Code>([^<]+)</Code>", r.text).group(1)
    body = r.json()
    if "ResponseMetadata" in body:
        return body["ResponseMetadata"]["Error"]["Code"]
    if "ret" in body:
        return body["ret"]
    return body["code"]


def test_malformed_requests_get_the_real_error_never_a_500(emu):
    emu.state.put_object(emu.state.bucket(emu.demo_bucket), "m/a.png", png_bytes(20, 20), "image/png", emu.now())
    cases = _cases(emu)
    assert len(cases) >= 15
    results = []
    for name, call, _, _ in cases:
        r = call()
        assert "Traceback" not in r.text
        results.append((name, r.status_code, _code(r)))
    assert results == [(name, status, code) for name, _, status, code in cases]
    cv = [r for r in emu.log if r.route == "visual" and r.code == "50215"]
    assert cv and all(r.message != "Input invalid for this service." for r in cv)   # the log says why
    assert emu.errors == []


def test_raw_socket_garbage_does_not_break_the_server(emu):
    with socket.create_connection(("127.0.0.1", emu.port)) as s:
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        s.settimeout(5)
        reply = s.recv(100)
        reply += s.recv(2000)
    assert b"400" in reply and b"Traceback" not in reply           # the stdlib parser's 400 page
    assert requests.get(emu.url + "/imgx-demo/x").status_code == 403      # still serving


def test_cv_error_hooks_and_async_pair(emu):
    ib, mb, _, _ = inpaint_inputs(16, 16)
    good = {"req_key": "i2i_inpainting", "binary_data_base64": [ib, mb]}
    for code, status in ((50411, 400), (50429, 429), (50500, 500)):
        r = cv_call(emu, dict(good, imgx_emulator_error=code))
        assert (r.status_code, r.json()["code"], r.json()["status"], r.json()["data"]) == (status, code, code, None)
    sub = cv_call(emu, good, action="CVSync2AsyncSubmitTask")
    task = sub.json()["data"]["task_id"]
    res = cv_call(emu, {"req_key": "i2i_inpainting", "task_id": task}, action="CVSync2AsyncGetResult")
    assert res.json()["code"] == 10000 and res.json()["data"]["status"] == "done"
    assert res.json()["data"]["binary_data_base64"][0]
    url = cv_call(emu, dict(good, return_url=True)).json()["data"]["image_urls"][0]
    assert Image.open(io.BytesIO(requests.get(url).content)).size == (16, 16)


def test_visual_qps_limit_gives_50429():
    with running(visual_qps=1) as emu:
        ib, mb, _, _ = inpaint_inputs(8, 8)
        codes = [cv_call(emu, {"req_key": "i2i_inpainting", "binary_data_base64": [ib, mb]}).json()["code"]
                 for _ in range(3)]
        assert codes[0] == 10000 and 50429 in codes


def test_opencv_backend_is_deterministic_and_keeps_unmasked_pixels():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)
    mask = np.zeros((200, 300), bool)
    mask[50:150, 100:250] = True                       # large: the multi-scale path
    a = opencv_backend(img, mask, InpaintParams())
    b = opencv_backend(img, mask, InpaintParams(seed=5))
    assert (a == b).all() and (a[~mask] == img[~mask]).all() and not (a[mask] == img[mask]).all()
    small = np.zeros((200, 300), bool)
    small[10:20, 10:20] = True
    c = opencv_backend(img, small, InpaintParams())
    assert (c[~small] == img[~small]).all() and not (c[small] == img[small]).all()


def test_pluggable_backend_is_used():
    def paint_red(image, mask, params):
        out = image.copy()
        out[mask] = (255, 0, 0)
        return out

    with running(backend=paint_red) as emu:
        ib, mb, img, mask = inpaint_inputs(16, 16)
        r = cv_call(emu, {"req_key": "i2i_inpainting", "binary_data_base64": [ib, mb]})
        out = np.asarray(Image.open(io.BytesIO(base64.b64decode(r.json()["data"]["binary_data_base64"][0]))))
        assert (out[mask] == (255, 0, 0)).all() and (out[~mask] == img[~mask]).all()
    with pytest.raises(ik.EmulatorError):
        running(backend="nope").__enter__()


def test_state_dir_keeps_oss_objects(tmp_path):
    with running(state_dir=tmp_path) as emu:
        import oss2
        c = emu.demo_oss_credentials
        bucket = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, emu.demo_bucket)
        bucket.put_object("k.txt", b"kept")
    with running(state_dir=tmp_path) as emu:
        assert emu.state.bucket(emu.demo_bucket).objects["k.txt"].data == b"kept"


def test_unknown_service_id_is_access_denied(emu):
    data = upload_token(emu)
    url = f"{emu.endpoints.imagex}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId=other"
    req = ik.presets.JIMENG_IMAGEX.sign(ik.HttpRequest.build("GET", url), sts(data)).signed_request
    r = send(req)
    assert r.status_code == 403 and r.json()["ResponseMetadata"]["Error"]["Code"] == "AccessDenied"
