"""Volcengine visual: ``CVProcess`` / ``Img2ImgInpainting`` (``req_key=i2i_inpainting``) and the
async pair, protocols.md §4 and §7 E5. VOLC signature (service ``cv``) through the signing core,
then the CV business envelope (``code`` 10000 or 50xxx).

Test hooks: a body field ``"imgx_emulator_error": 50411`` (any code of
:data:`~imgx_kit.emulator.envelopes.CV_ERRORS`) makes the call fail with that code;
``running(visual_qps=N)`` turns on a token bucket that answers 50429 above N calls/s.
"""
from __future__ import annotations

import base64
import binascii
import io
import time
from urllib.parse import urlsplit

import numpy as np
import requests
import urllib3
from PIL import Image, UnidentifiedImageError
from werkzeug.wrappers import Response

from ..core.errors import ImageInputError
from ..core.redact import redact_url
from ..services.masks import binary_mask
from .auth import check_action, GatewayCall, gateway_answer, verify_gateway
from .context import Ctx, json_body
from .envelopes import CV_ERRORS, cv_error, cv_ok, json_response, request_id
from .faults import Fault
from .inpaint import InpaintParams, run_backend
from .throttle import TokenBucket

__all__ = ["handle", "fault_response", "internal_error", "bad_request", "too_large", "max_body",
           "TokenBucket", "MAX_IMAGE_BYTES", "MAX_SIDE"]

VERSION = "2022-08-31"
REQ_KEYS = {"CVProcess": ("i2i_inpainting", "i2i_inpainting_edit"),
            "Img2ImgInpainting": ("i2i_inpainting",),
            "Img2ImgInpaintingEdit": ("i2i_inpainting_edit",),
            "CVSync2AsyncSubmitTask": ("i2i_inpainting", "i2i_inpainting_edit"),
            "CVSubmitTask": ("i2i_inpainting", "i2i_inpainting_edit"),
            "CVSync2AsyncGetResult": ("i2i_inpainting", "i2i_inpainting_edit"),
            "CVGetResult": ("i2i_inpainting", "i2i_inpainting_edit")}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4096
_INPUT_INVALID = 50215
_FETCH_TIMEOUT = 10.0           # seconds to download one image_urls entry


class _Invalid(Exception):
    """An input the service rejects with 50215; the text says why (kept in the log)."""


def max_body(emu) -> int:
    return emu.max_body_visual


def _call(ctx: Ctx) -> GatewayCall:
    return GatewayCall(ctx.q("Action") or "", ctx.q("Version") or "", "cv", "cn-north-1")


def _cv(ctx: Ctx, code: int, why: str = "", data=None) -> Response:
    ctx.verdict(str(code), why or CV_ERRORS[code][1])
    said = f"{CV_ERRORS[code][1]} ({why})" if why and code == _INPUT_INVALID and ctx.emu.teaching else None
    st, body = cv_error(code, request_id=request_id(ctx.now), elapsed=_elapsed(ctx), data=data, message=said)
    return json_response(st, body)


def _elapsed(ctx: Ctx) -> float:
    return max(0.0, time.time() - ctx.environ.get("imgx.t0", time.time()))


def fault_response(ctx: Ctx, fault: Fault) -> Response:
    if fault.throttle or fault.status == 429:
        return _cv(ctx, 50429, "fault: throttled")
    if fault.status is not None and fault.status >= 500:
        if fault.status == 500:
            return _cv(ctx, 50500, "fault: internal error")
        return gateway_answer(ctx, _call(ctx), "ServiceUnavailableTemp", status=fault.status)
    return _cv(ctx, _INPUT_INVALID, f"fault: status {fault.status}")


def internal_error(ctx: Ctx) -> Response:
    return _cv(ctx, 50500, "unexpected emulator error")


def bad_request(ctx: Ctx, why: str) -> Response:
    return gateway_answer(ctx, _call(ctx), "InvalidParameter", f"The parameter request is invalid: {why}.")


def too_large(ctx: Ctx) -> Response:
    return _cv(ctx, _INPUT_INVALID, f"request body over {ctx.emu.max_body_visual} bytes")


