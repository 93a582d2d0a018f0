"""Sign, presign and verify requests with AWS4 or Volcengine HMAC-SHA256 — every step visible.

One pipeline serves every scheme (:mod:`imgx_kit.core.scheme` holds what differs), and the
verifier recomputes through the same functions the signer uses::

    >>> import imgx_kit as ik
    >>> from datetime import datetime, timezone
    >>> signer = ik.Signer(ik.AWS4, region="us-east-1", service="service")
    >>> creds = ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    >>> t = signer.sign(ik.HttpRequest.build("GET", "https://example.amazonaws.com/"), creds,
    ...                 at=datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc))
    >>> t.authorization.split("Signature=")[1][:12]
    '5fa00fa31553'
    >>> signer.verify(t.signed_request, {"AKIDEXAMPLE": creds},
    ...               now=datetime(2015, 8, 30, 12, 40, tzinfo=timezone.utc)).ok
    True
"""
from __future__ import annotations

import hashlib
import hmac
import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from operator import methodcaller
from typing import Any, NamedTuple
from urllib.parse import SplitResult, unquote

from . import canonical as C
from .credentials import Credentials
from .declared import DeclarationError, Declared, parse_authorization, read as read_declared
from .errors import CredentialsError, SigningError
from .gateway import GATEWAY_ERRORS
from .keys import sign_string
from .request import HttpRequest, control_character
from .scheme import AWS4, OSS4, VOLC, Scheme, scheme_by_name
from .trace import SigningTrace

__all__ = [
    "EMPTY_SHA256",
    "Computation",
    "Lookup",
    "ParsedAuth",
    "Signer",
    "Verification",
    "build_trace",
    "check_time",
    "compute_signature",
    "format_authorization",
    "format_timestamp",
    "parse_authorization",
    "parse_timestamp",
    "received_selection",
    "sha256_hex",
]

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MAX_EXPIRES = 604800
Lookup = Mapping[str, Credentials] | Callable[[str], "Credentials | None"]
_TS = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest() if data else EMPTY_SHA256


def check_time(at: datetime | None, what: str = "at") -> datetime:
    """An aware datetime in UTC (``None`` = now). Naive datetimes are refused, never guessed."""
    if at is None:
        return datetime.now(timezone.utc)
    if type(at) is datetime and at.tzinfo is timezone.utc:
        return at
    if not isinstance(at, datetime):
        raise SigningError(f"{what} must be a datetime, not {type(at).__name__}",
                           hint="use an aware UTC datetime, e.g. datetime(2025, 1, 1, tzinfo=timezone.utc)")
    if at.tzinfo is None or at.utcoffset() is None:
        raise SigningError(f"{what}={at!r} is a naive datetime (no time zone)",
                           hint="use an aware UTC datetime, e.g. datetime(2025, 1, 1, tzinfo=timezone.utc)")
    try:
        return at.astimezone(timezone.utc)
    except OverflowError:
        raise SigningError(f"{what}={at!r} is outside the years 1…9999 in UTC",
                           hint="use an aware UTC datetime, e.g. datetime(2025, 1, 1, tzinfo=timezone.utc)") from None


def format_timestamp(at: datetime) -> str:
    """``YYYYMMDDTHHMMSSZ`` without strftime (it is on every request's hot path)."""
    # deliberate %-format (hot path): ~0.65 µs vs ~1.4 µs for the f-string with :02d specs (timeit, py3.11)
    return "%04d%02d%02dT%02d%02d%02dZ" % (at.year, at.month, at.day, at.hour, at.minute, at.second)  # noqa: UP031


def parse_timestamp(text: str) -> datetime | None:
    m = _TS.match(text or "")
    if not m:
        return None
    try:
        y, mo, d, h, mi, sec = (int(g) for g in m.groups())
        return datetime(y, mo, d, h, mi, sec, tzinfo=timezone.utc)
    except ValueError:
        return None


ParsedAuth = Declared      # what a request declares (core/declared.py); the old name stays


@dataclass(frozen=True)
class Verification:
    """The verdict of :meth:`Signer.verify`: ``ok``, the gateway ``code`` and ``status``, a
    ``message``, and the trace the verifier computed from what was sent (``expected``)."""

    ok: bool
    code: str | None
    message: str
    expected: SigningTrace | None = None
    status: int = 200
    parsed: ParsedAuth | None = None

    @property
    def code_n(self) -> int | None:
        e = GATEWAY_ERRORS.get(self.code or "")
        return e.code_n if e else None

    def __repr__(self) -> str:
        if self.ok:
            return "Verification(ok)"
        return f"Verification(failed: {self.code} [{self.status}] {self.message})"

    def _repr_html_(self) -> str:
        head = ("<b style='color:green'>✔ signature valid</b>" if self.ok else
                f"<b style='color:#b00'>✘ {html.escape(self.code or '')}</b> (HTTP {self.status}) "
                f"{html.escape(self.message)}")
        body = self.expected._repr_html_() if (self.expected is not None and not self.ok) else ""
        return f"<div>{head}{'<div>What the verifier computed from what was sent:</div>' + body if body else ''}</div>"


