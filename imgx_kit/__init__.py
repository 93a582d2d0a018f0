"""imgx-kit: see every step of a signed request, upload to ImageX, paint masks, inpaint — offline.

    >>> import imgx_kit as ik
    >>> req = ik.HttpRequest.build("GET", "https://example.amazonaws.com/")
    >>> creds = ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

Heavy or Jupyter-only names (clients, emulator, widgets) are imported on first use, so
``import imgx_kit`` stays light and works headless.
"""
from __future__ import annotations

import importlib
from typing import Any

from .core.credentials import Credentials
from .core.errors import *  # noqa: F401,F403
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
    "MaskPainter": "imgx_kit.widgets.painter:MaskPainter",
    "widgets": "imgx_kit.widgets:",
    "set_language": "imgx_kit.core.i18n:set_language",
    "get_language": "imgx_kit.core.i18n:get_language",
    "tr": "imgx_kit.core.i18n:tr",
}

__all__ = ["HttpRequest", "Credentials", "__version__", *_error_names, *_LAZY]


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
