"""The painter keeps its keys: a real JupyterLab in Debian chromium, real key presses.

The notebook is a markdown cell, the painter cell and one more code cell. The kernel publishes the
painter's mask version, tool and brush size to out/<name>/state.json (tests/browser/painter_notebook.py),
so every assertion about the painter reads the kernel, and every assertion about the notebook reads
JupyterLab's own document model (cell count, types and sources).

    PYTHONPATH=. .venv/bin/pytest tests/browser/test_painter_keys.py -q
"""
from __future__ import annotations

import time

import pytest
from test_painter_browser import canvas_box, drag, read_state

from imgx_browser import wait_for
from painter_notebook import write_painter_notebook

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

NAME = "painter_keys"
CELLS_JS = ("(() => { const m = window.jupyterapp.shell.currentWidget.content.model;"
            " return Array.from({length: m.cells.length}, (_, i) => {"
            " const c = m.cells.get(i); return [c.type, c.sharedModel.getSource()]; }); })()")
FOCUS_IN_PAINTER_JS = "!!document.activeElement && !!document.activeElement.closest('.imgx-mask-painter')"


def open_notebook(page, server):
    page.goto(server.url(f"lab/tree/{NAME}.ipynb") + "&reset")
    page.wait_for_function(
        "(() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
        " return k && k.connectionStatus === 'connected' && k.status === 'idle'; })()", timeout=60_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


def state_after(out, pred, what, timeout=20.0):
    return wait_for(lambda: (s := read_state(out)) and pred(s) and s, timeout, what)


def test_keys_reach_the_painter_and_never_jupyterlab(lab_server, launch_browser):
    write_painter_notebook(lab_server.root, NAME, framed=True)
    out = lab_server.root / "out" / NAME
    ctx = launch_browser(1)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    open_notebook(page, lab_server)
    st = state_after(out, lambda s: s["version"] == 0, "the painter to run", 60)
    run = st["run"]
    _cv, box = canvas_box(page)
    page.wait_for_selector(".imgx-mask-painter[data-lm-suppress-shortcuts]", state="attached", timeout=30_000)
    cells = page.evaluate(CELLS_JS)
    assert [t for t, _ in cells] == ["markdown", "code", "code"], cells

    # 1. a click that gives the canvas focus does not paint
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.evaluate(FOCUS_IN_PAINTER_JS)
    time.sleep(1.5)                                   # give a (wrong) dot time to reach the kernel
    assert read_state(out)["version"] == 0 and read_state(out)["count"] == 0

    # 2. after clicking a toolbar button, e and b switch the tool (in the kernel)
    page.click("button.imgx-painter-fit")
    assert page.evaluate(FOCUS_IN_PAINTER_JS)
    page.keyboard.press("e")
    state_after(out, lambda s: s["tool"] == "eraser", "e -> eraser")
    page.keyboard.press("b")
    state_after(out, lambda s: s["tool"] == "brush", "b -> brush")
    brush = read_state(out)["brush"]
    page.keyboard.press("]")
    state_after(out, lambda s: s["brush"] > brush, "] -> a bigger brush")

    # 3. paint, then Ctrl+Z (focus on a toolbar button) undoes in the kernel, z alone does nothing
    drag(page, box, [(0.2, 0.3), (0.7, 0.6)])
    painted = state_after(out, lambda s: s["version"] == 1 and s["run"] == run, "the stroke")
    assert painted["count"] > 0
    page.click("button.imgx-painter-fit")
    page.keyboard.press("z")
    page.keyboard.press("Control+z")
    undone = state_after(out, lambda s: s["version"] == 2, "ctrl-z -> undo")
    assert undone["count"] == 0
    page.keyboard.press("Control+Shift+z")
    redone = state_after(out, lambda s: s["version"] == 3, "ctrl-shift-z -> redo")
    assert redone["count"] == painted["count"]

    # the notebook's cells are exactly as before: same count, types and sources
    assert page.evaluate(CELLS_JS) == cells

    # 4. control: outside the painter, b is JupyterLab's again (insert a cell), the painter is untouched
    page.keyboard.press("e")
    state_after(out, lambda s: s["tool"] == "eraser", "e -> eraser")
    page.click(".jp-Notebook .jp-Cell:first-child .jp-InputPrompt")
    page.keyboard.press("Escape")
    assert not page.evaluate(FOCUS_IN_PAINTER_JS)
    page.keyboard.press("b")
    wait_for(lambda: len(page.evaluate(CELLS_JS)) == 4, 10, "JupyterLab to insert a cell on b")
    time.sleep(0.5)
    assert read_state(out)["tool"] == "eraser"
