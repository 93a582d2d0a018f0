"""ImageX OpenAPI over HTTP: ``ApplyImageUpload`` and ``CommitImageUpload`` (protocols.md §3.3,
§3.6, §7), one method each on :class:`ImageXResponse`; the state changes in :mod:`.backend`.

Both signing flavours are accepted: AWS4 with the STS credentials from ``get_upload_token``
(any ``SignedHeaders`` that include ``x-amz-date`` and the token, as the web app signs) and VOLC
``HMAC-SHA256`` with service ``ImageX``/``imagex`` (the official SDK).
"""
from __future__ import annotations

import re
from typing import Any, ClassVar

from werkzeug.wrappers import Response

from ..auth import GatewayCall, check_action, gateway_response, verify_gateway
from ..context import Ctx, json_body
from ..envelopes import gateway_ok, json_response, request_id
from ..errors import GatewayError, ServiceError
from ..faults import Fault
from ..responses import BaseResponse, entry_points
from . import backend

__all__ = ["ImageXResponse", "bad_request", "fault_response", "handle", "internal_error", "max_body",
           "too_large"]

VERSION = "2018-08-01"


def max_body(emu: Any) -> int:
    return int(emu.max_body_imagex)


class ImageXResponse(BaseResponse):
    """One ImageX OpenAPI request: the gateway's checks in :meth:`call`, then one method per Action."""

    ACTIONS: ClassVar[dict[str, str]] = {"ApplyImageUpload": "apply_image_upload",
                                         "CommitImageUpload": "commit_image_upload"}
    _METHODS: ClassVar[dict[str, tuple[str, ...]]] = {"ApplyImageUpload": ("GET", "POST"),
                                                       "CommitImageUpload": ("POST",)}

    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self.gw = GatewayCall(ctx.q("Action") or "", ctx.q("Version") or "", "imagex", "cn-north-1")
        self.access_key = ""
        self.service_id = ""

    def error_response(self, err: ServiceError) -> Response:
        assert isinstance(err, GatewayError), err
        return gateway_response(self.ctx, self.gw, err)

    def fault_error(self, fault: Fault) -> ServiceError:
        if fault.throttle:
            return GatewayError("FlowLimitExceeded")
        code = {503: "ServiceUnavailableTemp", 429: "FlowLimitExceeded", 502: "InternalError",
                504: "InternalError"}.get(fault.status or 500, "InternalError")
        return GatewayError(code, status=fault.status)

    def internal_error(self) -> ServiceError:
        return GatewayError("InternalError")

    def bad_request_error(self, why: str) -> ServiceError:
        return GatewayError("InvalidParameter", f"The parameter request is invalid: {why}.")

    def too_large_error(self) -> ServiceError:
        return GatewayError("InvalidParameter",
                            f"The parameter body is invalid: over {self.ctx.emu.max_body_imagex} bytes.",
                            status=413)

    def call(self) -> Response:
        ctx = self.ctx
        action = check_action(ctx, self.ACTIONS, VERSION)
        if ctx.req.method not in self._METHODS[action]:
            raise GatewayError("MethodNotAllowed")
        v = verify_gateway(ctx, kind="imagex")
        assert v.parsed is not None
        self.gw = GatewayCall(action, VERSION, "imagex", v.parsed.region)
        self.access_key = v.parsed.access_key
        self.service_id = ctx.q("ServiceId") or ""
        if not self.service_id:
            raise GatewayError("MissingParameter", "The request is missing ServiceId parameter.")
        if self.service_id not in backend.allowed_service_ids(ctx.emu.state, self.access_key):
            raise GatewayError("AccessDenied",
                               f"User is not authorized to perform: {action} on resource: {self.service_id}.")
        return self.call_action(action)

    def _ok(self, result: dict, rid: str) -> Response:
        st, body = gateway_ok(result, action=self.gw.action, version=self.gw.version, service="imagex",
                              region=self.gw.region, request_id=rid)
        return json_response(st, body)

    def _int_param(self, name: str, default: int | None, lo: int, hi: int) -> int | None:
        raw = self.ctx.q(name)
        if raw is None or raw == "":
            return default
        if re.fullmatch(r"[0-9]{1,19}", raw) and lo <= int(raw) <= hi:
            return int(raw)
        raise GatewayError("InvalidParameter", f"The parameter {name} is invalid.")

    def apply_image_upload(self) -> Response:
        ctx, emu = self.ctx, self.ctx.emu
        if emu.state.grant(self.access_key) is not None:
            # the Jimeng web flavour (a get_upload_token STS token): seed 001 lists FileSize and s
            # as required; the SDK flavour (long-term keys) sends neither (protocols.md §3.3)
            for name in ("FileSize", "s") if (ctx.q("UploadNum") or "1") == "1" else ("s",):
                if not ctx.q(name):
                    raise GatewayError("MissingParameter", f"The request is missing {name} parameter.")
        size = self._int_param("FileSize", None, 0, 1 << 40)
        num = self._int_param("UploadNum", 1, 1, 10) or 1
        sess, slots = backend.apply_upload(emu.state, self.access_key, self.service_id, ctx.now,
                                           ttl=emu.session_ttl, size=size, num=num,
                                           keys=[k for k in ctx.q_all("StoreKeys") if k != ""],
                                           prefix=ctx.q("Prefix") or None, ext=ctx.q("FileExtension") or "")
        ctx.secrets = tuple(s.auth for s in slots)
        rid = request_id(ctx.now)
        infos = [{"StoreUri": s.store_uri, "Auth": s.auth, "UploadID": s.upload_id} for s in slots]
        return self._ok({"RequestId": rid, "UploadAddress": {"StoreInfos": infos, "UploadHosts": [emu.upload_host],
                                                              "SessionKey": sess.key}}, rid)

    def commit_image_upload(self) -> Response:
        ctx = self.ctx
        body: Any = {}
        raw = ctx.req.body
        if raw.strip():
            try:
                body = json_body(raw)
            except ValueError:
                raise GatewayError("InvalidParameter", "The parameter body is invalid: not JSON.") from None
            if not isinstance(body, dict):
                raise GatewayError("InvalidParameter", "The parameter body is invalid: not a JSON object.")
        key = body.get("SessionKey") or ctx.q("SessionKey")
        if not isinstance(key, str) or not key:
            raise GatewayError("MissingParameter", "The request is missing SessionKey parameter.")
        skip = str(ctx.q("SkipMeta", "") or body.get("SkipMeta", "")).lower() == "true"
        results, plugin = backend.commit_upload(ctx.emu.state, self.service_id, key, ctx.now,
                                                body.get("SuccessOids"), skip)
        rid = request_id(ctx.now)
        result: dict = {"RequestId": rid, "Results": results}
        if not skip:
            result["PluginResult"] = plugin
        return self._ok(result, rid)


# ---- the route entry points the server calls (wsgi.App) ---------------------------------------
handle, fault_response, internal_error, bad_request, too_large = entry_points(ImageXResponse)
