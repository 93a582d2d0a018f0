"""Aliyun STS ``AssumeRole`` (RPC style, Version ``2015-04-01``): the emulator issues temporary
OSS credentials — ``AccessKeyId`` (``STS.…``), ``AccessKeySecret``, ``SecurityToken`` and an
``Expiration`` — in the JSON shape the real service answers (STS API docs "AssumeRole";
aliyunsdkcore's RPC client parses it). The OSS route accepts them with the token in
``x-oss-security-token`` / ``security-token`` / V4 ``x-oss-security-token`` and refuses them once
expired (``SecurityTokenExpired``).

The caller signs as every Aliyun RPC API does (aliyunsdkcore ``rpc_signature_composer``):
``StringToSign = METHOD & %2F & percent-encode(sorted, percent-encoded query+form pairs)``,
``Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``, with long-term OSS
credentials (``emu.add_oss_credentials``). Not emulated: RAM roles and policies (any ``RoleArn``
is accepted and echoed), ``SignatureNonce`` replay detection, XML ``Format``.

    >>> from imgx_kit.emulator.sts import rpc_string_to_sign
    >>> rpc_string_to_sign("GET", [("B", "2"), ("A", "x y")])
    'GET&%2F&A%3Dx%2520y%26B%3D2'
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, quote

from werkzeug.wrappers import Response

from ..core.credentials import Credentials
from .context import Ctx
from .envelopes import json_response, oss_request_id
from .faults import Fault
from .state import State

__all__ = [
    "MAX_DURATION",
    "MIN_DURATION",
    "bad_request",
    "fault_response",
    "handle",
    "internal_error",
    "issue",
    "max_body",
    "rpc_string_to_sign",
    "too_large",
]

MIN_DURATION, DEFAULT_DURATION, MAX_DURATION = 900, 3600, 43200
_MAX_SKEW = 900


def _adapt(ctx: Ctx) -> tuple[State, list[tuple[str, str]], str, datetime, Callable[[str | None, str], None],
                              Callable[[tuple[str, ...]], None]]:
    """The one adapter to the server's context: (state, request pairs, method, now, verdict, hide)."""
    pairs = list(ctx.query)
    ctype = (ctx.req.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctx.req.method == "POST" and ctype == "application/x-www-form-urlencoded" and ctx.req.body:
        pairs += parse_qsl(ctx.req.body.decode("utf-8", "replace"), keep_blank_values=True)

    def hide(secrets: tuple[str, ...]) -> None:
        ctx.secrets = tuple(ctx.secrets) + secrets

    return ctx.emu.state, pairs, ctx.req.method, ctx.now, lambda code, msg: ctx.verdict(code, msg), hide


def max_body(_emu: Any) -> int:
    return 64 << 10


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def rpc_string_to_sign(method: str, pairs: list[tuple[str, str]]) -> str:
    """The Aliyun RPC string to sign of these request pairs (``Signature`` left out)."""
    canon = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(pairs) if k != "Signature")
    return f"{method}&%2F&{_encode(canon)}"


def _error(code: str, message: str, status: int) -> Response:
    return json_response(status, {"RequestId": oss_request_id(), "HostId": "sts.aliyuncs.com", "Code": code,
                                  "Message": message, "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}"})


def fault_response(_ctx: Ctx, fault: Fault) -> Response:
    if fault.throttle:
        return _error("Throttling", "Request was denied due to request throttling.", fault.status or 400)
    return _error("InternalError", "The request processing has failed due to some unknown error.", fault.status or 500)


def internal_error(_ctx: Ctx) -> Response:
    return _error("InternalError", "The request processing has failed due to some unknown error.", 500)


def bad_request(_ctx: Ctx, why: str) -> Response:
    return _error("InvalidParameter", f"The request is invalid: {why}.", 400)


def too_large(_ctx: Ctx) -> Response:
    return _error("InvalidParameter", "The request body is too large.", 400)


def issue(state: State, now: datetime, duration: int = DEFAULT_DURATION) -> Credentials:
    """Temporary OSS credentials valid ``duration`` seconds from ``now``, accepted by the OSS route."""
    creds = Credentials("STS." + state.token(28), state.token(44), session_token="CAIS" + state.token(220),
                        expires_at=now + timedelta(seconds=duration))
    with state.lock:
        state.oss_creds[creds.access_key] = creds
    return creds


def handle(ctx: Ctx) -> Response:
    state, pairs, method, now, verdict, hide = _adapt(ctx)
    p = dict(pairs)

    def fail(code: str, message: str, status: int = 400) -> Response:
        verdict(code, message)
        return _error(code, message, status)

    if p.get("Action") != "AssumeRole":
        return fail("InvalidAction.NotFound", "Specified api is not found, please check your url and method.", 404)
    if p.get("Version") != "2015-04-01":
        return fail("InvalidVersion", "Specified parameter Version is not valid.")
    if p.get("Format", "JSON").upper() != "JSON":
        return fail("NotImplemented", "The emulator answers Format=JSON only.", 501)
    for name in ("AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"):
        if not p.get(name):
            return fail("MissingParameter", f"The input parameter \"{name}\" that is mandatory for processing "
                        "this request is not supplied.")
    if p["SignatureMethod"] != "HMAC-SHA1" or p["SignatureVersion"] != "1.0":
        return fail("InvalidParameter", "SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0.")
    try:
        ts = datetime.strptime(p["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return fail("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
    if abs((now - ts).total_seconds()) > _MAX_SKEW:
        return fail("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
    caller = state.lookup_oss(p["AccessKeyId"])
    if caller is None or caller.session_token:
        return fail("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    sts = rpc_string_to_sign(method, pairs)
    want = base64.b64encode(hmac.new((caller.secret_key + "&").encode(), sts.encode(), hashlib.sha1).digest()).decode()
    if not hmac.compare_digest(want.encode(), p["Signature"].encode()):
        # the real message ends with the server's string to sign: aliyunsdkcore (client.py
        # _get_server_exception) compares it with its own and then reports InvalidAccessKeySecret
        return fail("SignatureDoesNotMatch", "Specified signature is not matched with our calculation. "
                    f"server string to sign is:{sts}")
    for name in ("RoleArn", "RoleSessionName"):
        if not p.get(name):
            return fail("MissingParameter", f"The input parameter \"{name}\" that is mandatory for processing "
                        "this request is not supplied.")
    raw = p.get("DurationSeconds", str(DEFAULT_DURATION))
    if not (raw.isascii() and raw.isdigit() and MIN_DURATION <= int(raw) <= MAX_DURATION):
        return fail("InvalidParameter.DurationSeconds", f"The DurationSeconds is {MIN_DURATION}..{MAX_DURATION}.")
    creds = issue(state, now, int(raw))
    hide((creds.secret_key, creds.session_token or ""))
    role, session = p["RoleArn"], p["RoleSessionName"]
    verdict(None, f"assumed {role[:64]}")
    assert creds.expires_at is not None
    return json_response(200, {
        "RequestId": oss_request_id(),
        "AssumedRoleUser": {"Arn": f"{role}/{session}", "AssumedRoleId": f"3{state.hex(16)}:{session}"},
        "Credentials": {"SecurityToken": creds.session_token, "AccessKeyId": creds.access_key,
                        "AccessKeySecret": creds.secret_key,
                        "Expiration": f"{creds.expires_at.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}"}})
