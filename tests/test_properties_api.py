"""Property campaign over the public API (#15): for every entry point, Hypothesis draws each
argument from a strategy of valid, odd and hostile values, and every call must end in **a result
or an ImgxError within the time limit** (10 s, robust_cases.LIMIT); every output — repr, str,
``_repr_html_``, exception text and the log lines written during the call — is scanned for the
canary secrets planted in credentials, bodies, URLs, cookies and tokens (any 8-character window,
percent-encoded and base64 forms).

Failures are collected, not raised at the first one, so the figures are complete. Run the whole
campaign with its table of figures outside pytest:

    python tests/test_properties_api.py
"""
from __future__ import annotations

import io
import json
import logging
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from robust_cases import LIMIT, leaks, outcome

import imgx_kit as ik
from imgx_kit.services.images import load_image, load_mask
from imgx_kit.services.masks import MaskModel, Viewport, binary_mask, mask_from_any

from imgx_testing import CANARY_SECRET, CANARY_SESSIONID, CANARY_TOKEN

PASSWORD = "CANARYurlPASSWORD77"
CANARIES = [CANARY_SECRET, CANARY_TOKEN, CANARY_SESSIONID, PASSWORD]
CREDS = ik.Credentials("AKLTcanaryAccessKey01", CANARY_SECRET, session_token=CANARY_TOKEN)
AT = datetime(2025, 1, 1, tzinfo=timezone.utc)

# ------------------------------------------------------------------------------------------ values
HOSTILE_TEXT = ["", " ", "\r\n", "\x00", "\x12", "\x7f", "\t", "\ud800", "\udfff", "é去🙂", "[" * 5000,
                "{" * 3000, "%", "%zz", "a" * 5000, "-1", "1e400", "nan", "inf", "../../", "\\", "'", '"']
HOSTILE_NUMBERS = [0, -1, 1, 2 ** 63, 10 ** 400, -10 ** 400, 1e308, -1e308, float("inf"), float("-inf"),
                   float("nan"), 0.5, 1e-300, True, False]
text = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_TEXT),
                 st.text(st.characters(max_codepoint=0x7f), max_size=20))
number = st.one_of(st.integers(-10 ** 6, 10 ** 6), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from(HOSTILE_NUMBERS))
anything = st.one_of(st.none(), st.booleans(), number, text, st.binary(max_size=24),
                     st.lists(st.integers(-5, 5), max_size=3), st.tuples(number, number),
                     st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
                     st.just(object()), st.just(b"\x89PNG\r\n\x1a\n"))


def _png(w: int = 8, h: int = 6, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (w, h), 128 if mode == "L" else (10, 200, 30)).save(buf, "PNG")
    return buf.getvalue()


PNG = _png()
SECRET_BODY = json.dumps({"SecretAccessKey": CANARY_SECRET, "session_token": CANARY_TOKEN, "x": 1})
urls = st.one_of(
    text,
    st.builds(lambda s, h, p, q: f"{s}://{h}/{p}?{q}",
              st.sampled_from(["https", "http", "ftp", "HTTPS", ""]),
              st.sampled_from(["h", "visual.volcengineapi.com", "127.0.0.1:8080", "[::1]:9", f"u:{PASSWORD}@h",
                               "h:99999", "h:-1", "", "h\x12", "例子.cn"]),
              st.text(max_size=12), st.sampled_from(["", "a=1", f"X-Amz-Security-Token={CANARY_TOKEN}",
                                                      f"security-token={CANARY_TOKEN}", "%", "a=%zz&&=", "\ud800"])))
headers = st.one_of(
    st.none(), anything,
    st.lists(st.tuples(st.one_of(st.sampled_from(["Content-Type", "X-A", "Cookie", "Authorization", "host"]), text),
                       st.one_of(text, st.sampled_from([f"sessionid={CANARY_SESSIONID}", CANARY_TOKEN,
                                                        "application/json", "a\x01b", "a\tb"]), anything)),
             max_size=4),
    st.dictionaries(text, text, max_size=3))
bodies = st.one_of(st.none(), st.binary(max_size=40), text, st.just(SECRET_BODY), st.just(SECRET_BODY.encode()),
                   anything)


