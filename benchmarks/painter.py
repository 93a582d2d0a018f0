"""Mask painter speed: pointer events with preview, and PNG export (no browser).

    PYTHONPATH=. .venv/bin/python benchmarks/painter.py [--rounds 9]

Each row is timed in interleaved rounds (every row once per round, so a slow moment of the
shared machine hits all rows alike) and reports the MEDIAN round, with the goal beside it
(issue 17): 1 000 pointer events with the overlay preview <= 150 ms; ``mask_png()`` of a
4096×4096 mask <= 100 ms. Benchmarks are not tests: this always exits 0.

A pointer event here is what the browser sends: ipycanvas's ``mouse_move`` message handled by
the canvas widget, i.e. the capsule stamped into the full-resolution mask, the changed overlay
patch encoded and queued for the browser, and the brush cursor redrawn.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

import numpy as np

from imgx_kit.services.masks import MaskModel
from imgx_kit.widgets.painter import MaskPainter


def wavy(n: int, w: float, h: float, phase: float = 0.0) -> list[tuple[float, float]]:
    return [(w * 0.05 + i * (w * 0.9 / n), h / 2 + h * 0.3 * np.sin(i / 40 + phase)) for i in range(n + 1)]


class PilOverlayPainter(MaskPainter):
    """The same painter with the overlay patch sent through ipycanvas's ``put_image_data`` (an RGBA
    array PNG-encoded by PIL), as before issue 17: the row beside it shows what the 1-bit encoder saves
    under the same machine load."""

    def _draw_overlay_rect(self, rect: tuple[int, int, int, int], clear_all: bool = False) -> None:
        x0, y0, x1, y1 = rect
        cols, rows, cvalid, rvalid = self._sample
        sub = self._model._mask[np.ix_(rows[y0:y1], cols[x0:x1])]
        sub &= rvalid[y0:y1, None] & cvalid[None, x0:x1]
        rgba = np.zeros((*sub.shape, 4), np.uint8)
        rgba[sub] = (*self._color, round(255 * self.opacity_slider.value))
        c = self.canvas[1]
        if clear_all:
            c.clear()
        else:
            c.clear_rect(x0, y0, x1 - x0, y1 - y0)
        if sub.any():
            c.put_image_data(rgba, x0, y0)


def pointer_events(n: int = 1000, painter: type[MaskPainter] = MaskPainter) -> Callable[[], float]:
    img = np.zeros((2048, 2048, 3), np.uint8)

    def run() -> float:
        p = painter(img, brush_size=30)
        pts = [p.viewport.to_canvas(x, y) for x, y in wavy(n, 2048, 2048)]
        send = p.canvas[-1]._handle_frontend_event        # the entry point of a browser message
        t = time.perf_counter()
        send(None, {"event": "mouse_down", "x": pts[0][0], "y": pts[0][1]}, [])
        for x, y in pts[1:-1]:
            send(None, {"event": "mouse_move", "x": x, "y": y}, [])
        send(None, {"event": "mouse_up", "x": pts[-1][0], "y": pts[-1][1]}, [])
        return time.perf_counter() - t
    return run


def paint_call() -> Callable[[], float]:
    img = np.zeros((2048, 2048, 3), np.uint8)

    def run() -> float:
        p = MaskPainter(img, brush_size=30)
        t = time.perf_counter()
        p.paint(wavy(1000, 2048, 2048))
        return time.perf_counter() - t
    return run


def timed(fn: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=9)
    rounds = ap.parse_args().rounds

    painted = MaskModel(4096, 4096)
    for k in range(12):                                    # a realistically painted mask
        painted.stroke(wavy(400, 4096, 4096, phase=k), size=120)
    noise = MaskModel(4096, 4096)
    noise._mask[...] = np.random.default_rng(0).random((4096, 4096)) < 0.5   # worst case for zlib

    rows: list[tuple[str, Callable[[], float], float | None]] = [
        ("1 000 pointer events (mouse_move), preview per event", pointer_events(), 0.150),
        ("  the same, overlay PNG-encoded by PIL (before issue 17)", pointer_events(painter=PilOverlayPainter), None),
        ("paint(): one stroke of 1 000 segments + preview", paint_call(), None),
        (f"mask_png() 4096×4096, {100 * painted.coverage:.0f} % masked", timed(painted.to_png), 0.100),
        ("mask_png() 4096×4096, random noise (zlib's worst case)", timed(noise.to_png), None),
    ]
    times: dict[str, list[float]] = {name: [] for name, _, _ in rows}
    for _ in range(rounds):
        for name, run, _ in rows:
            gc.collect()
            times[name].append(run())

    print(f"{rounds} interleaved rounds, median round per row")
    print(f"{'benchmark':58} {'median':>9} {'min':>9} {'max':>9} {'goal':>9}  met")
    for name, _, goal in rows:
        ts = times[name]
        g, ok = ("", "") if goal is None else (f"≤{goal * 1000:.0f} ms",
                                               "yes" if statistics.median(ts) <= goal else "NO")
        print(f"{name:58} {statistics.median(ts) * 1e3:6.1f} ms {min(ts) * 1e3:6.1f} ms {max(ts) * 1e3:6.1f} ms"
              f" {g:>9}  {ok}")


if __name__ == "__main__":
    main()
