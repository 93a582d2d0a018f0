"""Access key, secret key and optional session token. The secret and token never show.

    >>> import imgx_kit as ik
    >>> ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", session_token="STS2abc")
    Credentials(access_key='AKID…MPLE', secret_key=<hidden>, session_token=<hidden>)
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import CredentialsError
from .redact import mask_access_key
from .text import lone_surrogate

__all__ = ["ENV_PREFIXES", "Credentials"]

# prefix -> (access key variable, secret variable, token variable(s))
ENV_PREFIXES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "VOLC": ("VOLC_ACCESSKEY", "VOLC_SECRETKEY", ("VOLC_SESSION_TOKEN",)),
    "OSS": ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", ("OSS_SESSION_TOKEN", "OSS_SECURITY_TOKEN")),
    "AWS": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")),
    "ALIBABA_CLOUD": ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                      ("ALIBABA_CLOUD_SECURITY_TOKEN",)),
}


@dataclass(frozen=True, repr=False)
class Credentials:
    """An access key pair, optionally with an STS session token and its expiry."""

    access_key: str
    secret_key: str = field(compare=True)
    session_token: str | None = None
    expires_at: datetime | None = None
    demo: bool = field(default=False, compare=False)   # the emulator's published demo credentials

    def __post_init__(self) -> None:
        for name in ("access_key", "secret_key"):
            v = getattr(self, name)
            if not isinstance(v, str):
                raise CredentialsError(f"{name} must be a str, not {type(v).__name__}",
                                       hint="pass Credentials(access_key, secret_key, session_token=None)")
            if not v:
                raise CredentialsError(f"{name} is empty", hint="pass the key issued by the console or STS")
            if v != v.strip():
                raise CredentialsError(f"{name} has leading or trailing whitespace",
                                       hint="strip the value you copied (a trailing newline breaks every signature)")
        if self.session_token is not None and not isinstance(self.session_token, str):
            raise CredentialsError(f"session_token must be a str or None, not {type(self.session_token).__name__}")
        if self.session_token == "":
            object.__setattr__(self, "session_token", None)
        for name in ("access_key", "secret_key", "session_token"):
            v = getattr(self, name)
            if v is not None and any(c in v for c in "\r\n\x00"):
                raise CredentialsError(f"{name} contains a line break or NUL",
                                       hint="copy the key again without the line break")
            if v is not None and any(ord(c) < 0x20 or ord(c) == 0x7F for c in v):
                raise CredentialsError(f"{name} contains a control character",
                                       hint="copy the key again from its source; keys are printable text")
            if v is not None and lone_surrogate(v) is not None:
                raise CredentialsError(f"{name} contains a lone surrogate (broken Unicode)",
                                       hint="copy the key again from its source")
        if any(c.isspace() or c == "," for c in self.access_key):
            raise CredentialsError("access_key contains a space, tab or comma",
                                   hint="access keys are one word (it goes into 'Credential=AK/…,' unquoted)")
        if self.expires_at is not None:
            if not isinstance(self.expires_at, datetime):
                raise CredentialsError(f"expires_at must be a datetime, not {type(self.expires_at).__name__}",
                                       hint="e.g. datetime(2025, 1, 1, 12, tzinfo=timezone.utc), or None")
            if self.expires_at.tzinfo is None or self.expires_at.utcoffset() is None:
                raise CredentialsError("expires_at is a naive datetime (no time zone)",
                                       hint="use an aware UTC datetime")

    @classmethod
    def from_env(cls, prefix: str = "VOLC", environ: Mapping[str, Any] | None = None) -> Credentials:
        """Read the conventional variables: ``VOLC`` (VOLC_ACCESSKEY, VOLC_SECRETKEY,
        VOLC_SESSION_TOKEN), ``OSS`` (OSS_ACCESS_KEY_ID, …), ``AWS`` (AWS_ACCESS_KEY_ID, …)."""
        env = os.environ if environ is None else environ
        if not isinstance(prefix, str):
            raise CredentialsError(f"prefix must be a str, not {type(prefix).__name__}",
                                   hint=f"use one of {', '.join(sorted(ENV_PREFIXES))}")
        key = prefix.upper().rstrip("_")
        if key not in ENV_PREFIXES:
            raise CredentialsError(f"unknown credentials prefix {prefix!r}",
                                   hint=f"use one of {', '.join(sorted(ENV_PREFIXES))}")
        ak_var, sk_var, tok_vars = ENV_PREFIXES[key]
        if not hasattr(env, "get"):
            raise CredentialsError(f"environ must be a mapping of variable names to text, not {type(env).__name__}",
                                   hint="leave it out to read os.environ")
        for var in (ak_var, sk_var, *tok_vars):
            if env.get(var) is not None and not isinstance(env.get(var), str):
                raise CredentialsError(f"environment variable {var} is not text but {type(env.get(var)).__name__}",
                                       hint="environment values are strings; pass environ={'…': 'value'}")
        missing = [v for v in (ak_var, sk_var) if not env.get(v)]
        if missing:
            raise CredentialsError(f"environment variable {' and '.join(missing)} is not set",
                                   hint=f"export {ak_var}=… and {sk_var}=… before starting Python")
        token = next((env[v] for v in tok_vars if env.get(v)), None)
        return cls(env[ak_var].strip(), env[sk_var].strip(), token.strip() if token else None)

    def __repr__(self) -> str:
        tok = "<hidden>" if self.session_token else "None"
        return (f"Credentials(access_key={mask_access_key(self.access_key)!r}, secret_key=<hidden>, "
                f"session_token={tok})")

    __str__ = __repr__

    def _repr_html_(self) -> str:
        import html
        return f"<code>{html.escape(repr(self))}</code>"

    def secrets(self) -> tuple[str, ...]:
        """The strings that must never be shown (for redaction)."""
        return (self.secret_key, self.session_token) if self.session_token else (self.secret_key,)
