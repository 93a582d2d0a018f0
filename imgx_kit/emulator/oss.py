"""Aliyun OSS, path-style (``/<bucket>/<key>``, as oss2 addresses IP endpoints): ``PUT``/
``GET``/``HEAD``/``DELETE`` objects, ``PUT``/``GET`` buckets, ``x-oss-process`` (image actions,
styles) and ``POST ?x-oss-process`` with ``sys/saveas``. V1 and V4, header and signed URL, are
verified by :func:`imgx_kit.core.oss_sign.verify`; errors are OSS XML. Whole objects carry
``x-oss-hash-crc64ecma``; ``Range`` follows OSS (one range; a bad or out-of-range one is ignored
unless ``x-oss-range-behavior: standard`` asks for 416 ``InvalidRange``).

``SignatureDoesNotMatch`` carries OSS's real ``StringToSign``, ``StringToSignBytes``,
``SignatureProvided`` and ``OSSAccessKeyId``; in teaching mode V4 answers add ``CanonicalRequest``.
"""
from __future__ import annotations

import base64
import hashlib
import json
from email.utils import formatdate
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from werkzeug.http import parse_range_header
from werkzeug.wrappers import Response

from ..core import oss_sign
from ..core.errors import ImgxError, ProcessSyntaxError
from ..core.oss_process import Process
from ..core.signer import parse_authorization
from ..services.images import crc64   # x-oss-hash-crc64ecma, which oss2 checks on whole-object PUT/GET
from .context import Ctx
from .envelopes import oss_error, oss_request_id, xml_response
from .faults import Fault
from .state import Bucket, normalise_key, valid_bucket_name

__all__ = ["handle", "fault_response", "internal_error", "bad_request", "too_large", "max_body"]

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
}
_EC = {"NoSuchBucket": "0015-00000101", "NoSuchKey": "0026-00000001"}


def max_body(emu) -> int:
    return emu.max_body_oss


def _split(ctx: Ctx) -> tuple[str, str | None]:
    """(bucket, decoded key or None) from the path-style path."""
    raw = ctx.path[1:] if ctx.path.startswith("/") else ctx.path
    bucket, slash, key = raw.partition("/")
    return unquote(bucket), (unquote(key) if slash and key else None)


def _host_id(ctx: Ctx, bucket: str | None) -> str:
    region = ctx.emu.oss_region
    return f"{bucket}.oss-{region}.aliyuncs.com" if bucket else f"oss-{region}.aliyuncs.com"


def _err(ctx: Ctx, code: str, message: str | None = None, *, extra: dict | None = None,
         ec: str | None = None, status: int | None = None, bucket: str | None = None,
         head: bool = False) -> Response:
    msg = message or _MSG.get(code, code)
    ctx.verdict(code, msg)
    rid = oss_request_id()
    st, xml = oss_error(code, msg, request_id=rid, host_id=_host_id(ctx, bucket),
                        extra=extra, ec=ec or _EC.get(code), status=status)
    resp = xml_response(st, xml, {"x-oss-request-id": rid, "x-oss-ec": ec or _EC.get(code) or ""})
    if head or ctx.req.method == "HEAD":
        resp.set_data(b"")
    return resp


def fault_response(ctx: Ctx, fault: Fault) -> Response:
    if fault.throttle:
        return _err(ctx, "SlowDown", status=503 if fault.status is None else fault.status)
    st = fault.status or 500
    return _err(ctx, "InternalError" if st < 503 else "ServiceUnavailable", status=st)


def internal_error(ctx: Ctx) -> Response:
    return _err(ctx, "InternalError")


def bad_request(ctx: Ctx, why: str) -> Response:
    return _err(ctx, "InvalidRequest", f"The request is invalid: {why}.")


def too_large(ctx: Ctx) -> Response:
    return _err(ctx, "EntityTooLarge")


