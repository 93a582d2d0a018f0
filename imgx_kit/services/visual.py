"""Volcengine visual inpainting (``CVProcess``, ``req_key=i2i_inpainting``), every call recorded.

    >>> import imgx_kit as ik, numpy as np
    >>> with ik.emulator.running() as emu:                                   # doctest: +SKIP
    ...     vc = ik.VisualClient(emu.demo_volc_credentials, endpoint=emu.endpoints.visual)
    ...     img = np.full((64, 64, 3), 200, np.uint8); mask = np.zeros((64, 64), bool); mask[20:40, 20:40] = True
    ...     out = vc.inpaint(img, mask, seed=0, steps=30, strength=0.8, scale=7)
    ...     out.image.size, out.request_id[:8], [c.label for c in out.calls]
    ((64, 64), '2025…', ['CVProcess'])

The image and mask accept every input of :mod:`imgx_kit.services.images`; the mask is checked
against the image size and for binarity (white 255 = repaint) before anything is sent.
"""
from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from ..core import presets
from ..core.credentials import Credentials
from ..core.errors import (
    ClientConfigError,
    CredentialsError,
    ImageInputError,
    InpaintError,
    ServiceError,
    SignatureMismatchError,
    ThrottledError,
)
from ..core.html_layout import plural
from ..core.request import HttpRequest
from .calls import Calls, Exchange, Transport, calls_html, safe_echo
from .client_args import check_endpoint, check_transport_args
from .images import load_mask, load_pil, mask_png
from .retry import DEFAULT_POLICY, RetryPolicy, parse_retry_after

__all__ = ["CV_VERSION", "DEFAULT_VISUAL", "MAX_BYTES", "MAX_SIDE", "InpaintResult", "VisualClient"]

CV_VERSION = "2022-08-31"
DEFAULT_VISUAL = "https://visual.volcengineapi.com"
MAX_SIDE = 4096
MAX_BYTES = 5 * 1024 * 1024
_RETRY_CODES = {50429, 50430, 50500, 50501, 50511, 50519}
_HINTS = {
    50215: "the input was refused: check image format (JPEG/PNG), size (≤ 4096 px, ≤ 5 MB) and that the mask matches",
    50411: "the input image failed moderation; use another image",
    50412: "the text failed moderation",
    50400: "the service is not activated for this account",
    50204: "this req_key is not supported",
}
_NO_HINT = "see e.calls[-1].json for the service's answer"


@dataclass(frozen=True, repr=False)
class InpaintResult:
    """The inpainted ``image`` (PIL), the service's ``request_id`` and every exchange in ``calls``."""

    image: Image.Image
    calls: Calls = field(default_factory=Calls, compare=False)
    request_id: str | None = None
    time_elapsed: str | None = None
    mask: np.ndarray | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        return (f"InpaintResult({self.image.width}x{self.image.height} {self.image.mode}, "
                f"request_id={self.request_id!r}, {plural(len(self.calls), 'call')})")

    def _repr_html_(self) -> str:
        buf = io.BytesIO()
        thumb = self.image.copy()
        thumb.thumbnail((512, 512))
        thumb.save(buf, "PNG")
        b64 = base64.b64encode(buf.getvalue()).decode()
        return (f"<div><b>inpainted</b> {self.image.width}×{self.image.height} · request_id "
                f"<code>{html.escape(str(self.request_id))}</code><br><img src='data:image/png;base64,{b64}'/>"
                f"{calls_html(self.calls)}</div>")


