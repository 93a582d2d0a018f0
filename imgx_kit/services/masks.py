"""The inpainting mask model behind :class:`~imgx_kit.MaskPainter` — pure numpy/Pillow, no Jupyter.

The mask is a full-resolution ``bool`` array (white = area to edit). Strokes are round-capped
segments ("capsules") rasterised exactly on pixel centres, so consecutive pointer events join
without gaps however fast the pointer moves. Every stroke, clear, invert or load is one undo
step that stores only the XOR of the changed tiles (packed bits, zlib), so history memory is
bounded. :class:`Viewport` maps canvas pixels to image pixels under display scale, zoom and pan.

    >>> m = MaskModel(64, 48)
    >>> m.stroke([(8, 8), (40, 8)], size=6)
    (5, 5, 43, 11)
    >>> int(m.count), m.undo() is not None, int(m.count)
    (224, True, 0)
    >>> m.to_png()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
"""
from __future__ import annotations

import io
import math
import numbers
import os
import warnings
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..core.errors import ImageInputError, ImgxError, PainterError
from ..core.extras import require

__all__ = [
    "DISPLAY_LIMIT",
    "JPEG_TOLERANCE",
    "MASK_THRESHOLD",
    "MAX_DILATE",
    "MAX_FEATHER",
    "MAX_PIXELS",
    "MAX_SIDE",
    "BBox",
    "MaskModel",
    "PainterImage",
    "Viewport",
    "binary_mask",
    "load_painter_image",
    "mask_from_any",
]

BBox = tuple  # (x0, y0, x1, y1) in image pixels, end-exclusive

#: longest side shown at full resolution; larger images are shown downscaled (mask stays full size)
DISPLAY_LIMIT = 8192
#: hard limits for the full-resolution mask (a bool mask of MAX_PIXELS is 150 MB)
MAX_SIDE = 32768
MAX_PIXELS = 150_000_000

_TILE = 64              # undo bookkeeping granularity (pixels)
_MIN_RADIUS = 0.7072    # a stamp always covers at least the pixel under the point
_FAR = 1e15             # coordinates beyond this are refused (their differences would lose all precision)


