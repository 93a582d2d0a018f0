"""µs per signed OSS URL, imgx-kit vs oss2, same inputs, one process (V1 and V4).

Every call signs a different key; oss2's clock is pinned the way oracles.md §3 describes.
Run: python benchmarks/oss.py [--n 2000]
"""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
from unittest import mock

from _timing import interleaved

import imgx_kit as ik

AT = datetime(2024, 1, 1, tzinfo=timezone.utc)
AK, SK = "LTAI5tEXAMPLEAK", "EXAMPLESECRET"
ENDPOINT, REGION, BUCKET = "https://oss-cn-hangzhou.aliyuncs.com", "cn-hangzhou", "examplebucket"
PROCESS = "image/resize,m_lfit,w_100,h_100/rotate,90/format,png"


def ours(version: int):
    creds = ik.Credentials(AK, SK)

    def sign(i: int) -> str:
        return ik.oss.sign_url(BUCKET, f"photos/cat {i}.jpg", ENDPOINT, creds, expires=3600, process=PROCESS,
                               version=version, region=REGION, at=AT).signed_request.url
    return sign


def theirs(version: int):
    import oss2
    auth = oss2.Auth(AK, SK) if version == 1 else oss2.AuthV4(AK, SK)
    bucket = oss2.Bucket(auth, ENDPOINT, BUCKET, region=REGION)
    mock.patch("oss2.auth.time.time", return_value=AT.timestamp()).start()
    fake = mock.MagicMock()
    fake.utcnow.return_value = AT.replace(tzinfo=None)
    mock.patch("oss2.auth.datetime", fake).start()

    def sign(i: int) -> str:
        return bucket.sign_url("GET", f"photos/cat {i}.jpg", 3600, params={"x-oss-process": PROCESS})
    return sign


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    n = ap.parse_args().n
    for v in (1, 4):
        assert ours(v)(7) == theirs(v)(7), f"V{v} URLs differ"   # same inputs, same output
    t = interleaved({"ours V1": ours(1), "oss2 V1": theirs(1), "ours V4": ours(4), "oss2 V4": theirs(4)}, n)
    print(f"µs per signed URL, best of 15 interleaved rounds × {n}, same keys and process, pinned time\n")
    print(f"{'version':<10}{'imgx-kit':>10}{'oss2':>10}{'ratio':>8}{'goal':>9}")
    for v in (1, 4):
        a, b = t[f"ours V{v}"], t[f"oss2 V{v}"]
        print(f"{'V' + str(v):<10}{a:>10.1f}{b:>10.1f}{a / b:>8.2f}{'≤ 0.50':>9}")


if __name__ == "__main__":
    main()
