"""Apply an Aliyun OSS ``x-oss-process`` to an image with Pillow, as the OSS image service does.

Follows ``oss-process.md`` §2: actions run in the order written, except that ``auto-orient``
applies to the decoded source first and ``format`` / ``quality`` / ``interlace`` are encoder
settings (the last of each wins). ``info`` and ``average-hue`` describe the source and return a
``dict`` in the service's JSON shape::

    >>> from PIL import Image
    >>> out = apply("image/resize,w_100/rotate,90/format,png", Image.new("RGB", (400, 267)))
    >>> out.size, out.format
    ((67, 100), 'PNG')
    >>> apply("image/average-hue", Image.new("RGB", (4, 4), (92, 120, 59)))
    {'RGB': '0x5c783b'}

``render(process, data)`` returns the encoded bytes and the Content-Type (what the emulator
sends); ``run`` returns an :class:`OssResult` with the image and the encoder settings.
Dimensions follow the documented rules exactly; pixels are Pillow's (filters, fonts and
encoders differ from the real service, so compare sizes, never bytes). An animated GIF that stays
a GIF is processed frame by frame and keeps its animation (frame durations and loop count), except
where OSS makes it a still: ``rotate``, ``rounded-corners`` and ``resize`` with ``p_``.
"""
from __future__ import annotations

import base64
import io
import json
import math
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
from PIL import ExifTags, Image, ImageDraw, ImageEnhance, ImageFilter, ImageSequence, features

from ..core.errors import ImageInputError, ImgxError, ProcessSyntaxError
from ..core.html_layout import PRE, code
from ..core.oss_process import Action, Process, split_watermark_image
from .images import read_file_capped
from .oss_fonts import load_font

__all__ = [
    "CONTENT_TYPES",
    "MAX_OUTPUT_PIXELS",
    "MAX_OUTPUT_SIDE",
    "MAX_ROTATE_SIDE",
    "MAX_SOURCE_BYTES",
    "MAX_SOURCE_PIXELS",
    "MAX_SOURCE_SIDE",
    "OssResult",
    "SourceImage",
    "apply",
    "circle_size",
    "crop_box",
    "load_source",
    "render",
    "resize_size",
    "rotated_size",
    "run",
]

MAX_SOURCE_BYTES = 20 * 1024 * 1024      # 20 MB (oss-process.md §1.5)
MAX_SOURCE_SIDE = 30_000
MAX_SOURCE_PIXELS = 250_000_000
MAX_OUTPUT_SIDE = 16_384                 # resize output
MAX_OUTPUT_PIXELS = 16_777_216           # 4096²
MAX_ROTATE_SIDE = 4096                   # rotate / auto-orient input
MAX_WEBP_SIDE = 16_383

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp",
                 "bmp": "image/bmp", "gif": "image/gif", "tiff": "image/tiff",
                 "heic": "image/heic", "avif": "image/avif"}
_TO_PIL = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP", "bmp": "BMP", "gif": "GIF",
           "tiff": "TIFF", "heic": "HEIF", "avif": "AVIF"}
_FROM_PIL = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "BMP": "bmp",
             "GIF": "gif", "TIFF": "tiff", "HEIF": "heic", "AVIF": "avif"}
_ALPHA_FORMATS = {"png", "webp", "bmp", "gif", "tiff", "heic", "avif"}

Fetch = Callable[[str], bytes]


def _image_error(message: str, *, hint: str | None = None, ec: str | None = None,
                 code: str = "InvalidArgument", status: int = 400) -> ImageInputError:
    return ImageInputError(message, hint=hint, ec=ec, code=code, status=status)


# ---- the source ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceImage:
    """A decoded source: the image (first frame), its OSS format name, bytes and JPEG quality."""

    image: Image.Image = field(repr=False)
    format: str
    size_bytes: int
    frames: int = 1
    quality: int | None = None   # estimated from the JPEG quantisation tables (IJG scale)
    data: bytes | None = field(default=None, repr=False)


