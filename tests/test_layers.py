"""The layer contract of DESIGN.md, enforced by import-linter (and a runtime check of the core)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from imgx_testing import ROOT


def test_import_linter_contracts_hold():
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "broken" in r.stdout and "0 broken" in r.stdout


def test_importing_the_core_loads_no_jupyter_or_http_package():
    code = ("import sys, imgx_kit, imgx_kit.core.signer, imgx_kit.core.presets; "
            "bad = [m for m in ('requests', 'ipywidgets', 'ipycanvas', 'numpy', 'PIL') if m in sys.modules]; "
            "print(','.join(bad))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == ""
