"""µs per signature, imgx-kit (its whole trace included) against the reference SDKs, on a varied
request mix: every request differs in path, query, headers and body (0–4 KiB).

Rows: AWS4 header (botocore ``SigV4Auth``), VOLC header (volcengine ``SignerV4.sign``), OSS V1 and
V4 header (oss2 ``Auth`` / ``AuthV4``), presigned AWS4 (botocore ``SigV4QueryAuth``) and VOLC
(volcengine ``SignerV4.sign_url``), and the old single-shape AWS4/VOLC run as second rows. Each
side builds its own request object from the same inputs inside the timed call. Before timing,
the first requests of the mix are signed by both sides and must come out byte-equal.

Clocks are pinned with plain functions (never mocks, whose call overhead would slow the SDKs):
botocore's ``get_current_datetime``, volcengine's ``get_current_format_date``, oss2's
``utils.http_date`` and ``datetime``; imgx-kit gets ``at=``.

Rounds are interleaved (each round times every row, ours and theirs back to back, order
alternating), and the table shows medians over rounds, the ratio being the median of the
per-round ratios. Run: ``python benchmarks/sign.py [--n 2000] [--rounds 15]``
"""
from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Any, NamedTuple
from unittest import mock
from urllib.parse import quote

import imgx_kit as ik

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)
NAIVE = AT.replace(tzinfo=None)
XDATE = "20250101T000000Z"
AK, SK, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "STS2exampletoken/with+slash="
HOSTS = ["imagex.bytedanceapi.com", "visual.volcengineapi.com", "open.volcengineapi.com", "s3.amazonaws.com"]
OSS_ENDPOINT, OSS_REGION, BUCKET = "https://oss-cn-hangzhou.aliyuncs.com", "cn-hangzhou", "examplebucket"
WORDS = ["photos", "2025", "cat", "tos-cn-i-x", "abc.jpg", "thumb_100", "a b", "中文", "v1", "obj~1", "x-y.png"]
QKEYS = ["Action", "Version", "ServiceId", "SessionKey", "prefix", "marker", "max-keys", "uploadId", "partNumber",
         "response-content-type", "versionId", "x-param"]
QVALS = ["CommitImageUpload", "2018-08-01", "tb4s082cfz", "a b", "photos/2025/", "1000", "中文", "x+y=z", "",
         "eyJhY2NvdW50VHlwZSI6IkltYWdlWCJ9", "image/png"]
HNAMES = ["X-Request-Id", "X-Tt-Logid", "X-Meta-Owner", "X-Client", "X-Trace", "X-Top-Request-Id", "X-Upload-Id",
          "X-Amz-Meta-Color", "X-Custom", "X-Biz"]
HVALS = ["0123456789abcdef", "imgx-kit/1.0", "a  b   c", "blue", "2025-01-01", "spaces at end ", "x=1;y=2", "中文"]
CTYPES = ["application/json", "application/octet-stream", "image/png", "text/plain; charset=utf-8"]


class Spec(NamedTuple):
    """One request of the mix, as plain data every library can be given."""

    method: str
    host: str
    path: str                       # decoded
    pairs: list[tuple[str, str]]    # decoded, unique keys (the SDKs keep one value per key)
    headers: list[tuple[str, str]]
    body: bytes
    url: str                        # https://host + encoded path + encoded query
    key: str                        # the OSS object key (the path without its first '/')
    oss_url: str                    # the object's URL as oss2 makes it, with the query
    oss_base: str                   # the same without the query (oss2 takes the params apart)
    oss_headers: list[tuple[str, str]]


def _enc(text: str) -> str:
    return quote(text, safe="-_.~")


def mix(n: int, seed: int) -> list[Spec]:
    """``n`` different requests: paths of 1–4 segments, 0–6 query pairs, 0–8 headers, 0–4 KiB bodies."""
    rnd = random.Random(seed)
    blob = rnd.randbytes(4096)
    out = []
    for i in range(n):
        path = "/" + "/".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 4))) + f"/{seed}-{i}"
        keys = rnd.sample(QKEYS, rnd.randint(0, 6))
        pairs = [(k, rnd.choice(QVALS)) for k in keys] + [("r", f"{seed}.{i}")]
        headers = [(k, rnd.choice(HVALS)) for k in rnd.sample(HNAMES, rnd.randint(0, 7))]
        method = rnd.choice(["GET", "POST", "PUT", "POST"])
        body = b"" if method == "GET" else blob[:rnd.randint(0, 4096)]
        if method != "GET":
            headers.insert(rnd.randint(0, len(headers)), ("Content-Type", rnd.choice(CTYPES)))
        host = rnd.choice(HOSTS)
        out.append(_spec(method, host, path, pairs, headers, body))
    return out