def _fail(code: str, message: str, expected: SigningTrace | None = None,
          parsed: ParsedAuth | None = None, status: int | None = None) -> Verification:
    st = status if status is not None else GATEWAY_ERRORS[code].status if code in GATEWAY_ERRORS else 400
    return Verification(False, code, message, expected, st, parsed)


@dataclass(frozen=True)
class Signer:
    """A signer for one scheme, region and service, with a signed-header policy.

    ``s3`` selects S3's rules (botocore ``S3SigV4Auth``/``S3SigV4QueryAuth``): the path is signed as
    sent, encoded once and never normalised, ``x-amz-content-sha256`` is always sent, and presigned
    URLs sign ``UNSIGNED-PAYLOAD``; ``None`` turns it on for AWS4 with service ``s3``.

    ``signed_headers=None`` is the scheme's reference client (botocore ``SigV4Auth`` for AWS4,
    the ``volcengine`` SDK's ``SignerV4`` for VOLC); a list of lower-case names signs exactly
    those plus the mandatory date and token headers. ``content_sha256`` adds the body-hash
    header: ``None`` = as the reference client, ``True``, ``False`` or ``"if-body"``.
    """

    scheme: Scheme
    region: str
    service: str
    signed_headers: tuple[str, ...] | None = None
    normalize_path: bool = True
    content_sha256: bool | str | None = None
    name: str | None = field(default=None, compare=False)
    s3: bool | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.scheme, Scheme):
            object.__setattr__(self, "scheme", scheme_by_name(self.scheme))
        if self.s3 is None:      # as botocore picks S3SigV4Auth for the s3 signing name
            object.__setattr__(self, "s3", self.scheme.name == "AWS4" and self.service == "s3")
        elif self.s3 and self.scheme.name != "AWS4":
            raise SigningError(f"s3=True needs the AWS4 scheme, not {self.scheme.name}",
                               hint="S3 signs with AWS4-HMAC-SHA256: ik.Signer(ik.AWS4, region, 's3')")
        for what in ("region", "service"):
            v = getattr(self, what)
            if not isinstance(v, str) or not v.strip():
                raise SigningError(f"{what} is empty" if isinstance(v, str) else f"{what} must be a str",
                                   hint=f"name the {what} the server expects, e.g. "
                                        f"{'cn-north-1' if what == 'region' else 'imagex'}")
            if "/" in v or v != v.strip():
                raise SigningError(f"{what} {v!r} contains '/' or surrounding spaces",
                                   hint=f"the {what} is one word such as 'cn-north-1'")
            if (bad := control_character(v)) is not None:      # would reach the scope and the Authorization header
                raise SigningError(f"{what} contains a control character or broken Unicode at character {bad}",
                                   hint=f"the {what} is one word such as 'cn-north-1'")
        if self.signed_headers is not None:
            if isinstance(self.signed_headers, str):
                names = tuple(n for n in self.signed_headers.split(";") if n)
            elif isinstance(self.signed_headers, Iterable):
                names = tuple(self.signed_headers)
            else:
                raise SigningError("signed_headers must be a list of names or 'a;b', "
                                   f"not {type(self.signed_headers).__name__}",
                                   hint="e.g. signed_headers=['host', 'x-amz-date']")
            for n in names:
                if not isinstance(n, str) or n != n.lower() or not n or " " in n or control_character(n) is not None:
                    raise SigningError(f"signed header name {n!r} must be lower case without spaces",
                                       hint="e.g. signed_headers=['host', 'x-amz-date']")
            object.__setattr__(self, "signed_headers", names)
        if self.content_sha256 not in (None, True, False, "if-body"):
            raise SigningError(f"content_sha256={self.content_sha256!r} is not one of None, True, False, 'if-body'")

    def __repr__(self) -> str:
        pol = "default" if self.signed_headers is None else ";".join(self.signed_headers)
        nm = f"{self.name}: " if self.name else ""
        return f"Signer({nm}{self.scheme.name}, region={self.region!r}, service={self.service!r}, signed_headers={pol})"

    def with_(self, **changes: Any) -> Signer:
        """A copy with some fields changed (``signer.with_(region="us-east-1")``); a new service or
        scheme re-derives ``s3`` unless it is given."""
        if ("service" in changes or "scheme" in changes) and "s3" not in changes:
            changes["s3"] = None
        return replace(self, **changes)

    # ---- signing ---------------------------------------------------------------------------
    def sign(self, req: HttpRequest, creds: Credentials, at: datetime | None = None,
             reveal: bool = False) -> SigningTrace:
        """Sign with an Authorization header. Returns the trace; ``trace.signed_request`` is ready to send."""
        _check_args(req, creds)
        sc = self.scheme
        if sc is OSS4:                                # one OSS path: ik.oss.sign, as oss2 signs
            return self._sign_oss4(req, creds, at, reveal)
        ts = format_timestamp(check_time(at))
        date_l, token_l, sha_l = sc.lower_names
        headers: list[tuple[str, str]] = []
        has_host = has_ct = False
        supplied = None
        # the scheme's default selection (C.select_headers) is made in the same pass
        policy = sc.header_policy if self.signed_headers is None else None
        boto, volc = policy == "botocore", policy == "volc-sdk"
        sel: dict[str, list[str]] = {}
        for k, v in req.headers:                      # one pass: drop what signing replaces, note the rest
            lk = k.lower()
            if lk in ("authorization", date_l, token_l):
                continue
            if lk == "host":
                has_host = True
            elif lk == sha_l and supplied is None:
                supplied = v
            elif lk == "content-type":
                has_ct = True       # any spelling: never add a second Content-Type
            headers.append((k, v))
            if boto:
                if lk not in C.BOTOCORE_UNSIGNED_HEADERS:
                    if lk in sel:
                        sel[lk].append(v)
                    else:
                        sel[lk] = [v]
            elif volc and (k in _VOLC_SDK_NAMES or k.startswith("X-")):
                sel[lk] = [v]                         # case-sensitive names, the last value wins
        n_sent = len(headers)
        notes: list[tuple[str, str]] = []
        if sc.header_policy == "volc-sdk" and self.signed_headers is None:
            if not has_host:
                headers.append(("Host", req.host))
                notes.append(("canonical_headers",
                              "Host was added from the URL, as the Volcengine SDK's service layer does."))
            if sc.default_content_type and req.method != "GET" and not has_ct:
                headers.append(("Content-Type", sc.default_content_type))
                notes.append(("canonical_headers",
                              "The Volcengine SDK adds this Content-Type to non-GET requests without one."))
            # (unlike the SDK, a lower-case content-type counts as present: the SDK's dict would keep
            # both and send two Content-Type headers, which gateways refuse)
        headers.append((sc.date_header, ts))
        if creds.session_token:
            headers.append((sc.token_header, creds.session_token))
        body_hash = None
        mode = self.content_sha256
        if supplied is None and (sc.always_content_sha or self.s3 if mode is None else
                                 bool(req.body) if mode == "if-body" else mode):
            body_hash = "UNSIGNED-PAYLOAD" if sc.payload == "unsigned" else sha256_hex(req.body)
            headers.append((sc.content_sha_header, body_hash))
        payload_hash = supplied if supplied is not None else (body_hash or self._payload_hash(req.body))
        if supplied is not None:
            notes.append(("payload_hash", f"Taken from the {sc.content_sha_header} header the request carries, "
                                          "as the reference clients do."))
        if boto or volc:
            selected = sel
            for name, values in C.select_headers(headers[n_sent:], sc).items():   # what signing added
                if boto and name in selected:
                    selected[name] += values
                else:
                    selected[name] = values
            if boto and "host" not in selected:
                selected["host"] = [req.host]
        elif self.signed_headers is None:
            selected = C.select_headers(headers, sc)
        else:
            names = self._names_to_sign(headers, creds, added_sha=body_hash is not None or supplied is not None)
            assert names is not None                  # signed_headers is a list here
            selected = self._select_listed(headers, names, req)
        cq = C.canonical_query_raw(req.query, sc)
        path = req.path
        curi = path if path == "/" else self._curi(path)
        t = compute_signature(sc, req.method, curi, cq, selected, payload_hash, creds, ts, self.region, self.service)
        auth = format_authorization(sc, creds.access_key, t)
        headers.append(("Authorization", auth))
        signed = HttpRequest._trusted(req.method, req.url, tuple(headers), req.body)
        signed.__dict__["_split"] = req._split
        return build_trace(sc, creds, self, ts, t, auth, signed, reveal=reveal, notes=notes)

    def _sign_oss4(self, req: HttpRequest, creds: Credentials, at: datetime | None, reveal: bool) -> SigningTrace:
        """A path-style OSS4 request (``/bucket/key``) signed by ``ik.oss.sign`` (oss2's AuthV4)."""
        from .oss_sign import sign as oss_sign
        _check_oss_resource(req)
        bucket, _, key = req.path[1:].partition("/")
        present = {k.lower() for k, _ in req.headers}
        extra = None if self.signed_headers is None else [n for n in self.signed_headers if n in present]
        return oss_sign(req, creds, unquote(bucket), unquote(key) or None, version=4, region=self.region, at=at,
                        additional_headers=extra, reveal=reveal)

    def presign(self, req: HttpRequest, creds: Credentials, expires: int = 900,
                at: datetime | None = None, reveal: bool = False) -> SigningTrace:
        """Sign in the query string (a presigned URL valid for ``expires`` seconds)."""
        _check_args(req, creds)
        _check_expires(expires)
        sc = self.scheme
        if sc is OSS4:
            _check_oss_resource(req)
        ts = format_timestamp(check_time(at))
        scope = f"{ts[:8]}/{self.region}/{self.service}/{sc.terminator}"
        if sc is VOLC:
            return self._presign_volc(req, creds, expires, ts, scope, reveal)
        auth_keys = sc.query_auth_keys
        raw_q = req.query
        if raw_q:       # drop the authentication parameters a URL already carries (by decoded name)
            raw_q = "&".join(p for p in raw_q.split("&") if p and C._dec(p.partition("=")[0]) not in auth_keys)
        headers = _without(req.headers, ("authorization",))
        names = None if self.signed_headers is None else set(self.signed_headers) | {"host"}
        selected = C.select_headers(headers, sc, names)
        if "host" not in selected:
            selected["host"] = [req.host]
        signed_list = ";".join(sorted(selected))
        params = [(sc.q_algorithm, sc.algorithm), (sc.q_credential, f"{creds.access_key}/{scope}"),
                  (sc.q_date, ts), (sc.q_expires, str(expires)), (sc.q_signed_headers, signed_list)]
        if creds.session_token:
            params.append((sc.q_token, creds.session_token))
        added = [f"{k}={_encoded(v)}" for k, v in params]
        query = "&".join([raw_q, *added] if raw_q else added)
        # the added pieces are in canonical encoding: only the URL's own part may need decoding and
        # encoding again (this is canonical_query(parse_query(query)))
        user = C.canonical_pieces(raw_q) if raw_q else []
        cq = C.join_canonical(user + added, sc) if user is not None else C.canonical_query_raw(query, sc)
        curi = self._curi(req.path)
        supplied = _get(headers, sc.content_sha_header.lower())
        payload_hash = supplied if supplied is not None else \
            "UNSIGNED-PAYLOAD" if self.s3 else self._payload_hash(req.body)
        t = compute_signature(sc, req.method, curi, cq, selected, payload_hash, creds, ts, self.region, self.service)
        signed = _with_signed_query(req, f"{query}&{sc.q_signature}={t.signature}", tuple(headers))
        return build_trace(sc, creds, self, ts, t, None, signed, reveal=reveal, presigned=True, expires=expires)

    def _presign_volc(self, req: HttpRequest, creds: Credentials, expires: int, ts: str, scope: str,
                      reveal: bool) -> SigningTrace:
        # exactly what volcengine's SignerV4.sign_url does: the query is rebuilt with urlencode,
        # X-SignedQueries lists every key (itself included, the token not), headers are not signed,
        # the body is not signed, and the canonical request carries one extra blank line.
        sc = VOLC
        # The SDK writes its parameters into the request's query dict: a name the URL already has
        # keeps its place (dict assignment), a new one goes last. A stale signature or token is dropped.
        # The work is done on encoded pairs: uri_encode is the canonical form (unique, so a name of
        # unreserved characters compares as itself), and urlencode's quote_plus form differs from
        # it only in writing a space (%20, which nothing else encodes to) as '+'.
        enc_cred = _encoded(f"{creds.access_key}/{scope}")
        fixed = [("X-Expires", str(expires)), ("X-Date", ts), ("X-NotSignBody", ""), ("X-Credential", enc_cred),
                 ("X-Algorithm", sc.algorithm), ("X-SignedHeaders", ""), ("X-SignedQueries", "")]
        raw = req.query
        pieces = C.canonical_pieces(raw) if raw else []
        if pieces is not None:                          # already canonical: split, nothing to re-encode
            user = [(k, v) for k, _, v in map(_partition_eq, pieces)]
        else:
            user = [(C.uri_encode(k), C.uri_encode(v)) for k, v in C.parse_query(raw)]
        place: dict[str, int] = {}
        enc: list[tuple[str, str]] = []
        for k, v in user:
            if k == "X-Signature" or k == "X-Security-Token":
                continue
            if k in sc.query_auth_keys:
                if k in place:
                    continue                            # a dict holds one value per name
                place[k] = len(enc)
            enc.append((k, v))
        for kv in fixed:
            if kv[0] in place:
                enc[place[kv[0]]] = kv
            else:
                place[kv[0]] = len(enc)
                enc.append(kv)
        names = [_decoded(k) for k, _ in enc]
        enc[place["X-SignedQueries"]] = ("X-SignedQueries", C.uri_encode(";".join(sorted(set(names)))))
        if creds.session_token:
            enc.append(("X-Security-Token", _encoded(creds.session_token)))
            names.append("X-Security-Token")
        order = sorted(range(len(enc)), key=names.__getitem__)   # by the decoded name, stable
        cq = "&".join([f"{enc[i][0]}={enc[i][1]}" for i in order])
        curi = C.canonical_uri(req.path, sc)
        t = compute_signature(sc, req.method, curi, cq, {}, EMPTY_SHA256, creds, ts, self.region, self.service,
                     header_block="\n")
        query = "&".join(f"{k}={v}" for k, v in enc) + f"&X-Signature={t.signature}"
        if "%20" in query:
            query = query.replace("%20", "+")
        signed = _with_signed_query(req, query, _without(req.headers, ("authorization",)))
        notes = [("canonical_request", "The Volcengine SDK's sign_url joins an extra blank line after the query; "
                                       "the verifier does the same."),
                 ("payload_hash", "Presigned Volcengine URLs do not sign the body (X-NotSignBody): "
                                  "the hash of the empty string is used.")]
        return build_trace(sc, creds, self, ts, t, None, signed, reveal=reveal, presigned=True,
                      expires=expires, notes=notes)

    # ---- verification ----------------------------------------------------------------------
    def verify(self, req: HttpRequest, lookup: Lookup, now: datetime | None = None,
               max_skew: int = 900, accept_regions: Iterable[str] | None = None,
               required: Iterable[str] | None = None) -> Verification:
        """Check a received request as the gateway does; ``lookup`` maps an access key to
        :class:`Credentials` (a dict or a callable). ``accept_regions`` lists further regions the
        scope may name; ``required`` further header names that must be signed."""
        if not isinstance(req, HttpRequest):
            raise SigningError(f"verify needs an HttpRequest, not {type(req).__name__}",
                               hint="rebuild what arrived with ik.HttpRequest.build(method, url, headers, body)")
        if isinstance(max_skew, bool) or not isinstance(max_skew, (int, float)) or max_skew < 0:
            raise SigningError(f"max_skew must be a number of seconds ≥ 0, not {max_skew!r}", hint="e.g. max_skew=900")
        accept_regions, required = _names(accept_regions, "accept_regions"), _names(required, "required")
        sc = self.scheme
        now_dt = check_time(now, "now")
        parsed, problem = self._parse_received(req)
        if problem is not None:
            return problem
        assert parsed is not None
        if parsed.algorithm != sc.algorithm:
            return _fail("InvalidAuthorization" if not parsed.presigned else "SignatureDoesNotMatch",
                         f"algorithm {parsed.algorithm!r} is not {sc.algorithm!r}", parsed=parsed)
        creds = _lookup(lookup, parsed.access_key)
        if creds is not None and not isinstance(creds, Credentials):
            raise CredentialsError(f"the lookup returned a {type(creds).__name__} for an access key, not Credentials",
                                   hint="lookup maps an access key to ik.Credentials (a dict or a callable), or None")
        if creds is None:
            return _fail("InvalidAccessKey", f"The accesskey [{parsed.access_key}] included in the request is invalid.",
                         parsed=parsed)
        ts_text = parsed.timestamp if parsed.presigned else req.header(sc.date_header)
        if not ts_text:
            return _fail("MissingRequestInfo", f"The request is missing {sc.date_header} information.", parsed=parsed)
        ts = parse_timestamp(ts_text)
        if ts is None:
            return _fail("InvalidTimestamp", f"{sc.date_header} {ts_text!r} is not YYYYMMDDTHHMMSSZ (UTC).",
                         parsed=parsed)
        age = (now_dt - ts).total_seconds()
        if parsed.presigned and parsed.expires is not None:
            if not 1 <= parsed.expires <= MAX_EXPIRES:
                return _fail("AuthorizationQueryParametersError" if sc is AWS4 else "InvalidParameter",
                             f"{sc.q_expires} must be 1…{MAX_EXPIRES} seconds (7 days); the URL says {parsed.expires}.",
                             parsed=parsed)
            if age > parsed.expires:
                # the Volcengine gateways answer an expired X-Expires with InvalidTimestamp (protocols.md §2.1)
                return _fail("InvalidTimestamp" if sc is VOLC else "RequestExpired",
                             f"The presigned URL has expired: signed at {ts_text}, valid {parsed.expires} s, "
                             f"{age - parsed.expires:.0f} s ago.", parsed=parsed)
        if abs(age) > max_skew and not (parsed.presigned and ts <= now_dt):
            return _fail("InvalidTimestamp", f"The Signature of the request is expired: {ts_text} is more than "
                         f"{max_skew} s from the server time {format_timestamp(now_dt)}.", parsed=parsed)
        if creds.expires_at is not None and now_dt > creds.expires_at.astimezone(timezone.utc):
            return _fail("InvalidSecretToken", "Invalid secret token, msg: the session token has expired.",
                         parsed=parsed)
        token = req.header(sc.token_header) if not parsed.presigned else _query_value(req, sc.q_token)
        if creds.session_token:
            if not token:
                return _fail("InvalidSecretToken", f"Invalid secret token, msg: {sc.token_header} is missing "
                             "for temporary credentials.", parsed=parsed)
            if not hmac.compare_digest(token.encode(), creds.session_token.encode()):
                return _fail("InvalidSecretToken", "Invalid secret token, msg: the session token does not belong "
                             "to this access key.", parsed=parsed)
        elif token:
            return _fail("InvalidSecretToken", "Invalid secret token, msg: a session token was sent with "
                         "long-term credentials.", parsed=parsed)
        # scope: the request names date/region/service; we compute with what the server expects
        regions = {self.region, *(accept_regions or ())}
        region = parsed.region if parsed.region in regions else self.region
        if not parsed.presigned:
            need = {sc.date_header.lower()}
            if token:
                need.add(sc.token_header.lower())
            need |= {n.lower() for n in (required or ())}
            missing = sorted(need - set(parsed.signed_headers))
            if missing and sc is not OSS4:
                exp = self._expected(req, creds, parsed, region, ts_text)
                return _fail("SignatureDoesNotMatch", f"SignedHeaders must include {', '.join(missing)}.", exp, parsed)
            absent = [n for n in parsed.signed_headers if n != "host" and not req.has_header(n)]
            if absent:
                exp = self._expected(req, creds, parsed, region, ts_text)
                return _fail("SignatureDoesNotMatch",
                             f"SignedHeaders lists {', '.join(absent)} but the request does not carry it.", exp, parsed)
            sha = req.header(sc.content_sha_header)
            if sc.payload == "unsigned" and sha != "UNSIGNED-PAYLOAD":
                return _fail("InvalidParameter", f"{sc.content_sha_header} must be UNSIGNED-PAYLOAD: "
                             f"{sc.name} signs no body hash (OSS EC 0002-00000214).", parsed=parsed)
            if sha == "UNSIGNED-PAYLOAD" and sc.payload != "unsigned" and not self.s3:
                exp = self._expected(req, creds, parsed, region, ts_text)
                return _fail("SignatureDoesNotMatch", f"{sc.content_sha_header}: UNSIGNED-PAYLOAD is accepted only "
                             "by S3; this gateway signs the SHA-256 of the body.", exp, parsed)
            if sha is not None and sha != "UNSIGNED-PAYLOAD" and sha != sha256_hex(req.body):
                exp = self._expected(req, creds, parsed, region, ts_text)
                return _fail("SignatureDoesNotMatch",
                             f"{sc.content_sha_header} does not match the SHA-256 of the body that arrived.",
                             exp, parsed)
        exp = self._expected(req, creds, parsed, region, ts_text)
        scope_problem = self._scope_problem(parsed, ts_text, regions)
        if scope_problem:
            return _fail("SignatureDoesNotMatch", scope_problem, exp, parsed)
        if not hmac.compare_digest(exp.signature.encode(), parsed.signature.encode()):
            return _fail("SignatureDoesNotMatch", GATEWAY_ERRORS["SignatureDoesNotMatch"].message, exp, parsed)
        return Verification(True, None, "signature valid", exp, 200, parsed)

    def _scope_problem(self, p: ParsedAuth, ts_text: str, regions: set[str]) -> str | None:
        sc = self.scheme
        if p.date != ts_text[:8]:
            return f"the credential scope date {p.date} is not the date of {sc.date_header} ({ts_text[:8]})"
        if p.region not in regions:
            return f"the credential scope region {p.region!r} is not {self.region!r}"
        if p.service != self.service:
            return f"the credential scope service {p.service!r} is not {self.service!r}"
        if p.terminator != sc.terminator:
            return f"the credential scope ends in {p.terminator!r}, not {sc.terminator!r}"
        return None

    def _parse_received(self, req: HttpRequest) -> tuple[ParsedAuth | None, Verification | None]:
        """What the request declares, read by the one shared parser (core/declared.py)."""
        try:
            return read_declared(req, self.scheme), None
        except DeclarationError as e:
            return None, _fail(e.code, e.message + ".")

    def _expected(self, req: HttpRequest, creds: Credentials, p: ParsedAuth, region: str,
                  ts_text: str) -> SigningTrace:
        """Recompute the signature of what was sent, with the server's scope and the listed headers."""
        sc = self.scheme
        if p.presigned:
            if sc is VOLC:
                pairs = [(k, v) for k, v in C.parse_query(req.query) if k != "X-Signature"]
                cq = C.canonical_query(pairs, sc)
                t = compute_signature(sc, req.method, C.canonical_uri(req.path, sc), cq, {}, EMPTY_SHA256, creds,
                             ts_text, region, self.service, header_block="\n")
            else:
                cq = C.canonical_query(C.parse_query(req.query), sc, exclude={sc.q_signature})
                selected, listed = received_selection(sc, req, p.signed_headers)
                payload = self._received_payload(req, presigned=True)
                t = compute_signature(sc, req.method, self._curi(req.path), cq, selected,
                             payload, creds, ts_text, region, self.service, listed=listed)
            return build_trace(sc, creds, self, ts_text, t, None, req, presigned=True, expires=p.expires)
        selected, listed = received_selection(sc, req, p.signed_headers)
        payload = self._received_payload(req)
        cq = C.canonical_query_raw(req.query, sc)
        t = compute_signature(sc, req.method, self._curi(req.path), cq, selected,
                     payload, creds, ts_text, region, self.service, listed=listed)
        return build_trace(sc, creds, self, ts_text, t, format_authorization(sc, creds.access_key, t), req)

    # ---- policy helpers --------------------------------------------------------------------

    def _curi(self, path: str) -> str:
        """The canonical URI of a raw path under this signer's rules (S3: as sent, encoded once)."""
        return C.s3_canonical_uri(path) if self.s3 else C.canonical_uri(path, self.scheme, self.normalize_path)

    def _received_payload(self, req: HttpRequest, presigned: bool = False) -> str:
        """The payload hash of what arrived: a literal such as UNSIGNED-PAYLOAD in the content-hash
        header is used as sent; otherwise the hash of the body that actually arrived, so a body
        changed on the way shows up as a differing payload_hash step."""
        sha = req.header(self.scheme.content_sha_header)
        if sha is None and presigned and self.s3:
            return "UNSIGNED-PAYLOAD"          # S3SigV4QueryAuth: presigned S3 URLs never sign the body
        if sha is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha):
            return sha
        return self._payload_hash(req.body) if sha is None else sha256_hex(req.body)

    def _payload_hash(self, body: bytes) -> str:
        return "UNSIGNED-PAYLOAD" if self.scheme.payload == "unsigned" else sha256_hex(body)

    def _names_to_sign(self, headers: list[tuple[str, str]], creds: Credentials,
                       added_sha: bool) -> set[str] | None:
        if self.signed_headers is None:
            return None
        sc = self.scheme
        names = set(self.signed_headers) | {sc.date_header.lower()}
        if creds.session_token:
            names.add(sc.token_header.lower())
        else:
            names.discard(sc.token_header.lower())      # signed when there is a token to sign
        if added_sha:
            names.add(sc.content_sha_header.lower())
        present = {k.lower() for k, _ in headers} | {"host"}
        missing = sorted(names - present)
        if missing:
            raise SigningError(f"signed_headers lists {', '.join(missing)} but the request has no such header",
                               hint="add the header to the request or drop it from signed_headers")
        return names

    def _select_listed(self, headers: list[tuple[str, str]], names: set[str],
                       req: HttpRequest) -> dict[str, list[str]]:
        """The listed headers; a listed ``host`` comes from the URL when the request has none."""
        selected = C.select_headers(headers, self.scheme, names)
        if "host" in names and "host" not in selected:
            selected["host"] = [req.host]
        return selected


