"""ImageX state operations, no HTTP (moto's ``models.py``): upload sessions issued by
``ApplyImageUpload`` and committed by ``CommitImageUpload``, on the emulator's :class:`State`.
Errors are :class:`~imgx_kit.emulator.errors.GatewayError`; the responses module answers them.

    >>> from datetime import datetime, timezone
    >>> from imgx_kit.emulator.state import State
    >>> st = State(seed=1); st.service_ids.add("sid")
    >>> sess, slots = apply_upload(st, "AK", "sid", datetime(2025, 1, 1, tzinfo=timezone.utc), ttl=60)
    >>> len(slots), slots[0].store_uri.startswith("tos-cn-i-sid/")
    (1, True)
"""
from __future__ import annotations

import hashlib
import io
import re
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import GatewayError
from ..state import State, UploadSession, UploadSlot, normalise_key

__all__ = ["allowed_service_ids", "apply_upload", "commit_upload", "image_meta"]

_EXT = re.compile(r"^\.[A-Za-z0-9]{1,7}$")


def allowed_service_ids(state: State, access_key: str) -> set[str]:
    """The ServiceIds ``access_key`` may use: its token's one, or every configured one."""
    grant = state.grant(access_key)
    return {grant.service_id} if grant is not None else set(state.service_ids)


def apply_upload(state: State, access_key: str, service_id: str, now: datetime, *, ttl: int,
                 size: int | None = None, num: int = 1, keys: list[str] | None = None,
                 prefix: str | None = None, ext: str = "") -> tuple[UploadSession, list[UploadSlot]]:
    """A new upload session of ``num`` slots (StoreKeys, Prefix and FileExtension checked)."""
    keys = keys or []
    if len(keys) > num or any(normalise_key(k) is None for k in keys):
        raise GatewayError("InvalidParameter", "The parameter StoreKeys is invalid.")
    if prefix is not None and (prefix.startswith("/") or prefix.endswith("/") or "//" in prefix
                               or normalise_key(prefix) is None or len(prefix) + len(ext) > 145):
        raise GatewayError("InvalidParameter", "The parameter Prefix is invalid.")
    if ext and not _EXT.match(ext):
        raise GatewayError("InvalidParameter", "The parameter FileExtension is invalid.")
    return state.new_upload_session(access_key, service_id, num, now, size, keys, prefix, ext, ttl=ttl)


def commit_upload(state: State, service_id: str, key: str, now: datetime, oids: Any,
                  skip_meta: bool) -> tuple[list[dict], list[dict]]:
    """Commit session ``key``: (``Results``, ``PluginResult``). Seed 004's codes:
    ``InvalidSessionKey`` (not one we issued, or another service's) and ``SessionNotFound``
    (expired: "re-apply"); protocols.md only infers InvalidParameter."""
    sess = state.session(key)
    if sess is None or sess.service_id != service_id:
        raise GatewayError("InvalidSessionKey", "The SessionKey is invalid.")
    if now > sess.expires_at:
        raise GatewayError("SessionNotFound",
                           "The upload session has expired: apply for a new upload (ApplyImageUpload).")
    if oids is not None:
        if not isinstance(oids, list) or not all(isinstance(o, str) for o in oids) \
                or not set(oids) <= set(sess.store_uris):
            raise GatewayError("InvalidParameter", "The parameter SuccessOids is invalid.")
        wanted: list[str] = oids
    else:
        wanted = list(sess.store_uris)
    results: list[dict] = []
    plugin: list[dict] = []
    done: list[str] = []
    for uri in wanted:
        slot = state.slot(uri)
        path = slot.path if slot is not None else None
        results.append({"Uri": uri, "UriStatus": 2000 if path is not None else 2001})
        if path is not None:
            done.append(uri)
            if not skip_meta:
                plugin.append(image_meta(uri, path))
    # a repeated Commit of a session answers as the first did and commits nothing new: its objects
    # were fixed at Apply (the evidence is in imgx_kit/services/imagex.py's docstring)
    sess.committed = True
    sess.committed_uris.update(done)
    return results, plugin


def image_meta(uri: str, data: bytes | Path) -> dict:
    """PluginResult entry; a non-image gives empty meta, not an error (as documented). ``data``
    is the object's bytes or the file holding them (read in pieces, never whole)."""
    name = uri.rsplit("/", 1)[-1]
    md5, size = hashlib.md5(), 0
    if isinstance(data, Path):
        with open(data, "rb") as f:
            for piece in iter(lambda: f.read(1 << 20), b""):
                md5.update(piece)
                size += len(piece)
    else:
        md5.update(data)
        size = len(data)
    meta = {"FileName": name, "SourceUri": uri, "ImageUri": uri, "ImageWidth": 0, "ImageHeight": 0,
            "ImageMd5": md5.hexdigest(), "ImageFormat": "", "ImageSize": size,
            "FrameCnt": 0}
    try:
        from PIL import Image
        with warnings.catch_warnings():
            # only the header is read (size, format): a huge image is no decompression bomb here
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(data if isinstance(data, Path) else io.BytesIO(data)) as im:
                meta.update(ImageWidth=im.width, ImageHeight=im.height,
                            ImageFormat=(im.format or "").lower(),
                            FrameCnt=int(getattr(im, "n_frames", 1)))
    except Exception:  # not an image (or too large even to open): empty meta, as documented
        pass
    return meta
