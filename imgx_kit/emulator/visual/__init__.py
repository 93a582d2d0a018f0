"""The Volcengine visual (CV) emulator, moto-style: :mod:`.backend` (async tasks on the state, no
HTTP) and :mod:`.responses` (one method per Action; the route entry points re-exported here)."""
from __future__ import annotations

from .responses import (
    MAX_IMAGE_BYTES,
    MAX_SIDE,
    bad_request,
    fault_response,
    handle,
    internal_error,
    max_body,
    too_large,
)

__all__ = ["MAX_IMAGE_BYTES", "MAX_SIDE", "bad_request", "fault_response", "handle", "internal_error",
           "max_body", "too_large"]