def _spec(method: str, host: str, path: str, pairs: list[tuple[str, str]], headers: list[tuple[str, str]],
          body: bytes) -> Spec:
    q = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in pairs)
    key = path[1:] or "index.html"
    oss_q = "&".join(f"{_enc(k)}={_enc(v)}" if v else _enc(k) for k, v in pairs)
    oss_base = ik.oss.object_url(OSS_ENDPOINT, BUCKET, key)
    oss_headers = [(k.replace("X-Amz-", "x-oss-").replace("X-Meta-", "x-oss-meta-"), v) for k, v in headers]
    return Spec(method, host, path, pairs, headers, body, f"https://{host}{quote(path, safe='/~')}?{q}", key,
                f"{oss_base}?{oss_q}", oss_base, oss_headers)


# ---- imgx-kit ---------------------------------------------------------------------------------
AWS, VOLC = ik.Signer(ik.AWS4, "cn-north-1", "imagex"), ik.Signer(ik.VOLC, "cn-north-1", "ImageX")
CREDS, OSS_CREDS = ik.Credentials(AK, SK, TOKEN), ik.Credentials(AK, SK)


def ours_aws(s: Spec) -> str:
    return AWS.sign(ik.HttpRequest.build(s.method, s.url, s.headers, s.body), CREDS, at=AT).authorization or ""


def ours_volc(s: Spec) -> str:
    return VOLC.sign(ik.HttpRequest.build(s.method, s.url, s.headers, s.body), CREDS, at=AT).authorization or ""


def ours_presign_aws(s: Spec) -> str:
    return AWS.presign(ik.HttpRequest.build(s.method, s.url, s.headers), CREDS, expires=900, at=AT).signed_request.url


def ours_presign_volc(s: Spec) -> str:
    return VOLC.presign(ik.HttpRequest.build(s.method, s.url), CREDS, expires=900, at=AT).signed_request.query


def ours_oss(version: int) -> Callable[[Spec], str]:
    def sign(s: Spec) -> str:
        req = ik.HttpRequest.build(s.method, s.oss_url, s.oss_headers, s.body)
        return ik.oss.sign(req, OSS_CREDS, BUCKET, s.key, version=version, region=OSS_REGION,
                           at=AT).authorization or ""
    return sign


# ---- the reference SDKs (clocks pinned with plain functions) ----------------------------------
def _pin_clocks() -> None:
    import oss2.auth
    import oss2.utils
    from volcengine.auth.SignerV4 import SignerV4

    class _FixedClock:
        @staticmethod
        def utcnow() -> datetime:
            return NAIVE

    http_date = formatdate(AT.timestamp(), usegmt=True)

    def boto_now(remove_tzinfo: bool = True) -> datetime:
        return NAIVE if remove_tzinfo else AT

    def oss2_http_date(timeval: float | None = None) -> str:
        return http_date if timeval is None else formatdate(timeval, usegmt=True)

    mock.patch("botocore.auth.get_current_datetime", boto_now).start()
    mock.patch.object(SignerV4, "get_current_format_date", staticmethod(lambda: XDATE)).start()
    mock.patch.object(oss2.utils, "http_date", oss2_http_date).start()
    mock.patch.object(oss2.auth, "datetime", _FixedClock).start()


def botocore_header(s: Spec) -> str:
    req = AWSRequest(method=s.method, url=s.url, headers=HTTPHeaders(s.headers), data=s.body)
    _BOTO.add_auth(req)
    return str(req.headers["Authorization"])


def botocore_presign(s: Spec) -> str:
    req = AWSRequest(method=s.method, url=s.url, headers=HTTPHeaders(s.headers), data=b"")
    _BOTO_Q.add_auth(req)
    return str(req.url)


def volc_header(s: Spec) -> str:
    r = VRequest()
    r.method, r.path, r.body = s.method, s.path, s.body
    r.headers = OrderedDict([("Host", s.host), *s.headers])
    r.query = OrderedDict(s.pairs)
    SignerV4.sign(r, _VCREDS)
    return str(r.headers["Authorization"])


def volc_presign(s: Spec) -> str:
    r = VRequest()
    r.method, r.path, r.body = s.method, s.path, b""
    r.headers = OrderedDict([("Host", s.host)])
    r.query = OrderedDict(s.pairs + [("X-Expires", "900")])
    return str(SignerV4.sign_url(r, _VCREDS))


def oss2_header(version: int) -> Callable[[Spec], str]:
    auth = oss2.Auth(AK, SK) if version == 1 else oss2.AuthV4(AK, SK)

    def sign(s: Spec) -> str:
        req = OssRequest(s.method, s.oss_base, params=dict(s.pairs), headers=dict(s.oss_headers),
                         data=s.body, region=OSS_REGION, product="oss")
        auth._sign_request(req, BUCKET, s.key)
        return str(req.headers["authorization"])
    return sign


def _load_sdks() -> None:
    global AWSRequest, HTTPHeaders, _BOTO, _BOTO_Q, VRequest, SignerV4, _VCREDS, oss2, OssRequest
    import oss2
    from botocore.auth import SigV4Auth, SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders as _HH
    from botocore.credentials import Credentials
    from oss2.http import Request as OssRequest
    from volcengine.auth.SignerV4 import SignerV4
    from volcengine.base.Request import Request as VRequest
    from volcengine.Credentials import Credentials as VCredentials

    def HTTPHeaders(pairs: list[tuple[str, str]]) -> Any:
        hh = _HH()
        for k, v in pairs:
            hh.add_header(k, v)
        return hh
    _BOTO = SigV4Auth(Credentials(AK, SK, TOKEN), "imagex", "cn-north-1")
    _BOTO_Q = SigV4QueryAuth(Credentials(AK, SK, TOKEN), "imagex", "cn-north-1", expires=900)
    _VCREDS = VCredentials(AK, SK, "ImageX", "cn-north-1", session_token=TOKEN)
    _pin_clocks()


