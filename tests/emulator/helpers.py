"""Helpers for the emulator tests: images, the Jimeng web flow's steps, exact sending."""
from __future__ import annotations

import base64
import io
import json
import zlib

import numpy as np
import requests
from PIL import Image

import imgx_kit as ik


def png_bytes(w: int = 64, h: int = 48, color=(200, 10, 10)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "PNG")
    return buf.getvalue()


def inpaint_inputs(w: int = 64, h: int = 64) -> tuple[str, str, np.ndarray, np.ndarray]:
    """(image b64, mask b64, image array, mask bool array): a two-tone image, a square mask."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, w // 2:] = 200
    m = np.zeros((h, w), np.uint8)
    m[h // 4: h // 2, w // 4: w // 2] = 255
    ib, mb = io.BytesIO(), io.BytesIO()
    Image.fromarray(img).save(ib, "PNG")
    Image.fromarray(m, "L").save(mb, "PNG")
    return (base64.b64encode(ib.getvalue()).decode(), base64.b64encode(mb.getvalue()).decode(),
            img, m == 255)


def upload_token(emu, sessionid: str | None = None) -> dict:
    r = requests.post(emu.endpoints.jimeng + "/mweb/v1/get_upload_token?aid=513695&da_version=3.2.2",
                      json={"scene": 2}, cookies={"sessionid": sessionid or emu.demo_sessionid}, timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert body["ret"] == "0", body
    return body["data"]


def sts(data: dict) -> ik.Credentials:
    return ik.Credentials(data["access_key_id"], data["secret_access_key"], data["session_token"])


def send(req: ik.HttpRequest, **kw) -> requests.Response:
    """Send an HttpRequest exactly (URL verbatim, headers in order)."""
    s = requests.Session()
    prep = requests.Request(req.method, req.url, data=req.body or None).prepare()
    prep.url = req.url
    prep.headers.clear()
    for k, v in req.headers:
        prep.headers[k] = v
    if req.body:
        prep.headers["Content-Length"] = str(len(req.body))
    return s.send(prep, timeout=kw.get("timeout", 15))


def jimeng_apply(emu, creds: ik.Credentials, service_id: str, size: int) -> ik.HttpRequest:
    url = (f"{emu.endpoints.imagex}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId={service_id}"
           f"&FileSize={size}&s=abc123xyz0")
    return ik.presets.JIMENG_IMAGEX.sign(ik.HttpRequest.build("GET", url), creds).signed_request


def jimeng_commit(emu, creds: ik.Credentials, service_id: str, session_key: str) -> ik.HttpRequest:
    url = f"{emu.endpoints.imagex}/?Action=CommitImageUpload&Version=2018-08-01&ServiceId={service_id}"
    body = json.dumps({"SessionKey": session_key}, separators=(",", ":"))
    req = ik.HttpRequest.build("POST", url, [("Content-Type", "application/json")], body)
    return ik.presets.JIMENG_IMAGEX.sign(req, creds).signed_request


def crc(data: bytes) -> str:
    return f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"