# ---- the shared pipeline ----------------------------------------------------------------------
class Computation(NamedTuple):
    """Every intermediate of one signature, as :func:`compute_signature` computed it."""

    canonical_uri: str
    canonical_query: str
    canonical_headers: str
    signed_headers: str
    payload_hash: str
    canonical_request: str
    hashed: str
    scope: str
    string_to_sign: str
    keys: tuple[bytes, bytes, bytes, bytes]
    signature: str
    region: str
    service: str


def compute_signature(sc: Scheme, method: str, curi: str, cq: str, selected: dict[str, list[str]],
             payload_hash: str, creds: Credentials, ts: str, region: str, service: str,
             header_block: str | None = None, listed: str | None = None) -> Computation:
    """Canonical request → string to sign → key → signature. Every caller goes through here.

    ``listed`` replaces the signed-header line (OSS4 lists only its additional headers)."""
    ch, sh = C.canonical_headers(selected, sc)
    if listed is not None:
        sh = listed
    block = header_block if header_block is not None else ch
    cr = f"{method}\n{curi}\n{cq}\n{block}\n{sh}\n{payload_hash}"
    hashed = hashlib.sha256(cr.encode("utf-8")).hexdigest()
    scope = f"{ts[:8]}/{region}/{service}/{sc.terminator}"
    sts = f"{sc.algorithm}\n{ts}\n{scope}\n{hashed}"
    keys, sig = sign_string((sc.key_prefix, creds.secret_key, ts[:8], region, service, sc.terminator), sts)
    return Computation(curi, cq, ch, sh, payload_hash, cr, hashed, scope, sts, keys, sig, region, service)


