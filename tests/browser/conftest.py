"""Fixtures for the real-browser painter tests: a JupyterLab or Voilà server started on a free
port, and Debian's chromium driven by Playwright (no browser download).

Any failure to start the server or the browser FAILS the test (it is never skipped).
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from painter_notebook import write_painter_notebook

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_TIMEOUT = 60.0

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Jupyter server process we started (own process group), with its log."""

    def __init__(self, kind: str, root: Path, cmd: list[str], env: dict, port: int, token: str, log: Path):
        self.kind, self.root, self.port, self.token, self.log_path = kind, root, port, token, log
        self._log = open(log, "wb")  # noqa: SIM115 — the server writes it until stop() closes it
        self.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}{sep}token={self.token}"

    def log_tail(self, n: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_bytes()[-n:].decode(errors="replace")
        return ""

    def wait_ready(self, timeout: float = SERVER_START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.kind} server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(self.url("api/status"), timeout=2).read()
                return
            except urllib.error.HTTPError:
                return                      # any HTTP answer means it is up (Voilà answers 403)
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)             # polling a condition with a deadline
        pytest.fail(f"{self.kind} server did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)     # only the group this fixture started
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._log.close()


def _isolated_env(home: Path) -> dict:
    env = dict(os.environ)
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_DATA_DIR=str(home / "data"),
               IPYTHONDIR=str(home / ".ipython"), JUPYTER_PLATFORM_DIRS="0", PYTHONUNBUFFERED="1")
    # the kernel must be this virtualenv's python: put its bin first
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    # this checkout's Voilà template (imgx: the lab template without CDN links), as an installed package provides it
    env["JUPYTER_PATH"] = str(REPO_ROOT / "imgx_kit" / "jupyter")
    return env


REPO_ROOT = Path(__file__).resolve().parents[2]
REPO_NOTEBOOKS = REPO_ROOT / "notebooks"
# notebook settings for layout tests: every cell laid out (no windowing), so each output can be measured
_NO_WINDOWING = '{"windowingMode": "none"}'


def _start(kind: str, tmp: Path, names: list[str], *, copy_notebooks: bool = False) -> Server:
    root = tmp / "notebooks"
    if copy_notebooks:      # the repository's tutorials (both editions), images and data
        shutil.copytree(REPO_NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    root.mkdir(parents=True, exist_ok=True)
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    if copy_notebooks:
        settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "tracker.jupyterlab-settings").write_text(_NO_WINDOWING)
    for n in names:
        write_painter_notebook(root, n)
    # the repository's Voilà settings, read from the folder Voilà starts in (as from the repo root)
    if kind == "voila":
        shutil.copy(REPO_ROOT / "voila.json", root / "voila.json")
    port, token = _free_port(), secrets.token_hex(16)
    if kind == "lab":
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
               "--ServerApp.open_browser=False"]
    elif kind == "notebook7":
        cmd = [sys.executable, "-m", "notebook", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--JupyterNotebookApp.expose_app_in_browser=True", "--ServerApp.open_browser=False"]
    else:
        cmd = [sys.executable, "-m", "voila", str(root), "--no-browser", "--Voila.ip=127.0.0.1",
               f"--port={port}", f"--token={token}", "--show_tracebacks=True"]
    server = Server(kind, root, cmd, _isolated_env(home), port, token, tmp / f"{kind}.log")
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    server = _start("lab", tmp_path_factory.mktemp("lab"), ["painter_dpr1", "painter_dpr2"])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tutorials_lab_server(tmp_path_factory):
    """JupyterLab on a copy of the repository's notebooks/ folder (notebooks/zh/ included when present)."""
    server = _start("lab", tmp_path_factory.mktemp("tutorials"), [], copy_notebooks=True)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tutorials_notebook7_server(tmp_path_factory):
    """Jupyter Notebook 7 on a copy of the repository's notebooks/ folder."""
    server = _start("notebook7", tmp_path_factory.mktemp("tutorials-nb7"), [], copy_notebooks=True)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tutorials_voila_server(tmp_path_factory):
    """Voilà on a copy of the repository's notebooks/ folder (notebooks/zh/ included when present)."""
    server = _start("voila", tmp_path_factory.mktemp("tutorials-voila"), [], copy_notebooks=True)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def voila_server(tmp_path_factory):
    server = _start("voila", tmp_path_factory.mktemp("voila"), ["painter_dpr1", "painter_dpr2"])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    try:
        pw = sync_playwright().start()
    except Exception as exc:
        pytest.fail(f"Playwright could not start: {exc}")
    yield pw
    pw.stop()


@pytest.fixture
def launch_browser(playwright_driver):
    """``launch_browser(dpr)`` -> a fresh persistent Chromium context (own --user-data-dir)."""
    opened = []

    def launch(dpr: int, viewport: dict | None = None):
        if not os.access(CHROMIUM, os.X_OK):
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
        profile = tempfile.mkdtemp(prefix="imgx-chromium-")
        try:
            ctx = playwright_driver.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                device_scale_factor=dpr, viewport=viewport or {"width": 1280, "height": 900},
                timeout=60_000, accept_downloads=True)
        except Exception as exc:
            shutil.rmtree(profile, ignore_errors=True)
            pytest.fail(f"chromium could not start from {CHROMIUM}: {exc}")
        # offline: anything not served by our loopback server is refused at once
        ctx.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
        opened.append((ctx, profile))
        return ctx

    yield launch
    for ctx, profile in opened:
        with contextlib.suppress(Exception):
            ctx.close()
        shutil.rmtree(profile, ignore_errors=True)