def handle(ctx: Ctx) -> Response:
    req = ctx.req
    bucket_name, key = _split(ctx)
    if not bucket_name:
        return _verified(ctx, None, None) or _list_buckets(ctx)
    bucket = ctx.emu.state.bucket(bucket_name)
    if key is None and req.method == "PUT":
        return _put_bucket(ctx, bucket_name, bucket)
    if bucket is None:
        return _err(ctx, "NoSuchBucket", bucket=bucket_name, extra={"BucketName": bucket_name})
    if key is not None and normalise_key(key) is None:
        return _err(ctx, "InvalidObjectName", bucket=bucket_name)
    denied = _verified(ctx, bucket_name, key)
    if denied is not None:
        return denied
    if key is None:
        if req.method in ("GET", "HEAD"):
            return _list_objects(ctx, bucket)
        return _err(ctx, "MethodNotAllowed", bucket=bucket_name)
    if req.method == "PUT":
        return _put_object(ctx, bucket, key)
    if req.method in ("GET", "HEAD"):
        return _get_object(ctx, bucket, key)
    if req.method == "DELETE":
        ctx.emu.state.delete_object(bucket, key)
        ctx.verdict(None, "deleted")
        return Response(b"", status=204, headers={"x-oss-request-id": oss_request_id()})
    if req.method == "POST" and ctx.has_q("x-oss-process"):
        return _save_as(ctx, bucket, key)
    return _err(ctx, "MethodNotAllowed", bucket=bucket_name)


# ---- authentication ------------------------------------------------------------------------------
def _provided(ctx: Ctx) -> tuple[str, str]:
    """(access key, signature) the request carries, for the error body."""
    auth = ctx.req.header("Authorization") or ""
    if auth.startswith("OSS "):
        ak, _, sig = auth[4:].rpartition(":")
        return ak, sig
    p = parse_authorization(auth) if auth else None
    if p is not None:
        return p.access_key, p.signature
    ak = ctx.q("OSSAccessKeyId") or (ctx.q("x-oss-credential") or "").split("/")[0]
    return ak, ctx.q("Signature") or ctx.q("x-oss-signature") or ""


def _verified(ctx: Ctx, bucket: str | None, key: str | None) -> Response | None:
    emu = ctx.emu
    v = oss_sign.verify(ctx.req, emu.state.lookup_oss, bucket or "", key, region=emu.oss_region,
                        now=ctx.now, max_skew=emu.max_skew)
    v4 = (ctx.req.header("Authorization") or "").startswith("OSS4-") or ctx.has_q("x-oss-signature-version")
    scheme = "OSS4" if v4 else "OSS"
    ctx.verdict(v.code, v.message, v.expected, scheme)
    if v.ok:
        return None
    code = v.code or "AccessDenied"
    extra: dict[str, str] = {}
    message = v.message
    if code == "SignatureDoesNotMatch":
        t = v.expected
        ak, sig = _provided(ctx)
        sts = getattr(t, "string_to_sign", "") or ""
        if v4 and emu.teaching and t is not None:
            extra["CanonicalRequest"] = t.canonical_request
        extra["StringToSign"] = sts
        extra["StringToSignBytes"] = " ".join(f"{b:02X}" for b in sts.encode("utf-8"))
        extra["SignatureProvided"] = sig
        extra["OSSAccessKeyId"] = ak
        message = ("The request signature we calculated does not match the signature you provided. "
                   "Check your key and signing method.")
        generic = v.message.startswith("The request signature we calculated does not match")
        if emu.teaching and not generic:
            extra["Reason"] = v.message
    elif code == "InvalidAccessKeyId":
        extra["OSSAccessKeyId"] = _provided(ctx)[0]
    resp = _err(ctx, code, message, extra=extra, status=v.status if v.status >= 400 else None,
                bucket=bucket)
    ctx.trace = v.expected
    return resp


# ---- buckets ---------------------------------------------------------------------------------------
def _put_bucket(ctx: Ctx, name: str, existing: Bucket | None) -> Response:
    if not valid_bucket_name(name):
        return _err(ctx, "InvalidBucketName", bucket=name, extra={"BucketName": name})
    denied = _verified(ctx, name, None)
    if denied is not None:
        return denied
    if existing is None:
        ctx.emu.state.create_bucket(name, ctx.emu.oss_region, ctx.now)
    ctx.verdict(None, "bucket created" if existing is None else "bucket exists (yours)")
    return Response(b"", status=200, headers={"x-oss-request-id": oss_request_id(),
                                               "Location": f"/{name}"})


