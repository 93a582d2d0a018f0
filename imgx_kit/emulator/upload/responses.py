"""The upload host over HTTP: ``POST /upload/v1/<StoreUri>`` (web flow) and the SDK's
``PUT /<StoreUri>`` with chunked upload (``?uploads``, ``?partNumber=&uploadID=``, merge
``?uploadID=``), §3.4/§7 E3 — :class:`UploadResponse`, one method per operation; the state in
:mod:`.backend`.

``Authorization`` must be exactly the ``Auth`` issued for that StoreUri; ``Content-CRC32`` is
required and checked (hex, any case, leading zeros optional).
"""
from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import unquote

from werkzeug.wrappers import Response

from ..context import Ctx
from ..envelopes import json_response, upload_error, upload_sdk_ok, upload_web_ok
from ..errors import ServiceError, UploadError
from ..faults import Fault
from ..responses import BaseResponse, entry_points
from ..state import UploadSlot
from . import backend
from .backend import parse_crc

__all__ = ["UploadResponse", "bad_request", "fault_response", "handle", "internal_error", "max_body",
           "parse_crc", "too_large"]


def max_body(emu: Any) -> int:
    return int(emu.max_body_upload)


class UploadResponse(BaseResponse):
    """One upload-host request; the query names the operation (whole, init, part, merge)."""

    ACTIONS: ClassVar[dict[str, str]] = {"PutObject": "put_object", "InitUpload": "init_upload",
                                         "UploadPart": "upload_part", "MergeParts": "merge_parts"}

    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self.web = ctx.req.path.startswith("/upload/v1/")
        self.slot: UploadSlot | None = None
        self.key = ""

    def _reply(self, status: int, body: dict) -> Response:
        return json_response(status, body, {"X-Tt-Logid": self.ctx.emu.logid()})

    def error_response(self, err: ServiceError) -> Response:
        assert isinstance(err, UploadError), err
        self.ctx.verdict(f"Upload{err.code}", err.message)
        st, body = upload_error(self.web, err.status, err.code, err.message)
        return self._reply(st, body)

    def fault_error(self, fault: Fault) -> ServiceError:
        if fault.throttle:
            return UploadError(429, 4029, "too many requests")
        return UploadError(fault.status or 500, (fault.status or 500) * 10,
                           "service unavailable" if fault.status == 503 else "internal error")

    def internal_error(self) -> ServiceError:
        return UploadError(500, 5000, "internal error")

    def bad_request_error(self, why: str) -> ServiceError:
        return UploadError(400, 4000, why)

    def too_large_error(self) -> ServiceError:
        return UploadError(413, 4013, f"request body over {self.ctx.emu.max_body_upload} bytes")

    def call(self) -> Response:
        ctx = self.ctx
        req = ctx.req
        store_uri = unquote(req.path[len("/upload/v1/"):] if self.web else req.path[1:])
        if req.method not in ("POST", "PUT"):
            raise UploadError(405, 4050, f"method {req.method} not allowed on the upload host")
        auth = req.header("Authorization")
        if auth is None:
            raise UploadError(401, 4010, "missing Authorization")
        known = ctx.emu.state.slot(store_uri)
        if known is not None:
            ctx.secrets = (known.auth,)
        self.slot = backend.authorised_slot(ctx.emu.state, store_uri, auth, ctx.now)
        self.key = store_uri.rsplit("/", 1)[-1]
        if ctx.has_q("uploads"):
            return self.call_action("InitUpload")
        upload_id = ctx.q("uploadID")
        if upload_id is not None and upload_id not in self.slot.parts:
            raise UploadError(404, 4041, "unknown uploadID")
        if upload_id is not None and ctx.q("partNumber") is None:
            return self.call_action("MergeParts")
        return self.call_action("UploadPart" if upload_id is not None else "PutObject")

    def _crc(self) -> str:
        """The body's CRC32 (hex), after checking it against ``Content-CRC32``."""
        given = self.ctx.req.header("Content-CRC32")
        if given is None:
            raise UploadError(400, 4001, "missing Content-CRC32")
        actual = self.ctx.body.crc32()
        if parse_crc(given) != actual:
            raise UploadError(400, 4002, "crc32 mismatch")
        return f"{actual:08x}"

    # ---- one method per operation -----------------------------------------------------------
    def init_upload(self) -> Response:
        assert self.slot is not None
        upload_id = backend.init_chunked(self.ctx.emu.state, self.slot)
        self.ctx.verdict(None, "multipart upload initiated")
        return self._reply(200, upload_sdk_ok({"uploadID": upload_id, "key": self.key}))

    def upload_part(self) -> Response:
        ctx = self.ctx
        assert self.slot is not None
        hexcrc = self._crc()
        part = ctx.q("partNumber")
        backend.store_part(ctx.emu.state, self.slot, ctx.q("uploadID") or "", part, ctx.body)
        ctx.verdict(None, f"part {part} stored")
        return self._reply(200, upload_sdk_ok({"hash": hexcrc, "key": self.key}))

    def put_object(self) -> Response:
        ctx = self.ctx
        assert self.slot is not None
        hexcrc = self._crc()
        backend.store_whole(ctx.emu.state, self.slot, ctx.body, strict_size=ctx.emu.strict_file_size)
        ctx.verdict(None, "stored")
        if self.web:
            return self._reply(200, upload_web_ok(hexcrc))
        return self._reply(200, upload_sdk_ok({"hash": hexcrc, "key": self.key}))

    def merge_parts(self) -> Response:
        ctx = self.ctx
        assert self.slot is not None
        crc, n = backend.merge_chunked(ctx.emu.state, self.slot, ctx.q("uploadID") or "", ctx.body.getvalue(),
                                       strict_size=ctx.emu.strict_file_size)
        ctx.verdict(None, f"merged {n} parts")
        return self._reply(200, upload_sdk_ok({"hash": crc, "key": self.key}))


# ---- the route entry points the server calls (wsgi.App) ---------------------------------------
handle, fault_response, internal_error, bad_request, too_large = entry_points(UploadResponse)
