"""Aliyun OSS signing: V4 (OSS4-HMAC-SHA256, through the shared pipeline) and V1 (HMAC-SHA1),
header and signed-URL forms, and verification for the emulator. Both yield a SigningTrace.

    >>> import imgx_kit as ik
    >>> from datetime import datetime, timezone
    >>> t = ik.oss.sign_url("examplebucket", "photos/cat 1.jpg", "https://oss-cn-hangzhou.aliyuncs.com",
    ...                     ik.Credentials("LTAI5tEXAMPLEAK", "EXAMPLESECRET"), expires=3600,
    ...                     process="image/resize,w_100", version=4, region="cn-hangzhou",
    ...                     at=datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> t.signature[:12]
    '61038a1076da'
"""
from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime, timezone
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from operator import methodcaller
from urllib.parse import urlsplit

from . import canonical as C
from .credentials import Credentials
from .errors import SigningError
from .keys import hmac_sha1_base64
from .oss_names import BUCKET_NAME
from .request import HttpRequest
from .scheme import OSS4
from .signer import (
    Lookup,
    Signer,
    Verification,
    _check_args,
    _check_expires,
    _lookup,
    _without,
    build_trace,
    check_time,
    compute_signature,
    format_authorization,
    format_timestamp,
)
from .text import lone_surrogate
from .trace import SigningTrace

__all__ = [
    "OSS_ERRORS", "SUBRESOURCES", "check_key", "check_version", "http_date", "object_url", "sign", "sign_url",
    "verify",
]

# oss2 2.19's V1 sub-resource list (oss2.auth.ProviderAuth._subresource_key_set): only these query
# parameters enter the V1 canonicalized resource. x-oss-process is one of them in oss2.
SUBRESOURCES = frozenset([
    "response-content-type", "response-content-language", "response-cache-control", "logging",
    "response-content-encoding", "acl", "uploadId", "uploads", "partNumber", "group", "link", "delete", "website",
    "location", "objectInfo", "objectMeta", "response-expires", "response-content-disposition", "cors", "lifecycle",
    "restore", "qos", "referer", "stat", "bucketInfo", "append", "position", "security-token", "live", "comp",
    "status", "vod", "startTime", "endTime", "x-oss-process", "symlink", "callback", "callback-var", "tagging",
    "encryption", "versions", "versioning", "versionId", "policy", "requestPayment", "x-oss-traffic-limit",
    "qosInfo", "asyncFetch", "x-oss-request-payer", "sequential", "inventory", "inventoryId", "continuation-token",
    "worm", "wormId", "wormExtend", "replication", "replicationLocation", "replicationProgress",
    "transferAcceleration", "cname", "metaQuery", "x-oss-ac-source-ip", "x-oss-ac-subnet-mask", "x-oss-ac-vpc-id",
    "x-oss-ac-forward-allow", "resourceGroup", "style", "styleName", "x-oss-async-process", "regionList",
    "x-oss-write-get-object-response", "bucketArchiveDirectRead", "httpsConfig", "redundancyTransition",
    "x-oss-target-redundancy-type", "x-oss-redundancy-transition-taskid", "accessPoint", "accessPointPolicy",
    "publicAccessBlock", "x-oss-access-point-name", "requesterQosInfo", "qosRequester", "resourcePoolInfo",
    "resourcePool", "resourcePoolBuckets"
])

# OSS answers with its own codes (all HTTP 403 but InvalidArgument)
OSS_ERRORS = {"SignatureDoesNotMatch": 403, "InvalidAccessKeyId": 403, "AccessDenied": 403,
              "RequestTimeTooSkewed": 403, "InvalidSecurityToken": 403, "SecurityTokenExpired": 403,
              "InvalidArgument": 400}
