"""Seed 002's inpainting backend: a small Flask app with the seed's hand-written Volcengine signer
(``generate_volcengine_signature``: ``content-type;host;x-content-sha256;x-date``, scope
``date/cn-north-1/cv/request``, key chain from the raw SK, path ``/``), driven through Flask's
test client with the body its canvas page posts: ``{"image", "mask"}``, both
``canvas.toDataURL('image/jpeg')`` without the ``data:`` prefix — a JPEG mask drawn with
anti-aliased white circles on black. Only the base URL differs from the seed (the visual
listener's root); the seed's explicit ``Host: visual.volcengineapi.com`` header is kept.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import io
import json
import urllib.parse

import numpy as np
import pytest
import requests
from PIL import Image, ImageDraw

from imgx_kit.emulator.api import running

flask = pytest.importorskip("flask")


def generate_volcengine_signature(access_key, secret_key, method, uri, query, headers, payload):
    """Seed 002's signer, transcribed (its debug prints left out)."""
    service, region, algorithm, host = "cv", "cn-north-1", "HMAC-SHA256", "visual.volcengineapi.com"
    now = datetime.datetime.now(datetime.timezone.utc)
    current_date = now.strftime("%Y%m%dT%H%M%SZ")
    datestamp = now.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    signed_headers = "content-type;host;x-content-sha256;x-date"
    content_type = "application/json"
    canonical_headers = (f"content-type:{content_type}\n" + f"host:{host}\n" +
                         f"x-content-sha256:{payload_hash}\n" + f"x-date:{current_date}\n")
    canonical_request = f"{method}\n{uri}\n{query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
    credential_scope = f"{datestamp}/{region}/{service}/request"
    string_to_sign = (f"{algorithm}\n{current_date}\n{credential_scope}\n"
                      f"{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}")

    def sign(key, msg):
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    k = sign(secret_key.encode("utf-8"), datestamp)
    for part in (region, service, "request"):
        k = sign(k, part)
    signature = hmac.new(k, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    auth = (f"{algorithm} Credential={access_key}/{credential_scope}, "
            f"SignedHeaders={signed_headers}, Signature={signature}")
    headers.update({"X-Date": current_date, "Authorization": auth, "X-Content-Sha256": payload_hash,
                    "Content-Type": content_type})
    return auth, current_date


def make_app(base_url: str, access_key: str, secret_key: str):
    """Seed 002's Flask backend with ``base_url`` in place of ``https://visual.volcengineapi.com/``."""
    app = flask.Flask(__name__)

    def call_volcengine_api(image_base64, mask_base64):
        query_params = {"Action": "CVProcess", "Version": "2022-08-31"}
        url = base_url + "?" + urllib.parse.urlencode(query_params)
        body = {"req_key": "i2i_inpainting", "binary_data_base64": [image_base64, mask_base64],
                "scale": 7, "seed": 0, "steps": 30, "strength": 0.8}
        payload = json.dumps(body)
        headers = {"Content-Type": "application/json", "Host": "visual.volcengineapi.com"}
        generate_volcengine_signature(access_key, secret_key, "POST", "/", urllib.parse.urlencode(query_params),
                                      headers, payload)
        response = requests.post(url, headers=headers, data=payload, timeout=60)
        if response.status_code == 200:
            return response.json()
        return {"error": f"API调用失败: {response.status_code}", "details": response.text}

    @app.route("/inpaint", methods=["POST"])
    def inpaint():
        data = flask.request.json
        img_base64, mask_base64 = data.get("image"), data.get("mask")
        if not img_base64 or not mask_base64:
            return flask.jsonify({"error": "缺少图片或mask数据"}), 400
        return flask.jsonify(call_volcengine_api(img_base64, mask_base64))

    return app


def canvas_jpeg(im: Image.Image) -> str:
    """``canvas.toDataURL('image/jpeg')`` minus its prefix: JPEG at the browsers' default 0.92."""
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=92)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def painted_mask(size: tuple[int, int], strokes: list[tuple[int, int]], brush: int = 20) -> Image.Image:
    """The page's mask canvas: black fill, white ``arc`` fills, anti-aliased as a canvas draws
    them (drawn at 4x, then downsampled)."""
    w, h = size
    big = Image.new("RGB", (w * 4, h * 4), "black")
    d = ImageDraw.Draw(big)
    r = brush * 4 // 2
    for x, y in strokes:
        d.ellipse((x * 4 - r, y * 4 - r, x * 4 + r, y * 4 + r), fill="white")
    return big.resize(size, Image.LANCZOS)


