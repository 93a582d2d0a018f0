"""Where the services are: a running ``imgx-kit emulator`` (``--emulator-url``) or ``--endpoint``.

An emulator answers ``GET <url>/__imgx__/endpoints`` with the root URL of each service, JSON
``{"jimeng": …, "imagex": …, "upload": …, "visual": …, "oss": …}``; anything else is not an
imgx-kit emulator and is refused with one clear line.

    >>> check_base_url("https://visual.volcengineapi.com/", "--endpoint")
    'https://visual.volcengineapi.com'
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from ..core.credentials import Credentials
from .common import UsageError

__all__ = ["ENDPOINTS_PATH", "SERVICES", "check_base_url", "demo_identities", "emulator_endpoints"]

ENDPOINTS_PATH = "/__imgx__/endpoints"
SERVICES = ("jimeng", "imagex", "upload", "visual", "oss")
_MAX_ANSWER = 64 * 1024


def check_base_url(url: str, flag: str) -> str:
    """``url`` as a service base (``http(s)://host[:port][/path]``, no query), without a trailing ``/``."""
    try:
        sp = urlsplit(url)
        _ = sp.port
    except ValueError:
        raise UsageError(f"{flag} {url!r} has a bad port", hint="e.g. http://127.0.0.1:8765") from None
    if sp.scheme not in ("http", "https") or not sp.hostname or "\u2026" in url:
        raise UsageError(f"{flag} {url!r} is not an http(s) URL", hint="e.g. http://127.0.0.1:8765")
    if sp.query or sp.fragment or sp.username is not None or any(c.isspace() for c in url):
        raise UsageError(f"{flag} {url!r} has a query, a fragment, a user name or spaces",
                         hint="a base URL is scheme://host[:port][/path]")
    return url.rstrip("/")


def emulator_endpoints(url: str, timeout: float = 5.0) -> dict[str, str]:
    """The services of the emulator running at ``url`` (``imgx-kit emulator`` prints it)."""
    import requests

    base = check_base_url(url, "--emulator-url")
    hint = "start one with `imgx-kit emulator` and pass the URL it prints"
    try:
        with requests.get(base + ENDPOINTS_PATH, timeout=timeout, stream=True, allow_redirects=False) as r:
            raw = r.raw.read(_MAX_ANSWER + 1, decode_content=True)
            status = r.status_code
    except requests.RequestException as e:
        raise UsageError(f"--emulator-url {base}: cannot connect ({type(e).__name__})", hint=hint) from None
    not_emu = f"--emulator-url {base} is not an imgx-kit emulator"
    if status != 200 or len(raw) > _MAX_ANSWER:
        raise UsageError(f"{not_emu} (GET {ENDPOINTS_PATH} answered HTTP {status})", hint=hint)
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        raise UsageError(f"{not_emu} (GET {ENDPOINTS_PATH} did not answer JSON)", hint=hint) from None
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) for k in SERVICES):
        raise UsageError(f"{not_emu} (its {ENDPOINTS_PATH} lacks {', '.join(SERVICES)})", hint=hint)
    return {k: check_base_url(doc[k], f"the emulator's {k} endpoint") for k in SERVICES}


def demo_identities() -> tuple[str, Credentials, str]:
    """The emulator's public demo identities (sessionid, VOLC credentials, ServiceId)."""
    try:
        from ..emulator.api import DEMO_SERVICE_ID, DEMO_SESSIONID, DEMO_VOLC
    except ImportError:
        raise UsageError("the emulator's demo identities need the emulator extra",
                         hint='pip install "imgx-kit[emulator]", or set JIMENG_SESSIONID / VOLC_ACCESSKEY '
                              "and VOLC_SECRETKEY in the environment") from None
    return DEMO_SESSIONID, Credentials(*DEMO_VOLC, demo=True), DEMO_SERVICE_ID
