"""Seed 000's upload flow, written the way that seed's client works: plain ``requests``, a minimal
hand-written AWS4 signer that signs the path ``/`` with only ``x-amz-date;x-amz-security-token``
(plus ``x-amz-content-sha256`` with a body), against each service's own endpoint — so only the
base URLs differ from the real hosts. Nothing of imgx-kit's signer is used here.

The signer below follows seed 000's text (``aws_v4_sign``): query pairs sorted and joined
unescaped, canonical headers from the two ``x-amz-*`` headers, scope ``date/region/imagex/aws4_request``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import random
import zlib
from datetime import datetime, timezone

import pytest
import requests

from imgx_kit.emulator.api import running

from .helpers import png_bytes

CN_AID, INTL_AID = 513695, 513641


def aws_v4_sign(method: str, params: dict, body: str, creds: dict, region: str = "cn-north-1",
                service: str = "imagex") -> dict:
    """Seed 000's signer, transcribed."""
    now = datetime.now(timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    amz_day = now.strftime("%Y%m%d")
    headers = {"X-Amz-Date": amz_date, "X-Amz-Security-Token": creds["session_token"]}
    if body:
        body_hash = hashlib.sha256(body.encode() if isinstance(body, str) else body).hexdigest()
        headers["X-Amz-Content-Sha256"] = body_hash
    else:
        body_hash = hashlib.sha256(b"").hexdigest()
    signed_headers = ";".join(sorted(k.lower() for k in headers))
    canonical_headers = "".join(f"{k.lower()}:{v}\n" for k, v in sorted(headers.items()))
    query_string = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    canonical_request = f"{method}\n/\n{query_string}\n{canonical_headers}\n{signed_headers}\n{body_hash}"
    scope = f"{amz_day}/{region}/{service}/aws4_request"
    sts = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    k = hmac.new(f"AWS4{creds['secret_access_key']}".encode(), amz_day.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={creds['access_key_id']}/{scope}, "
                                f"SignedHeaders={signed_headers}, Signature={sig}")
    return headers


def get_upload_token(jimeng: str, sessionid: str, aid: int = CN_AID, region: str | None = None) -> dict:
    params: dict = {"aid": aid, "da_version": "3.2.2"}
    if region:
        params["region"] = region
    r = requests.post(f"{jimeng}/mweb/v1/get_upload_token", params=params,
                      headers={"Cookie": f"sessionid={sessionid}"}, json={"scene": 2}, timeout=10)
    assert r.json()["ret"] == "0", r.text
    return r.json()["data"]


def upload_image(emu, data: bytes, *, aid: int = CN_AID, site: str | None = None,
                 signing_region: str = "cn-north-1", imagex: str | None = None,
                 extra_headers: dict | None = None) -> tuple[str, dict]:
    """Seed 000's ``upload_image`` with the base URLs of ``emu``; (Uri, Apply result)."""
    ep = emu.endpoints
    imagex = imagex or ep.imagex
    creds = get_upload_token(ep.jimeng, emu.demo_sessionid, aid, site)
    sid = creds["service_id"]
    params = {"Action": "ApplyImageUpload", "FileSize": len(data), "ServiceId": sid, "Version": "2018-08-01",
              "s": "".join(random.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=11))}
    if aid == INTL_AID:
        params["device_platform"] = "web"                         # seed 001: the US flavour adds it
    headers = {**aws_v4_sign("GET", params, "", creds, region=signing_region), **(extra_headers or {})}
    resp = requests.get(imagex + "/", params=params, headers=headers, timeout=10)
    assert resp.status_code == 200, resp.text
    addr = resp.json()["Result"]["UploadAddress"]
    scheme = ep.upload.split("://")[0]
    url = f"{scheme}://{addr['UploadHosts'][0]}/upload/v1/{addr['StoreInfos'][0]['StoreUri']}"
    up = requests.post(url, data=data, headers={"Authorization": addr["StoreInfos"][0]["Auth"],
                                                "Content-Crc32": format(zlib.crc32(data) & 0xFFFFFFFF, "x"),
                                                "Content-Type": "application/octet-stream"}, timeout=10)
    assert up.status_code == 200 and up.json()["code"] == 2000, up.text
    commit_params = {"Action": "CommitImageUpload", "ServiceId": sid, "Version": "2018-08-01"}
    commit_body = {"SessionKey": addr["SessionKey"]}
    headers = aws_v4_sign("POST", commit_params, json.dumps(commit_body), creds, region=signing_region)
    headers["Content-Type"] = "application/json"
    headers.update(extra_headers or {})
    resp = requests.post(imagex + "/", params=commit_params, json=commit_body, headers=headers, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["Result"]["Results"][0]["Uri"], addr


@pytest.fixture(scope="module")
def emu():
    with running(seed=0) as e:
        yield e


def test_cn_flow_against_the_imagex_root(emu):
    data = png_bytes(20, 10)
    uri, addr = upload_image(emu, data)
    assert uri == addr["StoreInfos"][0]["StoreUri"] and uri.startswith("tos-cn-i-tb4s082cfz/")
    assert emu.state.slot(uri).data == data
    assert addr["UploadHosts"] == [emu.endpoints.upload.split("://")[1]]


@pytest.mark.parametrize("site,region", [("US", "us-east-1"), ("US", "useast5"), ("SG", "ap-southeast-1"),
                                         ("JP", "ap-southeast-1")])
def test_international_flow(emu, site, region):
    data = png_bytes(8, 8)
    uri, _ = upload_image(emu, data, aid=INTL_AID, site=site, signing_region=region)
    assert uri.startswith("tos-cn-i-wopfjsm1ax/") and emu.state.slot(uri).data == data


@pytest.mark.parametrize("aid,site,region", [
    (CN_AID, None, "us-east-1"), (CN_AID, None, "ap-southeast-1"),      # CN token: cn-north-1 only
    (INTL_AID, "SG", "us-east-1"), (INTL_AID, "SG", "cn-north-1"),      # SG token: ap-southeast-1 only
    (INTL_AID, "US", "ap-southeast-1"),
])
def test_region_is_bound_to_the_token(emu, aid, site, region):
    creds = get_upload_token(emu.endpoints.jimeng, emu.demo_sessionid, aid, site)
    params = {"Action": "ApplyImageUpload", "FileSize": 5, "ServiceId": creds["service_id"],
              "Version": "2018-08-01", "s": "abc"}
    r = requests.get(emu.endpoints.imagex + "/", params=params, timeout=10,
                     headers=aws_v4_sign("GET", params, "", creds, region=region))
    err = r.json()["ResponseMetadata"]["Error"]
    assert (r.status_code, err["Code"]) == (401, "SignatureDoesNotMatch"), r.text
    assert r.json()["ResponseMetadata"]["Region"] == region


def test_region_is_bound_to_the_real_host_name(emu):
    """On the main URL with the real Host names (the signer does not sign host): a US token on
    the CN host must sign cn-north-1, which the US token's set allows only on US/CN hosts."""
    data = png_bytes(4, 4)
    uri, _ = upload_image(emu, data, imagex=emu.url, extra_headers={"Host": "imagex.bytedanceapi.com"})
    assert emu.state.slot(uri).data == data
    creds = get_upload_token(emu.endpoints.jimeng, emu.demo_sessionid, INTL_AID, "US")
    params = {"Action": "ApplyImageUpload", "FileSize": 5, "ServiceId": creds["service_id"],
              "Version": "2018-08-01", "s": "abc", "device_platform": "web"}
    for host, region, ok in [("imagex16-normal-us-ttp.capcutapi.us", "us-east-1", True),
                             ("imagex.bytedanceapi.com", "us-east-1", False),
                             ("imagex-normal-sg.capcutapi.com", "us-east-1", False)]:
        h = {**aws_v4_sign("GET", params, "", creds, region=region), "Host": host}
        r = requests.get(emu.url + "/", params=params, headers=h, timeout=10)
        assert (r.status_code == 200) == ok, (host, r.text)


def test_seed001_required_parameters(emu):
    creds = get_upload_token(emu.endpoints.jimeng, emu.demo_sessionid)
    for drop in ("FileSize", "s", "ServiceId"):
        params = {"Action": "ApplyImageUpload", "FileSize": 5, "ServiceId": creds["service_id"],
                  "Version": "2018-08-01", "s": "abc"}
        del params[drop]
        r = requests.get(emu.endpoints.imagex + "/", params=params, timeout=10,
                         headers=aws_v4_sign("GET", params, "", creds))
        err = r.json()["ResponseMetadata"]["Error"]
        assert (r.status_code, err["Code"]) == (400, "MissingParameter") and drop in err["Message"], r.text


def test_file_size_must_match_what_is_uploaded(emu):
    """Seed 001: "FileSize必须与实际文件大小一致" (FileSize must equal the real size)."""
    creds = get_upload_token(emu.endpoints.jimeng, emu.demo_sessionid)
    params = {"Action": "ApplyImageUpload", "FileSize": 3, "ServiceId": creds["service_id"],
              "Version": "2018-08-01", "s": "abc"}
    addr = requests.get(emu.endpoints.imagex + "/", params=params, timeout=10,
                        headers=aws_v4_sign("GET", params, "", creds)).json()["Result"]["UploadAddress"]
    info = addr["StoreInfos"][0]
    data = b"four"
    up = requests.post(f"{emu.endpoints.upload}/upload/v1/{info['StoreUri']}", data=data, timeout=10,
                       headers={"Authorization": info["Auth"], "Content-Crc32": format(zlib.crc32(data), "x")})
    assert up.status_code == 400 and up.json()["code"] != 2000


def test_commit_with_an_unknown_session_key_is_seed004s_code(emu):
    creds = get_upload_token(emu.endpoints.jimeng, emu.demo_sessionid)
    params = {"Action": "CommitImageUpload", "ServiceId": creds["service_id"], "Version": "2018-08-01"}
    body = {"SessionKey": "eyJub3QiOiJvdXJzIn0="}
    h = {**aws_v4_sign("POST", params, json.dumps(body), creds), "Content-Type": "application/json"}
    r = requests.post(emu.endpoints.imagex + "/", params=params, json=body, headers=h, timeout=10)
    assert (r.status_code, r.json()["ResponseMetadata"]["Error"]["Code"]) == (400, "InvalidSessionKey")
