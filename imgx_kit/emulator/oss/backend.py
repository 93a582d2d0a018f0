"""The OSS operations on the emulator's state, without HTTP: every function takes the
:class:`~imgx_kit.emulator.state.State` and plain values and returns models, or raises
:class:`OssError` (OSS's code, message, HTTP status), which :mod:`.responses` turns into XML.

Decisions and their sources (aliyun/oss-emulator ``lib/emulator``, oss2 2.19, the OSS API docs):
an object's ACL ``default`` inherits the bucket's; appending to a non-appendable object is
``ObjectNotAppendable`` (409), a wrong ``position`` ``PositionNotEqualToLength`` (409) with
``x-oss-next-append-position``; a symlink is followed once (a symlink to a symlink, or to a missing
key, is ``NoSuchKey``); CompleteMultipartUpload needs ascending part numbers (``InvalidPartOrder``)
whose ETags match (``InvalidPart``), every part but the last at least 100 KiB (``EntityTooSmall``).

    >>> from datetime import datetime, timezone
    >>> s = State(seed=0)
    >>> b = s.create_bucket("doc-bucket", "cn-hangzhou", datetime(2025, 1, 1, tzinfo=timezone.utc))
    >>> _ = put(s, b, "a.txt", b"hi", "text/plain", datetime(2025, 1, 1, tzinfo=timezone.utc))
    >>> set_bucket_acl(s, b, "public-read"); effective_acl(b, b.objects["a.txt"])
    'public-read'
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from ..state import State, normalise_key
from .models import (
    BUCKET_ACLS,
    OBJECT_ACLS,
    Bucket,
    MultipartUpload,
    OssObject,
    Part,
    md5_etag,
    multipart_etag,
)

__all__ = [
    "MAX_TAGS",
    "MIN_PART",
    "OssError",
    "abort",
    "append",
    "complete",
    "copy",
    "delete_many",
    "effective_acl",
    "initiate",
    "put",
    "put_symlink",
    "resolve",
    "set_bucket_acl",
    "set_object_acl",
    "set_tags",
    "upload_of",
    "upload_part",
]

MIN_PART = 100 * 1024           # every part but the last (OSS docs: CompleteMultipartUpload)
MAX_TAGS = 10                   # object tagging: at most 10 tags (OSS docs: PutObjectTagging)
MAX_PARTS = 10000


class OssError(Exception):
    """An OSS error answer: ``code``, ``message``, HTTP ``status`` and extra XML fields."""

    def __init__(self, code: str, message: str, status: int = 400, extra: dict[str, str] | None = None,
                 ec: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status
        self.extra, self.ec, self.headers = dict(extra or {}), ec, dict(headers or {})


def no_such_key(key: str) -> OssError:
    return OssError("NoSuchKey", "The specified key does not exist.", 404, {"Key": key}, ec="0026-00000001")


def effective_acl(bucket: Bucket, obj: OssObject | None) -> str:
    """The ACL that decides access: the object's own, or the bucket's when it is ``default``."""
    return bucket.acl if obj is None or obj.acl == "default" else obj.acl


def check_acl(acl: str, *, bucket: bool) -> str:
    allowed = BUCKET_ACLS if bucket else OBJECT_ACLS
    if acl not in allowed:
        raise OssError("InvalidArgument", "no such bucket access control exists" if bucket
                       else "The specified object acl is not valid.", 400,
                       {"ArgumentName": "x-oss-acl" if bucket else "x-oss-object-acl", "ArgumentValue": acl[:64]})
    return acl


def object_of(state: State, bucket: Bucket, key: str) -> OssObject:
    with state.lock:
        obj = bucket.objects.get(key)
    if obj is None:
        raise no_such_key(key)
    return obj


def resolve(state: State, bucket: Bucket, key: str) -> tuple[OssObject, OssObject]:
    """(the object at ``key``, the object whose bytes a GET answers): a symlink is followed."""
    obj = object_of(state, bucket, key)
    if obj.kind != "Symlink" or obj.target is None:
        return obj, obj
    with state.lock:
        target = bucket.objects.get(obj.target)
    if target is None or target.kind == "Symlink":
        raise OssError("NoSuchKey", "The specified key does not exist.", 404, {"Key": key},
                       ec="0026-00000001")
    return obj, target


def put(state: State, bucket: Bucket, key: str, data: bytes, content_type: str, now: datetime,
        meta: Iterable[tuple[str, str]] = (), acl: str | None = None,
        tags: Iterable[tuple[str, str]] = ()) -> OssObject:
    obj = OssObject(data, content_type, md5_etag(data), now.replace(microsecond=0), tuple(meta),
                    check_acl(acl, bucket=False) if acl else "default", tuple(tags))
    return state.store_object(bucket, key, obj)


def append(state: State, bucket: Bucket, key: str, position: int, data: bytes, content_type: str,
           now: datetime, meta: Iterable[tuple[str, str]] = (), acl: str | None = None) -> OssObject:
    """AppendObject: create an appendable object at position 0, or add at its current length."""
    with state.lock:
        obj = bucket.objects.get(key)
        if obj is not None and obj.kind != "Appendable":
            raise OssError("ObjectNotAppendable", "The object is not appendable", 409)
        length = 0 if obj is None else len(obj.data)
        if position != length:
            raise OssError("PositionNotEqualToLength", "Position is not equal to file length", 409,
                           headers={"x-oss-next-append-position": str(length)})
        if obj is None:
            new = OssObject(data, content_type, md5_etag(data), now.replace(microsecond=0), tuple(meta),
                            check_acl(acl, bucket=False) if acl else "default", kind="Appendable")
        else:
            whole = obj.data + data
            new = replace(obj, data=whole, etag=md5_etag(whole), last_modified=now.replace(microsecond=0))
        return state.store_object(bucket, key, new)


def copy(state: State, src_bucket: Bucket, src_key: str, dst_bucket: Bucket, dst_key: str, now: datetime,
         *, replace_meta: bool, content_type: str | None, meta: Iterable[tuple[str, str]],
         acl: str | None) -> OssObject:
    """CopyObject: ``x-oss-metadata-directive`` COPY (default) keeps the source's metadata,
    REPLACE takes the request's. Copying an object onto itself needs REPLACE (as OSS)."""
    _, src = resolve(state, src_bucket, src_key)
    if src_bucket is dst_bucket and src_key == dst_key and not replace_meta:
        raise OssError("InvalidRequest", "This copy request is illegal because it is trying to copy an object "
                       "to itself without changing the object's metadata.", 400)
    ctype = (content_type or "application/octet-stream") if replace_meta else src.content_type
    new = OssObject(src.data, ctype, src.etag if src.kind == "Normal" else md5_etag(src.data),
                    now.replace(microsecond=0), tuple(meta) if replace_meta else src.meta,
                    check_acl(acl, bucket=False) if acl else "default", src.tags)
    return state.store_object(dst_bucket, dst_key, new)


