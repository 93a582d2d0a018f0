"""Every tutorial's outputs fit a laptop: JupyterLab at 1280×800 with the file browser open, Notebook 7 and
Voilà at 1280×800, in chromium.

Each tutorial of each edition (notebooks/ and, when it exists, notebooks/zh/) is opened in a real
JupyterLab, run from the top (so the views are the ones this checkout draws), and then every output
area is measured: nothing scrolls sideways (``scrollWidth <= clientWidth``) and no table is wider than
its output area. Long values must wrap or scroll inside their own cell.

    PYTHONPATH=. .venv/bin/pytest tests/browser/test_tutorial_layout.py -q
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EDITIONS = [d for d in (NOTEBOOKS, NOTEBOOKS / "zh") if d.is_dir()]
TUTORIALS = [nb.relative_to(NOTEBOOKS).as_posix() for d in EDITIONS for nb in sorted(d.glob("[0-9][0-9]_*.ipynb"))]
VIEWPORT = {"width": 1280, "height": 800}
SLACK = 1          # px: sub-pixel rounding

MEASURE_JS = """(slack) => {
  const bad = [];
  let measured = 0;
  const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
  cells.forEach((cell, i) => {
    for (const o of cell.querySelectorAll('.jp-OutputArea-output')) {
      const what = (o.innerText || '').trim().slice(0, 70);
      if (o.clientWidth === 0) continue;                 // hidden output (e.g. display:none widget)
      measured += 1;
      if (o.scrollWidth > o.clientWidth + slack)
        bad.push(`cell ${i + 1}: output ${o.scrollWidth} px wide in a ${o.clientWidth} px area: ${what}`);
      const area = o.getBoundingClientRect();
      for (const t of o.querySelectorAll('table')) {
        const r = t.getBoundingClientRect();
        if (r.width > area.width + slack || r.right > area.right + slack)
          bad.push(`cell ${i + 1}: table ${Math.round(r.width)} px in a ${Math.round(area.width)} px area: `
                   + (t.innerText || '').trim().slice(0, 70));
      }
    }
  });
  return {bad, measured};
}"""

RUN_DONE_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext.session && w.sessionContext.session.kernel;
  if (!k || k.status !== 'idle') return false;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  return cells.every(c => c.model.executionCount !== null && !c.promptNode.textContent.includes('*'));
}"""


def open_and_run(page, server, rel: str, *, notebook7: bool = False) -> None:
    page.goto(server.url(f"notebooks/{rel}") if notebook7 else server.url(f"lab/tree/{rel}") + "&reset")
    page.wait_for_function(
        "(() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
        " return k && k.connectionStatus === 'connected' && k.status === 'idle'; })()", timeout=90_000)
    if not notebook7:
        page.evaluate("window.jupyterapp.shell.activateById('filebrowser')")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(RUN_DONE_JS, timeout=300_000, polling=500)
    page.wait_for_timeout(1500)            # widget views and images settle


@pytest.mark.parametrize("rel", TUTORIALS)
def test_every_output_fits_at_1280_with_the_file_browser_open(tutorials_lab_server, launch_browser, rel):
    ctx = launch_browser(1, VIEWPORT)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    open_and_run(page, tutorials_lab_server, rel)
    assert page.evaluate("!!document.querySelector('#filebrowser') && "
                         "document.querySelector('#filebrowser').getBoundingClientRect().width > 150"), \
        "the file browser is not open"
    got = page.evaluate(MEASURE_JS, SLACK)
    assert got["measured"] >= 5, f"only {got['measured']} outputs were found to measure"
    assert not got["bad"], "\n".join(got["bad"])


@pytest.mark.parametrize("rel", TUTORIALS)
def test_every_output_fits_in_notebook7_at_1280(tutorials_notebook7_server, launch_browser, rel):
    ctx = launch_browser(1, VIEWPORT)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    open_and_run(page, tutorials_notebook7_server, rel, notebook7=True)
    got = page.evaluate(MEASURE_JS, SLACK)
    assert got["measured"] >= 5, f"only {got['measured']} outputs were found to measure"
    assert not got["bad"], "\n".join(got["bad"])


@pytest.mark.parametrize("rel", TUTORIALS)
def test_every_output_fits_in_voila_at_1280(tutorials_voila_server, launch_browser, rel):
    ctx = launch_browser(1, VIEWPORT)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    page.goto(tutorials_voila_server.url(f"voila/render/{rel}"))
    # Voilà runs the whole notebook, then shows it; the last cell of every tutorial stops the emulator
    page.wait_for_function("document.querySelectorAll('.jp-OutputArea-output').length > 3"
                           " && !document.querySelector('#loading')", timeout=300_000, polling=500)
    page.wait_for_timeout(1500)
    got = page.evaluate(MEASURE_JS.replace(".jp-Notebook .jp-Cell", ".jp-Cell"), SLACK)
    assert got["measured"] >= 5, f"only {got['measured']} outputs were found to measure"
    assert not got["bad"], "\n".join(got["bad"])
