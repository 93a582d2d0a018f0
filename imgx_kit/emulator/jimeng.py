"""Jimeng / Dreamina ``POST /mweb/v1/get_upload_token`` (protocols.md §3.1, §3.2, §7 E1).

The ``sessionid`` cookie (or ``sessionid_ss`` / ``sid_tt``) must be known; the answer is HTTP
200 with ``ret`` as a string: ``"0"`` plus fresh STS credentials, or ``"1015"`` login error.
"""
from __future__ import annotations

from datetime import timedelta, timezone

from werkzeug.http import parse_cookie
from werkzeug.wrappers import Response

from .context import Ctx, json_body
from .envelopes import json_response, jimeng_ret
from .faults import Fault

__all__ = ["handle", "fault_response", "internal_error", "bad_request", "too_large", "max_body",
           "CN_AID", "INTL_AID", "CN_SERVICE_ID", "INTL_SERVICE_ID"]

PATH = "/mweb/v1/get_upload_token"
CN_AID, INTL_AID = "513695", "513641"
CN_SERVICE_ID, INTL_SERVICE_ID = "tb4s082cfz", "wopfjsm1ax"
_CST = timezone(timedelta(hours=8))


def max_body(emu) -> int:
    return emu.max_body_jimeng


def _ret(ctx: Ctx, ret: str, errmsg: str, status: int = 200) -> Response:
    ctx.verdict(None if ret == "0" else f"ret{ret}", errmsg)
    st, body = jimeng_ret(ret, errmsg)
    return json_response(status if status != 200 else st, body)


def fault_response(ctx: Ctx, fault: Fault) -> Response:
    if fault.throttle:
        return _ret(ctx, "1019", "too many requests", 429)
    return _ret(ctx, "5002", "system busy", fault.status or 500)


def internal_error(ctx: Ctx) -> Response:
    return _ret(ctx, "5002", "system busy", 500)


def bad_request(ctx: Ctx, why: str) -> Response:
    return _ret(ctx, "4002", "param error")


def too_large(ctx: Ctx) -> Response:
    return _ret(ctx, "4002", "param error")


def _session_id(cookie: str) -> str | None:
    """The ``sessionid`` (or ``sessionid_ss`` / ``sid_tt``) cookie; ``None`` when there is none
    or the header's bytes are not UTF-8 (then it names no session: a login error)."""
    try:
        cookies = parse_cookie(cookie)
    except UnicodeDecodeError:
        return None
    return cookies.get("sessionid") or cookies.get("sessionid_ss") or cookies.get("sid_tt")


def handle(ctx: Ctx) -> Response:
    req = ctx.req
    path = ctx.path if ctx.path.startswith("/mweb/") else req.path
    if path.rstrip("/") != PATH:
        ctx.verdict("NotFound", f"no Jimeng endpoint {path}")
        return json_response(404, {"ret": "404", "errmsg": "not found"})
    if req.method != "POST":
        ctx.verdict("MethodNotAllowed", f"{req.method} on {PATH}")
        return json_response(405, {"ret": "405", "errmsg": "method not allowed"})
    sid = _session_id(req.header("Cookie") or "")
    state = ctx.emu.state
    if sid:
        ctx.secrets = (sid,)
    with state.lock:
        known = bool(sid) and sid in state.sessions
    if not known:
        return _ret(ctx, "1015", "login error")
    try:
        body = json_body(req.body or b"{}")
    except ValueError:
        return _ret(ctx, "4002", "param error")
    scene = body.get("scene") if isinstance(body, dict) else None
    if isinstance(scene, bool) or not isinstance(scene, (int, str)) or str(scene) not in ("1", "2", "3", "video_cover"):
        return _ret(ctx, "4002", "param error")
    intl = ctx.q("aid") == INTL_AID
    # the site (protocols.md §3.5): query region US → the US host; HK/JP/SG → the SG host
    flavour = "cn" if not intl else ("sg" if (ctx.q("region") or "").upper() in ("HK", "JP", "SG") else "us")
    service_id = INTL_SERVICE_ID if intl else CN_SERVICE_ID
    if str(scene) == "2":
        region = {"cn": "cn-north-1", "us": ctx.emu.intl_region, "sg": "ap-southeast-1"}[flavour]
        domain = "imagex.bytedanceapi.com"
    else:                                   # video / cover: a VOD space
        region, domain = "cn-north-1", "vod.bytedanceapi.com"
        service_id = "dreamina"
    grant = state.issue_sts(sid, service_id, region, ctx.now, ttl=ctx.emu.token_ttl, flavour=flavour)
    c = grant.creds
    ctx.secrets = (sid, c.secret_key, c.session_token or "")
    exp = c.expires_at.astimezone(_CST).isoformat(timespec="seconds")  # type: ignore[union-attr]
    data = {"access_key_id": c.access_key, "secret_access_key": c.secret_key,
            "session_token": c.session_token, "service_id": service_id, "space_name": service_id,
            "upload_domain": domain, "expired_time": exp,
            "current_time": ctx.now.astimezone(_CST).isoformat(timespec="seconds"),
            "region": "US" if intl else "cn"}
    ctx.verdict(None, "upload token issued")
    st, out = jimeng_ret("0", "success", data)
    return json_response(st, out)
