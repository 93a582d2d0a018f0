"""Peak memory of uploading a 512 MiB file: the client runs in a child process and its RSS is
sampled every 5 ms by psutil; the emulator runs in another process, whose RSS is sampled the
same way (it spools bodies to disk). Goal: growth <= 64 MiB for each.

    $ .venv/bin/python benchmarks/upload_memory.py [--mib 512] [--flavour openapi web]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import struct
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from upload import EmulatorProcess


def write_big_png(path: Path, mib: int) -> None:
    """A valid RGBA PNG of about ``mib`` MiB, written row by row (stored, level-0 deflate)."""
    width = 16384
    height = max(1, (mib << 20) // (width * 4))
    rng_row = bytes((i * 2654435761) & 0xFF for i in range(width * 4))

    def chunk(f, kind: bytes, data: bytes) -> None:
        f.write(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        chunk(f, b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
        comp = zlib.compressobj(0)
        row = b"\x00" + rng_row
        for _y in range(height):
            out = comp.compress(row)
            if out:
                chunk(f, b"IDAT", out)
        chunk(f, b"IDAT", comp.flush())
        chunk(f, b"IEND", b"")


def _child(conn, path: str, flavour: str, endpoints: dict, info: dict, chunk_size: int) -> None:
    import psutil  # type: ignore[import-untyped]

    import imgx_kit as ik
    proc = psutil.Process()
    if flavour == "web":
        client = ik.ImageXClient.jimeng(sessionid=info["sessionid"], endpoints=endpoints, chunk_size=chunk_size)
    else:
        client = ik.ImageXClient.openapi(ik.Credentials(*info["volc"]), service_id=info["service_id"],
                                         endpoints=endpoints, chunk_size=chunk_size)
    client.upload(_small())                      # warm up: imports, pool, token
    base = proc.memory_info().rss
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.005)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.perf_counter()
    up = client.upload(path)
    dt = time.perf_counter() - t0
    stop.set()
    th.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    conn.send({"seconds": dt, "growth": peak[0] - base, "base": base, "size": up.size, "crc32": up.crc32,
               "calls": len(up.calls), "max_read": client.read_stats.get("max_read", 0)})


def _small() -> bytes:
    import io

    from PIL import Image
    b = io.BytesIO()
    Image.new("RGB", (4, 4)).save(b, "PNG")
    return b.getvalue()


class _RssPeak:
    """Peak RSS growth of another process (the emulator) while the ``with`` block runs."""

    def __init__(self, pid: int) -> None:
        import psutil
        self.proc = psutil.Process(pid)
        self.growth = 0

    def __enter__(self) -> _RssPeak:
        self.base = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()
        self.growth = self.peak - self.base


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--flavour", nargs="+", default=["openapi", "web"], choices=["openapi", "web"])
    ap.add_argument("--chunk-size", type=int, default=1 << 20)
    args = ap.parse_args(argv)
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="imgx-mem-") as tmp, \
            EmulatorProcess(max_body_upload=(args.mib + 64) << 20) as emu:
        path = Path(tmp) / "big.png"
        write_big_png(path, args.mib)
        size = path.stat().st_size
        print(f"file: {size / 2**20:.1f} MiB PNG; chunk size {args.chunk_size >> 10} KiB; client in a child process")
        print(f"{'flavour':<10} {'seconds':>8} {'MiB/s':>8} {'client growth':>14} {'emulator growth':>16} "
              f"{'largest read':>13}  goal <= 64 MiB")
        ok = True
        for flavour in args.flavour:
            parent, child = ctx.Pipe()
            p = ctx.Process(target=_child, args=(child, str(path), flavour, emu.endpoints, emu.info, args.chunk_size))
            assert emu.proc.pid is not None
            with _RssPeak(emu.proc.pid) as server:
                p.start()
                r = parent.recv()
                p.join()
            growth, egrowth = r["growth"] / 2**20, server.growth / 2**20
            good = growth <= 64 and egrowth <= 64
            ok &= good
            print(f"{flavour:<10} {r['seconds']:8.2f} {size / 2**20 / r['seconds']:8.1f} {growth:10.1f} MiB "
                  f"{egrowth:12.1f} MiB {r['max_read'] >> 10:9d} KiB  {'ok' if good else 'OVER'}  ({r['calls']} calls)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
