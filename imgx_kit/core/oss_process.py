"""Aliyun OSS ``x-oss-process`` strings: a chainable builder and a validating parser.

One validation path: the builder writes each action as text and parses it with the same code
as :meth:`Process.parse`, so anything the builder accepts the parser accepts, and
``Process.parse(str(p)) == p`` for every valid ``p``::

    >>> p = Process().resize(w=100, m="lfit").rotate(90).format("png")
    >>> str(p)
    'image/resize,m_lfit,w_100/rotate,90/format,png'
    >>> Process.parse(str(p)) == p
    True
    >>> Process.parse("image/resize,h_100,m_lfit,w_100").text
    'image/resize,m_lfit,w_100,h_100'

**Canonical form.** Actions keep the order written (they run in that order). Inside an action the
parameters follow the action's parameter table (:data:`ACTIONS`; ``Process.spec_table()`` lists it):
for ``resize`` that is ``m, w, h, l, s, limit, color, p`` (oss-process.md §5 #3), for ``crop``
``w, h, x, y, g``, for ``watermark`` the content first (``image, text, type, color, size, …``) and the
placement last (``t, g, x, y, voffset``). Integers are written without leading zeros, colours
in upper case, base64 values as unpadded URL-safe base64 (the form the docs ask for).

**Strict vs lenient.** ``parse(text)`` is strict: unknown keys, repeated keys, spaces, upper-case
action names are rejected. ``parse(text, strict=False)`` lets the last repeated key win and drops
unknown keys (oss-process.md §1.2); nothing else is relaxed, so a required parameter
(``circle,r_``, ``blur,r_…,s_…``) stays required and ``parse(str(p))`` accepts every lenient
result. Errors are :class:`ProcessSyntaxError` carrying ``action``, ``parameter``, ``column``
(1-based), ``allowed`` and ``suggestion``; they also carry ``ec`` (the OSS error code, e.g.
``"0040-00000312"``, or ``None``), ``code`` (``InvalidArgument``, ``BadRequest``,
``MissingArgument``) and ``status`` (400) for the emulator.
"""
from __future__ import annotations

import base64
import binascii
import difflib
import html
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .errors import ProcessSyntaxError
from .i18n import tr_html
from .oss_names import valid_bucket_name
from .text import LONE_SURROGATE

__all__ = [
    "ACTIONS",
    "FONTS",
    "MAX_LENGTH",
    "Action",
    "ActionSpec",
    "Param",
    "ParamSpec",
    "Process",
    "SaveAs",
    "b64url_decode",
    "b64url_encode",
    "split_watermark_image",
]

#: Maximum length of a process string in UTF-8 bytes. OSS publishes no number (EC 0017-00000288
#: "x-oss-process too long"); 4096 is the emulator's guess (oss-process.md §1.5).
MAX_LENGTH = 4096
#: Image watermarks per process (oss-process.md §1.5).
MAX_IMAGE_WATERMARKS = 3
#: Decoded watermark text, in bytes.
MAX_TEXT_BYTES = 64
#: Fonts the ``type_`` parameter of ``watermark`` may name (decoded).
FONTS = ("wqy-zenhei", "wqy-microhei", "fangzhengshusong", "fangzhengkaiti", "fangzhengheiti",
         "fangzhengfangsong", "droidsansfallback")
GRAVITIES = ("nw", "north", "ne", "west", "center", "east", "sw", "south", "se")
FORMATS = ("jpg", "png", "webp", "bmp", "gif", "tiff", "heic", "avif")
_STYLE_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_INT = re.compile(r"^-?[0-9]+$")
_HEX6 = re.compile(r"^[0-9A-Fa-f]{6}$")
_B64URL = re.compile(r"^[A-Za-z0-9_\-]*={0,2}$")


