"""Why was this signed request rejected? :func:`diagnose` takes the request exactly as it was sent,
recomputes every step, and names ranked causes with evidence and a fix.

Layers (``reference/fault-catalogue.md`` §0): static checks that need no secret; with the secret,
a self-consistency check (was it signed correctly for what was sent?) and a hypothesis search that
re-signs under one transformation at a time — an HMAC match proves the hypothesis; and, when the
server echoed its canonical request, a step-by-step diff against it::

    >>> import imgx_kit as ik
    >>> from datetime import datetime, timezone
    >>> at = datetime(2025, 1, 1, tzinfo=timezone.utc)
    >>> creds = ik.Credentials("AKLTexample", "c2VjcmV0")
    >>> req = ik.HttpRequest.build("POST", "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31",
    ...                            {"Content-Type": "application/json"}, b'{"req_key": "i2i_inpainting"}')
    >>> sent = ik.presets.VOLC_CV.with_(region="cn-beijing").sign(req, creds, at=at).signed_request
    >>> d = ik.diagnose(sent, creds, signer=ik.presets.VOLC_CV, now=at)
    >>> d.verdict, d.causes[0].id, d.causes[0].confidence
    ('mismatch', 'wrong-region', 'high')
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import time
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterator
from urllib.parse import quote, unquote

from . import canonical as C
from .credentials import Credentials
from .echo import ServerEcho, parse_echo
from .errors import DiagnoseError, ImgxError
from .i18n import tr, tr_html
from .keys import sign_string
from .oss_sign import V1_QUERY_AUTH
from .redact import mask_access_key, redact_header_value, redact_text, redact_url, redact_headers, secret_values
from .request import HttpRequest
from .scheme import AWS4, OSS4, SCHEMES, VOLC, Scheme
from .signer import (EMPTY_SHA256, Signer, compute_signature, received_selection, build_trace, check_time, format_authorization,
                     format_timestamp, parse_authorization, parse_timestamp, sha256_hex)
from .trace import SigningTrace, TraceDiff

__all__ = ["diagnose", "Diagnosis", "Cause", "CauseInfo", "CATALOGUE", "applies", "detect_scheme"]


# ---- the catalogue: the vocabulary of Cause.id (reference/fault-catalogue.md) --------------------
@dataclass(frozen=True)
class CauseInfo:
    id: str
    title: str
    schemes: tuple[str, ...]
    fix: str


_ALL = ("AWS4", "VOLC", "OSS1", "OSS4")
_ROWS = [
    # A. credentials
    ("secret-key-mismatch", "The secret key differs from the one the server holds for this access key", _ALL,
     "Copy the access key pair again from the console or STS answer; check which profile or environment "
     "variable was loaded (never print the value)."),
    ("secret-whitespace", "The secret key was used with extra whitespace, a newline, quotes or a stray %", _ALL,
     "Strip the secret when loading it (files end with a newline; zsh prints % after cat)."),
    ("secret-special-chars-mangled", "A '+', '/' or '\\' in the secret key was lost to quoting or URL-decoding", _ALL,
     "Quote the secret in the shell, or load it from a file; never URL-decode it."),
    ("access-key-secret-swapped", "The access key was used as the secret key", _ALL,
     "Pass Credentials(access_key, secret_key) in that order."),
    ("invalid-access-key", "The access key is unknown to this endpoint (typo, other partition, emulator vs cloud)", _ALL,
     "Use the access key issued for this endpoint; temporary keys need their session token."),
    ("session-token-missing", "Temporary credentials were used without their session token", _ALL,
     "Send the session token issued with the access key (X-Amz-Security-Token / X-Security-Token / "
     "x-oss-security-token)."),
    ("session-token-not-signed", "The session token is sent but not signed", _ALL,
     "Add the token header before building the canonical request, and list it in SignedHeaders."),
    ("expired-credentials", "The temporary credentials have expired", _ALL,
     "Fetch fresh credentials (e.g. Jimeng get_upload_token) and sign again."),
    # B. time
    ("clock-skew", "The signing clock is too far from the server's", _ALL,
     "Sync the clock with NTP, or sign with the server's Date as the time."),
    ("scope-date-not-utc", "Local time was written as UTC (the skew is whole hours)", _ALL,
     "Format the timestamp from a UTC clock (datetime.now(timezone.utc))."),
    ("date-header-mismatch", "The credential scope date is not the date of the timestamp header", ("AWS4", "VOLC", "OSS4"),
     "Take the scope date and the timestamp from one UTC instant."),
    ("date-format-invalid", "The timestamp is missing or not in the required format", _ALL,
     "Write YYYYMMDDTHHMMSSZ (AWS4/VOLC/OSS4) or an RFC 1123 GMT date (OSS V1)."),
    ("date-header-changed-after-signing", "The timestamp header was changed after signing", _ALL,
     "Sign last: nothing may change the date header after the signature is computed."),
    ("presigned-url-expired", "The presigned URL has expired", _ALL,
     "Presign again with a longer expiry (at most 7 days), and use the URL before it expires."),
    # C. scope
    ("wrong-region", "The request is signed for another region", ("AWS4", "VOLC", "OSS4"),
     "Sign with the region the endpoint expects (CV: cn-north-1; OSS4: e.g. cn-hangzhou)."),
    ("wrong-service", "The request is signed for another service name (or its case differs)", ("AWS4", "VOLC"),
     "Sign with the service name the endpoint expects, exactly (imagex for the AWS4 web flow, ImageX "
     "for the Volcengine OpenAPI, cv for visual)."),
    ("wrong-algorithm-string", "The algorithm does not match the endpoint's signing scheme", _ALL,
     "Use the scheme the endpoint expects (AWS4-HMAC-SHA256, HMAC-SHA256 or OSS4-HMAC-SHA256)."),
    ("wrong-scope-terminator", "The credential scope terminator or the key prefix belongs to another scheme",
     ("AWS4", "VOLC", "OSS4"),
     "AWS4 ends the scope in aws4_request and keys with 'AWS4'+SK; Volcengine ends in request and keys "
     "with the raw SK; OSS4 ends in aliyun_v4_request and keys with 'aliyun_v4'+SK."),
    # D. canonical URI
    ("path-not-encoded", "The path was signed decoded while the wire carries it encoded (or the reverse)",
     ("AWS4", "VOLC", "OSS4"), "Percent-encode each path segment once (RFC 3986, keep '/') and send that."),
    ("path-double-encoded", "The path was signed encoded twice (or once where the service wants twice)",
     ("AWS4", "VOLC", "OSS4"), "Encode the path exactly as the service specifies (S3 once, other AWS services twice)."),
    ("path-normalization", "'//', '/./' or a trailing '/' was normalised on one side only", ("AWS4", "OSS4"),
     "Sign the path exactly as sent; S3 must not normalise."),
    ("plus-in-path", "A literal '+' in the path was read as a space somewhere", ("AWS4", "OSS1", "OSS4"),
     "Send '+' in object keys as %2B."),
    ("unicode-normalization", "Non-ASCII characters differ in normalisation (NFC/NFD) or encoding", _ALL,
     "Sign the exact UTF-8 bytes that are sent."),
    # E. canonical query
    ("query-not-sorted", "The canonical query was not sorted as the scheme requires", ("AWS4", "VOLC", "OSS4"),
     "Sort parameters by encoded name (bytewise), then by value."),
    ("space-encoded-as-plus", "A space was signed as '+' (form encoding) instead of %20", ("AWS4", "VOLC", "OSS4"),
     "Encode with quote(v, safe='-_.~') when building the canonical query."),
    ("query-encoding-mismatch", "Query characters were encoded differently (!'()*, bare keys, raw values)",
     ("AWS4", "VOLC", "OSS4"), "Encode every name and value with RFC 3986 (only A-Z a-z 0-9 - _ . ~ unencoded)."),
    ("query-param-added-after-signing", "A query parameter was added after signing", _ALL,
     "Add every parameter (cache busters, x-oss-process) before signing."),
    # F. headers
    ("header-changed-after-signing", "A signed header's value was changed after signing", _ALL,
     "Finalise headers (Content-Type, charset) before signing; send exactly the signed value."),
    ("host-header-mismatch", "The Host that was signed differs from the Host the server sees", ("AWS4", "VOLC", "OSS4"),
     "Sign the Host the server sees (drop :80/:443; proxies must keep the original Host)."),
    ("signed-header-missing", "A header listed as signed is not in the request", _ALL,
     "Send every signed header, or do not list it in SignedHeaders."),
    ("unsigned-header-present", "A header that must be signed is sent unsigned", ("AWS4", "OSS1"),
     "Sign every x-amz-* header for S3 (and Content-MD5)."),
    ("header-value-whitespace-not-trimmed", "Header values were trimmed on one side only", _ALL,
     "Trim leading/trailing spaces and collapse inner runs before signing, or send values without them."),
    ("case-of-signed-headers", "The SignedHeaders list is not lower-case and sorted", ("AWS4", "VOLC", "OSS4"),
     # not OSS1: V1 has no signed-header list (every x-oss-*, Content-MD5, Content-Type is signed implicitly)
     "List lower-case header names, sorted, separated by ';' (OSS4: AdditionalHeaders)."),
    ("duplicate-header", "A header is repeated or listed twice", ("AWS4", "VOLC"),
     "Send each signed header once, or join repeated values with ',' in order."),
    ("hop-by-hop-header-signed", "A header that proxies and transports change is signed", ("AWS4", "VOLC"),
     "Do not sign connection, expect, accept-encoding, user-agent, content-length or transfer-encoding."),
    ("non-ascii-header-value", "A signed header value contains non-ASCII characters", ("AWS4", "OSS1"),
     "Percent-encode non-ASCII header values before signing."),
    # G. body
    ("body-hash-mismatch", "The content-hash header does not match the body sent", ("AWS4", "VOLC"),
     "Hash the exact bytes sent (sha256 hex), after the body is final."),
    ("body-changed-after-signing", "The body was changed (re-serialised, filled in) after signing", ("AWS4", "VOLC"),
     "Serialise the body once and send those bytes (data=, not json=)."),
    ("unsigned-payload-not-allowed", "UNSIGNED-PAYLOAD is not accepted here (or, on OSS4, is required)", ("AWS4", "OSS4"),
     "Hash the body outside S3; on OSS4 use UNSIGNED-PAYLOAD."),
    # H. presigned URLs
    ("method-mismatch", "The request was signed for another HTTP method", _ALL,
     "Presign for the method you send (GET vs PUT)."),
    ("signature-not-url-encoded", "The base64 signature was put in the URL without encoding", ("OSS1",),
     "URL-encode the Signature parameter ('+' → %2B, '/' → %2F, '=' → %3D)."),
    # I. OSS
    ("oss-subresource-not-signed", "A sub-resource (x-oss-process, response-*, acl…) is missing from the signed resource",
     ("OSS1",), "Pass process= (and every sub-resource) to the signer instead of appending it."),
    ("oss-content-md5-or-type-mismatch", "Content-Type or Content-MD5 differs between signing and sending",
     ("OSS1", "OSS4"), "Sign with exactly the Content-Type/Content-MD5 you send (or none on both sides)."),
    ("oss-resource-key-encoded", "The object key was signed URL-encoded (V1 signs the raw key)", ("OSS1",),
     "Put the raw object key into the V1 canonicalized resource."),
    ("oss-bucket-in-resource", "The bucket is missing from (or doubled in) the signed resource", ("OSS1", "OSS4"),
     "The resource is /bucket/key, once, whatever the addressing style."),
    # J. Volcengine
    ("volc-host-or-date-not-signed", "host or x-date is sent but not signed", ("VOLC",),
     "Include host and x-date in SignedHeaders (the documentation requires it)."),
]
CATALOGUE: dict[str, CauseInfo] = {r[0]: CauseInfo(*r) for r in _ROWS}


def applies(cause_id: str, scheme: str) -> bool:
    """Whether a catalogue cause applies to a scheme (``AWS4``, ``VOLC``, ``OSS1``, ``OSS4``)."""
    return scheme in CATALOGUE[cause_id].schemes

_CONF_RANK = {"high": 0, "medium": 1, "low": 2}
# how a cause was found; ranks ties within one confidence level
_KIND_RANK = {"structure": 0, "exact": 1, "echo": 1, "expectation": 2, "advice": 3, "residual": 4}


@dataclass(frozen=True)
class Cause:
    """One likely reason for the rejection: catalogue ``id``, ``title``, the ``evidence`` found,
    the ``fix``, and ``confidence`` ("high": proven by an HMAC match or deterministic evidence;
    "medium": consistent with the evidence; "low": what is left when nothing else explains it)."""

    id: str
    title: str
    evidence: str
    fix: str
    confidence: str
    kind: str = field(default="structure", compare=False)

    def __repr__(self) -> str:
        return f"Cause({self.id} [{self.confidence}]: {self.evidence[:120]})"

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "evidence": self.evidence, "fix": self.fix,
                "confidence": self.confidence, "kind": self.kind}


def _cause(cid: str, evidence: str, confidence: str, kind: str) -> Cause:
    info = CATALOGUE[cid]
    return Cause(cid, info.title, evidence, info.fix, confidence, kind)


@dataclass(frozen=True, repr=False, eq=False)
class Diagnosis:
    """The answer of :func:`diagnose`. ``verdict`` is "valid", "mismatch" or "cannot-check";
    ``causes`` are ranked; ``expected`` is the trace computed from what was sent with the scope the
    server expects (``None`` without the secret); ``server`` the parsed echo; ``diff`` the first
    differing step (vs the echo, or vs the client's computation a hypothesis reconstructed)."""

    verdict: str
    causes: tuple[Cause, ...]
    expected: SigningTrace | None
    server: ServerEcho | None
    diff: TraceDiff | None
    checked: tuple[str, ...]
    not_checked: tuple[str, ...]
    scheme: str
    presigned: bool
    sent: HttpRequest
    sent_signature: str
    expectation: str
    elapsed_ms: float = 0.0
    hidden: tuple[str, ...] = field(default=(), repr=False)

    @property
    def first_differing_step(self) -> str | None:
        return self.diff.step if self.diff is not None else None

    @property
    def ok(self) -> bool:
        return self.verdict == "valid"

    def cause_ids(self) -> list[str]:
        return [c.id for c in self.causes]

    def _safe(self, text: str) -> str:
        return redact_text(text, self.hidden)

    # ---- export --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary; secrets and tokens masked."""
        d = {"verdict": self.verdict, "scheme": self.scheme, "presigned": self.presigned,
             "expectation": self.expectation,
             "sent": {"method": self.sent.method, "url": redact_url(self.sent.url),
                      "headers": [list(h) for h in redact_headers(self.sent.headers)]},
             "sent_signature": self.sent_signature,
             "expected_signature": self.expected.signature if self.expected is not None else None,
             "first_differing_step": self.first_differing_step,
             "causes": [c.to_dict() for c in self.causes],
             "checked": list(self.checked), "not_checked": list(self.not_checked)}
        if self.server is not None:
            d["server"] = {"source": self.server.source, "code": self.server.code, "status": self.server.status,
                           "steps": dict(self.server)}
        return json.loads(self._safe(json.dumps(d, ensure_ascii=False)))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    # ---- views ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        how = "presigned URL" if self.presigned else "Authorization header"
        lines = [f"Diagnosis: {self.verdict.upper()} ({self.scheme}, {how}; expected: {self.expectation})",
                 f"  sent:      {self.sent.method} {redact_url(self.sent.url)}",
                 f"  signature: sent {self.sent_signature or '-'}"]
        if self.expected is not None:
            lines.append(f"             we compute {self.expected.signature}")
        if self.diff is not None and not self.diff.same:
            lines.append(f"  first differing step: {self.diff.step}")
            if self.diff.line:
                n, a, b = self.diff.line
                lines.append(f"    line {n}: ours {a!r}")
                lines.append(f"    {' ' * len(str(n))}       theirs {b!r}")
        if self.causes:
            lines.append("  causes:")
            for i, c in enumerate(self.causes, 1):
                lines.append(f"   {i}. [{c.confidence}] {c.id}: {c.title}")
                lines.append(f"      evidence: {c.evidence}")
                lines.append(f"      fix: {c.fix}")
        elif self.verdict == "valid":
            lines.append("  the signature is valid for what was sent")
        if self.checked:
            lines.append("  checked: " + "; ".join(self.checked))
        if self.not_checked:
            lines.append("  not checked: " + "; ".join(self.not_checked))
        return self._safe("\n".join(lines))

    __str__ = __repr__

    def _repr_html_(self) -> str:
        e = html.escape
        colour = {"valid": "green", "mismatch": "#b00", "cannot-check": "#a60"}[self.verdict]
        how = "presigned URL" if self.presigned else "Authorization header"
        parts = [f"<div class='imgx-diagnosis'><div><b style='color:{colour}'>{e(self.verdict.upper())}</b> · "
                 f"{e(self.scheme)} {e(how)} · expected: {e(self.expectation)}</div>",
                 "<details open><summary><b>What was sent</b></summary>"
                 f"<pre style='white-space:pre-wrap'>{e(self.sent.to_raw())}</pre></details>"]
        sig = f"sent <code>{e(self.sent_signature)}</code>"
        if self.expected is not None:
            sig += f" · we compute <code>{e(self.expected.signature)}</code>"
        parts.append(f"<div>signature: {sig}</div>")
        if self.diff is not None:
            parts.append("<div><b>First differing step</b></div>" + self.diff._repr_html_())
        if self.causes:
            rows = "".join(
                f"<tr><td>{i}</td><td><code>{e(c.id)}</code><br>{e(c.title)}</td>"
                f"<td style='color:{ {'high': '#060', 'medium': '#a60', 'low': '#777'}[c.confidence]}'>{e(c.confidence)}</td>"
                f"<td style='text-align:left'>{e(c.evidence)}</td><td style='text-align:left'>{e(c.fix)}</td></tr>"
                for i, c in enumerate(self.causes, 1))
            parts.append("<div><b>Causes</b></div><table><thead><tr><th>#</th><th>cause</th><th>confidence</th>"
                         f"<th>evidence</th><th>fix</th></tr></thead><tbody>{rows}</tbody></table>")
        if self.expected is not None:
            parts.append("<details><summary><b>What we compute</b> (with the scope the server expects)</summary>"
                         f"{self.expected._repr_html_()}</details>")
        if self.server is not None:
            parts.append(f"<details><summary><b>What the server said</b></summary>{self.server._repr_html_()}</details>")
        lists = ""
        if self.checked:
            lists += "<div>checked: " + e("; ".join(self.checked)) + "</div>"
        if self.not_checked:
            lists += "<div>not checked: " + e("; ".join(self.not_checked)) + "</div>"
        parts.append(f"<div style='color:#555'>{lists}</div></div>")
        return tr_html(self._safe("".join(parts)))


# ---- what the request declares ------------------------------------------------------------------
@dataclass
class _Sent:
    scheme: str                 # AWS4 | VOLC | OSS1 | OSS4 (as the request was signed)
    presigned: bool
    algorithm: str
    access_key: str
    date: str = ""
    region: str = ""
    service: str = ""
    terminator: str = ""
    signed: tuple[str, ...] = ()
    signed_raw: str = ""
    signature: str = ""
    ts: str | None = None       # timestamp text (AWS4/VOLC/OSS4) or Date/Expires (OSS1)
    expires: int | None = None
    token: str | None = None
    auth_params: frozenset = frozenset()
    votes: tuple[str, ...] = ()


_ALG_SCHEME = {"AWS4-HMAC-SHA256": "AWS4", "HMAC-SHA256": "VOLC", "OSS4-HMAC-SHA256": "OSS4"}
_TERM_SCHEME = {"aws4_request": "AWS4", "request": "VOLC", "aliyun_v4_request": "OSS4"}
_TEMP_AK = ("ASIA", "AKTP", "STS.")
_HOP = ("connection", "expect", "accept-encoding", "user-agent", "transfer-encoding", "keep-alive", "te",
        "upgrade", "content-length")


def detect_scheme(req: HttpRequest) -> tuple[str, bool]:
    """(scheme name, presigned) of a signed request: AWS4, VOLC, OSS1 or OSS4."""
    s = _read_sent(req)
    return s.scheme, s.presigned


def _vote(*names: str | None) -> str:
    got = [n for n in names if n]
    best = max(set(got), key=lambda n: (got.count(n), n == got[0]))
    return best


def _read_sent(req: HttpRequest) -> _Sent:
    auth = req.header("Authorization")
    q = C.parse_query(req.query)
    qd = {k: v for k, v in q}
    low = {k.lower() for k, _ in req.headers}
    date_vote = ("AWS4" if "x-amz-date" in low else "VOLC" if "x-date" in low else
                 "OSS4" if "x-oss-date" in low else None)
    if auth is not None:
        a = auth.strip()
        if a.startswith("OSS ") and "Credential=" not in a:
            body = a[4:].strip()
            if ":" not in body:
                raise DiagnoseError(f"the Authorization header {a[:40]!r} is not 'OSS AccessKeyId:Signature'",
                                    hint="OSS V1 writes 'OSS <AccessKeyId>:<base64 signature>'")
            ak, _, sig = body.rpartition(":")
            ts = req.header("x-oss-date") or req.header("Date")
            return _Sent("OSS1", False, "OSS", ak, signature=sig, ts=ts, token=req.header("x-oss-security-token"))
        p = parse_authorization(a)
        if p is None:
            where = "the Credential= part" if "Credential=" in a else "its overall shape"
            raise DiagnoseError(f"the Authorization header does not parse ({where}): "
                                f"{redact_header_value('Authorization', a)[:80]!r}",
                                hint="expected 'ALGORITHM Credential=AK/date/region/service/terminator, "
                                     "SignedHeaders=a;b, Signature=hex' (or 'OSS AK:signature' for OSS V1)")
        scheme = _vote(_ALG_SCHEME.get(p.algorithm), _TERM_SCHEME.get(p.terminator), date_vote) \
            if (_ALG_SCHEME.get(p.algorithm) or _TERM_SCHEME.get(p.terminator) or date_vote) else None
        if scheme is None:
            raise DiagnoseError(f"cannot tell the signing scheme of algorithm {p.algorithm!r} with scope "
                                f"terminator {p.terminator!r}",
                                hint="pass signer= (e.g. ik.presets.VOLC_CV) to say what the server expects")
        sc = SCHEMES[scheme]
        m = re.search(r"(?:SignedHeaders|AdditionalHeaders)\s*=\s*([^,\s]*)", a)
        return _Sent(scheme, False, p.algorithm, p.access_key, p.date, p.region, p.service, p.terminator,
                     p.signed_headers, m.group(1) if m else "", p.signature, req.header(sc.date_header),
                     None, req.header(sc.token_header))
    # presigned
    if "X-Amz-Signature" in qd or "X-Amz-Credential" in qd:
        return _presigned(req, q, AWS4)
    if "x-oss-signature" in qd or "x-oss-credential" in qd:
        return _presigned(req, q, OSS4)
    if "OSSAccessKeyId" in qd or ("Signature" in qd and "Expires" in qd):
        exp = qd.get("Expires", "")
        if "Signature" not in qd:
            raise DiagnoseError("the OSS signed URL has OSSAccessKeyId but no Signature parameter",
                                hint="copy the whole URL, including &Signature=…")
        return _Sent("OSS1", True, "OSS", qd.get("OSSAccessKeyId", ""), signature=qd["Signature"], ts=exp,
                     expires=int(exp) if exp.isdigit() else None, token=qd.get("security-token"),
                     auth_params=frozenset({"OSSAccessKeyId", "Expires", "Signature"}))
    if "X-Signature" in qd or "X-Credential" in qd:
        return _presigned(req, q, VOLC)
    raise DiagnoseError("the request carries no signature: no Authorization header and no presigned "
                        "query parameters (X-Amz-Signature, X-Signature, x-oss-signature, Signature)",
                        hint="capture the request as it was sent, with its Authorization header or full URL")


def _presigned(req: HttpRequest, q: list[tuple[str, str]], sc: Scheme) -> _Sent:
    qd = {k: v for k, v in q}
    cred = qd.get(sc.q_credential, "")
    bits = cred.split("/")
    if len(bits) < 5:
        raise DiagnoseError(f"the {sc.q_credential} parameter {cred!r} is not AK/date/region/service/terminator",
                            hint="copy the whole presigned URL")
    sig = qd.get(sc.q_signature)
    if not sig:
        raise DiagnoseError(f"the presigned URL has no {sc.q_signature} parameter", hint="copy the whole URL")
    exp_text = qd.get(sc.q_expires, "900" if sc is VOLC else "")
    try:
        expires = int(exp_text) if exp_text else None
    except ValueError:
        raise DiagnoseError(f"{sc.q_expires}={exp_text!r} is not a whole number of seconds",
                            hint="presigned URLs carry a relative expiry in seconds") from None
    listed = qd.get(sc.q_signed_headers or "", "") or ""
    names = tuple(n for n in listed.split(";") if n)
    auth_params = {sc.q_signature}
    if sc is VOLC:
        auth_params = {"X-Signature"}
    alg = qd.get(sc.q_algorithm, "")
    return _Sent(sc.name, True, alg, "/".join(bits[:-4]), *bits[-4:], names, listed, sig, qd.get(sc.q_date),
                 expires, qd.get(sc.q_token), frozenset(auth_params))


# ---- what the server expects --------------------------------------------------------------------
_HOSTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "imagex.bytedanceapi.com": (("AWS4", "cn-north-1", "imagex"), ("VOLC", "cn-north-1", "ImageX")),
    "imagex.volcengineapi.com": (("VOLC", "cn-north-1", "ImageX"), ("AWS4", "cn-north-1", "imagex")),
    "visual.volcengineapi.com": (("VOLC", "cn-north-1", "cv"),),
    "imagex-ap-singapore-1.volcengineapi.com": (("VOLC", "ap-singapore-1", "ImageX"),),
    "imagex-us-east-1.volcengineapi.com": (("VOLC", "us-east-1", "ImageX"),),
    "imagex.ap-southeast-1.volcengineapi.com": (("VOLC", "ap-southeast-1", "ImageX"),),
}
_S3 = re.compile(r"^(?:.+\.)?s3[.-](?:dualstack\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$")
_AWS = re.compile(r"^([a-z0-9-]+)\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$")
_OSS = re.compile(r"(?:^|\.)oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$")


