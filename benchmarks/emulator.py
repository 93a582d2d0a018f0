"""Emulator throughput, TLS upload cost and local inpainting time.

    .venv/bin/python benchmarks/emulator.py [--seconds 2] [--threads 8] [--rounds 5] [--upload-mib 8]

1. Verified, signed ``ApplyImageUpload`` requests per second (8 client threads in a separate
   process, ``requests.Session`` each, every request different and pre-signed) against the
   emulator on its server stack (cheroot: HTTP/1.1 keep-alive, bounded worker pool) and against
   the same emulator app on the previous stack (werkzeug's threaded dev server, which closes
   every connection after one request). Rounds interleave; medians. Goal: >= 1.5x.
2. Upload of ``--upload-mib`` MiB to the upload host over TLS vs plain HTTP (keep-alive, same
   emulator options), interleaved rounds, medians. Goal: TLS within 1.3x of plain.
3. Local inpainting (OpenCV backend) of a 1024x1024 image with a 10 % mask. Goal: <= 150 ms.
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time
import zlib

import numpy as np
import requests

import imgx_kit as ik
from imgx_kit.emulator.api import SERVICES, running
from imgx_kit.emulator.inpaint import InpaintParams, opencv_backend
from imgx_kit.emulator.wsgi import App


class WerkzeugStack:
    """The previous server stack (werkzeug's threaded server) serving the same emulator app."""

    def __init__(self, emu) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, *a, **k) -> None:
                pass

        app = App(emu.runtime, SERVICES, emu.faults, emu.log, emu.errors, dict, route="imagex")
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WerkzeugStack:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


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
    """Each thread keeps one ``http.client`` connection (a light client, so the server is what
    is measured), reconnecting whenever the server closes it."""
    import http.client
    from urllib.parse import urlsplit
    counts = [0] * len(requests_by_thread)
    fails = [0] * len(requests_by_thread)
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(len(requests_by_thread) + 1)

    def worker(i: int) -> None:
        reqs = requests_by_thread[i]
        sp = urlsplit(reqs[0].url)
        conn = http.client.HTTPConnection(sp.hostname, sp.port, timeout=10)
        barrier.wait()
        n = 0
        while time.perf_counter() < stop and n < len(reqs):
            r = reqs[n]
            target = r.url.split(sp.netloc, 1)[1]
            try:
                conn.request("GET", target, headers=dict(r.headers))
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    fails[i] += 1
                if resp.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                fails[i] += 1
                conn.close()
            n += 1
        conn.close()
        counts[i] = n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(requests_by_thread))]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return sum(counts), time.perf_counter() - t0, sum(fails)


def bench_server(seconds: float, threads: int, rounds: int, per_thread: int = 4000) -> float:
    """Interleaved rounds on both stacks (fresh signed requests each round); median req/s."""
    with running(seed=0, workers=threads) as emu, WerkzeugStack(emu) as wz:
        r = requests.post(emu.endpoints.jimeng + "/mweb/v1/get_upload_token", json={"scene": 2},
                          cookies={"sessionid": emu.demo_sessionid}).json()["data"]
        creds = ik.Credentials(r["access_key_id"], r["secret_access_key"], r["session_token"])
        signer = ik.presets.JIMENG_IMAGEX
        imagex_port = int(emu.endpoints.imagex.rsplit(":", 1)[1])
        base = f"{emu.endpoints.imagex}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId={r['service_id']}"
        rates: dict[str, list[float]] = {"cheroot": [], "werkzeug": []}
        fails = {"cheroot": 0, "werkzeug": 0}
        for rnd in range(rounds):
            for name in (("cheroot", "werkzeug") if rnd % 2 == 0 else ("werkzeug", "cheroot")):
                port = imagex_port if name == "cheroot" else wz.port
                here = base.replace(f":{imagex_port}/", f":{port}/")
                signed = [[signer.sign(ik.HttpRequest.build(
                    "GET", f"{here}&FileSize={1000 + i}&s={name}{rnd}t{t}n{i}"),
                    creds).signed_request for i in range(per_thread)] for t in range(threads)]
                n, t, fail = _hammer(signed, seconds)
                rates[name].append(n / t)
                fails[name] += fail
                emu.log.clear()
    med = {k: statistics.median(v) for k, v in rates.items()}
    ratio = med["cheroot"] / med["werkzeug"]
    print(f"{rounds} interleaved rounds of {seconds:g} s, {threads} client threads in a separate process; medians")
    print(f"{'verified signed ApplyImageUpload':<52}{'req/s':>10}{'failed':>8}")
    print(f"{'werkzeug threaded server (closes each connection)':<52}{med['werkzeug']:>10.0f}{fails['werkzeug']:>8}")
    print(f"{'cheroot, HTTP/1.1 keep-alive (the emulator now)':<52}{med['cheroot']:>10.0f}{fails['cheroot']:>8}")
    print(f"ratio cheroot / werkzeug = {ratio:.2f}  (goal >= 1.50: {'met' if ratio >= 1.5 else 'NOT met'})")
    return ratio