_GATEWAY_TO_OSS = {"InvalidTimestamp": "RequestTimeTooSkewed", "InvalidAccessKey": "InvalidAccessKeyId",
                   "MissingAuthenticationToken": "AccessDenied", "RequestExpired": "AccessDenied",
                   "InvalidSecretToken": "InvalidSecurityToken", "InvalidAuthorization": "InvalidArgument",
                   "InvalidCredential": "InvalidArgument", "MissingRequestInfo": "AccessDenied",
                   "MissingSignature": "AccessDenied", "InvalidParameter": "InvalidArgument"}
_V1_NOTE = ("x-oss-process (and every other parameter in oss2's sub-resource list) is part of the "
            "V1 canonicalized resource, as oss2 signs it; alibabacloud-oss-v2 1.4.1 leaves "
            "x-oss-process out, so its V1 signatures for processed URLs differ.")
_V1_NOTES_URL = (("canonicalized_resource", _V1_NOTE),
                 ("date", "For a signed URL this line is the absolute Expires time (Unix seconds)."))
_V1_NOTES_HEADER = (("canonicalized_resource", _V1_NOTE),
                    ("date", "The Date header (or x-oss-date, which wins when present)."))
V1_QUERY_AUTH = ("OSSAccessKeyId", "Expires", "Signature")


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(at: datetime) -> str:
    """RFC 1123 date in GMT, locale-independent, as ``email.utils.formatdate(ts, usegmt=True)``
    writes it (oss2's ``utils.http_date``), formatted directly from a UTC datetime.

    >>> http_date(datetime(2024, 1, 1, 8, 5, 9, 999, tzinfo=timezone.utc))
    'Mon, 01 Jan 2024 08:05:09 GMT'
    """
    if at.tzinfo is not timezone.utc:
        return formatdate(at.timestamp(), usegmt=True)
    return (f"{_WEEKDAYS[at.weekday()]}, {at.day:02d} {_MONTHS[at.month]} {at.year:04d} "
            f"{at.hour:02d}:{at.minute:02d}:{at.second:02d} GMT")


def object_url(endpoint: str, bucket: str, key: str, slash_safe: bool = False) -> str:
    """The object's URL as oss2 makes it: virtual-hosted ``bucket.endpoint`` for domain names,
    path-style ``endpoint/bucket/key`` for IP addresses and localhost; ``/`` in the key encoded
    unless ``slash_safe``."""
    scheme, netloc, base, path_style = _endpoint(endpoint)
    qkey = C.uri_encode(key, keep_slash=slash_safe)
    if path_style:
        return f"{base}/{bucket}/{qkey}" if bucket else f"{base}/{qkey}"
    return f"{scheme}://{bucket}.{netloc}/{qkey}"


def _endpoint(endpoint: str) -> tuple[str, str, str, bool]:
    """(scheme, netloc, path-style base URL, path style?) of an endpoint, parsed once."""
    if not isinstance(endpoint, str):
        raise SigningError(f"endpoint must be a str, not {type(endpoint).__name__}",
                           hint="e.g. 'https://oss-cn-hangzhou.aliyuncs.com'")
    return _parsed_endpoint(endpoint)


@lru_cache(maxsize=64)
def _parsed_endpoint(endpoint: str) -> tuple[str, str, str, bool]:
    hint = "e.g. 'https://oss-cn-hangzhou.aliyuncs.com' or the emulator's endpoints.oss"
    try:
        sp = urlsplit(endpoint)
        _ = sp.port                                        # refuses ':abc' and ports over 65535
    except ValueError:
        raise SigningError(f"endpoint {endpoint!r} has a bad port", hint=hint) from None
    if sp.scheme not in ("http", "https") or not sp.hostname:
        raise SigningError(f"endpoint {endpoint!r} is not an http(s) URL", hint=hint)
    if sp.username is not None or sp.query or sp.fragment or any(c.isspace() for c in sp.netloc):
        raise SigningError(f"endpoint {endpoint!r} has a user name, a query, a fragment or spaces",
                           hint="an endpoint is scheme://host[:port] only; " + hint)
    base = f"{sp.scheme}://{sp.netloc}{sp.path.rstrip('/')}"
    return sp.scheme, sp.netloc, base, _is_ip_or_localhost(sp.hostname)


