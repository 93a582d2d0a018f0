"""Small pieces shared by the sub-commands."""
from __future__ import annotations

from datetime import datetime, timezone

from ..core.errors import ImgxError


def parse_time(text: str | None, flag: str, error: type[ImgxError]) -> datetime | None:
    """An aware UTC datetime from ``--flag 2025-01-01T00:00:00Z`` (``now`` is the current time).

        >>> parse_time("2025-01-01T00:00:00Z", "--at", ImgxError).isoformat()
        '2025-01-01T00:00:00+00:00'
    """
    if not text:
        return None
    if text == "now":
        return datetime.now(timezone.utc)
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise error(f"{flag} {text!r} is not an ISO 8601 time", hint="e.g. 2025-01-01T00:00:00Z") from None
    if at.tzinfo is None:
        raise error(f"{flag} {text!r} has no time zone",
                    hint="use an aware UTC time such as 2025-01-01T00:00:00Z") from None
    return at.astimezone(timezone.utc)