def handle(ctx: Ctx) -> Response:
    req = ctx.req
    if req.method == "GET" and ctx.path.startswith("/results/"):
        return _result_file(ctx)
    call = _call(ctx)
    refused = check_action(ctx, call, REQ_KEYS, VERSION)
    if refused is not None:
        return refused
    action = ctx.q("Action")
    if req.method != "POST":
        return gateway_answer(ctx, call, "MethodNotAllowed")
    v, err = verify_gateway(ctx, call, kind="cv")
    if err is not None:
        return err
    bucket = ctx.emu.visual_bucket
    if bucket is not None and not bucket.take():
        return _cv(ctx, 50429, "QPS limit reached")
    ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return _cv(ctx, _INPUT_INVALID, f"Content-Type {ctype or '(none)'!r} is not application/json")
    try:
        body = json_body(req.body)
    except ValueError:
        return _cv(ctx, _INPUT_INVALID, "the body is not JSON")
    if not isinstance(body, dict):
        return _cv(ctx, _INPUT_INVALID, "the body is not a JSON object")
    key = body.get("req_key")
    if key not in REQ_KEYS[action]:
        return _cv(ctx, _INPUT_INVALID, f"req_key {key!r} is not one of {', '.join(REQ_KEYS[action])} for {action}")
    hook = body.get("imgx_emulator_error")
    if hook is not None:
        if isinstance(hook, int) and not isinstance(hook, bool) and hook in CV_ERRORS:
            return _cv(ctx, hook, "test hook imgx_emulator_error")
        return _cv(ctx, _INPUT_INVALID, f"imgx_emulator_error {hook!r} is not a CV error code")
    if action in ("CVSync2AsyncGetResult", "CVGetResult"):
        return _get_result(ctx, body)
    try:
        image, mask, params, fmt = _inputs(ctx, body, key == "i2i_inpainting_edit")
        out = run_backend(ctx.emu.backend, image, mask, params)
    except _Invalid as e:
        return _cv(ctx, _INPUT_INVALID, str(e))
    png = _encode(out)
    rid = request_id(ctx.now)
    b64 = base64.b64encode(png).decode("ascii")
    urls = None
    if body.get("return_url") is True:
        ctx.emu.results[rid] = png
        urls = [f"{ctx.emu.base('visual')}/results/{rid}.png"]
    data = {"algorithm_base_resp": {"status_code": 0, "status_message": "Success"},
            "binary_data_base64": [b64], "image_urls": urls,
            "request_id": ctx.emu.state.hex(64)}
    if action in ("CVSync2AsyncSubmitTask", "CVSubmitTask"):
        task = ctx.emu.state.hex(20)
        with ctx.emu.state.lock:
            ctx.emu.state.tasks[task] = data
        data = {"task_id": task}
    ctx.verdict(None, "inpainted")
    st, out_body = cv_ok(data, request_id=rid, elapsed=_elapsed(ctx))
    return json_response(st, out_body)


def _get_result(ctx: Ctx, body: dict) -> Response:
    task = body.get("task_id")
    with ctx.emu.state.lock:
        data = ctx.emu.state.tasks.get(task) if isinstance(task, str) else None
    if data is None:
        return _cv(ctx, _INPUT_INVALID, f"task_id {task!r} is unknown")
    out = dict(data, status="done", resp_data="")
    ctx.verdict(None, "task result")
    st, resp = cv_ok(out, request_id=request_id(ctx.now), elapsed=_elapsed(ctx))
    return json_response(st, resp)


def _result_file(ctx: Ctx) -> Response:
    name = ctx.path[len("/results/"):].removesuffix(".png")
    png = ctx.emu.results.get(name)
    if png is None:
        ctx.verdict("NoSuchKey", "no such result")
        return Response(b"not found", status=404, content_type="text/plain")
    ctx.verdict(None, "result image")
    return Response(png, status=200, content_type="image/png")


# ---- input validation -----------------------------------------------------------------------
def _num(body: dict, name: str, lo: float, hi: float, integer: bool, default):
    v = body.get(name, default)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
        raise _Invalid(f"{name}={v!r} is not {'an integer' if integer else 'a number'}")
    if not lo <= v <= hi:
        raise _Invalid(f"{name}={v!r} is outside [{lo:g}, {hi:g}]")
    return v