# ---- base64 -------------------------------------------------------------------------------
def b64url_encode(data: str | bytes) -> str:
    """URL-safe base64 without padding, as OSS wants it in ``text_``, ``image_``, ``o_``, ``b_``.

        >>> b64url_encode("Hello 图片服务!")
        'SGVsbG8g5Zu-54mH5pyN5YqhIQ'
    """
    if isinstance(data, str):
        _check_surrogates(data, "text to base64-encode")
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode URL-safe base64, padded or not. Raises ``ValueError`` on anything else.

        >>> b64url_decode("SGVsbG8gV29ybGQ")
        b'Hello World'
    """
    if not text or not _B64URL.match(text):
        raise ValueError("not URL-safe base64")
    body = text.rstrip("=")
    if len(body) % 4 == 1 or (text != body and len(text) % 4):
        raise ValueError("not URL-safe base64 (wrong length or padding)")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as e:  # pragma: no cover - the checks above catch these
        raise ValueError(str(e)) from None


_SURROGATE_HINT = "decode the bytes as UTF-8 (not with errors='surrogateescape') first"


def _check_surrogates(text: str, what: str, *, action: str | None = None,
                      parameter: str | None = None) -> None:
    """Refuse a lone surrogate (text decoded with ``errors='surrogateescape'``): it has no UTF-8."""
    m = LONE_SURROGATE.search(text)
    if m:
        raise _error(f"{what} contains the lone surrogate {m.group()!r} (character "
                     f"{m.start() + 1}), which is not valid Unicode text", action=action,
                     parameter=parameter, allowed="valid Unicode text", hint=_SURROGATE_HINT)


# ---- specification tables -----------------------------------------------------------------
@dataclass(frozen=True)
class ParamSpec:
    """One parameter of an action: its key (``""`` for a bare value), kind, range and meaning.

    ``kind`` is ``int`` (``lo``..``hi``), ``choice`` (``choices``), ``color`` (6 hex digits),
    ``b64text`` (URL-safe base64 of UTF-8 text), ``b64font`` (base64 of a font in :data:`FONTS`),
    ``b64image`` (base64 of an object key, optionally with ``?x-oss-process=…``).
    """

    key: str
    kind: str
    meaning: str
    lo: int | None = None
    hi: int | None = None
    choices: tuple[str, ...] = ()
    default: Any = None
    ec: str | None = None          # EC for a bad value
    code: str = "InvalidArgument"

    def allowed(self) -> str:
        """What values are allowed, in words."""
        if self.kind == "int":
            return f"an integer {self.lo}..{self.hi}"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "color":
            return "6 hex digits RRGGBB, e.g. FF0000"
        if self.kind == "b64text":
            return f"URL-safe base64 of UTF-8 text (at most {MAX_TEXT_BYTES} bytes decoded)"
        if self.kind == "b64font":
            return "URL-safe base64 of a font name: " + ", ".join(FONTS)
        if self.kind == "b64image":
            return "URL-safe base64 of an object key, optionally with ?x-oss-process=image/…"
        return self.kind  # pragma: no cover

    def to_text(self, value: Any) -> str:
        """The canonical text of a (typed) value."""
        if self.kind == "int":
            return str(int(value))
        if self.kind == "color":
            return str(value).upper()
        if self.kind in ("b64text", "b64font", "b64image"):
            return b64url_encode(value)
        return str(value)

    def typed(self, raw: str) -> Any:
        """A default or choice as its Python value: digit-only choices are ``int``."""
        if self.kind == "choice" and all(c.isdigit() for c in self.choices):
            return int(raw)
        return raw

    @property
    def display(self) -> str:
        return f"{self.key}_" if self.key else "(value)"


@dataclass(frozen=True)
class ActionSpec:
    """One action: its parameters in canonical order, whether it takes a bare value, its rules."""

    name: str
    meaning: str
    params: tuple[ParamSpec, ...] = ()
    bare: bool = False                       # takes one bare value (rotate,90)
    bare_optional: bool = False              # quality: bare value or key/value pairs
    required_any: tuple[str, ...] = ()       # at least one of these keys
    required_all: tuple[str, ...] = ()       # all of these keys (lenient mode too)
    missing_ec: str | None = None
    too_many_ec: str | None = "0040-00000203"
    alone: bool = False                      # info / average-hue: the only action

    def param(self, key: str) -> ParamSpec | None:
        for p in self.params:
            if p.key == key:
                return p
        return None

    def param_spec(self, key: str) -> ParamSpec:
        """The parameter ``key``, which this action is known to have (a ``KeyError`` otherwise)."""
        p = self.param(key)
        if p is None:
            raise KeyError(f"{self.name} has no parameter {key!r}")
        return p

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.params if p.key)


def _i(key: str, meaning: str, lo: int, hi: int, default: Any = None, ec: str | None = None) -> ParamSpec:
    return ParamSpec(key, "int", meaning, lo, hi, default=default, ec=ec)


def _c(key: str, meaning: str, choices: Iterable[str], default: Any = None, ec: str | None = None) -> ParamSpec:
    return ParamSpec(key, "choice", meaning, choices=tuple(choices), default=default, ec=ec)


_SIDE = 30000  # crop/indexcrop coordinates can never exceed a source side (oss-process.md §1.5)

#: Every action, in the order of oss-process.md §1.2. Each action's params are in canonical order.
ACTIONS: dict[str, ActionSpec] = {a.name: a for a in (
    ActionSpec("resize", "scale the image", (
        _c("m", "mode: lfit fits inside the box, mfit covers it, fill covers then centre-crops, "
                "pad fits then pads, fixed stretches", ("lfit", "mfit", "fill", "pad", "fixed"),
           "lfit", "0040-00000311"),
        _i("w", "target width, px", 1, 16384, ec="0040-00000312"),
        _i("h", "target height, px", 1, 16384, ec="0040-00000313"),
        _i("l", "target long edge, px (ignored when w or h is given)", 1, 16384, ec="0040-00000314"),
        _i("s", "target short edge, px (ignored when w or h is given)", 1, 16384, ec="0040-00000315"),
        _c("limit", "1: never enlarge (the default); 0: allow enlarging", ("0", "1"), "1",
           "0040-00000319"),
        ParamSpec("color", "color", "pad fill colour (only for m_pad)", default="FFFFFF",
                  ec="0040-00000318"),
        _i("p", "scale by percent (ignored when w or h is given)", 1, 1000, ec="0040-00000317"),
        _i("P", "watermark pre-process only: percent of the main image", 1, 100),
    ), required_any=("w", "h", "l", "s", "p", "P"), missing_ec=None),
    ActionSpec("crop", "cut a rectangle", (
        _i("w", "width, px (default: to the right edge)", 0, _SIDE, ec="0040-00000225"),
        _i("h", "height, px (default: to the bottom edge)", 0, _SIDE, ec="0040-00000226"),
        _i("x", "x offset added to the gravity origin, px", 0, _SIDE, 0, ec="0040-00000223"),
        _i("y", "y offset added to the gravity origin, px", 0, _SIDE, 0, ec="0040-00000224"),
        _c("g", "gravity: origin in the nine-grid", GRAVITIES, "nw", "0040-00000227"),
        _i("r", "undocumented (sent by oss2's tests); accepted and ignored", 0, 1),
    )),
    ActionSpec("indexcrop", "cut the image into slices and keep one", (
        _i("x", "slice width along the x axis, px", 1, _SIDE, ec="0040-00000228"),
        _i("y", "slice height along the y axis, px (wins over x)", 1, _SIDE, ec="0040-00000229"),
        _i("i", "index of the slice to keep (past the end: the source comes back)", 0, _SIDE, 0,
           ec="0040-00000230"),
    ), required_any=("x", "y")),
    ActionSpec("circle", "cut the centred inscribed circle", (
        _i("r", "radius, px (clamped to the image)", 1, 4096, ec="0040-00000233"),
    ), required_all=("r",)),
    ActionSpec("rounded-corners", "round the corners", (
        _i("r", "corner radius, px (clamped to half the short side)", 1, 4096, ec="0040-00000237"),
    ), required_all=("r",)),
    ActionSpec("rotate", "rotate clockwise, degrees; other than 90/180/270 grows the canvas", (
        _i("", "angle, degrees clockwise", 0, 360, ec="0040-00000217"),
    ), bare=True, missing_ec="0040-00000217"),
    ActionSpec("auto-orient", "apply the EXIF Orientation first (1) or not (0)", (
        _c("", "1: rotate by EXIF Orientation before anything else; 0: leave as stored", ("0", "1"),
           ec="0040-00000215"),
    ), bare=True, missing_ec="0040-00000215"),
    ActionSpec("blur", "Gaussian blur", (
        _i("r", "blur radius", 1, 50, ec="0040-00000239"),
        _i("s", "standard deviation", 1, 50, ec="0040-00000240"),
    ), required_all=("r", "s")),
    ActionSpec("bright", "brightness change", (
        _i("", "brightness delta, -100..100", -100, 100, ec="0040-00000246"),
    ), bare=True, missing_ec="0040-00000245"),
    ActionSpec("contrast", "contrast change", (
        _i("", "contrast delta, -100..100", -100, 100, ec="0040-00000248"),
    ), bare=True, missing_ec="0040-00000248"),
    ActionSpec("sharpen", "sharpen", (
        _i("", "sharpening strength (100 recommended)", 50, 399, ec="0040-00000280"),
    ), bare=True, missing_ec="0040-00000279"),
    ActionSpec("watermark", "draw a text and/or image watermark", (
        ParamSpec("image", "b64image", "watermark image: object key in the same bucket",
                  ec="0040-00000265", code="BadRequest"),
        ParamSpec("text", "b64text", "watermark text", ec="0040-00000257", code="BadRequest"),
        ParamSpec("type", "b64font", "font of the text", default="wqy-zenhei", ec="0040-00000251"),
        ParamSpec("color", "color", "text colour", default="000000", ec="0040-00000252"),
        _i("size", "font size, px", 1, 1000, 40, ec="0040-00000253"),
        _i("shadow", "text shadow opacity, %", 0, 100, 0, ec="0040-00000254"),
        _i("rotate", "text rotation, degrees clockwise", 0, 360, 0, ec="0040-00000255"),
        _c("fill", "1: tile the text over the image", ("0", "1"), "0", ec="0040-00000256"),
        _i("padx", "horizontal gap between tiles (fill_1), px", 0, 4096, 0, ec="0040-00000276"),
        _i("pady", "vertical gap between tiles (fill_1), px", 0, 4096, 0, ec="0040-00000277"),
        _c("order", "text and image: 0 image first, 1 text first", ("0", "1"), "0"),
        _c("align", "text and image: 0 top, 1 centre, 2 bottom", ("0", "1", "2"), "2"),
        _i("interval", "gap between text and image, px", 0, 1000, 0),
        _i("t", "opacity, %", 0, 100, 100, ec="0040-00000258"),
        _c("g", "anchor in the nine-grid", GRAVITIES, "se", ec="0040-00000259"),
        _i("x", "horizontal margin from the edge, px", 0, 4096, 10, ec="0040-00000260"),
        _i("y", "vertical margin from the edge, px", 0, 4096, 10, ec="0040-00000261"),
        _i("voffset", "vertical shift from the middle line (west/center/east), px", -1000, 1000, 0,
           ec="0040-00000262"),
    ), required_any=("text", "image")),
    ActionSpec("format", "output format", (
        _c("", "output format", FORMATS, ec="0040-00000206"),
    ), bare=True, missing_ec="0040-00000207"),
    ActionSpec("quality", "JPG/WebP output quality", (
        _i("q", "relative quality: source quality × q/100", 1, 100, ec="0040-00000309"),
        _i("Q", "absolute quality: min(Q, source quality); wins over q", 1, 100, ec="0040-00000308"),
        _i("", "bare quality number (undocumented form, range-checked)", 1, 100, ec="0040-00000310"),
    ), bare_optional=True, required_any=("q", "Q", "")),
    ActionSpec("interlace", "1: progressive JPG", (
        _c("", "1: progressive (JPG output only); 0: baseline", ("0", "1"), ec="0040-00000219"),
    ), bare=True, missing_ec="0040-00000219"),
    ActionSpec("info", "return the source's size, format and EXIF as JSON (only action)",
               alone=True),
    ActionSpec("average-hue", "return the source's average colour as JSON (only action)",
               alone=True),
)}

#: Actions allowed in a watermark image's own pre-process (oss-process.md §2.10).
WATERMARK_PRE_ACTIONS = ("resize", "crop", "indexcrop", "rounded-corners", "rotate")


# ---- data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    """One parameter: ``key`` (``""`` for a bare value) and its typed ``value``.

    Integers are ``int``; words, colours and decoded base64 (text, font, object key) are ``str``.
    """

    key: str
    value: Any

    def __repr__(self) -> str:
        return f"Param({self.key!r}, {self.value!r})"


@dataclass(frozen=True)
class Action:
    """One action of a process: its ``name`` and its ``params`` in canonical order."""

    name: str
    params: tuple[Param, ...] = ()

    @property
    def spec(self) -> ActionSpec:
        return ACTIONS[self.name]

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` (``""`` = the bare value), or ``default``."""
        for p in self.params:
            if p.key == key:
                return p.value
        return default

    def __contains__(self, key: str) -> bool:
        return any(p.key == key for p in self.params)

    def __getitem__(self, key: str) -> Any:
        for p in self.params:
            if p.key == key:
                return p.value
        raise KeyError(key)

    def value(self, key: str) -> Any:
        """The value of ``key``, or the documented default when it is not given."""
        if key in self:
            return self[key]
        spec = self.spec.param(key)
        if spec is None:
            raise KeyError(key)
        return spec.typed(spec.default) if isinstance(spec.default, str) else spec.default

    @property
    def bare(self) -> Any:
        """The bare value (``rotate,90`` → 90), or ``None``."""
        return self.get("")

    @property
    def text(self) -> str:
        spec = self.spec
        parts = [self.name]
        for p in self.params:
            ps = spec.param(p.key)
            t = ps.to_text(p.value) if ps else str(p.value)
            parts.append(f"{p.key}_{t}" if p.key else t)
        return ",".join(parts)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Action({self.name!r}, {self.params!r})"


