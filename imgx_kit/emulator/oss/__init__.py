"""The Aliyun OSS emulator, moto-style: :mod:`.models` (what is stored), :mod:`.backend` (the
operations on the state, no HTTP), :mod:`.responses` (one method per OSS operation, the only
place that knows the request context), :mod:`.postobject` (browser form uploads).

The route entry points (``handle``, ``fault_response``, ``internal_error``, ``bad_request``,
``too_large``, ``max_body``) are :mod:`.responses`'; they load on first use, so
:mod:`imgx_kit.emulator.state` can import the models without an import cycle.
"""
from __future__ import annotations

from typing import Any

__all__ = ["bad_request", "fault_response", "handle", "internal_error", "max_body", "too_large"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import responses
        return getattr(responses, name)
    raise AttributeError(name)