def _number(value: Any, what: str, hint: str) -> float:
    """``value`` as a float if it is a real number (numpy scalars too; not bool or text)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise PainterError(f"{what} must be a number, not {type(value).__name__} {value!r:.30}", hint=hint)
    try:
        return float(value)
    except (OverflowError, ValueError, TypeError):     # an int beyond the float range, an odd Real
        raise PainterError(f"{what} is too large to be a number of pixels", hint=hint) from None


def _count(value: Any, what: str, hint: str) -> int:
    """``value`` as an int if it is a whole number (``10`` or ``10.0``, not ``10.5``)."""
    v = _number(value, what, hint)
    if not v.is_integer():
        raise PainterError(f"{what} must be a whole number, not {value!r:.30}", hint=hint)
    return int(v)


def _len(value: Any) -> int:
    """``len(value)``, or -1 for things without a length (a 0-d array, a generator)."""
    try:
        return len(value)
    except TypeError:
        return -1


def _is_file(path: Any) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):          # a name too long for the file system, a NUL …
        return False


def bbox_union(a: BBox | None, b: BBox | None) -> BBox | None:
    """The smallest box holding both (either may be None)."""
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


# --------------------------------------------------------------------------------------------
# undo history
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Region:
    x0: int
    y0: int
    w: int
    h: int
    packed: bytes     # zlib(np.packbits(xor))

    def xor_into(self, mask: np.ndarray) -> None:
        bits = np.unpackbits(np.frombuffer(zlib.decompress(self.packed), np.uint8),
                             count=self.w * self.h).view(bool).reshape(self.h, self.w)
        mask[self.y0:self.y0 + self.h, self.x0:self.x0 + self.w] ^= bits

    @property
    def bbox(self) -> BBox:
        return (self.x0, self.y0, self.x0 + self.w, self.y0 + self.h)


def _region(x0: int, y0: int, diff: np.ndarray) -> _Region:
    h, w = diff.shape
    return _Region(x0, y0, w, h, zlib.compress(np.packbits(diff).tobytes(), 1))


@dataclass(frozen=True)
class _Step:
    kind: str                     # "stroke", "erase", "clear", "invert", "load"
    regions: tuple = ()
    invert: bool = False          # an invert needs no data: it is its own inverse
    delta: int = 0                # change of the True-pixel count when applied forward

    @property
    def nbytes(self) -> int:
        return sum(len(r.packed) for r in self.regions) + 64

    def bbox(self, full: BBox) -> BBox | None:
        if self.invert:
            return full
        box = None
        for r in self.regions:
            box = bbox_union(box, r.bbox)
        return box


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------
class MaskModel:
    """A full-resolution boolean mask with exact round-capped strokes and bounded undo/redo.

    ``size`` is the brush diameter in image pixels. ``max_undo`` steps are kept (at least 50
    unless ``max_undo_bytes`` of compressed history would be exceeded; the newest step is
    always kept).

        >>> m = MaskModel(10, 10)
        >>> _ = m.stroke([(5.5, 5.5)], size=3); int(m.count)
        9
        >>> _ = m.invert(); int(m.count), m.undo() == (0, 0, 10, 10), int(m.count)
        (91, True, 9)
    """

    def __init__(self, width: int, height: int, *, max_undo: int = 100,
                 max_undo_bytes: int = 64 << 20) -> None:
        hint = "pass the width and height of the image you paint on"
        width, height = _count(width, "width", hint), _count(height, "height", hint)
        if width <= 0 or height <= 0:
            raise PainterError(f"a mask needs a positive size, got {width}×{height}",
                               hint="pass the width and height of the image you paint on")
        _check_limits(width, height)
        self.width, self.height = width, height
        self._mask = np.zeros((height, width), dtype=bool)
        self.count = 0
        self.max_undo = max(1, _count(max_undo, "max_undo", "e.g. max_undo=100"))
        self.max_undo_bytes = _count(max_undo_bytes, "max_undo_bytes", "e.g. max_undo_bytes=64 << 20")
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []
        self._history_bytes = 0
        self._stroke: dict | None = None

    # -- state --------------------------------------------------------------------------------
    @property
    def mask(self) -> np.ndarray:
        """Read-only view of the bool mask, shape (height, width). ``.copy()`` it to modify."""
        v = self._mask.view()
        v.flags.writeable = False
        return v

    @property
    def coverage(self) -> float:
        """Fraction of pixels in the mask (0.0–1.0)."""
        return self.count / float(self.width * self.height)

    @property
    def full_bbox(self) -> BBox:
        return (0, 0, self.width, self.height)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_depth(self) -> int:
        return len(self._undo)

    @property
    def history_bytes(self) -> int:
        return self._history_bytes

    @property
    def in_stroke(self) -> bool:
        return self._stroke is not None

    def __repr__(self) -> str:
        return (f"MaskModel({self.width}×{self.height}, {100 * self.coverage:.1f} % masked, "
                f"undo {len(self._undo)}, redo {len(self._redo)})")

    # -- strokes ------------------------------------------------------------------------------
    def begin_stroke(self, size: float, erase: bool = False) -> None:
        """Start a stroke of brush diameter ``size`` (image px); ends any stroke in progress."""
        if self._stroke is not None:
            self.end_stroke()
        size = _number(size, "brush size", "use e.g. size=20")
        if not math.isfinite(size) or size <= 0:
            raise PainterError(f"brush size must be a positive number of pixels, got {size!r}",
                               hint="use e.g. size=20")
        self._stroke = {"r": max(size / 2.0, _MIN_RADIUS), "erase": bool(erase),
                        "last": None, "tiles": {}, "count0": self.count}

    def stroke_to(self, x: float, y: float) -> BBox | None:
        """Extend the current stroke to image point (x, y); returns the changed bbox or None."""
        st = self._stroke
        if st is None:
            raise PainterError("stroke_to() called outside a stroke",
                               hint="call begin_stroke(size) first (or use stroke(points, size))")
        hint = "pass numeric image coordinates"
        x, y = _number(x, "stroke point x", hint), _number(y, "stroke point y", hint)
        if not (math.isfinite(x) and math.isfinite(y)):
            raise PainterError(f"stroke point ({x}, {y}) is not finite",
                               hint="pass numeric image coordinates")
        if abs(x) > _FAR or abs(y) > _FAR:
            raise PainterError(f"stroke point ({x:g}, {y:g}) is more than {_FAR:g} px from the image",
                               hint="pass image coordinates (0…width, 0…height); points a little outside are fine")
        last = st["last"] or (x, y)
        st["last"] = (x, y)
        return self._segment(last[0], last[1], x, y, st)

    def end_stroke(self) -> bool:
        """Finish the stroke; records one undo step if anything changed. Returns that."""
        st, self._stroke = self._stroke, None
        if st is None:
            return False
        regions = []
        for (ty, tx), before in st["tiles"].items():
            y0, x0 = ty * _TILE, tx * _TILE
            cur = self._mask[y0:y0 + before.shape[0], x0:x0 + before.shape[1]]
            diff = before ^ cur
            if diff.any():
                regions.append(_region(x0, y0, diff))
        if not regions:
            return False
        self._push(_Step("erase" if st["erase"] else "stroke", tuple(regions),
                         delta=self.count - st["count0"]))
        return True

    def stroke(self, points: Iterable[Sequence[float]], size: float, erase: bool = False) -> BBox | None:
        """One whole stroke through ``points`` (image px). Returns the changed bbox (or None)."""
        hint = "pass a list of (x, y) pairs in image pixels"
        if isinstance(points, (str, bytes)) or not isinstance(points, Iterable):
            raise PainterError(f"stroke points must be a list of (x, y) pairs, not {type(points).__name__}",
                               hint=hint)
        self.begin_stroke(size, erase)
        box = None
        try:
            for p in points:
                if isinstance(p, (str, bytes)) or not hasattr(p, "__getitem__") or _len(p) != 2:
                    raise PainterError(f"a stroke point must be (x, y), got {p!r:.40}", hint=hint)
                box = bbox_union(box, self.stroke_to(p[0], p[1]))
        finally:
            self.end_stroke()
        return box

    def _segment(self, ax: float, ay: float, bx: float, by: float, st: dict) -> BBox | None:
        r = st["r"]
        # only the part of AB within r (+1 px) of the image can touch a pixel: clip to that box, so
        # the work is bounded by the image size whatever the coordinates (1e12 is a few stamps)
        clipped = _clip_segment(ax, ay, bx, by, -r - 1.0, -r - 1.0, self.width + r + 1.0, self.height + r + 1.0)
        if clipped is None:
            return None
        ax, ay, bx, by = clipped
        length = math.hypot(bx - ax, by - ay)
        # long segments are split so each stamp stays inside a small bounding box
        n = max(1, math.ceil(length / max(4.0 * r, 64.0)))
        box = None
        for i in range(n):
            t0, t1 = i / n, (i + 1) / n
            box = bbox_union(box, self._capsule(ax + (bx - ax) * t0, ay + (by - ay) * t0,
                                            ax + (bx - ax) * t1, ay + (by - ay) * t1, st))
        return box

    def _capsule(self, ax: float, ay: float, bx: float, by: float, st: dict) -> BBox | None:
        r = st["r"]
        x0 = max(0, math.floor(min(ax, bx) - r))
        y0 = max(0, math.floor(min(ay, by) - r))
        x1 = min(self.width, math.ceil(max(ax, bx) + r) + 1)
        y1 = min(self.height, math.ceil(max(ay, by) + r) + 1)
        if x0 >= x1 or y0 >= y1:
            return None
        sel = capsule(x0, y0, x1, y1, ax, ay, bx, by, r)
        region = self._mask[y0:y1, x0:x1]
        if st["erase"]:
            hit = sel & region
        else:
            hit = sel & ~region
        if not hit.any():
            return None
        self._save_tiles(x0, y0, x1, y1, st["tiles"])
        n = int(np.count_nonzero(hit))
        if st["erase"]:
            region[hit] = False
            self.count -= n
        else:
            region[hit] = True
            self.count += n
        ys, xs = np.nonzero(hit.any(axis=1))[0], np.nonzero(hit.any(axis=0))[0]
        return (x0 + int(xs[0]), y0 + int(ys[0]), x0 + int(xs[-1]) + 1, y0 + int(ys[-1]) + 1)

    def _save_tiles(self, x0: int, y0: int, x1: int, y1: int, tiles: dict) -> None:
        for ty in range(y0 // _TILE, (y1 - 1) // _TILE + 1):
            for tx in range(x0 // _TILE, (x1 - 1) // _TILE + 1):
                if (ty, tx) not in tiles:
                    tiles[(ty, tx)] = self._mask[ty * _TILE:(ty + 1) * _TILE,
                                                 tx * _TILE:(tx + 1) * _TILE].copy()

    # -- whole-mask operations ----------------------------------------------------------------
    def clear(self) -> BBox | None:
        """Empty the mask (one undo step). Returns the changed bbox, None if already empty."""
        self.end_stroke()
        box = self._nonzero_bbox(self._mask)
        if box is None:
            return None
        x0, y0, x1, y1 = box
        reg = _region(x0, y0, self._mask[y0:y1, x0:x1].copy())
        self._mask[y0:y1, x0:x1] = False
        self._push(_Step("clear", (reg,), delta=-self.count))
        self.count = 0
        return box

    def invert(self) -> BBox:
        """Swap masked and unmasked pixels (one undo step)."""
        self.end_stroke()
        np.logical_not(self._mask, out=self._mask)
        total = self.width * self.height
        delta = total - 2 * self.count
        self.count = total - self.count
        self._push(_Step("invert", invert=True, delta=delta))
        return self.full_bbox

    def load(self, mask: Any) -> BBox | None:
        """Replace the mask with ``mask`` (see :func:`mask_from_any`); one undo step."""
        self.end_stroke()
        new = mask_from_any(mask, (self.width, self.height))
        diff = new ^ self._mask
        box = self._nonzero_bbox(diff)
        if box is None:
            return None
        x0, y0, x1, y1 = box
        newcount = int(np.count_nonzero(new))
        self._push(_Step("load", (_region(x0, y0, diff[y0:y1, x0:x1]),), delta=newcount - self.count))
        self._mask[...] = new
        self.count = newcount
        return box

    # -- history ------------------------------------------------------------------------------
    def undo(self) -> BBox | None:
        """Undo the last step; returns the changed bbox or None if there is nothing to undo."""
        self.end_stroke()
        if not self._undo:
            return None
        step = self._undo.pop()
        self._apply(step, -1)
        self._redo.append(step)
        return step.bbox(self.full_bbox)

    def redo(self) -> BBox | None:
        """Redo the last undone step; returns the changed bbox or None."""
        self.end_stroke()
        if not self._redo:
            return None
        step = self._redo.pop()
        self._apply(step, +1)
        self._undo.append(step)
        return step.bbox(self.full_bbox)

    def _apply(self, step: _Step, sign: int) -> None:
        if step.invert:
            np.logical_not(self._mask, out=self._mask)
        for reg in step.regions:
            reg.xor_into(self._mask)
        self.count += sign * step.delta

    def _push(self, step: _Step) -> None:
        self._undo.append(step)
        self._redo.clear()
        self._history_bytes = sum(s.nbytes for s in self._undo)
        while len(self._undo) > 1 and (len(self._undo) > self.max_undo
                                       or self._history_bytes > self.max_undo_bytes):
            self._history_bytes -= self._undo.pop(0).nbytes

    @staticmethod
    def _nonzero_bbox(a: np.ndarray) -> BBox | None:
        rows = np.flatnonzero(a.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(a[rows[0]:rows[-1] + 1].any(axis=0))
        return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)

    # -- export -------------------------------------------------------------------------------
    def to_array(self, *, dilate: int = 0, feather: float = 0.0) -> np.ndarray:
        """uint8 (H, W) with 0/255 (soft edges only when ``feather`` > 0)."""
        return export_mask(self._mask, dilate=dilate, feather=feather)

    def to_image(self, *, dilate: int = 0, feather: float = 0.0) -> Image.Image:
        """The mask as a PIL ``"L"`` image of the original size."""
        return Image.fromarray(self.to_array(dilate=dilate, feather=feather), "L")

    def to_png(self, *, dilate: int = 0, feather: float = 0.0) -> bytes:
        """Lossless single-channel 8-bit PNG, 0/255 only (unless ``feather``), original size."""
        return encode_gray_png(self.to_array(dilate=dilate, feather=feather))


def _clip_segment(ax: float, ay: float, bx: float, by: float, x0: float, y0: float, x1: float,
                  y1: float) -> tuple[float, float, float, float] | None:
    """Segment AB clipped to the box [x0, x1]×[y0, y1] (Liang–Barsky), or None if it misses.

        >>> _clip_segment(-10.0, 5.0, 1e12, 5.0, 0.0, 0.0, 10.0, 10.0)
        (0.0, 5.0, 10.0, 5.0)
    """
    dx, dy = bx - ax, by - ay
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, ax - x0), (dx, x1 - ax), (-dy, ay - y0), (dy, y1 - ay)):
        if p == 0.0:
            if q < 0.0:
                return None
            continue
        t = q / p
        if p < 0.0:
            if t > t1:
                return None
            t0 = max(t0, t)
        else:
            if t < t0:
                return None
            t1 = min(t1, t)
    return (ax + t0 * dx, ay + t0 * dy, ax + t1 * dx, ay + t1 * dy)


def encode_gray_png(a: np.ndarray) -> bytes:
    """Encode a uint8 (H, W) array as a lossless 8-bit grayscale PNG with Pillow.

    Masks are long runs of 0 and 255, so zlib's run-length strategy (``Z_RLE``) at level 1
    keeps a 4096² mask under the 100 ms budget while staying small.

        >>> Image.open(io.BytesIO(encode_gray_png(np.full((2, 3), 255, np.uint8)))).mode
        'L'
    """
    if a.dtype != np.uint8 or a.ndim != 2:
        raise PainterError(f"encode_gray_png needs a uint8 (H, W) array, got {a.dtype} {a.shape}",
                           hint="convert with (mask * 255).astype(np.uint8)")
    buf = io.BytesIO()
    Image.fromarray(a, "L").save(buf, "PNG", compress_level=1, compress_type=zlib.Z_RLE)
    return buf.getvalue()


def capsule(x0: int, y0: int, x1: int, y1: int, ax: float, ay: float, bx: float, by: float,
            r: float) -> np.ndarray:
    """Pixels of the window [x0,x1)×[y0,y1) whose centres lie within ``r`` of segment AB.

        >>> capsule(0, 0, 5, 3, 1.5, 1.5, 3.5, 1.5, 1.0).astype(int).tolist()
        [[0, 1, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 0]]
    """
    xs = (np.arange(x0, x1, dtype=np.float32) + np.float32(0.5 - ax))[None, :]
    ys = (np.arange(y0, y1, dtype=np.float32) + np.float32(0.5 - ay))[:, None]
    dx, dy = np.float32(bx - ax), np.float32(by - ay)
    l2 = float(dx * dx + dy * dy)
    if l2 < 1e-12:
        return xs * xs + ys * ys <= np.float32(r * r)
    t = np.clip((xs * dx + ys * dy) * np.float32(1.0 / l2), 0.0, 1.0)
    px = xs - t * dx
    py = ys - t * dy
    return px * px + py * py <= np.float32(r * r)


#: largest dilation/erosion radius (px); larger radii are refused before any work
MAX_DILATE = 1024
#: largest feather sigma (px): a Gaussian's cost grows with sigma, so it is bounded before the blur
MAX_FEATHER = 64.0
_KERNEL_RADIUS = 16     # up to this radius a disc kernel is fastest; above, an exact distance transform


def export_mask(mask: np.ndarray, *, dilate: int = 0, feather: float = 0.0) -> np.ndarray:
    """bool mask -> uint8 0/255, optionally grown (``dilate`` > 0) / shrunk (< 0) by a disc of
    that many pixels, then feathered with a Gaussian of sigma ``feather`` pixels.

    Both are bounded before any work starts: ``|dilate| ≤ MAX_DILATE`` (1024) and
    ``0 ≤ feather ≤ MAX_FEATHER`` (64); the time is then at most a few seconds on a 4096² mask.

        >>> m = np.zeros((5, 5), bool); m[2, 2] = True
        >>> int((export_mask(m, dilate=1) == 255).sum())
        5
    """
    dilate = _count(dilate, "dilate", "a whole number of pixels, e.g. dilate=4 (negative shrinks)")
    feather = _number(feather, "feather", "a Gaussian sigma in pixels, e.g. feather=2 (0 = hard edges)")
    if abs(dilate) > MAX_DILATE:
        raise PainterError(f"dilate={dilate} is beyond ±{MAX_DILATE} px",
                           hint=f"use a radius of at most {MAX_DILATE} px (a mask is grown by that disc)")
    if not math.isfinite(feather) or feather < 0 or feather > MAX_FEATHER:
        raise PainterError(f"feather must be between 0 and {MAX_FEATHER:g} pixels, got {feather}",
                           hint="use feather=0 for a hard mask, a few pixels for a soft edge")
    out = np.multiply(mask, np.uint8(255), dtype=np.uint8)
    if dilate or feather:
        # OpenCV does disc morphology and blur in C; only these options need it (the emulator extra)
        cv2 = require("emulator", "cv2", what="mask dilate=/feather= (OpenCV)")

        if dilate:
            out = _grow(out, dilate, cv2)
        if feather:
            out = cv2.GaussianBlur(out, (0, 0), sigmaX=feather, sigmaY=feather,
                                   borderType=cv2.BORDER_REPLICATE)
    return out


def _grow(out: np.ndarray, dilate: int, cv2: Any) -> np.ndarray:
    """Dilate (> 0) or erode (< 0) a 0/255 mask by an exact disc of radius ``|dilate|``; outside
    the image counts as unmasked. Small radii use the disc kernel, large ones an exact Euclidean
    distance transform (time independent of the radius)."""
    n = abs(dilate)
    if n <= _KERNEL_RADIUS:
        yy, xx = np.ogrid[-n:n + 1, -n:n + 1]
        k = (xx * xx + yy * yy <= n * n).astype(np.uint8)     # exact disc of radius n
        return (cv2.dilate if dilate > 0 else cv2.erode)(out, k, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    # squared distances are integers; the next one above n² is n² + 1, whose root is ~n + 1/(2n):
    # comparing against n + 1/(4n) decides exactly for n ≤ MAX_DILATE despite float32 distances
    limit = n + 0.25 / n
    if dilate > 0:                     # distance of each unmasked pixel to the nearest masked one
        if not out.any():
            return out
        d = cv2.distanceTransform(np.where(out > 0, 0, 1).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        return np.where(d <= limit, np.uint8(255), np.uint8(0))
    padded = np.pad(out, 1)            # outside the image is unmasked: a ring of zeros
    d = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    return np.where(d > limit, np.uint8(255), np.uint8(0))


# --------------------------------------------------------------------------------------------
# coordinates
# --------------------------------------------------------------------------------------------
def _finite(value: Any, what: str) -> float:
    v = _number(value, what, "pass a finite number")
    if not math.isfinite(v):
        raise PainterError(f"{what} must be finite, got {v}", hint="pass a finite number")
    return v


def _point(value: Any, what: str) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__getitem__") or _len(value) != 2:
        raise PainterError(f"{what} must be an (x, y) pair, got {value!r:.40}", hint="e.g. (120.0, 80.0)")
    return (_finite(value[0], f"{what} x"), _finite(value[1], f"{what} y"))


@dataclass(frozen=True)
class Viewport:
    """Mapping between canvas-buffer pixels and image pixels.

    The image fits the canvas at ``fit_scale`` (canvas px per image px); ``zoom`` (>= 1)
    magnifies that, and ``pan`` is the image point shown at the canvas's top-left corner.
    Browsers lay the canvas out at a CSS size; :meth:`css_to_canvas` undoes that scaling
    (ipycanvas already reports buffer pixels, so the painter uses :meth:`to_image` directly).

        >>> v = Viewport((800, 600), (400, 300)).at(zoom=2.0, pan=(100, 50))
        >>> v.scale, v.to_image(100, 50), v.to_canvas(200.0, 100.0)
        (1.0, (200.0, 100.0), (100.0, 50.0))
    """

    image_size: tuple[int, int]
    canvas_size: tuple[int, int]
    zoom: float = 1.0
    pan: tuple[float, float] = (0.0, 0.0)
    max_scale: float = 16.0

    def __post_init__(self) -> None:
        for what in ("image_size", "canvas_size"):
            v = getattr(self, what)
            if not (isinstance(v, tuple) and len(v) == 2
                    and all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and int(n) > 0 for n in v)):
                raise PainterError(f"Viewport {what}={v!r:.40} is not a (width, height) pair of positive whole numbers",
                                   hint="e.g. Viewport((800, 600), (400, 300))")
        hint = "zoom ≥ 1, pan an (x, y) image point, max_scale > 0"
        zoom, max_scale = _number(self.zoom, "zoom", hint), _number(self.max_scale, "max_scale", hint)
        if not (isinstance(self.pan, tuple) and len(self.pan) == 2):
            raise PainterError(f"Viewport pan={self.pan!r:.40} is not an (x, y) pair", hint=hint)
        pan = (_number(self.pan[0], "pan x", hint), _number(self.pan[1], "pan y", hint))
        if not all(math.isfinite(v) for v in (zoom, max_scale, *pan)) or zoom <= 0 or max_scale <= 0:
            raise PainterError(f"Viewport zoom={zoom}, pan={pan}, max_scale={max_scale} are not usable", hint=hint)

    @staticmethod
    def fit(image_size: tuple[int, int], display_size: int) -> Viewport:
        """A canvas whose longest side is ``display_size`` px, showing the whole image."""
        if not (isinstance(image_size, (tuple, list)) and len(image_size) == 2):
            raise PainterError(f"image_size={image_size!r:.40} is not a (width, height) pair", hint="e.g. (800, 600)")
        w, h = Viewport((image_size[0], image_size[1]), (1, 1)).image_size      # checks the pair
        display_size = _count(display_size, "display_size", "e.g. display_size=800")
        if not 1 <= display_size <= DISPLAY_LIMIT:
            raise PainterError(f"display_size={display_size} is not between 1 and {DISPLAY_LIMIT} px",
                               hint="e.g. display_size=800")
        s = float(display_size) / max(w, h)
        return Viewport((w, h), (max(1, round(w * s)), max(1, round(h * s))))

    @property
    def fit_scale(self) -> float:
        return min(self.canvas_size[0] / self.image_size[0], self.canvas_size[1] / self.image_size[1])

    @property
    def scale(self) -> float:
        """Canvas pixels per image pixel."""
        return self.fit_scale * self.zoom

    @property
    def max_zoom(self) -> float:
        return max(1.0, self.max_scale / self.fit_scale)

    def to_image(self, cx: float, cy: float) -> tuple[float, float]:
        s = self.scale
        return (cx / s + self.pan[0], cy / s + self.pan[1])

    def to_canvas(self, ix: float, iy: float) -> tuple[float, float]:
        s = self.scale
        return ((ix - self.pan[0]) * s, (iy - self.pan[1]) * s)

    def css_to_canvas(self, x: float, y: float, css_width: float, css_height: float) -> tuple[float, float]:
        """Position in a canvas laid out at ``css_width``×``css_height`` -> buffer pixels."""
        return (x * self.canvas_size[0] / css_width, y * self.canvas_size[1] / css_height)

    def css_to_image(self, x: float, y: float, css_width: float, css_height: float) -> tuple[float, float]:
        return self.to_image(*self.css_to_canvas(x, y, css_width, css_height))

    @property
    def visible(self) -> tuple[float, float, float, float]:
        """Image rectangle (x0, y0, x1, y1) visible on the canvas."""
        x0, y0 = self.pan
        s = self.scale
        return (x0, y0, x0 + self.canvas_size[0] / s, y0 + self.canvas_size[1] / s)

    def _clamped(self, zoom: float, pan: tuple[float, float]) -> Viewport:
        zoom = min(max(1.0, _finite(zoom, "zoom")), self.max_zoom)
        pan = _point(pan, "pan")
        s = self.fit_scale * zoom
        px = min(max(0.0, pan[0]), max(0.0, self.image_size[0] - self.canvas_size[0] / s))
        py = min(max(0.0, pan[1]), max(0.0, self.image_size[1] - self.canvas_size[1] / s))
        return Viewport(self.image_size, self.canvas_size, zoom, (px, py), self.max_scale)

    def zoomed(self, factor: float, anchor: tuple[float, float] | None = None) -> Viewport:
        """Zoom by ``factor`` keeping canvas point ``anchor`` (default: centre) fixed."""
        anchor = (self.canvas_size[0] / 2.0, self.canvas_size[1] / 2.0) if anchor is None else _point(anchor, "anchor")
        ix, iy = self.to_image(*anchor)
        factor = _finite(factor, "zoom factor")
        if factor <= 0:
            raise PainterError(f"zoom factor must be > 0, got {factor}", hint="e.g. 2 to zoom in, 0.5 to zoom out")
        zoom = min(max(1.0, self.zoom * factor), self.max_zoom)
        s = self.fit_scale * zoom
        return self._clamped(zoom, (ix - anchor[0] / s, iy - anchor[1] / s))

    def panned(self, dx: float, dy: float) -> Viewport:
        """Move the view by (dx, dy) canvas pixels (positive = show more to the right/bottom)."""
        s = self.scale
        dx, dy = _point((dx, dy), "pan step")
        return self._clamped(self.zoom, (self.pan[0] + dx / s, self.pan[1] + dy / s))

    def at(self, zoom: float, pan: tuple[float, float]) -> Viewport:
        """This viewport with an explicit (clamped) zoom and pan."""
        return self._clamped(zoom, pan)

    def reset(self) -> Viewport:
        return Viewport(self.image_size, self.canvas_size, 1.0, (0.0, 0.0), self.max_scale)

    def canvas_rect(self, box: BBox) -> tuple[int, int, int, int] | None:
        """Integer canvas rectangle (x0, y0, x1, y1) covering image bbox ``box``, clipped."""
        cx0, cy0 = self.to_canvas(box[0], box[1])
        cx1, cy1 = self.to_canvas(box[2], box[3])
        x0 = max(0, math.floor(cx0) - 1)
        y0 = max(0, math.floor(cy0) - 1)
        x1 = min(self.canvas_size[0], math.ceil(cx1) + 1)
        y1 = min(self.canvas_size[1], math.ceil(cy1) + 1)
        if x0 >= x1 or y0 >= y1:
            return None
        return (x0, y0, x1, y1)

    def sample_indices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For each canvas column/row, the image column/row under its centre and validity."""
        s = self.scale
        cols = np.floor((np.arange(self.canvas_size[0]) + 0.5) / s + self.pan[0]).astype(np.int64)
        rows = np.floor((np.arange(self.canvas_size[1]) + 0.5) / s + self.pan[1]).astype(np.int64)
        cv = (cols >= 0) & (cols < self.image_size[0])
        rv = (rows >= 0) & (rows < self.image_size[1])
        return (np.clip(cols, 0, self.image_size[0] - 1), np.clip(rows, 0, self.image_size[1] - 1), cv, rv)


