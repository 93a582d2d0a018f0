"""Real clients nobody here wrote, unmodified except for the endpoint: botocore (AWS4 with STS
token credentials), the volcengine SDK (VisualService.cv_process over http, ImageXService
.upload_image_data over https with the emulator's CA), and oss2 (V1 and V4, put/get/sign_url,
with and without x-oss-process, listings, saveas)."""
from __future__ import annotations

import base64
import io
import json
from urllib.parse import urlsplit

import crcmod
import numpy as np
import oss2
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from PIL import Image

import imgx_kit as ik
from imgx_kit.emulator.api import running

from .helpers import crc, inpaint_inputs, png_bytes, send, upload_token

pytestmark = pytest.mark.oracle


def _boto(method: str, url: str, creds: BotoCredentials, body: bytes = b"", headers=None) -> requests.Response:
    req = AWSRequest(method, url, data=body, headers=headers or {})
    SigV4Auth(creds, "imagex", "cn-north-1").add_auth(req)
    p = req.prepare()
    return requests.request(method, p.url, headers=dict(p.headers), data=body or None, timeout=10)


def test_botocore_signed_apply_and_commit_with_token_credentials(emu):
    data = upload_token(emu)
    bc = BotoCredentials(data["access_key_id"], data["secret_access_key"], data["session_token"])
    sid = data["service_id"]
    img = png_bytes(12, 9)
    missing = _boto("GET", f"{emu.endpoints.imagex}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId={sid}", bc)
    assert missing.json()["ResponseMetadata"]["Error"]["Code"] == "MissingParameter"     # seed 001: FileSize, s
    r = _boto("GET", f"{emu.endpoints.imagex}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId={sid}"
                     f"&FileSize={len(img)}&s=r4nd0m", bc)
    assert r.status_code == 200, r.text
    addr = r.json()["Result"]["UploadAddress"]
    info = addr["StoreInfos"][0]
    up = requests.post(f"{emu.url}/upload/v1/{info['StoreUri']}", data=img,
                       headers={"Authorization": info["Auth"], "Content-CRC32": crc(img)})
    assert up.json()["code"] == 2000
    body = json.dumps({"SessionKey": addr["SessionKey"], "SuccessOids": [info["StoreUri"]]}).encode()
    r = _boto("POST", f"{emu.endpoints.imagex}/?Action=CommitImageUpload&Version=2018-08-01&ServiceId={sid}",
              bc, body, {"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["Result"]["Results"] == [{"Uri": info["StoreUri"], "UriStatus": 2000}]
    # botocore with a wrong secret: the gateway's SignatureDoesNotMatch
    wrong = BotoCredentials(data["access_key_id"], "x" + data["secret_access_key"], data["session_token"])
    r = _boto("GET", f"{emu.endpoints.imagex}/?Action=ApplyImageUpload&Version=2018-08-01&ServiceId={sid}", wrong)
    assert r.status_code == 401 and r.json()["ResponseMetadata"]["Error"]["CodeN"] == 100010


def test_volcengine_visual_cv_process_inpainting_over_http(emu):
    from volcengine.visual.VisualService import VisualService

    vs = VisualService()
    vs.set_ak(emu.demo_volc_credentials.access_key)
    vs.set_sk(emu.demo_volc_credentials.secret_key)
    vs.set_host(urlsplit(emu.endpoints.visual).netloc)      # its own root, as visual.volcengineapi.com
    vs.set_scheme("http")
    ib, mb, img, mask = inpaint_inputs()
    out = vs.cv_process({"req_key": "i2i_inpainting", "binary_data_base64": [ib, mb], "seed": 0,
                         "steps": 30, "strength": 0.8, "scale": 7, "return_url": False})
    assert (out["code"], out["status"], out["message"]) == (10000, 10000, "Success")
    assert len(out["request_id"]) == 34 and out["time_elapsed"].endswith("s")
    res = np.asarray(Image.open(io.BytesIO(base64.b64decode(out["data"]["binary_data_base64"][0]))).convert("RGB"))
    assert res.shape == img.shape
    assert (res[~mask] == img[~mask]).all()                  # outside the mask: untouched
    assert not (res[mask] == img[mask]).all()                # inside: visibly changed
    out2 = vs.img2img_inpainting({"req_key": "i2i_inpainting", "binary_data_base64": [ib, mb]}) \
        if hasattr(vs, "img2img_inpainting") else out
    assert out2["data"]["binary_data_base64"][0] == out["data"]["binary_data_base64"][0]   # deterministic
    vs.set_sk("wrong-secret")
    with pytest.raises(Exception) as e:
        vs.cv_process({"req_key": "i2i_inpainting", "binary_data_base64": [ib, mb]})
    assert "SignatureDoesNotMatch" in str(e.value)


@pytest.mark.slow
def test_volcengine_imagex_upload_image_data_over_https(monkeypatch):
    from volcengine.imagex.ImageXService import ImageXService

    with running(tls=True, seed=2) as emu:
        assert emu.url.startswith("https://") and emu.ca_bundle
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_bundle)   # requests reads it over session.verify
        ix = ImageXService()
        ix.set_ak(emu.demo_volc_credentials.access_key)
        ix.set_sk(emu.demo_volc_credentials.secret_key)
        ix.set_host(urlsplit(emu.endpoints.imagex).netloc)
        ix.set_scheme("https")
        imgs = [png_bytes(10, 10), png_bytes(20, 5, (0, 0, 255))]
        res = ix.upload_image_data({"ServiceId": emu.demo_service_id}, imgs)
        assert sorted(r["UriStatus"] for r in res["Results"]) == [2000, 2000]
        assert sorted((p["ImageWidth"], p["ImageHeight"]) for p in res["PluginResult"]) == [(10, 10), (20, 5)]
        routes = [(e.route, e.method, e.status) for e in emu.log]
        assert routes.count(("upload", "PUT", 200)) == 2 and emu.errors == []


@pytest.mark.parametrize("version", [1, 4])
def test_oss2_put_get_sign_url_with_and_without_process(emu, version):
    c = emu.demo_oss_credentials
    if version == 1:
        auth = oss2.Auth(c.access_key, c.secret_key)
    else:
        auth = oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(c.access_key, c.secret_key))
    bucket = oss2.Bucket(auth, emu.endpoints.oss, emu.demo_bucket, region=emu.oss_region)
    buf = io.BytesIO()
    Image.new("RGB", (400, 267), (10, 200, 10)).save(buf, "JPEG")
    data = buf.getvalue()
    key = f"v{version}/photos/cat 1.jpg"
    assert bucket.put_object(key, data, headers={"Content-Type": "image/jpeg"}).status == 200
    got = bucket.get_object(key)
    assert got.read() == data and got.headers["Content-Type"] == "image/jpeg"
    small = Image.open(io.BytesIO(bucket.get_object(key, process="image/resize,w_100").read()))
    assert small.size == (100, 67)
    url = bucket.sign_url("GET", key, 600)
    assert requests.get(url).content == data
    url = bucket.sign_url("GET", key, 600, params={"x-oss-process": "image/resize,w_100/rotate,90/format,png"})
    r = requests.get(url)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(r.content)).size == (67, 100)
    # the process appended after signing: signed in V1 (sub-resource) and V4 (all params)
    r = requests.get(bucket.sign_url("GET", key, 600) + "&x-oss-process=image/resize,w_50")
    assert r.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.content
    assert b"<StringToSign>" in r.content and b"<SignatureProvided>" in r.content
    assert (b"<CanonicalRequest>" in r.content) == (version == 4)
    with pytest.raises(oss2.exceptions.OssError) as e:
        bucket.get_object(key, process="image/resize,w_0")
    assert (e.value.status, e.value.code, e.value.ec) == (400, "InvalidArgument", "0040-00000312")
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object(f"v{version}/missing.jpg")
    target = f"v{version}/saved.jpg"
    res = bucket.process_object(key, "image/resize,w_50|sys/saveas,o_" +
                                base64.urlsafe_b64encode(target.encode()).decode().rstrip("="))
    assert res.status == 200 and res.object == target
    assert Image.open(io.BytesIO(bucket.get_object(target).read())).size == (50, 33)


