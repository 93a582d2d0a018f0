"""Upload throughput against the emulator, with and without network latency, printed as a table.

What is measured (100 files x 1 MiB by default, the same bytes for every row):

* ``upload_many``      ImageXClient.jimeng(...).upload_many(paths, concurrency=8): token cached,
                       one Apply and one Commit per 10 files, every call on one pool of 8 threads;
                       against the emulator in its own process, and against one in this process
                       (as in the notebooks: the server's threads share this process's GIL)
* ``raw PUT``          8 threads of requests.Session().put of each file to an upload slot applied
                       beforehand (no signing, no protocol, no records: the limit of this stack)
* ``seed-style``       the seeds' client: token, Apply, upload, Commit per file, one after another,
                       no connection reuse, whole file in memory (what a first naive client does)

Latency is the emulator's own fault (``latency=`` seconds before each answer), so every request
costs one round trip of ``--latency-ms``. For each row the table prints its **limit**: the larger
of the latency bound (calls ÷ concurrency × RTT: with that many calls in flight, the waiting alone
takes this long) and the same row's time at 0 ms (the CPU-bound time: waiting and CPU overlap, so
the slower one bounds the run); and how close the row is to it (time ÷ limit, 1.00 = at the limit).

Rounds are interleaved (every row at every latency once per round, so a slow moment of the machine hits all rows
alike); the table shows medians. Goals are printed beside the figures; the script always exits 0.

    $ python benchmarks/upload.py                       # 0 and 30 ms, 3 rounds
    $ python benchmarks/upload.py --latency-ms 0 10 30 --rounds 5 --files 50
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import requests
from PIL import Image

import imgx_kit as ik
from imgx_kit.core import presets


# ---- the emulator, in a child process or in this one ---------------------------------------------
def _serve(conn, options: dict) -> None:
    from imgx_kit.emulator.api import Emulator
    emu = Emulator(**options).start()
    volc = emu.demo_volc_credentials
    conn.send({"url": emu.url, "sessionid": emu.demo_sessionid, "service_id": emu.demo_service_id,
               "volc": (volc.access_key, volc.secret_key)})
    while True:                                   # commands: ("latency", seconds) | "stop"
        msg = conn.recv()
        if msg == "stop":
            break
        _set_latency(emu, msg[1])
        conn.send("ok")
    emu.stop()


def _set_latency(emu, seconds: float) -> None:
    emu.faults.clear()
    if seconds > 0:
        emu.faults.add("*", latency=seconds)


def _endpoints(url: str) -> dict:
    return {"jimeng": f"{url}/jimeng", "imagex": f"{url}/imagex", "upload": url, "visual": f"{url}/visual", "oss": url}


class EmulatorProcess:
    """The emulator in a child process, so its CPU and GIL are not the client's."""

    where = "child process"

    def __init__(self, **options: Any) -> None:
        self.options = options            # Emulator(...) options, e.g. max_body_upload=...

    def __enter__(self) -> EmulatorProcess:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, self.options), daemon=True)
        self.proc.start()
        self.info: dict[str, Any] = self.conn.recv()       # url, sessionid, service_id, volc key pair
        self.endpoints, self.sessionid = _endpoints(self.info["url"]), self.info["sessionid"]
        return self

    def latency(self, seconds: float) -> None:
        self.conn.send(("latency", seconds))
        self.conn.recv()

    def __exit__(self, *exc) -> None:
        self.conn.send("stop")
        self.proc.join(10)


class EmulatorHere:
    """The emulator in this process (as ``ik.emulator.running()`` in a notebook)."""

    where = "this process"

    def __enter__(self) -> EmulatorHere:
        self.emu = ik.emulator.Emulator().start()
        self.endpoints, self.sessionid = _endpoints(self.emu.url), self.emu.demo_sessionid
        return self

    def latency(self, seconds: float) -> None:
        _set_latency(self.emu, seconds)

    def __exit__(self, *exc) -> None:
        self.emu.stop()


# ---- the contenders: each returns (seconds, HTTP calls made, calls in flight) ---------------------
def make_files(folder: Path, n: int, mib: float) -> list[Path]:
    side = max(8, int((mib * 1024 * 1024 / 3) ** 0.5))
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        p = folder / f"img{i:04d}.png"
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(p, "PNG", compress_level=0)
        paths.append(p)
    return paths


