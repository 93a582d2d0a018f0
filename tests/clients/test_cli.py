"""imgx-kit upload / inpaint: against an emulator started by the command, an emulator already running
(--emulator-url, found by GET /__imgx__/endpoints), or --endpoint; every call in --json; inputs and -o
checked before any call."""
from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from imgx_kit.cli import main

from .conftest import make_png
from imgx_testing import CANARY_SECRET, CANARY_SESSIONID

# the calls of one Jimeng → ImageX upload, as the tutorials show them ("4 calls")
TUTORIAL_CALLS = ["get_upload_token", "ApplyImageUpload", "upload", "CommitImageUpload"]


def _pngs(tmp_path, n=3):
    files = []
    for i in range(n):
        p = tmp_path / f"f{i}.png"
        p.write_bytes(make_png(10 + i, 10, seed=i))
        files.append(str(p))
    return files


def _images(tmp_path):
    img = np.zeros((32, 32, 3), np.uint8)
    img[:, 16:] = 200
    m = np.zeros((32, 32), np.uint8)
    m[8:20, 8:20] = 255
    Image.fromarray(img).save(tmp_path / "i.png")
    Image.fromarray(m).save(tmp_path / "m.png")
    return img, m, str(tmp_path / "i.png"), str(tmp_path / "m.png")


def _one_line(capsys, code, *words):
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err
    return err