def test_oss2_wrong_secret_gets_oss_xml_with_string_to_sign(emu):
    c = emu.demo_oss_credentials
    bucket = oss2.Bucket(oss2.Auth(c.access_key, "wrong"), emu.endpoints.oss, emu.demo_bucket)
    with pytest.raises(oss2.exceptions.OssError) as e:
        bucket.put_object("x.txt", b"x")
    d = e.value.details
    assert (e.value.status, d["Code"], d["OSSAccessKeyId"]) == (403, "SignatureDoesNotMatch", c.access_key)
    assert d["StringToSign"].startswith("PUT\n") and d["StringToSign"].endswith("/imgx-demo/x.txt")
    assert d["StringToSignBytes"].split()[:3] == ["50", "55", "54"]


def test_oss2_gets_an_animated_gif_resized_with_its_frames(emu):
    c = emu.demo_oss_credentials
    bucket = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, emu.demo_bucket)
    frames = [Image.new("RGB", (40, 30), col) for col in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=[120, 80, 200], loop=0)
    bucket.put_object("anim/spin.gif", buf.getvalue(), headers={"Content-Type": "image/gif"})
    got = bucket.get_object("anim/spin.gif", process="image/resize,w_20")
    assert got.headers["Content-Type"] == "image/gif"
    out = Image.open(io.BytesIO(got.read()))
    assert (out.size, out.n_frames) == ((20, 15), 3)
    durations = []
    for i in range(3):
        out.seek(i)
        durations.append(out.info["duration"])
    assert durations == [120, 80, 200]
    still = Image.open(io.BytesIO(bucket.get_object("anim/spin.gif", process="image/rotate,90").read()))
    assert (still.size, getattr(still, "n_frames", 1)) == ((30, 40), 1)