def _is_ip_or_localhost(host: str) -> bool:
    import ipaddress
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def check_key(bucket: str, key: str | None, required: bool = True) -> None:
    if not isinstance(bucket, str) or not bucket:
        raise SigningError("bucket name is empty", hint="name the bucket, e.g. 'examplebucket'")
    if BUCKET_NAME.fullmatch(bucket) is None:
        raise SigningError(f"{bucket!r} is not an OSS bucket name",
                           hint="3–63 lower-case letters, digits and '-', starting and ending with a letter or digit")
    if key is None and not required:
        return
    if not isinstance(key, str) or not key.strip():
        raise SigningError(f"object key {key!r} is empty", hint="name the object, e.g. 'photos/cat.jpg'")
    ascii_key = key.isascii()                     # (ASCII has no surrogates, and one byte per character)
    if not ascii_key and lone_surrogate(key) is not None:
        raise SigningError("object key contains a lone surrogate (broken Unicode)",
                           hint="decode the name it came from with the right encoding")
    if key.startswith(("/", "\\")):
        raise SigningError(f"object key {key!r} starts with '/' or '\\'",
                           hint="OSS keys never start with a slash: drop it")
    if (len(key) if ascii_key else len(key.encode("utf-8"))) > 1023:
        raise SigningError("object key is longer than 1023 bytes", hint="OSS keys are at most 1023 bytes of UTF-8")


def check_version(version: int, region: str | None) -> None:
    if version not in (1, 4) or isinstance(version, bool):
        raise SigningError(f"OSS signature version {version!r} is not 1 or 4", hint="use version=1 or version=4")
    if region is not None and (not isinstance(region, str) or not region.strip() or "/" in region):
        raise SigningError(f"region {region!r} is not a region name", hint="e.g. region='cn-hangzhou'")
    if version == 4 and not region:
        raise SigningError("OSS V4 needs the bucket's region", hint="e.g. region='cn-hangzhou'")


# ---- V1 ---------------------------------------------------------------------------------------
def v1_resource(bucket: str, key: str | None, pairs: Iterable[tuple[str, str]]) -> str:
    if not pairs and bucket:
        return f"/{bucket}/{key or ''}"
    subs = sorted(((k, v) for k, v in pairs if k in SUBRESOURCES), key=lambda kv: kv[0])
    sub = "&".join(f"{k}={v}" if v else k for k, v in subs)
    base = f"/{bucket}/{key or ''}" if bucket else "/"
    return base + (f"?{sub}" if sub else "")


def _v1_oss_headers(headers: Iterable[tuple[str, str]]) -> str:
    if not headers:
        return ""
    sel: dict[str, str] = {}
    for k, v in headers:
        if k.lower().startswith("x-oss-"):
            sel[k.lower()] = v
    return "".join(f"{k}:{sel[k]}\n" for k in sorted(sel))


def v1_string_to_sign(method: str, headers: Iterable[tuple[str, str]], date: str, resource: str,
        secret: str) -> tuple[str, str, list[tuple[str, str]]]:
    hdrs = list(headers)
    low: dict[str, str] = {}
    for k, v in hdrs:
        low.setdefault(k.lower(), v)
    oss_headers = _v1_oss_headers(hdrs)
    sts = "\n".join([method, low.get("content-md5", ""), low.get("content-type", ""), date,
                     oss_headers + resource])
    sig = hmac_sha1_base64(secret, sts)
    extra = [("verb", method), ("content_md5", low.get("content-md5", "")),
             ("content_type", low.get("content-type", "")), ("date", date),
             ("canonicalized_oss_headers", oss_headers), ("canonicalized_resource", resource)]
    return sts, sig, extra


