"""Aliyun OSS over HTTP, path-style (``/<bucket>/<key>``, as oss2 addresses IP endpoints): one
method per OSS operation (:data:`OPERATIONS` routes ``(method, level, sub-resources)`` to it),
the state changes in :mod:`.backend`, errors as OSS XML from one place (:func:`handle`).

**Never a silent change.** A method, a sub-resource (``?lifecycle``, ``?cors``, ``?website``,
``?versioning`` …) or a header (``x-oss-copy-source``, ``x-oss-symlink-target``) on a path the
emulator does not implement answers ``501 NotImplemented`` — the code and message of
aliyun/oss-emulator (``lib/emulator/base.rb``: "The function is not supported yet.") — and
changes nothing.

V1 and V4, header and signed URL, are verified by :func:`imgx_kit.core.oss_sign.verify`;
requests without any signature are anonymous and allowed only by ACL (GET/HEAD of an object
whose ACL — or, for ``default``, its bucket's — is public-read or public-read-write; listing a
public bucket; writes to a public-read-write bucket), else ``403 AccessDenied``. STS credentials
(:mod:`imgx_kit.emulator.sts`) carry ``x-oss-security-token`` / ``security-token`` /
``x-oss-security-token`` (V4 query); expired ones answer ``403 SecurityTokenExpired`` with EC
``0002-00000007`` (OSS docs "0002-00000007", and an OSS answer quoted on developer.aliyun.com/ask/553273).

Whole objects carry ``x-oss-hash-crc64ecma``; ``Range`` follows OSS (one range; a bad or
out-of-range one is ignored unless ``x-oss-range-behavior: standard`` asks for 416).
``SignatureDoesNotMatch`` carries OSS's ``StringToSign``, ``StringToSignBytes``,
``SignatureProvided`` and ``OSSAccessKeyId``; in teaching mode V4 answers add ``CanonicalRequest``.
"""
from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import formatdate
from typing import Any
from urllib.parse import quote, unquote, urlencode
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from defusedxml import (  # type: ignore[import-untyped]  # defusedxml ships no type information
    DefusedXmlException,
    ElementTree as SafeET,
)
from werkzeug.http import parse_range_header
from werkzeug.wrappers import Response

from ...core import oss_sign
from ...core.declared import scheme_word
from ...core.errors import ImgxError, ProcessSyntaxError
from ...core.oss_process import Process
from ...core.request import HttpRequest
from ...core.signer import parse_authorization
from ...services.images import (
    crc64,  # x-oss-hash-crc64ecma, which oss2 checks on PUT/GET/parts/complete
)
from ..context import Ctx
from ..envelopes import oss_error, oss_request_id, xml_response
from ..faults import Fault
from ..state import State, normalise_key, valid_bucket_name
from . import backend as be, postobject
from .backend import OssError
from .models import Bucket, OssObject

__all__ = ["OPERATIONS", "bad_request", "fault_response", "handle", "internal_error", "max_body", "too_large"]


# ---- the one adapter to the server's request context -----------------------------------------------
@dataclass
class Call:
    """What an OSS operation needs to know about one request (built from the server's context by
    :func:`_call`, the only place that reads it)."""

    req: HttpRequest
    path: str
    query: list[tuple[str, str]]
    now: datetime
    state: State
    region: str
    teaching: bool
    max_skew: int
    verdict: Callable[..., None]
    set_trace: Callable[[Any], None]

    def q(self, name: str, default: str | None = None) -> str | None:
        return next((v for k, v in self.query if k == name), default)

    def has_q(self, name: str) -> bool:
        return any(k == name for k, _ in self.query)

    @property
    def method(self) -> str:
        return self.req.method


def _call(ctx: Ctx) -> Call:
    """The adapter: today's :class:`~imgx_kit.emulator.context.Ctx` → :class:`Call`."""
    emu = ctx.emu

    def set_trace(t: Any) -> None:
        ctx.trace = t

    return Call(ctx.req, ctx.path, ctx.query, ctx.now, emu.state, emu.oss_region, emu.teaching, emu.max_skew,
                ctx.verdict, set_trace)


def max_body(emu: Any) -> int:
    return int(emu.max_body_oss)


# ---- errors: one place turns them into OSS XML -------------------------------------------------------
_MSG = {
    "NoSuchBucket": "The specified bucket does not exist.",
    "NoSuchKey": "The specified key does not exist.",
    "MethodNotAllowed": "The specified method is not allowed against this resource.",
    "InvalidObjectName": "The specified object is not valid.",
    "InvalidBucketName": "The specified bucket is not valid.",
    "EntityTooLarge": "Your proposed upload exceeds the maximum allowed size.",
    "InvalidDigest": "The Content-MD5 you specified was invalid.",
    "InternalError": "We encountered an internal error. Please try again.",
    "ServiceUnavailable": "Please reduce your request rate.",
    "SlowDown": "Please reduce your request rate.",
    "InvalidRange": "The requested range cannot be satisfied",
    "NotImplemented": "The function is not supported yet.",
    "AccessDenied": "You have no right to access this object because of bucket acl.",
}
_EC = {"NoSuchBucket": "0015-00000101", "NoSuchKey": "0026-00000001", "SecurityTokenExpired": "0002-00000007"}
_STATUS = {"NotImplemented": 501, "NoSuchBucket": 404, "NoSuchKey": 404, "MethodNotAllowed": 405,
           "AccessDenied": 403, "InternalError": 500, "EntityTooLarge": 400, "BucketNotEmpty": 409}


def _host_id(c: Call, bucket: str | None) -> str:
    return f"{bucket}.oss-{c.region}.aliyuncs.com" if bucket else f"oss-{c.region}.aliyuncs.com"


def _err(c: Call, code: str, message: str | None = None, *, extra: dict[str, str] | None = None, ec: str | None = None,
         status: int | None = None, bucket: str | None = None, headers: dict[str, str] | None = None) -> Response:
    msg = message or _MSG.get(code, code)
    c.verdict(code, msg)
    rid = oss_request_id()
    ec = ec or _EC.get(code)
    st, xml = oss_error(code, msg, request_id=rid, host_id=_host_id(c, bucket), extra=extra, ec=ec,
                        status=status if status is not None else _STATUS.get(code))
    resp = xml_response(st, xml, {"x-oss-request-id": rid, "x-oss-ec": ec or "", "Server": "AliyunOSS",
                                  **(headers or {})})
    if c.method == "HEAD":
        resp.set_data(b"")
    return resp


def _oss_error(c: Call, e: OssError, bucket: str | None) -> Response:
    return _err(c, e.code, e.message, extra=e.extra, ec=e.ec, status=e.status, bucket=bucket, headers=e.headers)


