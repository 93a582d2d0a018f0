"""``ik.widgets``: the Jupyter widgets of imgx-kit.

    >>> import imgx_kit as ik
    >>> lab = ik.widgets.SignatureLab()          # display it in a notebook cell

``MaskPainter`` is imported on first use (it needs ipycanvas).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .lab import FAULTS, SignatureLab

if TYPE_CHECKING:                      # the lazy name for type checkers (tests/test_typing.py keeps it in step)
    from .painter import MaskPainter as MaskPainter

__all__ = ["FAULTS", "MaskPainter", "SignatureLab"]
_LAZY = {"MaskPainter": "imgx_kit.widgets.painter"}


if not TYPE_CHECKING:   # hidden from type checkers, so that a misspelt name is an error there, not Any
    def __getattr__(name: str) -> Any:
        mod = _LAZY.get(name)
        if mod is None:
            raise AttributeError(f"module 'imgx_kit.widgets.api' has no attribute {name!r}")
        value = getattr(importlib.import_module(mod), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
