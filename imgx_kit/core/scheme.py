"""Signing schemes as data. AWS4, VOLC and OSS4 are three values of one frozen dataclass; one
canonicalisation and signing pipeline (:mod:`imgx_kit.core.canonical`, :mod:`imgx_kit.core.signer`)
reads these fields instead of subclassing.

    >>> from imgx_kit.core.scheme import AWS4, VOLC
    >>> AWS4.algorithm, VOLC.terminator
    ('AWS4-HMAC-SHA256', 'request')
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field, fields

from .errors import SchemeError

__all__ = ["AWS4", "OSS4", "SCHEMES", "VOLC", "Scheme", "scheme_by_name"]


@dataclass(frozen=True)
class Scheme:
    """Everything that differs between AWS SigV4, Volcengine HMAC-SHA256 and Aliyun OSS4."""

    name: str
    algorithm: str                 # first line of the string to sign and word of Authorization
    key_prefix: str                # prepended to the secret before the HMAC chain ("AWS4", "", "aliyun_v4")
    terminator: str                # last element of the credential scope
    date_header: str
    token_header: str
    content_sha_header: str
    # presigned-URL parameter names
    q_algorithm: str
    q_credential: str
    q_date: str
    q_expires: str
    q_signed_headers: str | None
    q_signature: str
    q_token: str
    # canonicalisation rules (see canonical.py)
    header_policy: str             # "botocore" | "volc-sdk" | "oss"
    path_style: str                # "aws" (normalise, encode raw) | "volc" (decode then encode) | "oss" (/bucket/key)
    query_sort: str                # "encoded" (by encoded key, value) | "raw-key" (by decoded key, stable)
    empty_value: str               # "equals" -> "k=" | "bare" -> "k"
    header_values: str             # "trimall" | "raw" | "strip"
    duplicates: str                # "join" (comma) | "last"
    payload: str                   # "sha256" | "unsigned"
    always_content_sha: bool       # add the content hash header on every request (VOLC SDK does)
    default_content_type: str | None   # VOLC SDK adds one to non-GET requests without Content-Type
    auth_list_label: str           # "SignedHeaders" or OSS4's "AdditionalHeaders"
    q_extra: tuple[str, ...] = ()  # further presign parameters (VOLC: X-NotSignBody, X-SignedQueries)
    # derived in __post_init__ (not arguments, not compared)
    lower_names: tuple[str, str, str] = field(init=False, repr=False, compare=False)
    query_auth_keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # lower-case header names, looked up on every signature
        object.__setattr__(self, "lower_names", (self.date_header.lower(), self.token_header.lower(),
                                                 self.content_sha_header.lower()))
        # every query parameter a presigned URL of this scheme adds (none is signed as user data)
        object.__setattr__(self, "query_auth_keys", frozenset(
            k for k in (self.q_algorithm, self.q_credential, self.q_date, self.q_expires,
                        self.q_signed_headers, self.q_signature, self.q_token, *self.q_extra) if k))

    def __repr__(self) -> str:
        return f"Scheme({self.name}: {self.algorithm}, key prefix {self.key_prefix!r}, scope …/{self.terminator})"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{f.name}</th>"
                       f"<td><code>{html.escape(repr(getattr(self, f.name)))}</code></td></tr>"
                       for f in fields(self) if f.init)
        return f"<table><caption>Scheme {html.escape(self.name)}</caption>{rows}</table>"


AWS4 = Scheme(
    name="AWS4", algorithm="AWS4-HMAC-SHA256", key_prefix="AWS4", terminator="aws4_request",
    date_header="X-Amz-Date", token_header="X-Amz-Security-Token", content_sha_header="X-Amz-Content-Sha256",
    q_algorithm="X-Amz-Algorithm", q_credential="X-Amz-Credential", q_date="X-Amz-Date",
    q_expires="X-Amz-Expires", q_signed_headers="X-Amz-SignedHeaders", q_signature="X-Amz-Signature",
    q_token="X-Amz-Security-Token",
    header_policy="botocore", path_style="aws", query_sort="encoded", empty_value="equals",
    header_values="trimall", duplicates="join", payload="sha256", always_content_sha=False,
    default_content_type=None, auth_list_label="SignedHeaders",
)

VOLC = Scheme(
    name="VOLC", algorithm="HMAC-SHA256", key_prefix="", terminator="request",
    date_header="X-Date", token_header="X-Security-Token", content_sha_header="X-Content-Sha256",
    q_algorithm="X-Algorithm", q_credential="X-Credential", q_date="X-Date", q_expires="X-Expires",
    q_signed_headers="X-SignedHeaders", q_signature="X-Signature", q_token="X-Security-Token",
    header_policy="volc-sdk", path_style="volc", query_sort="raw-key", empty_value="equals",
    header_values="raw", duplicates="last", payload="sha256", always_content_sha=True,
    default_content_type="application/x-www-form-urlencoded; charset=utf-8", auth_list_label="SignedHeaders",
    q_extra=("X-NotSignBody", "X-SignedQueries"),
)

OSS4 = Scheme(
    name="OSS4", algorithm="OSS4-HMAC-SHA256", key_prefix="aliyun_v4", terminator="aliyun_v4_request",
    date_header="x-oss-date", token_header="x-oss-security-token", content_sha_header="x-oss-content-sha256",
    q_algorithm="x-oss-signature-version", q_credential="x-oss-credential", q_date="x-oss-date",
    q_expires="x-oss-expires", q_signed_headers="x-oss-additional-headers", q_signature="x-oss-signature",
    q_token="x-oss-security-token",
    header_policy="oss", path_style="oss", query_sort="encoded", empty_value="bare",
    header_values="raw", duplicates="join", payload="unsigned", always_content_sha=True,
    default_content_type=None, auth_list_label="AdditionalHeaders",
)

SCHEMES = {"AWS4": AWS4, "VOLC": VOLC, "OSS4": OSS4}
_ALIASES = {"AWS4-HMAC-SHA256": "AWS4", "SIGV4": "AWS4", "AWS": "AWS4", "HMAC-SHA256": "VOLC",
            "VOLCENGINE": "VOLC", "OSS4-HMAC-SHA256": "OSS4", "OSS": "OSS4"}


def scheme_by_name(name: str | Scheme) -> Scheme:
    """Look a scheme up by name or algorithm (case-insensitive)."""
    if isinstance(name, Scheme):
        return name
    key = str(name).strip().upper()
    key = _ALIASES.get(key, key)
    if key not in SCHEMES:
        raise SchemeError(f"unknown signing scheme {name!r}",
                          hint=f"use one of {', '.join(SCHEMES)} (or ik.AWS4 / ik.VOLC / ik.OSS4)")
    return SCHEMES[key]