def _list_buckets(ctx: Ctx) -> Response:
    with ctx.emu.state.lock:
        buckets = sorted(ctx.emu.state.buckets.values(), key=lambda b: b.name)
    items = "".join(f"<Bucket><CreationDate>{b.created:%Y-%m-%dT%H:%M:%S.000Z}</CreationDate>"
                    f"<Location>oss-{b.region}</Location><Name>{escape(b.name)}</Name>"
                    f"<Region>{b.region}</Region></Bucket>" for b in buckets)
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult><Owner><ID>imgx</ID>'
           f"<DisplayName>imgx</DisplayName></Owner><Buckets>{items}</Buckets></ListAllMyBucketsResult>")
    ctx.verdict(None, "list buckets")
    return xml_response(200, xml, {"x-oss-request-id": oss_request_id()})


def _list_objects(ctx: Ctx, bucket: Bucket) -> Response:
    """ListObjects (V1, or V2 with ``list-type=2``: ``start-after``, opaque ``continuation-token``,
    ``KeyCount``, the owner only with ``fetch-owner=true``): keys after ``marker`` under ``prefix``; with a ``delimiter``, the keys
    that have it after the prefix roll up into one ``CommonPrefixes`` entry each. Keys and
    prefixes together count against ``max-keys`` (1..1000, default 100); a truncated answer's
    ``NextMarker`` is the last entry given (a key or a common prefix). ``encoding-type=url``
    percent-encodes every key, prefix, marker and delimiter in the answer, as oss2 asks."""
    v2 = ctx.q("list-type") == "2"
    prefix, delimiter = ctx.q("prefix") or "", ctx.q("delimiter") or ""
    token, start_after = ctx.q("continuation-token") or "", ctx.q("start-after") or ""
    if v2:
        resume = _resume_after(token)
        if resume is None:
            return _err(ctx, "InvalidArgument", "The continuation token is invalid.", bucket=bucket.name,
                        extra={"ArgumentName": "continuation-token", "ArgumentValue": token[:64]})
        marker = max(resume, start_after)
    else:
        marker = ctx.q("marker") or ""
    raw_max = ctx.q("max-keys") or "100"
    if not (raw_max.isascii() and raw_max.isdigit() and len(raw_max) <= 4 and 1 <= int(raw_max) <= 1000):
        return _err(ctx, "InvalidArgument", "max-keys must be an integer between 1 and 1000.",
                    bucket=bucket.name, extra={"ArgumentName": "max-keys", "ArgumentValue": raw_max})
    encoding = ctx.q("encoding-type")
    if encoding not in (None, "url"):
        return _err(ctx, "InvalidArgument", "encoding-type must be url.", bucket=bucket.name,
                    extra={"ArgumentName": "encoding-type", "ArgumentValue": encoding})
    with ctx.emu.state.lock:
        keys = sorted(k for k in bucket.objects if k.startswith(prefix) and k > marker)
        entries, truncated = _list_entries(keys, prefix, marker, delimiter, int(raw_max))
        objs = {k: bucket.objects[k] for k, rolled in entries if not rolled}
    enc = (lambda t: escape(quote(t, safe=""))) if encoding == "url" else escape
    owner = (f"<Owner><ID>{escape(bucket.name)}-owner</ID><DisplayName>{escape(bucket.name)}-owner</DisplayName></Owner>"
             if not v2 or ctx.q("fetch-owner") == "true" else "")     # V2 sends the owner only when asked
    items = "".join(f"<Contents><Key>{enc(k)}</Key><LastModified>{o.last_modified:%Y-%m-%dT%H:%M:%S.000Z}"
                    f"</LastModified><ETag>{escape(o.etag)}</ETag><Type>Normal</Type><Size>{len(o.data)}</Size>"
                    f"<StorageClass>Standard</StorageClass>{owner}</Contents>" for k, o in objs.items())
    items += "".join(f"<CommonPrefixes><Prefix>{enc(p)}</Prefix></CommonPrefixes>" for p, rolled in entries if rolled)
    head = (f"<Name>{escape(bucket.name)}</Name><Prefix>{enc(prefix)}</Prefix>"
            f"<MaxKeys>{int(raw_max)}</MaxKeys><Delimiter>{enc(delimiter)}</Delimiter>"
            + ("<EncodingType>url</EncodingType>" if encoding else ""))
    if v2:
        head += (f"<ContinuationToken>{escape(token)}</ContinuationToken>" if token else "") + \
                (f"<StartAfter>{enc(start_after)}</StartAfter>" if start_after else "")
        nxt = (f"<NextContinuationToken>{escape(_continuation_token(entries[-1][0]))}</NextContinuationToken>"
               if truncated else "") + f"<KeyCount>{len(entries)}</KeyCount>"
    else:
        head += f"<Marker>{enc(marker)}</Marker>"
        nxt = f"<NextMarker>{enc(entries[-1][0])}</NextMarker>" if truncated else ""
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>'
           f"{head}<IsTruncated>{str(truncated).lower()}</IsTruncated>{nxt}{items}</ListBucketResult>")
    ctx.verdict(None, "list objects v2" if v2 else "list objects")
    resp = xml_response(200, xml, {"x-oss-request-id": oss_request_id()})
    if ctx.req.method == "HEAD":
        resp.set_data(b"")
    return resp


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


