"""How cost grows with the size of the input: one table per section, each row the cost per unit
(per source, per file …) at a few sizes and its ratio to the middle size. Linear growth shows as a
flat column of ratios near 1.00; quadratic growth as ratios that grow with the size.

Sections (each a function in SECTIONS below; add yours there — e.g. sign vs body size and header
count, diagnose vs header count — with the same row format):

* ``upload_many planning``   plan_batch (what upload_many does before the first byte moves: the
                             inputs as a list, their names, the groups) for 10 / 1 000 / 100 000
                             sources. Goal: 100 000 sources < 1 s, per-source cost flat.
* ``sign``                   the signer vs body size (up to 1 MiB) and header count (up to 1000):
                             µs per KiB and per header stay flat.
* ``upload_many end to end``  10 / 1 000 / 10 000 tiny PNG files uploaded with upload_many
                             (concurrency 8, emulator in its own process, no added latency).
                             Goal: per-file time at 10 000 within ±20 % of the 10 and 1 000 rows.

Rounds are interleaved over the sizes; the tables show medians. Always exits 0.

    $ python benchmarks/growth.py                       # every section
    $ python benchmarks/growth.py --only planning --rounds 5
"""
from __future__ import annotations

import argparse
import gc
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

import imgx_kit as ik
from imgx_kit.services.imagex import plan_batch

Row = tuple[str, int, float]          # (label, units, seconds)
AT = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _table(title: str, unit: str, rows: list[Row], mid: int, goal: str) -> None:
    print(f"\n{title}")
    print(f"  {'size':>8} {unit + 's':>10} {'seconds':>9} {'µs per ' + unit:>14} {'vs ' + format(mid, ',') :>10}")
    per = {n: t / n * 1e6 for _, n, t in rows}
    for label, n, t in rows:
        print(f"  {label:>8} {n:>10,} {t:9.4f} {per[n]:14.1f} {per[n] / per[mid]:10.2f}")
    print(f"  goal: {goal}")


# ---- upload_many planning -------------------------------------------------------------------------
def planning(args: argparse.Namespace) -> None:
    sizes = [10, 1_000, 100_000]
    srcs = {n: [Path(f"/data/batch/img{i:06d}.png") for i in range(n)] for n in sizes}
    times: dict[int, list[float]] = {n: [] for n in sizes}
    for _ in range(args.rounds):
        for n in sizes:
            t0 = time.perf_counter()
            plan_batch(srcs[n])
            times[n].append(time.perf_counter() - t0)
    rows = [(f"{n:,}", n, statistics.median(times[n])) for n in sizes]
    _table("upload_many planning (plan_batch of Path sources)", "source", rows, 1_000,
           f"100 000 sources < 1 s (now {rows[-1][2]:.3f} s); the per-source column flat")


# ---- upload_many end to end -----------------------------------------------------------------------
def _tiny_files(folder: Path, n: int) -> list[Path]:
    rng = np.random.default_rng(n)
    out = []
    for i in range(n):
        buf = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(buf, "PNG")
        p = folder / f"t{i:05d}.png"
        p.write_bytes(buf.getvalue())
        out.append(p)
    return out


def end_to_end(args: argparse.Namespace) -> None:
    from upload import EmulatorProcess  # benchmarks/upload.py: the emulator in a child process
    sizes = [10, 1_000, 10_000]
    with tempfile.TemporaryDirectory(prefix="imgx-growth-") as tmp, EmulatorProcess() as emu:
        files = {}
        for n in sizes:
            (Path(tmp) / str(n)).mkdir()
            files[n] = _tiny_files(Path(tmp) / str(n), n)
        times: dict[int, list[float]] = {n: [] for n in sizes}
        for r in range(args.rounds):
            for n in sizes:
                if n >= 10_000 and r >= args.big_rounds:
                    continue
                ix = ik.ImageXClient.jimeng(sessionid=emu.sessionid, endpoints=emu.endpoints)
                ix.upload(files[n][0])                       # untimed: token and pool
                t0 = time.perf_counter()
                batch = ix.upload_many(files[n], concurrency=8, progress=False)
                times[n].append(time.perf_counter() - t0)
                assert batch.ok, batch
    rows = [(f"{n:,}", n, statistics.median(times[n])) for n in sizes]
    per = {n: t / n for _, n, t in rows}
    worst = max(abs(per[10_000] / per[n] - 1) for n in (10, 1_000))
    _table("upload_many end to end (8x8 PNG files, concurrency 8, emulator in a child process, 0 ms)",
           "file", rows, 1_000, f"10 000 files within ±20 % per file of the 10 and 1 000 rows "
                                f"(now {worst * 100:.0f} % off at most)")


