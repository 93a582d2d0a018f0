"""The Jimeng / Dreamina web-API emulator, moto-style: :mod:`.models` (STS grants),
:mod:`.backend` (logins and upload tokens, no HTTP) and :mod:`.responses` (one method per endpoint).

The route entry points and constants load on first use, so :mod:`imgx_kit.emulator.state` can
import the models without an import cycle (as :mod:`..oss`).
"""
from __future__ import annotations

from typing import Any

__all__ = ["CN_AID", "CN_SERVICE_ID", "INTL_AID", "INTL_SERVICE_ID", "bad_request", "fault_response",
           "handle", "internal_error", "max_body", "too_large"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import responses
        return getattr(responses, name)
    raise AttributeError(name)