def delete_many(state: State, bucket: Bucket, keys: list[str]) -> list[str]:
    """DeleteMultipleObjects: every key is answered as deleted, present or not (as OSS does)."""
    for key in keys:
        if normalise_key(key) is None:
            raise OssError("InvalidObjectName", "The specified object is not valid.", 400)
    with state.lock:
        for key in keys:
            bucket.objects.pop(key, None)
        state.save_bucket(bucket)
    return keys


def set_object_acl(state: State, bucket: Bucket, key: str, acl: str) -> None:
    check_acl(acl, bucket=False)
    with state.lock:
        obj = object_of(state, bucket, key)
        state.store_object(bucket, key, replace(obj, acl=acl))


def set_bucket_acl(state: State, bucket: Bucket, acl: str) -> None:
    check_acl(acl, bucket=True)
    with state.lock:
        bucket.acl = acl
        state.save_bucket(bucket)


def set_tags(state: State, bucket: Bucket, key: str, tags: list[tuple[str, str]]) -> None:
    if len(tags) > MAX_TAGS:
        raise OssError("BadRequest", f"Object tags cannot be greater than {MAX_TAGS}", 400)
    if len({k for k, _ in tags}) != len(tags):
        raise OssError("InvalidArgument", "Tag keys must be unique.", 400)
    for k, v in tags:
        if not k or len(k) > 128 or len(v) > 256:
            raise OssError("InvalidTag", "A tag key is 1..128 characters, a value at most 256.", 400)
    with state.lock:
        obj = object_of(state, bucket, key)
        state.store_object(bucket, key, replace(obj, tags=tuple(tags)))


