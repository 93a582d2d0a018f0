"""Everything the emulator remembers, behind one lock: login sessions, STS grants, upload sessions
and slots, OSS buckets and objects — in memory, optionally mirrored to a directory. What each
service stores is its ``models`` module's (:mod:`.jimeng.models`, :mod:`.imagex.models`,
:mod:`.oss.models`); the operations on it its ``backend``'s.

    >>> from datetime import datetime, timezone
    >>> s = State(seed=0)
    >>> g = s.issue_sts("sid", "tb4s082cfz", "cn-north-1", datetime(2025, 1, 1, tzinfo=timezone.utc))
    >>> s.lookup_sts(g.creds.access_key) is g.creds
    True
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import re
import shutil
import tempfile
import threading
import weakref
import zlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

from ..core import oss_names
from ..core.credentials import Credentials
from ..core.errors import EmulatorError
from .imagex.models import UploadSession, UploadSlot
from .jimeng.models import StsGrant
from .oss.models import Bucket, OssObject, md5_etag

__all__ = [
    "RESERVED_BUCKETS",
    "Bucket",
    "OssObject",
    "State",
    "StsGrant",
    "UploadSession",
    "UploadSlot",
    "normalise_key",
    "valid_bucket_name",
]

class _Saveable(Protocol):
    size: int

    def save(self, path: Path) -> None: ...
    def crc32(self) -> int: ...


RESERVED_BUCKETS = frozenset({"jimeng", "imagex", "visual", "upload", "mweb", "oss"})
_ALNUM = str.maketrans("+/=", "xyz")


def valid_bucket_name(name: str) -> bool:
    return oss_names.valid_bucket_name(name) and name not in RESERVED_BUCKETS and not name.startswith("tos-")


def normalise_key(key: str) -> str | None:
    """An OSS object key as stored, or ``None`` when it must be refused: empty, over 1023
    bytes, NUL or other control characters, a leading ``/`` or ``\\``, or a ``.``/``..`` segment."""
    if not key or len(key.encode("utf-8")) > 1023:
        return None
    if any(ord(c) < 32 or c == "\x7f" for c in key):
        return None
    if key[0] in "/\\":
        return None
    if any(seg in (".", "..") for seg in re.split(r"[/\\]", key)):
        return None
    return key


class State:
    """All mutable state of one emulator, behind one lock."""

    def __init__(self, seed: int = 0, state_dir: str | os.PathLike | None = None) -> None:
        self.lock = threading.RLock()
        self._rng = random.Random(seed)
        self.sessions: set[str] = set()                 # Jimeng sessionid cookies
        self.sts: dict[str, StsGrant] = {}              # AK -> grant
        self.volc: dict[str, Credentials] = {}          # long-term VOLC credentials
        self.oss_creds: dict[str, Credentials] = {}     # OSS credentials
        self.service_ids: set[str] = set()              # ImageX services VOLC credentials may use
        self.upload_sessions: dict[str, UploadSession] = {}
        self.slots: dict[str, UploadSlot] = {}          # StoreUri -> slot
        self.buckets: dict[str, Bucket] = {}
        self.tasks: dict[str, dict] = {}                # CV async tasks
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self._spool: Path | None = None
        if self.state_dir is not None:
            try:
                self.state_dir.mkdir(parents=True, exist_ok=True)
                probe = self.state_dir / ".imgx-write-test"
                probe.write_bytes(b"")
                probe.unlink()
            except OSError as e:
                raise EmulatorError(f"state_dir {str(self.state_dir)!r} is not a writable directory: "
                                    f"{e.strerror or e}",
                                    hint="pass a directory you can write to, or state_dir=None") from None

    def spool_dir(self) -> Path:
        """Where uploaded bytes and large request bodies go: ``state_dir/uploads``, else a
        temporary directory removed when this state is garbage-collected or the process ends."""
        with self.lock:
            if self._spool is None:
                if self.state_dir is not None:
                    self._spool = self.state_dir / "uploads"
                    self._spool.mkdir(exist_ok=True)
                else:
                    self._spool = Path(tempfile.mkdtemp(prefix="imgx-emulator-uploads-"))
                    weakref.finalize(self, shutil.rmtree, str(self._spool), True)
            return self._spool

    # ---- randomness (seeded, so a run is reproducible) ------------------------------------
    def hex(self, n: int) -> str:
        with self.lock:
            return f"{self._rng.getrandbits(4 * n):0{n}x}"

    def token(self, n: int) -> str:
        """``n`` seeded random letters and digits."""
        with self.lock:
            raw = self._rng.randbytes(n)
        return base64.b64encode(raw).decode("ascii").translate(_ALNUM)[:n]

    def rand(self) -> float:
        with self.lock:
            return self._rng.random()

    # ---- Jimeng login and STS ---------------------------------------------------------------
    def add_session(self, sessionid: str) -> None:
        with self.lock:
            self.sessions.add(sessionid)

    def issue_sts(self, sessionid: str, service_id: str, region: str, now: datetime,
                  ttl: int = 3600, flavour: str = "cn") -> StsGrant:
        creds = Credentials("AKTP" + self.token(40), self.token(40),
                            session_token="STS2" + self.token(120),
                            expires_at=now + timedelta(seconds=ttl))
        grant = StsGrant(creds, service_id, region, sessionid, flavour)
        with self.lock:
            self.sts[creds.access_key] = grant
        return grant

    def lookup_sts(self, ak: str) -> Credentials | None:
        with self.lock:
            g = self.sts.get(ak)
        return g.creds if g else None

    def grant(self, ak: str) -> StsGrant | None:
        with self.lock:
            return self.sts.get(ak)

    def lookup_volc(self, ak: str) -> Credentials | None:
        with self.lock:
            return self.volc.get(ak)

    def lookup_oss(self, ak: str) -> Credentials | None:
        with self.lock:
            return self.oss_creds.get(ak)

    def expire_tokens(self, now: datetime) -> int:
        """Make every issued STS credential and upload session expire now; returns how many."""
        past = now - timedelta(seconds=1)
        with self.lock:
            for ak, g in list(self.sts.items()):
                self.sts[ak] = replace(g, creds=replace(g.creds, expires_at=past))
            for s in self.upload_sessions.values():
                s.expires_at = past
            oss_sts = [ak for ak, c in self.oss_creds.items() if c.session_token]
            for ak in oss_sts:                                  # OSS STS credentials (emulator.sts)
                self.oss_creds[ak] = replace(self.oss_creds[ak], expires_at=past)
            return len(self.sts) + len(oss_sts)

    # ---- ImageX upload sessions ------------------------------------------------------------
    def new_upload_session(self, ak: str, service_id: str, n: int, now: datetime,
                           expected_size: int | None, store_keys: Iterable[str] = (),
                           prefix: str | None = None, ext: str = "",
                           ttl: int = 3600) -> tuple[UploadSession, list[UploadSlot]]:
        keys = list(store_keys)
        slots = []
        payload = {"accountType": "ImageX", "appId": "", "bizType": "", "fileType": "image",
                   "legal": "", "storeInfos": None, "uploadHost": "", "uri": "",
                   "userId": "", "nonce": self.hex(16)}
        skey = base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
        for i in range(n):
            name = keys[i] if i < len(keys) else (f"{prefix}/" if prefix else "") + self.hex(32) + ext
            uri = f"tos-cn-i-{service_id}/{name}"
            auth = "SpaceKey/" + service_id + "/1/:version:v2:" + self.token(96)
            slot = UploadSlot(uri, auth, self.hex(32), skey, expected_size if n == 1 else None)
            slots.append(slot)
        sess = UploadSession(skey, ak, service_id, [s.store_uri for s in slots],
                             now + timedelta(seconds=ttl))
        with self.lock:
            self.upload_sessions[skey] = sess
            for s in slots:
                self.slots[s.store_uri] = s
        return sess, slots

    def slot(self, store_uri: str) -> UploadSlot | None:
        with self.lock:
            return self.slots.get(store_uri)

    def session(self, key: str) -> UploadSession | None:
        with self.lock:
            return self.upload_sessions.get(key)

    def upload_path(self, store_uri: str, part: str = "") -> Path:
        """The file an upload (or one part of it) is kept in."""
        name = hashlib.sha256(store_uri.encode()).hexdigest()
        return self.spool_dir() / (f"{name}.{part}" if part else name)

    def store_upload(self, slot: UploadSlot, body: bytes | _Saveable) -> str:
        """Keep ``body`` (bytes, or a received body with ``save``/``crc32``/``size``) as the
        slot's object; returns its CRC-32 as ``%08x``."""
        path = self.upload_path(slot.store_uri)
        if isinstance(body, (bytes, bytearray)):
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(body)
            tmp.replace(path)
            crc, size = zlib.crc32(body) & 0xFFFFFFFF, len(body)
        else:
            body.save(path)
            crc, size = body.crc32(), body.size
        text = f"{crc:08x}"
        with self.lock:
            slot.path, slot.crc, slot.size = path, text, size
        return text

    def store_part(self, slot: UploadSlot, upload_id: str, number: int, body: _Saveable) -> str:
        """Keep one chunked-upload part on disk; returns its CRC-32 as ``%08x``."""
        path = self.upload_path(slot.store_uri, f"{upload_id}.{number}")
        body.save(path)
        text = f"{body.crc32():08x}"
        with self.lock:
            slot.parts[upload_id][number] = (path, text)
        return text

    def merge_parts(self, slot: UploadSlot, paths: list[Path]) -> tuple[str, int]:
        """Join part files into the slot's object (streamed); (CRC-32 ``%08x``, size)."""
        path = self.upload_path(slot.store_uri)
        tmp = path.with_name(path.name + ".part")
        crc, size = 0, 0
        with open(tmp, "wb") as out:
            for p in paths:
                with open(p, "rb") as f:
                    while True:
                        b = f.read(1 << 20)
                        if not b:
                            break
                        crc = zlib.crc32(b, crc)
                        size += len(b)
                        out.write(b)
        tmp.replace(path)
        for p in paths:
            p.unlink(missing_ok=True)
        text = f"{crc & 0xFFFFFFFF:08x}"
        with self.lock:
            slot.path, slot.crc, slot.size = path, text, size
        return text, size

    # ---- OSS ---------------------------------------------------------------------------------
    def create_bucket(self, name: str, region: str, now: datetime) -> Bucket:
        if not valid_bucket_name(name):
            raise EmulatorError(f"bucket name {name!r} is not allowed",
                                hint="3-63 lower-case letters, digits and '-', not a route name")
        with self.lock:
            b = self.buckets.get(name)
            if b is None:
                b = self.buckets[name] = Bucket(name, region, now)
                self._load_bucket(b)
            return b

    def delete_bucket(self, name: str) -> None:
        """Forget the bucket ``name`` and its ``state_dir`` mirror (the caller checked it is empty)."""
        with self.lock:
            b = self.buckets.pop(name, None)
            d = self._bucket_dir(b) if b is not None else None
            if d is not None and d.is_dir():
                shutil.rmtree(d, ignore_errors=True)

    def bucket(self, name: str) -> Bucket | None:
        with self.lock:
            return self.buckets.get(name)

    def put_object(self, bucket: Bucket, key: str, data: bytes, content_type: str, now: datetime,
                   meta: Iterable[tuple[str, str]] = ()) -> OssObject:
        obj = OssObject(data, content_type, md5_etag(data), now.replace(microsecond=0), tuple(meta))
        return self.store_object(bucket, key, obj)

    def store_object(self, bucket: Bucket, key: str, obj: OssObject) -> OssObject:
        """Store ``obj`` under ``key`` (replacing any object there) and mirror the bucket."""
        with self.lock:
            bucket.objects[key] = obj
            self._save_bucket(bucket)
        return obj

    def save_bucket(self, bucket: Bucket) -> None:
        """Mirror ``bucket`` to ``state_dir`` after a change of its settings (ACL, styles)."""
        with self.lock:
            self._save_bucket(bucket)

    def delete_object(self, bucket: Bucket, key: str) -> None:
        with self.lock:
            bucket.objects.pop(key, None)
            self._save_bucket(bucket)

    # ---- optional directory mirror ------------------------------------------------------------
    def _bucket_dir(self, b: Bucket) -> Path | None:
        return None if self.state_dir is None else self.state_dir / "oss" / b.name

    def _save_bucket(self, b: Bucket) -> None:
        d = self._bucket_dir(b)
        if d is None:
            return
        (d / "blobs").mkdir(parents=True, exist_ok=True)
        index = {}
        for key, obj in b.objects.items():
            name = hashlib.sha256(obj.data).hexdigest()
            path = d / "blobs" / name
            if not path.exists():
                path.write_bytes(obj.data)
            index[key] = {"blob": name, "content_type": obj.content_type, "etag": obj.etag,
                          "last_modified": obj.last_modified.isoformat(), "meta": list(obj.meta),
                          "acl": obj.acl, "tags": list(obj.tags), "kind": obj.kind, "target": obj.target}
        tmp = d / "index.json.tmp"
        tmp.write_text(json.dumps({"region": b.region, "styles": b.styles, "acl": b.acl, "objects": index}))
        tmp.replace(d / "index.json")

    def _load_bucket(self, b: Bucket) -> None:
        d = self._bucket_dir(b)
        if d is None or not (d / "index.json").exists():
            return
        index = json.loads((d / "index.json").read_text())
        b.styles.update(index.get("styles", {}))
        b.acl = index.get("acl", b.acl)
        for key, rec in index.get("objects", {}).items():
            data = (d / "blobs" / rec["blob"]).read_bytes()
            b.objects[key] = OssObject(data, rec["content_type"], rec["etag"],
                                       datetime.fromisoformat(rec["last_modified"]),
                                       tuple((m[0], m[1]) for m in rec.get("meta", [])),
                                       rec.get("acl", "default"), tuple((t[0], t[1]) for t in rec.get("tags", [])),
                                       rec.get("kind", "Normal"), rec.get("target"))

    def saved_buckets(self) -> list[str]:
        if self.state_dir is None or not (self.state_dir / "oss").is_dir():
            return []
        return sorted(p.name for p in (self.state_dir / "oss").iterdir() if (p / "index.json").exists())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