def format_authorization(sc: Scheme, access_key: str, t: Computation) -> str:
    """The Authorization header; OSS4 writes oss2's layout (AdditionalHeaders last, only if any)."""
    if sc.auth_list_label == "AdditionalHeaders":
        extra = f", AdditionalHeaders={t.signed_headers}" if t.signed_headers else ""
        return f"{sc.algorithm} Credential={access_key}/{t.scope}, Signature={t.signature}{extra}"
    return (f"{sc.algorithm} Credential={access_key}/{t.scope}, "
            f"{sc.auth_list_label}={t.signed_headers}, Signature={t.signature}")


def received_selection(sc: Scheme, req: HttpRequest, names: tuple[str, ...]) -> tuple[dict[str, list[str]], str | None]:
    """Headers to recompute with, from what the request says it signed. OSS4 signs its default set
    plus the listed additional headers, and lists only the additional ones."""
    listed = None
    if sc.auth_list_label == "AdditionalHeaders":
        selected = C.select_headers(req.headers, sc, None)
        selected.update(C.select_headers(req.headers, sc, set(names)))
        listed = ";".join(sorted(names))
    else:
        selected = C.select_headers(req.headers, sc, set(names))
    if "host" in names and "host" not in selected:
        selected["host"] = [req.host]
    return selected, listed


