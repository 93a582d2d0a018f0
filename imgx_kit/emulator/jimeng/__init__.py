"""The Jimeng / Dreamina web-API emulator, moto-style: :mod:`.backend` (logins and upload tokens
on the state, no HTTP) and :mod:`.responses` (one method per endpoint; route entry points here)."""
from __future__ import annotations

from .backend import CN_AID, CN_SERVICE_ID, INTL_AID, INTL_SERVICE_ID
from .responses import bad_request, fault_response, handle, internal_error, max_body, too_large

__all__ = ["CN_AID", "CN_SERVICE_ID", "INTL_AID", "INTL_SERVICE_ID", "bad_request", "fault_response",
           "handle", "internal_error", "max_body", "too_large"]
