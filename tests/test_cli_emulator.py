"""`imgx-kit emulator` as a process, used by `imgx-kit upload/inpaint --emulator-url` in other processes;
its bad arguments are one line and exit 2."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import numpy as np
from PIL import Image

CMD = [sys.executable, "-m", "imgx_kit"]


def _run(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CMD, *argv], capture_output=True, text=True, check=False, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _one_line(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def test_other_commands_use_a_running_emulator(tmp_path):
    emu = subprocess.Popen([*CMD, "emulator", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = emu.stdout.readline()
            if "--emulator-url" in line:
                url = line.split("--emulator-url", 1)[1].strip()
        assert url and url.startswith("http://127.0.0.1:")
        img = np.zeros((16, 16, 3), np.uint8)
        img[:, 8:] = 200
        mask = np.zeros((16, 16), np.uint8)
        mask[4:10, 4:10] = 255
        Image.fromarray(img).save(tmp_path / "i.png")
        Image.fromarray(mask).save(tmp_path / "m.png")
        up = _run("upload", str(tmp_path / "i.png"), "--emulator-url", url)
        assert up.returncode == 0 and up.stdout.startswith("ok      i.png  ") and "(4 calls" in up.stdout, up.stderr
        ip = _run("inpaint", str(tmp_path / "i.png"), str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png"),
                  "--emulator-url", url)
        assert ip.returncode == 0 and (tmp_path / "o.png").is_file(), ip.stderr
        busy = _run("emulator", "--port", url.rsplit(":", 1)[1])
        _one_line(busy, "cannot listen", "in use")
    finally:
        emu.send_signal(signal.SIGINT)           # Ctrl-C: stops cleanly
        _, err = emu.communicate(timeout=30)
    assert emu.returncode == 0 and "emulator stopped" in err and "Traceback" not in err, err


def test_bad_arguments_are_one_line(tmp_path):
    _one_line(_run("emulator", "--port", "99999"), "--port")
    _one_line(_run("emulator", "--port", "x"), "--port")
    _one_line(_run("emulator", "--state-dir", "/dev/null"), "not a directory")
    _one_line(_run("emulator", "--state-dir", str(tmp_path / "no" / "such")), "does not exist")
    _one_line(_run("emulator", "--fault", "junk"), "ROUTE:KIND")
    _one_line(_run("emulator", "--host", "256.1.1.1"), "cannot listen")
    _one_line(_run("emulator", "--host", "192.0.2.1"), "cannot listen")