def build_trace(sc: Scheme, creds: Credentials, _signer: Signer, ts: str, t: Computation, auth: str | None,
           signed: HttpRequest, *, reveal: bool = False, presigned: bool = False,
           expires: int | None = None,
           notes: list[tuple[str, str]] | tuple[tuple[str, str], ...] = ()) -> SigningTrace:
    return SigningTrace.of(
        sc.name, sc.algorithm, creds.access_key, t.region, t.service, ts, t.canonical_uri,
        t.canonical_query, t.canonical_headers, t.signed_headers, t.payload_hash,
        t.canonical_request, t.hashed, t.scope, t.string_to_sign, t.signature, auth,
        signed, presigned, expires, t.keys, reveal or creds.demo, tuple(notes), (),
        creds.secrets())


def _check_args(req: object, creds: object) -> None:
    if type(req) is HttpRequest and type(creds) is Credentials:
        return
    if not isinstance(req, HttpRequest):
        raise SigningError(f"expected an HttpRequest, got {type(req).__name__}",
                           hint="build one with ik.HttpRequest.build(method, url, headers, body)")
    if not isinstance(creds, Credentials):
        raise CredentialsError(f"expected Credentials, got {type(creds).__name__}",
                               hint="use ik.Credentials(access_key, secret_key, session_token=None)")


