"""Signing-key derivation, done once per (secret, date, region, service) and reused.

The key changes only daily, so deriving it again for every request is wasted work::

    >>> from imgx_kit.core.keys import derive_keys
    >>> k = derive_keys("AWS4", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam", "aws4_request")
    >>> k[-1].hex()[:16]
    'c4afb1cc5771d871'
"""
from __future__ import annotations

import hashlib
import hmac

__all__ = ["derive_keys", "hmac_sha256_hex"]

_new = hmac.new
_sha256 = hashlib.sha256


_CACHE: dict[tuple[str, ...], tuple[bytes, bytes, bytes, bytes]] = {}


def derive_keys(prefix: str, secret: str, date: str, region: str, service: str,
                terminator: str) -> tuple[bytes, bytes, bytes, bytes]:
    """(kDate, kRegion, kService, kSigning) of the HMAC-SHA256 chain, derived once and reused
    (a plain dict: cheaper per call than ``lru_cache``; cleared when it reaches 256 entries)."""
    args = (prefix, secret, date, region, service, terminator)
    keys = _CACHE.get(args)
    if keys is None:
        k_date = _new((prefix + secret).encode("utf-8"), date.encode("utf-8"), _sha256).digest()
        k_region = _new(k_date, region.encode("utf-8"), _sha256).digest()
        k_service = _new(k_region, service.encode("utf-8"), _sha256).digest()
        keys = (k_date, k_region, k_service, _new(k_service, terminator.encode("utf-8"), _sha256).digest())
        if len(_CACHE) >= 256:
            _CACHE.clear()
        _CACHE[args] = keys
    return keys


def hmac_sha256_hex(key: bytes, text: str) -> str:
    return hmac.digest(key, text.encode("utf-8"), "sha256").hex()