def v1_trace(creds: Credentials, date: str, sts: str, sig: str, extra: list[tuple[str, str]], auth: str | None,
              signed: HttpRequest, presigned: bool, expires: int | None) -> SigningTrace:
    notes = _V1_NOTES_URL if presigned else _V1_NOTES_HEADER
    return SigningTrace.of("OSS1", "OSS (HMAC-SHA1)", creds.access_key, "", "oss", date, "", "", "", "",
                        "", "", "", "", sts, sig, auth, signed, presigned, expires, (), creds.demo,
                        notes, tuple(extra), creds.secrets())


def _sign_v1(req: HttpRequest, creds: Credentials, bucket: str, key: str | None, now: datetime) -> SigningTrace:
    """The V1 Authorization header, as oss2's ``Auth._sign_request``: one pass over the headers
    (what ``v1_string_to_sign`` reads from them), and only sub-resource query values decoded."""
    date = http_date(now)
    headers: list[tuple[str, str]] = []
    oss: dict[str, str] = {}
    md5 = ctype = oss_date = None
    for k, v in req.headers:
        lk = k.lower()
        if lk == "authorization" or lk == "date" or lk == "x-oss-security-token":
            continue                                  # signing replaces these
        headers.append((k, v))
        if lk.startswith("x-oss-"):
            oss[lk] = v                               # the last value wins, as oss2's dict
            if lk == "x-oss-date" and oss_date is None:
                oss_date = v
        elif lk == "content-md5":
            md5 = v if md5 is None else md5
        elif lk == "content-type":
            ctype = v if ctype is None else ctype
    if creds.session_token:
        headers.append(("x-oss-security-token", creds.session_token))
        oss["x-oss-security-token"] = creds.session_token
    headers.append(("date", date))
    signed_date = oss_date if oss_date is not None else date     # x-oss-date wins when present
    oss_headers = "".join(f"{k}:{oss[k]}\n" for k in sorted(oss)) if oss else ""
    resource = v1_resource(bucket, key, _subresource_pairs(req.query))
    md5, ctype = md5 or "", ctype or ""
    sts = f"{req.method}\n{md5}\n{ctype}\n{signed_date}\n{oss_headers}{resource}"
    sig = hmac_sha1_base64(creds.secret_key, sts)
    extra = [("verb", req.method), ("content_md5", md5), ("content_type", ctype), ("date", signed_date),
             ("canonicalized_oss_headers", oss_headers), ("canonicalized_resource", resource)]
    auth = f"OSS {creds.access_key}:{sig}"
    signed = _signed(req, tuple(headers) + (("authorization", auth),))
    return v1_trace(creds, signed_date, sts, sig, extra, auth, signed, False, None)


def _subresource_pairs(raw_query: str) -> list[tuple[str, str]]:
    """The decoded (key, value) pairs of ``raw_query`` whose key is a V1 sub-resource, in order
    (``parse_query`` filtered, without decoding the values it would drop)."""
    out = []
    if raw_query:
        for k, _, v in map(_partition_eq, raw_query.split("&")):
            if k in SUBRESOURCES:                 # a name of the list is its own decoded form
                out.append((k, C._dec(v)))
            elif ("%" in k or "+" in k) and C._dec(k) in SUBRESOURCES:
                out.append((C._dec(k), C._dec(v)))
    return out


_partition_eq = methodcaller("partition", "=")


def _signed(req: HttpRequest, headers: tuple[tuple[str, str], ...]) -> HttpRequest:
    """The signed request: ``req`` (validated) with the headers the signer wrote, URL parse shared."""
    signed = HttpRequest._trusted(req.method, req.url, headers, req.body)
    signed.__dict__["_split"] = req._split
    return signed