# ---- objects ---------------------------------------------------------------------------------------
def _put_object(ctx: Ctx, bucket: Bucket, key: str) -> Response:
    req = ctx.req
    md5 = req.header("Content-MD5")
    if md5 is not None and md5.strip() != base64.b64encode(hashlib.md5(req.body).digest()).decode():
        return _err(ctx, "InvalidDigest", bucket=bucket.name)
    if ctx.has_q("x-oss-process"):
        return _err(ctx, "InvalidArgument", "x-oss-process is not allowed on PUT.", bucket=bucket.name)
    meta = tuple((k.lower(), v) for k, v in req.headers if k.lower().startswith("x-oss-meta-"))
    ctype = req.header("Content-Type") or "application/octet-stream"
    obj = ctx.emu.state.put_object(bucket, key, req.body, ctype, ctx.now, meta)
    ctx.verdict(None, "stored")
    return Response(b"", status=200, headers={"ETag": obj.etag, "x-oss-request-id": oss_request_id(),
                                               "Content-MD5": base64.b64encode(hashlib.md5(req.body).digest()).decode(),
                                               "x-oss-hash-crc64ecma": str(crc64(req.body))})


def _object_headers(obj, rid: str) -> dict:
    h = {"ETag": obj.etag, "Last-Modified": formatdate(obj.last_modified.timestamp(), usegmt=True),
         "x-oss-request-id": rid, "x-oss-object-type": "Normal", "x-oss-storage-class": "Standard",
         "Accept-Ranges": "bytes", "x-oss-hash-crc64ecma": str(crc64(obj.data))}
    for k, v in obj.meta:
        h[k] = v
    return h