# ------------------------------------------------------------------------------------------ runner
class Campaign:
    """Counts outcomes per entry point and keeps the first failures of each kind."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.failures: list[str] = []

    def record(self, name: str, call: Callable[[], Any], *, raw_result: bool = False) -> None:
        buf = _LOG.start()
        t0 = time.perf_counter()
        kind, value = outcome(call, LIMIT)
        if kind in ("result", "typed"):
            shown, view_kind = _views(value, raw_result and kind == "result")
            if view_kind:
                kind, value = view_kind, shown
            else:
                found = leaks(shown + "\n" + buf.getvalue(), CANARIES)
                if found:
                    kind, value = "leak", found[:3]
        _LOG.stop()
        self.counts[(name, kind)] += 1
        if kind in ("untyped", "hang", "leak", "view-untyped") and len(self.failures) < 200:
            self.failures.append(f"{name}: {kind}: {value!r:.300} after {time.perf_counter() - t0:.1f}s")

    def ran(self, name: str) -> int:
        return sum(n for (nm, _), n in self.counts.items() if nm == name)

    def table(self) -> str:
        names = sorted({nm for nm, _ in self.counts})
        kinds = ["result", "typed", "untyped", "view-untyped", "hang", "leak"]
        rows = [f"{'entry point':34} " + " ".join(f"{k:>12}" for k in kinds)]
        for nm in names:
            rows.append(f"{nm:34} " + " ".join(f"{self.counts[(nm, k)]:>12}" for k in kinds))
        total = {k: sum(self.counts[(nm, k)] for nm in names) for k in kinds}
        rows.append(f"{'TOTAL (' + str(sum(total.values())) + ' inputs)':34} "
                    + " ".join(f"{total[k]:>12}" for k in kinds))
        return "\n".join(rows)


def _views(value: Any, raw: bool) -> tuple[str, str | None]:
    """Every text view of a result or error; a view that raises is a failure of its own."""
    if raw and isinstance(value, (str, bytes)):
        return "", None                  # a result meant to carry secrets (to_curl without redact)
    out: list[str] = []
    try:
        out += [repr(value), str(value)]
        html = getattr(value, "_repr_html_", None)
        if callable(html) and not isinstance(value, type):
            out.append(str(html()))
        for attr in ("message", "hint"):
            if isinstance(getattr(value, attr, None), str):
                out.append(getattr(value, attr))
    except Exception as e:
        return f"{type(e).__name__}: {e}", "view-untyped"
    return "\n".join(out), None


class _LogCapture:
    def __init__(self) -> None:
        self.buf = io.StringIO()
        self.handler = logging.StreamHandler(self.buf)
        self.handler.setLevel(logging.DEBUG)

    def start(self) -> io.StringIO:
        self.buf.seek(0)
        self.buf.truncate()
        root = logging.getLogger()
        if self.handler not in root.handlers:
            root.addHandler(self.handler)
        self._level = root.level
        root.setLevel(logging.DEBUG)
        return self.buf

    def stop(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self._level)


_LOG = _LogCapture()
CAMPAIGN = Campaign()
_SETTINGS = {"deadline": None, "database": None, "derandomize": True,
             "suppress_health_check": list(HealthCheck), "print_blob": False}


def run(name: str, strategy: st.SearchStrategy, call: Callable[[Any], Any], n: int, *, raw_result: bool = False,
        campaign: Campaign = CAMPAIGN) -> int:
    """Draw ``n`` examples of ``strategy`` and record ``call(example)``; returns how many ran."""
    if name in VALID:
        strategy = st.one_of(VALID[name], VALID[name], strategy)

    @settings(max_examples=n, **_SETTINGS)
    @given(strategy)
    def inner(example: Any) -> None:
        campaign.record(name, lambda: call(example), raw_result=raw_result)
    before = campaign.ran(name)
    inner()
    return campaign.ran(name) - before


# ------------------------------------------------------------------------------------------ entry points
def _build(a: tuple) -> Any:
    return ik.HttpRequest.build(*a)


def _signer(a: tuple) -> Any:
    scheme, region, service, names, sha, method, url, hdrs, body, at = a
    s = ik.Signer(scheme, region, service, names, content_sha256=sha)
    req = ik.HttpRequest.build(method, url, hdrs, body)
    return s.sign(req, CREDS, at=at)


def _credentials(a: tuple) -> Any:
    ak, sk, tok, env = a
    if env is not None:
        return ik.Credentials.from_env(ak if isinstance(ak, str) else "VOLC", environ=env)
    return ik.Credentials(ak, sk, session_token=tok)


def _diagnose(a: tuple) -> Any:
    url, body, resp, creds = a
    req = ik.HttpRequest.build("POST", url, [("Content-Type", "application/json")], body)
    sent = ik.presets.VOLC_CV.sign(req, CREDS, at=AT).signed_request
    return ik.diagnose(sent, creds, server_response=resp, now=AT)


def _mask_model(a: tuple) -> Any:
    w, h, points, size, erase, dilate, feather = a
    m = MaskModel(w, h)
    m.stroke(points, size, erase)
    return m.to_png(dilate=dilate, feather=feather)


def _viewport(a: tuple) -> Any:
    img, canvas, zoom, pan, factor, anchor, dx, dy = a
    v = Viewport(img, canvas, zoom, pan)
    return v.zoomed(factor, anchor).panned(dx, dy).at(zoom, pan).sample_indices()[0][:3]


def _painter_ctor(a: tuple) -> Any:
    from imgx_kit.widgets.painter import MaskPainter

    image, brush, opacity, display, css = a
    return MaskPainter(image, brush_size=brush, opacity=opacity, display_size=display, css_width=css)


_PAINTER: list[Any] = []


def _painter_ops(a: tuple) -> Any:
    from imgx_kit.widgets.painter import MaskPainter

    if not _PAINTER:
        _PAINTER.append(MaskPainter(np.zeros((40, 60, 3), np.uint8)))
    p = _PAINTER[0]
    op, x, y = a
    if op == "zoom":
        return p.zoom(x, y if isinstance(y, tuple) else None)
    if op == "set_view":
        return p.set_view(x, y)
    if op == "brush":
        p.brush_size = x
        return p.brush_size
    if op == "paint":
        return p.paint(x if isinstance(x, list) else [x, y], size=None)
    if op == "load_mask":
        return p.load_mask(x)
    return p.mask_png(dilate=x, feather=y)


_images = st.one_of(anything, st.just(PNG), st.just(PNG[:-20]), st.just(_png(3, 3, "L")),
                    st.just(np.zeros((4, 5, 3), np.uint8)), st.just(np.zeros((0, 5), np.uint8)),
                    st.just(np.full((3, 3), np.nan)), st.just(Image.new("RGB", (4, 4))),
                    st.sampled_from(["/dev/zero", "/dev/null", "/", "~nouser/x.png", "/no/such.png",
                                     "data:image/png;base64,AAAA", "data:,", "http://127.0.0.1:9/x.png"]),
                    st.builds(lambda a: a.astype(np.uint8), st.just(np.ones((4, 4)))))
_masks = st.one_of(_images, st.just(np.zeros((6, 8), bool)), st.just(np.full((6, 8), 200, np.uint8)),
                   st.just(np.zeros((6, 8, 3), np.uint8)), st.just(np.dstack([np.full((6, 8), 255, np.uint8),
                                                                             np.zeros((6, 8, 2), np.uint8)])),
                   st.just(_png(8, 6, "L")), st.just(np.full((6, 8), 7e4, np.int64)))
_points = st.one_of(anything, st.lists(st.one_of(st.tuples(number, number), anything), max_size=5),
                    st.just([(0, 0), (1e12, 0)]), st.just([(-1e300, 5), (1e300, 5)]))


def _oss_apply(a: tuple) -> Any:
    process, image = a
    return ik.oss.apply(process, image)


def _process(a: tuple) -> Any:
    text_, strict, max_length = a
    return ik.oss.Process.parse(text_, strict=strict, max_length=max_length)


_CLIENTS: dict[str, Any] = {}


def _emu() -> Any:
    if "emu" not in _CLIENTS:
        from imgx_kit.emulator.api import running
        ctx = running(seed=3)
        _CLIENTS["ctx"] = ctx
        _CLIENTS["emu"] = ctx.__enter__()
    return _CLIENTS["emu"]


def _visual(a: tuple) -> Any:
    image, mask, seed, steps, strength, scale = a
    emu = _emu()
    vc = _CLIENTS.get("vc") or ik.VisualClient(emu.demo_volc_credentials, endpoint=emu.endpoints.visual)
    _CLIENTS["vc"] = vc
    return vc.inpaint(image, mask, seed=seed, steps=steps, strength=strength, scale=scale)


def _client_ctor(a: tuple) -> Any:
    kind, x, y, z = a
    if kind == "jimeng":
        return ik.ImageXClient.jimeng(sessionid=x, region=y)
    if kind == "openapi":
        return ik.ImageXClient.openapi(x, service_id=y, region=z)
    if kind == "visual":
        return ik.VisualClient(x, endpoint=y, region=z)
    return ik.oss.Client(x, y, CREDS if z is None else z)


def _captures(a: tuple) -> Any:
    kind, payload = a
    fn = {"curl": ik.capture.parse_curl, "raw": ik.capture.parse_raw_http, "har": ik.capture.parse_har,
          "from_curl": ik.capture.from_curl}[kind]
    return fn(payload)


_curl_text = st.one_of(text, st.builds(lambda u, h, d, f: f"curl {u!r} {h} {d} {f}", urls,
                                       st.sampled_from(["", "-H 'X-A: 1'", f"-H 'Cookie: sessionid={CANARY_SESSIONID}'",
                                                        f"-u user:{PASSWORD}", "-H $'A: \\x01'", "-H"]),
                                       st.sampled_from(["", f"--data-raw '{SECRET_BODY}'", "-d @/dev/zero", "--data"]),
                                       st.sampled_from(["", "-L", "--compressed", "$'\\u12'", "-X", "'", "$'"])))
_raw_text = st.one_of(text, st.builds(lambda m, t, h, b: f"{m} {t} HTTP/1.1\r\nHost: h\r\n{h}\r\n\r\n{b}",
                                      st.sampled_from(["GET", "POST", "", "G\x00T"]),
                                      st.sampled_from(["/", "/?a=1", "", "x"]),
                                      st.sampled_from(["", "Content-Length: 5", "Content-Length: -1", "A:\x01",
                                                       f"X-Security-Token: {CANARY_TOKEN}"]),
                                      st.sampled_from(["", "hello", SECRET_BODY])))
_har_text = st.one_of(text, st.just("[" * 100000), st.builds(
    lambda u, h: json.dumps({"log": {"entries": [{"request": {"method": "GET", "url": u, "headers": h,
                                                               "postData": {"text": SECRET_BODY}}}]}}),
    urls, st.lists(st.fixed_dictionaries({"name": text, "value": text}), max_size=2)))


def _to_curl(a: tuple) -> Any:
    url, hdrs, body = a
    return ik.capture.to_curl(ik.HttpRequest.build("POST", url, hdrs, body), redact=True)


_environs = st.one_of(st.none(), anything, st.dictionaries(
    st.sampled_from(["VOLC_ACCESSKEY", "VOLC_SECRETKEY", "VOLC_SESSION_TOKEN"]), st.one_of(text, anything)))


ENTRY_POINTS: dict[str, tuple[st.SearchStrategy, Callable[[Any], Any], int, bool]] = {
    "HttpRequest.build": (st.tuples(st.one_of(text, st.sampled_from(["GET", "post", "PUT"])), urls, headers, bodies),
                          _build, 600, False),
    "Signer(...).sign": (st.tuples(st.sampled_from([ik.AWS4, ik.VOLC, "AWS4", "nope", 5]),
                                   st.one_of(st.sampled_from(["cn-north-1", "us\r\nX: 1", "\ud800", ""]), text,
                                             anything),
                                   st.one_of(st.sampled_from(["imagex", "cv", "s\x00"]), text),
                                   st.one_of(st.none(), st.just(["host", "x-amz-date"]), st.just("host;a\x01"),
                                             anything),
                                   st.sampled_from([None, True, False, "if-body", "x"]),
                                   st.sampled_from(["GET", "POST"]), urls, headers, bodies,
                                   st.one_of(st.just(AT), st.none(), anything,
                                             st.builds(lambda d: AT + timedelta(days=d), st.integers(-3000, 3000)))),
                         _signer, 600, False),
    "Credentials / from_env": (st.tuples(st.one_of(text, anything, st.just("AKLTok")), st.one_of(text, anything),
                                         st.one_of(st.none(), text, anything), _environs),
                               _credentials, 400, False),
    "capture.parse_*": (st.one_of(st.tuples(st.just("curl"), _curl_text), st.tuples(st.just("from_curl"), _curl_text),
                                  st.tuples(st.just("raw"), _raw_text), st.tuples(st.just("har"), _har_text),
                                  st.tuples(st.sampled_from(["curl", "raw", "har"]), anything)),
                        _captures, 800, False),
    "capture.to_curl(redact=True)": (st.tuples(urls, headers, bodies), _to_curl, 250, False),
    "oss.Process.parse": (st.tuples(st.one_of(text, st.builds(lambda a, b: f"image/{a},{b}", text, text), anything,
                                              st.sampled_from(["image/resize,w_100", "image/resize,w_" + "9" * 400,
                                                               "style/x", "image/watermark,text_\ud800"])),
                                    st.booleans(), st.one_of(st.just(4096), anything)),
                          _process, 500, False),
    "diagnose": (st.tuples(urls, bodies, st.one_of(
                               st.none(), text, anything, st.just("[" * 100000),
                               st.just('{"ResponseMetadata": {"Error": {"Code": "SignatureDoesNotMatch"}}}'),
                               st.just("<Error><Code>SignatureDoesNotMatch</Code></Error>")),
                           st.one_of(st.just(CREDS), st.none(), anything)),
                 _diagnose, 250, False),
    "MaskModel stroke/to_png": (st.tuples(st.one_of(st.integers(1, 40), anything),
                                          st.one_of(st.integers(1, 40), anything),
                                          _points, st.one_of(st.floats(0.1, 50), number, anything), st.booleans(),
                                          st.one_of(st.integers(-5, 5), number, anything),
                                          st.one_of(st.floats(0, 5), number, anything)),
                                _mask_model, 500, False),
    "Viewport": (st.tuples(st.one_of(st.tuples(st.integers(1, 500), st.integers(1, 500)), anything),
                           st.one_of(st.tuples(st.integers(1, 300), st.integers(1, 300)), anything),
                           number, st.one_of(st.tuples(number, number), anything), number,
                           st.one_of(st.none(), st.tuples(number, number), anything), number, number),
                 _viewport, 300, False),
    "load_image / load_mask / mask_from_any": (
        st.tuples(st.sampled_from(["image", "mask", "painter", "rule"]), _masks,
                  st.one_of(st.just((8, 6)), st.tuples(st.integers(-2, 10), st.integers(-2, 10)), anything)),
        lambda a: (load_image(a[1]) if a[0] == "image" else load_mask(a[1], a[2]) if a[0] == "mask"
                   else mask_from_any(a[1], a[2]) if a[0] == "painter" else binary_mask(a[1])),
        400, False),
    "oss.apply": (st.tuples(st.one_of(st.sampled_from(["image/info", "image/resize,w_4", "image/rotate,90",
                                                       "image/format,jpg", "image/crop,w_2,h_2", "image/resize,w_99999",
                                                       "image/circle,r_3", "image/blur,r_3,s_2"]), text, anything),
                            st.one_of(_images, st.just(PNG))),
                  _oss_apply, 300, False),
    "MaskPainter(...)": (st.tuples(st.one_of(st.just(np.zeros((10, 12, 3), np.uint8)), st.just(PNG), _images),
                                   st.one_of(st.floats(1, 100), number, anything),
                                   st.one_of(st.floats(0, 1), number, anything),
                                   st.one_of(st.integers(16, 600), number, anything),
                                   st.one_of(st.none(), st.sampled_from(["300px", "100%", "x"]), anything)),
                         _painter_ctor, 120, False),
    "MaskPainter methods": (st.tuples(st.sampled_from(["zoom", "set_view", "brush", "paint", "load_mask", "export"]),
                                      st.one_of(number, anything, _points, _masks), st.one_of(number, anything)),
                            _painter_ops, 300, False),
    "clients: constructors": (st.tuples(st.sampled_from(["jimeng", "openapi", "visual", "oss"]),
                                        st.one_of(anything, st.just(CREDS), st.just(CANARY_SESSIONID)),
                                        st.one_of(anything, st.sampled_from(["cn", "us", "x", "https://h", "http://h:1"])),
                                        st.one_of(anything, st.sampled_from(["cn", "cn-north-1", "sg"]))),
                              _client_ctor, 400, False),
    "VisualClient.inpaint (emulator)": (st.tuples(st.one_of(st.just(np.full((8, 8, 3), 90, np.uint8)), _images),
                                                  st.one_of(st.just(np.ones((8, 8), bool)),
                                                            st.just(np.full((8, 8), 200, np.uint8)), _masks),
                                                  st.one_of(st.integers(-5, 5), anything),
                                                  st.one_of(st.integers(1, 50), anything),
                                                  st.one_of(st.floats(0.1, 1), anything),
                                                  st.one_of(st.floats(1, 20), anything)),
                                        _visual, 120, False),
}
# valid arguments, drawn about two times in three, so results (and their views) are checked too
_vpath = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd", "Lo"), whitelist_characters="-._~/%é"),
                 max_size=12)
_vquery = st.lists(st.sampled_from(["a=1", "b=%20x", f"X-Amz-Security-Token={CANARY_TOKEN}", "Action=CVProcess",
                                    "Version=2022-08-31", f"security-token={CANARY_TOKEN}", "z", "k=v=w", ""]),
                   max_size=4).map("&".join)
valid_urls = st.builds(lambda s, h, p, q: f"{s}://{h}/{p}" + (f"?{q}" if q else ""),
                       st.sampled_from(["https", "http"]),
                       st.sampled_from(["h", "visual.volcengineapi.com", "127.0.0.1:8080", "[::1]:9000",
                                        f"u:{PASSWORD}@h"]),
                       _vpath, _vquery)
# secrets travel in the headers that carry them (by name); other headers carry plain values
valid_headers = st.lists(st.one_of(
    st.tuples(st.sampled_from(["Content-Type", "X-A", "Accept"]),
              st.sampled_from(["application/json", "a\tb", "x y", "é"])),
    st.tuples(st.sampled_from(["Cookie", "cookie"]), st.just(f"a=1; sessionid={CANARY_SESSIONID}")),
    st.tuples(st.sampled_from(["X-Security-Token", "x-amz-security-token"]), st.just(CANARY_TOKEN))), max_size=4)
valid_bodies = st.one_of(st.just(b""), st.just(SECRET_BODY), st.binary(max_size=30), st.text(max_size=30))
_vnum = st.floats(-50, 80, allow_nan=False)
_vpoints = st.lists(st.tuples(_vnum, _vnum), min_size=1, max_size=6)
VALID: dict[str, st.SearchStrategy] = {
    "HttpRequest.build": st.tuples(st.sampled_from(["GET", "POST", "PUT", "HEAD"]), valid_urls, valid_headers,
                                   valid_bodies),
    "Signer(...).sign": st.tuples(st.sampled_from([ik.AWS4, ik.VOLC]), st.sampled_from(["cn-north-1", "us-east-1"]),
                                  st.sampled_from(["imagex", "cv"]), st.sampled_from([None, ("host", "x-a")]),
                                  st.sampled_from([None, True, "if-body"]), st.sampled_from(["GET", "POST"]),
                                  valid_urls, valid_headers, valid_bodies, st.just(AT)),
    "Credentials / from_env": st.one_of(
        st.tuples(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e, blacklist_characters=","), min_size=1,
                          max_size=20), st.just(CANARY_SECRET), st.sampled_from([None, CANARY_TOKEN]), st.none()),
        st.tuples(st.just("VOLC"), st.none(), st.none(),
                  st.just({"VOLC_ACCESSKEY": "AKLTok", "VOLC_SECRETKEY": CANARY_SECRET,
                           "VOLC_SESSION_TOKEN": CANARY_TOKEN}))),
    "capture.parse_*": st.one_of(
        st.tuples(st.sampled_from(["curl", "from_curl"]), st.builds(
            lambda a: ik.capture.to_curl(ik.HttpRequest.build(*a)),
            st.tuples(st.sampled_from(["GET", "POST"]), valid_urls, valid_headers, valid_bodies))),
        st.tuples(st.just("raw"), st.builds(lambda a: ik.HttpRequest.build(*a).to_raw(redact=False),
                                            st.tuples(st.sampled_from(["GET", "POST"]), valid_urls, valid_headers,
                                                      st.just(b""))))),
    "capture.to_curl(redact=True)": st.tuples(valid_urls, valid_headers, valid_bodies),
    "oss.Process.parse": st.tuples(st.sampled_from(["image/resize,w_100", "image/resize,m_fill,w_10,h_20/rotate,90",
                                                    "image/crop,x_1,y_1,w_5,h_5", "image/format,png", "image/info",
                                                    "image/quality,q_80", "image/blur,r_3,s_2"]),
                                   st.booleans(), st.just(4096)),
    "diagnose": st.tuples(valid_urls, valid_bodies,
                          st.sampled_from([None, '{"ResponseMetadata": {"Error": {"Code": "SignatureDoesNotMatch"}}}']),
                          st.just(CREDS)),
    "MaskModel stroke/to_png": st.tuples(st.integers(1, 40), st.integers(1, 40), _vpoints, st.floats(0.5, 30),
                                         st.booleans(), st.integers(-4, 4), st.floats(0, 3)),
    "Viewport": st.tuples(st.tuples(st.integers(1, 500), st.integers(1, 500)),
                          st.tuples(st.integers(1, 300), st.integers(1, 300)), st.floats(1, 8), st.tuples(_vnum, _vnum),
                          st.floats(0.1, 4), st.none(), _vnum, _vnum),
    "load_image / load_mask / mask_from_any": st.tuples(
        st.sampled_from(["image", "mask", "painter", "rule"]),
        st.sampled_from([PNG, np.zeros((6, 8), bool), np.full((6, 8), 200, np.uint8), _png(8, 6, "L"),
                         np.zeros((6, 8, 3), np.uint8), Image.new("L", (8, 6), 255)]),
        st.just((8, 6))),
    "oss.apply": st.tuples(st.sampled_from(["image/info", "image/resize,w_4", "image/rotate,90", "image/format,jpg",
                                            "image/crop,w_2,h_2", "image/circle,r_3"]), st.just(PNG)),
    "MaskPainter(...)": st.tuples(st.just(np.zeros((10, 12, 3), np.uint8)), st.floats(1, 100), st.floats(0, 1),
                                  st.integers(16, 600), st.sampled_from([None, "300px", "100%"])),
    "MaskPainter methods": st.one_of(
        st.tuples(st.just("zoom"), st.floats(0.2, 4), st.just(None)),
        st.tuples(st.just("set_view"), st.floats(1, 4), st.tuples(_vnum, _vnum)),
        st.tuples(st.just("brush"), st.floats(1, 100), st.just(None)),
        st.tuples(st.just("paint"), _vpoints, st.just(None)),
        st.tuples(st.just("export"), st.integers(-3, 3), st.floats(0, 2))),
    "clients: constructors": st.one_of(
        st.tuples(st.just("jimeng"), st.just(CANARY_SESSIONID), st.sampled_from(["cn", "us", "sg"]), st.none()),
        st.tuples(st.just("openapi"), st.just(CREDS), st.just("svc1"), st.sampled_from(["cn", "us", "sg"])),
        st.tuples(st.just("visual"), st.just(CREDS), st.sampled_from([None, "https://visual.volcengineapi.com"]),
                  st.just("cn-north-1")),
        st.tuples(st.just("oss"), st.sampled_from(["bucket-a", "my-bucket"]),
                  st.just("https://oss-cn-hangzhou.aliyuncs.com"), st.none())),
    "VisualClient.inpaint (emulator)": st.tuples(st.just(np.full((8, 8, 3), 90, np.uint8)),
                                                 st.sampled_from([np.ones((8, 8), bool),
                                                                  np.full((8, 8), 200, np.uint8)]),
                                                 st.integers(0, 5), st.integers(1, 50), st.floats(0.1, 1),
                                                 st.floats(1, 20)),
}
QUOTA = 5000


def test_the_campaign_draws_at_least_5000_inputs():
    assert sum(n for _, _, n, _ in ENTRY_POINTS.values()) >= QUOTA
    assert set(VALID) == set(ENTRY_POINTS)


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_entry_point_gives_a_result_or_an_imgx_error_in_time_and_leaks_nothing(name):
    strategy, call, n, raw = ENTRY_POINTS[name]
    campaign = Campaign()
    with tempfile.TemporaryDirectory():
        ran = run(name, strategy, call, n, raw_result=raw, campaign=campaign)
    CAMPAIGN.counts.update(campaign.counts)
    assert ran >= min(n, 50), f"only {ran} examples ran"
    assert campaign.failures == [], "\n".join(campaign.failures[:20])


def teardown_module() -> None:
    ctx = _CLIENTS.pop("ctx", None)
    if ctx is not None:
        ctx.__exit__(None, None, None)


if __name__ == "__main__":
    from robust_cases import hand_picked

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for case in hand_picked(tmp).values():          # #15's one-line reproductions
            CAMPAIGN.record("hand-picked cases of #15", case)
    for nm, (strategy, call, n, raw) in ENTRY_POINTS.items():
        run(nm, strategy, call, n, raw_result=raw)
    teardown_module()
    print(CAMPAIGN.table())
    print(f"{time.perf_counter() - t0:.1f} s")
    for f in CAMPAIGN.failures[:40]:
        print("FAIL", f)
    _ = math