def load_source(image: Any) -> SourceImage:
    """Decode and check a source (bytes, a path, or a PIL image) against the OSS limits.

    Raises :class:`ImageInputError` for non-images and for sources over 20 MB, 30 000 px a side
    or 250 000 000 px (w×h×frames).

        >>> load_source(Image.new("RGB", (3, 2))).format
        'png'
    """
    data: bytes | None = None
    if isinstance(image, Image.Image):
        im = image
        fmt = _FROM_PIL.get(im.format or "", "png")
    else:
        if isinstance(image, (str, os.PathLike)):       # a regular file, read up to the limit (+1)
            image = read_file_capped(image, MAX_SOURCE_BYTES)
        if isinstance(image, (bytearray, memoryview)):
            image = bytes(image)
        if not isinstance(image, bytes):
            raise _image_error(f"an image must be bytes, a path or a PIL image, not "
                               f"{type(image).__name__}", hint="pass the file's bytes")
        data = image
        if _is_heif(data):
            _heif_support("a HEIC source", "or convert it to JPG first")
        if len(data) > MAX_SOURCE_BYTES:
            raise _image_error(f"source is {len(data)} bytes, over the 20 MB limit of OSS image "
                               "processing", ec="0040-00000012", code="ImageTooLarge",
                               hint="shrink the file before uploading it")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                im = Image.open(io.BytesIO(data))
                found = _FROM_PIL.get(im.format or "")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _image_error("source has too many pixels to decode safely",
                               ec="0040-00000012", code="ImageTooLarge",
                               hint=f"OSS allows at most {MAX_SOURCE_PIXELS:,} pixels") from None
        except Exception:  # Pillow raises many types for garbage
            raise _image_error("This image format is not supported: the source is not a "
                               "readable image", ec="0040-00000005", code="BadRequest",
                               hint="OSS reads JPG, PNG, BMP, GIF, WebP, TIFF and HEIC") from None
        if found is None:
            raise _image_error(f"This image format is not supported ({im.format})",
                               ec="0040-00000005", code="BadRequest",
                               hint="OSS reads JPG, PNG, BMP, GIF, WebP, TIFF and HEIC")
        fmt = found
    w, h = im.size
    if not w or not h:
        raise _image_error(f"the source image is empty ({w}×{h} pixels)", ec="0040-00000005",
                           code="BadRequest", hint="pass an image at least 1×1 pixel")
    frames = int(getattr(im, "n_frames", 1) or 1)
    if w > MAX_SOURCE_SIDE or h > MAX_SOURCE_SIDE:
        raise _image_error(f"source is {w}×{h}, over the {MAX_SOURCE_SIDE} px per side limit",
                           ec="0040-00000012", code="ImageTooLarge",
                           hint="downscale the source before processing")
    if w * h * frames > MAX_SOURCE_PIXELS:
        raise _image_error(f"source has {w}×{h}×{frames} = {w * h * frames:,} pixels, over the "
                           f"{MAX_SOURCE_PIXELS:,} limit", ec="0040-00000012",
                           code="ImageTooLarge", hint="downscale the source or use fewer frames")
    quality = _estimate_jpeg_quality(im) if fmt == "jpg" else None
    try:
        im.load()
    except Exception as e:
        raise _image_error(f"the source image is truncated or corrupt ({e})", ec="0040-00000005",
                           code="BadRequest", hint="upload the complete file") from None
    return SourceImage(im, fmt, len(data) if data is not None else _encoded_size(im, fmt),
                       frames, quality, data)


_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1")


def _is_heif(data: bytes) -> bool:
    """An ISO-BMFF file whose major brand is one of HEIF's (``....ftypheic``)."""
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _heif_support(what: str, alternative: str) -> None:
    """Make Pillow read and write HEIC with pillow-heif (the optional ``heic`` extra), or say
    how to get it."""
    try:
        _register_heif()
    except ImportError:
        raise _image_error(f"{what} needs the optional pillow-heif package",
                           hint=f"pip install 'imgx-kit[heic]' (or pillow-heif), {alternative}") from None


@cache
def _register_heif() -> None:
    """Once per process; a failed import is not cached, so installing it in a running kernel works."""
    import pillow_heif
    pillow_heif.register_heif_opener()


def _encoded_size(im: Image.Image, fmt: str) -> int:
    """Bytes of a PIL source saved as ``fmt`` (8-bit PNG when ``fmt`` cannot hold its mode)."""
    buf = io.BytesIO()
    try:
        im.save(buf, _TO_PIL.get(fmt, "PNG"))
    except Exception:
        buf = io.BytesIO()
        _working_copy(im).save(buf, "PNG")
    return buf.tell()


_IJG_LUMA = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40,
             57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24,
             35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98,
             112, 100, 103, 99]