def fault_response(ctx: Ctx, fault: Fault) -> Response:
    c = _call(ctx)
    if fault.throttle:
        return _err(c, "SlowDown", status=503 if fault.status is None else fault.status)
    st = fault.status or 500
    return _err(c, "InternalError" if st < 503 else "ServiceUnavailable", status=st)


def internal_error(ctx: Ctx) -> Response:
    return _err(_call(ctx), "InternalError")


def bad_request(ctx: Ctx, why: str) -> Response:
    return _err(_call(ctx), "InvalidRequest", f"The request is invalid: {why}.", status=400)


def too_large(ctx: Ctx) -> Response:
    return _err(_call(ctx), "EntityTooLarge", status=400)


def _ok(c: Call, what: str, body: bytes | str = b"", status: int = 200, headers: dict[str, str] | None = None,
        content_type: str | None = None) -> Response:
    c.verdict(None, what)
    if isinstance(body, str):
        body, content_type = body.encode("utf-8"), content_type or "application/xml"
    resp = Response(body if c.method != "HEAD" else b"", status=status, content_type=content_type,
                    headers={"x-oss-request-id": oss_request_id(), "Server": "AliyunOSS", **(headers or {})})
    return resp


# ---- routing: (method, level, sub-resources) -> operation --------------------------------------------
# query parameters that are sub-resources for signing but never pick the operation
_PASSIVE = frozenset({"security-token", "continuation-token", "response-content-type", "response-content-language",
                      "response-cache-control", "response-content-encoding", "response-expires",
                      "response-content-disposition", "position"})
_F = frozenset
OPERATIONS: dict[tuple[str, str, frozenset[str]], str] = {
    ("GET", "service", _F()): "list_buckets",
    ("PUT", "bucket", _F()): "put_bucket",
    ("GET", "bucket", _F()): "get_bucket",
    ("HEAD", "bucket", _F()): "get_bucket",
    ("DELETE", "bucket", _F()): "delete_bucket",
    ("GET", "bucket", _F({"location"})): "get_bucket_location",
    ("GET", "bucket", _F({"bucketInfo"})): "get_bucket_info",
    ("PUT", "bucket", _F({"acl"})): "put_bucket_acl",
    ("GET", "bucket", _F({"acl"})): "get_bucket_acl",
    ("GET", "bucket", _F({"uploads"})): "list_multipart_uploads",
    ("POST", "bucket", _F({"delete"})): "delete_multiple_objects",
    ("POST", "bucket", _F()): "post_object",
    ("PUT", "object", _F()): "put_object",           # CopyObject when x-oss-copy-source is sent
    ("GET", "object", _F()): "get_object",
    ("GET", "object", _F({"x-oss-process"})): "get_object",
    ("HEAD", "object", _F()): "head_object",
    ("HEAD", "object", _F({"objectMeta"})): "get_object_meta",
    ("DELETE", "object", _F()): "delete_object",
    ("POST", "object", _F({"append"})): "append_object",
    ("POST", "object", _F({"x-oss-process"})): "process_object",
    ("PUT", "object", _F({"acl"})): "put_object_acl",
    ("GET", "object", _F({"acl"})): "get_object_acl",
    ("PUT", "object", _F({"tagging"})): "put_object_tagging",
    ("GET", "object", _F({"tagging"})): "get_object_tagging",
    ("DELETE", "object", _F({"tagging"})): "delete_object_tagging",
    ("PUT", "object", _F({"symlink"})): "put_symlink",
    ("GET", "object", _F({"symlink"})): "get_symlink",
    ("POST", "object", _F({"uploads"})): "initiate_multipart_upload",
    ("PUT", "object", _F({"partNumber", "uploadId"})): "upload_part",   # UploadPartCopy with x-oss-copy-source
    ("POST", "object", _F({"uploadId"})): "complete_multipart_upload",
    ("DELETE", "object", _F({"uploadId"})): "abort_multipart_upload",
    ("GET", "object", _F({"uploadId"})): "list_parts",
}
# headers that only some operations understand: elsewhere they would be ignored, so they are refused
_HEADER_OPS = {"x-oss-copy-source": {"put_object", "upload_part"}, "x-oss-symlink-target": {"put_symlink"},
               "x-oss-copy-source-range": {"upload_part"}}
# headers asking for something the emulator cannot do (a callback, encryption, another storage class)
_UNSUPPORTED_HEADERS = ("x-oss-callback", "x-oss-callback-var", "x-oss-server-side-encryption",
                        "x-oss-server-side-data-encryption", "x-oss-server-side-encryption-key-id")
ANONYMOUS_READ = frozenset({"get_object", "head_object", "get_object_meta", "get_bucket"})
ANONYMOUS_WRITE = frozenset({"put_object", "append_object", "delete_object", "initiate_multipart_upload",
                             "upload_part", "complete_multipart_upload", "abort_multipart_upload", "post_object"})


def operation_of(method: str, level: str, query: list[tuple[str, str]]) -> str | None:
    """The OSS operation a request names, or ``None`` when the emulator does not implement it.

        >>> operation_of("PUT", "object", [("acl", "")])
        'put_object_acl'
        >>> operation_of("GET", "bucket", [("lifecycle", "")]) is None
        True
    """
    subs = _F(k for k, _ in query if k in oss_sign.SUBRESOURCES and k not in _PASSIVE)
    return OPERATIONS.get((method, level, subs))


def handle(ctx: Ctx) -> Response:
    c = _call(ctx)
    raw = c.path.removeprefix("/")
    bucket_part, slash, key_part = raw.partition("/")
    bucket_name, key = unquote(bucket_part), (unquote(key_part) if slash and key_part else None)
    level = "service" if not bucket_name else ("bucket" if key is None else "object")
    op = operation_of(c.method, level, c.query)
    if op is None:
        return _err(c, "NotImplemented", bucket=bucket_name or None,
                    extra={"Method": c.method[:16], "Resource": ("/" + raw)[:256]})
    for header, ops in _HEADER_OPS.items():
        if c.req.header(header) is not None and op not in ops:
            return _err(c, "NotImplemented", f"The header {header} is not supported on this request.",
                        bucket=bucket_name or None)
    unsupported = [h for h in _UNSUPPORTED_HEADERS if c.req.header(h) is not None]
    if (c.req.header("x-oss-storage-class") or "Standard") != "Standard":
        unsupported.append("x-oss-storage-class")
    if unsupported:
        return _err(c, "NotImplemented", f"The emulator does not support {unsupported[0]}.", bucket=bucket_name or None)
    try:
        if level == "service":
            return _verified(c, None, None, op) or list_buckets(c)
        if op == "put_bucket":
            return put_bucket(c, bucket_name)
        bucket = c.state.bucket(bucket_name)
        if bucket is None:
            return _err(c, "NoSuchBucket", bucket=bucket_name, extra={"BucketName": bucket_name})
        if key is not None and normalise_key(key) is None:
            return _err(c, "InvalidObjectName", bucket=bucket_name)
        if op == "post_object":
            return post_object(c, bucket)
        denied = _verified(c, bucket, key, op)
        if denied is not None:
            return denied
        digest = _check_md5(c)
        if digest is not None:
            return digest
        method: Callable[..., Response] = globals()[op]
        return method(c, bucket) if key is None else method(c, bucket, key)
    except OssError as e:
        return _oss_error(c, e, bucket_name or None)


