"""The Voilà inpainting app (notebooks/app_inpaint.ipynb) in a real browser: Playwright + Debian chromium.

The app and the sample images are copied into the Voilà server of ``conftest.voila_server``; the
page must show the painter's canvas with the sample drawn on it. Then a stroke is dragged over
the tree, Inpaint is pressed, and the two download links are read back: the mask must be a
lossless 0/255 PNG of the picture's size covering the stroke, and the result must differ from
the sample inside the mask only. Finally another sample is picked and its canvas replaces the first.

    .venv/bin/pytest tests/browser/test_app_voila.py -q

Like the painter tests, a browser or server that cannot start FAILS the test (never a skip).
"""
from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from imgx_browser import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
APP = "app_inpaint.ipynb"
CANVAS = ".imgx-inpaint-app canvas.imgx-painter-canvas"
SCENE = NOTEBOOKS / "images" / "scene.png"
STROKE = [(0.62, 0.50), (0.72, 0.52), (0.70, 0.62)]          # fractions of the canvas: over the tree


def painted(page, canvas) -> bool:
    """The canvas shows something (the sample picture drawn by the kernel)."""
    return page.evaluate(
        "(el) => { const d = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;"
        " for (let i = 0; i < d.length; i += 4) if (d[i + 3]) return true; return false; }", canvas)


def data_uri_png(page, selector) -> Image.Image:
    link = page.wait_for_selector(selector, state="attached", timeout=60_000)
    href = link.get_attribute("href")
    prefix = "data:image/png;base64,"
    assert href.startswith(prefix), href[:40]
    assert link.get_attribute("download").endswith(".png")
    im = Image.open(io.BytesIO(base64.b64decode(href[len(prefix):])))
    assert im.format == "PNG"
    return im


def app_page(voila_server, launch_browser):
    for name in (APP,):
        shutil.copy(NOTEBOOKS / name, voila_server.root / name)
    shutil.copytree(NOTEBOOKS / "images", voila_server.root / "images", dirs_exist_ok=True)
    ctx = launch_browser(1)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    page.goto(voila_server.url(f"voila/render/{APP}"))
    return page


def test_app_shows_the_painter_inpaints_and_offers_downloads(voila_server, launch_browser):
    page = app_page(voila_server, launch_browser)
    canvas = page.wait_for_selector(CANVAS, state="visible", timeout=90_000)
    assert page.locator(CANVAS).count() == 1
    w, h = page.evaluate("(el) => [el.width, el.height]", canvas)
    assert (w, h) == (768, 513), (w, h)                          # 400×267 shown on a 768 px buffer
    wait_for(lambda: painted(page, canvas), 30, "the sample to be drawn on the canvas")
    assert "scene.png: 400×267" in page.inner_text(".imgx-app-status")

    # an empty mask is refused with a message, nothing is sent
    page.click("button.imgx-app-inpaint")
    wait_for(lambda: "mask is empty" in page.inner_text(".imgx-app-status"), 30, "the empty-mask message")

    # paint a stroke over the tree, then inpaint
    canvas.scroll_into_view_if_needed()
    box = wait_for(lambda: (b := canvas.bounding_box()) and b["width"] > 0 and b, 10, "canvas layout")
    points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in STROKE]
    page.mouse.move(*points[0])
    page.mouse.down()
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        for i in range(1, 11):
            page.mouse.move(ax + (bx - ax) * i / 10, ay + (by - ay) * i / 10)
    page.mouse.up()
    page.click("button.imgx-app-inpaint")
    wait_for(lambda: "Done:" in page.inner_text(".imgx-app-status"), 60, "the inpainting to finish")

    mask = data_uri_png(page, "a.imgx-download-mask")
    assert mask.size == (400, 267) and mask.mode == "L"
    m = np.asarray(mask)
    assert set(np.unique(m).tolist()) == {0, 255}
    m = m == 255
    for fx, fy in STROKE:                                         # every point of the stroke is masked
        assert m[int(fy * 267), int(fx * 400)], (fx, fy)
    assert 500 < m.sum() < 0.2 * m.size

    result = data_uri_png(page, "a.imgx-download-result")
    assert result.size == (400, 267)
    before = np.asarray(Image.open(SCENE).convert("RGB"))
    after = np.asarray(result.convert("RGB"))
    changed = (before != after).any(axis=2)
    assert not (changed & ~m).any(), "pixels outside the mask changed"
    assert changed.sum() > 0.5 * m.sum()
    assert page.locator("img.imgx-app-result").is_visible()

    # another sample replaces the painter (and clears the downloads)
    page.select_option(".imgx-app-sample select", "logo.png")
    wait_for(lambda: page.evaluate(
        "(sel) => { const c = document.querySelectorAll(sel); return c.length === 1 && c[0].width === 768"
        " && c[0].height === 768; }", CANVAS), 30, "the logo's canvas")
    logo = page.wait_for_selector(CANVAS, state="visible", timeout=30_000)
    wait_for(lambda: painted(page, logo), 30, "the logo to be drawn")
    assert page.locator("a.imgx-download-result").count() == 0
    assert "logo.png: 64×64" in page.inner_text(".imgx-app-status")
