"""Inpainting round trip with the emulator: only the masked area changes; errors are typed."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import imgx_kit as ik
from imgx_kit.services.retry import RetryPolicy


def scene():
    img = np.zeros((64, 96, 3), np.uint8)
    img[:, :48] = (200, 40, 40)
    img[:, 48:] = (40, 40, 200)
    mask = np.zeros((64, 96), bool)
    mask[20:44, 36:60] = True
    return img, mask


def test_inpaint_changes_only_the_mask(emu):
    vc = ik.VisualClient(emu.demo_volc_credentials, endpoint=emu.endpoints.visual)
    img, mask = scene()
    out = vc.inpaint(img, mask, seed=0, steps=30, strength=0.8, scale=7)
    got = np.asarray(out.image.convert("RGB"))
    assert got.shape == img.shape
    assert (got[~mask] == img[~mask]).all()                  # outside the mask: identical pixels
    assert (got[mask] != img[mask]).any(axis=-1).sum() > 0    # inside: repainted
    assert len(out.request_id) == 34 and [c.label for c in out.calls] == ["CVProcess"]
    t = out.calls[0].trace
    assert t.credential_scope.endswith("/cn-north-1/cv/request")
    assert t.signed_headers == "content-type;host;x-content-sha256;x-date"
    assert out.calls[0].json["code"] == 10000
    assert repr(out).startswith("InpaintResult(96x64 RGB") and "<img" in out._repr_html_()


def test_inpaint_inputs_from_files(emu, tmp_path):
    img, mask = scene()
    Image.fromarray(img).save(tmp_path / "i.png")
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / "m.png")
    vc = ik.VisualClient(emu.demo_volc_credentials, endpoint=emu.endpoints.visual)
    out = vc.inpaint(str(tmp_path / "i.png"), tmp_path / "m.png")
    assert (np.asarray(out.image.convert("RGB"))[~mask] == img[~mask]).all()


def test_inpaint_bad_inputs_send_nothing(emu):
    vc = ik.VisualClient(emu.demo_volc_credentials, endpoint=emu.endpoints.visual)
    img, mask = scene()
    n = len(emu.log)
    with pytest.raises(ik.ImageInputError, match="mask is 95x64 but the image is 96x64"):
        vc.inpaint(img, mask[:, :95])
    with pytest.raises(ik.ImageInputError, match="coloured"):
        vc.inpaint(img, np.dstack([mask * 255, mask * 0, mask * 0]).astype(np.uint8))
    with pytest.raises(ik.ImageInputError, match=r"strength=1.5 is outside \[0.1, 1\]"):
        vc.inpaint(img, mask, strength=1.5)
    with pytest.raises(ik.ImageInputError, match="over 4096 px"):
        vc.inpaint(np.zeros((10, 4097, 3), np.uint8), np.zeros((10, 4097), bool))
    assert len(emu.log) == n


def test_inpaint_service_errors(emu, waits):
    vc = ik.VisualClient(emu.demo_volc_credentials, endpoint=emu.endpoints.visual,
                         retry=RetryPolicy(max_attempts=3, sleep=waits.append))
    img, mask = scene()
    with pytest.raises(ik.InpaintError) as ei:
        vc.inpaint(img, mask, extra={"imgx_emulator_error": 50411})
    assert ei.value.code == 50411 and ei.value.status == 400 and len(ei.value.calls) == 1   # not retried
    with pytest.raises(ik.ThrottledError) as ei2:
        vc.inpaint(img, mask, extra={"imgx_emulator_error": 50429})
    assert ei2.value.code == 50429 and [c.attempt for c in ei2.value.calls] == [1, 2, 3] and len(waits) == 2
    emu.faults.add("visual", status=500, count=1)
    try:
        out = vc.inpaint(img, mask)
    finally:
        emu.faults.clear()
    assert [(c.attempt, c.status) for c in out.calls] == [(1, 500), (2, 200)]
    bad = ik.Credentials(emu.demo_volc_credentials.access_key, "nope" + emu.demo_volc_credentials.secret_key)
    with pytest.raises(ik.SignatureMismatchError) as ei3:
        ik.VisualClient(bad, endpoint=emu.endpoints.visual).inpaint(img, mask)
    assert ei3.value.echo.code == "SignatureDoesNotMatch"


@pytest.mark.parametrize("extra, match", [
    ([1], r"extra must be a dict of body fields, not list"),
    ("x", r"extra must be a dict of body fields, not str"),
    ({"a": {1, 2}}, r"extra\['a'\] is of type set, which is not a JSON value"),
    ({"a": [1, {"b": object()}]}, r"extra\['a'\]\[1\]\['b'\] is of type object"),
    ({"a": float("nan")}, r"extra\['a'\] is nan, which JSON cannot hold"),
    ({"a": {1: "x"}}, r"extra\['a'\] has the key 1, which is not a str"),
    ({"seed": 3, "binary_data_base64": []}, r"extra sets binary_data_base64, seed, which inpaint\(\) fills"),
])
def test_inpaint_extra_must_be_json_fields(emu, extra, match):
    vc = ik.VisualClient(emu.demo_volc_credentials, endpoint=emu.endpoints.visual)
    img, mask = scene()
    n = len(emu.log)
    with pytest.raises(ik.ClientConfigError, match=match) as ei:
        vc.inpaint(img, mask, extra=extra)
    assert ei.value.hint and len(emu.log) == n                # nothing was sent


def test_inpaint_extra_fields_are_sent(emu):
    vc = ik.VisualClient(emu.demo_volc_credentials, endpoint=emu.endpoints.visual)
    img, mask = scene()
    out = vc.inpaint(img, mask, extra={"logo_info": {"add_logo": False}, "tags": ("a", None)})
    assert out.calls[0].json["code"] == 10000


@pytest.mark.parametrize("kw, match", [
    ({"endpoint": "ftp://x"}, r"endpoint 'ftp://x' is not an http\(s\) URL"),
    ({"action": "Nope"}, r"action 'Nope' is not CVProcess or Img2ImgInpainting"),
    ({"timeout": "x"}, r"timeout='x' is not a timeout in seconds"),
    ({"timeout": 10 ** 12}, r"is not a timeout in seconds"),
    ({"retry": 3}, r"retry must be a RetryPolicy, not int"),
])
def test_visual_client_options_are_checked_when_built(emu, kw, match):
    with pytest.raises(ik.ClientConfigError, match=match):
        ik.VisualClient(emu.demo_volc_credentials, **kw)


@pytest.mark.parametrize("endpoint, match", [
    ("https://h:99999", r"endpoint is not usable: URL 'https://h:99999' does not parse: Port out of range"),
    ("http://exa mple.com", r"endpoint is not usable: the host of URL"),
    ("http://[::1", r"endpoint is not usable: .*Invalid IPv6 URL"),
    ("https://h/?Action=x", r"endpoint 'https://h/\?Action=x' has a query or fragment"),
])
def test_visual_endpoint_is_checked_when_built(endpoint, match):
    with pytest.raises(ik.ClientConfigError, match=match):
        ik.VisualClient(ik.Credentials("AK", "SK"), endpoint=endpoint)