def _check_md5(c: Call) -> Response | None:
    md5 = c.req.header("Content-MD5")
    if md5 is not None and md5.strip() != base64.b64encode(hashlib.md5(c.req.body).digest()).decode():
        return _err(c, "InvalidDigest", status=400)
    return None


# ---- authentication and ACLs -------------------------------------------------------------------------
def _declared(c: Call) -> str | None:
    """The scheme the request names (``core.declared``, the one parser of what a request declares)."""
    return scheme_word(c.req.header("Authorization"), c.req.query)


def _signed(c: Call) -> bool:
    return _declared(c) is not None


def _provided(c: Call) -> tuple[str, str]:
    """(access key, signature) the request carries, for the error body."""
    auth = c.req.header("Authorization") or ""
    if auth.startswith("OSS "):
        ak, _, sig = auth[4:].rpartition(":")
        return ak, sig
    p = parse_authorization(auth) if auth else None
    if p is not None:
        return p.access_key, p.signature
    ak = c.q("OSSAccessKeyId") or (c.q("x-oss-credential") or "").split("/")[0]
    return ak, c.q("Signature") or c.q("x-oss-signature") or ""


def _anonymous_allowed(bucket: Bucket | None, key: str | None, op: str) -> bool:
    if bucket is None:
        return False
    obj = bucket.objects.get(key) if key is not None else None
    acl = be.effective_acl(bucket, obj)
    if op in ANONYMOUS_READ:
        return acl in ("public-read", "public-read-write")
    return op in ANONYMOUS_WRITE and acl == "public-read-write"


def _verified(c: Call, bucket: Bucket | None, key: str | None, op: str, name: str | None = None) -> Response | None:
    name = bucket.name if bucket is not None else name
    if not _signed(c):
        if _anonymous_allowed(bucket, key, op):
            c.verdict(None, "anonymous, allowed by ACL", None, "anonymous")
            return None
        return _err(c, "AccessDenied", bucket=name, ec="0003-00000001")
    v = oss_sign.verify(c.req, c.state.lookup_oss, name or "", key, region=c.region, now=c.now,
                        max_skew=c.max_skew)
    v4 = _declared(c) == "OSS4"
    c.verdict(v.code, v.message, v.expected, "OSS4" if v4 else "OSS")
    if v.ok:
        return None
    code, message = v.code or "AccessDenied", v.message
    extra: dict[str, str] = {}
    if code == "InvalidSecurityToken" and "expired" in message:     # V4's verifier says it in the message
        code, message = "SecurityTokenExpired", "The security token you provided has expired."
    if code == "SignatureDoesNotMatch":
        t = v.expected
        ak, sig = _provided(c)
        sts = getattr(t, "string_to_sign", "") or ""
        if v4 and c.teaching and t is not None:
            extra["CanonicalRequest"] = t.canonical_request
        extra["StringToSign"] = sts
        extra["StringToSignBytes"] = " ".join(f"{b:02X}" for b in sts.encode("utf-8"))
        extra["SignatureProvided"] = sig
        extra["OSSAccessKeyId"] = ak
        message = ("The request signature we calculated does not match the signature you provided. "
                   "Check your key and signing method.")
        if c.teaching and not v.message.startswith("The request signature we calculated does not match"):
            extra["Reason"] = v.message
    elif code == "InvalidAccessKeyId":
        extra["OSSAccessKeyId"] = _provided(c)[0]
    resp = _err(c, code, message, extra=extra, status=v.status if v.status >= 400 else None, bucket=name)
    c.set_trace(v.expected)
    return resp


# ---- small XML helpers ---------------------------------------------------------------------------------
_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
OWNER_ID, OWNER_NAME = "imgx", "imgx"


def _iso(t: datetime) -> str:
    return f"{t:%Y-%m-%dT%H:%M:%S.000Z}"


def _http_date(t: datetime) -> str:
    return formatdate(t.timestamp(), usegmt=True)


def _owner() -> str:
    return f"<Owner><ID>{OWNER_ID}</ID><DisplayName>{OWNER_NAME}</DisplayName></Owner>"


def _parse_xml(c: Call, what: str) -> Element:
    try:
        root: Element = SafeET.fromstring(c.req.body)
        return root
    except (SafeET.ParseError, DefusedXmlException, ValueError):   # syntax errors and defusedxml's refusals
        raise OssError("MalformedXML", f"The XML you provided was not well-formed or did not validate "
                       f"against our published schema ({what}).", 400) from None


def _meta(c: Call) -> tuple[tuple[str, str], ...]:
    return tuple((k.lower(), v) for k, v in c.req.headers if k.lower().startswith("x-oss-meta-"))


def _ctype(c: Call) -> str:
    return c.req.header("Content-Type") or "application/octet-stream"


def _no_overwrite(c: Call, bucket: Bucket, key: str) -> None:
    if (c.req.header("x-oss-forbid-overwrite") or "").lower() == "true" and key in bucket.objects:
        raise OssError("FileAlreadyExists", "The object you specified already exists and can not be overwritten.",
                       409)


# ---- service and buckets ---------------------------------------------------------------------------------
def list_buckets(c: Call) -> Response:
    prefix, marker = c.q("prefix") or "", c.q("marker") or ""
    raw_max = c.q("max-keys") or "100"
    if not (raw_max.isascii() and raw_max.isdigit() and 1 <= int(raw_max) <= 1000):
        raise OssError("InvalidArgument", "max-keys must be an integer between 1 and 1000.", 400,
                       {"ArgumentName": "max-keys", "ArgumentValue": raw_max[:16]})
    with c.state.lock:
        names = sorted(n for n in c.state.buckets if n.startswith(prefix) and n > marker)
        buckets = [c.state.buckets[n] for n in names]
    page, truncated = buckets[:int(raw_max)], len(buckets) > int(raw_max)
    items = "".join(f"<Bucket><CreationDate>{_iso(b.created)}</CreationDate>"
                    f"<ExtranetEndpoint>oss-{b.region}.aliyuncs.com</ExtranetEndpoint>"
                    f"<IntranetEndpoint>oss-{b.region}-internal.aliyuncs.com</IntranetEndpoint>"
                    f"<Location>oss-{b.region}</Location><Name>{escape(b.name)}</Name>"
                    f"<Region>{b.region}</Region><StorageClass>Standard</StorageClass></Bucket>" for b in page)
    head = (f"<Prefix>{escape(prefix)}</Prefix><Marker>{escape(marker)}</Marker><MaxKeys>{int(raw_max)}</MaxKeys>"
            f"<IsTruncated>{str(truncated).lower()}</IsTruncated>"
            + (f"<NextMarker>{escape(page[-1].name)}</NextMarker>" if truncated else ""))
    return _ok(c, "list buckets", f"{_DECL}<ListAllMyBucketsResult>{head}{_owner()}<Buckets>{items}</Buckets>"
               "</ListAllMyBucketsResult>")


