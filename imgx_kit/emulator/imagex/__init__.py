"""The ImageX OpenAPI emulator, moto-style: :mod:`.models` (upload sessions and slots),
:mod:`.backend` (the operations on them, no HTTP) and :mod:`.responses` (one method per Action).

The route entry points (``handle``, ``fault_response``, ``internal_error``, ``bad_request``,
``too_large``, ``max_body``) and ``image_meta`` load on first use, so
:mod:`imgx_kit.emulator.state` can import the models without an import cycle (as :mod:`..oss`).
"""
from __future__ import annotations

from typing import Any

__all__ = ["bad_request", "fault_response", "handle", "image_meta", "internal_error", "max_body", "too_large"]


def __getattr__(name: str) -> Any:
    if name == "image_meta":
        from . import backend
        return backend.image_meta
    if name in __all__:
        from . import responses
        return getattr(responses, name)
    raise AttributeError(name)
