"""What share of an upload batch's client CPU goes into building CallRecords (redaction included).

The emulator runs in its own process; the client uploads ``--files`` small PNGs with
``upload_many`` and every upload worker thread runs under its own ``cProfile`` with a per-thread
CPU clock (``time.thread_time``), so waiting on sockets does not count. Prints the client CPU,
the cumulative CPU inside ``CallRecord.build`` and inside ``redact_text``, and their shares.

    $ python benchmarks/callrecord_profile.py [--files 200] [--concurrency 8]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing as mp
import pstats
import threading
import time

import numpy as np
from PIL import Image

import imgx_kit as ik
from imgx_kit.services import imagex


def _serve(conn) -> None:
    from imgx_kit.emulator.api import Emulator
    emu = Emulator(seed=0).start()
    conn.send({"endpoints": dict(emu.endpoints.__dict__), "sessionid": emu.demo_sessionid})
    conn.recv()
    emu.stop()


def _png(seed: int) -> bytes:
    a = np.random.default_rng(seed).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "PNG")
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--top", type=int, default=0, help="also print the N functions with most own CPU")
    args = ap.parse_args()
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    proc.start()
    info = parent.recv()
    try:
        from imgx_kit.emulator.api import Endpoints
        client = ik.ImageXClient.jimeng(sessionid=info["sessionid"], endpoints=Endpoints(**info["endpoints"]))
        srcs = [_png(s) for s in range(args.files)]
        profiles: list[cProfile.Profile] = []
        lock = threading.Lock()
        original = imagex.ImageXClient._group

        def profiled(self, *a, **kw):
            prof = cProfile.Profile(time.thread_time)
            with lock:
                profiles.append(prof)
            prof.enable()
            try:
                return original(self, *a, **kw)
            finally:
                prof.disable()

        imagex.ImageXClient._group = profiled          # type: ignore[method-assign]
        t0 = time.perf_counter()
        batch = client.upload_many(srcs, concurrency=args.concurrency, progress=False)
        wall = time.perf_counter() - t0
        imagex.ImageXClient._group = original          # type: ignore[method-assign]
        stats = pstats.Stats(profiles[0])
        for p in profiles[1:]:
            stats.add(p)
        total = sum(v[2] for v in stats.stats.values())        # tottime: every function's own CPU

        def cumulative(name: str, module: str) -> float:
            return sum(v[3] for k, v in stats.stats.items() if k[2] == name and k[0].endswith(module))

        rec = cumulative("build", "services/calls.py")
        red = cumulative("redact_text", "core/redact.py") + cumulative("clean", "core/redact.py") \
            + cumulative("redactor", "core/redact.py")
        ok = sum(1 for r in batch if getattr(r, "ok", True))
        print(f"upload_many: {args.files} files, concurrency {args.concurrency}, {ok} ok, wall {wall:.2f} s")
        print(f"client CPU in upload threads: {total:.3f} s")
        print(f"CallRecord.build (cumulative): {rec:.3f} s = {100 * rec / total:.1f} % of client CPU")
        print(f"secret masking (cumulative):   {red:.3f} s = {100 * red / total:.1f} % of client CPU")
        if args.top:
            from imgx_kit.core.redact import _secret_forms
            print(_secret_forms.cache_info())
            stats.sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_callees("calls.py.*build")
    finally:
        parent.send("stop")
        proc.join(10)


if __name__ == "__main__":
    main()
