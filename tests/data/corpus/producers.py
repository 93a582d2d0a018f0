"""Independent signers that make the corpus's requests: botocore, requests-aws4auth, the volcengine
SDK, oss2, npm aws4 / @smithy/signature-v4 (node_sign.js) and hand-rolled signers written from the
seeds (``shared/seeds/000`` aws_v4_sign, ``002`` generate_volcengine_signature). Nothing here
imports imgx_kit: the corpus must not share imgx-kit's idea of a correct request.

Every producer returns the request as it goes on the wire: ``Wire(method, url, headers, body)`` with a
Host header, as an HTTP client sends it (no default port).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import subprocess
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple
from unittest import mock
from urllib.parse import quote, urlencode, urlsplit

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE.parent / "node" / "node_modules"


class Wire(NamedTuple):
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes


def ts_of(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _host(url: str) -> str:
    sp = urlsplit(url)
    host = sp.hostname or ""
    return host if sp.port in (None, 443 if sp.scheme == "https" else 80) else f"{host}:{sp.port}"


def _with_host(url: str, headers) -> list[tuple[str, str]]:
    out = [(k, str(v)) for k, v in headers]
    if not any(k.lower() == "host" for k, _ in out):
        out.insert(0, ("Host", _host(url)))
    return out


# ---- botocore -----------------------------------------------------------------------------------
def botocore(method, url, headers, body, ak, sk, token, region, service, at, *, s3=False, presign=None) -> Wire:
    from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders
    from botocore.credentials import Credentials

    hh = HTTPHeaders()
    for k, v in headers:
        hh.add_header(k, v)
    req = AWSRequest(method=method, url=url, data=body)
    req.headers = hh
    creds = Credentials(ak, sk, token)
    if presign:
        signer = (S3SigV4QueryAuth if s3 else SigV4QueryAuth)(creds, service, region, expires=presign)
    else:
        signer = (S3SigV4Auth if s3 else SigV4Auth)(creds, service, region)
    naive = at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=naive):
        signer.add_auth(req)
    return Wire(method, req.url, _with_host(req.url, req.headers.items()), body)


# ---- requests-aws4auth --------------------------------------------------------------------------
def aws4auth(method, url, headers, body, ak, sk, token, region, service, at) -> Wire:
    import requests
    from requests_aws4auth import AWS4Auth

    ts = ts_of(at)
    auth = AWS4Auth(ak, sk, region, service, date=ts[:8], session_token=token)
    p = requests.Request(method, url, headers=dict(headers), data=body).prepare()
    p.headers["x-amz-date"] = ts
    auth(p)
    return Wire(method, p.url, _with_host(p.url, p.headers.items()), p.body or b"")


# ---- node: aws4 and @smithy/signature-v4 ----------------------------------------------------------
def node_available() -> bool:
    return (NODE_MODULES / "aws4").is_dir() and (NODE_MODULES / "@smithy" / "signature-v4").is_dir()


def node(jobs: list[dict]) -> list[Wire]:
    """Sign a batch in one node process (node_sign.js)."""
    out = subprocess.run(["node", str(HERE / "node_sign.js")], input=json.dumps(jobs), capture_output=True,
                         text=True, timeout=120, check=True).stdout
    return [Wire(r["method"], r["url"], _with_host(r["url"], r["headers"]), r["body"].encode()) for r in json.loads(out)]


def node_job(lib, method, url, headers, body, ak, sk, token, region, service, at, **extra) -> dict:
    sp = urlsplit(url)
    from urllib.parse import parse_qsl
    return {"lib": lib, "method": method, "host": sp.netloc, "path": sp.path or "/",
            "query": parse_qsl(sp.query, keep_blank_values=True), "headers": dict(headers),
            "body": body.decode() if body else "", "region": region, "service": service, "ak": ak, "sk": sk,
            "token": token, "date": ts_of(at), **extra}


# ---- volcengine SDK -----------------------------------------------------------------------------
def volc_sdk(method, url, headers, body, ak, sk, token, region, service, at) -> Wire:
    """volcengine SignerV4.sign as the SDK's Service layer calls it (Host set first; query sent urlencoded)."""
    from urllib.parse import parse_qsl

    from volcengine.auth.SignerV4 import SignerV4
    from volcengine.base.Request import Request
    from volcengine.Credentials import Credentials

    sp = urlsplit(url)
    r = Request()
    r.method, r.path, r.body = method, sp.path or "/", body.decode() if isinstance(body, bytes) else body
    r.headers = OrderedDict([("Host", sp.netloc), *headers])
    r.query = OrderedDict(parse_qsl(sp.query, keep_blank_values=True))
    with mock.patch.object(SignerV4, "get_current_format_date", return_value=ts_of(at)):
        SignerV4.sign(r, Credentials(ak, sk, service, region, session_token=token or ""))
    wire_url = f"{sp.scheme}://{sp.netloc}{r.path}" + (f"?{urlencode(r.query)}" if r.query else "")
    return Wire(method, wire_url, list(r.headers.items()), body)


# ---- oss2 -----------------------------------------------------------------------------------------
def _oss_quiet():
    logging.getLogger("oss2").setLevel(logging.WARNING)


