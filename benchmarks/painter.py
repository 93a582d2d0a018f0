"""Mask painter speed: PNG export and stroke throughput (no browser).

    .venv/bin/python benchmarks/painter.py

Goals (issue 7): mask_png() of a 4096×4096 mask <= 100 ms; 1000 stroke segments with
preview updates included <= 0.25 s.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from imgx_kit.services.masks import MaskModel
from imgx_kit.widgets.painter import MaskPainter


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def wavy(n, w, h, phase=0.0):
    return [(w * 0.05 + i * (w * 0.9 / n), h / 2 + h * 0.3 * np.sin(i / 40 + phase)) for i in range(n + 1)]


def main() -> None:
    rows = []

    m = MaskModel(4096, 4096)
    for k in range(12):                                    # a realistic painted mask (~20 %)
        m.stroke(wavy(400, 4096, 4096, phase=k), size=120)
    b, med = best_of(m.to_png)
    rows.append(("mask_png() 4096×4096, %.0f %% masked" % (100 * m.coverage), b, med, 0.100))
    noise = MaskModel(4096, 4096)
    noise._mask[...] = np.random.default_rng(0).random((4096, 4096)) < 0.5   # worst case for zlib
    b, med = best_of(noise.to_png, repeat=3)
    rows.append(("mask_png() 4096×4096, random noise (worst case)", b, med, None))

    img = np.zeros((2048, 2048, 3), np.uint8)

    def paint_call():
        p = MaskPainter(img, brush_size=30)
        t = time.perf_counter()
        p.paint(wavy(1000, 2048, 2048))
        return time.perf_counter() - t

    times = [paint_call() for _ in range(5)]
    rows.append(("paint(): one stroke of 1000 segments + preview", min(times), statistics.median(times), 0.25))

    def mouse_events():
        p = MaskPainter(img, brush_size=30)
        top = p.canvas[-1]
        pts = [p.viewport.to_canvas(x, y) for x, y in wavy(1000, 2048, 2048)]
        send = top._handle_frontend_event
        t = time.perf_counter()
        send(None, {"event": "mouse_down", "x": pts[0][0], "y": pts[0][1]}, [])
        for x, y in pts[1:]:                              # each event: capsule + overlay patch + cursor
            send(None, {"event": "mouse_move", "x": x, "y": y}, [])
        send(None, {"event": "mouse_up", "x": pts[-1][0], "y": pts[-1][1]}, [])
        return time.perf_counter() - t

    times = [mouse_events() for _ in range(5)]
    rows.append(("1000 mouse_move events, preview per event", min(times), statistics.median(times), 0.25))

    def undo_redo():
        p = MaskModel(4096, 4096)
        for k in range(50):
            p.stroke(wavy(50, 4096, 4096, phase=k), size=60)
        t = time.perf_counter()
        while p.undo() is not None:
            pass
        while p.redo() is not None:
            pass
        return time.perf_counter() - t, p.history_bytes

    t_ur, hist = undo_redo()
    rows.append((f"50 undo + 50 redo, 4096² (history {hist / 1e6:.1f} MB)", t_ur, t_ur, None))

    print(f"{'benchmark':58} {'best':>9} {'median':>9} {'goal':>9}  ok")
    for name, b, med, goal in rows:
        ok = "" if goal is None else ("yes" if b <= goal else "NO")
        g = "" if goal is None else f"{goal * 1000:.0f} ms"
        print(f"{name:58} {b * 1000:7.1f}ms {med * 1000:7.1f}ms {g:>9}  {ok}")


if __name__ == "__main__":
    main()