def _endpoint(host: str, scheme: str) -> tuple[str, str, str] | None:
    h = host.split(":")[0].lower()
    rows = _HOSTS.get(h)
    if rows:
        return next((r for r in rows if r[0] == scheme), rows[0])
    m = _S3.match(h)
    if m:
        return ("AWS4", m.group(1), "s3")
    if h in ("s3.amazonaws.com",) or h.endswith(".s3.amazonaws.com"):
        return ("AWS4", "us-east-1", "s3")
    m = _AWS.match(h)
    if m:
        return ("AWS4", m.group(2), m.group(1))
    m = _OSS.search(h)
    if m:
        return ("OSS4" if scheme == "OSS4" else "OSS1" if scheme == "OSS1" else "OSS4", m.group(1), "oss")
    return None


@dataclass
class _Expect:
    scheme: str
    region: str
    service: str
    source: str
    normalize: bool = True
    signer: Signer | None = None


def _expectation(s: _Sent, sent: HttpRequest, signer: Signer | None) -> _Expect:
    if signer is not None:
        if not isinstance(signer, Signer):
            raise DiagnoseError(f"signer must be an ik.Signer (what the server expects), not {type(signer).__name__}",
                                hint="e.g. signer=ik.presets.VOLC_CV or ik.Signer(ik.AWS4, region=..., service=...)")
        name = signer.scheme.name
        return _Expect(name, signer.region, signer.service, f"{signer!r}", signer.normalize_path, signer)
    row = _endpoint(sent.host, s.scheme)
    if row is not None:
        scheme, region, service = row
        if s.scheme in ("OSS1", "OSS4") and scheme in ("OSS1", "OSS4"):
            scheme = s.scheme
        return _Expect(scheme, region, service, f"endpoint table for {sent.host.split(':')[0]}",
                       service != "s3")
    return _Expect(s.scheme, s.region or "", s.service or "", "the request's own scope (pass signer= to check it)",
                   s.service != "s3")


