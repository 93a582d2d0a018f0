"""Upload-host state, no HTTP (moto's ``models.py``): the slots ``ApplyImageUpload`` issued,
their Auth, whole uploads and the SDK's chunked ones (init, parts, merge), on the :class:`State`.
Errors are :class:`~imgx_kit.emulator.errors.UploadError`.

    >>> parse_crc("0000ABCD"), parse_crc("xyz")
    (43981, None)
"""
from __future__ import annotations

import hmac
import re
from datetime import datetime
from typing import Any

from ..errors import UploadError
from ..state import State, UploadSlot

__all__ = ["authorised_slot", "init_chunked", "merge_chunked", "parse_crc", "store_part", "store_whole"]

_HEX = re.compile(r"^[0-9A-Fa-f]{1,8}$")


def parse_crc(text: str | None) -> int | None:
    """``Content-CRC32`` as a number: hex, case-insensitive, leading zeros optional."""
    if text is None:
        return None
    t = text.strip()
    return int(t, 16) if _HEX.match(t) else None


def authorised_slot(state: State, store_uri: str, auth: str, now: datetime) -> UploadSlot:
    """The slot ``store_uri`` names when ``auth`` is exactly its Auth and its session is live."""
    slot = state.slot(store_uri)
    if slot is None:
        raise UploadError(404, 4040, "store uri not found")
    if not hmac.compare_digest(auth.encode(), slot.auth.encode()):
        raise UploadError(401, 4011, "invalid Authorization for this store uri")
    sess = state.session(slot.session_key)
    if sess is None or now > sess.expires_at:
        raise UploadError(403, 4031, "upload session expired")
    return slot


def init_chunked(state: State, slot: UploadSlot) -> str:
    """Start a chunked upload of ``slot``: its uploadID."""
    upload_id = state.hex(32)
    with state.lock:
        slot.parts[upload_id] = {}
    return upload_id


def store_part(state: State, slot: UploadSlot, upload_id: str, part: str | None, body: Any) -> None:
    """Keep part ``part`` (a decimal number) of chunked upload ``upload_id``."""
    if part is None or not re.fullmatch(r"[0-9]{1,5}", part):
        raise UploadError(400, 4003, "invalid partNumber")
    state.store_part(slot, upload_id, int(part), body)


def _check_size(slot: UploadSlot, size: int, strict: bool) -> None:
    if strict and slot.expected_size is not None and size != slot.expected_size:
        raise UploadError(400, 4004, f"file size {size} does not match FileSize {slot.expected_size}")


def store_whole(state: State, slot: UploadSlot, body: Any, *, strict_size: bool) -> None:
    """Keep a whole upload (its size checked against ``FileSize`` when ``strict_size``)."""
    _check_size(slot, body.size, strict_size)
    state.store_upload(slot, body)


def merge_chunked(state: State, slot: UploadSlot, upload_id: str, listing: bytes, *,
                  strict_size: bool) -> tuple[str, int]:
    """Merge chunked upload ``upload_id`` by the client's ``index:crc32,…`` list: (crc hex, parts)."""
    try:
        listed = [p.split(":", 1) for p in listing.decode("ascii").strip().split(",") if p]
        crcs = [(int(i), parse_crc(c)) for i, c in listed]
    except (ValueError, UnicodeDecodeError):
        raise UploadError(400, 4005, "merge body is not 'index:crc32,…'") from None
    with state.lock:
        parts = sorted(slot.parts.get(upload_id, {}).items())
    if not parts or [i for i, _ in crcs] != list(range(len(parts))) or \
            any(c != int(p[1][1], 16) for (_, c), p in zip(crcs, parts, strict=False)):
        raise UploadError(400, 4006, "merge list does not match the uploaded parts")
    _check_size(slot, sum(p[1][0].stat().st_size for p in parts), strict_size)
    crc, _ = state.merge_parts(slot, [p[1][0] for p in parts])
    with state.lock:
        slot.parts.pop(upload_id, None)
    return crc, len(parts)
