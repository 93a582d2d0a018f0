"""One place that decides what is secret and how it is masked.

Secret keys, session tokens, ``sessionid`` cookies and upload ``Auth`` tokens never appear in a
repr, log line, exception, CLI output or notebook output. Everything that shows a request goes
through these functions::

    >>> from imgx_kit.core.redact import mask
    >>> mask("STS2eyJhbGciOiJIUzI1NiJ9.secret")
    'STS2…(31 chars)'
"""
from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, quote

__all__ = [
    "SECRET_HEADERS",
    "SECRET_JSON_KEYS",
    "SECRET_QUERY_KEYS",
    "is_secret_header",
    "is_secret_json_key",
    "mask",
    "mask_access_key",
    "redact_header_value",
    "redact_headers",
    "redact_text",
    "redact_url",
    "redactor",
    "scrub",
    "secret_values",
]

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
#: JSON keys (compared lower case, without ``_`` and ``-``) whose string values are secrets wherever
#: they appear: request bodies, answers (STS AssumeRole, get_upload_token), records and views
SECRET_JSON_KEYS = frozenset({
    "secretaccesskey", "sessiontoken", "securitytoken", "accesskeysecret", "secretkey", "secret",
    "sessionid", "auth", "password", "xamzsecuritytoken", "xsecuritytoken", "xosssecuritytoken",
})
_SIGNED_AUTH_PREFIXES = ("AWS4-HMAC-SHA256 ", "HMAC-SHA256 ", "OSS4-HMAC-SHA256 ", "OSS ", "OSS2 ")
_COOKIE_SECRET = re.compile(r"(?i)\b(sessionid|sessionid_ss|sid_tt|sid_guard|uid_tt|uid_tt_ss|passport_csrf_token"
                            r"|sid_ucp_v1|ssid_ucp_v1)=([^;\s]*)")


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
    """Mask secret query values (session tokens) and a userinfo password in a URL, leaving the
    rest byte for byte.

        >>> redact_url("https://user:s3cretpass@h/p?X-Amz-Security-Token=STS2abcdefgh&a=1")
        'https://user:****@h/p?X-Amz-Security-Token=STS2%E2%80%A6%2812%20chars%29&a=1'
    """
    if "@" in url:
        url = _USERINFO.sub(_userinfo, url)
    head, sep, rest = url.partition("?")          # by text, not urlsplit: a URL that does not parse
    if not sep:                                   # is masked all the same
        return url
    query, hash_sep, fragment = rest.partition("#")
    out = []
    for piece in query.split("&"):
        key, eq, value = piece.partition("=")
        # the key as a server reads it, and its last word after a stray '?' or ';' ("a?security-token")
        name = re.split(r"[?;]", _unq(key).lower())[-1]
        if eq and value and name in SECRET_QUERY_KEYS and "%E2%80%A6%28" not in value:
            out.append(f"{key}={quote(mask(_unq(value)), safe='')}")
        else:
            out.append(piece)
    return head + "?" + "&".join(out) + hash_sep + fragment


def _unq(s: str) -> str:
    pairs = parse_qsl(s + "=x", keep_blank_values=True)
    return pairs[0][0] if pairs else s


