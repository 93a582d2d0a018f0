"""Signing-key derivation, done once per (secret, date, region, service) and reused.

The key changes only daily, so deriving it again for every request is wasted work; so is the
HMAC key setup, so the cache also keeps an HMAC already keyed with the signing key::

    >>> from imgx_kit.core.keys import derive_keys, sign_string
    >>> args = ("AWS4", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam", "aws4_request")
    >>> derive_keys(*args)[-1].hex()[:16]
    'c4afb1cc5771d871'
    >>> import hashlib, hmac
    >>> sign_string(args, "text")[1] == hmac.new(derive_keys(*args)[3], b"text", hashlib.sha256).hexdigest()
    True
"""
from __future__ import annotations

import hashlib
import hmac
from binascii import b2a_base64

__all__ = ["derive_keys", "hmac_sha1_base64", "sign_string"]

_new = hmac.new
_sha256 = hashlib.sha256

Keys = tuple[bytes, bytes, bytes, bytes]
# (prefix, secret, date, region, service, terminator) -> (the four keys, HMAC keyed with kSigning)
_CACHE: dict[tuple[str, ...], tuple[Keys, hmac.HMAC]] = {}


def _derive(args: tuple[str, ...]) -> tuple[Keys, hmac.HMAC]:
    prefix, secret, date, region, service, terminator = args
    k_date = _new((prefix + secret).encode("utf-8"), date.encode("utf-8"), _sha256).digest()
    k_region = _new(k_date, region.encode("utf-8"), _sha256).digest()
    k_service = _new(k_region, service.encode("utf-8"), _sha256).digest()
    k_signing = _new(k_service, terminator.encode("utf-8"), _sha256).digest()
    if len(_CACHE) >= 256:                 # a plain dict: cheaper per call than lru_cache
        _CACHE.clear()
    entry = _CACHE[args] = ((k_date, k_region, k_service, k_signing), _new(k_signing, digestmod=_sha256))
    return entry


def derive_keys(prefix: str, secret: str, date: str, region: str, service: str,
                terminator: str) -> Keys:
    """(kDate, kRegion, kService, kSigning) of the HMAC-SHA256 chain, derived once and reused."""
    args = (prefix, secret, date, region, service, terminator)
    return (_CACHE.get(args) or _derive(args))[0]


def sign_string(args: tuple[str, str, str, str, str, str], text: str) -> tuple[Keys, str]:
    """(the derived keys, hex HMAC-SHA256 of ``text`` under kSigning) for
    ``args = (prefix, secret, date, region, service, terminator)``."""
    keys, keyed = _CACHE.get(args) or _derive(args)
    mac = keyed.copy()                     # the keyed state is shared; each signature works on a copy
    mac.update(text.encode("utf-8"))
    return keys, mac.hexdigest()


# OSS V1 signs with the secret itself: keep an HMAC-SHA1 keyed with each secret
_SHA1_KEYED: dict[str, hmac.HMAC] = {}


def hmac_sha1_base64(secret: str, text: str) -> str:
    """Base64 of HMAC-SHA1(secret, text), the OSS V1 signature.

    >>> hmac_sha1_base64("secret", "GET")
    'jh/kGlWtM5U2/C33+8m9ch0reJY='
    """
    keyed = _SHA1_KEYED.get(secret)
    if keyed is None:
        if len(_SHA1_KEYED) >= 256:
            _SHA1_KEYED.clear()
        keyed = _SHA1_KEYED[secret] = _new(secret.encode("utf-8"), digestmod=hashlib.sha1)
    mac = keyed.copy()
    mac.update(text.encode("utf-8"))
    return b2a_base64(mac.digest(), newline=False).decode("ascii")
