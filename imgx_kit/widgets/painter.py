"""MaskPainter: draw an inpainting mask over an image in Jupyter (ipycanvas + ipywidgets).

The full-resolution mask lives in Python (:class:`~imgx_kit.services.masks.MaskModel`); the
browser canvas is only a preview. Layers: image, semi-transparent overlay, brush cursor.
Every pointer event stamps an exact capsule into the mask and redraws only the changed
region of the overlay in one ``hold_canvas`` batch.

    >>> import numpy as np, imgx_kit as ik
    >>> p = ik.MaskPainter(np.zeros((60, 80, 3), np.uint8), brush_size=10)
    >>> p.paint([(10, 10), (70, 10)])
    >>> p.mask.shape, int(p.mask.sum()) > 0, p.version
    ((60, 80), True, 1)

Keys (while the painter has focus; JupyterLab's shortcuts are kept out, see
:mod:`imgx_kit.widgets.painter_keys`): ``b`` brush, ``e`` eraser, ``[`` / ``]`` brush size, ``ctrl-z`` undo,
``ctrl-shift-z`` / ``ctrl-y`` redo, ``+`` / ``-`` zoom, ``0`` fit. The mouse wheel pans when
zoomed in; the Pan tool drags the view. Pens act as mice (ipycanvas sends no pressure).
"""
from __future__ import annotations

import html
import io
import math
import re
import struct
import traceback
import zlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
import numpy as np
import traitlets
from ipycanvas import MultiCanvas, hold_canvas
from ipycanvas.canvas import COMMANDS as _CANVAS_COMMANDS
from PIL import Image, ImageColor

from ..core.errors import ImgxError, PainterError
from ..core.i18n import tr
from ..services.masks import BBox, MaskModel, Viewport, _count, _number, bbox_union as _union, load_painter_image
from .painter_keys import PainterKeys

__all__ = ["MaskPainter"]

_TOOLS = (("Brush", "brush"), ("Eraser", "eraser"), ("Pan", "pan"))
_ZOOM_STEP = 1.5


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def overlay_png(mask: np.ndarray, rgb: tuple[int, int, int], alpha: int) -> bytes:
    """A 1-bit palette PNG of a bool patch: True -> ``rgb`` at ``alpha``, False -> transparent.

    The painter sends one such patch per pointer event. PIL's RGBA encoder costs ≈ 100 µs per
    patch (issue 17); this is ≈ 8 µs: colour type 3, bit depth 1, rows packed by
    ``np.packbits``, filter 0, a ``tRNS`` chunk for the two palette entries (PNG spec, ISO/IEC
    15948 §11.2.2, §11.3.2.1). Any PNG decoder reads it (the tests decode it with PIL; the
    browser test reads the canvas pixels).

        >>> import io; from PIL import Image
        >>> m = np.array([[True, False, True]])
        >>> im = Image.open(io.BytesIO(overlay_png(m, (255, 0, 0), 128))).convert("RGBA")
        >>> [im.getpixel((x, 0)) for x in range(3)]
        [(255, 0, 0, 128), (0, 0, 0, 0), (255, 0, 0, 128)]
    """
    h, w = mask.shape
    packed = np.packbits(mask, axis=1)
    raw = np.zeros((h, packed.shape[1] + 1), np.uint8)    # a leading 0 per row: filter type None
    raw[:, 1:] = packed
    return b"".join((_PNG_SIGNATURE, _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 1, 3, 0, 0, 0)),
                     _png_chunk(b"PLTE", bytes((0, 0, 0, *rgb))), _png_chunk(b"tRNS", bytes((0, alpha))),
                     _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)), _png_chunk(b"IEND", b"")))


@contextmanager
def _held(manager: Any):
    """``hold_canvas()`` that never stays on after an exception (ipycanvas has no try/finally).

    On error the partial batch is dropped and the "current canvas" is forgotten, so the next
    batch starts with an explicit ``switchCanvas``.
    """
    was_caching = manager._caching
    try:
        with hold_canvas():
            yield
    except BaseException:
        if not was_caching:
            manager._caching = False
            manager._commands_cache = []
            manager._buffers_cache = []
            manager._current_canvas = None
        raise


