"""The upload-host emulator, moto-style: :mod:`.backend` (slots, parts and merges on the state, no
HTTP) and :mod:`.responses` (one method per operation; the route entry points re-exported here)."""
from __future__ import annotations

from .backend import parse_crc
from .responses import bad_request, fault_response, handle, internal_error, max_body, too_large

__all__ = ["bad_request", "fault_response", "handle", "internal_error", "max_body", "parse_crc", "too_large"]
