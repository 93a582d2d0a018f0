"""The widgets layer: trace views, the Signature Lab and the MaskPainter (ipywidgets, ipycanvas).

``ik.widgets.SignatureLab`` and ``ik.widgets.MaskPainter`` come from :mod:`imgx_kit.widgets.api`;
this package forwards to it so the names work however the package was first imported.
"""
from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__") or name == "api":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    api = importlib.import_module(f"{__name__}.api")
    return getattr(api, name)