def put_symlink(state: State, bucket: Bucket, key: str, target: str, now: datetime,
                content_type: str, meta: Iterable[tuple[str, str]], acl: str | None) -> OssObject:
    if normalise_key(target) is None:
        raise OssError("InvalidArgument", "The symlink target is not a valid object name.", 400,
                       {"ArgumentName": "x-oss-symlink-target", "ArgumentValue": target[:64]})
    obj = OssObject(b"", content_type, md5_etag(target.encode("utf-8")), now.replace(microsecond=0),
                    tuple(meta), check_acl(acl, bucket=False) if acl else "default", kind="Symlink",
                    target=target)
    return state.store_object(bucket, key, obj)


# ---- multipart --------------------------------------------------------------------------------
def initiate(state: State, bucket: Bucket, key: str, now: datetime, content_type: str,
             meta: Iterable[tuple[str, str]], acl: str | None) -> MultipartUpload:
    up = MultipartUpload(state.hex(32).upper(), key, now.replace(microsecond=0), content_type, tuple(meta),
                         check_acl(acl, bucket=False) if acl else "default")
    with state.lock:
        bucket.uploads[up.upload_id] = up
    return up


def upload_of(state: State, bucket: Bucket, key: str, upload_id: str) -> MultipartUpload:
    with state.lock:
        up = bucket.uploads.get(upload_id)
    if up is None or up.key != key:
        raise OssError("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, "
                       "or the upload may have been aborted or completed.", 404, {"UploadId": upload_id})
    return up


def part_number(text: str | None) -> int:
    if text is None or not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PARTS:
        raise OssError("InvalidArgument", f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive.",
                       400, {"ArgumentName": "partNumber", "ArgumentValue": (text or "")[:16]})
    return int(text)


def upload_part(state: State, bucket: Bucket, key: str, upload_id: str, number: int, data: bytes,
                now: datetime) -> Part:
    up = upload_of(state, bucket, key, upload_id)
    part = Part(data, md5_etag(data), now.replace(microsecond=0))
    with state.lock:
        up.parts[number] = part
    return part




def complete(state: State, bucket: Bucket, key: str, upload_id: str, listed: list[tuple[int, str]] | None,
             now: datetime) -> OssObject:
    """CompleteMultipartUpload with the parts the body lists (``None``: ``x-oss-complete-all``)."""
    up = upload_of(state, bucket, key, upload_id)
    with state.lock:
        parts = dict(up.parts)
    chosen = [(n, p.etag) for n, p in sorted(parts.items())] if listed is None else listed
    if not chosen:
        raise OssError("InvalidPart", "One or more of the specified parts could not be found.", 400)
    numbers = [n for n, _ in chosen]
    if numbers != sorted(set(numbers)):
        raise OssError("InvalidPartOrder", "The list of parts was not in ascending order. Parts list must "
                       "specified in order by part number.", 400)
    pieces: list[Part] = []
    for n, etag in chosen:
        p = parts.get(n)
        if p is None or (listed is not None and etag.strip('"').upper() != p.etag.strip('"')):
            raise OssError("InvalidPart", "One or more of the specified parts could not be found or the "
                           "specified entity tag might not have matched the part's entity tag.", 400,
                           {"PartNumber": str(n), "ETag": etag})
        pieces.append(p)
    for p in pieces[:-1]:
        if len(p.data) < MIN_PART:
            raise OssError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size.", 400)
    data = b"".join(p.data for p in pieces)
    etag = multipart_etag([hashlib.md5(p.data).digest() for p in pieces])
    obj = OssObject(data, up.content_type, etag, now.replace(microsecond=0), up.meta, up.acl, kind="Multipart")
    with state.lock:
        if bucket.uploads.pop(upload_id, None) is None:
            raise OssError("NoSuchUpload", "The specified upload does not exist.", 404, {"UploadId": upload_id})
        state.store_object(bucket, key, obj)
    return obj


def abort(state: State, bucket: Bucket, key: str, upload_id: str) -> None:
    upload_of(state, bucket, key, upload_id)
    with state.lock:
        bucket.uploads.pop(upload_id, None)
