"""Regenerate the browser-made masks in this folder (run by hand; the files are committed).

Draws a mask exactly as seed 002's canvas page does (black fill, white ``arc`` brush dabs,
``globalCompositeOperation = 'source-over'``) in Debian's Chromium through Playwright, and saves
what ``maskCanvas.toDataURL('image/jpeg')`` (default quality 0.92), ``toDataURL('image/jpeg', 0.5)``
and ``toDataURL('image/png')`` return.

    python tests/data/masks/make_masks.py
"""
from __future__ import annotations

import base64
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
PAGE = """<canvas id=c width=400 height=300></canvas><script>
const c = document.getElementById('c'), x = c.getContext('2d');
x.fillStyle = 'black'; x.fillRect(0, 0, 400, 300);
x.globalCompositeOperation = 'source-over'; x.fillStyle = 'white';
for (let i = 0; i < 60; i++) { x.beginPath(); x.arc(50 + i * 5, 100 + 40 * Math.sin(i / 5), 10, 0, Math.PI * 2); x.fill(); }
for (let i = 0; i < 30; i++) { x.beginPath(); x.arc(80 + i * 3, 220, 3.3, 0, Math.PI * 2); x.fill(); }
</script>"""
OUT = {"chromium_canvas_toDataURL_jpeg.jpg": "'image/jpeg'", "chromium_canvas_toDataURL_jpeg_q05.jpg": "'image/jpeg', 0.5",
       "chromium_canvas_toDataURL_png.png": "'image/png'"}

if __name__ == "__main__":
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content(PAGE)
        print("browser", browser.version)
        for name, args in OUT.items():
            url = page.evaluate(f"document.getElementById('c').toDataURL({args})")
            (HERE / name).write_bytes(base64.b64decode(url.split(",", 1)[1]))
        browser.close()
