"""The emulator layer: a loopback HTTP server emulating every service imgx-kit talks to.

``ik.emulator.running(...)`` and the rest come from :mod:`imgx_kit.emulator.api`; this package
forwards to it so the names work however the package was first imported.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..core.extras import EXTRAS, ensure, missing_extra

if TYPE_CHECKING:                      # what __getattr__ forwards, for type checkers (tests/test_typing.py)
    from .api import (
        DEMO_BUCKET as DEMO_BUCKET,
        DEMO_OSS as DEMO_OSS,
        DEMO_SERVICE_ID as DEMO_SERVICE_ID,
        DEMO_SESSIONID as DEMO_SESSIONID,
        DEMO_VOLC as DEMO_VOLC,
        SERVICES as SERVICES,
        Emulator as Emulator,
        Endpoints as Endpoints,
        running as running,
    )

# the HTTP server stack and OpenCV are the ``emulator`` extra: without them, one clear error here
ensure("emulator", *EXTRAS["emulator"], what="the emulator")


if not TYPE_CHECKING:   # hidden from type checkers, so that a misspelt name is an error there, not Any
    def __getattr__(name: str) -> Any:
        if name.startswith("__") or name == "api":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        try:
            api = importlib.import_module(f"{__name__}.api")
        except ModuleNotFoundError as e:        # a third-party module of the extra, not ours
            if not e.name or e.name.partition(".")[0] == "imgx_kit":
                raise
            raise missing_extra("emulator", e.name, what="the emulator") from None
        return getattr(api, name)