# ---- public API -------------------------------------------------------------------------------
def sign(req: HttpRequest, creds: Credentials, bucket: str, key: str | None, version: int = 4,
         region: str | None = None, at: datetime | None = None,
         additional_headers: Iterable[str] | None = None, reveal: bool = False) -> SigningTrace:
    """Sign ``req`` for ``bucket``/``key`` with an Authorization header (V1 or V4)."""
    _check_args(req, creds)
    check_version(version, region)
    check_key(bucket, key, required=False)
    now = check_time(at)
    if version == 1:
        trace = _sign_v1(req, creds, bucket, key, now)
        return trace if not reveal else _revealed(trace)
    ts = format_timestamp(now)
    assert region is not None                    # check_version refused V4 without a region
    headers = _without(req.headers, ("authorization", "x-oss-date", "x-oss-content-sha256", "x-oss-security-token"))
    if creds.session_token:
        headers.append(("x-oss-security-token", creds.session_token))
    headers += [("x-oss-date", ts), ("x-oss-content-sha256", "UNSIGNED-PAYLOAD")]
    extra_names = _additional(additional_headers)
    present = {k.lower() for k, _ in headers}
    missing = [n for n in extra_names if n not in present]
    if missing:
        raise SigningError(f"additional_headers lists {', '.join(missing)} but the request has no such header",
                           hint="add the header to the request or leave it out of additional_headers")
    selected = C.select_headers(headers, OSS4, None)
    if extra_names:
        selected.update(C.select_headers(headers, OSS4, set(extra_names)))
    curi = C.uri_encode(f"/{bucket}/{key or ''}" if bucket else "/", keep_slash=True)
    cq = C.canonical_query_raw(req.query, OSS4)      # = canonical_query(parse_query(query), OSS4)
    t = compute_signature(OSS4, req.method, curi, cq, selected, "UNSIGNED-PAYLOAD", creds, ts, region, "oss",
                 listed=";".join(extra_names))
    auth = format_authorization(OSS4, creds.access_key, t)
    signed = _signed(req, tuple(headers) + (("authorization", auth),))
    return build_trace(OSS4, creds, _signer(region), ts, t, auth, signed, reveal=reveal)


def sign_url(bucket: str, key: str, endpoint: str, creds: Credentials, expires: int,
             process: object = None, method: str = "GET", version: int = 4, region: str | None = None,
             params: Iterable[tuple[str, str]] | dict[str, str] | None = None, at: datetime | None = None,
             headers: Iterable[tuple[str, str]] | dict[str, str] | None = None,
             additional_headers: Iterable[str] | None = None, slash_safe: bool = False,
             reveal: bool = False) -> SigningTrace:
    """A signed URL for ``bucket``/``key`` (``process`` becomes ``x-oss-process``), as oss2 makes it.
    ``expires`` is relative seconds for both versions (V1 writes the absolute time)."""
    if not isinstance(creds, Credentials):
        _check_args(HttpRequest("GET", "https://x/"), creds)
    check_version(version, region)
    check_key(bucket, key)
    _check_expires(expires)
    now = check_time(at)
    plist: list[tuple[str, str]] = []
    if process is not None:
        text = str(process)
        if not text:
            raise SigningError("process is empty", hint="pass None for no processing, or e.g. 'image/resize,w_100'")
        plist.append(("x-oss-process", text))
    plist += _params(params)
    url = object_url(endpoint, bucket, key, slash_safe)
    req = HttpRequest.build(method, url, headers) if headers else _bodiless(method, url)
    if version == 1:
        if creds.session_token:
            plist.append(("security-token", creds.session_token))
        exp = str(int(now.timestamp()) + expires)
        sts, sig, extra = v1_string_to_sign(req.method, req.headers, exp, v1_resource(bucket, key, plist),
                                            creds.secret_key)
        plist += [("OSSAccessKeyId", creds.access_key), ("Expires", exp), ("Signature", sig)]
        signed = HttpRequest._trusted(req.method, f"{url}?{_quoted(plist)}", req.headers)
        trace = v1_trace(creds, exp, sts, sig, extra, None, signed, True, expires)
        return trace if not reveal else _revealed(trace)
    ts = format_timestamp(now)
    assert region is not None                    # check_version refused V4 without a region
    scope = f"{ts[:8]}/{region}/oss/{OSS4.terminator}"
    present = {k.lower() for k, _ in req.headers}
    extra_names = [n for n in _additional(additional_headers) if n in present]
    if creds.session_token:
        plist.append(("x-oss-security-token", creds.session_token))
    plist += [("x-oss-date", ts), ("x-oss-expires", str(expires)), ("x-oss-signature-version", OSS4.algorithm),
              ("x-oss-credential", f"{creds.access_key}/{scope}")]
    if extra_names:
        plist.append(("x-oss-additional-headers", ";".join(sorted(extra_names))))
    selected = C.select_headers(req.headers, OSS4, None)
    selected.update(C.select_headers(req.headers, OSS4, set(extra_names)))
    curi = C.uri_encode(f"/{bucket}/{key}", keep_slash=True)
    t = compute_signature(OSS4, req.method, curi, C.canonical_query(plist, OSS4), selected, "UNSIGNED-PAYLOAD",
                 creds, ts, region, "oss", listed=";".join(sorted(extra_names)))
    signed = HttpRequest._trusted(req.method, f"{url}?{_quoted(plist + [('x-oss-signature', t.signature)])}",
                                  req.headers)
    return build_trace(OSS4, creds, _signer(region), ts, t, None, signed, reveal=reveal, presigned=True,
                  expires=expires)