def _estimate_jpeg_quality(im: Image.Image) -> int | None:
    """IJG quality whose scaled luminance table best matches the file's (order-insensitive)."""
    tables = getattr(im, "quantization", None) or {}
    luma = tables.get(0)
    if not luma or len(luma) != 64:
        return None
    actual = sorted(int(v) for v in luma)
    best, best_err = None, None
    for q in range(1, 101):
        scale = 5000 // q if q < 50 else 200 - 2 * q
        table = sorted(min(255, max(1, (v * scale + 50) // 100)) for v in _IJG_LUMA)
        err = sum(abs(a - b) for a, b in zip(actual, table, strict=True))  # both 64 entries
        if best_err is None or err < best_err:
            best, best_err = q, err
    return best


# ---- geometry (pure, tested against oss-process.md §5.2) ----------------------------------
def _round(x: Fraction | float) -> int:
    """Round half up, as the docs say (四舍五入)."""
    return math.floor(Fraction(x) + Fraction(1, 2))


def resize_size(w: int, h: int, action: Action, *, gif: bool = False,
                main: tuple[int, int] | None = None
                ) -> tuple[tuple[int, int], tuple[int, int], str] | None:
    """Where ``resize`` takes a ``w``×``h`` image: ``(scaled size, output size, mode)``, or ``None``
    when ``limit_1`` (the default) skips a resize that would enlarge.

    ``scaled size`` is the size the picture is scaled to; ``output size`` is the final canvas
    (they differ for ``fill``, which crops, and ``pad``, which pads). ``main`` is the main image's
    size for a watermark pre-process ``P_``.

        >>> from imgx_kit.core.oss_process import Process
        >>> a = Process.parse("image/resize,w_150,h_80,m_mfit").actions[0]
        >>> resize_size(200, 100, a)
        ((160, 80), (160, 80), 'mfit')
    """
    mode = action.get("m", "lfit")
    limit = action.value("limit")
    bw = action.get("w")
    bh = action.get("h")
    if "P" in action and main is not None and bw is None and bh is None:
        pct = Fraction(action["P"], 100)
        bw, bh = max(1, _round(main[0] * pct)), max(1, _round(main[1] * pct))
        mode, limit = "lfit", 0
    elif bw is None and bh is None:
        lo, so = action.get("l"), action.get("s")
        if lo is not None and so is not None:
            bw, bh = (lo, so) if w >= h else (so, lo)
        elif lo is not None or so is not None:
            if mode in ("fill", "pad", "fixed"):
                bw = bh = lo if lo is not None else so
            else:
                scale = Fraction(lo, max(w, h)) if lo is not None else Fraction(so, min(w, h))
                return _scaled(w, h, scale, scale, mode, limit, gif, None, None)
        elif "p" in action:
            scale = Fraction(action["p"], 100)
            if gif and scale > 1:
                return None
            size = (max(1, _round(w * scale)), max(1, _round(h * scale)))
            _check_output(size)
            return size, size, "p"
        else:
            return None
    elif mode in ("fill", "pad", "fixed") and (bw is None or bh is None):
        bw = bh = bw if bw is not None else bh  # square box (oss-process.md §2.1 rule 2)
    sx = Fraction(bw, w) if bw is not None else None
    sy = Fraction(bh, h) if bh is not None else None
    return _scaled(w, h, sx, sy, mode, limit, gif, bw, bh)


def _scaled(w, h, sx, sy, mode, limit, gif, bw, bh):
    given = [s for s in (sx, sy) if s is not None]
    no_enlarge = limit == 1 or gif
    if mode == "fixed":
        if no_enlarge and (bw > w or bh > h):
            return None
        size = (bw, bh)
        _check_output(size)
        return size, size, mode
    scale = max(given) if mode in ("mfit", "fill") else min(given)
    if no_enlarge and scale > 1:
        return None
    scaled = (max(1, _round(w * scale)), max(1, _round(h * scale)))
    out = scaled if mode in ("lfit", "mfit") else (bw, bh)
    if mode == "fill":
        scaled = (max(scaled[0], bw), max(scaled[1], bh))
    _check_output(out)
    _check_output(scaled)
    return scaled, out, mode


def _check_output(size: tuple[int, int]) -> None:
    w, h = size
    if w > MAX_OUTPUT_SIDE or h > MAX_OUTPUT_SIDE or w * h > MAX_OUTPUT_PIXELS:
        raise _image_error(f"resize output {w}×{h} is over the limit ({MAX_OUTPUT_SIDE} px a "
                           f"side, {MAX_OUTPUT_PIXELS:,} px in all)", ec="0040-00000007",
                           hint="ask for a smaller size, or keep limit_1 so sources are not "
                                "enlarged")


_GRAVITY = {"nw": (0, 0), "north": (1, 0), "ne": (2, 0), "west": (0, 1), "center": (1, 1),
            "east": (2, 1), "sw": (0, 2), "south": (1, 2), "se": (2, 2)}


def crop_box(w: int, h: int, action: Action) -> tuple[int, int, int, int]:
    """The ``(left, top, right, bottom)`` box ``crop`` cuts from a ``w``×``h`` image.

        >>> from imgx_kit.core.oss_process import Process
        >>> crop_box(400, 267, Process.parse("image/crop,w_200,h_200,g_se,x_10,y_10").actions[0])
        (210, 77, 400, 267)
    """
    cw = action.get("w") or w
    ch = action.get("h") or h
    gx, gy = _GRAVITY[action.get("g", "nw")]
    ox = (0, w // 2 - cw // 2, w - cw)[gx]
    oy = (0, h // 2 - ch // 2, h - ch)[gy]
    x0 = max(0, ox + action.get("x", 0))
    y0 = max(0, oy + action.get("y", 0))
    if x0 >= w or y0 >= h:
        raise _image_error(f"Advance cut's position is out of image: origin ({x0}, {y0}) on a "
                           f"{w}×{h} image", code="BadRequest",
                           hint="make x/y smaller than the image, or pick another gravity g_")
    return x0, y0, x0 + min(cw, w - x0), y0 + min(ch, h - y0)


def rotated_size(w: int, h: int, angle: int) -> tuple[int, int]:
    """Canvas after a clockwise rotation: the exact bounding box, rounded up.

        >>> rotated_size(400, 267, 90), rotated_size(400, 267, 70)
        ((267, 400), (388, 468))
    """
    a = angle % 360
    if a in (0, 180):
        return w, h
    if a in (90, 270):
        return h, w
    c, s = abs(math.cos(math.radians(a))), abs(math.sin(math.radians(a)))
    return math.ceil(w * c + h * s - 1e-9), math.ceil(w * s + h * c - 1e-9)


def circle_size(w: int, h: int, r: int) -> int:
    """Side of the ``circle,r_<r>`` output: 2r+1, r clamped to ⌊(min(w,h)−1)/2⌋."""
    r = min(r, (min(w, h) - 1) // 2)
    return 2 * r + 1


# ---- the result ---------------------------------------------------------------------------
@dataclass(frozen=True)
class OssResult:
    """What a process produced: the image (or the JSON ``data`` of info/average-hue) and how
    it is to be encoded. An animated result has every frame in ``frames`` (``image`` is the
    first) with their ``durations`` in ms and the GIF ``loop`` count (``None``: play once)."""

    image: Image.Image | None = field(repr=False)
    format: str | None = None
    quality: int | None = None
    progressive: bool = False
    data: dict | None = None
    frames: tuple[Image.Image, ...] = field(default=(), repr=False)
    durations: tuple[int, ...] = ()
    loop: int | None = None

    @property
    def animated(self) -> bool:
        return len(self.frames) > 1

    @property
    def content_type(self) -> str:
        return "application/json" if self.data is not None else CONTENT_TYPES[self._picture()[1]]

    @property
    def size(self) -> tuple[int, int] | None:
        return self.image.size if self.image is not None else None

    def _picture(self) -> tuple[Image.Image, str]:
        """The image and its output format (set whenever ``data`` is not)."""
        if self.image is None or self.format is None:
            raise TypeError(f"this OssResult holds JSON data, not an image: {self.data!r}")
        return self.image, self.format

    def encode(self) -> bytes:
        """The response body: encoded image bytes, or JSON for info / average-hue."""
        if self.data is not None:
            return json.dumps(self.data, ensure_ascii=False).encode("utf-8")
        if self.animated:
            return _encode_animation(self.frames, self.durations, self.loop)
        return _encode(*self._picture(), self.quality, self.progressive)

    def __repr__(self) -> str:
        if self.data is not None:
            return f"OssResult(data={self.data!r})"
        frames = f", frames={len(self.frames)}" if self.animated else ""
        return (f"OssResult(size={self.size}, mode={self._picture()[0].mode!r}, format={self.format!r}, "
                f"quality={self.quality}, progressive={self.progressive}{frames})")

    def _repr_html_(self) -> str:
        import html
        if self.data is not None:
            return (f"<pre style='{PRE}'>" + html.escape(json.dumps(self.data, indent=2, ensure_ascii=False))
                    + "</pre>")
        if self.animated:                   # the animation itself, shown at most 256 px wide
            src = "data:image/gif;base64," + base64.b64encode(self.encode()).decode("ascii")
        else:
            thumb = self._picture()[0].copy()
            thumb.thumbnail((256, 256))
            buf = io.BytesIO()
            thumb.save(buf, "PNG")
            src = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
        return (f"<div><img src='{src}' style='max-width:100%'/><br>"
                f"{code(html.escape(repr(self)))}</div>")


# ---- public entry points ------------------------------------------------------------------
def apply(process: Process | str, image: Any, *, fetch: Fetch | None = None,
          styles: Mapping[str, Process | str] | None = None,
          auto_orient: bool = True) -> Image.Image | dict:
    """Apply ``process`` to ``image`` (PIL image, bytes or path): a PIL image, or a ``dict``
    for ``info`` / ``average-hue``.

    ``fetch(key) -> bytes`` supplies watermark images; ``styles`` maps style names to processes;
    ``auto_orient`` is the default when the process has no ``auto-orient`` (OSS: on).
    The returned image's ``.format`` is the output format Pillow would write (``"PNG"`` …);
    an animated GIF result is returned as the decoded GIF (``n_frames``, ``is_animated``).
    """
    result = run(process, image, fetch=fetch, styles=styles, auto_orient=auto_orient)
    if result.data is not None:
        return result.data
    if result.animated:
        return Image.open(io.BytesIO(result.encode()))
    return result._picture()[0]


def render(process: Process | str, data: Any, *, fetch: Fetch | None = None,
           styles: Mapping[str, Process | str] | None = None,
           auto_orient: bool = True) -> tuple[bytes, str]:
    """Apply ``process`` and encode: ``(body bytes, content type)``, as the service answers.

        >>> body, ctype = render("image/info", Image.new("RGB", (3, 2)))
        >>> ctype, json.loads(body)["ImageWidth"]
        ('application/json', {'value': '3'})
    """
    result = run(process, data, fetch=fetch, styles=styles, auto_orient=auto_orient)
    return result.encode(), result.content_type


def run(process: Process | str, image: Any, *, fetch: Fetch | None = None,
        styles: Mapping[str, Process | str] | None = None,
        auto_orient: bool = True) -> OssResult:
    """Apply ``process`` and return an :class:`OssResult` (image + encoder settings, or data)."""
    proc = _resolve(process, styles)
    src = image if isinstance(image, SourceImage) else load_source(image)
    names = [a.name for a in proc.actions]
    if names == ["info"]:
        return OssResult(None, data=_info(src))
    if names == ["average-hue"]:
        return OssResult(None, data=_average_hue(src.image))

    fmt = src.format
    quality_action = progressive = None
    orient = None
    for a in proc.actions:
        if a.name == "format":
            fmt = a.bare
        elif a.name == "quality":
            quality_action = a
        elif a.name == "interlace":
            progressive = a.bare == 1
        elif a.name == "auto-orient":
            orient = a.bare
    if fmt == "gif" and src.format != "gif":
        fmt = src.format          # a non-GIF source keeps its format (oss-process.md §2.11)
    ctx = _Ctx(fetch=fetch, alpha_out=fmt in _ALPHA_FORMATS, gif=src.format == "gif")
    orientation = _orientation(src.image) if orient == 1 or (orient is None and auto_orient) else 1

    def process_frame(frame: Image.Image) -> Image.Image:
        im = _auto_orient(_working_copy(frame), orientation, explicit=orient == 1)
        for a in proc.actions:
            step = _STEPS.get(a.name)
            if step is not None:
                im = step(im, a, ctx)
        return im

    if src.frames > 1 and fmt == "gif" and not any(_makes_still(a) for a in proc.actions):
        frames, durations = [], []
        shown = src.image.tell()
        try:
            for frame in ImageSequence.Iterator(src.image):
                durations.append(int(frame.info.get("duration", 100)))
                frames.append(process_frame(frame))
        finally:
            src.image.seek(shown)
        frames[0].format = "GIF"
        return OssResult(frames[0], fmt, frames=tuple(frames), durations=tuple(durations),
                         loop=src.image.info.get("loop"))
    im = process_frame(src.image)
    if fmt == "webp" and max(im.size) > MAX_WEBP_SIDE:
        raise _image_error(f"WebP output {im.size[0]}×{im.size[1]} is over {MAX_WEBP_SIDE} px a "
                           "side", hint="resize first or choose another format")
    quality = _quality(src, quality_action) if fmt in ("jpg", "webp", "avif", "heic") \
        else None
    im = _for_format(im, fmt)
    im.format = _TO_PIL[fmt]
    return OssResult(im, fmt, quality, bool(progressive) and fmt == "jpg")


def _checked(process: Process | str) -> Process:
    """The parsed process; a ``Process`` built from ``Action``/``Param`` by hand is validated
    too, so every step sees the parameters it requires."""
    if isinstance(process, Process) and not process.text:
        return process
    return Process.parse(process)


def _makes_still(a: Action) -> bool:
    """OSS turns an animated GIF into a still for these (oss-process.md §1.5, GIF row)."""
    return a.name in ("rotate", "rounded-corners") or (a.name == "resize" and "p" in a)


def _resolve(process: Process | str, styles: Mapping[str, Process | str] | None) -> Process:
    proc = _checked(process)
    if styles is not None and not isinstance(styles, Mapping):
        raise ProcessSyntaxError(f"styles must be a mapping of style names to processes, not "
                                 f"{type(styles).__name__}",
                                 hint="styles={'small': 'image/resize,w_100'}")
    if proc.style_name is not None:
        target = (styles or {}).get(proc.style_name)
        if target is None:
            raise ProcessSyntaxError(f"style {proc.style_name!r} is not defined",
                                     action="style", parameter=proc.style_name,
                                     hint="pass styles={'name': 'image/…'} (a bucket holds at "
                                          "most 50 styles)", code="NoSuchStyle", status=404)
        proc = _checked(target)
        if proc.style_name is not None:
            raise ProcessSyntaxError("a style cannot refer to another style",
                                     hint="define the style as image/… actions")
    if not proc.actions:
        raise ProcessSyntaxError("the process has no actions", hint="e.g. image/resize,w_100")
    return proc


# ---- steps --------------------------------------------------------------------------------
@dataclass
class _Ctx:
    fetch: Fetch | None
    alpha_out: bool
    gif: bool
    main: tuple[int, int] | None = None


def _working_copy(im: Image.Image) -> Image.Image:
    """RGB, or RGBA when the source has any transparency, from any Pillow mode (CMYK, YCbCr,
    LAB, HSV, premultiplied La/RGBa, palettes; 16-bit, 32-bit and float samples are scaled)."""
    if im.mode in ("I", "F") or im.mode.startswith("I;16"):
        im = _eight_bit(im)
    elif im.mode == "La":
        im = im.convert("LA")             # Pillow converts premultiplied La only to LA
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa") or "transparency" in im.info
    return im.convert("RGBA" if has_alpha else "RGB")


def _eight_bit(im: Image.Image) -> Image.Image:
    """A wide greyscale image as 8-bit ``L`` (``LA`` when it names a transparent value), scaled
    from its full range: 0..65535 for ``I;16`` and for ``I`` whose values all fit 16 bits (how
    Pillow holds 16-bit PNG/TIFF samples), else 0..2³¹−1 for ``I``; 0.0..1.0 for ``F``, or
    Pillow's 0..255 when a value is over 1. NaN is 0; values outside the range are clipped."""
    raw = np.asarray(im)
    arr = np.nan_to_num(raw.astype(np.float64), nan=0.0)
    if im.mode == "F":
        top = 1.0 if arr.max() <= 1.0 else 255.0
    else:
        top = 65535.0 if im.mode != "I" or arr.max() <= 65535 else float(2 ** 31 - 1)
    out = Image.fromarray(np.clip(np.rint(arr * (255 / top)), 0, 255).astype(np.uint8))
    transparent = im.info.get("transparency")
    if isinstance(transparent, int) and not isinstance(transparent, bool):
        alpha = np.where(raw == transparent, 0, 255).astype(np.uint8)
        out = Image.merge("LA", (out, Image.fromarray(alpha)))
    return out


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block means "no orientation"
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


def _auto_orient(im: Image.Image, orientation: int, *, explicit: bool) -> Image.Image:
    if orientation == 1:
        return im
    if explicit and max(im.size) > MAX_ROTATE_SIDE:
        raise _image_error(f"auto-orient needs a source under {MAX_ROTATE_SIDE} px a side, got "
                           f"{im.size[0]}×{im.size[1]}", hint="drop auto-orient,1 or resize first")
    return im.transpose(_TRANSPOSE[orientation])


def _resize(im: Image.Image, a: Action, ctx: _Ctx) -> Image.Image:
    plan = resize_size(*im.size, a, gif=ctx.gif, main=ctx.main)
    if plan is None:
        return im
    scaled, out, mode = plan
    if mode == "fill":
        # scale to cover, then centre-crop
        big = im.resize(scaled, Image.Resampling.LANCZOS)
        left, top = (scaled[0] - out[0]) // 2, (scaled[1] - out[1]) // 2
        return big.crop((left, top, left + out[0], top + out[1]))
    if mode == "pad":
        color = a.value("color")
        rgb = tuple(int(color[i:i + 2], 16) for i in (0, 2, 4))
        small = im.resize(scaled, Image.Resampling.LANCZOS)
        canvas = Image.new(im.mode, out, rgb + ((255,) if im.mode == "RGBA" else ()))
        pos = ((out[0] - scaled[0]) // 2, (out[1] - scaled[1]) // 2)
        if im.mode == "RGBA":
            canvas.alpha_composite(small, pos)
        else:
            canvas.paste(small, pos)
        return canvas
    return im.resize(out, Image.Resampling.LANCZOS)


def _crop(im: Image.Image, a: Action, _ctx: _Ctx) -> Image.Image:
    return im.crop(crop_box(*im.size, a))


def _indexcrop(im: Image.Image, a: Action, _ctx: _Ctx) -> Image.Image:
    w, h = im.size
    i = a.get("i", 0)
    if "y" in a:                       # y wins when both are given
        step = min(a["y"], h)
        if i * step >= h:
            return im
        return im.crop((0, i * step, w, min(h, (i + 1) * step)))
    step = min(a["x"], w)
    if i * step >= w:
        return im
    return im.crop((i * step, 0, min(w, (i + 1) * step), h))


def _mask(size: tuple[int, int], draw: Callable[[ImageDraw.ImageDraw, int], None]) -> Image.Image:
    k = 4  # supersample for smooth edges
    big = Image.new("L", (size[0] * k, size[1] * k), 0)
    draw(ImageDraw.Draw(big), k)
    return big.resize(size, Image.Resampling.LANCZOS)


def _with_mask(im: Image.Image, mask: Image.Image) -> Image.Image:
    rgba = im.convert("RGBA")
    alpha = np.minimum(np.asarray(rgba.getchannel("A")), np.asarray(mask))
    rgba.putalpha(Image.fromarray(alpha.astype(np.uint8), "L"))
    return rgba


def _circle(im: Image.Image, a: Action, _ctx: _Ctx) -> Image.Image:
    w, h = im.size
    side = circle_size(w, h, a["r"])
    r = (side - 1) // 2
    cx, cy = w // 2, h // 2
    left, top = max(0, cx - r), max(0, cy - r)
    box = im.crop((left, top, left + side, top + side))
    mask = _mask((side, side), lambda d, k: d.ellipse((0, 0, side * k - 1, side * k - 1), fill=255))
    return _with_mask(box, mask)


def _rounded(im: Image.Image, a: Action, _ctx: _Ctx) -> Image.Image:
    w, h = im.size
    r = min(a["r"], min(w, h) // 2)
    mask = _mask((w, h), lambda d, k: d.rounded_rectangle((0, 0, w * k - 1, h * k - 1),
                                                          radius=r * k, fill=255))
    return _with_mask(im, mask)


def _rotate(im: Image.Image, a: Action, ctx: _Ctx) -> Image.Image:
    angle = a.bare % 360
    if angle == 0:
        return im
    w, h = im.size
    if max(w, h) > MAX_ROTATE_SIDE:
        raise _image_error(f"rotate needs an image at most {MAX_ROTATE_SIDE} px a side, got "
                           f"{w}×{h}", hint="resize first, e.g. image/resize,l_4096/rotate,…")
    if angle in (90, 180, 270):
        return im.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                             270: Image.Transpose.ROTATE_90}[angle])
    nw, nh = rotated_size(w, h, angle)
    fill: tuple[int, ...]               # RGBA or RGB, as the image's mode
    if ctx.alpha_out:
        im, fill = im.convert("RGBA"), (0, 0, 0, 0)
    else:
        fill = (255, 255, 255, 255) if im.mode == "RGBA" else (255, 255, 255)
    # inverse affine map: output pixel -> source pixel (clockwise rotation by `angle`)
    t = math.radians(angle)
    c, s = math.cos(t), math.sin(t)
    ocx, ocy, icx, icy = nw / 2, nh / 2, w / 2, h / 2
    matrix = (c, s, icx - c * ocx - s * ocy, -s, c, icy + s * ocx - c * ocy)
    return im.transform((nw, nh), Image.Transform.AFFINE, matrix, Image.Resampling.BICUBIC,
                        fillcolor=fill)


def _rgb_op(im: Image.Image, op: Callable[[Image.Image], Image.Image]) -> Image.Image:
    if im.mode == "RGBA":
        out = op(im.convert("RGB")).convert("RGBA")
        out.putalpha(im.getchannel("A"))
        return out
    return op(im)


def _bright(im: Image.Image, a: Action, _ctx: _Ctx) -> Image.Image:
    delta = a.bare / 100 * 255

    def op(rgb: Image.Image) -> Image.Image:
        arr = np.asarray(rgb, dtype=np.float32) + delta
        return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "RGB")
    return _rgb_op(im, op)


def _contrast(im: Image.Image, a: Action, _ctx: _Ctx) -> Image.Image:
    return _rgb_op(im, lambda rgb: ImageEnhance.Contrast(rgb).enhance(1 + a.bare / 100))


def _sharpen(im: Image.Image, a: Action, _ctx: _Ctx) -> Image.Image:
    return _rgb_op(im, lambda rgb: rgb.filter(ImageFilter.UnsharpMask(1, a.bare, 0)))


def _blur(im: Image.Image, a: Action, _ctx: _Ctx) -> Image.Image:
    sigma = a.get("s", a.get("r", 1))
    return im.filter(ImageFilter.GaussianBlur(radius=sigma))


def _hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def _text_mark(a: Action) -> Image.Image:
    text = a["text"]
    size = a.value("size")
    font = load_font(a.value("type"), size)     # OSS's type_ family; Pillow's own font has no CJK glyphs
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
    pad = max(1, size // 20)
    tw, th = right - left + 2 * pad, bottom - top + 2 * pad
    layer = Image.new("RGBA", (tw, th), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    shadow = a.value("shadow")
    if shadow:
        d.text((pad - left + pad, pad - top + pad), text, font=font,
               fill=(0, 0, 0, round(255 * shadow / 100)))
    d.text((pad - left, pad - top), text, font=font, fill=_hex_rgb(a.value("color")) + (255,))
    rot = a.value("rotate") % 360
    if rot:
        layer = layer.rotate(-rot, expand=True, resample=Image.Resampling.BICUBIC)
    return layer


def _image_mark(a: Action, ctx: _Ctx, main: tuple[int, int]) -> Image.Image:
    key, pre = split_watermark_image(a["image"])
    if ctx.fetch is None:
        raise _image_error(f"the watermark image {key!r} is needed but no fetch= was given",
                           hint="pass fetch=lambda key: bytes_of(key) to apply()/render()")
    try:
        data = ctx.fetch(key)
    except ImgxError:
        raise
    except Exception as e:
        raise _image_error(f"the watermark image {key!r} could not be fetched ({e!r})",
                           ec="0040-00000024", code="NoSuchKey", status=404,
                           hint="the watermark object must exist in the same bucket") from None
    try:
        src = load_source(data)
    except ImageInputError as e:
        raise _image_error(f"the watermark image {key!r} is not usable: {e.message}",
                           ec="0040-00000027", hint=e.hint) from None
    mark = _working_copy(src.image).convert("RGBA")
    sub = _Ctx(fetch=None, alpha_out=True, gif=False, main=main)
    for act in pre:
        mark = _STEPS[act.name](mark, act, sub).convert("RGBA")
    return mark


def _combine(text: Image.Image, image: Image.Image, a: Action) -> Image.Image:
    first, second = (text, image) if a.value("order") == 1 else (image, text)
    gap = a.value("interval")
    w = first.width + gap + second.width
    h = max(first.height, second.height)
    out = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    align = a.value("align")
    for img, x in ((first, 0), (second, first.width + gap)):
        y = (0, (h - img.height) // 2, h - img.height)[align]
        out.alpha_composite(img, (x, y))
    return out


def _watermark(im: Image.Image, a: Action, ctx: _Ctx) -> Image.Image:
    W, H = im.size
    marks = []
    if "image" in a:
        marks.append(_image_mark(a, ctx, (W, H)))
    if "text" in a:
        marks.append(_text_mark(a))
    mark = marks[0] if len(marks) == 1 else _combine(marks[1], marks[0], a)
    t = a.value("t")
    if t < 100:
        alpha = np.asarray(mark.getchannel("A"), dtype=np.float32) * (t / 100)
        mark.putalpha(Image.fromarray(np.rint(alpha).astype(np.uint8), "L"))
    overlay = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    ww, wh = mark.size
    if a.value("fill") == 1:
        px, py = a.value("padx"), a.value("pady")
        for y in range(0, H, wh + py):
            for x in range(0, W, ww + px):
                overlay.paste(mark, (x, y), mark)
    else:
        mx, my, vo = a.value("x"), a.value("y"), a.value("voffset")
        gx, gy = _GRAVITY[a.value("g")]
        x = (mx, (W - ww) // 2, W - ww - mx)[gx]
        y = (my, (H - wh) // 2 + vo, H - wh - my)[gy]
        overlay.paste(mark, (x, y), mark)
    base = im.convert("RGBA")
    out = Image.alpha_composite(base, overlay)
    return out if im.mode == "RGBA" else out.convert(im.mode)


_STEPS: dict[str, Callable[[Image.Image, Action, _Ctx], Image.Image]] = {
    "resize": _resize, "crop": _crop, "indexcrop": _indexcrop, "circle": _circle,
    "rounded-corners": _rounded, "rotate": _rotate, "blur": _blur, "bright": _bright,
    "contrast": _contrast, "sharpen": _sharpen, "watermark": _watermark,
}


# ---- encoding -----------------------------------------------------------------------------
def _quality(src: SourceImage, a: Action | None) -> int:
    """Output quality (oss-process.md §2.12): q relative, Q absolute (wins), default = source."""
    if src.format == "jpg":
        base = src.quality or 85
    else:
        base = 100
    if a is None:
        return base
    if "Q" in a:
        return max(1, min(a["Q"], base))
    rel = a.get("q", a.bare)
    if src.format == "webp":
        return max(1, min(rel, base))
    return max(1, _round(Fraction(base * rel, 100)))


def _for_format(im: Image.Image, fmt: str) -> Image.Image:
    if fmt == "jpg":
        if im.mode == "RGBA":            # transparent areas become white
            bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
            return Image.alpha_composite(bg, im).convert("RGB")
        return im.convert("RGB") if im.mode != "RGB" else im
    return im


def _encode(im: Image.Image, fmt: str, quality: int | None, progressive: bool) -> bytes:
    buf = io.BytesIO()
    if fmt == "heic":
        _heif_support("HEIC output", "or choose format,webp / format,avif")
    if fmt == "avif" and not features.check("avif"):
        raise _image_error("this Pillow cannot write AVIF", hint="use Pillow ≥ 11.3 with AVIF "
                           "support, or choose format,webp")
    kw: dict[str, Any] = {}
    if fmt == "jpg":
        kw = {"quality": quality or 85, "progressive": progressive}
    elif fmt in ("webp", "avif", "heic"):
        kw = {"quality": quality or 85}
    im.save(buf, _TO_PIL[fmt], **kw)
    return buf.getvalue()


def _encode_animation(frames: tuple[Image.Image, ...], durations: tuple[int, ...],
                      loop: int | None) -> bytes:
    """An animated GIF of full frames; each frame replaces the last (disposal 2), so
    transparent areas never show the previous frame."""
    buf = io.BytesIO()
    kw: dict[str, Any] = {"loop": loop} if loop is not None else {}
    frames[0].save(buf, "GIF", save_all=True, append_images=list(frames[1:]),
                   duration=list(durations), disposal=2, optimize=False, **kw)
    return buf.getvalue()


# ---- info / average-hue -------------------------------------------------------------------
def _rational(v: Any) -> str:
    try:
        num, den = v.numerator, v.denominator
        return f"{num}/{den}"
    except AttributeError:
        if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, int) for x in v):
            return f"{v[0]}/{v[1]}"
        return str(v)


def _exif_value(v: Any) -> str:
    if isinstance(v, bytes):
        if all(b < 16 for b in v):
            return " ".join(str(b) for b in v)
        return v.decode("latin-1").rstrip("\x00").strip()
    if isinstance(v, (bool, int)):
        return str(int(v))
    if hasattr(v, "numerator") and hasattr(v, "denominator"):
        return _rational(v)
    if isinstance(v, tuple):
        return " ".join(_exif_value(x) for x in v)
    return str(v).rstrip("\x00").strip() if isinstance(v, str) else str(v)


_REF = {"N": "North", "S": "South", "E": "East", "W": "West"}


def _info(src: SourceImage) -> dict:
    im = src.image
    w, h = im.size
    out: dict[str, dict[str, str]] = {}

    def put(name: str, value: Any) -> None:
        out[name] = {"value": str(value)}

    put("FileSize", src.size_bytes)
    put("Format", src.format)
    put("FrameCount", src.frames)
    put("ImageHeight", h)
    put("ImageWidth", w)
    unit, xres, yres = "1", "1/1", "1/1"
    jfif = im.info.get("jfif_density")
    if jfif:
        unit = str({0: 1, 1: 2, 2: 3}.get(im.info.get("jfif_unit", 0), 1))
        xres, yres = f"{jfif[0]}/1", f"{jfif[1]}/1"
    elif "dpi" in im.info and src.format != "png":
        dx, dy = im.info["dpi"]
        unit, xres, yres = "2", f"{round(dx)}/1", f"{round(dy)}/1"
    exif = im.getexif() if src.format != "png" else None
    if exif:
        for tag, value in exif.items():
            name = ExifTags.TAGS.get(tag)
            if name and name not in ("MakerNote", "UserComment", "PrintImageMatching"):
                put(name, _exif_value(value))
        for ifd_tag, names in ((ExifTags.IFD.Exif, ExifTags.TAGS),
                               (ExifTags.IFD.GPSInfo, ExifTags.GPSTAGS)):
            try:
                sub = exif.get_ifd(ifd_tag)
            except Exception:
                sub = {}
            for tag, value in sub.items():
                name = names.get(tag)
                if not name or name in ("MakerNote", "UserComment"):
                    continue
                text = _exif_value(value)
                if name.endswith("Ref") and text in _REF:
                    text = _REF[text]
                elif name in ("GPSLatitude", "GPSLongitude") and isinstance(value, tuple):
                    d, m, s = (float(x) for x in value)
                    text = f"{d:g}deg {m:g}' {s:g}\""
                put(name, text)
        if ExifTags.IFD.Exif in exif:
            put("ExifTag", exif[ExifTags.IFD.Exif])
        if ExifTags.IFD.GPSInfo in exif:
            put("GPSTag", exif[ExifTags.IFD.GPSInfo])
        unit = out.get("ResolutionUnit", {}).get("value", unit)
        xres = out.get("XResolution", {}).get("value", xres)
        yres = out.get("YResolution", {}).get("value", yres)
    put("ResolutionUnit", unit)
    put("XResolution", xres)
    put("YResolution", yres)
    return dict(sorted(out.items()))


def _average_hue(im: Image.Image) -> dict:
    arr = np.asarray(_working_copy(im).convert("RGB"), dtype=np.float64).reshape(-1, 3)
    mean = np.floor(arr.mean(axis=0) + 0.5).astype(int)
    return {"RGB": "0x{:02x}{:02x}{:02x}".format(*mean)}
