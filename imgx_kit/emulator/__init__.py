"""The emulator layer: a loopback HTTP server emulating every service imgx-kit talks to.

``ik.emulator.running(...)`` and the rest come from :mod:`imgx_kit.emulator.api`; this package
forwards to it so the names work however the package was first imported.
"""
from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__") or name == "api":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    api = importlib.import_module(f"{__name__}.api")
    return getattr(api, name)
