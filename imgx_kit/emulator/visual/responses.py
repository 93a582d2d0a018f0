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
from typing import Any, ClassVar
from urllib.parse import urlsplit

import numpy as np
import requests
import urllib3
from PIL import Image, UnidentifiedImageError
from werkzeug.wrappers import Response

from ...core.errors import ImageInputError
from ...core.redact import redact_url
from ...services.masks import binary_mask
from ..auth import GatewayCall, check_action, gateway_response, verify_gateway
from ..context import Ctx, json_body
from ..envelopes import CV_ERRORS, cv_error, cv_ok, json_response, request_id
from ..errors import CvError, GatewayError, ServiceError
from ..faults import Fault
from ..inpaint import InpaintParams, run_backend
from ..responses import BaseResponse, entry_points
from . import backend

__all__ = ["MAX_IMAGE_BYTES", "MAX_SIDE", "VisualResponse", "bad_request", "fault_response", "handle",
           "internal_error", "max_body", "too_large"]

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


class _Invalid(CvError):
    """An input the service rejects with 50215; the text says why (kept in the log)."""

    def __init__(self, why: str) -> None:
        super().__init__(_INPUT_INVALID, why)


def max_body(emu: Any) -> int:
    return int(emu.max_body_visual)


def _elapsed(ctx: Ctx) -> float:
    return max(0.0, time.time() - ctx.environ.get("imgx.t0", time.time()))


class VisualResponse(BaseResponse):
    """One visual (CV) request: the gateway's checks in :meth:`call`, then one method per Action."""

    ACTIONS: ClassVar[dict[str, str]] = {
        "CVProcess": "cv_process", "Img2ImgInpainting": "img2img_inpainting",
        "Img2ImgInpaintingEdit": "img2img_inpainting_edit",
        "CVSync2AsyncSubmitTask": "cv_sync2async_submit_task", "CVSubmitTask": "cv_submit_task",
        "CVSync2AsyncGetResult": "cv_sync2async_get_result", "CVGetResult": "cv_get_result"}

    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self.gw = GatewayCall(ctx.q("Action") or "", ctx.q("Version") or "", "cv", "cn-north-1")
        self.body: dict = {}
        self.action = ""

    def error_response(self, err: ServiceError) -> Response:
        ctx = self.ctx
        if isinstance(err, GatewayError):
            return gateway_response(ctx, self.gw, err)
        assert isinstance(err, CvError), err
        code, why = err.code, err.why
        ctx.verdict(str(code), why or CV_ERRORS[code][1])
        said = f"{CV_ERRORS[code][1]} ({why})" if why and code == _INPUT_INVALID and ctx.emu.teaching else None
        st, body = cv_error(code, request_id=request_id(ctx.now), elapsed=_elapsed(ctx), data=err.data,
                            message=said)
        return json_response(st, body)

    def fault_error(self, fault: Fault) -> ServiceError:
        if fault.throttle or fault.status == 429:
            return CvError(50429, "fault: throttled")
        if fault.status is not None and fault.status >= 500:
            if fault.status == 500:
                return CvError(50500, "fault: internal error")
            return GatewayError("ServiceUnavailableTemp", status=fault.status)
        return CvError(_INPUT_INVALID, f"fault: status {fault.status}")

    def internal_error(self) -> ServiceError:
        return CvError(50500, "unexpected emulator error")

    def bad_request_error(self, why: str) -> ServiceError:
        return GatewayError("InvalidParameter", f"The parameter request is invalid: {why}.")

    def too_large_error(self) -> ServiceError:
        return CvError(_INPUT_INVALID, f"request body over {self.ctx.emu.max_body_visual} bytes")

    def call(self) -> Response:
        ctx = self.ctx
        req = ctx.req
        if req.method == "GET" and ctx.path.startswith("/results/"):
            return self._result_file()
        action = check_action(ctx, REQ_KEYS, VERSION)
        if req.method != "POST":
            raise GatewayError("MethodNotAllowed")
        verify_gateway(ctx, kind="cv")
        bucket = ctx.emu.visual_bucket
        if bucket is not None and not bucket.take():
            raise CvError(50429, "QPS limit reached")
        ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise _Invalid(f"Content-Type {ctype or '(none)'!r} is not application/json")
        try:
            body = json_body(req.body)
        except ValueError:
            raise _Invalid("the body is not JSON") from None
        if not isinstance(body, dict):
            raise _Invalid("the body is not a JSON object")
        key = body.get("req_key")
        if key not in REQ_KEYS[action]:
            raise _Invalid(f"req_key {key!r} is not one of {', '.join(REQ_KEYS[action])} for {action}")
        hook = body.get("imgx_emulator_error")
        if hook is not None:
            if isinstance(hook, int) and not isinstance(hook, bool) and hook in CV_ERRORS:
                raise CvError(hook, "test hook imgx_emulator_error")
            raise _Invalid(f"imgx_emulator_error {hook!r} is not a CV error code")
        self.body, self.action = body, action
        return self.call_action(action)

    # ---- one method per Action ---------------------------------------------------------------
    def cv_process(self) -> Response:
        return self._inpaint(submit=False)

    def img2img_inpainting(self) -> Response:
        return self._inpaint(submit=False)

    def img2img_inpainting_edit(self) -> Response:
        return self._inpaint(submit=False)

    def cv_sync2async_submit_task(self) -> Response:
        return self._inpaint(submit=True)

    def cv_submit_task(self) -> Response:
        return self._inpaint(submit=True)

    def cv_sync2async_get_result(self) -> Response:
        return self._get_result()

    def cv_get_result(self) -> Response:
        return self._get_result()

    def _inpaint(self, *, submit: bool) -> Response:
        ctx, body = self.ctx, self.body
        image, mask, params, _ = _inputs(ctx, body, body.get("req_key") == "i2i_inpainting_edit")
        out = run_backend(ctx.emu.backend, image, mask, params)
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
        if submit:
            data = {"task_id": backend.submit_task(ctx.emu.state, data)}
        ctx.verdict(None, "inpainted")
        st, out_body = cv_ok(data, request_id=rid, elapsed=_elapsed(ctx))
        return json_response(st, out_body)

    def _get_result(self) -> Response:
        ctx = self.ctx
        task = self.body.get("task_id")
        data = backend.task_result(ctx.emu.state, task)
        if data is None:
            raise _Invalid(f"task_id {task!r} is unknown")
        ctx.verdict(None, "task result")
        st, resp = cv_ok(data, request_id=request_id(ctx.now), elapsed=_elapsed(ctx))
        return json_response(st, resp)

    def _result_file(self) -> Response:
        ctx = self.ctx
        name = ctx.path[len("/results/"):].removesuffix(".png")
        png = ctx.emu.results.get(name)
        if png is None:
            ctx.verdict("NoSuchKey", "no such result")
            return Response(b"not found", status=404, content_type="text/plain")
        ctx.verdict(None, "result image")
        return Response(png, status=200, content_type="image/png")


# ---- the route entry points the server calls (wsgi.App) ---------------------------------------
handle, fault_response, internal_error, bad_request, too_large = entry_points(VisualResponse)


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
        mask: np.ndarray = binary_mask(im, error=ImageInputError)
    except ImageInputError as e:
        raise _Invalid(str(e)) from None
    return mask


def _encode(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "PNG", compress_level=1)
    return buf.getvalue()