def put_bucket(c: Call, name: str) -> Response:
    if not valid_bucket_name(name):
        return _err(c, "InvalidBucketName", bucket=name, extra={"BucketName": name})
    denied = _verified(c, c.state.bucket(name), None, "put_bucket", name)
    if denied is not None:
        return denied
    acl = be.check_acl(c.req.header("x-oss-acl") or "private", bucket=True)
    existing = c.state.bucket(name)
    if existing is None:
        b = c.state.create_bucket(name, c.region, c.now)
        be.set_bucket_acl(c.state, b, acl)
    elif c.req.header("x-oss-acl") is not None:                 # PutBucket on your bucket sets its ACL
        be.set_bucket_acl(c.state, existing, acl)
    return _ok(c, "bucket created" if existing is None else "bucket exists (yours)", headers={"Location": f"/{name}"})


def delete_bucket(c: Call, bucket: Bucket) -> Response:
    with c.state.lock:
        if bucket.objects:
            raise OssError("BucketNotEmpty", "The bucket you tried to delete is not empty.", 409,
                           {"BucketName": bucket.name})
        if bucket.uploads:
            raise OssError("BucketNotEmpty", "The bucket has multipart uploads which are not completed.", 409,
                           {"BucketName": bucket.name})
        c.state.delete_bucket(bucket.name)
    return _ok(c, "bucket deleted", status=204)


def get_bucket_location(c: Call, bucket: Bucket) -> Response:
    return _ok(c, "bucket location", f"{_DECL}<LocationConstraint>oss-{bucket.region}</LocationConstraint>")


def get_bucket_info(c: Call, bucket: Bucket) -> Response:
    r = bucket.region
    xml = (f"{_DECL}<BucketInfo><Bucket><AccessMonitor>Disabled</AccessMonitor>"
           f"<CreationDate>{_iso(bucket.created)}</CreationDate>"
           f"<ExtranetEndpoint>oss-{r}.aliyuncs.com</ExtranetEndpoint>"
           f"<IntranetEndpoint>oss-{r}-internal.aliyuncs.com</IntranetEndpoint><Location>oss-{r}</Location>"
           f"<StorageClass>Standard</StorageClass><TransferAcceleration>Disabled</TransferAcceleration>"
           f"<CrossRegionReplication>Disabled</CrossRegionReplication><Name>{escape(bucket.name)}</Name>"
           f"<ResourceGroupId>rg-default</ResourceGroupId>{_owner()}"
           f"<AccessControlList><Grant>{bucket.acl}</Grant></AccessControlList>"
           f"<DataRedundancyType>LRS</DataRedundancyType><Comment></Comment></Bucket></BucketInfo>")
    return _ok(c, "bucket info", xml)


def put_bucket_acl(c: Call, bucket: Bucket) -> Response:
    acl = c.req.header("x-oss-acl")
    if acl is None:
        raise OssError("InvalidArgument", "x-oss-acl is missing.", 400, {"ArgumentName": "x-oss-acl"})
    be.set_bucket_acl(c.state, bucket, acl)
    return _ok(c, f"bucket acl {acl}")


def _acl_xml(grant: str) -> str:
    return (f"{_DECL}<AccessControlPolicy>{_owner()}<AccessControlList><Grant>{grant}</Grant>"
            "</AccessControlList></AccessControlPolicy>")


def get_bucket_acl(c: Call, bucket: Bucket) -> Response:
    return _ok(c, "bucket acl", _acl_xml(bucket.acl))


def get_bucket(c: Call, bucket: Bucket) -> Response:
    """ListObjects (V1, or V2 with ``list-type=2``: ``start-after``, opaque ``continuation-token``,
    ``KeyCount``, the owner only with ``fetch-owner=true``): keys after ``marker`` under ``prefix``;
    with a ``delimiter``, the keys that have it after the prefix roll up into one ``CommonPrefixes``
    entry each. Keys and prefixes together count against ``max-keys`` (1..1000, default 100); a
    truncated answer's ``NextMarker`` is the last entry given. ``encoding-type=url`` percent-encodes
    every key, prefix, marker and delimiter in the answer, as oss2 asks."""
    v2 = c.q("list-type") == "2"
    prefix, delimiter = c.q("prefix") or "", c.q("delimiter") or ""
    token, start_after = c.q("continuation-token") or "", c.q("start-after") or ""
    if v2:
        resume = _resume_after(token)
        if resume is None:
            raise OssError("InvalidArgument", "The continuation token is invalid.", 400,
                           {"ArgumentName": "continuation-token", "ArgumentValue": token[:64]})
        marker = max(resume, start_after)
    else:
        marker = c.q("marker") or ""
    raw_max = c.q("max-keys") or "100"
    if not (raw_max.isascii() and raw_max.isdigit() and len(raw_max) <= 4 and 1 <= int(raw_max) <= 1000):
        raise OssError("InvalidArgument", "max-keys must be an integer between 1 and 1000.", 400,
                       {"ArgumentName": "max-keys", "ArgumentValue": raw_max[:16]})
    encoding = c.q("encoding-type")
    if encoding not in (None, "url"):
        raise OssError("InvalidArgument", "encoding-type must be url.", 400,
                       {"ArgumentName": "encoding-type", "ArgumentValue": encoding[:16]})
    with c.state.lock:
        keys = sorted(k for k in bucket.objects if k.startswith(prefix) and k > marker)
        entries, truncated = _list_entries(keys, prefix, marker, delimiter, int(raw_max))
        objs = {k: bucket.objects[k] for k, rolled in entries if not rolled}
    enc = _encoder(encoding)
    owner = (f"<Owner><ID>{escape(bucket.name)}-owner</ID><DisplayName>{escape(bucket.name)}-owner</DisplayName>"
             "</Owner>" if not v2 or c.q("fetch-owner") == "true" else "")     # V2 sends the owner only when asked
    items = "".join(f"<Contents><Key>{enc(k)}</Key><LastModified>{_iso(o.last_modified)}</LastModified>"
                    f"<ETag>{escape(o.etag)}</ETag><Type>{o.kind}</Type><Size>{len(o.data)}</Size>"
                    f"<StorageClass>Standard</StorageClass>{owner}</Contents>" for k, o in objs.items())
    items += "".join(f"<CommonPrefixes><Prefix>{enc(p)}</Prefix></CommonPrefixes>" for p, rolled in entries if rolled)
    head = (f"<Name>{escape(bucket.name)}</Name><Prefix>{enc(prefix)}</Prefix>"
            f"<MaxKeys>{int(raw_max)}</MaxKeys><Delimiter>{enc(delimiter)}</Delimiter>"
            + ("<EncodingType>url</EncodingType>" if encoding else ""))
    if v2:
        head += ((f"<ContinuationToken>{escape(token)}</ContinuationToken>" if token else "")
                 + (f"<StartAfter>{enc(start_after)}</StartAfter>" if start_after else ""))
        nxt = (f"<NextContinuationToken>{escape(_continuation_token(entries[-1][0]))}</NextContinuationToken>"
               if truncated else "") + f"<KeyCount>{len(entries)}</KeyCount>"
    else:
        head += f"<Marker>{enc(marker)}</Marker>"
        nxt = f"<NextMarker>{enc(entries[-1][0])}</NextMarker>" if truncated else ""
    xml = (f"{_DECL}<ListBucketResult>{head}<IsTruncated>{str(truncated).lower()}</IsTruncated>{nxt}{items}"
           "</ListBucketResult>")
    return _ok(c, "list objects v2" if v2 else "list objects", xml)