@dataclass(frozen=True)
class SaveAs:
    """``sys/saveas`` target: ``object`` key (required) and ``bucket`` (default: the source's)."""

    object: str
    bucket: str | None = None

    @property
    def text(self) -> str:
        s = "sys/saveas,o_" + b64url_encode(self.object)
        return s + (",b_" + b64url_encode(self.bucket) if self.bucket else "")

    def __str__(self) -> str:
        return self.text


# ---- errors -------------------------------------------------------------------------------
def _error(message: str, *, text: str | None = None, column: int | None = None,
           action: str | None = None, parameter: str | None = None, allowed: str | None = None,
           candidates: tuple[str, ...] | list[str] = (), bad: str | None = None,
           ec: str | None = None, code: str = "InvalidArgument", hint: str | None = None
           ) -> ProcessSyntaxError:
    suggestion = None
    if bad is not None and candidates:
        exact = [c for c in candidates if c.lower() == bad.lower()]
        close = exact or difflib.get_close_matches(bad, list(candidates), n=1, cutoff=0.6) \
            or difflib.get_close_matches(bad.lower(), [c.lower() for c in candidates], n=1, cutoff=0.6) \
            or [c for c in candidates if bad and c == bad[0]] \
            or [c for c in candidates if bad and c.lower() == bad[0].lower()]
        if close:
            suggestion = next((c for c in candidates if c.lower() == close[0].lower()), close[0])
    where = f" at column {column}" if column else ""
    msg = message + where
    if text is not None and column:
        snippet = text if len(text) <= 120 else text[max(0, column - 60):column + 60]
        msg += f" of {snippet!r}"
    bits = []
    if suggestion:
        bits.append(f"did you mean {suggestion!r}")
    if allowed:
        bits.append(f"allowed: {allowed}")
    if hint:
        bits.append(hint)
    return ProcessSyntaxError(msg, action=action, parameter=parameter, column=column,
                              allowed=allowed, suggestion=suggestion, hint="; ".join(bits) or None,
                              reason=message, ec=ec, code=code, status=400)


