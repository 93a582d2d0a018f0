"""MaskPainter widget tests without a browser: ipycanvas frontend messages are fed directly."""
from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from ipycanvas.canvas import _CANVAS_MANAGER
from PIL import Image

import imgx_kit as ik
from imgx_kit.core.errors import PainterError
from imgx_kit.widgets.painter import MaskPainter


def expected_capsules(w, h, points, r):
    """Brute-force reference: pixel centres within r of the polyline through ``points``."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    out = np.zeros((h, w), bool)
    pts = list(points) if len(points) > 1 else list(points) * 2
    for (ax, ay), (bx, by) in itertools.pairwise(pts):
        dx, dy = bx - ax, by - ay
        l2 = dx * dx + dy * dy
        t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / l2, 0, 1) if l2 else 0.0
        out |= (xs - ax - t * dx) ** 2 + (ys - ay - t * dy) ** 2 <= r * r
    return out


def send(p, event, x=None, y=None, **extra):
    """Deliver an ipycanvas frontend event to the layer that receives events (the last one)."""
    content = {"event": event, **extra}
    if x is not None:
        content.update(x=x, y=y)
    p.canvas[-1]._handle_frontend_event(None, content, [])


def drag(p, canvas_points):
    send(p, "mouse_down", *canvas_points[0])
    for pt in canvas_points[1:]:
        send(p, "mouse_move", *pt)
    send(p, "mouse_up", *canvas_points[-1])


@pytest.fixture
def image():
    return np.full((300, 400, 3), 90, np.uint8)


def test_lazy_export_and_layout(image):
    assert ik.MaskPainter is MaskPainter
    p = MaskPainter(image, brush_size=20, display_size=200)
    assert p.canvas.width == 200 and p.canvas.height == 150
    assert len(p.canvas._canvases) == 3
    assert p.mask.shape == (300, 400) and p.mask.dtype == bool and not p.mask.any()
    assert "imgx-painter-canvas" in p.canvas._dom_classes
    assert repr(p) == "MaskPainter(400×300, brush 20 px, mask 0.0 %, version 0)"
    assert set(p.buttons) == {"undo", "redo", "clear", "invert", "zoom_in", "zoom_out", "fit"}
    assert "mask covers 0.0 %" in p.readout.value


@pytest.mark.parametrize("display_size", [100, 200, 292, 400, 800])   # scales .25 .5 .73 1 2
def test_mouse_drag_maps_canvas_to_image_pixels(image, display_size):
    p = MaskPainter(image, brush_size=24, display_size=display_size)
    s = p.viewport.scale
    canvas_pts = [(10 * s, 20 * s), (300 * s, 40 * s), (350 * s, 250 * s)]
    drag(p, canvas_pts)
    img_pts = [(x / s, y / s) for x, y in canvas_pts]
    assert np.array_equal(p.mask, expected_capsules(400, 300, img_pts, 12))
    assert p.version == 1


def test_mouse_path_equals_paint_path(image):
    p1 = MaskPainter(image, brush_size=15, display_size=292)
    p2 = MaskPainter(image, brush_size=15, display_size=292)
    v = p1.viewport
    canvas_pts = [(3.3, 4.4), (100.25, 20.5), (150.0, 180.75), (151.0, 181.0)]
    drag(p1, canvas_pts)
    p2.paint([v.to_image(*c) for c in canvas_pts])
    assert np.array_equal(p1.mask, p2.mask) and p1.mask.any()
    assert p1.version == p2.version == 1
    assert p1.model.undo_depth == p2.model.undo_depth == 1


def test_zoom_and_pan_mapping_in_widget(image):
    p = MaskPainter(image, brush_size=10, display_size=200)    # scale 0.5
    p.set_view(2.0, (100, 60))                                 # scale 1, top-left = (100, 60)
    assert p.viewport.scale == pytest.approx(1.0)
    drag(p, [(10, 10), (50, 10)])
    assert np.array_equal(p.mask, expected_capsules(400, 300, [(110, 70), (150, 70)], 5))
    p.buttons["fit"].click()
    assert p.viewport.zoom == 1.0 and p.viewport.pan == (0.0, 0.0)
    p.buttons["zoom_in"].click()
    assert p.viewport.zoom == pytest.approx(1.5)
    p.buttons["zoom_out"].click()
    assert p.viewport.zoom == pytest.approx(1.0)


def test_pan_tool_and_wheel(image):
    p = MaskPainter(image, brush_size=10, display_size=200)
    p.set_view(2.0, (0, 0))
    p.tool = "pan"
    drag(p, [(100, 100), (80, 90)])            # drag left/up -> view moves right/down
    assert p.viewport.pan == pytest.approx((20.0, 10.0))
    assert not p.mask.any() and p.version == 0
    send(p, "mouse_wheel", 10, 0)
    assert p.viewport.pan == pytest.approx((30.0, 10.0))


def test_eraser_toggle_and_version_observable(image):
    p = MaskPainter(image, brush_size=40, display_size=400)
    seen = []
    p.observe(lambda c: seen.append(c["new"]), "version")
    drag(p, [(50, 150), (350, 150)])
    p.tool_toggle.value = "eraser"
    drag(p, [(200, 0), (200, 299)])
    want = expected_capsules(400, 300, [(50, 150), (350, 150)], 20) & \
        ~expected_capsules(400, 300, [(200, 0), (200, 299)], 20)
    assert np.array_equal(p.mask, want)
    assert seen == [1, 2]
    p.paint([(10, 10)], size=5, erase=False)
    assert seen == [1, 2, 3]
    assert p.tool == "eraser"     # paint() does not change the UI tool


def test_toolbar_buttons(image):
    p = MaskPainter(image, brush_size=20, display_size=400)
    assert p.buttons["undo"].disabled and p.buttons["redo"].disabled
    p.paint([(100, 100), (200, 100)])
    one = p.mask.copy()
    assert not p.buttons["undo"].disabled
    p.buttons["invert"].click()
    assert np.array_equal(p.mask, ~one)
    p.buttons["undo"].click()
    assert np.array_equal(p.mask, one)
    assert not p.buttons["redo"].disabled
    p.buttons["redo"].click()
    assert np.array_equal(p.mask, ~one)
    p.buttons["clear"].click()
    assert not p.mask.any()
    p.buttons["undo"].click()
    assert np.array_equal(p.mask, ~one)
    assert p.version == 6
    pct = 100 * (~one).sum() / one.size
    assert f"mask covers {pct:.1f} %" in p.readout.value


def test_keyboard_shortcuts(image):
    p = MaskPainter(image, brush_size=20, display_size=400)
    def key(k, shift=False, ctrl=False):
        send(p, "key_down", key=k, shift_key=shift, ctrl_key=ctrl, meta_key=False)

    key("e")
    assert p.tool == "eraser"
    key("b")
    assert p.tool == "brush"
    key("]")
    assert p.brush_size == pytest.approx(25)
    key("[")
    assert p.brush_size == pytest.approx(20)
    drag(p, [(10, 10), (30, 30)])
    key("z", ctrl=True)
    assert not p.mask.any()
    key("Z", shift=True, ctrl=True)
    assert p.mask.any()
    key("z", ctrl=True)
    key("y", ctrl=True)
    assert p.mask.any()
    key("+")
    assert p.viewport.zoom == pytest.approx(1.5)
    key("0")
    assert p.viewport.zoom == 1.0


def test_stroke_ends_on_mouse_out_and_touch(image):
    p = MaskPainter(image, brush_size=10, display_size=400)
    send(p, "mouse_down", 10, 10)
    send(p, "mouse_move", 60, 10)
    send(p, "mouse_out", 500, 10)
    assert p.version == 1 and not p.model.in_stroke
    send(p, "mouse_move", 60, 100)                         # hover after leaving: no paint
    assert not p.mask[100, 60]
    send(p, "touch_start", touches=[{"x": 10, "y": 200}])
    send(p, "touch_move", touches=[{"x": 100, "y": 200}])
    send(p, "touch_end", touches=[])
    assert p.version == 2
    assert np.array_equal(p.mask, expected_capsules(400, 300, [(10, 10), (60, 10)], 5)
                          | expected_capsules(400, 300, [(10, 200), (100, 200)], 5))
    send(p, "touch_start", touches=[{"x": 10, "y": 250}, {"x": 50, "y": 250}])   # two fingers
    send(p, "touch_end", touches=[])
    assert p.version == 2


def test_undo_mid_stroke_finishes_stroke_first(image):
    p = MaskPainter(image, brush_size=10, display_size=400)
    send(p, "mouse_down", 10, 10)
    send(p, "mouse_move", 100, 10)
    p.undo()
    assert not p.mask.any() and p.model.can_redo and p.version == 2


def test_handler_error_is_shown_and_hold_canvas_not_stuck(image, monkeypatch):
    p = MaskPainter(image, brush_size=10, display_size=400)

    def boom(*a, **k):
        raise RuntimeError("overlay exploded")

    monkeypatch.setattr(p, "_draw_overlay_rect", boom)
    send(p, "mouse_down", 10, 10)                         # raises inside hold_canvas
    assert _CANVAS_MANAGER._caching is False
    assert _CANVAS_MANAGER._commands_cache == []
    assert "overlay exploded" in p.status.value and p.status.layout.display is None
    assert isinstance(p.last_error, RuntimeError)
    monkeypatch.undo()
    send(p, "mouse_up", 10, 10)
    send(p, "mouse_down", 20, 20)                         # next action works and clears the error
    send(p, "mouse_up", 20, 20)
    assert p.status.layout.display == "none" and p.mask[20, 20]


def test_ui_error_from_bad_load_is_shown_not_raised_from_handlers(image):
    p = MaskPainter(image, display_size=400)
    with pytest.raises(PainterError, match="400×300"):
        p.load_mask(np.zeros((10, 10), bool))
    assert p.version == 0


def test_client_ready_redraws_and_resets_current_canvas(image, monkeypatch):
    p = MaskPainter(image, display_size=400)
    p.paint([(50, 50), (100, 100)], size=10)
    sent = []
    monkeypatch.setattr(type(_CANVAS_MANAGER), "_send_custom",
                        lambda self, cmd, buffers=[]: sent.append((cmd, len(buffers))))
    _CANVAS_MANAGER._current_canvas = p.canvas[1]        # stale state, as after a page reload
    send(p, "client_ready")
    assert len(sent) == 1                                  # one batch
    cmds, nbuf = sent[0]
    from ipycanvas.canvas import COMMANDS
    names = [c[0] for c in cmds]
    assert names[0] == COMMANDS["switchCanvas"]
    assert COMMANDS["drawImage"] in names and COMMANDS["putImageData"] in names
    assert nbuf == 1                                       # the overlay PNG


def test_mask_exports(image):
    p = MaskPainter(image, brush_size=30, display_size=200)
    p.paint([(20, 20), (380, 280)])
    img = Image.open(io.BytesIO(p.mask_png()))
    assert img.mode == "L" and img.size == (400, 300)
    assert set(np.unique(np.asarray(img)).tolist()) == {0, 255}
    assert np.array_equal(np.asarray(img) == 255, p.mask)
    assert p.mask_image().size == (400, 300)
    assert (np.asarray(p.mask_image(dilate=5)) == 255).sum() > p.mask.sum()
    assert not p.mask.flags.writeable


def test_load_mask_and_big_image_display():
    p = MaskPainter(Image.new("RGB", (9000, 30)), display_size=900)
    assert p.mask.shape == (30, 9000) and p.canvas.width == 900
    m = np.zeros((30, 9000), bool)
    m[:, 4000:5000] = True
    p.load_mask(m)
    assert np.array_equal(p.mask, m) and p.version == 1


@pytest.mark.parametrize("kwargs,needle", [({"brush_size": 0}, "brush_size"), ({"opacity": 2}, "opacity"),
                                           ({"color": "nope"}, "colour"), ({"display_size": 5}, "display_size")])
def test_bad_constructor_arguments(image, kwargs, needle):
    with pytest.raises(PainterError, match=needle):
        MaskPainter(image, **kwargs)


def test_bad_image_raises_painter_error():
    with pytest.raises(PainterError):
        MaskPainter("definitely-not-a-file.png")
    with pytest.raises(PainterError):
        MaskPainter(np.zeros((0, 0, 3), np.uint8))


def test_opacity_and_colour_redraw_overlay(image, monkeypatch):
    p = MaskPainter(image, display_size=400)
    p.paint([(10, 10)], size=20)
    calls = []
    def sent(canvas, name, args=(), buffers=()):     # the overlay patch goes out as a PNG: decode it with PIL
        if canvas is p.canvas[1] and buffers:
            calls.append((np.asarray(Image.open(io.BytesIO(buffers[0])).convert("RGBA")), *args))
    monkeypatch.setattr(p._manager, "send_draw_command", sent)
    p.opacity_slider.value = 1.0
    p.color_picker.value = "#00ff00"
    assert len(calls) == 2
    a, x, y = calls[-1]
    assert (x, y) == (0, 0) and a.shape == (300, 400, 4)
    assert tuple(a[10, 10]) == (0, 255, 0, 255) and tuple(a[200, 200]) == (0, 0, 0, 0)