def _encoder(encoding: str | None) -> Callable[[str], str]:
    return (lambda t: escape(quote(t, safe=""))) if encoding == "url" else escape


def _continuation_token(after: str) -> str:
    """An opaque V2 continuation token: where the next page starts (after this entry)."""
    return base64.urlsafe_b64encode(after.encode("utf-8")).decode("ascii")


def _resume_after(token: str) -> str | None:
    """The entry a continuation token resumes after ('' for none), or None if it is not ours."""
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        return None


def _list_entries(keys: list[str], prefix: str, marker: str, delimiter: str,
                  max_keys: int) -> tuple[list[tuple[str, bool]], bool]:
    """(up to ``max_keys`` entries ``(name, is common prefix)`` in order, whether more follow)
    from the sorted ``keys`` after ``marker``. A common prefix at or before the marker was
    already given on an earlier page, so it is not repeated.

        >>> _list_entries(["a/1", "a/2", "b", "c/x"], "", "", "/", 1)
        ([('a/', True)], True)
        >>> _list_entries(["a/1", "a/2", "b", "c/x"], "", "a/", "/", 2)     # the next page
        ([('b', False), ('c/', True)], False)
    """
    entries: list[tuple[str, bool]] = []
    for k in keys:
        cut = k.find(delimiter, len(prefix)) if delimiter else -1
        name = k[:cut + len(delimiter)] if cut >= 0 else k
        if cut >= 0 and (name <= marker or (entries and entries[-1] == (name, True))):
            continue
        if len(entries) == max_keys:
            return entries, True
        entries.append((name, cut >= 0))
    return entries, False


def delete_multiple_objects(c: Call, bucket: Bucket) -> Response:
    root = _parse_xml(c, "Delete")
    quiet = (root.findtext("Quiet") or "false").strip().lower() == "true"
    keys = [o.findtext("Key") or "" for o in root.findall("Object")]
    if not keys or len(keys) > 1000:
        raise OssError("MalformedXML", "A Delete request lists 1 to 1000 objects.", 400)
    if c.q("encoding-type") == "url":
        keys = [unquote(k) for k in keys]
    deleted = be.delete_many(c.state, bucket, keys)
    enc = _encoder(c.q("encoding-type"))
    body = "" if quiet else "".join(f"<Deleted><Key>{enc(k)}</Key></Deleted>" for k in deleted)
    et = "<EncodingType>url</EncodingType>" if c.q("encoding-type") == "url" else ""
    return _ok(c, f"deleted {len(deleted)} objects", f"{_DECL}<DeleteResult>{et}{body}</DeleteResult>")


def post_object(c: Call, bucket: Bucket) -> Response:
    """PostObject: a browser form upload (see :mod:`.postobject`)."""
    form = postobject.parse(c.req, c.state.lookup_oss, bucket.name, c.region, c.now)
    if normalise_key(form.key) is None:
        raise OssError("InvalidObjectName", _MSG["InvalidObjectName"], 400)
    if form.access_key is None and bucket.acl != "public-read-write":
        raise OssError("AccessDenied", "Anonymous access is forbidden for this operation.", 403)
    _no_overwrite(c, bucket, form.key)
    obj = be.put(c.state, bucket, form.key, form.data, form.content_type, c.now, form.meta, form.acl)
    headers = {"ETag": obj.etag, "x-oss-hash-crc64ecma": str(crc64(obj.data)),
               "Content-MD5": base64.b64encode(hashlib.md5(obj.data).digest()).decode()}
    if form.redirect:
        sep = "&" if "?" in form.redirect else "?"
        loc = form.redirect + sep + urlencode({"bucket": bucket.name, "key": form.key, "etag": obj.etag})
        return _ok(c, "post object (redirect)", status=303, headers={**headers, "Location": loc})
    if form.status == 201:
        xml = (f"{_DECL}<PostResponse><Bucket>{escape(bucket.name)}</Bucket>"
               f"<Location>http://{escape(bucket.name)}.oss-{bucket.region}.aliyuncs.com/{escape(quote(form.key))}"
               f"</Location><Key>{escape(form.key)}</Key><ETag>{escape(obj.etag)}</ETag></PostResponse>")
        return _ok(c, "post object", xml, status=201, headers=headers)
    return _ok(c, "post object", status=form.status, headers=headers)


# ---- objects ---------------------------------------------------------------------------------------------
def _copy_source(c: Call, header: str = "x-oss-copy-source") -> tuple[Bucket, str]:
    raw = unquote((c.req.header(header) or "").split("?", 1)[0])
    sb, _, sk = raw.lstrip("/").partition("/")
    src = c.state.bucket(sb)
    if src is None:
        raise OssError("NoSuchBucket", "The specified bucket does not exist.", 404, {"BucketName": sb[:64]},
                       ec="0015-00000101")
    if normalise_key(sk) is None:
        raise OssError("InvalidArgument", "x-oss-copy-source is not /<bucket>/<key>.", 400,
                       {"ArgumentName": "x-oss-copy-source"})
    if not _signed(c) and be.effective_acl(src, src.objects.get(sk)) not in ("public-read", "public-read-write"):
        # an anonymous writer may copy only what it could read: never a private object into a public bucket
        raise OssError("AccessDenied", _MSG["AccessDenied"], 403, ec="0003-00000001")
    return src, sk