# ---- OSS addressing -----------------------------------------------------------------------------
def _bucket_key(req: HttpRequest, bucket: str | None) -> tuple[str, str]:
    host = req.host.split(":")[0]
    path = req.path
    labels = host.split(".")
    if bucket:
        if path == f"/{bucket}" or path.startswith(f"/{bucket}/"):
            return bucket, unquote(path[len(bucket) + 2:])
        return bucket, unquote(path[1:])
    if len(labels) >= 3 and (labels[1].startswith("oss-") or _OSS.search(".".join(labels[1:]))):
        return labels[0], unquote(path[1:])
    first, _, rest = path[1:].partition("/")
    return unquote(first), unquote(rest)


# ---- the client's computation, rebuilt from what was sent ---------------------------------------
_DUMMY = Credentials("diagnose", "not-a-secret")
_REGIONS = ("cn-north-1", "cn-beijing", "cn-shanghai", "cn-guangzhou", "cn-hongkong", "cn-northwest-1",
            "us-east-1", "us-east-2", "us-west-1", "us-west-2", "useast5", "eu-west-1", "eu-central-1",
            "ap-singapore-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-south-1",
            "cn-hangzhou", "cn-shenzhen", "cn-qingdao", "cn-zhangjiakou", "oss-cn-hangzhou", "beijing",
            "hangzhou", "cn-beijing-internal", "global", "")
_SERVICES = ("imagex", "ImageX", "cv", "s3", "execute-api", "oss", "iam", "sts", "visual", "Imagex", "IMAGEX")
_ALGS = ("AWS4-HMAC-SHA256", "HMAC-SHA256", "OSS4-HMAC-SHA256")
_TERMS = (("AWS4", "aws4_request"), ("", "request"), ("aliyun_v4", "aliyun_v4_request"),
          ("AWS4", "request"), ("", "aws4_request"))


@dataclass
class _Hit:
    cid: str
    evidence: str
    parts: dict[str, str]


class _V4:
    """AWS4 / VOLC / OSS4: the canonical inputs as the request declares them, and re-signing."""

    def __init__(self, sent: HttpRequest, s: _Sent, normalize: bool, bucket: str | None):
        self.req, self.s = sent, s
        self.sc = SCHEMES[s.scheme]
        sc = self.sc
        self.volc_presign = s.presigned and sc is VOLC
        self.pairs = [(k, v) for k, v in C.parse_query(sent.query) if k not in s.auth_params]
        self.normalize = normalize
        self.oss = sc is OSS4
        if self.oss:
            self.bucket, self.key = _bucket_key(sent, bucket)
            self.curi = C.uri_encode(f"/{self.bucket}/{self.key}", keep_slash=True)
        else:
            self.curi = C.canonical_uri(sent.path, sc, normalize)
        self.cq = C.canonical_query(self.pairs, sc)
        if self.volc_presign:
            self.selected, self.listed, self.block = {}, None, "\n"
            self.payload = EMPTY_SHA256
        else:
            self.selected, self.listed = received_selection(sc, sent, s.signed)
            self.block = None
            sha = sent.header(sc.content_sha_header)
            self.payload = sha if sha is not None else ("UNSIGNED-PAYLOAD" if sc.payload == "unsigned"
                                                         else sha256_hex(sent.body))
        self.ts = s.ts or ""
        self.key_args = (sc.key_prefix, s.date, s.region, s.service, s.terminator)
        self.scope = f"{s.date}/{s.region}/{s.service}/{s.terminator}"

    def parts(self, sc: Scheme | None = None, **o: Any) -> dict:
        sc = sc or self.sc
        return compute_signature(sc, o.get("method", self.req.method), o.get("curi", self.curi), o.get("cq", self.cq),
                        o.get("selected", self.selected), o.get("payload", self.payload), _DUMMY,
                        o.get("ts", self.ts) or "00000000T000000Z", self.s.region or "-", self.s.service or "-",
                        header_block=o.get("block", self.block), listed=o.get("listed", self.listed))

    def sign(self, cr: str, secret: str, ts: str | None = None, alg: str | None = None,
             scope: str | None = None, key_args: tuple | None = None) -> tuple[str, str]:
        prefix, d, r, sv, term = key_args or self.key_args
        sts = f"{alg if alg is not None else self.s.algorithm}\n{ts if ts is not None else self.ts}\n" \
              f"{scope if scope is not None else self.scope}\n{hashlib.sha256(cr.encode('utf-8')).hexdigest()}"
        return sign_string((prefix, secret, d, r, sv, term), sts)[1], sts


def _secret_variants(sk: str, ak: str) -> Iterator[tuple[str, str, str]]:
    for v, what in ((sk + "\n", "a trailing newline"), (sk + "\r\n", "a trailing CR LF"), (sk + " ", "a trailing space"),
                    (" " + sk, "a leading space"), (sk + "\t", "a trailing tab"), (f'"{sk}"', "surrounding double quotes"),
                    (f"'{sk}'", "surrounding single quotes"), (sk + "%", "a trailing % (zsh's no-newline mark)")):
        yield "secret-whitespace", v, f"the signature matches your secret key with {what} added"
    seen = {sk}
    for v, what in ((sk.replace("+", " "), "'+' turned into spaces (URL-decoded)"),
                    (sk.replace("\\", ""), "backslashes dropped by the shell"),
                    (unquote(sk), "percent-escapes decoded"), (quote(sk, safe=""), "percent-encoded"),
                    (sk.replace("/", ""), "'/' dropped"), (sk.replace("+", ""), "'+' dropped"),
                    (sk.replace(" ", "+"), "spaces turned into '+'")):
        if v not in seen and v:
            seen.add(v)
            yield "secret-special-chars-mangled", v, f"the signature matches your secret key with {what}"
    if ak and ak != sk:
        yield "access-key-secret-swapped", ak, "the signature matches when the access key is used as the secret key"


