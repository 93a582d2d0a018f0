"""Upload throughput against one emulator (run in its own process), printed as a table:

* ``upload_many``           ImageXClient.jimeng(...).upload_many(paths, concurrency=8)
* ``raw PUT``               requests.Session().put of the same bytes to the upload route, one
                            after another, with addresses applied beforehand (no signing, no
                            protocol: the limit of this stack)
* ``seed-style client``     token, apply, upload, commit per file, sequential, no session reuse,
                            whole file in memory (what a first naive client does)

    $ .venv/bin/python benchmarks/upload.py [--files 100] [--mib 1] [--concurrency 8]
"""
from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import sys
import tempfile
import time
import zlib
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import requests
from PIL import Image

import imgx_kit as ik
from imgx_kit.core import presets


def _serve(conn, options: dict) -> None:
    from imgx_kit.emulator.api import Emulator
    emu = Emulator(**options).start()
    conn.send({"url": emu.url, "sessionid": emu.demo_sessionid, "service_id": emu.demo_service_id,
               "volc": (emu.demo_volc_credentials.access_key, emu.demo_volc_credentials.secret_key)})
    conn.recv()                                   # wait until told to stop
    emu.stop()


class EmulatorProcess:
    """The emulator in a child process, so its CPU and memory are not the client's."""

    def __init__(self, **options) -> None:
        self.options = options

    def __enter__(self):
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, self.options), daemon=True)
        self.proc.start()
        self.info = self.conn.recv()
        u = self.info["url"]
        self.endpoints = {"jimeng": f"{u}/jimeng", "imagex": f"{u}/imagex", "upload": u, "visual": f"{u}/visual", "oss": u}
        return self

    def __exit__(self, *exc) -> None:
        self.conn.send("stop")
        self.proc.join(10)


def make_files(folder: Path, n: int, mib: float) -> list[Path]:
    side = int((mib * 1024 * 1024 / 3) ** 0.5)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        p = folder / f"img{i:03d}.png"
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(p, "PNG", compress_level=0)
        paths.append(p)
    return paths


def seed_style(paths: list[Path], endpoints: dict, sessionid: str) -> None:
    """The naive sequential client: everything per file, no session, whole file in memory."""
    signer = presets.JIMENG_IMAGEX
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
        ua = requests.get(t.signed_request.url, headers=dict(t.signed_request.headers)).json()["Result"]["UploadAddress"]
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


def raw_put(paths: list[Path], endpoints: dict, sessionid: str) -> float:
    """Sequential requests.Session().put of each file to an upload slot applied beforehand."""
    ix = ik.ImageXClient.jimeng(sessionid=sessionid, endpoints=endpoints)
    from imgx_kit.services.calls import Calls
    calls = Calls()
    tok = ix._get_token(calls)
    from imgx_kit.services.images import load_image
    prepared = []
    for p in paths:                                  # untimed: addresses and CRCs
        src = load_image(p)
        prepared.append((ix._apply(tok, src, calls), p, src.crc32_hex))
    s = requests.Session()
    t0 = time.perf_counter()
    for addr, p, crc in prepared:
        with open(p, "rb") as f:
            r = s.put(f"{endpoints['upload']}/{addr.store_uri}", data=f,
                      headers={"Authorization": addr.auth, "Content-CRC32": crc})
        assert r.status_code == 200, r.text
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--mib", type=float, default=1.0)
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="imgx-bench-") as tmp, EmulatorProcess() as emu:
        paths = make_files(Path(tmp), args.files, args.mib)
        total = sum(p.stat().st_size for p in paths) / 2 ** 20
        ep, sid = emu.endpoints, emu.info["sessionid"]
        rows = []
        ix = ik.ImageXClient.jimeng(sessionid=sid, endpoints=ep)
        ix.upload(paths[0])                                        # warm-up (token, pool)
        t0 = time.perf_counter()
        batch = ix.upload_many(paths, concurrency=args.concurrency, progress=False)
        t_many = time.perf_counter() - t0
        assert batch.ok, batch
        t_raw = raw_put(paths, ep, sid)
        t0 = time.perf_counter()
        seed_style(paths, ep, sid)
        t_seed = time.perf_counter() - t0
        rows = [(f"upload_many (concurrency {args.concurrency})", t_many), ("raw requests.Session().put, sequential", t_raw),
                ("seed-style client, sequential", t_seed)]
        print(f"{args.files} files x {args.mib:g} MiB = {total:.1f} MiB, emulator in a child process, "
              f"{mp.cpu_count()} cores")
        print(f"{'method':<42} {'seconds':>8} {'MiB/s':>8} {'files/s':>8}")
        for name, t in rows:
            print(f"{name:<42} {t:8.2f} {total / t:8.1f} {args.files / t:8.1f}")
        print(f"\nupload_many / raw PUT throughput: {t_raw / t_many:.2f}x  (goal >= 0.8x)")
        print(f"upload_many vs seed-style client:  {t_seed / t_many:.2f}x faster  (goal >= 2.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
