"""What the OSS emulator stores (no HTTP): buckets, objects, multipart uploads.

    >>> from datetime import datetime, timezone
    >>> o = OssObject(b"abc", "text/plain", md5_etag(b"abc"), datetime(2025, 1, 1, tzinfo=timezone.utc))
    >>> o.etag, o.kind, o.acl
    ('"900150983CD24FB0D6963F7D28E17F72"', 'Normal', 'default')
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "BUCKET_ACLS",
    "OBJECT_ACLS",
    "Bucket",
    "MultipartUpload",
    "OssObject",
    "Part",
    "md5_etag",
    "multipart_etag",
]

BUCKET_ACLS = ("private", "public-read", "public-read-write")
OBJECT_ACLS = ("default",) + BUCKET_ACLS


def md5_etag(data: bytes) -> str:
    """OSS's ETag of a PutObject body: the upper-case hex MD5, quoted."""
    return '"' + hashlib.md5(data).hexdigest().upper() + '"'


def multipart_etag(part_md5s: list[bytes]) -> str:
    """The ETag of a completed multipart upload: MD5 of the parts' binary MD5s, ``-`` and the
    part count, upper-case and quoted (the form OSS answers, e.g. ``"…-3"``).

        >>> multipart_etag([hashlib.md5(b"a").digest(), hashlib.md5(b"b").digest()])[-3:]
        '-2"'
    """
    return '"' + hashlib.md5(b"".join(part_md5s)).hexdigest().upper() + f'-{len(part_md5s)}"'


@dataclass(frozen=True)
class OssObject:
    """One object: bytes and metadata; ``kind`` is OSS's ``x-oss-object-type`` (``Normal``,
    ``Appendable``, ``Multipart``, ``Symlink``); a symlink's ``target`` is the key it points to."""

    data: bytes
    content_type: str
    etag: str
    last_modified: datetime
    meta: tuple[tuple[str, str], ...] = ()
    acl: str = "default"
    tags: tuple[tuple[str, str], ...] = ()
    kind: str = "Normal"
    target: str | None = None


@dataclass(frozen=True)
class Part:
    data: bytes
    etag: str
    last_modified: datetime


@dataclass
class MultipartUpload:
    """An initiated multipart upload and the parts uploaded so far."""

    upload_id: str
    key: str
    initiated: datetime
    content_type: str
    meta: tuple[tuple[str, str], ...] = ()
    acl: str = "default"
    parts: dict[int, Part] = field(default_factory=dict)


@dataclass
class Bucket:
    name: str
    region: str
    created: datetime
    objects: dict[str, OssObject] = field(default_factory=dict)
    styles: dict[str, str] = field(default_factory=dict)
    acl: str = "private"
    uploads: dict[str, MultipartUpload] = field(default_factory=dict)
