"""The upload host: ``POST /upload/v1/<StoreUri>`` (web flow) and the SDK's ``PUT /<StoreUri>``
with chunked upload (``?uploads``, ``?partNumber=&uploadID=``, merge ``?uploadID=``), §3.4/§7 E3.

``Authorization`` must be exactly the ``Auth`` issued for that StoreUri; ``Content-CRC32`` is
required and checked (hex, any case, leading zeros optional).
"""
from __future__ import annotations

import hmac
import re
from urllib.parse import unquote

from werkzeug.wrappers import Response

from .context import Ctx
from .envelopes import json_response, upload_error, upload_sdk_ok, upload_web_ok
from .faults import Fault

__all__ = ["handle", "fault_response", "internal_error", "bad_request", "too_large", "max_body",
           "parse_crc"]

_HEX = re.compile(r"^[0-9A-Fa-f]{1,8}$")


def max_body(emu) -> int:
    return emu.max_body_upload


def parse_crc(text: str | None) -> int | None:
    """``Content-CRC32`` as a number: hex, case-insensitive, leading zeros optional."""
    if text is None:
        return None
    t = text.strip()
    return int(t, 16) if _HEX.match(t) else None


def _web(ctx: Ctx) -> bool:
    return ctx.req.path.startswith("/upload/v1/")


def _reply(ctx: Ctx, status: int, body: dict) -> Response:
    return json_response(status, body, {"X-Tt-Logid": ctx.emu.logid()})


def _fail(ctx: Ctx, status: int, code: int, message: str) -> Response:
    ctx.verdict(f"Upload{code}", message)
    st, body = upload_error(_web(ctx), status, code, message)
    return _reply(ctx, st, body)


def fault_response(ctx: Ctx, fault: Fault) -> Response:
    if fault.throttle:
        return _fail(ctx, 429, 4029, "too many requests")
    return _fail(ctx, fault.status or 500, (fault.status or 500) * 10, "service unavailable"
                 if fault.status == 503 else "internal error")


def internal_error(ctx: Ctx) -> Response:
    return _fail(ctx, 500, 5000, "internal error")


def bad_request(ctx: Ctx, why: str) -> Response:
    return _fail(ctx, 400, 4000, why)


def too_large(ctx: Ctx) -> Response:
    return _fail(ctx, 413, 4013, f"request body over {ctx.emu.max_body_upload} bytes")


def handle(ctx: Ctx) -> Response:
    req = ctx.req
    web = _web(ctx)
    raw_uri = req.path[len("/upload/v1/"):] if web else req.path[1:]
    store_uri = unquote(raw_uri)
    if req.method not in ("POST", "PUT"):
        return _fail(ctx, 405, 4050, f"method {req.method} not allowed on the upload host")
    state = ctx.emu.state
    slot = state.slot(store_uri)
    auth = req.header("Authorization")
    if auth is None:
        return _fail(ctx, 401, 4010, "missing Authorization")
    if slot is not None:
        ctx.secrets = (slot.auth,)
    if slot is None:
        return _fail(ctx, 404, 4040, "store uri not found")
    if not hmac.compare_digest(auth.encode(), slot.auth.encode()):
        return _fail(ctx, 401, 4011, "invalid Authorization for this store uri")
    sess = state.session(slot.session_key)
    if sess is None or ctx.now > sess.expires_at:
        return _fail(ctx, 403, 4031, "upload session expired")
    key = store_uri.rsplit("/", 1)[-1]
    if ctx.has_q("uploads"):                       # chunked: init
        upload_id = state.hex(32)
        with state.lock:
            slot.parts[upload_id] = {}
        ctx.verdict(None, "multipart upload initiated")
        return _reply(ctx, 200, upload_sdk_ok({"uploadID": upload_id, "key": key}))
    upload_id = ctx.q("uploadID")
    part = ctx.q("partNumber")
    if upload_id is not None and upload_id not in slot.parts:
        return _fail(ctx, 404, 4041, "unknown uploadID")
    if upload_id is not None and part is None:     # chunked: merge
        return _merge(ctx, slot, upload_id, key)
    given = req.header("Content-CRC32")
    if given is None:
        return _fail(ctx, 400, 4001, "missing Content-CRC32")
    crc = parse_crc(given)
    body = ctx.body
    actual = body.crc32()
    if crc is None or crc != actual:
        return _fail(ctx, 400, 4002, "crc32 mismatch")
    hexcrc = f"{actual:08x}"
    if upload_id is not None:                      # chunked: one part
        if not re.fullmatch(r"[0-9]{1,5}", part or ""):
            return _fail(ctx, 400, 4003, "invalid partNumber")
        state.store_part(slot, upload_id, int(part), body)  # type: ignore[arg-type]
        ctx.verdict(None, f"part {part} stored")
        return _reply(ctx, 200, upload_sdk_ok({"hash": hexcrc, "key": key}))
    if ctx.emu.strict_file_size and slot.expected_size is not None and body.size != slot.expected_size:
        return _fail(ctx, 400, 4004, f"file size {body.size} does not match FileSize {slot.expected_size}")
    state.store_upload(slot, body)
    ctx.verdict(None, "stored")
    if web:
        return _reply(ctx, 200, upload_web_ok(hexcrc))
    return _reply(ctx, 200, upload_sdk_ok({"hash": hexcrc, "key": key}))


def _merge(ctx: Ctx, slot, upload_id: str, key: str) -> Response:
    try:
        listed = [p.split(":", 1) for p in ctx.body.getvalue().decode("ascii").strip().split(",") if p]
        crcs = [(int(i), parse_crc(c)) for i, c in listed]
    except (ValueError, UnicodeDecodeError):
        return _fail(ctx, 400, 4005, "merge body is not 'index:crc32,…'")
    state = ctx.emu.state
    with state.lock:
        parts = sorted(slot.parts.get(upload_id, {}).items())
    if not parts or [i for i, _ in crcs] != list(range(len(parts))) or \
            any(c != int(p[1][1], 16) for (_, c), p in zip(crcs, parts)):
        return _fail(ctx, 400, 4006, "merge list does not match the uploaded parts")
    size = sum(p[1][0].stat().st_size for p in parts)
    if ctx.emu.strict_file_size and slot.expected_size is not None and size != slot.expected_size:
        return _fail(ctx, 400, 4004, f"file size {size} does not match FileSize {slot.expected_size}")
    crc, _ = state.merge_parts(slot, [p[1][0] for p in parts])
    with state.lock:
        slot.parts.pop(upload_id, None)
    ctx.verdict(None, f"merged {len(parts)} parts")
    return _reply(ctx, 200, upload_sdk_ok({"hash": crc, "key": key}))