# ---- parsing ------------------------------------------------------------------------------
def _parse_value(spec: ActionSpec, ps: ParamSpec, raw: str, *, text: str, col: int,
                 nested: bool) -> Any:
    name = spec.name
    label = f"{name} parameter {ps.display}" if ps.key else f"{name} value"

    def bad(why: str, hint: str | None = None, ec: str | None = None, code: str | None = None,
            candidates: tuple[str, ...] = ()) -> ProcessSyntaxError:
        return _error(f"{label}: {raw!r} {why}", text=text, column=col, action=name,
                      parameter=ps.key or None, allowed=ps.allowed(), ec=ec or ps.ec,
                      code=code or ps.code, hint=hint, candidates=candidates, bad=raw)

    if ps.kind == "int":
        if not _INT.match(raw):
            raise bad("is not an integer")
        v = int(raw)
        assert ps.lo is not None and ps.hi is not None        # every int parameter has its range (_i)
        if not ps.lo <= v <= ps.hi:
            raise bad("is out of range")
        return v
    if ps.kind == "choice":
        if raw not in ps.choices:
            hint = None
            if name == "crop" and raw in ("face", "auto"):
                hint = "g_face and g_auto need Intelligent Media Management; they are not emulated"
            raise bad("is not allowed", hint, candidates=ps.choices)
        return ps.typed(raw)
    if ps.kind == "color":
        if not _HEX6.match(raw):
            raise bad("is not a 6-digit hex colour",
                      "write it without '#', e.g. FF0000 (plain hex, not base64)")
        return raw.upper()
    # base64 kinds
    if "+" in raw or " " in raw:
        raise bad("is standard base64 (or a '+' decoded as a space)",
                  "use URL-safe base64: '+'→'-', '/'→'_', no '=' (base64.urlsafe_b64encode)",
                  code="BadRequest")
    try:
        data = b64url_decode(raw)
    except ValueError:
        raise bad("is not URL-safe base64",
                  "encode with base64.urlsafe_b64encode(...).rstrip(b'=') or let the builder do it",
                  ec={"b64font": "0040-00000250"}.get(ps.kind), code="BadRequest") from None
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("does not decode to UTF-8 text", code="BadRequest") from None
    if ps.kind == "b64text":
        if not decoded:
            raise bad("decodes to empty text")
        if len(data) > MAX_TEXT_BYTES:
            raise bad(f"decodes to {len(data)} bytes of text, more than {MAX_TEXT_BYTES}",
                      "shorten the text (at most 21 Chinese characters)", ec="0040-00000377")
        return decoded
    if ps.kind == "b64font":
        if decoded not in FONTS:
            raise bad(f"names the font {decoded!r}, which OSS does not have", ec="0040-00000251")
        return decoded
    # b64image: "key" or "key?x-oss-process=image/..."
    if nested:
        raise _error(f"{label}: a watermark image's pre-process cannot itself have a watermark",
                     text=text, column=col, action=name, parameter=ps.key,
                     allowed="resize, crop, indexcrop, rounded-corners, rotate",
                     ec="0040-00000373")
    key, sep, pre = decoded.partition("?x-oss-process=")
    if not key or "?" in key or len(key.encode("utf-8")) > 1023:
        raise bad(f"decodes to {decoded!r}, not an object key (1..1023 bytes, no '?')",
                  ec="0040-00000265", code="BadRequest")
    if sep:
        try:
            _parse_image_process(pre, 1, nested=True)
        except ProcessSyntaxError as inner:
            raise _error(f"{label}: the watermark image's pre-process {pre!r} is invalid "
                         f"({inner.reason})", text=text, column=col, action=name,
                         parameter=ps.key, allowed=inner.allowed, ec=inner.ec,
                         code=inner.code) from None
    return decoded


def _parse_action(text: str, start: int, end: int, *, strict: bool, nested: bool) -> Action:
    """Parse ``text[start:end]`` (one action). Columns in errors are positions in ``text``."""
    chunk = text[start:end]
    col0 = start + 1
    if not chunk:
        raise _error("empty action (two '/' in a row, or a trailing '/')", text=text, column=col0,
                     allowed="an action such as resize,w_100", ec="0040-00000212",
                     hint="remove the extra '/'")
    pieces = chunk.split(",")
    name = pieces[0]
    spec = ACTIONS.get(name)
    if spec is None:
        hint = None
        if name == "image":
            hint = "write 'image/' once, at the start: image/resize,w_100/rotate,90"
        elif name == "flip":
            hint = "OSS has no flip (that is Tencent CI's imageMogr2/flip); use rotate"
        elif name.strip() != name:
            hint = "remove the spaces"
        names = tuple(ACTIONS) if not nested else WATERMARK_PRE_ACTIONS
        raise _error(f"unknown action {name!r}", text=text, column=col0, action=name or None,
                     allowed=", ".join(names), candidates=names, bad=name, ec="0040-00000213",
                     hint=hint)
    if nested and name not in WATERMARK_PRE_ACTIONS:
        raise _error(f"action {name!r} is not allowed in a watermark image's pre-process",
                     text=text, column=col0, action=name,
                     allowed=", ".join(WATERMARK_PRE_ACTIONS),
                     ec="0040-00000373" if name == "watermark" else None)
    values: dict[str, Any] = {}
    pos = start + len(name) + 1  # index in text of the first arg
    for raw_arg in pieces[1:]:
        col = pos + 1
        pos += len(raw_arg) + 1
        if not raw_arg:
            raise _error(f"{name}: empty parameter (',' with nothing after it)", text=text,
                         column=col, action=name, allowed=_allowed_params(spec, nested),
                         ec=spec.missing_ec, code="MissingArgument", hint="remove the extra ','")
        if spec.alone:
            raise _error(f"{name} takes no parameters, got {raw_arg!r}", text=text, column=col,
                         action=name, allowed=f"just '{name}'", hint=f"write image/{name}")
        key, us, val = raw_arg.partition("_")
        is_bare = not us
        if spec.bare and not is_bare:
            raise _error(f"{name} takes a bare value, not {raw_arg!r}", text=text, column=col,
                             action=name, parameter=key,
                             allowed=spec.params[0].allowed(), ec=spec.params[0].ec,
                             hint=f"write {name},<value>, e.g. {_example(spec)}")
        if is_bare:
            key, val = "", raw_arg
        if key == "" and not (spec.bare or spec.bare_optional):
            raise _error(f"{name} takes key_value parameters, not the bare value {raw_arg!r}",
                         text=text, column=col, action=name,
                         allowed=_allowed_params(spec, nested), ec=None,
                         hint=f"e.g. {_example(spec)}")
        ps = spec.param(key)
        if ps is None or (key == "P" and not nested):
            if not strict:
                continue
            cands = tuple(k for k in spec.keys if k != "P" or nested)
            hint = None
            if key == "P":
                hint = "P_ (percent of the main image) exists only in a watermark image's pre-process"
            raise _error(f"{name}: unknown parameter {key!r}", text=text, column=col, action=name,
                         parameter=key, allowed=_allowed_params(spec, nested), candidates=cands,
                         bad=key, hint=hint)
        if key in values:
            if key == "" and spec.bare:
                raise _error(f"{name} takes one value, got more", text=text, column=col,
                             action=name, allowed=ps.allowed(), ec=spec.too_many_ec,
                             hint=f"e.g. {_example(spec)}")
            if strict:
                raise _error(f"{name}: parameter {ps.display} is repeated", text=text, column=col,
                             action=name, parameter=key or None, allowed="each parameter once",
                             hint="remove one of them (lenient parsing lets the last one win)")
        if val == "":
            raise _error(f"{name}: parameter {ps.display} has no value", text=text,
                         column=col, action=name, parameter=key or None, allowed=ps.allowed(),
                         ec=ps.ec, code="MissingArgument")
        vcol = col + (len(key) + 1 if key else 0)
        values[key] = _parse_value(spec, ps, val, text=text, col=vcol, nested=nested)
    return _finish_action(spec, values, text=text, col=col0)


