"""Jimeng / Dreamina ``POST /mweb/v1/get_upload_token`` (protocols.md §3.1, §3.2, §7 E1) over
HTTP: :class:`JimengResponse`, one method per endpoint; the state in :mod:`.backend`.

The ``sessionid`` cookie (or ``sessionid_ss`` / ``sid_tt``) must be known; the answer is HTTP
200 with ``ret`` as a string: ``"0"`` plus fresh STS credentials, or ``"1015"`` login error.
"""
from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any, ClassVar

from werkzeug.http import parse_cookie
from werkzeug.wrappers import Response

from ..context import json_body
from ..envelopes import jimeng_ret, json_response
from ..errors import JimengError, ServiceError
from ..faults import Fault
from ..responses import BaseResponse, entry_points
from . import backend
from .backend import CN_AID, CN_SERVICE_ID, INTL_AID, INTL_SERVICE_ID

__all__ = ["CN_AID", "CN_SERVICE_ID", "INTL_AID", "INTL_SERVICE_ID", "JimengResponse", "bad_request",
           "fault_response", "handle", "internal_error", "max_body", "too_large"]

PATH = "/mweb/v1/get_upload_token"
_CST = timezone(timedelta(hours=8))


def max_body(emu: Any) -> int:
    return int(emu.max_body_jimeng)


def _session_id(cookie: str) -> str | None:
    """The ``sessionid`` (or ``sessionid_ss`` / ``sid_tt``) cookie; ``None`` when there is none
    or the header's bytes are not UTF-8 (then it names no session: a login error)."""
    try:
        cookies = parse_cookie(cookie)
    except UnicodeDecodeError:
        return None
    sid: str | None = cookies.get("sessionid") or cookies.get("sessionid_ss") or cookies.get("sid_tt")
    return sid


class JimengResponse(BaseResponse):
    """One Jimeng web-API request; the path names the action."""

    ACTIONS: ClassVar[dict[str, str]] = {PATH: "get_upload_token"}

    def error_response(self, err: ServiceError) -> Response:
        assert isinstance(err, JimengError), err
        if err.ret in ("404", "405"):                   # routing answers: not the ret envelope's verdict
            self.ctx.verdict("NotFound" if err.ret == "404" else "MethodNotAllowed", err.log)
            return json_response(err.status, {"ret": err.ret, "errmsg": err.errmsg})
        self.ctx.verdict(f"ret{err.ret}", err.errmsg)
        st, body = jimeng_ret(err.ret, err.errmsg)
        return json_response(err.status if err.status != 200 else st, body)

    def fault_error(self, fault: Fault) -> ServiceError:
        if fault.throttle:
            return JimengError("1019", "too many requests", 429)
        return JimengError("5002", "system busy", fault.status or 500)

    def internal_error(self) -> ServiceError:
        return JimengError("5002", "system busy", 500)

    def bad_request_error(self, why: str) -> ServiceError:  # noqa: ARG002 - Jimeng says only "param error"
        return JimengError("4002", "param error")

    def too_large_error(self) -> ServiceError:
        return JimengError("4002", "param error")

    def call(self) -> Response:
        ctx = self.ctx
        path = ctx.path if ctx.path.startswith("/mweb/") else ctx.req.path
        if path.rstrip("/") not in self.ACTIONS:
            raise JimengError("404", "not found", 404, log=f"no Jimeng endpoint {path}")
        if ctx.req.method != "POST":
            raise JimengError("405", "method not allowed", 405, log=f"{ctx.req.method} on {PATH}")
        return self.call_action(path.rstrip("/"))

    def get_upload_token(self) -> Response:
        ctx = self.ctx
        req, emu = ctx.req, ctx.emu
        sid = _session_id(req.header("Cookie") or "")
        if sid:
            ctx.secrets = (sid,)
        if sid is None or not backend.logged_in(emu.state, sid):
            raise JimengError("1015", "login error")
        try:
            body = json_body(req.body or b"{}")
        except ValueError:
            raise JimengError("4002", "param error") from None
        scene = body.get("scene") if isinstance(body, dict) else None
        if isinstance(scene, bool) or not isinstance(scene, (int, str)) or \
                str(scene) not in ("1", "2", "3", "video_cover"):
            raise JimengError("4002", "param error")
        intl = ctx.q("aid") == INTL_AID
        # the site (protocols.md §3.5): query region US → the US host; HK/JP/SG → the SG host
        flavour = "cn" if not intl else ("sg" if (ctx.q("region") or "").upper() in ("HK", "JP", "SG") else "us")
        token = backend.issue_upload_token(emu.state, sid, str(scene), flavour, ctx.now, ttl=emu.token_ttl,
                                           intl_region=emu.intl_region)
        c = token.grant.creds
        ctx.secrets = (sid, c.secret_key, c.session_token or "")
        assert c.expires_at is not None
        data = {"access_key_id": c.access_key, "secret_access_key": c.secret_key,
                "session_token": c.session_token, "service_id": token.service_id,
                "space_name": token.service_id, "upload_domain": token.domain,
                "expired_time": c.expires_at.astimezone(_CST).isoformat(timespec="seconds"),
                "current_time": ctx.now.astimezone(_CST).isoformat(timespec="seconds"),
                "region": "US" if intl else "cn"}
        ctx.verdict(None, "upload token issued")
        st, out = jimeng_ret("0", "success", data)
        return json_response(st, out)


# ---- the route entry points the server calls (wsgi.App) ---------------------------------------
handle, fault_response, internal_error, bad_request, too_large = entry_points(JimengResponse)
