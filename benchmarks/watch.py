"""What ``ik.watch()`` costs: per-call overhead on plain ``requests`` calls to the emulator (medians
of interleaved rounds, with and without a watch open) and the time to diagnose one recorded
signature failure (the volcengine SDK with a wrong secret).

    PYTHONPATH=. python benchmarks/watch.py
"""
from __future__ import annotations

import statistics
import time
from urllib.parse import urlsplit

import requests

import imgx_kit as ik
from imgx_kit.emulator.api import running

ROUNDS, CALLS = 7, 50


def _burst(session: requests.Session, url: str) -> float:
    t0 = time.perf_counter()
    for _ in range(CALLS):
        session.get(url, timeout=10)
    return (time.perf_counter() - t0) / CALLS * 1000


def main() -> None:
    with running(seed=0) as emu:
        url = emu.endpoints.visual + "/?Action=Nothing"
        s = requests.Session()
        _burst(s, url)
        plain, watched = [], []
        for _ in range(ROUNDS):
            plain.append(_burst(s, url))
            with ik.watch() as w:
                watched.append(_burst(s, url))
            _ = [x.code for x in w]                    # parse every recorded answer too
        print(f"requests.get, no watch:      {statistics.median(plain):6.2f} ms per call")
        print(f"requests.get, inside watch:  {statistics.median(watched):6.2f} ms per call "
              f"(+{statistics.median(watched) - statistics.median(plain):.2f} ms)")

        from volcengine.visual.VisualService import VisualService
        vs = VisualService()
        vs.set_ak(emu.demo_volc_credentials.access_key)
        vs.set_sk("wrong-secret")
        vs.set_host(urlsplit(emu.endpoints.visual).netloc)
        vs.set_scheme("http")
        times = []
        for _ in range(ROUNDS):
            with ik.watch(creds=emu.demo_volc_credentials) as w:
                try:
                    vs.cv_process({"req_key": "i2i_inpainting", "binary_data_base64": ["AAAA", "AAAA"]})
                except Exception:               # the SDK raises a bare Exception
                    pass
            t0 = time.perf_counter()
            top = w.failures[0].top_cause
            times.append((time.perf_counter() - t0) * 1000)
        print(f"diagnosis of one failure (wrong secret, with creds): {statistics.median(times):6.1f} ms "
              f"-> {top}")


if __name__ == "__main__":
    main()
