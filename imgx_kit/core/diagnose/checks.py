"""Layer 1 of diagnose: the checks that need no secret, one small registered function per fact.

Each check names the catalogue ids it can report, the schemes it applies to and how it proves
itself; :func:`run_checks` runs the registered ones that apply, in registration order (which is
also the order ties are ranked in). Adding a cause is adding one ``@check``::

    >>> from imgx_kit.core.diagnose.checks import CHECKS
    >>> [c.name for c in CHECKS][:3]
    ['algorithm_and_terminator', 'scope_against_expectation', 'oss1_against_v4_endpoint']
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from ..redact import mask_access_key
from ..scheme import SCHEMES
from ..signer import parse_timestamp, sha256_hex
from .catalogue import ALL_SCHEMES
from .context import HOP, TEMP_AK, Ctx

__all__ = ["CHECKS", "Check", "check", "run_checks"]

_V4 = ("AWS4", "VOLC", "OSS4")
_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")


@dataclass(frozen=True)
class Check:
    """A registered static check: the ``ids`` it may report, the ``schemes`` it applies to, whether it
    ``needs_secret`` (never, for layer 1) and how it ``proves`` itself (structure / expectation)."""

    name: str
    ids: tuple[str, ...]
    schemes: tuple[str, ...]
    proves: str
    run: Callable[[Ctx], None]
    needs_secret: bool = False


CHECKS: list[Check] = []


def check(*ids: str, schemes: tuple[str, ...] = ALL_SCHEMES, proves: str = "structure"
          ) -> Callable[[Callable[[Ctx], None]], Callable[[Ctx], None]]:
    def register(fn: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
        CHECKS.append(Check(fn.__name__, ids, schemes, proves, fn))
        return fn
    return register


def run_checks(ctx: Ctx) -> None:
    for c in CHECKS:
        if ctx.s.scheme in c.schemes:
            c.run(ctx)


# ---- algorithm and scope ----------------------------------------------------------------------------
@check("wrong-algorithm-string", "wrong-scope-terminator", schemes=_V4)
def algorithm_and_terminator(ctx: Ctx) -> None:
    s, exp, f = ctx.s, ctx.exp, ctx.f
    want = SCHEMES.get(exp.scheme)
    if want is not None and s.algorithm != want.algorithm:
        f.add("wrong-algorithm-string", f"the request uses algorithm {s.algorithm!r}; {exp.source} expects "
              f"{want.algorithm!r}", "high", "structure")
    elif want is None and exp.scheme == "OSS1":
        f.add("wrong-algorithm-string", f"the request uses {s.algorithm!r}; {exp.source} expects OSS V1", "high",
              "structure")
    if want is not None and s.terminator != want.terminator:
        f.add("wrong-scope-terminator", f"the credential scope ends in {s.terminator!r}, not {want.terminator!r}",
              "high", "structure")
    f.checked.append("algorithm and scope terminator")


@check("wrong-region", "wrong-service", schemes=_V4, proves="expectation")
def scope_against_expectation(ctx: Ctx) -> None:
    s, exp, f = ctx.s, ctx.exp, ctx.f
    if exp.region and s.region != exp.region:
        f.add("wrong-region", f"the scope names region {s.region!r}; {exp.source} expects {exp.region!r}",
              "high" if exp.signer is not None else "medium", "expectation")
    if exp.service and s.service != exp.service:
        case = s.service.lower() == exp.service.lower()
        f.add("wrong-service", f"the scope names service {s.service!r}; {exp.source} expects {exp.service!r}"
              + (" (the names differ only in case)" if case else ""),
              "high" if (exp.signer is not None or case) else "medium", "expectation")
    f.checked.append(f"region and service against {exp.source}")


@check("wrong-algorithm-string", schemes=("OSS1",))
def oss1_against_v4_endpoint(ctx: Ctx) -> None:
    if ctx.exp.scheme in SCHEMES:
        ctx.f.add("wrong-algorithm-string", f"the request is signed with OSS V1; {ctx.exp.source} expects "
                  f"{SCHEMES[ctx.exp.scheme].algorithm}", "high", "structure")


# ---- time -----------------------------------------------------------------------------------------------
@check("date-format-invalid", "presigned-url-expired", schemes=("OSS1",), proves="expectation")
def oss1_dates(ctx: Ctx) -> None:
    s, f, now = ctx.s, ctx.f, ctx.now
    if s.presigned:
        if s.expires is None:
            f.add("date-format-invalid", f"Expires={s.timestamp!r} is not Unix seconds", "high", "structure")
        elif now is not None:
            left = s.expires - int(now.timestamp())
            if left < 0:
                f.add("presigned-url-expired", f"Expires={s.expires} is {-left} s before {ctx.now_src}", "high",
                      "expectation")
            f.checked.append("expiry")
        return
    try:
        ts_dt = parsedate_to_datetime(s.timestamp) if s.timestamp else None
    except (TypeError, ValueError, OverflowError):
        ts_dt = None
    if ts_dt is None:
        f.add("date-format-invalid", f"Date {s.timestamp!r} is missing or not an RFC 1123 date", "high", "structure")
    else:
        ctx.ts_dt = ts_dt if ts_dt.tzinfo is not None else ts_dt.replace(tzinfo=timezone.utc)


@check("date-format-invalid", "date-header-mismatch", schemes=_V4)
def v4_timestamp(ctx: Ctx) -> None:
    s, f, sc = ctx.s, ctx.f, ctx.sc
    assert sc is not None
    name = sc.q_date if s.presigned else sc.date_header
    if not s.timestamp:
        if name.lower() not in ctx.listed:
            f.add("date-format-invalid", f"the request has no {name}", "high", "structure")
    elif not _DATE_RE.match(s.timestamp) or parse_timestamp(s.timestamp) is None:
        f.add("date-format-invalid", f"{name} {s.timestamp!r} is not YYYYMMDDTHHMMSSZ (UTC)", "high", "structure")
    else:
        ctx.ts_dt = parse_timestamp(s.timestamp)
        if not re.fullmatch(r"\d{8}", s.date or ""):
            f.add("date-format-invalid", f"the credential scope date {s.date!r} is not YYYYMMDD", "high", "structure")
        elif s.date != s.timestamp[:8]:
            f.add("date-header-mismatch", f"the scope date {s.date} is not the date of {name} ({s.timestamp[:8]})",
                  "high", "structure")
    f.checked.append("timestamp format and scope date")


@check("presigned-url-expired", schemes=_V4, proves="expectation")
def v4_expiry(ctx: Ctx) -> None:
    s, f, sc = ctx.s, ctx.f, ctx.sc
    if not s.presigned or s.expires is None or sc is None:
        return
    if not 1 <= s.expires <= 604800:
        f.add("presigned-url-expired", f"{sc.q_expires}={s.expires} is outside 1…604800 s (7 days)", "high",
              "structure")
    if ctx.ts_dt is not None and ctx.now is not None:
        late = (ctx.now - ctx.ts_dt).total_seconds() - s.expires      # no datetime arithmetic: no overflow
        if late > 0:
            f.add("presigned-url-expired", f"signed at {s.timestamp}, valid {s.expires} s, so it expired "
                  f"{int(late)} s before {ctx.now_src}", "high", "expectation")
        f.checked.append("expiry")


@check("clock-skew", "scope-date-not-utc", proves="expectation")
def clock(ctx: Ctx) -> None:
    f, now, ts_dt = ctx.f, ctx.now, ctx.ts_dt
    if ts_dt is None or ctx.s.presigned:
        return
    if now is None:
        f.not_checked.append("clock skew (pass now= or the server response with its Date)")
        return
    skew = (ts_dt - now).total_seconds()
    hours = round(skew / 3600)
    if abs(skew) > 900:
        if hours and abs(skew - hours * 3600) <= 120:
            f.add("scope-date-not-utc", f"the timestamp is {skew:+.0f} s ({hours:+d} h) from {ctx.now_src}: "
                  "whole hours point to local time written as UTC", "high", "expectation")
        else:
            f.add("clock-skew", f"the timestamp is {skew:+.0f} s from {ctx.now_src} (the window is ±900 s)",
                  "high", "expectation")
    f.checked.append(f"clock skew against {ctx.now_src}")


# ---- credentials and token ----------------------------------------------------------------------------
def _token_name(ctx: Ctx) -> str:
    s, sc = ctx.s, ctx.sc
    if s.scheme == "OSS1":
        return "security-token" if s.presigned else "x-oss-security-token"
    assert sc is not None
    return sc.q_token if s.presigned else sc.token_header


@check("session-token-missing", "session-token-not-signed", "expired-credentials")
def session_token(ctx: Ctx) -> None:
    s, f, creds = ctx.s, ctx.f, ctx.creds
    temp = s.access_key.startswith(TEMP_AK)
    name = _token_name(ctx)
    listed = set(ctx.listed)
    if not s.token and (temp or (creds is not None and creds.session_token)) and name.lower() not in listed:
        why = f"the access key {mask_access_key(s.access_key)} is temporary" if temp else \
            "your credentials carry a session token"
        f.add("session-token-missing", f"{why} but the request has no {name}", "high", "structure")
    if s.token and not s.presigned and s.scheme in ("AWS4", "VOLC") and name.lower() not in listed:
        f.add("session-token-not-signed", f"{name} is sent but not listed in SignedHeaders "
              f"({s.signed_raw or '-'})", "high", "structure")
    if creds is not None and creds.expires_at is not None and ctx.now is not None and ctx.now > creds.expires_at:
        f.add("expired-credentials", f"the credentials expired at {creds.expires_at.isoformat()}", "high",
              "expectation")
    f.checked.append("session token present and signed")


# ---- the signed-header list ----------------------------------------------------------------------------
def _lists_headers(ctx: Ctx) -> bool:
    return ctx.s.scheme in ("AWS4", "VOLC") and not (ctx.s.presigned and ctx.s.scheme == "VOLC")


def _badly_written(raw: str) -> bool:
    names = raw.split(";") if raw else []
    return any(n != n.lower() for n in names) or names != sorted(names) or "" in names


@check("case-of-signed-headers", "duplicate-header", schemes=("AWS4", "VOLC"))
def signed_list_shape(ctx: Ctx) -> None:
    if not _lists_headers(ctx):
        return
    raw = ctx.s.signed_raw
    if _badly_written(raw):
        ctx.f.add("case-of-signed-headers", f"SignedHeaders={raw!r} is not lower-case, sorted and without empty "
                  "names", "high", "structure")
    counts = Counter(n.lower() for n in (raw.split(";") if raw else []))
    dup = sorted(n for n, k in counts.items() if k > 1)
    if dup:
        ctx.f.add("duplicate-header", f"SignedHeaders lists {', '.join(dup)} more than once", "high", "structure")


@check("signed-header-missing", schemes=("AWS4", "VOLC", "OSS4"))
def listed_headers_present(ctx: Ctx) -> None:
    if (ctx.s.scheme == "OSS4" and ctx.s.presigned) or not (_lists_headers(ctx) or ctx.s.scheme == "OSS4"):
        return
    label = "AdditionalHeaders" if ctx.s.scheme == "OSS4" else "SignedHeaders"
    for n in sorted(set(ctx.listed)):
        if n != "host" and not ctx.has(n):
            ctx.f.add("signed-header-missing", f"{label} lists {n} but the request does not carry it", "high",
                      "structure")


@check("duplicate-header", "non-ascii-header-value", "hop-by-hop-header-signed", schemes=("AWS4", "VOLC"))
def listed_header_values(ctx: Ctx) -> None:
    if not _lists_headers(ctx):
        return
    for n in sorted(set(ctx.listed)):
        vals = ctx.headers.get(n, [])
        if len(vals) > 1:
            ctx.f.add("duplicate-header", f"{n} is sent {len(vals)} times", "medium", "advice")
        if any(not v.isascii() for v in vals):
            ctx.f.add("non-ascii-header-value", f"the signed header {n} contains non-ASCII characters", "medium",
                      "advice")
    hop = [n for n in ctx.listed if n in HOP]
    if hop:
        ctx.f.add("hop-by-hop-header-signed", f"SignedHeaders includes {', '.join(hop)}, which proxies and "
                  "transports may change", "low", "advice")
    ctx.f.checked.append("SignedHeaders list against the headers sent")


@check("volc-host-or-date-not-signed", "unsigned-header-present", schemes=("AWS4", "VOLC"))
def date_and_host_signed(ctx: Ctx) -> None:
    s, sc = ctx.s, ctx.sc
    if not _lists_headers(ctx) or s.presigned or sc is None:
        return
    if s.timestamp and sc.date_header.lower() not in ctx.listed:
        ctx.f.add("volc-host-or-date-not-signed" if s.scheme == "VOLC" else "unsigned-header-present",
                  f"{sc.date_header} is sent but not in SignedHeaders", "medium", "advice")
    if s.scheme == "VOLC" and "host" not in ctx.listed:
        ctx.f.add("volc-host-or-date-not-signed", "host is sent but not in SignedHeaders (the documentation "
                  "requires host and x-date to be signed; the gateway checks it)", "high", "structure")


@check("unsigned-header-present", schemes=("AWS4",))
def s3_signs_every_amz_header(ctx: Ctx) -> None:
    if not ctx.exp.s3 or ctx.s.presigned:
        return
    listed = set(ctx.listed)
    unsigned = sorted(n for n in ctx.headers
                      if n.startswith("x-amz-") and n not in listed and n != "x-amz-security-token")
    if unsigned:
        ctx.f.add("unsigned-header-present", f"S3 requires every x-amz-* header to be signed; unsigned: "
                  f"{', '.join(unsigned)}", "high", "structure")


@check("case-of-signed-headers", schemes=("OSS4",))
def oss4_additional_shape(ctx: Ctx) -> None:
    if _badly_written(ctx.s.signed_raw):
        where = "x-oss-additional-headers" if ctx.s.presigned else "AdditionalHeaders"
        ctx.f.add("case-of-signed-headers", f"{where}={ctx.s.signed_raw!r} is not lower-case, sorted and without "
                  "empty names", "high", "structure")


@check("non-ascii-header-value", schemes=("OSS1",))
def oss1_non_ascii(ctx: Ctx) -> None:
    for n, vals in ctx.headers.items():
        if (n.startswith("x-oss-") or n in ("content-type", "content-md5")) and any(not v.isascii() for v in vals):
            ctx.f.add("non-ascii-header-value", f"the signed header {n} contains non-ASCII characters", "medium",
                      "advice")


# ---- body hash ------------------------------------------------------------------------------------------
@check("unsigned-payload-not-allowed", "body-hash-mismatch", schemes=_V4)
def content_hash(ctx: Ctx) -> None:
    s, sc, f = ctx.s, ctx.sc, ctx.f
    if sc is None or (s.presigned and s.scheme == "VOLC"):
        return
    vals = ctx.headers.get(sc.content_sha_header.lower())
    if not vals:
        return
    sha = vals[0]
    if sha == "UNSIGNED-PAYLOAD":
        if s.scheme == "AWS4" and not ctx.exp.s3:
            f.add("unsigned-payload-not-allowed", f"{sc.content_sha_header} is UNSIGNED-PAYLOAD, which only "
                  "S3 accepts", "high", "expectation")
    elif s.scheme == "OSS4":
        f.add("unsigned-payload-not-allowed", f"{sc.content_sha_header} must be UNSIGNED-PAYLOAD on OSS4", "high",
              "structure")
    elif sha.lower() != (body_h := sha256_hex(ctx.sent.body)):
        f.add("body-hash-mismatch", f"{sc.content_sha_header} is {sha[:16]}… but the body sent "
              f"({len(ctx.sent.body)} bytes) hashes to {body_h[:16]}…", "high", "structure")
    f.checked.append(f"{sc.content_sha_header} against the body")


# ---- presigned URL hygiene --------------------------------------------------------------------------------
@check("query-param-added-after-signing", "signature-not-url-encoded")
def query_hygiene(ctx: Ctx) -> None:
    s, f = ctx.s, ctx.f
    for piece in ctx.sent.query.split("&"):
        k, _, v = piece.partition("=")
        if "?" in unquote(v) and k != "x-oss-process":
            f.add("query-param-added-after-signing", f"the value of {unquote(k)!r} contains a second '?': "
                  "parameters were appended to a URL that already had a query", "high", "structure")
        if s.scheme == "OSS1" and s.presigned and k == "Signature" and "+" in v:
            f.add("signature-not-url-encoded", "the Signature parameter contains a raw '+', which the server reads "
                  "as a space", "high", "structure")

