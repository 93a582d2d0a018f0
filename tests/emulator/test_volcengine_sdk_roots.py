"""The volcengine SDK, unchanged, against each service's own endpoint (host set to the
listener, path ``/`` as on imagex.volcengineapi.com / visual.volcengineapi.com):
``ImageXService.upload_image`` (a file under 20 MiB: one PUT; over it: the SDK's chunked
init / parts / merge) and ``VisualService.cv_process``."""
from __future__ import annotations

import base64
import io
import zlib
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

from imgx_kit.emulator.api import running


def sdk_imagex(emu, scheme: str = "http"):
    from volcengine.imagex.ImageXService import ImageXService
    ix = ImageXService()
    ix.set_ak(emu.demo_volc_credentials.access_key)
    ix.set_sk(emu.demo_volc_credentials.secret_key)
    ix.set_host(urlsplit(emu.endpoints.imagex).netloc)
    ix.set_scheme(scheme)
    return ix


def big_png(path, mib: float) -> bytes:
    side = int((mib * 1024 * 1024 / 3) ** 0.5)
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(path, "PNG", compress_level=0)
    return path.read_bytes()


@pytest.mark.parametrize("mib,chunked", [(0.05, False), (41, True)], ids=["single", "chunked"])
def test_upload_image_from_files(tmp_path, monkeypatch, mib, chunked):
    with running(seed=3, tls=True) as emu:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_bundle)   # the SDK's upload PUTs are https
        p = tmp_path / "img.png"
        data = big_png(p, mib)
        res = sdk_imagex(emu, "https").upload_image({"ServiceId": emu.demo_service_id}, [str(p)])
        assert [r["UriStatus"] for r in res["Results"]] == [2000]
        uri = res["Results"][0]["Uri"]
        slot = emu.state.slot(uri)
        assert slot.size == len(data) and slot.crc == f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"
        puts = [e for e in emu.log if e.route == "upload"]
        if chunked:                     # init, n parts, merge (SDK: parts of 20 MiB, the last the rest)
            assert [e.target.split("?")[1].split("=")[0] for e in puts] == [
                "uploads", "partNumber", "partNumber", "uploadID"]
        else:
            assert len(puts) == 1 and "?" not in puts[0].target
        assert all(e.ok for e in emu.log) and emu.errors == []


def test_visual_cv_process_at_the_visual_root():
    from volcengine.visual.VisualService import VisualService
    with running(seed=4) as emu:
        vs = VisualService()
        vs.set_ak(emu.demo_volc_credentials.access_key)
        vs.set_sk(emu.demo_volc_credentials.secret_key)
        vs.set_host(urlsplit(emu.endpoints.visual).netloc)       # SDK default scheme: http
        img = Image.new("RGB", (64, 48), (200, 30, 30))
        mask = Image.new("L", (64, 48), 0)
        mask.paste(255, (20, 10, 40, 30))
        b64 = []
        for im in (img, mask):
            buf = io.BytesIO()
            im.save(buf, "PNG")
            b64.append(base64.b64encode(buf.getvalue()).decode())
        out = vs.cv_process({"req_key": "i2i_inpainting", "binary_data_base64": b64, "seed": 0,
                             "steps": 30, "strength": 0.8, "scale": 7})
        assert out["code"] == 10000
        got = Image.open(io.BytesIO(base64.b64decode(out["data"]["binary_data_base64"][0])))
        assert got.size == (64, 48)
        e = emu.log.entries("visual")[-1]
        assert e.ok and e.raw_target.startswith("/?Action=CVProcess")