def _finish_action(spec: ActionSpec, values: dict[str, Any], *, text: str, col: int) -> Action:
    name = spec.name
    if spec.bare and "" not in values:
        raise _error(f"{name} needs a value", text=text, column=col, action=name,
                     allowed=spec.params[0].allowed(), ec=spec.missing_ec, code="MissingArgument",
                     hint=f"e.g. {_example(spec)}")
    if spec.required_any and not any(k in values for k in spec.required_any):
        keys = [k for k in spec.required_any if k not in ("", "P")]
        raise _error(f"{name} needs at least one of " + ", ".join(f"{k}_" for k in keys),
                     text=text, column=col, action=name, allowed=_allowed_params(spec, False),
                     ec=spec.missing_ec, code="MissingArgument", hint=f"e.g. {_example(spec)}")
    if spec.required_all:
        missing = [k for k in spec.required_all if k not in values]
        if missing:
            raise _error(f"{name} needs " + " and ".join(f"{k}_" for k in missing), text=text,
                         column=col, action=name, parameter=missing[0],
                         allowed=_allowed_params(spec, False), code="MissingArgument",
                         ec=spec.param_spec(missing[0]).ec, hint=f"e.g. {_example(spec)}")
    if name == "quality" and "" in values and len(values) > 1:
        raise _error("quality takes either a bare number or q_/Q_, not both", text=text,
                     column=col, action=name, allowed="quality,q_<1..100> or quality,Q_<1..100>",
                     ec="0040-00000203")
    params = tuple(Param(p.key, values[p.key]) for p in spec.params if p.key in values)
    return Action(name, params)


def _allowed_params(spec: ActionSpec, nested: bool) -> str:
    if spec.alone:
        return "no parameters"
    if spec.bare:
        return spec.params[0].allowed()
    keys = [f"{k}_" for k in spec.keys if k != "P" or nested]
    if spec.bare_optional:
        keys.append("a bare number")
    return ", ".join(keys)


_EXAMPLES = {"resize": "resize,m_lfit,w_100", "crop": "crop,w_100,h_100,g_center",
             "indexcrop": "indexcrop,x_100,i_0", "circle": "circle,r_100",
             "rounded-corners": "rounded-corners,r_10", "rotate": "rotate,90",
             "auto-orient": "auto-orient,1", "blur": "blur,r_3,s_2", "bright": "bright,50",
             "contrast": "contrast,-50", "sharpen": "sharpen,100",
             "watermark": "watermark,text_SGVsbG8,g_se", "format": "format,png",
             "quality": "quality,q_80", "interlace": "interlace,1", "info": "info",
             "average-hue": "average-hue"}


def _example(spec: ActionSpec) -> str:
    return _EXAMPLES[spec.name]


def _check_actions(actions: list[Action], text: str, cols: list[int]) -> None:
    """Rules across actions: info/average-hue alone, at most 3 image watermarks."""
    for a, c in zip(actions, cols, strict=True):
        if a.spec.alone and len(actions) > 1:
            raise _error(f"{a.name} cannot be combined with other actions", text=text, column=c,
                         action=a.name, allowed=f"image/{a.name} on its own",
                         hint=f"{a.name} always describes the source object; request it separately")
    images = [(a, c) for a, c in zip(actions, cols, strict=True) if a.name == "watermark" and "image" in a]
    if len(images) > MAX_IMAGE_WATERMARKS:
        a, c = images[MAX_IMAGE_WATERMARKS]
        raise _error(f"more than {MAX_IMAGE_WATERMARKS} image watermarks", text=text, column=c,
                     action="watermark", parameter="image",
                     allowed=f"at most {MAX_IMAGE_WATERMARKS} image watermarks per image",
                     code="WatermarkError")


def _parse_image_process(text: str, base: int, *, strict: bool = True, nested: bool = False,
                         full: str | None = None) -> tuple[Action, ...]:
    """Parse ``image/a/b/...`` found at 1-based column ``base`` of ``full`` (default: ``text``)."""
    full = text if full is None else full
    off = base - 1
    if not text.startswith("image/"):
        raise _error("a process must start with 'image/' or 'style/'", text=full,
                     column=base, allowed="image/<action>[/<action>…] or style/<name>",
                     ec="0040-00000212", hint="e.g. image/resize,w_100")
    body_start = off + len("image/")
    if len(text) == len("image/"):
        raise _error("no action after 'image/'", text=full, column=body_start + 1,
                     allowed=", ".join(WATERMARK_PRE_ACTIONS if nested else ACTIONS),
                     ec="0040-00000212", code="InvalidArgument", hint="e.g. image/resize,w_100")
    actions: list[Action] = []
    cols: list[int] = []
    i = body_start
    end_all = off + len(text)
    while True:
        j = full.find("/", i, end_all)
        j = end_all if j < 0 else j
        actions.append(_parse_action(full, i, j, strict=strict, nested=nested))
        cols.append(i + 1)
        if j >= end_all:
            break
        i = j + 1
    _check_actions(actions, full, cols)
    return tuple(actions)