# ---- the old single-shape rows --------------------------------------------------------------
SINGLE_BODY = b'{"SessionKey":"eyJhY2NvdW50VHlwZSI6IkltYWdlWCJ9","SuccessOids":["tos-cn-i-x/abc"]}'


def single(n: int, seed: int) -> list[Spec]:
    host = "imagex.bytedanceapi.com"
    out = []
    for i in range(n):
        pairs = [("Action", "CommitImageUpload"), ("Version", "2018-08-01"), ("ServiceId", "tb4s082cfz"),
                 ("s", f"r{seed}.{i}")]
        url = f"https://{host}/?" + "&".join(f"{k}={v}" for k, v in pairs)
        spec = _spec("POST", host, "/", pairs, [("Content-Type", "application/json")], SINGLE_BODY)
        out.append(spec._replace(url=url))
    return out


# ---- timing -------------------------------------------------------------------------------
class Row(NamedTuple):
    label: str
    ours: Callable[[Spec], str]
    anchor_name: str
    anchor: Callable[[Spec], str]
    goal: float | None
    shape: str = "varied"


def rows() -> list[Row]:
    return [
        Row("AWS4 header", ours_aws, "botocore SigV4Auth", botocore_header, 0.25),
        Row("VOLC header", ours_volc, "volcengine SignerV4.sign", volc_header, 0.5),
        Row("OSS V1 header", ours_oss(1), "oss2 Auth", oss2_header(1), 0.6),
        Row("OSS V4 header", ours_oss(4), "oss2 AuthV4", oss2_header(4), 0.5),
        Row("presign AWS4", ours_presign_aws, "botocore SigV4QueryAuth", botocore_presign, 0.35),
        Row("presign VOLC", ours_presign_volc, "volcengine sign_url", volc_presign, 0.5),
        Row("AWS4 header", ours_aws, "botocore SigV4Auth", botocore_header, None, "single"),
        Row("VOLC header", ours_volc, "volcengine SignerV4.sign", volc_header, None, "single"),
    ]


def check_equal(table: list[Row], specs: list[Spec], k: int = 300) -> None:
    """Both sides sign the same requests; the outputs must be byte-equal (else the timing means nothing)."""
    for row in table:
        for s in specs[:k]:
            a, b = row.ours(s), row.anchor(s)
            if row.label == "presign AWS4":      # botocore's URL order differs; compare what was signed
                a, b = a.rsplit("X-Amz-Signature=", 1)[1], b.rsplit("X-Amz-Signature=", 1)[1]
            assert a == b, f"{row.label}: imgx-kit and {row.anchor_name} differ on {s}:\n{a}\n{b}"


def _time(fn: Callable[[Spec], str], specs: list[Spec]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    for s in specs:
        fn(s)
    return (time.perf_counter() - t0) / len(specs) * 1e6


def measure(table: list[Row], n: int, rounds: int) -> list[tuple[list[float], list[float]]]:
    """Per row, (our µs per round, the anchor's µs per round); each round uses fresh requests."""
    times: list[tuple[list[float], list[float]]] = [([], []) for _ in table]
    for r in range(rounds):
        mixes = {"varied": mix(n, 1000 + r), "single": single(n, 1000 + r)}
        for row, (ours, theirs) in zip(table, times, strict=True):
            specs = mixes[row.shape]
            if r % 2:
                theirs.append(_time(row.anchor, specs))
                ours.append(_time(row.ours, specs))
            else:
                ours.append(_time(row.ours, specs))
                theirs.append(_time(row.anchor, specs))
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="requests per round (all different)")
    ap.add_argument("--rounds", type=int, default=15, help="interleaved rounds")
    args = ap.parse_args()
    _load_sdks()
    table = rows()
    check_equal(table, mix(args.n, 7))
    times = measure(table, args.n, args.rounds)
    print(f"µs per signature, medians of {args.rounds} interleaved rounds × {args.n} requests "
          f"(ratio = median of per-round ratios); imgx-kit includes its trace; outputs checked byte-equal\n")
    print(f"{'row':<16}{'mix':<8}{'ours µs':>9}  {'anchor':<26}{'anchor µs':>10}{'ratio':>8}{'goal':>8}")
    for row, (ours, theirs) in zip(table, times, strict=True):
        ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
        goal = f"≤ {row.goal:.2f}" if row.goal else "-"
        print(f"{row.label:<16}{row.shape:<8}{statistics.median(ours):>9.1f}  {row.anchor_name:<26}"
              f"{statistics.median(theirs):>10.1f}{ratio:>8.2f}{goal:>8}")


if __name__ == "__main__":
    main()