def _check_oss_resource(req: HttpRequest) -> None:
    """OSS4 signs the resource /bucket/key and a Signer only sees the path: refuse a virtual-hosted
    URL (``bucket.oss-<region>.aliyuncs.com/key``), whose bucket is in the host, or the path ``/``,
    rather than sign ``/key`` and be rejected (diagnose: oss-bucket-in-resource). ``ik.oss.sign``
    takes the bucket."""
    if req.path == "/":
        raise SigningError("Signer(OSS4) signs the path as /bucket/key, and this URL's path is '/'",
                           hint="use ik.oss.sign(req, creds, bucket=..., key=None, region=...) "
                                "(imgx-kit sign --bucket)")
    labels = req.host.split(":")[0].lower().split(".")
    if len(labels) >= 4 and labels[1].startswith("oss-") and labels[-2:] == ["aliyuncs", "com"]:
        raise SigningError(f"Signer(OSS4) cannot sign {req.host}: the bucket {labels[0]!r} is in the host, and "
                           "OSS4 signs /bucket/key", hint=f"use ik.oss.sign(req, creds, bucket={labels[0]!r}, "
                           "key=..., region=...) (imgx-kit sign --bucket), which puts the bucket in the resource")


def _check_expires(expires: object) -> None:
    if isinstance(expires, bool) or not isinstance(expires, int):
        raise SigningError(f"expires must be a whole number of seconds, not {expires!r}",
                           hint="e.g. expires=900")
    if not 1 <= expires <= MAX_EXPIRES:
        raise SigningError(f"expires={expires} is out of range 1…{MAX_EXPIRES} seconds (7 days)",
                           hint="presigned URLs are valid for at most 7 days")


