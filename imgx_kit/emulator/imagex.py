"""ImageX OpenAPI: ``ApplyImageUpload`` and ``CommitImageUpload`` (protocols.md §3.3, §3.6, §7).

Both signing flavours are accepted: AWS4 with the STS credentials from ``get_upload_token``
(any ``SignedHeaders`` that include ``x-amz-date`` and the token, as the web app signs) and VOLC
``HMAC-SHA256`` with service ``ImageX``/``imagex`` (the official SDK).
"""
from __future__ import annotations

import hashlib
import io
import warnings
import re
from pathlib import Path

from werkzeug.wrappers import Response

from .auth import check_action, GatewayCall, gateway_answer, verify_gateway
from .context import Ctx, json_body
from .envelopes import gateway_ok, json_response, request_id
from .faults import Fault
from .state import normalise_key

__all__ = ["handle", "fault_response", "internal_error", "bad_request", "too_large", "max_body",
           "image_meta"]

VERSION = "2018-08-01"
ACTIONS = ("ApplyImageUpload", "CommitImageUpload")
_EXT = re.compile(r"^\.[A-Za-z0-9]{1,7}$")


def max_body(emu) -> int:
    return emu.max_body_imagex


def _call(ctx: Ctx) -> GatewayCall:
    return GatewayCall(ctx.q("Action") or "", ctx.q("Version") or "", "imagex", "cn-north-1")


def fault_response(ctx: Ctx, fault: Fault) -> Response:
    call = _call(ctx)
    if fault.throttle:
        return gateway_answer(ctx, call, "FlowLimitExceeded")
    code = {503: "ServiceUnavailableTemp", 429: "FlowLimitExceeded", 502: "InternalError",
            504: "InternalError"}.get(fault.status or 500, "InternalError")
    return gateway_answer(ctx, call, code, status=fault.status)


def internal_error(ctx: Ctx) -> Response:
    return gateway_answer(ctx, _call(ctx), "InternalError")


def bad_request(ctx: Ctx, why: str) -> Response:
    return gateway_answer(ctx, _call(ctx), "InvalidParameter", f"The parameter request is invalid: {why}.")


def too_large(ctx: Ctx) -> Response:
    return gateway_answer(ctx, _call(ctx), "InvalidParameter",
                          f"The parameter body is invalid: over {ctx.emu.max_body_imagex} bytes.", status=413)


def handle(ctx: Ctx) -> Response:
    call = _call(ctx)
    refused = check_action(ctx, call, ACTIONS, VERSION)
    if refused is not None:
        return refused
    action, version = ctx.q("Action"), VERSION
    method = ctx.req.method
    if (action == "ApplyImageUpload" and method not in ("GET", "POST")) or \
            (action == "CommitImageUpload" and method != "POST"):
        return gateway_answer(ctx, call, "MethodNotAllowed")
    v, err = verify_gateway(ctx, call, kind="imagex")
    if err is not None:
        return err
    assert v is not None and v.parsed is not None
    call = GatewayCall(action, version, "imagex", v.parsed.region)
    service_id = ctx.q("ServiceId")
    if not service_id:
        return gateway_answer(ctx, call, "MissingParameter", "The request is missing ServiceId parameter.")
    grant = ctx.emu.state.grant(v.parsed.access_key)
    allowed = {grant.service_id} if grant is not None else ctx.emu.state.service_ids
    if service_id not in allowed:
        return gateway_answer(ctx, call, "AccessDenied",
                              f"User is not authorized to perform: {action} on resource: {service_id}.")
    if action == "ApplyImageUpload":
        return _apply(ctx, call, v.parsed.access_key, service_id)
    return _commit(ctx, call, service_id)


def _int_param(ctx: Ctx, name: str, default: int | None, lo: int, hi: int) -> tuple[int | None, bool]:
    raw = ctx.q(name)
    if raw is None or raw == "":
        return default, True
    if not re.fullmatch(r"[0-9]{1,19}", raw):
        return None, False
    val = int(raw)
    return val, lo <= val <= hi


