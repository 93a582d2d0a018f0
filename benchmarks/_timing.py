"""Side-by-side timing: the contenders run in interleaved rounds, so a slow moment of the machine
hits all of them alike; each keeps its best round."""
from __future__ import annotations

import gc
import time
from collections.abc import Callable


def interleaved(contenders: dict[str, Callable[[int], object]], n: int, rounds: int = 15) -> dict[str, float]:
    """µs per call of each contender: best of ``rounds`` rounds of ``n`` calls, rounds interleaved.
    Each call gets a different integer, so nothing can be cached by input."""
    best = {name: float("inf") for name in contenders}
    for r in range(rounds):
        for name, fn in contenders.items():
            gc.collect()
            base = (r * len(contenders) + list(contenders).index(name)) * n
            t0 = time.perf_counter()
            for i in range(base, base + n):
                fn(i)
            best[name] = min(best[name], (time.perf_counter() - t0) / n * 1e6)
    return best
