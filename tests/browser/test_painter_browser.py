"""MaskPainter in a real browser: Playwright + Debian chromium against JupyterLab and Voilà.

The canvas buffer is 400×300 for an 800×600 image (display scale 0.5) and is laid out 600 px
wide (CSS scale 1.5), at device pixel ratio 1 and 2. The mask is read back FROM THE KERNEL
(the notebook writes it on every version change) and compared with the capsules along the
mouse path at the original resolution. Then undo is clicked, the page reloaded, and a second
stroke painted (the ipycanvas reload bug #322 would leave the canvas dead).

    .venv/bin/pytest tests/browser -m browser -q
"""
from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from imgx_browser import wait_for
from painter_notebook import BRUSH, CSS_WIDTH, DISPLAY, IMG_H, IMG_W

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

CANVAS = "canvas.imgx-painter-canvas"
UNDO = "button.imgx-painter-undo"
STROKE_1 = [(0.10, 0.15), (0.85, 0.20), (0.80, 0.85)]     # fractions of the displayed canvas
STROKE_2 = [(0.20, 0.80), (0.50, 0.40), (0.90, 0.60)]


def expected_capsules(points, r):
    ys, xs = np.mgrid[0:IMG_H, 0:IMG_W].astype(np.float64) + 0.5
    out = np.zeros((IMG_H, IMG_W), bool)
    for (ax, ay), (bx, by) in pairwise(points):
        dx, dy = bx - ax, by - ay
        t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / (dx * dx + dy * dy), 0, 1)
        out |= (xs - ax - t * dx) ** 2 + (ys - ay - t * dy) ** 2 <= r * r
    return out


def iou(a, b):
    return (a & b).sum() / max(1, (a | b).sum())


def read_state(out: Path):
    try:
        return json.loads((out / "state.json").read_text())
    except (OSError, ValueError):
        return None


def kernel_mask(out: Path, version: int, run: str | None = None, timeout: float = 30.0):
    """Wait until the kernel published ``version`` (of run ``run``) and return its mask."""
    st = wait_for(lambda: (s := read_state(out)) and s["version"] == version and
                  (run is None or s["run"] == run) and s, timeout, f"kernel mask version {version}")
    mask = np.load(out / "mask.npy")
    assert mask.shape == (IMG_H, IMG_W) and mask.dtype == bool
    assert int(mask.sum()) == st["count"]
    return mask


def canvas_box(page):
    cv = page.wait_for_selector(CANVAS, state="visible", timeout=60_000)
    cv.scroll_into_view_if_needed()
    box = wait_for(lambda: (b := cv.bounding_box()) and b["width"] > 0 and b, 10, "canvas layout")
    # displayed CSS-scaled: 600 CSS px for a 400 px buffer
    assert abs(box["width"] - CSS_WIDTH) < 1.5 and abs(box["height"] - CSS_WIDTH * IMG_H / IMG_W) < 1.5, box
    assert page.evaluate("(el) => [el.width, el.height]", cv) == [DISPLAY, DISPLAY * IMG_H // IMG_W]
    return cv, box


def drag(page, box, fractions, steps=15):
    """Drag through fractions of the canvas box; returns the mouse path in image pixels.

    Intermediate positions are generated here as whole CSS pixels (chromium delivers integer
    client coordinates), so the expected capsules follow exactly the events the page got.
    """
    corners = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in fractions]
    css = [(round(corners[0][0]), round(corners[0][1]))]
    for (ax, ay), (bx, by) in pairwise(corners):
        css += [(round(ax + (bx - ax) * i / steps), round(ay + (by - ay) * i / steps)) for i in range(1, steps + 1)]
    page.mouse.move(*css[0])
    page.mouse.down()
    for pt in css[1:]:
        page.mouse.move(*pt)
    page.mouse.up()
    kx, ky = IMG_W / box["width"], IMG_H / box["height"]
    return [((x - box["x"]) * kx, (y - box["y"]) * ky) for x, y in css]


def overlay_drawn(page, cv, fx, fy):
    """The displayed canvas shows the (reddish) overlay at a fraction of its buffer."""
    x, y = int(fx * DISPLAY), int(fy * DISPLAY * IMG_H / IMG_W)
    rgba = page.evaluate(
        "([el, x, y]) => Array.from(el.getContext('2d').getImageData(x, y, 1, 1).data)", [cv, x, y])
    base_r = int(x * IMG_W / DISPLAY) * 255 // IMG_W                    # the test image's red channel there
    return rgba if rgba[0] > base_r + 60 else None


def paint_and_check(page, out, box, stroke, version, run):
    path = drag(page, box, stroke)
    mask = kernel_mask(out, version, run)
    want = expected_capsules(path, BRUSH / 2)
    score = iou(mask, want)
    assert score >= 0.98, f"IoU {score:.4f} painted={mask.sum()} expected={want.sum()}"
    return mask


def run_scenario(page, server, name, host):
    out = server.root / "out" / name
    if host == "lab":
        page.goto(server.url(f"lab/tree/{name}.ipynb") + "&reset")
        page.wait_for_function(
            "(() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
            " return k && k.connectionStatus === 'connected' && k.status === 'idle'; })()", timeout=60_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    else:
        page.goto(server.url(f"voila/render/{name}.ipynb"))
    st = wait_for(lambda: read_state(out), 60, "the notebook to run")
    run = st["run"]
    assert st["version"] == 0 and st["shape"] == [IMG_H, IMG_W]
    cv, box = canvas_box(page)

    # 1. a drag paints exactly the capsules along the path, at the original resolution
    paint_and_check(page, out, box, STROKE_1, 1, run)
    wait_for(lambda: overlay_drawn(page, cv, *STROKE_1[0]), 10, "the overlay preview")

    # 2. undo (toolbar button) empties the mask again
    page.click(UNDO)
    assert not kernel_mask(out, 2, run).any()

    # 3. reload the page and paint again
    if host == "lab":   # keep the widget output in the document so the reloaded page shows it
        page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
        page.wait_for_function("!window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)
    page.reload()
    if host == "lab":   # same kernel, same painter: the version continues
        version = 3
    else:               # Voilà runs the notebook again in a fresh kernel
        run = wait_for(lambda: (s := read_state(out)) and s["run"] != run and s["run"], 60, "Voilà re-run")
        version = 1
    cv, box = canvas_box(page)
    wait_for(lambda: page.evaluate(
        "(el) => { const d = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;"
        " for (let i = 0; i < d.length; i += 4) if (d[i + 3]) return true; return false; }", cv),
        30, "the image to be redrawn after reload")
    paint_and_check(page, out, box, STROKE_2, version, run)
    wait_for(lambda: overlay_drawn(page, cv, *STROKE_2[0]), 10, "the overlay preview after reload")


@pytest.mark.parametrize("dpr", [1, 2])
def test_painter_in_jupyterlab(lab_server, launch_browser, dpr):
    ctx = launch_browser(dpr)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    assert page.evaluate("window.devicePixelRatio") == dpr
    run_scenario(page, lab_server, f"painter_dpr{dpr}", "lab")


@pytest.mark.parametrize("dpr", [1, 2])
def test_painter_in_voila(voila_server, launch_browser, dpr):
    ctx = launch_browser(dpr)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    assert page.evaluate("window.devicePixelRatio") == dpr
    run_scenario(page, voila_server, f"painter_dpr{dpr}", "voila")
