"""Emulator throughput and local inpainting time.

    .venv/bin/python benchmarks/emulator.py [--seconds 2] [--threads 8] [--rounds 4]

1. Verified, signed ``ApplyImageUpload`` requests per second (8 client threads, keep-alive,
   every request different and pre-signed) against the full emulator, vs a no-op WSGI app on the
   same server stack (werkzeug threaded server + the emulator's request handler). Goal: the
   emulator reaches >= 0.8x the no-op rate (routing + verification cost <= 25 %).
2. Local inpainting (OpenCV backend) of a 1024x1024 image with a 10 % mask. Goal: <= 150 ms.
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np
import requests

import imgx_kit as ik
from imgx_kit.emulator.api import running
from imgx_kit.emulator.inpaint import InpaintParams, opencv_backend
from imgx_kit.emulator.server import ServerThread


def _noop_app(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    body = b'{"ResponseMetadata":{}}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _hammer(requests_by_thread: list[list[ik.HttpRequest]], seconds: float) -> tuple[int, float, int]:
    """Send pre-built requests from N threads of a separate client process (so the client does
    not share the server's GIL) for ``seconds``; (count, elapsed, failures)."""
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        plain = [[(q.url, list(q.headers)) for q in qs] for qs in requests_by_thread]
        return pool.apply(_client_process, (plain, seconds))


def _client_process(plain: list[list[tuple[str, list]]], seconds: float) -> tuple[int, float, int]:
    reqs_by_thread = [[ik.HttpRequest("GET", u, tuple(h)) for u, h in qs] for qs in plain]
    return _hammer_threads(reqs_by_thread, seconds)


def _hammer_threads(requests_by_thread: list[list[ik.HttpRequest]], seconds: float) -> tuple[int, float, int]:
    counts = [0] * len(requests_by_thread)
    fails = [0] * len(requests_by_thread)
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(len(requests_by_thread) + 1)

    def worker(i: int) -> None:
        s = requests.Session()
        reqs = requests_by_thread[i]
        barrier.wait()
        n = 0
        while time.perf_counter() < stop and n < len(reqs):
            r = reqs[n]
            resp = s.get(r.url, headers=dict(r.headers), timeout=10)
            if resp.status_code != 200:
                fails[i] += 1
            n += 1
        counts[i] = n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(requests_by_thread))]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return sum(counts), time.perf_counter() - t0, sum(fails)


def bench_server(seconds: float, threads: int, rounds: int, per_thread: int = 4000) -> None:
    """Both servers run side by side; rounds alternate between them and each keeps its best
    round, so a slow moment of the machine hits both alike."""
    with running(seed=0) as emu:
        r = requests.post(emu.endpoints.jimeng + "/mweb/v1/get_upload_token", json={"scene": 2},
                          cookies={"sessionid": emu.demo_sessionid}).json()["data"]
        creds = ik.Credentials(r["access_key_id"], r["secret_access_key"], r["session_token"])
        signer = ik.presets.JIMENG_IMAGEX
        base = f"{emu.endpoints.imagex}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId={r['service_id']}"
        noop = ServerThread(_noop_app, "127.0.0.1", 0)
        noop.start()
        best = {"emu": (0, 1.0, 0), "noop": (0, 1.0, 0)}
        try:
            for rnd in range(rounds):
                # fresh, never-seen requests every round (a different cache-buster each)
                signed = [[signer.sign(ik.HttpRequest.build(
                    "GET", f"{base}&FileSize={1000 + i}&s=r{rnd}t{t}n{i}"), creds).signed_request
                    for i in range(per_thread)] for t in range(threads)]
                plain = [[ik.HttpRequest(q.method, q.url.replace(f":{emu.port}/", f":{noop.port}/"), q.headers, q.body)
                          for q in qs] for qs in signed]
                for name, reqs in (("emu", signed), ("noop", plain)):
                    n, t, fail = _hammer(reqs, seconds)
                    if n / t > best[name][0] / best[name][1]:
                        best[name] = (n, t, fail)
                emu.log.clear()
        finally:
            noop.stop()
    (emu_n, emu_t, emu_fail), (noop_n, noop_t, noop_fail) = best["emu"], best["noop"]
    emu_rate, noop_rate = emu_n / emu_t, noop_n / noop_t
    print(f"best of {rounds} alternating rounds of {seconds:g} s, {threads} client threads in a separate process")
    print(f"{'server stack':<44}{'requests':>10}{'req/s':>10}{'failed':>8}")
    print(f"{'no-op WSGI app (same werkzeug stack)':<44}{noop_n:>10}{noop_rate:>10.0f}{noop_fail:>8}")
    print(f"{'emulator: verified signed ApplyImageUpload':<44}{emu_n:>10}{emu_rate:>10.0f}{emu_fail:>8}")
    ratio = emu_rate / noop_rate
    print(f"ratio emulator / no-op = {ratio:.2f}  (goal >= 0.80: {'met' if ratio >= 0.8 else 'NOT met'})")


def bench_inpaint(repeats: int = 15) -> None:
    rng = np.random.default_rng(0)
    import cv2
    img = cv2.GaussianBlur(rng.integers(0, 255, (1024, 1024, 3), dtype=np.uint8), (31, 31), 0)
    shapes = {}
    square = np.zeros((1024, 1024), bool)
    square[350:674, 350:674] = True
    shapes["square blob"] = square
    strokes = np.zeros((1024, 1024), np.uint8)
    while np.count_nonzero(strokes) < 0.1 * strokes.size:
        p = rng.integers(0, 1024, 4)
        cv2.line(strokes, (int(p[0]), int(p[1])), (int(p[2]), int(p[3])), 255, 24)
    shapes["brush strokes"] = strokes > 0
    print(f"\n{'inpaint 1024x1024, OpenCV backend':<44}{'mask %':>8}{'median ms':>11}{'min ms':>9}")
    for name, mask in shapes.items():
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            opencv_backend(img, mask, InpaintParams())
            times.append((time.perf_counter() - t) * 1000)
        print(f"{name:<44}{100 * mask.mean():>8.1f}{statistics.median(times):>11.1f}{min(times):>9.1f}")
    print("goal: <= 150 ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=4)
    a = ap.parse_args()
    bench_server(a.seconds, a.threads, a.rounds)
    bench_inpaint()


if __name__ == "__main__":
    main()
