"""The painter notebook used by the browser tests (written into the server's temp folder).

The notebook shows a MaskPainter and, on every ``version`` change, writes the kernel's mask to
``out/<name>/mask.npy`` and ``out/<name>/state.json`` (atomically), so the test reads the
truth from the kernel, not from the browser.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

# geometry shared by the notebook and the test
IMG_W, IMG_H = 800, 600
BRUSH = 40                 # image px (diameter)
DISPLAY = 400              # canvas buffer 400×300: display scale 0.5
CSS_WIDTH = 600            # CSS px: the canvas is shown 1.5× its buffer size

NOTEBOOK_SOURCE = '''\
import json, os, pathlib, uuid
import numpy as np
import imgx_kit as ik

OUT = pathlib.Path("out") / {name!r}
OUT.mkdir(parents=True, exist_ok=True)
RUN = uuid.uuid4().hex
yy, xx = np.mgrid[0:{h}, 0:{w}]
img = np.stack([xx * 255 // {w}, yy * 255 // {h}, np.full_like(xx, 128)], -1).astype(np.uint8)
p = ik.MaskPainter(img, brush_size={brush}, display_size={display}, css_width="{css}px")

def publish(change=None):
    """Kernel-side truth for the test: the mask and its version, written atomically."""
    np.save(OUT / "mask.tmp.npy", p.mask)
    os.replace(OUT / "mask.tmp.npy", OUT / "mask.npy")
    state = {{"run": RUN, "version": p.version, "count": int(p.mask.sum()), "shape": list(p.mask.shape),
             "tool": p.tool, "brush": p.brush_size}}
    (OUT / "state.tmp").write_text(json.dumps(state))
    os.replace(OUT / "state.tmp", OUT / "state.json")

p.observe(publish, "version")
p.tool_toggle.observe(publish, "value")
p.size_slider.observe(publish, "value")
publish()
p
'''


def write_painter_notebook(directory: Path, name: str, *, framed: bool = False) -> Path:
    """Write ``<name>.ipynb``: one cell showing a MaskPainter that publishes its mask to out/<name>/.

    ``framed``: a markdown cell before and a code cell after it (for the keyboard test, which checks
    that the notebook's cells are left alone)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(NOTEBOOK_SOURCE.format(
        name=name, w=IMG_W, h=IMG_H, brush=BRUSH, display=DISPLAY, css=CSS_WIDTH))]
    if framed:
        nb.cells = [nbformat.v4.new_markdown_cell("# Painter keys"), *nb.cells,
                    nbformat.v4.new_code_cell("after = 1")]
    path = directory / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