def test_upload_cli(tmp_path, capsys):
    files = _pngs(tmp_path)
    assert main(["upload", *files, "--emulator", "--json", "--concurrency", "2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["uploaded"] == 3 and doc["failed"] == 0
    assert [it["width"] for it in doc["items"]] == [10, 11, 12]
    assert all(it["uri"].startswith("tos-cn-i-tb4s082cfz/") for it in doc["items"])
    assert doc["call_count"] == len(doc["calls"]) and doc["calls"][0]["label"] == "get_upload_token"
    assert main(["upload", files[0], "--emulator", "--flavour", "openapi"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok      f0.png  tos-cn-i-imgxdemo01/")


def test_emulator_url_one_upload_is_the_tutorials_four_calls(emu, tmp_path, capsys):
    f = _pngs(tmp_path, 1)[0]
    assert main(["upload", f, "--emulator-url", emu.url, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["label"] for c in doc["calls"]] == TUTORIAL_CALLS
    assert doc["call_count"] == 4 and doc["items"][0]["calls"] == 4
    roots = tuple(emu.endpoints.as_dict().values())                # each service at its own root
    assert all(c["url"].startswith(roots) for c in doc["calls"])
    assert main(["upload", f, "--emulator-url", emu.url + "/"]) == 0
    captured = capsys.readouterr()
    assert "(4 calls, 0 retries)" in captured.out and "4 calls" in captured.err
    assert main(["upload", f, "--emulator-url", emu.url, "--flavour", "openapi", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["uploaded"] == 1 and doc["items"][0]["uri"].startswith("tos-cn-i-imgxdemo01/")


def test_endpoint_with_secrets_from_the_environment_never_printed(emu, tmp_path, capsys, monkeypatch):
    emu.add_session(CANARY_SESSIONID)
    monkeypatch.setenv("JIMENG_SESSIONID", CANARY_SESSIONID)
    f = _pngs(tmp_path, 1)[0]
    e = emu.endpoints
    assert main(["upload", f, "--endpoint", e.imagex, "--jimeng-endpoint", e.jimeng, "--json"]) == 0
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert [c["label"] for c in doc["calls"]] == TUTORIAL_CALLS
    for text in (out.out, out.err):
        assert CANARY_SESSIONID not in text and CANARY_SESSIONID[:8] not in text


class _NotAnEmulator(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<html>hello</html>" if self.path != "/json/__imgx__/endpoints" else b'{"jimeng": "http://x"}'
        self.send_response(200 if self.path.startswith("/json") else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def test_emulator_url_that_is_not_an_emulator(tmp_path, capsys):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotAnEmulator)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    f = _pngs(tmp_path, 1)[0]
    try:
        base = f"http://127.0.0.1:{srv.server_address[1]}"
        _one_line(capsys, main(["upload", f, "--emulator-url", base]), "not an imgx-kit emulator", "HTTP 404")
        _one_line(capsys, main(["upload", f, "--emulator-url", base + "/json"]), "not an imgx-kit emulator")
        _one_line(capsys, main(["inpaint", f, f, "-o", str(tmp_path / "o.png"), "--emulator-url", base]),
                  "not an imgx-kit emulator")
    finally:
        srv.shutdown()
        srv.server_close()
    _one_line(capsys, main(["upload", f, "--emulator-url", base]), "cannot connect", "imgx-kit emulator")
    _one_line(capsys, main(["upload", f, "--emulator-url", "https://…"]), "not an http(s) URL")


def test_upload_needs_sessionid(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("JIMENG_SESSIONID", raising=False)
    err = _one_line(capsys, main(["upload", _pngs(tmp_path, 1)[0]]),
                    "JIMENG_SESSIONID is not set", "in the environment")
    assert "Python" not in err


def test_bad_inputs_fail_before_any_call(emu, tmp_path, capsys):
    good = _pngs(tmp_path, 1)[0]
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    before = len(emu.log)
    for bad, words in ((str(tmp_path / "missing.png"), "no such file"), (str(tmp_path), "directory"),
                       ("/dev/zero", "not a regular file"), (str(fifo), "not a regular file")):
        _one_line(capsys, main(["upload", good, bad, "--emulator-url", emu.url]), bad, words)
        _one_line(capsys, main(["inpaint", good, bad, "-o", str(tmp_path / "o.png"), "--emulator-url", emu.url]), words)
        _one_line(capsys, main(["inpaint", bad, good, "-o", str(tmp_path / "o.png"), "--emulator-url", emu.url]), words)
    assert len(emu.log) == before              # not one request: refused before the work


def test_inpaint_cli(tmp_path, capsys):
    img, m, i, mk = _images(tmp_path)
    assert main(["inpaint", i, mk, "-o", str(tmp_path / "o.png"), "--emulator"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {tmp_path / 'o.png'} (32x32)")
    out = np.asarray(Image.open(tmp_path / "o.png").convert("RGB"))
    assert (out[m == 0] == img[m == 0]).all()
    Image.fromarray(m[:, :31]).save(tmp_path / "bad.png")
    _one_line(capsys, main(["inpaint", i, str(tmp_path / "bad.png"), "-o", str(tmp_path / "o2.png"), "--emulator"]),
              "mask is 31x32 but the image is 32x32")
    assert not (tmp_path / "o2.png").exists() and not list(tmp_path.glob(".o2.png.*"))


def test_inpaint_emulator_url_json_lists_every_call(emu, tmp_path, capsys):
    _, _, i, mk = _images(tmp_path)
    assert main(["inpaint", i, mk, "-o", str(tmp_path / "o.jpg"), "--emulator-url", emu.url, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["call_count"] == len(doc["calls"]) == 1 and doc["calls"][0]["url"].startswith(emu.endpoints.visual)
    assert Image.open(tmp_path / "o.jpg").format == "JPEG"


def test_inpaint_output_is_checked_before_the_work(emu, tmp_path, capsys):
    _, _, i, mk = _images(tmp_path)
    before = len(emu.log)
    for out, words in ((tmp_path / "no" / "such" / "o.png", "does not exist"), (tmp_path, "directory"),
                       (tmp_path / "o.gif", ".png, .jpg"), ("/dev/null", "not a regular file")):
        _one_line(capsys, main(["inpaint", i, mk, "-o", str(out), "--emulator-url", emu.url]), words)
    null = tmp_path / "dev.png"
    os.mkfifo(null)
    _one_line(capsys, main(["inpaint", i, mk, "-o", str(null), "--emulator-url", emu.url]), "not a regular file")
    assert len(emu.log) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_inpaint_output_folder_not_writable(emu, tmp_path, capsys):
    _, _, i, mk = _images(tmp_path)
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    _one_line(capsys, main(["inpaint", i, mk, "-o", str(ro / "o.png"), "--emulator-url", emu.url]), "permission")


def test_subprocess_errors_have_no_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOLC_", "JIMENG_"))}
    env["VOLC_SECRETKEY"] = CANARY_SECRET
    _, _, i, mk = _images(tmp_path)
    for argv in (["upload", str(tmp_path / "missing.png"), "--emulator"],
                 ["inpaint", i, mk, "-o", str(tmp_path / "missing" / "o.png"), "--emulator"],
                 ["inpaint", i, mk, "-o", str(tmp_path / "o.png")],
                 ["inpaint", i, mk, "-o", str(tmp_path / "o.png"), "--strength", "nan"],
                 ["upload", i, "--concurrency", "0"]):
        r = subprocess.run([sys.executable, "-m", "imgx_kit", *argv], capture_output=True, text=True, env=env,
                           check=False, timeout=60)
        assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert CANARY_SECRET not in r.stderr