def verify(req: HttpRequest, lookup: Lookup, bucket: str, key: str | None, region: str | None = None,
           now: datetime | None = None, max_skew: int = 900) -> Verification:
    """Check a received OSS request (V1 or V4, header or URL) as OSS does; codes are OSS's."""
    if not isinstance(req, HttpRequest):
        raise SigningError(f"verify needs an HttpRequest, not {type(req).__name__}",
                           hint="rebuild what arrived with ik.HttpRequest.build(method, url, headers, body)")
    now_dt = check_time(now, "now")
    auth = req.header("Authorization") or ""
    q = dict(C.parse_query(req.query))
    if auth.startswith(OSS4.algorithm) or "x-oss-signature-version" in q:
        if not region:
            raise SigningError("verifying OSS V4 needs the bucket's region", hint="pass region='cn-hangzhou'")
        v = _signer(region).verify(_path_style(req, bucket), lookup, now=now_dt, max_skew=max_skew)
        if v.ok:
            return v
        code = _GATEWAY_TO_OSS.get(v.code or "", v.code or "AccessDenied")
        return Verification(False, code, v.message, v.expected, OSS_ERRORS.get(code, 403), v.parsed)
    if auth.startswith("OSS ") or "OSSAccessKeyId" in q:
        return _verify_v1(req, lookup, bucket, key, q, auth, now_dt, max_skew)
    return Verification(False, "AccessDenied", "You have no right to access this object because of bucket acl.",
                        None, 403)


def _verify_v1(req: HttpRequest, lookup: Lookup, bucket: str, key: str | None, q: dict[str, str], auth: str,
               now_dt: datetime, max_skew: int) -> Verification:
    presigned = not auth
    if presigned:
        ak, sig, date = q.get("OSSAccessKeyId", ""), q.get("Signature", ""), q.get("Expires", "")
        if not (date.isascii() and date.isdigit()):
            return Verification(False, "AccessDenied", "Expires must be a Unix time in seconds.", None, 403)
        if now_dt.timestamp() > int(date):
            return Verification(False, "AccessDenied", "Request has expired.", None, 403)
        token = q.get("security-token")
    else:
        body = auth[4:]
        if ":" not in body:
            return Verification(False, "InvalidArgument",
                                "Authorization header is invalid: expected 'OSS AccessKeyId:Signature'.", None, 400)
        ak, _, sig = body.rpartition(":")
        date = req.header("x-oss-date") or req.header("Date") or ""
        try:
            when = parsedate_to_datetime(date)
        except (TypeError, ValueError, OverflowError):
            return Verification(False, "AccessDenied", f"Date header {date!r} is not an HTTP date.", None, 403)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        if abs((now_dt - when).total_seconds()) > max_skew:
            return Verification(False, "RequestTimeTooSkewed",
                                "The difference between the request time and the current time is too large.",
                                None, 403)
        token = req.header("x-oss-security-token")
    creds = _lookup(lookup, ak)
    if creds is None:
        return Verification(False, "InvalidAccessKeyId",
                            "The OSS Access Key Id you provided does not exist in our records.", None, 403)
    if creds.expires_at is not None and now_dt > creds.expires_at.astimezone(timezone.utc):
        return Verification(False, "SecurityTokenExpired", "The security token you provided has expired.", None, 403)
    if (creds.session_token or None) != (token or None):
        return Verification(False, "InvalidSecurityToken", "The security token you provided is invalid.", None, 403)
    pairs = [(k, v) for k, v in C.parse_query(req.query) if not (presigned and k in V1_QUERY_AUTH)]
    headers = [(k, v) for k, v in req.headers if k.lower() != "authorization"]
    sts, good, extra = v1_string_to_sign(req.method, headers, date, v1_resource(bucket, key, pairs), creds.secret_key)
    t = v1_trace(creds, date, sts, good, extra, None if presigned else f"OSS {ak}:{good}", req, presigned, None)
    if hmac.compare_digest(good.encode(), sig.encode()):
        return Verification(True, None, "signature valid", t, 200)
    return Verification(False, "SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you provided. "
                        "Check your key and signing method.", t, 403)