def redact_text(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret in ``text`` by its masked form — also its
    percent-encoded forms, as a canonical query or a URL carries it (STS tokens hold ``/+=``),
    and its base64 form. The forms are derived once per secret and once per set of secrets
    (cached), so cleaning many strings costs a substring test per form."""
    return redactor(secrets)(text) if text else text


def redactor(secrets: Iterable[str | None]) -> Callable[[str], str]:
    """``redact_text`` bound to one set of secrets: the function a record builder calls on each
    of its strings (the set's forms are looked up once, not per string).

        >>> clean = redactor(["wJalrXUtnFEMI/K7MDENG"])
        >>> clean("key=wJalrXUtnFEMI%2FK7MDENG")
        'key=wJal…(21 chars)'
    """
    key = frozenset(s for s in secrets if s and len(s) >= 4)
    return _redactor(key) if key else _same


def _same(text: str) -> str:
    return text


@lru_cache(maxsize=1024)
def _redactor(secrets: frozenset[str]) -> Callable[[str], str]:
    forms = _secret_forms(secrets)

    def clean(text: str) -> str:
        for form, shown in forms:
            if form in text:
                text = text.replace(form, shown)
        return text
    return clean


@lru_cache(maxsize=1024)
def _secret_forms(secrets: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """(form, masked) of every secret of the set, longest first (a secret holding another is
    replaced whole)."""
    forms: dict[str, str] = {}
    for s in sorted(secrets):
        shown = mask(s)
        for form in _forms_of(s):
            forms.setdefault(form, shown)
    return tuple(sorted(forms.items(), key=lambda kv: len(kv[0]), reverse=True))


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch      # what percent-encoding leaves as is


@lru_cache(maxsize=4096)
def _forms_of(secret: str) -> tuple[str, ...]:
    b64 = base64.b64encode(secret.encode("utf-8", "surrogatepass")).decode("ascii")
    if _UNRESERVED(secret):
        forms: tuple[str, ...] = (secret, b64, b64.rstrip("="))
    else:
        raw = secret.encode("utf-8", "surrogatepass")
        full = _pct(_NOT_UNRESERVED, raw)
        forms = (secret, full, _pct(_NOT_UNRESERVED_OR_SLASH, raw), full.replace("%20", "+"), b64, b64.rstrip("="))
    return tuple(dict.fromkeys(f for f in forms if len(f) >= 4))


# percent-encoding as urllib.parse.quote(s, safe="") / quote(s, safe="/") / quote_plus(s, safe="") do it
# (a property test checks they agree), but one regex pass instead of urllib's per-character loop
_NOT_UNRESERVED = re.compile(rb"[^A-Za-z0-9_.~-]")
_NOT_UNRESERVED_OR_SLASH = re.compile(rb"[^A-Za-z0-9_.~/-]")


def _pct(pattern: re.Pattern[bytes], raw: bytes) -> str:
    return pattern.sub(lambda m: b"%%%02X" % m.group()[0], raw).decode("ascii")


def secret_values(headers: Iterable[tuple[str, str]], url: str = "") -> tuple[str, ...]:
    """The secrets a request carries itself: values of secret headers (tokens, non-signing
    Authorization such as the upload ``Auth``), secret cookies and secret query values.

        >>> secret_values([("Cookie", "a=1; sessionid=0123456789abcdef"), ("X-Security-Token", "STS2x")])
        ('0123456789abcdef', 'STS2x')
    """
    out: list[str] = []
    for k, v in headers:
        low = k.lower()
        if low in ("cookie", "set-cookie"):
            out += [m.group(2) for m in _COOKIE_SECRET.finditer(v) if m.group(2)]
        elif is_secret_header(k, v) and v:
            out.append(v)
    if url and "?" in url:
        query = url.split("?", 1)[1].split("#", 1)[0]
        out += [v for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() in SECRET_QUERY_KEYS and v]
    return tuple(dict.fromkeys(out))


_NAMES = "|".join(re.escape(n) for n in sorted(SECRET_QUERY_KEYS | SECRET_HEADERS, key=len, reverse=True))
# "name=value" (query), "name: value" / "name value" (header lines) and "'name', 'value'" (pairs)
_NAMED_SECRET = re.compile(r"(?i)(?<![\w-])(" + _NAMES + r")(=|\s*:\s*|\s+|['\"]?\s*,\s*['\"]?)([^\s&'\",;)\]]+)")
# "Authorization: <value>" whose value is not a signature (an upload Auth, Basic or Bearer token)
_LOOSE_AUTH = re.compile(r"(?i)(?<![\w-])(authorization['\"]?\s*[:,]\s*['\"]?)"
                         r"(?!(?:AWS4-HMAC-SHA256|HMAC-SHA256|OSS4-HMAC-SHA256|OSS2?) )([^'\"\s][^'\"\n]{7,})")


_COOKIE_IN_TEXT = re.compile(_COOKIE_SECRET.pattern.replace(r"([^;\s]*)", r"([^;\s'\"]+)"))
# "key": "value" in JSON text (bodies, answers); the key is checked by is_secret_json_key
_JSON_FIELD = re.compile(r'"([A-Za-z][\w-]{2,40})"(\s*:\s*)"((?:[^"\\]|\\.)*)"')
# the password of scheme://user:password@host (stops at the last '@' before the path)
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/?#\s:@'\"]*:)([^/?#\s'\"]*)(@)")


def is_secret_json_key(key: object) -> bool:
    """Whether a JSON key names a secret (``SecretAccessKey``, ``session_token``, ``AccessKeySecret`` …).

        >>> is_secret_json_key("SecurityToken"), is_secret_json_key("secret_access_key"), is_secret_json_key("Key")
        (True, True, False)
    """
    return isinstance(key, str) and key.lower().replace("_", "").replace("-", "") in SECRET_JSON_KEYS


def _json_field(m: re.Match[str]) -> str:
    key, sep, value = m.groups()
    if not value or not is_secret_json_key(key) or "…(" in value:
        return str(m.group(0))
    return f'"{key}"{sep}"{mask(value)}"'


def _userinfo(m: re.Match[str]) -> str:
    head, password, at = m.groups()
    if not password or password == _URL_PASSWORD_MASK:
        return str(m.group(0))
    return head + _URL_PASSWORD_MASK + at


_URL_PASSWORD_MASK = "****"     # as pip and git show a URL password: nothing of it, not even its length


def _masked(prefix: str, value: str) -> str:
    return prefix + (value if "…(" in value else mask(value))     # never mask a mask again


def _named(m: re.Match[str]) -> str:
    name, sep, value = m.groups()
    if not sep.strip() and len(value) < 12:     # "x-security-token header": a word, not a value
        return str(m.group(0))
    return _masked(name + sep, value)


def scrub(text: str) -> str:
    """Mask what looks like a secret in free text (an error message quoting the user's input, a
    body preview): secret JSON fields, URL passwords, secret query parameters, secret cookies,
    secret header lines and non-signing Authorization.

        >>> scrub("URL 'h/?X-Amz-Security-Token=STS2abcdefgh' is relative")
        "URL 'h/?X-Amz-Security-Token=STS2…(12 chars)' is relative"
    """
    if not text:
        return text
    if '"' in text:
        text = _JSON_FIELD.sub(_json_field, text)
    if "@" in text:
        text = _USERINFO.sub(_userinfo, text)
    text = _COOKIE_IN_TEXT.sub(lambda m: _masked(m.group(1) + "=", m.group(2)), text)
    text = _NAMED_SECRET.sub(_named, text)
    return _LOOSE_AUTH.sub(lambda m: _masked(m.group(1), m.group(2)), text)