class VisualClient:
    """Volcengine visual (``cv``) client: ``VOLC_CV`` signing, retries on throttling and 5xx."""

    def __init__(self, credentials: Credentials, endpoint: str | None = None, region: str = "cn-north-1",
                 *, retry: RetryPolicy | None = None, transport: Transport | None = None,
                 verify: bool | str | None = None, action: str = "CVProcess", timeout: Any = (10.0, 120.0)) -> None:
        if not isinstance(credentials, Credentials):
            raise CredentialsError(f"credentials must be ik.Credentials, not {type(credentials).__name__}",
                                   hint="e.g. ik.Credentials.from_env('VOLC') or emu.demo_volc_credentials")
        if endpoint is not None and (not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://"))):
            raise ClientConfigError(f"endpoint {endpoint!r:.80} is not an http(s) URL",
                                    hint="e.g. emu.endpoints.visual or https://visual.volcengineapi.com")
        if action not in ("CVProcess", "Img2ImgInpainting"):
            raise ClientConfigError(f"action {action!r:.40} is not CVProcess or Img2ImgInpainting",
                                    hint="leave it out (CVProcess) or pass action='Img2ImgInpainting'")
        check_transport_args(retry, transport, verify, timeout)
        self.credentials = credentials
        self.endpoint = check_endpoint(endpoint or DEFAULT_VISUAL, "endpoint")
        self.signer = presets.VOLC_CV.with_(region=region)
        self.retry = retry or DEFAULT_POLICY
        self.transport = transport or Transport(timeout=timeout, verify=verify)
        self.action = action

    def __repr__(self) -> str:
        return f"VisualClient({self.endpoint!r}, {self.credentials!r}, region={self.signer.region!r})"

    def inpaint(self, image: Any, mask: Any, seed: int = 0, steps: int = 30, strength: float = 0.8,
                scale: float = 7, *, return_url: bool = False, extra: dict | None = None) -> InpaintResult:
        """Repaint the white (True) area of ``mask`` in ``image``; returns an :class:`InpaintResult`."""
        _check_params(seed, steps, strength, scale)
        _check_extra(extra)
        im, src = load_pil(image)
        w, h = im.size
        if max(w, h) > MAX_SIDE:
            raise ImageInputError(f"the image is {w}x{h}, over {MAX_SIDE} px a side",
                                  hint="resize it first, e.g. im.thumbnail((4096, 4096)), and the mask with it")
        m = load_mask(mask, (w, h))
        if src.format in ("png", "jpeg") and src.size <= MAX_BYTES and not isinstance(image, (Image.Image, np.ndarray)):
            img_bytes = src.read_bytes()
        else:
            buf = io.BytesIO()
            im.convert("RGB").save(buf, "PNG", compress_level=3)
            img_bytes = buf.getvalue()
        if len(img_bytes) > MAX_BYTES:
            raise ImageInputError(f"the image encodes to {len(img_bytes)} bytes, over {MAX_BYTES}",
                                  hint="resize it or send a JPEG")
        body: dict[str, Any] = {"req_key": "i2i_inpainting",
                                "binary_data_base64": [base64.b64encode(img_bytes).decode("ascii"),
                                                       base64.b64encode(mask_png(m)).decode("ascii")],
                                "return_url": bool(return_url), "seed": int(seed), "steps": int(steps),
                                "strength": float(strength), "scale": float(scale)}
        if extra:
            body.update(extra)
        payload = json.dumps(body, separators=(",", ":"))
        url = f"{self.endpoint}/?Action={self.action}&Version={CV_VERSION}"
        req = HttpRequest.build("POST", url, [("Content-Type", "application/json")], payload)
        calls = Calls()
        secrets = self.credentials.secrets()

        def once(attempt: int) -> InpaintResult:
            trace = self.signer.sign(req, self.credentials)
            ex = self.transport.send(trace.signed_request, label=self.action, trace=trace, attempt=attempt,
                                     secrets=secrets, sink=calls,
                                     preview=f'{{"req_key":"i2i_inpainting",'
                                             f'"binary_data_base64":[<image {len(img_bytes)} bytes>, <mask>],'
                                             f'"seed":{int(seed)},"steps":{int(steps)},'
                                             f'"strength":{float(strength)},"scale":{float(scale)}}}')
            return self._answer(ex, calls, m)

        try:
            return self.retry.run(once)
        except ServiceError as e:
            e.calls = list(calls)
            raise

    def _answer(self, ex: Exchange, calls: Calls, mask: np.ndarray) -> InpaintResult:
        doc = ex.json if isinstance(ex.json, dict) else {}
        meta = doc.get("ResponseMetadata") if isinstance(doc.get("ResponseMetadata"), dict) else None
        if meta and meta.get("Error"):
            err = meta["Error"]
            code, msg, rid = err.get("Code"), err.get("Message"), meta.get("RequestId")
            text = f"{self.action} failed: {msg}"
            if code == "SignatureDoesNotMatch":
                raise SignatureMismatchError(text, echo=safe_echo(doc, ex.status, self.credentials.secrets()),
                                             code=code, status=ex.status, request_id=rid, service="cv",
                                             hint="compare calls[-1].trace with e.echo (trace.diff(e.echo))")
            if code == "FlowLimitExceeded" or ex.status == 429:
                e = ThrottledError(text, code=code, status=ex.status, request_id=rid, service="cv",
                                   hint="too many requests; retried with backoff")
                e.retry_after = parse_retry_after(ex.headers.get("Retry-After"))  # type: ignore[attr-defined]
                raise e
            raise ServiceError(text, code=code, status=ex.status, request_id=rid, service="cv")
        code = doc.get("code")
        rid = doc.get("request_id")
        if code != 10000:
            if not doc:
                raise ServiceError(f"{self.action} answered HTTP {ex.status} without JSON", status=ex.status,
                                   service="cv")
            text = f"inpainting failed: {doc.get('message')} (code {code})"
            if code in (50429, 50430) or ex.status == 429:
                e = ThrottledError(text, code=code, status=ex.status, request_id=rid, service="cv",
                                   hint="QPS or concurrency limit; retried with backoff")
                e.retry_after = parse_retry_after(ex.headers.get("Retry-After"))  # type: ignore[attr-defined]
                raise e
            err2 = InpaintError(text, code=code, status=ex.status, request_id=rid, service="cv",
                                hint=_HINTS.get(code, _NO_HINT) if isinstance(code, int) else _NO_HINT)
            err2.retryable = code in _RETRY_CODES or ex.status >= 500  # type: ignore[attr-defined]
            raise err2
        data = doc.get("data") or {}
        try:
            raw = base64.b64decode(data["binary_data_base64"][0], validate=True)
            out = Image.open(io.BytesIO(raw))
            out.load()
        except (KeyError, IndexError, TypeError, ValueError, OSError):
            raise InpaintError("the inpainting answer holds no decodable image", code="BadResult",
                               status=ex.status, request_id=rid, service="cv") from None
        return InpaintResult(out, calls, rid, doc.get("time_elapsed"), mask)


#: body fields inpaint() fills from its own arguments; ``extra`` may not replace them
_OWN_FIELDS = ("req_key", "binary_data_base64", "return_url", "seed", "steps", "strength", "scale")


def _check_extra(extra: Any) -> None:
    """``extra`` is more JSON fields for the body: a dict of str keys to JSON values."""
    if extra is None:
        return
    if not isinstance(extra, dict):
        raise ClientConfigError(f"extra must be a dict of body fields, not {type(extra).__name__}",
                                hint='e.g. extra={"logo_info": {"add_logo": False}}')
    own = [k for k in _OWN_FIELDS if k in extra]
    if own:
        raise ClientConfigError(f"extra sets {', '.join(own)}, which inpaint() fills from its arguments",
                                hint="pass them as arguments: inpaint(image, mask, seed=…, steps=…, "
                                     "strength=…, scale=…, return_url=…)")
    _check_json(extra, "extra")


def _check_json(value: Any, where: str) -> None:
    """Refuse what ``json.dumps`` would change or reject: non-str keys, NaN/inf, other types."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ClientConfigError(f"{where} has the key {k!r:.40}, which is not a str",
                                        hint="JSON object keys are strings")
            _check_json(v, f"{where}[{k!r:.40}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_json(v, f"{where}[{i}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ClientConfigError(f"{where} is {value}, which JSON cannot hold", hint="use a finite number")
    elif value is not None and not isinstance(value, (str, int, float)):
        raise ClientConfigError(f"{where} is of type {type(value).__name__}, which is not a JSON value",
                                hint="use str, int, float, bool, None, lists and dicts")


def _check_params(seed: Any, steps: Any, strength: Any, scale: Any) -> None:
    def num(name: str, v: Any, lo: float, hi: float, integer: bool) -> None:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
            raise ImageInputError(f"{name}={v!r:.40} is not {'a whole number' if integer else 'a number'}",
                                  hint="e.g. seed=0, steps=30, strength=0.8, scale=7")
        if not lo <= v <= hi:
            raise ImageInputError(f"{name}={v!r} is outside [{lo:g}, {hi:g}]",
                                  hint="the service documents strength 0.1–1.0 and scale 1–20")
    num("seed", seed, -1, 2 ** 63 - 1, True)
    num("steps", steps, 1, 200, True)
    num("strength", strength, 0.1, 1.0, False)
    num("scale", scale, 1, 20, False)