def _object_crc_headers(obj: OssObject) -> dict[str, str]:
    return {"ETag": obj.etag, "x-oss-hash-crc64ecma": str(crc64(obj.data))}


def put_object(c: Call, bucket: Bucket, key: str) -> Response:
    if c.req.header("x-oss-copy-source") is not None:
        return copy_object(c, bucket, key)
    _no_overwrite(c, bucket, key)
    tags = _tags_header(c.req.header("x-oss-tagging"))
    obj = be.put(c.state, bucket, key, c.req.body, _ctype(c), c.now, _meta(c), c.req.header("x-oss-object-acl"), tags)
    return _ok(c, "stored", headers={**_object_crc_headers(obj),
                                     "Content-MD5": base64.b64encode(hashlib.md5(obj.data).digest()).decode()})


def _tags_header(text: str | None) -> list[tuple[str, str]]:
    if not text:
        return []
    from urllib.parse import parse_qsl
    return parse_qsl(text, keep_blank_values=True)


def copy_object(c: Call, bucket: Bucket, key: str) -> Response:
    src_bucket, src_key = _copy_source(c)
    directive = (c.req.header("x-oss-metadata-directive") or "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise OssError("InvalidArgument", "x-oss-metadata-directive is COPY or REPLACE.", 400)
    _no_overwrite(c, bucket, key)
    obj = be.copy(c.state, src_bucket, src_key, bucket, key, c.now, replace_meta=directive == "REPLACE",
                  content_type=c.req.header("Content-Type"), meta=_meta(c), acl=c.req.header("x-oss-object-acl"))
    xml = (f"{_DECL}<CopyObjectResult><ETag>{escape(obj.etag)}</ETag>"
           f"<LastModified>{_iso(obj.last_modified)}</LastModified></CopyObjectResult>")
    return _ok(c, f"copied from {src_bucket.name}/{src_key}", xml, headers=_object_crc_headers(obj))


def append_object(c: Call, bucket: Bucket, key: str) -> Response:
    pos = c.q("position")
    if pos is None or not (pos.isascii() and pos.isdigit()):
        raise OssError("InvalidArgument", "position must be a non-negative integer.", 400,
                       {"ArgumentName": "position", "ArgumentValue": (pos or "")[:32]})
    obj = be.append(c.state, bucket, key, int(pos), c.req.body, _ctype(c), c.now, _meta(c),
                    c.req.header("x-oss-object-acl"))
    return _ok(c, f"appended at {pos}", headers={**_object_crc_headers(obj),
                                                 "x-oss-next-append-position": str(len(obj.data))})


def delete_object(c: Call, bucket: Bucket, key: str) -> Response:
    c.state.delete_object(bucket, key)
    return _ok(c, "deleted", status=204)


def _object_headers(link: OssObject, obj: OssObject) -> dict[str, str]:
    h = {"ETag": obj.etag, "Last-Modified": _http_date(obj.last_modified), "x-oss-object-type": link.kind,
         "x-oss-storage-class": "Standard", "Accept-Ranges": "bytes", "x-oss-hash-crc64ecma": str(crc64(obj.data))}
    if obj.kind == "Appendable":
        h["x-oss-next-append-position"] = str(len(obj.data))
    if link.tags:
        h["x-oss-tagging-count"] = str(len(link.tags))
    for k, v in obj.meta:
        h[k] = v
    return h


_RESPONSE_OVERRIDES = {"response-content-type": "Content-Type", "response-content-language": "Content-Language",
                       "response-cache-control": "Cache-Control", "response-content-encoding": "Content-Encoding",
                       "response-expires": "Expires", "response-content-disposition": "Content-Disposition"}


def get_object(c: Call, bucket: Bucket, key: str) -> Response:
    process = c.q("x-oss-process")
    try:
        link, obj = be.resolve(c.state, bucket, key)
    except OssError as e:
        if process is not None:
            e.ec = "0040-00000024"
        raise
    if process is not None:
        return _processed(c, bucket, obj, process)
    size = len(obj.data)
    span = _byte_range(c.req.header("Range"), size,
                       standard=(c.req.header("x-oss-range-behavior") or "").lower() == "standard")
    if span == "unsatisfiable":
        raise OssError("InvalidRange", _MSG["InvalidRange"], 416,
                       {"RangeRequested": c.req.header("Range") or "", "ActualObjectSize": str(size)})
    headers = _object_headers(link, obj)
    start, stop, status = (0, size, 200) if span is None else (*span, 206)
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    ctype = obj.content_type
    for q, h in _RESPONSE_OVERRIDES.items():
        if c.q(q) is not None:
            if h == "Content-Type":
                ctype = c.q(q) or ctype
            else:
                headers[h] = c.q(q) or ""
    c.verdict(None, "object" if status == 200 else f"object bytes {start}-{stop - 1}")
    resp = Response(obj.data[start:stop] if c.method == "GET" else b"", status=status, content_type=ctype,
                    headers={"x-oss-request-id": oss_request_id(), "Server": "AliyunOSS", **headers})
    resp.headers["Content-Length"] = str(stop - start)
    return resp


head_object = get_object


def get_object_meta(c: Call, bucket: Bucket, key: str) -> Response:
    obj = be.object_of(c.state, bucket, key)
    resp = _ok(c, "object meta", headers={"ETag": obj.etag, "Last-Modified": _http_date(obj.last_modified)})
    resp.headers["Content-Length"] = str(len(obj.data))
    return resp


def put_object_acl(c: Call, bucket: Bucket, key: str) -> Response:
    acl = c.req.header("x-oss-object-acl")
    if acl is None:
        raise OssError("InvalidArgument", "x-oss-object-acl is missing.", 400, {"ArgumentName": "x-oss-object-acl"})
    be.set_object_acl(c.state, bucket, key, acl)
    return _ok(c, f"object acl {acl}")


def get_object_acl(c: Call, bucket: Bucket, key: str) -> Response:
    return _ok(c, "object acl", _acl_xml(be.object_of(c.state, bucket, key).acl))


def put_object_tagging(c: Call, bucket: Bucket, key: str) -> Response:
    root = _parse_xml(c, "Tagging")
    tags = [(t.findtext("Key") or "", t.findtext("Value") or "") for t in root.findall("TagSet/Tag")]
    be.set_tags(c.state, bucket, key, tags)
    return _ok(c, f"{len(tags)} tags")


def get_object_tagging(c: Call, bucket: Bucket, key: str) -> Response:
    obj = be.object_of(c.state, bucket, key)
    tags = "".join(f"<Tag><Key>{escape(k)}</Key><Value>{escape(v)}</Value></Tag>" for k, v in obj.tags)
    return _ok(c, "tags", f"{_DECL}<Tagging><TagSet>{tags}</TagSet></Tagging>")


def delete_object_tagging(c: Call, bucket: Bucket, key: str) -> Response:
    be.set_tags(c.state, bucket, key, [])
    return _ok(c, "tags deleted", status=204)


def put_symlink(c: Call, bucket: Bucket, key: str) -> Response:
    target = c.req.header("x-oss-symlink-target")
    if not target:
        raise OssError("InvalidArgument", "x-oss-symlink-target is missing.", 400,
                       {"ArgumentName": "x-oss-symlink-target"})
    _no_overwrite(c, bucket, key)
    obj = be.put_symlink(c.state, bucket, key, unquote(target), c.now, _ctype(c), _meta(c),
                         c.req.header("x-oss-object-acl"))
    return _ok(c, f"symlink to {obj.target}", headers={"ETag": obj.etag})


def get_symlink(c: Call, bucket: Bucket, key: str) -> Response:
    obj = be.object_of(c.state, bucket, key)
    if obj.kind != "Symlink" or obj.target is None:
        raise OssError("NotSymlink", "The specified object is not a symlink.", 400)
    return _ok(c, "symlink", headers={"x-oss-symlink-target": quote(obj.target, safe=""), "ETag": obj.etag,
                                      "Last-Modified": _http_date(obj.last_modified)})


# ---- multipart ----------------------------------------------------------------------------------------------
def initiate_multipart_upload(c: Call, bucket: Bucket, key: str) -> Response:
    up = be.initiate(c.state, bucket, key, c.now, _ctype(c), _meta(c), c.req.header("x-oss-object-acl"))
    enc = _encoder(c.q("encoding-type"))
    et = "<EncodingType>url</EncodingType>" if c.q("encoding-type") == "url" else ""
    xml = (f"{_DECL}<InitiateMultipartUploadResult>{et}<Bucket>{escape(bucket.name)}</Bucket><Key>{enc(key)}</Key>"
           f"<UploadId>{up.upload_id}</UploadId></InitiateMultipartUploadResult>")
    return _ok(c, f"upload {up.upload_id} initiated", xml)


def upload_part(c: Call, bucket: Bucket, key: str) -> Response:
    number = be.part_number(c.q("partNumber"))
    upload_id = c.q("uploadId") or ""
    if c.req.header("x-oss-copy-source") is None:
        part = be.upload_part(c.state, bucket, key, upload_id, number, c.req.body, c.now)
        md5 = base64.b64encode(hashlib.md5(part.data).digest()).decode()
        return _ok(c, f"part {number}", headers={"ETag": part.etag, "x-oss-hash-crc64ecma": str(crc64(part.data)),
                                                  "Content-MD5": md5})
    src_bucket, src_key = _copy_source(c)
    be.upload_of(c.state, bucket, key, upload_id)
    _, src = be.resolve(c.state, src_bucket, src_key)
    data = src.data
    rng = c.req.header("x-oss-copy-source-range")
    if rng is not None:
        span = _byte_range(rng, len(data), standard=True)
        if not isinstance(span, tuple):
            raise OssError("InvalidArgument", "x-oss-copy-source-range is not a byte range inside the source.", 400,
                           {"ArgumentName": "x-oss-copy-source-range", "ArgumentValue": rng[:64]})
        data = data[span[0]:span[1]]
    part = be.upload_part(c.state, bucket, key, upload_id, number, data, c.now)
    xml = (f"{_DECL}<CopyPartResult><LastModified>{_iso(part.last_modified)}</LastModified>"
           f"<ETag>{escape(part.etag)}</ETag></CopyPartResult>")
    return _ok(c, f"part {number} copied", xml, headers={"ETag": part.etag,
                                                          "x-oss-hash-crc64ecma": str(crc64(part.data))})


def complete_multipart_upload(c: Call, bucket: Bucket, key: str) -> Response:
    upload_id = c.q("uploadId") or ""
    listed: list[tuple[int, str]] | None
    if (c.req.header("x-oss-complete-all") or "").lower() == "yes":
        if c.req.body:
            raise OssError("InvalidArgument", "With x-oss-complete-all: yes the body must be empty.", 400)
        listed = None
    else:
        root = _parse_xml(c, "CompleteMultipartUpload")
        listed = []
        for p in root.findall("Part"):
            n = (p.findtext("PartNumber") or "").strip()
            listed.append((be.part_number(n), (p.findtext("ETag") or "").strip()))
    _no_overwrite(c, bucket, key)
    obj = be.complete(c.state, bucket, key, upload_id, listed, c.now)
    enc = _encoder(c.q("encoding-type"))
    et = "<EncodingType>url</EncodingType>" if c.q("encoding-type") == "url" else ""
    xml = (f"{_DECL}<CompleteMultipartUploadResult>{et}<Location>http://{escape(bucket.name)}.oss-{bucket.region}"
           f".aliyuncs.com/{escape(quote(key))}</Location><Bucket>{escape(bucket.name)}</Bucket><Key>{enc(key)}</Key>"
           f"<ETag>{escape(obj.etag)}</ETag></CompleteMultipartUploadResult>")
    return _ok(c, f"upload {upload_id} completed", xml, headers=_object_crc_headers(obj))


def abort_multipart_upload(c: Call, bucket: Bucket, key: str) -> Response:
    be.abort(c.state, bucket, key, c.q("uploadId") or "")
    return _ok(c, "upload aborted", status=204)


def _int_q(c: Call, name: str, default: int, top: int) -> int:
    raw = c.q(name)
    if not raw:                                         # oss2 sends part-number-marker= empty
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and 0 <= int(raw) <= top):
        raise OssError("InvalidArgument", f"{name} must be an integer between 0 and {top}.", 400,
                       {"ArgumentName": name, "ArgumentValue": raw[:16]})
    return int(raw)