def photo(size: tuple[int, int]) -> Image.Image:
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x * 255 // w, y * 255 // h, (x + y) * 127 // (w + h)], -1).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


@pytest.fixture(scope="module")
def emu():
    with running(seed=0) as e:
        yield e


def client(emu, base: str | None = None, secret: str | None = None):
    creds = emu.demo_volc_credentials
    app = make_app((base or emu.endpoints.visual) + "/", creds.access_key, secret or creds.secret_key)
    return app.test_client()


# The one mask rule (#14 §3, imgx_kit.services.masks.binary_mask) takes grey levels within JPEG
# tolerance: the anti-aliased JPEG masks the seed's canvas page sends inpaint.
@pytest.mark.parametrize("size", [(400, 300), (300, 300), (225, 300)])
def test_seed_page_jpeg_masks_inpaint(emu, size):
    img, mask = photo(size), painted_mask(size, [(60, 60), (70, 66), (80, 72), (150, 120)])
    r = client(emu).post("/inpaint", json={"image": canvas_jpeg(img), "mask": canvas_jpeg(mask)})
    out = r.get_json()
    assert r.status_code == 200 and out.get("code") == 10000, out
    result = Image.open(io.BytesIO(base64.b64decode(out["data"]["binary_data_base64"][0])))
    assert result.size == size


def test_seed_backend_signs_the_visual_root_and_inpaints_with_a_binary_mask(emu):
    """The seed's signer and request, as above; the mask is the canvas's black/white content
    thresholded and sent as PNG, so this passes under the current mask rule too."""
    size = (400, 300)
    img = photo(size)
    m = np.asarray(painted_mask(size, [(100, 100), (110, 104)]).convert("L")) > 127
    buf = io.BytesIO()
    Image.fromarray((m * 255).astype(np.uint8), "L").save(buf, "PNG")
    r = client(emu).post("/inpaint",
                         json={"image": canvas_jpeg(img), "mask": base64.b64encode(buf.getvalue()).decode()})
    out = r.get_json()
    assert r.status_code == 200 and out["code"] == 10000 and out["status"] == 10000, out
    assert len(out["request_id"]) == 34 and out["time_elapsed"].endswith(("ms", "s"))
    entry = emu.log.entries("visual")[-1]
    assert entry.ok and entry.scheme == "VOLC"


def test_seed_backend_through_the_main_url_by_host_name(emu):
    """With the main URL as base, the seed's explicit ``Host: visual.volcengineapi.com`` routes it."""
    size = (64, 48)
    buf = io.BytesIO()
    Image.new("L", size, 0).save(buf, "PNG")
    r = client(emu, base=emu.url).post("/inpaint", json={"image": canvas_jpeg(photo(size)),
                                                         "mask": base64.b64encode(buf.getvalue()).decode()})
    assert r.get_json()["code"] == 10000, r.get_json()


def test_seed_backend_with_a_wrong_secret_gets_the_gateway_error(emu):
    size = (64, 48)
    r = client(emu, secret="d3Jvbmc=").post("/inpaint", json={"image": canvas_jpeg(photo(size)),
                                                               "mask": canvas_jpeg(Image.new("L", size))})
    out = r.get_json()
    assert out["error"] == "API调用失败: 401"
    assert json.loads(out["details"])["ResponseMetadata"]["Error"]["Code"] == "SignatureDoesNotMatch"