def _without(headers: Iterable[tuple[str, str]], lower_names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in lower_names]


def _get(headers: list[tuple[str, str]], lower_name: str) -> str | None:
    for k, v in headers:
        if k.lower() == lower_name:
            return v
    return None


def _names(value: Iterable[str] | str | None, what: str) -> tuple[str, ...]:
    """Header or region names given as a list (a single str is one name, not its characters)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
        raise SigningError(f"{what} must be a list of names", hint=f"e.g. {what}=['x-date']")
    return tuple(value)


def _lookup(lookup: Lookup, ak: str) -> Credentials | None:
    if callable(lookup) and not isinstance(lookup, Mapping):
        return lookup(ak)
    if not isinstance(lookup, Mapping):
        raise CredentialsError(f"lookup must be a mapping or a callable, not {type(lookup).__name__}",
                               hint="e.g. {'AKID…': ik.Credentials('AKID…', 'secret')}")
    return lookup.get(ak)


def _query_value(req: HttpRequest, key: str) -> str | None:
    for k, v in C.parse_query(req.query):
        if k == key:
            return v
    return None


_partition_eq = methodcaller("partition", "=")
_new_split = tuple.__new__          # SplitResult from its five parts, without namedtuple's _make


@lru_cache(maxsize=256)
def _encoded(text: str) -> str:
    """``uri_encode`` of a value that repeats on every presign of one key (credential, token)."""
    return C.uri_encode(text)
_VOLC_SDK_NAMES = frozenset({"Content-Type", "Content-Md5", "Host"})


def _decoded(name: str) -> str:
    return unquote(name) if "%" in name else name


def _with_signed_query(req: HttpRequest, query: str, headers: Iterable[tuple[str, str]]) -> HttpRequest:
    """``req`` (validated) with its query replaced by ``query`` (percent-encoded by the signer):
    the URL written as ``urlunsplit`` writes it, its parse known."""
    sp = req._split
    path = sp.path
    if sp.netloc and path and path[:1] != "/":
        path = "/" + path
    url = f"{sp.scheme}://{sp.netloc}{path}?{query}" + (f"#{sp.fragment}" if sp.fragment else "")
    signed = HttpRequest._trusted(req.method, url, tuple(headers), req.body)
    signed.__dict__["_split"] = _new_split(SplitResult, (sp.scheme, sp.netloc, path, query, sp.fragment))
    return signed

