"""Hand-picked bad inputs of issue #15 (one line each) and the time-limit / canary helpers shared
by tests/test_robust_inputs.py and tests/test_properties_api.py."""
from __future__ import annotations

import base64
import io
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, quote_plus

import numpy as np
from PIL import Image

import imgx_kit as ik
from imgx_kit.services.images import load_image
from imgx_kit.services.masks import MaskModel, Viewport, mask_from_any

LIMIT = 10.0        # seconds: the "no hang over 10 s"


class Hang(Exception):
    """Raised inside a call that ran past its time limit."""


@contextmanager
def time_limit(seconds: float = LIMIT) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (main thread, SIGALRM) with :class:`Hang`."""
    def fire(_sig: int, _frame: Any) -> None:
        raise Hang(f"ran past {seconds} s")
    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def outcome(call: Callable[[], Any], seconds: float = LIMIT) -> tuple[str, Any]:
    """("result", value) | ("typed", ImgxError) | ("untyped", exception) | ("hang", elapsed)."""
    t0 = time.perf_counter()
    try:
        with time_limit(seconds):
            return "result", call()
    except Hang:
        return "hang", time.perf_counter() - t0
    except ik.ImgxError as e:
        return "typed", e
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # counting what escapes is the point
        return "untyped", e


def forms(secret: str) -> list[str]:
    """What counts as a leak of ``secret``: its 8-character prefix (and every 8-character window),
    its percent-encoded and base64 forms."""
    out = {secret[i:i + 8] for i in range(max(1, len(secret) - 7))}
    out |= {quote(secret, safe=""), quote_plus(secret), base64.b64encode(secret.encode()).decode().rstrip("=")}
    return sorted(out, key=len, reverse=True)


def leaks(text: str, secrets: list[str]) -> list[str]:
    return [f for s in secrets for f in forms(s) if f in text]


def truncated_png(size: tuple[int, int] = (10, 10)) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, 255).save(buf, "PNG")
    return buf.getvalue()[:-30]


def fifo(tmp: str) -> str:
    path = os.path.join(tmp, "fifo")
    if not os.path.exists(path):
        os.mkfifo(path)
    return path


def _req() -> ik.HttpRequest:
    return ik.HttpRequest.build("GET", "https://h/")


def _painter(**kw: Any) -> Any:
    from imgx_kit.widgets.painter import MaskPainter
    return MaskPainter(np.zeros((20, 30, 3), np.uint8), **kw)


def _prepared_without_headers() -> Any:
    import requests
    p = requests.Request("GET", "https://h/").prepare()
    p.headers = None
    return ik.capture.from_prepared(p)


def _set_brush(value: Any) -> None:
    _painter().brush_size = value


def hand_picked(tmp: str) -> dict[str, Callable[[], Any]]:
    """Every untyped error, hang and wrong acceptance of #15 outside the CLI and the batches: each
    must end in an ImgxError within the limit (none is a valid input)."""
    trunc = truncated_png()
    creds = ik.Credentials("AK", "SK")
    return {
        "from_har deep": lambda: ik.capture.from_har("[" * 100000),
        "diagnose deep server_response": lambda: ik.diagnose(ik.presets.VOLC_CV.sign(
            ik.HttpRequest.build("POST", "https://visual.volcengineapi.com/?Action=CVProcess&Version=2022-08-31",
                                 [("Content-Type", "application/json")], b"{}"), creds).signed_request,
            creds, server_response="[" * 100000),
        "mask_from_any truncated": lambda: mask_from_any(trunc, (10, 10)),
        "MaskModel.load truncated": lambda: MaskModel(10, 10).load(trunc),
        "MaskPainter.load_mask truncated": lambda: _painter().load_mask(truncated_png((30, 20))),
        "load_image(Image.open(truncated))": lambda: load_image(Image.open(io.BytesIO(trunc))),
        "stroke([5])": lambda: MaskModel(10, 10).stroke([5], size=3),
        "stroke(None)": lambda: MaskModel(10, 10).stroke(None, 3),
        "stroke overflow": lambda: MaskModel(10, 10).stroke([(10 ** 400, 0)], size=3),
        "stroke 1e12": lambda: _must_fail(MaskModel(10, 10).stroke([(0, 0), (1e12, 0)], size=3)),
        "stroke 1e300 apart": lambda: MaskModel(10, 10).stroke([(-1e300, 0), (1e300, 0)], size=3),
        "to_png dilate inf": lambda: MaskModel(10, 10).to_png(dilate=float("inf")),
        "to_png dilate 10**6": lambda: MaskModel(10, 10).to_png(dilate=10 ** 6),
        "to_png feather 1e308": lambda: MaskModel(10, 10).to_png(feather=1e308),
        "to_png feather 1e7": lambda: MaskModel(10, 10).to_png(feather=1e7),
        "MaskPainter display_size='x'": lambda: _painter(display_size="x"),
        "MaskPainter opacity='x'": lambda: _painter(opacity="x"),
        "MaskPainter css_width=5": lambda: _painter(css_width=5),
        "MaskPainter.zoom('x')": lambda: _painter().zoom("x"),
        "MaskPainter.set_view(2, None)": lambda: _painter().set_view(2, None),
        "MaskPainter.brush_size='x'": lambda: _set_brush("x"),
        "Credentials.from_env non-str": lambda: ik.Credentials.from_env(
            "VOLC", environ={"VOLC_ACCESSKEY": 5, "VOLC_SECRETKEY": "s"}),
        "from_prepared headers None": _prepared_without_headers,
        "Process.parse max_length='x'": lambda: ik.oss.Process.parse("image/resize,w_10", max_length="x"),
        "Viewport zero scale": lambda: Viewport((0, 0), (10, 10)).scale,
        "Signer surrogate region": lambda: ik.Signer(ik.AWS4, "\ud800", "s").sign(_req(), creds),
        "Signer CRLF region": lambda: ik.Signer(ik.AWS4, "us\r\nX-Injected: 1", "s"),
        "Signer NUL service": lambda: ik.Signer(ik.AWS4, "us-east-1", "s\x00"),
        "Signer control in signed header name": lambda: ik.Signer(ik.AWS4, "us-east-1", "s", signed_headers=["a\x01"]),
        "access key with control char": lambda: ik.Credentials("AK\x1b[31m", "SK"),
        "token with control char": lambda: ik.Credentials("AK", "SK", session_token="STS2\x7f"),
        "HttpRequest.build header \\x01": lambda: ik.HttpRequest.build("GET", "https://h/", {"A": "x\x01y"}),
        "HttpRequest.build header \\x1f": lambda: ik.HttpRequest.build("GET", "https://h/", {"A": "\x1f"}),
        "HttpRequest.build URL \\x12": lambda: ik.HttpRequest.build("GET", "https://h/\x12"),
        "from_curl $'\\u12'": lambda: ik.capture.from_curl("curl $'\\u12'"),
        "from_curl header \\x0b": lambda: ik.capture.from_curl("curl https://h/ -H $'A: b\\x0bc'"),
        "oss.apply fifo": lambda: ik.oss.apply("image/info", fifo(tmp)),
        "load_image fifo path": lambda: load_image(fifo(tmp)),
        "load_image(open('/dev/zero'))": lambda: load_image(open("/dev/zero", "rb"), max_download=64 << 20),
        "oss.apply /dev/zero": lambda: ik.oss.apply("image/info", "/dev/zero"),
        "load_image /dev/zero path": lambda: load_image("/dev/zero"),
    }


def _must_fail(result: Any) -> Any:
    """A stroke far outside the image is valid: it must finish fast (the hang was the bug)."""
    raise ik.ImgxError(f"finished: {result}")