def _get_object(ctx: Ctx, bucket: Bucket, key: str) -> Response:
    with ctx.emu.state.lock:
        obj = bucket.objects.get(key)
    process = ctx.q("x-oss-process")
    if obj is None:
        return _err(ctx, "NoSuchKey", bucket=bucket.name, extra={"Key": key},
                    ec="0040-00000024" if process is not None else None)
    rid = oss_request_id()
    if process is None:
        size = len(obj.data)
        span = _byte_range(ctx.req.header("Range"), size,
                           standard=(ctx.req.header("x-oss-range-behavior") or "").lower() == "standard")
        if span == "unsatisfiable":
            return _err(ctx, "InvalidRange", bucket=bucket.name,
                        extra={"RangeRequested": ctx.req.header("Range"), "ActualObjectSize": str(size)})
        headers = _object_headers(obj, rid)
        start, stop, status = (0, size, 200) if span is None else (*span, 206)
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
        ctx.verdict(None, "object" if status == 200 else f"object bytes {start}-{stop - 1}")
        resp = Response(obj.data[start:stop] if ctx.req.method == "GET" else b"", status=status,
                        content_type=obj.content_type, headers=headers)
        resp.headers["Content-Length"] = str(stop - start)
        return resp
    result = _render(ctx, bucket, obj.data, process, post=False)
    if isinstance(result, Response):
        return result
    (data, ctype), _ = result
    ctx.verdict(None, f"processed: {process}")
    return Response(data if ctx.req.method == "GET" else b"", status=200, content_type=ctype,
                    headers={"x-oss-request-id": rid, "Last-Modified": formatdate(obj.last_modified.timestamp(), usegmt=True)})


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


def _render(ctx: Ctx, bucket: Bucket, data: bytes, text: str, *, post: bool):
    from ..services.oss_apply import render   # Pillow; imported on first processed request

    try:
        proc = Process.parse(text)
    except ProcessSyntaxError as e:
        return _process_error(ctx, bucket, e)
    if proc.save_as is not None and not post:
        return _err(ctx, "InvalidArgument", "sys/saveas is only allowed in the body of a POST request.",
                    bucket=bucket.name)

    def fetch(key: str) -> bytes:
        with ctx.emu.state.lock:
            o = bucket.objects.get(key)
        if o is None:
            raise KeyError(key)
        return o.data

    try:
        return render(Process(proc.actions, proc.style_name), data, fetch=fetch, styles=bucket.styles), proc
    except ImgxError as e:
        return _process_error(ctx, bucket, e)


def _process_error(ctx: Ctx, bucket: Bucket, e: Exception) -> Response:
    code = getattr(e, "code", None) or "InvalidArgument"
    status = getattr(e, "status", None) or 400
    msg = getattr(e, "reason", None) or getattr(e, "message", None) or str(e)
    return _err(ctx, code, str(msg), ec=getattr(e, "ec", None), status=status, bucket=bucket.name)


def _save_as(ctx: Ctx, bucket: Bucket, key: str) -> Response:
    try:
        body = ctx.req.body.decode("utf-8")
    except UnicodeDecodeError:
        body = ""
    if not body.startswith("x-oss-process="):
        return _err(ctx, "InvalidArgument", "The body must be x-oss-process=<process>|sys/saveas,o_…",
                    bucket=bucket.name)
    with ctx.emu.state.lock:
        obj = bucket.objects.get(key)
    if obj is None:
        return _err(ctx, "NoSuchKey", bucket=bucket.name, extra={"Key": key}, ec="0040-00000024")
    result = _render(ctx, bucket, obj.data, unquote(body[len("x-oss-process="):]), post=True)
    if isinstance(result, Response):
        return result
    (data, ctype), proc = result
    if proc.save_as is None:
        return _err(ctx, "InvalidArgument", "POST x-oss-process needs |sys/saveas,o_….", bucket=bucket.name)
    target_name = proc.save_as.bucket or bucket.name
    target = ctx.emu.state.bucket(target_name)
    if target is None:
        return _err(ctx, "NoSuchBucket", bucket=target_name, extra={"BucketName": target_name})
    tkey = normalise_key(proc.save_as.object)
    if tkey is None:
        return _err(ctx, "InvalidObjectName", bucket=target_name)
    ctx.emu.state.put_object(target, tkey, data, ctype, ctx.now)
    ctx.verdict(None, f"saved as {target_name}/{tkey}")
    # "bucket" echoes b_ only: it is "" when the target defaulted to the source bucket (§1.4)
    out = json.dumps({"bucket": proc.save_as.bucket or "", "fileSize": len(data), "object": tkey, "status": "OK"})
    return Response(out.encode(), status=200, content_type="application/json",
                    headers={"x-oss-request-id": oss_request_id()})
