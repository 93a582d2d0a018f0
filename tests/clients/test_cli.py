"""imgx-kit upload / inpaint against an emulator started by the command."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from imgx_kit.cli import main

from .conftest import make_png


def test_upload_cli(tmp_path, capsys):
    files = []
    for i in range(3):
        p = tmp_path / f"f{i}.png"
        p.write_bytes(make_png(10 + i, 10, seed=i))
        files.append(str(p))
    assert main(["upload", *files, "--emulator", "--json", "--concurrency", "2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["uploaded"] == 3 and doc["failed"] == 0
    assert [it["width"] for it in doc["items"]] == [10, 11, 12]
    assert all(it["uri"].startswith("tos-cn-i-tb4s082cfz/") for it in doc["items"])
    assert main(["upload", files[0], str(tmp_path / "missing.png"), "--emulator", "--flavour", "openapi"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok      f0.png  tos-cn-i-imgxdemo01/") and out[1].startswith("FAILED  missing.png  ImageInputError")


def test_upload_cli_needs_sessionid(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("JIMENG_SESSIONID", raising=False)
    assert main(["upload", str(tmp_path / "x.png")]) == 2
    assert "JIMENG_SESSIONID is not set" in capsys.readouterr().err


def test_inpaint_cli(tmp_path, capsys):
    img = np.zeros((32, 32, 3), np.uint8)
    img[:, 16:] = 200
    m = np.zeros((32, 32), np.uint8)
    m[8:20, 8:20] = 255
    Image.fromarray(img).save(tmp_path / "i.png")
    Image.fromarray(m).save(tmp_path / "m.png")
    assert main(["inpaint", str(tmp_path / "i.png"), str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png"),
                 "--emulator"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {tmp_path / 'o.png'} (32x32)")
    out = np.asarray(Image.open(tmp_path / "o.png").convert("RGB"))
    assert (out[m == 0] == img[m == 0]).all()
    Image.fromarray(m[:, :31]).save(tmp_path / "bad.png")
    assert main(["inpaint", str(tmp_path / "i.png"), str(tmp_path / "bad.png"), "-o", str(tmp_path / "o2.png"),
                 "--emulator"]) == 2
    assert "mask is 31x32 but the image is 32x32" in capsys.readouterr().err