class MaskPainter(widgets.VBox):
    """Paint an inpainting mask (white = edit) over ``image`` with mouse, pen or touch.

    Args:
        image: PIL image, numpy array, path or bytes (16-bit, alpha and palette are handled).
        brush_size: brush diameter in *image* pixels.
        color: overlay colour (CSS colour name or ``#rrggbb``).
        opacity: overlay opacity, 0–1.
        display_size: longest side of the canvas buffer in pixels; big images are shown
            downscaled, the mask always has the original size.
        css_width: CSS width of the canvas (default: its buffer width, capped at 100 %).
        max_undo: number of undo steps kept (memory is bounded by changed regions).

    ``p.mask`` (bool, H×W of the original), ``p.mask_png()``, ``p.mask_image()``,
    ``p.paint(points)``, ``p.load_mask(m)``, ``p.clear()``, ``p.invert()``, ``p.undo()``,
    ``p.redo()``; ``p.observe(cb, "version")`` fires after each finished change.
    """

    version = traitlets.Int(0, read_only=True, help="incremented after every finished change of the mask")

    def __init__(self, image: Any, brush_size: float = 20, *, color: str = "#ff2d55",
                 opacity: float = 0.5, display_size: int = 768, css_width: str | None = None,
                 max_undo: int = 100) -> None:
        display_size = _count(display_size, "display_size", "use e.g. display_size=768")
        if display_size < 16 or display_size > 4096:
            raise PainterError(f"display_size={display_size} is outside 16–4096 canvas pixels",
                               hint="use e.g. display_size=768")
        brush_size = _brush_size(brush_size, MAX_BRUSH)
        self._color = self._parse_color(color)
        opacity = _number(opacity, "opacity", "e.g. opacity=0.5")
        if not 0.0 <= opacity <= 1.0:
            raise PainterError(f"opacity must be between 0 and 1, got {opacity}", hint="e.g. opacity=0.5")
        if css_width is not None and not (isinstance(css_width, str) and _CSS_LENGTH(css_width.strip())):
            raise PainterError(f"css_width={css_width!r:.40} is not a CSS width",
                               hint="e.g. css_width='600px' or '100%' (or leave it out)")
        self._image = load_painter_image(image, max_display=2 * display_size)
        w, h = self._image.size
        self._model = MaskModel(w, h, max_undo=max_undo)
        self._view = Viewport.fit((w, h), display_size)
        self._sample = self._view.sample_indices()
        self._img_widget = widgets.Image(value=self._encode_display(), format="png")
        self._stroke_tool: str | None = None      # tool of the stroke in progress
        self._pan_last: tuple[float, float] | None = None
        self._dirty: BBox | None = None
        self._cursor: tuple[float, float] | None = None
        self._readout_text = ""
        self.last_error: BaseException | None = None

        cw, ch = self._view.canvas_size
        self.canvas = MultiCanvas(3, width=cw, height=ch)
        self.canvas.add_class("imgx-painter-canvas")
        self.canvas.layout.width = css_width or f"{cw}px"
        self.canvas.layout.height = "auto"
        self.canvas.layout.max_width = "100%"
        self._manager = self.canvas[0]._canvas_manager

        # toolbar
        size_max = int(max(200, brush_size, round(max(w, h) / 8)))
        self.tool_toggle = widgets.ToggleButtons(options=[(tr(k), v) for k, v in _TOOLS], value="brush", tooltips=[
            tr(t) for t in ("paint the mask (b)", "erase the mask (e)", "drag to move the zoomed view")],
            style={"button_width": "64px"})
        self.size_slider = widgets.FloatLogSlider(value=float(brush_size), base=10, min=0, max=math.log10(size_max),
                                                  step=0.01, description=tr("size"), readout_format=".0f",
                                                  layout=widgets.Layout(width="230px"),
                                                  style={"description_width": "32px"})
        self.opacity_slider = widgets.FloatSlider(value=opacity, min=0.0, max=1.0, step=0.05,
                                                  description=tr("opacity"), readout_format=".2f",
                                                  layout=widgets.Layout(width="210px"),
                                                  style={"description_width": "48px"})
        self.color_picker = widgets.ColorPicker(value=color if color.startswith("#") and len(color) == 7
                                                else "#{:02x}{:02x}{:02x}".format(*self._color), concise=True,
                                                layout=widgets.Layout(width="32px"))
        self.buttons: dict[str, widgets.Button] = {}
        for name, label, tip in (("undo", "Undo", "undo (ctrl-z)"), ("redo", "Redo", "redo (ctrl-shift-z)"),
                                 ("clear", "Clear", "empty the mask"), ("invert", "Invert", "swap masked and unmasked"),
                                 ("zoom_in", "+", "zoom in (+)"), ("zoom_out", "−", "zoom out (-)"),
                                 ("fit", "Fit", "show the whole image (0)")):
            b = widgets.Button(description=tr(label), tooltip=tr(tip),
                               layout=widgets.Layout(width="auto" if len(label) > 1 else "32px"))
            b.add_class(f"imgx-painter-{name.replace('_', '-')}")
            b.on_click(self._guarded(lambda _b, n=name: self._button(n)))
            self.buttons[name] = b
        self.readout = widgets.HTML()
        self.readout.add_class("imgx-painter-readout")
        self.status = widgets.HTML(layout=widgets.Layout(display="none"))
        self.status.add_class("imgx-painter-status")

        self.size_slider.observe(self._guarded(lambda _c: self._draw_cursor()), "value")
        self.opacity_slider.observe(self._guarded(lambda _c: self._redraw_overlay()), "value")
        self.color_picker.observe(self._guarded(self._on_color), "value")

        b = self.buttons
        wrap = {"flex_flow": "row wrap", "align_items": "center"}   # narrow output areas: the tools wrap
        self.tool_toggle.layout.flex = "0 0 auto"                    # ... but each tool stays whole
        row1 = widgets.HBox([self.tool_toggle, self.size_slider, self.opacity_slider, self.color_picker],
                            layout=widgets.Layout(**wrap))
        row2 = widgets.HBox([b["undo"], b["redo"], b["clear"], b["invert"], b["zoom_in"], b["zoom_out"],
                             b["fit"], self.readout], layout=widgets.Layout(**wrap))
        # keys reach the painter only while focus is inside it, and never reach JupyterLab
        self.key_scope = PainterKeys()
        self.key_scope.on_msg(self._guarded(self._on_key_msg))
        super().__init__([row1, row2, widgets.Box([self.canvas]), self.status, self.key_scope])
        self.add_class("imgx-mask-painter")

        c = self.canvas
        c.on_mouse_down(self._guarded(self._on_mouse_down))
        c.on_mouse_move(self._guarded(self._on_mouse_move))
        c.on_mouse_up(self._guarded(self._on_mouse_up))
        c.on_mouse_out(self._guarded(self._on_mouse_out))
        c.on_mouse_wheel(self._guarded(self._on_wheel))
        c.on_touch_start(self._guarded(self._on_touch_start))
        c.on_touch_move(self._guarded(self._on_touch_move))
        c.on_touch_end(self._guarded(self._on_touch_end))
        c.on_touch_cancel(self._guarded(self._on_touch_end))
        c.on_key_down(self._guarded(self._on_key))
        c.on_client_ready(self._guarded(self._setup_client))
        self._update_readout()
        self._setup_client()

    # ------------------------------------------------------------------ public API
    @property
    def mask(self) -> np.ndarray:
        """Read-only bool array (height, width) of the ORIGINAL image; True = area to edit."""
        return self._model.mask

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) of the original image."""
        return self._image.size

    @property
    def coverage(self) -> float:
        """Fraction of the image covered by the mask (0–1)."""
        return self._model.coverage

    @property
    def model(self) -> MaskModel:
        """The underlying mask model (pure numpy; usable without Jupyter)."""
        return self._model

    @property
    def viewport(self) -> Viewport:
        """Current canvas↔image mapping (display scale, zoom, pan)."""
        return self._view

    @property
    def brush_size(self) -> float:
        return float(self.size_slider.value)

    @brush_size.setter
    def brush_size(self, value: float) -> None:
        self.size_slider.value = _brush_size(value, 10 ** self.size_slider.max)

    @property
    def tool(self) -> str:
        return self.tool_toggle.value

    @tool.setter
    def tool(self, value: str) -> None:
        if value not in dict((v, k) for k, v in _TOOLS):
            raise PainterError(f"unknown tool {value!r}", hint="use 'brush', 'eraser' or 'pan'")
        self.tool_toggle.value = value

    def mask_png(self, *, dilate: int = 0, feather: float = 0.0) -> bytes:
        """Lossless single-channel PNG of the original size, values 0/255 (soft only with ``feather``)."""
        return self._model.to_png(dilate=dilate, feather=feather)

    def mask_image(self, *, dilate: int = 0, feather: float = 0.0) -> Image.Image:
        """The mask as a PIL ``"L"`` image of the original size."""
        return self._model.to_image(dilate=dilate, feather=feather)

    def paint(self, points: Iterable[Sequence[float]], size: float | None = None, erase: bool = False) -> None:
        """Paint one stroke through ``points`` (image pixels), exactly as a mouse drag would."""
        pts = [self._point(p) for p in points]
        if not pts:
            return
        self._begin(self.brush_size if size is None else size, erase)
        try:
            for x, y in pts:
                self._extend(x, y)
        finally:
            self._finish()
            self._flush()

    def load_mask(self, mask: Any) -> None:
        """Replace the mask (bool/uint8 array, PIL image, path or PNG bytes of the image's size)."""
        self._end_stroke_if_any()
        self._changed(self._model.load(mask))

    def clear(self) -> None:
        """Empty the mask (undoable)."""
        self._end_stroke_if_any()
        self._changed(self._model.clear())

    def invert(self) -> None:
        """Swap masked and unmasked areas (undoable)."""
        self._end_stroke_if_any()
        self._changed(self._model.invert())

    def undo(self) -> None:
        """Undo the last stroke or operation (a whole stroke is one step)."""
        self._end_stroke_if_any()
        self._changed(self._model.undo())

    def redo(self) -> None:
        """Redo the last undone step."""
        self._end_stroke_if_any()
        self._changed(self._model.redo())

    def zoom(self, factor: float, anchor: tuple[float, float] | None = None) -> None:
        """Zoom the view by ``factor`` around canvas point ``anchor`` (default: centre)."""
        self._set_view(self._view.zoomed(factor, anchor))

    def fit(self) -> None:
        """Show the whole image."""
        self._set_view(self._view.reset())

    def set_view(self, zoom: float, pan: tuple[float, float] = (0.0, 0.0)) -> None:
        """Set zoom (1 = fit) and pan (image point at the canvas's top-left corner)."""
        self._set_view(self._view.at(zoom, pan))

    def __repr__(self) -> str:
        w, h = self._image.size
        return (f"MaskPainter({w}×{h}, brush {self.brush_size:.0f} px, "
                f"mask {100 * self.coverage:.1f} %, version {self.version})")

    # ------------------------------------------------------------------ stroke pipeline
    # mouse, touch and paint() all go through _begin -> _extend* -> _finish -> _flush
    def _begin(self, size: float, erase: bool) -> None:
        self._end_stroke_if_any()
        self._model.begin_stroke(size, erase)
        self._stroke_tool = "eraser" if erase else "brush"

    def _extend(self, ix: float, iy: float) -> None:
        self._dirty = _union(self._dirty, self._model.stroke_to(ix, iy))

    def _finish(self) -> None:
        self._stroke_tool = None
        if self._model.end_stroke():
            self.set_trait("version", self.version + 1)

    def _end_stroke_if_any(self) -> None:
        if self._model.in_stroke:
            self._finish()
            self._flush()

    def _changed(self, box: BBox | None) -> None:
        if box is not None:
            self._dirty = _union(self._dirty, box)
            self.set_trait("version", self.version + 1)
        self._flush()

    def _flush(self) -> None:
        """Send the overlay of the dirty region (and the readout) in one batch."""
        box, self._dirty = self._dirty, None
        if box is not None:
            rect = self._view.canvas_rect(box)
            if rect is not None:
                with _held(self._manager):
                    self._draw_overlay_rect(rect)
        self._update_readout()

    # ------------------------------------------------------------------ drawing
    def _encode_display(self) -> bytes:
        buf = io.BytesIO()
        self._image.display.save(buf, "PNG", compress_level=1)
        return buf.getvalue()

    def _setup_client(self, *_: Any) -> None:
        """(Re)draw everything from Python state: at start, on page reload, in Voilà, new views."""
        # ipycanvas#322: a new frontend has no current canvas while Python thinks it does
        self._manager._current_canvas = None
        with _held(self._manager):
            self._draw_image_layer()
            self._draw_overlay_rect((0, 0) + self._view.canvas_size, clear_all=True)
            cur = self.canvas[2]
            cur.line_width = 1.5
            cur.stroke_style = "#ffffff"
            cur.shadow_color = "#000000"      # white ring with a dark halo: visible on any image
            cur.shadow_blur = 2
            self._draw_cursor(batch=False)

    def _draw_image_layer(self) -> None:
        c = self.canvas[0]
        cw, ch = self._view.canvas_size
        c.clear()
        c.fill_style = "#808080"
        c.fill_rect(0, 0, cw, ch)
        w, h = self._image.size
        x, y = self._view.to_canvas(0, 0)
        s = self._view.scale
        c.draw_image(self._img_widget, x, y, w * s, h * s)

    def _draw_overlay_rect(self, rect: tuple[int, int, int, int], clear_all: bool = False) -> None:
        x0, y0, x1, y1 = rect
        cols, rows, cvalid, rvalid = self._sample
        sub = self._model._mask[np.ix_(rows[y0:y1], cols[x0:x1])]
        sub &= rvalid[y0:y1, None] & cvalid[None, x0:x1]
        c = self.canvas[1]
        if clear_all:
            c.clear()
        else:
            c.clear_rect(x0, y0, x1 - x0, y1 - y0)
        if sub.any():     # Canvas.put_image_data would PNG-encode RGBA through PIL: 12× slower
            png = overlay_png(sub, self._color, round(255 * self.opacity_slider.value))
            self._manager.send_draw_command(c, _CANVAS_COMMANDS["putImageData"], [x0, y0], [png])

    def _redraw_overlay(self) -> None:
        with _held(self._manager):
            self._draw_overlay_rect((0, 0) + self._view.canvas_size, clear_all=True)

    def _draw_cursor(self, batch: bool = True) -> None:
        c = self.canvas[2]
        if batch:
            with _held(self._manager):
                self._draw_cursor(batch=False)
            return
        c.clear()
        if self._cursor is None or self.tool == "pan":
            return
        cx, cy = self._cursor
        rad = max(1.0, self.brush_size / 2.0 * self._view.scale)
        c.stroke_circle(cx, cy, rad)      # styles are set once per client in _setup_client

    def _set_view(self, view: Viewport) -> None:
        self._end_stroke_if_any()
        self._view = view
        self._sample = view.sample_indices()
        with _held(self._manager):
            self._draw_image_layer()
            self._draw_overlay_rect((0, 0) + view.canvas_size, clear_all=True)
            self._draw_cursor(batch=False)

    def _on_color(self, change: dict) -> None:
        self._color = self._parse_color(change["new"])
        self._redraw_overlay()

    def _update_readout(self) -> None:
        text = f"mask covers {100 * self._model.coverage:.1f} %"
        if text != self._readout_text:
            self._readout_text = text
            self.readout.value = f"<span style='margin-left:8px'>{text}</span>"
        for name, enabled in (("undo", self._model.can_undo), ("redo", self._model.can_redo)):
            if self.buttons[name].disabled == enabled:
                self.buttons[name].disabled = not enabled

    # ------------------------------------------------------------------ event handlers
    def _guarded(self, fn: Callable) -> Callable:
        """Run a UI handler; show any error in the widget instead of losing it in the log."""
        def handler(*args: Any) -> None:
            try:
                fn(*args)
            except Exception as exc:
                self._show_error(exc)
        return handler

    def _show_error(self, exc: BaseException) -> None:
        if isinstance(exc, ImgxError):
            text = f"{type(exc).__name__}: {exc}"
        else:
            last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
            where = f" (at {last[0].name}, line {last[0].lineno})" if last else ""
            text = f"internal error {type(exc).__name__}: {exc}{where}"
        self.status.value = (f"<div style='color:#b00020;font-family:monospace;white-space:pre-wrap'>"
                             f"⚠ {html.escape(text)}</div>")
        self.status.layout.display = None
        self.last_error = exc

    def _clear_error(self) -> None:
        if self.status.layout.display != "none":
            self.status.value = ""
            self.status.layout.display = "none"

    def _on_mouse_down(self, x: float, y: float) -> None:
        self._clear_error()
        self._cursor = (x, y)
        if self.tool == "pan":
            self._pan_last = (x, y)
            return
        self._begin(self.brush_size, self.tool == "eraser")
        self._extend(*self._view.to_image(x, y))
        self._flush()

    def _on_mouse_move(self, x: float, y: float) -> None:
        self._cursor = (x, y)
        if self._pan_last is not None:
            lx, ly = self._pan_last
            self._pan_last = (x, y)
            self._set_view(self._view.panned(lx - x, ly - y))
            return
        if self._model.in_stroke:
            self._extend(*self._view.to_image(x, y))
            box, self._dirty = self._dirty, None
            rect = self._view.canvas_rect(box) if box is not None else None
            with _held(self._manager):
                if rect is not None:
                    self._draw_overlay_rect(rect)
                self._draw_cursor(batch=False)
        else:
            self._draw_cursor()

    def _on_mouse_up(self, x: float, y: float) -> None:
        self._pan_last = None
        if self._model.in_stroke:
            self._extend(*self._view.to_image(x, y))
            self._finish()
            self._flush()

    def _on_mouse_out(self, _x: float, _y: float) -> None:   # ipycanvas passes the position
        self._pan_last = None
        self._cursor = None
        if self._model.in_stroke:
            self._finish()
            self._flush()
        self._draw_cursor()

    def _on_wheel(self, dx: float, dy: float) -> None:
        if self._view.zoom > 1.0:
            self._set_view(self._view.panned(dx, dy))

    def _on_touch_start(self, touches: list) -> None:
        if len(touches) != 1:          # a second finger: stop painting (pinch is not painting)
            self._end_stroke_if_any()
            self._pan_last = None
            return
        self._on_mouse_down(*touches[0])

    def _on_touch_move(self, touches: list) -> None:
        if touches and (self._model.in_stroke or self._pan_last is not None):
            self._on_mouse_move(*touches[0])

    def _on_touch_end(self, touches: list) -> None:
        if touches:                    # fingers remain on the canvas
            return
        self._pan_last = None
        self._cursor = None
        self._end_stroke_if_any()
        self._draw_cursor()

    def _on_key(self, key: str, shift: bool, ctrl: bool, meta: bool) -> None:
        mod = ctrl or meta
        k = key.lower()
        if mod and k == "z":
            self.redo() if shift else self.undo()
        elif mod and k == "y":
            self.redo()
        elif mod:
            return
        elif k == "b":
            self.tool = "brush"
        elif k == "e":
            self.tool = "eraser"
        elif key == "[":
            self.brush_size = max(1.0, self.brush_size / 1.25)
        elif key == "]":
            self.brush_size = min(10 ** self.size_slider.max, self.brush_size * 1.25)
        elif key in ("+", "="):
            self.zoom(_ZOOM_STEP, self._cursor)
        elif key in ("-", "_"):
            self.zoom(1 / _ZOOM_STEP, self._cursor)
        elif key == "0":
            self.fit()

    def _on_key_msg(self, _widget: Any, msg: dict, _buffers: Any) -> None:
        self._on_key(str(msg.get("key", "")), bool(msg.get("shift")), bool(msg.get("ctrl")), bool(msg.get("meta")))

    def _button(self, name: str) -> None:
        self._clear_error()
        if name == "zoom_in":
            self.zoom(_ZOOM_STEP)
        elif name == "zoom_out":
            self.zoom(1 / _ZOOM_STEP)
        else:
            getattr(self, name)()

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _parse_color(color: str) -> tuple[int, int, int]:
        try:
            return ImageColor.getrgb(color)[:3]
        except (ValueError, AttributeError, TypeError):
            raise PainterError(f"{color!r} is not a colour", hint="use a CSS name or '#rrggbb'") from None

    @staticmethod
    def _point(p: Sequence[float]) -> tuple[float, float]:
        try:
            x, y = p
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            raise PainterError(f"a stroke point must be an (x, y) pair of numbers, got {p!r}",
                               hint="paint([(x0, y0), (x1, y1), ...]) in image pixels") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise PainterError(f"stroke point ({x}, {y}) is not finite", hint="use image pixel coordinates")
        return (x, y)


MAX_BRUSH = 65536.0      # brush diameter bound (image px)
_CSS_LENGTH = re.compile(r"(?:\d+(?:\.\d+)?(?:px|%|em|rem|vw|vh|ch|pt|cm|mm|in)|auto|0)").fullmatch


def _brush_size(value: Any, most: float) -> float:
    """A brush diameter in image pixels: a finite number in [1, most]."""
    size = _number(value, "brush_size", "a brush diameter in image pixels, e.g. brush_size=20")
    if not (math.isfinite(size) and 1.0 <= size <= most):
        raise PainterError(f"brush_size must be between 1 and {most:.0f} image pixels, got {size!r}",
                           hint="e.g. MaskPainter(image, brush_size=20)")
    return size