def test_oss2_range_downloads_follow_oss_rules(emu, tmp_path):
    c = emu.demo_oss_credentials
    bucket = oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, emu.demo_bucket)
    data = bytes(range(256)) * 4                                   # 1024 bytes, every offset distinct
    put = bucket.put_object("ranges/blob.bin", data)
    # x-oss-hash-crc64ecma as oss2 computes it (oss2 checks it itself on whole-object PUT and GET)
    crc64_xz = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)   # oss2's
    assert put.crc == crc64_xz(data) == 0xD51FB58DC789C400
    whole = bucket.get_object("ranges/blob.bin")
    assert whole.read() == data and whole.server_crc == put.crc
    assert bucket.head_object("ranges/blob.bin").headers["x-oss-hash-crc64ecma"] == str(put.crc)
    got = bucket.get_object("ranges/blob.bin", byte_range=(100, 199))
    assert got.status == 206 and got.read() == data[100:200]
    assert got.headers["Content-Range"] == "bytes 100-199/1024" and got.headers["Content-Length"] == "100"
    assert bucket.get_object("ranges/blob.bin", byte_range=(None, 24)).read() == data[-24:]   # last 24
    assert bucket.get_object("ranges/blob.bin", byte_range=(1000, None)).read() == data[1000:]
    # out of range: OSS ignores the Range and sends the whole object with 200 …
    whole = bucket.get_object("ranges/blob.bin", byte_range=(500, 5000))
    assert whole.status == 200 and whole.read() == data
    r = bucket.get_object("ranges/blob.bin", headers={"Range": "bytes=0-9,20-29"})       # first range only
    assert r.status == 206 and r.read() == data[:10]
    # … unless the caller asks for standard behaviour: clip the end, refuse a start past the end
    std = {"x-oss-range-behavior": "standard"}
    clipped = bucket.get_object("ranges/blob.bin", byte_range=(1000, 5000), headers=std)
    assert clipped.status == 206 and clipped.read() == data[1000:]
    with pytest.raises(oss2.exceptions.OssError) as e:
        bucket.get_object("ranges/blob.bin", byte_range=(2000, 3000), headers=std)
    assert (e.value.status, e.value.code) == (416, "InvalidRange")
    # oss2's parallel resumable download is made of ranged GETs and must reassemble the object
    big = np.random.default_rng(7).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
    bucket.put_object("ranges/big.bin", big)
    target = tmp_path / "big.bin"
    oss2.resumable_download(bucket, "ranges/big.bin", str(target), multiget_threshold=50_000,
                            part_size=64 * 1024, num_threads=3, store=oss2.ResumableDownloadStore(root=str(tmp_path)))
    assert target.read_bytes() == big
    parts = [e for e in emu.log if "big.bin" in e.raw_target and e.status == 206]
    assert len(parts) >= 2                                         # oss2 picks the part count; all ranged