# --------------------------------------------------------------------------------------------
# image input for the painter
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PainterImage:
    """An image made ready for painting: original size plus an 8-bit RGB preview.

    ``display`` is at most ``max_display`` px on its longest side (alpha composited over a
    checkerboard); the mask is always ``width``×``height``.
    """

    width: int
    height: int
    display: Image.Image = field(repr=False, compare=False)
    source: str = ""       # what was given, e.g. "PIL I;16 image", "numpy uint8 (H, W, 4)"

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def downscaled(self) -> bool:
        return self.display.size != (self.width, self.height)

    def __repr__(self) -> str:
        extra = f", shown at {self.display.width}×{self.display.height}" if self.downscaled else ""
        return f"PainterImage({self.width}×{self.height} from {self.source}{extra})"

    def _repr_html_(self) -> str:
        import html

        return f"<code>{html.escape(repr(self))}</code>"


def _check_limits(w: int, h: int) -> None:
    if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
        raise PainterError(
            f"image is {w}×{h} px; the painter keeps a full-resolution mask and supports at most "
            f"{MAX_SIDE} px per side and {MAX_PIXELS // 1_000_000} megapixels",
            hint="downscale the image first (e.g. img.thumbnail((8192, 8192))) and upscale the mask afterwards")


def _hint_inputs() -> str:
    return "pass a PIL image, a numpy array (H×W, H×W×3 or H×W×4), a file path or the file's bytes"


