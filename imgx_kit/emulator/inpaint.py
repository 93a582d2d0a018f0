"""The local inpainting backend: OpenCV ``cv2.inpaint`` (Telea) by default, pluggable.

A backend is any callable ``backend(image, mask, params) -> image`` with ``image`` an RGB
``uint8`` array (H×W×3), ``mask`` a ``bool`` array (H×W, True = repaint) and ``params`` an
:class:`InpaintParams`. Pixels outside the mask are always kept exactly; the result is
deterministic (same input, same output)::

    >>> import numpy as np
    >>> img = np.zeros((8, 8, 3), np.uint8); img[:, 4:] = 200
    >>> m = np.zeros((8, 8), bool); m[3:5, 3:5] = True
    >>> out = opencv_backend(img, m, InpaintParams())
    >>> bool((out[~m] == img[~m]).all()), out.shape
    (True, (8, 8, 3))

Large masks are filled on a smaller copy (so 1024×1024 with a 10 % mask takes a few tens of
milliseconds), then the seam is re-inpainted at full resolution.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ..core.errors import InpaintError

__all__ = ["FULL_RES_PIXELS", "Backend", "InpaintParams", "opencv_backend", "run_backend"]

#: masks up to this many pixels are inpainted at full resolution
FULL_RES_PIXELS = 25_000


@dataclass(frozen=True)
class InpaintParams:
    """The request's knobs, passed to the backend (OpenCV ignores the diffusion ones)."""

    seed: int = 0
    steps: int = 30
    strength: float = 0.8
    scale: float = 7.0
    prompt: str | None = None
    radius: int = 3


Backend = Callable[[np.ndarray, np.ndarray, InpaintParams], np.ndarray]


def opencv_backend(image: np.ndarray, mask: np.ndarray, params: InpaintParams) -> np.ndarray:
    """Telea inpainting of ``mask`` in ``image`` (RGB uint8), multi-scale for large masks.
    Only the mask's bounding box (plus a margin) is processed."""
    if not mask.any():
        return image.copy()
    r = max(1, int(params.radius))
    ys, xs = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    pad = 4 * r + 8
    y0, y1 = max(0, ys[0] - pad), min(mask.shape[0], ys[-1] + 1 + pad)
    x0, x1 = max(0, xs[0] - pad), min(mask.shape[1], xs[-1] + 1 + pad)
    sub_mask = np.ascontiguousarray(mask[y0:y1, x0:x1])
    filled = _inpaint_region(np.ascontiguousarray(image[y0:y1, x0:x1]), sub_mask, r)
    out = image.copy()
    np.copyto(out[y0:y1, x0:x1], filled, where=sub_mask[..., None])   # outside the mask: exact
    return out


def _inpaint_region(image: np.ndarray, mask: np.ndarray, r: int) -> np.ndarray:
    m8 = mask.astype(np.uint8) * 255
    n = int(np.count_nonzero(m8))
    h, w = m8.shape
    if n <= FULL_RES_PIXELS:
        return cv2.inpaint(image, m8, r, cv2.INPAINT_TELEA)
    f = math.ceil(math.sqrt(n / FULL_RES_PIXELS))
    sw, sh = max(1, w // f), max(1, h // f)
    small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
    ms = cv2.resize(m8, (sw, sh), interpolation=cv2.INTER_AREA)
    ms = np.where(ms > 0, 255, 0).astype(np.uint8)
    ms = cv2.dilate(ms, np.ones((3, 3), np.uint8))
    filled = cv2.inpaint(small, ms, r, cv2.INPAINT_TELEA)
    up = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR)
    out = image.copy()
    np.copyto(out, up, where=mask[..., None])
    eroded: np.ndarray = cv2.erode(m8, np.ones((2 * r + 1, 2 * r + 1), np.uint8))   # uint8 like m8
    ring = m8 & ~eroded
    if ring.any():
        out = cv2.inpaint(out, ring, r, cv2.INPAINT_TELEA)
    return out


def run_backend(backend: Backend, image: np.ndarray, mask: np.ndarray,
                params: InpaintParams) -> np.ndarray:
    """Call a backend and check what it returns (same shape, uint8)."""
    out = backend(image, mask, params)
    if not isinstance(out, np.ndarray) or out.shape != image.shape:
        raise InpaintError(f"the inpainting backend returned {type(out).__name__} "
                           f"{getattr(out, 'shape', '')}, not an array of shape {image.shape}",
                           hint="a backend returns an RGB uint8 array the size of the input image")
    if out.dtype != np.uint8:
        out = np.clip(out, 0, 255).astype(np.uint8)
    return out
