"""Calling the independent implementations offline at a pinned time (recipes of oracles.md)."""
from __future__ import annotations

import datetime
import io
import logging
from collections import OrderedDict
from unittest import mock


# ---- botocore -------------------------------------------------------------------------------
def botocore_sign(method, url, headers, body, ak, sk, token, region, service, when, presign_expires=None,
                  s3=None):
    """botocore's signer; for service ``s3`` (or ``s3=True``) its S3 classes, as botocore's S3 client uses."""
    from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth

    if s3 is None:
        s3 = service == "s3"
    if s3:
        SigV4Auth, SigV4QueryAuth = S3SigV4Auth, S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    class _Capturing(SigV4Auth):
        def string_to_sign(self, request, canonical_request):
            self.canonical = canonical_request
            self.sts = super().string_to_sign(request, canonical_request)
            return self.sts

    class _CapturingQuery(SigV4QueryAuth):
        def string_to_sign(self, request, canonical_request):
            self.canonical = canonical_request
            self.sts = super().string_to_sign(request, canonical_request)
            return self.sts

    naive = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    from botocore.compat import HTTPHeaders
    hh = HTTPHeaders()
    for k, v in headers:
        hh.add_header(k, v)
    req = AWSRequest(method=method, url=url, data=body or b"")
    req.headers = hh
    creds = Credentials(ak, sk, token or None)
    signer = (_CapturingQuery(creds, service, region, expires=presign_expires) if presign_expires
              else _Capturing(creds, service, region))
    with mock.patch("botocore.auth.get_current_datetime", return_value=naive):
        signer.add_auth(req)
    return {"canonical_request": signer.canonical, "string_to_sign": signer.sts,
            "authorization": req.headers.get("Authorization"), "url": req.url}


# ---- volcengine SDK -------------------------------------------------------------------------
def volc_sign(method, path, query_pairs, headers, body, ak, sk, token, region, service, xdate, presign=False):
    from volcengine.auth.SignerV4 import SignerV4
    from volcengine.base.Request import Request
    from volcengine.Credentials import Credentials
    from volcengine.util.Util import Util

    r = Request()
    r.method, r.path, r.body = method, path, body
    r.headers = OrderedDict(headers)
    q: OrderedDict[str, object] = OrderedDict()
    for k, v in query_pairs:
        if k in q:
            prev = q[k]
            q[k] = (prev if isinstance(prev, list) else [prev]) + [v]
        else:
            q[k] = v
    r.query = q
    seen = []
    orig_sha, orig_hmac = Util.sha256, Util.hmac_sha256
    with mock.patch.object(SignerV4, "get_current_format_date", return_value=xdate), \
         mock.patch.object(Util, "sha256", side_effect=lambda s: (seen.append(s), orig_sha(s))[1]), \
         mock.patch.object(Util, "hmac_sha256", side_effect=lambda k, s: (seen.append(s), orig_hmac(k, s))[1]):
        c = Credentials(ak, sk, service, region, session_token=token or "")
        if presign:
            url_query = SignerV4.sign_url(r, c)
        else:
            SignerV4.sign(r, c)
            url_query = None
    canonical = [s for s in seen if isinstance(s, str) and s.startswith(method + "\n")][-1]
    sts = next(s for s in seen if isinstance(s, str) and s.startswith("HMAC-SHA256\n"))
    return {"canonical_request": canonical, "string_to_sign": sts,
            "authorization": r.headers.get("Authorization"), "query": url_query,
            "headers": list(r.headers.items())}


# ---- oss2 -----------------------------------------------------------------------------------
def oss2_sign_url(version, ak, sk, token, endpoint, bucket, key, expires, params, when, region=None,
                  method="GET", headers=None):
    import oss2
    from oss2.credentials import StaticCredentialsProvider

    buf = io.StringIO()
    h = logging.StreamHandler(buf)
    lg = logging.getLogger("oss2.auth")
    lg.addHandler(h)
    old = lg.level
    lg.setLevel(logging.DEBUG)
    try:
        if version == 1:
            auth = oss2.StsAuth(ak, sk, token, auth_version="v1") if token else oss2.Auth(ak, sk)
            b = oss2.Bucket(auth, endpoint, bucket)
            with mock.patch("oss2.auth.time.time", return_value=when.timestamp()):
                url = b.sign_url(method, key, expires, params=dict(params), headers=headers)
        else:
            auth = oss2.ProviderAuthV4(StaticCredentialsProvider(ak, sk, token))
            b = oss2.Bucket(auth, endpoint, bucket, region=region)
            fake = mock.MagicMock()
            fake.utcnow.return_value = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
            with mock.patch("oss2.auth.datetime", fake):
                url = b.sign_url(method, key, expires, params=dict(params), headers=headers)
    finally:
        lg.removeHandler(h)
        lg.setLevel(old)
    return url, buf.getvalue()


def oss2_sign_header(version, ak, sk, token, endpoint, bucket, key, method, headers, params, when, region=None):
    import oss2
    from oss2.credentials import StaticCredentialsProvider
    from oss2.http import Request

    if version == 1:
        auth = oss2.StsAuth(ak, sk, token, auth_version="v1") if token else oss2.Auth(ak, sk)
    else:
        auth = oss2.ProviderAuthV4(StaticCredentialsProvider(ak, sk, token))
    b = oss2.Bucket(auth, endpoint, bucket, region=region)
    url = b._make_url(bucket, key)
    req = Request(method, url, params=dict(params), headers=dict(headers), region=region, product="oss")
    fake = mock.MagicMock()
    fake.utcnow.return_value = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    from email.utils import formatdate
    with mock.patch("oss2.auth.datetime", fake), \
         mock.patch("oss2.utils.http_date", return_value=formatdate(when.timestamp(), usegmt=True)):
        auth._sign_request(req, bucket, key)
    return dict(req.headers)