def list_parts(c: Call, bucket: Bucket, key: str) -> Response:
    upload_id = c.q("uploadId") or ""
    up = be.upload_of(c.state, bucket, key, upload_id)
    max_parts = _int_q(c, "max-parts", 1000, 1000) or 1000
    marker = _int_q(c, "part-number-marker", 0, be.MAX_PARTS)
    with c.state.lock:
        parts = sorted((n, p) for n, p in up.parts.items() if n > marker)
    page, truncated = parts[:max_parts], len(parts) > max_parts
    items = "".join(f"<Part><PartNumber>{n}</PartNumber><LastModified>{_iso(p.last_modified)}</LastModified>"
                    f"<ETag>{escape(p.etag)}</ETag><HashCrc64ecma>{crc64(p.data)}</HashCrc64ecma>"
                    f"<Size>{len(p.data)}</Size></Part>" for n, p in page)
    nxt = page[-1][0] if page else marker
    enc = _encoder(c.q("encoding-type"))
    xml = (f"{_DECL}<ListPartsResult><Bucket>{escape(bucket.name)}</Bucket><Key>{enc(key)}</Key>"
           f"<UploadId>{upload_id}</UploadId><PartNumberMarker>{marker}</PartNumberMarker>"
           f"<NextPartNumberMarker>{nxt}</NextPartNumberMarker><MaxParts>{max_parts}</MaxParts>"
           f"<IsTruncated>{str(truncated).lower()}</IsTruncated>{items}</ListPartsResult>")
    return _ok(c, f"{len(page)} parts", xml)


