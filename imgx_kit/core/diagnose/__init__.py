"""Why was this signed request rejected? :func:`diagnose` takes the request exactly as it was sent,
recomputes every step, and names ranked causes with evidence and a fix.

Layers (``reference/fault-catalogue.md`` §0): registered static checks that need no secret
(:mod:`.checks`); with the secret, a self-consistency check (was it signed correctly for what was
sent?) and a search over registered hypotheses that re-signs under one transformation at a time —
an HMAC match proves it (:mod:`.search`, :mod:`.variants`, :mod:`.oss_v1`); and, when the server
echoed its canonical request, a step-by-step diff of the request's own computation against it
(:mod:`.echo_causes`). :class:`Diagnosis` and its views live in :mod:`.diagnosis`::

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

import re
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from .. import canonical as C, oss_sign as O
from ..credentials import Credentials
from ..declared import Declared
from ..echo import ServerEcho, parse_echo
from ..errors import DiagnoseError, ImgxError
from ..i18n import tr
from ..redact import mask_access_key, secret_values
from ..request import HttpRequest
from ..scheme import SCHEMES
from ..signer import (
    Lookup,
    Signer,
    build_trace,
    check_time,
    compute_signature,
    format_authorization,
    parse_timestamp,
)
from ..trace import SigningTrace, TraceDiff
from . import variants as _variants  # noqa: F401  (registers the hypothesis families)
from .catalogue import CATALOGUE, CONF_RANK, KIND_RANK, Cause, CauseInfo, applies
from .checks import run_checks
from .context import (
    Ctx,
    Expect,
    Findings,
    endpoint as _endpoint,  # noqa: F401  (the Signature Lab's endpoint look-up)
    expectation,
    read_sent,
)
from .diagnosis import Diagnosis
from .echo_causes import echo_causes, echo_diff_cause
from .oss_v1 import V1, v1_search
from .search import DUMMY, Hit, Model, client_parts, search

__all__ = ["CATALOGUE", "Cause", "CauseInfo", "Diagnosis", "applies", "detect_scheme", "diagnose"]


def detect_scheme(req: HttpRequest) -> tuple[str, bool]:
    """(scheme name, presigned) of a signed request: AWS4, VOLC, OSS1 or OSS4."""
    s = read_sent(req)
    return s.scheme, s.presigned


def diagnose(sent: HttpRequest, creds: Credentials | Lookup | None = None, signer: Signer | None = None,
             server_response: Any = None, now: datetime | None = None, *, bucket: str | None = None,
             budget_ms: float = 100.0) -> Diagnosis:
    """Diagnose a signed request exactly as it was sent.

    ``creds``: the credentials you believe signed it (enables re-signing experiments; without them
    only structural checks run), or a lookup (a mapping or callable access key → Credentials, as
    :meth:`Signer.verify` takes): a lookup that does not know the request's key proves
    ``invalid-access-key``. ``signer``: what the server expects (scheme, region, service);
    without it the endpoint table or the request's own scope is used. ``server_response``: the
    server's answer (body text, JSON dict, raw HTTP or a ``requests.Response``). ``now``: when the
    request was sent (aware datetime; default: the response's ``Date`` if given, else unchecked).
    ``bucket``: the OSS bucket when the URL does not show it. ``budget_ms``: the time every search
    may take together (the structural checks always run)."""
    t0 = time.perf_counter()
    now_dt = _check_args(sent, creds, budget_ms, now)
    s = read_sent(sent)
    f = Findings()
    real = _resolve(f, creds, s)
    exp = expectation(s, sent, signer)
    echo = parse_echo(server_response) if server_response is not None else None
    now_src = "now"
    if now_dt is None and echo is not None and echo.server_time is not None:
        now_dt, now_src = echo.server_time, "the server's time"
    hidden = tuple(x for x in ((real.secrets() if real else ()) + ((s.token,) if s.token else ())
                               + secret_values(sent.headers, sent.url)) if x)
    run_checks(Ctx(sent, s, exp, real, now_dt, now_src, f))
    if echo is not None:
        echo_causes(f, echo, s)
    if real is not None and real.access_key != s.access_key:
        f.checked.append(f"the request's access key {mask_access_key(s.access_key)} vs yours "
                         f"{mask_access_key(real.access_key)}: they differ")
    deadline = t0 + budget_ms * 0.95 / 1000.0        # what follows the search fits in the rest
    run = _run_v1 if s.scheme == "OSS1" else _run_v4
    expected, diff, verdict = run(f, sent, s, exp, real, echo, bucket, deadline)
    verdict = _final_verdict(f, verdict, echo, real is not None)
    ranked = sorted(f.causes, key=lambda c: (CONF_RANK[c.confidence], KIND_RANK.get(c.kind, 5), f.causes.index(c)))
    causes = list({c.id: c for c in reversed(ranked)}.values())[::-1]      # one row per cause: its strongest evidence
    causes.sort(key=ranked.index)
    causes = [replace(c, title=tr(c.title), evidence=tr(c.evidence), fix=tr(c.fix)) for c in causes]  # i18n
    return Diagnosis(verdict, tuple(causes), expected, echo.masking(hidden) if echo is not None else None, diff,
                     tuple(map(tr, f.checked)), tuple(map(tr, f.not_checked)), s.scheme, s.presigned, sent,
                     s.signature, exp.source,
                     (time.perf_counter() - t0) * 1000.0, hidden)


def _check_args(sent: Any, creds: Any, budget_ms: Any, now: Any) -> datetime | None:
    if not isinstance(sent, HttpRequest):
        raise DiagnoseError(f"diagnose needs an HttpRequest, not {type(sent).__name__}",
                            hint="capture one with ik.capture.from_curl / from_har / from_raw_http")
    if creds is not None and not isinstance(creds, (Credentials, Mapping)) and not callable(creds):
        raise DiagnoseError(f"creds must be ik.Credentials, a lookup or None, not {type(creds).__name__}",
                            hint="ik.Credentials(access_key, secret_key, session_token=None)")
    if isinstance(budget_ms, bool) or not isinstance(budget_ms, (int, float)) or not budget_ms >= 0:
        raise DiagnoseError(f"budget_ms must be a number of milliseconds ≥ 0, not {budget_ms!r}",
                            hint="e.g. budget_ms=100")
    try:
        return check_time(now, "now") if now is not None else None
    except ImgxError as e:
        raise DiagnoseError(e.message, hint=e.hint) from None


def _final_verdict(f: Findings, verdict: str, echo: ServerEcho | None, has_secret: bool) -> str:
    high = any(c.confidence == "high" for c in f.causes)
    if verdict in ("cannot-check", "valid") and high:
        verdict = "mismatch"
    rejected = echo is not None and bool(echo.code) and "Signature" in (echo.code or "")
    if verdict == "valid" and rejected:
        verdict = "mismatch"
        f.add("secret-key-mismatch", "the signature is valid for the key you gave, yet the server rejected it: "
              "the server holds another key for this access key, or expects another region/service", "low", "residual")
    if verdict == "cannot-check" and rejected and not any(c.confidence in ("high", "medium") for c in f.causes):
        f.add("secret-key-mismatch", f"the server answered {echo.code if echo else ''} and no structural check finds "
              "a fault: the secret key is the likeliest cause — pass the credentials to test it", "low", "residual")
    _demote_secret(f, has_secret)
    return verdict


def _resolve(f: Findings, creds: Any, s: Declared) -> Credentials | None:
    """Credentials from a lookup (mapping or callable); an unknown access key is a finding."""
    if creds is None or isinstance(creds, Credentials):
        return creds
    found = creds.get(s.access_key) if isinstance(creds, Mapping) else creds(s.access_key)
    if found is not None and not isinstance(found, Credentials):
        raise DiagnoseError(f"the lookup returned a {type(found).__name__}, not Credentials",
                            hint="the lookup maps an access key to ik.Credentials, or None")
    if found is None:
        f.add("invalid-access-key", f"your lookup does not know access key {mask_access_key(s.access_key)}: the "
              "server answers InvalidAccessKeyId / InvalidAccessKey", "high", "structure")
    return found


def _demote_secret(f: Findings, has_secret: bool) -> None:
    """"Your key is wrong" sends people the wrong way: never medium/high when another cause explains
    the mismatch, or when there is no secret to test it with."""
    others = any(c.id != "secret-key-mismatch" and c.confidence in ("high", "medium") for c in f.causes)
    if others:      # "the echo equals ours" says nothing about the key when another cause explains it
        f.causes = [c for c in f.causes if not (c.id == "secret-key-mismatch" and c.kind == "echo")]
    if others or not has_secret:
        f.causes = [replace(c, confidence="low") if c.id == "secret-key-mismatch" and c.confidence != "low" else c
                    for c in f.causes]


def _trace_creds(creds: Credentials, s: Declared) -> Credentials:
    ak = s.access_key if s.access_key else creds.access_key
    try:
        return Credentials(ak, creds.secret_key, creds.session_token or s.token, creds.expires_at, creds.demo)
    except ImgxError:
        return creds


# ---- AWS4 / VOLC / OSS4 ------------------------------------------------------------------------------------
def _run_v4(f: Findings, sent: HttpRequest, s: Declared, exp: Expect, creds: Credentials | None,
            echo: ServerEcho | None, bucket: str | None, deadline: float
            ) -> tuple[SigningTrace | None, TraceDiff | None, str]:
    m = Model(sent, s, exp.normalize, bucket, exp.s3)
    tcreds = _trace_creds(creds, s) if creds is not None else DUMMY
    trace, declared = _v4_traces(m, exp, tcreds)
    diff = None
    if echo is not None and echo.has_canonical:
        diff = declared.diff(echo)      # the client's computation, as the request declares it, against the server's
        echo_diff_cause(f, diff, s)
        f.checked.append(f"the request's own computation against the server's echo ({', '.join(diff.compared)})")
    if creds is None:
        f.not_checked += ["the signature itself (pass the credentials to re-sign)",
                          "secret, canonicalisation, header and body hypotheses (need the secret)"]
        return None, diff, "cannot-check"
    base_sig, base_sts = m.sign(m.base_cr, creds.secret_key)
    if base_sig == s.signature.lower():
        return _consistent(f, s, creds, trace, diff, client_parts(m.base_cr, base_sts, base_sig))
    f.checked.append("self-consistency: re-signing what was sent, as declared, gives another signature")
    hits, out_of_time = search(m, creds.secret_key, creds, deadline)
    if out_of_time:
        f.not_checked.append("part of the hypothesis search (time budget reached)")
    if hits:
        _record_hits(f, hits)
        return trace, diff or trace.diff(hits[0].parts), "mismatch"
    _no_hit(f, sent, s, creds, m.selected)
    return trace, diff or trace.diff({"signature": s.signature.lower()}), "mismatch"


def _v4_traces(m: Model, exp: Expect, tcreds: Credentials) -> tuple[SigningTrace, SigningTrace]:
    """(what the server computes from what was sent, what the request's own declaration computes)."""
    s, sent = m.s, m.req
    exp_sc = SCHEMES.get(exp.scheme, m.sc)
    region, service = exp.region or s.region or "-", exp.service or s.service or "-"
    ts = s.timestamp if s.timestamp and parse_timestamp(s.timestamp) is not None else \
        (s.date + "T000000Z" if re.fullmatch(r"\d{8}", s.date or "") else "19700101T000000Z")
    curi = m.curi if (exp_sc is m.sc or m.oss or m.s3) else C.canonical_uri(sent.path, exp_sc, exp.normalize)
    t = compute_signature(exp_sc, sent.method, curi, C.canonical_query(m.pairs, exp_sc), m.selected, m.payload, tcreds,
                          ts, region, service, header_block=m.block, listed=m.listed)
    signer = exp.signer or Signer(exp_sc, region, service)
    auth = None if s.presigned else format_authorization(exp_sc, tcreds.access_key, t)
    trace = build_trace(exp_sc, tcreds, signer, ts, t, auth, sent, presigned=s.presigned, expires=s.expires)
    own = compute_signature(m.sc, sent.method, m.curi, m.cq, m.selected, m.payload, tcreds, ts, s.region or region,
                            s.service or service, header_block=m.block, listed=m.listed)
    return trace, build_trace(m.sc, tcreds, signer, ts, own, None, sent, presigned=s.presigned, expires=s.expires)


def _consistent(f: Findings, s: Declared, creds: Credentials, trace: SigningTrace, diff: TraceDiff | None,
                client: dict[str, str]) -> tuple[SigningTrace, TraceDiff | None, str]:
    """The client signed exactly what it sent, as it declares: any fault is in the expectation."""
    f.checked.append("self-consistency: the client signed exactly what was sent, as it declares")
    valid = trace.signature == s.signature.lower()
    if not valid and diff is None:
        diff = trace.diff(client)
    if not valid and not f.causes:
        f.add("secret-key-mismatch", "the client signed what it sent consistently with its own declared "
              "scope, but the server's expectation gives another signature", "low", "residual")
    if creds.access_key != s.access_key:
        _unknown_key(f, s, creds)
        return trace, diff, "mismatch"
    return trace, diff, "valid" if valid else "mismatch"


def _record_hits(f: Findings, hits: list[Hit]) -> None:
    seen: set[str] = set()
    for h in hits:
        if h.cid not in seen:          # one entry per cause; the first (simplest) evidence wins
            seen.add(h.cid)
            f.add(h.cid, h.evidence + " (exact: HMAC match)", "high", "exact")


def _no_hit(f: Findings, sent: HttpRequest, s: Declared, creds: Credentials, selected: dict[str, list[str]]) -> None:
    if creds.access_key != s.access_key:
        f.add("invalid-access-key", f"the request names access key {mask_access_key(s.access_key)}, your "
              f"credentials are for {mask_access_key(creds.access_key)}", "medium", "advice")
    f.add("secret-key-mismatch", "no single modelled change reproduces the signature with your secret key: "
          "the key differs, or more than one thing changed", "low", "residual")
    _presigned_edit_hint(f, sent, s.presigned)
    _header_edit_hint(f, selected)
    f.checked.append("hypotheses: secret variants, regions, services, terminators, method, path, query, "
                     "headers, body, timestamp ±3600 s")


def _unknown_key(f: Findings, s: Declared, creds: Credentials) -> None:
    """The HMAC does not cover the access key: a right signature under another key id is a typo."""
    f.add("invalid-access-key", f"your secret key signs this request exactly, but the request names access key "
          f"{mask_access_key(s.access_key)}, not yours ({mask_access_key(creds.access_key)}): the server looks "
          "the secret up by access key and does not know this one (InvalidAccessKeyId / InvalidAccessKey)",
          "high", "exact")


# ---- OSS V1 -----------------------------------------------------------------------------------------------
def _run_v1(f: Findings, sent: HttpRequest, s: Declared, _exp: Expect, creds: Credentials | None,
            echo: ServerEcho | None, bucket: str | None, deadline: float
            ) -> tuple[SigningTrace | None, TraceDiff | None, str]:
    tcreds = _trace_creds(creds, s) if creds is not None else DUMMY
    v = V1(sent, s, bucket, creds.session_token if creds is not None else None)
    sts, sig, extra = O.v1_string_to_sign(sent.method, v.headers, s.timestamp or "", v.res0, tcreds.secret_key)
    trace = O.v1_trace(tcreds, s.timestamp or "", sts, sig, extra,
                       None if s.presigned else f"OSS {tcreds.access_key}:{sig}",
                       sent, s.presigned, None)
    diff = None
    if echo is not None and echo.has_canonical:
        diff = trace.diff(echo)
        echo_diff_cause(f, diff, s)
    if creds is None:
        f.not_checked += ["the signature itself (pass the credentials to re-sign)"]
        return None, diff, "cannot-check"
    quick = _v1_quick(f, s, sig, creds)
    if quick is not None:
        return trace, diff, quick
    hits, out_of_time = v1_search(v, creds.secret_key, creds.access_key, deadline)
    if out_of_time:
        f.not_checked.append("part of the hypothesis search (time budget reached)")
    if any(h.cid == "signed-header-missing" for h in hits):
        f.discard("session-token-missing", "structure")     # the token was used, then dropped: not "missing"
    if hits:
        _record_hits(f, hits)
        return trace, diff or trace.diff(hits[0].parts), "mismatch"
    f.add("secret-key-mismatch", "no single modelled change reproduces the signature with your secret key: "
          "the key differs, or more than one thing changed", "low", "residual")
    _presigned_edit_hint(f, sent, s.presigned)
    return trace, diff or trace.diff({"signature": s.signature}), "mismatch"


def _v1_quick(f: Findings, s: Declared, sig: str, creds: Credentials) -> str | None:
    """The V1 verdicts that need no search: valid, a key typo, a decoded '+', a glued '?…'."""
    if sig == s.signature:
        f.checked.append("self-consistency: the client signed exactly what was sent")
        if creds.access_key != s.access_key:
            _unknown_key(f, s, creds)
            return "mismatch"
        return "valid"
    if sig == s.signature.replace(" ", "+"):
        f.add("signature-not-url-encoded", "the signature is right once its spaces are read back as '+' "
              "(exact: HMAC match)", "high", "exact")
        return "mismatch"
    if "?" in s.signature and sig == s.signature.split("?")[0].replace(" ", "+"):
        f.add("query-param-added-after-signing", "the signature is right once the '?…' glued to it is cut off: "
              "parameters were appended with a second '?' after signing (exact: HMAC match)", "high", "exact")
        return "mismatch"
    return None


# ---- what no experiment can recover --------------------------------------------------------------------------
_AUTH_QUERY_KEYS = frozenset().union(O.V1_QUERY_AUTH, ("security-token",),
                                     *((s.q_algorithm, s.q_credential, s.q_date, s.q_expires, s.q_signed_headers or "",
                                        s.q_signature, s.q_token, *s.q_extra) for s in SCHEMES.values()))
_STANDARD_SIGNED = frozenset({"host", "x-amz-date", "x-date", "x-oss-date", "x-amz-content-sha256", "x-content-sha256",
                              "x-oss-content-sha256", "x-amz-security-token", "x-security-token",
                              "x-oss-security-token", "content-length", "date", "content-type", "content-md5"})


def _header_edit_hint(f: Findings, selected: dict[str, list[str]]) -> None:
    """A signed header whose value was edited after signing cannot be recovered (only common defaults
    are tried): name the candidates, ranked after the secret."""
    names = sorted(n for n in selected if n not in _STANDARD_SIGNED)
    if names:
        f.add("header-changed-after-signing",
              f"signed headers whose value could have been changed after signing: {', '.join(names[:5])}; the old "
              "value cannot be recovered by re-signing, so this fails exactly like a different secret — compare "
              "with what the client logged, or sign again after the last change", "low", "residual")


def _presigned_edit_hint(f: Findings, sent: HttpRequest, presigned: bool) -> None:
    """A presigned URL whose parameter *value* was edited after signing looks exactly like a
    different secret: the old value cannot be recovered. Say so, ranked after the secret."""
    if not presigned:
        return
    names = [k for k, _ in C.parse_query(sent.query) if k not in _AUTH_QUERY_KEYS]
    if names:
        shown = ", ".join(sorted(set(names))[:4])
        f.add("query-param-added-after-signing",
              f"a presigned URL signs every parameter it carries ({shown}); if one of their values was edited "
              f"after signing (e.g. another x-oss-process), no re-signing experiment can find the old value, "
              f"and it fails exactly like a different secret — sign again after editing the URL", "low", "residual")
