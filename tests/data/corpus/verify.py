"""The independent verifier: is a corpus request valid as the server sees it?

It re-signs the request as it arrived, with the server's view (the secret the server holds for the
access key, the region and service it expects, its clock), through the oracles' own code —
botocore ``SigV4Auth``/``S3SigV4Auth`` (and their query variants), the volcengine SDK's
``SignerV4``/``Util`` canonicalisation, oss2 ``Auth``/``ProviderAuthV4`` — and compares signatures;
plus the checks servers make before any HMAC (algorithm, scope, time window, expiry, token, S3's
x-amz-* and content-hash rules, OSS4's UNSIGNED-PAYLOAD). Nothing here imports imgx_kit.

Server-side rules that are decisions, with their sources:
- S3 reads the path once: each segment percent-decoded (a raw ``+`` is a space: ceph/ceph#10919,
  anomalizer/ngx_aws_auth#87) and written back RFC 3986-encoded; no dot-segment removal.
- Other AWS services normalise and encode the path again (botocore ``SigV4Auth._normalize_url_path``).
- Query strings are decoded as forms (``+`` is a space) and re-encoded RFC 3986, sorted.
- Signed-header names are compared lower-case and sorted (the AWS/Volcengine specifications).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import OrderedDict
from email.utils import parsedate_to_datetime
from typing import NamedTuple
from urllib.parse import parse_qsl, quote, unquote, unquote_to_bytes, urlsplit

from producers import Wire

WINDOW = 900
_TS = re.compile(r"\d{8}T\d{6}Z")


class Key(NamedTuple):
    secret: str
    token: str | None = None
    expired: bool = False


class Server(NamedTuple):
    scheme: str                  # AWS4 | VOLC | OSS1 | OSS4
    region: str
    service: str
    keys: dict[str, Key]
    now: dt.datetime
    s3: bool = False


class Verdict(NamedTuple):
    valid: bool
    why: str
    canonical_request: str = ""      # the server's view, for AWS's "should have been" answer
    string_to_sign: str = ""


def _hdr(w: Wire, name: str) -> str | None:
    for k, v in w.headers:
        if k.lower() == name.lower():
            return v
    return None


def _all(w: Wire, name: str) -> list[str]:
    return [v for k, v in w.headers if k.lower() == name]


def _time(ts: str) -> dt.datetime:
    return dt.datetime.strptime(ts, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)


def verify(w: Wire, server: Server) -> Verdict:
    return {"AWS4": _aws4, "VOLC": _volc, "OSS1": _oss1, "OSS4": _oss4}[server.scheme](w, server)


# ---- common V4 front checks ------------------------------------------------------------------------
_AUTH = re.compile(r"(\S+) Credential=([^,\s]+),\s*SignedHeaders=([^,\s]*),\s*Signature=(\w+)")


def _declared(w: Wire, q: dict[str, str], p: str) -> tuple[str, str, str, str, str | None, bool] | None:
    """(algorithm, credential, signed list, signature, timestamp, presigned) from header or query."""
    auth = _hdr(w, "Authorization")
    if auth:
        m = _AUTH.fullmatch(auth.strip())
        if not m:
            return None
        return m.group(1), m.group(2), m.group(3), m.group(4), _hdr(w, f"{p}Date"), False
    if f"{p}Signature" not in q:
        return None
    return (q.get(f"{p}Algorithm", ""), q.get(f"{p}Credential", ""), q.get(f"{p}SignedHeaders", ""),
            q[f"{p}Signature"], q.get(f"{p}Date"), True)


def _front(w: Wire, s: Server, d, terminator: str, algorithm: str, q: dict[str, str], p: str) -> Verdict | None:
    alg, cred, listed, _sig, ts, presigned = d
    if alg != algorithm:
        return Verdict(False, f"algorithm {alg}")
    bits = cred.split("/")
    if len(bits) < 5:
        return Verdict(False, "credential shape")
    ak, date, region, service, term = "/".join(bits[:-4]), *bits[-4:]
    key = s.keys.get(ak)
    if key is None:
        return Verdict(False, "unknown access key")
    if key.expired:
        return Verdict(False, "expired token")
    if not ts or not _TS.fullmatch(ts):
        return Verdict(False, "timestamp format")
    t = _time(ts)
    if presigned:
        exp = int(q.get(f"{p}Expires", "900"))
        if not 1 <= exp <= 604800 or s.now > t + dt.timedelta(seconds=exp) or t > s.now + dt.timedelta(seconds=WINDOW):
            return Verdict(False, "expired or not yet valid")
    elif abs((s.now - t).total_seconds()) > WINDOW:
        return Verdict(False, "clock skew")
    if (date, region, service, term) != (ts[:8], s.region, s.service, terminator):
        return Verdict(False, f"scope {date}/{region}/{service}/{term}")
    names = [n for n in listed.split(";") if n]
    sent_token = q.get(f"{p}Security-Token") if presigned else _hdr(w, f"{p}Security-Token")
    if key.token and sent_token != key.token:
        return Verdict(False, "session token missing or wrong")
    if not key.token and sent_token:
        return Verdict(False, "token with long-term key")
    if sent_token and not presigned and f"{p}security-token".lower() not in names:
        return Verdict(False, "token not signed")
    for n in names:
        if n.lower() != "host" and _hdr(w, n) is None:
            return Verdict(False, f"signed header {n} absent")
    return None


# ---- AWS4: botocore ------------------------------------------------------------------------------
def _s3_path(raw: str) -> str:
    return "/".join(quote(unquote_to_bytes(seg.replace("+", " ")), safe="-_.~") for seg in (raw or "/").split("/"))


def _aws4(w: Wire, s: Server) -> Verdict:
    from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders
    from botocore.credentials import Credentials

    sp = urlsplit(w.url)
    pairs = parse_qsl(sp.query, keep_blank_values=True)
    q = dict(pairs)
    d = _declared(w, q, "X-Amz-")
    if d is None:
        return Verdict(False, "no signature")
    bad = _front(w, s, d, "aws4_request", "AWS4-HMAC-SHA256", q, "X-Amz-")
    if bad:
        return bad
    _alg, cred, listed, sig, ts, presigned = d
    ak = cred.rsplit("/", 4)[0]
    names = sorted({n.lower() for n in listed.split(";") if n})
    sha = _hdr(w, "x-amz-content-sha256")
    if s.s3 and not presigned:
        unsigned = {k.lower() for k, _ in w.headers if k.lower().startswith("x-amz-")} - set(names)
        if unsigned:
            return Verdict(False, f"HeadersNotSigned {sorted(unsigned)}")
        if sha is None or (sha != "UNSIGNED-PAYLOAD" and sha != hashlib.sha256(w.body).hexdigest()):
            return Verdict(False, "XAmzContentSHA256Mismatch")
    host = _hdr(w, "Host") or sp.netloc

    def listed_headers(self, request):
        hm = HTTPHeaders()
        for n in names:
            for v in (_all(w, n) or ([host] if n == "host" else [])):
                hm.add_header(n, v)
        return hm

    base = (S3SigV4QueryAuth if presigned else S3SigV4Auth) if s.s3 else (SigV4QueryAuth if presigned else SigV4Auth)
    cls = type("ServerView", (base,), {"headers_to_sign": listed_headers})
    path = _s3_path(sp.path) if s.s3 else (sp.path or "/")
    req = AWSRequest(method=w.method, url=f"{sp.scheme}://{sp.netloc}{path}", data=w.body)
    req.params = [(k, v) for k, v in pairs if k != "X-Amz-Signature"]
    if s.s3 and sha is not None and not presigned:
        req.headers["X-Amz-Content-SHA256"] = sha
    req.context["timestamp"] = ts
    signer = cls(Credentials(ak, s.keys[ak].secret), s.service, s.region)
    cr = signer.canonical_request(req)
    sts = signer.string_to_sign(req, cr)
    mine = signer.signature(sts, req)
    return Verdict(mine == sig, "signature " + ("matches" if mine == sig else "differs") + " (botocore, server view)", cr, sts)


# ---- VOLC: the volcengine SDK's canonicalisation ------------------------------------------------------
def _volc(w: Wire, s: Server) -> Verdict:
    from volcengine.auth.SignerV4 import SignerV4
    from volcengine.util.Util import Util

    sp = urlsplit(w.url)
    pairs = parse_qsl(sp.query, keep_blank_values=True)
    q = dict(pairs)
    d = _declared(w, q, "X-")
    if d is None:
        return Verdict(False, "no signature")
    bad = _front(w, s, d, "request", "HMAC-SHA256", q, "X-")
    if bad:
        return bad
    alg, cred, listed, sig, ts, _presigned = d
    ak = cred.rsplit("/", 4)[0]
    names = sorted({n.lower() for n in listed.split(";") if n})
    if not {"host", "x-date"} <= set(names):
        return Verdict(False, "host and x-date must be signed")
    block = ""
    for n in names:
        v = _hdr(w, n) or ""
        if n == "host" and ":" in v and v.split(":")[1] in ("80", "443"):
            v = v.split(":")[0]                       # as SignerV4.hashed_canonical_request_v4
        block += f"{n}:{v}\n"
    query: OrderedDict[str, object] = OrderedDict()
    for k, v in pairs:
        prev = query.get(k)
        query[k] = v if prev is None else (prev if isinstance(prev, list) else [prev]) + [v]
    body = w.body.decode("utf-8", "surrogateescape")
    cr = "\n".join([w.method, Util.norm_uri(unquote(sp.path or "/")), Util.norm_query(query), block, ";".join(names),
                    Util.sha256(body)])
    scope = f"{ts[:8]}/{s.region}/{s.service}/request"
    sts = "\n".join([alg, ts, scope, Util.sha256(cr)])
    mine = SignerV4.signature_v4(SignerV4.get_signing_secret_key_v4(s.keys[ak].secret, ts[:8], s.region, s.service), sts)
    return Verdict(mine == sig, "signature " + ("matches" if mine == sig else "differs") + " (volcengine SDK, server view)")


# ---- OSS: oss2 ----------------------------------------------------------------------------------------
def _bucket_key(w: Wire) -> tuple[str, str, str]:
    sp = urlsplit(w.url)
    host = sp.hostname or ""
    return host.split(".")[0], unquote(sp.path[1:]), f"{sp.scheme}://{sp.netloc}{sp.path}"


def _oss1(w: Wire, s: Server) -> Verdict:
    import oss2
    from oss2.http import Request

    sp = urlsplit(w.url)
    pairs = parse_qsl(sp.query, keep_blank_values=True)
    q = dict(pairs)
    headers = OrderedDict((k, v) for k, v in w.headers if k.lower() != "authorization")
    auth = _hdr(w, "Authorization")
    if auth:
        m = re.fullmatch(r"OSS ([^:]+):(.+)", auth.strip())
        if not m:
            return Verdict(False, "authorization shape")
        ak, sig = m.groups()
        date = _hdr(w, "x-oss-date") or _hdr(w, "Date")
        try:
            t = parsedate_to_datetime(date or "")
        except (TypeError, ValueError):
            return Verdict(False, "date format")
        if t is None or t.tzinfo is None or abs((s.now - t).total_seconds()) > WINDOW:
            return Verdict(False, "date format or skew")
        token = _hdr(w, "x-oss-security-token")
        params = OrderedDict(pairs)
    else:
        if "Signature" not in q:
            return Verdict(False, "no signature")
        ak, sig, expires = q.get("OSSAccessKeyId", ""), q["Signature"], q.get("Expires", "")
        if not expires.isdigit() or s.now.timestamp() > int(expires):
            return Verdict(False, "expired")
        token = q.get("security-token")
        params = OrderedDict((k, v) for k, v in pairs if k not in ("OSSAccessKeyId", "Signature", "Expires"))
        headers["date"] = expires
    key = s.keys.get(ak)
    if key is None:
        return Verdict(False, "unknown access key")
    if key.token != token:
        return Verdict(False, "token")
    bucket, obj, base = _bucket_key(w)
    req = Request(w.method, base, params=params, headers=headers)
    a = oss2.Auth(ak, key.secret)
    mine = a._ProviderAuth__make_signature(req, bucket, obj, a.credentials_provider.get_credentials())
    return Verdict(mine == sig, "signature " + ("matches" if mine == sig else "differs") + " (oss2 Auth, server view)")


_OSS4 = re.compile(r"OSS4-HMAC-SHA256 Credential=([^,\s]+),\s*(?:AdditionalHeaders=([^,\s]*),\s*)?Signature=(\w+)"
                   r"(?:,\s*AdditionalHeaders=([^,\s]*))?")


def _oss4(w: Wire, s: Server) -> Verdict:
    import oss2
    from oss2.credentials import StaticCredentialsProvider
    from oss2.http import Request

    sp = urlsplit(w.url)
    pairs = parse_qsl(sp.query, keep_blank_values=True)
    q = dict(pairs)
    auth = _hdr(w, "Authorization")
    if auth:
        m = _OSS4.fullmatch(auth.strip())
        if not m:
            return Verdict(False, "authorization shape")
        cred, sig, extra = m.group(1), m.group(3), m.group(2) or m.group(4) or ""
        ts = _hdr(w, "x-oss-date")
        if _hdr(w, "x-oss-content-sha256") != "UNSIGNED-PAYLOAD":
            return Verdict(False, "x-oss-content-sha256 must be UNSIGNED-PAYLOAD")
    else:
        if "x-oss-signature" not in q:
            return Verdict(False, "no signature")
        cred, sig, extra, ts = q.get("x-oss-credential", ""), q["x-oss-signature"], q.get("x-oss-additional-headers", ""), q.get("x-oss-date")
        if q.get("x-oss-signature-version") != "OSS4-HMAC-SHA256":
            return Verdict(False, "algorithm")
    bits = cred.split("/")
    if len(bits) != 5:
        return Verdict(False, "credential shape")
    ak, date, region, product, term = bits
    key = s.keys.get(ak)
    if key is None:
        return Verdict(False, "unknown access key")
    if not ts or not _TS.fullmatch(ts) or not re.fullmatch(r"\d{8}", date):
        return Verdict(False, "date format")
    t = _time(ts)
    if auth and abs((s.now - t).total_seconds()) > WINDOW:
        return Verdict(False, "clock skew")
    if not auth and s.now > t + dt.timedelta(seconds=int(q.get("x-oss-expires", "0"))):
        return Verdict(False, "expired")
    if (date, region, product, term) != (ts[:8], s.region, "oss", "aliyun_v4_request"):
        return Verdict(False, f"scope {date}/{region}/{product}/{term}")
    additional = [n for n in extra.split(";") if n]
    if any(_hdr(w, n) is None for n in additional):
        return Verdict(False, "additional header absent")
    bucket, obj, base = _bucket_key(w)
    headers = OrderedDict((k.lower(), v) for k, v in w.headers if k.lower() != "authorization")
    params = OrderedDict((k, v) for k, v in pairs if k != "x-oss-signature")
    req = Request(w.method, base, params=params, headers=headers, region=s.region, product="oss")
    a = oss2.ProviderAuthV4(StaticCredentialsProvider(ak, key.secret, key.token))
    creds = a.credentials_provider.get_credentials()
    mine = a._ProviderAuthV4__make_signature(req, bucket, obj, additional or None, creds, ts)
    return Verdict(mine == sig, "signature " + ("matches" if mine == sig else "differs") + " (oss2 AuthV4, server view)")


__all__ = ["Key", "Server", "Verdict", "hashlib", "verify"]