def _hypotheses(m: _V4, sk: str, ak: str, creds: Credentials, deadline: float) -> list[_Hit]:
    """Re-sign under one transformation at a time; an HMAC match proves the transformation."""
    s, req = m.s, m.req
    target = s.signature.lower()
    base = m.parts()
    base_cr = base["canonical_request"]
    hits: list[_Hit] = []

    def check(cid: str, evidence: str, cr: str | None = None, secret: str | None = None, **kw: Any) -> bool:
        crx = base_cr if cr is None else cr
        if cr is not None and cr == base_cr and secret is None and not kw:
            return False
        sig, sts = m.sign(crx, sk if secret is None else secret, **kw)
        if sig == target:
            hits.append(_Hit(cid, evidence, _client_parts(crx, sts, sig)))
            return True
        return False

    def cr_of(**o: Any) -> str:
        return m.parts(**o)["canonical_request"]

    # secrets
    for cid, v, ev in _secret_variants(sk, ak):
        check(cid, ev, secret=v)
    # scope and key derivation
    pfx, d, r, sv, term = m.key_args
    for region in _REGIONS:
        if region != s.region:
            check("wrong-region", f"the signing key was derived for region {region!r} although the scope "
                  f"says {s.region!r}", key_args=(pfx, d, region, sv, term))
    services = {x for x in _SERVICES} | {s.service.lower(), s.service.upper(), s.service.capitalize()}
    for service in sorted(services):
        if service != s.service:
            check("wrong-service", f"the signing key was derived for service {service!r} although the scope "
                  f"says {s.service!r}", key_args=(pfx, d, r, service, term))
    for p2, t2 in _TERMS + tuple((p, term) for p in ("AWS4", "", "aliyun_v4")):
        if (p2, t2) != (pfx, term):
            check("wrong-scope-terminator", f"the signing key was derived with key prefix {p2!r} and terminator "
                  f"{t2!r} (the request declares {s.terminator!r})", key_args=(p2, d, r, sv, t2))
    for alg in _ALGS:
        if alg != s.algorithm:
            check("wrong-algorithm-string", f"the string to sign began with {alg!r} while the request "
                  f"declares {s.algorithm!r}", alg=alg)
    if m.ts[:8] and m.ts[:8] != s.date:
        check("date-header-mismatch", f"the signing key was derived from the timestamp's date {m.ts[:8]} while "
              f"the scope says {s.date}", key_args=(pfx, m.ts[:8], r, sv, term))
        check("date-header-mismatch", f"the scope in the string to sign used {m.ts[:8]}",
              scope=f"{m.ts[:8]}/{s.region}/{s.service}/{s.terminator}", key_args=(pfx, m.ts[:8], r, sv, term))
    # method
    for meth in ("GET", "PUT", "POST", "HEAD", "DELETE", "PATCH"):
        if meth != req.method:
            check("method-mismatch", f"the signature matches method {meth} (the request was sent with {req.method})",
                  cr_of(method=meth))
    # canonical URI
    for cid, curi, ev in _uri_variants(m):
        check(cid, ev, cr_of(curi=curi))
    # canonical query
    for cid, cq, ev in _query_variants(m):
        check(cid, ev, cr_of(cq=cq))
    # headers
    for cid, sel, ev, extra in _header_variants(m, creds):
        lst = {"listed": extra["_listed"]} if "_listed" in extra else {}
        check(cid, ev, m.parts(extra.get("_scheme"), selected=sel, **lst)["canonical_request"])
    # body
    for cid, payload, sel, ev in _body_variants(m):
        check(cid, ev, cr_of(payload=payload, selected=sel))
    if hits or time.perf_counter() > deadline:
        return hits
    # the timestamp changed after signing: same scope, ts ± up to an hour
    return _time_search(m, sk, base_cr, target, deadline)


def _client_parts(cr: str, sts: str | None, sig: str) -> dict[str, str]:
    """The client's computation as a mapping a trace can diff against."""
    from .echo import _cr_steps
    parts = dict(_cr_steps(cr))
    if sts is not None:
        parts["string_to_sign"] = sts
        lines = sts.split("\n")
        if len(lines) == 4:
            parts["credential_scope"] = lines[2]
    parts["signature"] = sig
    return parts


def _time_search(m: _V4, sk: str, base_cr: str, target: str, deadline: float) -> list[_Hit]:
    ts0 = parse_timestamp(m.ts)
    if ts0 is None:
        return []
    key_args = (m.key_args[0], sk, *m.key_args[1:])
    signs_ts = m.ts in base_cr
    head = f"{m.s.algorithm}\n"
    tail_scope = f"\n{m.scope}\n"
    fixed_hash = hashlib.sha256(base_cr.encode("utf-8")).hexdigest()
    for delta in range(1, 3601):
        for sgn in (-1, 1):
            try:
                t2 = format_timestamp(ts0 + timedelta(seconds=sgn * delta))
            except OverflowError:                      # at the ends of the calendar
                continue
            h = hashlib.sha256(base_cr.replace(m.ts, t2).encode("utf-8")).hexdigest() if signs_ts else fixed_hash
            if sign_string(key_args, head + t2 + tail_scope + h)[1] == target:
                cr = base_cr.replace(m.ts, t2)
                return [_Hit("date-header-changed-after-signing",
                             f"the signature matches timestamp {t2}; the request carries {m.ts} "
                             f"({-sgn * delta:+d} s changed after signing)",
                             _client_parts(cr, head + t2 + tail_scope + h, target))]
        if delta % 400 == 0 and time.perf_counter() > deadline:
            break
    return []


def _uri_variants(m: _V4) -> Iterator[tuple[str, str, str]]:
    sc, raw = m.sc, m.req.path
    if m.oss:
        b, k = m.bucket, m.key
        yield "oss-bucket-in-resource", C.uri_encode(f"/{k}", True), "the signature matches a resource without the bucket"
        yield "oss-bucket-in-resource", C.uri_encode(f"/{b}/{b}/{k}", True), "the signature matches the bucket written twice"
        yield "path-double-encoded", C.uri_encode(C.uri_encode(f"/{b}/{k}", True), True), "the signature matches the key encoded twice"
        yield "path-not-encoded", f"/{b}/{k}", "the signature matches the raw (unencoded) key"
        if "+" in k:
            yield "plus-in-path", C.uri_encode(f"/{b}/{k.replace('+', ' ')}", True), "the signature matches '+' read as a space"
        if "//" in k:
            yield "path-normalization", C.uri_encode(f"/{b}/{re.sub('/{2,}', '/', k)}", True), "the signature matches the key with '//' collapsed"
        dots = C.remove_dot_segments(f"/{k}")[1:]
        if dots != k and dots != re.sub("/{2,}", "/", k):
            yield "path-normalization", C.uri_encode(f"/{b}/{dots}", True), "the signature matches the key with dot segments and '//' normalised"
        for alt, what in ((k.rstrip("/"), "without its trailing '/'"), (k + "/", "with a trailing '/'")):
            if alt and alt != k:
                yield "path-normalization", C.uri_encode(f"/{b}/{alt}", True), f"the signature matches the key {what}"
        for form in ("NFC", "NFD"):
            alt = unicodedata.normalize(form, k)
            if alt != k:
                yield "unicode-normalization", C.uri_encode(f"/{b}/{alt}", True), f"the signature matches the {form} form of the key"
        return
    dec = unquote(raw)
    enc1 = C.uri_encode(dec, keep_slash=True)
    yield "path-not-encoded", dec, "the signature matches the decoded path, unencoded"
    yield "path-double-encoded", enc1, "the signature matches the path encoded once"
    yield "path-double-encoded", C.uri_encode(enc1, keep_slash=True), "the signature matches the path encoded twice"
    yield "path-double-encoded", raw, "the signature matches the path exactly as on the wire (no further encoding)"
    if sc.path_style == "aws":
        yield "path-normalization", C.canonical_uri(raw, sc, not m.normalize), \
            f"the signature matches the path {'without' if m.normalize else 'with'} dot-segment/'//' normalisation"
    for alt, what in ((raw.rstrip("/") or "/", "without the trailing '/'"), (raw + "/", "with a trailing '/'"),
                      (re.sub("/{2,}", "/", raw), "with '//' collapsed")):
        if alt != raw:
            yield "path-normalization", C.canonical_uri(alt, sc, m.normalize), f"the signature matches the path {what}"
    if "+" in raw:
        spaced = dec.replace("+", " ")
        for alt in (C.uri_encode(spaced, keep_slash=True), C.canonical_uri(raw.replace("+", "%20"), sc, m.normalize)):
            yield "plus-in-path", alt, "the signature matches the path with '+' read as a space"
    if any(ord(c) > 127 for c in dec):
        for form in ("NFC", "NFD"):
            alt = unicodedata.normalize(form, dec)
            if alt != dec:
                yield "unicode-normalization", C.uri_encode(alt, keep_slash=True), f"the signature matches the {form} form of the path"
        try:
            moj = dec.encode("utf-8").decode("latin-1")
            yield "unicode-normalization", C.uri_encode(moj, keep_slash=True), "the signature matches the path's UTF-8 bytes read as Latin-1"
        except UnicodeError:
            pass


def _enc_pairs(pairs: list[tuple[str, str]], enc: Callable[[str], str], bare: bool) -> list[str]:
    return [f"{enc(k)}={enc(v)}" if (v or not bare) else enc(k) for k, v in pairs]


