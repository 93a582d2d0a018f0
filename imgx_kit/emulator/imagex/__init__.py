"""The ImageX OpenAPI emulator, moto-style: :mod:`.backend` (upload sessions on the state, no
HTTP) and :mod:`.responses` (one method per Action; the route entry points re-exported here)."""
from __future__ import annotations

from .backend import image_meta
from .responses import bad_request, fault_response, handle, internal_error, max_body, too_large

__all__ = ["bad_request", "fault_response", "handle", "image_meta", "internal_error", "max_body", "too_large"]