def _median_us(fn: Callable[[int], object], calls: int, rounds: int) -> float:
    """Median over ``rounds`` of the µs per call of ``fn(i)`` for ``calls`` different ``i``."""
    per_round = []
    for r in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        for i in range(r * calls, (r + 1) * calls):
            fn(i)
        per_round.append((time.perf_counter() - t0) / calls * 1e6)
    return statistics.median(per_round)


def sign_growth(rounds: int = 7) -> None:
    """AWS4 / VOLC header signing (trace included) against body size and header count."""
    creds = ik.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "STS2exampletoken")
    signers = {"AWS4": ik.Signer(ik.AWS4, "cn-north-1", "imagex"), "VOLC": ik.Signer(ik.VOLC, "cn-north-1", "ImageX")}
    print("sign vs body size (4 headers): µs per signature, and µs per KiB above the empty body")
    print(f"{'scheme':<8}{'body':>10}{'µs':>9}{'µs/KiB':>9}")
    for name, signer in signers.items():
        base = None
        for size in (0, 1024, 16384, 262144, 1048576):
            body = b"x" * size
            calls = max(20, 2000 // (1 + size // 4096))

            def sign(i: int, body: bytes = body, signer: ik.Signer = signer) -> object:
                req = ik.HttpRequest.build("PUT", f"https://imagex.bytedanceapi.com/obj/{i}?a=1",
                                           [("Content-Type", "application/octet-stream"), ("X-A", "1"),
                                            ("X-B", "2"), ("X-C", "3")], body)
                return signer.sign(req, creds, at=AT)
            us = _median_us(sign, calls, rounds)
            base = us if base is None else base
            per = f"{(us - base) / (size / 1024):.2f}" if size else "-"
            print(f"{name:<8}{size:>10}{us:>9.1f}{per:>9}")
    print("\nsign vs header count (empty body): µs per signature, and µs per header")
    print(f"{'scheme':<8}{'headers':>10}{'µs':>9}{'µs/hdr':>9}")
    for name, signer in signers.items():
        base = None
        for count in (0, 10, 100, 1000):
            headers = [(f"X-H{j}", f"value {j}") for j in range(count)]
            calls = max(20, 2000 // (1 + count // 10))

            def sign(i: int, headers: list[tuple[str, str]] = headers, signer: ik.Signer = signer) -> object:
                req = ik.HttpRequest.build("GET", f"https://imagex.bytedanceapi.com/obj/{i}", headers)
                return signer.sign(req, creds, at=AT)
            us = _median_us(sign, calls, rounds)
            base = us if base is None else base
            per = f"{(us - base) / count:.2f}" if count else "-"
            print(f"{name:<8}{count:>10}{us:>9.1f}{per:>9}")
    print("goal: µs/KiB and µs/hdr stay flat as sizes grow (linear cost); the body is hashed once.")


SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {
    "planning": planning,
    "sign": lambda args: sign_growth(args.rounds),
    "end-to-end": end_to_end,
    # "diagnose-headers": …   (other sections go here)
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=list(SECTIONS), nargs="+", help="run only these sections")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are shown")
    ap.add_argument("--big-rounds", type=int, default=1, help="rounds of the 10 000-file end-to-end row")
    args = ap.parse_args(argv)
    print(f"growth of cost with input size; medians of {args.rounds} interleaved rounds")
    for name in args.only or list(SECTIONS):
        SECTIONS[name](args)
    print("\n(the emulator's server stack decides much of the end-to-end time: re-measure after it changes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