def _query_variants(m: _V4) -> Iterator[tuple[str, str, str]]:
    sc, pairs = m.sc, m.pairs
    bare = sc.empty_value == "bare"
    enc = C.uri_encode
    items = _enc_pairs(pairs, enc, bare)
    if len(pairs) > 1:
        yield "query-not-sorted", "&".join(items), "the signature matches the query in its original (unsorted) order"
        yield "query-not-sorted", "&".join(sorted(items)), "the signature matches the query sorted as 'k=v' strings"
        other = replace(sc, query_sort="encoded" if sc.query_sort == "raw-key" else "raw-key")
        yield "query-not-sorted", C.canonical_query(pairs, other), "the signature matches the query sorted by the decoded names"
        yield "query-not-sorted", "&".join(_enc_pairs(sorted(pairs, key=lambda kv: kv[0].lower()), enc, bare)), \
            "the signature matches the query sorted case-insensitively"
    if "%20" in m.cq:
        yield "space-encoded-as-plus", m.cq.replace("%20", "+"), "the signature matches spaces signed as '+'"
    js = lambda t: quote(t, safe="-_.!~*'()")  # noqa: E731  (JavaScript encodeURIComponent)
    yield "query-encoding-mismatch", C.canonical_query(pairs, sc).replace("%21", "!").replace("%27", "'") \
        .replace("%28", "(").replace("%29", ")").replace("%2A", "*"), "the signature matches !'()* left unencoded (encodeURIComponent)"
    yield "query-encoding-mismatch", "&".join(sorted(_enc_pairs(pairs, js, bare))), "the signature matches JavaScript encodeURIComponent encoding"
    yield "query-encoding-mismatch", C.canonical_query(pairs, replace(sc, empty_value="equals" if bare else "bare")), \
        "the signature matches empty values written " + ("as 'k='" if bare else "as a bare 'k'")
    raw_pieces = [p for p in m.req.query.split("&") if p and C._dec(p.partition("=")[0]) not in m.s.auth_params]
    yield "query-encoding-mismatch", "&".join(sorted(raw_pieces)), "the signature matches the raw query pieces, not re-encoded"
    yield "query-encoding-mismatch", "&".join(sorted(quote(unquote(p), safe="=") for p in raw_pieces)), \
        "the signature matches a query encoded with different reserved characters"
    auth_names = {AWS4.q_algorithm, AWS4.q_credential, AWS4.q_date, AWS4.q_expires, AWS4.q_signed_headers,
                  AWS4.q_token, VOLC.q_algorithm, VOLC.q_credential, VOLC.q_date, VOLC.q_expires,
                  "X-SignedQueries", "X-NotSignBody", VOLC.q_signed_headers, OSS4.q_algorithm, OSS4.q_credential,
                  OSS4.q_date, OSS4.q_expires, OSS4.q_signed_headers or "", OSS4.q_token, "X-Security-Token"}
    for i, (k, v) in enumerate(pairs):
        if k == sc.q_token:
            yield "session-token-not-signed", C.canonical_query(pairs[:i] + pairs[i + 1:], sc), \
                f"the signature matches the query without {k!r}: the token was added after signing"
        if k in auth_names:
            continue
        rest = pairs[:i] + pairs[i + 1:]
        yield "query-param-added-after-signing", C.canonical_query(rest, sc), \
            f"the signature matches the query without {k!r}: it was added after signing"
        if "?" in v:
            cut = pairs[:i] + [(k, v.split("?")[0])] + pairs[i + 1:]
            yield "query-param-added-after-signing", C.canonical_query(cut, sc), \
                f"the signature matches {k!r} cut at its stray '?'"
    if len(pairs) > 1:
        tail_keys = [k for k, _ in pairs if k not in auth_names]
        for n in range(2, min(4, len(tail_keys)) + 1):
            drop = set(tail_keys[-n:])
            yield "query-param-added-after-signing", C.canonical_query([kv for kv in pairs if kv[0] not in drop], sc), \
                f"the signature matches the query without {', '.join(sorted(drop))}: added after signing"


_CT_DEFAULTS = ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
                "application/octet-stream", "application/json", "application/json; charset=utf-8",
                "text/plain;charset=UTF-8", "text/plain", "multipart/form-data", "image/png", "image/jpeg",
                "image/webp", "image/gif", "application/xml", "binary/octet-stream", "")


def _header_variants(m: _V4, creds: Credentials) -> Iterator[tuple[str, dict, str, dict]]:
    sc, sel, req, s = m.sc, m.selected, m.req, m.s
    for name, vals in sel.items():
        v = vals[-1]
        alts: list[tuple[str, str]] = []
        if ";" in v:
            alts.append((v.split(";")[0].strip(), "without its parameters"))
        if "charset=utf-8" in v:
            alts.append((v.replace("charset=utf-8", "charset=UTF-8"), "with charset upper-cased"))
        if "charset=UTF-8" in v:
            alts.append((v.replace("charset=UTF-8", "charset=utf-8"), "with charset lower-cased"))
        if name == "content-type":
            alts += [(d, f"{d!r}") for d in _CT_DEFAULTS if d != v]
        for alt, what in alts:
            yield ("oss-content-md5-or-type-mismatch" if m.oss and name in ("content-type", "content-md5")
                   else "header-changed-after-signing"), {**sel, name: [alt]}, \
                f"the signature matches {name} {what} (sent: {v!r}): the header was changed after signing", {}
        if name == "host":
            h = v
            hostname = h.rsplit(":", 1)[0] if ":" in h and not h.endswith("]") else h
            port = req._split.port
            cands = [(hostname, "without its port"), (h.lower(), "lower-cased")]
            cands += [(f"{hostname}:{p}", f"with :{p}") for p in (443, 80, 8080, 8443, 9000, 3000)]
            if port:
                cands.append((f"{hostname}:{port}", f"with :{port}"))
            for alt, what in cands:
                if alt != h:
                    yield "host-header-mismatch", {**sel, "host": [alt]}, \
                        f"the signature matches host {alt!r} ({what}); the request's Host is {h!r}", {}
        if len(vals) > 1:
            for alt, what in ((vals[-1], "the last value only"), (vals[0], "the first value only"),
                              (", ".join(vals), "values joined with ', '")):
                yield "duplicate-header", {**sel, name: [alt]}, f"the signature matches {name} with {what}", {}
        if not v.isascii():
            for alt, what in _non_ascii_variants(v):
                yield "non-ascii-header-value", {**sel, name: [alt]}, f"the signature matches {name} {what}", {}
        if name in _HOP:
            for alt in _HOP_VALUES.get(name, ()) + ((str(len(req.body)),) if name == "content-length" else ()):
                if alt != v:
                    yield "hop-by-hop-header-signed", {**sel, name: [alt]}, \
                        f"the signature matches {name} {alt!r} (sent: {v!r}): a proxy or the transport " \
                        "changed this signed header", {}
        if m.oss and name == sc.token_header.lower():
            yield "session-token-not-signed", {k: x for k, x in sel.items() if k != name}, \
                f"the signature matches the request without {name}: the token was added after signing", {}
    # trimming done differently
    ws = any(re.search(r"\s{2,}|^\s|\s$", x) for vals in sel.values() for x in vals)
    if ws:
        for mode in ("trimall", "raw", "strip"):
            if mode != sc.header_values:
                yield "header-value-whitespace-not-trimmed", sel, \
                    f"the signature matches header values canonicalised with '{mode}' (the scheme uses '{sc.header_values}')", \
                    {"_scheme": replace(sc, header_values=mode)}
    # the list written as declared (upper case, unsorted) into the canonical request
    if s.signed_raw and not m.volc_presign:
        names = s.signed_raw.split(";")
        if any(n != n.lower() for n in names) or names != sorted(names):
            low_sel, _ = received_selection(sc, req, tuple(n.lower() for n in names if n))
            yield "case-of-signed-headers", low_sel, \
                f"the signature matches the header list written as declared ({s.signed_raw!r}) in the " \
                "canonical request", {"_listed": s.signed_raw}
    # listed headers that are not on the wire
    for name in s.signed:
        low = name.lower()
        if low != "host" and not req.has_header(low) and low in [n.lower() for n in s.signed]:
            vals = [("", "an empty value")]
            if low == sc.token_header.lower():
                tok = creds.session_token
                if tok:
                    vals.append((tok, "your session token"))
            for val, what in vals:
                yield "signed-header-missing", {**sel, low: [val]}, \
                    f"the signature matches {low} with {what}: it was signed, then dropped before sending", {}
    # OSS: Content-Type / Content-MD5 signed or not
    if m.oss:
        for name in ("content-type", "content-md5"):
            if name in sel:
                rest = {k: v for k, v in sel.items() if k != name}
                yield "oss-content-md5-or-type-mismatch", rest, f"the signature matches a request signed without {name}", {}


_HOP_VALUES = {"accept-encoding": ("gzip, deflate", "gzip, deflate, br", "gzip, deflate, br, zstd", "gzip",
                                    "identity", "br", "*", ""),
               "connection": ("keep-alive", "close", "Keep-Alive", ""), "keep-alive": ("timeout=5", ""),
               "expect": ("100-continue", ""), "transfer-encoding": ("chunked", ""), "te": ("trailers", ""),
               "content-length": ("0",)}


def _non_ascii_variants(v: str) -> Iterator[tuple[str, str]]:
    """How a non-ASCII header value is commonly mangled between signing and sending."""
    for alt, what in ((lambda: v.encode("utf-8").decode("latin-1"), "as its UTF-8 bytes read as Latin-1"),
                      (lambda: v.encode("latin-1").decode("utf-8"), "as the UTF-8 text its Latin-1 bytes spell"),
                      (lambda: quote(v, safe=" ;=/,"), "percent-encoded"),
                      (lambda: v.encode("ascii", "ignore").decode(), "with its non-ASCII characters dropped"),
                      (lambda: v.encode("ascii", "replace").decode(), "with its non-ASCII characters as '?'")):
        try:
            yield alt(), what
        except UnicodeError:
            continue


def _body_variants(m: _V4) -> Iterator[tuple[str, str, dict, str]]:
    sc, req, sel = m.sc, m.req, m.selected
    if m.volc_presign:
        return
    sha_name = sc.content_sha_header.lower()
    bodies: list[tuple[bytes, str]] = [(b"", "an empty body")]
    try:
        doc = json.loads(req.body) if req.body else None
    except (ValueError, UnicodeDecodeError):
        doc = None
    if doc is not None:
        for seps, sk_, what in (((",", ":"), False, "compact JSON"), ((", ", ": "), False, "JSON with spaces"),
                                ((",", ":"), True, "compact JSON with sorted keys"),
                                ((", ", ": "), True, "JSON with spaces and sorted keys")):
            for ascii_ in (False, True):
                b = json.dumps(doc, separators=seps, sort_keys=sk_, ensure_ascii=ascii_).encode("utf-8")
                bodies.append((b, what + (" (ASCII-escaped)" if ascii_ else "")))
        bodies.append((json.dumps(doc, indent=2).encode(), "indented JSON"))
    seen = {req.body}
    for b, what in bodies:
        if b in seen:
            continue
        seen.add(b)
        h = sha256_hex(b)
        new_sel = {**sel, sha_name: [h]} if sha_name in sel else sel
        yield "body-changed-after-signing", h, new_sel, \
            f"the signature matches the body as {what} ({len(b)} bytes; {len(req.body)} were sent)"
    if m.payload != "UNSIGNED-PAYLOAD":
        yield "unsigned-payload-not-allowed", "UNSIGNED-PAYLOAD", sel, "the signature matches UNSIGNED-PAYLOAD as the payload hash"
    elif sc is not OSS4:
        h = sha256_hex(req.body)
        yield "unsigned-payload-not-allowed", h, sel, "the signature matches the body's SHA-256 instead of UNSIGNED-PAYLOAD"