def list_multipart_uploads(c: Call, bucket: Bucket) -> Response:
    prefix, key_marker = c.q("prefix") or "", c.q("key-marker") or ""
    id_marker = c.q("upload-id-marker") or ""
    max_uploads = _int_q(c, "max-uploads", 1000, 1000) or 1000
    with c.state.lock:
        ups = sorted((u.key, u.upload_id, u.initiated) for u in bucket.uploads.values()
                      if u.key.startswith(prefix) and (u.key, u.upload_id) > (key_marker, id_marker))
    page, truncated = ups[:max_uploads], len(ups) > max_uploads
    enc = _encoder(c.q("encoding-type"))
    items = "".join(f"<Upload><Key>{enc(k)}</Key><UploadId>{u}</UploadId><StorageClass>Standard</StorageClass>"
                    f"<Initiated>{_iso(t)}</Initiated></Upload>" for k, u, t in page)
    nk, nu = (page[-1][0], page[-1][1]) if truncated else ("", "")
    et = "<EncodingType>url</EncodingType>" if c.q("encoding-type") == "url" else ""
    xml = (f"{_DECL}<ListMultipartUploadsResult>{et}<Bucket>{escape(bucket.name)}</Bucket>"
           f"<KeyMarker>{enc(key_marker)}</KeyMarker><UploadIdMarker>{escape(id_marker)}</UploadIdMarker>"
           f"<NextKeyMarker>{enc(nk)}</NextKeyMarker><NextUploadIdMarker>{nu}</NextUploadIdMarker>"
           f"<Delimiter></Delimiter><Prefix>{enc(prefix)}</Prefix><MaxUploads>{max_uploads}</MaxUploads>"
           f"<IsTruncated>{str(truncated).lower()}</IsTruncated>{items}</ListMultipartUploadsResult>")
    return _ok(c, f"{len(page)} uploads", xml)


# ---- image processing ----------------------------------------------------------------------------------------
def _byte_range(header: str | None, size: int, *, standard: bool) -> tuple[int, int] | str | None:
    """OSS's answer to a Range header: ``(start, stop)`` for 206, ``None`` for the whole object
    (200), or ``"unsatisfiable"`` (416). By default OSS ignores a malformed or out-of-range Range
    and uses only the first of several; with ``x-oss-range-behavior: standard`` an end past the
    object is clipped and a start past it, or several ranges, is 416 InvalidRange."""
    if not header:
        return None
    parsed = parse_range_header(header)
    if parsed is None or parsed.units != "bytes" or not parsed.ranges:
        return None
    if len(parsed.ranges) > 1 and standard:
        return "unsatisfiable"
    start, stop = parsed.ranges[0]
    if stop is None and start < 0:                      # the last n bytes
        if -start <= size:
            return size + start, size
        return (0, size) if standard and size else None
    if start >= size:
        return "unsatisfiable" if standard else None
    if stop is None:
        return start, size
    if stop > size:
        return (start, size) if standard else None
    return start, stop


def _render(c: Call, bucket: Bucket, data: bytes, text: str, *, post: bool) -> tuple[tuple[bytes, str], Process]:
    from ...services.oss_apply import (
        render,  # Pillow; imported on first processed request
    )

    try:
        proc = Process.parse(text)
    except ProcessSyntaxError as e:
        raise _process_error(e) from None
    if proc.save_as is not None and not post:
        raise OssError("InvalidArgument", "sys/saveas is only allowed in the body of a POST request.", 400)

    def fetch(key: str) -> bytes:
        with c.state.lock:
            o = bucket.objects.get(key)
        if o is None:
            raise KeyError(key)
        return o.data

    try:
        return render(Process(proc.actions, proc.style_name), data, fetch=fetch, styles=bucket.styles), proc
    except ImgxError as e:
        raise _process_error(e) from None


def _process_error(e: Exception) -> OssError:
    code = getattr(e, "code", None) or "InvalidArgument"
    status = getattr(e, "status", None) or 400
    msg = getattr(e, "reason", None) or getattr(e, "message", None) or str(e)
    return OssError(str(code), str(msg), int(status), ec=getattr(e, "ec", None))


def _processed(c: Call, bucket: Bucket, obj: OssObject, process: str) -> Response:
    (data, ctype), _ = _render(c, bucket, obj.data, process, post=False)
    return _ok(c, f"processed: {process}", data, content_type=ctype,
               headers={"Last-Modified": _http_date(obj.last_modified)})


def process_object(c: Call, bucket: Bucket, key: str) -> Response:
    try:
        body = c.req.body.decode("utf-8")
    except UnicodeDecodeError:
        body = ""
    if not body.startswith("x-oss-process="):
        raise OssError("InvalidArgument", "The body must be x-oss-process=<process>|sys/saveas,o_…", 400)
    with c.state.lock:
        obj = bucket.objects.get(key)
    if obj is None:
        raise OssError("NoSuchKey", _MSG["NoSuchKey"], 404, {"Key": key}, ec="0040-00000024")
    (data, ctype), proc = _render(c, bucket, obj.data, unquote(body[len("x-oss-process="):]), post=True)
    if proc.save_as is None:
        raise OssError("InvalidArgument", "POST x-oss-process needs |sys/saveas,o_….", 400)
    target_name = proc.save_as.bucket or bucket.name
    target = c.state.bucket(target_name)
    if target is None:
        raise OssError("NoSuchBucket", _MSG["NoSuchBucket"], 404, {"BucketName": target_name}, ec="0015-00000101")
    tkey = normalise_key(proc.save_as.object)
    if tkey is None:
        raise OssError("InvalidObjectName", _MSG["InvalidObjectName"], 400)
    c.state.put_object(target, tkey, data, ctype, c.now)
    # "bucket" echoes b_ only: it is "" when the target defaulted to the source bucket (§1.4)
    out = json.dumps({"bucket": proc.save_as.bucket or "", "fileSize": len(data), "object": tkey, "status": "OK"})
    return _ok(c, f"saved as {target_name}/{tkey}", out.encode(), content_type="application/json")
