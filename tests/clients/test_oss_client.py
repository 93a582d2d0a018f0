"""ik.oss.Client against the emulator: put, get with x-oss-process, head, sign_url, saveas."""
from __future__ import annotations

import pytest
import requests

import imgx_kit as ik

from .conftest import make_png


@pytest.mark.parametrize("version", [1, 4])
def test_put_get_process_saveas(emu, version):
    oc = ik.oss.Client(emu.demo_bucket, emu.endpoints.oss, emu.demo_oss_credentials, version=version,
                       region=emu.oss_region)
    data = make_png(80, 40, seed=version)
    r = oc.put(f"v{version}/cat.png", data)
    assert r.status == 200 and r.etag and r.calls[0].trace is not None
    g = oc.get(f"v{version}/cat.png")
    assert g.data == data and g.content_type == "image/png"
    p = ik.oss.Process().resize(w=40)
    assert oc.get(f"v{version}/cat.png", process=p).image.size == (40, 20)
    assert oc.head(f"v{version}/cat.png").headers["Content-Length"] == str(len(data))
    url = oc.sign_url(f"v{version}/cat.png", process="image/resize,w_20", expires=600)
    resp = requests.get(url)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "image/png"
    s = oc.saveas(f"v{version}/cat.png", p, f"v{version}/small.png")
    assert s.json["object"] == f"v{version}/small.png" and s.json["status"] == "OK"
    assert oc.get(f"v{version}/small.png").image.size == (40, 20)


def test_errors(emu):
    oc = ik.oss.Client(emu.demo_bucket, emu.endpoints.oss, emu.demo_oss_credentials, region=emu.oss_region)
    with pytest.raises(ik.ServiceError) as ei:
        oc.get("missing.png")
    assert ei.value.code == "NoSuchKey" and ei.value.status == 404
    bad = ik.Credentials(emu.demo_oss_credentials.access_key, "x" + emu.demo_oss_credentials.secret_key)
    with pytest.raises(ik.SignatureMismatchError) as ei2:
        ik.oss.Client(emu.demo_bucket, emu.endpoints.oss, bad, region=emu.oss_region).get("missing.png")
    assert "string_to_sign" in ei2.value.echo
    with pytest.raises(ik.ProcessSyntaxError):
        oc.get("x.png", process="image/rotate,400")


def test_crc64_is_checked_on_put_and_get(emu, tmp_path, monkeypatch):
    from imgx_kit.emulator.oss import responses as emulated_oss
    from imgx_kit.services.images import crc64, load_image

    oc = ik.oss.Client(emu.demo_bucket, emu.endpoints.oss, emu.demo_oss_credentials, region=emu.oss_region)
    data = make_png(64, 32, seed=11)
    path = tmp_path / "cat.png"
    path.write_bytes(data)
    put = oc.put("crc/cat.png", str(path))                   # streamed from the file
    assert put.header("x-oss-hash-crc64ecma") == str(crc64(data)) == str(load_image(str(path)).crc64())
    assert oc.get("crc/cat.png").data == data
    # the service reporting another CRC-64 (bytes changed on the way) is an error, never silent
    monkeypatch.setattr(emulated_oss, "crc64", lambda b: crc64(b) ^ 1)
    with pytest.raises(ik.UploadError) as up:
        oc.put("crc/dog.png", data)
    assert up.value.code == "InconsistentCRC64" and str(crc64(data)) in str(up.value)
    with pytest.raises(ik.ServiceError) as down:
        oc.get("crc/cat.png")
    assert down.value.code == "InconsistentCRC64" and not isinstance(down.value, ik.UploadError)
    assert oc.get("crc/cat.png", process="image/resize,w_10").image.size == (10, 5)   # processed: no CRC sent