# ---- OSS V1 ---------------------------------------------------------------------------------------
def _v1_hypotheses(sent: HttpRequest, s: _Sent, bucket: str | None, sk: str, ak: str,
                   deadline: float, token: str | None = None
                   ) -> tuple[list[_Hit], Callable[[str], tuple[str, str, list]]]:
    from . import oss_sign as O
    b, k = _bucket_key(sent, bucket)
    pairs = [(kk, v) for kk, v in C.parse_query(sent.query) if not (s.presigned and kk in s.auth_params)]
    headers = [(kk, v) for kk, v in sent.headers if kk.lower() != "authorization"]
    date = s.ts or ""
    targets = {s.signature, s.signature.replace(" ", "+")}
    res0 = O.v1_resource(b, k, pairs)

    def run(secret: str, method: str | None = None, hdrs: list | None = None, res: str | None = None,
            d: str | None = None) -> tuple[str, str, list]:
        return O.v1_string_to_sign(method or sent.method, headers if hdrs is None else hdrs, date if d is None else d,
                     res0 if res is None else res, secret)

    hits: list[_Hit] = []

    def check(cid: str, ev: str, **kw: Any) -> None:
        sts, sig, _ = run(kw.pop("secret", sk), **kw)
        if sig in targets:
            hits.append(_Hit(cid, ev, {"string_to_sign": sts, "signature": sig}))

    for cid, v, ev in _secret_variants(sk, ak):
        check(cid, ev, secret=v)
    for meth in ("GET", "PUT", "POST", "HEAD", "DELETE"):
        if meth != sent.method:
            check("method-mismatch", f"the signature matches method {meth} (sent: {sent.method})", method=meth)
    check("oss-bucket-in-resource", "the signature matches the resource without the bucket",
          res=O.v1_resource("", None, pairs).replace("/", f"/{k}", 1) if k else "/")
    check("oss-bucket-in-resource", "the signature matches the bucket written twice", res=O.v1_resource(b, f"{b}/{k}", pairs))
    enc = quote(k, safe="/")
    if enc != k:
        check("oss-resource-key-encoded", "the signature matches the URL-encoded key in the resource (V1 signs the raw key)",
              res=O.v1_resource(b, enc, pairs))
        check("oss-resource-key-encoded", "the signature matches the fully encoded key in the resource",
              res=O.v1_resource(b, quote(k, safe=""), pairs))
    if "+" in k:
        check("plus-in-path", "the signature matches '+' in the key read as a space", res=O.v1_resource(b, k.replace("+", " "), pairs))
    for form in ("NFC", "NFD"):
        alt = unicodedata.normalize(form, k)
        if alt != k:
            check("unicode-normalization", f"the signature matches the {form} form of the key", res=O.v1_resource(b, alt, pairs))
    for i, (kk, v) in enumerate(pairs):
        rest = pairs[:i] + pairs[i + 1:]
        if kk == "security-token":
            check("session-token-not-signed", "the signature matches the resource without 'security-token': the "
                  "token was appended after signing or left out of the signed resource", res=O.v1_resource(b, k, rest))
        elif kk in O.SUBRESOURCES:
            check("oss-subresource-not-signed", f"the signature matches the resource without {kk!r}: it was "
                  "appended after signing or left out of the signed resource", res=O.v1_resource(b, k, rest))
    low = {kk.lower(): v for kk, v in headers}
    for name in ("content-type", "content-md5"):
        if name in low:
            check("oss-content-md5-or-type-mismatch", f"the signature matches a request signed without {name}",
                  hdrs=[(kk, v) for kk, v in headers if kk.lower() != name])
            if ";" in low[name]:
                check("oss-content-md5-or-type-mismatch", f"the signature matches {name} without its parameters",
                      hdrs=[(kk, v.split(";")[0].strip() if kk.lower() == name else v) for kk, v in headers])
    if "content-type" not in low:
        for ct in ("application/octet-stream", "image/png", "image/jpeg", "application/x-www-form-urlencoded",
                   "text/plain"):
            check("oss-content-md5-or-type-mismatch", f"the signature matches Content-Type {ct!r}, which was not sent",
                  hdrs=headers + [("Content-Type", ct)])
    for kk, v in headers:
        if kk.lower().startswith("x-oss-") and ";" in v:
            check("header-changed-after-signing", f"the signature matches {kk.lower()} without its parameters",
                  hdrs=[(a, v.split(";")[0].strip() if a == kk else bv) for a, bv in headers])
    # every x-oss-* header is signed implicitly: one sent but left out of the signature
    for i, (kk, v) in enumerate(headers):
        lk = kk.lower()
        if lk.startswith("x-oss-") and lk != "x-oss-date":
            rest_h = headers[:i] + headers[i + 1:]
            if lk == "x-oss-security-token":
                check("session-token-not-signed", "the signature matches the request without x-oss-security-token: "
                      "the token was added after signing", hdrs=rest_h)
            else:
                check("unsigned-header-present", f"the signature matches the request without {lk}: OSS V1 signs "
                      "every x-oss-* header, but this one was added after signing (or left out by the signer)",
                      hdrs=rest_h)
    # a header the client signed but that is not on the wire (only the token can be known)
    if token and "x-oss-security-token" not in low and not s.presigned:
        check("signed-header-missing", "the signature matches the request with x-oss-security-token set to your "
              "session token: it was signed, then dropped before sending", hdrs=headers + [("x-oss-security-token", token)])
    # header values canonicalised differently, and non-ASCII values mangled
    signed_v1 = [(i, kk.lower(), v) for i, (kk, v) in enumerate(headers)
                 if kk.lower().startswith("x-oss-") or kk.lower() in ("content-type", "content-md5")]
    for mode, fn in (("trimall", lambda x: " ".join(x.split())), ("strip", str.strip)):
        if any(fn(v) != v for _, _, v in signed_v1):
            check("header-value-whitespace-not-trimmed", f"the signature matches header values canonicalised with "
                  f"'{mode}' (OSS V1 signs them as sent)",
                  hdrs=[(a, fn(bv) if (i, a.lower(), bv) in signed_v1 else bv) for i, (a, bv) in enumerate(headers)])
    for i, lk, v in signed_v1:
        if not v.isascii():
            for alt, what in _non_ascii_variants(v):
                check("non-ascii-header-value", f"the signature matches {lk} {what}",
                      hdrs=headers[:i] + [(headers[i][0], alt)] + headers[i + 1:])
    if not hits and not s.presigned and date and time.perf_counter() < deadline:
        try:
            d0 = parsedate_to_datetime(date)
        except (TypeError, ValueError, OverflowError):
            d0 = None
        if d0 is not None:
            from .oss_sign import http_date
            for delta in range(1, 3601):
                for sgn in (-1, 1):
                    try:
                        d2 = http_date(d0 + timedelta(seconds=sgn * delta))
                    except (OverflowError, ValueError, OSError):
                        continue
                    check("date-header-changed-after-signing",
                          f"the signature matches Date {d2}; the request carries {date} ({-sgn * delta:+d} s)",
                          d=d2, hdrs=[(a, d2 if a.lower() == "date" else bv) for a, bv in headers])
                    if hits:
                        break
                if hits or (delta % 300 == 0 and time.perf_counter() > deadline):
                    break
    return hits, run


# ---- static checks ------------------------------------------------------------------------------
_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")


class _Findings:
    def __init__(self) -> None:
        self.causes: list[Cause] = []
        self.checked: list[str] = []
        self.not_checked: list[str] = []

    def add(self, cid: str, evidence: str, confidence: str, kind: str) -> None:
        if not any(c.id == cid and c.evidence == evidence for c in self.causes):
            self.causes.append(_cause(cid, evidence, confidence, kind))

    def has(self, cid: str) -> bool:
        return any(c.id == cid for c in self.causes)

    def discard(self, cid: str, kind: str) -> None:
        """Forget a finding of one kind that stronger evidence explains otherwise."""
        self.causes = [c for c in self.causes if not (c.id == cid and c.kind == kind)]


