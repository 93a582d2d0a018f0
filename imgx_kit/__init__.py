"""imgx-kit: see every step of a signed request, upload to ImageX, paint masks, inpaint — offline.

    >>> import imgx_kit as ik
    >>> req = ik.HttpRequest.build("GET", "https://example.amazonaws.com/")
    >>> creds = ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

Heavy or Jupyter-only names (clients, emulator, widgets) are imported on first use, so
``import imgx_kit`` stays light and works headless.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .core.credentials import Credentials
from .core.errors import *  # noqa: F403
from .core.errors import __all__ as _error_names
from .core.request import HttpRequest

__version__ = "0.1.0"

# name -> "module:attribute" (attribute None = the module itself), imported on first access
_LAZY: dict[str, str] = {
    "Scheme": "imgx_kit.core.scheme:Scheme",
    "AWS4": "imgx_kit.core.scheme:AWS4",
    "VOLC": "imgx_kit.core.scheme:VOLC",
    "OSS4": "imgx_kit.core.scheme:OSS4",
    "Signer": "imgx_kit.core.signer:Signer",
    "Verification": "imgx_kit.core.signer:Verification",
    "SigningTrace": "imgx_kit.core.trace:SigningTrace",
    "Step": "imgx_kit.core.trace:Step",
    "TraceDiff": "imgx_kit.core.trace:TraceDiff",
    "presets": "imgx_kit.core.presets:",
    "capture": "imgx_kit.core.capture:",
    "diagnose": "imgx_kit.core.diagnose:diagnose",
    "Diagnosis": "imgx_kit.core.diagnose:Diagnosis",
    "Cause": "imgx_kit.core.diagnose:Cause",
    "oss": "imgx_kit.oss:",
    "emulator": "imgx_kit.emulator:",
    "ImageXClient": "imgx_kit.services.imagex:ImageXClient",
    "UploadResult": "imgx_kit.services.imagex:UploadResult",
    "BatchResult": "imgx_kit.services.imagex:BatchResult",
    "VisualClient": "imgx_kit.services.visual:VisualClient",
    "InpaintResult": "imgx_kit.services.visual:InpaintResult",
    "CallRecord": "imgx_kit.services.calls:CallRecord",
    "RetryPolicy": "imgx_kit.services.retry:RetryPolicy",
    "watch": "imgx_kit.services.watch:watch",
    "MaskPainter": "imgx_kit.widgets.painter:MaskPainter",
    "widgets": "imgx_kit.widgets:",
    "set_language": "imgx_kit.core.i18n:set_language",
    "get_language": "imgx_kit.core.i18n:get_language",
    "tr": "imgx_kit.core.i18n:tr",
}

# The same names for type checkers and editors (never executed): mypy and pyright see real types, not Any.
# tests/test_typing.py keeps this block and _LAZY in step.
if TYPE_CHECKING:
    from . import emulator as emulator, oss as oss, widgets as widgets
    from .core import capture as capture, presets as presets
    from .core.diagnose import Cause as Cause, Diagnosis as Diagnosis, diagnose as diagnose
    from .core.i18n import get_language as get_language, set_language as set_language, tr as tr
    from .core.scheme import AWS4 as AWS4, OSS4 as OSS4, VOLC as VOLC, Scheme as Scheme
    from .core.signer import Signer as Signer, Verification as Verification
    from .core.trace import SigningTrace as SigningTrace, Step as Step, TraceDiff as TraceDiff
    from .services.calls import CallRecord as CallRecord
    from .services.imagex import BatchResult as BatchResult, ImageXClient as ImageXClient, UploadResult as UploadResult
    from .services.retry import RetryPolicy as RetryPolicy
    from .services.visual import InpaintResult as InpaintResult, VisualClient as VisualClient
    from .services.watch import watch as watch
    from .widgets.painter import MaskPainter as MaskPainter

__all__ = ["HttpRequest", "Credentials", "__version__", *_error_names, *_LAZY]


if not TYPE_CHECKING:   # hidden from type checkers, so that a misspelt name is an error there, not Any
    def __getattr__(name: str) -> Any:
        target = _LAZY.get(name)
        if target is None:
            raise AttributeError(f"module 'imgx_kit' has no attribute {name!r}")
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        value = getattr(module, attr) if attr else module
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext imgx_kit``: adds the ``%%imgx_watch`` cell magic (see :mod:`imgx_kit.widgets.magic`)."""
    importlib.import_module("imgx_kit.widgets.magic").load_ipython_extension(ipython)
