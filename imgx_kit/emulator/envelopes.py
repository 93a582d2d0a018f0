"""The response envelopes of every emulated service, as the real ones shape them.

One function per shape (protocols.md §3–§6, oss-process.md §3): the Volcengine/ImageX gateway
JSON (``ResponseMetadata``), the Jimeng ``ret`` body, the upload host's two shapes, the CV
business envelope and the OSS XML error::

    >>> status, body = gateway_error("InvalidAccessKey", action="ApplyImageUpload",
    ...     version="2018-08-01", service="imagex", region="cn-north-1",
    ...     message="The accesskey [AK] included in the request is invalid.", request_id="R")
    >>> status, body["ResponseMetadata"]["Error"]["CodeN"]
    (401, 100009)
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import random
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any, Protocol
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from ..core.gateway import GATEWAY_ERRORS

__all__ = [
    "CV_ERRORS",
    "OSS_ERRORS",
    "cv_error",
    "cv_ok",
    "elapsed_text",
    "gateway_error",
    "gateway_message",
    "gateway_ok",
    "jimeng_ret",
    "json_response",
    "oss_error",
    "oss_request_id",
    "request_id",
    "teaching_echo",
    "upload_error",
    "upload_sdk_ok",
    "upload_web_ok",
    "xml_response",
]

class _Ids(Protocol):
    def hex(self, n: int) -> str: ...


#: the ids source of the emulator serving this request (each emulator has its own seeded
#: generator; the WSGI app sets it around every request with :func:`use_ids`)
_current: contextvars.ContextVar[_Ids | None] = contextvars.ContextVar("imgx_emulator_ids", default=None)


@contextlib.contextmanager
def use_ids(source: _Ids) -> Iterator[None]:
    """Take request ids from ``source`` (an emulator's runtime) inside the ``with`` block."""
    token = _current.set(source)
    try:
        yield
    finally:
        _current.reset(token)


def _hex(n: int) -> str:
    src = _current.get()
    if src is not None:
        return src.hex(n).upper()
    return f"{random.Random().getrandbits(4 * n):0{n}X}"     # outside any request: unseeded


def request_id(now: datetime | None = None) -> str:
    """A gateway RequestId: 14-digit UTC timestamp + 20 upper-case hex (34 chars)."""
    now = now or datetime.now(timezone.utc)
    return (f"{now.year:04d}{now.month:02d}{now.day:02d}{now.hour:02d}{now.minute:02d}"
            f"{now.second:02d}" + _hex(20))


def oss_request_id() -> str:
    """An OSS x-oss-request-id: 24 upper-case hex."""
    return _hex(24)


def elapsed_text(seconds: float) -> str:
    """CV ``time_elapsed``: ``"123.45ms"`` or ``"2.173378731s"``."""
    if seconds < 1:
        return f"{seconds * 1000:.2f}ms"
    return f"{seconds:.9f}s"


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    resp = Response(data, status=status, content_type="application/json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def xml_response(status: int, xml: str, headers: Mapping[str, str] | None = None) -> Response:
    resp = Response(xml.encode("utf-8"), status=status, content_type="application/xml")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


# ---- the Volcengine / ImageX gateway -------------------------------------------------------
def _metadata(action: str, version: str, service: str, region: str, rid: str) -> dict:
    return {"RequestId": rid, "Action": action, "Version": version, "Service": service,
            "Region": region}


def gateway_ok(result: Any, *, action: str, version: str, service: str, region: str,
               request_id: str) -> tuple[int, dict]:
    return 200, {"ResponseMetadata": _metadata(action, version, service, region, request_id),
                 "Result": result}


#: codes the seed API documents name (001 ApplyImageUpload, 004 CommitImageUpload) that the
#: captured gateway table (core.gateway, protocols.md §6.1) does not have: (status, message).
#: Their HTTP status is not documented; 400 as for every other parameter error (docs/emulator.md).
SEED_CODES: dict[str, tuple[int, str]] = {
    "InvalidSessionKey": (400, "The SessionKey is invalid."),
    "SessionNotFound": (400, "The upload session does not exist or has expired."),
}


def _gateway_entry(code: str):  # -> the GATEWAY_ERRORS entry, or a stand-in for a seed code
    err = GATEWAY_ERRORS.get(code)
    if err is not None:
        return err
    status, message = SEED_CODES[code]
    from types import SimpleNamespace
    return SimpleNamespace(code_n=None, status=status, message=message)


def gateway_message(code: str, detail: str | None = None) -> str:
    """The gateway's own message for ``code``; ``detail`` fills templated ones (``%s``)."""
    err = _gateway_entry(code)
    if "{}" not in err.message:
        return err.message
    if detail:
        return detail
    return err.message.replace("{}", "").replace("[]", "").replace("  ", " ")


def gateway_error(code: str, *, action: str, version: str, service: str, region: str,
                  message: str | None = None, request_id: str,
                  status: int | None = None, teaching: dict | None = None) -> tuple[int, dict]:
    """§6.1 envelope: ``ResponseMetadata.Error{CodeN, Code, Message}`` (CodeN only when known)."""
    err = _gateway_entry(code)
    error: dict[str, Any] = {}
    if err.code_n is not None:
        error["CodeN"] = err.code_n
    error["Code"] = code
    error["Message"] = message if message is not None else gateway_message(code)
    if teaching is not None:
        error["Teaching"] = teaching
    meta = _metadata(action, version, service, region, request_id)
    meta["Error"] = error
    return (status if status is not None else err.status), {"ResponseMetadata": meta}


def teaching_echo(scheme: str, trace: Any, reason: str) -> dict:
    """The teaching-mode addition to a ``SignatureDoesNotMatch`` answer: what the emulator
    computed from what was sent (keys parsed by the client library's diff tools)."""
    return {"Scheme": scheme,
            "CanonicalRequest": getattr(trace, "canonical_request", "") if trace else "",
            "StringToSign": getattr(trace, "string_to_sign", "") if trace else "",
            "SignedHeaders": getattr(trace, "signed_headers", "") if trace else "",
            "Reason": reason}


# ---- Jimeng ----------------------------------------------------------------------------------
def jimeng_ret(ret: str, errmsg: str, data: Any = None) -> tuple[int, dict]:
    """Jimeng answers HTTP 200 with ``ret`` as a string (``"0"`` = success)."""
    body: dict[str, Any] = {"ret": ret, "errmsg": errmsg}
    if data is not None:
        body["data"] = data
    return 200, body


# ---- the upload host -------------------------------------------------------------------------
def upload_web_ok(crc: str) -> dict:
    return {"code": 2000, "message": "Success", "data": {"crc32": crc}}


def upload_sdk_ok(payload: dict) -> dict:
    return {"Version": "", "success": 0,
            "error": {"code": 200, "error": "", "error_code": 0, "message": ""},
            "payload": payload}


def upload_error(web: bool, status: int, code: int, message: str) -> tuple[int, dict]:
    """Upload-host error in the web (``code``/``message``) or SDK (``success``/``error``) shape."""
    if web:
        return status, {"code": code, "message": message, "data": None}
    return status, {"Version": "", "success": -1,
                    "error": {"code": status, "error": message, "error_code": code,
                              "message": message},
                    "payload": None}


# ---- Volcengine visual (CV) business envelope ----------------------------------------------
CV_ERRORS: dict[int, tuple[int, str]] = {
    50204: (400, "Req Key Not Supported"),
    50215: (400, "Input invalid for this service."),
    50400: (400, "Access Denied: Access Denied"),
    50411: (400, "Pre Img Risk Not Pass"),
    50511: (400, "Post Img Risk Not Pass"),
    50412: (400, "Text Risk Not Pass"),
    50413: (400, "Post Text Risk Not Pass"),
    50429: (429, "Request Has Reached API Limit, Please Try Later"),
    50430: (429, "Request Has Reached API Concurrent Limit, Please Try Later"),
    50500: (500, "Internal Error"),
    50501: (500, "Internal RPC Error"),
}


def cv_ok(data: dict, *, request_id: str, elapsed: float) -> tuple[int, dict]:
    return 200, {"code": 10000, "data": data, "message": "Success", "request_id": request_id,
                 "status": 10000, "time_elapsed": elapsed_text(elapsed)}


def cv_error(code: int, *, request_id: str, elapsed: float, message: str | None = None,
             data: Any = None) -> tuple[int, dict]:
    status, msg = CV_ERRORS[code]
    return status, {"code": code, "data": data, "message": message or msg,
                    "request_id": request_id, "status": code,
                    "time_elapsed": elapsed_text(elapsed)}


# ---- Aliyun OSS XML ---------------------------------------------------------------------------
OSS_ERRORS: dict[str, int] = {
    "AccessDenied": 403, "SignatureDoesNotMatch": 403, "InvalidAccessKeyId": 403,
    "NoSuchKey": 404, "NoSuchBucket": 404, "NoSuchStyle": 404, "InvalidArgument": 400,
    "BadRequest": 400, "MissingArgument": 400, "ImageTooLarge": 400, "WatermarkError": 400,
    "InvalidObjectName": 400, "InvalidBucketName": 400, "BucketAlreadyExists": 409,
    "EntityTooLarge": 400, "InvalidDigest": 400, "MethodNotAllowed": 405, "RequestTimeTooSkewed": 403,
    "InternalError": 500, "NotImplemented": 501, "ServiceUnavailable": 503,
    "InvalidSecurityToken": 403, "SecurityTokenExpired": 403, "AccessForbidden": 403,
    "MissingContentLength": 411, "InvalidRequest": 400, "SlowDown": 503, "InvalidRange": 416,
}


def oss_error(code: str, message: str, *, request_id: str, host_id: str,
              extra: Mapping[str, str] | None = None, ec: str | None = None,
              status: int | None = None) -> tuple[int, str]:
    """``<Error><Code/><Message/><RequestId/><HostId/>…extra…<EC/></Error>``."""
    parts = [f"<Code>{escape(code)}</Code>", f"<Message>{escape(message)}</Message>",
             f"<RequestId>{escape(request_id)}</RequestId>", f"<HostId>{escape(host_id)}</HostId>"]
    for k, v in (extra or {}).items():
        parts.append(f"<{k}>{escape(v)}</{k}>")
    if ec:
        parts.append(f"<EC>{escape(ec)}</EC>")
        parts.append(f"<RecommendDoc>https://api.aliyun.com/troubleshoot?q={escape(ec)}</RecommendDoc>")
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  ' + "\n  ".join(parts) + "\n</Error>\n"
    return (status if status is not None else OSS_ERRORS.get(code, 400)), xml


def now_ms() -> float:
    return time.perf_counter()