def _upload_seconds(emu, data: bytes, repeats: int) -> float:
    """Median seconds to PUT ``data`` to one StoreUri (SDK shape), keep-alive session."""
    sdk = requests.Session()
    sdk.verify = emu.ca_bundle or True
    apply = ik.presets.IMAGEX_OPENAPI.sign(ik.HttpRequest.build(
        "GET", f"{emu.endpoints.imagex}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId={emu.demo_service_id}"),
        emu.demo_volc_credentials).signed_request
    addr = sdk.get(apply.url, headers=dict(apply.headers), verify=emu.ca_bundle or True,
                   timeout=10).json()["Result"]["UploadAddress"]
    info, host = addr["StoreInfos"][0], addr["UploadHosts"][0]
    url = f"{emu.url.split(':')[0]}://{host}/{info['StoreUri']}"
    h = {"Authorization": info["Auth"], "Content-CRC32": f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"}
    times = []
    for _ in range(repeats + 1):
        t = time.perf_counter()
        r = sdk.put(url, data=data, headers=h, timeout=60, verify=emu.ca_bundle or True)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
    return statistics.median(times[1:])                 # the first one pays the handshake


def bench_tls_upload(mib: float, rounds: int, repeats: int = 5) -> float:
    data = np.random.default_rng(0).integers(0, 256, int(mib * 2 ** 20), dtype=np.uint8).tobytes()
    opts = dict(max_body_upload=len(data) + 1)
    got: dict[str, list[float]] = {"plain": [], "tls": []}
    with running(seed=0, **opts) as plain, running(seed=0, tls=True, **opts) as tls:
        for rnd in range(rounds):
            for name, emu in ((("plain", plain), ("tls", tls)) if rnd % 2 == 0 else (("tls", tls), ("plain", plain))):
                got[name].append(_upload_seconds(emu, data, repeats))
    med = {k: statistics.median(v) for k, v in got.items()}
    ratio = med["tls"] / med["plain"]
    print(f"\nupload {mib:g} MiB to the upload host (PUT, keep-alive), {rounds} interleaved rounds; medians")
    print(f"{'':<52}{'seconds':>10}{'MiB/s':>10}")
    for k in ("plain", "tls"):
        print(f"{k:<52}{med[k]:>10.3f}{mib / med[k]:>10.0f}")
    print(f"ratio TLS / plain = {ratio:.2f}  (goal <= 1.30: {'met' if ratio <= 1.3 else 'NOT met'})")
    return ratio


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
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--upload-mib", type=float, default=8.0)
    a = ap.parse_args()
    bench_server(a.seconds, a.threads, a.rounds)
    bench_tls_upload(a.upload_mib, a.rounds)
    bench_inpaint()


if __name__ == "__main__":
    main()
