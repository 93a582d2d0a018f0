"""Microseconds per signature, in one process, on the same requests: imgx-kit (trace included)
against botocore SigV4Auth, the volcengine SDK's SignerV4 and requests-aws4auth.

Every request differs (a counter in the query), so nothing is cached by URL; the time is pinned
for every library. Run: python benchmarks/sign.py [--n 3000]
"""
from __future__ import annotations

import argparse
from collections import OrderedDict
from datetime import datetime, timezone
from unittest import mock

import imgx_kit as ik
from _timing import interleaved

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)
AK, SK, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "STS2exampletoken"
HOST = "imagex.bytedanceapi.com"
BODY = b'{"SessionKey":"eyJhY2NvdW50VHlwZSI6IkltYWdlWCJ9","SuccessOids":["tos-cn-i-x/abc"]}'


def query(i: int) -> list[tuple[str, str]]:
    return [("Action", "CommitImageUpload"), ("Version", "2018-08-01"), ("ServiceId", "tb4s082cfz"), ("s", f"r{i}")]


def url(i: int) -> str:
    return f"https://{HOST}/?" + "&".join(f"{k}={v}" for k, v in query(i))


_AWS_SIGNER = ik.Signer(ik.AWS4, "cn-north-1", "imagex")
_VOLC_SIGNER = ik.Signer(ik.VOLC, "cn-north-1", "ImageX")
_CREDS = ik.Credentials(AK, SK, TOKEN)


def ours_aws(i: int) -> str:
    req = ik.HttpRequest.build("POST", url(i), [("Content-Type", "application/json")], BODY)
    return _AWS_SIGNER.sign(req, _CREDS, at=AT).authorization


def ours_volc(i: int) -> str:
    req = ik.HttpRequest.build("POST", url(i), [("Content-Type", "application/json")], BODY)
    return _VOLC_SIGNER.sign(req, _CREDS, at=AT).authorization


def make_botocore():
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    signer = SigV4Auth(Credentials(AK, SK, TOKEN), "imagex", "cn-north-1")
    naive = AT.replace(tzinfo=None)
    patch = mock.patch("botocore.auth.get_current_datetime", return_value=naive)
    patch.start()

    def sign(i: int):
        req = AWSRequest(method="POST", url=url(i), headers={"Content-Type": "application/json"}, data=BODY)
        signer.add_auth(req)
        return req.headers["Authorization"]
    return sign


def make_volcengine():
    from volcengine.Credentials import Credentials
    from volcengine.auth.SignerV4 import SignerV4
    from volcengine.base.Request import Request
    creds = Credentials(AK, SK, "ImageX", "cn-north-1", session_token=TOKEN)
    patch = mock.patch.object(SignerV4, "get_current_format_date", return_value="20250101T000000Z")
    patch.start()

    def sign(i: int):
        r = Request()
        r.method, r.path, r.body = "POST", "/", BODY
        r.headers = OrderedDict([("Host", HOST), ("Content-Type", "application/json")])
        r.query = OrderedDict(query(i))
        SignerV4.sign(r, creds)
        return r.headers["Authorization"]
    return sign


def make_aws4auth():
    import requests
    from requests_aws4auth import AWS4Auth
    auth = AWS4Auth(AK, SK, "cn-north-1", "imagex", session_token=TOKEN, date="20250101")

    def sign(i: int):
        p = requests.Request("POST", url(i), headers={"Content-Type": "application/json",
                                                       "x-amz-date": "20250101T000000Z"}, data=BODY).prepare()
        auth(p)
        return p.headers["Authorization"]
    return sign


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    n = ap.parse_args().n
    times = interleaved({"imgx-kit AWS4 (trace included)": ours_aws, "imgx-kit VOLC (trace included)": ours_volc,
                         "botocore SigV4Auth": make_botocore(), "volcengine SignerV4.sign": make_volcengine(),
                         "requests-aws4auth (incl. prepare)": make_aws4auth()}, n)
    rows = list(times.items())
    print(f"µs per signature, best of 15 interleaved rounds × {n}, same requests, pinned time, one process\n")
    print(f"{'signer':<36}{'µs':>9}")
    for name, us in rows:
        print(f"{name:<36}{us:>9.1f}")
    aws, volc = times["imgx-kit AWS4 (trace included)"], times["imgx-kit VOLC (trace included)"]
    print()
    print(f"{'ratio':<52}{'value':>7}{'goal':>8}")
    for label, value, goal in [
        ("imgx-kit AWS4 / botocore", aws / times["botocore SigV4Auth"], 0.33),
        ("imgx-kit VOLC / volcengine", volc / times["volcengine SignerV4.sign"], 0.5),
        ("imgx-kit AWS4 / requests-aws4auth", aws / times["requests-aws4auth (incl. prepare)"], None),
    ]:
        print(f"{label:<52}{value:>7.2f}{f'≤ {goal:.2f}' if goal else '':>8}")


if __name__ == "__main__":
    main()