def _parse_saveas(text: str, start: int) -> SaveAs:
    chunk = text[start:]
    col0 = start + 1
    if not chunk.startswith("sys/saveas"):
        raise _error("after '|' only sys/saveas is allowed", text=text, column=col0,
                     action=chunk.split(",")[0] or None, allowed="sys/saveas,o_<b64>[,b_<b64>]",
                     candidates=("sys/saveas",), bad=chunk.split(",")[0])
    rest = chunk[len("sys/saveas"):]
    if rest and not rest.startswith(","):
        raise _error("sys/saveas must be followed by ',o_…'", text=text, column=col0,
                     action="sys/saveas", allowed="sys/saveas,o_<b64>[,b_<b64>]")
    vals: dict[str, str] = {}
    pos = start + len("sys/saveas") + 1
    for arg in rest[1:].split(",") if rest else []:
        col = pos + 1
        pos += len(arg) + 1
        key, us, val = arg.partition("_")
        if not us or key not in ("o", "b"):
            raise _error(f"sys/saveas: unknown parameter {arg!r}", text=text, column=col,
                         action="sys/saveas", parameter=key or None, allowed="o_, b_",
                         candidates=("o", "b"), bad=key)
        if key in vals:
            raise _error(f"sys/saveas: parameter {key}_ is repeated", text=text, column=col,
                         action="sys/saveas", parameter=key, allowed="each parameter once")
        what = "object key" if key == "o" else "bucket name"
        try:
            decoded = b64url_decode(val).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise _error(f"sys/saveas: {key}_{val} is not URL-safe base64 of a {what}", text=text,
                         column=col + 2, action="sys/saveas", parameter=key,
                         allowed=f"URL-safe base64 of the {what}", code="BadRequest",
                         hint="encode with base64.urlsafe_b64encode") from None
        if key == "o" and not (0 < len(decoded.encode("utf-8")) <= 1023):
            raise _error("sys/saveas: the target object key must be 1..1023 bytes", text=text,
                         column=col + 2, action="sys/saveas", parameter="o",
                         allowed="an object key of 1..1023 bytes")
        if key == "b" and not valid_bucket_name(decoded):
            raise _error(f"sys/saveas: {decoded!r} is not a bucket name", text=text,
                         column=col + 2, action="sys/saveas", parameter="b",
                         allowed="3..63 lower-case letters, digits and '-'")
        vals[key] = decoded
    if "o" not in vals:
        raise _error("sys/saveas needs o_ (the target object key, URL-safe base64)", text=text,
                     column=col0, action="sys/saveas", parameter="o", code="MissingArgument",
                     allowed="sys/saveas,o_<b64 key>[,b_<b64 bucket>]")
    return SaveAs(vals["o"], vals.get("b"))


def _parse(text: str, *, strict: bool = True, max_length: int = MAX_LENGTH) -> Process:
    if not isinstance(text, str):
        raise ProcessSyntaxError(f"a process must be a str, not {type(text).__name__}",
                                 hint="pass text such as 'image/resize,w_100' or build a Process")
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
        raise ProcessSyntaxError(f"max_length={max_length!r:.40} is not a whole number of bytes ≥ 1",
                                 hint=f"leave it out (the OSS limit is {MAX_LENGTH} bytes)")
    m = LONE_SURROGATE.search(text)
    if m:
        raise _error(f"the process contains the lone surrogate {m.group()!r}", text=text,
                     column=m.start() + 1, allowed="valid Unicode text", hint=_SURROGATE_HINT)
    n = len(text.encode("utf-8"))
    if n > max_length:
        raise _error(f"process is {n} bytes long, over the limit of {max_length}", text=text,
                     column=max_length + 1, allowed=f"at most {max_length} bytes",
                     ec="0017-00000288", hint="split the work or use a style (style/<name>)")
    if not text:
        raise _error("empty process", text=text, allowed="image/<action>… or style/<name>",
                     ec="0040-00000212", hint="e.g. image/resize,w_100")
    if text.startswith("x-oss-process="):
        raise _error("pass the value of x-oss-process, not the 'x-oss-process=' prefix",
                     text=text, column=1, allowed="image/<action>… or style/<name>",
                     hint=f"use {text[len('x-oss-process='):]!r}")
    m = re.search(r"%[0-9A-Fa-f]{2}", text)
    if m:
        raise _error("the process is percent-encoded", text=text, column=m.start() + 1,
                     allowed="the decoded form, e.g. image/resize,w_100",
                     hint="decode it first (urllib.parse.unquote); double encoding makes OSS see "
                          "'image%2F…' and reject it")
    for i, ch in enumerate(text):
        if ch.isspace() or ord(ch) < 32:
            raise _error(f"the process contains {'a space' if ch == ' ' else repr(ch)}", text=text,
                         column=i + 1, allowed="no whitespace",
                         hint="remove it; a '+' in a URL also turns into a space")
    main, bar, _tail = text.partition("|")
    save = _parse_saveas(text, len(main) + 1) if bar else None
    if main.startswith("style/"):
        name = main[len("style/"):]
        if not _STYLE_NAME.match(name):
            raise _error(f"bad style name {name!r}", text=text, column=len("style/") + 1,
                         allowed="1..64 letters, digits, '_', '-', '.'")
        return Process(style_name=name, save_as=save)
    return Process(actions=_parse_image_process(main, 1, strict=strict, full=text), save_as=save)


# ---- the builder --------------------------------------------------------------------------
_FORBIDDEN = re.compile(r"[,/|?&#=%\s]")