def _apply(ctx: Ctx, call: GatewayCall, ak: str, service_id: str) -> Response:
    if ctx.emu.state.grant(ak) is not None:
        # the Jimeng web flavour (a get_upload_token STS token): seed 001 lists FileSize and s
        # as required; the SDK flavour (long-term keys) sends neither (protocols.md §3.3)
        for name in ("FileSize", "s") if (ctx.q("UploadNum") or "1") == "1" else ("s",):
            if not ctx.q(name):
                return gateway_answer(ctx, call, "MissingParameter", f"The request is missing {name} parameter.")
    size, ok = _int_param(ctx, "FileSize", None, 0, 1 << 40)
    if not ok:
        return gateway_answer(ctx, call, "InvalidParameter", "The parameter FileSize is invalid.")
    num, ok = _int_param(ctx, "UploadNum", 1, 1, 10)
    if not ok or num is None:
        return gateway_answer(ctx, call, "InvalidParameter", "The parameter UploadNum is invalid.")
    keys = [k for k in ctx.q_all("StoreKeys") if k != ""]
    if len(keys) > num or any(normalise_key(k) is None for k in keys):
        return gateway_answer(ctx, call, "InvalidParameter", "The parameter StoreKeys is invalid.")
    prefix = ctx.q("Prefix") or None
    ext = ctx.q("FileExtension") or ""
    if prefix is not None and (prefix.startswith("/") or prefix.endswith("/") or "//" in prefix
                               or normalise_key(prefix) is None or len(prefix) + len(ext) > 145):
        return gateway_answer(ctx, call, "InvalidParameter", "The parameter Prefix is invalid.")
    if ext and not _EXT.match(ext):
        return gateway_answer(ctx, call, "InvalidParameter", "The parameter FileExtension is invalid.")
    emu = ctx.emu
    sess, slots = emu.state.new_upload_session(ak, service_id, num, ctx.now, size, keys, prefix, ext,
                                               ttl=emu.session_ttl)
    ctx.secrets = tuple(s.auth for s in slots)
    rid = request_id(ctx.now)
    result = {"RequestId": rid,
              "UploadAddress": {"StoreInfos": [{"StoreUri": s.store_uri, "Auth": s.auth, "UploadID": s.upload_id}
                                               for s in slots],
                                "UploadHosts": [emu.upload_host],
                                "SessionKey": sess.key}}
    st, body = gateway_ok(result, action=call.action, version=call.version, service="imagex",
                          region=call.region, request_id=rid)
    return json_response(st, body)


def _commit(ctx: Ctx, call: GatewayCall, service_id: str) -> Response:
    body: dict = {}
    raw = ctx.req.body
    if raw.strip():
        try:
            body = json_body(raw)
        except ValueError:
            return gateway_answer(ctx, call, "InvalidParameter", "The parameter body is invalid: not JSON.")
        if not isinstance(body, dict):
            return gateway_answer(ctx, call, "InvalidParameter", "The parameter body is invalid: not a JSON object.")
    key = body.get("SessionKey") or ctx.q("SessionKey")
    if not isinstance(key, str) or not key:
        return gateway_answer(ctx, call, "MissingParameter", "The request is missing SessionKey parameter.")
    state = ctx.emu.state
    sess = state.session(key)
    # seed 004's codes: InvalidSessionKey (not one we issued, or another service's) and
    # SessionNotFound (expired: "re-apply"); protocols.md only infers InvalidParameter
    if sess is None or sess.service_id != service_id:
        return gateway_answer(ctx, call, "InvalidSessionKey", "The SessionKey is invalid.")
    if ctx.now > sess.expires_at:
        return gateway_answer(ctx, call, "SessionNotFound",
                              "The upload session has expired: apply for a new upload (ApplyImageUpload).")
    oids = body.get("SuccessOids")
    if oids is not None:
        if not isinstance(oids, list) or not all(isinstance(o, str) for o in oids) \
                or not set(oids) <= set(sess.store_uris):
            return gateway_answer(ctx, call, "InvalidParameter", "The parameter SuccessOids is invalid.")
        wanted = oids
    else:
        wanted = list(sess.store_uris)
    skip = str(ctx.q("SkipMeta", "") or body.get("SkipMeta", "")).lower() == "true"
    results, plugin = [], []
    for uri in wanted:
        slot = state.slot(uri)
        done = slot is not None and slot.path is not None
        results.append({"Uri": uri, "UriStatus": 2000 if done else 2001})
        if done and not skip:
            plugin.append(image_meta(uri, slot.path))  # type: ignore[union-attr,arg-type]
    # a repeated Commit of a session answers as the first did and commits nothing new: its objects
    # were fixed at Apply (the evidence is in imgx_kit/services/imagex.py's docstring)
    sess.committed = True
    sess.committed_uris.update(r["Uri"] for r in results if r["UriStatus"] == 2000)
    rid = request_id(ctx.now)
    result: dict = {"RequestId": rid, "Results": results}
    if not skip:
        result["PluginResult"] = plugin
    st, out = gateway_ok(result, action=call.action, version=call.version, service="imagex",
                         region=call.region, request_id=rid)
    return json_response(st, out)


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