def _static(f: _Findings, sent: HttpRequest, s: _Sent, exp: _Expect, creds: Credentials | None,
            now: datetime | None, now_src: str) -> datetime | None:
    """Layer 1: what can be checked without the secret. Returns the parsed timestamp."""
    sc = SCHEMES.get(s.scheme)
    # algorithm and scope
    if s.scheme != "OSS1":
        want = SCHEMES.get(exp.scheme)
        if want is not None and s.algorithm != want.algorithm:
            f.add("wrong-algorithm-string", f"the request uses algorithm {s.algorithm!r}; {exp.source} expects "
                  f"{want.algorithm!r}", "high", "structure")
        elif want is None and exp.scheme == "OSS1":
            f.add("wrong-algorithm-string", f"the request uses {s.algorithm!r}; {exp.source} expects OSS V1", "high", "structure")
        if want is not None and s.terminator != want.terminator:
            f.add("wrong-scope-terminator", f"the credential scope ends in {s.terminator!r}, not {want.terminator!r}",
                  "high", "structure")
        f.checked.append("algorithm and scope terminator")
        if exp.region and s.region != exp.region:
            conf = "high" if exp.signer is not None else "medium"
            f.add("wrong-region", f"the scope names region {s.region!r}; {exp.source} expects {exp.region!r}",
                  conf, "expectation")
        if exp.service and s.service != exp.service:
            case = s.service.lower() == exp.service.lower()
            conf = "high" if (exp.signer is not None or case) else "medium"
            f.add("wrong-service", f"the scope names service {s.service!r}; {exp.source} expects {exp.service!r}"
                  + (" (the names differ only in case)" if case else ""), conf, "expectation")
        f.checked.append(f"region and service against {exp.source}")
    elif exp.scheme in SCHEMES:
        f.add("wrong-algorithm-string", f"the request is signed with OSS V1; {exp.source} expects "
              f"{SCHEMES[exp.scheme].algorithm}", "high", "structure")
    # timestamps
    ts_dt: datetime | None = None
    if s.scheme == "OSS1":
        if s.presigned:
            if s.expires is None:
                f.add("date-format-invalid", f"Expires={s.ts!r} is not Unix seconds", "high", "structure")
            elif now is not None:
                left = s.expires - int(now.timestamp())
                if left < 0:
                    f.add("presigned-url-expired", f"Expires={s.expires} is {-left} s before {now_src}", "high", "expectation")
                f.checked.append("expiry")
        else:
            try:
                ts_dt = parsedate_to_datetime(s.ts) if s.ts else None
            except (TypeError, ValueError, OverflowError):
                ts_dt = None
            if ts_dt is None:
                f.add("date-format-invalid", f"Date {s.ts!r} is missing or not an RFC 1123 date", "high", "structure")
            elif ts_dt.tzinfo is None:
                ts_dt = ts_dt.replace(tzinfo=timezone.utc)
    else:
        assert sc is not None
        name = sc.q_date if s.presigned else sc.date_header
        if not s.ts:
            if not (name.lower() in [n.lower() for n in s.signed]):
                f.add("date-format-invalid", f"the request has no {name}", "high", "structure")
        elif not _DATE_RE.match(s.ts) or parse_timestamp(s.ts) is None:
            f.add("date-format-invalid", f"{name} {s.ts!r} is not YYYYMMDDTHHMMSSZ (UTC)", "high", "structure")
        else:
            ts_dt = parse_timestamp(s.ts)
            if s.date != s.ts[:8]:
                f.add("date-header-mismatch", f"the scope date {s.date} is not the date of {name} ({s.ts[:8]})",
                      "high", "structure")
        f.checked.append("timestamp format and scope date")
        if s.presigned and s.expires is not None:
            if not 1 <= s.expires <= 604800:
                f.add("presigned-url-expired", f"{sc.q_expires}={s.expires} is outside 1…604800 s (7 days)",
                      "high", "structure")
            if ts_dt is not None and now is not None:
                late = (now - ts_dt).total_seconds() - s.expires      # no datetime arithmetic: no overflow
                if late > 0:
                    f.add("presigned-url-expired", f"signed at {s.ts}, valid {s.expires} s, so it expired "
                          f"{int(late)} s before {now_src}", "high", "expectation")
                f.checked.append("expiry")
    if ts_dt is not None and now is not None and not s.presigned:
        skew = (ts_dt - now).total_seconds()
        hours = round(skew / 3600)
        if abs(skew) > 900:
            if hours and abs(skew - hours * 3600) <= 120:
                f.add("scope-date-not-utc", f"the timestamp is {skew:+.0f} s ({hours:+d} h) from {now_src}: "
                      "whole hours point to local time written as UTC", "high", "expectation")
            else:
                f.add("clock-skew", f"the timestamp is {skew:+.0f} s from {now_src} (the window is ±900 s)",
                      "high", "expectation")
        f.checked.append(f"clock skew against {now_src}")
    elif ts_dt is not None and not s.presigned:
        f.not_checked.append("clock skew (pass now= or the server response with its Date)")
    # credentials and token
    temp = s.access_key.startswith(_TEMP_AK)
    token_name = ("security-token" if s.presigned else "x-oss-security-token") if s.scheme == "OSS1" else \
        (sc.q_token if s.presigned else sc.token_header)
    listed_low = [n.lower() for n in s.signed]
    if not s.token and (temp or (creds is not None and creds.session_token)):
        if token_name.lower() in listed_low:
            pass          # reported as signed-header-missing below
        else:
            why = f"the access key {mask_access_key(s.access_key)} is temporary" if temp else \
                "your credentials carry a session token"
            f.add("session-token-missing", f"{why} but the request has no {token_name}", "high", "structure")
    if s.token and not s.presigned and s.scheme in SCHEMES and token_name.lower() not in listed_low \
            and s.scheme != "OSS4":
        f.add("session-token-not-signed", f"{token_name} is sent but not listed in SignedHeaders "
              f"({s.signed_raw or '-'})", "high", "structure")
    if creds is not None and creds.expires_at is not None and now is not None and now > creds.expires_at:
        f.add("expired-credentials", f"the credentials expired at {creds.expires_at.isoformat()}", "high", "expectation")
    f.checked.append("session token present and signed")
    # SignedHeaders list
    if s.scheme in ("AWS4", "VOLC") and not (s.presigned and s.scheme == "VOLC"):
        raw = s.signed_raw
        names = raw.split(";") if raw else []
        if any(n != n.lower() for n in names) or names != sorted(names) or "" in names:
            f.add("case-of-signed-headers", f"SignedHeaders={raw!r} is not lower-case, sorted and without empty "
                  "names", "high", "structure")
        dup = sorted({n.lower() for n in names if [x.lower() for x in names].count(n.lower()) > 1})
        if dup:
            f.add("duplicate-header", f"SignedHeaders lists {', '.join(dup)} more than once", "high", "structure")
        for n in sorted(set(listed_low)):
            if n != "host" and not sent.has_header(n):
                f.add("signed-header-missing", f"SignedHeaders lists {n} but the request does not carry it",
                      "high", "structure")
        for n in sorted(set(listed_low)):
            vals = [v for k, v in sent.headers if k.lower() == n]
            if len(vals) > 1:
                f.add("duplicate-header", f"{n} is sent {len(vals)} times", "medium", "advice")
            if any(ord(ch) > 127 for v in vals for ch in v):
                f.add("non-ascii-header-value", f"the signed header {n} contains non-ASCII characters", "medium", "advice")
        hop = [n for n in listed_low if n in _HOP]
        if hop:
            f.add("hop-by-hop-header-signed", f"SignedHeaders includes {', '.join(hop)}, which proxies and "
                  "transports may change", "low", "advice")
        if not s.presigned:
            want = {sc.date_header.lower()}
            missing = sorted(want - set(listed_low))
            if missing and s.ts:
                f.add("volc-host-or-date-not-signed" if s.scheme == "VOLC" else "unsigned-header-present",
                      f"{sc.date_header} is sent but not in SignedHeaders", "medium", "advice")
        if s.scheme == "VOLC" and not s.presigned and "host" not in listed_low:
            f.add("volc-host-or-date-not-signed", "host is sent but not in SignedHeaders (the documentation "
                  "requires host and x-date to be signed; the gateway checks it)", "high", "structure")
        if s.scheme == "AWS4" and exp.service == "s3":
            unsigned = sorted({k.lower() for k, _ in sent.headers if k.lower().startswith("x-amz-")
                               and k.lower() not in listed_low and k.lower() != "x-amz-security-token"})
            if unsigned:
                f.add("unsigned-header-present", f"S3 requires every x-amz-* header to be signed; unsigned: "
                      f"{', '.join(unsigned)}", "high", "structure")
        f.checked.append("SignedHeaders list against the headers sent")
    if s.scheme == "OSS4":
        names = s.signed_raw.split(";") if s.signed_raw else []
        if any(n != n.lower() for n in names) or names != sorted(names) or "" in names:
            where = "x-oss-additional-headers" if s.presigned else "AdditionalHeaders"
            f.add("case-of-signed-headers", f"{where}={s.signed_raw!r} is not lower-case, sorted and without "
                  "empty names", "high", "structure")
    if s.scheme == "OSS1":
        for k, v in sent.headers:
            low = k.lower()
            if (low.startswith("x-oss-") or low in ("content-type", "content-md5")) and not v.isascii():
                f.add("non-ascii-header-value", f"the signed header {low} contains non-ASCII characters",
                      "medium", "advice")
    if s.scheme == "OSS4" and not s.presigned:
        for n in sorted(set(listed_low)):
            if not sent.has_header(n):
                f.add("signed-header-missing", f"AdditionalHeaders lists {n} but the request does not carry it",
                      "high", "structure")
    # body hash
    if s.scheme in SCHEMES and not (s.presigned and s.scheme == "VOLC"):
        sha = sent.header(sc.content_sha_header)
        if sha is not None:
            body_h = sha256_hex(sent.body)
            if sha == "UNSIGNED-PAYLOAD":
                if s.scheme == "AWS4" and exp.service != "s3":
                    f.add("unsigned-payload-not-allowed", f"{sc.content_sha_header} is UNSIGNED-PAYLOAD, which only "
                          "S3 accepts", "high", "expectation")
            elif s.scheme == "OSS4":
                f.add("unsigned-payload-not-allowed", f"{sc.content_sha_header} must be UNSIGNED-PAYLOAD on OSS4",
                      "high", "structure")
            elif sha.lower() != body_h:
                f.add("body-hash-mismatch", f"{sc.content_sha_header} is {sha[:16]}… but the body sent "
                      f"({len(sent.body)} bytes) hashes to {body_h[:16]}…", "high", "structure")
            f.checked.append(f"{sc.content_sha_header} against the body")
    # presigned URL hygiene
    for piece in sent.query.split("&"):
        k, _, v = piece.partition("=")
        if "?" in unquote(v) and k not in ("x-oss-process",):
            f.add("query-param-added-after-signing", f"the value of {unquote(k)!r} contains a second '?': "
                  "parameters were appended to a URL that already had a query", "high", "structure")
        if s.scheme == "OSS1" and s.presigned and k == "Signature" and "+" in v:
            f.add("signature-not-url-encoded", "the Signature parameter contains a raw '+', which the server reads "
                  "as a space", "high", "structure")
    if s.scheme == "OSS4" and s.presigned:
        pass


def _echo_causes(f: _Findings, echo: ServerEcho, s: _Sent) -> None:
    code = (echo.code or "").strip()
    msg = echo.message or ""
    if code in ("RequestTimeTooSkewed", "InvalidTimestamp") or "InvalidTimeStamp" in code:
        if not f.has("clock-skew") and not f.has("scope-date-not-utc"):
            f.add("clock-skew", f"the server answered {code}: {msg[:120]}", "high", "echo")
    elif code in ("InvalidAccessKeyId", "InvalidAccessKey", "InvalidClientTokenId"):
        if not f.has("session-token-missing"):
            f.add("invalid-access-key", f"the server answered {code}: it does not know access key "
                  f"{mask_access_key(s.access_key)}", "high", "echo")
    elif code in ("ExpiredToken", "SecurityTokenExpired") or (code == "InvalidSecretToken" and "expire" in msg.lower()):
        f.add("expired-credentials", f"the server answered {code}: {msg[:120]}", "high", "echo")
    elif code == "AuthorizationHeaderMalformed" and echo.region:
        f.add("wrong-region", f"the server expects region {echo.region!r}; the scope says {s.region!r}", "high", "echo")
    elif code == "XAmzContentSHA256Mismatch":
        f.add("body-hash-mismatch", f"the server answered {code}", "high", "echo")
    elif echo.detail("HeadersNotSigned"):
        names = echo.detail("HeadersNotSigned") or ""
        cid = "session-token-not-signed" if "security-token" in names else "unsigned-header-present"
        f.add(cid, f"the server lists unsigned headers: {names}", "high", "echo")
    elif "expired" in msg.lower() and s.presigned:
        f.add("presigned-url-expired", f"the server answered: {msg[:120]}", "high", "echo")


_STEP_CAUSE = {"canonical_uri": "path-not-encoded", "canonical_query": "query-not-sorted",
               "canonical_headers": "header-changed-after-signing", "signed_headers": "case-of-signed-headers",
               "payload_hash": "body-changed-after-signing"}


def _echo_diff_cause(f: _Findings, diff: TraceDiff, s: _Sent, has_secret: bool) -> None:
    if diff.same:
        if diff.compared:
            f.add("secret-key-mismatch", "the server's canonical request and string to sign equal ours, yet the "
                  "signatures differ: the secret key differs (or the server signs with something not modelled)",
                  "medium", "echo")
        return
    step = diff.step
    line = diff.line
    where = f" (line {line[0]}: ours {line[1]!r}, server {line[2]!r})" if line else ""
    if step in ("canonical_request", "hashed_canonical_request") and line:
        n = line[0]
        step = {1: "method", 2: "canonical_uri", 3: "canonical_query"}.get(n, "canonical_headers")
        if "host:" in (line[1] + line[2]):
            f.add("host-header-mismatch", f"the server's canonical request has another host line{where}", "high", "echo")
            return
    if step == "method":
        f.add("method-mismatch", f"the server's canonical request has another method{where}", "high", "echo")
    elif step == "canonical_headers" and line and "host:" in (line[1] + line[2]):
        f.add("host-header-mismatch", f"the server's canonical headers have another host line{where}", "high", "echo")
    elif step in _STEP_CAUSE:
        f.add(_STEP_CAUSE[step], f"the first step that differs from the server's echo is {step}{where}", "medium", "echo")
    elif step in ("string_to_sign", "credential_scope"):
        if line and line[0] == 2:
            f.add("date-header-changed-after-signing", f"the timestamps differ{where}", "medium", "echo")
        elif line and line[0] == 3:
            f.add("wrong-region", f"the credential scopes differ{where}", "medium", "echo")
        elif s.scheme == "OSS1":
            f.add("oss-subresource-not-signed" if "?" in (line[2] if line else "") else "header-changed-after-signing",
                  f"the server's string to sign differs from ours{where}", "medium", "echo")
        else:
            f.add("wrong-algorithm-string", f"the strings to sign differ{where}", "low", "echo")