def _oss2_bucket(emu, name: str | None = None) -> oss2.Bucket:
    c = emu.demo_oss_credentials
    return oss2.Bucket(oss2.Auth(c.access_key, c.secret_key), emu.endpoints.oss, name or emu.demo_bucket)


def test_oss2_lists_with_delimiter_prefix_and_pages(emu):
    emu.create_bucket("imgx-list")
    bucket = _oss2_bucket(emu, "imgx-list")
    keys = ["a/1.png", "a/2.png", "a/b/3.png", "top.png", "z z/ü&<.png", "zz.png"]
    for k in keys:
        bucket.put_object(k, b"x")
    r = bucket.list_objects(delimiter="/")
    assert ([o.key for o in r.object_list], r.prefix_list) == (["top.png", "zz.png"], ["a/", "z z/"])
    r = bucket.list_objects(prefix="a/", delimiter="/")
    assert ([o.key for o in r.object_list], r.prefix_list) == (["a/1.png", "a/2.png"], ["a/b/"])
    r = bucket.list_objects(prefix="z z/")
    assert [o.key for o in r.object_list] == ["z z/ü&<.png"]          # encoding-type=url round trip
    # pages of one: every key or common prefix exactly once, in order, NextMarker = the last entry
    walked = [(o.key, o.is_prefix()) for o in oss2.ObjectIterator(bucket, delimiter="/", max_keys=1)]
    assert walked == [("a/", True), ("top.png", False), ("z z/", True), ("zz.png", False)]
    assert [o.key for o in oss2.ObjectIterator(bucket, max_keys=2)] == sorted(keys)
    page = bucket.list_objects(max_keys=2)
    assert page.is_truncated and page.next_marker == "a/2.png"
    last = bucket.list_objects(marker="top.png", max_keys=2)
    assert not last.is_truncated and [o.key for o in last.object_list] == ["z z/ü&<.png", "zz.png"]
    for bad in (0, -1, 1001, "x"):
        with pytest.raises(oss2.exceptions.OssError) as e:
            bucket.list_objects(max_keys=bad)
        assert (e.value.status, e.value.code) == (400, "InvalidArgument")
    assert len(bucket.list_objects(max_keys=1000).object_list) == len(keys)