def run_upload_many(emu, paths: list[Path], concurrency: int) -> tuple[float, int, int]:
    ix = ik.ImageXClient.jimeng(sessionid=emu.sessionid, endpoints=emu.endpoints)
    ix.upload(paths[0])                                          # untimed: the token and the pool
    t0 = time.perf_counter()
    batch = ix.upload_many(paths, concurrency=concurrency, progress=False)
    took = time.perf_counter() - t0
    assert batch.ok, batch
    return took, len(batch.all_calls), concurrency


def run_raw_put(emu, paths: list[Path], threads: int) -> tuple[float, int, int]:
    """``threads`` threads, each with its own requests.Session, PUT the files to slots applied
    beforehand (untimed), the same bytes and CRC header the client sends."""
    ix = ik.ImageXClient.jimeng(sessionid=emu.sessionid, endpoints=emu.endpoints)
    from imgx_kit.services.calls import Calls
    from imgx_kit.services.images import load_image
    calls = Calls()
    tok = ix._get_token(calls)
    srcs = [load_image(p) for p in paths]
    addrs = []
    for k in range(0, len(srcs), 10):
        addrs += ix._apply_many(tok, [s.size for s in srcs[k:k + 10]], calls)
    jobs = list(zip(addrs, paths, [s.crc32_hex for s in srcs], strict=True))
    up = emu.endpoints["upload"]

    def worker(part: list) -> None:
        s = requests.Session()
        for addr, p, crc in part:
            with open(p, "rb") as f:
                r = s.put(f"{up}/{addr.store_uri}", data=f, headers={"Authorization": addr.auth, "Content-CRC32": crc})
            assert r.status_code == 200, r.text

    ts = [threading.Thread(target=worker, args=(jobs[i::threads],)) for i in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - t0, len(jobs), threads


def run_seed_style(emu, paths: list[Path]) -> tuple[float, int, int]:
    """The seeds' flow, per file and in order: get_upload_token, Apply, upload, Commit."""
    endpoints, sessionid = emu.endpoints, emu.sessionid
    signer = presets.JIMENG_IMAGEX
    t0 = time.perf_counter()
    for p in paths:
        data = p.read_bytes()
        r = requests.post(f"{endpoints['jimeng']}/mweb/v1/get_upload_token?aid=513695",
                          headers={"Cookie": f"sessionid={sessionid}", "Content-Type": "application/json"},
                          data=b'{"scene":2}').json()["data"]
        creds = ik.Credentials(r["access_key_id"], r["secret_access_key"], session_token=r["session_token"])
        sid = r["service_id"]
        q = urlencode([("Action", "ApplyImageUpload"), ("Version", "2018-08-01"), ("ServiceId", sid),
                       ("FileSize", str(len(data))), ("s", "abc")])
        t = signer.sign(ik.HttpRequest.build("GET", f"{endpoints['imagex']}/?{q}"), creds)
        answer = requests.get(t.signed_request.url, headers=dict(t.signed_request.headers)).json()
        ua = answer["Result"]["UploadAddress"]
        info = ua["StoreInfos"][0]
        up = requests.post(f"{endpoints['upload']}/upload/v1/{info['StoreUri']}", data=data,
                           headers={"Authorization": info["Auth"], "Content-CRC32": f"{zlib.crc32(data):08x}"})
        assert up.json()["code"] == 2000
        q = urlencode([("Action", "CommitImageUpload"), ("Version", "2018-08-01"), ("ServiceId", sid)])
        body = json.dumps({"SessionKey": ua["SessionKey"]}, separators=(",", ":"))
        t = signer.sign(ik.HttpRequest.build("POST", f"{endpoints['imagex']}/?{q}",
                                             [("Content-Type", "application/json")], body), creds)
        res = requests.post(t.signed_request.url, headers=dict(t.signed_request.headers), data=body).json()
        assert res["Result"]["Results"][0]["UriStatus"] == 2000
    return time.perf_counter() - t0, 4 * len(paths), 1


# ---- the table -------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--mib", type=float, default=1.0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 30.0],
                    help="emulator latency per request, one table column each (default: 0 30)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are shown")
    ap.add_argument("--seed-rounds", type=int, default=1,
                    help="rounds of the slow seed-style row (it takes ~4 x files x RTT each)")
    args = ap.parse_args(argv)
    lats = sorted(set(args.latency_ms) | {0.0})           # 0 ms is every row's CPU-bound time
    c = args.concurrency
    with tempfile.TemporaryDirectory(prefix="imgx-bench-") as tmp, EmulatorProcess() as child, \
            EmulatorHere() as here:
        paths = make_files(Path(tmp), args.files, args.mib)
        total = sum(p.stat().st_size for p in paths) / 2 ** 20
        rows: dict[str, Callable[[], tuple[float, int, int]]] = {
            f"upload_many, concurrency {c}": lambda: run_upload_many(child, paths, c),
            f"upload_many, concurrency {c}, in-process emulator": lambda: run_upload_many(here, paths, c),
            f"raw PUT, {c} threads": lambda: run_raw_put(child, paths, c),
            "seed-style client, sequential": lambda: run_seed_style(child, paths),
        }
        times: dict[tuple[str, float], list[float]] = {}
        calls: dict[tuple[str, float], tuple[int, int]] = {}
        for r in range(args.rounds):              # every latency inside every round: a load change
            for lat in lats:                       # between rounds hits the 0 ms and 30 ms columns alike
                child.latency(lat / 1000)
                here.latency(lat / 1000)
                for name, fn in rows.items():
                    if name.startswith("seed") and r >= args.seed_rounds:
                        continue
                    t, n, inflight = fn()
                    times.setdefault((name, lat), []).append(t)
                    calls[(name, lat)] = (n, inflight)
        med = {k: statistics.median(v) for k, v in times.items()}

        print(f"{args.files} files x {args.mib:g} MiB = {total:.1f} MiB; emulator in a child process unless "
              f"noted; {mp.cpu_count()} cores; medians of {args.rounds} interleaved rounds "
              f"(seed-style: {args.seed_rounds})")
        print("limit = max(calls / in-flight x RTT, the same row at 0 ms); 'x limit' = time / limit\n")
        print(f"{'row':<50} {'RTT':>6} {'seconds':>8} {'MiB/s':>7} {'calls':>6} {'limit':>7} {'x limit':>8}  bound")
        for name in rows:
            for lat in lats:
                if (name, lat) not in med:
                    continue
                t = med[(name, lat)]
                n, inflight = calls[(name, lat)]
                lat_bound = n / inflight * lat / 1000
                cpu = med[(name, 0.0)]
                limit, kind = (lat_bound, "latency") if lat_bound > cpu else (cpu, "CPU")
                print(f"{name:<50} {lat:4g}ms {t:8.2f} {total / t:7.1f} {n:6d} {limit:7.2f} {t / limit:8.2f}  {kind}")
        m0 = med[(f"upload_many, concurrency {c}", 0.0)]
        raw0 = med[(f"raw PUT, {c} threads", 0.0)]
        here0 = med[(f"upload_many, concurrency {c}, in-process emulator", 0.0)]
        print("\ngoals")
        top = max(lats)
        if top > 0:
            name = f"upload_many, concurrency {c}"
            t = med[(name, top)]
            n, inflight = calls[(name, top)]
            limit = max(n / inflight * top / 1000, m0)
            print(f"  upload_many at {top:g} ms: {t / limit:.2f} x its limit              (goal <= 1.4 x)")
            th = med[(f"{name}, in-process emulator", top)]
            print(f"  in-process / child-process emulator at {top:g} ms: {th / t:.2f} x       (goal <= 1.1 x)")
        print(f"  upload_many / raw {c}-thread PUT throughput at 0 ms: {raw0 / m0:.2f} x  (goal >= 0.8 x)")
        print(f"  in-process / child-process emulator at 0 ms: {here0 / m0:.2f} x          (goal <= 1.1 x)")
        seed_top = med.get(("seed-style client, sequential", top))
        if seed_top:
            faster = seed_top / med[(f"upload_many, concurrency {c}", top)]
            print(f"  upload_many vs seed-style client at {top:g} ms: {faster:.1f} x faster")
        print("\n(the emulator's server stack decides much of the 0 ms column: re-measure after it changes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