def oss2_header(version, ak, sk, token, endpoint, bucket, key, method, headers, body, at, region=None,
                additional=None) -> Wire:
    import oss2
    from oss2.credentials import StaticCredentialsProvider
    from oss2.http import Request

    _oss_quiet()
    if version == 1:
        auth = oss2.StsAuth(ak, sk, token, auth_version="v1") if token else oss2.Auth(ak, sk)
    else:
        auth = oss2.ProviderAuthV4(StaticCredentialsProvider(ak, sk, token))
    b = oss2.Bucket(auth, endpoint, bucket, region=region)
    url = b._make_url(bucket, key)
    req = Request(method, url, headers=OrderedDict(headers), region=region, product="oss")
    fake = mock.MagicMock()
    fake.utcnow.return_value = at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    from email.utils import formatdate
    with mock.patch("oss2.auth.datetime", fake), \
            mock.patch("oss2.utils.http_date", return_value=formatdate(at.timestamp(), usegmt=True)):
        if version == 1:
            auth._sign_request(req, bucket, key)
        else:
            auth._sign_request(req, bucket, key, additional)
    # requests drops headers whose value is None (oss2's default Accept-Encoding)
    return Wire(method, url, _with_host(url, [(k, v) for k, v in req.headers.items() if v is not None]), body)


def oss2_url(version, ak, sk, token, endpoint, bucket, key, method, expires, params, at, region=None,
             headers=None) -> Wire:
    import oss2
    from oss2.credentials import StaticCredentialsProvider

    _oss_quiet()
    if version == 1:
        auth = oss2.StsAuth(ak, sk, token, auth_version="v1") if token else oss2.Auth(ak, sk)
        b = oss2.Bucket(auth, endpoint, bucket)
        with mock.patch("oss2.auth.time.time", return_value=at.timestamp()):
            url = b.sign_url(method, key, expires, params=dict(params), headers=headers)
    else:
        auth = oss2.ProviderAuthV4(StaticCredentialsProvider(ak, sk, token))
        b = oss2.Bucket(auth, endpoint, bucket, region=region)
        fake = mock.MagicMock()
        fake.utcnow.return_value = at.astimezone(dt.timezone.utc).replace(tzinfo=None)
        with mock.patch("oss2.auth.datetime", fake):
            url = b.sign_url(method, key, expires, params=dict(params), headers=headers)
    return Wire(method, url, _with_host(url, (headers or {}).items()), b"")


# ---- hand-rolled, written from the seeds ----------------------------------------------------------
def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def seed_sign(*, method, host, canonical_uri, canonical_query, canonical_headers, signed_headers, payload_hash,
              ts, scope_date, region, service, sk, ak, algorithm="AWS4-HMAC-SHA256", terminator="aws4_request",
              key_prefix="AWS4") -> str:
    """The seeds' recipe (000 aws_v4_sign, 002 generate_volcengine_signature), with every input explicit
    so that a mistake can be made on purpose. Returns the Authorization header."""
    cr = f"{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
    scope = f"{scope_date}/{region}/{service}/{terminator}"
    sts = f"{algorithm}\n{ts}\n{scope}\n{hashlib.sha256(cr.encode('utf-8')).hexdigest()}"
    k = _hmac(f"{key_prefix}{sk}".encode(), scope_date)
    for part in (region, service, terminator):
        k = _hmac(k, part)
    sig = hmac.new(k, sts.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{algorithm} Credential={ak}/{scope}, SignedHeaders={signed_headers}, Signature={sig}"


def seed_oss1(method, content_md5, content_type, date, oss_headers, resource, sk) -> str:
    """OSS V1 as the documentation writes it: base64(HMAC-SHA1(SK, VERB\\nMD5\\nType\\nDate\\nheaders+resource))."""
    import base64
    canon = "".join(f"{k.lower()}:{v}\n" for k, v in sorted(oss_headers, key=lambda kv: kv[0].lower()))
    sts = "\n".join([method, content_md5, content_type, date, canon + resource])
    return base64.b64encode(hmac.new(sk.encode(), sts.encode(), hashlib.sha1).digest()).decode()


def seed_oss4(*, method, canonical_uri, canonical_query, headers, additional, ts, scope_date, region, sk, ak,
              payload="UNSIGNED-PAYLOAD") -> str:
    """OSS V4 from Aliyun's documentation (signature version 4): headers x-oss-*, content-type, content-md5."""
    signed = sorted((k.lower(), v) for k, v in headers
                    if k.lower().startswith("x-oss-") or k.lower() in ("content-type", "content-md5")
                    or k.lower() in additional)
    ch = "".join(f"{k}:{v}\n" for k, v in signed)
    cr = f"{method}\n{canonical_uri}\n{canonical_query}\n{ch}\n{';'.join(sorted(additional))}\n{payload}"
    scope = f"{scope_date}/{region}/oss/aliyun_v4_request"
    sts = f"OSS4-HMAC-SHA256\n{ts}\n{scope}\n{hashlib.sha256(cr.encode()).hexdigest()}"
    k = _hmac(f"aliyun_v4{sk}".encode(), scope_date)
    for part in (region, "oss", "aliyun_v4_request"):
        k = _hmac(k, part)
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    extra = f", AdditionalHeaders={';'.join(sorted(additional))}" if additional else ""
    return f"OSS4-HMAC-SHA256 Credential={ak}/{scope}, Signature={sig}{extra}"


def rfc3986(text: str) -> str:
    return quote(text, safe="-_.~")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = [
    "Wire",
    "aws4auth",
    "botocore",
    "io",
    "node",
    "node_available",
    "node_job",
    "oss2_header",
    "oss2_url",
    "rfc3986",
    "seed_oss1",
    "seed_oss4",
    "seed_sign",
    "sha256_hex",
    "ts_of",
    "volc_sdk",
]