def _open_pil(data: Any, what: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(data)
            _check_limits(*img.size)
            return img
    except PainterError:
        raise
    except Image.DecompressionBombError as e:
        raise PainterError(f"{what} is too large to paint on ({e})",
                           hint="downscale it first; the painter supports at most "
                                f"{MAX_PIXELS // 1_000_000} megapixels") from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise PainterError(f"{what} is not an image Pillow can read ({type(e).__name__}: {e})",
                           hint=_hint_inputs()) from None


def _array_to_pil(a: np.ndarray) -> Image.Image:
    """Normalise a numpy array (any int/float/bool dtype, gray/GA/RGB/RGBA) to an 8-bit PIL image."""
    if a.ndim == 3 and a.shape[0] in (1, 2, 3, 4) and a.shape[-1] not in (1, 2, 3, 4):
        a = np.moveaxis(a, 0, -1)          # channels-first (C, H, W)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (2, 3, 4)):
        raise PainterError(f"numpy array of shape {a.shape} is not an image",
                           hint="use shape (H, W), (H, W, 3) or (H, W, 4)")
    if a.size == 0:
        raise PainterError(f"image array has zero size {a.shape}", hint="pass a non-empty image")
    _check_limits(a.shape[1], a.shape[0])
    if a.dtype == bool:
        a8 = a.astype(np.uint8) * 255
    elif a.dtype == np.uint8:
        a8 = a
    elif np.issubdtype(a.dtype, np.integer):
        hi = int(a.max()) if a.size else 0
        if a.min() < 0:
            raise PainterError("image array has negative values", hint="pass uint8/uint16 or floats in 0–1")
        a8 = (a >> 8).astype(np.uint8) if hi > 255 and a.dtype.itemsize >= 2 and hi <= 65535 else \
            (np.clip(a.astype(np.float64) * (255.0 / hi), 0, 255).astype(np.uint8) if hi > 255 else a.astype(np.uint8))
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise PainterError("image array contains NaN or infinity", hint="replace them, e.g. np.nan_to_num(a)")
        scale = 255.0 if float(a.max()) <= 1.0 else 1.0
        a8 = np.clip(np.rint(a * scale), 0, 255).astype(np.uint8)
    else:
        raise PainterError(f"numpy dtype {a.dtype} is not an image type", hint="use uint8, uint16, float or bool")
    mode = {2: "L"}.get(a8.ndim) or {2: "LA", 3: "RGB", 4: "RGBA"}[a8.shape[-1]]
    return Image.fromarray(np.ascontiguousarray(a8), mode)


def _pil_to_8bit(img: Image.Image) -> Image.Image:
    """Any PIL mode -> "RGB" or "RGBA" 8-bit (16-bit scaled, palette/alpha kept)."""
    mode = img.mode
    if mode in ("RGB", "RGBA"):
        return img
    if mode == "LAB":
        raise PainterError("a PIL image in mode LAB cannot be shown without a colour conversion",
                           hint="convert it to RGB first (PIL.ImageCms)")
    if mode in ("La", "RGBa"):                 # premultiplied alpha
        return img.convert(mode.upper()).convert("RGBA")
    if mode.startswith("I") or mode == "F":
        a = np.asarray(img)
        if mode == "F":
            return _array_to_pil(a.astype(np.float32)).convert("RGB")
        a = a.astype(np.int64)
        hi = int(a.max()) if a.size else 0
        if a.min() < 0 or hi > 255:
            a = np.clip(a, 0, 65535)
            a8 = (a >> 8).astype(np.uint8) if hi > 255 else a.astype(np.uint8)
        else:
            a8 = a.astype(np.uint8)
        return Image.fromarray(a8, "L").convert("RGB")
    if mode == "P":
        return img.convert("RGBA" if "transparency" in img.info else "RGB")
    if mode in ("LA", "PA", "La", "RGBa") or "A" in mode:
        return img.convert("RGBA")
    return img.convert("RGB")


def _checkerboard(size: tuple[int, int], cell: int = 8) -> Image.Image:
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    board = np.where(((xx // cell) + (yy // cell)) % 2 == 0, 204, 153).astype(np.uint8)
    return Image.fromarray(board, "L").convert("RGB")


def load_painter_image(src: Any, *, max_display: int = 2048) -> PainterImage:
    """Normalise a PIL image, numpy array, path or bytes into a :class:`PainterImage`.

    16-bit images are scaled to 8 bits, palette images expanded, transparent areas shown on a
    checkerboard, EXIF orientation applied. Images above ``max_display`` px (and always above
    8192 px) are shown downscaled; the mask keeps the original size.

        >>> load_painter_image(np.zeros((30, 40, 3), np.uint8))
        PainterImage(40×30 from numpy uint8 (30, 40, 3))
    """
    if isinstance(src, PainterImage):
        return src
    max_display = max(1, min(_count(max_display, "max_display", "e.g. max_display=2048"), DISPLAY_LIMIT))
    if isinstance(src, Image.Image):
        img, source = src, f"PIL {src.mode} image"
        if img.width == 0 or img.height == 0:
            raise PainterError(f"image has zero size {img.width}×{img.height}", hint="pass a non-empty image")
        _check_limits(*img.size)
    elif isinstance(src, np.ndarray):
        source = f"numpy {src.dtype} {src.shape}"
        img = _array_to_pil(src)
    elif isinstance(src, (bytes, bytearray, memoryview)):
        if len(src) == 0:
            raise PainterError("image bytes are empty", hint=_hint_inputs())
        img, source = _open_pil(io.BytesIO(bytes(src)), "the given bytes"), "bytes"
    elif isinstance(src, (str, os.PathLike)):
        p = Path(src)
        if not _is_file(p):
            raise PainterError(f"image file {str(p)[:200]!r} does not exist", hint=_hint_inputs())
        img, source = _open_pil(p, f"file {p.name!r}"), f"file {p.name}"
    elif hasattr(src, "read"):
        img, source = _open_pil(src, "the given file object"), "file object"
    else:
        raise PainterError(f"cannot paint on a {type(src).__name__}", hint=_hint_inputs())
    if img.width == 0 or img.height == 0:
        raise PainterError(f"image has zero size {img.width}×{img.height}", hint="pass a non-empty image")
    try:
        img = ImageOps.exif_transpose(img) if not isinstance(src, np.ndarray) else img
        w, h = img.size
        if max(w, h) > max_display:
            if img.mode in ("RGB", "RGBA", "L", "LA", "P") and hasattr(img, "draft"):
                img.draft(img.mode, (max_display, max_display))   # fast JPEG decode at reduced size
            img = _pil_to_8bit(img)
            img = img.resize(_fit_size((w, h), max_display), Image.Resampling.LANCZOS, reducing_gap=3.0)
        else:
            img = _pil_to_8bit(img)
            img.load()
    except PainterError:
        raise
    except (OSError, ValueError, SyntaxError) as e:
        raise PainterError(f"could not decode the image ({type(e).__name__}: {e})", hint=_hint_inputs()) from None
    if img.mode == "RGBA":
        bg = _checkerboard(img.size)
        bg.paste(img, (0, 0), img)
        img = bg
    return PainterImage(w, h, img, source)


def _fit_size(size: tuple[int, int], longest: int) -> tuple[int, int]:
    w, h = size
    s = longest / max(w, h)
    return (max(1, round(w * s)), max(1, round(h * s)))


#: grey levels at or above this fraction of full scale are "repaint" (8 bit: ≥ 128, 16 bit: ≥ 32768)
MASK_THRESHOLD = 0.5
#: largest difference between R, G and B that a three-channel mask may have and still count as
#: grey. Chromium's canvas ``toDataURL('image/jpeg')`` (quality 0.1–0.92) and Pillow's JPEG encoder
#: (quality 10–95, 4:4:4 and 4:2:0) give 0 for a white-on-black mask; 8 leaves room for other
#: encoders and colour-managed editors, while any coloured stroke differs by far more (see
#: docs in protocols.md, "Mask semantics").
JPEG_TOLERANCE = 8
_MASK_HINT = "a mask is single-channel grey (or R=G=B): white (255) = repaint, black (0) = keep"


def binary_mask(mask: Image.Image | np.ndarray, *, error: type[ImgxError] = ImageInputError,
                what: str = "the mask") -> np.ndarray:
    """THE mask rule, shared by the painter, the inpaint client, the CLI and the emulator.

    A mask is single-channel, or three channels with R=G=B within :data:`JPEG_TOLERANCE` (an
    anti-aliased JPEG mask from a browser canvas); alpha is ignored. Its grey levels are
    binarised at :data:`MASK_THRESHOLD` of full scale for its bit depth: 1-bit images and bool
    arrays as they are, 8-bit at 128, 16-bit at 32768, floats at 0.5; integer *arrays* holding
    only 0 and 1 are 1-bit. Anything else raises ``error`` saying why.

        >>> binary_mask(np.array([[0, 127, 128, 200, 255]], np.uint8)).tolist()
        [[False, False, True, True, True]]
        >>> binary_mask(np.dstack([np.full((1, 2), 255, np.uint8), np.zeros((1, 2), np.uint8),
        ...                        np.zeros((1, 2), np.uint8)]))
        Traceback (most recent call last):
        ...
        imgx_kit.core.errors.ImageInputError: the mask is coloured: R, G and B differ by up to 255 levels ... = keep
    """
    if isinstance(mask, Image.Image):
        return _binary_image(mask, error, what)
    if not isinstance(mask, np.ndarray):
        raise error(f"{what} is a {type(mask).__name__}, not an image or array", hint=_MASK_HINT)
    a = mask
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    elif a.ndim == 3 and a.shape[-1] in (3, 4):
        a = _grey(a[..., :3], error, what)
    if a.ndim != 2:
        raise error(f"{what} array has shape {mask.shape}", hint="use an H×W array (or H×W×3 with R=G=B)")
    if a.size == 0:
        raise error(f"{what} array is empty {mask.shape}", hint="a mask needs at least one pixel")
    if a.dtype == bool:
        return a.copy()
    if np.issubdtype(a.dtype, np.floating):
        if np.isnan(a).any():
            raise error(f"{what} holds NaN values", hint="replace them, e.g. np.nan_to_num(mask)")
        return a >= MASK_THRESHOLD
    if not np.issubdtype(a.dtype, np.integer):
        raise error(f"{what} array has dtype {a.dtype}", hint="use bool, uint8 (0…255) or uint16")
    lo, hi = int(a.min()), int(a.max())
    if lo < 0 or hi > 0xFFFF:
        raise error(f"{what} has values {lo}…{hi}, outside 0…65535", hint=_MASK_HINT)
    if hi <= 1:
        return a >= 1                                       # a 0/1 array: 1 bit
    depth = 8 if (a.dtype.itemsize == 1 or hi <= 255) else 16
    return a >= _level(depth)


def _level(depth: int) -> int:
    return round(MASK_THRESHOLD * (1 << depth))        # 8 bit: 128, 16 bit: 32768


def _grey(rgb: np.ndarray, error: type[ImgxError], what: str) -> np.ndarray:
    """One channel of an R=G=B array (within the JPEG tolerance); refuses a coloured mask."""
    if rgb.dtype == bool:
        spread: float = int(np.count_nonzero(rgb.any(axis=-1) != rgb.all(axis=-1)) and 1)
        scale = 1
    else:
        wide = rgb.astype(np.int64) if rgb.dtype.kind in "iub" else rgb.astype(np.float64)
        spread_a = wide.max(axis=-1) - wide.min(axis=-1)
        spread = float(spread_a.max()) if spread_a.size else 0
        scale = 257 if (rgb.dtype.kind in "iu" and rgb.dtype.itemsize >= 2 and float(wide.max(initial=0)) > 255) else 1
        if rgb.dtype.kind == "f":
            spread, scale = spread * 255, 1                 # floats 0…1: compare in 8-bit levels
    if spread > JPEG_TOLERANCE * scale:
        shown = f"{spread / scale:.0f}" if scale != 1 or isinstance(spread, float) else str(spread)
        raise error(f"{what} is coloured: R, G and B differ by up to {shown} levels "
                    f"(a grey JPEG differs by at most {JPEG_TOLERANCE})", hint=_MASK_HINT)
    if rgb.dtype == bool:
        return rgb[..., 0].copy()
    if rgb.dtype.kind == "f":
        return rgb.mean(axis=-1)
    return (rgb.astype(np.int64).sum(axis=-1) + 1) // 3     # the rounded mean of the three levels


def _binary_image(im: Image.Image, error: type[ImgxError], what: str) -> np.ndarray:
    """The rule for a decoded image: by its mode's bit depth, grey checked for colour masks."""
    mode = im.mode
    try:
        im.load()
        if mode == "1":
            return np.asarray(im, dtype=bool).copy()
        if mode in ("L", "LA", "La", "LAB"):
            a = np.asarray(im.getchannel(0) if mode != "L" else im)    # grey / lightness; alpha ignored
            return a >= _level(8)
        if mode.startswith("I;16"):
            return np.asarray(im).astype(np.int64) >= _level(16)
        if mode in ("I", "F"):
            return binary_mask(np.asarray(im), error=error, what=what)
        rgb = np.asarray(im.convert("RGB"))                 # RGB(A/X/a), P, PA, CMYK, YCbCr, HSV
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        raise error(f"{what} does not decode as an image ({type(e).__name__}: {str(e)[:80]})",
                    hint="the file is truncated or corrupt; save the mask again as PNG") from None
    return _grey(rgb, error, what) >= _level(8)


def mask_from_any(mask: Any, size: tuple[int, int]) -> np.ndarray:
    """A bool (H, W) mask from a bool/integer/float array, PIL image, path or PNG/JPEG bytes,
    by the one mask rule (:func:`binary_mask`: grey levels from half scale are masked).
    ``size`` is the expected (width, height); anything else raises :class:`PainterError`.

        >>> mask_from_any(np.array([[0, 200]], np.uint8), (2, 1)).tolist()
        [[False, True]]
    """
    if not (isinstance(size, (tuple, list)) and len(size) == 2
            and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in size)):
        raise PainterError(f"size={size!r:.40} is not a (width, height) pair of whole numbers",
                           hint="pass the image's size, e.g. mask_from_any(mask, image.size)")
    w, h = size
    if isinstance(mask, (bytes, bytearray, memoryview, str, os.PathLike)) or hasattr(mask, "read"):
        if isinstance(mask, (str, os.PathLike)) and not _is_file(mask):
            raise PainterError(f"mask file {str(mask)[:200]!r} does not exist", hint="pass a path to a PNG mask")
        mask = _open_pil(io.BytesIO(bytes(mask)) if isinstance(mask, (bytes, bytearray, memoryview)) else mask,
                         "the mask")
    if isinstance(mask, Image.Image):
        if mask.size != (w, h):
            raise _size_error(mask.size, (w, h))
        return binary_mask(mask, error=PainterError)
    if not isinstance(mask, np.ndarray):
        try:
            mask = np.asarray(mask)
        except Exception:
            mask = None
        if mask is None or mask.dtype == object:
            raise PainterError("the mask is not an array or image",
                               hint="pass a bool numpy array of the image's height×width, a PIL image or PNG bytes")
    if (mask.ndim == 3 and mask.shape[-1] in (1, 3, 4)) or mask.ndim == 2:
        got = (mask.shape[1], mask.shape[0])
    else:
        raise PainterError(f"mask array has shape {mask.shape}; expected (height, width) = ({h}, {w})",
                           hint="pass a 2-D array")
    if got != (w, h):
        raise _size_error(got, (w, h))
    return binary_mask(mask, error=PainterError)


def _size_error(got: tuple[int, int], want: tuple[int, int]) -> PainterError:
    return PainterError(
        f"mask is {got[0]}×{got[1]} px but the image is {want[0]}×{want[1]} px (width×height)",
        hint="masks must have the original image's size; resize with Image.resize(size, Image.NEAREST) "
             "or paint on a MaskPainter of the matching image")
