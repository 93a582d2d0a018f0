"""The emulator's structure (#14 §6): services answer from a Runtime, not the Emulator; no import
cycle back to the API module; each emulator has its own seeded id generator."""
from __future__ import annotations

import subprocess
import sys

import requests

from imgx_kit.emulator.api import running
from imgx_kit.emulator.runtime import Runtime


def test_services_import_without_the_api_module():
    code = ("import sys\n"
            "import imgx_kit.emulator.imagex, imgx_kit.emulator.visual, imgx_kit.emulator.upload\n"
            "import imgx_kit.emulator.jimeng, imgx_kit.emulator.wsgi, imgx_kit.emulator.routing\n"
            "print('imgx_kit.emulator.api' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def _ids(emu) -> list[str]:
    return [requests.get(emu.endpoints.imagex + "/?Action=Nope&Version=1", timeout=5)
            .json()["ResponseMetadata"]["RequestId"][14:] for _ in range(3)]


def test_request_ids_are_per_emulator_and_reproducible():
    with running(seed=7) as a, running(seed=7) as b, running(seed=8) as c:
        assert isinstance(a.runtime, Runtime)
        ia = [_ids(a)[0], _ids(c)[0], _ids(a)[0]]          # interleaved with another emulator
        ib = [_ids(b)[0], _ids(b)[0]]
        assert ia[0] == ib[0] and ia[2] == ib[1] and ia[1] != ia[0]     # c drew nothing from a