@dataclass(frozen=True)
class Process:
    """An ``x-oss-process`` value: image actions (or a style), plus an optional ``sys/saveas``.

    Build it by chaining (each call returns a new ``Process``) or parse text::

        >>> Process().crop(w=100, h=100).rounded_corners(r=10).format("png").text
        'image/crop,w_100,h_100/rounded-corners,r_10/format,png'
        >>> Process.parse("style/small").style_name
        'small'
    """

    actions: tuple[Action, ...] = ()
    style_name: str | None = None
    save_as: SaveAs | None = None

    # ---- parsing / text --------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str | Process, *, strict: bool = True,
              max_length: int = MAX_LENGTH) -> Process:
        """Validate ``text`` and return the :class:`Process`; raise :class:`ProcessSyntaxError`.

            >>> Process.parse("image/resize,w_100/rotate,90").actions[1].bare
            90
        """
        if isinstance(text, Process):
            return cls.parse(text.text, strict=strict, max_length=max_length)
        return _parse(text, strict=strict, max_length=max_length)

    @property
    def text(self) -> str:
        """The canonical string (same as ``str(p)``); ``""`` for an empty builder."""
        if self.style_name is not None:
            main = "style/" + self.style_name
        elif self.actions:
            main = "image/" + "/".join(a.text for a in self.actions)
        else:
            main = ""
        return main + ("|" + self.save_as.text if self.save_as else "")

    def __str__(self) -> str:
        return self.text

    def __len__(self) -> int:
        return len(self.actions)

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    @property
    def post_only(self) -> bool:
        """True when the process carries ``sys/saveas`` (allowed only in a POST body)."""
        return self.save_as is not None

    def post_body(self) -> bytes:
        """The raw body of ``POST /<key>?x-oss-process`` for a saveas process.

            >>> Process().resize(w=100).saveas("dest.jpg", "examplebucket").post_body()
            b'x-oss-process=image/resize,w_100|sys/saveas,o_ZGVzdC5qcGc,b_ZXhhbXBsZWJ1Y2tldA'
        """
        if not self.save_as:
            raise ProcessSyntaxError("post_body() needs sys/saveas",
                                     hint="add .saveas('target-key') or send the process as a GET "
                                          "query parameter instead")
        return ("x-oss-process=" + self.text).encode("utf-8")

    def without_saveas(self) -> Process:
        """The same process without its ``sys/saveas`` part."""
        return replace(self, save_as=None)

    def find(self, name: str) -> tuple[Action, ...]:
        """All actions called ``name``."""
        return tuple(a for a in self.actions if a.name == name)

    # ---- builder ---------------------------------------------------------------------------
    def _add(self, name: str, kwargs: Mapping[str, Any], bare: Any = None,
             has_bare: bool = False) -> Process:
        if self.style_name is not None:
            raise ProcessSyntaxError(f"cannot add {name} to style/{self.style_name}",
                                     action=name,
                                     hint="a style reference stands alone; define the actions in "
                                          "the style instead, or build image/… actions")
        spec = ACTIONS[name]
        parts = [name]
        if has_bare:
            parts.append(self._value_text(spec.param_spec(""), bare, name))
        for key, value in kwargs.items():
            if value is None:
                continue
            ps = spec.param(key)
            if ps is None:
                # fall through to the parser, which names the key and suggests the closest one
                parts.append(f"{key}_{value}")
                continue
            parts.append(f"{key}_{self._value_text(ps, value, name, key)}")
        prefix = "image/" + "".join(a.text + "/" for a in self.actions)
        fragment = ",".join(parts)
        full = prefix + fragment
        if self.save_as:
            full += "|" + self.save_as.text
        action = _parse_action(full, len(prefix), len(full) - (
            len(self.save_as.text) + 1 if self.save_as else 0), strict=True, nested=False)
        actions = [*self.actions, action]
        cols, c = [], len("image/") + 1
        for a in actions:
            cols.append(c)
            c += len(a.text) + 1
        _check_actions(actions, "image/" + "/".join(a.text for a in actions), cols)
        out = replace(self, actions=tuple(actions))
        if len(out.text.encode("utf-8")) > MAX_LENGTH:
            _parse(out.text)  # raises the length error
        return out

    @staticmethod
    def _value_text(ps: ParamSpec, value: Any, name: str, key: str = "") -> str:
        label = f"{name} parameter {key}_" if key else f"{name} value"
        if ps.kind in ("b64text", "b64font", "b64image"):
            if not isinstance(value, str):
                raise ProcessSyntaxError(f"{label} must be a str, not {type(value).__name__}",
                                         action=name, parameter=key or None,
                                         allowed=ps.allowed(),
                                         hint="give the plain text; the builder base64-encodes it")
            _check_surrogates(value, label, action=name, parameter=key or None)
            return b64url_encode(value)
        if isinstance(value, bool):
            value = int(value)
        t = str(value)
        if _FORBIDDEN.search(t) or not t:
            raise ProcessSyntaxError(f"{label}: {t!r} contains a character that would break the "
                                     "process string", action=name, parameter=key or None,
                                     allowed=ps.allowed(),
                                     hint="pass a plain number or word, without ',', '/', '|'")
        return t

    def resize(self, *, w: int | None = None, h: int | None = None, m: str | None = None,
               l: int | None = None, s: int | None = None, limit: int | bool | None = None,  # noqa: E741
               color: str | None = None, p: int | None = None) -> Process:
        """``resize``: ``m`` lfit|mfit|fill|pad|fixed, ``w``/``h``/``l``/``s`` 1..16384, ``p`` 1..1000 %.

            >>> Process().resize(w=100, h=50, m="pad", color="ff0000").text
            'image/resize,m_pad,w_100,h_50,color_FF0000'
        """
        return self._add("resize", dict(m=m, w=w, h=h, l=l, s=s, limit=limit, color=color, p=p))

    def crop(self, *, w: int | None = None, h: int | None = None, x: int | None = None,
             y: int | None = None, g: str | None = None) -> Process:
        """``crop``: ``w``/``h`` size, ``x``/``y`` offsets added to the origin of gravity ``g``."""
        return self._add("crop", dict(w=w, h=h, x=x, y=y, g=g))

    def indexcrop(self, *, x: int | None = None, y: int | None = None,
                  i: int | None = None) -> Process:
        """``indexcrop``: slices of width ``x`` (or height ``y``), keep slice ``i``."""
        return self._add("indexcrop", dict(x=x, y=y, i=i))

    def circle(self, r: int) -> Process:
        """``circle,r_<r>``: the centred circle, output (2r+1)²."""
        return self._add("circle", dict(r=r))

    def rounded_corners(self, r: int) -> Process:
        """``rounded-corners,r_<r>``."""
        return self._add("rounded-corners", dict(r=r))

    def rotate(self, angle: int) -> Process:
        """``rotate,<angle>`` clockwise, 0..360."""
        return self._add("rotate", {}, angle, True)

    def auto_orient(self, on: int | bool = 1) -> Process:
        """``auto-orient,<0|1>``."""
        return self._add("auto-orient", {}, on, True)

    def blur(self, r: int, s: int) -> Process:
        """``blur,r_<radius>,s_<sigma>``, each 1..50."""
        return self._add("blur", dict(r=r, s=s))

    def bright(self, value: int) -> Process:
        """``bright,<-100..100>``."""
        return self._add("bright", {}, value, True)

    def contrast(self, value: int) -> Process:
        """``contrast,<-100..100>``."""
        return self._add("contrast", {}, value, True)

    def sharpen(self, value: int = 100) -> Process:
        """``sharpen,<50..399>``."""
        return self._add("sharpen", {}, value, True)

    def watermark(self, *, text: str | None = None, image: str | None = None,
                  image_process: Process | str | None = None, type: str | None = None,
                  color: str | None = None, size: int | None = None, shadow: int | None = None,
                  rotate: int | None = None, fill: int | bool | None = None,
                  padx: int | None = None, pady: int | None = None, order: int | None = None,
                  align: int | None = None, interval: int | None = None, t: int | None = None,
                  g: str | None = None, x: int | None = None, y: int | None = None,
                  voffset: int | None = None) -> Process:
        """``watermark``: plain ``text`` and/or an ``image`` object key; base64 is done for you.

        ``image_process`` pre-processes the watermark image (resize incl. ``P_``, crop, indexcrop,
        rounded-corners, rotate)::

            >>> Process().watermark(image="panda.png", image_process="image/resize,P_30", t=90).text
            'image/watermark,image_cGFuZGEucG5nP3gtb3NzLXByb2Nlc3M9aW1hZ2UvcmVzaXplLFBfMzA,t_90'
        """
        if image_process is not None:
            if image is None:
                raise ProcessSyntaxError("image_process needs image=", action="watermark",
                                         parameter="image",
                                         hint="name the watermark object: image='logo.png'")
            pre = str(image_process)
            image = f"{image}?x-oss-process={pre}"
        return self._add("watermark", dict(
            image=image, text=text, type=type, color=color, size=size, shadow=shadow,
            rotate=rotate, fill=fill, padx=padx, pady=pady, order=order, align=align,
            interval=interval, t=t, g=g, x=x, y=y, voffset=voffset))

    def format(self, fmt: str) -> Process:
        """``format,<jpg|png|webp|bmp|gif|tiff|heic|avif>``."""
        return self._add("format", {}, fmt, True)

    def quality(self, q: int | None = None, *, Q: int | None = None) -> Process:
        """``quality,q_<1..100>`` (relative) and/or ``Q_<1..100>`` (absolute, wins)."""
        return self._add("quality", dict(q=q, Q=Q))

    def interlace(self, on: int | bool = 1) -> Process:
        """``interlace,<0|1>``: progressive JPG."""
        return self._add("interlace", {}, on, True)

    def info(self) -> Process:
        """``info``: JSON description of the source (must be the only action)."""
        return self._add("info", {})

    def average_hue(self) -> Process:
        """``average-hue``: the source's average colour as JSON (must be the only action)."""
        return self._add("average-hue", {})

    def style(self, name: str) -> Process:
        """``style/<name>``: a style defined on the bucket.

            >>> Process().style("small").text
            'style/small'
        """
        if self.actions:
            raise ProcessSyntaxError("a style reference cannot follow image actions",
                                     hint="use either style/<name> or image/<actions>")
        return _parse("style/" + str(name) + ("|" + self.save_as.text if self.save_as else ""))

    def saveas(self, object: str, bucket: str | None = None) -> Process:
        """``|sys/saveas,o_…,b_…``: persist the result (POST only); base64 is done for you."""
        if not self.actions and self.style_name is None:
            raise ProcessSyntaxError("sys/saveas needs a process before it",
                                     hint="e.g. Process().resize(w=100).saveas('dest.jpg')")
        if not isinstance(object, str) or (bucket is not None and not isinstance(bucket, str)):
            raise ProcessSyntaxError("saveas object and bucket must be str",
                                     hint="saveas('dest.jpg', 'examplebucket')")
        for key, value in (("o", object), ("b", bucket or "")):
            _check_surrogates(value, f"sys/saveas parameter {key}_", action="sys/saveas",
                              parameter=key)
        tail = "sys/saveas,o_" + b64url_encode(object) + (
            ",b_" + b64url_encode(bucket) if bucket is not None else "")
        main = replace(self, save_as=None).text
        return replace(self, save_as=_parse_saveas(main + "|" + tail, len(main) + 1))

    # ---- views -----------------------------------------------------------------------------
    def describe(self) -> list[tuple[int, str, str, str, str]]:
        """Rows ``(step, action, parameter, value, meaning)``, defaults left out."""
        rows: list[tuple[int, str, str, str, str]] = []
        if self.style_name is not None:
            rows.append((1, "style", "name", self.style_name, "a style defined on the bucket"))
        for n, a in enumerate(self.actions, 1):
            spec = a.spec
            if not a.params:
                rows.append((n, a.name, "", "", spec.meaning))
            for p in a.params:
                ps = spec.param_spec(p.key)
                rows.append((n, a.name, p.key or "(value)", str(p.value), ps.meaning))
        if self.save_as:
            n = len(rows) + 1
            rows.append((n, "sys/saveas", "o", self.save_as.object, "target object key"))
            if self.save_as.bucket:
                rows.append((n, "sys/saveas", "b", self.save_as.bucket, "target bucket"))
        return rows

    def notes(self) -> list[str]:
        """What OSS will ignore or reorder in this process (valid, but maybe not what was meant)."""
        out = []
        for a in self.actions:
            if a.name == "resize":
                if ("w" in a or "h" in a) and ("l" in a or "s" in a):
                    out.append("resize: l_/s_ are ignored because w_ or h_ is given")
                if ("w" in a or "h" in a or "l" in a or "s" in a) and "p" in a:
                    out.append("resize: p_ is ignored because a box (w/h/l/s) is given")
                if "color" in a and a.get("m") != "pad":
                    out.append("resize: color_ only matters with m_pad")
            if a.name == "indexcrop" and "x" in a and "y" in a:
                out.append("indexcrop: y_ wins over x_")
            if a.name == "quality" and "q" in a and "Q" in a:
                out.append("quality: Q_ wins over q_")
        enc = [a.name for a in self.actions if a.name in ("format", "quality", "interlace")]
        if len(set(enc)) != len(enc):
            out.append("format/quality/interlace are encoder settings: the last one of each wins")
        if any(a.name == "auto-orient" for a in self.actions[1:]):
            out.append("auto-orient always applies to the source first, wherever it is written")
        return out

    def __repr__(self) -> str:
        return f"Process.parse({self.text!r})" if self.text else "Process()"

    def _repr_html_(self) -> str:
        esc = html.escape
        head = (f"<div><code>{esc(self.text) or '(empty process)'}</code></div>"
                "<table><thead><tr><th>#</th><th>action</th><th>parameter</th><th>value</th>"
                "<th>meaning</th></tr></thead><tbody>")
        body = "".join(
            f"<tr><td>{n}</td><td><code>{esc(a)}</code></td><td><code>{esc(k)}</code></td>"
            f"<td><code>{esc(v)}</code></td><td>{esc(m)}</td></tr>"
            for n, a, k, v, m in self.describe())
        notes = "".join(f"<li>{esc(x)}</li>" for x in self.notes())
        return tr_html(head + body + "</tbody></table>" + (f"<ul>{notes}</ul>" if notes else ""))

    @staticmethod
    def spec_table() -> list[tuple[str, str, str, str]]:
        """Every action and parameter in canonical order: ``(action, key, allowed, meaning)``."""
        rows = []
        for a in ACTIONS.values():
            if not a.params:
                rows.append((a.name, "", "no parameters", a.meaning))
            for p in a.params:
                rows.append((a.name, p.key or "(value)", p.allowed(), p.meaning))
        return rows


def split_watermark_image(value: str) -> tuple[str, tuple[Action, ...]]:
    """Split a decoded watermark ``image_`` value into the object key and its pre-process actions.

        >>> key, pre = split_watermark_image("panda.png?x-oss-process=image/resize,P_30")
        >>> key, pre[0].get("P")
        ('panda.png', 30)
    """
    key, sep, pre = value.partition("?x-oss-process=")
    return key, (_parse_image_process(pre, 1, nested=True) if sep else ())