def test_oss2_lists_v2_with_tokens_start_after_and_owner(emu):
    emu.create_bucket("imgx-list2")
    bucket = _oss2_bucket(emu, "imgx-list2")
    keys = ["a/1.png", "a/2.png", "a/b/3.png", "top.png", "z z/ü&<.png", "zz.png"]
    for k in keys:
        bucket.put_object(k, b"x")
    r = bucket.list_objects_v2(delimiter="/")
    assert ([o.key for o in r.object_list], r.prefix_list) == (["top.png", "zz.png"], ["a/", "z z/"])
    assert all(o.owner is None for o in r.object_list)                      # only with fetch_owner
    assert all(o.owner is not None for o in bucket.list_objects_v2(fetch_owner=True).object_list)
    # pages of one through the opaque token: every entry once, in order
    walked = [(o.key, o.is_prefix()) for o in oss2.ObjectIteratorV2(bucket, delimiter="/", max_keys=1)]
    assert walked == [("a/", True), ("top.png", False), ("z z/", True), ("zz.png", False)]
    assert [o.key for o in oss2.ObjectIteratorV2(bucket, max_keys=4)] == sorted(keys)
    page = bucket.list_objects_v2(max_keys=2)
    assert page.is_truncated and page.next_continuation_token
    rest = bucket.list_objects_v2(continuation_token=page.next_continuation_token, max_keys=100)
    assert [o.key for o in page.object_list + rest.object_list] == sorted(keys) and not rest.is_truncated
    assert [o.key for o in bucket.list_objects_v2(start_after="top.png").object_list] == ["z z/ü&<.png", "zz.png"]
    with pytest.raises(oss2.exceptions.OssError) as e:
        bucket.list_objects_v2(continuation_token="%%%not-ours")
    assert (e.value.status, e.value.code) == (400, "InvalidArgument")


def test_oss2_saveas_echoes_the_target_bucket_only_when_given(emu):
    emu.create_bucket("imgx-saved")
    bucket = _oss2_bucket(emu)
    bucket.put_object("sv/src.png", png_bytes(40, 20))

    def b64(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    r = bucket.process_object("sv/src.png", f"image/resize,w_10|sys/saveas,o_{b64('sv/out.png')}")
    assert (r.status, r.bucket, r.object) == (200, "", "sv/out.png")
    r = bucket.process_object("sv/src.png", f"image/resize,w_10|sys/saveas,o_{b64('sv/out.png')},b_{b64('imgx-saved')}")
    assert (r.status, r.bucket, r.object) == (200, "imgx-saved", "sv/out.png")
    assert "sv/out.png" in emu.state.bucket("imgx-saved").objects


def test_cv_image_urls_are_downloaded_as_oss_judges_them(emu):
    bucket = _oss2_bucket(emu)
    ib, mb, _, _ = inpaint_inputs(32, 32)
    bucket.put_object("cv/img.png", base64.b64decode(ib))
    bucket.put_object("cv/mask.png", base64.b64decode(mb))

    def cv(urls: list[str]) -> requests.Response:
        body = json.dumps({"req_key": "i2i_inpainting", "image_urls": urls}).encode()
        req = ik.HttpRequest.build("POST", emu.endpoints.visual + "/?Action=CVProcess&Version=2022-08-31",
                                   [("Content-Type", "application/json")], body)
        return send(ik.presets.VOLC_CV.sign(req, emu.demo_volc_credentials).signed_request)

    emu.log.clear()
    unsigned = [f"{emu.url}/{emu.demo_bucket}/cv/img.png", f"{emu.url}/{emu.demo_bucket}/cv/mask.png"]
    assert requests.get(unsigned[0], timeout=10).status_code == 403           # the objects are private
    r = cv(unsigned)
    assert (r.status_code, r.json()["code"], r.json()["data"]) == (400, 50215, None)
    r = cv([bucket.sign_url("GET", "cv/img.png", 600), bucket.sign_url("GET", "cv/mask.png", 600)])
    assert (r.status_code, r.json()["code"]) == (200, 10000)
    out = Image.open(io.BytesIO(base64.b64decode(r.json()["data"]["binary_data_base64"][0])))
    assert out.size == (32, 32)
    fetches = [(e.method, e.status) for e in emu.log if e.route == "oss" and e.raw_target.startswith("/imgx-demo/cv")]
    assert fetches == [("GET", 403), ("GET", 403), ("GET", 200), ("GET", 200)]    # real GETs, judged by OSS
    assert emu.errors == []
