"""One place that decides what is secret and how it is masked.

Secret keys, session tokens, ``sessionid`` cookies and upload ``Auth`` tokens never appear in a
repr, log line, exception, CLI output or notebook output. Everything that shows a request goes
through these functions::

    >>> from imgx_kit.core.redact import mask
    >>> mask("STS2eyJhbGciOiJIUzI1NiJ9.secret")
    'STS2…(31 chars)'
"""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

__all__ = ["mask", "mask_access_key", "is_secret_header", "redact_header_value", "redact_headers",
           "redact_url", "redact_text", "SECRET_QUERY_KEYS", "SECRET_HEADERS"]

# header names (lower case) whose whole value is a secret
SECRET_HEADERS = frozenset({
    "x-amz-security-token", "x-security-token", "x-oss-security-token", "x-acs-security-token",
    "proxy-authorization",
})
# query keys (lower case) whose value is a secret
SECRET_QUERY_KEYS = frozenset({
    "x-amz-security-token", "x-security-token", "security-token", "x-oss-security-token",
    "sessionid", "secret_access_key", "secretaccesskey", "session_token",
})
_SIGNED_AUTH_PREFIXES = ("AWS4-HMAC-SHA256 ", "HMAC-SHA256 ", "OSS4-HMAC-SHA256 ", "OSS ", "OSS2 ")
_COOKIE_SECRET = re.compile(r"(?i)\b(sessionid|sessionid_ss|sid_tt|sid_guard|uid_tt|uid_tt_ss|passport_csrf_token|sid_ucp_v1|ssid_ucp_v1)=([^;\s]*)")


def mask(value: str | None, keep: int = 4) -> str:
    """Mask a secret: keep at most ``keep`` leading characters and say how long it was."""
    if value is None:
        return "None"
    value = str(value)
    if not value:
        return "''"
    shown = value[:keep] if len(value) > 2 * keep else ""
    return f"{shown}…({len(value)} chars)"


def mask_access_key(ak: str) -> str:
    """An access key is an identifier, not a secret, but we still show only its ends."""
    if len(ak) <= 8:
        return ak[:2] + "…"
    return f"{ak[:4]}…{ak[-4:]}"


def is_secret_header(name: str, value: str = "") -> bool:
    low = name.lower()
    if low in SECRET_HEADERS or low == "cookie":
        return True
    if low == "authorization":
        # signed Authorization headers are what a learner needs to see; anything else (the
        # ImageX upload ``Auth`` token, Basic credentials, bearer tokens) is a secret
        return not value.startswith(_SIGNED_AUTH_PREFIXES)
    return False


def redact_header_value(name: str, value: str) -> str:
    low = name.lower()
    if low == "cookie" or low == "set-cookie":
        return _COOKIE_SECRET.sub(lambda m: f"{m.group(1)}={mask(m.group(2))}", value)
    if is_secret_header(name, value):
        return mask(value)
    return value


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, redact_header_value(k, v)) for k, v in headers]


def redact_url(url: str) -> str:
    """Mask secret query values (session tokens) in a URL, leaving the rest byte for byte."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    out = []
    for piece in parts.query.split("&"):
        key = piece.split("=", 1)[0]
        if "=" in piece and _unq(key).lower() in SECRET_QUERY_KEYS:
            out.append(f"{key}={quote(mask(_unq(piece.split('=', 1)[1])), safe='')}")
        else:
            out.append(piece)
    return urlunsplit(parts._replace(query="&".join(out)))


def _unq(s: str) -> str:
    pairs = parse_qsl(s + "=x", keep_blank_values=True)
    return pairs[0][0] if pairs else s


def redact_text(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret in ``text`` by its masked form."""
    for s in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(s, mask(s))
    return text