# ---- the entry point ------------------------------------------------------------------------------
def diagnose(sent: HttpRequest, creds: Credentials | None = None, signer: Signer | None = None,
             server_response: Any = None, now: datetime | None = None, *, bucket: str | None = None,
             budget_ms: float = 400.0) -> Diagnosis:
    """Diagnose a signed request exactly as it was sent.

    ``creds``: the credentials you believe signed it (enables re-signing experiments; without them
    only structural checks run). ``signer``: what the server expects (scheme, region, service);
    without it the endpoint table or the request's own scope is used. ``server_response``: the
    server's answer (body text, JSON dict, raw HTTP or a ``requests.Response``). ``now``: when the
    request was sent (aware datetime; default: the response's ``Date`` if given, else unchecked).
    ``bucket``: the OSS bucket when the URL does not show it."""
    t0 = time.perf_counter()
    if not isinstance(sent, HttpRequest):
        raise DiagnoseError(f"diagnose needs an HttpRequest, not {type(sent).__name__}",
                            hint="capture one with ik.capture.from_curl / from_har / from_raw_http")
    if creds is not None and not isinstance(creds, Credentials):
        raise DiagnoseError(f"creds must be ik.Credentials or None, not {type(creds).__name__}",
                            hint="ik.Credentials(access_key, secret_key, session_token=None)")
    if isinstance(budget_ms, bool) or not isinstance(budget_ms, (int, float)) or budget_ms < 0:
        raise DiagnoseError(f"budget_ms must be a number of milliseconds ≥ 0, not {budget_ms!r}", hint="e.g. budget_ms=400")
    try:
        now_dt = check_time(now, "now") if now is not None else None
    except ImgxError as e:
        raise DiagnoseError(e.message, hint=e.hint) from None
    s = _read_sent(sent)
    exp = _expectation(s, sent, signer)
    echo = parse_echo(server_response) if server_response is not None else None
    now_src = "now"
    if now_dt is None and echo is not None and echo.server_time is not None:
        now_dt, now_src = echo.server_time, "the server's time"
    hidden = tuple(x for x in ((creds.secrets() if creds else ()) + ((s.token,) if s.token else ())
                               + secret_values(sent.headers, sent.url)) if x)
    f = _Findings()
    _static(f, sent, s, exp, creds, now_dt, now_src)
    if echo is not None:
        _echo_causes(f, echo, s)
    expected: SigningTrace | None = None
    diff: TraceDiff | None = None
    verdict = "cannot-check"
    deadline = t0 + budget_ms / 1000.0
    if creds is not None and creds.access_key != s.access_key:
        f.checked.append(f"the request's access key {mask_access_key(s.access_key)} vs yours "
                         f"{mask_access_key(creds.access_key)}: they differ")
    if s.scheme == "OSS1":
        expected, diff, verdict = _run_v1(f, sent, s, exp, creds, echo, bucket, deadline)
    else:
        expected, diff, verdict = _run_v4(f, sent, s, exp, creds, echo, bucket, deadline, hidden)
    if verdict == "cannot-check" and any(c.confidence == "high" for c in f.causes):
        verdict = "mismatch"
    if verdict == "valid" and any(c.confidence == "high" for c in f.causes):
        verdict = "mismatch"
    if verdict == "valid" and echo is not None and echo.code and "Signature" in echo.code:
        verdict = "mismatch"
        f.add("secret-key-mismatch", "the signature is valid for the key you gave, yet the server rejected it: "
              "the server holds another key for this access key, or expects another region/service",
              "low", "residual")
    causes = sorted(f.causes, key=lambda c: (_CONF_RANK[c.confidence], _KIND_RANK.get(c.kind, 5),
                                             f.causes.index(c)))
    causes = [replace(c, title=tr(c.title), evidence=tr(c.evidence), fix=tr(c.fix)) for c in causes]  # i18n
    return Diagnosis(verdict, tuple(causes), expected, echo.masking(hidden) if echo is not None else None, diff,
                     tuple(map(tr, f.checked)), tuple(map(tr, f.not_checked)),
                     s.scheme, s.presigned, sent, s.signature, exp.source,
                     (time.perf_counter() - t0) * 1000.0, hidden)


def _trace_creds(creds: Credentials, s: _Sent) -> Credentials:
    ak = s.access_key if s.access_key else creds.access_key
    try:
        return Credentials(ak, creds.secret_key, creds.session_token or s.token, creds.expires_at, creds.demo)
    except ImgxError:
        return creds


def _run_v4(f: _Findings, sent: HttpRequest, s: _Sent, exp: _Expect, creds: Credentials | None,
            echo: ServerEcho | None, bucket: str | None, deadline: float, hidden: tuple[str, ...]
            ) -> tuple[SigningTrace | None, TraceDiff | None, str]:
    m = _V4(sent, s, exp.normalize, bucket)
    exp_sc = SCHEMES.get(exp.scheme, m.sc)
    region = exp.region or s.region or "-"
    service = exp.service or s.service or "-"
    ts_ok = bool(s.ts) and parse_timestamp(s.ts) is not None
    ts = s.ts if ts_ok else (s.date + "T000000Z" if re.fullmatch(r"\d{8}", s.date or "") else "19700101T000000Z")
    tcreds = _trace_creds(creds, s) if creds is not None else _DUMMY
    curi = m.curi if (exp_sc is m.sc or m.oss) else C.canonical_uri(sent.path, exp_sc, exp.normalize)
    cq = C.canonical_query(m.pairs, exp_sc)
    t = compute_signature(exp_sc, sent.method, curi, cq, m.selected, m.payload, tcreds, ts, region, service,
                 header_block=m.block, listed=m.listed)
    auth = None if s.presigned else format_authorization(exp_sc, tcreds.access_key, t)
    signer = exp.signer or Signer(exp_sc, region, service)
    trace = build_trace(exp_sc, tcreds, signer, ts, t, auth, sent, presigned=s.presigned, expires=s.expires)
    diff = None
    if echo is not None and echo.has_canonical:
        diff = trace.diff(echo)
        _echo_diff_cause(f, diff, s, creds is not None)
        f.checked.append(f"our trace against the server's echo ({', '.join(diff.compared)})")
    if creds is None:
        f.not_checked += ["the signature itself (pass the credentials to re-sign)",
                          "secret, canonicalisation, header and body hypotheses (need the secret)"]
        return None, diff, "cannot-check"
    sk = creds.secret_key
    base_cr = m.parts()["canonical_request"]
    base_sig, base_sts = m.sign(base_cr, sk)
    consistent = base_sig == s.signature.lower()
    f.checked.append("self-consistency: " + ("the client signed exactly what was sent, as it declares" if consistent
                                             else "re-signing what was sent, as declared, gives another signature"))
    valid = trace.signature == s.signature.lower()
    if consistent:
        if not valid and diff is None:
            diff = trace.diff(_client_parts(base_cr, base_sts, base_sig))
        if not valid and not f.causes:
            f.add("secret-key-mismatch", "the client signed what it sent consistently with its own declared "
                  "scope, but the server's expectation gives another signature", "low", "residual")
        if creds.access_key != s.access_key and not valid:
            f.add("invalid-access-key", f"your secret key signs this request, but the request names access key "
                  f"{mask_access_key(s.access_key)} instead of {mask_access_key(creds.access_key)}", "medium", "advice")
        return trace, diff, "valid" if valid else "mismatch"
    hits = _hypotheses(m, sk, creds.access_key, creds, deadline)
    if time.perf_counter() > deadline and not hits:
        f.not_checked.append("part of the hypothesis search (time budget reached)")
    seen = set()
    for h in hits:
        if h.cid in seen:          # one entry per cause; the first (simplest) evidence wins
            continue
        seen.add(h.cid)
        f.add(h.cid, h.evidence + " (exact: HMAC match)", "high", "exact")
    if hits:
        if diff is None:
            diff = trace.diff(hits[0].parts)
    else:
        if creds.access_key != s.access_key:
            f.add("invalid-access-key", f"the request names access key {mask_access_key(s.access_key)}, your "
                  f"credentials are for {mask_access_key(creds.access_key)}", "medium", "advice")
        f.add("secret-key-mismatch", "no single modelled change reproduces the signature with your secret key: "
              "the key differs, or more than one thing changed", "low", "residual")
        _presigned_edit_hint(f, sent, s.presigned)
        f.checked.append("hypotheses: secret variants, regions, services, terminators, method, path, query, "
                         "headers, body, timestamp ±3600 s")
        if diff is None:
            diff = trace.diff({"signature": s.signature.lower()})
    return trace, diff, "mismatch"


def _run_v1(f: _Findings, sent: HttpRequest, s: _Sent, exp: _Expect, creds: Credentials | None,
            echo: ServerEcho | None, bucket: str | None, deadline: float
            ) -> tuple[SigningTrace | None, TraceDiff | None, str]:
    from . import oss_sign as O
    b, k = _bucket_key(sent, bucket)
    pairs = [(kk, v) for kk, v in C.parse_query(sent.query) if not (s.presigned and kk in s.auth_params)]
    headers = [(kk, v) for kk, v in sent.headers if kk.lower() != "authorization"]
    tcreds = _trace_creds(creds, s) if creds is not None else _DUMMY
    sts, sig, extra = O.v1_string_to_sign(sent.method, headers, s.ts or "", O.v1_resource(b, k, pairs), tcreds.secret_key)
    trace = O.v1_trace(tcreds, s.ts or "", sts, sig, extra, None if s.presigned else f"OSS {tcreds.access_key}:{sig}",
                        sent, s.presigned, None)
    diff = None
    if echo is not None and echo.has_canonical:
        diff = trace.diff(echo)
        _echo_diff_cause(f, diff, s, creds is not None)
    if creds is None:
        f.not_checked += ["the signature itself (pass the credentials to re-sign)"]
        return None, diff, "cannot-check"
    targets = {s.signature}
    if sig in targets:
        f.checked.append("self-consistency: the client signed exactly what was sent")
        return trace, diff, "valid"
    if sig == s.signature.replace(" ", "+"):
        f.add("signature-not-url-encoded", "the signature is right once its spaces are read back as '+' "
              "(exact: HMAC match)", "high", "exact")
        return trace, diff, "mismatch"
    if "?" in s.signature and sig == s.signature.split("?")[0].replace(" ", "+"):
        f.add("query-param-added-after-signing", "the signature is right once the '?…' glued to it is cut off: "
              "parameters were appended with a second '?' after signing (exact: HMAC match)", "high", "exact")
        return trace, diff, "mismatch"
    hits, _ = _v1_hypotheses(sent, s, bucket, creds.secret_key, creds.access_key, deadline, creds.session_token)
    if any(h.cid == "signed-header-missing" for h in hits):
        f.discard("session-token-missing", "structure")     # the token was used, then dropped: not "missing"
    seen = set()
    for h in hits:
        if h.cid not in seen:
            seen.add(h.cid)
            f.add(h.cid, h.evidence + " (exact: HMAC match)", "high", "exact")
    if hits:
        diff = diff or trace.diff(hits[0].parts)
    else:
        f.add("secret-key-mismatch", "no single modelled change reproduces the signature with your secret key: "
              "the key differs, or more than one thing changed", "low", "residual")
        _presigned_edit_hint(f, sent, s.presigned)
        diff = diff or trace.diff({"signature": s.signature})
    return trace, diff, "mismatch"


_AUTH_QUERY_KEYS = frozenset().union(*(sc.query_auth_keys for sc in SCHEMES.values()),
                                     V1_QUERY_AUTH, ("security-token",))


def _presigned_edit_hint(f: "_Findings", sent: HttpRequest, presigned: bool) -> None:
    """A presigned URL whose parameter *value* was edited after signing looks exactly like a
    different secret: the old value cannot be recovered. Say so, ranked after the secret."""
    if not presigned:
        return
    names = [k for k, _ in C.parse_query(sent.query) if k not in _AUTH_QUERY_KEYS]
    if not names:
        return
    shown = ", ".join(sorted(set(names))[:4])
    f.add("query-param-added-after-signing",
          f"a presigned URL signs every parameter it carries ({shown}); if one of their values was edited "
          f"after signing (e.g. another x-oss-process), no re-signing experiment can find the old value, "
          f"and it fails exactly like a different secret — sign again after editing the URL",
          "low", "residual")