@lru_cache(maxsize=64)
def _signer(region: str | None) -> Signer:
    return Signer(OSS4, region or "-", "oss")


def _path_style(req: HttpRequest, bucket: str) -> HttpRequest:
    """OSS4's canonical URI is /bucket/key whatever the addressing: rewrite virtual-hosted requests."""
    if not bucket or req.path == f"/{bucket}" or req.path.startswith(f"/{bucket}/"):
        return req
    sp = urlsplit(req.url)
    return req.with_url(f"{sp.scheme}://{sp.netloc}/{bucket}{sp.path or '/'}" + (f"?{sp.query}" if sp.query else ""))


def _params(params: Iterable[tuple[str, str]] | dict[str, str] | None) -> list[tuple[str, str]]:
    """Extra query parameters as (name, value) text pairs."""
    if params is None:
        return []
    if isinstance(params, (str, bytes)) or not isinstance(params, Iterable):
        raise SigningError(f"params must be a dict or (name, value) pairs, not {type(params).__name__}",
                           hint="e.g. params={'response-content-type': 'image/png'}")
    pairs = [tuple(p) if isinstance(p, list) else p for p in (params.items() if isinstance(params, dict) else params)]
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise SigningError(f"a query parameter must be a (name, value) pair of text, not {type(pair).__name__}",
                               hint="convert values yourself, e.g. {'x-oss-traffic-limit': str(819200)}")
    return pairs


def _additional(names: Iterable[str] | None) -> list[str]:
    if names is not None and (isinstance(names, str) or not all(isinstance(n, str) and n for n in names)):
        raise SigningError("additional_headers must be a list of header names",
                           hint="e.g. additional_headers=['host']")
    out = sorted({n.lower() for n in (names or ())
                  if not (n.lower().startswith("x-oss-") or n.lower() in ("content-type", "content-md5"))})
    return out


def _bodiless(method: str, url: str) -> HttpRequest:
    """A header-less request for a URL made by :func:`object_url` (already valid): only the method
    needs checking."""
    if not isinstance(method, str) or not method.isalpha():
        return HttpRequest.build(method, url)          # let build() say what is wrong
    return HttpRequest._trusted(method.upper(), url, ())


def _quoted(pairs: Iterable[tuple[str, str]]) -> str:
    """The query as oss2 writes it: ``quote(k, '')=quote(v, '')``, a bare key for an empty value."""
    enc = C.uri_encode
    return "&".join(f"{enc(k)}={enc(v)}" if v else enc(k) for k, v in pairs)


def _revealed(t: SigningTrace) -> SigningTrace:
    from dataclasses import replace
    return replace(t, reveal=True)
