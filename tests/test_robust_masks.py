"""The one mask rule (services.masks.binary_mask) used by painter, inpaint client and emulator.

The expected values come from outside: masks drawn by Debian's Chromium the way seed 002's canvas
page draws them and exported with ``toDataURL('image/jpeg')`` / ``('image/png')``
(tests/data/masks/make_masks.py), Pillow's JPEG encoder at typical qualities, and the doc's rule
"single-channel grey, or three channels with equal R, G, B" (protocols.md, Mask semantics)."""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import imgx_kit as ik
from imgx_kit.services.images import load_mask
from imgx_kit.services.masks import (
    JPEG_TOLERANCE,
    MASK_THRESHOLD,
    MaskModel,
    binary_mask,
    mask_from_any,
)

MASKS = Path(__file__).parent / "data" / "masks"
@pytest.fixture(scope="module")
def emu():
    from imgx_kit.emulator.api import running

    with running(seed=0) as e:
        yield e


JPEGS = ["chromium_canvas_toDataURL_jpeg.jpg", "chromium_canvas_toDataURL_jpeg_q05.jpg"]


def _png_truth() -> np.ndarray:
    return np.asarray(Image.open(MASKS / "chromium_canvas_toDataURL_png.png").convert("L")) >= 128


def _jpeg(a: np.ndarray, quality: int, subsampling: int = 2) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.stack([a] * 3, -1) if a.ndim == 2 else a).save(buf, "JPEG", quality=quality,
                                                                      subsampling=subsampling)
    return buf.getvalue()


def test_the_stated_rule():
    assert (MASK_THRESHOLD, JPEG_TOLERANCE) == (0.5, 8)
    assert binary_mask(np.array([[0, 127, 128, 200, 255]], np.uint8)).tolist() == [[False, False, True, True, True]]
    assert binary_mask(np.array([[0, 32767, 32768]], np.uint16)).tolist() == [[False, False, True]]
    assert binary_mask(np.array([[0, 1]], np.uint8)).tolist() == [[False, True]]        # 0/1 arrays: 1 bit
    assert binary_mask(Image.fromarray(np.array([[0, 1]], np.uint8), "L")).tolist() == [[False, False]]  # 8-bit file
    assert binary_mask(np.array([[0.2, 0.5]])).tolist() == [[False, True]]


@pytest.mark.parametrize("name", JPEGS)
def test_chromium_jpeg_masks_are_accepted_everywhere_and_match_the_png(name, emu):
    data = (MASKS / name).read_bytes()
    im = Image.open(io.BytesIO(data))
    assert im.format == "JPEG" and im.mode == "RGB"
    truth = _png_truth()
    for got in (binary_mask(Image.open(io.BytesIO(data))), mask_from_any(data, (400, 300)),
                load_mask(data, (400, 300))):
        assert got.shape == truth.shape
        assert np.count_nonzero(got != truth) <= 0.001 * truth.size        # only anti-aliased rim pixels differ
    m = MaskModel(400, 300)
    m.load(data)
    assert m.count == int(np.count_nonzero(mask_from_any(data, (400, 300))))
    img = np.full((300, 400, 3), 90, np.uint8)
    r = _cv(emu, img, data)
    assert r["code"] == 10000, r


@pytest.mark.parametrize("quality", [10, 30, 50, 75, 92, 95])
@pytest.mark.parametrize("subsampling", [0, 2])
def test_pillow_jpeg_masks_keep_r_equal_g_equal_b(quality, subsampling):
    truth = _png_truth()
    got = load_mask(_jpeg(truth.astype(np.uint8) * 255, quality, subsampling), (400, 300))
    assert np.count_nonzero(got != truth) <= 0.01 * truth.size


def test_painter_value_200_is_accepted_consistently(emu):
    a = np.zeros((32, 32), np.uint8)
    a[8:20, 8:20] = 200
    want = a >= 128
    assert np.array_equal(mask_from_any(a, (32, 32)), want)
    assert np.array_equal(load_mask(a, (32, 32)), want)
    buf = io.BytesIO()
    Image.fromarray(a, "L").save(buf, "PNG")
    assert np.array_equal(load_mask(buf.getvalue(), (32, 32)), want)
    r = _cv(emu, np.full((32, 32, 3), 50, np.uint8), buf.getvalue())
    assert r["code"] == 10000, r
    vc = ik.VisualClient(emu.demo_volc_credentials, endpoint=emu.endpoints.visual)
    out = vc.inpaint(np.full((32, 32, 3), 50, np.uint8), a)
    assert np.array_equal(out.mask, want)


def test_a_coloured_mask_is_refused_everywhere_saying_why(emu):
    rgb = np.zeros((32, 32, 3), np.uint8)
    rgb[8:20, 8:20] = (255, 45, 85)                 # the painter's overlay colour, not a mask
    with pytest.raises(ik.PainterError, match="coloured: R, G and B differ by up to 210 levels"):
        mask_from_any(rgb, (32, 32))
    with pytest.raises(ik.ImageInputError, match="coloured"):
        load_mask(rgb, (32, 32))
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=92)
    with pytest.raises(ik.ImageInputError, match="coloured"):
        load_mask(buf.getvalue(), (32, 32))
    r = _cv(emu, np.full((32, 32, 3), 50, np.uint8), buf.getvalue())
    assert r["code"] == 50215 and "coloured" in r["message"] and "R=G=B" in r["message"]


def test_tint_just_inside_and_outside_the_tolerance():
    a = np.zeros((4, 4, 3), np.uint8)
    a[..., 0] = 200
    a[..., 1] = 200 - JPEG_TOLERANCE
    a[..., 2] = 200
    assert binary_mask(a).all()
    a[..., 1] = 200 - JPEG_TOLERANCE - 1
    with pytest.raises(ik.ImageInputError, match="coloured"):
        binary_mask(a)


def _cv(emu, image: np.ndarray, mask_bytes: bytes) -> dict:
    import requests

    ib = io.BytesIO()
    Image.fromarray(image).save(ib, "JPEG", quality=92)
    body = json.dumps({"req_key": "i2i_inpainting", "binary_data_base64": [
        base64.b64encode(ib.getvalue()).decode(), base64.b64encode(mask_bytes).decode()]})
    req = ik.HttpRequest.build("POST", f"{emu.endpoints.visual}/?Action=CVProcess&Version=2022-08-31",
                               [("Content-Type", "application/json")], body)
    t = ik.presets.VOLC_CV.sign(req, emu.demo_volc_credentials)
    r = requests.post(t.signed_request.url, data=t.signed_request.body, headers=dict(t.signed_request.headers),
                      timeout=30)
    return r.json()