def _inputs(ctx: Ctx, body: dict, edit: bool):
    b64s, urls = body.get("binary_data_base64"), body.get("image_urls")
    if b64s is not None and urls is not None:
        raise _Invalid("give binary_data_base64 or image_urls, not both")
    if b64s is not None:
        if not isinstance(b64s, list) or len(b64s) != 2 or not all(isinstance(s, str) for s in b64s):
            raise _Invalid("binary_data_base64 must be a list of 2 base64 strings [image, mask]")
        blobs = [_b64(s, i) for i, s in enumerate(b64s)]
    elif urls is not None:
        if not isinstance(urls, list) or len(urls) != 2 or not all(isinstance(s, str) for s in urls):
            raise _Invalid("image_urls must be a list of 2 URLs [image, mask]")
        blobs = [_fetch(ctx, u) for u in urls]
    else:
        raise _Invalid("binary_data_base64 or image_urls is required")
    image, fmt = _decode(blobs[0], "image")
    mask_img, _ = _decode(blobs[1], "mask")
    if mask_img.size != image.size:
        raise _Invalid(f"mask is {mask_img.size[0]}x{mask_img.size[1]}, image is {image.size[0]}x{image.size[1]}")
    mask = _mask(mask_img)
    params = InpaintParams(seed=_num(body, "seed", -1, 2 ** 63 - 1, True, 0),
                           steps=_num(body, "steps", 1, 200, True, 30),
                           strength=float(_num(body, "strength", 0.1, 1.0, False, 0.8)),
                           scale=float(_num(body, "scale", 1, 20, False, 7.0)),
                           prompt=body.get("custom_prompt") if isinstance(body.get("custom_prompt"), str) else None)
    if edit and not params.prompt:
        raise _Invalid("custom_prompt is required for i2i_inpainting_edit")
    rgb = np.asarray(image.convert("RGB"))
    return rgb, mask, params, fmt


def _b64(text: str, i: int) -> bytes:
    what = "image" if i == 0 else "mask"
    if text.startswith("data:"):
        raise _Invalid(f"{what} base64 has a data: URL prefix")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid(f"{what} is not valid base64") from None
    if not data:
        raise _Invalid(f"{what} is empty")
    return data


def _fetch(ctx: Ctx, url: str) -> bytes:
    """Download an image URL as the service does, over HTTP, but only from this emulator
    (offline): OSS judges the GET as any other, so a private object needs a signed URL. Any
    failure (refused, not 200, unreachable, too slow) is an input the service rejects; the first
    ``MAX_IMAGE_BYTES + 1`` bytes are read, so ``_decode`` sees an oversized image as such."""
    shown = redact_url(url)[:120]
    try:
        sp = urlsplit(url)
    except ValueError:
        raise _Invalid(f"image URL {shown!r} does not parse") from None
    if sp.scheme not in ("http", "https"):
        raise _Invalid(f"image URL {shown!r} is not http or https")
    if not ctx.emu.own_host(sp.netloc):
        raise _Invalid(f"image URL host {sp.netloc!r} is not reachable from the emulator")
    try:
        with requests.Session() as session:
            session.trust_env = False           # loopback: no proxies from the environment
            with session.get(url, stream=True, timeout=_FETCH_TIMEOUT, allow_redirects=False,
                             verify=ctx.emu.ca_bundle or True) as resp:
                if resp.status_code != 200:
                    raise _Invalid(f"downloading image URL {shown!r} answered HTTP {resp.status_code}")
                return resp.raw.read(MAX_IMAGE_BYTES + 1, decode_content=True)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
        raise _Invalid(f"downloading image URL {shown!r} failed: {type(e).__name__}") from None


def _decode(data: bytes, what: str) -> tuple[Image.Image, str]:
    if len(data) > MAX_IMAGE_BYTES:
        raise _Invalid(f"{what} is {len(data)} bytes, over {MAX_IMAGE_BYTES}")
    try:
        im = Image.open(io.BytesIO(data))
        fmt = im.format or ""
        if fmt not in ("JPEG", "PNG"):
            raise _Invalid(f"{what} is {fmt or 'an unknown format'}, not JPEG or PNG")
        if max(im.size) > MAX_SIDE:
            raise _Invalid(f"{what} is {im.size[0]}x{im.size[1]}, over {MAX_SIDE} px a side")
        im.load()
    except _Invalid:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise _Invalid(f"{what} does not decode as an image") from None
    return im, fmt


def _mask(im: Image.Image) -> np.ndarray:
    try:                                                    # the one mask rule (services.masks)
        return binary_mask(im, error=ImageInputError)
    except ImageInputError as e:
        raise _Invalid(str(e)) from None


def _encode(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "PNG", compress_level=1)
    return buf.getvalue()
