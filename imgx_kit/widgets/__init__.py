"""The widgets layer: trace views, the Signature Lab and the MaskPainter (ipywidgets, ipycanvas).

``ik.widgets.SignatureLab`` and ``ik.widgets.MaskPainter`` come from :mod:`imgx_kit.widgets.api`;
this package forwards to it so the names work however the package was first imported.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:                      # what __getattr__ forwards, for type checkers (tests/test_typing.py)
    from .api import FAULTS as FAULTS, MaskPainter as MaskPainter, SignatureLab as SignatureLab


if not TYPE_CHECKING:   # hidden from type checkers, so that a misspelt name is an error there, not Any
    def __getattr__(name: str) -> Any:
        if name.startswith("__") or name == "api":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        api = importlib.import_module(f"{__name__}.api")
        return getattr(api, name)
