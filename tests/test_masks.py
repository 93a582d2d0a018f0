"""Unit tests of the pure mask model (imgx_kit.services.masks): no Jupyter involved."""
from __future__ import annotations

import io
import math
from itertools import pairwise

import numpy as np
import pytest
from PIL import Image

from imgx_kit.core.errors import ImgxError, PainterError
from imgx_kit.services.masks import (
    MaskModel,
    PainterImage,
    Viewport,
    capsule,
    export_mask,
    load_painter_image,
    mask_from_any,
)


def expected_capsules(w, h, points, r):
    """Independent brute-force reference: pixel centres within r of the polyline."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    out = np.zeros((h, w), bool)
    pts = list(points)
    if len(pts) == 1:
        pts = pts * 2
    for (ax, ay), (bx, by) in pairwise(pts):
        dx, dy = bx - ax, by - ay
        l2 = dx * dx + dy * dy
        t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / l2, 0, 1) if l2 else 0.0
        out |= (xs - ax - t * dx) ** 2 + (ys - ay - t * dy) ** 2 <= r * r
    return out


# ------------------------------------------------------------------ rasterisation
def test_single_dab_is_exact_disc():
    m = MaskModel(40, 30)
    box = m.stroke([(20.5, 15.5)], size=7)
    want = expected_capsules(40, 30, [(20.5, 15.5)], 3.5)
    assert np.array_equal(m.mask, want)
    assert m.count == int(want.sum()) == 37
    assert box == (17, 12, 24, 19)


def test_stroke_equals_reference_capsules():
    pts = [(5.2, 7.9), (60.7, 12.1), (30.3, 44.4), (31.0, 44.0)]
    m = MaskModel(80, 50)
    m.stroke(pts, size=9)
    assert np.array_equal(m.mask, expected_capsules(80, 50, pts, 4.5))


def test_fast_stroke_is_interpolated_without_gaps():
    # two events 900 px apart (a very fast flick) must give one continuous band
    m = MaskModel(1000, 40)
    m.stroke([(20, 20), (980, 20)], size=10)
    row = m.mask[20]
    assert row[15:985].all() and not row[:14].any() and not row[986:].any()
    assert np.array_equal(m.mask, expected_capsules(1000, 40, [(20, 20), (980, 20)], 5))


def test_long_diagonal_split_matches_single_capsule():
    m = MaskModel(300, 300)
    m.stroke([(3, 4), (297, 290)], size=5)
    assert np.array_equal(m.mask, expected_capsules(300, 300, [(3, 4), (297, 290)], 2.5))


def test_size_one_marks_the_pixel_under_the_point():
    m = MaskModel(5, 5)
    m.stroke([(2.0, 3.0)], size=1)   # exactly on a pixel corner
    assert m.count >= 1 and m.mask[2:4, 1:3].sum() == m.count


def test_capsule_helper_values():
    assert capsule(0, 0, 5, 3, 1.5, 1.5, 3.5, 1.5, 1.0).astype(int).tolist() == [
        [0, 1, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 0]]


def test_strokes_are_clipped_at_the_border():
    m = MaskModel(20, 10)
    assert m.stroke([(-50, -50), (-30, -40)], size=4) is None
    assert m.count == 0 and not m.can_undo
    m.stroke([(-3, 5), (2, 5)], size=4)
    assert np.array_equal(m.mask, expected_capsules(20, 10, [(-3, 5), (2, 5)], 2))


# ------------------------------------------------------------------ brush and eraser
def test_eraser_removes_exactly_its_capsule():
    m = MaskModel(60, 40)
    m.stroke([(5, 20), (55, 20)], size=20)
    before = m.mask.copy()
    m.stroke([(30, 0), (30, 40)], size=6, erase=True)
    want = before & ~expected_capsules(60, 40, [(30, 0), (30, 40)], 3)
    assert np.array_equal(m.mask, want)
    assert m.count == int(want.sum())


def test_count_tracks_mask_through_every_operation():
    rng = np.random.default_rng(1)
    m = MaskModel(120, 90)
    for i in range(30):
        pts = rng.uniform(-10, 130, size=(4, 2))
        m.stroke(pts, size=float(rng.uniform(1, 25)), erase=bool(i % 3 == 2))
        assert m.count == int(m.mask.sum())
    for op in (m.invert, m.undo, m.undo, m.redo, m.clear, m.undo):
        op()
        assert m.count == int(m.mask.sum())


# ------------------------------------------------------------------ undo / redo / clear / invert
def test_undo_redo_restore_exact_states():
    m = MaskModel(100, 80)
    states = [m.mask.copy()]
    m.stroke([(10, 10), (90, 70)], size=12)
    states.append(m.mask.copy())
    m.stroke([(50, 0), (50, 80)], size=8, erase=True)
    states.append(m.mask.copy())
    m.invert()
    states.append(m.mask.copy())
    m.load(np.eye(80, 100, dtype=bool))
    states.append(m.mask.copy())
    m.clear()
    states.append(m.mask.copy())
    for i in range(len(states) - 1, 0, -1):
        assert np.array_equal(m.mask, states[i])
        assert m.undo() is not None
    assert np.array_equal(m.mask, states[0]) and m.count == 0
    assert m.undo() is None
    for i in range(1, len(states)):
        assert m.redo() is not None
        assert np.array_equal(m.mask, states[i])
    assert m.redo() is None


def test_a_stroke_is_one_undo_step_and_new_stroke_drops_redo():
    m = MaskModel(50, 50)
    m.stroke([(5, 5), (20, 20), (45, 5), (45, 45)], size=5)
    assert m.undo_depth == 1
    m.undo()
    assert m.can_redo
    m.stroke([(1, 1), (2, 2)], size=3)
    assert not m.can_redo and m.undo_depth == 1


def test_undo_keeps_at_least_50_steps_with_bounded_memory():
    m = MaskModel(2000, 1500)
    for i in range(120):
        m.stroke([(10 + 15 * i, 100), (10 + 15 * i, 1400)], size=9)
    assert m.undo_depth == 100
    assert m.history_bytes < 2_000_000   # full-mask copies would be 120 × 3 MB
    n = 0
    while m.undo() is not None:
        n += 1
    assert n == 100
    # the 20 oldest strokes remain (their history was dropped), nothing else
    want = MaskModel(2000, 1500)
    for i in range(20):
        want.stroke([(10 + 15 * i, 100), (10 + 15 * i, 1400)], size=9)
    assert np.array_equal(m.mask, want.mask)


def test_undo_byte_cap_drops_oldest_but_keeps_newest():
    m = MaskModel(256, 256, max_undo=100, max_undo_bytes=1)
    m.stroke([(10, 10)], size=5)
    m.stroke([(100, 100)], size=5)
    assert m.undo_depth == 1
    m.undo()
    assert m.mask[10, 10] and not m.mask[100, 100]


def test_clear_and_invert():
    m = MaskModel(30, 20)
    assert m.clear() is None and not m.can_undo          # nothing to clear: no step
    m.stroke([(10, 10)], size=6)
    disc = int(expected_capsules(30, 20, [(10, 10)], 3).sum())
    assert disc == 32
    assert m.invert() == (0, 0, 30, 20)
    assert m.count == 600 - disc and not m.mask[10, 10]
    assert m.clear() == (0, 0, 30, 20) and m.count == 0
    m.undo()
    assert m.count == 600 - disc
    m.undo()
    assert m.count == disc and m.mask[10, 10]


# ------------------------------------------------------------------ export
def test_mask_png_is_lossless_single_channel_0_255_original_size():
    m = MaskModel(333, 211)
    m.stroke([(10, 10), (300, 200)], size=17)
    data = m.to_png()
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG" and img.mode == "L" and img.size == (333, 211)
    a = np.asarray(img)
    assert set(np.unique(a).tolist()) == {0, 255}
    assert np.array_equal(a == 255, m.mask)
    assert m.to_image().mode == "L" and m.to_image().size == (333, 211)


def test_empty_and_full_png_values():
    m = MaskModel(8, 4)
    assert set(np.unique(np.asarray(Image.open(io.BytesIO(m.to_png())))).tolist()) == {0}
    m.invert()
    assert set(np.unique(np.asarray(Image.open(io.BytesIO(m.to_png())))).tolist()) == {255}


def test_dilate_and_feather():
    m = np.zeros((21, 21), bool)
    m[10, 10] = True
    d = export_mask(m, dilate=3)
    assert np.array_equal(d == 255, expected_capsules(21, 21, [(10.5, 10.5)], 3.0))
    assert set(np.unique(d).tolist()) == {0, 255}
    e = export_mask(d == 255, dilate=-3)
    assert np.array_equal(e == 255, m)
    f = export_mask(d == 255, feather=2.0)
    assert f.dtype == np.uint8 and f[10, 10] > f[10, 13] > f[10, 15] > 0 and f[0, 0] == 0
    with pytest.raises(PainterError):
        export_mask(m, feather=-1)


# ------------------------------------------------------------------ load_mask
def test_load_mask_accepts_arrays_images_and_png_bytes():
    m = MaskModel(40, 30)
    a = np.zeros((30, 40), bool)
    a[5:10, 20:30] = True
    m.load(a)
    assert np.array_equal(m.mask, a) and m.count == 50
    m.load((a * 255).astype(np.uint8))
    assert np.array_equal(m.mask, a)
    m.load(Image.fromarray((a * 255).astype(np.uint8), "L"))
    assert np.array_equal(m.mask, a)
    m2 = MaskModel(40, 30)
    m2.load(m.to_png())
    assert np.array_equal(m2.mask, a)
    assert np.array_equal(mask_from_any(a.astype(np.float32), (40, 30)), a)


@pytest.mark.parametrize("bad", [np.zeros((30, 41), bool), np.zeros((31, 40), np.uint8),
                                 Image.new("L", (30, 40))])
def test_load_mask_of_wrong_size_raises_clear_error(bad):
    m = MaskModel(40, 30)
    with pytest.raises(PainterError) as ei:
        m.load(bad)
    msg = str(ei.value)
    assert "40×30" in msg and "image" in msg and "resize" in msg
    assert isinstance(ei.value, ImgxError)
    assert m.count == 0 and not m.can_undo


def test_load_mask_rejects_non_masks():
    m = MaskModel(4, 4)
    with pytest.raises(PainterError):
        m.load(np.zeros((4, 4, 7)))
    with pytest.raises(PainterError):
        m.load(b"not a png")
    with pytest.raises(PainterError):
        m.load(object())


# ------------------------------------------------------------------ coordinate mapping
SCALES = [0.25, 0.5, 0.73, 1.0, 2.0]


@pytest.mark.parametrize("scale", SCALES)
def test_fit_viewport_scale(scale):
    v = Viewport.fit((800, 600), round(800 * scale))
    assert v.canvas_size == (round(800 * scale), round(600 * scale))
    assert v.fit_scale == pytest.approx(scale, rel=2e-3)
    assert v.to_image(0, 0) == (0.0, 0.0)
    x, y = v.to_image(*v.canvas_size)
    assert x == pytest.approx(800, abs=1) and y == pytest.approx(600, abs=1)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("zoom,pan", [(1.0, (0, 0)), (2.0, (100, 50)), (3.7, (412.5, 333.25))])
def test_mapping_with_zoom_and_pan(scale, zoom, pan):
    v = Viewport((800, 600), (round(800 * scale), round(600 * scale)))
    v = v.at(zoom, pan)
    s = v.fit_scale * zoom
    assert v.scale == pytest.approx(s)
    assert v.pan == pytest.approx(pan)                  # within the clamp range
    for cx, cy in [(0, 0), (10.5, 7.25), (v.canvas_size[0] - 1, v.canvas_size[1] / 2)]:
        ix, iy = v.to_image(cx, cy)
        assert ix == pytest.approx(cx / s + pan[0]) and iy == pytest.approx(cy / s + pan[1])
        assert v.to_canvas(ix, iy) == pytest.approx((cx, cy))


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("css_factor", [0.6, 1.0, 1.5])
def test_css_scaling_maps_to_image(scale, css_factor):
    v = Viewport.fit((800, 600), round(800 * scale)).at(2.0, (100, 80))
    cw, ch = v.canvas_size
    css_w, css_h = cw * css_factor, ch * css_factor
    # a click at 25 % / 40 % of the displayed element
    ix, iy = v.css_to_image(0.25 * css_w, 0.4 * css_h, css_w, css_h)
    assert ix == pytest.approx(100 + 0.25 * cw / v.scale)
    assert iy == pytest.approx(80 + 0.4 * ch / v.scale)


@pytest.mark.parametrize("scale", SCALES)
def test_stroke_through_mapping_hits_the_right_pixels(scale):
    v = Viewport.fit((400, 300), round(400 * scale)).at(2.0, (50, 40))
    m = MaskModel(400, 300)
    canvas_pts = [(5, 5), (v.canvas_size[0] * 0.8, v.canvas_size[1] * 0.6)]
    img_pts = [v.to_image(*p) for p in canvas_pts]
    m.stroke(img_pts, size=10)
    assert np.array_equal(m.mask, expected_capsules(400, 300, img_pts, 5))
    assert m.mask[int(img_pts[0][1]), int(img_pts[0][0])]


def test_zoom_keeps_anchor_and_clamps():
    v = Viewport((800, 600), (400, 300))
    z = v.zoomed(2.0, anchor=(100, 100))
    assert z.to_image(100, 100) == pytest.approx(v.to_image(100, 100))
    assert z.zoomed(0.1).zoom == 1.0 and z.zoomed(0.1).pan == (0.0, 0.0)
    assert v.zoomed(1e6).scale == pytest.approx(16.0)
    p = z.panned(1e6, -1e6)
    assert p.pan == pytest.approx((400.0, 0.0))          # right edge reached, top clamped
    assert p.visible[2] == pytest.approx(800.0)


def test_canvas_rect_and_sampling():
    v = Viewport((800, 600), (400, 300))
    assert v.canvas_rect((100, 100, 120, 110)) == (49, 49, 61, 56)
    assert v.canvas_rect((-50, -50, -10, -10)) is None
    cols, rows, cv, rv = v.sample_indices()
    assert cols[0] == 1 and cols[-1] == 799 and rows[150] == 301 and cv.all() and rv.all()


# ------------------------------------------------------------------ image inputs
def test_inputs_rgb_gray_paths_bytes(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (30, 50, 3), dtype=np.uint8)
    for src in (rgb, Image.fromarray(rgb), rgb[..., 0], np.moveaxis(rgb, -1, 0)):
        pi = load_painter_image(src)
        assert isinstance(pi, PainterImage) and pi.size == (50, 30) and pi.display.mode == "RGB"
    assert np.array_equal(np.asarray(load_painter_image(rgb).display), rgb)
    path = tmp_path / "x.png"
    Image.fromarray(rgb).save(path)
    assert load_painter_image(path).size == (50, 30)
    assert load_painter_image(str(path)).size == (50, 30)
    assert load_painter_image(path.read_bytes()).size == (50, 30)


def test_sixteen_bit_images_are_scaled():
    a16 = (np.arange(64 * 32, dtype=np.uint16).reshape(32, 64) * 32)
    for src in (a16, Image.fromarray(a16)):
        pi = load_painter_image(src)
        d = np.asarray(pi.display)[..., 0]
        assert pi.size == (64, 32)
        assert d[0, 0] == 0 and d[-1, -1] == (2047 * 32) >> 8
    buf = io.BytesIO()
    Image.fromarray(a16).save(buf, "PNG")
    assert load_painter_image(buf.getvalue()).size == (64, 32)


def test_alpha_and_palette_images():
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:8, :, 3] = 255                               # bottom half transparent
    d = np.asarray(load_painter_image(rgba).display)
    assert d.shape == (16, 16, 3) and tuple(d[0, 0]) == (255, 0, 0)
    assert tuple(d[12, 0]) in ((204, 204, 204), (153, 153, 153))   # checkerboard shows through
    pal = Image.fromarray(rgba[..., :3]).convert("P", palette=Image.Palette.ADAPTIVE)
    assert load_painter_image(pal).display.mode == "RGB"
    pal.info["transparency"] = 0
    assert load_painter_image(pal).display.mode == "RGB"
    la = Image.new("LA", (5, 6))
    assert load_painter_image(la).size == (5, 6)
    assert load_painter_image(np.ones((4, 4), np.float32)).size == (4, 4)
    assert load_painter_image(np.ones((4, 4), bool)).size == (4, 4)


def test_huge_images_are_shown_downscaled_mask_full_size():
    big = Image.new("RGB", (9000, 40), (10, 20, 30))
    pi = load_painter_image(big, max_display=1536)
    assert pi.size == (9000, 40) and pi.downscaled
    assert max(pi.display.size) == 1536
    assert "shown at" in repr(pi)
    m = MaskModel(*pi.size)
    assert m.mask.shape == (40, 9000)


@pytest.mark.parametrize("bad,needle", [
    (b"", "empty"), (b"GIF89a-garbage", "not an image"), ("/nonexistent/x.png", "does not exist"),
    (np.zeros((0, 10, 3), np.uint8), "zero size"), (np.zeros((5, 5, 7)), "not an image"),
    (np.array([[np.nan]]), "NaN"), (12345, "cannot paint on"), (np.zeros(5), "not an image"),
    (np.full((3, 3), -1, np.int16), "negative"),
])
def test_bad_inputs_raise_painter_error(bad, needle):
    with pytest.raises(PainterError) as ei:
        load_painter_image(bad)
    assert needle in str(ei.value)
    assert ei.value.hint


def test_zero_size_pil_and_limits():
    with pytest.raises(PainterError, match="zero size"):
        load_painter_image(Image.new("RGB", (0, 5)))
    with pytest.raises(PainterError, match="megapixels"):
        MaskModel(40000, 10)
    with pytest.raises(PainterError, match="megapixels"):
        MaskModel(20000, 20000)
    with pytest.raises(PainterError):
        MaskModel(0, 10)


def test_bad_stroke_arguments():
    m = MaskModel(10, 10)
    with pytest.raises(PainterError):
        m.stroke([(1, 2, 3)], size=3)
    with pytest.raises(PainterError):
        m.stroke([(1, 2)], size=0)
    with pytest.raises(PainterError):
        m.stroke([(math.nan, 2)], size=3)
    with pytest.raises(PainterError):
        m.stroke_to(1, 1)
    assert m.count == 0 and not m.in_stroke


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (9, 1), (17, 33)])
def test_png_encoder_round_trips_any_shape(shape):
    from imgx_kit.services.masks import encode_gray_png

    a = (np.random.default_rng(3).random(shape) < 0.5).astype(np.uint8) * 255
    img = Image.open(io.BytesIO(encode_gray_png(a)))
    assert img.mode == "L" and img.size == (shape[1], shape[0])
    assert np.array_equal(np.asarray(img), a)
    with pytest.raises(PainterError):
        encode_gray_png(a.astype(np.uint16))


def test_premultiplied_and_lab_images():
    la = Image.merge("La", [Image.new("L", (4, 3), 200), Image.new("L", (4, 3), 255)])
    p = load_painter_image(la)
    assert p.display.mode == "RGB" and p.display.getpixel((0, 0)) == (200, 200, 200)
    assert mask_from_any(la, (4, 3)).all()                      # L channel 200 ≥ 128
    with pytest.raises(PainterError, match="mode LAB cannot be shown without a colour conversion"):
        load_painter_image(Image.new("LAB", (4, 3)))
    lab = Image.merge("LAB", [Image.new("L", (4, 3), v) for v in (255, 128, 128)])
    assert mask_from_any(lab, (4, 3)).all()                     # lightness decides


@pytest.mark.parametrize("call, needle", [
    (lambda: load_painter_image("x" * 5000), "does not exist"),
    (lambda: mask_from_any("x" * 5000, (4, 3)), "does not exist"),
    (lambda: load_painter_image(np.zeros((3, 4), np.uint8), max_display="x"), "max_display must be a number, not str"),
    (lambda: load_painter_image(np.zeros((3, 4), np.uint8), max_display=math.nan),
     "max_display must be a whole number"),
    (lambda: mask_from_any(np.zeros((3, 4), bool), 5), "size=5 is not a (width, height) pair"),
    (lambda: mask_from_any(np.zeros((3, 4), bool), "43"), "size='43' is not a (width, height) pair"),
    (lambda: MaskModel("x", 3), "width must be a number, not str 'x'"),
    (lambda: MaskModel(10.5, 3), "width must be a whole number, not 10.5"),
    (lambda: MaskModel(10, 3, max_undo="many"), "max_undo must be a number"),
    (lambda: MaskModel(10, 10).stroke([("a", 1)], size=3), "stroke point x must be a number, not str 'a'"),
    (lambda: MaskModel(10, 10).stroke([(1, 1)], size="20"), "brush size must be a number, not str '20'"),
])
def test_odd_arguments_raise_painter_error(call, needle):
    with pytest.raises(PainterError) as ei:
        call()
    assert needle in str(ei.value) and ei.value.hint


def test_numpy_numbers_are_accepted():
    m = MaskModel(np.int64(10), np.float64(8.0))
    assert (m.width, m.height) == (10, 8)
    assert m.stroke([(np.float32(2.5), np.int32(2))], size=np.float64(3)) is not None
