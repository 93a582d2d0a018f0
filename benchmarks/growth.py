"""How cost grows: each section times one operation at growing sizes and prints µs and µs per
unit, so a newcomer sees at a glance that the cost is linear (µs per unit stays flat).

Sections are functions (``sign_growth()`` here; others add theirs beside it).
Run: ``python benchmarks/growth.py [--rounds 7]``
"""
from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone

import imgx_kit as ik

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    sign_growth(args.rounds)


if __name__ == "__main__":
    main()
